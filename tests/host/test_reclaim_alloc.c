// SPDX-License-Identifier: MIT
/*
 * Kernel allocations that reclaim (mm/reclaim.h: reclaim_for_alloc()). RAM
 * is full of a process's anonymous pages with swap behind them, and every
 * other frame is hoarded: a frame from the PMM, a vmalloc area and an object
 * of a heap over kernel pages (a new slab) and a page of a RAM file (its
 * frames are allocated under the object's lock) all fail without the PMM's
 * reclaim hook, and all succeed with it, by swapping the process's pages
 * out. With interrupts off (a lock held), inside a reclaim already, or in a
 * no-reclaim window (reclaim_forbid()), nothing reclaims and they fail as
 * before. Threads allocating kernel memory
 * beside a thread that dirties the process's pages (also run under TSan)
 * get their memory or a clean failure. The process's bytes survive, and
 * every frame and slot comes back.
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
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pcache.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/vmalloc.h"

#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define OBJ	2048		/* a heap object: a new slab every few */

static struct pt_space ks;
static struct proc P;
static struct test_swap TS;
static int type;
static uint64_t free0;
static uintptr_t base;
static unsigned pages;

/* 16 MiB of RAM, swap for twice that, a vmalloc window; a process that filled all of RAM. */
static int before(void **state)
{
	(void)state;
	type = swt_setup(16 * MiB, &TS, 8192);
	assert_int_equal(pt_space_init(&ks, VM_NATIVE_FORMAT), 0);
	ks.flags |= PT_SPACE_KERNEL;
	assert_int_equal(vmalloc_init(&ks, VM_VMALLOC_BASE, VM_VMALLOC_BASE + VM_VMALLOC_SIZE), 0);
	heap_pages_kernel.arena_hi = 0;		/* new simulated RAM: initialised again */
	free0 = sim_free_frames();
	pages = (unsigned)free0;
	swt_new_proc(&P);
	base = swt_map(&P, (uint64_t)pages * PG, ANON);
	swt_fill(&P, base, pages, 1);
	return 0;
}

static int after(void **state)
{
	(void)state;
	pmm_set_reclaim(NULL);
	swt_check(&P, base, pages, 1);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	assert_int_equal(TS.locked_calls, 0);
	swt_teardown(&TS, type, free0);
	vmalloc_fini();
	pt_space_destroy(&ks);
	return 0;
}

static uint64_t stalls(void)
{
	struct reclaim_stats r;

	reclaim_get_stats(&r);
	return r.alloc_stalls;
}

/* Take every free frame, without reclaiming for it (as reclaim's own allocations do). */
static void hoard(struct vm_eaten *e)
{
	bool marked = plat_reclaim_begin();

	assert_true(marked);
	vm_eat(e, 0);
	plat_reclaim_end();
	assert_int_equal(sim_free_frames(), 0);
}

/* Objects of @h until one fails (at most @max, kept in @obj): how many. */
static unsigned heap_fill(struct heap *h, void **obj, unsigned max)
{
	unsigned n = 0;

	while (n < max && (obj[n] = heap_alloc(h, OBJ)))
		n++;
	return n;
}

