// SPDX-License-Identifier: MIT
/*
 * The buddy lists of one zone: free blocks of 2^order frames, naturally
 * aligned, kept in one doubly linked list per order, linked by frame number
 * through the blocks' first descriptors. The caller holds the zone's lock.
 *
 * A block's buddy is the other half of the block it was split from, at
 * pfn ^ 2^order; it may not exist (a hole) or not be free.
 */
#include "zone.h"

static void area_add(struct zone *z, unsigned order, pfn_t pfn, struct frame *f)
{
	struct free_area *a = &z->area[order];

	f->order = (uint8_t)order;
	f->prev = PFN_NIL;
	f->next = a->head;
	if (a->head != PFN_NIL)
		pfn_frame(a->head)->prev = (uint32_t)pfn;
	a->head = (uint32_t)pfn;
	a->nr++;
	z->nonempty |= 1u << order;
	frame_set_flags(f, FRAME_FREE);
}

static void area_del(struct zone *z, unsigned order, struct frame *f)
{
	struct free_area *a = &z->area[order];

	if (f->prev != PFN_NIL)
		pfn_frame(f->prev)->next = f->next;
	else
		a->head = f->next;
	if (f->next != PFN_NIL)
		pfn_frame(f->next)->prev = f->prev;
	if (--a->nr == 0)
		z->nonempty &= ~(1u << order);
}

/**
 * buddy_alloc() - take a block of 2^@order frames from zone @z
 * @z: the zone, locked
 * @order: 0 .. PMM_MAX_ORDER
 * @state: FRAME_ALLOC or FRAME_PCP, the first frame's new state
 *
 * Splits the smallest larger block if no block of @order is free.
 *
 * Return: the block's first frame, or PFN_NIL.
 */
pfn_t buddy_alloc(struct zone *z, unsigned order, unsigned state)
{
	uint32_t avail = z->nonempty & ~((1u << order) - 1);

	if (!avail)
		return PFN_NIL;

	unsigned o = (unsigned)__builtin_ctz(avail);
	pfn_t pfn = z->area[o].head;
	struct frame *f = pfn_frame(pfn);

	area_del(z, o, f);
	while (o > order) {	/* give back the upper halves */
		o--;
		area_add(z, o, pfn + ((pfn_t)1 << o), f + ((size_t)1 << o));
	}
	f->order = (uint8_t)order;
	frame_set_flags(f, state);
	if (state == FRAME_ALLOC)
		__atomic_store_n(&f->refcount, 1, __ATOMIC_RELAXED);
	/* read without the lock by pcp_refill() and pmm_zone_free() */
	__atomic_store_n(&z->nr_free, z->nr_free - ((pfn_t)1 << order), __ATOMIC_RELAXED);
	return pfn;
}

/**
 * buddy_free() - put a block of 2^@order frames back, merging it with its buddies
 * @z: the zone, locked
 * @pfn: first frame, aligned to 2^@order
 * @order: its order
 */
void buddy_free(struct zone *z, pfn_t pfn, unsigned order)
{
	struct frame *f = pfn_frame(pfn);
	unsigned o = order;

	__atomic_store_n(&z->nr_free, z->nr_free + ((pfn_t)1 << order), __ATOMIC_RELAXED);
	while (o < PMM_MAX_ORDER) {
		pfn_t bpfn = pfn ^ ((pfn_t)1 << o);
		struct frame *b = pfn_frame_checked(bpfn);

		if (!b || frame_flags(b) != FRAME_FREE || b->order != o)
			break;
		area_del(z, o, b);
		if (bpfn < pfn) {	/* the lower buddy heads the merged block */
			frame_set_flags(f, 0);
			f = b;
			pfn = bpfn;
		} else {
			frame_set_flags(b, 0);
		}
		o++;
	}
	area_add(z, o, pfn, f);
}

/**
 * buddy_reset() - make zone @z's buddy lists empty
 * @z: the zone
 */
void buddy_reset(struct zone *z)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		z->area[o].head = PFN_NIL;
		z->area[o].nr = 0;
	}
	z->nonempty = 0;
	z->nr_free = 0;
}
