// SPDX-License-Identifier: MIT
/*
 * The block-device swap backend. Pages go straight from their frame to the
 * disk and back (the core passes direct-map addresses of frames), one
 * 4 KiB request each. The backend may sleep (b.may_sleep): the core calls
 * it with no lock held, and the task sleeps until the disk's interrupt
 * (kernel/drivers/virtio_blk.c); from a kernel-mode fault, interrupts off,
 * the request is polled.
 */
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/swap/swap_blk.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

#define SECTORS_PER_PAGE	(SWAP_HDR_PAGE / SECTOR_SIZE)

static struct swap_blk *to_sb(struct swap_backend *b)
{
	return (struct swap_blk *)((char *)b - __builtin_offsetof(struct swap_blk, b));
}

/* Flips @slot's stored bit to @on; returns whether it changed. */
static bool mark(struct swap_blk *sb, uint32_t slot, bool on)
{
	uint64_t bit = 1ull << (slot % 64), *w = &sb->stored_map[slot / 64];
	unsigned long flags = spin_lock_irqsave(&sb->lock);
	bool was = *w & bit;

	if (on)
		*w |= bit;
	else
		*w &= ~bit;
	if (was != on)
		sb->stored += on ? 1 : -1;
	spin_unlock_irqrestore(&sb->lock, flags);
	return was != on;
}

static int io(struct swap_blk *sb, bool write, uint32_t slot, phys_addr_t pa)
{
	if (slot == 0 || slot >= sb->b.nslots)
		return -MM_EIO;
	uint64_t sector = (uint64_t)slot * SECTORS_PER_PAGE;
	int r = write ? blkdev_write(sb->bd, sector, pa, SWAP_HDR_PAGE) :
			blkdev_read(sb->bd, sector, pa, SWAP_HDR_PAGE);

	__atomic_fetch_add(r ? &sb->failures : write ? &sb->writes : &sb->reads, 1,
			   __ATOMIC_RELAXED);
	return r ? -MM_EIO : 0;
}

/* The disk moves whole frames by DMA: the core hands it frames (write_frame, read_frame). */
static int sb_write_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	struct swap_blk *sb = to_sb(b);
	int r = io(sb, true, slot, pa);

	if (!r)
		mark(sb, slot, true);
	return r;
}

static int sb_read_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	return io(to_sb(b), false, slot, pa);
}

static int sb_write(struct swap_backend *b, uint32_t slot, const void *page)
{
	return sb_write_frame(b, slot, plat_virt_to_phys(page));
}

static int sb_read(struct swap_backend *b, uint32_t slot, void *page)
{
	return sb_read_frame(b, slot, plat_virt_to_phys(page));
}

/* The disk keeps the old bytes; only the figures change. */
static void sb_discard(struct swap_backend *b, uint32_t slot)
{
	struct swap_blk *sb = to_sb(b);

	if (slot < b->nslots)
		mark(sb, slot, false);
}

static void sb_stats(struct swap_backend *b, struct swap_backend_stats *st)
{
	struct swap_blk *sb = to_sb(b);

	*st = (struct swap_backend_stats){
		.stored = sb->stored,
		.orig_bytes = sb->stored * SWAP_HDR_PAGE,
		.reads = sb->reads,
		.writes = sb->writes,
		.failures = sb->failures,
	};
}

static const struct swap_backend_ops swap_blk_ops = {
	.write = sb_write,
	.read = sb_read,
	.write_frame = sb_write_frame,
	.read_frame = sb_read_frame,
	.discard = sb_discard,
	.stats = sb_stats,
};

static int read_header(struct blkdev *bd, struct swap_format *fmt, const char **why)
{
	phys_addr_t f = pmm_alloc_pages(0, 0);

	if (f == PMM_NO_FRAME)
		return -ENOMEM;
	int r = blkdev_read(bd, 0, f, SWAP_HDR_PAGE);
	if (r == -EINVAL) {
		*why = "device smaller than one page";
		r = -EINVAL;
	} else if (r) {
		*why = "cannot read the swap header";
		r = -EIO;
	} else {
		r = swap_format_parse(plat_phys_to_virt(f), bd->sectors / SECTORS_PER_PAGE,
				      SWAP_MAX_SLOTS, fmt, why) ? -EINVAL : 0;
	}
	pmm_free_pages(f, 0);
	return r;
}

int swap_blk_open(struct blkdev *bd, struct swap_blk **out, const char **why)
{
	if (__atomic_exchange_n(&bd->in_use, true, __ATOMIC_ACQ_REL)) {
		*why = "device already in use";
		return -EBUSY;
	}
	struct swap_blk *sb = kzalloc(sizeof(*sb));
	int r = sb ? read_header(bd, &sb->fmt, why) : -ENOMEM;

	if (!r) {
		sb->b.nslots = sb->fmt.last_page + 1;
		sb->stored_map = vmalloc(((uint64_t)sb->b.nslots + 63) / 64 * 8);
		if (!sb->stored_map)
			r = -ENOMEM;
	}
	if (r) {
		if (r == -ENOMEM)
			*why = "out of memory";
		kfree(sb);
		__atomic_store_n(&bd->in_use, false, __ATOMIC_RELEASE);
		return r;
	}
	memset(sb->stored_map, 0, ((uint64_t)sb->b.nslots + 63) / 64 * 8);
	sb->b.ops = &swap_blk_ops;
	sb->b.name = bd->name;
	sb->b.may_sleep = true;	/* the disk's requests sleep; the core calls with no lock held */
	sb->bd = bd;
	sb->lock = (spinlock_t)SPINLOCK_INIT;
	*out = sb;
	return 0;
}

void swap_blk_close(struct swap_blk *sb)
{
	blkdev_flush(sb->bd);
	__atomic_store_n(&sb->bd->in_use, false, __ATOMIC_RELEASE);
	vfree(sb->stored_map);
	kfree(sb);
}
