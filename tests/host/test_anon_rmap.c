// SPDX-License-Identifier: MIT
/*
 * Private anonymous pages on the LRU lists and their reverse map
 * (mm/as_anon.c, mm/reclaim_anon.c): a page shared copy-on-write after fork
 * is found from its frame in every space of the fork tree, unmapped from
 * all of them and written once (one slot, a swap count per sharer); the
 * same after munmap in the child, mremap moving the parent's pages, a
 * copy-on-write break, the parent's exit; mlocked pages stay, set aside on
 * the unevictable list until the lock ends; and several
 * threads forking, writing, unmapping and exiting while another reclaims
 * (TSan). Every frame, slot and list entry is back at the end.
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
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"

#define PRIV	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)

static uint64_t free0;
static struct proc P, C;
static struct test_swap TS;
static int type1;
static bool sleeping;		/* this round's backend may sleep (a disk): writes are queued */

static int before(void **state)
{
	(void)state;
	type1 = swt_setup(64 * MiB, &TS, 8192);
	ts_set_sleeping(&TS, sleeping);
	assert_int_equal(lru_init(), 0);
	free0 = sim_free_frames();
	return 0;
}

static int after(void **state)
{
	(void)state;
	assert_int_equal(lru_check(), 0);
	for (unsigned l = 0; l < LRU_NR_LISTS; l++)
		assert_int_equal(lru_count((enum lru_list)l), 0);
	swt_teardown(&TS, type1, free0);
	return 0;
}

/* One scan of the anonymous lists; queued writes done after it, as reclaim does. */
static unsigned long scan(unsigned long nr, bool force, struct reclaim_figures *fig)
{
	unsigned long freed = reclaim_anon_scan(nr, nr, force, PMM_ZONE_ID_HIGHMEM, fig), wb = swap_writeback_run();

	fig->reclaimed += wb;
	return freed + wb;
}

static uint64_t slots_used(void)
{
	struct swap_counters c;

	swap_get_counters(&c);
	return c.slots_used;
}

/* The swap entry at @va of @p (asserted to be one). */
static swp_entry_t entry_at(struct proc *p, uintptr_t va)
{
	uint32_t val = 0;

	assert_true(pt_swp_lookup(&p->as.vs.pt, va, &val));
	return (swp_entry_t){ val };
}

/* A page shared after fork: unmapped from both spaces at once, one slot with a count of two. */
static void test_fork_shared(void **state)
{
	struct reclaim_figures fig = { 0 };
	uint64_t f1;
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, 64 * PG, PRIV);
	swt_fill(&P, a, 64, 1);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 64);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	swt_check(&C, a, 64, 1);
	f1 = sim_free_frames();
	/* Just touched: promoted, accessed bits cleared in both spaces. */
	assert_int_equal(scan(64, false, &fig), 0);
	assert_int_equal(lru_count(LRU_ACTIVE_ANON), 64);
	/* Not touched since: demoted, then swapped out of both, each written once. */
	assert_int_equal(scan(64, false, &fig), 64);
	assert_int_equal(fig.reclaimed, 64);
	assert_int_equal(fig.swapped, 128);
	assert_int_equal(TS.writes, 64);
	assert_int_equal(slots_used(), 64);
	for (unsigned i = 0; i < 64; i++) {
		swp_entry_t e = entry_at(&P, a + i * PG);

		assert_int_equal(entry_at(&C, a + i * PG).val, e.val);
		assert_int_equal(swap_count(e), 2);
	}
	assert_int_equal(as_rss(&P.as), 0);
	assert_int_equal(as_rss(&C.as), 0);
	assert_int_equal(P.as.swapents, 64);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON) + lru_count(LRU_ACTIVE_ANON), 0);
	pmm_drain();
	assert_true(sim_free_frames() >= f1 + 64);
	/* The child reads each page once; the parent finds them in the swap cache. */
	swt_check(&C, a, 64, 1);
	assert_int_equal(TS.reads, 64);
	swt_check(&P, a, 64, 1);
	assert_int_equal(TS.reads, 64);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 64);
	/* The child's writes copy; the parent keeps its pages. */
	swt_fill(&C, a, 32, 2);
	swt_check(&P, a, 64, 1);
	swt_check(&C, a, 32, 2);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 96);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	/* Swapped again, everything, then both exit: every slot goes. */
	assert_int_equal(scan(128, true, &fig), 96);
	assert_int_equal(slots_used(), 96);
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/* The child unmaps part, the parent moves its pages elsewhere: still found everywhere. */
static void test_munmap_mremap(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a, b;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, 32 * PG, PRIV);
	b = swt_map(&P, 32 * PG, PRIV);		/* a place to move to */
	assert_int_equal(as_munmap(&P.as, b, 32 * PG), 0);
	swt_fill(&P, a, 32, 1);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(as_munmap(&C.as, a, 8 * PG), 0);
	assert_int_equal(as_mremap(&P.as, a, 32 * PG, 32 * PG,
				   MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, b), (long)b);
	assert_true(P.as.anon_moved);
	assert_false(C.as.anon_moved);
	assert_int_equal(scan(64, true, &fig), 32);
	assert_int_equal(TS.writes, 32);
	assert_int_equal(slots_used(), 32);
	assert_int_equal(as_rss(&P.as), 0);
	assert_int_equal(as_rss(&C.as), 0);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(swap_count(entry_at(&P, b + i * PG)), i < 8 ? 1 : 2);
	/* Moved pages read back where they went, with their old contents. */
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(upeek(&P, b + i * PG), swt_pattern(a + i * PG, 1));
		if (i >= 8)
			assert_int_equal(upeek(&C, a + i * PG), swt_pattern(a + i * PG, 1));
		else
			assert_int_equal(upeek(&C, a + i * PG), -1);
	}
	/* A second move of a now-resident range, then reclaim again. */
	assert_int_equal(as_mremap(&P.as, b, 32 * PG, 32 * PG,
				   MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a), (long)a);
	assert_int_equal(scan(64, true, &fig), 32);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(upeek(&P, a + i * PG), swt_pattern(a + i * PG, 1));
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&P.as);
	as_destroy(&C.as);
}

