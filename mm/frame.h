/* SPDX-License-Identifier: MIT */
/*
 * The frame database, PMM-internal: one descriptor per 4 KiB frame of RAM,
 * found from a frame number in O(1) through a table of 128 MiB sections.
 *
 * Only sections holding RAM get descriptors, and only for the part of the
 * section between its first and last RAM frame, so a hole between ranges
 * (3-4 GiB on a PC, or 2 GiB-64 GiB on a sparse machine) costs one 16-byte
 * table entry per 128 MiB and no descriptors. A buddy block (at most
 * 4 MiB) never crosses a section, so its frames' descriptors are contiguous.
 *
 * States of a descriptor, by its flags:
 *   FRAME_FREE		first frame of a free block in a buddy list (order valid)
 *   FRAME_PCP		a free single frame in a per-CPU cache
 *   FRAME_ALLOC	first frame of an allocated block (order, refcount valid)
 *   FRAME_RESERVED	never handed out; with FRAME_HOLE: not RAM at all
 *   FRAME_QUARANTINE	first frame of a freed block held back (MM_KASAN, mm/pmm_quarantine.c)
 *   0			any other frame of a free or allocated block (a tail)
 * Tails are never written when a block is allocated or freed, which keeps
 * an order-9 allocation at one descriptor instead of 512.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include "pmm.h"

struct frame {
	uint32_t next;		/* free and cached frames: next in the list */
	uint32_t prev;		/* free frames: previous in the list */
	uint32_t refcount;	/* allocated blocks: references (atomic) */
	uint8_t order;		/* free and allocated blocks: log2 of the size */
	uint8_t flags;		/* FRAME_*, read and written atomically */
	uint16_t spare;		/* the owner's: a page table's entry count (mm/pt_impl.h), or FRAME_LRU_ANON */
};
_Static_assert(sizeof(struct frame) == 16, "frame descriptor must stay 16 bytes");

enum {
	FRAME_FREE = 1 << 0,
	FRAME_PCP = 1 << 1,
	FRAME_ALLOC = 1 << 2,
	FRAME_RESERVED = 1 << 3,
	FRAME_HOLE = 1 << 4,
	FRAME_QUARANTINE = 1 << 5,
};

/*
 * An anonymous page on an LRU list has no single owner to take it off
 * before the last reference goes: the PMM does (lru_page_freed()) when it
 * sees this mark, and drops such a page's count atomically even from 1, as
 * the list may be taking a reference at that moment.
 */
#define FRAME_LRU_ANON	0x8000	/* above any page table's entry count */

static inline bool frame_on_lru(const struct frame *f)
{
	return __atomic_load_n(&f->spare, __ATOMIC_ACQUIRE) & FRAME_LRU_ANON;
}

/* List links are frame numbers; that limits RAM to 16 TiB (minus a section). */
#define PFN_NIL		UINT32_MAX
#define SECTION_SHIFT	15			/* 2^15 frames: 128 MiB */
#define SECTION_FRAMES	((pfn_t)1 << SECTION_SHIFT)
#define SECTION_MASK	(SECTION_FRAMES - 1)
#define PMM_PFN_LIMIT	(((pfn_t)1 << 32) - SECTION_FRAMES)

_Static_assert(PMM_MAX_ORDER < SECTION_SHIFT, "a block must fit in a section");
_Static_assert(SECTION_FRAMES <= UINT16_MAX, "a section's span must fit its fields");
_Static_assert(PMM_DMA_LIMIT % (PAGE_SIZE << PMM_MAX_ORDER) == 0, "zones split blocks");

/* Descriptors for frames lo..hi-1 of the section, if lo < hi. */
struct section {
	uintptr_t base;		/* where frame 0 of the section's descriptor would be */
	uint16_t lo, hi;	/* 0 .. SECTION_FRAMES */
	uint32_t node;		/* the NUMA node all its frames belong to */
};

/* The database: section table, then descriptors, in one run of RAM. */
struct frame_db {
	struct section *sections;
	pfn_t nsections;
	phys_addr_t base;	/* physical placement */
	uint64_t bytes;
};

extern struct frame_db frame_db;

static inline unsigned frame_flags(const struct frame *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
}

static inline void frame_set_flags(struct frame *f, unsigned flags)
{
	__atomic_store_n(&f->flags, (uint8_t)flags, __ATOMIC_RELAXED);
}

/* Descriptor of a frame known to have one (list members, buddies in a span). */
static inline struct frame *pfn_frame(pfn_t pfn)
{
	const struct section *s = &frame_db.sections[pfn >> SECTION_SHIFT];

	return (struct frame *)(s->base + (uintptr_t)(pfn & SECTION_MASK) * sizeof(struct frame));
}

/* Descriptor of any frame number, or NULL if the frame is not in the database. */
static inline struct frame *pfn_frame_checked(pfn_t pfn)
{
	if (pfn >= (frame_db.nsections << SECTION_SHIFT))
		return NULL;
	const struct section *s = &frame_db.sections[pfn >> SECTION_SHIFT];
	uint32_t off = (uint32_t)(pfn & SECTION_MASK);

	if (off < s->lo || off >= s->hi)
		return NULL;
	return (struct frame *)(s->base + off * sizeof(struct frame));
}

/* First frame of ZONE_HIGHMEM (PFN_NIL: none); set by pmm_init(). */
extern pfn_t pmm_highmem_pfn;

static inline enum pmm_zone pfn_zone(pfn_t pfn)
{
	if (unlikely(pfn >= pmm_highmem_pfn))
		return PMM_ZONE_ID_HIGHMEM;
	if (pfn < (PMM_DMA_LIMIT >> PAGE_SHIFT))
		return PMM_ZONE_ID_DMA;
	if (pfn < (PMM_DMA32_LIMIT >> PAGE_SHIFT))
		return PMM_ZONE_ID_DMA32;
	return PMM_ZONE_ID_NORMAL;
}

/* NUMA node of a frame that has a descriptor. */
static inline unsigned pfn_node(pfn_t pfn)
{
	return frame_db.sections[pfn >> SECTION_SHIFT].node;
}

#endif
