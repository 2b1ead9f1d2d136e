// SPDX-License-Identifier: MIT
/*
 * The kernel heap on real memory: the kmalloc family, alignment, DMA memory
 * below 16 MiB, large areas with a guard gap that faults, exhaustion of the
 * PMM and recovery, every frame back after a workload, object caches, and
 * the debug checks when they are compiled in.
 */
#include "arch.h"
#include "kernel/ktest.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/reclaim.h"
#include "mm/vmalloc.h"
#include "kernel/heap.h"
#include "kernel/task.h"
#include "tests/kernel/hoard.h"
#include "tests/kernel/frames.h"

static void kmalloc_family(struct ktest *t)
{
	uint64_t before = free_frames();

	kfree(NULL);
	KEXPECT(t, kmalloc(0) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	KEXPECT_EQ(t, ksize(ZERO_SIZE_PTR), 0);
	for (size_t size = 1; size <= 20000; size = size * 3 / 2 + 1) {
		uint8_t *p = kmalloc(size);
		KEXPECT(t, p != NULL);
		if (!p)
			continue;
		KEXPECT(t, ksize(p) >= size);
		KEXPECT_EQ(t, (uintptr_t)p % 8, 0);
		memset(p, 0xab, size);
		KEXPECT_EQ(t, p[size - 1], 0xab);
		kfree(p);
	}
	KEXPECT(t, kcalloc(~(size_t)0 / 4, 8) == NULL);		/* overflow */
	uint32_t *z = kcalloc(100, 4);
	unsigned nonzero = 0;
	for (int i = 0; i < 100; i++)
		nonzero += z[i] != 0;
	KEXPECT_EQ(t, nonzero, 0);
	char *r = krealloc(z, 8);
	KEXPECT(t, r == (char *)z);				/* shrinking: in place */
	r = krealloc(r, 100000);					/* into vmalloc */
	KEXPECT(t, r != NULL);
	KEXPECT_EQ(t, ((uint32_t *)r)[1], 0);
	kfree(r);
	void *a = AllocateMemory(100), *b = AllocateKernelMemory(200);
	KEXPECT(t, GetMemorySize(a) >= 100 && GetMemorySize(b) >= 200);
	FreeMemory(a);
	FreeKernelMemory(b);
	KEXPECT_EQ(t, free_frames(), before);
}

static void aligned(struct ktest *t)
{
	for (size_t align = 1; align <= (2u << 20); align <<= 1) {
		uint8_t *p = kmalloc_aligned(100, align);
		KEXPECT(t, p != NULL);
		KEXPECT_EQ(t, (uintptr_t)p % align, 0);
		if (p)
			memset(p, 1, 100);
		kfree(p);
	}
	KEXPECT(t, kmalloc_aligned(8, 3) == NULL);
	void *p = AllocateAlignedMemory(5000, PAGE_SIZE);
	KEXPECT_EQ(t, (uintptr_t)p % PAGE_SIZE, 0);
	FreeMemory(p);
}

static void dma_below_16m(struct ktest *t)
{
	uint64_t before = free_frames();
	size_t sizes[] = { 1, 500, 8192, 65536, 300000 };

	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		uint8_t *p = kmalloc_dma(sizes[i]);
		KEXPECT(t, p != NULL);
		if (!p)
			continue;
		phys_addr_t pa = plat_virt_to_phys(p);
		KEXPECT(t, pa + sizes[i] <= PMM_DMA_LIMIT);
		/* Physically contiguous: the direct map is linear, and every frame is one block's. */
		KEXPECT_EQ(t, plat_virt_to_phys(p + sizes[i] - 1), pa + sizes[i] - 1);
		KEXPECT_EQ(t, pmm_frame_state(pa + sizes[i] - 1), PMM_FRAME_USED);
		memset(p, 0x3c, sizes[i]);
		kfree(p);
	}
	KEXPECT_EQ(t, free_frames(), before);
}

