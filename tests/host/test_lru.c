// SPDX-License-Identifier: MIT
/*
 * The LRU lists and the reclaim of page-cache pages: list moves and
 * isolation (also from several threads under TSan), shared anonymous
 * memory mapped by a parent and its child swapped out through the reverse
 * map and read back by both, referenced and mlock()ed pages kept, an unmapped object
 * (a RAM file) swapped and punched, swapoff bringing page-cache pages back
 * (those its read-ahead missed too),
 * anonymous pages through the per-CPU batches (freed while batched, drained
 * and counted from many threads), and a shared working set of 1.5 times RAM
 * through direct reclaim - every
 * frame and slot back at the end. A backend that sleeps (a disk) must be
 * read with no lock held and interrupts on: faults, read() and truncate
 * drop theirs first.
 */
#include <pthread.h>
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
#include "mm/pcache.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"

#define SHARED	(MM_MAP_SHARED | MM_MAP_ANONYMOUS)

static uint64_t free0;
static struct proc P, C;
static struct test_swap TS, TS2;
static int type1, type2 = -1;
static bool sleeping;		/* this round's backend may sleep (a disk): writes are queued */

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
	assert_int_equal(lru_init(), 0);
	free0 = sim_free_frames();
	return 0;
}

static int before(void **state)
{
	(void)state;
	return before_ram(64 * MiB, 4096);
}

static int before_small(void **state)
{
	(void)state;
	return before_ram(16 * MiB, 16384);
}

static int after(void **state)
{
	(void)state;
	if (type2 >= 0) {
		assert_int_equal(swap_area_remove(type2), 0);
		test_swap_fini(&TS2);
		type2 = -1;
	}
	assert_int_equal(lru_check(), 0);
	for (unsigned l = 0; l < LRU_NR_LISTS; l++)
		assert_int_equal(lru_count((enum lru_list)l), 0);
	assert_int_equal(pcache_total_swapped(), 0);
	/* A disk is read with no lock held: faults, read(), truncate, swapoff's stragglers. */
	assert_int_equal(TS.locked_calls, 0);
	swt_teardown(&TS, type1, free0);
	return 0;
}

static uintptr_t map_shared(struct proc *p, uint64_t len)
{
	return swt_map(p, len, SHARED);
}

/* One scan of the file lists; writes queued for a disk are done after it, as reclaim does. */
static unsigned long scan(unsigned long nr, bool force, struct reclaim_figures *fig)
{
	unsigned long freed = reclaim_file_scan(nr, nr, force, PMM_ZONE_ID_HIGHMEM, fig), wb = swap_writeback_run();

	fig->reclaimed += wb;
	return freed + wb;
}

/* Moves between the lists, isolation, deletion of an isolated page. */
static void test_lists(void **state)
{
	phys_addr_t pa[8];
	struct lru_victim v[8];
	int owner;

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		pa[i] = pmm_alloc_pages(0, 0);
		lru_add(pa[i], LRU_FILE, &owner, i);
	}
	lru_add(pa[0], LRU_FILE, &owner, 0);	/* already on: no change */
	assert_int_equal(lru_count(LRU_INACTIVE_FILE), 8);
	/* The tail is the oldest. */
	assert_int_equal(lru_isolate(LRU_INACTIVE_FILE, v, 3), 3);
	assert_int_equal(v[0].pa, pa[0]);
	assert_int_equal(v[2].index, 2);
	assert_ptr_equal(v[1].owner, &owner);
	assert_int_equal(pmm_refcount(pa[0]), 2);
	assert_int_equal(lru_count(LRU_INACTIVE_FILE), 5);
	lru_putback(&v[0], true);
	lru_del(pa[1]);			/* the owner lets an isolated page go */
	lru_putback(&v[1], true);	/* ... so it does not come back */
	lru_putback(&v[2], false);
	assert_int_equal(lru_count(LRU_ACTIVE_FILE), 1);
	assert_int_equal(lru_count(LRU_INACTIVE_FILE), 6);
	assert_int_equal(pmm_refcount(pa[0]), 1);
	assert_int_equal(lru_check(), 0);
	lru_mark_accessed(pa[0]);
	assert_int_equal(lru_deactivate(LRU_FILE, 4), 1);
	assert_false(lru_test_clear_accessed(pa[0]));	/* demotion clears the mark */
	lru_mark_accessed(pa[3]);
	assert_true(lru_test_clear_accessed(pa[3]));
	assert_false(lru_test_clear_accessed(pa[3]));
	assert_int_equal(lru_count(LRU_INACTIVE_FILE), 7);
	for (unsigned i = 0; i < 8; i++) {
		lru_del(pa[i]);
		pmm_put(pa[i]);
	}
	assert_int_equal(lru_check(), 0);
}

