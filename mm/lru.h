/* SPDX-License-Identifier: MIT */
/*
 * LRU lists of reclaimable pages, and each page's owner for the reverse map.
 *
 * Every page reclaim may take is on one of four lists: active or inactive,
 * anonymous or file (page cache), as in Linux. A page enters at the head of
 * its inactive list. Reclaim scans inactive lists from the tail: a page
 * referenced since it was last looked at (an accessed bit in a page-table
 * entry mapping it, found through the reverse map, or lru_mark_accessed()
 * from read()/write()) is promoted to the active list; one that was not is
 * evicted. When an active list grows larger than its inactive list, pages
 * move from the active tail to the inactive head, losing their mark, and
 * must be referenced again to stay. Two lists rather than one clock keep a
 * page touched once (a streaming read) from pushing out the working set.
 *
 * Each page also names its owner: the page-cache object and page index for
 * a file page (struct pcache), the way Linux's page->mapping and
 * page->index do, so reclaim can find every page-table entry mapping the
 * page without a walk of all memory (mm/as_rmap.c).
 *
 * The per-page state lives in a table beside the frame database (one entry
 * per frame of each 128 MiB section that has RAM: 32 bytes a frame on
 * 64-bit, 20 on 32-bit), allocated from the PMM by lru_init(). struct frame
 * is untouched. Before lru_init(), or if it failed, lru_add() does nothing
 * and such pages are not reclaimed.
 *
 * A file page on a list is pinned by its owner (the page cache's
 * reference): the owner takes it off with lru_del() before dropping that
 * reference. An anonymous page is held by its mappings (and the swap
 * cache) alone, so the PMM takes it off when its last reference goes
 * (lru_page_freed()); its owner is its space family's id and its index the
 * page's offset in its regions (mm/as_anon.c).
 * Reclaim isolates pages (off the list, a frame reference taken) while it
 * works on them without lru_lock, then puts them back or lets them go; an
 * owner deleting an isolated page only marks it gone.
 *
 * A fifth list holds pages reclaim cannot take (Linux's unevictable list):
 * those an mlocked region maps. Reclaim moves a page there when its reverse
 * map finds it locked, and a page faulted into a locked region goes there
 * at once, so scans stop looking at them. When a lock ends (munlock, a
 * locked region unmapped, its space destroyed) lru_rescue_unevictable()
 * returns every such page to its inactive list: the next scan looks again
 * and sends the pages still locked back. A generation counter closes the
 * race with a scan that saw a page locked just before the lock ended: its
 * putback then goes to the active list instead.
 *
 * A fault's new anonymous page does not take lru_lock: it waits in its
 * CPU's batch (mm/lru_batch.c, up to 63 pages) and the batch goes onto the
 * inactive list under one hold of the lock, as Linux's per-CPU folio
 * batches do. A batched page is on no list yet; if it is freed meanwhile
 * the drain skips it (mm/lru_impl.h). Whatever reads the lists drains every
 * CPU's batch first: isolation for reclaim, lru_count() (the figures,
 * memstat, exact tests), lru_rescue_unevictable() and lru_check(). Frees
 * of many anonymous pages at once (munmap, exit: pmm_put_mapped_batch())
 * take them off under one hold of lru_lock (lru_pages_freed()).
 *
 * Lock order: a CPU's batch lock, then lru_lock, which is innermost but for
 * the PMM's: both are taken inside a space's lock, a page-cache object's
 * lock and swap_lock, and nothing but the PMM is locked while lru_lock is
 * held.
 */
#ifndef MM_LRU_H
#define MM_LRU_H

#include "pmm.h"

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,	/* both kinds: mapped by a locked region */
	LRU_NR_LISTS,
};

/* Page kinds (lru_add()). */
#define LRU_ANON	0
#define LRU_FILE	1
#define LRU_LOCKED	2	/* or'ed in: mapped by a locked region, to the unevictable list */

/* A page taken off its list by lru_isolate(). */
struct lru_victim {
	phys_addr_t pa;		/* a frame reference is held for the caller */
	void *owner;
	uintptr_t index;
	bool active;		/* came from the active list */
};

/* Allocate the table for the frame database as it is now: 0 or -MM_ENOMEM. */
int lru_init(void);
/* Forget the table (the PMM was built anew: called by pmm_init()). */
void lru_reset(void);
/* Is the table there? */
bool lru_enabled(void);
/* Frames the table uses. */
uint64_t lru_table_frames(void);

/*
 * Put allocated page @pa, owned by @owner at @index, at the head of
 * @kind's inactive list (the unevictable list with LRU_LOCKED).
 */
void lru_add(phys_addr_t pa, unsigned kind, void *owner, uintptr_t index);
/* Take @pa off its list for good (its owner lets it go); a no-op if it is on none. */
void lru_del(phys_addr_t pa);
/* PMM hook: anonymous page @pfn's last reference went (mm/frame.h FRAME_LRU_ANON). */
void lru_page_freed(pfn_t pfn);
/* The same for @n frames at once, under one hold of lru_lock. */
void lru_pages_freed(const uint32_t *pfn, unsigned n);
/* Put every CPU's batched pages on their lists (not with lru_lock held). */
void lru_drain_all(void);
/* Is @pa an anonymous page on the lists (or isolated)? */
bool lru_anon_page(phys_addr_t pa);
/* The page was read or written through a system call: counts as a reference. */
void lru_mark_accessed(phys_addr_t pa);
/* Test and clear that mark. */
bool lru_test_clear_accessed(phys_addr_t pa);

/*
 * Take up to @n pages from the tail of list @l into @out, each with a frame
 * reference: how many. Pages whose owner let them go meanwhile are skipped.
 */
unsigned lru_isolate(enum lru_list l, struct lru_victim *out, unsigned n);
/*
 * The same for a request of zones up to @top only (a lowmem allocation on a
 * machine with high memory): pages of higher zones are moved to the head
 * instead, at most LRU_SKIP_MAX a call, counted in *@skipped.
 */
#define LRU_SKIP_MAX	256
unsigned lru_isolate_zone(enum lru_list l, struct lru_victim *out, unsigned n,
			  enum pmm_zone top, unsigned *skipped);
/*
 * Give an isolated page back: to the head of its kind's active list if
 * @active, else of its inactive list; if its owner deleted it meanwhile,
 * it just leaves. Drops the reference lru_isolate() took: returns the
 * frame's count left (0: that was the last, the frame is free).
 */
uint32_t lru_putback(const struct lru_victim *v, bool active);
/*
 * The generation of the unevictable list: read it before looking whether
 * a page is locked, and pass it to lru_putback_unevictable().
 */
unsigned lru_unevictable_gen(void);
/*
 * Give an isolated page found locked back to the unevictable list, unless
 * a lock ended since generation @gen was read (then to its active list).
 * Returns the frame's count left, as lru_putback().
 */
uint32_t lru_putback_unevictable(const struct lru_victim *v, unsigned gen);
/*
 * A lock ended (munlock, a locked region gone): every unevictable page
 * back to its inactive list, to be looked at again. Call it after the
 * change, with the space's lock held or not. Returns pages moved.
 */
unsigned long lru_rescue_unevictable(void);
/* An isolated page is leaving its owner (evicted): drop isolation and reference. */
void lru_release(const struct lru_victim *v);
/* Move up to @n pages from the tail of @kind's active list to its inactive head, marks cleared. */
unsigned lru_deactivate(unsigned kind, unsigned n);

/* Pages on list @l, batches drained first (isolated pages not counted). */
uint64_t lru_count(enum lru_list l);

/* Check the lists against the table: errors found (host tests). */
unsigned lru_check(void);

#endif
