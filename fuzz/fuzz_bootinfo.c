/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the boot information parser and the memory map behind it.
 *
 * Input byte 0 chooses the mode:
 *
 * even: multiboot. Byte 1 chooses the magic (MB1, MB2 or bytes 2-5 as is),
 *   bytes 2-5 the information's offset, and the rest is physical memory
 *   from address 0, read through an accessor that refuses anything out of
 *   bounds (the input buffer itself, so ASan sees any overrun).
 *
 * odd: raw entries. Records of 9 bytes (op, base32, len32) are added with
 *   memmap_add() and normalized; records with op bit 7 set (the first
 *   MAX_CARVES of them) are then carved.
 *   The op's bits 3-4 scale base and length so that byte-level, page-level
 *   and near-2^52/2^64 values all come up.
 *
 * Either way the result must hold every invariant of a normalized map, and
 * no byte that a valid non-usable entry covered may be usable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/sim.h"
#include "kernel/boot/multiboot.h"
#define MEMMAP_CHECK_ORACLE FUZZ_ORACLE
#include "tests/host/memmap_check.h"

#define HDR_BOOT	6
#define REC_SIZE	9
#define MAX_RECS	1024
#define MAX_CARVES	32	/* each is checked in full: keep runs fast */

static bool plant;

struct image {
	const uint8_t *mem;
	size_t size;
};

struct rec {
	uint64_t base, len;
	uint32_t type;
	bool carve;
};

static struct boot_info bi;
static struct memmap map;
static struct memmap_range saved[MEMMAP_MAX_RANGES];
static struct rec recs[MAX_RECS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_set_log_level(-1);
	plant = fuzz_plant_wanted();
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static const void *reader(uint64_t pa, uint64_t len, void *ctx)
{
	const struct image *img = ctx;

	if (pa >= img->size || len > img->size - pa)
		return NULL;
	return img->mem + pa;
}

FUZZ_ORACLE static void check_map(const struct memmap *m)
{
	CHECK(memmap_check_ranges(m) == NULL);
	CHECK(memmap_check_against_raw(m) == NULL);
}

static void check_string(const char *s, size_t size)
{
	CHECK(memchr(s, 0, size) != NULL);
}

static void fuzz_boot(const uint8_t *data, size_t size)
{
	static const uint32_t magics[] = { MULTIBOOT1_BOOT_MAGIC, MULTIBOOT2_BOOT_MAGIC };
	struct image img = { data + HDR_BOOT, size - HDR_BOOT };
	uint32_t magic, off = le32(data + 2);
	unsigned i;
	int err;

	magic = data[1] % 3 < 2 ? magics[data[1] % 3] : off;
	/* Mostly inside the image, now and then just past it. */
	err = multiboot_parse(magic, off % (img.size + 16), reader, &img, &bi);

	check_map(&bi.map);
	check_string(bi.cmdline, sizeof(bi.cmdline));
	check_string(bi.loader, sizeof(bi.loader));
	CHECK(bi.nmodules <= BOOT_MODULES_MAX);
	for (i = 0; i < bi.nmodules; i++) {
		CHECK(bi.module[i].start <= bi.module[i].end);
		check_string(bi.module[i].cmdline, sizeof(bi.module[i].cmdline));
	}
	CHECK(bi.protocol <= 2);
	CHECK(bi.info_start <= bi.info_end);
	if (err == 0) {
		CHECK(bi.protocol == 1 || bi.protocol == 2);
		CHECK(memmap_bytes(&bi.map, MEMMAP_USABLE) > 0);
		CHECK(memmap_highest_usable(&bi.map) > 0);
	}
}

static struct rec decode(const uint8_t *p)
{
	static const uint32_t types[] = { 1, 1, 2, 3, 4, 5, 0, 6 };
	uint8_t op = p[0];
	uint64_t base = le32(p + 1), len = le32(p + 5);
	struct rec r;

	switch ((op >> 3) & 3) {
	case 0:
		break;			/* bytes: unaligned, tiny */
	case 1:
		base <<= 12;		/* pages */
		len <<= 12;
		break;
	case 2:
		base <<= 21;		/* up to 2^53: around the limit */
		len <<= 21;
		break;
	default:
		base = ~base << 32 | base;	/* near 2^64: wraps */
		len = len == 0xffffffff ? UINT64_MAX : len << 32 | len;
		break;
	}
	r.base = base;
	r.len = len;
	r.type = types[op & 7];
	if ((op & 7) == 7)
		r.type += ((op >> 5) & 3) * 5;	/* 6, 11, 16 (ours), 21 */
	r.carve = op & 0x80;
	return r;
}

/* Valid as memmap_add() judges shape: non-empty, not wrapping, below 2^52. */
static bool valid_shape(const struct rec *r)
{
	return r->len && r->base + (r->len - 1) >= r->base && r->base < PHYS_ADDR_LIMIT;
}

static void check_points(const struct rec *r, bool (*ok)(uint32_t type, uint32_t want),
			 uint32_t want)
{
	uint64_t last = MM_MIN(r->base + (r->len - 1), PHYS_ADDR_LIMIT - 1);
	uint64_t pts[3] = { r->base, r->base + (last - r->base) / 2, last };
	unsigned j;

	for (j = 0; j < 3; j++)
		CHECK(ok(memmap_check_type_at(&map, pts[j]), want));
}

static bool not_usable(uint32_t type, uint32_t want)
{
	(void)want;
	return type != MEMMAP_USABLE;
}

static bool is_type(uint32_t type, uint32_t want)
{
	return type == want;
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	unsigned n = 0, carves = 0, i, j;

	memmap_init(&map);
	for (i = 0; i + REC_SIZE <= size && n < MAX_RECS; i += REC_SIZE)
		recs[n++] = decode(data + i);

	for (i = 0; i < n; i++)
		if (!recs[i].carve)
			memmap_add(&map, recs[i].base, recs[i].len, recs[i].type);
	CHECK(map.nraw <= MEMMAP_MAX_RAW);
	memmap_normalize(&map);
	if (plant && map.count >= 2) {
		/* FUZZ_PLANT: two ranges out of order; check_map() must say so. */
		struct memmap_range t = map.range[0];

		map.range[0] = map.range[1];
		map.range[1] = t;
	}
	check_map(&map);
	for (i = 0; i < n; i++)
		if (!recs[i].carve && recs[i].type != MEMMAP_USABLE && valid_shape(&recs[i]))
			check_points(&recs[i], not_usable, 0);

	for (i = 0; i < n; i++) {
		const struct rec *r = &recs[i];
		uint32_t type = r->type == 1 ? MEMMAP_USABLE :
				r->type == 0 ? 0 : MEMMAP_KERNEL + (r->type % 4);
		uint64_t end = r->base + r->len;
		unsigned count = map.count;

		if (!r->carve || carves++ >= MAX_CARVES)
			continue;
		memcpy(saved, map.range, sizeof(saved));
		if (memmap_carve(&map, r->base, end, type) == 0) {
			CHECK(type != MEMMAP_USABLE && type != 0 && r->base < end);
			check_points(r, is_type, type);
		} else {
			CHECK(map.count == count);
			CHECK(memcmp(saved, map.range, count * sizeof(saved[0])) == 0);
		}
		check_map(&map);
	}
	/* Carving only ever takes memory away, so the raw property still holds. */
	for (j = 0; j < n; j++)
		if (!recs[j].carve && recs[j].type != MEMMAP_USABLE && valid_shape(&recs[j]))
			check_points(&recs[j], not_usable, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_raw(data + 1, size - 1);
	else if (size >= HDR_BOOT)
		fuzz_boot(data, size);
	return 0;
}
