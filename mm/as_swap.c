// SPDX-License-Identifier: MIT
/*
 * Swapping private anonymous pages of a space out and in.
 *
 * Reclaim finds private anonymous pages on the anonymous LRU lists and
 * every entry mapping one through its fork family (mm/reclaim_anon.c,
 * mm/as_anon.c), and swaps each entry out with as_swap_out_page() here.
 * Without the LRU table (lru_init() failed, or a port that does not call
 * it) a clock per space stands in:
 *
 * That clock is virtual (as Linux 2.4's swap_out()): a hand per space
 * walks its private anonymous pages; a page whose accessed bit is set gets
 * the bit cleared and a second chance, one found clear since the last pass
 * goes to swap. The page-table bits are the reference information, read
 * where they are, so no per-frame list or reverse map is needed for
 * anonymous memory, and struct frame stays 16 bytes. A frame shared
 * copy-on-write by several spaces (after fork) is written once: the first
 * space to swap it puts it in the swap cache with its slot, the others find
 * the slot there, and the frame is freed when the last mapping is gone.
 *
 * This clock takes private anonymous pages; shared anonymous, shm and file
 * pages live in the page cache and go to swap from its LRU lists
 * (mm/reclaim_file.c, mm/pcache.c). Locked (mlock), low-memory (DOS) and
 * zero-page mappings are skipped.
 *
 * Lock order: the list of all spaces, a space's lock, its page-table lock,
 * swap_lock (mm/swap.h).
 */
#include "as_internal.h"
#include "reclaim.h"
#include "swap_internal.h"

#define KEPT_DROP_BATCH	32	/* kept copies freed at a time when slots run out */

/*
 * @e's page read into a new frame (*@pa): 0, -MM_ENOMEM, -MM_EIO; or, with
 * @nowait, -MM_EAGAIN if that would sleep (a disk; a tier's page on its
 * device), to be read with no lock held.
 */
static int read_new(swp_entry_t e, bool nowait, phys_addr_t *pa)
{
	int err;

	nowait = nowait && swap_entry_sleeps(e);
	*pa = pmm_alloc_pages(0, PMM_HIGHMEM | PMM_USER);	/* the reserve is for killing */
	if (*pa == PMM_NO_FRAME)
		return nowait ? -MM_EAGAIN : -MM_ENOMEM;	/* the sleeping path may reclaim */
	err = nowait ? swap_read_nowait(e, *pa) : swap_read(e, *pa);
	if (err)
		pmm_put(*pa);
	return err;
}

/**
 * as_swap_in() - fault in a swapped-out page
 * @as: the space, locked (for reading, with the page's fault lock: faults
 *	of other pages run meanwhile)
 * @r: its region
 * @va: page address, holding swap entry @val
 * @val: the entry
 * @write: a write fault (or swapoff): the slot is not kept
 * @io: NULL if the caller cannot drop its locks (the page is then read
 *	here, a disk polled); else the I/O to do with no lock held is noted
 *	in it (@io->need) and the fault is to be tried again after
 *	as_swap_io(), which may also leave a frame read for @val in it
 *
 * The page comes from the swap cache if another mapping brought it in (or
 * it is still there from being written), else from the backend. It is
 * mapped writable only if nothing else holds the frame; the entry's slot
 * reference is dropped (the slot is freed with its last). A page read for
 * a read fault by its only entry keeps its slot while swap is under half
 * full (as Linux's swap cache): it enters the cache, is mapped read-only,
 * and its slot stays as a clean copy, so that reclaim can drop it again
 * without compressing or writing it; a write fault frees the copy.
 *
 * Return: VM_FAULT_RESOLVED, VM_FAULT_OOM, VM_FAULT_SIGBUS (read error).
 */
