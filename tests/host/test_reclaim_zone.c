// SPDX-License-Identifier: MIT
/*
 * Reclaim for a zone (Linux's reclaim_idx), on a machine with high memory
 * (a 32-bit kernel's: the upper half of simulated RAM is ZONE_HIGHMEM). A
 * process fills RAM: its oldest pages, at the tail of the LRU lists, are in
 * high memory, newer ones fell back to low memory. A request for low memory
 * (a kernel frame, a heap slab) that finds none reclaims only frames of low
 * memory: freeing high memory would not serve it, and the request would
 * fail however much was swapped. The background pass, with only low memory
 * short, swaps out no page of high memory either. The process's bytes
 * survive, and every frame and slot comes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define SIM_TEST_HIGHMEM 1
#include "tests/host/as_test_util.h"
#include "tests/host/swap_test_util.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/lru.h"
#include "mm/reclaim.h"
#include "mm/swap.h"

#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define OBJ	2048		/* a heap object: a new slab every few */
#define OLD	4096		/* the first region's pages: the oldest, in high memory */
#define GAP	512		/* of them unmapped, to give high memory free frames */

static struct proc P;
static struct test_swap TS;
static int type;
static uint64_t free0;
static uintptr_t old_base, new_base;
static unsigned new_pages;

static uint64_t zone_free(enum pmm_zone zi)
{
	uint64_t managed;

	pmm_drain();
	return pmm_zone_free(zi, &managed);
}

/* The zone of low memory above DMA: by address, DMA32 (below 4 GiB) here. */
static enum pmm_zone low_zone(void)
{
	uint64_t managed;

	pmm_zone_free(PMM_ZONE_ID_DMA32, &managed);
	return managed ? PMM_ZONE_ID_DMA32 : PMM_ZONE_ID_NORMAL;
}

/* Free frames of low memory: every zone a kernel request may use. */
static uint64_t low_free(void)
{
	uint64_t n = 0;

	for (unsigned zi = 0; zi <= PMM_ZONE_ID_NORMAL; zi++)
		n += zone_free((enum pmm_zone)zi);
	return n;
}

/*
 * 48 MiB of RAM, the upper 24 in high memory (zones DMA, then DMA32 from
 * 16 MiB - by address, the low memory a 32-bit kernel calls Normal - and
 * HighMem from 24 MiB), swap for more than that. A region of OLD pages
 * written first, then one as large as what is left: RAM full.
 */
static int before(void **state)
{
	(void)state;
	type = swt_setup(48 * MiB, &TS, 16384);
	assert_int_equal(lru_init(), 0);	/* the LRU lists: without them each space's clock stands in */
	heap_pages_kernel.arena_hi = 0;		/* new simulated RAM: initialised again */
	free0 = sim_free_frames();
	assert_true(zone_free(low_zone()) > 0);
	assert_true(zone_free(PMM_ZONE_ID_HIGHMEM) > OLD);
	swt_new_proc(&P);
	old_base = swt_map(&P, (uint64_t)OLD * PG, ANON);
	swt_fill(&P, old_base, OLD, 1);
	new_pages = (unsigned)(free0 - OLD);
	new_base = swt_map(&P, (uint64_t)new_pages * PG, ANON);
	swt_fill(&P, new_base, new_pages, 1);
	return 0;
}

static int after(void **state)
{
	(void)state;
	pmm_set_reclaim(NULL);
	swt_check(&P, old_base, OLD - GAP, 1);
	swt_check(&P, new_base, new_pages, 1);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	swt_teardown(&TS, type, free0);
	return 0;
}

/* Take every free frame without reclaiming for it; give back those of zones above @keep_top. */
static void hoard(struct vm_eaten *e, enum pmm_zone keep_top)
{
	bool marked = plat_reclaim_begin();
	size_t kept = 0;

	assert_true(marked);
	vm_eat(e, 0);
	plat_reclaim_end();
	for (size_t i = 0; i < e->n; i++) {
		if (pmm_frame_zone(e->frame[i]) > keep_top)
			pmm_free_pages(e->frame[i], 0);
		else
			e->frame[kept++] = e->frame[i];
	}
	e->n = kept;
	assert_int_equal(low_free(), 0);
}

