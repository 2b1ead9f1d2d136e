/* SPDX-License-Identifier: MIT */
/* Unit tests of the memory map: validation, normalization, carving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/sim.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "tests/host/memmap_check.h"

#define KB	0x400ull
#define MB	0x100000ull
#define GB	0x40000000ull

static struct memmap map;	/* too big for comfort on the stack */

static int setup(void **state)
{
	(void)state;
	memmap_init(&map);
	return 0;
}

static unsigned long nwarn(void)
{
	return sim_count.log[LOG_WARN];
}

static unsigned long ninfo(void)
{
	return sim_count.log[LOG_INFO];
}

#define assert_logged(substr) \
	assert_non_null(strstr(sim_last_log(), (substr)))

#define assert_range(i, b, e, t) do {					\
	assert_true((i) < map.count);					\
	assert_int_equal(map.range[i].base, (b));			\
	assert_int_equal(map.range[i].end, (e));			\
	assert_int_equal(map.range[i].type, (t));			\
} while (0)

/* Normalize and check every invariant the rest of the kernel relies on. */
static void normalize(void)
{
	const char *bad;

	memmap_normalize(&map);
	bad = memmap_check_ranges(&map);
	if (bad)
		fail_msg("%s", bad);
	bad = memmap_check_against_raw(&map);
	if (bad)
		fail_msg("%s", bad);
}

static void check(void)
{
	const char *bad = memmap_check_ranges(&map);

	if (bad)
		fail_msg("%s", bad);
}

/* --- basics ------------------------------------------------------------- */

static void test_init_empty(void **state)
{
	(void)state;
	memset(&map, 0xa5, sizeof(map));
	memmap_init(&map);
	assert_int_equal(map.nraw, 0);
	assert_int_equal(map.count, 0);
	assert_int_equal(map.dropped, 0);
	normalize();
	assert_int_equal(map.count, 0);
	assert_int_equal(memmap_highest_usable(&map), 0);
	assert_int_equal(memmap_bytes(&map, MEMMAP_USABLE), 0);
}

static void test_sorts(void **state)
{
	(void)state;
	assert_int_equal(memmap_add(&map, 8 * MB, 8 * MB, MEMMAP_USABLE), 0);
	assert_int_equal(memmap_add(&map, 0, 0x9f000, MEMMAP_USABLE), 0);
	assert_int_equal(memmap_add(&map, 0xf0000, 0x10000, MEMMAP_RESERVED), 0);
	assert_int_equal(memmap_add(&map, 1 * MB, 4 * MB, MEMMAP_ACPI_NVS), 0);
	normalize();
	assert_int_equal(map.count, 4);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(1, 0xf0000, 1 * MB, MEMMAP_RESERVED);
	assert_range(2, 1 * MB, 5 * MB, MEMMAP_ACPI_NVS);
	assert_range(3, 8 * MB, 16 * MB, MEMMAP_USABLE);
}

static void test_merges_adjacent_same_type(void **state)
{
	(void)state;
	memmap_add(&map, 2 * MB, 2 * MB, MEMMAP_USABLE);
	memmap_add(&map, 0, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 4 * MB, 1 * MB, MEMMAP_RESERVED);
	memmap_add(&map, 5 * MB, 1 * MB, MEMMAP_RESERVED);
	normalize();
	assert_int_equal(map.count, 2);
	assert_range(0, 0, 4 * MB, MEMMAP_USABLE);
	assert_range(1, 4 * MB, 6 * MB, MEMMAP_RESERVED);
}

static void test_keeps_adjacent_different_types(void **state)
{
	(void)state;
	memmap_add(&map, 0, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_ACPI_RECLAIMABLE);
	memmap_add(&map, 2 * MB, 1 * MB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(map.count, 3);
	assert_range(1, 1 * MB, 2 * MB, MEMMAP_ACPI_RECLAIMABLE);
}

static void test_overlap_same_type_merges(void **state)
{
	unsigned long i0 = ninfo(), w0 = nwarn();

	(void)state;
	memmap_add(&map, 0, 3 * MB, MEMMAP_USABLE);
	memmap_add(&map, 2 * MB, 3 * MB, MEMMAP_USABLE);
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_USABLE);	/* duplicate inside */
	normalize();
	assert_int_equal(map.count, 1);
	assert_range(0, 0, 5 * MB, MEMMAP_USABLE);
	assert_int_equal(nwarn(), w0);			/* benign */
	assert_true(ninfo() >= i0 + 2);
}

/* --- overlaps: the non-usable type wins ----------------------------------- */

