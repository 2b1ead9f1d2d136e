// SPDX-License-Identifier: MIT
/*
 * Address spaces and the machinery every modifying operation shares:
 * argument checks, page-table pages reserved before anything changes, large
 * leaves split in place, and the TLB batch flushed at the end.
 *
 * An operation first works out how many tables it can need, takes them all
 * from the PMM, and only then touches entries, so it either completes or
 * fails with nothing changed. Leftover tables go straight back.
 *
 * TLB: changed leaves are collected; up to PT_TLB_BATCH get one invalidation
 * each, more get one full flush (which drops global translations too).
 * Filling a not-present entry needs no flush: x86 does not cache not-present
 * entries. Freed tables and released frames go back to the PMM at once when
 * no other CPU may hold the space, else after the batch's shootdown (held[]):
 * a lockless walker on another CPU may be reading them until it answers
 * (mm/pt.h, "Freeing page tables").
 */
#include "pt_impl.h"

/*
 * A zeroed page for a table, below @limit, with its entry count cleared. A
 * user space's tables leave half of the PMM's reserve (PMM_USER_TABLE).
 */
static phys_addr_t table_alloc(uint64_t limit, bool user)
{
	unsigned flags = PMM_ZERO | (limit <= PMM_DMA32_LIMIT ? PMM_ZONE_DMA32 : 0) |
			 (user ? PMM_USER_TABLE : 0);
	phys_addr_t pa = pmm_alloc_pages(0, flags);

	if (pa != PMM_NO_FRAME)
		*pt_used(pa) = 0;
	return pa;
}

static void table_free(phys_addr_t tpa)
{
	*pt_used(tpa) = 0;
	pmm_free_pages(tpa, 0);
}

/**
 * pt_check_range() - would @s accept [va, va + len) for pt_map/unmap/protect?
 * @s: the space
 * @va: start
 * @len: length
 *
 * Return: 0, or -MM_EINVAL if unaligned, empty, wrapping, non-canonical,
 * across the non-canonical hole, or touching root slots borrowed from another space.
 */
int pt_check_range(const struct pt_space *s, uintptr_t va, uint64_t len)
{
	const struct pt_format *f = s->fmt;
	uintptr_t last = va + (len - 1);

	if (!len || !IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) || last < va)
		return -MM_EINVAL;
	if (!va_canonical(f, va) || !va_canonical(f, last))
		return -MM_EINVAL;
	if (f->va_sign_extend && ((va ^ last) >> (sizeof(uintptr_t) * 8 - 1)))
		return -MM_EINVAL;
	if (s->borrow_end > s->borrow_first &&
	    lvl_index(f, pt_top(f), va) < s->borrow_end &&
	    lvl_index(f, pt_top(f), last) >= s->borrow_first)
		return -MM_EINVAL;
	return 0;
}

/**
 * pt_op_begin() - start an operation on @s (whose lock the caller holds)
 * @op: the operation's context
 * @s: the space
 */
void pt_op_begin(struct pt_op *op, struct pt_space *s)
{
	op->s = s;
	op->f = s->fmt;
	op->reserve = 0;
	op->delta = 0;
	op->bits = 0;
	op->flags = 0;
	op->release = NULL;
	op->ctx = NULL;
	op->retired = (s->flags & PT_SPACE_RETIRED) != 0;
	op->flush_all = false;
	op->ntlb = 0;
	op->nfreed = 0;
	op->cap = PT_FREE_BATCH;
	op->grow_failed = false;
	op->gather_order = PT_FREE_MORE_ORDER;
	op->held_order = 0;
	op->held = op->freed;
}

/**
 * pt_op_reserve() - take @n zeroed tables from the PMM for the operation
 * @op: the operation
 * @n: how many it may need at most
 *
 * Return: 0, or -MM_ENOMEM with none kept.
 */
int pt_op_reserve(struct pt_op *op, uint64_t n)
{
	while (n--) {
		phys_addr_t pa = table_alloc(op->f->table_limit, !(op->s->flags & PT_SPACE_KERNEL));

		if (pa == PMM_NO_FRAME) {
			pt_op_end(op);	/* gives back what was taken; nothing to flush yet */
			return -MM_ENOMEM;
		}
		*(uint64_t *)pt_table(pa) = op->reserve;
		op->reserve = pa;
	}
	return 0;
}

