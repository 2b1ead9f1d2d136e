// SPDX-License-Identifier: MIT
/*
 * Page faults of several threads in one address space at once (they take
 * the space's lock for reading; this test runs under TSan too): every
 * thread touches every page of a shared region, reading some first (the
 * zero page, then copy-on-write) and writing its own byte of each, in its
 * own order, so first touches of one page collide; meanwhile another
 * thread maps, protects and unmaps other regions (the write side, which
 * moves the region array). No write may be lost, every page is resident
 * once, the space checks out, and every frame comes back.
 *
 * The second test unmaps large populated ranges (private and shared
 * anonymous, across page tables, next to the faulters' region, so they share
 * a page table with it) in a space marked shared, whose munmap zaps under
 * the read lock while the faults run; below the range, another thread
 * maps, reads (first-touch fills in the page table it shares with the
 * range) and unmaps a small region over and over.
 *
 * Then lookups in a range replaced with MAP_FIXED and dropped with
 * MADV_DONTNEED (both read-locked) again and again never fail and see only
 * zeroes or their own bytes; the same beside VirtualFree's decommit and
 * release, and beside the unmapping of a file's mappings on both sides of the
 * readers' region (UnmapFileFromMemory, and shmdt of an attach whose middle
 * was mapped over); and the threaded tlb_flush2 loop (each thread writes its
 * own page, MADV_DONTNEEDs it, reads zero back).
 *
 * Then the TLB shootdown rounds of zapping 128 MiB (munmap, MADV_DONTNEED,
 * MAP_FIXED, VirtualFree) while another CPU holds the space, counted.
 *
 * Last, two first writes to one page at once, the first held while it
 * clears the frame its fault made ready (before the page's fault lock): the
 * second fills the page meanwhile, and the first gives its frame back; and
 * the same with the zero page mapped there (no frame is made ready for a
 * present page: the first copies it under the fault lock, the second then
 * finds it written).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"
#include "mm/as_internal.h"
#include "mm/pt_impl.h"
#include "mm/as_win32.h"
#include "mm/commit.h"
#include "mm/pcache.h"
#include "host/sim.h"

#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define PRIV_ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define FAULTERS	4
#define PAGES		192

static struct proc P;
static uintptr_t base;
static volatile int faulters_done;
static int errors[FAULTERS + 2];	/* faulters, mapper or unmapper, cycler */

static uint8_t pattern(int thread, unsigned page)
{
	return (uint8_t)(thread * 37 + page * 11 + 1);
}

/* This thread's MMU for the space's accesses. */
static void thread_mmu(struct smmu *mmu)
{
	smmu_init(mmu, &P.as.vs.pt);
	mmu->vs = &P.as.vs;
}

static void *faulter(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct smmu mmu;

	thread_mmu(&mmu);
	for (unsigned k = 0; k < PAGES; k++) {
		unsigned page = (k + (unsigned)id * (PAGES / FAULTERS)) % PAGES;
		uintptr_t va = base + (uintptr_t)page * PAGE_SIZE + (uintptr_t)id;
		uint8_t v = 0xff, w = pattern(id, page);

		if ((page + (unsigned)id) % 3 == 0 && smmu_read(&mmu, va, SMMU_USER, &v, 1))
			errors[id]++;
		if (smmu_write(&mmu, va, SMMU_USER, &w, 1))
			errors[id]++;
	}
	return NULL;
}

/* The write side: mmap, mprotect and munmap elsewhere while the faults run. */
static void *mapper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE) || i < 64; i++) {
		long a = as_mmap(&P.as, 0, 4 * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);
		if (as_is_err(a)) {
			errors[FAULTERS]++;
			continue;
		}
		if (as_mprotect(&P.as, (uintptr_t)a + PAGE_SIZE, PAGE_SIZE, MM_PROT_READ))
			errors[FAULTERS]++;
		if (as_munmap(&P.as, (uintptr_t)a, 4 * PAGE_SIZE))
			errors[FAULTERS]++;
	}
	return NULL;
}

/* A space with the faulters' region at base; *free0: the free frames before. */
static void space_up(bool shared, uint64_t *free0)
{
	*free0 = sim_free_frames();
	assert_int_equal(as_init(&P.as, NULL), 0);
	proc_cpu(&P);
	if (shared)
		as_set_shared(&P.as);
	long a = as_mmap(&P.as, 0, PAGES * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);
	assert_false(as_is_err(a));
	base = (uintptr_t)a;
	faulters_done = 0;
	memset(errors, 0, sizeof(errors));
}

/* No errors, no write lost, the space checks out, every frame back. */
static void space_down(uint64_t free0)
{
	unsigned lost = 0;

	for (int i = 0; i < FAULTERS + 2; i++)
		assert_int_equal(errors[i], 0);
	for (unsigned page = 0; page < PAGES; page++)
		for (int id = 0; id < FAULTERS; id++)
			lost += upeek(&P, base + (uintptr_t)page * PAGE_SIZE + (uintptr_t)id) !=
				pattern(id, page);
	assert_int_equal(lost, 0);
	assert_int_equal(as_rss(&P.as), PAGES);
	assert_int_equal(P.as.swapents, 0);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	assert_int_equal(vm_committed_pages(), 0);
}

/* Write each faulter's byte of each page of the faulters' region, as space_down() expects. */
static void fill_faulters_region(void)
{
	for (unsigned page = 0; page < PAGES; page++)
		for (int id = 0; id < FAULTERS; id++)
			assert_int_equal(uwrite8(&P, base + (uintptr_t)page * PAGE_SIZE + (uintptr_t)id,
						 pattern(id, page)), 0);
}

