// SPDX-License-Identifier: MIT
/*
 * Low memory on request, and windows moved by page tables: what a DOS box
 * (kernel/dos) needs from a process's space, as two small additions.
 *
 * as_map_low() gives one process [0, len) below the null guard: a private
 * anonymous region flagged AS_R_LOWMEM (the only kind allowed under
 * AS_MMAP_MIN_ADDR) and AS_R_DONTFORK (a child is not a DOS box). Every
 * other process keeps the guard.
 *
 * as_swap_pages() points a few pages of such a region at frames the caller
 * owns (an EMS page, the low pages that the HMA wraps to): the page-table
 * entries change, nothing is copied. Each entry still holds one reference
 * to its frame, so unmap, exit and the accounting treat these pages as any
 * other; the caller keeps its own reference for as long as it needs the frame.
 */
#include "as_internal.h"

/**
 * as_map_low() - map [0, @len) for the calling program, below the null guard
 * @as: the space
 * @len: bytes, page multiple, at most AS_MMAP_MIN_ADDR's multiple the caller needs
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST (something is mapped there), -MM_ENOMEM.
 */
int as_map_low(struct as *as, uint64_t len)
{
	struct as_region r = { .start = 0, .end = len, .backing = AS_ANON_PRIVATE,
			       .prot = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC,
			       .flags = AS_R_LOWMEM | AS_R_DONTFORK };
	unsigned long fl;
	int err = 0;

	if (!len || (len & ~PAGE_MASK) || len > AS_TASK_SIZE)
		return -MM_EINVAL;
	fl = write_lock_irqsave(&as->lock);
	if (as_region_overlaps(as, 0, len))
		err = -MM_EEXIST;
	else if (!(err = as_region_reserve(as, 1)))
		as_region_insert(as, &r);
	write_unlock_irqrestore(&as->lock, fl);
	return err;
}

/* The low region holding [va, va + len), or NULL. */
static struct as_region *low_region(struct as *as, uintptr_t va, uint64_t len)
{
	struct as_region *r = as_region_find(as, va);

	return r && (r->flags & AS_R_LOWMEM) && len <= r->end - va ? r : NULL;
}

/**
 * as_page_frame() - the frame behind page @va of a low region, made present
 * @as: the space
 * @va: page-aligned
 * @pa: receives the frame
 *
 * Return: 0, -MM_EFAULT (not in a low region), -MM_ENOMEM.
 */
int as_page_frame(struct as *as, uintptr_t va, phys_addr_t *pa)
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	int err = 0;

	if (!low_region(as, va, PAGE_SIZE))
		err = -MM_EFAULT;
	else if (!pt_translate(&as->vs.pt, va, pa, NULL, NULL)) {
		enum vm_fault_result f = as_fault_locked(as, va, VM_FAULT_USER | VM_FAULT_WRITE);

		if (f != VM_FAULT_RESOLVED || !pt_translate(&as->vs.pt, va, pa, NULL, NULL))
			err = f == VM_FAULT_OOM ? -MM_ENOMEM : -MM_EFAULT;
	}
	*pa &= PAGE_MASK;
	write_unlock_irqrestore(&as->lock, fl);
	return err;
}

/**
 * as_swap_pages() - show the frames @pa at the @n pages from @va of a low region
 * @as: the space
 * @va: page-aligned; the pages lie in one low region and one page table
 * @n: 1..PT_TLB_BATCH
 * @pa: frames (each gets the mapping's reference); PMM_NO_FRAME empties the page
 * @writes: if not NULL, receives the page-table entries written
 *
 * Return: 0, -MM_EFAULT (not a low region), -MM_EINVAL, -MM_ENOMEM.
 */
int as_swap_pages(struct as *as, uintptr_t va, unsigned n, const phys_addr_t *pa,
		  unsigned *writes)
{
	phys_addr_t old[PT_TLB_BATCH];
	unsigned long fl = write_lock_irqsave(&as->lock);
	struct as_region *r = low_region(as, va, (uint64_t)n << PAGE_SHIFT);
	int err;

	if (!r || !n || n > PT_TLB_BATCH) {
		write_unlock_irqrestore(&as->lock, fl);
		return r ? -MM_EINVAL : -MM_EFAULT;
	}
	err = pt_swap(&as->vs.pt, va, n, pa, as_pte_prot(r, true), old);
	if (err == -MM_ENOENT) {
		/* No page table there yet: fault one page in to make it, then swap. */
		if (as_fault_locked(as, va, VM_FAULT_USER | VM_FAULT_WRITE) != VM_FAULT_RESOLVED)
			err = -MM_ENOMEM;
		else	/* looked up again: a fault may move the region array (struct as) */
			err = pt_swap(&as->vs.pt, va, n, pa, as_pte_prot(as_region_find(as, va), true),
				      old);
	}
	if (!err) {
		for (unsigned i = 0; i < n; i++) {
			if (pa[i] != PMM_NO_FRAME) {
				pmm_get(pa[i]);
				__atomic_add_fetch(&as->rss, 1, __ATOMIC_RELAXED);	/* as_rss.c folds in too */
			}
			if (old[i] != PMM_NO_FRAME) {
				pmm_put(old[i]);
				__atomic_sub_fetch(&as->rss, 1, __ATOMIC_RELAXED);
			}
		}
		if (writes)
			*writes = n;
	}
	write_unlock_irqrestore(&as->lock, fl);
	return err;
}
