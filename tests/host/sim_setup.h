/* SPDX-License-Identifier: MIT */
/*
 * Setup shared by the host tests and the fuzzers of the memory core:
 * simulated RAM with a PMM on it built from a memory map, frame counting,
 * starving the PMM, quiet logs and the count of reported errors.
 *
 * The first part is plain C, for the fuzzers as well. Included after
 * <cmocka.h>, the header also gives the tests' group fixtures (quiet logs,
 * a panic fails the test, simulated RAM released at the end) and checks.
 */
#ifndef TESTS_HOST_SIM_SETUP_H
#define TESTS_HOST_SIM_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "host/sim.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

#define KiB	(1ull << 10)
#define MiB	(1ull << 20)
#define GiB	(1ull << 30)
#define TiB	(1ull << 40)
#define PG	4096ull

/* --- memory maps and simulated RAM ------------------------------------------------ */

static inline void sim_map_clear(struct memmap *map)
{
	memset(map, 0, sizeof(*map));
}

/* Append [@base, @end) of type @type, as the firmware would list it. */
static inline void sim_map_add(struct memmap *map, phys_addr_t base, phys_addr_t end,
			       uint32_t type)
{
	map->range[map->count++] = (struct memmap_range){ base, end, type };
}

/*
 * Simulated RAM [0, @bytes) and a PMM built from @map: 0 or -1. Without a
 * reserve (pmm_reserve()), so the tests that run memory out frame by frame
 * count every frame; test_pmm tests the reserve itself.
 */
static inline int sim_ram_pmm_init(uint64_t bytes, struct memmap *map)
{
	if (sim_ram_init(bytes))
		return -1;
#ifdef SIM_TEST_HIGHMEM
	/* Built as a high-memory variant: the upper half is reached only through plat_kmap(). */
	sim_set_highmem(ALIGN_DOWN(bytes / 2, (uint64_t)4 << 20));
#endif
	if (pmm_init(map))
		return -1;
	pmm_set_reserve(0);
	return 0;
}

/* Simulated RAM [0, @bytes) with everything above 1 MiB usable, and a PMM on it: 0 or -1. */
static inline int sim_ram_pmm_flat(uint64_t bytes)
{
	static struct memmap map;

	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, bytes, MEMMAP_USABLE);
	return sim_ram_pmm_init(bytes, &map);
}

/*
 * Simulated RAM [0, @bytes) as two NUMA nodes split at @node1 (every CPU on
 * node 0), everything above 1 MiB usable, a PMM on it without a reserve: 0 or -1.
 * (sim_need_ram() first: a 32-bit host build may not fit @bytes.)
 */
static inline int sim_ram_pmm_two_nodes(uint64_t bytes, uint64_t node1)
{
	static struct memmap map;
	static struct pmm_numa numa;

	memset(&numa, 0, sizeof(numa));
	numa.nr_nodes = 2;
	numa.nr_ranges = 2;
	numa.range[0] = (struct pmm_node_range){ 0, node1, 0 };
	numa.range[1] = (struct pmm_node_range){ node1, bytes, 1 };
	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, bytes, MEMMAP_USABLE);
	if (sim_ram_init(bytes) || pmm_init_numa(&map, &numa))
		return -1;
	pmm_set_reserve(0);
	return 0;
}

/* --- counting ------------------------------------------------------------------------ */

static inline uint64_t sim_free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free_frames;
}

/* The PMM's statistics with every per-CPU cache emptied back into the zones first. */
static inline void sim_drained_stats(struct pmm_stats *st)
{
	pmm_drain();
	pmm_get_stats(st);
}

/* Errors reported through the log since the counters were last reset. */
static inline unsigned long sim_errors(void)
{
	return sim_count.log[LOG_ERR];
}

static inline void sim_reset_counts(void)
{
	memset(&sim_count, 0, sizeof(sim_count));
}

/* Print nothing: the tests count reports through sim_count instead. */
static inline void sim_quiet(void)
{
	sim_set_log_level(-1);
}

/* --- memory pressure ---------------------------------------------------------------- */

/*
 * Frames taken from the PMM to starve it: at most @cap frames, in @frame as
 * blocks (the physical address with the block's order in its low bits).
 */
