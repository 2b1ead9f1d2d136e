/* SPDX-License-Identifier: MIT */
/*
 * Page-table engine internals, shared by mm/pt*.c: entry access, level
 * geometry, protection encoding, and the per-operation context (tables
 * reserved up front, the TLB batch).
 *
 * Each table page keeps a count of its present entries in the spare field of
 * its PMM frame descriptor, so an unmap knows a table became empty without
 * scanning it; lookups never touch it.
 */
#ifndef MM_PT_IMPL_H
#define MM_PT_IMPL_H

#include "frame.h"
#include "pt.h"

/* --- entries ------------------------------------------------------------- */

static inline void *pt_table(phys_addr_t tpa)
{
	return plat_phys_to_virt(tpa);
}

/* Entries are read and written atomically: the MMU reads them concurrently. */
static inline uint64_t pte_get(const struct pt_format *f, const void *t, unsigned i)
{
	if (f->entry_size == 8)
		return __atomic_load_n((const uint64_t *)t + i, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint32_t *)t + i, __ATOMIC_ACQUIRE);
}

/*
 * pte_get() for a caller holding the space's lock, which every writer of its
 * tables takes (but pt_map_one(), which only fills empty entries that no
 * lock holder is reading: a process's faults, in its regions, never in a
 * range being unmapped): meanwhile only the MMU changes an entry, and only its
 * accessed and dirty bits, which lie in the low word of an 8-byte entry. So
 * on a 32-bit machine two 32-bit reads see a whole entry, where an atomic
 * 64-bit read is a call and a locked cmpxchg8b (x86 is little-endian: word 0
 * is bits 0-31).
 */
static inline uint64_t pte_get_locked(const struct pt_format *f, const void *t, unsigned i)
{
#if UINTPTR_MAX == 0xffffffffu
	if (f->entry_size == 8) {
		typedef uint32_t __attribute__((may_alias)) word_t;
		const word_t *w = (const word_t *)((const uint64_t *)t + i);
		uint32_t lo = __atomic_load_n(&w[0], __ATOMIC_ACQUIRE);

		return (uint64_t)__atomic_load_n(&w[1], __ATOMIC_RELAXED) << 32 | lo;
	}
#endif
	return pte_get(f, t, i);
}

static inline void pte_set(const struct pt_format *f, void *t, unsigned i, uint64_t e)
{
	if (f->entry_size == 8)
		__atomic_store_n((uint64_t *)t + i, e, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)t + i, (uint32_t)e, __ATOMIC_RELEASE);
}

/*
 * Clear an entry that no MMU can walk (a retired space's) and the caller
 * holds the space's lock for: a plain store, no locked exchange. On a
 * 32-bit machine the low word, which holds the present and swap bits, goes
 * first, so a lockless reader sees the entry present or swapped only whole.
 */
static inline void pte_clear_unwalked(const struct pt_format *f, void *t, unsigned i)
{
#if UINTPTR_MAX == 0xffffffffu
	if (f->entry_size == 8) {
		typedef uint32_t __attribute__((may_alias)) word_t;
		word_t *w = (word_t *)((uint64_t *)t + i);

		__atomic_store_n(&w[0], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&w[1], 0, __ATOMIC_RELEASE);
		return;
	}
#endif
	if (f->entry_size == 8)
		__atomic_store_n((uint64_t *)t + i, 0, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)t + i, 0, __ATOMIC_RELEASE);
}

/* Swap, returning the old entry with whatever accessed/dirty bits the MMU set. */
static inline uint64_t pte_xchg(const struct pt_format *f, void *t, unsigned i, uint64_t e)
{
	if (f->entry_size == 8)
		return __atomic_exchange_n((uint64_t *)t + i, e, __ATOMIC_ACQ_REL);
	return __atomic_exchange_n((uint32_t *)t + i, (uint32_t)e, __ATOMIC_ACQ_REL);
}

