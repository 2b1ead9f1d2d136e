/* SPDX-License-Identifier: MIT */
/* Descriptor helpers the file system calls share. */
#ifndef KERNEL_FS_SYS_FS_H
#define KERNEL_FS_SYS_FS_H

#include "kernel/fs/file.h"

/* The current task's file at @fd, or NULL. */
struct file *fd_file(uint64_t fd);
/* Install @f at the lowest free descriptor: the descriptor or -EMFILE (@f released). */
int fd_install(struct file *f, bool cloexec);

#endif
