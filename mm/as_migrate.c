// SPDX-License-Identifier: MIT
/*
 * Page migration between NUMA nodes: Linux's move_pages(2) (one page to a
 * given node, or the node a page is on) and migrate_pages(2) (every page of
 * a space on some nodes to others), and the move mbind()'s MPOL_MF_MOVE
 * makes (as_mempolicy.c).
 *
 * A private page (anonymous, or a private copy of a file page) moves if
 * this entry alone maps its frame; a page-cache page (shared mappings,
 * file pages not yet copied) if no other entry maps it. A frame mapped
 * elsewhere too is Linux's "mapped more than once": EACCES without
 * MPOL_MF_MOVE_ALL; with it a page-cache page moves out from under every
 * mapping, but a private page shared copy-on-write after fork does not
 * (status EBUSY: Linux moves it, switching every mapping).
 *
 * Locks. A private page moves under the space's write lock (as_lock()), so
 * no fault of the space runs meanwhile. Another CPU may still write through
 * a cached translation, so the entry is write-protected first -
 * pt_protect() shoots down every CPU in the space's set before it returns
 * (docs/smp.md's TLB rule) - and only then copied; the new frame replaces
 * the old with pt_map(PT_MAP_REPLACE), flushed the same way, and the old
 * frame's reference goes last. A thread writing meanwhile faults on the
 * protected entry, waits for the lock, and finds the new frame with the
 * copied content: one frame or the other, never a lost write.
 *
 * A page-cache page moves with the space unlocked, its object and frame
 * held: the reverse map (as_rmap.c: the list of all spaces, then each
 * space's lock) zaps every entry mapping it, each zap flushed on every CPU
 * of that space, then the object's lock (pcache_migrate()) copies and swaps
 * the frame only if nothing but the object and this call hold it, so no
 * read(), write() or mapping that got the old frame is left; this space
 * faults its entry back in. Order: as_rmap.c's, then the object's lock.
 */
#include "as_internal.h"
#include "highmem.h"

/* Pages looked at per hold of the lock by migrate_pages's walk. */
#define MIGRATE_BATCH	64

/**
 * as_migrate_frame() - replace the frame @old mapped at @va of @r with @pa
 * @as: the space, locked by as_lock()
 * @r: the region (private backing)
 * @va: the page
 * @old: the frame mapped there now, this entry its only user
 * @prot: the entry's PT_* bits
 * @pa: the new frame (one reference, which the mapping takes over)
 *
 * Return: 0, or -MM_ENOMEM (@pa freed, @old kept: read-only until the next
 * write fault makes it writable again).
 */
int as_migrate_frame(struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t old,
		     unsigned prot, phys_addr_t pa)
{
	bool writable = prot & PT_WRITE;

	if (writable && pt_protect(&as->vs.pt, va, PAGE_SIZE, as_pte_prot(r, false))) {
		pmm_put(pa);
		return -MM_ENOMEM;
	}
	frame_copy(pa, old);
	if (pt_map(&as->vs.pt, va, pa, PAGE_SIZE, as_pte_prot(r, writable), PT_MAP_REPLACE)) {
		pmm_put(pa);
		return -MM_ENOMEM;
	}
	as_anon_add(as, r, va, pa);		/* the reclaim lists, as a copy-on-write does */
	pmm_put(old);
	return 0;
}

/*
 * Linux's follow_page(FOLL_DUMP) at @va: 0 and the frame with its PT_*
 * bits, or why none: -MM_EFAULT (no region; anonymous memory never
 * touched; the zero page), -MM_ENOENT (a page of a file or shared memory
 * not faulted in, or swapped out).
 */
static int page_lookup(struct as *as, uintptr_t va, const struct as_region **rp, phys_addr_t *pa,
		       unsigned *prot)
{
	const struct as_region *r = va < AS_TASK_SIZE ? as_region_find(as, va) : NULL;
	uint32_t swp;

	if (!r)
		return -MM_EFAULT;
	*rp = r;
	if (pt_translate(&as->vs.pt, va, pa, prot, NULL)) {
		*pa &= PAGE_MASK;
		return as_is_zero_page(*pa) ? -MM_EFAULT : 0;
	}
	if (pt_swp_lookup(&as->vs.pt, va, &swp))
		return -MM_ENOENT;
	return r->backing == AS_ANON_PRIVATE ? -MM_EFAULT : -MM_ENOENT;
}

