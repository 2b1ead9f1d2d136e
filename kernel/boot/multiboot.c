/* SPDX-License-Identifier: MIT */
/*
 * Parsing of the multiboot 1 and multiboot 2 boot information.
 *
 * Everything the bootloader handed over is read through the caller's
 * bounds-checked accessor, one field at a time, and no length, count or
 * pointer in it is trusted: a field that cannot be read or does not fit
 * ends the part of the parse that depends on it, with a log, and the rest
 * goes on with what was valid. Strings are copied with bounds and always
 * NUL-terminated; the memory map goes through memmap_add(), which has its
 * own checks, and is normalized at the end.
 *
 * This file is pure data processing, so the host tests and fuzzers use it.
 *
 * The information's extent [info_start, info_end) is, for multiboot 2, the
 * tag list as its total_size says (clamped to MB2_INFO_MAX). For multiboot 1
 * it is the fixed structure only (MB1_INFO_SIZE bytes): the command line,
 * module list and memory map it points to may be anywhere, and everything
 * the kernel needs from them has been copied into struct boot_info.
 */
#include "multiboot.h"
#include "../../mm/platform.h"

#define ULL(x)		((unsigned long long)(x))

#define KIB		1024ull
#define MIB		(1024ull * KIB)

/* Multiboot 1: the fixed structure and the flags that validate its fields. */
#define MB1_INFO_SIZE		116
#define MB1_FLAG_MEM		(1u << 0)
#define MB1_FLAG_CMDLINE	(1u << 2)
#define MB1_FLAG_MODS		(1u << 3)
#define MB1_FLAG_MMAP		(1u << 6)
#define MB1_FLAG_LOADER		(1u << 9)
#define MB1_OFF_FLAGS		0
#define MB1_OFF_MEM_LOWER	4
#define MB1_OFF_MEM_UPPER	8
#define MB1_OFF_CMDLINE		16
#define MB1_OFF_MODS_COUNT	20
#define MB1_OFF_MODS_ADDR	24
#define MB1_OFF_MMAP_LENGTH	44
#define MB1_OFF_MMAP_ADDR	48
#define MB1_OFF_LOADER		64
#define MB1_MOD_SIZE		16
#define MB1_MMAP_ENTRY_MIN	20	/* base, length, type; size excludes itself */
#define MB1_MMAP_ENTRY_MAX	4096	/* no bootloader pads entries anywhere near this */

/* Multiboot 2: tags after an 8-byte header, each 8-byte aligned. */
#define MB2_INFO_MAX		(1u << 20)
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_LOADER		2
#define MB2_TAG_MODULE		3
#define MB2_TAG_MEMINFO		4
#define MB2_TAG_MMAP		6
#define MB2_MMAP_ENTRY_MIN	24	/* base, length, type, reserved */

/* A memory map larger than this is garbage; the rest of it is ignored. */
#define MAP_BYTES_MAX		MIB

/* Real-mode memory ends at 640 KiB; mem_lower cannot be more. */
#define LOW_MEM_MAX_KIB		640

/* Where the information is, and how much we said about it. */
struct src {
	phys_reader_fn read;
	void *ctx;
	unsigned logged;	/* messages so far */
	unsigned suppressed;	/* not shown, over LOG_BUDGET */
};

/* Messages per parse: hostile information could otherwise log without end. */
#define LOG_BUDGET		32

static bool may_log(struct src *s)
{
	if (s->logged < LOG_BUDGET) {
		s->logged++;
		return true;
	}
	s->suppressed++;
	return false;
}

#define bwarn(s, ...)	do { if (may_log(s)) mm_warn(__VA_ARGS__); } while (0)
#define binfo(s, ...)	do { if (may_log(s)) mm_info(__VA_ARGS__); } while (0)

/* What mem_lower/mem_upper said, for the fallback when there is no map. */
struct meminfo {
	bool valid;
	uint32_t lower, upper;	/* KiB */
};