static void test_overlap_reserved_in_middle(void **state)
{
	unsigned long w0 = nwarn();

	(void)state;
	memmap_add(&map, 0, 16 * MB, MEMMAP_USABLE);
	memmap_add(&map, 4 * MB, 1 * MB, MEMMAP_RESERVED);
	memmap_normalize(&map);
	assert_int_equal(nwarn(), w0 + 1);
	assert_logged("reserved wins");
	assert_logged("[0x400000-0x500000)");
	check();
	assert_int_equal(map.count, 3);
	assert_range(0, 0, 4 * MB, MEMMAP_USABLE);
	assert_range(1, 4 * MB, 5 * MB, MEMMAP_RESERVED);
	assert_range(2, 5 * MB, 16 * MB, MEMMAP_USABLE);
}

static void test_overlap_reserved_at_low_edge(void **state)
{
	(void)state;
	memmap_add(&map, 1 * MB, 15 * MB, MEMMAP_USABLE);
	memmap_add(&map, 0, 2 * MB, MEMMAP_RESERVED);
	normalize();
	assert_int_equal(map.count, 2);
	assert_range(0, 0, 2 * MB, MEMMAP_RESERVED);
	assert_range(1, 2 * MB, 16 * MB, MEMMAP_USABLE);
}

static void test_overlap_reserved_at_high_edge(void **state)
{
	(void)state;
	memmap_add(&map, 0, 16 * MB, MEMMAP_USABLE);
	memmap_add(&map, 15 * MB, 2 * MB, MEMMAP_RESERVED);
	normalize();
	assert_int_equal(map.count, 2);
	assert_range(0, 0, 15 * MB, MEMMAP_USABLE);
	assert_range(1, 15 * MB, 17 * MB, MEMMAP_RESERVED);
}

static void test_overlap_reserved_contains_usable(void **state)
{
	(void)state;
	memmap_add(&map, 4 * MB, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 0, 16 * MB, MEMMAP_RESERVED);
	normalize();
	assert_int_equal(map.count, 1);
	assert_range(0, 0, 16 * MB, MEMMAP_RESERVED);
	assert_int_equal(memmap_highest_usable(&map), 0);
}

static void test_overlap_identical(void **state)
{
	(void)state;
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_RESERVED);
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(map.count, 1);
	assert_range(0, 1 * MB, 2 * MB, MEMMAP_RESERVED);
}

/* Reserved at both edges and in the middle of one usable range, unaligned. */
static void test_overlap_many_unaligned(void **state)
{
	(void)state;
	memmap_add(&map, 0, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 0, 0x100, MEMMAP_RESERVED);
	memmap_add(&map, 0x5080, 0x10, MEMMAP_BAD);
	memmap_add(&map, 0xfff00, 0x100, MEMMAP_ACPI_NVS);
	normalize();
	assert_int_equal(map.count, 5);
	assert_range(0, 0, 0x1000, MEMMAP_RESERVED);
	assert_range(1, 0x1000, 0x5000, MEMMAP_USABLE);
	assert_range(2, 0x5000, 0x6000, MEMMAP_BAD);
	assert_range(3, 0x6000, 0xff000, MEMMAP_USABLE);
	assert_range(4, 0xff000, 1 * MB, MEMMAP_ACPI_NVS);
}

/* Each pair, both orders: the documented precedence. */
static void test_precedence(void **state)
{
	static const uint32_t order[] = {	/* weakest first */
		MEMMAP_USABLE, MEMMAP_ACPI_RECLAIMABLE, 7 /* unknown */,
		MEMMAP_RESERVED, MEMMAP_ACPI_NVS, MEMMAP_KERNEL, MEMMAP_BAD,
	};
	unsigned i, j, flip;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		for (j = i + 1; j < ARRAY_SIZE(order); j++) {
			for (flip = 0; flip < 2; flip++) {
				memmap_init(&map);
				memmap_add(&map, 0, 2 * MB, order[flip ? j : i]);
				memmap_add(&map, 1 * MB, 2 * MB, order[flip ? i : j]);
				normalize();
				assert_int_equal(memmap_check_type_at(&map, 1 * MB), order[j]);
				assert_int_equal(memmap_check_type_at(&map, 2 * MB - 1), order[j]);
			}
		}
	}
}

/* --- validation of raw entries ----------------------------------------- */

static void test_zero_length(void **state)
{
	unsigned long w0 = nwarn();

	(void)state;
	assert_true(memmap_add(&map, 1 * MB, 0, MEMMAP_USABLE) < 0);
	assert_int_equal(nwarn(), w0 + 1);
	assert_logged("zero length");
	assert_logged("0x100000");
	assert_int_equal(map.nraw, 0);
	assert_int_equal(map.dropped, 1);
}

