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

struct heap_page_source {
	const char *name;
	/* Called by heap_init(); sets the arena. Return 0 or -1. */
	int (*init)(struct heap_page_source *src);
	/* 2^@order pages aligned to their size, or NULL. */
	void *(*pages_get)(unsigned order, unsigned flags);
	void (*pages_put)(void *p, unsigned order);
	/*
	 * At least @size bytes aligned to @align (a power of two), with an
	 * unmapped guard after; *@base and *@len say what large_put() needs,
	 * and @ptr + usable bytes = *@base + *@len. @flags: HEAP_PG_ZERO.
	 */
	void *(*large_get)(size_t size, size_t align, unsigned flags, void **base, size_t *len);
	void (*large_put)(void *base, size_t len);
	/* Bytes of memory managed and in use, for memory_stats_t. */
	void (*phys)(uint64_t *total, uint64_t *used);
	/* Every slab lies in [arena_lo, arena_hi). */
	uintptr_t arena_lo, arena_hi;
	/* Random bits from the environment for the hardened free-list secret (0: none). */
	uint64_t seed;
};

/* The kernel's (and the simulator's): PMM frames and vmalloc areas. */
extern struct heap_page_source heap_pages_kernel;

#endif
