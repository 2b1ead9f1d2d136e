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
 * an mlock()ed region maps is never evicted (it goes back to the active
 * list: there is no unevictable list yet). The
 * active list is kept no larger than the inactive one by moving its
 * oldest pages down, marks cleared.
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

#define ISOLATE_BATCH	32

/* One isolated page: 1 freed, 2 queued for a disk write (freed by it), 0 kept, -MM_ENOSPC (no swap room). */
static int shrink_page(const struct lru_victim *v, bool force)
{
	struct pcache *pc = v->owner;
	uint64_t idx = v->index;
	int ret;

	if (!pcache_tryget(pc)) {	/* the object is being freed: its pages go with it */
		lru_putback(v, false);
		return 0;
	}
	bool referenced = lru_test_clear_accessed(v->pa);
	unsigned refs = as_rmap_object(pc, idx, v->pa, false);

	referenced |= refs != 0;
	/* Locked (mlock) pages stay whatever @force says; so do referenced ones without it. */
	if ((referenced && !force) || (refs & AS_RMAP_LOCKED) ||
	    (as_rmap_object(pc, idx, v->pa, true) & AS_RMAP_LOCKED)) {
		lru_putback(v, true);
		pcache_put(pc);
		return 0;
	}
	ret = pcache_evict(pc, idx, v->pa);
	if (ret >= 1)
		lru_release(v);
	else
		lru_putback(v, ret == 0);	/* busy: in use; no swap: try later */
	pcache_put(pc);
	return ret;
}

/**
 * reclaim_file_scan() - scan up to @nr pages of the inactive file list
 * @nr: pages to look at
 * @want: stop once this many frames are freed
 * @force: evict pages even if referenced (the last round of direct reclaim)
 * @top: the highest zone whose frames are wanted (Linux's reclaim_idx): pages
 *	 of higher zones are skipped (mm/lru.h lru_isolate_zone()) and do not
 *	 count in @nr; at most the whole list is looked at once
 * @fig: figures to add to
 *
 * Pages for an area that may sleep are queued (@fig->queued): the caller
 * runs swap_writeback_run() once it holds no lock.
 *
 * Return: frames freed.
 */
unsigned long reclaim_file_scan(unsigned long nr, unsigned long want, bool force,
				enum pmm_zone top, struct reclaim_figures *fig)
{
	uint64_t act = lru_count(LRU_ACTIVE_FILE), inact = lru_count(LRU_INACTIVE_FILE);
	unsigned long seen = 0, freed = 0, queued = 0;
	uint64_t skips = 0, len;
	struct lru_victim v[ISOLATE_BATCH];

	if (!swap_enabled())
		return 0;
	if (act > inact)
		lru_deactivate(LRU_FILE, (unsigned)MM_MIN((uint64_t)nr, act - inact));
	len = lru_count(LRU_INACTIVE_FILE);
	while (seen < nr && freed + queued < want) {
		unsigned skipped, k = 0;
		unsigned n = lru_isolate_zone(LRU_INACTIVE_FILE, v,
					      (unsigned)MM_MIN((unsigned long)ISOLATE_BATCH, nr - seen),
					      top, &skipped);

		skips += skipped;
		if (!n && (!skipped || skips >= len))	/* none left, or every page seen */
			break;
		for (; k < n; k++) {
			int got = shrink_page(&v[k], force);

			if (got == -MM_ENOSPC)
				break;
			if (got == 1)
				freed++;
			queued += got == 2;
		}
		seen += n;
		if (k < n) {	/* swap is full: give the rest back */
			for (k++; k < n; k++)
				lru_putback(&v[k], false);
			break;
		}
	}
	fig->scanned += seen;
	fig->swapped += freed + queued;
	fig->reclaimed += freed;
	fig->queued += queued;
	return freed;
}
