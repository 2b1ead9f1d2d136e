/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of multiboot 1 and 2 parsing: information blobs are built in a
 * fake physical memory whose accessor refuses anything out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/sim.h"
#include "kernel/boot/multiboot.h"
#include "mm/platform.h"
#include "tests/host/memmap_check.h"

#define KB	0x400ull
#define MB	0x100000ull
#define GB	0x40000000ull

/* Fake physical memory [0, MEM_SIZE), allocated exactly so ASan sees overruns. */
#define MEM_SIZE	0x40000
static uint8_t *mem;
static struct boot_info bi;

static const void *reader(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return NULL;
	return mem + pa;
}

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, MEM_SIZE);
	memset(&bi, 0x5a, sizeof(bi));
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	mem = NULL;
	return 0;
}

static void put32(uint64_t pa, uint32_t v)
{
	assert_true(pa + 4 <= MEM_SIZE);
	memcpy(mem + pa, &v, 4);
}

static void put64(uint64_t pa, uint64_t v)
{
	assert_true(pa + 8 <= MEM_SIZE);
	memcpy(mem + pa, &v, 8);
}

static void putstr(uint64_t pa, const char *s)
{
	assert_true(pa + strlen(s) + 1 <= MEM_SIZE);
	memcpy(mem + pa, s, strlen(s) + 1);
}

#define assert_logged(substr) \
	assert_non_null(strstr(sim_last_log(), (substr)))

#define assert_range(i, b, e, t) do {					\
	assert_true((i) < bi.map.count);				\
	assert_int_equal(bi.map.range[i].base, (b));			\
	assert_int_equal(bi.map.range[i].end, (e));			\
	assert_int_equal(bi.map.range[i].type, (t));			\
} while (0)

static int parse(uint32_t magic, uint64_t info)
{
	int err = multiboot_parse(magic, info, reader, NULL, &bi);
	const char *bad = memmap_check_ranges(&bi.map);

	if (bad)
		fail_msg("%s", bad);
	assert_non_null(memchr(bi.cmdline, 0, sizeof(bi.cmdline)));
	assert_non_null(memchr(bi.loader, 0, sizeof(bi.loader)));
	assert_true(bi.nmodules <= BOOT_MODULES_MAX);
	return err;
}

struct e820 {
	uint64_t base, len;
	uint32_t type;
};

/* QEMU's map for -m 32M. */
static const struct e820 qemu32[] = {
	{ 0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0xf0000, 0x10000, 2 },
	{ 0x100000, 0x1ee0000, 1 },
	{ 0x1fe0000, 0x20000, 2 },
	{ 0xfffc0000, 0x40000, 2 },
};

/* Page-aligned and disjoint: normalizing it logs nothing, so a test can
 * check that the parser's own message was the last one. */
static const struct e820 quiet[] = {
	{ 0, 0x9f000, 1 },
	{ 0x100000, 0x1f00000, 1 },
	{ 0x2000000, 0x100000, 2 },
};

static void check_qemu32(void)
{
	assert_int_equal(bi.map.count, 6);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(1, 0x9f000, 0xa0000, MEMMAP_RESERVED);
	assert_range(2, 0xf0000, 0x100000, MEMMAP_RESERVED);
	assert_range(3, 0x100000, 0x1fe0000, MEMMAP_USABLE);
	assert_range(4, 0x1fe0000, 0x2000000, MEMMAP_RESERVED);
	assert_range(5, 0xfffc0000, 4 * GB, MEMMAP_RESERVED);
	assert_false(bi.map_from_fallback);
}

/* --- multiboot 1 --------------------------------------------------------- */

#define MB1_INFO	0x1000
#define MB1_CMDLINE	0x2000
#define MB1_LOADER	0x2800
#define MB1_MMAP	0x3000
#define MB1_MODS	0x4000
#define MB1_MODSTR	0x5000

/* A multiboot 1 map of @n entries, each @size bytes after its size field. */
static uint32_t mb1_map(const struct e820 *e, unsigned n, uint32_t size)
{
	uint64_t p = MB1_MMAP;
	unsigned i;

	for (i = 0; i < n; i++) {
		put32(p, size);
		put64(p + 4, e[i].base);
		put64(p + 12, e[i].len);
		put32(p + 20, e[i].type);
		p += 4 + size;
	}
	return (uint32_t)(p - MB1_MMAP);
}

