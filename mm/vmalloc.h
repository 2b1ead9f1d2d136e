/* SPDX-License-Identifier: MIT */
/*
 * vmalloc: virtually contiguous kernel memory made of single PMM frames,
 * mapped one 4 KiB page at a time into a window [base, end) of a page-table
 * space. Every area is followed by an unmapped guard gap of VMALLOC_GUARD
 * bytes, so running off its end faults instead of corrupting a neighbour.
 *
 * The window is divided into segments, each an area (with its guard) or a
 * free gap, kept in an address-ordered AVL tree whose nodes also record the
 * largest free gap below them. Allocation (lowest-addressed gap that fits),
 * freeing (with merging of neighbouring gaps) and lookup are O(log n) in the
 * number of areas. The tree's nodes live in pages from the PMM, returned
 * when empty.
 *
 * The window's addresses are only numbers to this code: it never touches
 * the memory it maps except through the direct map (for zeroing).
 */
#ifndef MM_VMALLOC_H
#define MM_VMALLOC_H

#include "pt.h"

#define VMALLOC_GUARD	PAGE_SIZE

/* vmalloc_prot() flags */
#define VMALLOC_ZERO	0x1	/* zero the memory */

/* Default protections: kernel data, global, not executable. */
#define VMALLOC_PROT	(PT_WRITE | PT_GLOBAL)

struct vmalloc_area {
	uintptr_t base;		/* first byte */
	uint64_t size;		/* mapped bytes (whole pages) */
	uint64_t guard;		/* unmapped bytes right after */
	unsigned prot;		/* PT_* */
};

/* An area vfree() holds back, poisoned (MM_KASAN; vmalloc_freed_of()). */
#define VMALLOC_STACK_DEPTH	6	/* return addresses kept per allocation and free */
#define VMALLOC_QUARANTINE_BYTES (2u << 20)	/* freed areas' pages held at most */
struct vmalloc_freed {
	uintptr_t base;		/* first byte */
	uint64_t size;		/* its pages */
	const void *alloc_stack[VMALLOC_STACK_DEPTH], *free_stack[VMALLOC_STACK_DEPTH];
};

struct vmalloc_stats {
	uintptr_t base, end;	/* the window */
	uint64_t areas;		/* live areas */
	uint64_t bytes;		/* bytes mapped in them */
	uint64_t free_bytes;	/* window bytes in free gaps */
	uint64_t largest_free;	/* the largest free gap */
	uint64_t node_pages;	/* PMM pages holding the tree */
	uint64_t alloc_failures;
	uint64_t bad_frees;
	uint64_t quarantine_bytes;	/* MM_KASAN: freed areas' pages held back */
};

/**
 * vmalloc_init() - set the window and the page tables vmalloc maps into
 * @s: the space (the kernel's)
 * @base: page-aligned start of the window
 * @end: page-aligned end (exclusive), > @base; [@base, @end) must be
 *	 canonical in @s's format and on one side of the non-canonical hole
 *
 * May be called again to start over: as vmalloc_fini(), then a new window.
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int vmalloc_init(struct pt_space *s, uintptr_t base, uintptr_t end);

/**
 * vmalloc_fini() - free vmalloc's bookkeeping; vmalloc is off until vmalloc_init()
 *
 * Live areas are forgotten (still mapped, frames still held). For tests and
 * for a kernel that hands the window to something else.
 */
void vmalloc_fini(void);

/**
 * vmalloc_prot() - allocate and map a virtually contiguous area
 * @size: bytes, rounded up to whole pages; 0 gives NULL
 * @prot: PT_* protections of its pages
 * @flags: VMALLOC_ZERO
 *
 * Return: the area's address, or NULL (no room in the window, or out of
 * memory; nothing is left allocated or mapped then).
 */
void *vmalloc_prot(uint64_t size, unsigned prot, unsigned flags);

/**
 * vmalloc() - vmalloc_prot(@size, VMALLOC_PROT, 0): contents undefined
 * @size: bytes
 *
 * Return: the area's address or NULL.
 */
void *vmalloc(uint64_t size);

/**
 * vzalloc() - vmalloc_prot(@size, VMALLOC_PROT, VMALLOC_ZERO)
 * @size: bytes
 *
 * Return: the area's address or NULL.
 */
void *vzalloc(uint64_t size);

/**
 * vfree() - unmap an area and free its frames
 * @addr: what vmalloc*() returned; NULL is ignored
 *
 * Anything else (an address inside an area, a freed area, a foreign
 * pointer) is reported with mm_err() and ignored. In an MM_KASAN build the
 * area is poisoned and held back, still mapped, until newer freed areas
 * push it out of the quarantine (VMALLOC_QUARANTINE_BYTES) or vmalloc_drain().
 */
void vfree(void *addr);

/**
 * vmalloc_drain() - unmap and free every area the quarantine holds (MM_KASAN)
 *
 * For leak checks, which count frames; nothing to do in other builds.
 *
 * Return: true if an area left the quarantine.
 */
bool vmalloc_drain(void);

#ifdef MM_KASAN
/**
 * vmalloc_freed_of() - the freed area (in quarantine) whose pages or guard gap hold @addr
 * @addr: any address
 * @f: filled in if found, with the stacks of its vmalloc() and vfree()
 *
 * Return: true if found.
 */
bool vmalloc_freed_of(const void *addr, struct vmalloc_freed *f);
#endif

/**
 * vrealloc() - resize a vmalloc area in place or by moving its page-table entries
 * @addr: what vmalloc*() returned
 * @size: new size, > 0
 *
 * Shrinking frees the tail pages; growing maps fresh (not zeroed) frames
 * after the area, or moves the area's frames to a larger range without
 * copying a byte. Return: the area's address (new after a move), or NULL
 * with the area as it was.
 */
void *vrealloc(void *addr, uint64_t size);

/**
 * vmalloc_area_of() - the area whose pages or guard gap hold @addr
 * @addr: any address
 * @area: filled in if found
 *
 * For ksize() of vmalloc'd memory and for classifying a faulting address:
 * it is in the guard gap if @addr >= area->base + area->size.
 *
 * Return: true if found.
 */
bool vmalloc_area_of(const void *addr, struct vmalloc_area *area);

/**
 * vmalloc_for_each() - call @fn for every live area in address order
 * @fn: returns non-zero to stop; runs under the vmalloc lock and must not
 *	call vmalloc functions
 * @ctx: passed to @fn
 *
 * Return: the first non-zero value of @fn, or 0.
 */
int vmalloc_for_each(int (*fn)(const struct vmalloc_area *area, void *ctx), void *ctx);

/**
 * vmalloc_get_stats() - counts of areas, bytes, free space and bookkeeping
 * @st: filled in
 */
void vmalloc_get_stats(struct vmalloc_stats *st);

#endif
