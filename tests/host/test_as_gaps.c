// SPDX-License-Identifier: MIT
/*
 * The free-area index (mm/as_gaps.c): thousands of random mmap, munmap,
 * mprotect, MAP_FIXED and growsdown mappings, each placement compared with
 * a plain walk over the regions (Linux's top-down rule, then bottom-up),
 * and the index checked against the regions after every step (as_check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define MAXR	4096

struct span {
	uintptr_t start, end;
	bool growsdown;
};

static struct span spans[MAXR];
static unsigned nspans;

static int collect(const struct as_region_info *ri, void *ctx)
{
	(void)ctx;
	if (nspans < MAXR)
		spans[nspans++] = (struct span){ ri->start, ri->end, ri->flags & AS_R_GROWSDOWN };
	return 0;
}

static uintptr_t start_gap(const struct span *s)
{
	if (!s->growsdown)
		return s->start;
	return s->start > AS_STACK_GUARD_GAP ? s->start - AS_STACK_GUARD_GAP : 0;
}

/* Where mmap(NULL, len) must go: the highest room below mmap_base, else the lowest above a third. */
static uintptr_t reference(struct as *as, uint64_t len)
{
	uintptr_t low = AS_MMAP_MIN_ADDR, high = as->mmap_base;

	nspans = 0;
	as_for_each_region(as, collect, NULL);
	for (unsigned j = nspans + 1; j-- > 0;) {
		uintptr_t lo = j ? spans[j - 1].end : 0, hi = j < nspans ? start_gap(&spans[j]) : AS_TASK_SIZE;
		lo = lo > low ? lo : low;
		hi = hi < high ? hi : high;
		if (hi > lo && hi - lo >= len)
			return hi - len;
	}
	low = (AS_TASK_SIZE / 3 + 4095) & ~4095ull;
	high = AS_TASK_SIZE;
	for (unsigned j = 0; j <= nspans; j++) {
		uintptr_t lo = j ? spans[j - 1].end : 0, hi = j < nspans ? start_gap(&spans[j]) : AS_TASK_SIZE;
		lo = lo > low ? lo : low;
		hi = hi < high ? hi : high;
		if (hi > lo && hi - lo >= len)
			return lo;
	}
	return 0;
}

static uint64_t rng = 12345;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_placement_matches_a_walk(void **state)
{
	struct as as;
	uintptr_t live[256];
	uint64_t size[256];
	unsigned nlive = 0, mismatches = 0, bad = 0;

	(void)state;
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	uint64_t free0 = sim_free_frames();
	assert_int_equal(as_init(&as, NULL), 0);
	for (unsigned step = 0; step < 6000; step++) {
		uint64_t r = next() % 100;
		if (r < 45 || nlive == 0) {
			uint64_t len = (1 + next() % 64) * PG;
			unsigned long flags = ANON | ((next() % 16) == 0 ? MM_MAP_GROWSDOWN : 0);
			uintptr_t want = reference(&as, len);
			long a = as_mmap(&as, 0, len, (next() & 1) ? RW : MM_PROT_NONE, flags, NULL, 0);
			mismatches += (uintptr_t)a != want;
			if (!as_is_err(a) && nlive < 256) {
				live[nlive] = (uintptr_t)a;
				size[nlive++] = len;
			}
		} else if (r < 75) {
			unsigned k = (unsigned)(next() % nlive);
			uint64_t pages = size[k] / PG, off = next() % pages, n = 1 + next() % (pages - off);
			as_munmap(&as, live[k] + off * PG, n * PG);
			if (off == 0 && n == pages)
				live[k] = live[--nlive], size[k] = size[nlive];
		} else if (r < 90) {
			unsigned k = (unsigned)(next() % nlive);
			uint64_t pages = size[k] / PG, off = next() % pages;
			as_mprotect(&as, live[k] + off * PG, PG, (next() & 1) ? RW : MM_PROT_READ);
		} else {
			unsigned k = (unsigned)(next() % nlive);
			uint64_t pages = size[k] / PG, off = next() % pages;
			as_mmap(&as, live[k] + off * PG, PG, RW, ANON | MM_MAP_FIXED, NULL, 0);
		}
		bad += as_check(&as);
	}
	assert_int_equal(mismatches, 0);
	assert_int_equal(bad, 0);
	assert_true(as.nr > 50);	/* the index was exercised with many regions */
	as_destroy(&as);
	assert_int_equal(sim_free_frames(), free0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placement_matches_a_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