/**
 * pt_op_take_table() - one table from the reserve, zeroed, now owned by the space
 * @op: the operation
 *
 * Return: its physical address. Running dry is a bug in the reservation.
 */
phys_addr_t pt_op_take_table(struct pt_op *op)
{
	phys_addr_t pa = op->reserve;

	if (unlikely(!pa))
		plat_panic("pt: table reserve exhausted");
	uint64_t *link = pt_table(pa);

	op->reserve = *link;
	*link = 0;
	op->s->table_pages++;
	return pa;
}

/**
 * pt_op_free_table() - free a table just unlinked from the space
 * @op: the operation
 * @tpa: the table
 * @va: an address it covered
 *
 * The MMU may still cache the entry that pointed to it; any invalidation
 * drops that, so make sure the batch holds at least one. If another CPU may
 * hold the space, the table goes back to the PMM only after that shootdown:
 * its MMU, or a lockless walk there (plat_pt_walk_begin()), may still be
 * reading it. Checked after the unlink (pt_remote_cpus()), so a CPU that
 * loads the space later cannot reach the table.
 */
void pt_op_free_table(struct pt_op *op, phys_addr_t tpa, uintptr_t va)
{
	if (op->ntlb == 0 && !op->flush_all && !op->retired)
		pt_tlb_add(op, va);
	op->s->table_pages--;
	if (likely(!pt_remote_cpus(op->s))) {
		table_free(tpa);
		return;
	}
	pt_op_hold(op, tpa, 0);
}

/*
 * Move held[] to a PMM block of @op->gather_order, or failing that of
 * PT_FREE_MORE_ORDER: false if there is none.
 */
static bool hold_more(struct pt_op *op)
{
	if (op->held != op->freed || op->grow_failed)
		return false;

	unsigned order = op->gather_order;
	phys_addr_t pa = pmm_alloc_pages(order, 0);

	if (pa == PMM_NO_FRAME && order > PT_FREE_MORE_ORDER) {
		order = PT_FREE_MORE_ORDER;
		pa = pmm_alloc_pages(order, 0);
	}
	if (pa == PMM_NO_FRAME) {
		op->grow_failed = true;
		return false;
	}
	op->held = plat_phys_to_virt(pa);
	op->held_order = (uint8_t)order;
	memcpy(op->held, op->freed, op->nfreed * sizeof(op->freed[0]));
	op->cap = (unsigned)((PAGE_SIZE << order) / sizeof(op->freed[0]));
	return true;
}

/**
 * pt_op_hold() - keep a cleared leaf or unlinked table until the shootdown
 * @op: the operation
 * @pa: the leaf's frame (or swap entry), or the table
 * @size: the leaf's size, or 0 for a table
 *
 * Flushes early only when the held set is full and cannot grow.
 */
void pt_op_hold(struct pt_op *op, phys_addr_t pa, uint64_t size)
{
	if (op->nfreed == op->cap && !hold_more(op))
		pt_op_flush(op);
	op->held[op->nfreed++] = (struct pt_freed){ pa, size };
}

/**
 * pt_op_room() - room in the held set for @n more, before taking the page-table lock
 * @op: the operation
 * @n: leaves and tables the next step may hold back
 *
 * Grows the set once, else flushes (a shootdown, then the frees): here,
 * without the lock, rather than from pt_op_hold() under it.
 */
void pt_op_room(struct pt_op *op, unsigned n)
{
	if (op->cap - op->nfreed >= n)
		return;
	if (hold_more(op) && op->cap - op->nfreed >= n)
		return;
	pt_op_flush(op);
}

/*
 * The CPUs to flush: this one if it has the space loaded, and the others
 * that may. Read after the change (pt_space_cpus_now()), so a CPU that
 * loads the space later walks the changed tables.
 */
static mm_cpumask_t flush_set(const struct pt_space *s)
{
	mm_cpumask_t self = (mm_cpumask_t)1 << plat_cpu_id();

	if (s->flags & (PT_SPACE_KERNEL | PT_SPACE_SHARED))
		return plat_cpus_online() | self;
	return pt_space_cpus_now(s) | (s->root == plat_pt_root() ? self : 0);
}

/**
 * pt_op_flush() - flush the batch everywhere it may be cached, then free
 * @op: the operation
 *
 * On one CPU a local flush; otherwise one shootdown for the whole batch.
 * The leaves and tables held back for it go to their owners afterwards.
 */
