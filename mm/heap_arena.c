// SPDX-License-Identifier: MIT
/*
 * The kernel heap's slab arena: heap_pages_kernel's slabs mapped frame by
 * frame into a virtual range the platform reserves for them
 * (heap_pages_kernel_arena()), so that a free page inside a partly used slab
 * goes back to the PMM and a fresh frame comes back at the same address.
 *
 * Layout: a block of 2^order frames (order >= HEAP_SLAB_ORDER) taken from
 * the PMM at physical address pa lives at lo + pa. Its first frame, held as
 * long as the slab lives, owns those addresses: no other block of that size
 * or larger can start inside it, so the arena needs no allocator of its own
 * (no lock, no table), slabs are naturally aligned as the PMM's blocks are,
 * and the page tables are as dense as a direct map of the heap's memory. The
 * block is split into single frames (pmm_split()) so that any page but the
 * first can go back alone. DMA slabs live there too, mapped as they came
 * (never given back: their caches do not purge), physically contiguous.
 *
 * Giving back (pages_purge): the pages are unmapped, one TLB shootdown a
 * run, and their frames freed. Taking back (pages_restore, before
 * slab_revive() reuses a page): a zeroed frame is mapped where none is; if
 * the PMM has none, nothing changes and the heap fails the allocation.
 * Neither needs a page table: the slab's first page, mapped for as long as
 * the slab lives, keeps the tables of its range (a slab lies in one table);
 * tables left empty when a slab is freed may go. Nothing here faults: every
 * page the heap touches is mapped before it touches it.
 *
 * Locking: none of its own. A slab's pages change only under its cache's
 * lock or while the slab is not listed; the platform's calls take the
 * page-table lock, and the PMM its own.
 */
#include "heap_impl.h"
#include "pmm.h"

#define SLAB_PAGES	(HEAP_SLAB_SIZE / PAGE_SIZE)
/* Pages a call passes to the platform at once (a stack array). */
#define ARENA_BATCH	32

static struct {
	const struct heap_arena_ops *ops;
	uintptr_t lo, hi;
	uint64_t purged, restored, restore_failed;	/* pages, for heap_arena_stats() */
} arena;

/* The arena's address of the block at @pa. */
static inline uintptr_t arena_va(phys_addr_t pa)
{
	return arena.lo + (uintptr_t)pa;
}

/* Unmap [@va, @va + @n pages) and free the frames that were there; returns how many. */
static unsigned unmap_free(uintptr_t va, size_t n)
{
	phys_addr_t old[ARENA_BATCH];
	unsigned freed = 0;

	for (size_t done = 0; done < n;) {
		unsigned k = (unsigned)MM_MIN(n - done, (size_t)ARENA_BATCH);
		unsigned got = arena.ops->unmap(va + (done << PAGE_SHIFT), k, old);
		for (unsigned i = 0; i < got; i++)
			pmm_free_pages(old[i], 0);
		freed += got;
		done += k;
	}
	return freed;
}

static void *apages_get(unsigned order, unsigned flags)
{
	unsigned pf = (flags & HEAP_PG_ZERO ? PMM_ZERO : 0) | (flags & HEAP_PG_DMA ? PMM_ZONE_DMA : 0);

	if (order < HEAP_SLAB_ORDER)
		return NULL;	/* its addresses could lie in a slab whose pages went back */
	phys_addr_t pa = pmm_alloc_pages(order, pf);
	if (pa == PMM_NO_FRAME)
		return NULL;
	uintptr_t va = arena_va(pa);
	size_t n = (size_t)1 << order;
	if (va + (n << PAGE_SHIFT) > arena.hi || !pmm_split(pa, order)) {
		pmm_free_pages(pa, order);	/* beyond the arena: the platform said it fits */
		return NULL;
	}
	phys_addr_t run[ARENA_BATCH];
	for (size_t done = 0; done < n;) {
		unsigned k = (unsigned)MM_MIN(n - done, (size_t)ARENA_BATCH);
		for (unsigned i = 0; i < k; i++)
			run[i] = pa + ((done + i) << PAGE_SHIFT);
		if (arena.ops->map(va + (done << PAGE_SHIFT), run, k)) {
			unmap_free(va, done);
			for (size_t i = done; i < n; i++)
				pmm_free_pages(pa + (i << PAGE_SHIFT), 0);
			return NULL;
		}
		done += k;
	}
	return (void *)va;
}