static void mb1_info(uint32_t flags, uint32_t mmap_length)
{
	put32(MB1_INFO + 0, flags);
	put32(MB1_INFO + 4, 639);
	put32(MB1_INFO + 8, 31 * 1024 - 128);
	put32(MB1_INFO + 16, MB1_CMDLINE);
	put32(MB1_INFO + 20, 0);
	put32(MB1_INFO + 24, MB1_MODS);
	put32(MB1_INFO + 44, mmap_length);
	put32(MB1_INFO + 48, MB1_MMAP);
	put32(MB1_INFO + 64, MB1_LOADER);
	putstr(MB1_CMDLINE, "/boot/kernel.elf console=serial");
	putstr(MB1_LOADER, "GRUB 2.06");
}

static void mb1_module(unsigned i, uint32_t start, uint32_t end, const char *str)
{
	put32(MB1_MODS + 16 * i, start);
	put32(MB1_MODS + 16 * i + 4, end);
	put32(MB1_MODS + 16 * i + 8, MB1_MODSTR + 0x100 * i);
	putstr(MB1_MODSTR + 0x100 * i, str);
	put32(MB1_INFO + 20, i + 1);
}

static void test_mb1_full(void **state)
{
	uint32_t len = mb1_map(qemu32, ARRAY_SIZE(qemu32), 20);

	(void)state;
	mb1_info(0x1 | 0x4 | 0x8 | 0x40 | 0x200, len);
	mb1_module(0, 0x200000, 0x280000, "initrd.cpio");
	mb1_module(1, 0x280000, 0x280000, "empty");
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.protocol, 1);
	assert_string_equal(bi.cmdline, "/boot/kernel.elf console=serial");
	assert_string_equal(bi.loader, "GRUB 2.06");
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.module[0].start, 0x200000);
	assert_int_equal(bi.module[0].end, 0x280000);
	assert_string_equal(bi.module[0].cmdline, "initrd.cpio");
	assert_string_equal(bi.module[1].cmdline, "empty");
	assert_int_equal(bi.info_start, MB1_INFO);
	assert_int_equal(bi.info_end, MB1_INFO + 116);
	check_qemu32();
}

/* Flags unset: the fields are not looked at even though they hold data. */
static void test_mb1_flags_respected(void **state)
{
	uint32_t len = mb1_map(qemu32, ARRAY_SIZE(qemu32), 20);

	(void)state;
	mb1_info(0x40, len);
	mb1_module(0, 0x200000, 0x280000, "initrd.cpio");
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader, "");
	assert_int_equal(bi.nmodules, 0);
	check_qemu32();
}

/* Some bootloaders use 24-byte entries; the size field says so. */
static void test_mb1_entry_size_24(void **state)
{
	uint32_t len = mb1_map(qemu32, ARRAY_SIZE(qemu32), 24);

	(void)state;
	mb1_info(0x40, len);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	check_qemu32();
}

static void test_mb1_bad_entry_size(void **state)
{
	uint32_t len = mb1_map(qemu32, ARRAY_SIZE(qemu32), 20);
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	mb1_info(0x40, len);
	put32(MB1_MMAP + 4 * 24, 12);	/* the fifth entry */
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_true(sim_count.log[LOG_WARN] > w0);
	assert_int_equal(bi.map.nraw, 4);
	assert_int_equal(bi.map.count, 4);
	assert_range(3, 0x100000, 0x1fe0000, MEMMAP_USABLE);

	/* An absurd size: only entries before it. */
	mb1_map(qemu32, ARRAY_SIZE(qemu32), 20);
	put32(MB1_MMAP + 24, 0xffffffff);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.map.nraw, 1);

	/* Zero size would loop forever if it were trusted. */
	put32(MB1_MMAP + 24, 0);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.map.nraw, 1);
}

static void test_mb1_bad_entry_size_logged(void **state)
{
	(void)state;
	mb1_info(0x40, mb1_map(quiet, 2, 20) + 24);
	put32(MB1_MMAP + 48, 12);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_logged("has size 12");
	assert_int_equal(bi.map.nraw, 2);
}

