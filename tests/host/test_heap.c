// SPDX-License-Identifier: MIT
/*
 * Tests of the kernel heap (fast build): the kmalloc family over mmap-backed
 * pages (so large areas can be touched), and over the PMM and vmalloc on
 * simulated RAM for exhaustion, DMA and exact frame accounting; threads
 * freeing each other's objects (also run under TSan).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <cmocka.h>

#include "host/heap_pages_mmap.h"
#include "mm/heap.h"
#include "mm/reclaim.h"
#include "mm/vmalloc.h"
#include "tests/host/vm_test_util.h"

#define VBASE	VM_VMALLOC_BASE

static struct pt_space ks;

static int setup(void **state)
{
	sim_group_setup(state);
	heap_pages_mmap_set_arena((size_t)1 << (sizeof(size_t) == 8 ? 32 : 28));
	return 0;
}

static void mmap_heap(void)
{
	assert_int_equal(heap_init(&heap_pages_mmap, 0), 0);
}

/* Simulated RAM with the PMM and a vmalloc window; the heap over them. */
static void sim_heap(uint64_t ram)
{
	assert_int_equal(vm_ram_setup(ram), 0);
	assert_int_equal(vm_kernel_space(&ks), 0);
	assert_int_equal(heap_init(&heap_pages_kernel, 0), 0);
	kfree(kmalloc(8));	/* this thread's lists: held until it ends */
	heap_drain();
}

static void sim_heap_done(void)
{
}

/* vmalloc's state lives in simulated RAM: drop it before the next test replaces the RAM. */
static int vm_teardown(void **state)
{
	(void)state;
	vmalloc_fini();
	return 0;
}

static void fill_check(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
	for (size_t i = 0; i < n; i += 61)
		assert_int_equal(p[i], v);
}

static void every_size(void **state)
{
	(void)state;
	mmap_heap();
	for (size_t size = 1; size <= 20000; size += size < 300 ? 1 : 97) {
		uint8_t *p = kmalloc(size);
		assert_non_null(p);
		assert_true(ksize(p) >= size);
		assert_int_equal((uintptr_t)p % 8, 0);
		if (ksize(p) % 16 == 0)
			assert_int_equal((uintptr_t)p % 16, 0);
		fill_check(p, size, (uint8_t)size);
		kfree(p);
	}
	memory_stats_t st;
	heap_drain();
	heap_get_stats(&st);
	assert_int_equal(st.heap_used, 0);
	assert_int_equal(st.allocation_count, st.free_count);
}

static void null_and_zero(void **state)
{
	(void)state;
	mmap_heap();
	kfree(NULL);
	void *z = kmalloc(0);
	assert_ptr_equal(z, ZERO_SIZE_PTR);
	assert_int_equal(ksize(z), 0);
	kfree(z);
	char *p = krealloc(z, 10);
	assert_non_null(p);
	assert_true(!ZERO_OR_NULL_PTR(p));
	assert_ptr_equal(krealloc(p, 0), ZERO_SIZE_PTR);
	assert_ptr_equal(kmalloc_dma(0), ZERO_SIZE_PTR);
	struct heap_debug_counts c;
	heap_debug_get_counts(&c);
	assert_int_equal(c.invalid_frees, 0);
}

static void calloc_overflow(void **state)
{
	(void)state;
	mmap_heap();
	assert_null(kcalloc(SIZE_MAX / 2, 3));
	assert_null(kcalloc((size_t)1 << (sizeof(size_t) * 4 + 1), (size_t)1 << (sizeof(size_t) * 4 + 1)));
	uint8_t *p = kmalloc(200);
	memset(p, 0xff, 200);
	kfree(p);
	uint8_t *q = kcalloc(25, 8);		/* likely the same object: must be zeroed */
	for (int i = 0; i < 200; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	q = kcalloc(1000, 100);			/* large */
	for (int i = 0; i < 100000; i += 7)
		assert_int_equal(q[i], 0);
	kfree(q);
}

static void realloc_in_place_and_moving(void **state)
{
	(void)state;
	mmap_heap();
	char *p = kmalloc(20);
	strcpy(p, "hello, heap");
	size_t room = ksize(p);
	assert_ptr_equal(krealloc(p, room), p);		/* same class: in place */
	char *q = krealloc(p, 5000);
	assert_non_null(q);
	assert_string_equal(q, "hello, heap");
	char *r = krealloc(q, 300000);			/* into a large area */
	assert_string_equal(r, "hello, heap");
	memset(r + 1000, 1, 299000);
	char *s = krealloc(r, 10000);			/* shrinks in place */
	assert_ptr_equal(s, r);
	char *t = krealloc(s, 10);			/* into a size class */
	assert_memory_equal(t, "hello, hea", 10);
	assert_true(ksize(t) < 64);
	kfree(t);
}

/* Large areas grow into their headroom, move by remapping, give back their tail. */
static void large_areas_resize(void **state)
{
	(void)state;
	mmap_heap();
	size_t big = (size_t)8 << 20;
	uint8_t *p = kmalloc(200000);
	fill_check(p, 200000, 0x37);
	uint8_t *q = krealloc(p, 300000);		/* into the headroom */
	assert_ptr_equal(q, p);
	assert_int_equal(q[199999], 0x37);
	/* Within its pages, in either direction: same pointer, the new size recorded. */
	size_t room = ksize(q);
	assert_ptr_equal(krealloc(q, room), q);
	assert_ptr_equal(krealloc(q, room - room / 8), q);
	assert_int_equal(ksize(q), room);
	struct heap_walk_entry e = { 0 };
	while (heap_walk_step(&heap_global, &e) == 1 && e.kind != HEAP_WALK_LARGE)
		;
	assert_int_equal(e.kind, HEAP_WALK_LARGE);
	assert_ptr_equal(e.ptr, q);
	assert_int_equal(e.size, room - room / 8);
	assert_ptr_equal(krealloc(q, 300000), q);
	uint8_t *r = krealloc(q, big);			/* past it: the pages move */
	assert_non_null(r);
	for (size_t i = 0; i < 200000; i++)
		assert_int_equal(r[i], 0x37);
	memset(r, 0x5a, big);
	uint8_t *s = krealloc(r, 100000);		/* shrinks in place */
	assert_ptr_equal(s, r);
	assert_true(ksize(s) >= 100000 && ksize(s) < big);
	assert_int_equal(s[99999], 0x5a);
	unsigned char vec[256];
	assert_int_equal(mincore(s + (1 << 20), 256 * PAGE_SIZE, vec), 0);
	for (unsigned i = 0; i < 256; i++)
		assert_int_equal(vec[i] & 1, 0);	/* the tail was given back */
	memory_stats_t st;
	heap_get_stats(&st);
	assert_int_equal(st.large_count, 1);
	assert_true(st.large_bytes >= 100000 && st.large_bytes < big);
	kfree(s);
	heap_get_stats(&st);
	assert_int_equal(st.large_count, 0);
}

static void alignment(void **state)
{
	(void)state;
	mmap_heap();
	for (size_t align = 1; align <= ((size_t)1 << 21); align <<= 1) {
		size_t sizes[] = { 1, 24, 100, 4000, 70000 };
		for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
			uint8_t *p = kmalloc_aligned(sizes[i], align);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % align, 0);
			assert_true(ksize(p) >= sizes[i]);
			fill_check(p, sizes[i], 0x5a);
			kfree(p);
		}
	}
	assert_null(kmalloc_aligned(10, 48));		/* not a power of two */
	uint8_t *p = AllocateAlignedMemory(64, 64);
	assert_int_equal((uintptr_t)p % 64, 0);
	assert_true(GetMemorySize(p) >= 64);
	FreeMemory(p);
}

