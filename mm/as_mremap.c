// SPDX-License-Identifier: MIT
/*
 * mremap with Linux's rules (mm/mremap.c): shrinking unmaps the tail,
 * growing extends in place when nothing is in the way, and otherwise, with
 * MREMAP_MAYMOVE, the pages move - their page-table entries, not their
 * contents - to a new place. MREMAP_FIXED picks the place (unmapping what
 * was there), MREMAP_DONTUNMAP leaves the old region behind, empty (and
 * unlocked: a lock goes with the pages).
 */
#include "as_internal.h"

#define MREMAP_KNOWN	(MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP)

struct leaf {
	uintptr_t va;
	phys_addr_t pa;
	unsigned prot;
};

static int first_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct leaf *l = ctx;

	*l = (struct leaf){ va, pa, size == PT_SIZE_SWAP ? ~0u : prot & PT_PROT_MASK };
	return 1;
}

/* The first present or swapped page in [from, to), if any (a swap entry: prot ~0u). */
static bool next_present(struct as *as, uintptr_t from, uintptr_t to, struct leaf *l)
{
	return from < to && pt_walk_all(&as->vs.pt, from, to, first_leaf, l) == 1;
}

static int private_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	(void)va, (void)prot, (void)ctx;
	return size == PT_SIZE_SWAP || !as_is_zero_page(pa);
}

/*
 * Has region @r never had a private page? Linux's test is "no anon_vma"; a
 * page of ours without an identity (none should exist) keeps its index too.
 */
static bool never_written(struct as *as, const struct as_region *r)
{
	return r->backing == AS_ANON_PRIVATE && !r->anon &&
	       pt_walk_all(&as->vs.pt, r->start, r->end, private_leaf, NULL) != 1;
}

/*
 * Move the entries of [from, from + len) to @to: all or none. The frames'
 * references, and swap entries' slot references, move with them.
 */
static int move_pages(struct as *as, uintptr_t from, uint64_t len, uintptr_t to)
{
	struct leaf l;
	uintptr_t va = from;

	if (!len)
		return 0;
	for (unsigned n = 1; next_present(as, va, from + len, &l); n++) {
		uintptr_t dst = to + (l.va - from);
		int err = l.prot == ~0u ? pt_swp_set(&as->vs.pt, dst, (uint32_t)l.pa) :
			  pt_map(&as->vs.pt, dst, l.pa, PAGE_SIZE, l.prot, 0);

		if (err) {
			if (l.va > from)
				pt_unmap(&as->vs.pt, to, l.va - from, NULL, NULL);
			return -MM_ENOMEM;
		}
		va = l.va + PAGE_SIZE;
		if (n % 64 == 0)
			as_lock_break(as);	/* the pages are in both places: nobody else looks */
	}
	/* The old entries go without their references, which moved; batch by batch too. */
	for (uintptr_t cur = from, stop; as_next_batch(as, cur, from + len, &va, &stop); cur = stop) {
		as_pt_wait_irqs(as, true);
		pt_unmap(&as->vs.pt, va, stop - va, NULL, NULL);
		as_pt_wait_irqs(as, false);
		as_lock_break(as);
	}
	return 0;
}

/* Linux's vma_to_resize(): the region [addr, addr + old_len) lies in, or an error. */
static long resize_check(struct as *as, uintptr_t addr, uint64_t old_len, uint64_t new_len)
{
	struct as_region *r = as_region_find(as, addr);

	if (!r)
		return -MM_EFAULT;
	if (!old_len && r->backing != AS_ANON_SHARED && r->backing != AS_FILE_SHARED)
		return -MM_EINVAL;
	if (old_len > r->end - addr)
		return -MM_EFAULT;
	if (new_len == old_len)
		return r - as->reg;
	if (r->pgoff + ((addr - r->start) >> PAGE_SHIFT) + (new_len >> PAGE_SHIFT) < r->pgoff)
		return -MM_EINVAL;
	if (new_len > old_len) {
		uint64_t more = (new_len - old_len) >> PAGE_SHIFT;

		if ((r->flags & AS_R_LOCKED) && !as_memlock_ok(as, more))
			return -MM_EAGAIN;	/* mlock_future_check() */
		if (!as_may_expand(as, r->prot, r->backing, r->flags, more))
			return -MM_ENOMEM;	/* RLIMIT_AS, RLIMIT_DATA */
	}
	return r - as->reg;
}

/* A whole region left behind empty loses its identity (move_vma(): unlink_anon_vmas()). */
static void forget_identity(struct as_region *r, uintptr_t addr, uint64_t len)
{
	if (r && r->start == addr && r->end == addr + len)
		r->anon = 0;
}

/*
 * MREMAP_DONTUNMAP of a locked range: the range left behind is locked no
 * more (move_vma() clears VM_LOCKED and VM_LOCKONFAULT on it, and only on
 * it: what is around it stays locked), and its share of locked_vm went with
 * the pages to the new region, so the count is what it was before the move.
 * No merge, as Linux changes the flags in place. Room for the two splits
 * was reserved by move().
 */
