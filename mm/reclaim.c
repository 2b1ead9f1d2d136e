// SPDX-License-Identifier: MIT
/*
 * Global reclaim: watermarks, the background and direct passes, and the
 * hand-off to the OOM killer (mm/reclaim.h). The work on pages is
 * mm/as_swap.c's; this file decides how much and over which spaces.
 *
 * A round scans the inactive file list first (page-cache pages: shared
 * memory, RAM files), then the inactive anonymous list (private pages,
 * found in every space of their fork tree by the reverse map), about twice
 * the frames still wanted; two rounds let pages referenced before the
 * first have their accessed bits cleared and be taken in the second, a
 * third round takes pages however recently used. Without the LRU table
 * (lru_init() failed) each space's own clock (mm/as_swap.c) stands in for
 * the anonymous lists.
 *
 * Writes to a disk: the background pass writes every queued page; a direct
 * pass writes as many as it queued itself, or as it still wants (at most
 * RECLAIM_DIRECT_WRITES a round) if that is more, so a faulting task waits
 * for its own batch, never for a queue other tasks filled; the reclaim
 * thread writes what they leave.
 */
#include "lru.h"
#include "reclaim.h"
#include "swap.h"
#include "swap_internal.h"

/* Frames a reclaim for an allocation asks for: the allocation needs one, the rest spares the next. */
#define RECLAIM_ALLOC_BATCH	32

static struct reclaim_stats stats;
static bool (*oom_handler)(void);
static unsigned long (*cache_shrinker)(void);

static inline void add(uint64_t *c, uint64_t d)
{
	__atomic_fetch_add(c, d, __ATOMIC_RELAXED);
}

/**
 * reclaim_watermarks() - the watermarks of zone @zi
 * @zi: the zone
 * @w: filled in
 *
 * min is 1/128 of the zone's managed frames (at least 32 if it has any),
 * low twice that, high three times (Linux sizes min from the square root
 * of memory; a fixed share is simpler and close at these sizes).
 */
void reclaim_watermarks(enum pmm_zone zi, struct reclaim_wmark *w)
{
	w->free = pmm_zone_free(zi, &w->managed);
	w->min = w->managed ? MM_MAX(w->managed / 128, (uint64_t)32) : 0;
	w->min = MM_MIN(w->min, w->managed / 4);
	w->low = w->min * 2;
	w->high = w->min * 3;
}

/* The zones user pages come from: all but DMA, unless DMA is all there is. */
static bool user_zone(enum pmm_zone zi)
{
	uint64_t m;

	if (zi != PMM_ZONE_ID_DMA)
		return true;
	pmm_zone_free(PMM_ZONE_ID_DMA32, &m);
	if (m)
		return false;
	pmm_zone_free(PMM_ZONE_ID_NORMAL, &m);
	return m == 0;
}

/* The highest user zone below @mark (0: min, 1: low, 2: high), or -1 if none is. */
static int short_zone(int mark)
{
	int top = -1;

	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		struct reclaim_wmark w;

		if (!user_zone((enum pmm_zone)zi))
			continue;
		reclaim_watermarks((enum pmm_zone)zi, &w);
		if (!w.managed)
			continue;
		if (w.free < (mark == 0 ? w.min : mark == 1 ? w.low : w.high))
			top = (int)zi;
	}
	return top;
}

/* Is some user zone below @mark? */
static bool below(int mark)
{
	return short_zone(mark) >= 0;
}

bool reclaim_needed(void)
{
	return swap_enabled() && (below(1) || swap_writeback_pending());
}

bool reclaim_memory_low(void)
{
	return below(1);
}

/* Pages other tasks queued that a direct reclaim round writes at most (Linux's SWAP_CLUSTER_MAX). */
#define RECLAIM_DIRECT_WRITES	32ul