/* mmap_length ends inside an entry: that entry is not used. */
static void test_mb1_entry_past_length(void **state)
{
	(void)state;
	mb1_map(qemu32, ARRAY_SIZE(qemu32), 20);
	mb1_info(0x40, 24 * 3 + 10);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.map.nraw, 3);
	assert_int_equal(memmap_bytes(&bi.map, MEMMAP_USABLE), 0x9f000);

	mb1_map(quiet, ARRAY_SIZE(quiet), 20);
	mb1_info(0x40, 24 * 2 + 23);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_logged("runs past mmap_length");
	assert_int_equal(bi.map.nraw, 2);
}

static void test_mb1_mmap_unreadable_falls_back(void **state)
{
	(void)state;
	mb1_info(0x1 | 0x40, 24 * 6);
	put32(MB1_INFO + 48, MEM_SIZE - 30);	/* first entry readable, second not */
	put32(MEM_SIZE - 30, 20);
	put64(MEM_SIZE - 26, 0);
	put64(MEM_SIZE - 18, 0);		/* zero length: dropped */
	put32(MEM_SIZE - 10, 1);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_true(bi.map_from_fallback);
	assert_int_equal(memmap_highest_usable(&bi.map), 1 * MB + (31 * 1024 - 128) * KB);
}

static void test_mb1_fallback(void **state)
{
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	mb1_info(0x1, 0);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_true(bi.map_from_fallback);
	assert_true(sim_count.log[LOG_WARN] > w0);
	assert_int_equal(bi.map.count, 2);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);	/* 639 KiB, rounded down */
	assert_range(1, 1 * MB, 1 * MB + (31 * 1024 - 128) * KB, MEMMAP_USABLE);
}

static void test_mb1_fallback_logged(void **state)
{
	(void)state;
	mb1_info(0x1, 0);
	put32(MB1_INFO + 4, 0);		/* no low memory: nothing to trim */
	put32(MB1_INFO + 8, 1024);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_logged("no memory map");
	assert_int_equal(bi.map.count, 1);
	assert_range(0, 1 * MB, 2 * MB, MEMMAP_USABLE);
}

static void test_mb1_fallback_absurd_lower(void **state)
{
	(void)state;
	mb1_info(0x1, 0);
	put32(MB1_INFO + 4, 0xffffffff);
	put32(MB1_INFO + 8, 0);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.map.count, 1);
	assert_range(0, 0, 0xa0000, MEMMAP_USABLE);
}

static void test_mb1_nothing(void **state)
{
	unsigned long e0 = sim_count.log[LOG_ERR];

	(void)state;
	mb1_info(0x4 | 0x200, 0);
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO) < 0);
	assert_int_equal(sim_count.log[LOG_ERR], e0 + 1);
	assert_logged("no memory map and no mem_lower/mem_upper from the bootloader");
}

static void test_mb1_no_usable_memory(void **state)
{
	static const struct e820 rsv[] = { { 0, 16 * MB, 2 } };

	(void)state;
	mb1_info(0x40, mb1_map(rsv, 1, 20));
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO) < 0);
	assert_logged("no usable memory");
}

static void test_mb1_long_cmdline_truncated(void **state)
{
	char longer[400];

	(void)state;
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	mb1_info(0x1 | 0x4, 0);
	putstr(MB1_CMDLINE, longer);
	put32(MB1_INFO + 4, 0);
	put32(MB1_INFO + 8, 1024);
	assert_int_equal(multiboot_parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO, reader, NULL, &bi), 0);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_memory_equal(bi.cmdline, longer, BOOT_CMDLINE_MAX - 1);

	/* Exactly the maximum fits without complaint. */
	longer[BOOT_CMDLINE_MAX - 1] = 0;
	putstr(MB1_CMDLINE, longer);
	put32(MB1_INFO + 0, 0x4);
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO) < 0);	/* no memory info */
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
}

