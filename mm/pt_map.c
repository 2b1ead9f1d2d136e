// SPDX-License-Identifier: MIT
/*
 * pt_map(): two passes over the range. The first reads only: it finds
 * conflicts (-MM_EEXIST) and counts the tables the mapping needs; those are
 * reserved; the second pass writes and cannot fail. Both passes make the
 * same choice at every slot: a leaf if the piece fits one (leaf_fits()),
 * else descend into the existing table, a new one, or a split large leaf.
 */
#include "pt_impl.h"

/* Can [va, last], a piece of one slot at @level, be a single leaf there? */
static bool leaf_fits(const struct pt_op *op, unsigned level, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = op->f;
	uint64_t size;

	if (level == 0)
		return true;
	if (!(op->flags & PT_MAP_LARGE) || !(f->large_levels & (1u << level)))
		return false;
	size = lvl_size(f, level);
	return IS_ALIGNED(va, size) && last - va == size - 1 && IS_ALIGNED(va + op->delta, size);
}

/* Tables a subtree built from nothing at @level needs for [va, last]. */
static uint64_t count_fresh(const struct pt_op *op, unsigned level, uintptr_t va, uintptr_t last)
{
	uint64_t n = 0;

	while (level > 0) {
		uintptr_t end = MM_MIN(last, slot_last(op->f, level, va));

		if (!leaf_fits(op, level, va, end))
			n += 1 + count_fresh(op, level - 1, va, end);
		if (end == last)
			break;
		va = end + 1;
	}
	return n;
}

/* Tables needed below table @tpa at @level to map [va, last], or -MM_EEXIST. */
static int64_t count_tables(const struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va,
			    uintptr_t last)
{
	const struct pt_format *f = op->f;
	const void *t = pt_table(tpa);
	bool replace = op->flags & PT_MAP_REPLACE;
	int64_t n = 0;

	for (;;) {
		uintptr_t end = MM_MIN(last, slot_last(f, level, va));
		uint64_t e = pte_get(f, t, lvl_index(f, level, va));
		bool present = e & f->present;

		if (leaf_fits(op, level, va, end)) {
			if (e && !replace)	/* a leaf, or a swap entry */
				return -MM_EEXIST;
		} else if (present && !pte_is_leaf(f, level, e)) {
			int64_t r = count_tables(op, level - 1, e & f->addr_mask, va, end);

			if (r < 0)
				return r;
			n += r;
		} else if (present && !replace) {
			return -MM_EEXIST;	/* a large leaf in the way */
		} else {
			/* a new table, or a split large leaf */
			n += 1 + (int64_t)count_fresh(op, level - 1, va, end);
		}
		if (end == last)
			return n;
		va = end + 1;
	}
}

/* Free the subtree of table @tpa at @level (replaced by a leaf), flushing its leaves. */
static void drop_subtree(struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va)
{
	const struct pt_format *f = op->f;
	const void *t = pt_table(tpa);

	for (unsigned i = 0; i < lvl_entries(f, level); i++) {
		uint64_t e = pte_get(f, t, i);
		uintptr_t eva = va + i * lvl_size(f, level);

		if (!(e & f->present))
			continue;
		if (pte_is_leaf(f, level, e))
			pt_tlb_add(op, eva);
		else
			drop_subtree(op, level - 1, e & f->addr_mask, eva);
	}
	pt_op_free_table(op, tpa, va);
}

static void set_leaf(struct pt_op *op, unsigned level, phys_addr_t tpa, void *t, unsigned i,
		     uint64_t old, uintptr_t va)
{
	const struct pt_format *f = op->f;
	uint64_t e = (va + op->delta) | op->bits | (level ? f->large : 0);

	if (!(old & f->present)) {	/* nothing cached: no flush */
		pte_set(f, t, i, e);
		if (!old)		/* (else a swap entry, replaced: counted already) */
			pt_used_add(tpa, 1);
		return;
	}
	old = pte_xchg(f, t, i, e);
	if (pte_is_leaf(f, level, old))
		pt_tlb_add(op, va);
	else
		drop_subtree(op, level - 1, old & f->addr_mask, va);
}

/* Map [va, last] below table @tpa at @level; the tables needed are reserved. */
static void build(struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = op->f;
	void *t = pt_table(tpa);

	for (;;) {
		uintptr_t end = MM_MIN(last, slot_last(f, level, va));
		unsigned i = lvl_index(f, level, va);
		uint64_t e = pte_get(f, t, i);

		if (leaf_fits(op, level, va, end)) {
			set_leaf(op, level, tpa, t, i, e, va);
		} else {
			phys_addr_t child;

			if (!(e & f->present)) {
				child = pt_op_take_table(op);
				pte_set(f, t, i, table_entry(f, level, child));
				(*pt_used(tpa))++;
			} else if (pte_is_leaf(f, level, e)) {
				child = pt_split_leaf(op, level, t, i);
			} else {
				child = e & f->addr_mask;
			}
			build(op, level - 1, child, va, end);
		}
		if (end == last)
			return;
		va = end + 1;
	}
}