static void large_areas(void **state)
{
	(void)state;
	mmap_heap();
	uint8_t *p = kmalloc(1 << 20);
	assert_non_null(p);
	assert_true(ksize(p) >= (1 << 20));
	fill_check(p, 1 << 20, 3);
	memory_stats_t st;
	heap_get_stats(&st);
	assert_true(st.large_bytes >= (1 << 20));
	assert_int_equal(st.large_count, 1);
	assert_true(heap_owns(p));
	assert_false(heap_owns(p + 16));
	kfree(p);
	heap_get_stats(&st);
	assert_int_equal(st.large_count, 0);
}

/* Pages of [p, p + len) resident in memory. */
static size_t resident_pages(void *p, size_t len)
{
	unsigned char vec[1024];
	size_t n = len / PAGE_SIZE, r = 0;

	assert_true(n <= sizeof(vec));
	assert_int_equal(mincore(p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static void find_cache(struct kmem_cache *c, void *ctx)
{
	struct kmem_cache **found = ctx;

	if (!strcmp(c->name, "kmalloc-1024"))
		*found = c;
}

enum { SPARSE_N = 2048, SPARSE_SZ = 1024, SPARSE_KEEP = 64 };

/*
 * SPARSE_N objects of kmalloc-1024 filled with @fill, all but every
 * SPARSE_KEEP-th freed and this thread's lists flushed: a sparse class.
 */
static struct kmem_cache *leave_sparse(uint8_t **obj, uint8_t fill)
{
	struct kmem_cache *c = NULL;

	mmap_heap();
	kmem_cache_for_each(find_cache, &c);
	assert_non_null(c);
	for (unsigned i = 0; i < SPARSE_N; i++) {
		obj[i] = kmalloc(SPARSE_SZ);
		memset(obj[i], fill, SPARSE_SZ);
	}
	for (unsigned i = 0; i < SPARSE_N; i++)
		if (i % SPARSE_KEEP)
			kfree(obj[i]);
	heap_drain();				/* this thread's lists back to the slabs */
	return c;
}

/* The freed objects (dormant or not) serve again, each once; the survivors kept @fill. */
static void sparse_refilled(uint8_t **obj, uint8_t fill)
{
	for (unsigned i = 0; i < SPARSE_N; i++) {
		if (i % SPARSE_KEEP) {
			obj[i] = kmalloc(SPARSE_SZ);
			assert_non_null(obj[i]);
			memset(obj[i], (int)(i % 251), SPARSE_SZ);
		}
	}
	for (unsigned i = 0; i < SPARSE_N; i++) {
		uint8_t want = i % SPARSE_KEEP ? (uint8_t)(i % 251) : fill;
		assert_int_equal(obj[i][0], want);
		assert_int_equal(obj[i][SPARSE_SZ - 1], want);
	}
	for (unsigned i = 0; i < SPARSE_N; i++)
		kfree(obj[i]);
	assert_int_equal(heap_check(), 0);
}

/*
 * Free pages inside partly used slabs: once nearly every object of a class
 * is freed, the pages that only free objects cover are given back after the
 * delay; the objects left keep their contents, and the freed ones (dormant
 * or not) serve allocations again, each once.
 */
static void slab_pages_given_back(void **state)
{
	static uint8_t *obj[SPARSE_N];
	struct kmem_cache_stats st;

	(void)state;
	struct kmem_cache *c = leave_sparse(obj, 0x11);
	struct timespec ts = { 0, 2 * (long)HEAP_PURGE_DELAY_NS };
	nanosleep(&ts, NULL);
	void *other[100];
	for (unsigned i = 0; i < 100; i++)	/* a slow path: due slabs are scanned */
		other[i] = kmalloc(300);
	for (unsigned i = 0; i < 100; i++)
		kfree(other[i]);
	kmem_cache_get_stats(c, &st);
	assert_true(st.pages_purged > (uint64_t)SPARSE_N * SPARSE_SZ / PAGE_SIZE / 2);
	uint8_t *slab = (uint8_t *)((uintptr_t)obj[SPARSE_N / 2] & ~(HEAP_SLAB_SIZE - 1));
	assert_true(resident_pages(slab, HEAP_SLAB_SIZE) <= HEAP_SLAB_SIZE / PAGE_SIZE / 4);
	sparse_refilled(obj, 0x11);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A class still in use decays: most of its objects freed, the program goes
 * on allocating and freeing a few of them through the slabs (refills and
 * flushes: the class is never idle), and the pages that only free objects
 * cover go back all the same once they stayed unused for a window; the
 * survivors keep their contents and every freed object serves again.
 */
static void in_use_class_decays(void **state)
{
	enum { FEW = 40 };
	static uint8_t *obj[SPARSE_N];
	struct kmem_cache_stats st;

	(void)state;
	struct kmem_cache *c = leave_sparse(obj, 0x22);
	uint64_t until = mono_ns() + 3 * (HEAP_PURGE_DECAY_NS + HEAP_PURGE_DELAY_NS);
	while (mono_ns() < until) {
		void *few[FEW];
		for (unsigned i = 0; i < FEW; i++)	/* a refill: the class is in use */
			few[i] = kmalloc(SPARSE_SZ);
		for (unsigned i = 0; i < FEW; i++)
			kfree(few[i]);
		heap_flush_lists();			/* and a flush */
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	kmem_cache_get_stats(c, &st);
	assert_true(st.pages_purged > (uint64_t)SPARSE_N * SPARSE_SZ / PAGE_SIZE / 2);
	sparse_refilled(obj, 0x22);
}

/*
 * The malloc build's page source keeps a freed slab run's memory for reuse,
 * gives it back once it has been unused for a while (checked on the next
 * get or put), and gives everything back on a trim.
 */
static void freed_runs_decay(void **state)
{
	(void)state;
	struct heap_page_source *src = &heap_pages_mmap;
	size_t len = (size_t)PAGE_SIZE << HEAP_SLAB_ORDER;

	mmap_heap();
	uint8_t *a = src->pages_get(HEAP_SLAB_ORDER, 0);
	assert_non_null(a);
	memset(a, 0xa5, len);
	src->pages_put(a, HEAP_SLAB_ORDER);
	assert_int_equal(resident_pages(a, len), len / PAGE_SIZE);	/* kept */
	assert_ptr_equal(src->pages_get(HEAP_SLAB_ORDER, HEAP_PG_ZERO), a);	/* and reused */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(a[i], 0);
	memset(a, 0xa5, len);
	src->pages_put(a, HEAP_SLAB_ORDER);
	heap_pages_mmap_trim();
	assert_true(resident_pages(a, len) <= 1);	/* trimmed (the first word links it) */

	uint8_t *b = src->pages_get(HEAP_SLAB_ORDER, 0);
	assert_ptr_equal(b, a);
	memset(b, 0xa5, len);
	src->pages_put(b, HEAP_SLAB_ORDER);
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);	/* past the delay */
	uint8_t *c = src->pages_get(0, 0);				/* any call checks */
	assert_true(resident_pages(b, len) <= 1);
	src->pages_put(c, 0);
	heap_pages_mmap_trim();
}

static int ctor_calls;
static void ctor(void *obj)
{
	ctor_calls++;
	memcpy(obj, "constructed", 12);
}

static void object_caches(void **state)
{
	(void)state;
	mmap_heap();
	struct kmem_cache *c = kmem_cache_create("thing", 100, 64, 0, ctor);
	assert_non_null(c);
	void *objs[500];
	for (int i = 0; i < 500; i++) {
		objs[i] = kmem_cache_alloc(c);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % 64, 0);
		assert_string_equal(objs[i], "constructed");
	}
	assert_true(ctor_calls >= 500);		/* a batch is carved, and constructed, at once */
	int calls = ctor_calls;
	struct kmem_cache_stats st;
	kmem_cache_get_stats(c, &st);
	assert_int_equal(st.obj_size, 100);
	assert_true(st.objs_inuse >= 500);
	for (int i = 0; i < 500; i++)
		kmem_cache_free(c, objs[i]);
	void *again = kmem_cache_alloc(c);
	assert_string_equal(again, "constructed");	/* the free pointer left it alone */
	assert_int_equal(ctor_calls, calls);
	kmem_cache_free(c, again);
	kmem_cache_shrink(c);
	kmem_cache_get_stats(c, &st);
	assert_int_equal(st.slabs, 0);			/* contracted */
	kmem_cache_destroy(c);
	assert_null(kmem_cache_create("bad", 0, 8, 0, NULL));
	assert_null(kmem_cache_create("bad", 100, 3, 0, NULL));
}

static void seed_names(void **state)
{
	(void)state;
	mmap_heap();
	void *a = AllocateMemory(40), *b = AllocateKernelMemory(4000);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(GetMemorySize(a) >= 40);
	FreeMemory(a);
	FreeKernelMemory(b);
	memory_stats_t st;
	heap_get_stats(&st);
	assert_int_equal(st.allocation_count, 2);
	assert_int_equal(st.free_count, 2);
	assert_true(st.total_physical > 0);
	assert_int_equal(st.heap_free, st.heap_size - st.heap_used);
}

static void bad_frees_reported(void **state)
{
	(void)state;
	mmap_heap();
	int on_stack;
	void *foreign = malloc(32);
	unsigned long errs = sim_count.log[LOG_ERR];
	kfree(&on_stack);
	kfree(foreign);
	assert_int_equal(sim_count.log[LOG_ERR] - errs >= 2, 1);
	assert_non_null(strstr(sim_last_log(), "freed"));
	struct heap_debug_counts c;
	heap_debug_get_counts(&c);
	assert_int_equal(c.invalid_frees, 2);
	assert_false(heap_owns(foreign));
	assert_int_equal(ksize(foreign), 0);
	free(foreign);
	void *big = kmalloc(100000);
	kfree(big);
	kfree(big);				/* a large area twice: the second is refused */
	heap_debug_get_counts(&c);
	assert_int_equal(c.invalid_frees, 3);
}

/* --- over the PMM and vmalloc on simulated RAM --------------------------------------- */

static void frames_back_exactly(void **state)
{
	(void)state;
	sim_heap(64 * MiB);
	uint64_t free0 = vm_free_frames();
	void *p[3000];
	for (int i = 0; i < 3000; i++) {
		p[i] = kmalloc((size_t)(i * 37) % 9000 + 1);	/* some are large (vmalloc) */
		assert_non_null(p[i]);
	}
	assert_true(vm_free_frames() < free0);
	for (int i = 0; i < 3000; i += 2)
		kfree(p[i]);
	for (int i = 1; i < 3000; i += 2)
		kfree(p[i]);
	heap_drain();
	assert_int_equal(vm_free_frames(), free0);
	memory_stats_t st;
	heap_get_stats(&st);
	assert_int_equal(st.heap_used, 0);
	assert_int_equal(pmm_check(), 0);
	sim_heap_done();
}

static void dma_below_16m(void **state)
{
	(void)state;
	sim_heap(64 * MiB);
	uint64_t free0 = vm_free_frames();
	size_t sizes[] = { 1, 64, 3000, 8192, 100000, 1 << 20 };
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint8_t *p = kmalloc_dma(sizes[i]);
		assert_non_null(p);
		phys_addr_t pa = plat_virt_to_phys(p);
		assert_true(pa + sizes[i] <= PMM_DMA_LIMIT);
		assert_true(ksize(p) >= sizes[i]);
		memset(p, 0x77, sizes[i]);		/* physically contiguous: one run of sim RAM */
		kfree(p);
	}
	heap_drain();
	assert_int_equal(vm_free_frames(), free0);
	sim_heap_done();
}

static void oom_returns_null_and_recovers(void **state)
{
	(void)state;
	sim_heap(32 * MiB);
	uint64_t free0 = vm_free_frames();
	struct vm_eaten e = { 0 };
	vm_eat(&e, 0);
	void **objs = malloc(200000 * sizeof(void *));
	size_t n = 0;
	void *o;
	while (n < 200000 && (o = kmalloc(512)) != NULL)	/* what the lists already hold */
		objs[n++] = o;
	assert_null(kmalloc(512));
	assert_null(kmalloc(100000));
	assert_null(kmalloc_dma(64));
	assert_null(kmem_cache_create("x", 64, 8, 0, NULL) ? (void *)1 : NULL);
	vm_uneat(&e);
	void *big = kmalloc(100000);
	assert_non_null(big);
	kfree(big);
	for (size_t i = 0; i < n; i++)
		kfree(objs[i]);
	free(objs);
	for (int i = 0; i < 1000; i++)
		objs = kmalloc(512), assert_non_null(objs), kfree(objs);
	heap_drain();
	assert_int_equal(vm_free_frames(), free0);
	sim_heap_done();
}

/* heap_shrink(): empty slabs and the free pages inside slabs given back at once, counted. */
static void shrink_gives_back(void **state)
{
	(void)state;
	mmap_heap();
	enum { N = 20000 };
	static uint8_t *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(200);
		assert_non_null(p[i]);
		memset(p[i], (int)(i & 0xff), 200);
	}
	for (int i = 0; i < N; i++)
		if ((i / 500) % 8)		/* 7/8 freed, in runs of whole pages */
			kfree(p[i]);
	heap_flush_lists();
	memory_stats_t s0, s1;
	heap_get_stats(&s0);
	unsigned long got = heap_shrink(&heap_global);
	heap_get_stats(&s1);
	assert_true(got > 0);
	assert_int_equal(s1.shrinks - s0.shrinks, 1);
	assert_int_equal(s1.shrunk_pages - s0.shrunk_pages, got);
	assert_true(s1.pages_purged > 0);
	assert_true(s1.slabs_freed >= s0.slabs_freed);
	for (int i = 0; i < N; i += 500)	/* the survivors are intact */
		for (int j = i; j < i + 500 && !((j / 500) % 8); j++)
			assert_int_equal(p[j][199], j & 0xff);
	for (int i = 0; i < N; i++)		/* and memory given back serves again */
		if ((i / 500) % 8)
			p[i] = kzalloc(200), assert_non_null(p[i]), assert_int_equal(p[i][100], 0);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	assert_int_equal(heap_check(), 0);
}

/* Direct reclaim's hook: what the heap holds unused comes back before anything is swapped. */
static unsigned long shrink_global(void)
{
	heap_flush_lists();
	return heap_shrink(&heap_global);
}

static void direct_reclaim_asks_the_heap(void **state)
{
	(void)state;
	mmap_heap();
	enum { N = 4000 };
	static void *p[N];
	for (int i = 0; i < N; i++)
		assert_non_null(p[i] = kmalloc(1000));
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	struct reclaim_stats r0, r1;
	reclaim_get_stats(&r0);
	assert_int_equal(reclaim_direct(1), 0);		/* no hook, no swap: nothing */
	reclaim_set_shrinker(shrink_global);
	unsigned long got = reclaim_direct(1);
	reclaim_set_shrinker(NULL);
	reclaim_get_stats(&r1);
	assert_true(got > 0);		/* the thread's list and the slabs it emptied */
	assert_int_equal(shrink_global(), 0);	/* and nothing was left */
	assert_int_equal(r1.cache_reclaimed - r0.cache_reclaimed, got);
	assert_int_equal(r1.direct_reclaimed - r0.direct_reclaimed, got);
	assert_int_equal(r1.direct_runs - r0.direct_runs, 2);
	assert_int_equal(heap_check(), 0);
}

/* The seeds' fragmentation: free memory a request of the mix cannot use, over free memory. */
static void fragmentation_for_a_mix(void **state)
{
	(void)state;
	mmap_heap();
	static void *a[4096], *b[4096];
	const size_t small[] = { 32 }, both[] = { 32, 1000 };
	for (int i = 0; i < 4096; i++)
		a[i] = kmalloc(32), b[i] = kmalloc(1000);
	for (int i = 0; i < 4096; i += 2)
		kfree(a[i]), kfree(b[i]);
	heap_drain();
	/* Two classes with free objects, none empty: each request uses only its own class's. */
	assert_int_equal(heap_fragmentation_for(both, 2), 50);
	unsigned f = heap_fragmentation_for(small, 1);
	assert_true(f > 50 && f < 100);		/* most free bytes are 1000-byte objects */
	for (int i = 1; i < 4096; i += 2)
		kfree(b[i]);			/* b's slabs empty: any request can use them */
	unsigned g = heap_fragmentation_for(small, 1);
	assert_true(g < f);
	for (int i = 1; i < 4096; i += 2)
		kfree(a[i]);
	heap_drain();				/* nothing free left in the heap */
	assert_int_equal(heap_fragmentation_for(both, 2), 0);
}

/* --- private heaps ------------------------------------------------------------------- */

/* A private heap beside the global one, over the same PMM: isolation, realloc, destroy. */
static void private_heaps(void **state)
{
	(void)state;
	sim_heap(64 * MiB);
	uint64_t free0 = vm_free_frames();
	struct heap *a = heap_create(&heap_pages_kernel, 0), *b = heap_create(&heap_pages_kernel, 0);
	assert_non_null(a);
	assert_non_null(b);
	enum { N = 2000 };
	static uint8_t *pa[N], *pb[N];
	for (int i = 0; i < N; i++) {
		size_t n = (size_t)(i * 53) % 12000 + 1;	/* classes and large areas */
		pa[i] = heap_alloc(a, n);
		pb[i] = i % 3 ? heap_zalloc(b, n) : heap_alloc_aligned(b, n, 64);
		assert_non_null(pa[i]);
		assert_non_null(pb[i]);
		assert_true(heap_usable(a, pa[i]) >= n);
		assert_int_equal(heap_usable(b, pa[i]), 0);
		assert_true(heap_contains(a, pa[i]) && !heap_contains(b, pa[i]) && !heap_owns(pa[i]));
		if (i % 3 == 0)
			assert_int_equal((uintptr_t)pb[i] % 64, 0);
		if (n > 8192)
			continue;		/* vmalloc areas are not host memory here */
		if (i % 3)
			assert_int_equal(pb[i][n - 1], 0);
		memset(pa[i], 0xa5, n);
		memset(pb[i], 0x5b, n);
	}
	/* Pointers given to the wrong heap are reported and ignored. */
	unsigned long errs = sim_count.log[LOG_ERR];
	struct heap_debug_counts dc, dg;
	heap_debug_get_counts(&dg);
	heap_free(b, pa[1]);
	heap_free(a, pb[1]);
	kfree(pa[2]);
	heap_free(a, pa[200]);		/* a large area of a (200 * 53 > 8 KiB) */
	heap_free(a, pa[200]);		/* freed twice */
	assert_true(sim_count.log[LOG_ERR] - errs >= 4);
	heap_debug_get_counts(&dc);
	assert_int_equal(dc.invalid_frees, dg.invalid_frees + 1);
	heap_debug_counts(a, &dc);
	assert_int_equal(dc.invalid_frees, 2);
	heap_debug_counts(b, &dc);
	assert_int_equal(dc.invalid_frees, 1);
	assert_int_equal(pa[1][0], 0xa5);
	assert_int_equal(pb[1][0], 0x5b);
	for (int i = 0; i < N; i++)
		if (i != 200 && (size_t)(i * 53) % 12000 + 1 <= 8192)
			assert_int_equal(pa[i][0], 0xa5);
	/* Statistics per heap: a's bytes are a's. */
	memory_stats_t sa, sb, sg;
	heap_stats(a, &sa);
	heap_stats(b, &sb);
	heap_get_stats(&sg);
	assert_int_equal(sa.allocation_count, N + sa.free_count - 1);
	assert_true(sa.heap_used > 0 && sb.heap_used > 0);
	assert_int_equal(sg.heap_used, 0);
	assert_int_equal(heap_validate(a), 0);
	/* b: everything freed, then destroyed; a destroyed with its objects live. */
	for (int i = 0; i < N; i++)
		heap_free(b, pb[i]);
	heap_stats(b, &sb);
	assert_int_equal(sb.heap_used, 0);
	assert_int_equal(sb.allocation_count, sb.free_count);
	heap_destroy(b);
	heap_destroy(a);
	heap_drain();
	assert_int_equal(vm_free_frames(), free0);
	assert_int_equal(pmm_check(), 0);
	sim_heap_done();
}

/* Realloc within a private heap keeps the contents, through classes and large areas. */
static void private_heap_realloc(void **state)
{
	(void)state;
	mmap_heap();
	struct heap *a = heap_create(&heap_pages_mmap, 0), *b = heap_create(&heap_pages_mmap, 0);
	assert_non_null(a);
	assert_non_null(b);
	uint8_t *r = heap_alloc(a, 10);
	memset(r, 7, 10);
	for (size_t n = 20; n < 3000000; n = n * 3 / 2) {
		r = heap_realloc(a, r, n);
		assert_non_null(r);
		assert_true(heap_contains(a, r) && !heap_contains(b, r) && !heap_owns(r));
		assert_int_equal(r[9], 7);
		assert_int_equal(r[n * 2 / 3 - 1], n > 20 ? 9 : r[n * 2 / 3 - 1]);
		memset(r + 10, 9, n - 10);
	}
	unsigned long errs = sim_count.log[LOG_ERR];
	assert_null(heap_realloc(b, r, 100));	/* not b's: refused, left alone */
	assert_true(sim_count.log[LOG_ERR] > errs);
	assert_int_equal(r[9], 7);
	r = heap_realloc(a, r, 50);		/* back into a class */
	assert_true(heap_contains(a, r));
	assert_int_equal(r[49], 9);
	heap_free(a, r);
	memory_stats_t st;
	heap_stats(a, &st);
	assert_int_equal(st.heap_used, 0);
	assert_int_equal(st.large_count, 0);
	heap_destroy(a);
	heap_destroy(b);
}

static struct heap *shared_private;

static void *private_churner(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *live[128] = { 0 };

	for (int i = 0; i < 40000; i++) {
		unsigned k = (seed = seed * 1103515245u + 12345u) >> 16 & 127;
		heap_free(shared_private, live[k]);
		size_t n = (seed >> 8) % 3000 + 1;
		live[k] = heap_alloc(shared_private, n);
		assert_non_null(live[k]);
		memset(live[k], (int)k, n);
	}
	for (int k = 0; k < 128; k++)
		heap_free(shared_private, live[k]);
	return NULL;
}

/* A private heap has no per-CPU lists: threads share it through its class locks. */
static void private_heap_threads(void **state)
{
	(void)state;
	mmap_heap();
	shared_private = heap_create(&heap_pages_mmap, 0);
	assert_non_null(shared_private);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, private_churner, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	memory_stats_t st;
	heap_stats(shared_private, &st);
	assert_int_equal(st.heap_used, 0);
	assert_int_equal(st.allocation_count, st.free_count);
	assert_int_equal(st.allocation_count, 4 * 40000);
	assert_int_equal(heap_validate(shared_private), 0);
	heap_destroy(shared_private);
}

/* --- threads ------------------------------------------------------------------------- */

#define RING	1024
struct ring {
	void *slot[RING];
	unsigned head, tail;		/* atomics */
};

static struct ring ring;

static void *producer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 100000; i++) {
		uint32_t *p = kmalloc(16 + i % 500);
		assert_non_null(p);
		*p = i;
		unsigned h = __atomic_load_n(&ring.head, __ATOMIC_RELAXED);
		while (h - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) == RING)
			;
		ring.slot[h % RING] = p;
		__atomic_store_n(&ring.head, h + 1, __ATOMIC_RELEASE);
	}
	heap_thread_exit();
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 100000; i++) {
		unsigned t = __atomic_load_n(&ring.tail, __ATOMIC_RELAXED);
		while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == t)
			;
		uint32_t *p = ring.slot[t % RING];
		__atomic_store_n(&ring.tail, t + 1, __ATOMIC_RELEASE);
		assert_int_equal(*p, i);
		kfree(p);
	}
	heap_thread_exit();
	return NULL;
}

