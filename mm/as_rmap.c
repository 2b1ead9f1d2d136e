// SPDX-License-Identifier: MIT
/*
 * Every address space, on one list, so that a change to a page-cache object
 * reaches all its mappings, and reclaim finds every entry mapping a
 * page-cache page (as_rmap_object()): truncating a file and MADV_REMOVE/fallocate
 * punching a hole zap the pages of every region mapping the range, in
 * every space, and the next access faults (SIGBUS past the end, or the
 * object's new page).
 *
 * Objects that nobody maps (pc->mapcount == 0) cost nothing; otherwise the
 * walk visits each space's regions in the object's range - rare operations
 * (truncation of a mapped file), not a fault path.
 *
 * Lock order: all_lock, then a space's lock, then the object's lock (or
 * swap_lock, mm/swap.h).
 */
#include "as_internal.h"

static spinlock_t all_lock;
static struct as *all_head;

/**
 * as_list_add() - put a new space on the list of all spaces
 * @as: the space (not locked)
 */
void as_list_add(struct as *as)
{
	unsigned long fl = spin_lock_irqsave(&all_lock);

	as->all_prev = NULL;
	as->all_next = all_head;
	if (all_head)
		all_head->all_prev = as;
	all_head = as;
	spin_unlock_irqrestore(&all_lock, fl);
}

/**
 * as_list_del() - take a space off the list (before it is destroyed)
 * @as: the space (not locked); a space never added is left alone
 */
void as_list_del(struct as *as)
{
	unsigned long fl = spin_lock_irqsave(&all_lock);

	if (as->all_prev)
		as->all_prev->all_next = as->all_next;
	else if (all_head == as)
		all_head = as->all_next;
	if (as->all_next)
		as->all_next->all_prev = as->all_prev;
	as->all_prev = as->all_next = NULL;
	spin_unlock_irqrestore(&all_lock, fl);
}

/* Zap, in private region @r, only the pages that map the object's own frames. */
static void zap_cache_pages(struct as *as, const struct as_region *r, struct pcache *pc,
			    uint64_t lo, uint64_t hi)
{
	for (uint64_t idx = lo; idx < hi; idx++) {
		uintptr_t va = r->start + ((idx - r->pgoff) << PAGE_SHIFT);
		phys_addr_t pa;

		if (pt_translate(&as->vs.pt, va, &pa, NULL, NULL) &&
		    (pa & PAGE_MASK) == pcache_find(pc, idx))
			as_zap(as, va, PAGE_SIZE);
	}
}

/* Zap what @as maps of pages [first, end) of @pc. */
static void zap_in(struct as *as, struct pcache *pc, uint64_t first, uint64_t end,
		   bool even_cows)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	for (uint32_t i = 0; i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];
		uint64_t rend = r->pgoff + ((r->end - r->start) >> PAGE_SHIFT);
		uint64_t lo, hi;

		if (r->shm != pc || rend <= first || r->pgoff >= end)
			continue;
		lo = MM_MAX(first, r->pgoff);
		hi = MM_MIN(end, rend);
		if (!even_cows && r->backing == AS_FILE_PRIVATE)
			zap_cache_pages(as, r, pc, lo, hi);
		else
			as_zap(as, r->start + ((lo - r->pgoff) << PAGE_SHIFT),
			       (hi - lo) << PAGE_SHIFT);
	}
	write_unlock_irqrestore(&as->lock, fl);
}

/**
 * as_unmap_object() - zap every mapping of pages [@first, @first + @n) of @pc
 * @pc: the page-cache object
 * @first: first page index
 * @n: page count (may run to the end of the index space)
 * @even_cows: private copies made by copy-on-write go too
 *
 * Truncation zaps everything (@even_cows: past the end of a file there is
 * nothing left to map) and is called after the object shrank. Punching a
 * hole keeps private copies, as Linux does: it is called before the pages
 * leave the object, so the pages still mapping them can be told apart from
 * the copies. Call it with no space locked.
 */
