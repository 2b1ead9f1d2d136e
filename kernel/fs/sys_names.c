// SPDX-License-Identifier: MIT
/*
 * System calls on names: open/openat/creat, stat family, mkdir, rmdir,
 * unlink, rename, truncate, getdents64 and memfd_create. Relative paths
 * start at the root (the working directory of every process) or at a
 * directory descriptor for the *at calls.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/largefile.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define AT_FDCWD		(-100)
#define AT_REMOVEDIR		0x200
#define AT_EMPTY_PATH		0x1000
#define PATH_BUF		256
#define UMASK			022	/* init's umask */

/* A user path, copied in: 0, -EFAULT, -ENAMETOOLONG, -ENOENT (empty). */
static long get_path(uint64_t upath, char path[PATH_BUF])
{
	int64_t len = strncpy_from_user(path, upath, PATH_BUF);

	if (len < 0)
		return len;
	return len ? 0 : -ENOENT;
}

/* Where a relative path of an *at call starts: NULL (the root) or a directory, referenced. */
static long at_dir(uint64_t dirfd, const char *path, struct inode **start)
{
	struct file *f;

	*start = NULL;
	if ((int)dirfd == AT_FDCWD || path[0] == '/')
		return 0;
	f = fd_file(dirfd);
	if (!f)
		return -EBADF;
	if (f->is_console || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	*start = inode_get(f->inode);
	return 0;
}

static bool is_console_path(const char *path)
{
	return !strcmp(path, "/dev/console") || !strcmp(path, "/dev/tty");
}

static long do_open(uint64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
	char path[PATH_BUF], name[NAME_MAX + 1];
	struct inode *start, *dir, *ino;
	struct file *f;
	unsigned acc = flags & O_ACCMODE;
	long err = get_path(upath, path);

	if (err)
		return err;
	if (is_console_path(path)) {
		f = file_open_console();
		return f ? fd_install(f, flags & O_CLOEXEC) : -ENFILE;
	}
	if (!strncmp(path, PROCFS_PREFIX, strlen(PROCFS_PREFIX))) {
		err = procfs_open(path + strlen(PROCFS_PREFIX), (unsigned)flags, &f);
		return err ? err : fd_install(f, flags & O_CLOEXEC);
	}
	if ((err = at_dir(dirfd, path, &start)))
		return err;
	err = fs_lookup_parent(start, path, &dir, name);
	inode_put(start);
	if (err)
		return err;
	err = fs_open_in(dir, name, flags & O_CREAT, flags & O_EXCL, mode & ~UMASK, &ino);
	inode_put(dir);
	if (err)
		return err;
	if (S_ISDIR(ino->mode) && (acc != O_RDONLY || (flags & O_CREAT)))
		err = -EISDIR;
	else if (!S_ISDIR(ino->mode) && (flags & O_DIRECTORY))
		err = -ENOTDIR;
	else if (!S_ISDIR(ino->mode) && path[strlen(path) - 1] == '/')
		err = -ENOTDIR;
	else if ((flags & O_TRUNC) && S_ISREG(ino->mode) && (acc == O_WRONLY || acc == O_RDWR))
		err = fs_truncate(ino, 0);
	if (err) {
		inode_put(ino);
		return err;
	}
	f = file_open_inode(ino, flags);
	return f ? fd_install(f, flags & O_CLOEXEC) : -ENFILE;
}

static long sys_open(uint64_t path, uint64_t flags, uint64_t mode, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return do_open(AT_FDCWD, path, flags, mode);
}
SYSCALL_DEFINE(SYS_open, open, sys_open);

static long sys_openat(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mode,
		       uint64_t a4, uint64_t a5)
{
	return do_open(dirfd, path, flags, mode);
}
SYSCALL_DEFINE(SYS_openat, openat, sys_openat);

static long sys_creat(uint64_t path, uint64_t mode, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
SYSCALL_DEFINE(SYS_creat, creat, sys_creat);

/* How a stat call writes what it found: struct stat or struct statx. */
typedef long (*stat_out_fn)(const struct inode *ino, uint64_t ubuf);

static long stat_to_user(const struct inode *ino, uint64_t ust)
{
	struct linux_stat st;

	file_stat(ino, &st);
	return copy_to_user(ust, &st, sizeof(st)) ? -EFAULT : 0;
}

static long fd_stat(uint64_t fd, uint64_t ubuf, stat_out_fn out)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	return out(f->inode, ubuf);
}

static long sys_fstat(uint64_t fd, uint64_t ust, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return fd_stat(fd, ust, stat_to_user);
}
SYSCALL_DEFINE(SYS_fstat, fstat, sys_fstat);

/* The stat calls on a path: @dirfd's descriptor itself for "" with AT_EMPTY_PATH. */
static long stat_at(uint64_t dirfd, uint64_t upath, uint64_t flags, uint64_t ubuf,
		    stat_out_fn out)
{
	char path[PATH_BUF];
	struct inode *start, *ino;
	char first;
	long err;

	if ((flags & AT_EMPTY_PATH) && !copy_from_user(&first, upath, 1) && !first)
		return fd_stat(dirfd, ubuf, out);
	if ((err = get_path(upath, path)))
		return err;
	if (is_console_path(path))
		return out(NULL, ubuf);
	if ((err = at_dir(dirfd, path, &start)))
		return err;
	err = fs_lookup_at(start, path, &ino);
	inode_put(start);
	if (err)
		return err;
	err = out(ino, ubuf);
	inode_put(ino);
	return err;
}

static long sys_stat(uint64_t path, uint64_t ust, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return stat_at(AT_FDCWD, path, 0, ust, stat_to_user);
}
SYSCALL_DEFINE(SYS_stat, stat, sys_stat);
SYSCALL_DEFINE(SYS_lstat, lstat, sys_stat);

static long sys_newfstatat(uint64_t dirfd, uint64_t path, uint64_t ust, uint64_t flags,
			   uint64_t a4, uint64_t a5)
{
	return stat_at(dirfd, path, flags, ust, stat_to_user);
}
SYSCALL_DEFINE(SYS_newfstatat, newfstatat, sys_newfstatat);

/* Linux's struct statx (the same on every arch) and its flags. */
struct statx_timestamp {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};

struct linux_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct statx_timestamp atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "Linux's struct statx is 256 bytes");