static void test_wrapping(void **state)
{
	(void)state;
	assert_true(memmap_add(&map, 0xfffffffffffff000ull, 0x2000, MEMMAP_USABLE) < 0);
	assert_logged("wraps");
	assert_true(memmap_add(&map, 2, UINT64_MAX, MEMMAP_RESERVED) < 0);
	assert_logged("wraps");
	assert_int_equal(map.nraw, 0);
	assert_int_equal(map.dropped, 2);
}

static void test_beyond_limit(void **state)
{
	(void)state;
	assert_true(memmap_add(&map, PHYS_ADDR_LIMIT, 0x1000, MEMMAP_USABLE) < 0);
	assert_logged("beyond 2^52");
	assert_true(memmap_add(&map, 1ull << 60, 1 * GB, MEMMAP_USABLE) < 0);
	assert_int_equal(map.nraw, 0);
	assert_int_equal(map.dropped, 2);
}

static void test_clipped_at_limit(void **state)
{
	unsigned long w0 = nwarn();

	(void)state;
	assert_int_equal(memmap_add(&map, PHYS_ADDR_LIMIT - 0x2000, 0x10000, MEMMAP_USABLE), 0);
	assert_int_equal(nwarn(), w0 + 1);
	assert_logged("clipped");
	/* Ends exactly at 2^64: not a wrap, clipped too. */
	assert_int_equal(memmap_add(&map, 1, UINT64_MAX, MEMMAP_RESERVED), 0);
	assert_int_equal(map.raw[1].end, PHYS_ADDR_LIMIT);
	assert_int_equal(map.dropped, 0);
	memmap_init(&map);
	assert_int_equal(memmap_add(&map, PHYS_ADDR_LIMIT - 0x2000, 0x10000, MEMMAP_USABLE), 0);
	normalize();
	assert_int_equal(map.count, 1);
	assert_range(0, PHYS_ADDR_LIMIT - 0x2000, PHYS_ADDR_LIMIT, MEMMAP_USABLE);
	assert_int_equal(memmap_highest_usable(&map), PHYS_ADDR_LIMIT);
}

static void test_whole_address_space(void **state)
{
	(void)state;
	assert_int_equal(memmap_add(&map, 0, UINT64_MAX, MEMMAP_USABLE), 0);
	normalize();
	assert_int_equal(map.count, 1);
	assert_range(0, 0, PHYS_ADDR_LIMIT, MEMMAP_USABLE);
}

static void test_unknown_type_kept_as_reserved(void **state)
{
	unsigned long i0 = ninfo();

	(void)state;
	assert_int_equal(memmap_add(&map, 0, 16 * MB, MEMMAP_USABLE), 0);
	assert_int_equal(memmap_add(&map, 4 * MB, 1 * MB, 12), 0);
	assert_int_equal(ninfo(), i0 + 1);
	assert_logged("unknown type 12");
	normalize();
	assert_int_equal(map.count, 3);
	assert_range(1, 4 * MB, 5 * MB, 12);
	assert_int_equal(memmap_bytes(&map, 12), 1 * MB);
	assert_int_equal(memmap_bytes(&map, MEMMAP_USABLE), 15 * MB);
	assert_string_equal(memmap_type_name(12), "unknown");
}

static void test_type_zero_is_reserved(void **state)
{
	unsigned long w0 = nwarn();

	(void)state;
	assert_int_equal(memmap_add(&map, 0, 16 * MB, MEMMAP_USABLE), 0);
	assert_int_equal(memmap_add(&map, 4 * MB, 1 * MB, 0), 0);
	assert_int_equal(nwarn(), w0 + 1);
	assert_logged("type 0");
	normalize();
	assert_range(1, 4 * MB, 5 * MB, MEMMAP_RESERVED);
}

/* --- page alignment ------------------------------------------------------- */

static void test_usable_aligned_inward(void **state)
{
	unsigned long i0 = ninfo();

	(void)state;
	memmap_add(&map, 0x1234, 0x5678 - 0x1234, MEMMAP_USABLE);
	memmap_normalize(&map);
	assert_int_equal(ninfo(), i0 + 1);
	assert_logged("trimmed");
	check();
	assert_int_equal(map.count, 1);
	assert_range(0, 0x2000, 0x5000, MEMMAP_USABLE);
}

static void test_reserved_aligned_outward(void **state)
{
	unsigned long i0 = ninfo();

	(void)state;
	memmap_add(&map, 0x1234, 0x5678 - 0x1234, MEMMAP_RESERVED);
	memmap_normalize(&map);
	assert_int_equal(ninfo(), i0 + 1);
	assert_logged("widened");
	check();
	assert_range(0, 0x1000, 0x6000, MEMMAP_RESERVED);
}

