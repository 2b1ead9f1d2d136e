/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables: descriptor number -> open file, with the close-on-exec
 * flag, growing with the number of descriptors a process opens. A table is
 * shared by the threads of a process (CLONE_FILES) and copied by fork; it
 * counts its sharers and comes from the "files" cache.
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

/*
 * A table starts with FD_SMALL slots inside it and grows on demand, by
 * powers of two, up to the process's RLIMIT_NOFILE (at most NR_OPEN):
 * Linux's expand_files(). Free slots are found in a bitmap, a word at a time.
 */
#define FD_SMALL	64

struct file;

struct files {
	int refs;
	spinlock_t lock;
	unsigned max;			/* slots in fd[], bits in open[] and cloexec[] */
	struct file **fd;
	uint64_t *open;			/* descriptor in use */
	uint64_t *cloexec;		/* closed by execve */
	struct file *small_fd[FD_SMALL];
	uint64_t small_open, small_cloexec;
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
/*
 * A descriptor of @fs let go of @f (NULL is fine): the process's POSIX
 * locks on the file go first, whichever descriptor it was (Linux's
 * filp_close()), then the reference. Called with no lock held.
 */
void fd_close_file(struct file *f, struct files *fs);
/* The file at @fd (unsigned int) with a reference (file_put()), or NULL. Takes the lock. */
struct file *files_lookup(struct files *fs, uint64_t fd);
/* Makes @fs hold descriptor @fd (< NR_OPEN); 0 or -ENOMEM. Takes the lock itself. */
int files_expand(struct files *fs, unsigned fd);

/* With fs->lock held: */
/* The lowest free descriptor in [@min, @end), or -1 (end clipped to the table). */
int files_find_free(const struct files *fs, unsigned min, unsigned end);
/* Puts @f (may be NULL: clears) at @fd < fs->max; returns the file that was there. */
struct file *files_set(struct files *fs, unsigned fd, struct file *f, bool cloexec);
static inline bool files_cloexec(const struct files *fs, unsigned fd)
{
	return fs->cloexec[fd / 64] >> (fd % 64) & 1;
}

#endif
