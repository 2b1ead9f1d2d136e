// SPDX-License-Identifier: MIT
/*
 * File system calls over the console and the RAM file system: descriptors,
 * reading and writing, positions and sizes. Names (open, mkdir, unlink,
 * rename, stat, getdents64) are in sys_names.c.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define SYS_dup		32
#define SYS_dup2	33
#define SYS_dup3	292
#define SYS_flock	73
#define X86_64_readahead	187
#define X86_64_sync_file_range	277
#define IOV_MAX		1024
#define MAX_RW_COUNT	(0x7fffffffull & PAGE_MASK)	/* Linux's cap on one transfer */
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define SEEK_DATA	3
#define SEEK_HOLE	4

/*
 * Descriptors are unsigned ints in Linux's ABI: the upper half of the
 * register is ignored. The file comes with a reference that the system
 * call's return drops (fd_put_borrowed), so another thread closing the
 * descriptor meanwhile cannot free it under this call.
 */
struct file *fd_file(uint64_t fd)
{
	struct task *t = current();
	struct file *f = files_lookup(t->files, fd);

	if (f) {
		if (t->nborrowed == TASK_FD_BORROW_MAX)
			panic("fd: more than %d descriptors looked up in one system call",
			      TASK_FD_BORROW_MAX);
		t->fd_borrowed[t->nborrowed++] = f;
	}
	return f;
}

/* At the end of a system call: drops the references fd_file() took. */
void fd_put_borrowed(struct task *t)
{
	while (t->nborrowed)
		file_put(t->fd_borrowed[--t->nborrowed]);
}

/* Descriptors the current process may use: below RLIMIT_NOFILE (at most NR_OPEN). */
static uint64_t fd_limit(void)
{
	return MM_MIN(task_rlimit(current(), RLIMIT_NOFILE), (uint64_t)NR_OPEN);
}

/*
 * The lowest free descriptor at or above @min, below the process's limit,
 * for @f (a reference it takes over), or -EMFILE.
 */
static int fd_place(struct file *f, uint64_t min, bool cloexec)
{
	struct files *fs = current()->files;
	uint64_t lim = fd_limit();

	if (min >= lim)
		return -EMFILE;
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&fs->lock);
		int fd = files_find_free(fs, (unsigned)min, (unsigned)lim);
		unsigned grow = MM_MAX(fs->max, (unsigned)min);

		if (fd >= 0)
			files_set(fs, (unsigned)fd, f, cloexec);
		spin_unlock_irqrestore(&fs->lock, flags);
		if (fd >= 0)
			return fd;
		if (grow >= lim)
			return -EMFILE;
		int err = files_expand(fs, grow);	/* the table is full below the limit */
		if (err)
			return err;
	}
}

/**
 * fd_peek_free() - the descriptor the next open would get at or above @min
 * @min: the lowest acceptable
 *
 * Nothing is reserved (socketpair reports the two it would have used).
 * Return: the descriptor, or -EMFILE.
 */
int fd_peek_free(uint64_t min)
{
	struct files *fs = current()->files;
	uint64_t lim = fd_limit();

	if (min >= lim)
		return -EMFILE;
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	int fd = files_find_free(fs, (unsigned)min, (unsigned)lim);
	uint64_t end = fs->max;
	spin_unlock_irqrestore(&fs->lock, flags);
	if (fd >= 0)
		return fd;
	end = MM_MAX(end, min);		/* the table grows: its first new slot */
	return end < lim ? (int)end : -EMFILE;
}

/**
 * fd_install() - give @f the lowest free descriptor of the current task
 * @f: an open file (its reference passes to the table)
 * @cloexec: the descriptor's close-on-exec flag
 *
 * Return: the descriptor, or -EMFILE (and @f is released).
 */
int fd_install(struct file *f, bool cloexec)
{
	int fd = fd_place(f, 0, cloexec);

	if (fd < 0)
		file_put(f);
	return fd;
}

/**
 * fd_uninstall() - take back descriptor @fd, given @f by fd_install() in this call
 * @fd: the descriptor
 * @f: its file, whose reference the table held
 *
 * pipe2 whose array could not be written: the descriptor goes as if never made.
 */