static void test_threads_fault_one_space(void **state)
{
	pthread_t t[FAULTERS + 1];
	uint64_t free0;

	(void)state;
	space_up(false, &free0);
	assert_int_equal(pthread_create(&t[FAULTERS], NULL, mapper, NULL), 0);
	for (int i = 0; i < FAULTERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, faulter, (void *)(intptr_t)i), 0);
	for (int i = 0; i < FAULTERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&faulters_done, 1, __ATOMIC_RELEASE);
	pthread_join(t[FAULTERS], NULL);
	space_down(free0);
}

#define ZAP_PAGES	700	/* more than one page table's span (512 or 1024 pages) */
#define ZAP_ROUNDS	6
static uintptr_t zap_base;

/* Fault the faulters' region over and over until the unmapper is done. */
static void *refaulter(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct smmu mmu;

	thread_mmu(&mmu);
	for (unsigned round = 0; round < 2 || !__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE);
	     round++)
		for (unsigned k = 0; k < PAGES; k++) {
			unsigned page = (k * 7 + (unsigned)id * (PAGES / FAULTERS)) % PAGES;
			uintptr_t va = base + (uintptr_t)page * PAGE_SIZE + (uintptr_t)id;
			uint8_t w = pattern(id, page);

			if (smmu_write(&mmu, va, SMMU_USER, &w, 1))
				errors[id]++;
		}
	return NULL;
}

/* Map, fill and unmap the range below the faulters' region, ZAP_ROUNDS times. */
static void *unmapper(void *arg)
{
	struct smmu mmu;

	(void)arg;
	thread_mmu(&mmu);
	for (unsigned round = 0; round < ZAP_ROUNDS; round++) {
		long a = as_mmap(&P.as, zap_base, ZAP_PAGES * PAGE_SIZE, RW, PRIV_ANON | MM_MAP_FIXED,
				 NULL, 0);
		long b = as_mmap(&P.as, zap_base + 300 * PAGE_SIZE, 8 * PAGE_SIZE, RW,
				 MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0);

		if (a != (long)zap_base || as_is_err(b)) {
			errors[FAULTERS]++;
			break;
		}
		for (unsigned page = 0; page < ZAP_PAGES; page++) {
			uint8_t w = (uint8_t)(page + round);

			if (smmu_write(&mmu, zap_base + (uintptr_t)page * PAGE_SIZE, SMMU_USER, &w, 1))
				errors[FAULTERS]++;
		}
		if (as_munmap(&P.as, zap_base, ZAP_PAGES * PAGE_SIZE))
			errors[FAULTERS]++;
		uint8_t v;	/* gone for every thread once munmap has returned */
		if (!smmu_read(&mmu, zap_base + 5 * PAGE_SIZE, SMMU_USER, &v, 1))
			errors[FAULTERS]++;
	}
	return NULL;
}

#define CYCLE_PAGES	16

/* Below the unmapped range: fill a small region by reading it, unmap it, again. */
static void *cycler(void *arg)
{
	uintptr_t at = zap_base - CYCLE_PAGES * PAGE_SIZE;
	struct smmu mmu;

	(void)arg;
	thread_mmu(&mmu);
	while (!__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE)) {
		if (as_mmap(&P.as, at, CYCLE_PAGES * PAGE_SIZE, RW, PRIV_ANON | MM_MAP_FIXED, NULL,
			    0) != (long)at) {
			errors[FAULTERS + 1]++;
			break;
		}
		for (unsigned page = 0; page < CYCLE_PAGES; page++) {
			uint8_t v = 1;

			if (smmu_read(&mmu, at + (uintptr_t)page * PAGE_SIZE, SMMU_USER, &v, 1) || v)
				errors[FAULTERS + 1]++;
		}
		if (as_munmap(&P.as, at, CYCLE_PAGES * PAGE_SIZE))
			errors[FAULTERS + 1]++;
	}
	return NULL;
}

static void test_threads_munmap_while_faulting(void **state)
{
	pthread_t t[FAULTERS + 2];
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	uint32_t regions = P.as.nr;
	zap_base = base - ZAP_PAGES * PAGE_SIZE;	/* right below: a page table in common */
	for (int i = 0; i < FAULTERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, refaulter, (void *)(intptr_t)i), 0);
	assert_int_equal(pthread_create(&t[FAULTERS], NULL, unmapper, NULL), 0);
	assert_int_equal(pthread_create(&t[FAULTERS + 1], NULL, cycler, NULL), 0);
	pthread_join(t[FAULTERS], NULL);
	__atomic_store_n(&faulters_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < FAULTERS; i++)
		pthread_join(t[i], NULL);
	pthread_join(t[FAULTERS + 1], NULL);
	assert_true(P.as.hiwater_rss >= PAGES + ZAP_PAGES);
	assert_int_equal(P.as.nr, regions);
	space_down(free0);
}

#define WALK_SPANS	3	/* page tables the window covers */
#define WALK_ROUNDS	150
#define WALKERS		3
static uintptr_t walk_base, walk_len;

/*
 * Touch pages of the window, mapped or not, until the unmapper is done: each
 * touch of a page that is not present is a fault, and a fault first walks
 * the tables without the space's lock (vm_handle_fault()'s check for a
 * fault another CPU already resolved), down into tables that munmap frees.
 */