static void large_has_guard(struct ktest *t)
{
	size_t size = 3 * PAGE_SIZE + 100;
	uint8_t *p = kmalloc(size);
	struct vmalloc_area area;
	struct fault_catch fc;

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	KEXPECT(t, vmalloc_area_of(p, &area));
	memset(p, 0x11, ksize(p));
	uintptr_t guard = (uintptr_t)p + ALIGN_UP(size, PAGE_SIZE);
	KEXPECT_EQ(t, ksize(p), heap_debug_enabled() ? size : ALIGN_UP(size, PAGE_SIZE));
	if (FAULT_TRY(&fc)) {
		*(volatile uint8_t *)guard = 1;
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_PF);
	KEXPECT_EQ(t, fc.addr, guard);
	kfree(p);
}

static void oom_returns_null_and_recovers(struct ktest *t)
{
	uint64_t before = free_frames();
	phys_addr_t chain;
	void *objs = NULL;		/* kmalloc'd objects, chained through their first word */
	unsigned n = 0;

	hoard_all_frames(&chain);
	void *o;
	while (n < 100000 && (o = kmalloc(256)) != NULL) {
		*(void **)o = objs;
		objs = o;
		n++;
	}
	KEXPECT(t, kmalloc(256) == NULL);
	KEXPECT(t, kmalloc(100000) == NULL);
	KEXPECT(t, kmalloc_dma(100) == NULL);
	hoard_release(chain);
	void *big = kmalloc(100000);
	KEXPECT(t, big != NULL);
	kfree(big);
	while (objs) {
		void *next = *(void **)objs;
		kfree(objs);
		objs = next;
	}
	KEXPECT_EQ(t, free_frames(), before);
}

static void frames_back_after_workload(struct ktest *t)
{
	static void *p[2000];
	memory_stats_t st0, st;
	uint64_t before = free_frames();

	heap_get_stats(&st0);	/* the kernel's own objects (files, inodes, per-CPU data) stay */
	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		p[i] = kmalloc((i * 131) % 12000 + 1);
	for (unsigned i = 0; i < ARRAY_LEN(p); i += 3)
		kfree(p[i]);
	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		if (i % 3)
			kfree(p[i]);
	KEXPECT_EQ(t, free_frames(), before);
	heap_get_stats(&st);
	KEXPECT_EQ(t, st.heap_used, st0.heap_used);
	KEXPECT(t, st.allocation_count >= 2000);
	KEXPECT_EQ(t, heap_check(), 0);
}

static unsigned ctor_calls;
static void ctor(void *obj)
{
	ctor_calls++;
	*(uint64_t *)obj = 0xc0ffee;
}

static void object_caches(struct ktest *t)
{
	uint64_t before = free_frames();
	struct kmem_cache *c = kmem_cache_create("ktest", 48, 16, 0, ctor);
	void *o[300];

	KEXPECT(t, c != NULL);
	if (!c)
		return;
	for (int i = 0; i < 300; i++) {
		o[i] = kmem_cache_alloc(c);
		KEXPECT_EQ(t, *(uint64_t *)o[i], 0xc0ffee);
		KEXPECT_EQ(t, (uintptr_t)o[i] % 16, 0);
	}
	KEXPECT(t, ctor_calls >= 300);
	for (int i = 0; i < 300; i++)
		kmem_cache_free(c, o[i]);
	kmem_cache_destroy(c);
	KEXPECT_EQ(t, free_frames(), before);
}

/* The bad accesses are the point: not findings of the KASAN build. */
__attribute__((no_sanitize_address))
static void debug_checks(struct ktest *t)
{
#ifdef MM_HEAP_DEBUG
	struct kmem_cache *c = kmem_cache_create("ktest-debug", 60, 8, KMEM_DEBUG, NULL);
	struct heap_debug_counts before, after;

	heap_debug_get_counts(&before);
	uint8_t *p = kmem_cache_alloc(c), *q = kmem_cache_alloc(c);
	kmem_cache_free(c, p);
	kmem_cache_free(c, p);			/* double free: reported, ignored */
	kmem_cache_free(c, q + 4);		/* interior pointer */
	q[60] = 0;				/* red zone */
	kmem_cache_free(c, q);
	uint8_t *r = kmem_cache_alloc(c);
	kmem_cache_free(c, r);
	r[10] = 0;				/* use after free */
	KEXPECT_EQ(t, heap_check(), 1);
	r[10] = HEAP_POISON_FREE;
	heap_debug_get_counts(&after);
	KEXPECT_EQ(t, after.double_frees - before.double_frees, 1);
	KEXPECT_EQ(t, after.invalid_frees - before.invalid_frees, 1);
	KEXPECT_EQ(t, after.redzone_hits - before.redzone_hits, 1);
	KEXPECT_EQ(t, after.use_after_free - before.use_after_free, 1);
	kmem_cache_destroy(c);
#else
	ktest_skip(t, "debug checks not built (MM_HEAP_DEBUG)");
#endif
}