void fd_uninstall(int fd, struct file *f)
{
	struct files *fs = current()->files;
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	bool ours = (unsigned)fd < fs->max && fs->fd[fd] == f;

	if (ours)
		files_set(fs, (unsigned)fd, NULL, false);
	spin_unlock_irqrestore(&fs->lock, flags);
	if (ours)
		fd_close_file(f, fs);
}

/* A transfer at the file's position, which no other read, write or lseek moves meanwhile. */
static long rw_at_pos(struct file *f, uint64_t buf, uint64_t len, bool writing);

/* One transfer at *@pos, with the checks every read and write share. */
static long rw(struct file *f, uint64_t buf, uint64_t len, bool writing, uint64_t *pos)
{
	if (!f)
		return -EBADF;
	if (writing ? !file_writable(f) : !file_readable(f))
		return -EBADF;
	if (!(writing ? f->ops->write : f->ops->read))
		return -EINVAL;		/* vfs_read(): no FMODE_CAN_READ, before the buffer */
	if (!user_range_ok(buf, len))
		return -EFAULT;
	if ((int64_t)len < 0)
		len = INT64_MAX & PAGE_MASK;
	return writing ? f->ops->write(f, buf, len, pos) : f->ops->read(f, buf, len, pos);
}

static long rw_at_pos(struct file *f, uint64_t buf, uint64_t len, bool writing)
{
	if (!f)
		return -EBADF;
	file_pos_lock(f);
	long r = rw(f, buf, len, writing, &f->pos);
	file_pos_unlock(f);
	return r;
}

static long sys_read(uint64_t fd, uint64_t buf, uint64_t len, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return rw_at_pos(fd_file(fd), buf, len, false);
}
SYSCALL_DEFINE(SYS_read, read, sys_read);

static long sys_write(uint64_t fd, uint64_t buf, uint64_t len, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return rw_at_pos(fd_file(fd), buf, len, true);
}
SYSCALL_DEFINE(SYS_write, write, sys_write);

/* write(2) for the kernel's own traps (the DOS box's console output), outside any system call. */
long fd_write_user(uint64_t fd, uint64_t ubuf, uint64_t len)
{
	long r = sys_write(fd, ubuf, len, 0, 0, 0);

	fd_put_borrowed(current());
	return r;
}

/* pread64 and pwrite64: at an offset, the file's position untouched. */
static long positional(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off, bool writing)
{
	struct file *f = fd_file(fd);
	uint64_t pos = off;

	if ((int64_t)off < 0)
		return -EINVAL;		/* ksys_pread64() checks it before the descriptor */
	if (!f)
		return -EBADF;
	if (!file_seekable(f))
		return -ESPIPE;
	return rw(f, buf, len, writing, &pos);
}

static long sys_pread64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off, uint64_t a4,
			uint64_t a5)
{
	return positional(fd, buf, len, off, false);
}
SYSCALL_DEFINE(SYS_pread64, pread64, sys_pread64);

static long sys_pwrite64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off, uint64_t a4,
			 uint64_t a5)
{
	return positional(fd, buf, len, off, true);
}
SYSCALL_DEFINE(SYS_pwrite64, pwrite64, sys_pwrite64);

/*
 * readv/writev, checked as Linux checks them before moving a byte: a length
 * that is negative as ssize_t gives EINVAL, then a buffer outside user
 * space EFAULT. The transfer stops at the first short one.
 */
static long read_iov(uint64_t uiov, uint64_t i, uint64_t iov[2])
{
	return copy_from_user(iov, uiov + i * 16, 16);
}

static long check_iovecs(uint64_t uiov, uint64_t iovcnt)
{
	uint64_t iov[2];

	for (uint64_t i = 0; i < iovcnt; i++) {
		if (read_iov(uiov, i, iov))
			return -EFAULT;
		if ((int64_t)iov[1] < 0)
			return -EINVAL;
	}
	for (uint64_t i = 0; i < iovcnt; i++) {
		read_iov(uiov, i, iov);
		if (!user_range_ok(iov[0], iov[1]))
			return -EFAULT;
	}
	return 0;
}

