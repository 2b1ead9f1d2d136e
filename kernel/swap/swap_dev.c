// SPDX-License-Identifier: MIT
/*
 * Disk swap areas: a disk whose first page is a Linux swap header becomes
 * an area of the core (mm/swap.h) through its block backend (swap_blk.c).
 * Priorities follow Linux: given with SWAP_FLAG_PREFER, otherwise -2, -3,
 * ... in swapon order (so the first disk is used first).
 */
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/swap/swap_blk.h"
#include "kernel/swap/swap_dev.h"
#include "mm/errno.h"
#include "mm/heap.h"

struct disk_area {
	struct swap_blk *sb;
	int type, prio;
	struct disk_area *next;
};

static struct disk_area *areas;
static int least_prio = -1;
/* swapon and swapoff may read a disk and walk every space: a flag, not a spinlock. */
static int swapon_busy;

static bool swapon_mutex_lock(void)
{
	return !__atomic_exchange_n(&swapon_busy, 1, __ATOMIC_ACQUIRE);
}

static void swapon_mutex_unlock(void)
{
	__atomic_store_n(&swapon_busy, 0, __ATOMIC_RELEASE);
}

static struct disk_area **find(struct blkdev *bd)
{
	struct disk_area **p = &areas;

	while (*p && (*p)->sb->bd != bd)
		p = &(*p)->next;
	return p;
}

/* Bad pages from the header: never handed out. */
static void reserve_bad(struct disk_area *a)
{
	const struct swap_format *f = &a->sb->fmt;

	for (uint32_t i = 0; i < f->nr_badpages; i++)
		if (f->badpages[i] <= f->last_page)
			swap_area_reserve(a->type, f->badpages[i]);
}

static long add_area(struct blkdev *bd, uint64_t flags)
{
	struct disk_area *a = kzalloc(sizeof(*a));
	const char *why = "out of memory";
	long r = a ? swap_blk_open(bd, &a->sb, &why) : -ENOMEM;

	if (r) {
		if (r == -EINVAL)
			kprintf("swapon %s: %s\n", bd->name, why);
		kfree(a);
		return r;
	}
	a->prio = flags & SWAP_FLAG_PREFER ? (int)(flags & SWAP_FLAG_PRIO_MASK) : --least_prio;
	a->type = swap_area_add(&a->sb->b, a->prio, 1);
	if (a->type < 0) {
		r = a->type == -MM_ENOSPC ? -EPERM : a->type;
		if (!(flags & SWAP_FLAG_PREFER))
			least_prio++;
		swap_blk_close(a->sb);
		kfree(a);
		return r;
	}
	reserve_bad(a);
	a->next = areas;
	areas = a;
	kprintf("swap: adding %luk swap on /dev/%s, priority %d, %u bad pages, label \"%s\"\n",
		(unsigned long)a->sb->fmt.good_pages * 4, bd->name, a->prio,
		a->sb->fmt.nr_badpages, a->sb->fmt.label);
	return 0;
}

long swap_dev_on(const char *name, uint64_t flags)
{
	if (flags & ~(uint64_t)SWAP_FLAGS_VALID)
		return -EINVAL;
	struct blkdev *bd = blkdev_find(name);
	if (!bd)
		return -ENOENT;
	if (!swapon_mutex_lock())
		return -EBUSY;
	long r = *find(bd) ? -EBUSY : add_area(bd, flags);
	swapon_mutex_unlock();
	return r;
}

long swap_dev_off(const char *name)
{
	struct blkdev *bd = blkdev_find(name);

	if (!bd)
		return -ENOENT;
	if (!swapon_mutex_lock())
		return -EBUSY;
	struct disk_area **p = find(bd), *a = *p;
	long r = a ? swap_area_remove(a->type) : -EINVAL;
	if (!r) {
		*p = a->next;
		swap_blk_close(a->sb);
		kfree(a);
	}
	swapon_mutex_unlock();
	return r;
}

bool swap_dev_active(const char *name)
{
	struct blkdev *bd = blkdev_find(name);

	return bd && *find(bd);
}

void swap_dev_boot(void)
{
	char list[128];

	if (!cmdline_value("swap", list, sizeof(list)))
		return;
	for (char *p = list; *p;) {
		char *end = p;
		while (*end && *end != ',')
			end++;
		char sep = *end;
		*end = 0;
		long r = swap_dev_on(p, 0);
		if (r)
			kprintf("swap=%s: cannot swap to it: %s\n", p, mm_strerror((int)r));
		p = sep ? end + 1 : end;
	}
}

void swap_dev_print(void)
{
	kprintf("Filename        Type       Size(KiB)   Used(KiB)  Priority\n");
	for (struct disk_area *a = areas; a; a = a->next) {
		struct swap_area_info info;
		if (swap_area_info(a->type, &info))
			continue;
		kprintf("/dev/%-10s partition %10lu  %10lu  %d\n", a->sb->bd->name,
			(unsigned long)info.slots * 4, (unsigned long)info.used * 4, a->prio);
	}
}