static void test_mb1_long_cmdline_logged(void **state)
{
	char longer[400];
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	memset(longer, 'y', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	mb1_info(0x4 | 0x40, mb1_map(quiet, ARRAY_SIZE(quiet), 20));
	putstr(MB1_CMDLINE, longer);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(sim_count.log[LOG_WARN], w0 + 1);
	assert_logged("truncated");
	assert_int_equal(bi.cmdline[BOOT_CMDLINE_MAX - 2], 'y');
}

/* A string running to the end of memory stops there, terminated. */
static void test_mb1_cmdline_at_end_of_memory(void **state)
{
	(void)state;
	mb1_info(0x1 | 0x4 | 0x200, 0);
	memset(mem + MEM_SIZE - 5, 'z', 5);
	put32(MB1_INFO + 16, MEM_SIZE - 5);
	put32(MB1_INFO + 64, MEM_SIZE + 100);	/* unreadable altogether */
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_string_equal(bi.cmdline, "zzzzz");
	assert_string_equal(bi.loader, "");
}

static void test_mb1_modules(void **state)
{
	char name[16];
	unsigned i;

	(void)state;
	mb1_info(0x1 | 0x8, 0);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "mod%u", i);
		mb1_module(i, 0x100000 * (i + 2), 0x100000 * (i + 2) + 0x1234, name);
	}
	mb1_module(1, 0x500000, 0x400000, "backwards");
	put32(MB1_INFO + 20, 10);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	/* Of the first eight, one is backwards: seven kept. */
	assert_int_equal(bi.nmodules, 7);
	assert_string_equal(bi.module[0].cmdline, "mod0");
	assert_string_equal(bi.module[1].cmdline, "mod2");
	assert_string_equal(bi.module[6].cmdline, "mod7");
	for (i = 0; i < bi.nmodules; i++)
		assert_true(bi.module[i].start <= bi.module[i].end);
}

static void test_mb1_modules_absurd_count(void **state)
{
	(void)state;
	mb1_info(0x8 | 0x40, mb1_map(quiet, ARRAY_SIZE(quiet), 20));
	mb1_module(0, 0x200000, 0x300000, "only");
	put32(MB1_INFO + 20, 0xffffffff);
	put32(MB1_INFO + 24, MEM_SIZE - 20);	/* second entry unreadable */
	put32(MEM_SIZE - 20, 0x200000);
	put32(MEM_SIZE - 16, 0x300000);
	put32(MEM_SIZE - 12, MB1_MODSTR);
	assert_int_equal(parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO), 0);
	assert_int_equal(bi.nmodules, 1);
	assert_string_equal(bi.module[0].cmdline, "only");
	assert_logged("unreadable");
}

static void test_mb1_info_unreadable(void **state)
{
	(void)state;
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, MEM_SIZE) < 0);
	assert_logged("cannot read");
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, UINT64_MAX - 2) < 0);
	/* The flags readable, the rest cut off by the end of memory. */
	put32(MEM_SIZE - 8, 0x1 | 0x40);
	assert_true(parse(MULTIBOOT1_BOOT_MAGIC, MEM_SIZE - 8) < 0);
	assert_logged("no memory map and no mem_lower/mem_upper");
}

/* --- multiboot 2 --------------------------------------------------------- */

#define MB2_INFO	0x8000

static uint64_t mb2_cur;

static void mb2_begin(void)
{
	mb2_cur = MB2_INFO + 8;
	put32(MB2_INFO + 4, 0);
}

static void mb2_end(void)
{
	put32(mb2_cur, 0);
	put32(mb2_cur + 4, 8);
	mb2_cur += 8;
	put32(MB2_INFO, (uint32_t)(mb2_cur - MB2_INFO));
}

/* Start a tag of @size bytes; returns where its body starts. */
static uint64_t mb2_tag(uint32_t type, uint32_t size)
{
	uint64_t t = mb2_cur;

	put32(t, type);
	put32(t + 4, size);
	mb2_cur = (t + size + 7) & ~7ull;
	return t + 8;
}

static void mb2_string(uint32_t type, const char *s)
{
	putstr(mb2_tag(type, 8 + strlen(s) + 1), s);
}

static void mb2_module(uint32_t start, uint32_t end, const char *s)
{
	uint64_t p = mb2_tag(3, 16 + strlen(s) + 1);

	put32(p, start);
	put32(p + 4, end);
	putstr(p + 8, s);
}

static void mb2_meminfo(uint32_t lower, uint32_t upper)
{
	uint64_t p = mb2_tag(4, 16);

	put32(p, lower);
	put32(p + 4, upper);
}

static uint64_t mb2_mmap(const struct e820 *e, unsigned n, uint32_t esize)
{
	uint64_t p = mb2_tag(6, 16 + n * esize);
	unsigned i;

	put32(p, esize);
	put32(p + 4, 0);
	for (i = 0; i < n; i++) {
		put64(p + 8 + i * esize, e[i].base);
		put64(p + 16 + i * esize, e[i].len);
		put32(p + 24 + i * esize, e[i].type);
		put32(p + 28 + i * esize, 0);
	}
	return p - 8;
}

