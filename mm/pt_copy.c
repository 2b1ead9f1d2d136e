// SPDX-License-Identifier: MIT
/*
 * pt_copy_range(): copy the leaves of a range from one space into another,
 * as fork does, walking both spaces' tables side by side, one table at a
 * time, instead of one lookup and one map per page.
 *
 * Two passes, as in pt_map(). The first reads only: it finds copies that
 * would land on something mapped in the destination (-MM_EEXIST) and counts
 * the destination tables the copy may create and the source tables
 * copy-on-write splits take; both are reserved. The second pass writes and
 * cannot run short. It creates a destination table when it descends into a
 * hole and hands it straight back to the reserve if nothing was copied into
 * it (the leaves it was made for were skipped, or lay outside the range), so
 * no empty table is left behind; the first pass counts such tables too.
 *
 * A large source leaf cut by an end of the range is seen as the table of
 * smaller leaves it would split into (a "virtual" table, made up from the
 * leaf entry); only copy-on-write of a writable one splits it for real,
 * since only then does the source change.
 */
#include "pt_impl.h"

struct pt_copy_op {
	struct pt_op sop;	/* the source: split tables, TLB batch */
	struct pt_op dop;	/* the destination: new tables */
	const struct pt_format *f;
	unsigned flags;		/* PT_COPY_* */
	pt_copy_fn fn;
	void *ctx;
	uint64_t splits;	/* first pass: source tables to reserve */
	/* The last conversions, which nearly every leaf repeats. */
	uint64_t memo_flags;	/* source entry bits outside the address */
	unsigned memo_prot;	/* ... as PT_* */
	unsigned memo_cprot;	/* the copy's PT_* */
	uint64_t memo_cbits;	/* ... as entry bits */
};

/*
 * Entry @i at @level of the source: of table @stpa, or if that is 0 of the
 * virtual table that leaf @vleaf (one level up) splits into. As in
 * pt_split_leaf().
 */
static inline uint64_t src_entry(const struct pt_format *f, unsigned level, phys_addr_t stpa,
				 uint64_t vleaf, unsigned i)
{
	if (stpa)
		return pte_get_locked(f, pt_table(stpa), i);
	return (pte_leaf_pa(f, level + 1, vleaf) + (uint64_t)i * lvl_size(f, level)) |
	       (vleaf & ~f->addr_mask & ~f->large) | (level ? f->large : 0);
}

/*
 * First pass over [va, last] at @level: source table @stpa (or virtual
 * table of @vleaf; @real if that will be a real table by the time the
 * second pass gets there), destination table @dtpa (0: one the second pass
 * will create). Sets *found if a leaf is in the range. Returns the tables
 * the destination needs below, or -MM_EEXIST; adds splits to cop->splits.
 */