enum vm_fault_result as_swap_in(struct as *as, const struct as_region *r, uintptr_t va,
				uint32_t val, bool write, struct swap_io *io)
{
	swp_entry_t e = { val };
	phys_addr_t pa;
	bool keep = false;
	int got = swap_cache_lookup(e, &pa);

	if (!got) {
		swap_count_event(SWAP_EV_CACHE_HIT);
		swap_cache_take(e, pa);		/* the last user: no longer a cache page */
	} else if (io && io->pa != PMM_NO_FRAME && io->ref == val) {
		pa = io->pa;			/* read for this fault, beside another reader */
		io->pa = PMM_NO_FRAME;
		swap_free(e);			/* its slot reference: the entry holds one too */
	} else {
		int err = io && got == -MM_EBUSY ? -MM_EAGAIN : read_new(e, io != NULL, &pa);

		if (err == -MM_EAGAIN) {
			io->need = true;
			io->val = val;
			return VM_FAULT_RESOLVED;
		}
		if (err)
			return err == -MM_ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		reclaim_count_refault();
		/* Other entries hold the slot: they will find this frame. */
		if (swap_count(e) > 1)
			swap_cache_add(e, pa);	/* on failure they read again: still correct */
		else if (!write && swap_keep_wanted(e))
			keep = !swap_cache_add(e, pa);	/* on failure: not kept */
	}
	bool excl = pmm_refcount(pa) == 1 && swap_count(e) == 1;

	if (pt_swp_in(&as->vs.pt, va, val, pa, as_pte_prot(r, excl) | PT_ACCESSED)) {
		pmm_put(pa);
		return VM_FAULT_RESOLVED;	/* changed meanwhile: fault again if need be */
	}
	__atomic_add_fetch(&as->rss, 1, __ATOMIC_RELAXED);	/* faults run in parallel */
	__atomic_sub_fetch(&as->swapents, 1, __ATOMIC_RELAXED);
	as_anon_add(as, r, va, pa);	/* a page from the swap cache is on the lists already */
	if (keep)
		swap_keep(e, pa);	/* the mapping and the cache hold the frame */
	else
		swap_free(e);
	return VM_FAULT_RESOLVED;
}

/* Forget what @io holds: a frame read privately and its slot reference. */
void as_swap_io_done(struct swap_io *io)
{
	if (io->pa == PMM_NO_FRAME)
		return;
	pmm_put(io->pa);
	swap_free((swp_entry_t){ io->ref });
	io->pa = PMM_NO_FRAME;
}

/**
 * as_swap_io() - the read a fault noted in @io, with no lock held
 * @io: from as_swap_in()
 *
 * The page is read into the swap cache, where the retried fault finds it.
 * If another task is reading it already (asleep, perhaps, while this
 * caller cannot sleep), a copy is read into a frame of the fault's own,
 * with a slot reference held so that the slot keeps that page until the
 * retried fault has used it or as_swap_io_done().
 *
 * Return: 0 (try the fault again), -MM_ENOMEM, -MM_EIO.
 */
int as_swap_io(struct swap_io *io)
{
	swp_entry_t e = { io->val };
	int err;

	io->need = false;
	as_swap_io_done(io);
	err = swap_read_into_cache(e);
	if (err > 0)
		reclaim_count_refault();
	if (err != -MM_EBUSY)
		return err < 0 ? err : 0;
	if (swap_dup(e))
		return 0;		/* the slot is gone: the entry changed */
	io->pa = pmm_alloc_pages(0, PMM_HIGHMEM | PMM_USER);
	err = io->pa == PMM_NO_FRAME ? -MM_ENOMEM : swap_read(e, io->pa);
	if (err) {
		if (io->pa != PMM_NO_FRAME)
			pmm_put(io->pa);
		io->pa = PMM_NO_FRAME;
		swap_free(e);
		return err;
	}
	io->ref = io->val;
	reclaim_count_refault();
	return 0;
}

/* Is swap entry @val's page in the swap cache? */
bool as_swap_cached(uint32_t val)
{
	phys_addr_t pa;
	int got = swap_cache_lookup((swp_entry_t){ val }, &pa);

	if (!got)
		pmm_put(pa);
	return got != -MM_ENOENT;	/* being read counts, as a locked page does on Linux */
}

/*
 * Store frame @pa in a new slot, trying every area that has room: 0 or
 * -MM_ENOSPC. With @queued, an area that may sleep stores it now if its
 * backend can without sleeping (an in-RAM tier), else gets the page queued
 * in the swap cache (*@queued), written by swap_writeback_run() once the
 * locks are released; others (and every area without @queued) are written
 * here.
 */