/* QEMU's map for -m 4G. */
static const struct e820 qemu4g[] = {
	{ 0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0xf0000, 0x10000, 2 },
	{ 0x100000, 0xbfee0000, 1 },
	{ 0xbffe0000, 0x20000, 2 },
	{ 0xfeffc000, 0x4000, 2 },
	{ 0xfffc0000, 0x40000, 2 },
	{ 0x100000000, 0x40000000, 1 },
};

static void check_qemu4g(void)
{
	assert_int_equal(bi.map.count, 8);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(3, 0x100000, 0xbffe0000, MEMMAP_USABLE);
	assert_range(5, 0xfeffc000, 0xff000000, MEMMAP_RESERVED);
	assert_range(7, 4 * GB, 5 * GB, MEMMAP_USABLE);
	assert_int_equal(memmap_highest_usable(&bi.map), 5 * GB);
	assert_false(bi.map_from_fallback);
}

static void test_mb2_full(void **state)
{
	(void)state;
	mb2_begin();
	mb2_string(1, "quiet loglevel=7");
	mb2_string(2, "GRUB 2.06-13");
	mb2_module(0x300000, 0x380000, "/boot/initrd");
	mb2_meminfo(639, 3 * 1024 * 1024);
	mb2_tag(21, 12);	/* load base address: ignored */
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	mb2_module(0x380000, 0x390000, "second");
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(bi.protocol, 2);
	assert_string_equal(bi.cmdline, "quiet loglevel=7");
	assert_string_equal(bi.loader, "GRUB 2.06-13");
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.module[0].start, 0x300000);
	assert_int_equal(bi.module[0].end, 0x380000);
	assert_string_equal(bi.module[0].cmdline, "/boot/initrd");
	assert_string_equal(bi.module[1].cmdline, "second");
	assert_int_equal(bi.info_start, MB2_INFO);
	assert_int_equal(bi.info_end, mb2_cur);
	check_qemu4g();
}

/* Larger entries (a future entry_version) are walked by entry_size. */
static void test_mb2_entry_size_larger(void **state)
{
	(void)state;
	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 40);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	check_qemu4g();
}

static void test_mb2_entry_size_small(void **state)
{
	(void)state;
	mb2_begin();
	mb2_meminfo(0, 4096);
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 16);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_true(bi.map_from_fallback);	/* the map was refused */
	assert_int_equal(bi.map.count, 1);
	assert_range(0, 1 * MB, 5 * MB, MEMMAP_USABLE);

	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 0);
	mb2_end();
	assert_true(multiboot_parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO, reader, NULL, &bi) < 0);
	assert_logged("no memory map and no mem_lower/mem_upper");
}

static void test_mb2_entry_size_small_logged(void **state)
{
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 20);
	mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(sim_count.log[LOG_WARN], w0 + 1);
	assert_logged("entry_size 20");
	assert_int_equal(bi.map.nraw, ARRAY_SIZE(quiet));
}

static void test_mb2_fallback(void **state)
{
	(void)state;
	mb2_begin();
	mb2_string(1, "x");
	mb2_meminfo(639, 127 * 1024);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_true(bi.map_from_fallback);
	assert_int_equal(bi.map.count, 2);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(1, 1 * MB, 128 * MB, MEMMAP_USABLE);
}

static void test_mb2_nothing(void **state)
{
	(void)state;
	mb2_begin();
	mb2_string(1, "console=ttyS0");
	mb2_end();
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO) < 0);
	assert_logged("no memory map and no mem_lower/mem_upper from the bootloader");
	assert_string_equal(bi.cmdline, "console=ttyS0");
}

static void test_mb2_missing_end_tag(void **state)
{
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	put32(MB2_INFO, (uint32_t)(mb2_cur - MB2_INFO));	/* no end tag */
	memset(mem + mb2_cur, 0xee, 64);			/* garbage after */
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(sim_count.log[LOG_WARN], w0 + 1);
	check_qemu4g();
}

static void test_mb2_missing_end_tag_logged(void **state)
{
	(void)state;
	mb2_begin();
	mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	put32(MB2_INFO, (uint32_t)(mb2_cur - MB2_INFO));
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_logged("no end tag");
	assert_int_equal(bi.map.count, 3);
}

