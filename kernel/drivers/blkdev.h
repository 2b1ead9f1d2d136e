/* SPDX-License-Identifier: MIT */
/*
 * Block devices: named disks ("vda", "vdb", ... in probe order, as Linux
 * names virtio disks) that read and write runs of 512-byte sectors to and
 * from physical memory. A request names page frames, not virtual
 * addresses, so a swap-out writes the very frame it evicts.
 *
 * Callers may hold any lock of theirs with interrupts off (the device is
 * then polled); a caller with interrupts on (so holding no spinlock) sleeps
 * until its request is done, if the device interrupts. Requests of several
 * callers run at once; a device's own lock is innermost.
 */
#ifndef KERNEL_DRIVERS_BLKDEV_H
#define KERNEL_DRIVERS_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/types.h"

#define SECTOR_SIZE	512
#define SECTOR_SHIFT	9
#define BLKDEV_NAME_MAX	8

struct blkdev;

struct blkdev_ops {
	/* @n physically contiguous bytes at @pa, @n a multiple of SECTOR_SIZE. */
	int (*rw)(struct blkdev *bd, bool write, uint64_t sector, phys_addr_t pa, uint32_t n);
	int (*flush)(struct blkdev *bd);
};

struct blkdev {
	char name[BLKDEV_NAME_MAX];
	uint64_t sectors;	/* capacity */
	bool read_only;
	bool in_use;		/* claimed (by a swap area) */
	const struct blkdev_ops *ops;
	void *priv;
	MM_ATOMIC64 uint64_t reads, writes;	/* requests completed */
	MM_ATOMIC64 uint64_t read_sectors, written_sectors;
	uint64_t irqs;			/* interrupts the device raised */
	uint64_t slept;			/* waits for a request spent asleep */
	struct blkdev *next;
};
MM_ATOMIC64_OK(struct blkdev, reads);
MM_ATOMIC64_OK(struct blkdev, writes);
MM_ATOMIC64_OK(struct blkdev, read_sectors);
MM_ATOMIC64_OK(struct blkdev, written_sectors);

/* Adds @bd under the next free name with @prefix ("vd" gives vda, vdb, ...). */
void blkdev_register(struct blkdev *bd, const char *prefix);
/* By name ("vda", or "/dev/vda"); NULL if none. */
struct blkdev *blkdev_find(const char *name);
struct blkdev *blkdev_first(void);

/**
 * blkdev_read() - read @n bytes from sector @sector into physical memory @pa
 * @bd: the device
 * @sector: first sector
 * @pa: destination (physically contiguous)
 * @n: bytes, a multiple of SECTOR_SIZE
 *
 * Return: 0, -EINVAL (beyond the end, or @n not whole sectors), -EIO.
 */
int blkdev_read(struct blkdev *bd, uint64_t sector, phys_addr_t pa, uint32_t n);
/* As blkdev_read(), the other way; also -EROFS on a read-only disk. */
int blkdev_write(struct blkdev *bd, uint64_t sector, phys_addr_t pa, uint32_t n);
int blkdev_flush(struct blkdev *bd);

/* The shell's and memstat's lines: one per disk. */
void blkdev_print(void);

#endif
