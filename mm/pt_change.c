// SPDX-License-Identifier: MIT
/*
 * pt_unmap() and pt_protect(): change what is mapped in a range.
 *
 * Only a large leaf that straddles one of the range's two ends needs
 * splitting, and each end needs at most one split per level, so the tables
 * are counted by two lookups and reserved before anything changes. Tables
 * emptied by an unmap are freed on the way back up, except the root's
 * pinned slots (shared with other spaces).
 *
 * Everything here runs under the space's lock, so entries are read with
 * pte_get_locked().
 */
#include "pt_impl.h"

/* Would pt_protect() leave leaf @e as it is? */
static bool prot_unchanged(const struct pt_op *op, uint64_t e)
{
	return ((e & ~pt_perm_mask(op->f)) | op->bits) == e;
}

/* Splits needed so that no leaf straddles @boundary, judged at the leaf holding @va. */
static unsigned splits_at(const struct pt_op *op, uintptr_t va, uintptr_t boundary, bool protect)
{
	const struct pt_format *f = op->f;
	phys_addr_t tpa = op->s->root;
	unsigned level = pt_top(f), n = 0;
	uint64_t e;

	for (;;) {
		e = pte_get_locked(f, pt_table(tpa), lvl_index(f, level, va));
		if (!(e & f->present) || level == 0)
			return 0;
		if (pte_is_leaf(f, level, e))
			break;
		tpa = e & f->addr_mask;
		level--;
	}
	if (protect && prot_unchanged(op, e))
		return 0;
	for (; level > 0 && !IS_ALIGNED(boundary, lvl_size(f, level)); level--)
		n++;
	return n;
}

/* Reserve the tables splitting the leaves at both ends of [va, last] takes. */
static int reserve_splits(struct pt_op *op, uintptr_t va, uintptr_t last, bool protect)
{
	return pt_op_reserve(op, splits_at(op, va, va, protect) +
				 splits_at(op, last, last + 1, protect));
}

static void clear_leaf(struct pt_op *op, unsigned level, phys_addr_t tpa, void *t, unsigned i,
		       uintptr_t va)
{
	const struct pt_format *f = op->f;
	uint64_t old;

	if (op->retired) {
		old = pte_get_locked(f, t, i);
		pte_clear_unwalked(f, t, i);
	} else {
		old = pte_xchg(f, t, i, 0);
	}
	pt_used_add(tpa, -1);
	pt_tlb_add(op, va);
	pt_op_release(op, pte_leaf_pa(f, level, old), lvl_size(f, level));
}

/*
 * Clear the present entries of page table @tpa for [va, last] (inside it):
 * one loop, the table's entry count updated once. Inlined into both callers:
 * the small unmaps of the fast path pay no extra call. What the loop needs
 * of the format and the operation is read once, before it.
 */
static inline __attribute__((always_inline))
void unmap_ptes(struct pt_op *op, phys_addr_t tpa, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = op->f;
	const uint64_t present = f->present, addr = f->addr_mask;
	const pt_release_fn release = op->release;
	const bool retired = op->retired;
	void *const ctx = op->ctx, *t = pt_table(tpa);
	unsigned first = lvl_index(f, 0, va), end = first + (unsigned)((last - va) >> PAGE_SHIFT);
	unsigned cleared = 0;

	for (unsigned i = first; i <= end; i++, va += PAGE_SIZE) {
		uint64_t old = pte_get_locked(f, t, i);

		if (unlikely(!(old & present))) {
			if (old) {	/* a swap entry: nothing for the TLB */
				pte_set(f, t, i, 0);
				cleared++;
				if (release)
					release(pte_swp_val(f, old), PT_SIZE_SWAP, ctx);
			}
			continue;
		}
		cleared++;
		if (retired) {
			/* No MMU sets accessed or dirty meanwhile, no TLB or other CPU holds it. */
			pte_clear_unwalked(f, t, i);
			if (release)
				release(old & addr, PAGE_SIZE, ctx);
			continue;
		}
		old = pte_xchg(f, t, i, 0);
		pt_tlb_add(op, va);
		pt_op_release(op, old & addr, PAGE_SIZE);
	}
	if (cleared)
		pt_used_add(tpa, -(int)cleared);
}