static void test_aligned_input_not_logged(void **state)
{
	unsigned long i0 = ninfo(), w0 = nwarn();

	(void)state;
	memmap_add(&map, 0, 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, 1 * MB, 1 * MB, MEMMAP_RESERVED);
	normalize();
	assert_int_equal(ninfo(), i0);
	assert_int_equal(nwarn(), w0);
}

/* The reserved page 0x9f000 wins over the usable bytes below 0x9fc00. */
static void test_reserved_wins_after_alignment(void **state)
{
	(void)state;
	memmap_add(&map, 0, 0x9fc00, MEMMAP_USABLE);
	memmap_add(&map, 0x9fc00, 0x400, MEMMAP_RESERVED);
	memmap_add(&map, 0xa0000, 0x400, MEMMAP_USABLE);	/* vanishes */
	normalize();
	assert_int_equal(map.count, 2);
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(1, 0x9f000, 0xa0000, MEMMAP_RESERVED);
}

static void test_usable_vanishes(void **state)
{
	unsigned long i0 = ninfo();

	(void)state;
	memmap_add(&map, 0x1100, 0xe00, MEMMAP_USABLE);	/* inside one page */
	memmap_normalize(&map);
	assert_int_equal(map.count, 0);
	assert_int_equal(ninfo(), i0 + 1);
	assert_logged("no whole page");

	memmap_init(&map);
	memmap_add(&map, 0x1800, 0x1000, MEMMAP_USABLE);	/* straddles two */
	normalize();
	assert_int_equal(map.count, 0);
}

/* Non-usable types sharing a page: the stronger one takes all of it. */
static void test_nonusable_share_page(void **state)
{
	(void)state;
	memmap_add(&map, 0x1000, 0x800, MEMMAP_ACPI_NVS);
	memmap_add(&map, 0x1800, 0x1800, MEMMAP_RESERVED);
	memmap_add(&map, 0x3000, 0x10, MEMMAP_ACPI_RECLAIMABLE);
	memmap_add(&map, 0x3010, 0x10000 - 0x3010, MEMMAP_USABLE);
	memmap_normalize(&map);
	check();
	assert_int_equal(map.count, 4);
	assert_range(0, 0x1000, 0x2000, MEMMAP_ACPI_NVS);
	assert_range(1, 0x2000, 0x3000, MEMMAP_RESERVED);
	assert_range(2, 0x3000, 0x4000, MEMMAP_ACPI_RECLAIMABLE);
	assert_range(3, 0x4000, 0x10000, MEMMAP_USABLE);

	memmap_init(&map);
	memmap_add(&map, 0x1000, 0x800, MEMMAP_ACPI_NVS);
	memmap_add(&map, 0x1800, 0x1800, MEMMAP_RESERVED);
	memmap_normalize(&map);
	assert_logged("after page alignment; ACPI NVS wins");
}

/* --- capacity ------------------------------------------------------------- */

static void test_raw_capacity_usable_rejected(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < MEMMAP_MAX_RAW; i++)
		assert_int_equal(memmap_add(&map, i * 2 * MB, 1 * MB, MEMMAP_USABLE), 0);
	assert_true(memmap_add(&map, 1000 * MB, 1 * MB, MEMMAP_USABLE) < 0);
	assert_logged("too many entries");
	assert_int_equal(map.nraw, MEMMAP_MAX_RAW);
	assert_int_equal(map.dropped, 1);
	normalize();
	assert_int_equal(map.count, MEMMAP_MAX_RAW);
	assert_int_equal(memmap_bytes(&map, MEMMAP_USABLE), MEMMAP_MAX_RAW * MB);
}

/* A reservation beyond capacity evicts the smallest usable entry. */
static void test_raw_capacity_reserved_evicts(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < MEMMAP_MAX_RAW; i++)
		memmap_add(&map, i * 2 * MB, i == 5 ? 0x1000 : 1 * MB, MEMMAP_USABLE);
	assert_int_equal(memmap_add(&map, 14 * MB + 0x1000, 0x1000, MEMMAP_RESERVED), 0);
	assert_logged("dropping usable [0xa00000-0xa01000)");
	assert_int_equal(map.nraw, MEMMAP_MAX_RAW);
	assert_int_equal(map.dropped, 1);
	normalize();
	assert_int_equal(memmap_check_type_at(&map, 10 * MB), 0);	/* evicted */
	assert_int_equal(memmap_check_type_at(&map, 14 * MB + 0x1000), MEMMAP_RESERVED);
	assert_int_equal(memmap_check_type_at(&map, 14 * MB), MEMMAP_USABLE);
	assert_int_equal(memmap_check_type_at(&map, 14 * MB + 0x2000), MEMMAP_USABLE);

	/* With no usable entry left to evict, a reservation is refused. */
	memmap_init(&map);
	for (i = 0; i < MEMMAP_MAX_RAW; i++)
		memmap_add(&map, i * 2 * MB, 1 * MB, MEMMAP_RESERVED);
	assert_true(memmap_add(&map, 1000 * MB, 1 * MB, MEMMAP_BAD) < 0);
	assert_int_equal(map.dropped, 1);
}

