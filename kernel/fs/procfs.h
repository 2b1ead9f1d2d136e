/* SPDX-License-Identifier: MIT */
/* /proc: Linux's memory files rendered at open (kernel/fs/procfs.c). */
#ifndef KERNEL_FS_PROCFS_H
#define KERNEL_FS_PROCFS_H

#include "kernel/fs/file.h"

#define PROCFS_PREFIX	"/proc/"

long procfs_open(const char *path, unsigned flags, struct file **out);

#endif