static const uint8_t *peek(struct src *s, uint64_t pa, uint64_t len)
{
	if (pa > UINT64_MAX - len)
		return NULL;
	return s->read(pa, len, s->ctx);
}

/* Little-endian fields, read bytewise: the data need not be aligned. */
static bool rd32(struct src *s, uint64_t pa, uint32_t *v)
{
	const uint8_t *p = peek(s, pa, 4);

	if (!p)
		return false;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	     (uint32_t)p[3] << 24;
	return true;
}

static bool rd64(struct src *s, uint64_t pa, uint64_t *v)
{
	uint32_t lo, hi;

	if (!rd32(s, pa, &lo) || !rd32(s, pa + 4, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/*
 * Copy the string at @pa, of which at most @avail bytes belong to it, into
 * @dst of @size bytes. The result is always NUL-terminated; a string that is
 * too long, runs out of @avail or out of readable memory is cut, logged.
 */
static void copy_string(struct src *s, uint64_t pa, uint64_t avail,
			char *dst, size_t size, const char *what)
{
	size_t i = 0;

	for (;;) {
		const uint8_t *p;

		if (i == avail) {
			bwarn(s, "boot: %s at 0x%llx is not NUL-terminated; cut at %zu bytes",
				what, ULL(pa), i);
			break;
		}
		p = peek(s, pa + i, 1);
		if (!p) {
			bwarn(s, "boot: %s at 0x%llx is unreadable after %zu bytes",
				what, ULL(pa), i);
			break;
		}
		if (*p == 0)
			break;
		if (i == size - 1) {
			bwarn(s, "boot: %s at 0x%llx is longer than %zu bytes; truncated",
				what, ULL(pa), i);
			break;
		}
		dst[i++] = (char)*p;
	}
	dst[i] = '\0';
}

static void add_module(struct src *s, struct boot_info *bi, uint32_t start,
		       uint32_t end, uint64_t str_pa, uint64_t str_avail)
{
	struct boot_module *m;

	if (end < start) {
		bwarn(s, "boot: module [0x%x-0x%x) ends before it starts; skipped", start, end);
		return;
	}
	if (bi->nmodules >= BOOT_MODULES_MAX) {
		bwarn(s, "boot: more than %d modules; module [0x%x-0x%x) skipped",
			BOOT_MODULES_MAX, start, end);
		return;
	}
	m = &bi->module[bi->nmodules++];
	m->start = start;
	m->end = end;
	copy_string(s, str_pa, str_avail, m->cmdline, sizeof(m->cmdline),
		    "module command line");
}

/* --- Multiboot 1 ----------------------------------------------------------- */

static void mb1_mods(struct src *s, uint64_t info, struct boot_info *bi)
{
	uint32_t count, addr, i;

	if (!rd32(s, info + MB1_OFF_MODS_COUNT, &count) ||
	    !rd32(s, info + MB1_OFF_MODS_ADDR, &addr)) {
		bwarn(s, "boot: multiboot module fields unreadable");
		return;
	}
	if (count > BOOT_MODULES_MAX)
		bwarn(s, "boot: %u modules; only the first %d are used", count,
			BOOT_MODULES_MAX);
	for (i = 0; i < count && i < BOOT_MODULES_MAX; i++) {
		uint64_t e = (uint64_t)addr + (uint64_t)i * MB1_MOD_SIZE;
		uint32_t start, end, str;

		if (!rd32(s, e, &start) || !rd32(s, e + 4, &end) || !rd32(s, e + 8, &str)) {
			bwarn(s, "boot: module entry %u at 0x%llx unreadable; ignoring the rest",
				i, ULL(e));
			return;
		}
		add_module(s, bi, start, end, str, UINT64_MAX);
	}
}

static void mb1_mmap(struct src *s, uint64_t info, struct boot_info *bi)
{
	uint32_t length, addr, size, type;
	uint64_t p, end, base, len;

	if (!rd32(s, info + MB1_OFF_MMAP_LENGTH, &length) ||
	    !rd32(s, info + MB1_OFF_MMAP_ADDR, &addr)) {
		bwarn(s, "boot: multiboot mmap fields unreadable");
		return;
	}
	if (length > MAP_BYTES_MAX) {
		bwarn(s, "boot: mmap_length %u is absurd; reading %llu bytes of it",
			length, ULL(MAP_BYTES_MAX));
		length = MAP_BYTES_MAX;
	}
	end = (uint64_t)addr + length;
	for (p = addr; p < end; p += 4 + (uint64_t)size) {
		if (!rd32(s, p, &size)) {
			bwarn(s, "boot: mmap entry at 0x%llx unreadable; ignoring the rest", ULL(p));
			return;
		}
		if (size < MB1_MMAP_ENTRY_MIN || size > MB1_MMAP_ENTRY_MAX) {
			bwarn(s, "boot: mmap entry at 0x%llx has size %u; ignoring the rest",
				ULL(p), size);
			return;
		}
		if (4 + (uint64_t)size > end - p) {
			bwarn(s, "boot: mmap entry at 0x%llx (size %u) runs past mmap_length %u; ignored",
				ULL(p), size, length);
			return;
		}
		if (!rd64(s, p + 4, &base) || !rd64(s, p + 12, &len) ||
		    !rd32(s, p + 20, &type)) {
			bwarn(s, "boot: mmap entry at 0x%llx unreadable; ignoring the rest", ULL(p));
			return;
		}
		memmap_add(&bi->map, base, len, type);
	}
}

static int parse_mb1(struct src *s, uint64_t info, struct boot_info *bi,
		     struct meminfo *mi)
{
	uint32_t flags, pa;

	bi->protocol = 1;
	bi->info_start = info;
	bi->info_end = info + MB1_INFO_SIZE;
	if (!rd32(s, info + MB1_OFF_FLAGS, &flags)) {
		mm_err("boot: cannot read the multiboot information at 0x%llx", ULL(info));
		return -1;
	}
	if (flags & MB1_FLAG_MEM) {
		mi->valid = rd32(s, info + MB1_OFF_MEM_LOWER, &mi->lower) &&
			    rd32(s, info + MB1_OFF_MEM_UPPER, &mi->upper);
		if (!mi->valid)
			bwarn(s, "boot: multiboot mem_lower/mem_upper unreadable");
	}
	if (flags & MB1_FLAG_CMDLINE) {
		if (rd32(s, info + MB1_OFF_CMDLINE, &pa))
			copy_string(s, pa, UINT64_MAX, bi->cmdline, sizeof(bi->cmdline),
				    "command line");
		else
			bwarn(s, "boot: multiboot cmdline field unreadable");
	}
	if (flags & MB1_FLAG_LOADER) {
		if (rd32(s, info + MB1_OFF_LOADER, &pa))
			copy_string(s, pa, UINT64_MAX, bi->loader, sizeof(bi->loader),
				    "bootloader name");
		else
			bwarn(s, "boot: multiboot boot_loader_name field unreadable");
	}
	if (flags & MB1_FLAG_MODS)
		mb1_mods(s, info, bi);
	if (flags & MB1_FLAG_MMAP)
		mb1_mmap(s, info, bi);
	return 0;
}

/* --- Multiboot 2 ----------------------------------------------------------- */

static void mb2_mmap(struct src *s, uint64_t tag, uint32_t size,
		     struct boot_info *bi)
{
	uint32_t esize, version, type;
	uint64_t off, base, len;

	if (size < 16 || !rd32(s, tag + 8, &esize) || !rd32(s, tag + 12, &version)) {
		bwarn(s, "boot: memory map tag at 0x%llx too short or unreadable", ULL(tag));
		return;
	}
	if (esize < MB2_MMAP_ENTRY_MIN) {
		bwarn(s, "boot: memory map tag at 0x%llx has entry_size %u; ignored",
			ULL(tag), esize);
		return;
	}
	if (version != 0)
		binfo(s, "boot: memory map entry_version %u; reading it as version 0", version);
	for (off = 16; off + esize <= size; off += esize) {
		if (!rd64(s, tag + off, &base) || !rd64(s, tag + off + 8, &len) ||
		    !rd32(s, tag + off + 16, &type)) {
			bwarn(s, "boot: memory map entry at 0x%llx unreadable; ignoring the rest",
				ULL(tag + off));
			return;
		}
		memmap_add(&bi->map, base, len, type);
	}
	if (off != size)
		binfo(s, "boot: memory map tag at 0x%llx has %llu bytes after its last entry",
			ULL(tag), ULL(size - off));
}

static void mb2_tag(struct src *s, uint64_t tag, uint32_t type, uint32_t size,
		    struct boot_info *bi, struct meminfo *mi)
{
	uint32_t a, b;

	switch (type) {
	case MB2_TAG_CMDLINE:
		copy_string(s, tag + 8, size - 8, bi->cmdline, sizeof(bi->cmdline),
			    "command line");
		break;
	case MB2_TAG_LOADER:
		copy_string(s, tag + 8, size - 8, bi->loader, sizeof(bi->loader),
			    "bootloader name");
		break;
	case MB2_TAG_MODULE:
		if (size < 16 || !rd32(s, tag + 8, &a) || !rd32(s, tag + 12, &b)) {
			bwarn(s, "boot: module tag at 0x%llx too short or unreadable", ULL(tag));
			break;
		}
		add_module(s, bi, a, b, tag + 16, size - 16);
		break;
	case MB2_TAG_MEMINFO:
		if (size < 16 || !rd32(s, tag + 8, &a) || !rd32(s, tag + 12, &b)) {
			bwarn(s, "boot: basic meminfo tag at 0x%llx too short or unreadable",
				ULL(tag));
			break;
		}
		mi->valid = true;
		mi->lower = a;
		mi->upper = b;
		break;
	case MB2_TAG_MMAP:
		mb2_mmap(s, tag, size, bi);
		break;
	default:
		break;	/* framebuffer, ACPI, ...: not ours to read */
	}
}

static int parse_mb2(struct src *s, uint64_t info, struct boot_info *bi,
		     struct meminfo *mi)
{
	uint32_t total, type, size;
	uint64_t off;

	bi->protocol = 2;
	bi->info_start = info;
	bi->info_end = info + 8;
	if (!rd32(s, info, &total)) {
		mm_err("boot: cannot read the multiboot2 information at 0x%llx", ULL(info));
		return -1;
	}
	if (total < 8) {
		bwarn(s, "boot: multiboot2 total_size %u is absurd; no tags", total);
		return 0;
	}
	if (total > MB2_INFO_MAX) {
		bwarn(s, "boot: multiboot2 total_size %u is absurd; reading %u bytes of it",
			total, MB2_INFO_MAX);
		total = MB2_INFO_MAX;
	}
	bi->info_end = info + total;

	for (off = 8; off + 8 <= total; off += ALIGN_UP((uint64_t)size, 8)) {
		if (!rd32(s, info + off, &type) || !rd32(s, info + off + 4, &size)) {
			bwarn(s, "boot: multiboot2 tag at +0x%llx unreadable; ignoring the rest",
				ULL(off));
			return 0;
		}
		if (type == MB2_TAG_END)
			return 0;
		if (size < 8) {
			bwarn(s, "boot: multiboot2 tag %u at +0x%llx has size %u; ignoring the rest",
				type, ULL(off), size);
			return 0;
		}
		if (size > total - off) {
			bwarn(s, "boot: multiboot2 tag %u at +0x%llx (size %u) runs past total_size %u; using its first %llu bytes",
				type, ULL(off), size, total, ULL(total - off));
			mb2_tag(s, info + off, type, (uint32_t)(total - off), bi, mi);
			return 0;
		}
		mb2_tag(s, info + off, type, size, bi, mi);
	}
	bwarn(s, "boot: multiboot2 information has no end tag within total_size %u", total);
	return 0;
}

/* --- Both ------------------------------------------------------------------ */

/* No memory map: describe what mem_lower/mem_upper say is usable. */
static int map_fallback(struct boot_info *bi, const struct meminfo *mi)
{
	uint32_t lower;

	if (!mi->valid) {
		mm_err("boot: no memory map and no mem_lower/mem_upper from the bootloader");
		return -1;
	}
	mm_warn("boot: no memory map from the bootloader; using mem_lower %u KiB, mem_upper %u KiB",
		mi->lower, mi->upper);
	bi->map_from_fallback = true;
	lower = mi->lower;
	if (lower > LOW_MEM_MAX_KIB) {
		mm_warn("boot: mem_lower %u KiB is more than %u KiB; clipped", lower,
			LOW_MEM_MAX_KIB);
		lower = LOW_MEM_MAX_KIB;
	}
	if (lower)
		memmap_add(&bi->map, 0, lower * KIB, MEMMAP_USABLE);
	if (mi->upper)
		memmap_add(&bi->map, MIB, mi->upper * KIB, MEMMAP_USABLE);
	return 0;
}

/**
 * multiboot_parse - read what a multiboot 1 or 2 bootloader handed over
 * @magic: the value the bootloader left in EAX
 * @info_pa: physical address of its information structure (EBX)
 * @read: bounds-checked accessor to physical memory
 * @ctx: passed to @read
 * @bi: filled in; zeroed first, so valid to inspect even on failure
 *
 * Fills in the protocol, command line, bootloader name, modules, the
 * information's own extent and the normalized memory map. Without a memory
 * map (or with one in which no entry was valid) the map is built from
 * mem_lower/mem_upper and @bi->map_from_fallback is set.
 *
 * Returns 0, or negative (with a log) for a wrong magic, unreadable
 * information, no memory information at all, or no usable memory.
 */
int multiboot_parse(uint32_t magic, uint64_t info_pa, phys_reader_fn read,
		    void *ctx, struct boot_info *bi)
{
	struct src s = { read, ctx, 0, 0 };
	struct meminfo mi = { false, 0, 0 };
	int err;

	if (!bi)
		return -1;
	memset(bi, 0, sizeof(*bi));
	memmap_init(&bi->map);
	if (!read) {
		mm_err("boot: no way to read the boot information");
		return -1;
	}
	/* Both protocols put it below 4 GiB; this also keeps our sums from wrapping. */
	if (info_pa >= PHYS_ADDR_LIMIT) {
		mm_err("boot: boot information address 0x%llx is absurd", ULL(info_pa));
		return -1;
	}
	switch (magic) {
	case MULTIBOOT1_BOOT_MAGIC:
		err = parse_mb1(&s, info_pa, bi, &mi);
		break;
	case MULTIBOOT2_BOOT_MAGIC:
		err = parse_mb2(&s, info_pa, bi, &mi);
		break;
	default:
		mm_err("boot: bad magic 0x%x: not started by a multiboot bootloader", magic);
		return -1;
	}
	if (s.suppressed)
		mm_warn("boot: %u further messages about the boot information not shown",
			s.suppressed);
	if (err)
		return err;
	if (bi->map.nraw == 0 && map_fallback(bi, &mi) < 0)
		return -1;
	memmap_normalize(&bi->map);
	if (memmap_bytes(&bi->map, MEMMAP_USABLE) == 0) {
		mm_err("boot: the bootloader's memory information shows no usable memory");
		return -1;
	}
	return 0;
}
