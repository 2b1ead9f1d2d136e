// SPDX-License-Identifier: MIT
/*
 * Swap: entries in page tables of all three formats, slots and the swap
 * cache, MADV_PAGEOUT and faulting back, fork of a half-swapped process
 * with copy-on-write in both directions, a page shared by two processes
 * read back once, munmap/mremap/mprotect/mincore on swapped ranges,
 * fallback to a second area, swapoff, read errors, and a working set of
 * 1.5 times RAM through direct reclaim, with every frame and slot back.
 * Every test runs twice: with a backend written under the space's locks
 * (an in-RAM store) and with one that may sleep (a disk), which must be
 * called with no lock held; for the latter, faults, unmaps and reads of
 * other processes happen while its I/O runs.
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
#include "host/heap_pages_mmap.h"
#include "mm/heap.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)

static uint64_t free0;
static struct proc P, C;
static struct test_swap TS, TS2;
static int type1, type2 = -1;
static bool sleeping;		/* this round's backend may sleep */

/* The sleeping backend's check: no space of the test is locked. */
static bool spaces_unlocked(void)
{
	return P.as.lock.state == 0 && C.as.lock.state == 0;
}

static int before_ram(uint64_t ram, uint32_t slots)
{
	type1 = swt_setup(ram, &TS, slots);
	ts_set_sleeping(&TS, sleeping);
	TS.unlocked = spaces_unlocked;
	free0 = sim_free_frames();
	return 0;
}

static int before(void **state)
{
	(void)state;
	return before_ram(64 * MiB, 4096);
}

static int after(void **state)
{
	(void)state;
	if (type2 >= 0) {
		assert_int_equal(swap_area_remove(type2), 0);
		test_swap_fini(&TS2);
		type2 = -1;
	}
	assert_int_equal(TS.locked_calls, 0);
	swt_teardown(&TS, type1, free0);
	return 0;
}

static uintptr_t map(struct proc *p, uint64_t len)
{
	return swt_map(p, len, ANON);
}

/* A new process @p with @pages pages mapped and filled (generation 1): their address. */
static uintptr_t filled_proc(struct proc *p, unsigned pages)
{
	uintptr_t a;

	swt_new_proc(p);
	a = map(p, pages * PG);
	swt_fill(p, a, pages, 1);
	return a;
}

/* Swap entries in every format: set, found, counted by the table, released on unmap. */
static uint64_t released_val;
static unsigned released_swaps;

static void note_release(phys_addr_t pa, uint64_t size, void *ctx)
{
	(void)ctx;
	if (size == PT_SIZE_SWAP) {
		released_val = pa;
		released_swaps++;
	}
}

static void test_entries_all_formats(void **state)
{
	const struct pt_format *fmts[] = { &pt_format_x86_64, &pt_format_i386, &pt_format_i386_pae };

	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(fmts); k++) {
		struct pt_space s;
		uintptr_t va = 0x400000;
		phys_addr_t pa;
		uint32_t vals[] = { 0, 1, 0x3fffffff, 0x12345678 & 0x3fffffff };
		unsigned prot;
		uint32_t got;

		if (sizeof(uintptr_t) == 4 && fmts[k] == &pt_format_x86_64)
			continue;
		pa = pmm_alloc_pages(0, PMM_ZERO);
		assert_int_equal(pt_space_init(&s, fmts[k]), 0);
		for (unsigned v = 0; v < ARRAY_SIZE(vals); v++) {
			assert_int_equal(pt_map(&s, va, pa, PG, PT_WRITE | PT_USER | PT_DIRTY, 0), 0);
			assert_int_equal(pt_swp_out(&s, va, pa + PG, vals[v], &prot), -MM_EAGAIN);
			assert_int_equal(pt_swp_out(&s, va, pa, vals[v], &prot), 0);
			assert_true(prot & PT_DIRTY);
			assert_false(pt_translate(&s, va, NULL, NULL, NULL));
			assert_true(pt_swp_lookup(&s, va, &got));
			assert_int_equal(got, vals[v]);
			assert_int_equal(pt_check(&s), 0);
			assert_int_equal(pt_map(&s, va, pa, PG, PT_USER, 0), -MM_EEXIST);
			assert_int_equal(pt_clear_young(&s, va), -MM_ENOENT);
			assert_int_equal(pt_swp_in(&s, va, vals[v] ^ 1, pa, PT_USER), -MM_EAGAIN);
			assert_int_equal(pt_swp_in(&s, va, vals[v], pa, PT_USER | PT_ACCESSED), 0);
			assert_int_equal(pt_clear_young(&s, va), 1);
			assert_int_equal(pt_clear_young(&s, va), 0);
			assert_int_equal(pt_swp_out(&s, va, pa, vals[v], &prot), 0);
			/* Moved elsewhere (mremap), then unmapped: the release sees both. */
			assert_int_equal(pt_swp_set(&s, va + 0x40000000u, vals[v]), 0);
			assert_int_equal(pt_swp_set(&s, va + 0x40000000u, vals[v]), -MM_EEXIST);
			assert_int_equal(pt_check(&s), 0);
			released_swaps = 0;
			assert_int_equal(pt_unmap(&s, va, PG, note_release, NULL), 0);
			assert_int_equal(pt_unmap(&s, va + 0x40000000u, PG, note_release, NULL), 0);
			assert_int_equal(released_swaps, 2);
			assert_int_equal(released_val, vals[v]);
			assert_int_equal(s.table_pages, 1);	/* emptied tables freed */
		}
		pt_space_destroy(&s);
		pmm_put(pa);
	}
}