/* Copy-on-write broken by the parent: two pages per index, each its own slot. */
static void test_cow_break_and_exit(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, 32 * PG, PRIV);
	swt_fill(&P, a, 32, 1);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	swt_fill(&P, a, 32, 2);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 64);
	assert_int_equal(scan(64, true, &fig), 64);
	assert_int_equal(TS.writes, 64);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(swap_count(entry_at(&P, a + i * PG)), 1);
		assert_int_equal(swap_count(entry_at(&C, a + i * PG)), 1);
	}
	swt_check(&P, a, 32, 2);
	swt_check(&C, a, 32, 1);
	/* The parent exits: the child's pages are still found through the family. */
	as_destroy(&P.as);
	assert_int_equal(scan(64, true, &fig), 32);
	assert_int_equal(as_rss(&C.as), 0);
	swt_check(&C, a, 32, 1);
	as_destroy(&C.as);
}

/* mlocked pages stay, however hard reclaim tries; a family of their own is not touched. */
static void test_mlocked_stay(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a, b;

	(void)state;
	swt_new_proc(&P);
	swt_new_proc(&C);			/* another process: another family */
	assert_true(P.as.anon_id != C.as.anon_id);
	a = swt_map(&P, 16 * PG, PRIV);
	b = swt_map(&C, 16 * PG, PRIV);
	swt_fill(&P, a, 16, 1);
	swt_fill(&C, b, 16, 1);
	assert_int_equal(as_mlock(&P.as, a, 16 * PG, 0), 0);
	assert_int_equal(scan(64, true, &fig), 16);
	assert_int_equal(as_rss(&P.as), 16);
	assert_int_equal(as_rss(&C.as), 0);
	assert_int_equal(lru_count(LRU_ACTIVE_ANON), 0);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 16);	/* set aside: not scanned again */
	swt_check(&P, a, 16, 1);
	swt_check(&C, b, 16, 1);
	as_destroy(&P.as);
	as_destroy(&C.as);
}

/*
 * The unevictable list: pages of a locked region leave the scanned lists,
 * at once when faulted in locked, else at their first scan, and are not
 * looked at again; when the lock ends (munlock; the locked space's exit
 * while a child still maps them unlocked) they are scanned and go.
 */