/* The transfers of one readv/writev, under the file's position lock. */
static long vector_io_locked(struct file *f, uint64_t uiov, uint64_t iovcnt, bool writing)
{
	long total = 0;

	for (uint64_t i = 0; i < iovcnt; i++) {
		uint64_t iov[2];
		if (read_iov(uiov, i, iov))
			return total ? total : -EFAULT;
		if (!iov[1])
			continue;
		long n = rw(f, iov[0], iov[1], writing, &f->pos);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < iov[1])
			break;
	}
	return total;
}

/* A file that takes the buffers in one transfer (a pipe): checked as rw() checks. */
static long vector_io_whole(struct file *f, uint64_t uiov, uint64_t iovcnt, bool writing)
{
	struct user_vec *v;
	long r;

	if (writing ? !file_writable(f) : !file_readable(f))
		return -EBADF;
	v = kmalloc(iovcnt ? iovcnt * sizeof(*v) : 1);
	if (!v)
		return -ENOMEM;
	r = copy_from_user(v, uiov, iovcnt * sizeof(*v)) ? -EFAULT : 0;
	for (uint64_t i = 0, sum = 0; i < iovcnt && !r; i++) {
		v[i].len = MM_MIN(v[i].len, (uint64_t)MAX_RW_COUNT - sum);	/* rw_verify_area() */
		sum += v[i].len;
	}
	if (!r)
		r = writing ? f->ops->write_vec(f, v, (unsigned)iovcnt) :
			      f->ops->read_vec(f, v, (unsigned)iovcnt);
	kfree(v);
	return r;
}

static long vector_io(uint64_t fd, uint64_t uiov, uint64_t iovcnt, bool writing)
{
	struct file *f = fd_file(fd);
	long total, err;

	if (!f)
		return -EBADF;
	if (iovcnt > IOV_MAX)
		return -EINVAL;
	if ((err = check_iovecs(uiov, iovcnt)))
		return err;
	if (writing ? f->ops->write_vec : f->ops->read_vec)
		return vector_io_whole(f, uiov, iovcnt, writing);
	file_pos_lock(f);
	total = vector_io_locked(f, uiov, iovcnt, writing);
	file_pos_unlock(f);
	return total;
}

static long sys_readv(uint64_t fd, uint64_t iov, uint64_t cnt, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return vector_io(fd, iov, cnt, false);
}
SYSCALL_DEFINE(SYS_readv, readv, sys_readv);

static long sys_writev(uint64_t fd, uint64_t iov, uint64_t cnt, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return vector_io(fd, iov, cnt, true);
}
SYSCALL_DEFINE(SYS_writev, writev, sys_writev);

static long sys_close(uint64_t fd, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct files *fs = current()->files;
	struct file *f = NULL;

	fd = (uint32_t)fd;
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	if (fd < fs->max)
		f = files_set(fs, (unsigned)fd, NULL, false);
	spin_unlock_irqrestore(&fs->lock, flags);
	if (!f)
		return -EBADF;
	fd_close_file(f, fs);
	return 0;
}
SYSCALL_DEFINE(SYS_close, close, sys_close);

/* lseek's new position (64 bits on every arch), set under the file's position lock. */
static int64_t lseek_locked(struct file *f, uint64_t off, uint64_t whence)
{
	uint64_t size;
	int64_t base;

	size = f->inode->pc ? pcache_size(f->inode->pc) : 0;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = size; break;
	case SEEK_DATA:		/* the whole file is data: holes read as zeroes */
	case SEEK_HOLE:
		if ((int64_t)off < 0 || off >= size || !f->inode->pc)
			return -ENXIO;
		f->pos = whence == SEEK_DATA ? off : size;
		return f->pos;
	default: return -EINVAL;
	}
	int64_t pos = base + (int64_t)off;
	if (((int64_t)off > 0 && pos < base) || pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

int64_t fs_lseek(uint64_t fd, uint64_t off, uint64_t whence)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!file_seekable(f))
		return -ESPIPE;
	file_pos_lock(f);
	int64_t r = lseek_locked(f, off, whence);
	file_pos_unlock(f);
	return r;
}