/* A page-cache page to move with the space unlocked: its object and frame, held. */
struct cache_move {
	struct pcache *pc;
	uint64_t idx;
	phys_addr_t pa;
};

/* move_to_node(): a page-cache page, left to move_cache_page() with the lock dropped (no node). */
#define MOVE_CACHE	MM_MAX_NODES

/* Is @pa, mapped at @va of @r, a page of the region's file or shared object? */
static bool cache_page(const struct as_region *r, uintptr_t va, phys_addr_t pa, uint64_t *idx)
{
	if (r->backing == AS_ANON_PRIVATE || !r->shm)
		return false;
	*idx = r->pgoff + ((va - r->start) >> PAGE_SHIFT);
	return r->backing != AS_FILE_PRIVATE || pcache_find(r->shm, *idx) == pa;
}

/*
 * Move the frame @pa at @va of @r to @node, or hold a page-cache page in
 * @cm for move_cache_page() (MOVE_CACHE). A frame is mapped elsewhere too
 * if it has more references than its mappings here and the cache's.
 * Return: @node, MOVE_CACHE, or -MM_EACCES (mapped elsewhere, no
 * MOVE_ALL), -MM_EBUSY (shared copy-on-write: not moved here), -MM_ENOMEM.
 */
static int move_to_node(struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t pa,
			unsigned prot, unsigned node, bool move_all, struct cache_move *cm)
{
	bool cache = cache_page(r, va, pa, &cm->idx);
	phys_addr_t to;
	int err;

	if (pmm_frame_node(pa) == node)
		return (int)node;
	if (pmm_refcount(pa) != 1u + cache && !move_all)
		return -MM_EACCES;
	if (cache) {
		cm->pc = r->shm;
		cm->pa = pa;
		pcache_get(cm->pc);	/* the region's reference keeps it until the unlock */
		pmm_get(pa);
		return MOVE_CACHE;
	}
	if (pmm_refcount(pa) != 1)
		return -MM_EBUSY;
	to = pmm_alloc_pages_nodes((int)node, 1u << node, 0, PMM_HIGHMEM | PMM_USER);
	if (to == PMM_NO_FRAME)
		return -MM_ENOMEM;
	err = as_migrate_frame(as, r, va, pa, prot, to);
	return err ? err : (int)node;
}

/*
 * Move the page-cache page held in @cm to @node, @as not locked: every
 * entry mapping it is zapped (as_rmap_object(), with the TLB shootdowns of
 * each zap) so that nothing can write the old frame, the object swaps the
 * frame under its lock, and this space's entry is faulted in again, as
 * Linux's migration puts back the mappings (others fault on next use).
 * Return: @node, -MM_EBUSY (held or mapped by someone still), -MM_ENOMEM.
 */
static int move_cache_page(struct as *as, uintptr_t va, unsigned node, struct cache_move *cm)
{
	phys_addr_t to = pmm_alloc_pages_nodes((int)node, 1u << node, 0, PMM_HIGHMEM | PMM_USER);
	int ret = -MM_ENOMEM;

	if (to != PMM_NO_FRAME) {
		as_rmap_object(cm->pc, cm->idx, cm->pa, true);
		ret = pcache_migrate(cm->pc, cm->idx, cm->pa, to);
		if (ret)
			pmm_put(to);
	}
	pmm_put(cm->pa);
	pcache_put(cm->pc);
	as_lock(as);
	if (as_region_find(as, va))
		as_fault_locked(as, va, VM_FAULT_USER);	/* a miss only costs a later fault */
	as_unlock(as);
	return ret ? ret : (int)node;
}

/**
 * as_page_status() - move_pages(2) without nodes: where the page at @va is
 * @as: the space, not locked
 * @va: any address in the page
 *
 * Return: its node, or -MM_EFAULT / -MM_ENOENT as Linux reports them.
 */
int as_page_status(struct as *as, uintptr_t va)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	const struct as_region *r;
	phys_addr_t pa;
	unsigned prot;
	int ret = page_lookup(as, va & PAGE_MASK, &r, &pa, &prot);

	if (!ret)
		ret = (int)pmm_frame_node(pa);
	read_unlock_irqrestore(&as->lock, fl);
	return ret;
}

