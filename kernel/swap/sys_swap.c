// SPDX-License-Identifier: MIT
/*
 * swapon(2) and swapoff(2) at Linux's numbers, with its errors: EPERM
 * without root's rights, EFAULT/ENAMETOOLONG/ENOENT for the path, EINVAL
 * for unknown flags, for something that is not a swap area (a regular or
 * RAM file has no header we can use: Linux refuses swap files on tmpfs and
 * ramfs too) and for swapoff of what is not swapped to, EBUSY for a disk
 * already in use. Disks are named /dev/vda, ... (this kernel has no
 * device nodes: the names are resolved before the file system).
 */
#include "kernel/drivers/blkdev.h"
#include "kernel/errno.h"
#include "kernel/fs/ramfs.h"
#include "kernel/proc/cred.h"
#include "kernel/proc/syscall.h"
#include "kernel/swap/swap_dev.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"
#include "mm/swap.h"
#include "user/include/memcore/swap.h"

#define SWAP_PATH_MAX	4096	/* Linux's PATH_MAX, so the same paths are too long */

/*
 * Copies the path in and resolves it: 0 with the disk's name in @path, or
 * the error for what it names instead (EISDIR: a directory cannot be
 * opened for writing; EINVAL: a file without a usable swap header).
 */
static long get_disk(uint64_t upath, char *path)
{
	int64_t len = strncpy_from_user(path, upath, SWAP_PATH_MAX);
	struct inode *ino;

	if (len < 0)
		return len;
	if (len == 0)
		return -ENOENT;
	if (!strncmp(path, "/dev/", 5) && blkdev_find(path))
		return 0;
	long r = fs_lookup(path, &ino);
	if (r)
		return r;
	r = S_ISDIR(ino->mode) ? -EISDIR : -EINVAL;
	inode_put(ino);
	return r;
}

/* swapon (@on) or swapoff of the disk at user path @upath. */
static long swap_by_path(uint64_t upath, bool on, uint64_t flags)
{
	char *path = kmalloc(SWAP_PATH_MAX);

	if (!path)
		return -ENOMEM;
	long r = get_disk(upath, path);
	if (!r)
		r = on ? swap_dev_on(path, flags) : swap_dev_off(path);
	kfree(path);
	return r;
}

static long sys_swapon(uint64_t upath, uint64_t flags, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	if (flags & ~(uint64_t)SWAP_FLAGS_VALID)
		return -EINVAL;
	if (!cred_capable(current()))
		return -EPERM;
	return swap_by_path(upath, true, flags);
}
SYSCALL_DEFINE(SYS_swapon, swapon, sys_swapon);

static long sys_swapoff(uint64_t upath, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	if (!cred_capable(current()))
		return -EPERM;
	return swap_by_path(upath, false, 0);
}
SYSCALL_DEFINE(SYS_swapoff, swapoff, sys_swapoff);

/* Totals over every swap area, disk or RAM, and the core's counters. */
static long sys_swap_stats(uint64_t ust, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
	struct memcore_swap_stats st = { 0 };
	struct swap_counters c;

	for (int t = 0; t < (int)SWAP_MAX_AREAS; t++) {
		struct swap_area_info info;
		if (swap_area_info(t, &info))
			continue;
		st.areas++;
		st.stored_pages += info.backend.stored;
		st.orig_bytes += info.backend.orig_bytes;
		st.ram_bytes += info.backend.mem_bytes;
		if (info.backend.mem_bytes)
			st.ram_orig_bytes += info.backend.orig_bytes;
		st.written_back += info.backend.written_back;
	}
	swap_get_counters(&c);
	st.slots_total = c.slots_total;
	st.slots_used = c.slots_used;
	st.swpout = c.swpout;
	st.swpin = c.swpin;
	st.cache_hits = c.cache_hits;
	return copy_to_user(ust, &st, sizeof(st));
}
SYSCALL_DEFINE(MEMCORE_SYS_swap_stats, swap_stats, sys_swap_stats);
