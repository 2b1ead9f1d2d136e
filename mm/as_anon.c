// SPDX-License-Identifier: MIT
/*
 * The reverse map of private anonymous pages (Linux's anon_vma, simplified).
 *
 * A private anonymous frame is mapped by one space, or, after fork, shared
 * copy-on-write by several spaces of one fork tree, always at the same
 * index. So every space belongs to a family: a new space (execve, the first
 * process) starts one, a fork child joins its parent's, and the family is
 * just the spaces carrying its id, chained in a hash bucket. Each anonymous
 * page on the LRU lists (mm/lru.h) is owned by its family's id, at its
 * index: the region's pgoff plus the page's offset in the region. As on
 * Linux, an anonymous region's pgoff is its start page when it is made and
 * mremap keeps it when it moves the region, so the index of a page stays
 * the same wherever its mappings move. In a space where no region was ever
 * moved the index is the page's address; otherwise its regions are
 * searched by pgoff.
 *
 * Every candidate entry is checked against the frame itself, so a stale
 * owner (the family is gone, the page was unmapped or replaced, an id came
 * round again) only makes the walk find nothing: it never touches another
 * page. A family costs no memory of its own, and nothing is freed when its
 * last space goes.
 *
 * Lock order: a bucket's lock, then a space's lock (then its page-table
 * lock, swap_lock, lru_lock). Spaces join and leave holding no space lock.
 */
#include "as_internal.h"
#include "lru.h"

#define ANON_BUCKETS	64

static struct {
	spinlock_t lock;
	struct as *head;
} bucket[ANON_BUCKETS];
static uintptr_t next_id;

static unsigned bucket_of(uintptr_t id)
{
	return (unsigned)(id % ANON_BUCKETS);
}

static void link(struct as *as)
{
	unsigned b = bucket_of(as->anon_id);
	unsigned long fl = spin_lock_irqsave(&bucket[b].lock);

	as->anon_prev = NULL;
	as->anon_next = bucket[b].head;
	if (bucket[b].head)
		bucket[b].head->anon_prev = as;
	bucket[b].head = as;
	spin_unlock_irqrestore(&bucket[b].lock, fl);
}

/**
 * as_anon_new() - @as starts a family of its own (a new process image)
 * @as: the space, not locked
 */
void as_anon_new(struct as *as)
{
	uintptr_t id;

	do	/* 0 is "no family" */
		id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	while (!id);
	as->anon_id = id;
	as->anon_moved = false;
	link(as);
}

/**
 * as_anon_join() - fork: @child joins @parent's family
 * @child: the new space, not locked
 * @parent: the space it copies
 */
void as_anon_join(struct as *child, const struct as *parent)
{
	child->anon_id = parent->anon_id;
	child->anon_moved = parent->anon_moved;
	link(child);
}

/**
 * as_anon_leave() - @as leaves its family (it is destroyed)
 * @as: the space, not locked; one that never joined is left alone
 */
void as_anon_leave(struct as *as)
{
	unsigned b = bucket_of(as->anon_id);
	unsigned long fl;

	if (!as->anon_id)
		return;
	fl = spin_lock_irqsave(&bucket[b].lock);
	if (as->anon_prev)
		as->anon_prev->anon_next = as->anon_next;
	else
		bucket[b].head = as->anon_next;
	if (as->anon_next)
		as->anon_next->anon_prev = as->anon_prev;
	as->anon_prev = as->anon_next = NULL;
	spin_unlock_irqrestore(&bucket[b].lock, fl);
	as->anon_id = 0;
}

static uint64_t index_of(const struct as_region *r, uintptr_t va)
{
	return r->pgoff + ((va - r->start) >> PAGE_SHIFT);
}

/**
 * as_anon_add() - put a private anonymous page just mapped on the LRU lists
 * @as: the space (locked)
 * @r: its region
 * @va: the page's address
 * @pa: its frame
 *
 * Pages of DOS low-memory regions stay off the lists (they are never
 * swapped); those of mlocked regions go to the unevictable list.
 */
void as_anon_add(const struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t pa)
{
	if (r->backing == AS_ANON_PRIVATE && !(r->flags & AS_R_LOWMEM) && as->anon_id)
		lru_add(pa, LRU_ANON | ((r->flags & AS_R_LOCKED) ? LRU_LOCKED : 0),
			(void *)as->anon_id, (uintptr_t)index_of(r, va));
}

/* Entry @va of region @r maps @pa: look at it (@w->unmap: swap it out). */
static void visit(struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t pa,
		  struct anon_walk *w)
{
	phys_addr_t got;
	uint64_t size;

	if (!pt_translate(&as->vs.pt, va, &got, NULL, &size) || size != PAGE_SIZE ||
	    (got & PAGE_MASK) != pa)
		return;		/* not this page: a copy, another page, or nothing */
	w->mapped++;
	if (r->flags & (AS_R_LOCKED | AS_R_LOWMEM)) {
		w->locked++;
		return;
	}
	if (!w->unmap) {
		w->young += pt_clear_young(&as->vs.pt, va) > 0;
		return;
	}
	bool queued;
	int err = as_swap_out_page(as, va, pa, &queued);

	if (err < 0) {
		w->err = err;
		return;
	}
	w->swapped++;
	w->queued |= queued;
}

static bool holds(const struct as_region *r, uint64_t idx)
{
	return r->backing == AS_ANON_PRIVATE && idx >= r->pgoff &&
	       idx - r->pgoff < (uint64_t)((r->end - r->start) >> PAGE_SHIFT);
}

/* The entries of @as that may map page @idx. */
static void walk_space(struct as *as, uint64_t idx, phys_addr_t pa, struct anon_walk *w)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	if (!as->anon_moved) {
		if (idx < (AS_TASK_SIZE >> PAGE_SHIFT)) {
			uintptr_t va = (uintptr_t)idx << PAGE_SHIFT;
			const struct as_region *r = as_region_find(as, va);

			if (r && holds(r, idx) && index_of(r, va) == idx)
				visit(as, r, va, pa, w);
		}
	} else {
		for (uint32_t i = 0; i < as->nr && !w->err; i++) {
			const struct as_region *r = &as->reg[i];

			if (holds(r, idx))
				visit(as, r, r->start + (uintptr_t)((idx - r->pgoff) << PAGE_SHIFT),
				      pa, w);
		}
	}
	write_unlock_irqrestore(&as->lock, fl);
}

/**
 * as_anon_rmap() - every entry mapping an anonymous page, in every space of its family
 * @id: the page's owner (its family)
 * @idx: its index
 * @pa: its frame (a reference held by the caller)
 * @w: @w->unmap: swap the page out of each entry (as_swap_out_page(): one
 *	slot, a swap count per entry, the frame kept in the swap cache while
 *	others hold it), else test and clear their accessed bits; the counts
 *	are added to
 *
 * Entries in mlocked regions are counted (@w->locked) and left alone. Call
 * it with no space locked. Writes for an area that may sleep are queued
 * (@w->queued): the caller runs swap_writeback_run() once it holds no lock.
 */
void as_anon_rmap(uintptr_t id, uint64_t idx, phys_addr_t pa, struct anon_walk *w)
{
	unsigned b = bucket_of(id);
	unsigned long fl;

	if (!id)
		return;
	fl = spin_lock_irqsave(&bucket[b].lock);
	for (struct as *as = bucket[b].head; as && !w->err; as = as->anon_next)
		if (as->anon_id == id)
			walk_space(as, idx, pa, w);
	spin_unlock_irqrestore(&bucket[b].lock, fl);
}