static int write_new(phys_addr_t pa, swp_entry_t *e, bool *queued)
{
	uint32_t skip = 0;

	/* Out of slots: kept copies of resident pages go first (Linux: vm_swap_full()). */
	while (swap_slot_alloc(e, skip) || (!skip && swap_drop_kept(KEPT_DROP_BATCH, -1) &&
					    swap_slot_alloc(e, skip))) {
		if (queued && swap_entry_sleeps(*e)) {
			int err = swap_write_nowait(*e, pa);	/* an in-RAM tier stores it now */

			if (!err)
				return 0;
			if (err == -MM_EAGAIN && !swap_cache_add_writing(*e, pa)) {
				*queued = true;
				return 0;
			}
		} else if (!swap_write(*e, pa)) {
			return 0;
		}
		skip |= 1u << swp_type(*e);
		swap_free(*e);
	}
	/* Every area refused (full, or a store out of memory): free kept copies for the next page. */
	swap_drop_kept(KEPT_DROP_BATCH, -1);
	swap_count_event(SWAP_EV_WRITE_FAIL);
	return -MM_ENOSPC;
}

/**
 * swap_write_new() - store frame @pa's page in a new slot, now
 * @pa: the frame
 * @e: set to the slot's entry (count 1)
 *
 * Every area with room is tried, highest priority first. The write is done
 * here, by the caller's locks (a disk is then polled).
 *
 * Return: 0 or -MM_ENOSPC.
 */
int swap_write_new(phys_addr_t pa, swp_entry_t *e)
{
	return write_new(pa, e, NULL);
}

/**
 * swap_write_new_queued() - swap_write_new(), but queued for an area that may sleep
 * @pa: the frame
 * @e: set to the slot's entry (count 1)
 * @queued: set if the page went to the swap cache (which holds a frame
 *	reference) to be written by swap_writeback_run(), with no lock held
 *
 * Return: 0 or -MM_ENOSPC.
 */
int swap_write_new_queued(phys_addr_t pa, swp_entry_t *e, bool *queued)
{
	*queued = false;
	return write_new(pa, e, queued);
}

/*
 * Before a page is copied to its slot, nothing may write it any more: a
 * writable entry becomes read-only (flushed: a CPU that walked it before
 * has finished that access). A later write faults and waits for the
 * space's lock, which the caller holds. Copying first and unmapping after
 * would lose a store that lands in between, as the frame is freed once
 * the entry is gone. Return: 0, or -MM_EAGAIN if @va no longer maps @pa.
 */
static int stop_writes(struct as *as, uintptr_t va, phys_addr_t pa)
{
	phys_addr_t got;
	uint64_t size;
	unsigned prot;

	if (!pt_translate(&as->vs.pt, va, &got, &prot, &size) || size != PAGE_SIZE ||
	    (got & PAGE_MASK) != pa)
		return -MM_EAGAIN;
	if (!(prot & PT_WRITE))
		return 0;
	return pt_protect(&as->vs.pt, va, PAGE_SIZE, prot & ~PT_WRITE);
}

/**
 * as_swap_out_page() - swap out one entry of a page
 * @as: the space, locked for writing (no fault runs in it)
 * @va: the entry's address
 * @pa: the frame it maps
 * @queued: set if the page was queued in the swap cache for a write
 *
 * The first entry of a page gets it a slot (in the swap cache if anything
 * else holds the frame), written once the entry is read-only; the others
 * find that slot there and take a swap count each.
 *
 * Return: 1 if the frame was freed, 0 if it is swapped here but still used
 * elsewhere or queued for writing, or a negated error.
 */
