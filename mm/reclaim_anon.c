// SPDX-License-Identifier: MIT
/*
 * Reclaim of private anonymous pages: the anonymous LRU lists (mm/lru.h)
 * scanned from the inactive tail, each page's mappings found through its
 * family's reverse map (mm/as_anon.c), in every space that shares it
 * copy-on-write after fork.
 *
 * A page referenced since it was last seen (an accessed bit in any entry
 * mapping it) moves to the active list; one that was not is swapped out of
 * every entry at once: one slot, written once, a swap count per entry, and
 * the frame is free as soon as the last entry is gone. Pages in mlocked
 * regions go to the unevictable list (mm/lru.h). The active list is kept
 * no larger than the inactive one by moving its oldest pages down, marks
 * cleared.
 *
 * Lock order: none held across the steps. lru_lock to isolate, then per
 * page: a family's bucket -> a space's lock -> swap_lock (mm/as_anon.c).
 */
#include "as.h"
#include "lru.h"
#include "reclaim.h"
#include "swap.h"
#include "swap_internal.h"

/*
 * The entries are gone: let the frame go if only the swap cache holds it
 * besides our reference (not while a queued write runs: that frees it).
 * Return: 1 freed, 2 queued for a write, 0 kept (used again meanwhile).
 */
static int finish(const struct lru_victim *v, bool queued)
{
	swp_entry_t e;

	if (queued) {
		lru_putback(v, false);
		return 2;
	}
	if (swap_cache_lookup_frame(v->pa, &e) && pmm_refcount(v->pa) == 2)
		swap_cache_del(e);
	return lru_putback(v, false) == 0;
}

/* One isolated page: 1 freed, 2 queued for a disk write, 0 kept, -MM_ENOSPC (no swap room). */
static int shrink_page(const struct lru_victim *v, bool force, struct reclaim_figures *fig)
{
	uintptr_t id = (uintptr_t)v->owner;
	struct anon_walk w = { .unmap = false };
	unsigned gen = lru_unevictable_gen();
	bool referenced = lru_test_clear_accessed(v->pa);

	as_anon_rmap(id, v->index, v->pa, &w);
	if (w.locked) {
		lru_putback_unevictable(v, gen);	/* scanned no more until a lock ends */
		return 0;
	}
	if ((referenced || w.young) && !force) {
		lru_putback(v, true);
		return 0;
	}
	w = (struct anon_walk){ .unmap = true };
	as_anon_rmap(id, v->index, v->pa, &w);
	fig->swapped += w.swapped;
	if (w.err == -MM_ENOSPC && !w.swapped) {
		lru_putback(v, false);
		return -MM_ENOSPC;
	}
	return finish(v, w.queued);
}

/**
 * reclaim_anon_scan() - scan up to @nr pages of the inactive anonymous list
 * @nr: pages to look at
 * @want: stop once this many frames are freed
 * @force: swap out pages even if referenced (the last round of direct reclaim)
 * @top: the highest zone whose frames are wanted (pages of higher zones skipped)
 * @fig: figures to add to
 *
 * The loop is reclaim_lru_scan()'s. Pages for an area that may sleep are
 * queued (@fig->queued): the caller runs swap_writeback_run() once it
 * holds no lock.
 *
 * Return: frames freed.
 */
unsigned long reclaim_anon_scan(unsigned long nr, unsigned long want, bool force,
				enum pmm_zone top, struct reclaim_figures *fig)
{
	return reclaim_lru_scan(LRU_ANON, shrink_page, nr, want, force, top, fig);
}