/* Shared anonymous memory of a parent and its child: swapped out at once, read back by both. */
static void test_shared_fork(void **state)
{
	struct reclaim_figures fig = { 0 };
	uint64_t f1;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map_shared(&P, 64 * PG);
	swt_fill(&P, a, 64, 1);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	swt_check(&C, a, 64, 1);
	assert_int_equal(lru_count(LRU_INACTIVE_FILE), 64);
	f1 = sim_free_frames();
	/* Just touched through both mappings: promoted, their accessed bits cleared. */
	assert_int_equal(scan(64, false, &fig), 0);
	assert_int_equal(lru_count(LRU_ACTIVE_FILE), 64);
	/* Not touched since: demoted, then unmapped from both spaces and written once. */
	assert_int_equal(scan(64, false, &fig), 64);
	assert_int_equal(fig.reclaimed, 64);
	assert_int_equal(TS.writes, 64);
	assert_int_equal(pcache_total_swapped(), 64);
	pmm_drain();
	assert_true(sim_free_frames() >= f1 + 64);
	assert_int_equal(as_rss(&P.as), 0);
	assert_int_equal(as_rss(&C.as), 0);
	/* The child reads them back; the parent then maps the same frames. */
	swt_check(&C, a, 64, 1);
	assert_int_equal(TS.reads, 64);
	swt_check(&P, a, 64, 1);
	assert_int_equal(TS.reads, 64);
	assert_int_equal(pcache_total_swapped(), 0);
	swt_fill(&P, a, 64, 2);
	swt_check(&C, a, 64, 2);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	/* Swapped again, then both exit: every slot goes. */
	scan(64, true, &fig);
	assert_int_equal(pcache_total_swapped(), 64);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* Pages touched again since the last scan stay; the others go. */
static void test_referenced_stay(void **state)
{
	struct reclaim_figures fig = { 0 };
	struct pcache *pc;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map_shared(&P, 32 * PG);
	swt_fill(&P, a, 32, 1);
	pc = as_region_find(&P.as, a)->shm;
	assert_int_equal(scan(32, false, &fig), 0);	/* all active, bits cleared */
	swt_check(&P, a, 16, 1);				/* the first half used again */
	assert_int_equal(scan(32, false, &fig), 16);
	for (unsigned i = 0; i < 32; i++)
		assert_true((pcache_find(pc, i) != 0) == (i < 16));
	swt_check(&P, a, 32, 1);
	as_destroy(&P.as);
}

/*
 * Pages an mlock()ed region maps are never evicted, even by a forced scan,
 * though another space maps them unlocked; after munlock they go.
 */
static void test_locked_stay(void **state)
{
	struct reclaim_figures fig = { 0 };
	struct pcache *pc;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map_shared(&P, 32 * PG);
	swt_fill(&P, a, 32, 1);
	pc = as_region_find(&P.as, a)->shm;
	assert_int_equal(as_fork(&C.as, &P.as), 0);	/* locks are not inherited */
	proc_cpu(&C);
	swt_check(&C, a, 32, 1);
	proc_cpu(&P);
	assert_int_equal(as_mlock(&P.as, a + 8 * PG, 16 * PG, 0), 0);
	assert_int_equal(scan(32, true, &fig), 16);	/* the unlocked ones */
	assert_int_equal(scan(32, true, &fig), 0);
	assert_int_equal(scan(32, true, &fig), 0);
	assert_int_equal(TS.writes, 16);
	for (unsigned i = 0; i < 32; i++)
		assert_true((pcache_find(pc, i) != 0) == (i >= 8 && i < 24));
	assert_int_equal(as_rss(&P.as), 16);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 16);	/* set aside after the first scan */
	assert_int_equal(as_munlock(&P.as, a, 32 * PG), 0);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 0);
	assert_int_equal(scan(32, true, &fig), 16);
	assert_int_equal(pcache_total_swapped(), 32);
	swt_check(&C, a, 32, 1);
	proc_cpu(&P);
	swt_check(&P, a, 32, 1);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* A RAM file nobody maps: its pages go to swap, come back on read(), and punching frees slots. */