static void unlock_left_behind(struct as *as, uintptr_t addr, uint64_t len)
{
	struct as_region *r = as_region_find(as, addr);

	if (!r || !(r->flags & AS_R_LOCKED))
		return;
	as_region_split(as, addr);
	as_region_split(as, addr + len);
	r = as_region_find(as, addr);
	as_vm_account(as, r, -1);
	r->flags &= ~(AS_R_LOCKED | AS_R_LOCKONFAULT);
	as_vm_account(as, r, 1);
}

/* Move [addr, addr + old_len) of region @i to [new_addr, new_addr + new_len). */
static long move(struct as *as, uint32_t i, uintptr_t addr, uint64_t old_len, uintptr_t new_addr,
		 uint64_t new_len, unsigned long flags)
{
	struct as_region n = as->reg[i];
	int err = as_region_reserve(as, 4);

	if (err)
		return err;
	/*
	 * An anonymous region that never had a private page (no anon_vma;
	 * zero-page reads do not count) is placed anew: its offset follows its
	 * new address (copy_vma()), so it merges with its new neighbours as a
	 * fresh mapping would.
	 */
	bool fresh = never_written(as, &n);

	n.pgoff = fresh ? new_addr >> PAGE_SHIFT : n.pgoff + ((addr - n.start) >> PAGE_SHIFT);
	n.start = new_addr;
	n.end = new_addr + new_len;
	n.flags &= ~(AS_R_HEAP | AS_R_STACK | AS_R_WSTACK);
	/* Win32 pages moved away are an allocation of their own (VirtualQuery's AllocationBase). */
	if (n.alloc_base)
		n.alloc_base = new_addr;
	/* The new region is charged whole; the old range's charge goes when it is unmapped. */
	if ((n.flags & AS_R_ACCOUNT) && as_charge(as, new_len >> PAGE_SHIFT))
		return -MM_ENOMEM;
	err = move_pages(as, addr, old_len, new_addr);
	if (err) {
		as_uncharge_region(&n);
		return err;
	}
	as_region_ref(&n);
	if (n.backing == AS_ANON_PRIVATE && !fresh)
		as->anon_moved = true;	/* its pages keep their index, not their address */
	if (!(flags & MM_MREMAP_DONTUNMAP) && old_len)
		as_unmap_range(as, addr, addr + old_len);
	else if (old_len)
		forget_identity(as_region_find(as, addr), addr, old_len);
	uint32_t at = as_region_insert(as, &n);
	/*
	 * Linux 6.1 joins a MREMAP_DONTUNMAP copy to neither neighbour when one
	 * of them is the region it left (measured: below it, above it, or in a
	 * hole cut in it), though it joins other alike neighbours.
	 */
	if ((flags & MM_MREMAP_DONTUNMAP) && old_len) {
		const struct as_region *src = as_region_find(as, addr);

		if (!src || (src->end != n.start && src->start != n.end))
			as_region_merge(as, at);
		unlock_left_behind(as, addr, old_len);
		return (long)new_addr;
	}
	as_region_merge(as, at);
	return (long)new_addr;
}

/* Would munmap(@start, @len) pass its argument checks? */
static bool unmap_ok(uintptr_t start, uint64_t len)
{
	return start <= AS_TASK_SIZE && len <= AS_TASK_SIZE - start;
}

/* Linux's mremap_to(): MREMAP_FIXED or MREMAP_DONTUNMAP. */
static long remap_to(struct as *as, uintptr_t addr, uint64_t old_len, uintptr_t new_addr,
		     uint64_t new_len, unsigned long flags)
{
	long ret;

	if (new_addr & ~PAGE_MASK)
		return -MM_EINVAL;
	if (new_len > AS_TASK_SIZE || new_addr > AS_TASK_SIZE - new_len)
		return -MM_EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -MM_EINVAL;
	if (as->nr + 2 >= AS_MAX_MAP_COUNT - 3 || as_region_reserve(as, 4))
		return -MM_ENOMEM;
	if (flags & MM_MREMAP_FIXED) {
		if (new_addr < AS_MMAP_MIN_ADDR)
			return -MM_EPERM;
		as_unmap_range(as, new_addr, new_addr + new_len);
	}
	if (old_len > new_len) {
		/* do_munmap()'s checks: a tail beyond user space is EINVAL, nothing unmapped. */
		if (!unmap_ok(addr + new_len, old_len - new_len))
			return -MM_EINVAL;
		as_unmap_range(as, addr + new_len, addr + old_len);
		old_len = new_len;
	}
	ret = resize_check(as, addr, old_len, new_len);
	if (ret < 0)
		return ret;
	if (!(flags & MM_MREMAP_FIXED)) {
		long a = as_get_area(as, new_addr, new_len, 0);

		if (as_is_err(a))
			return a;
		new_addr = (uintptr_t)a;
	}
	return move(as, (uint32_t)ret, addr, old_len, new_addr, new_len, flags);
}

