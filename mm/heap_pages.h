/* SPDX-License-Identifier: MIT */
/*
 * Where the heap's memory comes from. The heap asks for two things: runs of
 * 2^order pages, naturally aligned, for slabs (physically contiguous and
 * below 16 MiB with HEAP_PG_DMA); and large areas followed by an unmapped
 * guard gap. heap_pages_kernel serves them from the PMM and vmalloc, its
 * slabs seen through the direct map, or mapped frame by frame into a slab
 * arena where the platform gives it one (heap_pages_kernel_arena(), then
 * free pages inside slabs go back to the PMM: mm/heap_arena.c); the malloc
 * build has its own source over mmap.
 */
#ifndef MM_HEAP_PAGES_H
#define MM_HEAP_PAGES_H

#include "types.h"

#define HEAP_PG_ZERO	0x1	/* zero the memory */
#define HEAP_PG_DMA	0x2	/* physically contiguous, below 16 MiB */

/* A large area as the page source gave it. */
struct heap_area {
	void *base;		/* start of the area */
	size_t len;		/* bytes usable from @base */
	size_t reserved;	/* address space held from @base: headroom and guard included */
};

/* A run of pages. */
struct heap_range {
	void *p;
	size_t len;
};

struct heap_page_source {
	const char *name;
	/* Called by heap_init(); sets the arena. Return 0 or -1. */
	int (*init)(struct heap_page_source *src);
	/* 2^@order pages aligned to their size, or NULL. */
	void *(*pages_get)(unsigned order, unsigned flags);
	void (*pages_put)(void *p, unsigned order);
	/*
	 * At least @size bytes aligned to @align (a power of two), with an
	 * unmapped guard after; *@a says what large_resize() and large_put()
	 * need, and ptr + usable bytes = a->base + a->len. @flags: HEAP_PG_ZERO.
	 */
	void *(*large_get)(size_t size, size_t align, unsigned flags, struct heap_area *a);
	/*
	 * Optional (NULL: the heap allocates anew and copies). Makes @a's usable
	 * length at least @size by mapping more pages into its headroom, or
	 * failing that by moving its pages (page-table entries, not bytes) to a
	 * larger reservation; or, if @size is smaller, gives the tail pages
	 * back. Return: the area's new base (*@a updated), or NULL (*@a as it was).
	 */
	void *(*large_resize)(struct heap_area *a, size_t size);
	void (*large_put)(const struct heap_area *a);
	/*
	 * Optional, with now_ns (NULL: pages inside a slab stay until the slab
	 * is freed): give back the memory of @n runs of whole pages inside a
	 * slab; they read as zero when next touched.
	 */
	void (*pages_purge)(const struct heap_range *r, unsigned n);
	/*
	 * Optional (NULL: purged pages read as zero when touched, as after
	 * MADV_DONTNEED): before the heap uses a purged page again, give the
	 * pages of @r that are not backed zeroed memory again (pages still
	 * backed stay as they are). Called with the cache's lock held; must not
	 * sleep nor reclaim. Return: 0, or -1 with nothing changed (out of memory).
	 * Used only with slabs of at most 64 pages (larger ones are not purged).
	 */
	int (*pages_restore)(const struct heap_range *r);
	/* A monotonic clock in ns, for the delay before pages_purge. */
	uint64_t (*now_ns)(void);
	/* Bytes of memory managed and in use, for memory_stats_t. */
	void (*phys)(uint64_t *total, uint64_t *used);
	/* Every slab lies in [arena_lo, arena_hi). */
	uintptr_t arena_lo, arena_hi;
	/* Random bits from the environment for the hardened free-list secret (0: none). */
	uint64_t seed;
	/*
	 * Optional (NULL: no memory means failure): a slab of 2^@order pages
	 * could not be had; free memory if the caller's context may
	 * (mm/reclaim.h). Called with none of the heap's locks held. Return:
	 * true if memory was freed, so the heap tries again.
	 */
	bool (*reclaim)(unsigned order);
};

/* The kernel's (and the simulator's): PMM frames and vmalloc areas. */
extern struct heap_page_source heap_pages_kernel;

/*
 * What a platform gives heap_pages_kernel for a slab arena: a reserved
 * virtual range where it can back pages with PMM frames one by one. Both
 * calls take whole pages inside the arena, may run with interrupts off and
 * locks held, and never fault nor sleep.
 */
struct heap_arena_ops {
	/*
	 * Map the @n frames @pa at @va, @va + PAGE_SIZE, ... (kernel data,
	 * writable); nothing is mapped there. Page tables the arena needs may
	 * be allocated here. Return: 0, or -1 with nothing mapped.
	 */
	int (*map)(uintptr_t va, const phys_addr_t *pa, unsigned n);
	/*
	 * Unmap the @n pages at @va (some may be unmapped already); the frames
	 * that were mapped go to @old (room for @n). No CPU can reach them once
	 * it returns (its TLB shootdown is done). Page tables left empty may
	 * be freed. Return: how many frames are in @old.
	 */
	unsigned (*unmap)(uintptr_t va, unsigned n, phys_addr_t *old);
};

/**
 * heap_pages_kernel_arena() - give heap_pages_kernel a slab arena
 * @ops: how the platform maps frames into it
 * @lo: its first byte, aligned to HEAP_SLAB_SIZE
 * @hi: its end; HEAP_SLAB_SIZE of it for every frame of RAM below the
 *      highest heap frame (a slab lives at @lo + its first frame's number
 *      times HEAP_SLAB_SIZE)
 *
 * Call before heap_init(); a range too small for the RAM leaves the direct
 * map in use (heap_pages_kernel.init says so). Non-DMA slabs then live in
 * the arena and their free pages go back to the PMM (pages_purge).
 */
void heap_pages_kernel_arena(const struct heap_arena_ops *ops, uintptr_t lo, uintptr_t hi);

/* Pages the arena gave back to the PMM, mapped again, and restores that found no memory. */
void heap_arena_stats(uint64_t *purged, uint64_t *restored, uint64_t *failed);

/* heap_pages_kernel's init: use the arena if one was given and fits RAM up to @end (mm/heap_arena.c). */
bool heap_arena_setup(struct heap_page_source *src, phys_addr_t end);

#endif