struct pass {
	unsigned long want, freed;
	bool bounded;		/* direct: its own batch per round, not the whole queue */
	bool force;
	enum pmm_zone top;	/* frames of zones up to this one are wanted */
	struct reclaim_figures fig;
};

/* Pages queued for a write count as freed while scanning: the write frees them. */
static bool scan_one(struct as *as, void *ctx)
{
	struct pass *p = ctx;
	unsigned long left = p->want - MM_MIN(p->want, p->freed + p->fig.queued);

	p->freed += as_reclaim_scan(as, 2 * left + 32, p->force, &p->fig);
	return p->freed + p->fig.queued < p->want;
}

/*
 * A round's queued writes: all of them (no bound), else as many as the
 * round queued (the task's own batch), or if fewer, as frames are still
 * wanted up to RECLAIM_DIRECT_WRITES (pages other tasks queued: oldest
 * first). Return: frames freed.
 */
static unsigned long writeback(struct pass *p)
{
	unsigned long wanted = p->want - MM_MIN(p->want, p->freed), writes;

	if (!p->bounded)
		return swap_writeback_run();
	writes = MM_MAX(p->fig.queued, MM_MIN(wanted, RECLAIM_DIRECT_WRITES));
	return swap_writeback_batch(&writes, ~0ul);
}

/*
 * Up to three rounds over every space for @want frames of zones up to
 * @top; figures added to the totals. Writes to a disk are done after each
 * round, with no lock held (the list of spaces is locked during a round):
 * all of them, or (@bounded) a batch per round. Without the LRU table,
 * each space's clock takes frames of any zone.
 */
static unsigned long shrink(unsigned long want, bool bounded, enum pmm_zone top)
{
	struct pass p = { .want = want, .bounded = bounded, .top = top };

	for (int round = 0; round < 3 && p.freed < want && swap_enabled(); round++) {
		unsigned long left = want - p.freed, wb;

		p.force = round == 2;
		p.freed += reclaim_file_scan(2 * left + 32, left, p.force, top, &p.fig);
		left = want - MM_MIN(want, p.freed + p.fig.queued);
		if (left && lru_enabled())
			p.freed += reclaim_anon_scan(2 * left + 32, left, p.force, top, &p.fig);
		else if (left)
			as_for_each(scan_one, &p);	/* no LRU table: each space's clock */
		wb = writeback(&p);
		p.freed += wb;
		p.fig.reclaimed += wb;
		p.fig.queued = 0;
	}
	add(&stats.scanned, p.fig.scanned);
	add(&stats.swapped, p.fig.swapped);
	add(&stats.reclaimed, p.fig.reclaimed);
	return p.freed;
}

/**
 * reclaim_background() - one pass of the reclaim thread
 *
 * Return: frames freed; stops when every user zone is above its high
 * watermark, or a round freed nothing of the zones still short.
 */
unsigned long reclaim_background(void)
{
	bool marked = plat_reclaim_begin();	/* its own allocations never reclaim again */
	unsigned long total = 0, got;

	add(&stats.kswapd_runs, 1);
	/* What direct reclaim left queued first: those pages are chosen already. */
	if (swap_writeback_pending()) {
		total = swap_writeback_run();
		add(&stats.reclaimed, total);
	}
	/* In-RAM stores compact their pools first (zsmalloc's shrinker): frames back without I/O. */
	if (below(2))
		total += swap_shrink_backends(64);
	/*
	 * The highest zone still short decides which frames help: while high
	 * memory is short any will do; once only low memory is, frames of high
	 * memory are skipped (freeing them would not lift it).
	 */
	for (int top; swap_enabled() && (top = short_zone(2)) >= 0;) {
		got = shrink(64, false, (enum pmm_zone)top);
		total += got;
		if (!got)
			break;
	}
	add(&stats.kswapd_reclaimed, total);
	if (marked)
		plat_reclaim_end();
	return total;
}

