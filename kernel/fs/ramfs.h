/* SPDX-License-Identifier: MIT */
/*
 * The RAM file system mounted at "/": directories of named inodes, each
 * regular file's bytes in a page-cache object (mm/pcache.h) shared by
 * read(), write() and every mapping of it. The initial RAM disk's files are
 * copied in at boot; /tmp, /dev and /dev/shm are made if the archive lacks
 * them. Nothing is ever written back: the cache is the file.
 *
 * Inodes are counted: each directory entry naming one holds a reference,
 * and so does each open file and each mapping region (through the inode's
 * as_file hooks), so an unlinked file lives on while open or mapped.
 *
 * Locking: one lock for the whole tree (fs_lock), taken by every name
 * operation; file data are guarded by the page cache's own locks. Lock
 * order: fs_lock, then an address space's lock, then a page-cache lock.
 */
#ifndef KERNEL_FS_RAMFS_H
#define KERNEL_FS_RAMFS_H

#include "kernel/fs/file_lock.h"
#include "kernel/lib.h"
#include "mm/as.h"
#include "mm/pcache.h"

#define S_IFMT		0170000
#define S_IFDIR		0040000
#define S_IFREG		0100000
#define S_IFIFO		0010000
#define S_ISFIFO(m)	(((m) & S_IFMT) == S_IFIFO)
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define NAME_MAX	255
#define FS_PATH_MAX	4096

struct dentry;

struct inode {
	uint32_t ino;
	uint32_t mode;			/* S_IF* and permission bits */
	uint32_t nlink;
	uint32_t refs;			/* links, open files, mappings */
	uint64_t atime, mtime, ctime;	/* seconds */
	struct pcache *pc;		/* regular files: the data */
	struct as_file af;		/* how mappings see the file */
	char *name;			/* name at creation, for mapping listings */
	/* directories */
	struct inode *parent;
	struct dentry *children;
	uint32_t nchildren;
	uint64_t seals;			/* memfd: F_SEAL_* */
	/* A transient name (ramfs_transient.c): removed once only names refer to the file. */
	struct inode *transient_dir;	/* the directory naming it (referenced); NULL: not */
	struct inode *transient_next;	/* on the list of inodes to look at */
	bool transient_queued;		/* on that list (which holds a reference) */
	bool transient_done;		/* its name went (or moved): an ordinary file now */
	struct inode_locks locks;	/* record and flock() locks (file_lock.h) */
};

struct dentry {
	struct dentry *next;
	struct inode *inode;
	uint64_t cookie;		/* getdents64 position: order of creation */
	char name[];
};

extern struct inode *fs_root;

void ramfs_init(void);
struct inode *inode_get(struct inode *ino);
void inode_put(struct inode *ino);
struct inode *inode_new(uint32_t mode, const char *name);
/* The inode whose mappings see @f, or NULL if @f is not a RAM file's. */
const struct inode *ramfs_inode_of(const struct as_file *f);

/* Resolve @path (absolute, or relative to "/") to a referenced inode: 0 or a negated errno. */
long fs_lookup(const char *path, struct inode **out);
/* The same, a relative @path from directory @start (NULL: the root). */
long fs_lookup_at(struct inode *start, const char *path, struct inode **out);
/*
 * The directory holding the last component of @path (referenced), and that
 * component in @name ("" if the path names the directory itself: "/", ".").
 */
long fs_lookup_parent(struct inode *start, const char *path, struct inode **dir,
		      char name[NAME_MAX + 1]);
/* The entry @name of @dir, or NULL; fs_lock held. */
struct dentry *fs_dir_find(struct inode *dir, const char *name);
/* Remove entry @d of @dir, fs_lock held; the caller puts the inode returned after fs_unlock(). */
struct inode *fs_unlink_entry(struct inode *dir, struct dentry *d);

/* Open-time creation: the file @name in @dir (created with @mode if @create). */
long fs_open_in(struct inode *dir, const char *name, bool create, bool excl, uint32_t mode,
		struct inode **out);
long fs_mkdir(struct inode *dir, const char *name, uint32_t mode);
long fs_unlink(struct inode *dir, const char *name, bool want_dir);
long fs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
/* Truncate or extend a regular file, shrinking every mapping of it. */
long fs_truncate(struct inode *ino, uint64_t size);
/* The @pos-th entry of @dir at or after cookie @pos (getdents64); NULL at the end. */
struct dentry *fs_dir_next(struct inode *dir, uint64_t pos);

void fs_lock(void);
void fs_unlock(void);

/*
 * Transient names (ramfs_transient.c): a file whose name goes with its last
 * open file and mapping, as a Windows named section's does. inode_put()
 * only queues the removal (it may run under an address space's lock, below
 * fs_lock); ramfs_transient_reap() does it, at the end of every system call
 * and before every name lookup.
 */
long ramfs_make_transient(const char *path, struct inode *ino);
bool ramfs_transient_put(struct inode *ino);
void ramfs_transient_reap_now(void);
extern struct inode *ramfs_transient_list;
static inline void ramfs_transient_reap(void)
{
	if (__atomic_load_n(&ramfs_transient_list, __ATOMIC_RELAXED))
		ramfs_transient_reap_now();
}
uint64_t fs_now(void);

#endif