static void *walker(void *arg)
{
	unsigned id = (unsigned)(intptr_t)arg, k = id;
	struct smmu mmu;

	thread_mmu(&mmu);
	while (!__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE)) {
		uint8_t v;

		k = k * 1103515245u + 12345u;
		(void)smmu_read(&mmu, walk_base + (uintptr_t)((k >> 8) % (walk_len >> PAGE_SHIFT)) *
				PAGE_SIZE, SMMU_USER, &v, 1);
	}
	return NULL;
}

/*
 * Map the window, write a few pages of each of its page tables (frames
 * taken zeroed, perhaps a page table just freed), unmap all of it (its
 * page tables freed), again and again.
 */
static void *table_unmapper(void *arg)
{
	struct smmu mmu;

	(void)arg;
	thread_mmu(&mmu);
	for (unsigned round = 0; round < WALK_ROUNDS; round++) {
		if (as_mmap(&P.as, walk_base, walk_len, RW, PRIV_ANON | MM_MAP_FIXED, NULL, 0) !=
		    (long)walk_base) {
			errors[FAULTERS]++;
			break;
		}
		for (uintptr_t off = 0; off < walk_len; off += 61 * PAGE_SIZE) {
			uint8_t w = (uint8_t)(round + 1), v = 0;

			if (smmu_write(&mmu, walk_base + off, SMMU_USER, &w, 1) ||
			    smmu_read(&mmu, walk_base + off, SMMU_USER, &v, 1) || v != w)
				errors[FAULTERS]++;
		}
		if (as_munmap(&P.as, walk_base, walk_len))
			errors[FAULTERS]++;
	}
	return NULL;
}

/*
 * Faults that walk the page tables locklessly, while munmap frees whole page
 * tables under them and the frames come back zeroed for new pages: a table
 * may go back to the PMM only once no such walk can be reading it (under
 * TSan, a walk reading a table freed and zeroed meanwhile is a race report).
 */
static void test_threads_fault_walks_vs_table_free(void **state)
{
	pthread_t t[WALKERS + 1];
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	walk_len = (uintptr_t)WALK_SPANS << P.as.vs.pt.fmt->shift[1];
	long a = as_mmap(&P.as, 0, walk_len * 2, RW, PRIV_ANON, NULL, 0);
	assert_false(as_is_err(a));
	/* A span-aligned window inside, the rest unmapped again. */
	walk_base = ((uintptr_t)a + (walk_len / WALK_SPANS) - 1) & ~(walk_len / WALK_SPANS - 1);
	assert_int_equal(as_munmap(&P.as, (uintptr_t)a, walk_len * 2), 0);
	for (int i = 0; i < WALKERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, walker, (void *)(intptr_t)i), 0);
	assert_int_equal(pthread_create(&t[WALKERS], NULL, table_unmapper, NULL), 0);
	pthread_join(t[WALKERS], NULL);
	__atomic_store_n(&faulters_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < WALKERS; i++)
		pthread_join(t[i], NULL);
	fill_faulters_region();	/* never touched by this test */
	space_down(free0);
}

#define HOLE_PAGES	40	/* the replaced range: straddles a page table's end */
#define HOLE_READERS	4
#define HOLE_ROUNDS	300
#define CANARY_PAGES	32
static uintptr_t hole_base, canary_base;

/*
 * Write this thread's byte of a page of the range and read it back, at
 * random, until the replacer is done. The range is replaced (MAP_FIXED) or
 * dropped (MADV_DONTNEED) meanwhile, so a byte reads as what this thread
 * wrote or as zero, never anything else (a frame freed and reused, a page
 * of another mapping); and no access may fail: there is always a region.
 */
static void *hole_reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned k = (unsigned)id * 2654435761u;
	struct smmu mmu;

	thread_mmu(&mmu);
	while (!__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE)) {
		k = k * 1103515245u + 12345u;
		uintptr_t va = hole_base + (uintptr_t)((k >> 8) % HOLE_PAGES) * PAGE_SIZE +
			       (uintptr_t)id * 8;
		uint8_t w = (uint8_t)(id + 1), v = 0xee;

		if ((k >> 4) & 1) {
			if (smmu_write(&mmu, va, SMMU_USER, &w, 1))
				errors[id]++;
		}
		if (smmu_read(&mmu, va, SMMU_USER, &v, 1) || (v != 0 && v != w))
			errors[id]++;
	}
	return NULL;
}

/*
 * Pages that must keep their contents: refilled after each of its own
 * MADV_DONTNEEDs, so frames the replacer frees come back here. A write
 * through a translation left to a freed frame would show in them.
 */
static void *canary(void *arg)
{
	struct smmu mmu;

	(void)arg;
	thread_mmu(&mmu);
	for (unsigned round = 0; !__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE); round++) {
		uint8_t w = (uint8_t)(round * 3 + 1), v;

		for (unsigned page = 0; page < CANARY_PAGES; page++)
			for (uintptr_t off = 0; off < HOLE_READERS * 8; off += 8)
				if (smmu_write(&mmu, canary_base + (uintptr_t)page * PAGE_SIZE + off,
					       SMMU_USER, &w, 1))
					errors[FAULTERS]++;
		for (unsigned page = 0; page < CANARY_PAGES; page++)
			for (uintptr_t off = 0; off < HOLE_READERS * 8; off += 8)
				if (smmu_read(&mmu, canary_base + (uintptr_t)page * PAGE_SIZE + off,
					      SMMU_USER, &v, 1) || v != w)
					errors[FAULTERS]++;
		if (as_madvise(&P.as, canary_base, CANARY_PAGES * PAGE_SIZE, MM_MADV_DONTNEED))
			errors[FAULTERS]++;
	}
	return NULL;
}