static void *churner(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *live[256] = { 0 };

	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		unsigned k = (seed >> 8) % 256;
		if (live[k]) {
			assert_int_equal(*(uint8_t *)live[k], k);
			kfree(live[k]);
			live[k] = NULL;
		} else {
			size_t size = (seed >> 16) % 3000 + 1;
			live[k] = kmalloc(size);
			assert_non_null(live[k]);
			memset(live[k], (int)k, size);
		}
	}
	for (int k = 0; k < 256; k++)
		kfree(live[k]);
	heap_thread_exit();
	return NULL;
}

static void threads_share_the_heap(void **state)
{
	(void)state;
	mmap_heap();
	pthread_t t[6];
	memset(&ring, 0, sizeof(ring));
	pthread_create(&t[0], NULL, producer, NULL);
	pthread_create(&t[1], NULL, consumer, NULL);
	for (int i = 2; i < 6; i++)
		pthread_create(&t[i], NULL, churner, (void *)(uintptr_t)i);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	memory_stats_t st;
	heap_drain();
	heap_get_stats(&st);
	assert_int_equal(st.heap_used, 0);
	assert_int_equal(st.allocation_count, st.free_count);
	assert_true(st.allocation_count >= 100000 + 4 * 100000);
	assert_int_equal(heap_check(), 0);
}

