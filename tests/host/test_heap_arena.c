// SPDX-License-Identifier: MIT
/*
 * The kernel heap over its slab arena (mm/heap_arena.c) on the simulator:
 * free pages inside partly used slabs go back to the PMM (counted in frames)
 * and come back, zeroed, when the heap wants their objects again; a page
 * given back is inaccessible here (host/heap_arena_sim.c), so a heap that
 * touched one would crash the test. Restores that find no memory fail the
 * allocation and change nothing; frames are exact at the end; threads
 * allocating, freeing and shrinking at once (also run under TSan).
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

#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/vmalloc.h"
#include "tests/host/vm_test_util.h"

static struct pt_space ks;

/* Simulated RAM with the PMM and a vmalloc window; the heap over them, its slabs in the arena. */
static void arena_heap(uint64_t ram)
{
	assert_int_equal(vm_ram_setup(ram), 0);
	assert_int_equal(vm_kernel_space(&ks), 0);
	assert_int_equal(sim_heap_arena_init(), 0);
	assert_int_equal(heap_init(&heap_pages_kernel, 0), 0);
	assert_non_null(heap_pages_kernel.pages_purge);
	assert_non_null(heap_pages_kernel.pages_restore);
	kfree(kmalloc(8));	/* this thread's lists: held until it ends */
	heap_drain();
}

static int teardown(void **state)
{
	(void)state;
	vmalloc_fini();
	sim_heap_arena_fini();
	return 0;
}

/* Free frames with the heap shrunk first: what it holds then depends only on its live objects. */
static uint64_t shrunk_free_frames(void)
{
	heap_drain();
	heap_shrink(&heap_global);
	return vm_free_frames();
}

static uint64_t arena_purged(void)
{
	uint64_t p, r, f;

	heap_arena_stats(&p, &r, &f);
	return p;
}

static uint64_t arena_restored(void)
{
	uint64_t p, r, f;

	heap_arena_stats(&p, &r, &f);
	return r;
}

/* Every frame back once everything is freed; DMA memory physically where it should be. */
static void frames_exact(void **state)
{
	(void)state;
	arena_heap(64 * MiB);
	uint64_t free0 = shrunk_free_frames();
	static void *p[3000];
	for (int i = 0; i < 3000; i++) {
		p[i] = i % 10 ? kmalloc((size_t)(i * 37) % 9000 + 1) : kmalloc_dma((size_t)(i * 37) % 9000 + 1);
		assert_non_null(p[i]);
		assert_true(heap_owns(p[i]) || ksize(p[i]) > KMALLOC_MAX_SIZE);
		if (i % 10 == 0)
			assert_true(plat_virt_to_phys(p[i]) + ksize(p[i]) <= PMM_DMA_LIMIT);
		if (ksize(p[i]) <= KMALLOC_MAX_SIZE)	/* vmalloc areas are not host memory here */
			memset(p[i], 0x3c, ksize(p[i]));
	}
	assert_true(vm_free_frames() < free0);
	for (int i = 0; i < 3000; i += 2)
		kfree(p[i]);
	for (int i = 1; i < 3000; i += 2)
		kfree(p[i]);
	assert_int_equal(shrunk_free_frames(), free0);
	assert_int_equal(pmm_check(), 0);
	assert_int_equal(heap_check(), 0);
}

#define N_OBJ	8192
#define OBJ_SZ	512		/* 8 a page */

/* Objects of OBJ_SZ; all but one run of 64 in 8 freed (whole pages), lists flushed. */
static void leave_survivors(uint8_t **p)
{
	for (int i = 0; i < N_OBJ; i++) {
		p[i] = kmalloc(OBJ_SZ);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, OBJ_SZ);
	}
	for (int i = 0; i < N_OBJ; i++)
		if ((i / 64) % 8) {
			kfree(p[i]);
			p[i] = NULL;
		}
	heap_flush_lists();
}

/* Distinct blocks of @size that survivors lie in (each object in one). */
static uint64_t distinct(uint8_t **p, uintptr_t size)
{
	static uintptr_t b[N_OBJ];
	uint64_t n = 0, d = 0;

	for (int i = 0; i < N_OBJ; i++)
		if (p[i])
			b[n++] = (uintptr_t)p[i] & ~(size - 1);
	for (uint64_t i = 0; i < n; i++) {	/* few: no need to sort */
		uint64_t j = 0;
		while (j < i && b[j] != b[i])
			j++;
		d += j == i;
	}
	return d;
}

static void survivors_intact(uint8_t **p)
{
	for (int i = 0; i < N_OBJ; i++)
		if (p[i])
			for (int j = 0; j < OBJ_SZ; j += 37)
				assert_int_equal(p[i][j], i & 0xff);
}

/*
 * heap_shrink(): the free pages inside the slabs survivors pin go back to
 * the PMM (frames counted); the survivors keep their contents; the freed
 * objects serve again, their pages mapped back zeroed; every frame is back
 * at the end.
 */