/* Replace the range whole or in part (MAP_FIXED), or drop its pages (MADV_DONTNEED), again and again. */
static void *replacer(void *arg)
{
	unsigned k = 7;

	(void)arg;
	for (unsigned round = 0; round < HOLE_ROUNDS; round++) {
		k = k * 1103515245u + 12345u;
		uintptr_t first = (k >> 8) % (HOLE_PAGES / 2), n = HOLE_PAGES - first - (k >> 16) % 4;
		uintptr_t at = hole_base + first * PAGE_SIZE;
		long got;

		switch (round % 4) {
		case 0:
			got = as_mmap(&P.as, at, n * PAGE_SIZE, RW, PRIV_ANON | MM_MAP_FIXED, NULL, 0);
			errors[FAULTERS + 1] += got != (long)at;
			break;
		case 1:
			got = as_mmap(&P.as, at, n * PAGE_SIZE, RW,
				      MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED, NULL, 0);
			errors[FAULTERS + 1] += got != (long)at;
			break;
		default:
			errors[FAULTERS + 1] += as_madvise(&P.as, at, n * PAGE_SIZE,
							   MM_MADV_DONTNEED) != 0;
			break;
		}
	}
	return NULL;
}

struct leaf_count {
	uint64_t pages;
};

static int count_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	(void)va;
	(void)pa;
	(void)prot;
	((struct leaf_count *)ctx)->pages += size / PAGE_SIZE;
	return 0;
}

/*
 * HOLE_READERS @reader threads (their ids 0..) and the canary, beside
 * @changer; when it is done, the others are stopped and joined.
 */
static void run_beside(void *(*reader)(void *), void *(*changer)(void *))
{
	pthread_t t[HOLE_READERS + 2];

	for (int i = 0; i < HOLE_READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i), 0);
	assert_int_equal(pthread_create(&t[HOLE_READERS], NULL, canary, NULL), 0);
	assert_int_equal(pthread_create(&t[HOLE_READERS + 1], NULL, changer, NULL), 0);
	pthread_join(t[HOLE_READERS + 1], NULL);
	__atomic_store_n(&faulters_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < HOLE_READERS + 1; i++)
		pthread_join(t[i], NULL);
}

/* After the threads: none counted an error, the resident count is the pages mapped, the space checks out. */
static void check_threads_done(void)
{
	struct leaf_count lc = { 0 };

	for (int i = 0; i < FAULTERS + 2; i++)
		assert_int_equal(errors[i], 0);
	assert_int_equal(pt_walk(&P.as.vs.pt, 0, UINTPTR_MAX, count_leaf, &lc), 0);
	assert_int_equal(as_rss(&P.as), lc.pages);
	assert_int_equal(as_check(&P.as), 0);
}

/*
 * Lookups (faults, reads and writes) in a range that another thread
 * replaces with MAP_FIXED and drops with MADV_DONTNEED (under the read
 * lock: the space is shared) find a region every time and see only their
 * own bytes or zeroes; pages elsewhere keep theirs. Afterwards the resident
 * count is the pages mapped, exactly, and every frame comes back.
 */
static void test_threads_lookups_never_see_a_hole(void **state)
{
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	unsigned span = 1u << (P.as.vs.pt.fmt->shift[1] - PAGE_SHIFT);
	long a = as_mmap(&P.as, 0, (uint64_t)(2 * span + HOLE_PAGES + CANARY_PAGES) * PAGE_SIZE, RW,
			 PRIV_ANON, NULL, 0);
	assert_false(as_is_err(a));
	/* HOLE_PAGES / 2 pages below a page table's end, the canary right after. */
	hole_base = (((uintptr_t)a + (uintptr_t)span * PAGE_SIZE) & ~((uintptr_t)span * PAGE_SIZE - 1)) -
		    HOLE_PAGES / 2 * PAGE_SIZE;
	canary_base = hole_base + HOLE_PAGES * PAGE_SIZE;
	assert_int_equal(as_munmap(&P.as, (uintptr_t)a, (uint64_t)(2 * span + HOLE_PAGES +
								   CANARY_PAGES) * PAGE_SIZE), 0);
	assert_int_equal(as_mmap(&P.as, hole_base, HOLE_PAGES * PAGE_SIZE, RW,
				 PRIV_ANON | MM_MAP_FIXED, NULL, 0), (long)hole_base);
	assert_int_equal(as_mmap(&P.as, canary_base, CANARY_PAGES * PAGE_SIZE, RW,
				 PRIV_ANON | MM_MAP_FIXED, NULL, 0), (long)canary_base);
	run_beside(hole_reader, replacer);
	check_threads_done();
	assert_int_equal(P.as.zap_marked, 0);
	assert_int_equal(as_munmap(&P.as, hole_base, (HOLE_PAGES + CANARY_PAGES) * PAGE_SIZE), 0);
	assert_int_equal(as_rss(&P.as), 0);
	fill_faulters_region();
	space_down(free0);
}

#define VF_ROUNDS	300

/*
 * Decommit part of the allocation at hole_base and commit it again, over
 * and over; every third round also allocate, fill and release another
 * allocation (MEM_RELEASE, a munmap) beside it.
 */