/* A tag running past total_size: its entries inside still count, the rest not. */
static void test_mb2_tag_past_total(void **state)
{
	uint64_t t;

	(void)state;
	mb2_begin();
	mb2_string(1, "before");
	t = mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	/* total_size ends inside the fifth entry */
	put32(MB2_INFO, (uint32_t)(t + 16 + 4 * 24 + 10 - MB2_INFO));
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_string_equal(bi.cmdline, "before");
	assert_int_equal(bi.map.nraw, 4);
	assert_int_equal(memmap_highest_usable(&bi.map), 0xbffe0000);
	assert_int_equal(bi.info_end, t + 16 + 4 * 24 + 10);
}

static void test_mb2_tag_past_total_logged(void **state)
{
	uint64_t t;

	(void)state;
	mb2_begin();
	mb2_string(1, "x");
	t = mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	put32(MB2_INFO, (uint32_t)(t + 16 + 2 * 24 - MB2_INFO));	/* two entries */
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_logged("runs past total_size");
	assert_int_equal(bi.map.nraw, 2);

	/* A string tag cut inside its string: what is inside is kept, terminated. */
	mb2_begin();
	mb2_meminfo(0, 1024);
	t = mb2_tag(1, 100);
	putstr(t, "cut short");
	put32(MB2_INFO, (uint32_t)(t + 4 - MB2_INFO));
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_string_equal(bi.cmdline, "cut ");
}

static void test_mb2_tag_size_too_small(void **state)
{
	uint64_t t;

	(void)state;
	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	t = mb2_tag(1, 4);
	mb2_cur = t;		/* overlapping tags would follow */
	mb2_mmap(qemu4g, 1, 24);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(bi.map.nraw, ARRAY_SIZE(qemu4g));
	check_qemu4g();
}

static void test_mb2_total_size_absurd(void **state)
{
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	mb2_begin();
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	mb2_end();
	put32(MB2_INFO, 4);
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO) < 0);
	assert_int_equal(bi.info_end, MB2_INFO + 8);

	/* Huge: clamped; the tags are still read up to the end tag. */
	put32(MB2_INFO, 0x7fffffff);
	w0 = sim_count.log[LOG_WARN];
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(sim_count.log[LOG_WARN], w0 + 1);
	assert_int_equal(bi.info_end, MB2_INFO + (1u << 20));
	check_qemu4g();
}

static void test_mb2_total_size_absurd_logged(void **state)
{
	(void)state;
	mb2_begin();
	put32(MB2_INFO, 7);
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO) < 0);
	mb2_begin();
	mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	mb2_end();
	put32(MB2_INFO, 0xffffffff);
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_logged("total_size 4294967295 is absurd");
	assert_int_equal(bi.map.count, 3);
}

/* Tags reaching past the end of memory: the accessor refuses, we stop. */
static void test_mb2_beyond_memory(void **state)
{
	uint64_t info = MEM_SIZE - 16;

	(void)state;
	put32(info, 64);
	put32(info + 8, 4);
	put32(info + 12, 32);	/* meminfo, 16 bytes of it beyond memory */
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, info) < 0);
	assert_logged("no memory map and no mem_lower/mem_upper");
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, MEM_SIZE - 2) < 0);
	assert_logged("cannot read");
}

static void test_mb2_string_not_terminated(void **state)
{
	uint64_t t;

	(void)state;
	mb2_begin();
	t = mb2_tag(2, 8 + 6);
	memcpy(mem + t, "abcdefGHIJ", 10);	/* no NUL within the tag */
	mb2_meminfo(0, 1024);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_string_equal(bi.loader, "abcdef");
}

static void test_mb2_long_loader_name(void **state)
{
	char name[200];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	mb2_begin();
	mb2_string(2, name);
	mb2_meminfo(0, 1024);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(strlen(bi.loader), BOOT_NAME_MAX - 1);

	mb2_begin();
	mb2_string(2, name);
	mb2_end();
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO) < 0);
	assert_int_equal(strlen(bi.loader), BOOT_NAME_MAX - 1);
}

static void test_mb2_modules(void **state)
{
	char name[16];
	unsigned i;

	(void)state;
	mb2_begin();
	mb2_meminfo(0, 1024);
	mb2_module(0x500000, 0x400000, "backwards");
	mb2_tag(3, 12);				/* too short for a module */
	for (i = 0; i < BOOT_MODULES_MAX + 2; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		mb2_module(0x100000 * (i + 2), 0x100000 * (i + 3), name);
	}
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(bi.nmodules, BOOT_MODULES_MAX);
	assert_string_equal(bi.module[0].cmdline, "m0");
	assert_string_equal(bi.module[BOOT_MODULES_MAX - 1].cmdline, "m7");
	assert_int_equal(bi.module[BOOT_MODULES_MAX - 1].end, 0x100000 * 10);
}

