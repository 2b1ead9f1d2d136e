/* SPDX-License-Identifier: MIT */
/*
 * Where the heap's memory comes from. The heap asks for two things: runs of
 * 2^order pages, naturally aligned, for slabs (physically contiguous and
 * below 16 MiB with HEAP_PG_DMA); and large areas followed by an unmapped
 * guard gap. heap_pages_kernel serves them from the PMM and vmalloc;
 * the malloc build has its own source over mmap.
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

#endif
