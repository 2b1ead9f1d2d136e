/* SPDX-License-Identifier: MIT */
/* Pipes (pipe.c): pipe() and pipe2(), and fcntl's pipe-size commands. */
#ifndef KERNEL_FS_PIPE_H
#define KERNEL_FS_PIPE_H

#include <stdint.h>

#define F_SETPIPE_SZ	1031
#define F_GETPIPE_SZ	1032

struct file;

/* fcntl(F_GETPIPE_SZ or F_SETPIPE_SZ) on @f: bytes, or -EBADF if @f is no pipe. */
long pipe_fcntl(struct file *f, unsigned cmd, uint64_t arg);

#endif