static void *virtual_freer(void *arg)
{
	unsigned k = 11;

	(void)arg;
	for (unsigned round = 0; round < VF_ROUNDS; round++) {
		k = k * 1103515245u + 12345u;
		uintptr_t first = (k >> 8) % (HOLE_PAGES / 2), n = HOLE_PAGES - first - (k >> 16) % 4;
		uintptr_t at = hole_base + first * PAGE_SIZE;

		errors[FAULTERS + 1] += VirtualFreeProcessMemory(&P.as, at, n * PAGE_SIZE,
								 MEM_DECOMMIT) != 0;
		errors[FAULTERS + 1] += VirtualAllocProcessMemory(&P.as, at, n * PAGE_SIZE, MEM_COMMIT,
								  PAGE_READWRITE) != (long)at;
		if (round % 3)
			continue;
		long b = VirtualAllocProcessMemory(&P.as, 0, HOLE_PAGES * PAGE_SIZE,
						   MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

		if (as_is_err(b) || as_populate(&P.as, (uintptr_t)b, (uintptr_t)b + HOLE_PAGES * PAGE_SIZE,
						false)) {
			errors[FAULTERS + 1]++;
			continue;
		}
		errors[FAULTERS + 1] += VirtualFreeProcessMemory(&P.as, (uintptr_t)b, 0, MEM_RELEASE) != 0;
	}
	return NULL;
}

/*
 * As hole_reader(), in an allocation that another thread decommits and
 * commits again: an access may fail (the page was decommitted: reserved,
 * an access violation), but the allocation's region is there every time
 * (no lookup sees a hole), and what an access reads is its own byte or zero.
 */
static void *decommit_reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned k = (unsigned)id * 2654435761u;
	struct smmu mmu;

	thread_mmu(&mmu);
	while (!__atomic_load_n(&faulters_done, __ATOMIC_ACQUIRE)) {
		k = k * 1103515245u + 12345u;
		uintptr_t va = hole_base + (uintptr_t)((k >> 8) % HOLE_PAGES) * PAGE_SIZE +
			       (uintptr_t)id * 8;
		uint8_t w = (uint8_t)(id + 1), v = 0xee;

		if (((k >> 4) & 1) && smmu_write(&mmu, va, SMMU_USER, &w, 1) &&
		    !as_region_at(&P.as, va, NULL))
			errors[id]++;
		if (smmu_read(&mmu, va, SMMU_USER, &v, 1)) {
			if (!as_region_at(&P.as, va, NULL))
				errors[id]++;
		} else if (v != 0 && v != w) {
			errors[id]++;
		}
	}
	return NULL;
}

/*
 * VirtualFree under the read lock (decommit: regions changed first, then a
 * marked zap; release: a munmap) beside faults in the same pages: no lookup
 * sees a hole, bytes read are the reader's or zero, pages elsewhere keep
 * theirs (the canary), the resident count is the pages mapped and every
 * frame comes back.
 */
static void test_threads_virtualfree_never_leaves_a_hole(void **state)
{
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	long a = VirtualAllocProcessMemory(&P.as, 0, HOLE_PAGES * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT,
					   PAGE_READWRITE);
	long c = as_mmap(&P.as, 0, CANARY_PAGES * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);

	assert_false(as_is_err(a));
	assert_false(as_is_err(c));
	hole_base = (uintptr_t)a;
	canary_base = (uintptr_t)c;
	run_beside(decommit_reader, virtual_freer);
	check_threads_done();
	assert_int_equal(P.as.zap_marked, 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, hole_base, 0, MEM_RELEASE), 0);
	assert_int_equal(as_munmap(&P.as, canary_base, CANARY_PAGES * PAGE_SIZE), 0);
	assert_int_equal(as_rss(&P.as), 0);
	fill_faulters_region();
	space_down(free0);
}

#define SHM_PAGES	48
#define SHM_ROUNDS	60
#define SHM_LEN		((2 * SHM_PAGES + HOLE_PAGES) * PAGE_SIZE)	/* both attachments and between */
static const struct as_file *attach_file;

/* shmdt's questions (as_detach()): the test's file is one attach of a segment of SHM_LEN. */
static bool is_test_attach(const struct as_file *f)
{
	return f == attach_file;
}

static uint64_t test_attach_size(const struct as_file *f)
{
	(void)f;
	return SHM_LEN;
}

/*
 * UnmapFileFromMemory (as_unmap_file()), or shmdt (as_detach(), @shmdt), of a
 * file's two attachments around an anonymous region that other threads keep
 * faulting in, in a space shared by threads: the attachments' pages go under
 * the read lock, the region between them keeps its pages and never fails a
 * lookup, the file's pages keep their data for the next attachment, and every
 * frame comes back. Each attachment lies as far from the first's start as its
 * offset in the file, so shmdt finds both as one attach.
 */