static int64_t count_level(struct pt_copy_op *cop, unsigned level, phys_addr_t stpa,
			   uint64_t vleaf, bool real, phys_addr_t dtpa, uintptr_t va,
			   uintptr_t last, bool *found)
{
	const struct pt_format *f = cop->f;
	const void *dt = dtpa ? pt_table(dtpa) : NULL;
	int64_t n = 0;

	if (level == 0 && stpa) {	/* the common case: one scan of a page table */
		if (dt && (cop->flags & PT_COPY_EMPTY)) {
			*found = true;	/* (perhaps nothing: copy_level() finds out) */
			return 0;	/* nothing there to collide with, no table needed */
		}
		const void *st = pt_table(stpa);
		unsigned first = lvl_index(f, 0, va);
		unsigned end = first + (unsigned)((last - va) >> PAGE_SHIFT);

		for (unsigned i = first; i <= end; i++) {
			if (!pte_get_locked(f, st, i))		/* (swap entries are copied too) */
				continue;
			*found = true;
			if (!dt)
				return 0;
			if (pte_get_locked(f, dt, i))
				return -MM_EEXIST;
		}
		return 0;
	}
	for (;;) {
		uintptr_t slot_end = slot_last(f, level, va), end = MM_MIN(last, slot_end);
		unsigned i = lvl_index(f, level, va);
		uint64_t se = src_entry(f, level, stpa, vleaf, i);
		uint64_t de = dt ? pte_get_locked(f, dt, i) : 0;

		if (se & f->present) {
			bool leaf = pte_is_leaf(f, level, se);
			bool whole = end == slot_end && IS_ALIGNED(va, lvl_size(f, level));

			if (leaf && whole) {
				*found = true;
				if (de & f->present)
					return -MM_EEXIST;
			} else {
				bool split = leaf && real && (cop->flags & PT_COPY_COW) &&
					     (se & f->writable);
				bool dtable = (de & f->present) && !pte_is_leaf(f, level, de);
				phys_addr_t schild = leaf ? 0 : se & f->addr_mask;
				phys_addr_t dchild = dtable ? de & f->addr_mask : 0;
				bool sub = false;
				int64_t r = count_level(cop, level - 1, schild, se, !leaf || split,
							dchild, va, end, &sub);

				if (r < 0)
					return r;
				if (sub && (de & f->present) && !dtable)
					return -MM_EEXIST;	/* a large leaf in the way */
				*found |= sub;
				if (!(de & f->present) || dtable)
					n += r + !dtable;
				cop->splits += split;
			}
		}
		if (end == last)
			return n;
		va = end + 1;
	}
}

/* Take write permission from source leaf @i of @st; the copy shares its frame. */
static inline __attribute__((always_inline))
void write_protect(struct pt_copy_op *cop, void *st, unsigned i, uintptr_t va)
{
	pte_wrprotect(cop->f, st, i);
	pt_tlb_add(&cop->sop, va);
}

/*
 * Copy leaf @se at @level, index @i of source table @st (NULL: a virtual
 * table) into the same index of destination table @dt, whose entry count the
 * caller updates. Returns 1 if copied, 0 if skipped, or the callback's error.
 */
static inline __attribute__((always_inline))
int copy_leaf(struct pt_copy_op *cop, unsigned level, void *st, unsigned i, uint64_t se, void *dt,
	      uintptr_t va)
{
	const struct pt_format *f = cop->f;
	phys_addr_t pa = pte_leaf_pa(f, level, se);
	uint64_t flags = se & ~f->addr_mask;
	unsigned prot;

	if (flags != cop->memo_flags) {
		cop->memo_flags = flags;
		cop->memo_prot = pt_entry_prot(f, se);
	}
	prot = cop->memo_prot;
	if (cop->fn) {
		int r = cop->fn(va, pa, lvl_size(f, level), &prot, cop->ctx);

		if (r)
			return r < 0 ? r : 0;	/* PT_COPY_SKIP */
	}
	if (cop->flags & PT_COPY_COW) {
		prot &= ~(unsigned)PT_WRITE;
		if (st && (se & f->writable))
			write_protect(cop, st, i, va);
	}
	prot &= PT_PROT_MASK;
	if (prot != cop->memo_cprot) {
		cop->memo_cprot = prot;
		cop->memo_cbits = pt_prot_bits(f, prot);
	}
	pte_fill_locked(f, dt, i, pa | cop->memo_cbits | (level ? f->large : 0));
	return 1;
}

/* Copy swap entry @se into entry @i of @dt, if the callback agrees: as copy_leaf(). */
static int copy_swp(struct pt_copy_op *cop, uint64_t se, void *dt, unsigned i, uintptr_t va)
{
	unsigned prot = 0;

	if (cop->fn) {
		int r = cop->fn(va, pte_swp_val(cop->f, se), PT_SIZE_SWAP, &prot, cop->ctx);

		if (r)
			return r < 0 ? r : 0;
	}
	pte_fill_locked(cop->f, dt, i, se);
	return 1;
}