/* --- page runs: mid sizes share whole pages (heap_init(HEAP_PAGE_RUNS)) --------------- */

#define RUN_SLAB(p)	((uintptr_t)(p) & ~(HEAP_SLAB_SIZE - 1))

static void runs_heap(void)
{
	assert_int_equal(heap_init(&heap_pages_mmap, HEAP_PAGE_RUNS), 0);
}

/*
 * A class the program has left, still freed into but no longer allocated
 * from, is idle by the allocation clock: the heap's growth in page runs
 * (whose allocations advance the clock too) takes its free pages back, and
 * the frees (flushes of this thread's list) do not count as use. Before,
 * every flush kept such a class "in use" and runs did not age it.
 */
static void freed_into_class_gives_back(void **state)
{
	enum { RUNS = 640, RUN_SZ = 20000, LATE = SPARSE_KEEP / 2 };
	static uint8_t *obj[SPARSE_N], *run[RUNS];
	struct kmem_cache *c = NULL;
	struct kmem_cache_stats s0, s1;

	(void)state;
	runs_heap();
	kmem_cache_for_each(find_cache, &c);
	assert_non_null(c);
	for (unsigned i = 0; i < SPARSE_N; i++) {
		obj[i] = kmalloc(SPARSE_SZ);
		memset(obj[i], 0x33, SPARSE_SZ);
	}
	for (unsigned i = 0; i < SPARSE_N; i++)
		if (i % SPARSE_KEEP && i % SPARSE_KEEP != LATE)
			kfree(obj[i]);
	heap_flush_lists();
	kmem_cache_get_stats(c, &s0);
	/* 12.5 MiB of runs, the late objects freed (and flushed) in between. */
	unsigned late = LATE;
	for (unsigned i = 0; i < RUNS; i++) {
		run[i] = kmalloc(RUN_SZ);
		assert_non_null(run[i]);
		run[i][0] = run[i][RUN_SZ - 1] = (uint8_t)i;
		if (i % 4 == 0 && late < SPARSE_N) {
			kfree(obj[late]);
			late += SPARSE_KEEP;
			heap_flush_lists();
		}
	}
	kmem_cache_get_stats(c, &s1);
	assert_true(s1.pages_purged - s0.pages_purged > (uint64_t)SPARSE_N * SPARSE_SZ / PAGE_SIZE / 2);
	for (unsigned i = 0; i < RUNS; i++) {
		assert_int_equal(run[i][0], (uint8_t)i);
		assert_int_equal(run[i][RUN_SZ - 1], (uint8_t)i);
		kfree(run[i]);
	}
	sparse_refilled(obj, 0x33);
}

