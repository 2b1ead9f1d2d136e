/* SPDX-License-Identifier: MIT */
/* Descriptor helpers the file system calls share. */
#ifndef KERNEL_FS_SYS_FS_H
#define KERNEL_FS_SYS_FS_H

#include "kernel/fs/file.h"

/* The current task's file at @fd, referenced until the system call returns, or NULL. */
struct file *fd_file(uint64_t fd);
struct task;
/* Drops what fd_file() lent to @t's system call (the dispatcher, at its end). */
void fd_put_borrowed(struct task *t);
/* Install @f at the lowest free descriptor: the descriptor or -EMFILE (@f released). */
int fd_install(struct file *f, bool cloexec);
/* Takes back @fd, still holding @f, that fd_install() gave in this call (pipe2's EFAULT). */
void fd_uninstall(int fd, struct file *f);
/* The lowest free descriptor at or above @min, not reserved; -EMFILE if none. */
int fd_peek_free(uint64_t min);
/*
 * lseek(@fd, @off, @whence) with the whole 64-bit result: the new position
 * or -errno (lseek itself and i386's _llseek).
 */
int64_t fs_lseek(uint64_t fd, uint64_t off, uint64_t whence);
/*
 * sendfile from @in_fd to @out_fd: at *@ppos (advanced) or the source's
 * position (@ppos NULL), at most @count bytes, no offset past @max (0: no
 * limit but the file system's). Bytes sent or -errno.
 */
long fs_sendfile(uint64_t out_fd, uint64_t in_fd, int64_t *ppos, int64_t count, int64_t max);
/* write(@fd, @ubuf, @len) from a trap handler (not inside a system call). */
long fd_write_user(uint64_t fd, uint64_t ubuf, uint64_t len);

#endif