/* Hand fresh destination table @tpa, entry @i of @ptpa, back to the reserve: nothing went in. */
static void give_back(struct pt_copy_op *cop, phys_addr_t ptpa, unsigned i, phys_addr_t tpa,
		      uintptr_t va)
{
	struct pt_op *op = &cop->dop;

	pte_set(cop->f, pt_table(ptpa), i, 0);
	(*pt_used(ptpa))--;
	op->s->table_pages--;
	*(uint64_t *)pt_table(tpa) = op->reserve;
	op->reserve = tpa;
	pt_tlb_add(op, va);	/* an active destination may cache the entry to it */
}

/*
 * The common case of the second pass: [va, last] of page table @st into
 * page table @dtpa, one loop. What copy_leaf() reads from the format and
 * the operation per leaf is read once here: the loop's stores into the
 * tables would otherwise make the compiler read it again for every page.
 */
static int copy_ptes(struct pt_copy_op *cop, void *st, phys_addr_t dtpa, uintptr_t va,
		     uintptr_t last)
{
	const struct pt_format *f = cop->f;
	const uint64_t present = f->present, writable = f->writable, addr = f->addr_mask;
	const bool cow = cop->flags & PT_COPY_COW;
	const pt_copy_fn fn = cop->fn;
	void *const ctx = cop->ctx, *dt = pt_table(dtpa);
	uint64_t memo_flags = cop->memo_flags, memo_cbits = cop->memo_cbits;
	unsigned memo_prot = cop->memo_prot, memo_cprot = cop->memo_cprot;
	unsigned first = lvl_index(f, 0, va);
	unsigned end = first + (unsigned)((last - va) >> PAGE_SHIFT), copied = 0;
	int r = 0;

	for (unsigned i = first; i <= end; i++, va += PAGE_SIZE) {
		uint64_t se = pte_get_locked(f, st, i);

		if (unlikely(!(se & present))) {
			if (se) {
				r = copy_swp(cop, se, dt, i, va);
				if (r < 0)
					break;
				copied += (unsigned)r;
			}
			continue;
		}
		if ((se & ~addr) != memo_flags) {
			memo_flags = se & ~addr;
			memo_prot = pt_entry_prot(f, se);
		}
		unsigned prot = memo_prot;

		if (fn) {
			r = fn(va, se & addr, PAGE_SIZE, &prot, ctx);
			if (r < 0)
				break;
			if (r) {	/* PT_COPY_SKIP */
				r = 0;
				continue;
			}
		}
		if (cow) {
			prot &= ~(unsigned)PT_WRITE;
			if (se & writable)
				write_protect(cop, st, i, va);
		}
		prot &= PT_PROT_MASK;
		if (prot != memo_cprot) {
			memo_cprot = prot;
			memo_cbits = pt_prot_bits(f, prot);
		}
		pte_fill_locked(f, dt, i, (se & addr) | memo_cbits);
		copied++;
	}
	cop->memo_flags = memo_flags;
	cop->memo_prot = memo_prot;
	cop->memo_cprot = memo_cprot;
	cop->memo_cbits = memo_cbits;
	*pt_used(dtpa) = (uint16_t)(*pt_used(dtpa) + copied);
	return r < 0 ? r : 0;
}