/* krealloc of a large area: grows in place or moves its pages (vrealloc), shrinks; contents kept. */
static void krealloc_large(struct ktest *t)
{
	uint64_t before = free_frames();
	uint8_t *p = kmalloc(20000), *blocker = kmalloc(20000);

	KEXPECT(t, p && blocker);
	if (!p || !blocker)
		return;
	for (unsigned i = 0; i < 20000; i++)
		p[i] = (uint8_t)(i * 7);
	uint8_t *q = krealloc(p, 300000);
	KEXPECT(t, q != NULL);
	if (q) {
		unsigned bad = 0;
		for (unsigned i = 0; i < 20000; i++)
			bad += q[i] != (uint8_t)(i * 7);
		KEXPECT_EQ(t, bad, 0);
		memset(q + 20000, 0x5a, 300000 - 20000);
		KEXPECT(t, ksize(q) >= 300000);
		p = krealloc(q, 40000);			/* the tail pages go back */
		KEXPECT(t, p == q && p[39999] == 0x5a && p[19999] == (uint8_t)(19999 * 7));
		KEXPECT(t, ksize(p) >= 40000 && ksize(p) < 300000);
	}
	kfree(p);
	kfree(blocker);
	KEXPECT_EQ(t, free_frames(), before);
}

/* Free frames with the PMM's per-CPU caches emptied, the heap's left as they are. */
static uint64_t free_frames_raw(void)
{
	struct pmm_stats st;

	pmm_drain();
	pmm_get_stats(&st);
	return st.free_frames;
}

/*
 * The reclaim hook: what per-CPU lists and kept empty slabs hold after a
 * burst comes back, counted exactly, and the figures say so.
 */
static void reclaim_hook(struct ktest *t)
{
	static void *p[3000];
	memory_stats_t st0, st1;
	uint64_t base = free_frames();

	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		p[i] = kmalloc((i * 37) % 8000 + 1);
	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		kfree(p[i]);
	heap_get_stats(&st0);
	uint64_t held = free_frames_raw();
	unsigned long got = heap_reclaim_all();
	uint64_t now = free_frames_raw();
	heap_get_stats(&st1);
	KEXPECT(t, got > 0);
	KEXPECT_EQ(t, now - held, got);
	KEXPECT(t, now >= base);		/* other CPUs' lists may have held more before */
	KEXPECT_EQ(t, st1.shrinks - st0.shrinks, 1);
	KEXPECT_EQ(t, st1.shrunk_pages - st0.shrunk_pages, got);
	KEXPECT(t, st1.slabs_freed > st0.slabs_freed);
}

/*
 * A phase-changing workload in the kernel (as bench's phase, smaller): each
 * phase frees a random 90 % of what is held, then allocates up to 3 MiB
 * live (less on a small machine) from one octave of 16 B..8 KiB other
 * than the last phase's (every size class; no vmalloc areas: vmalloc's
 * tree keeps a node page it grew until later frees empty it, which would
 * show as a frame freed in the next suite). Then direct reclaim
 * (through the hook the kernel registers) must leave the heap holding no
 * more than the slabs and areas a survivor pins: every emptied slab and
 * every per-CPU list goes back to the PMM. Every frame is back once the
 * survivors are freed too.
 */
#define PH_LIVE_MAX	(3u << 20)
#define PH_PHASES	10
#define PH_SLABS	2048

struct ph_block {
	struct ph_block *next;
	size_t len;
};

static uint64_t ph_rng = 0x9e3779b97f4a7c15ull;

static uint64_t ph_next(void)
{
	ph_rng ^= ph_rng << 13;
	ph_rng ^= ph_rng >> 7;
	ph_rng ^= ph_rng << 17;
	return ph_rng;
}

