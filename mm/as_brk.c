// SPDX-License-Identifier: MIT
/*
 * brk: the heap is anonymous private memory from start_brk up to the
 * break, rounded up to a page. Growing maps more (fresh pages read as
 * zeroes, so memory given back and taken again is zero), shrinking unmaps.
 * As Linux's raw system call, it answers the break it ends up with: the
 * old one when the request is refused.
 */
#include "as_internal.h"

/* Grow the heap from page @old to page @new: not into a mapping or its guard gap. */
static int heap_grow(struct as *as, uintptr_t old, uintptr_t new)
{
	uint32_t i = as_region_lower(as, old);
	struct as_region r = {
		.start = old,
		.end = new,
		.prot = MM_PROT_READ | MM_PROT_WRITE,
		.flags = AS_R_HEAP,
		.backing = AS_ANON_PRIVATE,
	};

	/* Linux leaves at least a page between the break and the next mapping. */
	if (i < as->nr && new + PAGE_SIZE > as_region_start_gap(&as->reg[i]))
		return -MM_ENOMEM;
	if (new > AS_TASK_SIZE)
		return -MM_ENOMEM;
	/* do_brk_flags(): RLIMIT_AS and RLIMIT_DATA, then the commit policy. */
	if (!as_may_expand(as, r.prot, r.backing, r.flags, (new - old) >> PAGE_SHIFT))
		return -MM_ENOMEM;
	if (as->lock_future && !as_memlock_ok(as, (new - old) >> PAGE_SHIFT))
		return -MM_EAGAIN;
	if (as_charge(as, (new - old) >> PAGE_SHIFT))
		return -MM_ENOMEM;
	r.flags |= AS_R_ACCOUNT;
	/* do_brk_flags(): mm->def_flags, mlockall(MCL_FUTURE)'s lock. */
	if (as->lock_future)
		r.flags |= AS_R_LOCKED | (as->lock_onfault ? AS_R_LOCKONFAULT : 0);
	if (as_map_region(as, &r)) {
		as_uncharge_region(&r);
		return -MM_ENOMEM;
	}
	return 0;
}

static uintptr_t brk_locked(struct as *as, uintptr_t brk)
{
	uintptr_t newbrk = AS_PAGE_ALIGN(brk), oldbrk = AS_PAGE_ALIGN(as->brk);

	if (brk < as->start_brk)
		return as->brk;
	/* check_data_rlimit(): the heap and the data segment within RLIMIT_DATA (shrinking too). */
	if (as->lim.data_cur != AS_RLIM_INFINITY &&
	    (brk - as->start_brk) + as->lim.data_seg > as->lim.data_cur)
		return as->brk;
	if (newbrk == oldbrk) {
		as->brk = brk;
		return brk;
	}
	if (brk <= as->brk) {
		if (as_region_reserve(as, 2))
			return as->brk;
		as_unmap_range(as, newbrk, oldbrk);
		as->brk = brk;
		return brk;
	}
	if (!newbrk || heap_grow(as, oldbrk, newbrk))
		return as->brk;
	as->brk = brk;
	return brk;
}

/**
 * as_brk() - the brk system call, as the kernel (not the C library) has it
 * @as: the space
 * @brk: the new break; 0 or anything below the heap's start asks for the current one
 *
 * Return: the new break, or the unchanged one if the heap cannot be moved
 * there (another mapping in the way, beyond user space, out of memory).
 */
uintptr_t as_brk(struct as *as, uintptr_t brk)
{
	uintptr_t ret, old;
	bool populate;

	as_lock(as);
	old = AS_PAGE_ALIGN(as->brk);
	ret = brk_locked(as, brk);
	/* Grown under mlockall(MCL_FUTURE): the new pages populated (not on fault), as Linux's brk. */
	populate = as->lock_future && !as->lock_onfault && AS_PAGE_ALIGN(ret) > old;
	as_unlock(as);
	if (populate)
		as_populate(as, old, AS_PAGE_ALIGN(ret), true);
	return ret;
}