int as_swap_out_page(struct as *as, uintptr_t va, phys_addr_t pa, bool *queued)
{
	swp_entry_t e;
	bool cached = swap_cache_lookup_frame(pa, &e);
	unsigned prot;
	int err;

	*queued = false;
	if (cached) {
		err = swap_dup(e);
		if (err)
			return err;
		*queued = swap_cache_rewrite(e);	/* an earlier write failed: again */
	} else {
		err = stop_writes(as, va, pa);
		if (!err)
			err = write_new(pa, &e, queued);
		if (err)
			return err;
		cached = *queued;
		if (!cached && pmm_refcount(pa) > 1) {	/* shared copy-on-write: others find it here */
			err = swap_cache_add(e, pa);
			if (err) {
				swap_free(e);
				return err;
			}
			cached = true;
		}
	}
	err = pt_swp_out(&as->vs.pt, va, pa, e.val, &prot);
	if (err) {
		swap_free(e);
		return err;
	}
	__atomic_sub_fetch(&as->rss, 1, __ATOMIC_RELAXED);	/* as_rss.c folds in too */
	as->swapents++;
	if (pmm_put(pa) == 0)
		return 1;
	/* Only the swap cache holds the frame now: the slot keeps the page. */
	if (cached && pmm_refcount(pa) == 1 && swap_cache_del(e))
		return 1;
	return 0;
}

/* Reclaim's interest in region @r. */
static bool swappable(const struct as_region *r)
{
	return r->backing == AS_ANON_PRIVATE && !(r->flags & (AS_R_LOCKED | AS_R_LOWMEM));
}

#define SCAN_BATCH	32

struct scan_batch {
	unsigned n;
	uintptr_t va[SCAN_BATCH];
	phys_addr_t pa[SCAN_BATCH];
};

static int collect(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct scan_batch *b = ctx;

	(void)prot;
	if (size != PAGE_SIZE || as_is_zero_page(pa))
		return 0;
	b->va[b->n] = va;
	b->pa[b->n] = pa;
	return ++b->n == SCAN_BATCH;
}

/**
 * as_reclaim_scan() - move @as's clock hand over up to @nr pages
 * @as: the space, not locked
 * @nr: pages to look at
 * @force: swap out even pages referenced since the last pass (MADV_PAGEOUT)
 * @st: figures to add to
 *
 * Pages for an area that may sleep are left queued in the swap cache
 * (counted in @st->queued): the caller runs swap_writeback_run() once it
 * holds no lock.
 *
 * Return: frames freed.
 */
unsigned long as_reclaim_scan(struct as *as, unsigned long nr, bool force,
			      struct reclaim_figures *st)
{
	unsigned long freed = 0, seen = 0;
	unsigned long fl = write_lock_irqsave(&as->lock);
	uintptr_t hand = as->scan_hand;
	bool wrapped = false;

	while (seen < nr && swap_enabled()) {
		uint32_t i = as_region_lower(as, hand);
		struct scan_batch b = { 0 };

		if (i >= as->nr) {
			if (wrapped)
				break;
			wrapped = true;
			hand = 0;
			continue;
		}
		const struct as_region *r = &as->reg[i];

		if (hand < r->start)
			hand = r->start;
		if (!swappable(r)) {
			hand = r->end;
			continue;
		}
		pt_walk(&as->vs.pt, hand, r->end, collect, &b);
		hand = b.n == SCAN_BATCH ? b.va[SCAN_BATCH - 1] + PAGE_SIZE : r->end;
		for (unsigned k = 0; k < b.n; k++) {
			int young = force ? 0 : pt_clear_young(&as->vs.pt, b.va[k]);

			seen++;
			if (young)
				continue;
			bool queued;
			int got = as_swap_out_page(as, b.va[k], b.pa[k], &queued);

			if (got == -MM_ENOSPC) {
				seen = nr;	/* swap is full: nothing more to do here */
				break;
			}
			if (got >= 0)
				st->swapped++;
			if (got > 0)
				freed++;
			st->queued += queued;
		}
	}
	as->scan_hand = hand;
	write_unlock_irqrestore(&as->lock, fl);
	st->scanned += seen;
	st->reclaimed += freed;
	return freed;
}

/**
 * as_pageout() - MADV_PAGEOUT: swap out the private anonymous pages of a range now
 * @as: the space, locked by as_lock()
 * @start: page-aligned
 * @end: page-aligned
 *
 * Pages shared with other spaces stay (Linux's page_mapcount() != 1 test);
 * without swap, nothing happens, as on Linux. Writes to an area that may
 * sleep are queued: the caller runs swap_writeback_run() after unlocking.
 */