/* Add slab @s to the sorted set @set of @n; false if the set is full. */
static bool ph_add_slab(uintptr_t *set, unsigned *n, uintptr_t s)
{
	unsigned lo = 0, hi = *n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (set[mid] == s)
			return true;
		if (set[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n == PH_SLABS)
		return false;
	memmove(&set[lo + 1], &set[lo], (*n - lo) * sizeof(*set));
	set[lo] = s;
	(*n)++;
	return true;
}

static void phase_gives_back(struct ktest *t)
{
	static uintptr_t slabs[PH_SLABS];
	struct ph_block *held = NULL;
	struct reclaim_stats r0, r1;
	struct vmalloc_stats v0, v1;
	uint64_t base = free_frames(), peak_used = 0, live = 0, pinned = 0;
	unsigned octave = 4, nslabs = 0, survivors = 0;
	bool oom = false;
	/* The peak can reach a few times the live bytes: at most 1/32 of free memory live. */
	const uint64_t cap = MM_MIN((uint64_t)PH_LIVE_MAX, base * PAGE_SIZE / 32);

	vmalloc_get_stats(&v0);
	for (int ph = 0; ph < PH_PHASES && !oom; ph++) {
		for (struct ph_block **pp = &held; *pp;) {
			struct ph_block *b = *pp;
			if (ph_next() % 10) {
				*pp = b->next;
				live -= b->len;
				kfree(b);
			} else {
				pp = &b->next;
			}
		}
		octave = 4 + (octave - 4 + 1 + (unsigned)(ph_next() % 8)) % 9;
		for (;;) {
			size_t n = ((size_t)1 << octave) + ph_next() % ((size_t)1 << octave);
			if (live + n > cap)
				break;
			struct ph_block *b = kmalloc(n);
			if (!b) {
				oom = true;
				break;
			}
			memset(b, 0x5a, n);
			b->len = n;
			b->next = held;
			held = b;
			live += n;
		}
		peak_used = MM_MAX(peak_used, base - MM_MIN(base, free_frames_raw()));
	}
	KEXPECT(t, !oom);
	for (struct ph_block *b = held; b; b = b->next, survivors++) {
		size_t sz = ksize(b);
		if (sz <= KMALLOC_MAX_SIZE)
			KEXPECT(t, ph_add_slab(slabs, &nslabs, (uintptr_t)b & ~(HEAP_SLAB_SIZE - 1)));
		else
			pinned += ALIGN_UP(sz, PAGE_SIZE) / PAGE_SIZE;
	}
	pinned += (uint64_t)nslabs * (HEAP_SLAB_SIZE / PAGE_SIZE);

	reclaim_get_stats(&r0);
	unsigned long got = reclaim_direct(1);
	reclaim_get_stats(&r1);
	uint64_t held_frames = base - MM_MIN(base, free_frames_raw());
	kprintf("        # %s: peak %llu frames for %u KiB live (%llu.%02llu x); after reclaim %llu frames "
		"held for %u survivors (%llu KiB live), %llu pinned by them; reclaim gave %lu\n", t->name,
		(unsigned long long)peak_used, (unsigned)(cap >> 10),
		(unsigned long long)(peak_used * PAGE_SIZE / cap),
		(unsigned long long)(peak_used * PAGE_SIZE * 100 / cap % 100),
		(unsigned long long)held_frames, survivors, (unsigned long long)(live >> 10),
		(unsigned long long)pinned, got);
	KEXPECT(t, got > 0);
	KEXPECT(t, r1.cache_reclaimed - r0.cache_reclaimed >= got);
	/* Slack: the large areas' records and the heap's own tables, vmalloc's page tables. */
	KEXPECT(t, held_frames <= pinned + pinned / 16 + 64);
	if (heap_pages_kernel.pages_purge) {
		/*
		 * Slabs in the arena (mm/heap_arena.c): free pages inside the
		 * slabs survivors pin went back to the PMM at the reclaim (an
		 * eighth of the pinned slabs' pages at least: 512 MiB, 1673 of
		 * 2016 held, 2048 of 2064 through the direct map; the small
		 * classes' survivors, one in ten objects, still hold every page
		 * of theirs). The peak during the phases depends on the machine:
		 * the purge's clock is bytes allocated.
		 */
		uint64_t purged, restored, failed;
		heap_arena_stats(&purged, &restored, &failed);
		kprintf("        # %s: slab arena: %llu pages given back, %llu taken back, %llu restores failed\n",
			t->name, (unsigned long long)purged, (unsigned long long)restored,
			(unsigned long long)failed);
		KEXPECT(t, held_frames <= pinned - pinned / 8);
		KEXPECT(t, purged > 0 && restored > 0);
	}

	while (held) {
		struct ph_block *b = held;
		held = b->next;
		kfree(b);
	}
	vmalloc_get_stats(&v1);
	KEXPECT_EQ(t, v1.node_pages, v0.node_pages);
	KEXPECT_EQ(t, free_frames(), base);
}

/*
 * The heap's reclaim thread (kheapd) gives back what the heap holds unused
 * whenever memory is low, with swap or without (this machine has none
 * enabled): with every frame taken, it shrinks the heap within a few of its
 * 100 ms polls of guest time.
 */
static void kheapd_shrinks_when_low(struct ktest *t)
{
	static void *p[2000];
	memory_stats_t st0, st;
	phys_addr_t chain;
	bool shrunk = false;

	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		p[i] = kmalloc(1000 + (i * 37) % 3000);
	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		kfree(p[i]);
	heap_get_stats(&st0);
	hoard_all_frames(&chain);
	for (int i = 0; i < 40 && !shrunk; i++) {	/* up to 2 s of guest time */
		sleep_until(time_ns() + 50000000ull);
		heap_get_stats(&st);
		shrunk = st.shrinks > st0.shrinks;
	}
	hoard_release(chain);
	KEXPECT(t, shrunk);
}

/*
 * A private heap over the PMM and vmalloc beside the global one: its objects
 * are its own (a kfree of one is refused), and destroying it with objects
 * still live gives every frame back.
 */
static void private_heap(struct ktest *t)
{
	static uint8_t *p[1500];
	uint64_t before = free_frames();
	struct heap_debug_counts c0, c1;
	struct heap *h = heap_create(&heap_pages_kernel, 0);

	KEXPECT(t, h != NULL);
	if (!h)
		return;
	for (unsigned i = 0; i < ARRAY_LEN(p); i++) {
		size_t n = (i * 131) % 12000 + 1;	/* classes and vmalloc areas */
		p[i] = heap_alloc(h, n);
		KEXPECT(t, p[i] != NULL && heap_usable(h, p[i]) >= n);
		if (p[i])
			memset(p[i], (int)(i & 0xff), n);
	}
	heap_debug_get_counts(&c0);
	kfree(p[1]);				/* not the global heap's: refused */
	heap_debug_get_counts(&c1);
	KEXPECT_EQ(t, c1.invalid_frees - c0.invalid_frees, 1);
	KEXPECT(t, heap_contains(h, p[1]) && !heap_owns(p[1]));
	p[2] = heap_realloc(h, p[2], 30000);	/* class -> vmalloc area, contents kept */
	KEXPECT(t, p[2] && p[2][262] == 2);
	for (unsigned i = 0; i < ARRAY_LEN(p); i += 2)
		heap_free(h, p[i]);
	memory_stats_t st;
	heap_stats(h, &st);
	KEXPECT_EQ(t, st.allocation_count - st.free_count, ARRAY_LEN(p) / 2);
	KEXPECT_EQ(t, heap_validate(h), 0);
	heap_destroy(h);			/* half its objects still live */
	KEXPECT_EQ(t, free_frames(), before);
}

KTEST_SUITE(heap,
	KTEST_CASE(kmalloc_family),
	KTEST_CASE(aligned),
	KTEST_CASE(dma_below_16m),
	KTEST_CASE(large_has_guard),
	KTEST_CASE(oom_returns_null_and_recovers),
	KTEST_CASE(frames_back_after_workload),
	KTEST_CASE(object_caches),
	KTEST_CASE(krealloc_large),
	KTEST_CASE(reclaim_hook),
	KTEST_CASE(phase_gives_back),
	KTEST_CASE(kheapd_shrinks_when_low),
	KTEST_CASE(private_heap),
	KTEST_CASE(debug_checks));