/*
 * lseek returns a long: where that is 32 bits (i386) a position beyond it
 * is EOVERFLOW, after the move, as Linux's ksys_lseek() does; _llseek
 * (arch code) gives the whole position.
 */
static long sys_lseek(uint64_t fd, uint64_t off, uint64_t whence, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	int64_t r = fs_lseek(fd, off, whence);

	return (long)r == r ? (long)r : -EOVERFLOW;
}
SYSCALL_DEFINE(SYS_lseek, lseek, sys_lseek);

static long sys_ftruncate(uint64_t fd, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4,
			  uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if ((int64_t)len < 0 || f->is_console || !file_writable(f) || !S_ISREG(f->inode->mode))
		return -EINVAL;
	return fs_truncate(f->inode, len);
}
SYSCALL_DEFINE(SYS_ftruncate, ftruncate, sys_ftruncate);

static long sys_fsync(uint64_t fd, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	/* the page cache is the file: nothing to write; the console and an anonymous inode have no fsync */
	return file_seekable(f) ? 0 : -EINVAL;
}
SYSCALL_DEFINE(SYS_fsync, fsync, sys_fsync);
SYSCALL_DEFINE(SYS_fdatasync, fdatasync, sys_fsync);

#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02

/* Zero [from, to) inside one page of @pc, if the page is there. */
static void zero_part(struct pcache *pc, uint64_t from, uint64_t to)
{
	phys_addr_t pa;

	if (from >= to || pcache_lookup(pc, from >> PAGE_SHIFT, false, &pa) != PCACHE_OK ||
	    pa == PMM_NO_FRAME)
		return;
	uint8_t *p = plat_kmap(pa);

	memset(p + (from & ~PAGE_MASK), 0, to - from);
	plat_kunmap(p);
	pmm_put(pa);
}

/* FALLOC_FL_PUNCH_HOLE: zero the partial pages at the ends, drop the whole ones. */
static long punch_hole(struct inode *ino, uint64_t off, uint64_t end)
{
	struct pcache *pc = ino->pc;
	uint64_t first = (off + PAGE_SIZE - 1) >> PAGE_SHIFT, last = end >> PAGE_SHIFT;

	end = MM_MIN(end, pcache_size(pc));
	if (off >= end)
		return 0;
	if (first > last) {		/* inside one page */
		zero_part(pc, off, end);
		return 0;
	}
	zero_part(pc, off, first << PAGE_SHIFT);
	zero_part(pc, last << PAGE_SHIFT, end);
	if (last > first) {
		as_unmap_object(pc, first, last - first, false);
		pcache_punch(pc, first, last - first);
	}
	return 0;
}

