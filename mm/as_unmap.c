// SPDX-License-Identifier: MIT
/*
 * Taking memory out of a space: zapping pages (their frames' references
 * dropped) and removing whole ranges of regions. munmap, MAP_FIXED,
 * MADV_DONTNEED, brk shrinking, mremap and exit all end up here.
 */
#include "as_internal.h"
#include "reclaim.h"

/*
 * What one pt_unmap() removed: the space's figures fall once per batch, not
 * per page, and the frames' references are dropped a batch at a time.
 */
struct zap_count {
	uint64_t pages, swapents;
	struct as_refs refs;
};

/* pt_unmap() release callback: each removed page held one reference. */
static void release(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct zap_count *zc = ctx;

	if (likely(size == PAGE_SIZE)) {
		as_refs_add(&zc->refs, pa);
		zc->pages++;
		return;
	}
	if (size == PT_SIZE_SWAP) {
		swap_free((swp_entry_t){ (uint32_t)pa });
		zc->swapents++;
		return;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		as_refs_add(&zc->refs, pa + off);
	zc->pages += size >> PAGE_SHIFT;
}

/*
 * Free the page tables a zap of [start, end) emptied, under the write lock
 * alone: the shootdown for the tables freed waits with interrupts on.
 */
static void prune_tables(struct as *as, uintptr_t start, uintptr_t end)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	as->vs.pt.wait_fl = fl;
	as->vs.pt.wait_irqs = true;
	pt_prune(&as->vs.pt, start, end - start);
	as->vs.pt.wait_irqs = false;
	write_unlock_irqrestore(&as->lock, fl);
}

/*
 * @unmap (pt_unmap() or pt_zap()) of [va, stop) with the figures updated after it. They are
 * atomic: a shared space's munmap zaps under the read lock, beside faults
 * adding to them (as_unmap_range_unlock()); once per batch, since a 64-bit
 * atomic is a call and a locked cmpxchg8b on i386.
 */