/* RAM was full: some pages went to swap; the oldest resident ones are in high memory. */
static void old_pages_in_highmem(void)
{
	struct as_stats st;

	as_get_stats(&P.as, &st);
	assert_true(st.swap > 0);
	assert_true(st.rss > OLD);
}

/* Low-memory requests with only high memory on the LRU tail: low frames are reclaimed. */
static void test_lowmem_request_reclaims_lowmem(void **state)
{
	struct vm_eaten eat = { 0 };
	struct heap *h;
	static void *obj[4096];
	uint64_t high0, swapped0;
	unsigned n = 0;
	phys_addr_t pa;

	(void)state;
	old_pages_in_highmem();
	pmm_set_reclaim(reclaim_for_alloc);
	h = heap_create(&heap_pages_kernel, 0);	/* low memory is full: this reclaims already */
	assert_non_null(h);
	hoard(&eat, PMM_ZONE_ID_HIGHMEM);
	high0 = zone_free(PMM_ZONE_ID_HIGHMEM);
	swapped0 = P.as.swapents;

	pa = pmm_alloc_pages(0, 0);		/* a kernel frame: low memory only */
	assert_int_not_equal(pa, PMM_NO_FRAME);
	assert_true(pmm_frame_zone(pa) <= PMM_ZONE_ID_NORMAL);
	assert_true(P.as.swapents > swapped0);
	/* Nothing in high memory was given up for it. */
	assert_int_equal(zone_free(PMM_ZONE_ID_HIGHMEM), high0);

	/* Heap slabs (kernel pages, low memory) the same way, through the slab's retry. */
	while (n < 64 && (obj[n] = heap_alloc(h, OBJ)))
		n++;
	assert_int_equal(n, 64);
	assert_int_equal(zone_free(PMM_ZONE_ID_HIGHMEM), high0);

	pmm_free_pages(pa, 0);
	while (n)
		heap_free(h, obj[--n]);
	heap_destroy(h);
	vm_uneat(&eat);
}

/*
 * Low memory short, high memory above its high watermark: the background
 * pass lifts low memory and leaves high memory's pages where they are.
 */
static void test_background_lowmem_only(void **state)
{
	struct vm_eaten eat = { 0 };
	struct reclaim_wmark w;
	uint64_t high0, swapped0;

	(void)state;
	old_pages_in_highmem();
	assert_int_equal(as_munmap(&P.as, old_base + (uintptr_t)(OLD - GAP) * PG,
				   (uint64_t)GAP * PG), 0);
	hoard(&eat, PMM_ZONE_ID_NORMAL);	/* low memory full, high memory's frames back */
	reclaim_watermarks(PMM_ZONE_ID_HIGHMEM, &w);
	assert_true(w.free >= w.high);
	reclaim_watermarks(low_zone(), &w);
	assert_true(w.free < w.min);
	high0 = zone_free(PMM_ZONE_ID_HIGHMEM);
	swapped0 = P.as.swapents;

	unsigned long bg = reclaim_background();

	print_message("background pass: %lu freed; high memory free %llu -> %llu\n", bg,
		      (unsigned long long)high0, (unsigned long long)zone_free(PMM_ZONE_ID_HIGHMEM));
	assert_true(bg > 0);
	reclaim_watermarks(low_zone(), &w);
	assert_true(w.free >= w.high);
	assert_true(P.as.swapents > swapped0);
	assert_true(zone_free(PMM_ZONE_ID_HIGHMEM) <= high0);	/* no page of high memory swapped */
	vm_uneat(&eat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lowmem_request_reclaims_lowmem, before, after),
		cmocka_unit_test_setup_teardown(test_background_lowmem_only, before, after),
	};

	return cmocka_run_group_tests_name("reclaim for a zone", tests, swap_test_group_setup,
					   sim_group_teardown);
}