void as_unmap_object(struct pcache *pc, uint64_t first, uint64_t n, bool even_cows)
{
	uint64_t end = first + n < first ? UINT64_MAX : first + n;
	unsigned long fl;

	if (!__atomic_load_n(&pc->mapcount, __ATOMIC_RELAXED) || !n)
		return;
	fl = spin_lock_irqsave(&all_lock);
	for (struct as *as = all_head; as; as = as->all_next)
		zap_in(as, pc, first, end, even_cows);
	spin_unlock_irqrestore(&all_lock, fl);
}

/*
 * Test-and-clear (@unmap false) or zap (@unmap true) what @as maps of frame
 * @pa, page @idx of @pc; an entry in a locked region is left and reported.
 */
static unsigned rmap_in(struct as *as, struct pcache *pc, uint64_t idx, phys_addr_t pa, bool unmap)
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	unsigned n = 0;

	for (uint32_t i = 0; i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];
		uint64_t pages = (r->end - r->start) >> PAGE_SHIFT;
		uintptr_t va;
		phys_addr_t got;

		if (r->shm != pc || idx < r->pgoff || idx - r->pgoff >= pages)
			continue;
		va = r->start + (uintptr_t)((idx - r->pgoff) << PAGE_SHIFT);
		if (!pt_translate(&as->vs.pt, va, &got, NULL, NULL) || (got & PAGE_MASK) != pa)
			continue;	/* not faulted in, or a private copy */
		if (r->flags & AS_R_LOCKED) {
			n |= AS_RMAP_LOCKED;	/* mlock(): the page stays resident */
		} else if (unmap) {
			as_zap(as, va, PAGE_SIZE);
			n++;
		} else if (pt_clear_young(&as->vs.pt, va) > 0) {
			n++;
		}
	}
	write_unlock_irqrestore(&as->lock, fl);
	return n;
}

/**
 * as_rmap_object() - the reverse map of a page-cache page: every page-table
 * entry mapping it
 * @pc: the object (a reference held)
 * @idx: the page's index in it
 * @pa: its frame
 * @unmap: zap those entries (the next access faults the page in again
 *	from the object), else test and clear their accessed bits
 *
 * The regions mapping @pc, shared or private (whose unwritten pages map the
 * object's frame read-only), are found by their object and offset, as
 * Linux's i_mmap does, in every space; an object nobody maps costs
 * nothing. Entries in mlock()ed regions are never zapped: their presence
 * is reported (AS_RMAP_LOCKED), and the page must then stay, as Linux keeps
 * a page of a VM_LOCKED vma off its evictable lists. Call it with no space
 * locked.
 *
 * Return: entries found referenced (@unmap false) or zapped, with
 * AS_RMAP_LOCKED set if a locked region maps the page.
 */
unsigned as_rmap_object(struct pcache *pc, uint64_t idx, phys_addr_t pa, bool unmap)
{
	unsigned long fl;
	unsigned n = 0, locked = 0;

	if (!__atomic_load_n(&pc->mapcount, __ATOMIC_RELAXED))
		return 0;
	fl = spin_lock_irqsave(&all_lock);
	for (struct as *as = all_head; as; as = as->all_next) {
		unsigned got = rmap_in(as, pc, idx, pa, unmap);

		locked |= got & AS_RMAP_LOCKED;
		n += got & ~AS_RMAP_LOCKED;
	}
	spin_unlock_irqrestore(&all_lock, fl);
	return n | locked;
}

/**
 * as_for_each() - visit every space until @fn says stop
 * @fn: called with each space (unlocked; the list's lock held, so it stays); false stops
 * @ctx: passed to @fn
 *
 * The first space visited goes to the end of the list afterwards, so that
 * repeated walks (reclaim's) start with a different one each time.
 */
void as_for_each(bool (*fn)(struct as *as, void *ctx), void *ctx)
{
	unsigned long fl = spin_lock_irqsave(&all_lock);
	struct as *first = all_head, *last = NULL;

	for (struct as *as = all_head; as; as = as->all_next) {
		last = as;
		if (!fn(as, ctx))
			break;
	}
	if (first && first->all_next) {
		while (last->all_next)
			last = last->all_next;
		all_head = first->all_next;
		all_head->all_prev = NULL;
		first->all_prev = last;
		first->all_next = NULL;
		last->all_next = first;
	}
	spin_unlock_irqrestore(&all_lock, fl);
}
