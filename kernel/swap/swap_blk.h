/* SPDX-License-Identifier: MIT */
/*
 * A disk in the Linux swap-area format as a swap backend (mm/swap.h):
 * slot s is page s of the area, bytes [s * 4096, (s + 1) * 4096); slot 0
 * is the header and never used; the header's bad pages are reserved.
 *
 * Lock order: sb->lock (the map of stored slots) is a leaf; the device's
 * own lock is taken without it.
 */
#ifndef KERNEL_SWAP_SWAP_BLK_H
#define KERNEL_SWAP_SWAP_BLK_H

#include "kernel/drivers/blkdev.h"
#include "kernel/swap/swap_format.h"
#include "mm/spinlock.h"
#include "mm/swap.h"

struct swap_blk {
	struct swap_backend b;		/* b.name is the disk's name */
	struct blkdev *bd;
	struct swap_format fmt;
	uint64_t *stored_map;		/* one bit per slot holding a page */
	spinlock_t lock;
	MM_ATOMIC64 uint64_t stored, reads, writes, failures;	/* atomic */
};
MM_ATOMIC64_OK(struct swap_blk, reads);
MM_ATOMIC64_OK(struct swap_blk, writes);
MM_ATOMIC64_OK(struct swap_blk, failures);

/**
 * swap_blk_open() - read and check a disk's swap header, claim the disk
 * @bd: the disk
 * @out: the new backend, ready for swap_area_add(&sb->b, prio, 1)
 * @why: set to the reason on -EINVAL
 *
 * Return: 0; -EBUSY (the disk is claimed already); -EINVAL (not a usable
 * swap area, see swap_format_parse()); -EIO; -ENOMEM.
 */
int swap_blk_open(struct blkdev *bd, struct swap_blk **out, const char **why);

/* Releases the disk and frees the backend (after swap_area_remove()). */
void swap_blk_close(struct swap_blk *sb);

#endif