/* The most fragmented map 128 entries can make: 255 ranges. */
static void fill_fragmented(void)
{
	unsigned i;

	memmap_add(&map, 0, 1024 * MB, MEMMAP_USABLE);
	for (i = 1; i < MEMMAP_MAX_RAW; i++)
		memmap_add(&map, i * 4 * MB, 1 * MB, MEMMAP_RESERVED);
	normalize();
}

static void test_range_capacity(void **state)
{
	(void)state;
	fill_fragmented();
	assert_int_equal(map.count, 2 * MEMMAP_MAX_RAW - 1);
	assert_int_equal(memmap_bytes(&map, MEMMAP_RESERVED), (MEMMAP_MAX_RAW - 1) * MB);
	assert_int_equal(memmap_highest_usable(&map), 1024 * MB);
}

static void test_carve_overflow_leaves_map(void **state)
{
	static struct memmap_range before[MEMMAP_MAX_RANGES];
	unsigned count;

	(void)state;
	fill_fragmented();
	/* Carving the start of a range adds one: it just fits. */
	assert_int_equal(memmap_carve(&map, 0, 1 * MB, MEMMAP_KERNEL), 0);
	count = map.count;
	assert_int_equal(count, MEMMAP_MAX_RANGES);
	/* A split would add two more: refused, the map untouched. */
	memcpy(before, map.range, sizeof(before));
	assert_true(memmap_carve(&map, 6 * MB, 7 * MB, MEMMAP_MODULE) < 0);
	assert_logged("no room");
	assert_int_equal(map.count, count);
	assert_memory_equal(before, map.range, sizeof(before));
	/* Carving that adds no range still works when full. */
	assert_int_equal(memmap_carve(&map, 4 * MB, 5 * MB, MEMMAP_FRAMEDB), 0);
	assert_int_equal(map.count, count);
	assert_int_equal(memmap_carve(&map, 1 * MB, 4 * MB, MEMMAP_KERNEL), 0);
	assert_int_equal(map.count, count - 1);	/* usable [1M,4M) is gone */
	assert_range(0, 0, 4 * MB, MEMMAP_KERNEL);
	assert_range(1, 4 * MB, 5 * MB, MEMMAP_FRAMEDB);
	check();
}

/* --- carving -------------------------------------------------------------- */

/* usable [0,16M), reserved [16M,17M), usable [32M,64M) */
static void simple_map(void)
{
	memmap_add(&map, 0, 16 * MB, MEMMAP_USABLE);
	memmap_add(&map, 16 * MB, 1 * MB, MEMMAP_RESERVED);
	memmap_add(&map, 32 * MB, 32 * MB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(map.count, 3);
}

static void test_carve_middle(void **state)
{
	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 2 * MB, 3 * MB, MEMMAP_KERNEL), 0);
	check();
	assert_int_equal(map.count, 5);
	assert_range(0, 0, 2 * MB, MEMMAP_USABLE);
	assert_range(1, 2 * MB, 3 * MB, MEMMAP_KERNEL);
	assert_range(2, 3 * MB, 16 * MB, MEMMAP_USABLE);
	assert_range(3, 16 * MB, 17 * MB, MEMMAP_RESERVED);
}

static void test_carve_start_and_end(void **state)
{
	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 0, 1 * MB, MEMMAP_BOOTINFO), 0);
	assert_int_equal(memmap_carve(&map, 63 * MB, 64 * MB, MEMMAP_FRAMEDB), 0);
	check();
	assert_int_equal(map.count, 5);
	assert_range(0, 0, 1 * MB, MEMMAP_BOOTINFO);
	assert_range(1, 1 * MB, 16 * MB, MEMMAP_USABLE);
	assert_range(3, 32 * MB, 63 * MB, MEMMAP_USABLE);
	assert_range(4, 63 * MB, 64 * MB, MEMMAP_FRAMEDB);
}

static void test_carve_whole_range(void **state)
{
	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 32 * MB, 64 * MB, MEMMAP_MODULE), 0);
	check();
	assert_int_equal(map.count, 3);
	assert_range(2, 32 * MB, 64 * MB, MEMMAP_MODULE);
	assert_int_equal(memmap_highest_usable(&map), 16 * MB);
}