static unsigned long direct(unsigned long want, enum pmm_zone top)
{
	unsigned long (*caches)(void) = __atomic_load_n(&cache_shrinker, __ATOMIC_ACQUIRE);
	unsigned long got = 0;

	add(&stats.direct_runs, 1);
	/* Memory held unused (the heap's empty slabs and free lists) goes first: it costs no I/O. */
	if (caches) {
		got = caches();
		add(&stats.cache_reclaimed, got);
	}
	if (got < want && swap_enabled())
		got += shrink(want - got, true, top);
	/* Before the OOM killer: pages others queued, a batch at a time, until one frees a frame. */
	while (!got && swap_writeback_pending()) {
		unsigned long writes = RECLAIM_DIRECT_WRITES;

		got = swap_writeback_batch(&writes, 1);
	}
	add(&stats.direct_reclaimed, got);
	if (!got)
		add(&stats.no_progress, 1);
	return got;
}

/**
 * reclaim_direct() - reclaim in the task that needs a frame
 * @want: frames wanted (a batch: the fault needs one, the rest spares a stall)
 *
 * Called with no lock held. Allocations made meanwhile (a swap store's)
 * do not reclaim again.
 *
 * Return: frames freed (0: no progress, the caller may call reclaim_oom()).
 */
unsigned long reclaim_direct(unsigned long want)
{
	bool marked = plat_reclaim_begin();
	unsigned long got = direct(want, PMM_ZONE_ID_HIGHMEM);

	if (marked)
		plat_reclaim_end();
	return got;
}

/**
 * reclaim_for_alloc() - an allocation found no memory: reclaim if it may (pmm_set_reclaim())
 * @order: it wanted 2^@order frames
 * @top: of zones up to this one (PMM_ZONE_ID_NORMAL: low memory, on a
 *	 machine with high memory): frames of higher zones are not taken,
 *	 since freeing them would not help it
 *
 * Only at a reclaim point (plat_reclaim_begin(): a task, no lock held, not
 * reclaiming already); elsewhere it returns false at once and the
 * allocation fails as it did. Frees a batch of RECLAIM_ALLOC_BATCH frames
 * or the block's size, the heap's unused memory first. No OOM kill: a
 * kernel allocation that still fails reports it to its caller.
 *
 * Return: true if frames were freed, so the allocation should try again.
 */
bool reclaim_for_alloc(unsigned order, enum pmm_zone top)
{
	unsigned long got;

	if (!plat_reclaim_begin())
		return false;
	add(&stats.alloc_stalls, 1);
	got = direct(MM_MAX((unsigned long)1 << order, (unsigned long)RECLAIM_ALLOC_BATCH), top);
	plat_reclaim_end();
	return got != 0;
}

void reclaim_get_stats(struct reclaim_stats *st)
{
	uint64_t *d = (uint64_t *)st;
	const uint64_t *s = (const uint64_t *)&stats;

	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void reclaim_count_refault(void)
{
	add(&stats.refaults, 1);
}

/**
 * reclaim_set_shrinker() - register what direct reclaim asks first
 * @fn: gives back the frames the kernel's caches hold unused, returns how many (NULL: none)
 *
 * Called with no space locked and no spinlock held, before any page is swapped.
 */
void reclaim_set_shrinker(unsigned long (*fn)(void))
{
	__atomic_store_n(&cache_shrinker, fn, __ATOMIC_RELEASE);
}

void reclaim_set_oom_handler(bool (*oom)(void))
{
	__atomic_store_n(&oom_handler, oom, __ATOMIC_RELEASE);
}

/**
 * reclaim_oom() - out of memory and reclaim cannot help: call the OOM killer
 *
 * Return: true if a victim was killed.
 */
bool reclaim_oom(void)
{
	bool (*fn)(void) = __atomic_load_n(&oom_handler, __ATOMIC_ACQUIRE);

	if (!fn || !fn())
		return false;
	add(&stats.oom_kills, 1);
	return true;
}
