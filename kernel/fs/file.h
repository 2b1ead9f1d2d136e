/* SPDX-License-Identifier: MIT */
/*
 * Open files: the console (standard input and output of every process),
 * and files and directories of the RAM file system (ramfs.h). A file is
 * shared by the descriptors that refer to it (after fork or dup) and counts
 * them; the last one closed releases its inode.
 */
#ifndef KERNEL_FS_FILE_H
#define KERNEL_FS_FILE_H

#include "kernel/fs/initrd.h"
#include "kernel/fs/ramfs.h"
#include "kernel/lib.h"
#include "kernel/mutex.h"

/* open flags: Linux's x86_64 values. */
#define O_ACCMODE	3
#define O_RDONLY	0
#define O_WRONLY	1
#define O_RDWR		2
#define O_CREAT		0100
#define O_EXCL		0200
#define O_NOCTTY	0400
#define O_TRUNC		01000
#define O_APPEND	02000
#define O_NONBLOCK	04000
#define O_DIRECT	040000		/* a pipe's write end: packet mode */
#define O_DIRECTORY	0200000
#define O_NOFOLLOW	0400000
#define O_CLOEXEC	02000000
#define O_PATH		010000000

struct file;

/* One user buffer of a readv/writev (Linux's struct iovec, at the kernel's width). */
struct user_vec {
	uint64_t base, len;
};

struct file_ops {
	/*
	 * Both move data between the file and a user buffer at *@pos; return
	 * bytes or -errno. NULL: the file cannot be read (written): EINVAL.
	 */
	long (*read)(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);
	long (*write)(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);
	/* poll(): the POLL* bits ready now (kernel/fs/poll.h); NULL: always ready (Linux's DEFAULT_POLLMASK). */
	unsigned (*poll)(struct file *f);
	/*
	 * readv/writev as one transfer over @n checked user buffers (a pipe:
	 * one wait, one atomic write); NULL: a read or write per buffer.
	 */
	long (*read_vec)(struct file *f, const struct user_vec *v, unsigned n);
	long (*write_vec)(struct file *f, const struct user_vec *v, unsigned n);
	/* write() of a kernel buffer (sendfile into a pipe); NULL: a RAM file's or the console's. */
	long (*write_kernel)(struct file *f, const void *buf, uint64_t len);
	/* ioctl's commands of the file's own (a pipe's FIONREAD); NULL: none (ENOTTY). */
	long (*ioctl)(struct file *f, unsigned cmd, uint64_t arg);
};

struct file {
	int refs;
	const struct file_ops *ops;
	struct inode *inode;		/* NULL for the console */
	uint64_t pos;
	struct kmutex pos_lock;		/* read, write, lseek, getdents of a shared file: atomic */
	unsigned flags;			/* O_ACCMODE, O_APPEND, O_NONBLOCK as opened or set */
	bool is_console;
	void *private;			/* what the ops keep (a pidfd's task) */
	void (*release)(struct file *f);	/* lets go of it with the last reference, or NULL */
};

/* The initial RAM disk as parsed, from the boot module; NULL if there is none. */
extern struct initrd *root_fs;
void fs_init(const uint8_t *archive, uint64_t size);

struct kmem_cache;
/* The "file" cache, at boot (proc_caches_init). */
struct kmem_cache *file_cache_init(void);
struct file *file_open_console(void);
struct file *file_open_inode(struct inode *ino, unsigned flags);
/*
 * A file with no name behind it (Linux's anon_inode_getfile()): @ops on the
 * one shared anonymous inode (mode 0600, no file type), @private for the
 * ops and @release to let go of it, @flags the access mode and O_NONBLOCK.
 * NULL if out of memory.
 */
struct file *file_open_anon(const struct file_ops *ops, void *private,
			    void (*release)(struct file *f), unsigned flags);
/*
 * file_open_anon() on an inode of the caller's (@ino: its reference passes
 * to the file, or is dropped if out of memory): a pipe's FIFO inode.
 */
struct file *file_open_on(struct inode *ino, const struct file_ops *ops, void *private,
			  void (*release)(struct file *f), unsigned flags);
/* Is @f seekable: a regular file or directory (not the console nor an anonymous inode)? */
bool file_seekable(const struct file *f);
struct file *file_get(struct file *f);
void file_put(struct file *f);
bool file_readable(const struct file *f);
/* read() of a RAM file (the regular files' file_ops.read). */
long file_read_regular(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos);
bool file_writable(const struct file *f);
/* sendfile's halves: a RAM file read into, and a file written from, a kernel buffer. */
long file_read_kernel(struct file *f, void *buf, uint64_t len, uint64_t *pos);
long file_write_kernel(struct file *f, const void *buf, uint64_t len, uint64_t *pos);
/*
 * The position lock (Linux's f_pos_lock): held across a read, write,
 * readv/writev, lseek or getdents64 that uses f->pos, so threads sharing
 * an open regular file or directory never use or move the same position
 * twice. What cannot seek (the console, a pipe) has no position: a no-op there.
 */
void file_pos_lock(struct file *f);
void file_pos_unlock(struct file *f);

/*
 * Linux's x86_64 struct stat, what stat/fstat/newfstatat return (the i386
 * calls convert it to their struct stat64).
 */
struct linux_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t reserved[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "Linux's x86_64 struct stat is 144 bytes");

/* Fills @st for @ino; NULL: the console. */
void file_stat(const struct inode *ino, struct linux_stat *st);

#endif
