/* SPDX-License-Identifier: MIT */
/*
 * Swap areas on disks: swapon/swapoff by device name, the swap= boot
 * option, and the list of active disk areas (the shell's `swaps`).
 *
 * Lock order: swapon_mutex_lock (one swapon or swapoff at a time, held
 * across the core's swap_area_add/remove) -> the core's locks.
 */
#ifndef KERNEL_SWAP_SWAP_DEV_H
#define KERNEL_SWAP_SWAP_DEV_H

#include <stdbool.h>
#include <stdint.h>

/* Linux's swapon flags (include/linux/swap.h). */
#define SWAP_FLAG_PREFER	0x8000
#define SWAP_FLAG_PRIO_MASK	0x7fff
#define SWAP_FLAG_DISCARD	0x10000
#define SWAP_FLAG_DISCARD_ONCE	0x20000
#define SWAP_FLAG_DISCARD_PAGES	0x40000
#define SWAP_FLAGS_VALID	(SWAP_FLAG_PRIO_MASK | SWAP_FLAG_PREFER | SWAP_FLAG_DISCARD | \
				 SWAP_FLAG_DISCARD_ONCE | SWAP_FLAG_DISCARD_PAGES)

/**
 * swap_dev_on() - start swapping to disk @name ("vda" or "/dev/vda")
 * @name: the disk
 * @flags: Linux's swapon flags (priority with SWAP_FLAG_PREFER; discard is accepted, unused)
 *
 * Return: 0; -ENOENT (no such disk); -EBUSY (already swapping to it, or
 * claimed); -EINVAL (bad flags, or no valid swap header: the reason is
 * printed); -EPERM (every area number in use, as Linux says); -ENOMEM; -EIO.
 */
long swap_dev_on(const char *name, uint64_t flags);

/* Stop swapping to disk @name: 0; -EINVAL (not a swap area); plus swap_area_remove()'s errors. */
long swap_dev_off(const char *name);

/* Is disk @name a swap area in use? */
bool swap_dev_active(const char *name);

/* swap=DISK[,DISK...] on the command line: swapon each at boot, reporting failures. */
void swap_dev_boot(void);

/* One line per disk area: name, size, used, priority (like /proc/swaps). */
void swap_dev_print(void);

#endif