/* Runs are whole pages; freed ones join their neighbours and serve other sizes. */
static void page_runs_shared_by_sizes(void **state)
{
	(void)state;
	runs_heap();
	enum { N = 12 };
	uint8_t *a[N];
	memory_stats_t s0, s1, s2;
	for (int i = 0; i < N; i++) {
		a[i] = kmalloc(20000);
		assert_non_null(a[i]);
		assert_int_equal((uintptr_t)a[i] % PAGE_SIZE, 0);
		assert_int_equal(ksize(a[i]), 5 * PAGE_SIZE);
		memset(a[i], i + 1, 20000);
	}
	heap_get_stats(&s0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(a[i][0], i + 1);
		assert_int_equal(a[i][19999], i + 1);
		kfree(a[i]);
	}
	heap_get_stats(&s1);
	assert_true(s1.slab_bytes < s0.slab_bytes);	/* wholly free run slabs went back, but one */
	/* Other sizes take the kept slab's pages: 7 + 8 pages fill it. */
	uint8_t *b = kmalloc(28000), *c = kmalloc(30000);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(RUN_SLAB(b), RUN_SLAB(c));
	heap_get_stats(&s2);
	assert_int_equal(s2.slab_bytes, s1.slab_bytes);
	kfree(b);
	kfree(c);
	/* Two neighbours freed make one run that an 8-page request fits. */
	uint8_t *x = kmalloc(20000), *y = kmalloc(20000), *z = kmalloc(20000);
	assert_int_equal(RUN_SLAB(x), RUN_SLAB(z));
	assert_ptr_equal(y, x + 5 * PAGE_SIZE);
	kfree(x);
	kfree(y);
	uint8_t *w = kmalloc(32000);
	assert_ptr_equal(w, x);
	kfree(w);
	kfree(z);
}

