// SPDX-License-Identifier: MIT
/* File system calls over the console and the read-only RAM disk. */
#include "kernel/fs/file.h"
#include "kernel/proc/syscall.h"

#define O_ACCMODE	3
#define O_RDONLY	0
#define O_CREAT		0100
#define O_TRUNC		01000
#define O_DIRECTORY	0200000
#define O_CLOEXEC	02000000
#define AT_FDCWD	(-100)
#define PATH_MAX	256
#define IOV_MAX		1024
#define TIOCGWINSZ	0x5413
#define TCGETS		0x5401

static struct file *fd_file(uint64_t fd)
{
	return fd < FD_MAX ? current()->fd[fd] : NULL;
}

/**
 * fd_install() - give @f the lowest free descriptor of the current task
 * @f: an open file (its reference passes to the table)
 *
 * Return: the descriptor, or -EMFILE (and @f is released).
 */
static int fd_install(struct file *f)
{
	struct task *t = current();

	for (int fd = 0; fd < FD_MAX; fd++)
		if (!t->fd[fd]) {
			t->fd[fd] = f;
			return fd;
		}
	file_put(f);
	return -EMFILE;
}

/* read and write: one file, one user buffer, checked before the transfer. */
static long transfer(uint64_t fd, uint64_t buf, uint64_t len, bool writing)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	return writing ? f->ops->write(f, buf, len) : f->ops->read(f, buf, len);
}

static long sys_read(uint64_t fd, uint64_t buf, uint64_t len, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return transfer(fd, buf, len, false);
}
SYSCALL_DEFINE(SYS_read, read, sys_read);

static long sys_write(uint64_t fd, uint64_t buf, uint64_t len, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return transfer(fd, buf, len, true);
}
SYSCALL_DEFINE(SYS_write, write, sys_write);

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

static long vector_io(uint64_t fd, uint64_t uiov, uint64_t iovcnt, bool writing)
{
	struct file *f = fd_file(fd);
	long total = 0, err;

	if (!f)
		return -EBADF;
	if (iovcnt > IOV_MAX)
		return -EINVAL;
	if ((err = check_iovecs(uiov, iovcnt)))
		return err;
	for (uint64_t i = 0; i < iovcnt; i++) {
		uint64_t iov[2];
		if (read_iov(uiov, i, iov))
			return total ? total : -EFAULT;
		if (!iov[1])
			continue;
		long n = writing ? f->ops->write(f, iov[0], iov[1]) : f->ops->read(f, iov[0], iov[1]);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < iov[1])
			break;
	}
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

static long lookup_user_path(uint64_t upath, const struct initrd_file **node, bool *console)
{
	char path[PATH_MAX];
	int64_t len = strncpy_from_user(path, upath, sizeof(path));

	if (len < 0)
		return len;
	if (len == 0)
		return -ENOENT;
	*console = !strcmp(path, "/dev/console") || !strcmp(path, "/dev/tty");
	*node = root_fs && !*console ? initrd_lookup(root_fs, path) : NULL;
	return *console || *node ? 0 : -ENOENT;
}

static long do_open(uint64_t upath, uint64_t flags)
{
	const struct initrd_file *node;
	bool console;
	long err = lookup_user_path(upath, &node, &console);

	if (err)
		return (flags & O_CREAT) && err == -ENOENT ? -EROFS : err;
	if (!console && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	if (node && (flags & O_DIRECTORY) && (node->mode & 0170000) != 0040000)
		return -ENOTDIR;
	struct file *f = console ? file_open_console() : file_open_node(node);
	if (!f)
		return -ENFILE;
	int fd = fd_install(f);
	if (fd >= 0)
		current()->fd_cloexec[fd] = flags & O_CLOEXEC;
	return fd;
}

static long sys_open(uint64_t path, uint64_t flags, uint64_t mode, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return do_open(path, flags);
}
SYSCALL_DEFINE(SYS_open, open, sys_open);

/* Only absolute paths or the working directory, which is always the root. */
static long sys_openat(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mode,
		       uint64_t a4, uint64_t a5)
{
	if ((int)dirfd != AT_FDCWD && !fd_file(dirfd))
		return -EBADF;
	return do_open(path, flags);
}
SYSCALL_DEFINE(SYS_openat, openat, sys_openat);

static long sys_close(uint64_t fd, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	current()->fd[fd] = NULL;
	current()->fd_cloexec[fd] = false;
	file_put(f);
	return 0;
}
SYSCALL_DEFINE(SYS_close, close, sys_close);

static long sys_lseek(uint64_t fd, uint64_t off, uint64_t whence, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);
	int64_t base;

	if (!f)
		return -EBADF;
	if (f->is_console)
		return -ESPIPE;
	switch (whence) {
	case 0: base = 0; break;
	case 1: base = f->pos; break;
	case 2: base = f->node->size; break;
	default: return -EINVAL;
	}
	int64_t pos = base + (int64_t)off;
	if (((int64_t)off > 0 && pos < base) || pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}
SYSCALL_DEFINE(SYS_lseek, lseek, sys_lseek);

static long stat_to_user(const struct initrd_file *node, bool console, uint64_t ust)
{
	uint8_t st[144];

	file_stat(node, console, st);
	return copy_to_user(ust, st, sizeof(st));
}

static long sys_fstat(uint64_t fd, uint64_t ust, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	return stat_to_user(f->node, f->is_console, ust);
}
SYSCALL_DEFINE(SYS_fstat, fstat, sys_fstat);

static long sys_stat(uint64_t path, uint64_t ust, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	const struct initrd_file *node;
	bool console;
	long err = lookup_user_path(path, &node, &console);

	return err ? err : stat_to_user(node, console, ust);
}
SYSCALL_DEFINE(SYS_stat, stat, sys_stat);
SYSCALL_DEFINE(SYS_lstat, lstat, sys_stat);

#define AT_EMPTY_PATH	0x1000

static long sys_newfstatat(uint64_t dirfd, uint64_t path, uint64_t ust, uint64_t flags,
			   uint64_t a4, uint64_t a5)
{
	char first;

	if ((flags & AT_EMPTY_PATH) && !copy_from_user(&first, path, 1) && !first)
		return sys_fstat(dirfd, ust, 0, 0, 0, 0);
	if ((int)dirfd != AT_FDCWD && !fd_file(dirfd))
		return -EBADF;
	return sys_stat(path, ust, 0, 0, 0, 0);
}
SYSCALL_DEFINE(SYS_newfstatat, newfstatat, sys_newfstatat);

static long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
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
	struct task *t = current();

	for (uint64_t fd = min; fd < FD_MAX; fd++)
		if (!t->fd[fd]) {
			t->fd[fd] = file_get(f);
			t->fd_cloexec[fd] = cloexec;
			return fd;
		}
	return -EMFILE;
}

/* fcntl: duplicating, the close-on-exec flag, and the status flags (read only). */
static long sys_fcntl(uint64_t fd, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	struct file *f = fd_file(fd);
	struct task *t = current();

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= FD_MAX)
			return -EINVAL;
		return dup_from(f, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return t->fd_cloexec[fd] ? FD_CLOEXEC : 0;
	case F_SETFD:
		t->fd_cloexec[fd] = arg & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return f->is_console ? 2 : 0;	/* O_RDWR for the console, else O_RDONLY */
	case F_SETFL:
		return 0;			/* O_APPEND, O_NONBLOCK: nothing to change here */
	default:
		return -EINVAL;
	}
}
SYSCALL_DEFINE(SYS_fcntl, fcntl, sys_fcntl);