static long sys_fallocate(uint64_t fd, uint64_t mode, uint64_t off, uint64_t len, uint64_t a4,
			  uint64_t a5)
{
	struct file *f = fd_file(fd);
	struct pcache *pc;

	if ((int64_t)off < 0 || (int64_t)len <= 0)
		return -EINVAL;
	if (mode & ~(uint64_t)(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (!f || !file_writable(f))
		return -EBADF;
	if (f->is_console)
		return -ESPIPE;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (S_ISFIFO(f->inode->mode))
		return -ESPIPE;
	if (!S_ISREG(f->inode->mode))
		return -ENODEV;		/* vfs_fallocate(): an anonymous inode (a pidfd) */
	if (off + len < off || off + len > (uint64_t)INT64_MAX)
		return -EFBIG;
	pc = f->inode->pc;
	if (mode & FALLOC_FL_PUNCH_HOLE)
		return punch_hole(f->inode, off, off + len);
	for (uint64_t i = off >> PAGE_SHIFT; i < (off + len + PAGE_SIZE - 1) >> PAGE_SHIFT; i++) {
		phys_addr_t pa;

		if (pcache_grab(pc, i, &pa) != PCACHE_OK)
			return -ENOSPC;
		pmm_put(pa);
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		pcache_extend(pc, off + len);
	return 0;
}
SYSCALL_DEFINE(SYS_fallocate, fallocate, sys_fallocate);

#define POSIX_FADV_NOREUSE	5	/* the last advice: NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED */

/*
 * fadvise64: the page cache here is the file (no backing device to read
 * ahead from or write back to), so advice is checked and taken as Linux
 * takes it for tmpfs: a bad descriptor EBADF, a negative length or unknown
 * advice EINVAL, otherwise nothing to do.
 */
static long sys_fadvise64(uint64_t fd, uint64_t off, uint64_t len, uint64_t advice, uint64_t a4,
			  uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->is_console && S_ISFIFO(f->inode->mode))
		return -ESPIPE;		/* generic_fadvise(): before the arguments */
	if ((int64_t)len < 0 || (uint32_t)advice > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0;
}
SYSCALL_DEFINE(SYS_fadvise64, fadvise64, sys_fadvise64);

/*
 * readahead(fd, offset, count): Linux's ksys_readahead() on a RAM file
 * system: EBADF unless open for reading, EINVAL unless a regular file,
 * else WILLNEED advice, which has nothing to do here (the page cache is
 * the file).
 */
static long sys_readahead(uint64_t fd, uint64_t off, uint64_t count, uint64_t a3, uint64_t a4,
			  uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f || !file_readable(f) || (f->flags & O_PATH))
		return -EBADF;
	if (f->is_console || !S_ISREG(f->inode->mode))
		return -EINVAL;
	return 0;
}
SYSCALL_DEFINE(X86_64_readahead, readahead, sys_readahead);

#define SYNC_FILE_RANGE_VALID	7	/* WAIT_BEFORE | WRITE | WAIT_AFTER */

/*
 * sync_file_range(fd, offset, nbytes, flags): checked as Linux's
 * sync_file_range() checks it; there is no disk behind the page cache to
 * write to. Where long is 32 bits, a range that starts beyond the page
 * cache's reach (2^32 pages) "succeeds" before the file type is looked at.
 */
static long sys_sync_file_range(uint64_t fd, uint64_t off, uint64_t nbytes, uint64_t flags,
				uint64_t a4, uint64_t a5)
{
	struct file *f = fd_file(fd);
	int64_t end = (int64_t)(off + nbytes);

	if (!f)
		return -EBADF;
	if ((uint32_t)flags & ~(uint32_t)SYNC_FILE_RANGE_VALID)
		return -EINVAL;
	if ((int64_t)off < 0 || end < 0 || end < (int64_t)off)
		return -EINVAL;
	if (sizeof(long) == 4 && off >= (0x100000000ull << PAGE_SHIFT))
		return 0;
	if (f->is_console || !(S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode)))
		return -ESPIPE;
	return 0;
}
SYSCALL_DEFINE(X86_64_sync_file_range, sync_file_range, sys_sync_file_range);

static long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (f->ops->ioctl)
		return f->ops->ioctl(f, (unsigned)cmd, arg);
	/* No terminal driver: the console is a plain character stream. */
	return -ENOTTY;
}
SYSCALL_DEFINE(SYS_ioctl, ioctl, sys_ioctl);

#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030
#define FD_CLOEXEC	1

static long dup_from(struct file *f, uint64_t min, bool cloexec)
{
	int fd = fd_place(file_get(f), min, cloexec);

	if (fd < 0)
		file_put(f);
	return fd;
}

/* F_GETFD and F_SETFD (@set: the new flag, or -1 to read it) for @fd, which held @f. */
static long cloexec_flag(uint64_t fd, struct file *f, int set)
{
	struct files *fs = current()->files;
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	long r = -EBADF;		/* closed meanwhile by another thread */

	if (fd < fs->max && fs->fd[fd] == f) {
		if (set >= 0)
			files_set(fs, (unsigned)fd, f, set);
		r = files_cloexec(fs, (unsigned)fd) ? FD_CLOEXEC : 0;
	}
	spin_unlock_irqrestore(&fs->lock, flags);
	return set >= 0 && r >= 0 ? 0 : r;
}