/* No hook: no frame is no memory. The hook: the process's pages go to swap instead. */
static void test_kernel_allocs_reclaim(void **state)
{
	struct vm_eaten eat[4] = { 0 };
	static void *obj[4096];
	static uint8_t data[PAGE_SIZE], back[PAGE_SIZE];
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct heap *h;
	unsigned n;
	uint64_t s0, swapped0 = P.as.swapents;
	phys_addr_t pa;
	void *v;

	(void)state;
	assert_non_null(pc);
	memset(data, 0xc3, sizeof(data));
	h = heap_create(&heap_pages_kernel, 0);
	assert_non_null(h);
	hoard(&eat[0]);
	s0 = stalls();
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);
	assert_null(vmalloc(4 * PG));
	n = heap_fill(h, obj, 4096);
	assert_true(n < 4096);
	assert_int_equal(pcache_write(pc, 0, data, PG), -MM_ENOMEM);
	assert_int_equal(stalls(), s0);
	assert_int_equal(P.as.swapents, swapped0);

	pmm_set_reclaim(reclaim_for_alloc);
	pa = pmm_alloc_pages(0, 0);
	assert_int_not_equal(pa, PMM_NO_FRAME);
	assert_int_equal(stalls(), s0 + 1);
	assert_true(P.as.swapents > swapped0);
	pmm_free_pages(pa, 0);

	hoard(&eat[1]);
	v = vmalloc(4 * PG);
	assert_non_null(v);
	assert_true(stalls() > s0 + 1);
	vfree(v);

	hoard(&eat[2]);
	s0 = stalls();
	obj[n] = heap_alloc(h, OBJ);
	assert_non_null(obj[n]);
	assert_true(stalls() > s0);
	memset(obj[n], 0x5a, OBJ);
	n++;

	hoard(&eat[3]);
	s0 = stalls();
	assert_int_equal(pcache_write(pc, 0, data, PG), PG);
	assert_true(stalls() > s0);
	assert_int_equal(pcache_read(pc, 0, back, PG), PG);
	assert_memory_equal(back, data, PG);

	/* Everything back: the process's pages fault in from swap and read intact (after()). */
	for (unsigned i = 0; i < 4; i++)
		vm_uneat(&eat[i]);
	while (n)
		heap_free(h, obj[--n]);
	heap_destroy(h);
	pcache_put(pc);
}

/* Interrupts off (a lock held) or inside a reclaim: the hook declines, allocations fail as before. */
static void test_no_reclaim_where_unsafe(void **state)
{
	struct vm_eaten eat = { 0 };
	struct heap *h;
	static void *obj[4096];
	unsigned long fl;
	unsigned n;
	uint64_t s0, swapped0;

	(void)state;
	h = heap_create(&heap_pages_kernel, 0);
	assert_non_null(h);
	pmm_set_reclaim(reclaim_for_alloc);
	hoard(&eat);
	s0 = stalls();
	swapped0 = P.as.swapents;

	fl = plat_irq_save();
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);
	assert_null(vmalloc(4 * PG));
	n = heap_fill(h, obj, 4096);
	assert_true(n < 4096);
	plat_irq_restore(fl);
	assert_int_equal(stalls(), s0);

	assert_true(plat_reclaim_begin());
	assert_false(plat_reclaim_begin());	/* not twice */
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);
	assert_null(vmalloc(4 * PG));
	assert_null(heap_alloc(h, OBJ));
	plat_reclaim_end();
	assert_int_equal(stalls(), s0);
	assert_int_equal(P.as.swapents, swapped0);

	/* Out of both, the same allocation reclaims. */
	phys_addr_t pa = pmm_alloc_pages(0, 0);
	assert_int_not_equal(pa, PMM_NO_FRAME);
	assert_int_equal(stalls(), s0 + 1);
	pmm_free_pages(pa, 0);

	vm_uneat(&eat);
	while (n)
		heap_free(h, obj[--n]);
	heap_destroy(h);
}

/*
 * A no-reclaim window (reclaim_forbid(), as munmap's zap under a shared
 * space's read lock): interrupts are on, yet allocations fail without
 * reclaiming; after it they reclaim again. A threaded munmap of pages both
 * resident and swapped, which runs such a window, leaves the task able to
 * reclaim.
 */
static void test_no_reclaim_window(void **state)
{
	struct vm_eaten eat = { 0 };
	uint64_t s0, swapped0;
	uintptr_t a;
	bool marked;

	(void)state;
	as_set_shared(&P.as);
	a = swt_map(&P, 64 * PG, ANON);
	swt_fill(&P, a, 64, 2);		/* swaps 64 of the process's pages out */
	assert_int_equal(as_munmap(&P.as, a, 64 * PG), 0);
	assert_true(plat_reclaim_begin());	/* the window ended */
	plat_reclaim_end();

	pmm_set_reclaim(reclaim_for_alloc);
	hoard(&eat);
	s0 = stalls();
	swapped0 = P.as.swapents;
	marked = reclaim_forbid();
	assert_true(marked);
	assert_false(sim_irqs_off());
	assert_false(plat_reclaim_begin());
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);
	assert_null(vmalloc(4 * PG));
	reclaim_allow(marked);
	assert_int_equal(stalls(), s0);
	assert_int_equal(P.as.swapents, swapped0);

	phys_addr_t pa = pmm_alloc_pages(0, 0);	/* outside it, the same allocation reclaims */
	assert_int_not_equal(pa, PMM_NO_FRAME);
	assert_int_equal(stalls(), s0 + 1);
	pmm_free_pages(pa, 0);
	vm_uneat(&eat);
}