static void test_unevictable(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a, b;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, 16 * PG, PRIV);
	swt_fill(&P, a, 16, 1);					/* present, then locked */
	assert_int_equal(as_mlock(&P.as, a, 16 * PG, 0), 0);
	b = swt_map(&P, 16 * PG, PRIV);
	assert_int_equal(as_mlock(&P.as, b, 16 * PG, 0), 0);	/* populated locked */
	swt_fill(&P, b, 16, 1);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 16);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 16);
	assert_int_equal(scan(64, true, &fig), 0);
	assert_int_equal(fig.scanned, 16);			/* a's, found locked */
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 32);
	fig = (struct reclaim_figures){ 0 };
	assert_int_equal(scan(64, true, &fig), 0);
	assert_int_equal(fig.scanned, 0);			/* none looked at again */
	/* munlock: every page back to be scanned; b's go aside again. */
	assert_int_equal(as_munlock(&P.as, a, 16 * PG), 0);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 0);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 32);
	assert_int_equal(scan(64, true, &fig), 16);
	assert_int_equal(P.as.swapents, 16);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 16);
	/* The child maps b's pages unlocked (locks are not inherited); the parent's exit frees them. */
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	fig = (struct reclaim_figures){ 0 };
	assert_int_equal(scan(64, true, &fig), 0);
	assert_int_equal(fig.scanned, 0);
	as_destroy(&P.as);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 0);
	assert_int_equal(scan(64, true, &fig), 16);
	assert_int_equal(C.as.swapents, 32);
	swt_check(&C, a, 16, 1);
	swt_check(&C, b, 16, 1);
	assert_int_equal(lru_check(), 0);
	as_destroy(&C.as);
}

/*
 * munlockall: the pages of every locked mapping (two here, beside one never
 * locked) are back on the scanned lists when it returns, and go.
 */
static void test_unevictable_munlockall(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a, b, c;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, 16 * PG, PRIV);
	b = swt_map(&P, 16 * PG, PRIV);
	c = swt_map(&P, 16 * PG, PRIV);
	assert_int_equal(as_mlock(&P.as, a, 16 * PG, 0), 0);
	assert_int_equal(as_mlock(&P.as, b, 16 * PG, 0), 0);
	swt_fill(&P, a, 16, 1);
	swt_fill(&P, b, 16, 2);
	swt_fill(&P, c, 16, 3);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 32);
	assert_int_equal(scan(64, true, &fig), 16);		/* c's */
	assert_int_equal(as_munlockall(&P.as), 0);
	assert_int_equal(lru_count(LRU_UNEVICTABLE), 0);
	assert_int_equal(lru_count(LRU_INACTIVE_ANON), 32);
	assert_int_equal(scan(64, true, &fig), 32);
	assert_int_equal(P.as.swapents, 48);
	swt_check(&P, a, 16, 1);
	swt_check(&P, b, 16, 2);
	swt_check(&P, c, 16, 3);
	assert_int_equal(lru_check(), 0);
	as_destroy(&P.as);
}

/* The page test_copy_unwritable() swaps out, and how it was mapped while its copy was made. */
static struct proc *store_proc;
static uintptr_t store_va;
static int store_writable, stores;

static void check_unwritable(struct test_swap *t, uint32_t slot)
{
	unsigned prot = 0;

	(void)t;
	(void)slot;
	stores++;
	if (pt_translate(&store_proc->as.vs.pt, store_va, NULL, &prot, NULL) && (prot & PT_WRITE))
		store_writable++;
}

/*
 * A page is copied to its slot only once no entry lets it be written: a
 * store that another CPU made between the copy and the unmap would be lost
 * with the frame. The backend looks at the entry while it copies.
 */
static void test_copy_unwritable(void **state)
{
	struct reclaim_figures fig = { 0 };
	uintptr_t a;

	(void)state;
	swt_new_proc(&P);
	a = swt_map(&P, PG, PRIV);
	swt_fill(&P, a, 1, 1);
	store_proc = &P;
	store_va = a;
	stores = store_writable = 0;
	TS.on_store = check_unwritable;
	assert_int_equal(scan(64, true, &fig), 1);
	TS.on_store = NULL;
	assert_int_equal(stores, 1);
	assert_int_equal(store_writable, 0);
	/* Read back from its slot, and writable again after its fault. */
	swt_check(&P, a, 1, 1);
	swt_fill(&P, a, 1, 2);
	swt_check(&P, a, 1, 2);
	as_destroy(&P.as);
}