static void test_mb2_module_over_max_logged(void **state)
{
	unsigned i;

	(void)state;
	mb2_begin();
	mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	for (i = 0; i < BOOT_MODULES_MAX + 1; i++)
		mb2_module(0x200000, 0x300000, "m");
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(bi.nmodules, BOOT_MODULES_MAX);
	assert_logged("more than 8 modules");

	mb2_begin();
	mb2_mmap(quiet, ARRAY_SIZE(quiet), 24);
	mb2_module(0x500000, 0x400000, "backwards");
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_int_equal(bi.nmodules, 0);
	assert_logged("ends before it starts");
}

/* --- both ---------------------------------------------------------------- */

static void test_bad_magic(void **state)
{
	unsigned long e0 = sim_count.log[LOG_ERR];

	(void)state;
	mb2_begin();
	mb2_meminfo(0, 1024);
	mb2_end();
	assert_true(parse(0x1badb002, MB2_INFO) < 0);	/* the header magic, not the boot one */
	assert_int_equal(sim_count.log[LOG_ERR], e0 + 1);
	assert_logged("bad magic 0x1badb002");
	/* bi is cleared even on failure */
	assert_int_equal(bi.protocol, 0);
	assert_int_equal(bi.map.count, 0);
	assert_int_equal(bi.nmodules, 0);
	assert_string_equal(bi.cmdline, "");
}

static void test_bad_arguments(void **state)
{
	(void)state;
	assert_true(multiboot_parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO, NULL, NULL, &bi) < 0);
	assert_true(multiboot_parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO, reader, NULL, NULL) < 0);
	assert_true(parse(MULTIBOOT2_BOOT_MAGIC, PHYS_ADDR_LIMIT) < 0);
	assert_logged("absurd");
}

/* The same memory parses the same every time. */
static void test_deterministic(void **state)
{
	static struct boot_info first;

	(void)state;
	mb2_begin();
	mb2_string(1, "a b c");
	mb2_mmap(qemu4g, ARRAY_SIZE(qemu4g), 24);
	mb2_end();
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	first = bi;
	assert_int_equal(parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO), 0);
	assert_memory_equal(&first, &bi, offsetof(struct boot_info, map));
	assert_memory_equal(first.map.range, bi.map.range, sizeof(bi.map.range));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mb1_full),
		T(test_mb1_flags_respected),
		T(test_mb1_entry_size_24),
		T(test_mb1_bad_entry_size),
		T(test_mb1_bad_entry_size_logged),
		T(test_mb1_entry_past_length),
		T(test_mb1_mmap_unreadable_falls_back),
		T(test_mb1_fallback),
		T(test_mb1_fallback_logged),
		T(test_mb1_fallback_absurd_lower),
		T(test_mb1_nothing),
		T(test_mb1_no_usable_memory),
		T(test_mb1_long_cmdline_truncated),
		T(test_mb1_long_cmdline_logged),
		T(test_mb1_cmdline_at_end_of_memory),
		T(test_mb1_modules),
		T(test_mb1_modules_absurd_count),
		T(test_mb1_info_unreadable),
		T(test_mb2_full),
		T(test_mb2_entry_size_larger),
		T(test_mb2_entry_size_small),
		T(test_mb2_entry_size_small_logged),
		T(test_mb2_fallback),
		T(test_mb2_nothing),
		T(test_mb2_missing_end_tag),
		T(test_mb2_missing_end_tag_logged),
		T(test_mb2_tag_past_total),
		T(test_mb2_tag_past_total_logged),
		T(test_mb2_tag_size_too_small),
		T(test_mb2_total_size_absurd),
		T(test_mb2_total_size_absurd_logged),
		T(test_mb2_beyond_memory),
		T(test_mb2_string_not_terminated),
		T(test_mb2_long_loader_name),
		T(test_mb2_modules),
		T(test_mb2_module_over_max_logged),
		T(test_bad_magic),
		T(test_bad_arguments),
		T(test_deterministic),
	};

	sim_set_log_level(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
