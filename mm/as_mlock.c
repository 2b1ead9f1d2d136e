// SPDX-License-Identifier: MIT
/*
 * mlock, munlock, mlockall and munlockall with Linux's rules (mm/mlock.c).
 * Nothing here is ever swapped out, so locking means what Linux makes
 * visible besides residency: the range must be mapped without holes, its
 * pages are populated now, locked regions refuse MADV_DONTNEED, and fork
 * does not pass locks on. Locking on fault (mlock2's MLOCK_ONFAULT,
 * mlockall's MCL_ONFAULT) is AS_R_LOCKED with AS_R_LOCKONFAULT, Linux's
 * VM_LOCKED with VM_LOCKONFAULT: nothing populates such a region (nor
 * breaks its copy-on-write), and it does not merge with one locked
 * outright. RLIMIT_MEMLOCK is the space's lim.memlock (unlimited for a
 * process with CAP_IPC_LOCK's rights): 0 refuses every lock (EPERM),
 * locking past it is ENOMEM.
 *
 * mlockall and munlockall change every region of the space: they take the
 * lock (interrupts off) for a bounded batch of regions at a time, with a
 * preemption point between, as as_populate() does for pages. An unlock's
 * lru_rescue_unevictable() (every unevictable page of the machine moved)
 * runs after the space's lock is dropped: it keeps interrupts off only for a
 * batch of pages at a time.
 */
#include "as_internal.h"
#include "lru.h"

/* Regions mlockall and munlockall change per hold of the lock. */
#define LOCKALL_BATCH	32

/* The lock flags a region may have: none, AS_R_LOCKED, or both (VM_LOCKED_MASK). */
#define LOCK_MASK	(AS_R_LOCKED | AS_R_LOCKONFAULT)

/*
 * Set the lock flags to @lock (0, AS_R_LOCKED or LOCK_MASK) from @start up
 * to the first hole or @end, as apply_vma_lock_flags(): 0, or -MM_ENOMEM if
 * there was a hole (the regions before it changed) or no memory for a
 * split. *@unlocked is set if a locked region was unlocked.
 */
static int set_locked(struct as *as, uintptr_t start, uintptr_t end, uint32_t lock, bool *unlocked)
{
	uintptr_t cur = start;
	struct as_region *r;
	bool was_locked = false;
	int err;

	while (cur < end && (r = as_region_find(as, cur))) {
		was_locked |= (r->flags & AS_R_LOCKED) != 0;
		cur = MM_MIN(r->end, end);
	}
	if (cur == start)
		return -MM_ENOMEM;
	err = as_region_set_flags(as, start, cur, LOCK_MASK, lock);
	*unlocked = !err && !lock && was_locked;
	return err ? err : cur < end ? -MM_ENOMEM : 0;
}

/*
 * mlock's and munlock's range: page-aligned, the offset of @addr added to
 * @len. @lock as set_locked()'s; only AS_R_LOCKED alone populates.
 */
static int lock_range(struct as *as, uintptr_t addr, uint64_t len, uint32_t lock)
{
	uintptr_t start = addr & PAGE_MASK;
	uintptr_t end = start + AS_PAGE_ALIGN(len + (addr & ~PAGE_MASK));
	unsigned long fl;
	bool unlocked = false;
	int err;

	if (end < start)
		return -MM_EINVAL;
	if (end == start)
		return 0;
	fl = write_lock_irqsave(&as->lock);
	/* do_mlock(): what is locked already in the range does not count twice. */
	if (lock && !as_memlock_ok(as, (end - start) >> PAGE_SHIFT) &&
	    !as_memlock_ok(as, ((end - start) >> PAGE_SHIFT) - as_pages_in(as, start, end, true))) {
		write_unlock_irqrestore(&as->lock, fl);
		return -MM_ENOMEM;
	}
	err = set_locked(as, start, end, lock, &unlocked);
	write_unlock_irqrestore(&as->lock, fl);
	if (unlocked)
		lru_rescue_unevictable();	/* its pages may be evictable now */
	if (err || lock != AS_R_LOCKED)
		return err;
	err = as_populate(as, start, end, false);
	/* __mlock_posix_error_return(): what POSIX wants mlock to say. */
	if (err == -MM_EFAULT)
		return -MM_ENOMEM;
	return err == -MM_ENOMEM ? -MM_EAGAIN : err;
}

/**
 * as_mlock() - the mlock and mlock2 system calls
 * @as: the space
 * @addr: any address; the range starts at its page
 * @len: bytes from @addr
 * @flags: MM_MLOCK_ONFAULT or 0
 *
 * Errors: EINVAL (unknown flags, wrapping range), ENOMEM (a hole in the
 * range, or a page that cannot be populated, e.g. PROT_NONE), EAGAIN (out
 * of memory while populating).
 *
 * Return: 0 or a negated error.
 */