static void unmap_file_beside_faults(bool shmdt)
{
	pthread_t t[HOLE_READERS];
	uint64_t free0;
	struct pcache *pc;

	space_up(true, &free0);
	pc = pcache_create(0);
	assert_non_null(pc);

	struct as_file f = { "shm", pc, NULL, NULL, NULL, false };
	uint64_t len = SHM_LEN;
	long a = as_mmap(&P.as, 0, len, RW, PRIV_ANON, NULL, 0);

	assert_false(as_is_err(a));
	hole_base = (uintptr_t)a + SHM_PAGES * PAGE_SIZE;	/* the readers' region, between */
	uintptr_t second = hole_base + HOLE_PAGES * PAGE_SIZE;

	/* Bytes of the region between that no reader writes: they must stay. */
	for (unsigned page = 0; page < HOLE_PAGES; page++)
		assert_int_equal(uwrite8(&P, hole_base + (uintptr_t)page * PAGE_SIZE + PAGE_SIZE / 2,
					 (uint8_t)(page + 9)), 0);
	for (int i = 0; i < HOLE_READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hole_reader, (void *)(intptr_t)i), 0);
	for (unsigned round = 0; round < SHM_ROUNDS; round++) {
		assert_int_equal(as_mmap(&P.as, (uintptr_t)a, SHM_PAGES * PAGE_SIZE, RW,
					 MM_MAP_SHARED | MM_MAP_FIXED, &f, 0), a);
		assert_int_equal(as_mmap(&P.as, second, SHM_PAGES * PAGE_SIZE, RW,
					 MM_MAP_SHARED | MM_MAP_FIXED, &f, second - (uintptr_t)a),
				 (long)second);
		for (unsigned page = 0; page < SHM_PAGES; page++) {
			uint8_t v;

			/* What the last round wrote is in the file. */
			assert_int_equal(uread8(&P, (uintptr_t)a + (uintptr_t)page * PAGE_SIZE, &v), 0);
			assert_int_equal(v, round ? (uint8_t)(round + page) : 0);
			assert_int_equal(uwrite8(&P, (uintptr_t)a + (uintptr_t)page * PAGE_SIZE,
						 (uint8_t)(round + 1 + page)), 0);
			assert_int_equal(uwrite8(&P, second + (uintptr_t)page * PAGE_SIZE, 1), 0);
		}
		attach_file = &f;
		assert_int_equal(shmdt ? as_detach(&P.as, (uintptr_t)a, is_test_attach, test_attach_size) :
					 as_unmap_file(&P.as, (uintptr_t)a, len, &f), 2);
		assert_false(as_region_at(&P.as, (uintptr_t)a, NULL));
		assert_false(as_region_at(&P.as, second, NULL));
		assert_true(as_region_at(&P.as, hole_base, NULL));
		for (unsigned page = 0; page < HOLE_PAGES; page++)
			assert_int_equal(upeek(&P, hole_base + (uintptr_t)page * PAGE_SIZE + PAGE_SIZE / 2),
					 (uint8_t)(page + 9));
	}
	__atomic_store_n(&faulters_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < HOLE_READERS; i++)
		pthread_join(t[i], NULL);
	check_threads_done();
	assert_int_equal(as_munmap(&P.as, hole_base, HOLE_PAGES * PAGE_SIZE), 0);
	assert_int_equal(as_rss(&P.as), 0);
	pcache_put(pc);
	fill_faulters_region();
	space_down(free0);
}

static void test_threads_unmap_file_beside_faults(void **state)
{
	(void)state;
	unmap_file_beside_faults(false);
}

static void test_threads_shmdt_beside_faults(void **state)
{
	(void)state;
	unmap_file_beside_faults(true);
}

#define OWN_THREADS	(AS_ZAP_MARKS + 2)	/* more zaps at once than marks */
#define OWN_ROUNDS	400

/*
 * The threaded tlb_flush2 loop: write its own page, MADV_DONTNEED it, read
 * zero back, over and over, every thread at once (zaps side by side under
 * the read lock, and some under the write lock when the marks run out).
 */
