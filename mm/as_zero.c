// SPDX-License-Identifier: MIT
/*
 * The shared zero page: a read fault on private anonymous memory maps one
 * zeroed frame read-only instead of a fresh frame, as Linux's ZERO_PAGE
 * does; the first write replaces it with a frame of its own (as_fault.c).
 * So reading (or MAP_POPULATE of a PROT_READ mapping) costs page tables,
 * not memory.
 *
 * Its mappings hold no references to it: each address space holds one
 * reference to the zero page as a whole, taken when it is made and dropped
 * when it is destroyed, and the frame is freed with the last space. That
 * keeps accounting exact (no space: no frame) without a frame reference
 * count that grows with every mapping.
 *
 * Lock order: zero_lock is taken alone, never inside a space's lock.
 */
#include "as_internal.h"

static spinlock_t zero_lock = SPINLOCK_INIT;
phys_addr_t as_zero_pa = PMM_NO_FRAME;	/* written under zero_lock */
static uint64_t zero_users;

/**
 * as_zero_get() - a new space will use the zero page: make sure it exists
 *
 * Return: 0 or -MM_ENOMEM.
 */
int as_zero_get(void)
{
	unsigned long fl = spin_lock_irqsave(&zero_lock);
	int err = 0;

	if (!zero_users) {
		as_zero_pa = pmm_alloc_pages(0, PMM_ZERO);
		if (as_zero_pa == PMM_NO_FRAME)
			err = -MM_ENOMEM;
	}
	if (!err)
		zero_users++;
	spin_unlock_irqrestore(&zero_lock, fl);
	return err;
}

/**
 * as_zero_put() - a space using the zero page is gone (its mappings with it)
 */
void as_zero_put(void)
{
	unsigned long fl = spin_lock_irqsave(&zero_lock);

	if (!zero_users)
		plat_panic("as: zero page released more often than taken");
	if (!--zero_users) {
		pmm_put(as_zero_pa);
		as_zero_pa = PMM_NO_FRAME;
	}
	spin_unlock_irqrestore(&zero_lock, fl);
}

/**
 * as_zero_page() - the zero page's frame (valid while the caller's space lives)
 */
phys_addr_t as_zero_page(void)
{
	return as_zero_pa;
}