void pt_op_flush(struct pt_op *op)
{
	if (op->ntlb || op->flush_all) {
		mm_cpumask_t cpus = flush_set(op->s);
		mm_cpumask_t self = (mm_cpumask_t)1 << plat_cpu_id();

		if (cpus & ~self) {
			plat_tlb_shootdown(cpus, op->flush_all ? NULL : op->tlb, op->ntlb,
					   op->flush_all && (op->s->flags & PT_SPACE_KERNEL));
		} else if (!cpus) {
			/* no CPU holds the space: nothing cached to drop */
		} else if (op->flush_all) {
			plat_tlb_flush_all();
		} else {
			for (unsigned i = 0; i < op->ntlb; i++)
				plat_tlb_flush_page(op->tlb[i]);
		}
	}
	op->ntlb = 0;
	op->flush_all = false;
	for (unsigned i = 0; i < op->nfreed; i++) {
		const struct pt_freed *fr = &op->held[i];

		if (fr->size)
			op->release(fr->pa, fr->size, op->ctx);
		else
			table_free(fr->pa);
	}
	op->nfreed = 0;
}

/**
 * pt_op_end() - give back unused reserved tables and flush the batch
 * @op: the operation
 */
void pt_op_end(struct pt_op *op)
{
	while (op->reserve) {
		phys_addr_t pa = op->reserve;

		op->reserve = *(uint64_t *)pt_table(pa);
		*(uint64_t *)pt_table(pa) = 0;
		table_free(pa);
	}
	pt_op_flush(op);
	if (op->held != op->freed) {
		pmm_free_pages(plat_virt_to_phys(op->held), op->held_order);
		op->held = op->freed;
		op->cap = PT_FREE_BATCH;
	}
}

/**
 * pt_op_end_unlock() - pt_op_end(), and drop the space's lock taken with @irq
 * @op: the operation
 * @irq: what spin_lock_irqsave() of the space's lock returned
 *
 * Where the owner keeps all other changes out (pt_space.wait_irqs), the
 * lock goes first and the flush - a shootdown's wait for the other CPUs,
 * the frees after it - runs with interrupts as they were before the
 * owner's lock. Otherwise the flush is done under the lock: a table freed
 * must be forgotten everywhere before anyone can put a new one in its slot.
 */
void pt_op_end_unlock(struct pt_op *op, unsigned long irq)
{
	struct pt_space *s = op->s;

	if (!s->wait_irqs) {
		pt_op_end(op);
		spin_unlock_irqrestore(&s->lock, irq);
		return;
	}
	spin_unlock_irqrestore(&s->lock, irq);
	plat_irq_restore(s->wait_fl);
	pt_op_end(op);
	(void)plat_irq_save();
}

/**
 * pt_split_leaf() - replace a large leaf by a table of equivalent smaller leaves
 * @op: the operation (holds the reserved table)
 * @level: the leaf's level, > 0
 * @t: the table holding it
 * @i: its index
 *
 * The translation does not change, so nothing is flushed here; the caller
 * changes part of the new table next and flushes that, which on x86 also
 * drops the old large TLB entry. Accessed and dirty bits the MMU sets
 * meanwhile are not lost: the switch is a compare-and-swap.
 *
 * Return: the new table.
 */
phys_addr_t pt_split_leaf(struct pt_op *op, unsigned level, void *t, unsigned i)
{
	const struct pt_format *f = op->f;
	unsigned sub = level - 1, n = lvl_entries(f, sub);
	uint64_t step = lvl_size(f, sub);
	phys_addr_t child = pt_op_take_table(op);
	void *ct = pt_table(child);
	uint64_t e = pte_get(f, t, i);

	do {
		phys_addr_t pa = pte_leaf_pa(f, level, e);
		uint64_t flags = (e & ~f->addr_mask & ~f->large) | (sub ? f->large : 0);

		for (unsigned j = 0; j < n; j++)
			pte_set(f, ct, j, (pa + j * step) | flags);
	} while (!pte_cmpxchg(f, t, i, &e, table_entry(f, level, child)));
	*pt_used(child) = (uint16_t)n;
	return child;
}

/**
 * pt_leaf_table() - the level-0 table holding all of [va, last], for the fast paths
 * @s: the space
 * @va: start of a range
 * @last: its last byte
 *
 * Most operations touch a few pages inside one existing page table: they
 * need one walk down, no reservation and no splitting.
 *
 * Return: the table, or 0 if the range spans several level-0 tables or an
 * entry on the way down is absent or a large leaf.
 */
