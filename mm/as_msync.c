// SPDX-License-Identifier: MIT
/*
 * msync and mincore: what a range's pages are, region by region, with
 * Linux's argument rules and its order of checks (mm/msync.c, mm/mincore.c).
 *
 * The files behind our mappings live in the page cache alone (a RAM file
 * system): a shared mapping's stores are the file's data the moment they
 * happen, so MS_SYNC and MS_ASYNC have nothing to write back and
 * MS_INVALIDATE nothing stale to drop. What msync still owes its caller is
 * the validation and the ENOMEM for unmapped parts.
 */
#include "as_internal.h"

/**
 * as_msync() - the msync system call
 * @as: the space
 * @addr: page-aligned
 * @len: bytes, rounded up; 0 does nothing
 * @flags: MM_MS_ASYNC or MM_MS_SYNC, optionally with MM_MS_INVALIDATE
 *
 * Return: 0, -MM_EINVAL (unknown flag, unaligned, both ASYNC and SYNC),
 * -MM_EBUSY (MS_INVALIDATE on a locked region in the range), -MM_ENOMEM
 * (the range wraps or is not wholly mapped).
 */
int as_msync(struct as *as, uintptr_t addr, uint64_t len, int flags)
{
	uintptr_t end, cur = addr;
	unsigned long fl;
	int hole = 0;

	if (flags & ~(MM_MS_ASYNC | MM_MS_INVALIDATE | MM_MS_SYNC))
		return -MM_EINVAL;
	if (addr & ~PAGE_MASK)
		return -MM_EINVAL;
	if ((flags & MM_MS_ASYNC) && (flags & MM_MS_SYNC))
		return -MM_EINVAL;
	len = AS_PAGE_ALIGN(len);
	end = addr + len;
	if (end < addr)
		return -MM_ENOMEM;
	if (end == addr)
		return 0;
	fl = write_lock_irqsave(&as->lock);
	for (uint32_t i = as_region_lower(as, cur);; i++) {
		if (i >= as->nr || as->reg[i].start >= end) {
			hole = -MM_ENOMEM;
			break;
		}
		if (as->reg[i].start > cur)
			hole = -MM_ENOMEM;
		/* Linux's msync(): locked pages cannot be invalidated, whatever holes came before. */
		if ((flags & MM_MS_INVALIDATE) && (as->reg[i].flags & AS_R_LOCKED)) {
			hole = -MM_EBUSY;
			break;
		}
		cur = as->reg[i].end;
		if (cur >= end)
			break;
	}
	write_unlock_irqrestore(&as->lock, fl);
	return hole;
}

/**
 * as_mincore() - residency of up to @npages pages from @addr (mincore)
 * @as: the space
 * @addr: page-aligned, below AS_TASK_SIZE
 * @npages: pages wanted
 * @vec: one byte per page: 1 if resident, else 0
 *
 * A page is resident if mapped; a swapped-out one if its frame is still in
 * the swap cache (as Linux says); an unmapped page of a file or shared
 * mapping is if the page cache holds it (as Linux reports page-cache
 * residency). Stops at the first page outside any region.
 *
 * Return: pages reported (> 0), or -MM_ENOMEM if @addr is not mapped.
 */
long as_mincore(struct as *as, uintptr_t addr, uint64_t npages, uint8_t *vec)
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	uint64_t done = 0;

	while (done < npages) {
		uintptr_t va = addr + (done << PAGE_SHIFT);
		const struct as_region *r = as_region_find(as, va);

		if (!r)
			break;
		for (; done < npages && va < r->end; done++, va += PAGE_SIZE) {
			bool in = pt_translate(&as->vs.pt, va, NULL, NULL, NULL);
			uint32_t swp;

			if (!in && pt_swp_lookup(&as->vs.pt, va, &swp))
				in = as_swap_cached(swp);	/* Linux: in the swap cache or not */
			else if (!in && r->shm)
				in = pcache_find(r->shm, r->pgoff + ((va - r->start) >> PAGE_SHIFT));
			vec[done] = in;
		}
	}
	write_unlock_irqrestore(&as->lock, fl);
	return done ? (long)done : -MM_ENOMEM;
}
