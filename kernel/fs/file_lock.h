/* SPDX-License-Identifier: MIT */
/*
 * Advisory file locks as Linux keeps them: POSIX record locks (fcntl
 * F_SETLK, owned by the process's descriptor table, dropped when that
 * process closes any descriptor of the file and at exit), open file
 * description locks (F_OFD_SETLK, owned by the open file, dropped with its
 * last reference) and flock(2) locks (whole-file, owned by the open file,
 * independent of the other two). They live with the inode, each a
 * "file_lock" cache object; a waiter of F_SETLKW or flock() sleeps until a
 * lock of the inode goes or changes and then looks again.
 *
 * Lock order: file_lock_lock (file_lock.c) guards every inode's lock and
 * waiter lists and the blocked-waiter list; it is a leaf, taken with no
 * other lock held but a wait bucket's inside sleep_on_unlock()/wakeup().
 */
#ifndef KERNEL_FS_FILE_LOCK_H
#define KERNEL_FS_FILE_LOCK_H

#include "kernel/fs/flock_abi.h"
#include "kernel/list.h"

struct file;
struct files;
struct inode;
struct kmem_cache;

/* An inode's locks: POSIX and OFD locks by start, flock() locks, and the tasks waiting. */
struct inode_locks {
	struct list_node posix, flock, waiters;
};

/* The "file_lock" cache, at boot. */
struct kmem_cache *file_lock_cache_init(void);
void file_lock_inode_init(struct inode_locks *il);
/* The inode goes: it holds no locks (every file of it was closed). */
void file_lock_inode_free(struct inode_locks *il);

/*
 * fcntl's lock commands on @f (F_GETLK, F_SETLK, F_SETLKW and the F_OFD_
 * ones; the caller maps the 64-bit forms of i386 onto them): @a in, and
 * out for the GETLKs. 0 or -errno (-ERESTARTSYS when a signal ends a wait).
 */
long fcntl_lock(struct file *f, unsigned cmd, struct flock_args *a);
/* flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. */
long flock_file(struct file *f, unsigned op);

/* The process owning descriptor table @owner lets go of a descriptor of @f. */
void file_lock_close(struct file *f, struct files *owner);
/* The last reference to @f goes: its OFD and flock() locks with it. */
void file_lock_release(struct file *f);

#endif
