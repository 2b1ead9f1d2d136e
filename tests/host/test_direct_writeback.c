// SPDX-License-Identifier: MIT
/*
 * Direct reclaim writes a bounded batch (mm/reclaim.c, mm/swap.c): with
 * hundreds of pages queued for a disk by another task, a task that
 * reclaims for itself writes as many of them as it wants frames, at most
 * 32 a round (three rounds) however many it wants, and leaves the rest
 * queued; the reclaim thread's pass writes the rest.
 * Pages still queued are found by faults in the swap cache. Every byte,
 * slot and frame is checked at the end.
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
#include "tests/host/swap_test_util.h"
#include "mm/as_internal.h"
#include "mm/lru.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"

#define PRIV		(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define PAGES		400u
#define QUEUED		PAGES	/* all: a direct reclaim finds none of its own to queue */
#define DIRECT_MAX	(3 * 32u)	/* mm/reclaim.c: three rounds of RECLAIM_DIRECT_WRITES */

static uint64_t free0;
static struct proc P;
static struct test_swap TS;
static int type1;

static int before(void **state)
{
	(void)state;
	type1 = swt_setup(64 * MiB, &TS, 8192);
	ts_set_sleeping(&TS, true);
	assert_int_equal(lru_init(), 0);
	free0 = sim_free_frames();
	return 0;
}

static int after(void **state)
{
	(void)state;
	assert_int_equal(lru_check(), 0);
	swt_teardown(&TS, type1, free0);
	return 0;
}

/* @P with PAGES written pages, QUEUED of them unmapped and queued for the disk, none written. */
static uintptr_t queue_pages(void)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	swt_new_proc(&P);
	a = swt_map(&P, PAGES * PG, PRIV);
	swt_fill(&P, a, PAGES, 7);
	assert_int_equal(reclaim_anon_scan(QUEUED, QUEUED, true, PMM_ZONE_ID_HIGHMEM, &fig), 0);
	assert_int_equal(fig.queued, QUEUED);
	assert_int_equal(swap_writeback_pending(), QUEUED);
	assert_int_equal(TS.writes, 0);
	return a;
}

/* The reclaim thread's pass writes what direct reclaim left; then every page is checked. */
static void finish(uintptr_t a, uint64_t queued_total)
{
	reclaim_background();
	assert_int_equal(swap_writeback_pending(), 0);
	assert_int_equal(TS.writes, queued_total);
	assert_int_equal(TS.locked_calls, 0);
	swt_check(&P, a, PAGES, 7);
	as_destroy(&P.as);
}

/* Pages written and still queued: every page queued so far (nothing else writes). */
static uint64_t queued_total(void)
{
	return TS.writes + swap_writeback_pending();
}

/* A task that wants a few frames writes about that many, not the queue. */
static void test_small_want(void **state)
{
	uintptr_t a = queue_pages();
	unsigned long got = reclaim_direct(8);

	(void)state;
	assert_true(got >= 8);
	assert_int_equal(TS.writes, 8);	/* each write freed a frame: eight were enough */
	assert_true(swap_writeback_pending() >= QUEUED - TS.writes);
	assert_true(reclaim_needed());	/* the reclaim thread is wanted for the rest */
	finish(a, queued_total());
}

/* A task that wants many frames still writes at most DIRECT_MAX; faults find the queued pages. */
static void test_large_want(void **state)
{
	uintptr_t a = queue_pages();
	unsigned long got = reclaim_direct(300);
	uint64_t total = queued_total();

	(void)state;
	assert_true(TS.writes <= DIRECT_MAX);
	assert_int_equal(TS.writes, DIRECT_MAX);
	assert_int_equal(got, DIRECT_MAX);
	assert_true(swap_writeback_pending() >= QUEUED - DIRECT_MAX);
	/* A second direct reclaim has its own bound: two batches, not the queue. */
	reclaim_direct(300);
	assert_true(TS.writes <= 2 * DIRECT_MAX);
	total = queued_total();
	/* Every page reads back while most are still queued (their frames come from the swap cache). */
	swt_check(&P, a, PAGES, 7);
	finish(a, total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_want, before, after),
		cmocka_unit_test_setup_teardown(test_large_want, before, after),
	};

	return cmocka_run_group_tests_name("direct reclaim writes a bounded batch", tests,
					   swap_test_group_setup, sim_group_teardown);
}
