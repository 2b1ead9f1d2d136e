// SPDX-License-Identifier: MIT
/* The list of block devices and the checks every request passes. */
#include "kernel/drivers/blkdev.h"
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "mm/spinlock.h"

static struct blkdev *disks;
static spinlock_t disks_lock = SPINLOCK_INIT;

static bool name_taken(const char *name)
{
	for (struct blkdev *d = disks; d; d = d->next)
		if (!strcmp(d->name, name))
			return true;
	return false;
}

void blkdev_register(struct blkdev *bd, const char *prefix)
{
	unsigned long flags = spin_lock_irqsave(&disks_lock);
	size_t len = strlen(prefix);

	memcpy(bd->name, prefix, len);
	bd->name[len + 1] = 0;
	for (char c = 'a'; c <= 'z'; c++) {
		bd->name[len] = c;
		if (!name_taken(bd->name))
			break;
	}
	struct blkdev **p = &disks;
	while (*p)
		p = &(*p)->next;
	bd->next = NULL;
	*p = bd;
	spin_unlock_irqrestore(&disks_lock, flags);
}

struct blkdev *blkdev_find(const char *name)
{
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	for (struct blkdev *d = disks; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct blkdev *blkdev_first(void)
{
	return disks;
}

static int check(struct blkdev *bd, uint64_t sector, uint32_t n)
{
	if (!n || n % SECTOR_SIZE || sector > bd->sectors ||
	    n / SECTOR_SIZE > bd->sectors - sector)
		return -EINVAL;
	return 0;
}

static int blkdev_rw(struct blkdev *bd, bool write, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	int r = write && bd->read_only ? -EROFS : check(bd, sector, n);

	if (!r)
		r = bd->ops->rw(bd, write, sector, pa, n);
	if (!r) {
		__atomic_fetch_add(write ? &bd->writes : &bd->reads, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(write ? &bd->written_sectors : &bd->read_sectors,
				   n / SECTOR_SIZE, __ATOMIC_RELAXED);
	}
	return r;
}

int blkdev_read(struct blkdev *bd, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	return blkdev_rw(bd, false, sector, pa, n);
}

int blkdev_write(struct blkdev *bd, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	return blkdev_rw(bd, true, sector, pa, n);
}

int blkdev_flush(struct blkdev *bd)
{
	return bd->ops->flush ? bd->ops->flush(bd) : 0;
}

void blkdev_print(void)
{
	for (struct blkdev *d = disks; d; d = d->next)
		kprintf("disk %s: %lu sectors (%lu MiB)%s%s, %lu reads (%lu sectors), "
			"%lu writes (%lu sectors), %lu interrupts, %lu waits asleep\n", d->name, (unsigned long)d->sectors,
			(unsigned long)(d->sectors >> 11), d->read_only ? ", read-only" : "",
			d->in_use ? ", in use" : "", (unsigned long)d->reads,
			(unsigned long)d->read_sectors, (unsigned long)d->writes,
			(unsigned long)d->written_sectors, (unsigned long)d->irqs,
			(unsigned long)d->slept);
}
