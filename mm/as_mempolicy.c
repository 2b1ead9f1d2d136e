// SPDX-License-Identifier: MIT
/*
 * Memory policies of an address space (mm/mempolicy.h): mbind() gives
 * regions their own, the fault path asks which one places a page, and
 * get_mempolicy() reads a region's policy and a page's node.
 *
 * mbind follows Linux's do_mbind(): the range must be mapped without holes
 * (MPOL_DEFAULT: at least partly); MPOL_MF_STRICT alone fails with EIO if a
 * page there already sits on a node outside the given mask, changing
 * nothing; MPOL_MF_MOVE moves such pages, if this space alone maps them, to
 * where the new policy places them (copied with the page write-protected,
 * then remapped), and with STRICT a page that could not be moved is EIO.
 * Shared pages (copy-on-write after fork, page cache) stay where they are,
 * as Linux leaves pages mapped elsewhere under MOVE; unlike Linux, MOVE_ALL
 * does not move them either.
 */
#include "as_internal.h"
#include "highmem.h"

/* Pages looked at per hold of the lock (a space with one user breaks it). */
#define MBIND_BATCH	64

/**
 * as_page_policy() - the policy that places a new private page of region @r
 * @r: the region
 *
 * Return: the region's policy, else the running thread's, else NULL (default).
 */
const struct mm_mempolicy *as_page_policy(const struct as_region *r)
{
	if (r->pol.mode != MM_MPOL_DEFAULT)
		return &r->pol;
	return plat_mempolicy();
}

/*
 * The interleave index of page @va of @r: its index in the file, or for
 * anonymous memory its virtual page number (Linux's anonymous vm_pgoff).
 */
static uint64_t interleave_index(const struct as_region *r, uintptr_t va)
{
	if (r->backing == AS_ANON_PRIVATE || r->backing == AS_ANON_SHARED)
		return va >> PAGE_SHIFT;
	return r->pgoff + ((va - r->start) >> PAGE_SHIFT);
}

/**
 * as_alloc_private_page() - a frame for a private page at @va of @r, placed by policy
 * @r: the region
 * @va: the page
 * @flags: PMM_* flags
 *
 * Return: the frame, or PMM_NO_FRAME.
 */
phys_addr_t as_alloc_private_page(const struct as_region *r, uintptr_t va, unsigned flags)
{
	const struct mm_mempolicy *pol = as_page_policy(r);

	if (!pol)
		return pmm_alloc_pages(0, flags);
	return mpol_alloc_pages(pol, interleave_index(r, va), 0, flags);
}

/* Is [start, end) mapped without holes (@holes_ok: at least partly)? */
static bool range_mapped(const struct as *as, uintptr_t start, uintptr_t end, bool holes_ok)
{
	uint32_t i = as_region_lower(as, start);

	if (i >= as->nr || as->reg[i].start >= end)
		return false;			/* all of it a hole */
	if (holes_ok)
		return true;
	if (as->reg[i].start > start)
		return false;
	for (; as->reg[i].end < end; i++)
		if (i + 1 >= as->nr || as->reg[i + 1].start != as->reg[i].end)
			return false;
	return true;
}

/*
 * The frame of the present, ordinary page at @va, with its PT_* bits: not
 * the zero page (Linux's queue_pages() skips it too). False if none.
 */
static bool page_at(struct as *as, uintptr_t va, phys_addr_t *pa, unsigned *prot)
{
	if (!pt_translate(&as->vs.pt, va, pa, prot, NULL))
		return false;
	*pa &= PAGE_MASK;
	return !as_is_zero_page(*pa);
}

static bool misplaced(phys_addr_t pa, unsigned nodes)
{
	return !(nodes & (1u << pmm_frame_node(pa)));
}

/* Does any page of [start, end) sit outside @nodes? */
static bool any_misplaced(struct as *as, uintptr_t start, uintptr_t end, unsigned nodes)
{
	unsigned n = 0;

	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		phys_addr_t pa;
		unsigned prot;

		if (++n % MBIND_BATCH == 0)
			as_lock_break(as);
		if (page_at(as, va, &pa, &prot) && misplaced(pa, nodes))
			return true;
	}
	return false;
}

/*
 * Move the page at @va of @r to where its policy places it, if only this
 * space has it (as_migrate.c moves it).
 * Return: false if it should have moved but could not (no memory).
 */
static bool move_page(struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t old,
		      unsigned prot)
{
	if ((r->backing != AS_ANON_PRIVATE && r->backing != AS_FILE_PRIVATE) ||
	    pmm_refcount(old) != 1)
		return true;			/* shared: left where it is */
	phys_addr_t pa = as_alloc_private_page(r, va, PMM_HIGHMEM | PMM_USER);

	return pa != PMM_NO_FRAME && !as_migrate_frame(as, r, va, old, prot, pa);
}

/* Move the pages of [start, end) outside @nodes; the number that could not move. */
static unsigned move_misplaced(struct as *as, uintptr_t start, uintptr_t end, unsigned nodes)
{
	unsigned failed = 0, n = 0;

	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		const struct as_region *r;
		phys_addr_t pa;
		unsigned prot;

		if (++n % MBIND_BATCH == 0)
			as_lock_break(as);
		r = as_region_find(as, va);
		if (r && page_at(as, va, &pa, &prot) && misplaced(pa, nodes) &&
		    !move_page(as, r, va, pa, prot))
			failed++;
	}
	return failed;
}

