// SPDX-License-Identifier: MIT
/*
 * Swap entries in page tables: a not-present level-0 entry holding a swap
 * entry's value (encoding in pt_impl.h). Reclaim turns a leaf into one
 * (pt_swp_out), the fault turns it back (pt_swp_in), mremap moves one
 * (pt_swp_set), mincore and the fault read one (pt_swp_lookup). Unmap,
 * fork's copy and the checks know them (size PT_SIZE_SWAP in callbacks).
 *
 * Lock: the space's page-table lock, as every modifying pt_* call.
 */
#include "pt_impl.h"

/* The level-0 table holding @va, or 0 (absent, or inside a large leaf). */
static phys_addr_t leaf_table(const struct pt_space *s, uintptr_t va)
{
	return pt_leaf_table(s, va, va);
}

/**
 * pt_swp_out() - replace the 4 KiB leaf at @va, mapping @pa, with a swap entry
 * @s: the space
 * @va: page-aligned user address
 * @pa: the frame the leaf must map
 * @val: the swap entry's value (at most 30 bits)
 * @prot: receives the leaf's PT_* bits, accessed and dirty included
 *
 * The TLB is flushed before return, so the caller may free @pa then.
 *
 * Return: 0; -MM_EAGAIN (the leaf changed meanwhile); -MM_EINVAL.
 */
int pt_swp_out(struct pt_space *s, uintptr_t va, phys_addr_t pa, uint32_t val, unsigned *prot)
{
	const struct pt_format *f = s->fmt;
	int r = pt_check_range(s, va, PAGE_SIZE);

	if (r || val > PT_SWP_MASK)
		return r ? r : -MM_EINVAL;

	unsigned long irq = spin_lock_irqsave(&s->lock);
	phys_addr_t tpa = leaf_table(s, va);
	unsigned i = lvl_index(f, 0, va);
	uint64_t e = tpa ? pte_get(f, pt_table(tpa), i) : 0;

	if (!(e & f->present) || pte_leaf_pa(f, 0, e) != pa) {
		spin_unlock_irqrestore(&s->lock, irq);
		return -MM_EAGAIN;
	}
	struct pt_op op;

	pt_op_begin(&op, s);
	/* The exchange keeps an accessed/dirty bit set up to the last moment. */
	while (!pte_cmpxchg(f, pt_table(tpa), i, &e, pte_mk_swp(f, val)))
		if (!(e & f->present) || pte_leaf_pa(f, 0, e) != pa)
			break;
	if ((e & f->present) && pte_leaf_pa(f, 0, e) == pa) {
		*prot = pt_entry_prot(f, e);
		pt_tlb_add(&op, va);
	} else {
		r = -MM_EAGAIN;
	}
	pt_op_end(&op);
	spin_unlock_irqrestore(&s->lock, irq);
	return r;
}

/**
 * pt_swp_in() - replace swap entry @val at @va with a leaf mapping @pa
 * @s: the space
 * @va: page-aligned
 * @val: the swap entry @va must hold
 * @pa: the frame
 * @prot: PT_* of the new leaf
 *
 * Return: 0; -MM_EAGAIN (@va holds something else now); -MM_EINVAL.
 */
int pt_swp_in(struct pt_space *s, uintptr_t va, uint32_t val, phys_addr_t pa, unsigned prot)
{
	const struct pt_format *f = s->fmt;
	int r = pt_check_range(s, va, PAGE_SIZE);

	if (r)
		return r;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || pa >= f->phys_limit || (prot & ~PT_PROT_MASK))
		return -MM_EINVAL;

	unsigned long irq = spin_lock_irqsave(&s->lock);
	phys_addr_t tpa = leaf_table(s, va);
	uint64_t want = pte_mk_swp(f, val);

	/* Not present before: nothing cached, no flush; the table's count is unchanged. */
	if (!tpa || !pte_cmpxchg(f, pt_table(tpa), lvl_index(f, 0, va), &want,
				 pa | pt_prot_bits(f, prot)))
		r = -MM_EAGAIN;
	spin_unlock_irqrestore(&s->lock, irq);
	return r;
}

/**
 * pt_swp_set() - put swap entry @val at @va, where nothing is mapped
 * @s: the space
 * @va: page-aligned
 * @val: the value
 *
 * Missing tables are made by mapping the page for the kernel only to
 * physical 0 first (never accessed), then replacing that with the entry.
 *
 * Return: 0, -MM_EEXIST, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_swp_set(struct pt_space *s, uintptr_t va, uint32_t val)
{
	const struct pt_format *f = s->fmt;
	int r = pt_check_range(s, va, PAGE_SIZE);

	if (r || val > PT_SWP_MASK)
		return r ? r : -MM_EINVAL;
	if (!leaf_table(s, va)) {
		r = pt_map(s, va, 0, PAGE_SIZE, PT_READ, 0);
		if (r)
			return r;
		r = pt_swp_out(s, va, 0, val, &(unsigned){ 0 });
		return r == -MM_EAGAIN ? -MM_EEXIST : r;
	}

	unsigned long irq = spin_lock_irqsave(&s->lock);
	phys_addr_t tpa = leaf_table(s, va);
	uint64_t zero = 0;

	if (!tpa || !pte_cmpxchg(f, pt_table(tpa), lvl_index(f, 0, va), &zero, pte_mk_swp(f, val)))
		r = -MM_EEXIST;
	else
		(*pt_used(tpa))++;
	spin_unlock_irqrestore(&s->lock, irq);
	return r;
}

/**
 * pt_swp_lookup() - does @va hold a swap entry?
 * @s: the space
 * @va: any address
 * @val: receives the value
 *
 * Lockless, with pt_translate()'s rules.
 */
bool pt_swp_lookup(const struct pt_space *s, uintptr_t va, uint32_t *val)
{
	const struct pt_format *f = s->fmt;
	phys_addr_t tpa;
	uint64_t e;

	if (!va_canonical(f, va))
		return false;
	tpa = leaf_table(s, va & PAGE_MASK);
	if (!tpa)
		return false;
	e = pte_get(f, pt_table(tpa), lvl_index(f, 0, va));
	if (!pte_is_swp(f, e))
		return false;
	*val = pte_swp_val(f, e);
	return true;
}

/**
 * pt_clear_young() - test and clear the accessed bit of the 4 KiB leaf at @va
 * @s: the space
 * @va: page-aligned
 *
 * Return: 1 if it was set, 0 if not, -MM_ENOENT if no 4 KiB leaf is there.
 */
int pt_clear_young(struct pt_space *s, uintptr_t va)
{
	const struct pt_format *f = s->fmt;

	if (!va_canonical(f, va))
		return -MM_ENOENT;

	unsigned long irq = spin_lock_irqsave(&s->lock);
	phys_addr_t tpa = leaf_table(s, va & PAGE_MASK);
	unsigned i = lvl_index(f, 0, va);
	uint64_t e = tpa ? pte_get(f, pt_table(tpa), i) : 0;
	int r = -MM_ENOENT;

	if (e & f->present) {
		r = (e & f->accessed) != 0;
		while ((e & f->present) && (e & f->accessed) &&
		       !pte_cmpxchg(f, pt_table(tpa), i, &e, e & ~f->accessed))
			;
	}
	spin_unlock_irqrestore(&s->lock, irq);
	return r;
}
