/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: freeing frames when memory runs short, by swapping out private
 * anonymous pages from the anonymous LRU lists (mm/reclaim_anon.c, their
 * reverse map mm/as_anon.c, the swapping mm/as_swap.c) and page-cache
 * pages (shared memory, RAM files) from the file LRU lists
 * (mm/reclaim_file.c, mm/lru.h).
 *
 * Each zone has three watermarks, Linux's min/low/high, from its managed
 * frames. Below low, the background reclaim thread (the platform's, woken
 * through plat hooks in the kernel: kernel/reclaimd.c) reclaims until every
 * zone is above high again. A task whose fault finds no frame reclaims
 * directly (a "stall") and retries; when a direct reclaim frees nothing
 * several times over, the OOM handler the kernel registered picks a victim.
 *
 * Kernel allocations reclaim too, at safe points only. A frame the PMM
 * cannot find (pmm_alloc_pages(), so vmalloc and page tables), or a slab
 * the heap cannot get (retried once the heap's locks are dropped), calls
 * reclaim_for_alloc() (registered with pmm_set_reclaim()), which reclaims
 * only at a reclaim point (mm/platform.h plat_reclaim_begin()): in a task
 * that may sleep, with interrupts on - every spinlock masks them, so none
 * is held: not a space's lock, not the page cache's, not a /proc
 * callback's - and not inside reclaim already (reclaim's own allocations,
 * the swap stores', kswapd's, never reclaim again). Everywhere else an
 * allocation fails as it did, and its caller handles the failure.
 *
 * The rule "interrupts on = no core lock held" has one exception, and it
 * is made exact by a no-reclaim scope: munmap of a space shared by threads
 * zaps under the space's READ lock with interrupts on between page tables
 * (mm/as_unmap.c zap_detached()). Reclaim write-locks the spaces that map
 * a page, so an allocation there that reclaimed could wait on its own
 * lock; the window runs inside reclaim_forbid()/reclaim_allow(), where
 * plat_reclaim_begin() says no. Any new code that holds a lock reclaim
 * takes (a space's lock, a family's bucket, lru_lock, swap_lock) with
 * interrupts on must do the same.
 *
 * Lock order: none of its own beyond those of mm/as_swap.c and mm/swap.c;
 * reclaim is entered with no lock held.
 */
#ifndef MM_RECLAIM_H
#define MM_RECLAIM_H

#include "as.h"
#include "pmm.h"

struct reclaim_wmark {
	uint64_t min, low, high;	/* frames */
	uint64_t free, managed;
};

/* Figures since boot, for memstat (Linux's /proc/vmstat names in comments). */
struct reclaim_stats {
	uint64_t scanned;		/* pgscan: pages the clocks looked at */
	uint64_t swapped;		/* mappings turned into swap entries */
	uint64_t reclaimed;		/* pgsteal: frames freed */
	uint64_t direct_runs;		/* allocstall: direct reclaims by faulting tasks */
	uint64_t direct_reclaimed;	/* pgsteal_direct */
	uint64_t kswapd_runs;		/* background passes */
	uint64_t kswapd_reclaimed;	/* pgsteal_kswapd */
	uint64_t refaults;		/* swapped-out pages faulted back in (major faults) */
	uint64_t no_progress;		/* direct reclaims that freed nothing */
	uint64_t oom_kills;		/* oom_kill */
	uint64_t cache_reclaimed;	/* of direct_reclaimed: frames the kernel's caches gave back */
	uint64_t alloc_stalls;		/* of direct_runs: for kernel allocations (reclaim_for_alloc) */
};

/* Zone @zi's watermarks and free frames now. */
void reclaim_watermarks(enum pmm_zone zi, struct reclaim_wmark *w);
/* Is some zone the allocator serves from below its low watermark, with swap to reclaim into, or are disk writes queued? */
bool reclaim_needed(void);
/* Is some zone the allocator serves from below its low watermark (swap or not: caches can give)? */
bool reclaim_memory_low(void);
/* Background pass: reclaim until every such zone is above high, or no progress. Returns frames freed. */
unsigned long reclaim_background(void);
/* Direct reclaim of about @want frames by a task that found none. Returns frames freed. */
unsigned long reclaim_direct(unsigned long want);
/*
 * The PMM's reclaim hook (pmm_set_reclaim()): reclaim for 2^@order frames
 * of zones up to @top, at a reclaim point only.
 */
bool reclaim_for_alloc(unsigned order, enum pmm_zone top);
void reclaim_get_stats(struct reclaim_stats *st);
/*
 * Page-cache pages: scan @nr of the inactive file list, until @want frames
 * of zones up to @top are freed (mm/reclaim_file.c).
 */
unsigned long reclaim_file_scan(unsigned long nr, unsigned long want, bool force,
				enum pmm_zone top, struct reclaim_figures *fig);
/* Private anonymous pages: the same over the inactive anonymous list (mm/reclaim_anon.c). */
unsigned long reclaim_anon_scan(unsigned long nr, unsigned long want, bool force,
				enum pmm_zone top, struct reclaim_figures *fig);
void reclaim_count_refault(void);

/* The one scan loop of both kinds (mm/reclaim_scan.c); shrink frees one isolated page. */
struct lru_victim;
typedef int (*reclaim_shrink_fn)(const struct lru_victim *v, bool force,
				 struct reclaim_figures *fig);
unsigned long reclaim_lru_scan(unsigned kind, reclaim_shrink_fn shrink, unsigned long nr,
			       unsigned long want, bool force, enum pmm_zone top,
			       struct reclaim_figures *fig);

/**
 * reclaim_forbid() - begin a window where allocations never reclaim
 *
 * For code that holds a lock reclaim takes while interrupts are on (Linux's
 * memalloc_noreclaim_save()). The task is marked as if reclaiming, so
 * plat_reclaim_begin() refuses until reclaim_allow().
 *
 * Return: the mark to pass to reclaim_allow() (false: the platform said no
 * already, so nothing in the window could reclaim anyway).
 */
static inline bool reclaim_forbid(void)
{
	return plat_reclaim_begin();
}

/* End a reclaim_forbid() window. */
static inline void reclaim_allow(bool marked)
{
	if (marked)
		plat_reclaim_end();
}

/*
 * The kernel's OOM killer: called when direct reclaim freed nothing and
 * the allocation still fails. Returns true if it killed something (memory
 * will come back once the victim has exited), false if there was nothing
 * to kill. NULL (the default, and on the host): nothing is killed.
 */
void reclaim_set_oom_handler(bool (*oom)(void));

/*
 * The kernel's caches (its heap): direct reclaim calls @fn first, before
 * swapping, and swaps only for what it did not give. @fn returns frames
 * given back. NULL (the default): none.
 */
void reclaim_set_shrinker(unsigned long (*fn)(void));
bool reclaim_oom(void);

#endif