static void zap_batch(struct as *as, uintptr_t va, uintptr_t stop,
		      int (*unmap)(struct pt_space *, uintptr_t, uint64_t, pt_release_fn, void *))
{
	struct zap_count zc = { .refs.put = true };
	uint64_t rss = as_rss(as);	/* every CPU's faults counted */
	int err;

	/* VmHWM: rss just before it falls. Zaps under the read lock may run side by side. */
	uint64_t hw = __atomic_load_n(&as->hiwater_rss, __ATOMIC_RELAXED);

	while (rss > hw && !__atomic_compare_exchange_n(&as->hiwater_rss, &hw, rss, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	as_pt_wait_irqs(as, true);
	err = unmap(&as->vs.pt, va, stop - va, release, &zc);
	as_pt_wait_irqs(as, false);
	if (err)
		plat_panic("as: unmapping [%#llx, %#llx) failed: %d", (unsigned long long)va,
			   (unsigned long long)stop, err);
	as_refs_flush(&zc.refs);
	if (zc.pages)
		__atomic_sub_fetch(&as->rss, zc.pages, __ATOMIC_RELAXED);
	if (zc.swapents)
		__atomic_sub_fetch(&as->swapents, zc.swapents, __ATOMIC_RELAXED);
}

static int found_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	*(uintptr_t *)ctx = va;
	return 1;
}

/**
 * as_next_batch() - the next batch of mapped (or swapped) pages in [@from, @to)
 * @as: the space, locked
 * @from: page-aligned
 * @to: page-aligned end
 * @start: set to the first mapped page
 * @stop: set to the end of its batch: the end of its page table's span, or @to
 *
 * Return: false if nothing is mapped in the range.
 */
bool as_next_batch(struct as *as, uintptr_t from, uintptr_t to, uintptr_t *start, uintptr_t *stop)
{
	uintptr_t va;

	if (from >= to || pt_walk_all(&as->vs.pt, from, to, found_leaf, &va) != 1)
		return false;
	*start = va;
	*stop = MM_MIN((va & ~(AS_BATCH_BYTES - 1)) + AS_BATCH_BYTES, to);
	return true;
}

/* Will as_lock_break() let others in? */
static bool as_can_break(const struct as *as)
{
	return as->breakable && !__atomic_load_n(&as->shared, __ATOMIC_ACQUIRE);
}

/**
 * as_irq_window() - let interrupts in for a moment, keeping the lock
 * @as: the space, locked; nothing happens unless it was locked by as_lock()
 *
 * Interrupts come back on if they were on at as_lock(). No interrupt
 * handler takes a space's lock or looks at its regions.
 */
void as_irq_window(const struct as *as)
{
	if (!as->breakable)
		return;
	plat_irq_restore(as->lock_fl);
	(void)plat_irq_save();
}

/**
 * as_lock_break() - release and retake the space's lock, letting others in
 * @as: the space, locked; nothing happens unless it was locked by as_lock()
 *
 * Interrupts come back on for a moment (if they were on at as_lock()), and
 * a task that is due runs. A space shared by several threads (as_set_shared())
 * keeps its lock: callers hold indices into the region array across the
 * break, and another thread could move it or fault back what was zapped. It
 * gets only the interrupt window (as_irq_window()), so a long hold (fork of
 * a threaded process) still has no long stretch with interrupts off.
 */
void as_lock_break(struct as *as)
{
	if (!as->breakable)
		return;
	if (!as_can_break(as)) {
		as_irq_window(as);
		return;
	}
	as_unlock(as);
	plat_preempt_point();
	as_lock(as);
}

/**
 * as_zap() - remove the pages of [@start, @start + @len), keeping the regions
 * @as: the space, locked
 * @start: page-aligned
 * @len: page multiple, may be 0
 *
 * Batch by batch (at most a page table's pages each), skipping what is not
 * mapped, with a lock break between batches. Where the lock cannot be
 * broken (a space shared by threads) batches are AS_SHARED_BATCH_BYTES, so
 * the other CPUs holding the space get a few shootdowns, not one per
 * 64 pages, and the break between them lets interrupts in.
 * The space only ever has 4 KiB leaves, so pt_unmap() never needs memory
 * here; a failure would be a broken invariant.
 */
void as_zap(struct as *as, uintptr_t start, uint64_t len)
{
	uintptr_t cur = start, end = start + len, va, stop;

	while (as_next_batch(as, cur, end, &va, &stop)) {
		if (!as_can_break(as))
			stop = MM_MIN((va & ~(AS_SHARED_BATCH_BYTES - 1)) + AS_SHARED_BATCH_BYTES, end);
		zap_batch(as, va, stop, pt_unmap);
		cur = stop;
		if (cur < end)
			as_lock_break(as);
	}
}

/*
 * Split the regions straddling @start or @end there, and find the regions
 * of [@start, @end): [*@first, *@last). False if there are none. Room for
 * two more regions must be reserved.
 */
static bool split_range(struct as *as, uintptr_t start, uintptr_t end, uint32_t *first,
			uint32_t *last)
{
	as_region_split(as, start);
	as_region_split(as, end);
	*first = *last = as_region_lower(as, start);
	while (*last < as->nr && as->reg[*last].start < end)
		(*last)++;
	return *first != *last;
}

/* Uncharge regions [first, last) and take them out, in one move of the array, not one each. */
static void drop_regions(struct as *as, uint32_t first, uint32_t last)
{
	for (uint32_t i = first; i < last; i++) {
		as_uncharge_region(&as->reg[i]);
		as_region_window(as, i - first);
	}
	as_region_remove_range(as, first, last);
}

/**
 * as_unmap_range() - remove [@start, @end) from the space, regions and pages
 * @as: the space, locked, with room for two more regions reserved
 * @start: page-aligned
 * @end: page-aligned, > @start
 *
 * Regions straddling an end are split there first; holes are fine.
 */
void as_unmap_range(struct as *as, uintptr_t start, uintptr_t end)
{
	uint32_t first, last;

	if (!split_range(as, start, end, &first, &last))
		return;
	/* The pages, then the regions. */
	as_zap(as, as->reg[first].start, as->reg[last - 1].end - as->reg[first].start);
	drop_regions(as, first, last);
}

/* Take a reference for each of regions [first, last) that holds one: false if too many. */
static bool hold_refs(struct as *as, uint32_t first, uint32_t last, struct as_region *held,
		      unsigned *n)
{
	*n = 0;
	for (uint32_t i = first; i < last; i++) {
		if (as->reg[i].shm || as->reg[i].file)
			if (++*n > AS_HELD_REFS)
				return false;
		as_region_window(as, i - first);
	}
	*n = 0;
	for (uint32_t i = first; i < last; i++) {
		const struct as_region *r = &as->reg[i];

		if (r->shm || r->file) {
			held[*n] = (struct as_region){ .shm = r->shm, .file = r->file };
			as_region_ref(&held[(*n)++]);
		}
	}
	return true;
}

/*
 * Zap [cur, end), which no region covers any more, under the read lock with
 * interrupts as they were before as_lock() (@fl): one page table's span
 * at a time, each under the page-table lock with interrupts off, so faults
 * of other threads and interrupts run between tables, and all of it one
 * TLB batch (pt_zap_spans(): a shootdown per few tables, not per table,
 * to the other CPUs, which run this space's faults). Writers wait for the
 * read lock and faults find no region here, but faults next to the range
 * may be filling its edge tables without the page-table lock (pt_map_one()):
 * so no table is freed now; the write lock is taken again afterwards for
 * pt_prune(). The read lock is held with interrupts on, so the window is a
 * no-reclaim scope (mm/reclaim.h): reclaim write-locks spaces, this one too.
 */
static void zap_detached(struct as *as, uintptr_t cur, uintptr_t end, unsigned long fl)
{
	uintptr_t start = cur;

	plat_irq_restore(fl);
	bool noreclaim = reclaim_forbid();	/* the read lock is held: nothing here may reclaim */

	zap_batch(as, cur, end, pt_zap_spans);
	reclaim_allow(noreclaim);
	(void)plat_irq_save();
	read_unlock_irqrestore(&as->lock, fl);
	prune_tables(as, start, end);
}

/**
 * as_unmap_range_unlock() - as_unmap_range(), then as_unlock()
 * @as: the space, locked by as_lock(), with room for two more regions reserved
 * @start: page-aligned
 * @end: page-aligned, > @start
 *
 * In a space shared by threads, the regions leave the set under the write
 * lock, which then becomes a read lock for zapping their pages table by
 * table (as Linux's munmap downgrades mmap_lock): the other threads keep
 * faulting elsewhere, and interrupts are off only inside each table. The
 * tables emptied are freed under the write lock again at the end. The
 * range's region references (shm, files) are kept until its pages are gone;
 * a range holding more than AS_HELD_REFS of them is zapped under the write
 * lock as before.
 */
void as_unmap_range_unlock(struct as *as, uintptr_t start, uintptr_t end)
{
	struct as_region held[AS_HELD_REFS];
	uint32_t first, last;
	unsigned n;

	if (!__atomic_load_n(&as->shared, __ATOMIC_ACQUIRE)) {
		as_unmap_range(as, start, end);
		as_unlock(as);
		return;
	}
	if (!split_range(as, start, end, &first, &last) || !hold_refs(as, first, last, held, &n)) {
		as_unmap_range(as, start, end);
		as_unlock(as);
		return;
	}
	uintptr_t zap_start = as->reg[first].start, zap_end = as->reg[last - 1].end;
	unsigned long fl = as->lock_fl;

	drop_regions(as, first, last);
	as->breakable = false;
	write_downgrade(&as->lock);
	zap_detached(as, zap_start, zap_end, fl);	/* unlocks */
	for (unsigned i = 0; i < n; i++)
		as_region_unref(&held[i]);
}

/**
 * as_zap_gaps_unlock() - zap what regions left of [@lo, @hi) under the read lock, then unlock
 * @as: the space, write-locked by write_lock_irqsave() (@fl), not by as_lock()
 * @lo: page-aligned
 * @hi: page-aligned, > @lo
 * @fl: what write_lock_irqsave() returned
 *
 * as_unmap_file() and shmdt (as_detach()): the file's regions in [@lo, @hi)
 * were removed under the write lock, the caller holding a reference to
 * their object. The pages left in the gaps between the regions that remain
 * are theirs (a gap maps nothing else, and no fault fills one: it finds no
 * region), so the gaps are zapped as munmap's range is, under the read
 * lock with interrupts as at @fl, beside the faults of the other threads
 * in the regions between; then the tables emptied are freed under the
 * write lock (prune_tables()).
 */
void as_zap_gaps_unlock(struct as *as, uintptr_t lo, uintptr_t hi, unsigned long fl)
{
	uintptr_t cur = lo;

	write_downgrade(&as->lock);
	plat_irq_restore(fl);
	bool noreclaim = reclaim_forbid();	/* the read lock is held: nothing here may reclaim */

	while (cur < hi) {
		uint32_t i = as_region_lower(as, cur);
		bool r = i < as->nr && as->reg[i].start < hi;
		uintptr_t gap_end = r ? MM_MAX(cur, as->reg[i].start) : hi;

		if (gap_end > cur)
			zap_batch(as, cur, gap_end, pt_zap_spans);
		cur = r ? as->reg[i].end : hi;
	}
	reclaim_allow(noreclaim);
	(void)plat_irq_save();
	read_unlock_irqrestore(&as->lock, fl);
	prune_tables(as, lo, hi);
}

/* Mark [start, end) as being zapped under the read lock; write lock held. False: no slot free. */
static bool zap_mark(struct as *as, uintptr_t start, uintptr_t end, unsigned *slot)
{
	for (unsigned i = 0; i < AS_ZAP_MARKS; i++) {
		struct as_zap_mark *m = &as->zap_marks[i];

		if (__atomic_load_n(&m->hi, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&m->lo, start, __ATOMIC_RELAXED);
		__atomic_store_n(&m->hi, end, __ATOMIC_RELAXED);
		__atomic_add_fetch(&as->zap_marked, 1, __ATOMIC_RELAXED);
		*slot = i;
		return true;	/* seen by every later reader: the lock's release publishes it */
	}
	return false;
}

/* The zap of mark @slot is over, TLB shootdown and all; read lock held. */
static void zap_unmark(struct as *as, unsigned slot)
{
	__atomic_store_n(&as->zap_marks[slot].hi, 0, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&as->zap_marked, 1, __ATOMIC_RELEASE);
}

/*
 * Zap [start, end), marked (@slot) under the write lock, under the read lock
 * instead, then unlock: table by table in one TLB batch (pt_zap_spans()),
 * interrupts as they were before as_lock(); the tables left empty are freed
 * under the write lock again afterwards (prune_tables()).
 */
static void zap_marked_unlock(struct as *as, uintptr_t start, uintptr_t end, unsigned slot)
{
	unsigned long fl = as->lock_fl;

	as->breakable = false;
	write_downgrade(&as->lock);
	plat_irq_restore(fl);
	bool noreclaim = reclaim_forbid();	/* the read lock is held: nothing here may reclaim */

	zap_batch(as, start, end, pt_zap_spans);
	reclaim_allow(noreclaim);
	bool prune = pt_zap_left_empty(&as->vs.pt, start, end - start);

	(void)plat_irq_save();
	zap_unmark(as, slot);
	read_unlock_irqrestore(&as->lock, fl);
	if (prune)
		prune_tables(as, start, end);
}

/**
 * as_zap_unlock() - as_zap() of [@start, @end), then as_unlock()
 * @as: the space, locked by as_lock(); the range's regions stay (MADV_DONTNEED)
 * @start: page-aligned
 * @end: page-aligned, >= @start
 *
 * In a space shared by threads, the range is marked (as_zap_marked()) and
 * the write lock becomes a read lock for the zap, as Linux's MADV_DONTNEED
 * holds mmap_lock for reading: the pages go table by table in one TLB
 * batch (pt_zap_spans()), and the shootdown is waited for with interrupts
 * on and only the read lock held, so the other threads fault elsewhere
 * meanwhile. Their faults inside the range are done again under the write
 * lock, after the zap: a fault that filled or copied a page there while it
 * was being cleared could free a frame twice or keep a stale translation.
 * Regions do not change, so no lookup sees a hole. Tables the zap emptied
 * are freed under the write lock afterwards, as munmap's are. Unshared,
 * or with every mark taken by other zaps: as_zap() under the write lock.
 */
void as_zap_unlock(struct as *as, uintptr_t start, uintptr_t end)
{
	unsigned slot;

	if (start >= end) {
		as_unlock(as);
		return;
	}
	if (!__atomic_load_n(&as->shared, __ATOMIC_ACQUIRE) || !zap_mark(as, start, end, &slot)) {
		as_zap(as, start, end - start);
		as_unlock(as);
		return;
	}
	zap_marked_unlock(as, start, end, slot);
}

/**
 * as_unmap_range_defer() - take the regions of [@start, @end) out, leaving their pages
 * @as: the space, locked by as_lock(), with room for two more regions reserved
 * @start: page-aligned
 * @end: page-aligned, > @start
 * @z: set up for as_zap_later_unlock(), which the caller calls instead of as_unlock()
 *
 * MAP_FIXED in a space shared by threads: the old regions leave the set and
 * the new one goes in under the same write lock, so no lookup ever sees a
 * hole; the old pages, still mapped, are zapped afterwards under the read
 * lock with the range marked (as_zap_marked()), so the other threads'
 * faults there wait for the zap's end and then fill the new region's pages.
 * The old regions' references (shm, files) are kept until their pages are
 * gone, as munmap's are.
 *
 * Return: false, with nothing done, if the space is not shared, nothing is
 * mapped there, the range holds more than AS_HELD_REFS references or no
 * zap mark is free: as_unmap_range() is the way then.
 */
bool as_unmap_range_defer(struct as *as, uintptr_t start, uintptr_t end, struct as_zap_later *z)
{
	uint32_t first, last;
	unsigned slot, n;

	z->armed = false;
	if (!__atomic_load_n(&as->shared, __ATOMIC_ACQUIRE))
		return false;
	if (!split_range(as, start, end, &first, &last))
		return false;
	uintptr_t zap_start = as->reg[first].start, zap_end = as->reg[last - 1].end;

	if (!zap_mark(as, zap_start, zap_end, &slot))
		return false;
	if (!hold_refs(as, first, last, z->held, &n)) {
		zap_unmark(as, slot);
		return false;
	}
	drop_regions(as, first, last);
	z->armed = true;
	z->slot = slot;
	z->nheld = n;
	z->start = zap_start;
	z->end = zap_end;
	return true;
}

/**
 * as_zap_later_unlock() - the zap as_unmap_range_defer() left, then as_unlock()
 * @as: the space, locked by as_lock()
 * @z: as as_unmap_range_defer() set it, or not armed (then only as_unlock())
 */
void as_zap_later_unlock(struct as *as, struct as_zap_later *z)
{
	if (!z->armed) {
		as_unlock(as);
		return;
	}
	z->armed = false;
	zap_marked_unlock(as, z->start, z->end, z->slot);
	for (unsigned i = 0; i < z->nheld; i++)
		as_region_unref(&z->held[i]);
}
