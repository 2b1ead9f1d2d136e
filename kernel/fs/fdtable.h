/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables: descriptor number -> open file, with the close-on-exec
 * flag. A table is shared by the threads of a process (CLONE_FILES) and
 * copied by fork; it counts its sharers and comes from the "files" cache.
 *
 * Lock order: files.lock (a table's slots and flags) is a leaf: taken with
 * no other lock held, and only file_get() runs under it (a file is put
 * after the lock is dropped). Threads on several CPUs share a table, so a
 * system call never uses a file it has not taken a reference on: fd_file()
 * takes one, dropped when the call returns.
 */
#ifndef KERNEL_FS_FDTABLE_H
#define KERNEL_FS_FDTABLE_H

#include "kernel/lib.h"
#include "mm/spinlock.h"

#define FD_MAX		64

struct file;

struct files {
	int refs;
	spinlock_t lock;
	struct file *fd[FD_MAX];
	bool cloexec[FD_MAX];	/* closed by execve */
};

struct kmem_cache;
/* The "files" cache, at boot. */
struct kmem_cache *files_cache_init(void);
/* An empty table, one reference; NULL if out of memory. */
struct files *files_alloc(void);
/* A copy of @src sharing its open files; NULL if out of memory. */
struct files *files_copy(const struct files *src);
struct files *files_get(struct files *fs);
/* Drops a reference; the last closes every descriptor and frees the table. */
void files_put(struct files *fs);
/* execve: closes the close-on-exec descriptors. */
void files_close_on_exec(struct files *fs);

#endif
