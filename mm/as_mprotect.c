// SPDX-License-Identifier: MIT
/*
 * mprotect with Linux's rules (do_mprotect_pkey()): regions are changed in
 * address order, split where the range cuts them, merged where they become
 * alike; a hole stops the walk with ENOMEM, leaving the regions before it
 * changed, as on Linux.
 */
#include "as_internal.h"

#define PROT_KNOWN	(MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC | MM_PROT_SEM)
#define PROT_ACCESS	(MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC)

/**
 * as_protect_pages() - give the pages of [@start, @end) page-table protections @prot
 * @as: the space, locked
 * @start: page-aligned
 * @end: page-aligned
 * @prot: PT_* bits
 *
 * Batch by batch, skipping what is not mapped, with lock breaks between.
 */
void as_protect_pages(struct as *as, uintptr_t start, uintptr_t end, unsigned prot)
{
	uintptr_t va, stop;

	while (as_next_batch(as, start, end, &va, &stop)) {
		as_pt_wait_irqs(as, true);
		int err = pt_protect(&as->vs.pt, va, stop - va, prot);

		as_pt_wait_irqs(as, false);
		if (err)
			plat_panic("as: mprotect of 4 KiB pages failed: %d", err);
		start = stop;
		if (start < end)
			as_lock_break(as);
	}
}

/* The span of the locked private regions an mprotect made writable. */
struct made_writable {
	uintptr_t lo, hi;
};

/*
 * The key a region gets (Linux's arch_override_mprotect_pkey()): the
 * caller's if pkey_mprotect named one; the execute-only key for exactly
 * PROT_EXEC (@prot as given, PROT_SEM included) if there is one to have;
 * key 0 for a region leaving execute-only; else the region's own.
 */
static int region_key(struct as *as, const struct as_region *r, unsigned long prot, int pkey,
		      unsigned nkeys)
{
	if (pkey >= 0)
		return pkey;
	if (prot == MM_PROT_EXEC) {
		int xo = as_pkey_exec_only_locked(as, nkeys);

		if (xo > 0)
			return xo;
	} else if (r->prot == MM_PROT_EXEC && (int)r->pkey == as->xo_pkey) {
		return 0;
	}
	return r->pkey;
}

/*
 * Give [start, end) of region @i protection @prot. Private pages lose write
 * permission: the next write faults, and as_fault() gives it back after
 * copying if the frame is shared copy-on-write.
 */
static int change(struct as *as, uintptr_t start, uintptr_t end, unsigned long asked, int pkey,
		  unsigned nkeys, uintptr_t *next, struct made_writable *mw)
{
	struct as_region *r = as_region_find(as, start);
	uint32_t prot = (uint32_t)(asked & PROT_ACCESS);
	uint32_t i;
	int err;

	end = MM_MIN(end, r->end);
	*next = end;
	pkey = region_key(as, r, asked, pkey, nkeys);
	if (r->prot == prot && r->pkey == pkey)
		return 0;
	if ((prot & MM_PROT_WRITE) && (r->flags & AS_R_NOMAYWRITE))
		return -MM_EACCES;
	err = as_region_reserve(as, 2);
	if (err)
		return err;
	r = as_region_find(as, start);	/* the reserve may have moved the region array */
	/* mprotect_fixup(): becoming writable may not pass RLIMIT_DATA. */
	uint64_t pages = (end - start) >> PAGE_SHIFT;
	if ((prot & MM_PROT_WRITE) && !as_may_expand(as, prot, r->backing, r->flags, pages) &&
	    as_may_expand(as, r->prot, r->backing, r->flags, pages))
		return -MM_ENOMEM;
	/* Private memory becoming writable is committed now, unless MAP_NORESERVE (mprotect_fixup()). */
	bool charge = !(r->flags & AS_R_ACCOUNT) && as_accountable(r->backing, prot, r->flags & AS_R_NORESERVE) &&
		      !(r->prot & MM_PROT_WRITE);
	/* Win32: reserved pages made accessible are committed; committed ones are charged. */
	if (r->alloc_base)
		charge = r->backing == AS_ANON_PRIVATE && (r->flags & AS_R_RESERVED) &&
			 prot != MM_PROT_NONE;
	if (charge && as_charge(as, (end - start) >> PAGE_SHIFT))
		return -MM_ENOMEM;
	as_region_split(as, start);
	as_region_split(as, end);
	i = as_region_lower(as, start);
	r = &as->reg[i];
	as_vm_account(as, r, -1);
	if ((r->flags & AS_R_LOCKED) && !(r->prot & MM_PROT_WRITE) && (prot & MM_PROT_WRITE) &&
	    (r->backing == AS_ANON_PRIVATE || r->backing == AS_FILE_PRIVATE)) {
		mw->lo = MM_MIN(mw->lo, r->start);
		mw->hi = MM_MAX(mw->hi, r->end);
	}
	r->prot = prot;
	r->pkey = (uint8_t)pkey;
	if (charge)
		r->flags |= AS_R_ACCOUNT;
	if (r->alloc_base)
		as_win32_protected(r);
	as_vm_account(as, r, 1);
	as_protect_pages(as, r->start, r->end, as_pte_prot(r, false));
	as_region_merge(as, i);
	return 0;
}