#define STATX_BASIC_STATS	0x7ffu	/* type, mode, nlink, uid, gid, times, ino, size, blocks */
#define STATX__RESERVED		0x80000000u
#define AT_SYMLINK_NOFOLLOW	0x100
#define AT_NO_AUTOMOUNT		0x800
#define AT_STATX_SYNC_TYPE	0x6000

/* A device number as struct stat encodes it (new_encode_dev), split. */
static uint32_t dev_major(uint64_t dev)
{
	return (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}

static uint32_t dev_minor(uint64_t dev)
{
	return (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

static struct statx_timestamp stx_time(int64_t sec, int64_t nsec)
{
	return (struct statx_timestamp){ .sec = sec, .nsec = (uint32_t)nsec };
}

static long statx_to_user(const struct inode *ino, uint64_t ubuf)
{
	struct linux_stat st;
	struct linux_statx sx;

	file_stat(ino, &st);
	memset(&sx, 0, sizeof(sx));
	sx.mask = STATX_BASIC_STATS;
	sx.blksize = (uint32_t)st.blksize;
	sx.nlink = (uint32_t)st.nlink;
	sx.uid = st.uid;
	sx.gid = st.gid;
	sx.mode = (uint16_t)st.mode;
	sx.ino = st.ino;
	sx.size = (uint64_t)st.size;
	sx.blocks = (uint64_t)st.blocks;
	sx.atime = stx_time(st.atime, st.atime_ns);
	sx.mtime = stx_time(st.mtime, st.mtime_ns);
	sx.ctime = stx_time(st.ctime, st.ctime_ns);
	sx.rdev_major = dev_major(st.rdev);
	sx.rdev_minor = dev_minor(st.rdev);
	sx.dev_major = dev_major(st.dev);
	sx.dev_minor = dev_minor(st.dev);
	return copy_to_user(ubuf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

/*
 * statx(dirfd, path, flags, mask, buf): everything the stat calls know,
 * whatever @mask asks (Linux may return more than asked, and does here);
 * its checks in Linux's order: reserved mask bits, the sync type, unknown
 * flags, then the path.
 */
static long sys_statx(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mask,
		      uint64_t ubuf, uint64_t a5)
{
	uint32_t fl = (uint32_t)flags;

	if ((uint32_t)mask & STATX__RESERVED)
		return -EINVAL;
	if ((fl & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (fl & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
			     AT_STATX_SYNC_TYPE))
		return -EINVAL;
	return stat_at(dirfd, path, fl, ubuf, statx_to_user);
}
SYSCALL_DEFINE(SYS_statx, statx, sys_statx);

/* The parent directory and last name of a user path for mkdir, unlink, rename. */
static long parent_of(uint64_t dirfd, uint64_t upath, struct inode **dir, char *name)
{
	char path[PATH_BUF];
	struct inode *start;
	long err = get_path(upath, path);

	if (err)
		return err;
	if ((err = at_dir(dirfd, path, &start)))
		return err;
	err = fs_lookup_parent(start, path, dir, name);
	inode_put(start);
	return err;
}

static long do_mkdir(uint64_t dirfd, uint64_t upath, uint64_t mode)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	long err = parent_of(dirfd, upath, &dir, name);

	if (err)
		return err;
	err = fs_mkdir(dir, name, mode & ~UMASK & 07777);
	inode_put(dir);
	return err;
}

static long sys_mkdir(uint64_t path, uint64_t mode, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_mkdir(AT_FDCWD, path, mode);
}
SYSCALL_DEFINE(SYS_mkdir, mkdir, sys_mkdir);

static long sys_mkdirat(uint64_t dirfd, uint64_t path, uint64_t mode, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	return do_mkdir(dirfd, path, mode);
}
SYSCALL_DEFINE(SYS_mkdirat, mkdirat, sys_mkdirat);

static long do_unlink(uint64_t dirfd, uint64_t upath, bool rmdir)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	long err = parent_of(dirfd, upath, &dir, name);

	if (err)
		return err;
	err = fs_unlink(dir, name, rmdir);
	inode_put(dir);
	return err;
}

static long sys_unlink(uint64_t path, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return do_unlink(AT_FDCWD, path, false);
}
SYSCALL_DEFINE(SYS_unlink, unlink, sys_unlink);

static long sys_rmdir(uint64_t path, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_unlink(AT_FDCWD, path, true);
}
SYSCALL_DEFINE(SYS_rmdir, rmdir, sys_rmdir);

static long sys_unlinkat(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t a3,
			 uint64_t a4, uint64_t a5)
{
	if (flags & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	return do_unlink(dirfd, path, flags & AT_REMOVEDIR);
}
SYSCALL_DEFINE(SYS_unlinkat, unlinkat, sys_unlinkat);

static long do_rename(uint64_t odfd, uint64_t opath, uint64_t ndfd, uint64_t npath)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct inode *odir, *ndir;
	long err = parent_of(odfd, opath, &odir, oname);

	if (err)
		return err;
	err = parent_of(ndfd, npath, &ndir, nname);
	if (!err) {
		err = fs_rename(odir, oname, ndir, nname);
		inode_put(ndir);
	}
	inode_put(odir);
	return err;
}

static long sys_rename(uint64_t o, uint64_t n, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return do_rename(AT_FDCWD, o, AT_FDCWD, n);
}
SYSCALL_DEFINE(SYS_rename, rename, sys_rename);

static long sys_renameat(uint64_t od, uint64_t o, uint64_t nd, uint64_t n, uint64_t a4,
			 uint64_t a5)
{
	return do_rename(od, o, nd, n);
}
SYSCALL_DEFINE(SYS_renameat, renameat, sys_renameat);

static long sys_renameat2(uint64_t od, uint64_t o, uint64_t nd, uint64_t n, uint64_t flags,
			  uint64_t a5)
{
	if (flags)
		return -EINVAL;		/* RENAME_NOREPLACE, _EXCHANGE, _WHITEOUT: not here */
	return do_rename(od, o, nd, n);
}
SYSCALL_DEFINE(SYS_renameat2, renameat2, sys_renameat2);

static long sys_truncate(uint64_t upath, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	char path[PATH_BUF];
	struct inode *ino;
	long err = get_path(upath, path);

	if (err)
		return err;
	if ((int64_t)len < 0)
		return -EINVAL;
	if ((err = fs_lookup(path, &ino)))
		return err;
	err = fs_truncate(ino, len);
	inode_put(ino);
	return err;
}
SYSCALL_DEFINE(SYS_truncate, truncate, sys_truncate);

#define DT_DIR	4
#define DT_REG	8

/* One linux_dirent64 record into @buf at @used; false if it does not fit. */
static bool put_dirent(uint8_t *buf, uint64_t room, uint64_t *used, uint64_t ino, uint64_t next,
		       uint8_t type, const char *name)
{
	size_t nlen = strlen(name);
	uint16_t reclen = (uint16_t)((19 + nlen + 1 + 7) & ~7ull);
	uint8_t *r = buf + *used;

	if (*used + reclen > room)
		return false;
	memset(r, 0, reclen);
	memcpy(r, &ino, 8);
	memcpy(r + 8, &next, 8);
	memcpy(r + 16, &reclen, 2);
	r[18] = type;
	memcpy(r + 19, name, nlen);
	*used += reclen;
	return true;
}

/*
 * getdents64: "." at position 0, ".." at 1, then the entries in creation
 * order, each position its creation cookie, so removing entries between
 * calls neither repeats nor skips the others.
 */
static long sys_getdents64(uint64_t fd, uint64_t udirp, uint64_t count, uint64_t a3,
			   uint64_t a4, uint64_t a5)
{
	struct file *f = fd_file(fd);
	uint64_t used = 0, room = MM_MIN(count, 4096);
	struct inode *dir;
	uint8_t *buf;

	if (!f)
		return -EBADF;
	if (f->is_console || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	if (!user_range_ok(udirp, count))
		return -EFAULT;
	buf = kmalloc(room);
	if (!buf)
		return -ENOMEM;
	dir = f->inode;
	file_pos_lock(f);
	fs_lock();
	for (;;) {
		struct dentry *d;
		bool ok;

		if (f->pos == 0) {
			ok = put_dirent(buf, room, &used, dir->ino, 1, DT_DIR, ".");
		} else if (f->pos == 1) {
			ok = put_dirent(buf, room, &used, dir->parent ? dir->parent->ino : dir->ino,
					2, DT_DIR, "..");
		} else if ((d = fs_dir_next(dir, f->pos))) {
			ok = put_dirent(buf, room, &used, d->inode->ino, d->cookie + 1,
					S_ISDIR(d->inode->mode) ? DT_DIR : DT_REG, d->name);
			if (ok)
				f->pos = d->cookie;
		} else {
			break;
		}
		if (!ok)
			break;
		f->pos++;
	}
	fs_unlock();
	long ret = used ? (copy_to_user(udirp, buf, used) ? -EFAULT : (long)used) :
		   (f->pos >= 2 && !fs_dir_next(dir, f->pos) ? 0 : -EINVAL);
	file_pos_unlock(f);
	kfree(buf);
	return ret;
}
SYSCALL_DEFINE(SYS_getdents64, getdents64, sys_getdents64);

#define MFD_CLOEXEC		1
#define MFD_ALLOW_SEALING	2
#define MFD_NAME_MAX		249

/* memfd_create: a file of its own with no name in any directory, open read-write. */
static long sys_memfd_create(uint64_t uname, uint64_t flags, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	char name[7 + MFD_NAME_MAX + 2] = "memfd:";
	int64_t len;
	struct inode *ino;
	struct file *f;

	if (flags & ~(uint64_t)(MFD_CLOEXEC | MFD_ALLOW_SEALING))
		return -EINVAL;
	len = strncpy_from_user(name + 6, uname, MFD_NAME_MAX + 1);
	if (len == -ENAMETOOLONG || len > MFD_NAME_MAX)
		return -EINVAL;
	if (len < 0)
		return len;
	ino = inode_new(S_IFREG | 0777, name);
	if (!ino)
		return -ENOMEM;
	pcache_set_quota(ino->pc, NULL);	/* not in a file system of limited size */
	f = file_open_inode(ino, O_RDWR | O_LARGEFILE);	/* as Linux's memfd_create() */
	return f ? fd_install(f, flags & MFD_CLOEXEC) : -ENFILE;
}
SYSCALL_DEFINE(SYS_memfd_create, memfd_create, sys_memfd_create);
