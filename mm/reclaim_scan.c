// SPDX-License-Identifier: MIT
/*
 * The scan of an inactive LRU list, one loop for both kinds of pages: the
 * lists balanced, batches isolated from the inactive tail (pages of zones
 * above the request's skipped), each page handed to its kind's shrink
 * (mm/reclaim_anon.c: swapped out of every space mapping it;
 * mm/reclaim_file.c: evicted from its page cache), and what is left of a
 * batch given back once swap is full.
 *
 * Lock order: none held across the steps; lru_lock only inside
 * lru_isolate_zone() and lru_putback(), the kinds' locks inside shrink.
 */
#include "lru.h"
#include "reclaim.h"
#include "swap.h"

#define ISOLATE_BATCH	32

/**
 * reclaim_lru_scan() - scan up to @nr pages of @kind's inactive list
 * @kind: LRU_ANON or LRU_FILE
 * @shrink: frees one isolated page: 1 freed, 2 queued for a disk write
 *	    (the write frees it), 0 kept (given back by @shrink), or
 *	    -MM_ENOSPC (no swap room: the page was given back, stop)
 * @nr: pages to look at
 * @want: stop once this many frames are freed (or queued)
 * @force: take pages even if referenced (the last round of direct reclaim)
 * @top: the highest zone whose frames are wanted (Linux's reclaim_idx):
 *	 pages of higher zones are skipped (lru_isolate_zone()) and do not
 *	 count in @nr; at most the whole list is looked at once
 * @fig: figures to add to (pages queued: @fig->queued; the caller runs
 *	 the writes once it holds no lock)
 *
 * Return: frames freed.
 */
unsigned long reclaim_lru_scan(unsigned kind, reclaim_shrink_fn shrink, unsigned long nr,
			       unsigned long want, bool force, enum pmm_zone top,
			       struct reclaim_figures *fig)
{
	enum lru_list inactive = kind == LRU_ANON ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
	enum lru_list active = kind == LRU_ANON ? LRU_ACTIVE_ANON : LRU_ACTIVE_FILE;
	uint64_t act = lru_count(active), inact = lru_count(inactive), skips = 0, len;
	unsigned long seen = 0, freed = 0, queued = 0;
	struct lru_victim v[ISOLATE_BATCH];

	if (!swap_enabled())
		return 0;
	if (act > inact)
		lru_deactivate(kind, (unsigned)MM_MIN((uint64_t)nr, act - inact));
	len = lru_count(inactive);
	while (seen < nr && freed + queued < want) {
		unsigned skipped, k = 0;
		unsigned n = lru_isolate_zone(inactive, v,
					      (unsigned)MM_MIN((unsigned long)ISOLATE_BATCH, nr - seen),
					      top, &skipped);

		skips += skipped;
		if (!n && (!skipped || skips >= len))	/* none left, or every page seen */
			break;
		for (; k < n; k++) {
			int got = shrink(&v[k], force, fig);

			if (got == -MM_ENOSPC)
				break;
			freed += got == 1;
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
	fig->reclaimed += freed;
	fig->queued += queued;
	return freed;
}