/* Grow region @i, ending at @addr + @old_len, in place if nothing is in the way. */
static bool grow_in_place(struct as *as, uint32_t i, uintptr_t addr, uint64_t new_len)
{
	if (addr > AS_TASK_SIZE - new_len)
		return false;
	if (i + 1 < as->nr && as->reg[i + 1].start < addr + new_len)
		return false;
	if ((as->reg[i].flags & AS_R_ACCOUNT) &&
	    as_charge(as, (addr + new_len - as->reg[i].end) >> PAGE_SHIFT))
		return false;
	as_vm_account(as, &as->reg[i], -1);
	as->reg[i].end = addr + new_len;
	as_vm_account(as, &as->reg[i], 1);
	as_gaps_dirty(as, i + 1);
	as_region_merge_next(as, i);	/* vma_merge() of the extension: the next region only */
	return true;
}

static long mremap_locked(struct as *as, uintptr_t addr, uint64_t old_len, uint64_t new_len,
			  unsigned long flags, uintptr_t new_addr)
{
	long ret;
	long a;

	/* The source must be mapped before anything else happens (vma_lookup() first). */
	if (!as_region_find(as, addr))
		return -MM_EFAULT;
	if (flags & (MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP))
		return remap_to(as, addr, old_len, new_addr, new_len, flags);
	if (old_len >= new_len) {
		/* Shrinking is always allowed, past the region too. */
		if (old_len != new_len) {
			if (!unmap_ok(addr + new_len, old_len - new_len))
				return -MM_EINVAL;
			if (as_region_reserve(as, 2))
				return -MM_ENOMEM;
			as_unmap_range(as, addr + new_len, addr + old_len);
		}
		return (long)addr;
	}
	ret = resize_check(as, addr, old_len, new_len);
	if (ret < 0)
		return ret;
	if (old_len && old_len == as->reg[ret].end - addr &&
	    grow_in_place(as, (uint32_t)ret, addr, new_len))
		return (long)addr;
	if (!(flags & MM_MREMAP_MAYMOVE))
		return -MM_ENOMEM;
	a = as_get_area(as, 0, new_len, 0);
	if (as_is_err(a))
		return a;
	return move(as, (uint32_t)ret, addr, old_len, (uintptr_t)a, new_len, flags);
}

/**
 * as_mremap() - the mremap system call
 * @as: the space
 * @addr: page-aligned start of the old range, inside one region
 * @old_len: bytes (rounded up); 0 with MREMAP_MAYMOVE duplicates a shared mapping
 * @new_len: bytes (rounded up); non-zero
 * @flags: MM_MREMAP_MAYMOVE, _FIXED (needs MAYMOVE), _DONTUNMAP (needs
 *	   MAYMOVE and equal lengths)
 * @new_addr: with MREMAP_FIXED: where to; with DONTUNMAP alone: a hint
 *
 * Errors: EINVAL (bad flags, unaligned, zero new length, overlapping fixed
 * target, old length 0 of a private mapping), EFAULT (the old range is not
 * one mapping), ENOMEM (cannot grow in place without MAYMOVE, no room, no
 * memory), EPERM (fixed target in the null guard).
 *
 * Return: the new address, or a negated error.
 */
long as_mremap(struct as *as, uintptr_t addr, uint64_t old_len, uint64_t new_len,
	       unsigned long flags, uintptr_t new_addr)
{
	long ret;

	if (flags & ~(unsigned long)MREMAP_KNOWN)
		return -MM_EINVAL;
	if ((flags & MM_MREMAP_FIXED) && !(flags & MM_MREMAP_MAYMOVE))
		return -MM_EINVAL;
	if ((flags & MM_MREMAP_DONTUNMAP) && (!(flags & MM_MREMAP_MAYMOVE) || old_len != new_len))
		return -MM_EINVAL;
	if (addr & ~PAGE_MASK)
		return -MM_EINVAL;
	old_len = AS_PAGE_ALIGN(old_len);
	new_len = AS_PAGE_ALIGN(new_len);
	if (!new_len)
		return -MM_EINVAL;
	/* Linux 6.17 and later check this first (earlier ones said ENOMEM later on). */
	if (new_len > AS_TASK_SIZE)
		return -MM_EINVAL;
	as_lock(as);
	ret = mremap_locked(as, addr, old_len, new_len, flags, new_addr);
	/* A locked region that grew has its new pages populated (not one locked on fault). */
	const struct as_region *r = as_is_err(ret) ? NULL : as_region_find(as, (uintptr_t)ret);
	bool populate = r && new_len > old_len &&
			(r->flags & (AS_R_LOCKED | AS_R_LOCKONFAULT)) == AS_R_LOCKED;

	as_unlock(as);
	if (populate)
		as_populate(as, (uintptr_t)ret + old_len, (uintptr_t)ret + new_len, true);
	return ret;
}