static void test_unmapped_object(void **state)
{
	struct reclaim_figures fig = { 0 };
	struct swap_counters c;
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	static uint8_t buf[40 * 4096], out[40 * 4096];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 4096);
	assert_int_equal(pcache_write(pc, 0, buf, sizeof(buf)), (long)sizeof(buf));
	assert_int_equal(scan(64, true, &fig), 40);
	assert_int_equal(pc->nrpages, 0);
	assert_int_equal(pc->nrswapped, 40);
	assert_int_equal(pcache_find(pc, 3), 0);	/* mincore: not resident */
	assert_int_equal(pcache_read(pc, 0, out, 8192), 8192);
	assert_memory_equal(out, buf, 8192);
	assert_int_equal(pc->nrswapped, 38);
	pcache_punch(pc, 10, 10);
	swap_get_counters(&c);
	assert_int_equal(c.slots_used, 28);
	pcache_set_size(pc, 30 * 4096 + 100);		/* the cut page is read back to be cut */
	assert_int_equal(pcache_read(pc, 20 * 4096, out, 10 * 4096 + 100), 10 * 4096 + 100);
	assert_memory_equal(out, buf + 20 * 4096, 10 * 4096 + 100);
	pcache_put(pc);
	swap_get_counters(&c);
	assert_int_equal(c.slots_used, 0);
}

/* swapoff reads page-cache pages back too. */
static void test_swapoff(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	(void)state;
	test_swap_init(&TS2, "test1", 1024);
	type2 = swap_area_add(&TS2.b, 20, 1);
	assert_true(type2 >= 0);
	swt_new_proc(&P);
	a = map_shared(&P, 48 * PG);
	swt_fill(&P, a, 48, 1);
	assert_int_equal(scan(48, true, &fig), 48);
	assert_int_equal(TS2.stored, 48);
	assert_int_equal(swap_area_remove(type2), 0);
	test_swap_fini(&TS2);
	type2 = -1;
	assert_int_equal(pcache_total_swapped(), 0);
	swt_check(&P, a, 48, 1);
	assert_int_equal(TS.reads, 0);
	as_destroy(&P.as);
}

/*
 * swapoff's stragglers: page-cache pages its read-ahead did not bring into
 * the swap cache (here: all, the unuse pass run alone) are read back too,
 * from a disk with no lock held and interrupts on.
 */
static void test_swapoff_stragglers(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	(void)state;
	test_swap_init(&TS2, "test1", 1024);
	ts_set_sleeping(&TS2, sleeping);
	TS2.unlocked = spaces_unlocked;
	type2 = swap_area_add(&TS2.b, 20, 1);
	assert_true(type2 >= 0);
	swt_new_proc(&P);
	a = map_shared(&P, 48 * PG);
	swt_fill(&P, a, 48, 1);
	assert_int_equal(scan(48, true, &fig), 48);
	assert_int_equal(TS2.stored, 48);
	assert_int_equal(swap_area_set_removing(type2, true), 0);
	assert_int_equal(pcache_swap_unuse(type2), 0);
	assert_int_equal(pcache_total_swapped(), 0);
	assert_int_equal(TS2.reads, 48);
	assert_int_equal(TS2.locked_calls, 0);
	assert_int_equal(swap_area_remove(type2), 0);
	test_swap_fini(&TS2);
	type2 = -1;
	swt_check(&P, a, 48, 1);
	assert_int_equal(TS.reads, 0);
	as_destroy(&P.as);
}

/* A read error leaves the page in swap and the fault gets SIGBUS. */
static void test_read_error(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map_shared(&P, 4 * PG);
	swt_fill(&P, a, 4, 1);
	assert_int_equal(scan(4, true, &fig), 4);
	TS.fail_reads = true;
	assert_int_equal(ufetch8(&P, a), -MM_EFAULT);
	assert_int_equal(pcache_total_swapped(), 4);
	TS.fail_reads = false;
	swt_check(&P, a, 4, 1);
	as_destroy(&P.as);
}