/* Second pass: copy [va, last] at @level from @stpa (0: virtual table of @vleaf) into @dtpa. */
static int copy_level(struct pt_copy_op *cop, unsigned level, phys_addr_t stpa, uint64_t vleaf,
		      phys_addr_t dtpa, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = cop->f;
	void *st = stpa ? pt_table(stpa) : NULL, *dt;

	if (level == 0 && st)		/* the common case: one loop over a page table */
		return copy_ptes(cop, st, dtpa, va, last);
	dt = pt_table(dtpa);
	for (;;) {
		uintptr_t slot_end = slot_last(f, level, va), end = MM_MIN(last, slot_end);
		unsigned i = lvl_index(f, level, va);
		uint64_t se = src_entry(f, level, stpa, vleaf, i);
		int r = 0;

		if (se & f->present) {
			bool leaf = pte_is_leaf(f, level, se);
			uint64_t de = pte_get_locked(f, dt, i);

			if (leaf && end == slot_end && IS_ALIGNED(va, lvl_size(f, level))) {
				r = copy_leaf(cop, level, st, i, se, dt, va);
				if (r > 0)
					(*pt_used(dtpa))++;
				r = r < 0 ? r : 0;
			} else if (!(de & f->present) || !pte_is_leaf(f, level, de)) {
				/* (a leaf in @dst: the first pass found nothing to copy below) */
				phys_addr_t schild = 0, dchild;
				bool fresh = !(de & f->present);

				if (!leaf)
					schild = se & f->addr_mask;
				else if (st && (cop->flags & PT_COPY_COW) && (se & f->writable))
					schild = pt_split_leaf(&cop->sop, level, st, i);
				if (fresh) {
					dchild = pt_op_take_table(&cop->dop);
					pte_set(f, dt, i, table_entry(f, level, dchild));
					(*pt_used(dtpa))++;
				} else {
					dchild = de & f->addr_mask;
				}
				r = copy_level(cop, level - 1, schild, se, dchild, va, end);
				if (fresh && *pt_used(dchild) == 0)
					give_back(cop, dtpa, i, dchild, va);
			}
		}
		if (r)
			return r;
		if (end == last)
			return 0;
		va = end + 1;
	}
}

/**
 * pt_copy_range() - copy the leaves of [va, va + len) from @src into @dst
 * @dst: the space receiving the copies
 * @src: the space copied from
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE
 * @flags: PT_COPY_COW, PT_COPY_EMPTY
 * @fn: per-leaf decision and hook (may be NULL)
 * @ctx: passed to @fn
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST, -MM_ENOMEM (nothing changed on those),
 * or @fn's error.
 */
int pt_copy_range(struct pt_space *dst, struct pt_space *src, uintptr_t va, uint64_t len,
		  unsigned flags, pt_copy_fn fn, void *ctx)
{
	const struct pt_format *f = src->fmt;
	int r;

	if (dst == src || dst->fmt != f || (flags & ~(unsigned)(PT_COPY_COW | PT_COPY_EMPTY)))
		return -MM_EINVAL;
	r = pt_check_range(src, va, len);
	if (!r)
		r = pt_check_range(dst, va, len);
	if (r)
		return r;

	struct pt_copy_op cop;
	uintptr_t last = va + (len - 1);
	bool found = false;
	unsigned long irq = spin_lock_irqsave(&src->lock);
	unsigned long irq2 = spin_lock_irqsave(&dst->lock);	/* src, then dst */

	pt_op_begin(&cop.sop, src);
	pt_op_begin(&cop.dop, dst);
	cop.f = f;
	cop.flags = flags;
	cop.fn = fn;
	cop.ctx = ctx;
	cop.splits = 0;
	cop.memo_flags = ~(uint64_t)0;	/* never an entry's: the address bits are set */
	cop.memo_prot = 0;
	cop.memo_cprot = ~0u;		/* never a PT_* value */
	cop.memo_cbits = 0;

	int64_t need = count_level(&cop, pt_top(f), src->root, 0, true, dst->root, va, last,
				   &found);

	r = need < 0 ? (int)need : pt_op_reserve(&cop.dop, (uint64_t)need);
	if (!r)
		r = pt_op_reserve(&cop.sop, cop.splits);
	if (!r && found)
		r = copy_level(&cop, pt_top(f), src->root, 0, dst->root, va, last);
	pt_op_end(&cop.dop);
	spin_unlock_irqrestore(&dst->lock, irq2);
	pt_op_end_unlock(&cop.sop, irq);	/* the source's write protection: a shootdown */
	return r;
}
