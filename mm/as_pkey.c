// SPDX-License-Identifier: MIT
/*
 * Protection keys as Linux 6.1 keeps them for a process (x86's
 * mm_pkey_alloc(), mm_pkey_free(), mm_pkey_is_allocated()): a bitmap of the
 * keys handed out, per space, key 0 allocated from the start; each region
 * holds the key of its pages (struct as_region.pkey), which the page-table
 * format puts in every present entry (as_pte_prot()). What a key allows is
 * not the space's business: that is each thread's register, set by the
 * caller. With a single key (a CPU without keys) nothing is allocated,
 * not even key 0, as on Linux x86_64 without OSPKE: pkey_mprotect() takes
 * only -1, pkey_alloc() and pkey_free() fail.
 *
 * Execute-only memory (Linux's execute_only_pkey()): mmap, or a plain
 * mprotect, with exactly PROT_EXEC gives the pages the space's execute-only
 * key, allocated from the same bitmap the first time (so pkey_alloc() skips
 * it) and denied to the calling thread, so that reads fault while
 * instruction fetches, which keys do not check, run. Other threads and
 * signal handlers deny it already: their default rights deny every key
 * but 0. It stays allocated as long as the space (fork copies it, execve
 * starts without one), and pkey_free() and pkey_mprotect() refuse it.
 *
 * Locking: the bitmap changes under the space's write lock, like Linux's
 * under mmap_lock; fork copies it with the regions.
 */
#include "as_internal.h"

/**
 * as_pkey_allocated() - may @pkey be given to pkey_mprotect()?
 * @as: the space
 * @pkey: the key
 * @nkeys: keys the CPU has
 *
 * Return: true for key 0, and for a key pkey_alloc() returned and
 * pkey_free() has not taken back; false for any key without keys.
 */
bool as_pkey_allocated(struct as *as, int pkey, unsigned nkeys)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	bool r = as_pkey_allocated_locked(as, pkey, nkeys);

	read_unlock_irqrestore(&as->lock, fl);
	return r;
}

bool as_pkey_allocated_locked(const struct as *as, int pkey, unsigned nkeys)
{
	if (nkeys <= 1 || pkey < 0 || (unsigned)pkey >= nkeys || pkey >= AS_PKEY_MAX)
		return false;
	if (pkey == as->xo_pkey)
		return false;		/* in the bitmap, but no call's to use */
	return as->pkeys & (1u << pkey);
}

/* The lowest free key, now allocated, or -MM_ENOSPC; with the write lock held. */
static int alloc_locked(struct as *as, unsigned nkeys)
{
	unsigned all = (1u << MM_MIN(nkeys, (unsigned)AS_PKEY_MAX)) - 1;
	int key;

	if (nkeys <= 1 || (as->pkeys & all) == all)
		return -MM_ENOSPC;
	key = __builtin_ctz(~(unsigned)as->pkeys);
	as->pkeys |= (uint16_t)(1u << key);
	return key;
}

int as_pkey_exec_only_locked(struct as *as, unsigned nkeys)
{
	bool fresh = false;
	int key = as->xo_pkey;

	if (nkeys <= 1)
		return -1;
	if (key < 0) {
		key = alloc_locked(as, nkeys);
		if (key < 0)
			return -1;	/* tried again by the next PROT_EXEC */
		as->xo_pkey = (int8_t)key;
		fresh = true;
	}
	plat_pkey_deny_access(key, fresh);
	return key;
}

/**
 * as_pkey_alloc() - hand out the lowest free protection key
 * @as: the space
 * @nkeys: keys the CPU has (at most AS_PKEY_MAX)
 *
 * Return: the key, or -MM_ENOSPC when all are taken (always with one key).
 */
int as_pkey_alloc(struct as *as, unsigned nkeys)
{
	if (nkeys <= 1)
		return -MM_ENOSPC;
	unsigned long fl = write_lock_irqsave(&as->lock);
	int key = alloc_locked(as, nkeys);

	write_unlock_irqrestore(&as->lock, fl);
	return key;
}

/**
 * as_pkey_free() - give a protection key back
 * @as: the space
 * @pkey: the key
 * @nkeys: keys the CPU has
 *
 * As on Linux, key 0 may be freed too, and regions keep a freed key until
 * they are given another one.
 *
 * Return: 0, or -MM_EINVAL if @pkey is not allocated or is the execute-only
 * key (always with one key).
 */
int as_pkey_free(struct as *as, int pkey, unsigned nkeys)
{
	int err = -MM_EINVAL;

	if (nkeys <= 1 || pkey < 0 || (unsigned)pkey >= nkeys || pkey >= AS_PKEY_MAX)
		return -MM_EINVAL;
	unsigned long fl = write_lock_irqsave(&as->lock);
	if (as_pkey_allocated_locked(as, pkey, nkeys)) {	/* not the execute-only key */
		as->pkeys &= (uint16_t)~(1u << pkey);
		err = 0;
	}
	write_unlock_irqrestore(&as->lock, fl);
	return err;
}

int as_pkey_at(struct as *as, uintptr_t addr)
{
	unsigned long fl = read_lock_irqsave(&as->lock);	/* beside the faults */
	const struct as_region *r = as_region_find(as, addr);
	int key = r ? r->pkey : -1;

	read_unlock_irqrestore(&as->lock, fl);
	return key;
}