/* realloc grows a run into the free pages after it and shrinks it in place. */
static void page_runs_realloc_in_place(void **state)
{
	(void)state;
	runs_heap();
	uint8_t *r = kmalloc(17000);
	assert_non_null(r);
	for (int i = 0; i < 17000; i++)
		r[i] = (uint8_t)(i * 7);
	uint8_t *g = krealloc(r, 30000);
	assert_ptr_equal(g, r);
	assert_int_equal(ksize(g), 8 * PAGE_SIZE);
	for (int i = 0; i < 17000; i += 13)
		assert_int_equal(g[i], (uint8_t)(i * 7));
	memset(g + 17000, 0x5a, 13000);
	uint8_t *t = krealloc(g, 17000);
	assert_ptr_equal(t, r);
	assert_int_equal(ksize(t), 5 * PAGE_SIZE);
	uint8_t *u = kmalloc(20000);		/* 5 pages: the tail given back serves it */
	assert_non_null(u);
	assert_ptr_equal(u, t + 5 * PAGE_SIZE);
	/* Bad frees of runs are reported, the run stays intact. */
	struct heap_debug_counts c0, c1;
	heap_debug_get_counts(&c0);
	kfree(t + PAGE_SIZE);
	kfree(u);
	kfree(u);
	heap_debug_get_counts(&c1);
	assert_int_equal(c1.invalid_frees - c0.invalid_frees, 2);
	assert_int_equal(t[16999], (uint8_t)(16999 * 7));
	kfree(t);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts))
		;
}