/* MADV_PAGEOUT, mincore, and faulting back in. */
static void test_pageout_and_back(void **state)
{
	uint8_t vec[64];
	struct as_stats st;
	uintptr_t a;
	uint64_t f1;

	(void)state;
	a = filled_proc(&P, 64);
	f1 = sim_free_frames();
	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	pmm_drain();
	assert_true(sim_free_frames() >= f1 + 64);
	as_get_stats(&P.as, &st);
	assert_int_equal(st.rss, 0);
	assert_int_equal(st.swap, 64);
	assert_int_equal(TS.stored, 64);
	assert_int_equal(as_mincore(&P.as, a, 64, vec), 64);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(vec[i], 0);
	assert_int_equal(as_check(&P.as), 0);
	swt_check(&P, a, 64, 1);
	as_get_stats(&P.as, &st);
	assert_int_equal(st.rss, 64);
	assert_int_equal(st.swap, 0);
	if (sleeping) {
		/* An area that sleeps keeps no copy: slots freed as the pages came back. */
		assert_int_equal(TS.stored, 0);
		assert_int_equal(swap_kept_pages(), 0);
		assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
		swap_writeback_run();
		assert_int_equal(TS.stored, 64);
		as_destroy(&P.as);
		return;
	}
	/* Read back: each page keeps its slot, a clean copy (swap under half full). */
	assert_int_equal(TS.stored, 64);
	assert_int_equal(swap_kept_pages(), 64);
	/* Out again: dropped without a write, the copies named by the entries again. */
	uint64_t w0 = TS.writes;

	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	pmm_drain();
	assert_true(sim_free_frames() >= f1 + 64);
	assert_int_equal(TS.writes, w0);
	assert_int_equal(TS.stored, 64);
	assert_int_equal(swap_kept_pages(), 0);
	as_get_stats(&P.as, &st);
	assert_int_equal(st.swap, 64);
	/* Back by reads, then written: a write frees the copy, which is stale. */
	swt_check(&P, a, 64, 1);
	assert_int_equal(TS.stored, 64);
	swt_fill(&P, a, 32, 2);
	assert_int_equal(TS.stored, 32);
	assert_int_equal(swap_kept_pages(), 32);
	/* Out: the written half is written again, the clean half dropped. */
	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(TS.writes, w0 + 32);
	assert_int_equal(TS.stored, 64);
	swt_check(&P, a, 32, 2);
	swt_check(&P, a + 32 * PG, 32, 1);
	assert_int_equal(as_check(&P.as), 0);
	/* munmap frees a kept copy with the page: half unmapped, half left to exit. */
	assert_int_equal(as_munmap(&P.as, a, 16 * PG), 0);
	assert_int_equal(TS.stored, 48);
	assert_int_equal(swap_kept_pages(), 48);
	/* Again, and this time the space goes away with its pages swapped. */
	assert_int_equal(as_madvise(&P.as, a + 16 * PG, 48 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(TS.writes, w0 + 32);
	assert_int_equal(TS.stored, 48);
	swt_check(&P, a + 16 * PG, 8, 2);	/* these resident, kept, at exit */
	as_destroy(&P.as);
}

/* fork of a half-swapped process: both see the data, writes stay private, one read per page. */
static void test_fork_half_swapped(void **state)
{
	struct swap_counters c0, c1;
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 64);
	assert_int_equal(as_madvise(&P.as, a, 32 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(as_check(&C.as), 0);
	assert_int_equal(swap_count(swp_entry((unsigned)type1, 1)), 2);
	swap_get_counters(&c0);
	/* The child reads the swapped half first, the parent finds it in the swap cache. */
	swt_check(&C, a, 64, 1);
	swt_check(&P, a, 64, 1);
	swap_get_counters(&c1);
	assert_int_equal(c1.swpin - c0.swpin, 32);
	/* (From a disk the child's read goes to the cache first, its retried fault finds it there.) */
	assert_int_equal(c1.cache_hits - c0.cache_hits, sleeping ? 64 : 32);
	assert_int_equal(c1.cache_pages, 0);	/* the last entry read dropped the cache... */
	assert_int_equal(c1.slots_used, 0);	/* ...and freed the slots */
	/* Copy-on-write both ways. */
	swt_fill(&C, a, 16, 2);
	swt_check(&P, a, 64, 1);
	swt_fill(&P, a + 48 * PG, 16, 3);
	swt_check(&C, a + 48 * PG, 16, 1);
	swt_check(&C, a, 16, 2);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* One pass of reclaim's clock over @p, with the queued writes done after it as reclaim does. */
static void scan(struct proc *p, unsigned long nr, bool force, struct reclaim_figures *fig)
{
	as_reclaim_scan(&p->as, nr, force, fig);
	fig->reclaimed += swap_writeback_run();
}

/* Reclaim's clock over two processes sharing frames: each frame written once, freed at the end. */
static void test_clock_shared_frames(void **state)
{
	struct reclaim_figures fig = { 0 };
	struct swap_counters c;
	uintptr_t a;
	uint64_t f1;

	(void)state;
	swt_new_proc(&P);
	a = map(&P, 32 * PG);
	swt_fill(&P, a, 32, 1);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	f1 = sim_free_frames();
	/* First pass: pages were just touched: only their accessed bits go. */
	scan(&P, 32, false, &fig);
	assert_int_equal(fig.swapped, 0);
	scan(&P, 32, false, &fig);
	assert_int_equal(fig.swapped, 32);
	assert_int_equal(fig.reclaimed, 0);	/* the child still maps them */
	swap_get_counters(&c);
	assert_int_equal(c.cache_pages, 32);
	scan(&C, 64, true, &fig);
	assert_int_equal(fig.swapped, 64);
	assert_int_equal(fig.reclaimed, 32);
	assert_int_equal(TS.writes, 32);		/* one write per page */
	pmm_drain();
	assert_true(sim_free_frames() >= f1 + 32);
	swap_get_counters(&c);
	assert_int_equal(c.cache_pages, 0);
	swt_check(&P, a, 32, 1);
	swt_check(&C, a, 32, 1);
	swt_fill(&P, a, 32, 4);
	swt_check(&C, a, 32, 1);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* munmap, mremap, mprotect and MADV_DONTNEED on swapped ranges. */
static void test_calls_on_swapped(void **state)
{
	uintptr_t a, b;
	long m;

	(void)state;
	a = filled_proc(&P, 64);
	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	/* munmap of a swapped part frees its slots. */
	assert_int_equal(as_munmap(&P.as, a + 48 * PG, 16 * PG), 0);
	assert_int_equal(TS.stored, 48);
	/* MADV_DONTNEED drops swapped pages: zeroes afterwards. */
	assert_int_equal(as_madvise(&P.as, a + 40 * PG, 8 * PG, MM_MADV_DONTNEED), 0);
	assert_int_equal(TS.stored, 40);
	assert_int_equal(upeek(&P, a + 40 * PG), 0);
	/* mremap moving swapped pages: the entries move. */
	m = as_mremap(&P.as, a, 32 * PG, 32 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
		      a + 1024 * PG);
	assert_false(as_is_err(m));
	b = (uintptr_t)m;
	assert_int_equal(TS.stored, 40);
	assert_int_equal(upeek(&P, a), -1);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(upeek(&P, b + i * PG), swt_pattern(a + i * PG, 1));
	/* mprotect read-only: swapped pages come back read-only. */
	assert_int_equal(as_mprotect(&P.as, a + 32 * PG, 8 * PG, MM_PROT_READ), 0);
	swt_check(&P, a + 32 * PG, 8, 1);
	assert_int_equal(uwrite8(&P, a + 32 * PG, 1), -MM_EFAULT);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
}

/* A second area takes what the first refuses; swapoff brings pages home. */
static void test_second_area_and_swapoff(void **state)
{
	uintptr_t a;

	(void)state;
	test_swap_init(&TS2, "test1", 1024);
	/* A sleeping area cannot refuse for lack of room: the one that refuses is written locked. */
	ts_set_sleeping(&TS, false);
	ts_set_sleeping(&TS2, sleeping);
	TS2.unlocked = spaces_unlocked;
	type2 = swap_area_add(&TS2.b, 5, 1);
	assert_true(type2 >= 0);
	assert_int_equal(swap_area_add(&TS2.b, 5, 1), -MM_EBUSY);
	TS.max_stored = 10;
	swt_new_proc(&P);
	a = map(&P, 32 * PG);
	swt_fill(&P, a, 32, 1);
	assert_int_equal(as_madvise(&P.as, a, 32 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(TS.stored, 10);
	assert_int_equal(TS2.stored, 22);
	assert_int_equal(swap_area_remove(type2), 0);
	type2 = -1;
	assert_int_equal(TS2.locked_calls, 0);
	test_swap_fini(&TS2);
	assert_int_equal(P.as.swapents, 10);
	assert_int_equal(as_rss(&P.as), 22);
	swt_check(&P, a, 32, 1);
	TS.max_stored = 0;
	as_destroy(&P.as);
}

/*
 * The swap cache's hashes grow when a large area comes (its pages in the
 * cache move to the new tables) and go back when it leaves: nothing lost,
 * every byte returned (after() checks the frames).
 */
static void test_cache_hash_follows_slots(void **state)
{
	unsigned before_buckets = swap_cache_buckets();
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 32);
	assert_int_equal(as_madvise(&P.as, a, 32 * PG, MM_MADV_PAGEOUT), 0);
	swt_check(&P, a, 16, 1);	/* half read back: those are in the swap cache */
	test_swap_init(&TS2, "big", 1u << 17);
	ts_set_sleeping(&TS2, sleeping);
	TS2.unlocked = spaces_unlocked;
	type2 = swap_area_add(&TS2.b, 5, 1);
	assert_true(type2 >= 0);
	assert_true(swap_cache_buckets() >= 8 * before_buckets);
	swt_check(&P, a, 32, 1);
	assert_int_equal(as_madvise(&P.as, a, 32 * PG, MM_MADV_PAGEOUT), 0);
	swt_check(&P, a, 8, 1);
	assert_int_equal(swap_area_remove(type2), 0);
	type2 = -1;
	assert_int_equal(swap_cache_buckets(), before_buckets);
	test_swap_fini(&TS2);
	swt_check(&P, a, 32, 1);
	as_destroy(&P.as);
}

/* A read error is SIGBUS for the toucher, and loses nothing else. */
static void test_read_error(void **state)
{
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map(&P, 4 * PG);
	swt_fill(&P, a, 4, 1);
	assert_int_equal(as_madvise(&P.as, a, 4 * PG, MM_MADV_PAGEOUT), 0);
	TS.fail_reads = true;
	assert_int_equal(upeek(&P, a), -1);
	TS.fail_reads = false;
	swt_check(&P, a, 4, 1);
	as_destroy(&P.as);
}

/* A working set of 1.5 times RAM, random access, every byte checked: direct reclaim makes room. */
static void test_working_set_over_ram(void **state)
{
	struct reclaim_stats r0, r1;
	uint64_t ram = sim_free_frames(), pages = ram * 3 / 2;
	uint64_t seed = 42;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map(&P, pages * PG);
	reclaim_get_stats(&r0);
	swt_fill(&P, a, (unsigned)pages, 1);
	for (unsigned i = 0; i < pages; i++) {
		uintptr_t va = a + (test_random(&seed) % pages) * PG;

		assert_int_equal(upeek(&P, va), swt_pattern(va, 1));
		if (i % 3 == 0)
			assert_int_equal(uwrite8(&P, va + 1, 0x5a), 0);
		else
			assert_int_equal(upeek(&P, va + PG - 1), swt_pattern(va, 1) ^ 0xff);
	}
	reclaim_get_stats(&r1);
	assert_true(r1.direct_runs > r0.direct_runs);
	assert_true(r1.reclaimed - r0.reclaimed >= pages - ram);
	assert_true(r1.refaults > r0.refaults);
	print_message("working set %llu pages on %llu frames: %llu scanned, %llu reclaimed, "
		      "%llu stalls, %llu refaults\n", (unsigned long long)pages,
		      (unsigned long long)ram, (unsigned long long)(r1.scanned - r0.scanned),
		      (unsigned long long)(r1.reclaimed - r0.reclaimed),
		      (unsigned long long)(r1.direct_runs - r0.direct_runs),
		      (unsigned long long)(r1.refaults - r0.refaults));
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
}

/* MAP_POPULATE and mlock reclaim what they need from another process, as faults do. */
static void test_populate_and_mlock_reclaim(void **state)
{
	uint64_t ram = sim_free_frames();
	unsigned big = (unsigned)(ram * 3 / 4), half = (unsigned)(ram / 2);
	uintptr_t a, b, c;

	(void)state;
	swt_new_proc(&P);
	swt_new_proc(&C);
	a = map(&P, (uint64_t)big * PG);
	swt_fill(&P, a, big, 1);
	/* Every page populated (some swapped out again since: they are not locked). */
	b = swt_map(&C, (uint64_t)half * PG, ANON | MM_MAP_POPULATE);
	assert_int_equal(as_rss(&C.as) + C.as.swapents, half);
	c = map(&C, (uint64_t)half / 2 * PG);
	assert_int_equal(as_mlock(&C.as, c, (uint64_t)half / 2 * PG, 0), 0);
	for (unsigned i = 0; i < half / 2; i++)	/* locked: all resident, none swapped */
		assert_true(pt_translate(&C.as.vs.pt, c + i * PG, NULL, NULL, NULL));
	swt_fill(&P, a, big, 3);			/* pushes others out, never the locked ones */
	for (unsigned i = 0; i < half / 2; i++)
		assert_true(pt_translate(&C.as.vs.pt, c + i * PG, NULL, NULL, NULL));
	swt_check(&P, a, big, 3);
	swt_fill(&C, b, half, 2);
	swt_check(&C, b, half, 2);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/*
 * mlock of swapped-out pages reads every one back and keeps it: from a disk
 * with no lock held (the backend's check, in after()), a page at a time
 * between batches of the space's lock.
 */
static void test_mlock_swapped(void **state)
{
	struct swap_counters c0, c1;
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 64);
	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(P.as.swapents, 64);
	swap_get_counters(&c0);
	assert_int_equal(as_mlock(&P.as, a, 64 * PG, 0), 0);
	swap_get_counters(&c1);
	assert_int_equal(c1.swpin - c0.swpin, 64);
	assert_int_equal(P.as.swapents, 0);
	for (unsigned i = 0; i < 64; i++)
		assert_true(pt_translate(&P.as.vs.pt, a + i * PG, NULL, NULL, NULL));
	swt_check(&P, a, 64, 1);
	/* A read error: mlock fails, the page stays swapped, nothing is lost. */
	assert_int_equal(as_munlock(&P.as, a, 64 * PG), 0);
	assert_int_equal(as_madvise(&P.as, a, 8 * PG, MM_MADV_PAGEOUT), 0);
	TS.fail_reads = true;
	assert_int_equal(as_mlock(&P.as, a, 8 * PG, 0), -MM_ENOMEM);	/* Linux: mlock says ENOMEM */
	TS.fail_reads = false;
	swt_check(&P, a, 64, 1);
	as_destroy(&P.as);
}

/*
 * The kernel's copies to and from a process (execve's arguments, a DOS
 * box's moves) and get_mempolicy's page lookup fault swapped pages in: from
 * a disk with the space's lock dropped (the backend's check, in after()),
 * across more pages than one hold of the lock covers.
 */
static void test_copy_swapped(void **state)
{
	enum { N = 40 };
	uint8_t *buf = malloc(N * PG);
	uintptr_t a;

	(void)state;
	assert_non_null(buf);
	a = filled_proc(&P, N);
	assert_int_equal(as_madvise(&P.as, a, N * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(P.as.swapents, N);
	assert_int_equal(as_copy_in(&P.as, buf, a, N * PG), 0);
	assert_int_equal(P.as.swapents, 0);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(buf[i * PG], swt_pattern(a + i * PG, 1));
		assert_int_equal(buf[i * PG + PG - 1], swt_pattern(a + i * PG, 1) ^ 0xff);
		buf[i * PG] = swt_pattern(a + i * PG, 2);
		buf[i * PG + PG - 1] = swt_pattern(a + i * PG, 2) ^ 0xff;
	}
	assert_int_equal(as_madvise(&P.as, a, N * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(as_copy_out(&P.as, a, buf, N * PG), 0);
	assert_int_equal(P.as.swapents, 0);
	swt_check(&P, a, N, 2);
	/* get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) reads a swapped page back first. */
	assert_int_equal(as_madvise(&P.as, a, PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(as_page_node(&P.as, a), 0);
	assert_true(pt_translate(&P.as.vs.pt, a, NULL, NULL, NULL));
	/* A read error: EFAULT, the pages stay swapped, nothing is lost. */
	assert_int_equal(as_madvise(&P.as, a, 4 * PG, MM_MADV_PAGEOUT), 0);
	TS.fail_reads = true;
	assert_int_equal(as_copy_in(&P.as, buf, a, N * PG), -MM_EFAULT);
	assert_int_equal(as_copy_out(&P.as, a, buf, PG), -MM_EFAULT);
	assert_int_equal(as_page_node(&P.as, a + PG), -MM_EFAULT);
	TS.fail_reads = false;
	assert_int_equal(P.as.swapents, 4);
	swt_check(&P, a, N, 2);
	free(buf);
	as_destroy(&P.as);
}

/* A failed write loses nothing: the page stays in RAM (in the swap cache for a disk). */
static void test_write_error(void **state)
{
	struct swap_counters c0, c1;
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 8);
	swap_get_counters(&c0);
	TS.fail_writes = true;
	assert_int_equal(as_madvise(&P.as, a, 8 * PG, MM_MADV_PAGEOUT), 0);
	swap_get_counters(&c1);
	assert_int_equal(TS.stored, 0);
	/* Written under the lock, the first failure stops the pageout; queued, every write fails. */
	assert_int_equal(c1.write_fail - c0.write_fail, sleeping ? 8 : 1);
	/* On a disk the entries name their slots: the frames stay in the swap cache. */
	assert_int_equal(c1.cache_pages, sleeping ? 8 : 0);
	assert_int_equal(P.as.swapents, sleeping ? 8 : 0);
	swt_check(&P, a, 4, 1);
	/* Swapped out again: written this time, and still intact. */
	TS.fail_writes = false;
	assert_int_equal(as_madvise(&P.as, a, 8 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(TS.stored, 8 - (sleeping ? 4 : 0));
	swt_check(&P, a, 8, 1);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
}

static uintptr_t hook_va;
static int hook_got;

static void unmap_hook(struct test_swap *t, uint32_t slot, bool write)
{
	(void)t, (void)slot, (void)write;
	hook_got = as_munmap(&P.as, hook_va, PG);
}

static void peek_hook(struct test_swap *t, uint32_t slot, bool write)
{
	(void)t, (void)slot, (void)write;
	hook_got = upeek(&C, hook_va);
}

/* While a page is being written, its mapping goes away: the slot is freed after the write. */
static void test_unmap_during_write(void **state)
{
	struct swap_counters c;
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 8);
	hook_va = a;			/* the first page queued is the first written */
	hook_got = 1;
	TS.during_io = unmap_hook;
	assert_int_equal(as_madvise(&P.as, a, 8 * PG, MM_MADV_PAGEOUT), 0);
	if (sleeping)
		assert_int_equal(hook_got, 0);
	TS.during_io = NULL;
	swap_get_counters(&c);
	assert_int_equal(c.cache_pages, 0);
	assert_int_equal(TS.stored, sleeping ? 7 : 8);
	assert_int_equal(c.slots_used, sleeping ? 7 : 8);
	swt_check(&P, a + PG, 7, 1);
	as_destroy(&P.as);
}

/* While pages are written, another process faults on one: it finds the frame in the swap cache. */
static void test_fault_during_write(void **state)
{
	struct swap_counters c0, c1;
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 8);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	swap_get_counters(&c0);
	/* The parent's clock swaps the shared pages; the child reads one meanwhile. */
	hook_va = a + 5 * PG;
	hook_got = -2;
	TS.during_io = peek_hook;
	struct reclaim_figures fig = { 0 };

	as_reclaim_scan(&P.as, 8, true, &fig);
	assert_int_equal(fig.swapped, 8);
	assert_int_equal(fig.queued, sleeping ? 8 : 0);
	swap_writeback_run();
	TS.during_io = NULL;
	if (sleeping)
		assert_int_equal(hook_got, swt_pattern(a + 5 * PG, 1));
	swap_get_counters(&c1);
	assert_int_equal(TS.writes, 8);
	assert_int_equal(c1.swpin - c0.swpin, 0);	/* nothing read: the frames were there */
	swt_check(&C, a, 8, 1);
	swt_check(&P, a, 8, 1);
	swt_fill(&P, a, 8, 2);
	swt_check(&C, a, 8, 1);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* While one process reads a page in, another faults on it, or it is unmapped: no loss, no leak. */
static void test_events_during_read(void **state)
{
	uintptr_t a;

	(void)state;
	a = filled_proc(&P, 8);
	assert_int_equal(as_madvise(&P.as, a, 8 * PG, MM_MADV_PAGEOUT), 0);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	/* The child faults on the page the parent is reading. */
	hook_va = a;
	hook_got = -2;
	TS.during_io = peek_hook;
	assert_int_equal(upeek(&P, a), swt_pattern(a, 1));
	if (sleeping)
		assert_int_equal(hook_got, swt_pattern(a, 1));
	/* The parent's page is unmapped while the parent reads it: the fault then fails. */
	hook_va = a + PG;
	hook_got = 1;
	TS.during_io = unmap_hook;
	assert_int_equal(upeek(&P, a + PG), sleeping ? -1 : swt_pattern(a + PG, 1));
	if (sleeping)
		assert_int_equal(hook_got, 0);
	TS.during_io = NULL;
	swt_check(&C, a, 8, 1);
	swt_check(&P, a + 2 * PG, 6, 1);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

static int before_small(void **state)
{
	(void)state;
	return before_ram(16 * MiB, 16384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_entries_all_formats, before, after),
		cmocka_unit_test_setup_teardown(test_pageout_and_back, before, after),
		cmocka_unit_test_setup_teardown(test_fork_half_swapped, before, after),
		cmocka_unit_test_setup_teardown(test_clock_shared_frames, before, after),
		cmocka_unit_test_setup_teardown(test_calls_on_swapped, before, after),
		cmocka_unit_test_setup_teardown(test_second_area_and_swapoff, before, after),
		cmocka_unit_test_setup_teardown(test_cache_hash_follows_slots, before, after),
		cmocka_unit_test_setup_teardown(test_read_error, before, after),
		cmocka_unit_test_setup_teardown(test_working_set_over_ram, before_small, after),
		cmocka_unit_test_setup_teardown(test_populate_and_mlock_reclaim, before_small, after),
		cmocka_unit_test_setup_teardown(test_mlock_swapped, before, after),
		cmocka_unit_test_setup_teardown(test_copy_swapped, before, after),
		cmocka_unit_test_setup_teardown(test_write_error, before, after),
		cmocka_unit_test_setup_teardown(test_unmap_during_write, before, after),
		cmocka_unit_test_setup_teardown(test_fault_during_write, before, after),
		cmocka_unit_test_setup_teardown(test_events_during_read, before, after),
	};
	int failed = cmocka_run_group_tests_name("swap, backend written under the locks", tests,
						 swap_test_group_setup, sim_group_teardown);

	sleeping = true;
	return failed + cmocka_run_group_tests_name("swap, backend that sleeps (no lock held)",
						    tests, swap_test_group_setup, sim_group_teardown);
}
