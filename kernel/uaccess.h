/* SPDX-License-Identifier: MIT */
/*
 * Every pointer a process passes in is checked and copied with fault
 * recovery: a bad one gives -EFAULT, never a kernel fault. The range check
 * (below the end of user space, no wraparound) comes first; a fault on an
 * unmapped page inside the range is recovered by the exception table.
 *
 * The end is Linux's TASK_SIZE_MAX (AS_TASK_SIZE: on x86_64 the last page
 * below the non-canonical hole is not user space), so a range ending past it
 * is refused even when empty: write(fd, 1 << 47, 0) is EFAULT, as on Linux.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include "arch.h"
#include "memlayout.h"
#include "kernel/errno.h"
#include "mm/as.h"

/* Does the current process's memory allow this access? (kernel/proc/proc.c) */
bool user_access_ok(uint64_t uaddr, uint64_t len, bool write);

static inline bool user_range_ok(uint64_t uaddr, uint64_t len)
{
	return uaddr <= AS_TASK_SIZE && len <= AS_TASK_SIZE - uaddr;
}

static inline int copy_from_user(void *dst, uint64_t usrc, uint64_t len)
{
	if (!user_range_ok(usrc, len) || !user_access_ok(usrc, len, false))
		return -EFAULT;
	return user_copy(dst, (const void *)(uintptr_t)usrc, len) ? -EFAULT : 0;
}

static inline int copy_to_user(uint64_t udst, const void *src, uint64_t len)
{
	if (!user_range_ok(udst, len) || !user_access_ok(udst, len, true))
		return -EFAULT;
	return user_copy((void *)(uintptr_t)udst, src, len) ? -EFAULT : 0;
}

static inline int clear_user(uint64_t udst, uint64_t len)
{
	if (!user_range_ok(udst, len) || !user_access_ok(udst, len, true))
		return -EFAULT;
	return user_zero((void *)(uintptr_t)udst, len) ? -EFAULT : 0;
}

/*
 * Copies a NUL-terminated string of at most @max - 1 characters.
 * Returns its length, -EFAULT, or -ENAMETOOLONG.
 */
static inline int64_t strncpy_from_user(char *dst, uint64_t usrc, uint64_t max)
{
	uint64_t n = max;

	if (usrc >= AS_TASK_SIZE || !user_access_ok(usrc, 1, false))
		return -EFAULT;
	if (n > AS_TASK_SIZE - usrc)
		n = AS_TASK_SIZE - usrc;
	int64_t len = user_strncpy(dst, (const char *)(uintptr_t)usrc, n);
	if (len < 0)
		return -EFAULT;
	if ((uint64_t)len == n)
		return n == max ? -ENAMETOOLONG : -EFAULT;
	return len;
}

#endif