static int mprotect_locked(struct as *as, uintptr_t start, uintptr_t end, unsigned long prot,
			   int pkey, unsigned nkeys, unsigned long grows, struct made_writable *mw)
{
	uint32_t i = as_region_lower(as, start);
	uintptr_t cur;

	if (i >= as->nr || as->reg[i].start >= end)
		return -MM_ENOMEM;
	if (grows & MM_PROT_GROWSDOWN) {
		start = as->reg[i].start;
		if (!(as->reg[i].flags & AS_R_GROWSDOWN))
			return -MM_EINVAL;
	} else if (as->reg[i].start > start) {
		return -MM_ENOMEM;	/* a hole at the start: before GROWSUP's check, as Linux */
	} else if (grows & MM_PROT_GROWSUP) {
		return -MM_EINVAL;	/* no region grows up on x86 */
	}
	for (cur = start; cur < end;) {
		int err;

		if (!as_region_find(as, cur))
			return -MM_ENOMEM;
		err = change(as, cur, end, prot, pkey, nkeys, &cur, mw);
		if (err)
			return err;
	}
	return 0;
}

/* A locked (not on fault) private region, writable now: copy-on-write is broken up front. */
static bool locked_private_writable(const struct as_region *r)
{
	return (r->flags & (AS_R_LOCKED | AS_R_LOCKONFAULT)) == AS_R_LOCKED && (r->prot & MM_PROT_WRITE) &&
	       (r->backing == AS_ANON_PRIVATE || r->backing == AS_FILE_PRIVATE);
}

/*
 * mprotect_fixup(): a locked private region made writable has its pages
 * written now, as mlock would have, so that later writes do not fault and
 * a private file page stops following the file. @lo..@hi spans the regions
 * this call made writable; the lock is dropped between regions
 * (as_populate() takes it in batches); a locked region between them that
 * was writable already has nothing left to copy and costs only a walk.
 */
static void populate_made_writable(struct as *as, uintptr_t lo, uintptr_t hi)
{
	while (lo < hi) {
		unsigned long fl = write_lock_irqsave(&as->lock);
		uint32_t i = as_region_lower(as, lo);
		uintptr_t s = hi, e = hi;

		for (; i < as->nr && as->reg[i].start < hi; i++)
			if (locked_private_writable(&as->reg[i])) {
				s = MM_MAX(lo, as->reg[i].start);
				e = MM_MIN(hi, as->reg[i].end);
				break;
			}
		write_unlock_irqrestore(&as->lock, fl);
		if (s < e) {
			as_populate(as, s, e, true);
			/* Linux populates each vma before the next one merges: join what its identity allows. */
			fl = write_lock_irqsave(&as->lock);
			as_region_merge_range(as, s, e);
			write_unlock_irqrestore(&as->lock, fl);
		}
		lo = e;
	}
}

/**
 * as_mprotect() - the mprotect system call
 * @as: the space
 * @addr: page-aligned start
 * @len: bytes, rounded up to pages; 0 does nothing
 * @prot: MM_PROT_* (PROT_SEM accepted and ignored), optionally with
 *	  PROT_GROWSDOWN to extend the change down to the start of a stack region
 *
 * Errors: EINVAL (unaligned, unknown bits, both GROWS flags, GROWSDOWN on a
 * region that does not grow), ENOMEM (range wraps or covers unmapped pages,
 * or a split found no memory), EACCES (write on a shared read-only file
 * mapping).
 *
 * Keys are left alone: each region keeps its own, and PROT_EXEC alone gets
 * no execute-only key (the Win32 layer's PAGE_EXECUTE); the mprotect system
 * call is as_mprotect_pkey() with key -1.
 *
 * Return: 0 or a negated error.
 */
int as_mprotect(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot)
{
	return as_mprotect_pkey(as, addr, len, prot, -1, 1);
}

/**
 * as_mprotect_pkey() - the pkey_mprotect system call (Linux's do_mprotect_pkey())
 * @as: the space
 * @addr: page-aligned start
 * @len: bytes, rounded up to pages; 0 does nothing
 * @prot: as for as_mprotect()
 * @pkey: the protection key the pages get; -1: mprotect's (each region keeps
 *	  its own, but exactly PROT_EXEC gives the execute-only key if the CPU
 *	  has keys, and a region leaving execute-only goes back to key 0)
 * @nkeys: keys the CPU has (as_pkey_alloc())
 *
 * Errors: as_mprotect()'s, and EINVAL for a key not allocated, checked
 * after the arguments, as Linux does under its lock.
 *
 * Return: 0 or a negated error.
 */
int as_mprotect_pkey(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot, int pkey,
		     unsigned nkeys)
{
	unsigned long grows = prot & (MM_PROT_GROWSDOWN | MM_PROT_GROWSUP);
	uintptr_t end;
	int err;

	prot &= ~grows;
	if (grows == (MM_PROT_GROWSDOWN | MM_PROT_GROWSUP))
		return -MM_EINVAL;
	if (addr & ~PAGE_MASK)
		return -MM_EINVAL;
	if (!len)
		return 0;
	len = AS_PAGE_ALIGN(len);
	end = addr + len;
	if (end <= addr)
		return -MM_ENOMEM;
	if (prot & ~(unsigned long)PROT_KNOWN)
		return -MM_EINVAL;
	struct made_writable mw = { .lo = UINTPTR_MAX, .hi = 0 };

	as_lock(as);
	if (pkey != -1 && !as_pkey_allocated_locked(as, pkey, nkeys))
		err = -MM_EINVAL;
	else
		err = mprotect_locked(as, addr, end, prot, pkey, nkeys, grows, &mw);
	as_unlock(as);
	populate_made_writable(as, mw.lo, mw.hi);
	return err;
}