static void gives_back_and_revives(void **state)
{
	static uint8_t *p[N_OBJ];

	(void)state;
	arena_heap(64 * MiB);
	uint64_t free0 = shrunk_free_frames();
	leave_survivors(p);
	uint64_t f1 = vm_free_frames(), purged0 = arena_purged();
	unsigned long got = heap_shrink(&heap_global);
	uint64_t f2 = vm_free_frames();
	/* The slabs survivors pin were held whole; now only their pages with survivors, and each first page. */
	uint64_t slabs = distinct(p, HEAP_SLAB_SIZE), pages = distinct(p, PAGE_SIZE);
	print_message("# %llu slabs pinned: %llu frames held, %llu after the shrink for %llu pages with survivors\n",
		      (unsigned long long)slabs, (unsigned long long)(free0 - f1),
		      (unsigned long long)(free0 - f2), (unsigned long long)pages);
	assert_true(free0 - f1 >= slabs * (HEAP_SLAB_SIZE / PAGE_SIZE));
	assert_true(free0 - f2 <= pages + slabs + 2);
	uint64_t purged = arena_purged() - purged0;
	assert_true(purged >= slabs * (HEAP_SLAB_SIZE / PAGE_SIZE) - (pages + slabs));
	assert_int_equal(got, f2 - f1);		/* purged pages and the kept empty slabs */
	survivors_intact(p);
	uint64_t restored0 = arena_restored();
	for (int i = 0; i < N_OBJ; i++)
		if (!p[i]) {
			p[i] = kzalloc(OBJ_SZ);
			assert_non_null(p[i]);
			for (int j = 0; j < OBJ_SZ; j += 8)
				assert_int_equal(p[i][j], 0);
			memset(p[i], i & 0xff, OBJ_SZ);
		}
	assert_true(arena_restored() - restored0 >= purged / 2);	/* the rest: new slabs first */
	survivors_intact(p);
	for (int i = 0; i < N_OBJ; i++)
		kfree(p[i]);
	assert_int_equal(shrunk_free_frames(), free0);
	assert_int_equal(pmm_check(), 0);
	assert_int_equal(heap_check(), 0);
}

/*
 * With no frame left, the objects in pages given back cannot be had: the
 * allocation fails (no fault, nothing changed), and works again once memory
 * is free.
 */
static void restore_fails_cleanly(void **state)
{
	static uint8_t *p[N_OBJ];
	static void *more[N_OBJ];

	(void)state;
	arena_heap(32 * MiB);
	uint64_t free0 = shrunk_free_frames();
	leave_survivors(p);
	assert_true(heap_shrink(&heap_global) > 0);
	struct vm_eaten e = { 0 };
	vm_eat(&e, 0);
	size_t n = 0;
	void *o;
	while (n < N_OBJ && (o = kmalloc(OBJ_SZ)) != NULL)	/* free objects still mapped */
		more[n++] = o;
	assert_true(n < N_OBJ);
	assert_null(kmalloc(OBJ_SZ));
	uint64_t p0, r0, f0;
	heap_arena_stats(&p0, &r0, &f0);
	assert_true(f0 > 0);
	survivors_intact(p);
	vm_uneat(&e);
	for (size_t i = 0; i < n; i++)
		kfree(more[i]);
	for (int i = 0; i < N_OBJ; i++)		/* every object serves again */
		if (!p[i])
			p[i] = kmalloc(OBJ_SZ), assert_non_null(p[i]), memset(p[i], i & 0xff, OBJ_SZ);
	survivors_intact(p);
	for (int i = 0; i < N_OBJ; i++)
		kfree(p[i]);
	assert_int_equal(shrunk_free_frames(), free0);
	assert_int_equal(heap_check(), 0);
}

/*
 * Threads in phases (each phase its own size, 90 % of it freed, the
 * survivors checked) while another shrinks the heap over and over: purges
 * and revives of the same slabs race on several threads.
 */
#define T_THREADS	4
#define T_PHASES	12
#define T_OBJS		1500

static volatile int shrinking;

static void *phase_thread(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	static __thread uint8_t *held[T_PHASES * T_OBJS];
	static __thread size_t len[T_PHASES * T_OBJS];
	size_t nh = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);

	for (int ph = 0; ph < T_PHASES; ph++) {
		size_t sz = (size_t)16 << ((ph + id) % 9);
		for (int i = 0; i < T_OBJS; i++) {
			size_t n = sz + (size_t)(i * 7) % sz;
			uint8_t *o = kmalloc(n);
			assert_non_null(o);
			memset(o, (int)((nh + id) & 0xff), n);
			held[nh] = o;
			len[nh++] = n;
		}
		size_t keep = 0;
		for (size_t i = 0; i < nh; i++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			assert_int_equal(held[i][len[i] - 1], (uint8_t)((i + id) & 0xff));
			if (rng % 10 == 0) {
				/* kept: moved down, its pattern rewritten for its new index */
				held[keep] = held[i];
				len[keep] = len[i];
				memset(held[keep], (int)((keep + id) & 0xff), len[keep]);
				keep++;
			} else {
				kfree(held[i]);
			}
		}
		nh = keep;
	}
	for (size_t i = 0; i < nh; i++)
		kfree(held[i]);
	heap_thread_exit();
	return NULL;
}

static void *shrink_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&shrinking, __ATOMIC_ACQUIRE)) {
		heap_shrink(&heap_global);
		sched_yield();
	}
	heap_thread_exit();
	return NULL;
}

static void threads_purge_and_revive(void **state)
{
	(void)state;
	arena_heap(128 * MiB);
	uint64_t free0 = shrunk_free_frames(), purged0 = arena_purged();
	pthread_t t[T_THREADS], s;
	__atomic_store_n(&shrinking, 1, __ATOMIC_RELEASE);
	pthread_create(&s, NULL, shrink_thread, NULL);
	for (unsigned i = 0; i < T_THREADS; i++)
		pthread_create(&t[i], NULL, phase_thread, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < T_THREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&shrinking, 0, __ATOMIC_RELEASE);
	pthread_join(s, NULL);
	assert_true(arena_purged() > purged0);
	assert_int_equal(shrunk_free_frames(), free0);
	assert_int_equal(pmm_check(), 0);
	assert_int_equal(heap_check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(frames_exact, teardown),
		cmocka_unit_test_teardown(gives_back_and_revives, teardown),
		cmocka_unit_test_teardown(restore_fails_cleanly, teardown),
		cmocka_unit_test_teardown(threads_purge_and_revive, teardown),
	};
	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
