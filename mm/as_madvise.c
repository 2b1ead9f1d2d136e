// SPDX-License-Identifier: MIT
/*
 * madvise with Linux's argument rules. MADV_DONTNEED (and MADV_FREE, which
 * may behave the same) drops the pages, under the space's read lock when
 * threads share it (as_zap_unlock()): private anonymous memory reads as
 * zeroes afterwards, private file pages revert to the file, shared pages
 * (anonymous or file) come back from the page cache with their data.
 * MADV_REMOVE punches a hole in the shared object itself: every sharer
 * reads zeroes there afterwards. The rest are hints we may ignore, as
 * Linux may.
 */
#include "as_internal.h"
#include "swap_internal.h"

static bool advice_known(int advice)
{
	switch (advice) {
	case MM_MADV_NORMAL:
	case MM_MADV_RANDOM:
	case MM_MADV_SEQUENTIAL:
	case MM_MADV_WILLNEED:
	case MM_MADV_DONTNEED:
	case MM_MADV_FREE:
	case MM_MADV_REMOVE:
	case MM_MADV_DONTFORK:
	case MM_MADV_DOFORK:
	case MM_MADV_MERGEABLE:
	case MM_MADV_UNMERGEABLE:
	case MM_MADV_WIPEONFORK:
	case MM_MADV_KEEPONFORK:
	case MM_MADV_HUGEPAGE:
	case MM_MADV_NOHUGEPAGE:
	case MM_MADV_DONTDUMP:
	case MM_MADV_DODUMP:
	case MM_MADV_COLD:
	case MM_MADV_PAGEOUT:
	case MM_MADV_POPULATE_READ:
	case MM_MADV_POPULATE_WRITE:
		return true;
	default:
		return false;
	}
}

/* Apply @advice to [start, end) of region @r, which contains that range. */
static int advise(struct as *as, struct as_region *r, uintptr_t start, uintptr_t end, int advice)
{
	switch (advice) {
	case MM_MADV_PAGEOUT:
		if (r->flags & AS_R_LOCKED)
			return -MM_EINVAL;	/* can_madv_lru_vma() */
		as_pageout(as, start, end);
		return 0;
	case MM_MADV_COLD:
		return r->flags & AS_R_LOCKED ? -MM_EINVAL : 0;	/* can_madv_lru_vma() */
	case MM_MADV_WIPEONFORK:
		if (r->backing != AS_ANON_PRIVATE)
			return -MM_EINVAL;
		/* fall through */
	case MM_MADV_DONTFORK:
	case MM_MADV_DOFORK:
	case MM_MADV_KEEPONFORK:
		return -MM_EAGAIN;	/* a flag change: done by the caller, regions split */
	default:
		return 0;	/* hints; MADV_MERGEABLE too: no page merging here */
	}
}

/* The region flag a flag-changing advice sets or clears. */
static int set_advice_flag(struct as *as, uintptr_t start, uintptr_t end, int advice)
{
	bool wipe = advice == MM_MADV_WIPEONFORK || advice == MM_MADV_KEEPONFORK;

	return as_region_set_flag(as, start, end, wipe ? AS_R_WIPEONFORK : AS_R_DONTFORK,
				  advice == MM_MADV_DONTFORK || advice == MM_MADV_WIPEONFORK);
}

/*
 * One step of a region-by-region walk of [*@cur, @end), as
 * madvise_walk_vmas() takes them: the first region ending above *@cur,
 * *@cur moved up to its start and *@stop its end, both clamped to the
 * range; a hole before it sets *@hole to -MM_ENOMEM. NULL: nothing is
 * mapped from *@cur to @end (the walk ends with -MM_ENOMEM).
 */
static struct as_region *walk_next(struct as *as, uintptr_t *cur, uintptr_t end, uintptr_t *stop,
				   int *hole)
{
	uint32_t i = as_region_lower(as, *cur);
	struct as_region *r;

	if (i >= as->nr || as->reg[i].start >= end)
		return NULL;
	r = &as->reg[i];
	if (r->start > *cur)
		*hole = -MM_ENOMEM;
	*cur = MM_MAX(*cur, r->start);
	*stop = MM_MIN(end, r->end);
	return r;
}

/* Walk the regions of [start, end) as madvise_walk_vmas() does: holes give ENOMEM at the end. */
static int madvise_locked(struct as *as, uintptr_t start, uintptr_t end, int advice)
{
	int hole = 0;
	uintptr_t cur = start;

	while (cur < end) {
		uintptr_t stop;
		struct as_region *r = walk_next(as, &cur, end, &stop, &hole);
		int err;

		if (!r)
			return -MM_ENOMEM;
		err = advise(as, r, cur, stop, advice);
		if (err == -MM_EAGAIN)
			err = set_advice_flag(as, cur, stop, advice);
		if (err)
			return err;
		cur = stop;
	}
	return hole;
}

/*
 * MADV_DONTNEED and MADV_FREE: the regions of [start, end) are checked in
 * turn as madvise_walk_vmas() advises them, and the pages of those before
 * the first refusal are zapped in one go, from @start to *@zap_end (holes
 * in between map nothing). Errors as madvise_locked()'s.
 */
static int dontneed_extent(struct as *as, uintptr_t start, uintptr_t end, int advice,
			   uintptr_t *zap_end)
{
	uintptr_t cur = start;
	int hole = 0;

	*zap_end = start;
	while (cur < end) {
		uintptr_t stop;
		const struct as_region *r = walk_next(as, &cur, end, &stop, &hole);

		if (!r)
			return -MM_ENOMEM;
		if (advice == MM_MADV_FREE && r->backing != AS_ANON_PRIVATE)
			return -MM_EINVAL;
		if (r->flags & AS_R_LOCKED)
			return -MM_EINVAL;	/* can_madv_lru_vma() */
		cur = stop;
		*zap_end = cur;
	}
	return hole;
}