/* Give every region in [start, end) policy @pol, splitting and merging. */
static int set_policy(struct as *as, uintptr_t start, uintptr_t end,
		      const struct mm_mempolicy *pol)
{
	int err = as_region_reserve(as, 2);

	if (err)
		return err;
	as_region_split(as, start);
	as_region_split(as, end);
	for (uint32_t i = as_region_lower(as, start); i < as->nr && as->reg[i].start < end; i++)
		as->reg[i].pol = *pol;
	as_region_merge_range(as, start, end);
	return 0;
}

/**
 * as_mbind() - the mbind system call
 * @as: the space
 * @start: page-aligned start
 * @len: bytes, rounded up to pages; 0 does nothing
 * @req: the policy asked for (mode and flags from mpol_sanitize(), node mask)
 * @flags: MM_MPOL_MF_*
 * @may_move_all: the caller may use MM_MPOL_MF_MOVE_ALL (CAP_SYS_NICE)
 *
 * Errors, in Linux's order: EINVAL (unknown flags), EPERM (MOVE_ALL not
 * allowed), EINVAL (unaligned start, the range wraps; then mpol_new()'s),
 * ENOMEM (a split found no memory), EFAULT (a hole in the range, or all of
 * it for MPOL_DEFAULT), EIO (STRICT: a page outside the nodes that was not
 * moved).
 *
 * Return: 0 or a negated error.
 */
int as_mbind(struct as *as, uintptr_t start, uint64_t len, const struct mpol_request *req,
	     unsigned flags, bool may_move_all)
{
	struct mm_mempolicy pol;
	unsigned nodes = req->nwords ? (unsigned)(req->mask[0] & ((1u << MM_MAX_NODES) - 1)) : 0;
	uint64_t end;
	int err;

	if (flags & ~MM_MPOL_MF_VALID)
		return -MM_EINVAL;
	if ((flags & MM_MPOL_MF_MOVE_ALL) && !may_move_all)
		return -MM_EPERM;
	if (start & ~PAGE_MASK)
		return -MM_EINVAL;
	if (req->mode == MM_MPOL_DEFAULT)
		flags &= ~MM_MPOL_MF_STRICT;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;	/* wraps like Linux's */
	end = start + len;
	if (end < start)
		return -MM_EINVAL;
	if (end == start)
		return 0;
	err = mpol_new(&pol, req->mode, req->flags, req->mask, req->nwords);
	if (err)
		return err;
	as_lock(as);
	if (!range_mapped(as, start, end, pol.mode == MM_MPOL_DEFAULT))
		err = -MM_EFAULT;
	else if ((flags & MM_MPOL_MF_STRICT) && !(flags & (MM_MPOL_MF_MOVE | MM_MPOL_MF_MOVE_ALL)) &&
		 any_misplaced(as, start, end, nodes))
		err = -MM_EIO;
	else
		err = set_policy(as, start, end, &pol);
	if (!err && (flags & (MM_MPOL_MF_MOVE | MM_MPOL_MF_MOVE_ALL)) &&
	    move_misplaced(as, start, end, nodes) && (flags & MM_MPOL_MF_STRICT))
		err = -MM_EIO;
	as_unlock(as);
	return err;
}

/**
 * as_get_policy() - the policy mbind() gave the region at @addr
 * @as: the space, not locked
 * @addr: any address in the region
 * @pol: out: its policy (MPOL_DEFAULT if none: the thread's is not looked at)
 *
 * Return: 0, or -MM_EFAULT if no region holds @addr.
 */
int as_get_policy(struct as *as, uintptr_t addr, struct mm_mempolicy *pol)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	const struct as_region *r = as_region_find(as, addr);

	if (r)
		*pol = r->pol;
	read_unlock_irqrestore(&as->lock, fl);
	return r ? 0 : -MM_EFAULT;
}

/**
 * as_page_node() - the NUMA node of the page at @addr (get_mempolicy's MPOL_F_NODE|MPOL_F_ADDR)
 * @as: the space, not locked
 * @addr: any address in the page
 *
 * A page not present is faulted in for reading first, as Linux's
 * get_user_pages() does (untouched anonymous memory: the zero page).
 *
 * Return: the node, or -MM_EFAULT (no region, PROT_NONE, the fault failed),
 * -MM_ENOMEM.
 */
int as_page_node(struct as *as, uintptr_t addr)
{
	struct swap_io io = { .pa = PMM_NO_FRAME };
	uintptr_t va = addr & PAGE_MASK;
	const struct as_region *r;
	phys_addr_t pa;
	int ret;

	if (addr >= AS_TASK_SIZE)
		return -MM_EFAULT;
	do {
		ret = -MM_EFAULT;
		io.need = false;
		as_lock(as);
		r = as_region_find(as, va);
		if (r && r->prot != MM_PROT_NONE) {
			enum vm_fault_result res = VM_FAULT_RESOLVED;

			if (!pt_translate(&as->vs.pt, va, &pa, NULL, NULL))
				res = as_fault_locked_io(as, va, VM_FAULT_USER, &io);
			if (res == VM_FAULT_OOM)
				ret = -MM_ENOMEM;
			else if (res == VM_FAULT_RESOLVED && pt_translate(&as->vs.pt, va, &pa, NULL, NULL))
				ret = (int)pmm_frame_node(pa & PAGE_MASK);
		}
		as_unlock(as);
		/* A page swapped to a disk: read with no lock held, then look again. */
		if (io.need) {
			int err = as_swap_io(&io);

			if (err)
				ret = err == -MM_ENOMEM ? -MM_ENOMEM : -MM_EFAULT;
			else
				io.need = true;
		}
	} while (io.need);
	as_swap_io_done(&io);
	return ret;
}