void as_pageout(struct as *as, uintptr_t start, uintptr_t end)
{
	uintptr_t va = start;

	while (va < end && swap_enabled()) {
		const struct as_region *r = as_region_find(as, va);
		struct scan_batch b = { 0 };

		if (!r) {
			uint32_t i = as_region_lower(as, va);

			if (i >= as->nr)
				return;
			va = as->reg[i].start;
			continue;
		}
		uintptr_t stop = MM_MIN(r->end, end);

		if (!swappable(r)) {
			va = stop;
			continue;
		}
		pt_walk(&as->vs.pt, va, stop, collect, &b);
		va = b.n == SCAN_BATCH ? b.va[SCAN_BATCH - 1] + PAGE_SIZE : stop;
		for (unsigned k = 0; k < b.n; k++) {	/* only this space's pages, as Linux */
			bool queued;

			if ((pmm_refcount(b.pa[k]) == 1 || swap_frame_kept(b.pa[k])) &&
			    as_swap_out_page(as, b.va[k], b.pa[k], &queued) == -MM_ENOSPC)
				return;
		}
		as_lock_break(as);
	}
}

/*
 * Bring in the pages of area @type that @as holds, from *@va on (the
 * space locked): 0, -MM_ENOMEM, -MM_EIO; or 0 with @io->need set and
 * *@va where to go on once as_swap_io() has read that page.
 */
static int unuse_space(struct as *as, int type, uintptr_t *va, struct swap_io *io)
{
	for (uint32_t i = as_region_lower(as, *va); i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];

		for (uintptr_t p = MM_MAX(*va, r->start); p < r->end; p += PAGE_SIZE) {
			uint32_t val;

			if (!pt_swp_lookup(&as->vs.pt, p, &val) ||
			    swp_type((swp_entry_t){ val }) != (unsigned)type)
				continue;
			enum vm_fault_result res = as_swap_in(as, r, p, val, true, io);

			if (res == VM_FAULT_OOM)
				return -MM_ENOMEM;
			if (res == VM_FAULT_SIGBUS)
				return -MM_EIO;
			if (io->need) {
				*va = p;
				return 0;
			}
		}
	}
	return 0;
}

struct unuse {
	int type;
	int err;
	struct swap_io io;	/* the read the walk stopped for */
};

/*
 * One space of the walk, its lock held only while its entries change
 * (the list of all spaces is locked around: interrupts are off, no read
 * here). Stops the walk for a page that must be read first.
 */
static bool unuse_one(struct as *as, void *ctx)
{
	struct unuse *u = ctx;
	uintptr_t va = 0;
	unsigned long fl = write_lock_irqsave(&as->lock);

	u->io.need = false;
	u->err = unuse_space(as, u->type, &va, &u->io);
	write_unlock_irqrestore(&as->lock, fl);
	return !u->err && !u->io.need;
}

/**
 * swap_area_remove() - swapoff: bring every page of area @type back, then forget the area
 * @type: the area
 *
 * Return: 0; -MM_EINVAL (no such area); -MM_ENOMEM (not enough RAM: the
 * area stays, in use again); -MM_EIO (a page could not be read back).
 */
int swap_area_remove(int type)
{
	struct unuse u = { .type = type, .io = { .pa = PMM_NO_FRAME } };
	int err = swap_area_set_removing(type, true);

	if (err)
		return err;
	/*
	 * As Linux's swapoff: the area's pages are read into the swap cache
	 * first, with no lock held (a disk sleeps); the walk over the spaces
	 * then finds them there. A page it still lacks (no memory to read
	 * ahead, or dropped meanwhile) stops the walk, is read after it, and
	 * the walk starts again.
	 */
	swap_area_readahead(type);
	for (;;) {
		as_for_each(unuse_one, &u);
		if (u.err || !u.io.need)
			break;
		u.err = as_swap_io(&u.io);
		if (u.err)
			break;
	}
	as_swap_io_done(&u.io);
	if (!u.err)
		u.err = pcache_swap_unuse(type);
	if (!u.err)
		swap_drop_kept(~0ul, type);	/* copies of resident pages: no entry names them */
	err = u.err ? u.err : swap_area_forget(type);
	if (err)
		swap_area_set_removing(type, false);
	return err;
}