phys_addr_t pt_leaf_table(const struct pt_space *s, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = s->fmt;
	phys_addr_t tpa = s->root;

	if ((va ^ last) >> f->shift[1])
		return 0;
	for (unsigned level = pt_top(f); level > 0; level--) {
		uint64_t e = pte_get(f, pt_table(tpa), lvl_index(f, level, va));

		if (!(e & f->present) || (e & f->large))
			return 0;
		tpa = e & f->addr_mask;
	}
	return tpa;
}

/* --- spaces ----------------------------------------------------------------- */

/**
 * pt_space_init() - set up an empty address space
 * @s: the space
 * @fmt: its paging format
 *
 * Return: 0, -MM_EINVAL for an inconsistent format, -MM_ENOMEM.
 */
int pt_space_init(struct pt_space *s, const struct pt_format *fmt)
{
	int r = pt_format_check(fmt);

	if (r)
		return r;
	memset(s, 0, sizeof(*s));
	s->fmt = fmt;
	s->root = table_alloc(fmt->root_limit, false);
	if (s->root == PMM_NO_FRAME) {
		s->root = 0;
		return -MM_ENOMEM;
	}
	s->table_pages = 1;
	return 0;
}

static bool borrowed(const struct pt_space *s, unsigned i)
{
	return i >= s->borrow_first && i < s->borrow_end;
}

/*
 * Free table @tpa at @level and every table below it. The scan stops at the
 * table's last present entry (pt_used() counts them, borrowed ones too): a
 * small space's tables are mostly empty, and an exiting process pays for
 * none of it. A wrong count leaves tables behind: pt_space_destroy()
 * panics, as the table count does not reach zero.
 */
static void free_tables(struct pt_space *s, unsigned level, phys_addr_t tpa)
{
	const struct pt_format *f = s->fmt;
	const void *t = pt_table(tpa);
	unsigned left = level ? pt_used_get(tpa) : 0;

	for (unsigned i = 0; left && i < lvl_entries(f, level); i++) {
		uint64_t e = pte_get(f, t, i);

		if (!(e & f->present))
			continue;
		left--;
		if (pte_is_leaf(f, level, e) || (level == pt_top(f) && borrowed(s, i)))
			continue;
		free_tables(s, level - 1, e & f->addr_mask);
	}
	table_free(tpa);
	s->table_pages--;
}

static struct pt_space *loaded[MM_MAX_CPUS];

/*
 * Make the CPUs that keep @s loaded lazily let go. Return: false if a CPU
 * still runs on it (this one included).
 */
static bool space_unloaded(struct pt_space *s)
{
	if (s->root == plat_pt_root())
		return false;

	mm_cpumask_t others = pt_remote_cpus(s);

	if (others)	/* CPUs keeping it loaded lazily let go on a flush */
		plat_tlb_shootdown(others, NULL, 0, false);
	return !pt_remote_cpus(s);
}

/**
 * pt_space_retire() - declare that no CPU will load @s again
 * @s: a space about to be torn down (its last user gone); not the active one
 *
 * CPUs keeping it loaded lazily let go first. From then on no MMU walks its
 * tables and no TLB holds its translations, so unmapping clears entries with
 * plain stores, records nothing to flush and releases frames at once; and
 * loading the space is a bug (panics). Does nothing for a kernel or shared
 * space, or one a CPU still runs on (pt_space_destroy() reports that).
 */
void pt_space_retire(struct pt_space *s)
{
	if (!s->root || (s->flags & (PT_SPACE_KERNEL | PT_SPACE_SHARED)) || !space_unloaded(s))
		return;

	unsigned long irq = spin_lock_irqsave(&s->lock);

	s->flags |= PT_SPACE_RETIRED;
	spin_unlock_irqrestore(&s->lock, irq);
}

/**
 * pt_space_load() - make @s the page tables this CPU runs on
 * @s: the space (the kernel's, or a process's sharing the kernel half)
 *
 * Keeps the spaces' CPU sets (see the TLB rule in pt.h): this CPU joins
 * @s before loading it and leaves the space it ran on after.
 */