/* Replace *old with e if the entry still holds *old; else *old = current entry. */
static inline bool pte_cmpxchg(const struct pt_format *f, void *t, unsigned i, uint64_t *old,
			       uint64_t e)
{
	if (f->entry_size == 8)
		return __atomic_compare_exchange_n((uint64_t *)t + i, old, e, false,
						   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	uint32_t o = (uint32_t)*old;
	bool ok = __atomic_compare_exchange_n((uint32_t *)t + i, &o, (uint32_t)e, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	*old = o;
	return ok;
}

/*
 * Fill empty entry @i with @e, holding the space's lock (every writer of a
 * non-empty entry holds it). On a 32-bit machine two plain stores, the high
 * word first, where an atomic 8-byte store is a call and a locked cmpxchg8b
 * loop: the low word holds the present and swap bits, so until it lands the
 * MMU and lockless readers see an entry neither present nor swapped, and
 * pt_map_one()'s compare-and-exchange from empty fails.
 */
static inline void pte_fill_locked(const struct pt_format *f, void *t, unsigned i, uint64_t e)
{
#if UINTPTR_MAX == 0xffffffffu
	if (f->entry_size == 8) {
		typedef uint32_t __attribute__((may_alias)) word_t;
		word_t *w = (word_t *)((uint64_t *)t + i);

		__atomic_store_n(&w[1], (uint32_t)(e >> 32), __ATOMIC_RELAXED);
		__atomic_store_n(&w[0], (uint32_t)e, __ATOMIC_RELEASE);
		return;
	}
#endif
	pte_set(f, t, i, e);
}

/*
 * Take write permission from entry @i by one locked AND, keeping the
 * accessed and dirty bits the MMU may set meanwhile. The writable bit is in
 * the low word, so on a 32-bit machine a 4-byte AND does it (the high word
 * changes only under the lock) instead of a cmpxchg8b loop.
 */
static inline void pte_wrprotect(const struct pt_format *f, void *t, unsigned i)
{
	if (f->entry_size == 4 || UINTPTR_MAX == 0xffffffffu) {
		typedef uint32_t __attribute__((may_alias)) word_t;
		word_t *w = (word_t *)((char *)t + (size_t)i * f->entry_size);

		__atomic_fetch_and(w, ~(uint32_t)f->writable, __ATOMIC_ACQ_REL);
		return;
	}
	__atomic_fetch_and((uint64_t *)t + i, ~f->writable, __ATOMIC_ACQ_REL);
}

/*
 * Swap entries: a level-0 entry that is not present but not zero holds a
 * swap entry's value (mm/swap.h), not a frame. Bit 1 (writable, ignored by
 * the MMU while bit 0 is clear) marks it, so the entry is never zero. In
 * 8-byte entries the value goes inverted into address bits 20..49: a
 * speculatively used not-present entry (L1TF) then points far above RAM.
 * Page tables count swap entries with their present ones (pt_used()).
 */
#define PT_SWP_MARK	((uint64_t)1 << 1)
#define PT_SWP_MASK	((uint32_t)0x3fffffff)
#define PT_SWP_SHIFT64	20

static inline uint64_t pte_mk_swp(const struct pt_format *f, uint32_t val)
{
	if (f->entry_size == 8)
		return ((uint64_t)(~val & PT_SWP_MASK) << PT_SWP_SHIFT64) | PT_SWP_MARK;
	return ((uint64_t)(val & PT_SWP_MASK) << 2) | PT_SWP_MARK;
}

static inline bool pte_is_swp(const struct pt_format *f, uint64_t e)
{
	return (e & (f->present | PT_SWP_MARK)) == PT_SWP_MARK;
}

static inline uint32_t pte_swp_val(const struct pt_format *f, uint64_t e)
{
	if (f->entry_size == 8)
		return ~(uint32_t)(e >> PT_SWP_SHIFT64) & PT_SWP_MASK;
	return (uint32_t)(e >> 2) & PT_SWP_MASK;
}

/* --- geometry ------------------------------------------------------------ */

static inline bool va_canonical(const struct pt_format *f, uintptr_t va)
{
	unsigned bits = f->va_bits;

	if (bits >= sizeof(uintptr_t) * 8)
		return true;
	if (!f->va_sign_extend)
		return (va >> bits) == 0;
	uintptr_t high = va >> (bits - 1);	/* the sign bit and everything above */

	return high == 0 || high == (UINTPTR_MAX >> (bits - 1));
}

static inline unsigned pt_top(const struct pt_format *f)
{
	return f->levels - 1u;
}

/*
 * Bytes one entry at @level covers. Level 0 maps 4 KiB pages in every
 * format (pt_format_check()): a constant there, so the per-page loops do
 * not shift by a size read from the format (a 64-bit shift by a variable
 * is a sequence of its own on a 32-bit machine).
 */
static inline uint64_t lvl_size(const struct pt_format *f, unsigned level)
{
	return level ? (uint64_t)1 << f->shift[level] : PAGE_SIZE;
}

static inline unsigned lvl_entries(const struct pt_format *f, unsigned level)
{
	return 1u << f->index_bits[level];
}

static inline unsigned lvl_index(const struct pt_format *f, unsigned level, uintptr_t va)
{
	return (unsigned)(va >> f->shift[level]) & (lvl_entries(f, level) - 1);
}

/* Last address of the range an entry at @level holding @va covers (never wraps). */
static inline uintptr_t slot_last(const struct pt_format *f, unsigned level, uintptr_t va)
{
	return va | (uintptr_t)(lvl_size(f, level) - 1);
}

static inline bool pte_is_leaf(const struct pt_format *f, unsigned level, uint64_t e)
{
	return level == 0 || (e & f->large);
}

/* Physical address of a leaf: the PAT bit of a large leaf is below its alignment. */
static inline phys_addr_t pte_leaf_pa(const struct pt_format *f, unsigned level, uint64_t e)
{
	return e & f->addr_mask & ~(lvl_size(f, level) - 1);
}

static inline uint64_t table_entry(const struct pt_format *f, unsigned level, phys_addr_t child)
{
	return child | (level == pt_top(f) ? f->root_table_bits : f->table_bits);
}

/* Present entries in table @tpa (the PMM leaves the descriptor's spare field to its owner). */
static inline uint16_t *pt_used(phys_addr_t tpa)
{
	return &pfn_frame(tpa >> PAGE_SHIFT)->spare;
}

/*
 * A level-0 table's count changes beside pt_map_one(), which fills its
 * entries without the space's lock: those changes are atomic.
 */
static inline void pt_used_add(phys_addr_t tpa, int n)
{
	__atomic_add_fetch(pt_used(tpa), (uint16_t)n, __ATOMIC_RELAXED);
}

static inline uint16_t pt_used_get(phys_addr_t tpa)
{
	return __atomic_load_n(pt_used(tpa), __ATOMIC_RELAXED);
}

/* --- protections ----------------------------------------------------------- */

/* The bits pt_protect() replaces; accessed and dirty are only ever added. */
static inline uint64_t pt_perm_mask(const struct pt_format *f)
{
	return f->writable | f->user | f->global | f->nocache | f->nx | f->pkey;
}

static inline uint64_t pt_prot_bits(const struct pt_format *f, unsigned prot)
{
	uint64_t e = f->present;

	if (prot & PT_WRITE)
		e |= f->writable;
	if (prot & PT_USER)
		e |= f->user;
	if (prot & PT_GLOBAL)
		e |= f->global;
	if (prot & PT_NOCACHE)
		e |= f->nocache;
	if (prot & PT_ACCESSED)
		e |= f->accessed;
	if (prot & PT_DIRTY)
		e |= f->dirty;
	if (!(prot & PT_EXEC))
		e |= f->nx;		/* 0 in formats without NX */
	e |= ((uint64_t)(prot & PT_PKEY_MASK) >> PT_PKEY_SHIFT << f->pkey_shift) & f->pkey;
	return e;
}

static inline unsigned pt_entry_prot(const struct pt_format *f, uint64_t e)
{
	unsigned prot = 0;

	if (e & f->writable)
		prot |= PT_WRITE;
	if (!(e & f->nx))
		prot |= PT_EXEC;
	if (e & f->user)
		prot |= PT_USER;
	if (e & f->global)
		prot |= PT_GLOBAL;
	if (e & f->nocache)
		prot |= PT_NOCACHE;
	if (e & f->accessed)
		prot |= PT_ACCESSED;
	if (e & f->dirty)
		prot |= PT_DIRTY;
	prot |= PT_PKEY((e & f->pkey) >> f->pkey_shift);
	return prot;
}

/* --- one modifying operation ------------------------------------------------ */

struct pt_op {
	struct pt_space *s;
	const struct pt_format *f;
	phys_addr_t reserve;		/* zeroed tables taken up front, linked by first word */
	uint64_t delta;			/* pt_map: pa - va */
	uint64_t bits;			/* pt_map, pt_protect: entry bits of the new leaves */
	unsigned flags;			/* pt_map: PT_MAP_* */
	pt_release_fn release;		/* pt_unmap */
	bool keep_tables;		/* pt_zap(): free no table */
	void *ctx;
	bool retired;			/* PT_SPACE_RETIRED: no MMU walks the tables */
	/* TLB batch: pages to invalidate. */
	bool flush_all;			/* too many: flush everything instead */
	unsigned ntlb;
	uintptr_t tlb[PT_TLB_BATCH];
	/* Leaves and tables held back until another CPU's TLB cannot reach them. */
	unsigned nfreed, cap;		/* in held[] */
	bool grow_failed;		/* no block for a larger held[]: do not ask again */
	uint8_t gather_order;		/* the block held[] grows to: PT_FREE_MORE_ORDER or more */
	uint8_t held_order;		/* the block held[] is in, if not freed[] */
	struct pt_freed {
		phys_addr_t pa;
		uint64_t size;		/* 0: a page table */
	} *held;			/* freed[], or a PMM block once that is full */
	struct pt_freed freed[PT_FREE_BATCH];
};

/* mm/pt.c */
void pt_op_flush(struct pt_op *op);
void pt_op_begin(struct pt_op *op, struct pt_space *s);
int pt_op_reserve(struct pt_op *op, uint64_t n);
phys_addr_t pt_op_take_table(struct pt_op *op);
void pt_op_free_table(struct pt_op *op, phys_addr_t tpa, uintptr_t va);
void pt_op_end(struct pt_op *op);
void pt_op_end_unlock(struct pt_op *op, unsigned long irq);
void pt_op_hold(struct pt_op *op, phys_addr_t pa, uint64_t size);
void pt_op_room(struct pt_op *op, unsigned n);
phys_addr_t pt_split_leaf(struct pt_op *op, unsigned level, void *t, unsigned i);
phys_addr_t pt_leaf_table(const struct pt_space *s, uintptr_t va, uintptr_t last);

/*
 * Note that the leaf at @va changed (one invalidation covers a large leaf).
 * Inline: the per-leaf loops call it for every page. Recorded even for a
 * space no CPU runs on now: one may load it before the change is made, and
 * only pt_op_flush(), after the change, can tell (see flush_set()).
 */
static inline void pt_tlb_add(struct pt_op *op, uintptr_t va)
{
	if (op->flush_all || op->retired)
		return;
	if (op->ntlb == PT_TLB_BATCH)
		op->flush_all = true;
	else
		op->tlb[op->ntlb++] = va;
}

/* CPUs other than this one that may cache @s's translations, after the caller's changes. */
static inline mm_cpumask_t pt_remote_cpus(const struct pt_space *s)
{
	if (s->flags & PT_SPACE_RETIRED)
		return 0;

	mm_cpumask_t all = (s->flags & (PT_SPACE_KERNEL | PT_SPACE_SHARED)) ?
			   plat_cpus_online() : pt_space_cpus_now(s);

	return all & ~((mm_cpumask_t)1 << plat_cpu_id());
}

/*
 * A leaf the operation just cleared: released now if no other CPU may hold
 * the space (the entry is already gone, so none can load it from here on),
 * else after the shootdown that makes every CPU forget it.
 */
static inline void pt_op_release(struct pt_op *op, phys_addr_t pa, uint64_t size)
{
	if (!op->release)
		return;
	if (likely(!pt_remote_cpus(op->s))) {
		op->release(pa, size, op->ctx);
		return;
	}
	pt_op_hold(op, pa, size);
}

static inline bool pt_pinned(const struct pt_space *s, unsigned level, unsigned i)
{
	return level == pt_top(s->fmt) && i >= s->pin_first && i < s->pin_end;
}

#endif
