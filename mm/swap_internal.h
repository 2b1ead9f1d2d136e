/* SPDX-License-Identifier: MIT */
/*
 * The swap cache and slot I/O, for the address-space layer and reclaim
 * (mm/swap.c, mm/as_swap.c, mm/reclaim.c); nobody else.
 */
#ifndef MM_SWAP_INTERNAL_H
#define MM_SWAP_INTERNAL_H

#include "swap.h"

/* Frame @pa becomes @e's page in the cache (a frame reference taken): 0, -MM_EEXIST, -MM_ENOMEM, -MM_EINVAL. */
int swap_cache_add(swp_entry_t e, phys_addr_t pa);
/* @e's cached frame with a reference taken, or PMM_NO_FRAME. */
phys_addr_t swap_cache_get(swp_entry_t e);
/* Is frame @pa in the cache? Its entry in *@e. */
bool swap_cache_lookup_frame(phys_addr_t pa, swp_entry_t *e);
/* Drop @e's frame from the cache (the slot is freed if nothing else holds it): true if it was there. */
bool swap_cache_del(swp_entry_t e);

/* Store frame @pa's page in @e's slot: 0, -MM_ENOMEM (the backend refused), -MM_EIO. */
int swap_write(swp_entry_t e, phys_addr_t pa);
/* Fill frame @pa from @e's slot: 0 or -MM_EIO. */
int swap_read(swp_entry_t e, phys_addr_t pa);
/* Store frame @pa in a new slot of any area with room (entry in *@e, count 1): 0 or -MM_ENOSPC (mm/as_swap.c). */
int swap_write_new(phys_addr_t pa, swp_entry_t *e);

/* Give out no more slots of area @type (swapoff running), or again (@on false). */
int swap_area_set_removing(int type, bool on);
/* Forget area @type once no slot of it is used: 0, -MM_EBUSY, -MM_EINVAL. */
int swap_area_forget(int type);

enum swap_event {
	SWAP_EV_CACHE_HIT,
	SWAP_EV_WRITE_FAIL,
};
void swap_count_event(enum swap_event ev);

#endif