/* Shared memory of 1.5 times RAM, random access, through direct reclaim from faults. */
static void test_shared_working_set(void **state)
{
	struct reclaim_stats r0, r1;
	uint64_t ram = sim_free_frames(), pages = ram * 3 / 2, seed = 7;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = map_shared(&P, pages * PG);
	reclaim_get_stats(&r0);
	swt_fill(&P, a, (unsigned)pages, 1);
	for (unsigned i = 0; i < pages; i++) {
		uintptr_t va = a + (test_random(&seed) % pages) * PG;

		assert_int_equal(upeek(&P, va), swt_pattern(va, 1));
		assert_int_equal(upeek(&P, va + PG - 1), swt_pattern(va, 1) ^ 0xff);
	}
	swt_check(&P, a, (unsigned)pages, 1);
	reclaim_get_stats(&r1);
	assert_true(r1.direct_runs > r0.direct_runs);
	assert_true(r1.reclaimed - r0.reclaimed >= pages - ram);
	print_message("shared working set %llu pages on %llu frames: %llu scanned, %llu reclaimed, "
		      "%llu stalls, %llu refaults\n", (unsigned long long)pages,
		      (unsigned long long)ram, (unsigned long long)(r1.scanned - r0.scanned),
		      (unsigned long long)(r1.reclaimed - r0.reclaimed),
		      (unsigned long long)(r1.direct_runs - r0.direct_runs),
		      (unsigned long long)(r1.refaults - r0.refaults));
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
}

/* Several threads adding, deleting, isolating, putting back and aging at once. */
#define THREADS		4
#define PER_THREAD	64

static void *churn(void *arg)
{
	uint64_t seed = (uintptr_t)arg;
	phys_addr_t own[PER_THREAD];
	struct lru_victim v[4];

	for (unsigned i = 0; i < PER_THREAD; i++) {
		own[i] = pmm_alloc_pages(0, 0);
		lru_add(own[i], (i & 1) ? LRU_FILE : LRU_ANON, arg, i);
	}
	for (unsigned round = 0; round < 2000; round++) {
		unsigned i = (unsigned)(test_random(&seed) % PER_THREAD);
		unsigned n;

		switch (test_random(&seed) % 5) {
		case 0:
			lru_del(own[i]);
			lru_add(own[i], LRU_FILE, arg, i);
			break;
		case 1:
			lru_mark_accessed(own[i]);
			break;
		case 2:
			n = lru_isolate(round & 1 ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON, v, 4);
			for (unsigned k = 0; k < n; k++)
				lru_putback(&v[k], lru_test_clear_accessed(v[k].pa));
			break;
		case 3:
			lru_deactivate(round & 1 ? LRU_FILE : LRU_ANON, 2);
			break;
		default:
			n = lru_isolate(LRU_ACTIVE_FILE, v, 2);
			for (unsigned k = 0; k < n; k++)
				lru_putback(&v[k], false);
		}
	}
	for (unsigned i = 0; i < PER_THREAD; i++) {
		lru_del(own[i]);
		pmm_put(own[i]);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(i + 1)), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(lru_check(), 0);
}

/*
 * Anonymous pages through the per-CPU batches from several threads: added
 * (batched), freed one at a time or a batch at a time (munmap's path) while
 * still batched or after, reallocated and batched again, isolated and put
 * back, with drains and counts from every thread. At the end the lists
 * hold exactly the pages still allocated.
 */
#define BATCH_THREADS	6
#define BATCH_PAGES	96
#define BATCH_ROUNDS	3000

static uint64_t batch_live[BATCH_THREADS];

/* The thread's pages left, for the test to free after its count. */
static phys_addr_t *own_copy(const phys_addr_t *own)
{
	phys_addr_t *c = malloc(BATCH_PAGES * sizeof(*c));

	if (c)
		memcpy(c, own, BATCH_PAGES * sizeof(*c));
	return c;
}