/*
 * MADV_REMOVE, region by region as Linux's madvise_remove() does: the hole
 * is punched in the object with the space unlocked, and every mapping of
 * it, in every space, is zapped (as_unmap_object()).
 */
static int madvise_remove(struct as *as, uintptr_t start, uintptr_t end)
{
	uintptr_t cur = start;
	int hole = 0;

	while (cur < end) {
		unsigned long fl = write_lock_irqsave(&as->lock);
		uintptr_t stop;
		struct as_region *r = walk_next(as, &cur, end, &stop, &hole);
		struct pcache *pc;
		uint64_t first, n;

		if (!r) {
			write_unlock_irqrestore(&as->lock, fl);
			return -MM_ENOMEM;
		}
		/* Linux's order: locked, then not a file, then private or never writable. */
		if ((r->flags & AS_R_LOCKED) || r->backing == AS_ANON_PRIVATE ||
		    r->backing == AS_FILE_PRIVATE || (r->flags & AS_R_NOMAYWRITE)) {
			bool inval = (r->flags & AS_R_LOCKED) || r->backing == AS_ANON_PRIVATE;

			write_unlock_irqrestore(&as->lock, fl);
			return inval ? -MM_EINVAL : -MM_EACCES;
		}
		pc = r->shm;
		first = r->pgoff + ((cur - r->start) >> PAGE_SHIFT);
		n = (stop - cur) >> PAGE_SHIFT;
		pcache_get(pc);
		write_unlock_irqrestore(&as->lock, fl);
		as_unmap_object(pc, first, n, false);
		pcache_punch(pc, first, n);
		pcache_put(pc);
		cur = stop;
	}
	return hole;
}

/*
 * MADV_POPULATE_READ and _WRITE, region by region as Linux 6.1's
 * madvise_populate(): a region without the access asked for is EINVAL
 * (faultin_vma_page_range()), a page that cannot be faulted in EFAULT (past
 * a file's end), out of memory ENOMEM; the regions before keep their pages.
 * Read faults leave copy-on-write alone; write faults break it.
 */
static int madvise_populate(struct as *as, uintptr_t start, uintptr_t end, bool write)
{
	unsigned need = write ? MM_PROT_WRITE : MM_PROT_READ;
	uintptr_t cur = start;
	int hole = 0;

	while (cur < end) {
		unsigned long fl = write_lock_irqsave(&as->lock);
		uintptr_t stop;
		const struct as_region *r = walk_next(as, &cur, end, &stop, &hole);
		bool allowed;
		int err;

		if (!r) {
			write_unlock_irqrestore(&as->lock, fl);
			return -MM_ENOMEM;
		}
		allowed = (r->prot & need) != 0;
		write_unlock_irqrestore(&as->lock, fl);
		if (!allowed)
			return -MM_EINVAL;
		err = as_populate_how(as, cur, stop, false,
				      write ? AS_POPULATE_WRITE : AS_POPULATE_READ);
		if (err)
			return err;
		cur = stop;
	}
	return hole;
}

/**
 * as_madvise() - the madvise system call
 * @as: the space
 * @addr: page-aligned
 * @len: bytes, rounded up; 0 does nothing
 * @advice: MM_MADV_*
 *
 * Errors: EINVAL (unknown advice, unaligned, wrapping length, MADV_FREE on
 * a non-anonymous-private or MADV_REMOVE on a private anonymous mapping,
 * MADV_REMOVE, _COLD, _PAGEOUT or _DONTNEED on a locked one, MADV_POPULATE_*
 * on one without that access), EACCES (MADV_REMOVE on a private file
 * mapping or a shared one never writable), EFAULT (MADV_POPULATE_* past a
 * file's end), ENOMEM (part of the range unmapped: the mapped parts are
 * still advised; or out of memory populating).
 *
 * Return: 0 or a negated error.
 */
int as_madvise(struct as *as, uintptr_t addr, uint64_t len, int advice)
{
	uint64_t alen = AS_PAGE_ALIGN(len);
	uintptr_t end;
	int err;

	if (!advice_known(advice))
		return -MM_EINVAL;
	if (addr & ~PAGE_MASK)
		return -MM_EINVAL;
	if (len && !alen)
		return -MM_EINVAL;
	end = addr + alen;
	if (end < addr)
		return -MM_EINVAL;
	if (end == addr)
		return 0;
	if (advice == MM_MADV_REMOVE)
		return madvise_remove(as, addr, end);
	if (advice == MM_MADV_POPULATE_READ || advice == MM_MADV_POPULATE_WRITE)
		return madvise_populate(as, addr, end, advice == MM_MADV_POPULATE_WRITE);
	as_lock(as);
	if (advice == MM_MADV_DONTNEED || advice == MM_MADV_FREE) {
		uintptr_t zap_end;

		err = dontneed_extent(as, addr, end, advice, &zap_end);
		as_zap_unlock(as, addr, zap_end);	/* read-locked in a shared space */
		return err;
	}
	err = madvise_locked(as, addr, end, advice);
	as_unlock(as);
	if (advice == MM_MADV_PAGEOUT)
		swap_writeback_run();	/* writes queued for a disk, done unlocked */
	return err;
}