static void unmap_level(struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va,
			uintptr_t last)
{
	const struct pt_format *f = op->f;
	void *t = pt_table(tpa);

	if (level == 0) {
		unmap_ptes(op, tpa, va, last);
		return;
	}
	for (;;) {
		uintptr_t slot_end = slot_last(f, level, va), end = MM_MIN(last, slot_end);
		unsigned i = lvl_index(f, level, va);
		uint64_t e = pte_get_locked(f, t, i);
		bool whole = end == slot_end && IS_ALIGNED(va, lvl_size(f, level));

		if (!(e & f->present)) {
			/* a hole */
		} else if (pte_is_leaf(f, level, e) && whole) {
			clear_leaf(op, level, tpa, t, i, va);
		} else {
			phys_addr_t child = pte_is_leaf(f, level, e) ?
					    pt_split_leaf(op, level, t, i) : e & f->addr_mask;

			unmap_level(op, level - 1, child, va, end);
			if (!op->keep_tables && pt_used_get(child) == 0 &&
			    !pt_pinned(op->s, level, i)) {
				pte_set(f, t, i, 0);
				(*pt_used(tpa))--;
				pt_op_free_table(op, child, va);
			}
		}
		if (end == last)
			return;
		va = end + 1;
	}
}

/*
 * Fast path: [va, last] inside one page table, so no splits. If the table
 * empties, a general pass over the same (now empty) range frees it and any
 * table above that empties with it.
 */
static bool unmap_in_table(struct pt_op *op, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = op->f;
	phys_addr_t tpa = pt_leaf_table(op->s, va, last);

	if (!tpa)
		return false;

	unmap_ptes(op, tpa, va, last);
	if (!op->keep_tables && pt_used_get(tpa) == 0)
		unmap_level(op, pt_top(f), op->s->root, va, last);
	return true;
}

/* pt_unmap(), freeing the tables it empties unless @keep_tables. */
static int unmap(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx,
		 bool keep_tables)
{
	int r = pt_check_range(s, va, len);

	if (r)
		return r;

	struct pt_op op;
	uintptr_t last = va + (len - 1);
	unsigned long irq = spin_lock_irqsave(&s->lock);

	pt_op_begin(&op, s);
	op.release = release;
	op.ctx = ctx;
	op.keep_tables = keep_tables;
	if (!unmap_in_table(&op, va, last)) {
		r = reserve_splits(&op, va, last, false);
		if (!r)
			unmap_level(&op, pt_top(s->fmt), s->root, va, last);
	}
	if (keep_tables && !s->wait_irqs) {
		/*
		 * No table left the space, so only leaves wait for the flush:
		 * it and their release run after the lock, with interrupts as
		 * the caller had them (a shootdown's wait, many frames' frees).
		 */
		spin_unlock_irqrestore(&s->lock, irq);
		pt_op_end(&op);
		return r;
	}
	pt_op_end_unlock(&op, irq);
	return r;
}

/**
 * pt_unmap() - remove the mappings of [va, va + len)
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE
 * @release: called for each removed leaf (may be NULL)
 * @ctx: passed to @release
 *
 * The TLB flush and @release come before it returns: under the space's
 * lock, or after it with interrupts as @s->wait_fl says when the owner set
 * @s->wait_irqs (pt_op_end_unlock()).
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM (nothing changed on failure).
 */
int pt_unmap(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx)
{
	return unmap(s, va, len, release, ctx, false);
}

/**
 * pt_zap() - pt_unmap() that frees no table
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 * @release: as for pt_unmap()
 * @ctx: passed to @release
 *
 * For a range whose tables others may be using without the space's lock
 * (pt_map_one()): they stay, perhaps empty, until pt_prune(). The entries
 * are cleared under the lock; the TLB flush and @release come after it is
 * dropped, with interrupts as the caller had them, so the caller must keep
 * others from mapping the range again until pt_zap() returns (munmap: the
 * range has no region any more).
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_zap(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx)
{
	return unmap(s, va, len, release, ctx, true);
}

/*
 * The first level-0 table at or after *@va (up to @last), walking down from
 * the root and skipping absent entries whole; *@va moves to the start of
 * what it found. Return: the table, 1 for a large leaf there, or 0 if
 * nothing is mapped in the rest of the range. Without the page-table lock:
 * the caller holds the space's lock, so no table is freed meanwhile.
 */