static void test_carve_across_ranges(void **state)
{
	unsigned long w0 = nwarn();

	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 15 * MB, 40 * MB, MEMMAP_KERNEL), 0);
	assert_int_equal(nwarn(), w0 + 1);	/* it overrode reserved memory */
	assert_logged("overlaps reserved memory");
	check();
	assert_int_equal(map.count, 3);
	assert_range(0, 0, 15 * MB, MEMMAP_USABLE);
	assert_range(1, 15 * MB, 40 * MB, MEMMAP_KERNEL);
	assert_range(2, 40 * MB, 64 * MB, MEMMAP_USABLE);
}

static void test_carve_in_gap_and_outside(void **state)
{
	unsigned long i0 = ninfo();

	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 20 * MB, 21 * MB, MEMMAP_MODULE), 0);
	assert_int_equal(ninfo(), i0 + 1);
	assert_logged("outside the memory map");
	assert_int_equal(memmap_carve(&map, 100 * MB, 101 * MB, MEMMAP_MODULE), 0);
	check();
	assert_int_equal(map.count, 5);
	assert_range(2, 20 * MB, 21 * MB, MEMMAP_MODULE);
	assert_range(3, 32 * MB, 64 * MB, MEMMAP_USABLE);
	assert_range(4, 100 * MB, 101 * MB, MEMMAP_MODULE);
	assert_int_equal(memmap_bytes(&map, MEMMAP_MODULE), 2 * MB);

	memmap_init(&map);
	memmap_add(&map, 16 * MB, 16 * MB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(memmap_carve(&map, 0, 0x1000, MEMMAP_BOOTINFO), 0);	/* before all */
	assert_range(0, 0, 0x1000, MEMMAP_BOOTINFO);
	assert_range(1, 16 * MB, 32 * MB, MEMMAP_USABLE);
}

static void test_carve_empty_map(void **state)
{
	(void)state;
	normalize();
	assert_int_equal(memmap_carve(&map, 0x1000, 0x2000, MEMMAP_KERNEL), 0);
	assert_int_equal(map.count, 1);
	assert_range(0, 0x1000, 0x2000, MEMMAP_KERNEL);
}

static void test_carve_unaligned_widened(void **state)
{
	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 0x100123, 0x180001, MEMMAP_KERNEL), 0);
	check();
	assert_range(1, 0x100000, 0x181000, MEMMAP_KERNEL);
	assert_range(2, 0x181000, 16 * MB, MEMMAP_USABLE);
}

static void test_carve_merges_neighbours(void **state)
{
	(void)state;
	simple_map();
	assert_int_equal(memmap_carve(&map, 1 * MB, 2 * MB, MEMMAP_KERNEL), 0);
	assert_int_equal(memmap_carve(&map, 3 * MB, 4 * MB, MEMMAP_KERNEL), 0);
	assert_int_equal(map.count, 7);
	assert_int_equal(memmap_carve(&map, 2 * MB, 3 * MB, MEMMAP_KERNEL), 0);
	check();
	assert_int_equal(map.count, 5);
	assert_range(1, 1 * MB, 4 * MB, MEMMAP_KERNEL);
	/* A module straddling the kernel's last page takes that page. */
	assert_int_equal(memmap_carve(&map, 4 * MB - 0x800, 5 * MB, MEMMAP_MODULE), 0);
	check();
	assert_range(1, 1 * MB, 4 * MB - 0x1000, MEMMAP_KERNEL);
	assert_range(2, 4 * MB - 0x1000, 5 * MB, MEMMAP_MODULE);
}

static void test_carve_bad_args(void **state)
{
	(void)state;
	simple_map();
	assert_true(memmap_carve(&map, 2 * MB, 2 * MB, MEMMAP_KERNEL) < 0);
	assert_logged("cannot carve");
	assert_true(memmap_carve(&map, 3 * MB, 2 * MB, MEMMAP_KERNEL) < 0);
	assert_true(memmap_carve(&map, 2 * MB, 3 * MB, MEMMAP_USABLE) < 0);
	assert_true(memmap_carve(&map, 2 * MB, 3 * MB, 0) < 0);
	assert_true(memmap_carve(&map, PHYS_ADDR_LIMIT, UINT64_MAX, MEMMAP_KERNEL) < 0);
	assert_int_equal(map.count, 3);
	/* Crossing the limit: clipped. */
	assert_int_equal(memmap_carve(&map, PHYS_ADDR_LIMIT - 0x1000, UINT64_MAX,
				      MEMMAP_KERNEL), 0);
	assert_range(3, PHYS_ADDR_LIMIT - 0x1000, PHYS_ADDR_LIMIT, MEMMAP_KERNEL);
	check();
}

