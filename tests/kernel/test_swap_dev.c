// SPDX-License-Identifier: MIT
/*
 * swapon/swapoff of a disk made by mkswap on the host (labelled
 * "memcore-test", attached by tools/run_tests.py): the area appears in the
 * core with the header's usable pages, a disk is swapped to once, a disk
 * without a header or a missing one is refused with Linux's errors, and
 * swapoff leaves no trace (frames and slots back where they were).
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "kernel/swap/swap_blk.h"
#include "kernel/swap/swap_dev.h"
#include "mm/pmm.h"
#include "tests/kernel/frames.h"

/* The labelled mkswap disk, and one without any header (the pattern disk). */
static struct blkdev *find_disk(bool swap)
{
	for (struct blkdev *d = blkdev_first(); d; d = d->next) {
		struct swap_blk *sb;
		const char *why;

		if (d->in_use)
			continue;
		int r = swap_blk_open(d, &sb, &why);
		if (!r) {
			bool mine = !strcmp(sb->fmt.label, "memcore-test");
			swap_blk_close(sb);
			if (swap && mine)
				return d;
		} else if (!swap && r == -EINVAL) {
			return d;
		}
	}
	return NULL;
}

static int area_of(const char *name, struct swap_area_info *info)
{
	for (int t = 0; t < (int)SWAP_MAX_AREAS; t++)
		if (!swap_area_info(t, info) && !strcmp(info->name, name))
			return t;
	return -1;
}

static void swapon_and_off(struct ktest *t)
{
	struct blkdev *d = find_disk(true);
	if (!d) {
		ktest_skip(t, "no mkswap disk attached");
		return;
	}
	struct swap_counters c0, c1;
	struct swap_area_info info;

	KEXPECT_EQ(t, swap_dev_on(d->name, 0), 0);	/* warm the heap's caches */
	KEXPECT_EQ(t, swap_dev_off(d->name), 0);
	uint64_t before = free_frames();
	swap_get_counters(&c0);

	KEXPECT_EQ(t, swap_dev_on(d->name, SWAP_FLAG_PREFER | 5), 0);
	KEXPECT(t, swap_dev_active(d->name));
	KEXPECT(t, d->in_use);
	int type = area_of(d->name, &info);
	KEXPECT(t, type >= 0);
	if (type >= 0) {
		/* 8 MiB: pages 1..2047 usable, page 0 is the header. */
		KEXPECT_EQ(t, info.slots, d->sectors / 8 - 1);
		KEXPECT_EQ(t, info.used, 0);
		KEXPECT_EQ(t, info.prio, 5);
	}
	swap_get_counters(&c1);
	KEXPECT_EQ(t, c1.slots_total, c0.slots_total + d->sectors / 8 - 1);
	KEXPECT_EQ(t, swap_dev_on(d->name, 0), -EBUSY);
	KEXPECT_EQ(t, swap_dev_on("/dev/nosuchdisk", 0), -ENOENT);

	KEXPECT_EQ(t, swap_dev_off(d->name), 0);
	KEXPECT(t, !swap_dev_active(d->name));
	KEXPECT(t, !d->in_use);
	KEXPECT_EQ(t, swap_dev_off(d->name), -EINVAL);
	swap_get_counters(&c1);
	KEXPECT_EQ(t, c1.slots_total, c0.slots_total);
	KEXPECT_EQ(t, free_frames(), before);
}

static void refuses_what_is_no_swap_area(struct ktest *t)
{
	struct blkdev *d = find_disk(false);
	if (!d) {
		ktest_skip(t, "no disk without a swap header attached");
		return;
	}
	KEXPECT_EQ(t, swap_dev_on(d->name, 0), -EINVAL);
	KEXPECT(t, !d->in_use);
	KEXPECT_EQ(t, swap_dev_on(d->name, 0x80000), -EINVAL);	/* unknown flag */
	KEXPECT_EQ(t, swap_dev_off(d->name), -EINVAL);
	KEXPECT_EQ(t, swap_dev_off("nosuchdisk"), -ENOENT);
}

KTEST_SUITE(swap_dev,
	KTEST_CASE(swapon_and_off),
	KTEST_CASE(refuses_what_is_no_swap_area));
