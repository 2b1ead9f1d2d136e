/* SPDX-License-Identifier: MIT */
/*
 * Process file descriptors (pidfd_open): a descriptor that names one
 * process, as Linux 6.1's pidfds do. See pidfd.c; the calls that take one
 * are in pidfd_signal.c, pidfd_getfd.c, waitid.c, process_madvise.c.
 */
#ifndef KERNEL_PROC_PIDFD_H
#define KERNEL_PROC_PIDFD_H

#include "kernel/task.h"

#define PIDFD_NONBLOCK	04000		/* O_NONBLOCK */

struct file;

/* The pidfd @fd of the caller (borrowed, as fd_file()'s), or NULL: EBADF. */
struct file *pidfd_file(uint64_t fd);
/* The thread group @f names, held by @f (reaped: it is gone). */
struct thread_group *pidfd_file_group(struct file *f);
/*
 * The leader of @f's process now, referenced (task_put() when done), or
 * NULL with *@err = -ESRCH once the process has been reaped.
 */
struct task *pidfd_file_task(struct file *f, long *err);
/*
 * The process descriptor @fd names, referenced (task_put() when done):
 * NULL with *@err = -EBADF when @fd is not open or not a pidfd, -ESRCH
 * when the process has been reaped. It may exit or be reaped meanwhile:
 * task_pin() then finds no space.
 */
struct task *pidfd_task(uint64_t fd, long *err);

#endif