static phys_addr_t next_leaf_table(const struct pt_space *s, uintptr_t *va, uintptr_t last)
{
	const struct pt_format *f = s->fmt;

	for (;;) {
		phys_addr_t tpa = s->root;
		unsigned level;

		for (level = pt_top(f); level > 0; level--) {
			uint64_t e = pte_get(f, pt_table(tpa), lvl_index(f, level, *va));

			if (!(e & f->present))
				break;
			if (e & f->large)
				return 1;
			tpa = e & f->addr_mask;
		}
		if (level == 0)
			return tpa;
		uintptr_t next = slot_last(f, level, *va);

		if (next >= last)
			return 0;
		*va = next + 1;
	}
}

/**
 * pt_zap_spans() - pt_zap() of a long range as one TLB batch, a page table at a time
 * @s: the space; the caller holds its owner's lock (read is enough), so no
 *     table is freed meanwhile
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 * @release: as for pt_unmap()
 * @ctx: passed to @release
 *
 * Each page table's entries are cleared under the page-table lock, taken
 * and dropped per table, so faults of other threads next to the range and
 * interrupts get in between; absent tables are skipped whole. The cleared
 * leaves of all the tables wait in one batch (one PT_GATHER_ORDER block of
 * them, then a flush between two tables, without the lock): a zap of
 * 128 MiB sends 4 or 5 shootdowns where a pt_zap() per table sent 64. The
 * frames go back after each flush, with interrupts as the caller had them.
 * Tables stay, as with pt_zap(); the caller keeps others from mapping the
 * range until it returns. A large leaf is split as by pt_unmap(): if the
 * table for that is not to be had, -MM_ENOMEM with the earlier tables zapped.
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_zap_spans(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx)
{
	const struct pt_format *f = s->fmt;
	int r = pt_check_range(s, va, len);

	if (r)
		return r;

	struct pt_op op;
	uintptr_t last = va + (len - 1);

	pt_op_begin(&op, s);
	op.release = release;
	op.ctx = ctx;
	op.keep_tables = true;
	op.gather_order = PT_GATHER_ORDER;
	for (;;) {
		phys_addr_t tpa = next_leaf_table(s, &va, last);

		if (!tpa)
			break;
		uintptr_t end = MM_MIN(last, slot_last(f, 1, va));

		pt_op_room(&op, lvl_entries(f, 0));
		unsigned long irq = spin_lock_irqsave(&s->lock);

		if (!unmap_in_table(&op, va, end)) {
			r = reserve_splits(&op, va, end, false);
			if (!r)
				unmap_level(&op, pt_top(f), s->root, va, end);
		}
		spin_unlock_irqrestore(&s->lock, irq);
		if (r || end == last)
			break;
		va = end + 1;
	}
	pt_op_end(&op);
	return r;
}

/**
 * pt_zap_left_empty() - is a level-0 table below [@va, @va + @len) empty?
 * @s: the space; the caller holds its owner's lock (read is enough), so no
 *     table is freed meanwhile
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 *
 * After pt_zap() or pt_zap_spans(): has pt_prune() any work? One look per
 * table's span, absent tables skipped whole. Without the page-table lock,
 * beside faults that may fill a table meanwhile: a hint, and pt_prune()
 * frees only what is still empty when it runs.
 */
bool pt_zap_left_empty(const struct pt_space *s, uintptr_t va, uint64_t len)
{
	const struct pt_format *f = s->fmt;

	if (pt_check_range(s, va, len))
		return false;

	uintptr_t last = va + (len - 1);

	for (;;) {
		phys_addr_t tpa = next_leaf_table(s, &va, last);

		if (!tpa)
			return false;
		if (tpa != 1 && pt_used_get(tpa) == 0)
			return true;
		uintptr_t end = slot_last(f, 1, va);

		if (end >= last)
			return false;
		va = end + 1;
	}
}

