/* SPDX-License-Identifier: MIT */
/*
 * The compressed page store (zram-like): a swap backend that keeps pages in
 * RAM, compressed. Each slot holds one of
 *   - nothing;
 *   - a same-filled page: one 64-bit word repeated, kept as that word;
 *   - an LZ4 block of the page in the compressed-object pool (mm/zpool.h);
 *   - the page whole, in the pool, when LZ4 cannot bring it under the
 *     threshold (compressing it again on every read would cost for nothing).
 *
 * It implements struct swap_backend (mm/swap.h): register &store->b with
 * swap_area_add(). Its slot table (8 bytes and a bit a slot; zram's
 * takes 16) is made whole at the start, in PMM frames, so storing a page needs no frame but
 * the pool's; the table, the compressor's scratch and the pool are all
 * counted in mem_bytes.
 *
 * A store can also be a tier in front of a device (zstore_init_tier(), like
 * Linux's zswap): the area is the device's, its slots the device's; a page
 * goes to the store while its pool stays under a limit, else straight to
 * the device; when the store is full (or reclaim wants its RAM) the core
 * moves its oldest pages down to their own slots on the device
 * (swap_tier_writeback()), so the store keeps the recent pages and the
 * machine degrades to the disk instead of failing. Pooled pages are kept on
 * an age list (oldest first) threaded through the slot table.
 *
 * Lock order: a store's lock -> its pool's lock -> PMM locks. The store's
 * lock covers the slot table and the scratch buffers, so one CPU compresses
 * at a time per store; the work under it is bounded (one page). The device
 * below is called with no lock held.
 */
#ifndef MM_ZSTORE_H
#define MM_ZSTORE_H

#include "lz4.h"
#include "spinlock.h"
#include "swap.h"
#include "zpool.h"

struct zstore_stats {
	uint64_t stored;		/* pages held */
	uint64_t orig_bytes;		/* stored * PAGE_SIZE */
	uint64_t compr_bytes;		/* bytes of the objects in the pool (blocks and whole pages) */
	uint64_t mem_bytes;		/* RAM used: pool frames and tables, slot table, scratch */
	uint64_t same_filled;		/* pages kept as a word */
	uint64_t incompressible;	/* pages kept whole */
	uint64_t reads, writes;		/* operations served */
	uint64_t failures;		/* writes refused for lack of memory, reads of corrupt data */
	MM_ATOMIC64 uint64_t bad_calls;	/* slot out of range, written twice, read while empty */
	uint64_t written_back;		/* a tier: pages moved down to the device */
	MM_ATOMIC64 uint64_t refused;	/* a tier: pages sent to the device, the pool being full */
};
MM_ATOMIC64_OK(struct zstore_stats, bad_calls);
MM_ATOMIC64_OK(struct zstore_stats, refused);

struct zstore {
	struct swap_backend b;		/* ops, name, nslots, in_ram */
	spinlock_t lock;
	struct zpool pool;
	void **dir;			/* leaf frames of the slot table */
	uint32_t per_leaf;		/* slots a leaf holds */
	unsigned dir_order;		/* the directory's size as a PMM order */
	struct lz4_work *work;		/* compressor scratch (PMM frames) */
	uint8_t *buf;			/* one page: a block being written or read */
	size_t max_compressed;		/* blocks larger than this keep the page whole */
	uint64_t meta_pages;		/* frames of directory, leaves and scratch */
	uint32_t oldest, newest;	/* the age list of pooled slots (UINT32_MAX: none) */
	struct swap_backend *lower;	/* a tier: the device below, else NULL */
	uint64_t max_pages;		/* a tier: the pool's object frames at most */
	bool full;			/* a tier: pages go below until the pool shrinks to 7/8 */
	struct zstore_stats st;
};

/**
 * zstore_init() - an empty store of @nslots slots, ready for swap_area_add(&z->b, ...)
 * @z: the store
 * @name: its name in swap lists and memstat ("zram0")
 * @nslots: 1 .. SWAP_MAX_SLOTS
 *
 * Return: 0; -MM_EINVAL (bad @nslots); -MM_ENOMEM.
 */
int zstore_init(struct zstore *z, const char *name, uint32_t nslots);

/**
 * zstore_init_tier() - a store in front of device @lower, ready for swap_area_add(&z->b, ...)
 * @z: the store
 * @name: its name in swap lists and memstat (the device's)
 * @lower: the device's backend (write_frame/read_frame if it sleeps); not
 *	added as an area itself; it must outlive the store
 * @max_bytes: the pool's size limit (the frames holding its objects)
 *
 * The store takes the device's slot count and may_sleep: the core calls it
 * as a device, and stores or reads pooled pages without sleeping through
 * its write_nowait/read_nowait operations.
 *
 * Return: 0; -MM_EINVAL; -MM_ENOMEM.
 */
int zstore_init_tier(struct zstore *z, const char *name, struct swap_backend *lower,
		     uint64_t max_bytes);

/* Free everything @z holds, pages stored or not; every frame goes back to the PMM. */
void zstore_destroy(struct zstore *z);

/**
 * zstore_write() - keep the page at @page under @slot, which must be empty
 *
 * Return: 0; -MM_ENOMEM (no frame for it: the caller may try elsewhere);
 * -MM_EIO (bad or busy slot, reported).
 */
int zstore_write(struct zstore *z, uint32_t slot, const void *page);

/**
 * zstore_read() - fill @page with the content of @slot; the slot keeps it
 *
 * Return: 0, or -MM_EIO (empty slot, or stored data found corrupt: reported).
 */
int zstore_read(struct zstore *z, uint32_t slot, void *page);

/* Forget @slot's content (nothing if it is empty). */
void zstore_discard(struct zstore *z, uint32_t slot);

/* Compact the pool: frames given back. */
unsigned long zstore_compact(struct zstore *z);

void zstore_get_stats(struct zstore *z, struct zstore_stats *st);

#endif
