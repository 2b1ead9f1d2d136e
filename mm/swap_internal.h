/* SPDX-License-Identifier: MIT */
/*
 * The swap cache and slot I/O, for the address-space layer and reclaim
 * (mm/swap.c, mm/as_swap.c, mm/reclaim.c); nobody else.
 */
#ifndef MM_SWAP_INTERNAL_H
#define MM_SWAP_INTERNAL_H

#include "swap.h"

/*
 * A swap-in's I/O, done with the caller's locks dropped: a fault, or a
 * page-cache lookup, that finds a page to read from a disk notes it here
 * (@need) instead, drops its locks, calls as_swap_io() and tries again.
 */
struct swap_io {
	bool need;		/* drop the locks, call as_swap_io(), try again */
	uint32_t val;		/* the entry to read */
	uint32_t ref;		/* with @pa: the entry whose slot reference is held */
	phys_addr_t pa;		/* a frame read for @ref beside another reader, or PMM_NO_FRAME */
};

/* The read @io asks for, no lock held (mm/as_swap.c): 0 (try again), -MM_ENOMEM, -MM_EIO. */
int as_swap_io(struct swap_io *io);
/* Drop a frame @io still holds. */
void as_swap_io_done(struct swap_io *io);

/* Frame @pa becomes @e's page in the cache (a frame reference taken): 0, -MM_EEXIST, -MM_ENOMEM, -MM_EINVAL. */
int swap_cache_add(swp_entry_t e, phys_addr_t pa);
/* @e's cached frame with a reference taken, or PMM_NO_FRAME (none, or still being read). */
phys_addr_t swap_cache_get(swp_entry_t e);
/* The same: 0 with the frame in *@pa, -MM_EBUSY (being read), -MM_ENOENT. */
int swap_cache_lookup(swp_entry_t e, phys_addr_t *pa);
/* The faulting entry is @e's last: take its frame @pa out of the cache. */
bool swap_cache_take(swp_entry_t e, phys_addr_t pa);
/* Is frame @pa in the cache? Its entry in *@e. */
bool swap_cache_lookup_frame(phys_addr_t pa, swp_entry_t *e);
/*
 * Drop @e's frame from the cache (the slot is freed if nothing else holds
 * it): true if it was there and is gone (not while its I/O runs, nor while
 * its slot lacks the page).
 */
bool swap_cache_del(swp_entry_t e);

/*
 * Kept slots: a page read back by a read fault keeps its slot (the cache
 * holds it, mapped read-only) while swap_keep_wanted(); a write fault, or
 * MADV_PAGEOUT of a page so kept, asks swap_unkeep() / swap_frame_kept();
 * swap_drop_kept() frees such copies when slots run out, and at swapoff.
 */
bool swap_keep_wanted(swp_entry_t e);
void swap_keep(swp_entry_t e, phys_addr_t pa);
bool swap_unkeep(phys_addr_t pa, unsigned refs);
bool swap_frame_kept(phys_addr_t pa);
unsigned long swap_drop_kept(unsigned long max, int type);

/* Buckets in each of the swap cache's hashes (they grow with the slots of all areas). */
unsigned swap_cache_buckets(void);

/* Store frame @pa's page in @e's slot: 0, -MM_ENOMEM (the backend refused), -MM_EIO. */
int swap_write(swp_entry_t e, phys_addr_t pa);
/* Fill frame @pa from @e's slot: 0 or -MM_EIO. */
int swap_read(swp_entry_t e, phys_addr_t pa);
/*
 * The same, with the caller's locks held, for an area that may sleep: done
 * if its backend can without sleeping (an in-RAM tier), else -MM_EAGAIN.
 */
int swap_write_nowait(swp_entry_t e, phys_addr_t pa);
int swap_read_nowait(swp_entry_t e, phys_addr_t pa);
/* Store frame @pa in a new slot of any area with room (entry in *@e, count 1): 0 or -MM_ENOSPC (mm/as_swap.c). */
int swap_write_new(phys_addr_t pa, swp_entry_t *e);
/* The same, queued in the swap cache (*@queued) for an area that may sleep: swap_writeback_run() writes it. */
int swap_write_new_queued(phys_addr_t pa, swp_entry_t *e, bool *queued);

/*
 * I/O outside the locks, for areas whose backend may sleep (mm/swap.c).
 * Reclaim queues a page (frame in the cache, SC_WRITING) under the space's
 * lock; swap_writeback_run(), with no lock held, writes the queue and
 * frees frames nothing maps. A fault drops its locks, reads the page into
 * the cache with swap_read_into_cache(), and retries.
 */
bool swap_entry_sleeps(swp_entry_t e);
int swap_cache_add_writing(swp_entry_t e, phys_addr_t pa);
bool swap_cache_rewrite(swp_entry_t e);
unsigned long swap_writeback_run(void);
/* At most *@writes of them (direct reclaim's bound; decremented), until @want frames are freed; the rest stay queued. */
unsigned long swap_writeback_batch(unsigned long *writes, unsigned long want);
/* Pages queued and not started yet. */
unsigned long swap_writeback_pending(void);
int swap_read_into_cache(swp_entry_t e);

/* swapoff: read every page of area @type not in the swap cache into it, no lock held (as far as memory allows). */
void swap_area_readahead(int type);
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