/* Free the empty tables below table @tpa (at @level) in [va, last], which it spans. */
static void prune_level(struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va,
			uintptr_t last)
{
	const struct pt_format *f = op->f;
	void *t = pt_table(tpa);
	unsigned stop = lvl_index(f, level, last);

	for (unsigned i = lvl_index(f, level, va); i <= stop; i++, va = slot_last(f, level, va) + 1) {
		uint64_t e = pte_get(f, t, i);
		phys_addr_t child = e & f->addr_mask;

		if (!(e & f->present) || pte_is_leaf(f, level, e))
			continue;
		if (level > 1)
			prune_level(op, level - 1, child, va, MM_MIN(last, slot_last(f, level, va)));
		if (pt_used_get(child) == 0 && !pt_pinned(op->s, level, i)) {
			pte_set(f, t, i, 0);
			pt_used_add(tpa, -1);
			pt_op_free_table(op, child, va);
		}
	}
}

/**
 * pt_prune() - free the empty page tables below [va, va + len)
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 *
 * What pt_zap() left. Tables with anything in them stay.
 */
void pt_prune(struct pt_space *s, uintptr_t va, uint64_t len)
{
	struct pt_op op;

	if (pt_check_range(s, va, len))
		return;
	unsigned long irq = spin_lock_irqsave(&s->lock);

	pt_op_begin(&op, s);
	prune_level(&op, pt_top(s->fmt), s->root, va, va + (len - 1));
	pt_op_end_unlock(&op, irq);
}

static void protect_leaf(struct pt_op *op, void *t, unsigned i, uintptr_t va)
{
	const struct pt_format *f = op->f;
	uint64_t e = pte_get_locked(f, t, i), n;

	do {	/* keep accessed/dirty bits the MMU sets meanwhile */
		n = (e & ~pt_perm_mask(f)) | op->bits;
		if (n == e)
			return;
	} while (!pte_cmpxchg(f, t, i, &e, n));
	pt_tlb_add(op, va);
}

static void protect_level(struct pt_op *op, unsigned level, phys_addr_t tpa, uintptr_t va,
			  uintptr_t last)
{
	const struct pt_format *f = op->f;
	void *t = pt_table(tpa);

	for (;;) {
		uintptr_t slot_end = slot_last(f, level, va), end = MM_MIN(last, slot_end);
		unsigned i = lvl_index(f, level, va);
		uint64_t e = pte_get_locked(f, t, i);
		bool whole = end == slot_end && IS_ALIGNED(va, lvl_size(f, level));

		if (!(e & f->present)) {
			/* a hole: skipped */
		} else if (!pte_is_leaf(f, level, e)) {
			protect_level(op, level - 1, e & f->addr_mask, va, end);
		} else if (whole) {
			protect_leaf(op, t, i, va);
		} else if (!prot_unchanged(op, e)) {
			protect_level(op, level - 1, pt_split_leaf(op, level, t, i), va, end);
		}
		if (end == last)
			return;
		va = end + 1;
	}
}

/* Fast path: [va, last] inside one page table, so no splits. */
static bool protect_in_table(struct pt_op *op, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = op->f;
	phys_addr_t tpa = pt_leaf_table(op->s, va, last);

	if (!tpa)
		return false;

	void *t = pt_table(tpa);
	unsigned first = lvl_index(f, 0, va), end = first + (unsigned)((last - va) >> PAGE_SHIFT);

	for (unsigned i = first; i <= end; i++)
		if (pte_get_locked(f, t, i) & f->present)
			protect_leaf(op, t, i, va + (uintptr_t)(i - first) * PAGE_SIZE);
	return true;
}

/**
 * pt_protect() - change the protections of the mappings in [va, va + len)
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE
 * @prot: the new PT_* protections
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM (nothing changed on failure).
 */
int pt_protect(struct pt_space *s, uintptr_t va, uint64_t len, unsigned prot)
{
	int r = pt_check_range(s, va, len);

	if (r)
		return r;
	if (prot & ~PT_PROT_MASK)
		return -MM_EINVAL;

	struct pt_op op;
	uintptr_t last = va + (len - 1);
	unsigned long irq = spin_lock_irqsave(&s->lock);

	pt_op_begin(&op, s);
	op.bits = pt_prot_bits(s->fmt, prot);
	if (!protect_in_table(&op, va, last)) {
		r = reserve_splits(&op, va, last, true);
		if (!r)
			protect_level(&op, pt_top(s->fmt), s->root, va, last);
	}
	pt_op_end_unlock(&op, irq);
	return r;
}