/* Threads taking kernel memory while another dirties the process's pages: memory or a clean NULL. */
#define KTHREADS	3
#define KROUNDS		400

static void *kernel_worker(void *arg)
{
	struct heap *h = arg;
	void *keep[64] = { 0 };
	uintptr_t fails = 0;

	for (unsigned i = 0; i < KROUNDS; i++) {
		unsigned k = i % 64;

		if (keep[k]) {
			if (k % 3 == 0)
				vfree(keep[k]);
			else
				heap_free(h, keep[k]);
			keep[k] = NULL;
		}
		keep[k] = k % 3 == 0 ? vmalloc(2 * PG) : heap_alloc(h, OBJ);
		if (!keep[k])
			fails++;
		else if (k % 3)
			memset(keep[k], (int)k, OBJ);
	}
	for (unsigned k = 0; k < 64; k++) {
		if (!keep[k])
			continue;
		if (k % 3 == 0)
			vfree(keep[k]);
		else
			heap_free(h, keep[k]);
	}
	return (void *)fails;
}

/* Reads every page of the process and writes it back (cmocka asserts only in the main thread). */
static void *user_worker(void *arg)
{
	uintptr_t bad = 0;

	(void)arg;
	for (unsigned i = 0; i < pages; i++) {
		uintptr_t va = base + (uintptr_t)((i * 7919u) % pages) * PG;

		bad += upeek(&P, va) != swt_pattern(va, 1);
		bad += uwrite8(&P, va + PG - 1, swt_pattern(va, 1) ^ 0xff) != 0;
	}
	return (void *)bad;
}

static void test_threads_under_pressure(void **state)
{
	struct vm_eaten eat = { 0 };
	pthread_t kt[KTHREADS], ut;
	struct heap *h;
	uintptr_t fails = 0;
	uint64_t s0;

	(void)state;
	h = heap_create(&heap_pages_kernel, 0);
	assert_non_null(h);
	pmm_set_reclaim(reclaim_for_alloc);
	hoard(&eat);
	s0 = stalls();
	assert_int_equal(pthread_create(&ut, NULL, user_worker, NULL), 0);
	for (int i = 0; i < KTHREADS; i++)
		assert_int_equal(pthread_create(&kt[i], NULL, kernel_worker, h), 0);
	for (int i = 0; i < KTHREADS; i++) {
		void *r;

		assert_int_equal(pthread_join(kt[i], &r), 0);
		fails += (uintptr_t)r;
	}
	void *bad;

	assert_int_equal(pthread_join(ut, &bad), 0);
	assert_int_equal((uintptr_t)bad, 0);
	print_message("%u threads x %u kernel allocations beside a writer: %llu reclaims, "
		      "%llu failed\n", KTHREADS, KROUNDS, (unsigned long long)(stalls() - s0),
		      (unsigned long long)fails);
	/* Who reclaims (a fault or an allocation) and who gets the frames is the scheduler's choice. */
	vm_uneat(&eat);
	heap_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_allocs_reclaim, before, after),
		cmocka_unit_test_setup_teardown(test_no_reclaim_where_unsafe, before, after),
		cmocka_unit_test_setup_teardown(test_no_reclaim_window, before, after),
		cmocka_unit_test_setup_teardown(test_threads_under_pressure, before, after),
	};

	return cmocka_run_group_tests_name("kernel allocations that reclaim", tests,
					   swap_test_group_setup, sim_group_teardown);
}