/* Fast path: 4 KiB pages inside one existing page table. False: take the general path. */
static bool map_in_table(struct pt_op *op, uintptr_t va, uintptr_t last, int *r)
{
	const struct pt_format *f = op->f;
	phys_addr_t tpa;

	if ((op->flags & PT_MAP_LARGE) && last - va >= lvl_size(f, 1) - 1)
		return false;	/* might be a large leaf */
	tpa = pt_leaf_table(op->s, va, last);
	if (!tpa)
		return false;

	void *t = pt_table(tpa);
	unsigned first = lvl_index(f, 0, va), end = first + (unsigned)((last - va) >> PAGE_SHIFT);

	for (unsigned i = first; i <= end && !(op->flags & PT_MAP_REPLACE); i++)
		if (pte_get(f, t, i)) {
			*r = -MM_EEXIST;
			return true;
		}
	for (unsigned i = first; i <= end; i++, va += PAGE_SIZE)
		set_leaf(op, 0, tpa, t, i, pte_get(f, t, i), va);
	*r = 0;
	return true;
}

/**
 * pt_map_one() - map one 4 KiB page where nothing is mapped, lock-free if it can
 * @s: the space
 * @va: page-aligned, canonical
 * @pa: page-aligned physical address
 * @prot: PT_*
 *
 * The fault fast path: if @va's page table exists, its entry goes from
 * empty to the leaf by one compare-and-exchange and the table's count by
 * one atomic add, without the space's lock, so the faults of the threads
 * of one space do not queue on it. No flush: nothing was cached. The
 * caller guarantees that no table of @s is freed meanwhile (a process's
 * faults hold its space's read lock; its tables are freed only under the
 * write lock, see pt_zap()). Otherwise, as pt_map() without flags.
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST, -MM_ENOMEM.
 */
int pt_map_one(struct pt_space *s, uintptr_t va, phys_addr_t pa, unsigned prot)
{
	const struct pt_format *f = s->fmt;
	phys_addr_t tpa;
	uint64_t old = 0;

	if (pt_check_range(s, va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    pa >= f->phys_limit || (prot & ~PT_PROT_MASK))
		return -MM_EINVAL;
	tpa = pt_leaf_table(s, va, va);
	if (tpa && pte_cmpxchg(f, pt_table(tpa), lvl_index(f, 0, va), &old,
			       pa | pt_prot_bits(f, prot))) {
		pt_used_add(tpa, 1);
		return 0;
	}
	return pt_map(s, va, pa, PAGE_SIZE, prot, 0);	/* no table yet, or a swap entry */
}

/**
 * pt_map() - map [va, va + len) to [pa, pa + len)
 * @s: the space
 * @va: page-aligned, canonical virtual address
 * @pa: page-aligned physical address
 * @len: non-zero multiple of PAGE_SIZE
 * @prot: PT_*
 * @flags: PT_MAP_LARGE, PT_MAP_REPLACE
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST, -MM_ENOMEM (nothing changed on failure).
 */
int pt_map(struct pt_space *s, uintptr_t va, phys_addr_t pa, uint64_t len, unsigned prot,
	   unsigned flags)
{
	const struct pt_format *f = s->fmt;
	int r = pt_check_range(s, va, len);

	if (r)
		return r;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || pa > f->phys_limit || len > f->phys_limit - pa ||
	    (prot & ~PT_PROT_MASK) || (flags & ~(PT_MAP_LARGE | PT_MAP_REPLACE)))
		return -MM_EINVAL;

	struct pt_op op;
	uintptr_t last = va + (len - 1);
	unsigned long irq = spin_lock_irqsave(&s->lock);

	pt_op_begin(&op, s);
	op.delta = pa - va;
	op.bits = pt_prot_bits(f, prot);
	op.flags = flags;
	if (!map_in_table(&op, va, last, &r)) {
		int64_t need = count_tables(&op, pt_top(f), s->root, va, last);

		r = need < 0 ? (int)need : pt_op_reserve(&op, (uint64_t)need);
		if (!r)
			build(&op, pt_top(f), s->root, va, last);
	}
	pt_op_end(&op);
	spin_unlock_irqrestore(&s->lock, irq);
	return r;
}