static void *own_page(void *arg)
{
	int id = (int)(intptr_t)arg;
	uintptr_t va = base + (uintptr_t)id * PAGE_SIZE;
	struct smmu mmu;

	thread_mmu(&mmu);
	for (unsigned round = 0; round < OWN_ROUNDS; round++) {
		uint8_t w = (uint8_t)(round | 1), v = 0xee;

		if (smmu_write(&mmu, va + round % PAGE_SIZE, SMMU_USER, &w, 1) ||
		    smmu_read(&mmu, va + round % PAGE_SIZE, SMMU_USER, &v, 1) || v != w)
			__atomic_add_fetch(&errors[FAULTERS], 1, __ATOMIC_RELAXED);
		if (as_madvise(&P.as, va, PAGE_SIZE, MM_MADV_DONTNEED))
			__atomic_add_fetch(&errors[FAULTERS], 1, __ATOMIC_RELAXED);
		if (smmu_read(&mmu, va + round % PAGE_SIZE, SMMU_USER, &v, 1) || v != 0)
			__atomic_add_fetch(&errors[FAULTERS], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_threads_dontneed_own_pages(void **state)
{
	pthread_t t[OWN_THREADS];
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	for (int i = 0; i < OWN_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, own_page, (void *)(intptr_t)i), 0);
	for (int i = 0; i < OWN_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(errors[FAULTERS], 0);
	assert_int_equal(P.as.zap_marked, 0);
	/* Each page was last read after its zap: the zero page, so nothing resident but that. */
	assert_int_equal(as_rss(&P.as), OWN_THREADS);
	assert_int_equal(as_madvise(&P.as, base, PAGES * PAGE_SIZE, MM_MADV_DONTNEED), 0);
	assert_int_equal(as_rss(&P.as), 0);
	fill_faulters_region();
	space_down(free0);
}

#define RACE_PAIRS	3
#define RACE_ZAPS	4000
static volatile int zappers_done;

/* Fill a page again and again (first touches, some through the zero page) while it is dropped. */
static void *race_filler(void *arg)
{
	int id = (int)(intptr_t)arg;
	uintptr_t va = base + (uintptr_t)id * PAGE_SIZE;
	struct smmu mmu;

	thread_mmu(&mmu);
	for (unsigned k = 0; !__atomic_load_n(&zappers_done, __ATOMIC_ACQUIRE); k++) {
		uint8_t w = (uint8_t)(k | 1), v = 0xee;

		if ((k & 3) == 0 && (smmu_read(&mmu, va + 64, SMMU_USER, &v, 1) || (v && v != 0x5a)))
			__atomic_add_fetch(&errors[id], 1, __ATOMIC_RELAXED);
		if (smmu_write(&mmu, va, SMMU_USER, &w, 1) ||
		    smmu_write(&mmu, va + 64, SMMU_USER, &(uint8_t){ 0x5a }, 1) ||
		    smmu_read(&mmu, va, SMMU_USER, &v, 1) || (v && v != w))
			__atomic_add_fetch(&errors[id], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *race_zapper(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (unsigned k = 0; k < RACE_ZAPS; k++)
		if (as_madvise(&P.as, base + (uintptr_t)id * PAGE_SIZE, PAGE_SIZE, MM_MADV_DONTNEED))
			__atomic_add_fetch(&errors[FAULTERS], 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * MADV_DONTNEED of a page beside faults of that very page, which fill it
 * (zeroed, or the zero page then a copy): the zap and a fault never both
 * handle one frame, so none is freed twice or lost, and the page reads
 * back what was written or zero.
 */
static void test_threads_dontneed_vs_faults(void **state)
{
	pthread_t f[RACE_PAIRS], z[RACE_PAIRS];
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	zappers_done = 0;
	for (int i = 0; i < RACE_PAIRS; i++) {
		assert_int_equal(pthread_create(&f[i], NULL, race_filler, (void *)(intptr_t)i), 0);
		assert_int_equal(pthread_create(&z[i], NULL, race_zapper, (void *)(intptr_t)i), 0);
	}
	for (int i = 0; i < RACE_PAIRS; i++)
		pthread_join(z[i], NULL);
	__atomic_store_n(&zappers_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < RACE_PAIRS; i++)
		pthread_join(f[i], NULL);
	check_threads_done();
	assert_int_equal(as_madvise(&P.as, base, PAGES * PAGE_SIZE, MM_MADV_DONTNEED), 0);
	assert_int_equal(as_rss(&P.as), 0);
	fill_faulters_region();
	space_down(free0);
}

#define BIG_PAGES	(32768u)	/* 128 MiB: wis's mmap1 and page_fault1 size */

/* BIG_PAGES populated at a fresh place: mmap'ed, or a Win32 allocation (@win). */
static uintptr_t big_populated(bool win)
{
	long a = win ? VirtualAllocProcessMemory(&P.as, 0, (uint64_t)BIG_PAGES * PAGE_SIZE,
						 MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) :
		       as_mmap(&P.as, 0, (uint64_t)BIG_PAGES * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);

	assert_false(as_is_err(a));
	assert_int_equal(as_populate(&P.as, (uintptr_t)a, (uintptr_t)a + (uint64_t)BIG_PAGES * PAGE_SIZE,
				     false), 0);
	assert_int_equal(as_rss(&P.as), PAGES + BIG_PAGES);
	return (uintptr_t)a;
}

/*
 * Shootdown rounds of zapping 128 MiB populated in a space shared by threads
 * while another CPU holds it (its TLB may cache every page): munmap,
 * MADV_DONTNEED, MAP_FIXED over it, VirtualFree's decommit and release,
 * all zapped under the read lock in one gather of up to PT_GATHER_ORDER's
 * block of pages. Each round is one plat_tlb_shootdown(); every frame
 * comes back afterwards.
 */
static unsigned long big_zap_rounds(int how)
{
	uintptr_t a = big_populated(how >= 3);
	unsigned other = (plat_cpu_id() + 1) % MM_MAX_CPUS;
	unsigned long before;

	pt_space_cpu_enter(&P.as.vs.pt, other);
	before = __atomic_load_n(&sim_count.tlb_shootdown, __ATOMIC_RELAXED);
	switch (how) {
	case 0:
		assert_int_equal(as_munmap(&P.as, a, (uint64_t)BIG_PAGES * PAGE_SIZE), 0);
		break;
	case 1:
		assert_int_equal(as_madvise(&P.as, a, (uint64_t)BIG_PAGES * PAGE_SIZE,
					    MM_MADV_DONTNEED), 0);
		break;
	case 2:
		assert_int_equal(as_mmap(&P.as, a, (uint64_t)BIG_PAGES * PAGE_SIZE, RW,
					 PRIV_ANON | MM_MAP_FIXED, NULL, 0), (long)a);
		break;
	case 3:
		assert_int_equal(VirtualFreeProcessMemory(&P.as, a, (uint64_t)BIG_PAGES * PAGE_SIZE,
							  MEM_DECOMMIT), 0);
		break;
	default:
		assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
		break;
	}
	unsigned long rounds = __atomic_load_n(&sim_count.tlb_shootdown, __ATOMIC_RELAXED) - before;

	pt_space_cpu_leave(&P.as.vs.pt, other);
	assert_int_equal(as_rss(&P.as), PAGES);
	if (how == 3)
		assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	else if (how && how < 4)
		assert_int_equal(as_munmap(&P.as, a, (uint64_t)BIG_PAGES * PAGE_SIZE), 0);
	assert_false(as_region_at(&P.as, a, NULL));
	return rounds;
}

static void test_shootdown_rounds_of_big_zaps(void **state)
{
	uint64_t free0;

	(void)state;
	space_up(true, &free0);
	fill_faulters_region();
	/* Pages per round; the range spans one table more than it fills; then the prune's round. */
	unsigned long per_round = (PAGE_SIZE << PT_GATHER_ORDER) / sizeof(struct pt_freed);
	unsigned long most = BIG_PAGES / per_round + 2;
	static const char *const what[] = { "munmap", "MADV_DONTNEED", "MAP_FIXED",
					    "VirtualFree(MEM_DECOMMIT)", "VirtualFree(MEM_RELEASE)" };

	for (int how = 0; how < 5; how++) {
		unsigned long rounds = big_zap_rounds(how);

		printf("# shootdown rounds, 128 MiB %s: %lu\n", what[how], rounds);
		assert_true(rounds >= BIG_PAGES / per_round);	/* the frames waited for them */
		assert_true(rounds <= most);
	}
	space_down(free0);
}

/*
 * Two first writes to one page at once. The first thread (A) is held in
 * plat_kmap() while it clears the frame its fault prepared, and the
 * second (B) writes the page meanwhile: B's fault must not wait for A's
 * (the clearing holds no fault lock and runs with interrupts on), B's frame
 * is the one mapped, and A finds the page filled and gives its own back.
 * A waits for B at most two seconds, so a fault that held the page's lock
 * while clearing fails the checks instead of hanging.
 */
static _Thread_local bool race_is_a;
static int race_armed, race_held, race_done;
static phys_addr_t race_a_frame;
static bool race_irqs_off;
static uintptr_t race_va;

static void race_kmap_hook(phys_addr_t pa)
{
	if (!race_is_a || !__atomic_exchange_n(&race_armed, 0, __ATOMIC_ACQ_REL))
		return;
	race_a_frame = pa;
	race_irqs_off = sim_irqs_off();
	__atomic_store_n(&race_held, 1, __ATOMIC_RELEASE);
	for (unsigned ms = 0; ms < 2000 && !__atomic_load_n(&race_done, __ATOMIC_ACQUIRE); ms++)
		usleep(1000);
}

static void *race_writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint8_t v = (uint8_t)(0xa0 + id);
	struct smmu mmu;

	thread_mmu(&mmu);
	if (id == 0) {
		race_is_a = true;
		__atomic_store_n(&race_armed, 1, __ATOMIC_RELEASE);
	} else if (sim_kmap_hook) {
		for (unsigned ms = 0; ms < 2000 && !__atomic_load_n(&race_held, __ATOMIC_ACQUIRE); ms++)
			usleep(1000);
	}
	if (smmu_write(&mmu, race_va + (uintptr_t)id, SMMU_USER, &v, 1))
		errors[id]++;
	if (id == 1)
		__atomic_store_n(&race_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void race_one_page(bool read_first)
{
	pthread_t t[2];
	uint64_t free0, free1;
	phys_addr_t pa;

	space_up(true, &free0);
	race_va = base + 5 * PAGE_SIZE;
	race_armed = race_held = race_done = 0;
	race_a_frame = PMM_NO_FRAME;
	assert_int_equal(uwrite8(&P, base, 1), 0);	/* the page tables, made before the count */
	if (read_first)
		assert_int_equal(upeek(&P, race_va), 0);	/* the zero page, copied on the writes */
	pmm_drain();
	free1 = sim_free_frames();
	sim_kmap_hook = read_first ? NULL : race_kmap_hook;	/* the zero page: both at once */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	sim_kmap_hook = NULL;
	assert_int_equal(errors[0] + errors[1], 0);
	assert_int_equal(upeek(&P, race_va), 0xa0);
	assert_int_equal(upeek(&P, race_va + 1), 0xa1);
	assert_true(pt_translate(&P.as.vs.pt, race_va, &pa, NULL, NULL));
	if (!read_first) {
		assert_int_equal(race_held, 1);
		assert_false(race_irqs_off);
		assert_true((pa & PAGE_MASK) != race_a_frame);	/* B's frame, filled while A cleared */
	}
	pmm_drain();
	assert_int_equal(sim_free_frames(), free1 - 1);	/* one frame: A's came back */
	assert_int_equal(as_rss(&P.as), 2);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	assert_int_equal(vm_committed_pages(), 0);
}

static void test_threads_first_writes_one_page(void **state)
{
	(void)state;
	race_one_page(false);
}

static void test_threads_zero_page_writes_one_page(void **state)
{
	(void)state;
	race_one_page(true);
}

static int setup(void **state)
{
	(void)state;
	return vm_ram_setup(64 * MiB);
}

static int setup_big(void **state)
{
	(void)state;
	return vm_ram_setup(192 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_threads_fault_one_space, setup),
		cmocka_unit_test_setup(test_threads_munmap_while_faulting, setup),
		cmocka_unit_test_setup(test_threads_fault_walks_vs_table_free, setup),
		cmocka_unit_test_setup(test_threads_lookups_never_see_a_hole, setup),
		cmocka_unit_test_setup(test_threads_virtualfree_never_leaves_a_hole, setup),
		cmocka_unit_test_setup(test_threads_unmap_file_beside_faults, setup),
		cmocka_unit_test_setup(test_threads_shmdt_beside_faults, setup),
		cmocka_unit_test_setup(test_threads_dontneed_own_pages, setup),
		cmocka_unit_test_setup(test_threads_dontneed_vs_faults, setup),
		cmocka_unit_test_setup(test_shootdown_rounds_of_big_zaps, setup_big),
		cmocka_unit_test_setup(test_threads_first_writes_one_page, setup),
		cmocka_unit_test_setup(test_threads_zero_page_writes_one_page, setup),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