void pt_space_load(struct pt_space *s)
{
	unsigned long irq = plat_irq_save();
	unsigned cpu = plat_cpu_id();
	struct pt_space *old = loaded[cpu];

	if (unlikely(s->flags & PT_SPACE_RETIRED))
		plat_panic("pt: loading space %#llx, retired (its last user is gone)",
			   (unsigned long long)s->root);
	pt_space_cpu_enter(s, cpu);
	if (plat_pt_root() != s->root)
		plat_set_pt_root(s->root);
	loaded[cpu] = s;
	if (old && old != s)
		pt_space_cpu_leave(old, cpu);
	plat_irq_restore(irq);
}

/* The space this CPU runs on (NULL before the first pt_space_load()). */
struct pt_space *pt_space_loaded(void)
{
	return loaded[plat_cpu_id()];
}

/**
 * pt_space_destroy() - free every page-table page of a space
 * @s: the space; must not be the active one
 */
void pt_space_destroy(struct pt_space *s)
{
	if (!s->root)
		return;
	if (s->root == plat_pt_root()) {
		mm_err("pt: refusing to destroy the active address space (root %#llx)",
		       (unsigned long long)s->root);
		return;
	}
	if (!(s->flags & PT_SPACE_RETIRED) && !space_unloaded(s))
		plat_panic("pt: destroying space %#llx that CPUs %#llx still run on",
			   (unsigned long long)s->root, (unsigned long long)s->cpus);
	unsigned long irq = spin_lock_irqsave(&s->lock);

	free_tables(s, pt_top(s->fmt), s->root);
	if (s->table_pages != 0)
		plat_panic("pt: %llu table pages unaccounted for after destroy",
			   (unsigned long long)s->table_pages);
	s->root = 0;
	spin_unlock_irqrestore(&s->lock, irq);
}

static int share_check(const struct pt_space *dst, const struct pt_space *src, unsigned first,
		       unsigned count)
{
	const struct pt_format *f = src->fmt;

	if (dst == src || dst->fmt != f || f->levels < 2 || !count ||
	    first >= lvl_entries(f, pt_top(f)) || count > lvl_entries(f, pt_top(f)) - first ||
	    dst->borrow_end > dst->borrow_first || src->borrow_end > src->borrow_first)
		return -MM_EINVAL;
	return 0;
}

/**
 * pt_space_share_kernel() - make root slots of @src visible in @dst
 * @dst: a space with nothing mapped in those slots
 * @src: the kernel space
 * @first: first root slot
 * @count: number of slots
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST, -MM_ENOMEM.
 */
int pt_space_share_kernel(struct pt_space *dst, struct pt_space *src, unsigned first,
			  unsigned count)
{
	const struct pt_format *f = src->fmt;
	unsigned top = pt_top(f), end = first + count;
	int r = share_check(dst, src, first, count);

	if (r)
		return r;
	unsigned long irq = spin_lock_irqsave(&src->lock);

	unsigned long irq2 = spin_lock_irqsave(&dst->lock);	/* src, then dst */
	void *st = pt_table(src->root), *dt = pt_table(dst->root);
	uint64_t missing = 0;
	struct pt_op op;

	for (unsigned i = first; i < end; i++) {
		uint64_t e = pte_get(f, st, i);

		if (pte_get(f, dt, i) & f->present)
			r = -MM_EEXIST;
		else if (e & f->large)
			r = -MM_EINVAL;
		missing += !(e & f->present);
	}
	pt_op_begin(&op, src);
	if (!r)
		r = pt_op_reserve(&op, missing);
	for (unsigned i = first; !r && i < end; i++) {
		if (!(pte_get(f, st, i) & f->present)) {
			pte_set(f, st, i, table_entry(f, top, pt_op_take_table(&op)));
			(*pt_used(src->root))++;
		}
		pte_set(f, dt, i, pte_get(f, st, i));
		(*pt_used(dst->root))++;
	}
	if (!r) {
		bool pinned = src->pin_end > src->pin_first;

		src->pin_first = (uint16_t)(pinned ? MM_MIN(src->pin_first, first) : first);
		src->pin_end = (uint16_t)(pinned ? MM_MAX(src->pin_end, end) : end);
		src->flags |= PT_SPACE_SHARED;
		dst->borrow_first = (uint16_t)first;
		dst->borrow_end = (uint16_t)end;
	}
	pt_op_end(&op);
	spin_unlock_irqrestore(&dst->lock, irq2);
	spin_unlock_irqrestore(&src->lock, irq);
	return r;
}