static void apages_put(void *p, unsigned order)
{
	unmap_free((uintptr_t)p, (size_t)1 << order);
}

/* Give back the frames of @n runs of pages inside slabs; they are unmapped first. */
static void apages_purge(const struct heap_range *r, unsigned n)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < n; i++)
		pages += unmap_free((uintptr_t)r[i].p, r[i].len >> PAGE_SHIFT);
	__atomic_fetch_add(&arena.purged, pages, __ATOMIC_RELAXED);
}

/* Map a zeroed frame at every page of @r (all unmapped: purged); all or nothing. */
static int apages_restore(const struct heap_range *r)
{
	size_t n = r->len >> PAGE_SHIFT;
	phys_addr_t pa[SLAB_PAGES];

	if (!n || n > SLAB_PAGES)
		return -1;
	for (size_t i = 0; i < n; i++) {
		pa[i] = pmm_alloc_pages(0, PMM_ZERO);
		if (pa[i] == PMM_NO_FRAME || (i == n - 1 && arena.ops->map((uintptr_t)r->p, pa, (unsigned)n))) {
			for (size_t j = 0; j <= i; j++)
				pmm_free_pages(pa[j], 0);	/* PMM_NO_FRAME: nothing */
			__atomic_fetch_add(&arena.restore_failed, 1, __ATOMIC_RELAXED);
			return -1;
		}
	}
	__atomic_fetch_add(&arena.restored, n, __ATOMIC_RELAXED);
	return 0;
}

/*
 * The purge's clock: the heap's allocation clock (bytes its purging classes'
 * refills and its large areas took), each byte ARENA_NS_PER_BYTE "ns". Not
 * time: how fast a host runs a virtual machine, or how long the kernel is
 * idle, does not age the heap's classes; HEAP_PURGE_DELAY_NS is then 1.5 MiB
 * handed out, and the decay window four times that. heap_shrink() (memory
 * low: kheapd, reclaim) gives back at once whatever the clock says.
 */
#define ARENA_NS_PER_BYTE	64

static uint64_t anow_ns(void)
{
	return __atomic_load_n(&heap_global.alloc_clock, __ATOMIC_RELAXED) * ARENA_NS_PER_BYTE;
}

/**
 * heap_pages_kernel_arena() - give heap_pages_kernel a slab arena
 * @ops: how the platform maps frames into it
 * @lo: its first byte, aligned to HEAP_SLAB_SIZE
 * @hi: its end
 */
void heap_pages_kernel_arena(const struct heap_arena_ops *ops, uintptr_t lo, uintptr_t hi)
{
	arena.ops = ops;
	arena.lo = lo;
	arena.hi = hi;
}

/**
 * heap_arena_setup() - switch @src (heap_pages_kernel) to the arena if it has one that fits
 * @src: the page source, being initialised
 * @end: the end of the RAM its slabs may come from
 *
 * Return: true if the arena is in use (arena_lo/arena_hi and the hooks set).
 */
bool heap_arena_setup(struct heap_page_source *src, phys_addr_t end)
{
	if (!arena.ops || !IS_ALIGNED(arena.lo, HEAP_SLAB_SIZE) || arena.hi <= arena.lo ||
	    end > arena.hi - arena.lo)
		return false;
	src->name = "pmm+arena+vmalloc";
	src->arena_lo = arena.lo;
	src->arena_hi = arena.lo + (uintptr_t)end;
	src->pages_get = apages_get;
	src->pages_put = apages_put;
	src->pages_purge = apages_purge;
	src->pages_restore = apages_restore;
	src->now_ns = anow_ns;
	return true;
}

/**
 * heap_arena_stats() - pages the arena gave back and took back
 * @purged: pages given back to the PMM from inside slabs, ever
 * @restored: pages mapped again, ever
 * @failed: restores that found no memory
 */
void heap_arena_stats(uint64_t *purged, uint64_t *restored, uint64_t *failed)
{
	*purged = __atomic_load_n(&arena.purged, __ATOMIC_RELAXED);
	*restored = __atomic_load_n(&arena.restored, __ATOMIC_RELAXED);
	*failed = __atomic_load_n(&arena.restore_failed, __ATOMIC_RELAXED);
}