/* Threads: each forks, writes, unmaps and exits families of its own while one reclaims. */
#define WORKERS		3
#define ROUNDS		12
#define WPAGES		24

/*
 * Faults one access may take before the soft MMU gives up. A CPU retries an
 * access for as long as its fault handler resolves it; the soft MMU's small
 * default only catches a handler that never does. Here the reclaimer forces
 * pages out in a loop, so it may take a page again between its fault and
 * the access retried, a few times in a row.
 */
#define WORKER_RETRIES	1000

static volatile int workers_left;
static int errors[WORKERS];

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct proc *p = calloc(2, sizeof(*p)), *c = p + 1;
	uint64_t seed = (uint64_t)id + 1;

	for (unsigned round = 0; round < ROUNDS; round++) {
		long a;

		if (as_init(&p->as, NULL)) {
			errors[id]++;
			break;
		}
		proc_cpu(p);
		p->mmu.max_retries = WORKER_RETRIES;
		a = as_mmap(&p->as, 0, WPAGES * PG, MM_PROT_READ | MM_PROT_WRITE, PRIV, NULL, 0);
		if (as_is_err(a))
			errors[id]++;
		for (unsigned i = 0; !as_is_err(a) && i < WPAGES; i++)
			errors[id] += uwrite8(p, (uintptr_t)a + i * PG, (uint8_t)(i + round)) != 0;
		if (!as_is_err(a) && !as_fork(&c->as, &p->as)) {
			proc_cpu(c);
			c->mmu.max_retries = WORKER_RETRIES;
			for (unsigned i = 0; i < WPAGES; i++) {
				uintptr_t va = (uintptr_t)a + i * PG;

				if (test_random(&seed) & 1)
					errors[id] += uwrite8(c, va, (uint8_t)(i + round + 1)) != 0;
				else if (upeek(c, va) != (uint8_t)(i + round))
					errors[id]++;
			}
			if (test_random(&seed) & 1)
				errors[id] += as_munmap(&p->as, (uintptr_t)a, WPAGES / 2 * PG) != 0;
			for (unsigned i = WPAGES / 2; i < WPAGES; i++)
				if (upeek(p, (uintptr_t)a + i * PG) != (uint8_t)(i + round))
					errors[id]++;
			as_destroy(&c->as);
		}
		as_destroy(&p->as);
	}
	free(p);
	__atomic_sub_fetch(&workers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static struct reclaim_figures thread_fig;

static void *reclaimer(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&workers_left, __ATOMIC_ACQUIRE))
		scan(16, true, &thread_fig);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[WORKERS + 1];

	(void)state;
	workers_left = WORKERS;
	for (uintptr_t i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	assert_int_equal(pthread_create(&t[WORKERS], NULL, reclaimer, NULL), 0);
	for (unsigned i = 0; i <= WORKERS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < WORKERS; i++)
		assert_int_equal(errors[i], 0);
	print_message("reclaimed beside the workers: %llu scanned, %llu entries swapped, %llu frames\n",
		      (unsigned long long)thread_fig.scanned, (unsigned long long)thread_fig.swapped,
		      (unsigned long long)thread_fig.reclaimed);
	memset(&thread_fig, 0, sizeof(thread_fig));
	/* Frames only the swap cache held when a space went: gone with the last scan. */
	struct reclaim_figures fig = { 0 };

	scan(1024, true, &fig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fork_shared, before, after),
		cmocka_unit_test_setup_teardown(test_munmap_mremap, before, after),
		cmocka_unit_test_setup_teardown(test_cow_break_and_exit, before, after),
		cmocka_unit_test_setup_teardown(test_mlocked_stay, before, after),
		cmocka_unit_test_setup_teardown(test_unevictable, before, after),
		cmocka_unit_test_setup_teardown(test_unevictable_munlockall, before, after),
		cmocka_unit_test_setup_teardown(test_copy_unwritable, before, after),
		cmocka_unit_test_setup_teardown(test_threads, before, after),
	};
	int failed = cmocka_run_group_tests_name("anon rmap, backend written under the locks", tests,
						 swap_test_group_setup, sim_group_teardown);

	sleeping = true;
	return failed + cmocka_run_group_tests_name("anon rmap, backend that sleeps (writes queued)",
						    tests, swap_test_group_setup,
						    sim_group_teardown);
}
