// SPDX-License-Identifier: MIT
/*
 * pt_swap(): repoint a few 4 KiB leaves at other frames in one operation.
 * This is how a window onto memory that lives elsewhere moves (an EMS page
 * frame, the A20 wrap of a DOS box): one entry written per page and one TLB
 * batch for the lot, with no data copied.
 */
#include "pmm.h"
#include "pt_impl.h"

/**
 * pt_swap() - point the leaves of @n pages from @va at the frames @pa
 * @s: the space
 * @va: page-aligned; all @n pages in one existing level-0 table
 * @n: pages, 1..PT_TLB_BATCH
 * @pa: the new frames, page-aligned; PMM_NO_FRAME clears the entry
 * @prot: PT_* of the new leaves
 * @old: receives each page's previous frame, or PMM_NO_FRAME if it had none
 *
 * Frames are the caller's business (references taken and dropped outside).
 * Exactly @n entries are written; the pages that were present are
 * invalidated together at the end.
 *
 * Return: 0; -MM_EINVAL; -MM_ENOENT if the table is not there (map a page
 * of it first); nothing is changed on failure.
 */
int pt_swap(struct pt_space *s, uintptr_t va, unsigned n, const phys_addr_t *pa, unsigned prot,
	    phys_addr_t *old)
{
	const struct pt_format *f = s->fmt;
	int r = n && n <= PT_TLB_BATCH ? pt_check_range(s, va, (uint64_t)n << PAGE_SHIFT)
				       : -MM_EINVAL;

	if (r)
		return r;
	for (unsigned i = 0; i < n; i++)
		if (pa[i] != PMM_NO_FRAME &&
		    (!IS_ALIGNED(pa[i], PAGE_SIZE) || pa[i] >= f->phys_limit))
			return -MM_EINVAL;
	if (prot & ~PT_PROT_MASK)
		return -MM_EINVAL;

	unsigned long irq = spin_lock_irqsave(&s->lock);
	phys_addr_t tpa = pt_leaf_table(s, va, va + ((uint64_t)n << PAGE_SHIFT) - 1);
	uint64_t bits = pt_prot_bits(f, prot);
	struct pt_op op;

	if (!tpa) {
		spin_unlock_irqrestore(&s->lock, irq);
		return -MM_ENOENT;
	}
	pt_op_begin(&op, s);
	void *t = pt_table(tpa);

	for (unsigned i = 0; i < n; i++) {
		uintptr_t pva = va + ((uintptr_t)i << PAGE_SHIFT);
		unsigned idx = lvl_index(f, 0, pva);
		uint64_t e = pa[i] == PMM_NO_FRAME ? 0 : pa[i] | bits;
		uint64_t o = pte_xchg(f, t, idx, e);

		old[i] = (o & f->present) ? pte_leaf_pa(f, 0, o) : PMM_NO_FRAME;
		if (o & f->present)
			pt_tlb_add(&op, pva);
		if ((o & f->present) && !e)
			(*pt_used(tpa))--;
		else if (!(o & f->present) && e)
			(*pt_used(tpa))++;
	}
	pt_op_end(&op);
	spin_unlock_irqrestore(&s->lock, irq);
	return 0;
}