static void *batch_churn(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t seed = id + 11;
	phys_addr_t own[BATCH_PAGES] = { 0 };
	uint32_t put[8];
	struct lru_victim v[4];
	unsigned live = 0, n;

	for (unsigned round = 0; round < BATCH_ROUNDS; round++) {
		unsigned i = (unsigned)(test_random(&seed) % BATCH_PAGES);

		switch (test_random(&seed) % 8) {
		case 0: case 1: case 2:		/* a fault's new page */
			if (own[i])
				break;
			if ((own[i] = pmm_alloc_pages(0, 0)) == PMM_NO_FRAME) {
				own[i] = 0;
				break;
			}
			lru_add(own[i], LRU_ANON, arg, i);
			live++;
			break;
		case 3:				/* its last mapping goes, batched or listed */
			if (!own[i])
				break;
			pmm_put(own[i]);
			own[i] = 0;
			live--;
			break;
		case 4:				/* munmap: a batch of frees at once */
			n = 0;
			for (unsigned k = 0; k < 8 && n < 8; k++, i = (i + 1) % BATCH_PAGES)
				if (own[i]) {
					put[n++] = (uint32_t)(own[i] >> PAGE_SHIFT);
					own[i] = 0;
					live--;
				}
			pmm_put_mapped_batch(put, n);
			break;
		case 5:				/* reclaim looks at the list */
			n = lru_isolate(LRU_INACTIVE_ANON, v, 4);
			for (unsigned k = 0; k < n; k++)
				lru_putback(&v[k], test_random(&seed) & 1);
			break;
		case 6:
			lru_drain_all();
			break;
		default:
			(void)lru_count(LRU_INACTIVE_ANON);
		}
	}
	__atomic_store_n(&batch_live[id], live, __ATOMIC_RELEASE);
	return (void *)own_copy(own);
}

static void test_batch_threads(void **state)
{
	pthread_t t[BATCH_THREADS];
	phys_addr_t *own[BATCH_THREADS];
	uint64_t live = 0;

	(void)state;
	for (uintptr_t i = 0; i < BATCH_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, batch_churn, (void *)i), 0);
	for (unsigned i = 0; i < BATCH_THREADS; i++) {
		pthread_join(t[i], (void **)&own[i]);
		assert_non_null(own[i]);
		live += batch_live[i];
	}
	assert_true(live > 0);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON) + lru_count(LRU_ACTIVE_ANON), live);
	assert_int_equal(lru_check(), 0);
	for (unsigned i = 0; i < BATCH_THREADS; i++) {
		for (unsigned k = 0; k < BATCH_PAGES; k++)
			if (own[i][k])
				pmm_put(own[i][k]);
		free(own[i]);
	}
	assert_int_equal(lru_count(LRU_INACTIVE_ANON) + lru_count(LRU_ACTIVE_ANON), 0);
}

/* A page freed while batched is skipped by the drain, also when it is batched again. */
static void test_batch_freed(void **state)
{
	phys_addr_t pa[4];
	uint32_t pfn[2];

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		pa[i] = pmm_alloc_pages(0, 0);
		lru_add(pa[i], LRU_ANON, &pa, i);
	}
	lru_add(pa[0], LRU_ANON, &pa, 0);	/* twice in the batch: listed once */
	pmm_put(pa[1]);				/* freed while batched */
	pfn[0] = (uint32_t)(pa[2] >> PAGE_SHIFT);
	pfn[1] = (uint32_t)(pa[3] >> PAGE_SHIFT);
	pmm_get(pa[3]);
	pmm_put_mapped_batch(pfn, 2);		/* one freed, one still held */
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 2);
	assert_true(lru_anon_page(pa[0]) && lru_anon_page(pa[3]));
	assert_int_equal(lru_check(), 0);
	pmm_put(pa[0]);
	pmm_put(pa[3]);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lists, before, after),
		cmocka_unit_test_setup_teardown(test_shared_fork, before, after),
		cmocka_unit_test_setup_teardown(test_referenced_stay, before, after),
		cmocka_unit_test_setup_teardown(test_locked_stay, before, after),
		cmocka_unit_test_setup_teardown(test_unmapped_object, before, after),
		cmocka_unit_test_setup_teardown(test_swapoff, before, after),
		cmocka_unit_test_setup_teardown(test_swapoff_stragglers, before, after),
		cmocka_unit_test_setup_teardown(test_read_error, before, after),
		cmocka_unit_test_setup_teardown(test_shared_working_set, before_small, after),
		cmocka_unit_test_setup_teardown(test_threads, before, after),
		cmocka_unit_test_setup_teardown(test_batch_freed, before, after),
		cmocka_unit_test_setup_teardown(test_batch_threads, before, after),
	};

	int failed = cmocka_run_group_tests_name("lru, backend written under the locks", tests,
						 swap_test_group_setup, sim_group_teardown);

	sleeping = true;
	return failed + cmocka_run_group_tests_name("lru, backend that sleeps (writes queued)",
						    tests, swap_test_group_setup, sim_group_teardown);
}