/* fcntl's lock commands with x86_64's struct flock at @uarg (i386's layouts: compat32.c). */
static long fcntl_lock_x86_64(struct file *f, unsigned cmd, uint64_t uarg)
{
	struct flock_x86_64 u;
	struct flock_args a;
	long r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (copy_from_user(&u, uarg, sizeof(u)))
		return -EFAULT;
	a = FLOCK_ARGS_OF(u);
	r = fcntl_lock(f, cmd, &a);
	if (r || (cmd != F_GETLK && cmd != F_OFD_GETLK))
		return r;
	FLOCK_SET_FROM_ARGS(u, a);
	return copy_to_user(uarg, &u, sizeof(u)) ? -EFAULT : 0;
}

/* fcntl: duplicating, the close-on-exec flag, the status flags, record locks. */
static long sys_fcntl(uint64_t fd, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	fd = (uint32_t)fd;
	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= task_rlimit(current(), RLIMIT_NOFILE))
			return -EINVAL;		/* at or above RLIMIT_NOFILE */
		return dup_from(f, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return cloexec_flag(fd, f, -1);
	case F_SETFD:
		return cloexec_flag(fd, f, arg & FD_CLOEXEC);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~(unsigned)(O_APPEND | O_NONBLOCK)) |
			   (arg & (O_APPEND | O_NONBLOCK));
		return 0;
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		return pipe_fcntl(f, (unsigned)cmd, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fcntl_lock_x86_64(f, (unsigned)cmd, arg);
	default:
		return -EINVAL;
	}
}
SYSCALL_DEFINE(SYS_fcntl, fcntl, sys_fcntl);

/* flock(2): whole-file locks of the open file description (file_lock.c). */
static long sys_flock(uint64_t fd, uint64_t op, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	return f ? flock_file(f, (uint32_t)op) : -EBADF;
}
SYSCALL_DEFINE(SYS_flock, flock, sys_flock);

static long sys_dup(uint64_t fd, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct file *f = fd_file(fd);

	return f ? dup_from(f, 0, false) : -EBADF;
}
SYSCALL_DEFINE(SYS_dup, dup, sys_dup);

/*
 * dup2/dup3: @newfd made to name @oldfd's file, closing what it named;
 * EBADF for a bad @oldfd or @newfd at or above RLIMIT_NOFILE (Linux's
 * ksys_dup3(): the table grows to hold it).
 */
static long dup_to(uint64_t oldfd, uint64_t newfd, bool cloexec)
{
	struct files *fs = current()->files;
	struct file *f = fd_file(oldfd), *old;
	unsigned fd = (uint32_t)newfd;

	if (!f)
		return -EBADF;
	if (fd >= fd_limit())
		return -EBADF;
	if (fd >= __atomic_load_n(&fs->max, __ATOMIC_RELAXED)) {
		int err = files_expand(fs, fd);
		if (err)
			return err;
	}
	unsigned long flags = spin_lock_irqsave(&fs->lock);
	old = files_set(fs, fd, file_get(f), cloexec);
	spin_unlock_irqrestore(&fs->lock, flags);
	fd_close_file(old, fs);
	return fd;
}

static long sys_dup2(uint64_t oldfd, uint64_t newfd, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	if ((uint32_t)oldfd == (uint32_t)newfd)
		return fd_file(oldfd) ? (long)(uint32_t)newfd : -EBADF;
	return dup_to(oldfd, newfd, false);
}
SYSCALL_DEFINE(SYS_dup2, dup2, sys_dup2);

static long sys_dup3(uint64_t oldfd, uint64_t newfd, uint64_t flags, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	if ((flags & ~(uint64_t)O_CLOEXEC) || (uint32_t)oldfd == (uint32_t)newfd)
		return -EINVAL;
	return dup_to(oldfd, newfd, flags & O_CLOEXEC);
}
SYSCALL_DEFINE(SYS_dup3, dup3, sys_dup3);
