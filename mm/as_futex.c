// SPDX-License-Identifier: MIT
/*
 * Futex keys: what a user address names for futex(2). A private mapping's
 * word is the pair (space, address); a word in a shared mapping (anonymous
 * or file) is (page-cache object, offset), the same in every process that
 * maps it, as Linux keys shared mappings by their backing page.
 */
#include "as_internal.h"

/**
 * as_futex_key() - the futex key of the word at @addr
 * @as: the space
 * @addr: a user address (4-byte aligned, checked by the caller)
 * @shared: key shared mappings by their object; false: always (space, address)
 * @key: filled in
 *
 * Return: 0, or -MM_EFAULT if @addr is in no region.
 */
int as_futex_key(struct as *as, uintptr_t addr, bool shared, struct as_futex_key *key)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	const struct as_region *r = as_region_find(as, addr);
	int err = 0;

	if (!r) {
		err = -MM_EFAULT;
	} else if (shared && (r->backing == AS_ANON_SHARED || r->backing == AS_FILE_SHARED)) {
		key->object = r->shm;
		key->offset = (r->pgoff << PAGE_SHIFT) + (addr - r->start);
	} else {
		key->object = as;
		key->offset = addr | (shared ? 1 : 0);	/* Linux keys private and shared waits apart */
	}
	read_unlock_irqrestore(&as->lock, fl);
	return err;
}