int as_mlock(struct as *as, uintptr_t addr, uint64_t len, unsigned long flags)
{
	if (flags & ~(unsigned long)MM_MLOCK_ONFAULT)
		return -MM_EINVAL;
	if (!as->lim.memlock)
		return -MM_EPERM;		/* can_do_mlock() */
	return lock_range(as, addr, len, (flags & MM_MLOCK_ONFAULT) ? LOCK_MASK : AS_R_LOCKED);
}

/**
 * as_munlock() - the munlock system call
 * @as: the space
 * @addr: any address; the range starts at its page
 * @len: bytes from @addr
 *
 * Return: 0, -MM_EINVAL (wrapping range), -MM_ENOMEM (a hole).
 */
int as_munlock(struct as *as, uintptr_t addr, uint64_t len)
{
	return lock_range(as, addr, len, 0);
}

/*
 * The lock flags set to @lock (as set_locked()'s) on every region,
 * LOCKALL_BATCH regions per hold of the lock, each batch ending where a
 * region starts (so nothing splits there). A region another thread maps
 * meanwhile is changed if the walk has not passed its address yet, as if it
 * had been there before the call.
 * Unlocking, the pages are rescued once at the end (even after an error),
 * with no lock held.
 *
 * Return: 0, -MM_ENOMEM (no memory for a split: the regions before it stay
 * changed), -MM_EINTR (killed between two batches).
 */
static int set_locked_all(struct as *as, uint32_t lock)
{
	uintptr_t va = 0;
	bool unlocked = false;
	int err;

	for (;;) {
		unsigned long fl = write_lock_irqsave(&as->lock);
		uint32_t i = as_region_lower(as, va);
		uintptr_t end = AS_TASK_SIZE;
		bool was_locked = false;

		err = 0;
		if (i + LOCKALL_BATCH < as->nr)
			end = MM_MIN(as->reg[i + LOCKALL_BATCH].start, end);
		for (uint32_t j = i; !lock && j < as->nr && as->reg[j].start < end; j++)
			was_locked |= (as->reg[j].flags & AS_R_LOCKED) != 0;
		if (i < as->nr && as->reg[i].start < end)
			err = as_region_set_flags(as, va, end, LOCK_MASK, lock);
		unlocked |= !err && was_locked;

		write_unlock_irqrestore(&as->lock, fl);
		if (err || end >= AS_TASK_SIZE)
			break;
		va = end;
		if (plat_preempt_point()) {
			err = -MM_EINTR;
			break;
		}
	}
	if (unlocked)
		lru_rescue_unevictable();	/* their pages may be evictable now */
	return err;
}

/**
 * as_mlockall() - the mlockall system call
 * @as: the space
 * @flags: MM_MCL_CURRENT (lock and populate what is mapped), MM_MCL_FUTURE
 *	   (lock what gets mapped later), MM_MCL_ONFAULT (do not populate)
 *
 * Return: 0, -MM_EINVAL (no flag, unknown flags, MCL_ONFAULT alone),
 * -MM_ENOMEM (no memory to split a region), -MM_EINTR (killed while
 * locking or populating).
 */
int as_mlockall(struct as *as, unsigned long flags)
{
	const unsigned long known = MM_MCL_CURRENT | MM_MCL_FUTURE | MM_MCL_ONFAULT;
	unsigned long fl;
	int err = 0;

	if (!flags || (flags & ~known) || flags == MM_MCL_ONFAULT)
		return -MM_EINVAL;
	if (!as->lim.memlock)
		return -MM_EPERM;		/* can_do_mlock() */
	fl = write_lock_irqsave(&as->lock);
	if ((flags & MM_MCL_CURRENT) && as->total_vm > as->lim.memlock >> PAGE_SHIFT) {
		write_unlock_irqrestore(&as->lock, fl);
		return -MM_ENOMEM;
	}
	/* apply_mlockall_flags(): the future's flags replaced, on fault only with MCL_FUTURE. */
	as->lock_future = (flags & MM_MCL_FUTURE) != 0;
	as->lock_onfault = as->lock_future && (flags & MM_MCL_ONFAULT);
	write_unlock_irqrestore(&as->lock, fl);
	if (!(flags & MM_MCL_CURRENT))
		return 0;
	err = set_locked_all(as, (flags & MM_MCL_ONFAULT) ? LOCK_MASK : AS_R_LOCKED);
	if (err || (flags & MM_MCL_ONFAULT))
		return err;
	err = as_populate(as, 0, AS_TASK_SIZE, true);
	return err == -MM_EINTR ? err : 0;	/* mm_populate() ignores the rest */
}

/**
 * as_munlockall() - the munlockall system call: every lock, present and future, off
 * @as: the space
 *
 * Return: 0, -MM_ENOMEM (no memory for the region set), -MM_EINTR (killed).
 */
int as_munlockall(struct as *as)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	as->lock_future = false;
	as->lock_onfault = false;
	write_unlock_irqrestore(&as->lock, fl);
	return set_locked_all(as, 0);
}