struct sim_hoard {
	phys_addr_t *frame;
	size_t n, cap;
};

#define SIM_HOARD_ORDER	((phys_addr_t)0xff)

/* Give back the last block @h took. */
static inline void sim_hoard_pop(struct sim_hoard *h)
{
	phys_addr_t b = h->frame[--h->n];

	pmm_free_pages(b & ~SIM_HOARD_ORDER, (unsigned)(b & SIM_HOARD_ORDER));
}

/* Give every hoarded frame back. */
static inline void sim_feed(struct sim_hoard *h)
{
	while (h->n)
		sim_hoard_pop(h);
}

/*
 * Leave the PMM @leave free frames: give back what @h holds, take free
 * frames until the PMM or the hoard runs out, then give back @leave of them.
 * Most of the memory goes in large blocks (a starved machine of thousands
 * of frames is a few dozen calls, not thousands), never so many that fewer
 * than @leave free frames would remain; the rest frame by frame, so the
 * frames given back are single ones.
 */
static inline void sim_starve(struct sim_hoard *h, size_t leave)
{
	uint64_t free;
	size_t taken = 0;
	phys_addr_t pa;

	sim_feed(h);
	free = sim_free_frames();
	for (unsigned order = PMM_MAX_ORDER; order > 0; order--) {
		size_t block = (size_t)1 << order;

		while (h->n < h->cap && taken + block <= h->cap && free >= leave + block &&
		       (pa = pmm_alloc_pages(order, 0)) != PMM_NO_FRAME) {
			h->frame[h->n++] = pa | order;
			taken += block;
			free -= block;
		}
	}
	while (h->n < h->cap && taken < h->cap && (pa = pmm_alloc_pages(0, 0)) != PMM_NO_FRAME) {
		h->frame[h->n++] = pa;
		taken++;
	}
	while (h->n && leave >= ((size_t)1 << (h->frame[h->n - 1] & SIM_HOARD_ORDER))) {
		leave -= (size_t)1 << (h->frame[h->n - 1] & SIM_HOARD_ORDER);
		sim_hoard_pop(h);
	}
}

/* --- cmocka fixtures ----------------------------------------------------------------- */

#ifdef CMOCKA_H_

static inline void sim_panic_fails_test(const char *msg)
{
	fail_msg("unexpected panic: %s", msg);
}

/* Group setup: quiet logs, and a panic in the core fails the running test. */
static inline int sim_group_setup(void **state)
{
	(void)state;
	sim_quiet();
	sim_panic_hook = sim_panic_fails_test;
	return 0;
}

/* Group teardown: release the simulated RAM of the last test. */
static inline int sim_group_teardown(void **state)
{
	(void)state;
#ifdef SIM_TEST_HIGHMEM
	if (!sim_kmap_high_total) {
		fprintf(stderr, "high-memory variant: no frame in high memory was ever touched\n");
		sim_ram_fini();
		return -1;
	}
#endif
	sim_ram_fini();
	return 0;
}

/* Per-test setup: each test counts its own reports. */
static inline int sim_test_reset_counts(void **state)
{
	(void)state;
	sim_reset_counts();
	return 0;
}

/* The PMM's database is consistent. */
/* Skip the test (saying why) on a host build that cannot simulate @bytes of RAM. */
static inline void sim_need_ram(uint64_t bytes)
{
	if (bytes > SIM_RAM_MAX) {
		print_message("skipped: %llu MiB of simulated RAM do not fit this build's address space\n",
			      (unsigned long long)(bytes >> 20));
		skip();
	}
}

static inline void sim_expect_clean(void)
{
	assert_int_equal(pmm_check(), 0);
}

/* PMM statistics equal apart from the counters of bad calls and failures. */
static inline void sim_assert_same_stats(const struct pmm_stats *a, const struct pmm_stats *b)
{
	struct pmm_stats x = *a, y = *b;

	x.bad_calls = y.bad_calls = 0;
	x.alloc_failures = y.alloc_failures = 0;
	assert_memory_equal(&x, &y, sizeof(x));
}

#endif /* CMOCKA_H_ */

#endif