/* Free runs give their pages back: at once by heap_shrink(), or after a window unused. */
static void page_runs_given_back(void **state)
{
	(void)state;
	runs_heap();
	uint8_t *keep = kmalloc(24000), *a = kmalloc(24000);
	assert_non_null(keep);
	assert_non_null(a);
	memset(a, 0xab, 24000);
	kfree(a);
	memory_stats_t s0, s1;
	heap_get_stats(&s0);
	/* Unused for two windows: its pages go back when a slow path ticks. */
	for (int k = 0; k < 2; k++) {
		sleep_ns(HEAP_PURGE_DECAY_NS + HEAP_PURGE_DECAY_NS / 8);
		heap_flush_lists();
		kfree(kmalloc(64));		/* a refill: the heap's purge tick */
	}
	heap_get_stats(&s1);
	assert_true(s1.pages_purged - s0.pages_purged >= 6);
	uint8_t *b = kmalloc(24000);
	assert_ptr_equal(b, a);
	for (int i = 0; i < 24000; i += 97)
		assert_int_equal(b[i], 0);	/* given back: reads as zero */
	memset(b, 0xcd, 24000);
	kfree(b);
	unsigned long got = heap_shrink(&heap_global);
	assert_true(got >= 6);
	b = kmalloc(24000);
	assert_ptr_equal(b, a);
	assert_int_equal(b[100], 0);
	kfree(b);
	kfree(keep);
}