/* --- queries -------------------------------------------------------------- */

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(memmap_type_name(MEMMAP_USABLE), "usable");
	assert_string_equal(memmap_type_name(MEMMAP_RESERVED), "reserved");
	assert_string_equal(memmap_type_name(MEMMAP_ACPI_RECLAIMABLE), "ACPI reclaimable");
	assert_string_equal(memmap_type_name(MEMMAP_ACPI_NVS), "ACPI NVS");
	assert_string_equal(memmap_type_name(MEMMAP_BAD), "bad");
	assert_string_equal(memmap_type_name(MEMMAP_KERNEL), "kernel");
	assert_string_equal(memmap_type_name(MEMMAP_MODULE), "module");
	assert_string_equal(memmap_type_name(MEMMAP_BOOTINFO), "bootinfo");
	assert_string_equal(memmap_type_name(MEMMAP_FRAMEDB), "framedb");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_string_equal(memmap_type_name(0xffffffffu), "unknown");
}

/* --- maps as QEMU's firmware gives them ------------------------------------- */

static void add_qemu_low(phys_addr_t top_below_4g)
{
	memmap_add(&map, 0, 0x9fc00, MEMMAP_USABLE);
	memmap_add(&map, 0x9fc00, 0x400, MEMMAP_RESERVED);
	memmap_add(&map, 0xf0000, 0x10000, MEMMAP_RESERVED);
	memmap_add(&map, 1 * MB, top_below_4g - 0x20000 - 1 * MB, MEMMAP_USABLE);
	memmap_add(&map, top_below_4g - 0x20000, 0x20000, MEMMAP_RESERVED);
	memmap_add(&map, 0xfffc0000, 0x40000, MEMMAP_RESERVED);
}

static void check_qemu_low(phys_addr_t top_below_4g)
{
	assert_range(0, 0, 0x9f000, MEMMAP_USABLE);
	assert_range(1, 0x9f000, 0xa0000, MEMMAP_RESERVED);
	assert_range(2, 0xf0000, 1 * MB, MEMMAP_RESERVED);
	assert_range(3, 1 * MB, top_below_4g - 0x20000, MEMMAP_USABLE);
	assert_range(4, top_below_4g - 0x20000, top_below_4g, MEMMAP_RESERVED);
	assert_range(5, 0xfffc0000, 4 * GB, MEMMAP_RESERVED);
}

static void test_qemu_32m(void **state)
{
	(void)state;
	add_qemu_low(32 * MB);
	normalize();
	assert_int_equal(map.count, 6);
	check_qemu_low(32 * MB);
	assert_int_equal(memmap_bytes(&map, MEMMAP_USABLE),
			 0x9f000 + 32 * MB - 0x20000 - 1 * MB);
	assert_int_equal(memmap_highest_usable(&map), 32 * MB - 0x20000);
}

