// SPDX-License-Identifier: MIT
/*
 * Reclaim of page-cache pages: the file LRU lists (mm/lru.h) scanned from
 * the inactive tail. Our page caches have no backing store (RAM file
 * systems, shared anonymous memory, shm), so an evicted page is written to
 * swap and its object keeps the slot, as Linux's shmem does; a page of a
 * file with a backing store would be written back if dirty and dropped.
 *
 * A page referenced since it was last seen (accessed bits of the entries
 * mapping it, through the reverse map, or a read()/write()) moves to the
 * active list; one that was not is unmapped everywhere and evicted. A page
 * an mlock()ed region maps is never evicted: it goes to the unevictable
 * list (mm/lru.h) until a lock ends. The active list is kept no larger
 * than the inactive one by moving its oldest pages down, marks cleared.
 *
 * Lock order: none held across the steps. lru_lock to isolate, then per
 * page: the list of all spaces -> a space's lock (the reverse map), then
 * the object's lock -> swap_lock (eviction).
 */
#include "as.h"
#include "lru.h"
#include "pcache.h"
#include "reclaim.h"
#include "swap.h"

/* One isolated page: 1 freed, 2 queued for a disk write (freed by it), 0 kept, -MM_ENOSPC (no swap room). */
static int shrink_page(const struct lru_victim *v, bool force, struct reclaim_figures *fig)
{
	struct pcache *pc = v->owner;
	uint64_t idx = v->index;
	int ret;

	if (!pcache_tryget(pc)) {	/* the object is being freed: its pages go with it */
		lru_putback(v, false);
		return 0;
	}
	unsigned gen = lru_unevictable_gen();
	bool referenced = lru_test_clear_accessed(v->pa);
	unsigned refs = as_rmap_object(pc, idx, v->pa, false);

	referenced |= refs != 0;
	/* Locked (mlock) pages stay whatever @force says, off the scanned lists (mm/lru.h). */
	if ((refs & AS_RMAP_LOCKED) ||
	    (!(referenced && !force) && (as_rmap_object(pc, idx, v->pa, true) & AS_RMAP_LOCKED))) {
		lru_putback_unevictable(v, gen);
		pcache_put(pc);
		return 0;
	}
	if (referenced && !force) {	/* referenced ones stay without @force */
		lru_putback(v, true);
		pcache_put(pc);
		return 0;
	}
	ret = pcache_evict(pc, idx, v->pa);
	if (ret >= 1) {
		lru_release(v);
		fig->swapped++;
	} else {
		lru_putback(v, ret == 0);	/* busy: in use; no swap: try later */
	}
	pcache_put(pc);
	return ret;
}

/**
 * reclaim_file_scan() - scan up to @nr pages of the inactive file list
 * @nr: pages to look at
 * @want: stop once this many frames are freed
 * @force: evict pages even if referenced (the last round of direct reclaim)
 * @top: the highest zone whose frames are wanted (pages of higher zones skipped)
 * @fig: figures to add to
 *
 * The loop is reclaim_lru_scan()'s. Pages for an area that may sleep are
 * queued (@fig->queued): the caller runs swap_writeback_run() once it
 * holds no lock.
 *
 * Return: frames freed.
 */
unsigned long reclaim_file_scan(unsigned long nr, unsigned long want, bool force,
				enum pmm_zone top, struct reclaim_figures *fig)
{
	return reclaim_lru_scan(LRU_FILE, shrink_page, nr, want, force, top, fig);
}
