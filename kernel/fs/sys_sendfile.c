// SPDX-License-Identifier: MIT
/*
 * sendfile(out_fd, in_fd, offset, count): bytes of a RAM file copied to
 * another open file (a RAM file or the console) inside the kernel, a page
 * at a time through a kernel buffer, as Linux's do_sendfile() checks and
 * does it. There are no pipes here, so no splice into one.
 *
 * Lock order: the two files' position locks, the lower address first.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/largefile.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define SYS_sendfile	40
#define MAX_RW_COUNT	((int64_t)(0x7fffffffll & PAGE_MASK))	/* Linux's INT_MAX & PAGE_MASK */

/* Position locks of both files, in address order (one when they are the same). */
static void lock_pair(struct file *a, struct file *b, bool lock)
{
	struct file *first = a < b ? a : b, *second = a < b ? b : a;

	if (lock) {
		file_pos_lock(first);
		if (second != first)
			file_pos_lock(second);
	} else {
		if (second != first)
			file_pos_unlock(second);
		file_pos_unlock(first);
	}
}

/*
 * Copies up to @count bytes from @in at *@pos to @out at its position;
 * a short write ends it and gives back what was read but not written.
 * Return: bytes copied, or -errno if none were.
 */
static long copy_loop(struct file *in, struct file *out, int64_t *pos, uint64_t count)
{
	uint8_t *buf = kmalloc(PAGE_SIZE);
	long done = 0, err = 0;

	if (!buf)
		return -ENOMEM;
	while ((uint64_t)done < count) {
		uint64_t rpos = (uint64_t)*pos, wpos = out->pos;
		long n = file_read_kernel(in, buf, MM_MIN(count - done, PAGE_SIZE), &rpos);

		if (n <= 0) {
			err = n;
			break;
		}
		long w = file_write_kernel(out, buf, (uint64_t)n, &wpos);
		if (w < 0) {
			err = w;
			break;
		}
		out->pos = wpos;
		*pos += w;
		done += w;
		if (w < n || plat_preempt_point())
			break;
	}
	kfree(buf);
	return done ? done : err;
}

/**
 * fs_sendfile() - sendfile's work for both ABIs
 * @out_fd: the destination, open for writing
 * @in_fd: the source, a RAM file open for reading
 * @ppos: the offset to read at, advanced by what was sent; NULL: the source's position
 * @count: at most this many bytes (negative as ssize_t: EINVAL)
 * @max: the largest offset the call may reach (0: the file system's)
 *
 * Linux's order of checks: the source (EBADF, ESPIPE for an offset on what
 * cannot seek, EINVAL for a negative offset or count), the destination
 * (EBADF), the offset limit (EOVERFLOW, or a count cut to it), O_APPEND on
 * the destination (EINVAL), a source that cannot be read this way (EINVAL).
 * Return: the bytes sent, or -errno.
 */
long fs_sendfile(uint64_t out_fd, uint64_t in_fd, int64_t *ppos, int64_t count, int64_t max)
{
	struct file *in = fd_file(in_fd), *out;
	int64_t pos;
	long r;

	if (!in || !file_readable(in) || (in->flags & O_PATH))
		return -EBADF;
	if (ppos && in->is_console)
		return -ESPIPE;
	pos = ppos ? *ppos : (int64_t)in->pos;
	if (count < 0 || pos < 0 || pos + count < 0)
		return -EINVAL;
	count = MM_MIN(count, MAX_RW_COUNT);
	out = fd_file(out_fd);
	if (!out || !file_writable(out))
		return -EBADF;
	if (!max)
		max = MAX_LFS_FILESIZE;
	if (pos + count > max) {
		if (pos >= max)
			return -EOVERFLOW;
		count = max - pos;
	}
	if (out->flags & O_APPEND)
		return -EINVAL;
	if (in->is_console || !S_ISREG(in->inode->mode))
		return -EINVAL;		/* nothing to splice from */
	lock_pair(in, out, true);
	if (!ppos)
		pos = (int64_t)in->pos;	/* as it is now, under the lock */
	r = copy_loop(in, out, &pos, (uint64_t)count);
	if (!ppos)
		in->pos = (uint64_t)pos;
	lock_pair(in, out, false);
	if (ppos)
		*ppos = pos;
	return r;
}

/* sendfile with a 64-bit offset: x86_64's 40 (and i386's sendfile64, 239). */
static long sys_sendfile(uint64_t out_fd, uint64_t in_fd, uint64_t uoff, uint64_t count,
			 uint64_t a4, uint64_t a5)
{
	int64_t pos;
	long r;

	if (!uoff)
		return fs_sendfile(out_fd, in_fd, NULL, (int64_t)count, 0);
	if (copy_from_user(&pos, uoff, sizeof(pos)))
		return -EFAULT;
	r = fs_sendfile(out_fd, in_fd, &pos, (int64_t)count, 0);
	return copy_to_user(uoff, &pos, sizeof(pos)) ? -EFAULT : r;
}
SYSCALL_DEFINE(SYS_sendfile, sendfile, sys_sendfile);