static void test_qemu_4g(void **state)
{
	(void)state;
	add_qemu_low(3 * GB);
	memmap_add(&map, 4 * GB, 1 * GB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(map.count, 7);
	check_qemu_low(3 * GB);
	assert_range(6, 4 * GB, 5 * GB, MEMMAP_USABLE);
	assert_int_equal(memmap_highest_usable(&map), 5 * GB);
}

static void test_qemu_6g(void **state)
{
	(void)state;
	add_qemu_low(3 * GB);
	memmap_add(&map, 4 * GB, 3 * GB, MEMMAP_USABLE);
	normalize();
	assert_int_equal(map.count, 7);
	check_qemu_low(3 * GB);
	assert_range(6, 4 * GB, 7 * GB, MEMMAP_USABLE);
	assert_int_equal(memmap_highest_usable(&map), 7 * GB);
	assert_int_equal(memmap_bytes(&map, MEMMAP_USABLE),
			 0x9f000 + (3 * GB - 0x20000 - 1 * MB) + 3 * GB);
	/* The kernel then carves its image and the frame database. */
	assert_int_equal(memmap_carve(&map, 1 * MB, 0x1a3456, MEMMAP_KERNEL), 0);
	assert_int_equal(memmap_carve(&map, 4 * GB, 4 * GB + 0x600000, MEMMAP_FRAMEDB), 0);
	check();
	assert_range(3, 1 * MB, 0x1a4000, MEMMAP_KERNEL);
	assert_range(4, 0x1a4000, 3 * GB - 0x20000, MEMMAP_USABLE);
	assert_range(7, 4 * GB, 4 * GB + 0x600000, MEMMAP_FRAMEDB);
	assert_range(8, 4 * GB + 0x600000, 7 * GB, MEMMAP_USABLE);
}

/* --- robustness --------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Addresses that collide often: few distinct values, some unaligned. */
static uint64_t rnd_addr(void)
{
	switch (rnd() % 4) {
	case 0:
		return (rnd() % 64) * 0x800;
	case 1:
		return (rnd() % 64) * 0x1000 + rnd() % 3;
	case 2:
		return rnd() % (1ull << 53);
	default:
		return rnd();
	}
}

static void test_random_maps_keep_invariants(void **state)
{
	static const uint32_t types[] = { 0, 1, 1, 1, 2, 3, 4, 5, 9, 16, 17 };
	unsigned iter, i, n;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		memmap_init(&map);
		n = rnd() % (MEMMAP_MAX_RAW + 20);
		for (i = 0; i < n; i++) {
			uint64_t base = rnd_addr(), len = rnd_addr();

			memmap_add(&map, base, len, types[rnd() % ARRAY_SIZE(types)]);
		}
		normalize();
		for (i = 0; i < 4; i++) {
			uint64_t base = rnd_addr();

			if (memmap_carve(&map, base, base + rnd() % (4 * MB) + 1,
					 MEMMAP_KERNEL + rnd() % 4) == 0)
				assert_int_equal(memmap_check_type_at(&map, MM_MIN(base,
						 PHYS_ADDR_LIMIT - 1)) >= MEMMAP_KERNEL, 1);
			check();
			if (memmap_check_against_raw(&map))
				fail_msg("%s", memmap_check_against_raw(&map));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_empty, setup),
		cmocka_unit_test_setup(test_sorts, setup),
		cmocka_unit_test_setup(test_merges_adjacent_same_type, setup),
		cmocka_unit_test_setup(test_keeps_adjacent_different_types, setup),
		cmocka_unit_test_setup(test_overlap_same_type_merges, setup),
		cmocka_unit_test_setup(test_overlap_reserved_in_middle, setup),
		cmocka_unit_test_setup(test_overlap_reserved_at_low_edge, setup),
		cmocka_unit_test_setup(test_overlap_reserved_at_high_edge, setup),
		cmocka_unit_test_setup(test_overlap_reserved_contains_usable, setup),
		cmocka_unit_test_setup(test_overlap_identical, setup),
		cmocka_unit_test_setup(test_overlap_many_unaligned, setup),
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_zero_length, setup),
		cmocka_unit_test_setup(test_wrapping, setup),
		cmocka_unit_test_setup(test_beyond_limit, setup),
		cmocka_unit_test_setup(test_clipped_at_limit, setup),
		cmocka_unit_test_setup(test_whole_address_space, setup),
		cmocka_unit_test_setup(test_unknown_type_kept_as_reserved, setup),
		cmocka_unit_test_setup(test_type_zero_is_reserved, setup),
		cmocka_unit_test_setup(test_usable_aligned_inward, setup),
		cmocka_unit_test_setup(test_reserved_aligned_outward, setup),
		cmocka_unit_test_setup(test_aligned_input_not_logged, setup),
		cmocka_unit_test_setup(test_reserved_wins_after_alignment, setup),
		cmocka_unit_test_setup(test_usable_vanishes, setup),
		cmocka_unit_test_setup(test_nonusable_share_page, setup),
		cmocka_unit_test_setup(test_raw_capacity_usable_rejected, setup),
		cmocka_unit_test_setup(test_raw_capacity_reserved_evicts, setup),
		cmocka_unit_test_setup(test_range_capacity, setup),
		cmocka_unit_test_setup(test_carve_overflow_leaves_map, setup),
		cmocka_unit_test_setup(test_carve_middle, setup),
		cmocka_unit_test_setup(test_carve_start_and_end, setup),
		cmocka_unit_test_setup(test_carve_whole_range, setup),
		cmocka_unit_test_setup(test_carve_across_ranges, setup),
		cmocka_unit_test_setup(test_carve_in_gap_and_outside, setup),
		cmocka_unit_test_setup(test_carve_empty_map, setup),
		cmocka_unit_test_setup(test_carve_unaligned_widened, setup),
		cmocka_unit_test_setup(test_carve_merges_neighbours, setup),
		cmocka_unit_test_setup(test_carve_bad_args, setup),
		cmocka_unit_test_setup(test_type_names, setup),
		cmocka_unit_test_setup(test_qemu_32m, setup),
		cmocka_unit_test_setup(test_qemu_4g, setup),
		cmocka_unit_test_setup(test_qemu_6g, setup),
		cmocka_unit_test_setup(test_random_maps_keep_invariants, setup),
	};

	sim_set_log_level(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
