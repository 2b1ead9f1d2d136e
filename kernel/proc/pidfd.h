/* SPDX-License-Identifier: MIT */
/*
 * Process file descriptors (pidfd_open): a descriptor that names one
 * process, as Linux 6.1's pidfds do. See pidfd.c.
 */
#ifndef KERNEL_PROC_PIDFD_H
#define KERNEL_PROC_PIDFD_H

#include "kernel/task.h"

#define PIDFD_NONBLOCK	04000		/* O_NONBLOCK */

/*
 * The process descriptor @fd names, referenced (task_put() when done):
 * NULL with *@err = -EBADF when @fd is not open or not a pidfd, -ESRCH
 * when the process has been reaped. It may exit or be reaped meanwhile:
 * task_pin() then finds no space.
 */
struct task *pidfd_task(uint64_t fd, long *err);

#endif
