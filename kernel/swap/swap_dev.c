// SPDX-License-Identifier: MIT
/*
 * Disk swap areas: a disk whose first page is a Linux swap header becomes
 * an area of the core (mm/swap.h) through its block backend (swap_blk.c).
 * Priorities follow Linux: given with SWAP_FLAG_PREFER, otherwise -2, -3,
 * ... in swapon order (so the first disk is used first).
 *
 * With zswap=SIZE on the command line, each disk gets a compressed tier in
 * front of it (mm/zstore.h, zstore_init_tier(), like Linux's zswap): pages
 * go to a pool of at most SIZE while it has room, and its oldest move down
 * to the disk when it is full or reclaim wants its RAM.
 */
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/swap/swap_blk.h"
#include "kernel/swap/swap_dev.h"
#include "mm/errno.h"
#include "mm/heap.h"
#include "mm/zstore.h"

struct disk_area {
	struct swap_blk *sb;
	struct zstore *tier;	/* zswap=: the compressed tier in front, or NULL */
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

/* zswap=SIZE: a compressed tier of at most SIZE in front of the disk of @a: its backend. */
static struct swap_backend *front(struct disk_area *a)
{
	char arg[32];
	uint64_t bytes;

	if (!cmdline_value("zswap", arg, sizeof(arg)))
		return &a->sb->b;
	if (!parse_u64(arg, &bytes) || bytes < PAGE_SIZE) {
		kprintf("zswap: bad size '%s'\n", arg);
		return &a->sb->b;
	}
	a->tier = kmalloc(sizeof(*a->tier));
	if (!a->tier || zstore_init_tier(a->tier, a->sb->bd->name, &a->sb->b, bytes)) {
		kprintf("zswap: no memory for a tier in front of /dev/%s\n", a->sb->bd->name);
		kfree(a->tier);
		a->tier = NULL;
		return &a->sb->b;
	}
	kprintf("zswap: a compressed tier of at most %llu KiB in front of /dev/%s\n",
		(unsigned long long)(bytes >> 10), a->sb->bd->name);
	return &a->tier->b;
}

static void drop_tier(struct disk_area *a)
{
	if (a->tier) {
		zstore_destroy(a->tier);
		kfree(a->tier);
		a->tier = NULL;
	}
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
	a->type = swap_area_add(front(a), a->prio, 1);
	if (a->type < 0) {
		r = a->type == -MM_ENOSPC ? -EPERM : a->type;
		if (!(flags & SWAP_FLAG_PREFER))
			least_prio++;
		drop_tier(a);
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
		drop_tier(a);
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