/**
 * as_move_page() - move_pages(2) for one page: move the page at @va to @node
 * @as: the space, not locked
 * @va: any address in the page
 * @node: an existing node
 * @move_all: MPOL_MF_MOVE_ALL (pages others map too)
 *
 * Return: @node (moved, or there already), or the page's status as Linux
 * gives it: -MM_EFAULT, -MM_ENOENT, -MM_EACCES, -MM_EBUSY, -MM_ENOMEM.
 */
int as_move_page(struct as *as, uintptr_t va, unsigned node, bool move_all)
{
	struct cache_move cm;
	const struct as_region *r;
	phys_addr_t pa;
	unsigned prot;
	int ret;

	if (node >= pmm_node_count())
		return -MM_EINVAL;
	va &= PAGE_MASK;
	as_lock(as);
	ret = page_lookup(as, va, &r, &pa, &prot);
	if (!ret)
		ret = move_to_node(as, r, va, pa, prot, node, move_all, &cm);
	as_unlock(as);
	return ret == MOVE_CACHE ? move_cache_page(as, va, node, &cm) : ret;
}

/* Set bits of a node mask (the kernel is built without popcnt's library helper). */
static unsigned node_weight(unsigned mask)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

/* Linux's node_remap(): the n-th node of @from goes to the (n mod |@to|)-th of @to. */
static unsigned node_remap(unsigned s, unsigned from, unsigned to)
{
	unsigned n = node_weight(from & ((1u << s) - 1)) % node_weight(to);

	while (n--)
		to &= to - 1;
	return (unsigned)__builtin_ctz(to);
}

/* The pages of @as on node @src to @dst: how many could not move. */
static unsigned long move_node(struct as *as, unsigned src, unsigned dst, bool move_all)
{
	unsigned long failed = 0, n = 0;
	uintptr_t va = 0;

	as_lock(as);
	for (;;) {
		uint32_t i = as_region_lower(as, va);
		const struct as_region *r;
		phys_addr_t pa;
		unsigned prot;

		if (i >= as->nr)
			break;
		r = &as->reg[i];
		if (va < r->start)
			va = r->start;
		if (!page_lookup(as, va, &r, &pa, &prot) && pmm_frame_node(pa) == src) {
			struct cache_move cm;
			int got = move_to_node(as, r, va, pa, prot, dst, move_all, &cm);

			if (got == MOVE_CACHE) {
				as_unlock(as);
				got = move_cache_page(as, va, dst, &cm);
				as_lock(as);
			}
			/* Linux leaves pages mapped elsewhere alone without MOVE_ALL. */
			failed += got < 0 && got != -MM_EACCES;
		}
		va += PAGE_SIZE;
		if (!va || va >= AS_TASK_SIZE)
			break;
		if (++n % MIGRATE_BATCH == 0)
			as_lock_break(as);
	}
	as_unlock(as);
	return failed;
}

/**
 * as_migrate_nodes() - migrate_pages(2): every page on nodes @from to nodes @to
 * @as: the space, not locked
 * @from: the old nodes, bit n for node n
 * @to: the new nodes, not empty, every one existing
 * @move_all: move pages other spaces map too (the caller has CAP_SYS_NICE)
 *
 * Nodes pair up as Linux's do_migrate_pages() pairs them, in its order (a
 * node whose pages go to a node still to be emptied waits, unless all do),
 * so pages end up where Linux would put them.
 *
 * Return: the number of pages that could not be moved.
 */
unsigned long as_migrate_nodes(struct as *as, unsigned from, unsigned to, bool move_all)
{
	unsigned left = from, nfrom = node_weight(from);
	unsigned long failed = 0;

	while (left) {
		int src = -1;
		unsigned dst = 0;

		for (unsigned s = 0; s < MM_MAX_NODES; s++) {
			unsigned d;

			if (!(left & (1u << s)) ||
			    (nfrom != node_weight(to) && (to & (1u << s))))
				continue;
			d = node_remap(s, from, to);
			if (d == s)
				continue;
			src = (int)s;
			dst = d;
			if (!(left & (1u << d)))
				break;
		}
		if (src < 0)
			break;
		left &= ~(1u << src);
		failed += move_node(as, (unsigned)src, dst, move_all);
	}
	return failed;
}