struct runs_arg {
	unsigned id;
	unsigned long bad;
};

static void *runs_worker(void *arg)
{
	struct runs_arg *ra = arg;
	uint8_t *live[8] = { 0 };
	size_t len[8] = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull * (ra->id + 1);

	for (int it = 0; it < 3000; it++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned k = (unsigned)(x % 8);
		if (live[k]) {
			if (live[k][0] != (uint8_t)ra->id || live[k][len[k] - 1] != (uint8_t)ra->id)
				ra->bad++;
			if (x & 256) {
				len[k] = 16385 + (size_t)(x >> 20) % 16000;
				live[k] = krealloc(live[k], len[k]);
				memset(live[k], (int)ra->id, len[k]);
				continue;
			}
			kfree(live[k]);
		}
		len[k] = 16385 + (size_t)(x >> 24) % 16000;
		live[k] = kmalloc(len[k]);
		if (!live[k]) {
			ra->bad++;
			continue;
		}
		memset(live[k], (int)ra->id, len[k]);
	}
	for (unsigned k = 0; k < 8; k++)
		kfree(live[k]);
	heap_thread_exit();
	return NULL;
}

/* Threads allocate, grow and free runs at once (also under TSan). */
static void page_runs_threads(void **state)
{
	(void)state;
	runs_heap();
	pthread_t t[4];
	struct runs_arg a[4];
	for (unsigned i = 0; i < 4; i++) {
		a[i] = (struct runs_arg){ .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, runs_worker, &a[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].bad, 0);
	}
	memory_stats_t st;
	heap_get_stats(&st);
	assert_int_equal(st.heap_used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_size),
		cmocka_unit_test(null_and_zero),
		cmocka_unit_test(calloc_overflow),
		cmocka_unit_test(realloc_in_place_and_moving),
		cmocka_unit_test(alignment),
		cmocka_unit_test(large_areas),
		cmocka_unit_test(large_areas_resize),
		cmocka_unit_test(freed_runs_decay),
		cmocka_unit_test(slab_pages_given_back),
		cmocka_unit_test(in_use_class_decays),
		cmocka_unit_test(object_caches),
		cmocka_unit_test(seed_names),
		cmocka_unit_test(bad_frees_reported),
		cmocka_unit_test_teardown(frames_back_exactly, vm_teardown),
		cmocka_unit_test_teardown(dma_below_16m, vm_teardown),
		cmocka_unit_test_teardown(oom_returns_null_and_recovers, vm_teardown),
		cmocka_unit_test(threads_share_the_heap),
		cmocka_unit_test(fragmentation_for_a_mix),
		cmocka_unit_test(shrink_gives_back),
		cmocka_unit_test(direct_reclaim_asks_the_heap),
		cmocka_unit_test_teardown(private_heaps, vm_teardown),
		cmocka_unit_test(private_heap_realloc),
		cmocka_unit_test(private_heap_threads),
		cmocka_unit_test(page_runs_shared_by_sizes),
		cmocka_unit_test(page_runs_realloc_in_place),
		cmocka_unit_test(page_runs_given_back),
		cmocka_unit_test(freed_into_class_gives_back),
		cmocka_unit_test(page_runs_threads),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
