// SPDX-License-Identifier: MIT
/* Open files: the console and the RAM file system's files. */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/largefile.h"
#include "kernel/fs/poll.h"
#include "kernel/proc/rlimit.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"
#include "mm/highmem.h"

#define CHUNK		256

static struct kmem_cache *file_cache;	/* open files */

static struct initrd rd;
struct initrd *root_fs;

/**
 * fs_init() - parse the boot module's archive and mount the RAM file system over it
 * @archive: the cpio archive, or NULL
 * @size: its size
 */
static struct inode *anon_inode_get(void);

void fs_init(const uint8_t *archive, uint64_t size)
{
	if (archive && initrd_parse(&rd, archive, size) < 0) {
		kprintf("initrd: module is not a cpio (newc) archive; no files\n");
	} else if (archive) {
		root_fs = &rd;
		kprintf("initrd: %u files\n", rd.count);
	}
	ramfs_init();
	/*
	 * The anonymous inode lives as long as the kernel: made now, it is not
	 * charged to the first program that opens a pidfd (the user tests'
	 * leak check after each program).
	 */
	inode_put(anon_inode_get());
}

/* The "file" cache, at boot. */
struct kmem_cache *file_cache_init(void)
{
	return file_cache = kmem_cache_create("file", sizeof(struct file), 0, 0, NULL);
}

static struct file *file_alloc(const struct file_ops *ops)
{
	struct file *f = kmem_cache_alloc(file_cache);

	if (f) {
		memset(f, 0, sizeof(*f));
		f->refs = 1;
		f->ops = ops;
	}
	return f;
}

struct file *file_get(struct file *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/**
 * file_put() - a descriptor lets go of @f; the last frees it
 * @f: the file (NULL is fine)
 */
void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	file_lock_release(f);
	if (f->release)
		f->release(f);
	inode_put(f->inode);
	kmem_cache_free(file_cache, f);
}

bool file_readable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

bool file_writable(const struct file *f)
{
	return (f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

/* --- the console ------------------------------------------------------------ */

static long con_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	char buf[CHUNK];

	for (uint64_t done = 0; done < len;) {
		uint64_t n = MM_MIN(len - done, CHUNK);
		if (copy_from_user(buf, ubuf + done, n))
			return done ? (long)done : -EFAULT;
		console_write(buf, n);
		done += n;
	}
	return len;
}

/* A line at a time, like a terminal in canonical mode (without editing). */
static long con_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	char c;
	uint64_t n = 0;

	while (n < len) {
		c = (char)console_getc();
		if (c == '\r')
			c = '\n';
		if (c == 0x04)		/* Ctrl-D: end of file */
			break;
		console_putc(c);
		if (copy_to_user(ubuf + n, &c, 1))
			return n ? (long)n : -EFAULT;
		n++;
		if (c == '\n')
			break;
	}
	return n;
}

/* Writable always; readable when a byte has arrived (a whole line on Linux's terminal). */
static unsigned con_poll(struct file *f)
{
	return POLLOUT | POLLWRNORM | (console_input_ready() ? POLLIN | POLLRDNORM : 0);
}

static const struct file_ops console_ops = { .read = con_read, .write = con_write, .poll = con_poll };

struct file *file_open_console(void)
{
	struct file *f = file_alloc(&console_ops);

	if (f) {
		f->is_console = true;
		f->flags = O_RDWR;
	}
	return f;
}

/* --- RAM file system files ------------------------------------------------------ */

/*
 * Reads and writes go page by page through the page cache, each page held
 * by a reference while its bytes are copied, so a concurrent truncation
 * cannot free it under the copy.
 */
/*
 * At most @n bytes at @ubuf, not crossing a user page: a buffer that faults
 * part-way then gives the exact short count Linux gives (it copies up to the
 * faulting page), never EFAULT for a chunk that was partly good.
 */
/*
 * Copy @n bytes between offset @in of page-cache frame @pa and user memory
 * (@to_user: from the frame). Through the direct map; a frame in high memory
 * goes through a small buffer, a chunk at a time, since a temporary mapping
 * must not be held across a user fault (which may sleep). True if a user
 * address faulted.
 */
static bool frame_user_copy(phys_addr_t pa, uint64_t in, uint64_t ubuf, uint64_t n, bool to_user)
{
	uint8_t bounce[256];

	if (pa < plat_highmem_base())
		return to_user ? copy_to_user(ubuf, (uint8_t *)plat_phys_to_virt(pa) + in, n) :
				 copy_from_user((uint8_t *)plat_phys_to_virt(pa) + in, ubuf, n);
	for (uint64_t done = 0, c; done < n; done += c) {
		c = MM_MIN(n - done, sizeof(bounce));
		if (to_user) {
			frame_rw(pa, in + done, bounce, c, false);
			if (copy_to_user(ubuf + done, bounce, c))
				return true;
		} else {
			if (copy_from_user(bounce, ubuf + done, c))
				return true;
			frame_rw(pa, in + done, bounce, c, true);
		}
	}
	return false;
}

static uint64_t user_chunk(uint64_t ubuf, uint64_t n)
{
	return MM_MIN(n, PAGE_SIZE - (ubuf & ~PAGE_MASK));
}

/* Where a transfer's bytes go or come from: user memory, or a kernel buffer (sendfile). */
struct xfer_buf {
	uint64_t ubuf;
	uint8_t *kbuf;			/* NULL: ubuf */
};

/* The next chunk of @n bytes at @done: a kernel buffer has no pages to stop at. */
static uint64_t buf_chunk(const struct xfer_buf *b, uint64_t done, uint64_t n)
{
	return b->kbuf ? n : user_chunk(b->ubuf + done, n);
}

/* @n bytes between frame @pa at @in and the buffer at @done; true if a user address faulted. */
static bool buf_copy(const struct xfer_buf *b, uint64_t done, phys_addr_t pa, uint64_t in,
		     uint64_t n, bool to_buf)
{
	if (!b->kbuf)
		return frame_user_copy(pa, in, b->ubuf + done, n, to_buf);
	frame_rw(pa, in, b->kbuf + done, n, !to_buf);
	return false;
}

static bool buf_zero(const struct xfer_buf *b, uint64_t done, uint64_t n)
{
	static const uint8_t zeros[PAGE_SIZE];

	if (!b->kbuf)
		return copy_to_user(b->ubuf + done, zeros, n);
	memset(b->kbuf + done, 0, n);
	return false;
}

static long reg_read(struct file *f, const struct xfer_buf *b, uint64_t len, uint64_t *pos)
{
	struct pcache *pc = f->inode->pc;
	uint64_t size = pcache_size(pc), done = 0;

	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (*pos >= size)
		return 0;
	len = MM_MIN(len, size - *pos);
	while (done < len) {
		uint64_t off = *pos + done, in = off & ~PAGE_MASK;
		uint64_t n = buf_chunk(b, done, MM_MIN(len - done, PAGE_SIZE - in));
		phys_addr_t pa;
		bool bad;

		if (pcache_lookup(pc, off >> PAGE_SHIFT, false, &pa) != PCACHE_OK)
			break;
		if (pa == PMM_NO_FRAME) {
			bad = buf_zero(b, done, n);
		} else {
			bad = buf_copy(b, done, pa, in, n, true);
			pmm_put(pa);
		}
		if (bad) {
			if (!done)
				return -EFAULT;
			break;
		}
		done += n;
	}
	*pos += done;
	f->inode->atime = fs_now();
	return done;
}

long file_read_regular(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	return reg_read(f, &(struct xfer_buf){ .ubuf = ubuf }, len, pos);
}

static long reg_write_from(struct file *f, const struct xfer_buf *b, uint64_t len, uint64_t *pos)
{
	struct pcache *pc = f->inode->pc;
	uint64_t done = 0;

	if (!len)
		return 0;	/* generic_write_checks(): before O_APPEND and the limit */
	if (f->flags & O_APPEND)
		*pos = pcache_size(pc);
	long err = rlimit_fsize_write(*pos, &len);
	if (err)
		return err;
	if (!(f->flags & O_LARGEFILE)) {	/* generic_write_check_limits() */
		if (*pos >= (uint64_t)MAX_NON_LFS)
			return -EFBIG;
		len = MM_MIN(len, (uint64_t)MAX_NON_LFS - *pos);
	}
	if (len > (uint64_t)INT64_MAX - *pos)
		return -EFBIG;
	while (done < len) {
		uint64_t off = *pos + done, in = off & ~PAGE_MASK;
		uint64_t n = buf_chunk(b, done, MM_MIN(len - done, PAGE_SIZE - in));
		phys_addr_t pa;
		bool bad;

		if (pcache_grab(pc, off >> PAGE_SHIFT, &pa) != PCACHE_OK) {
			if (!done)
				return -ENOSPC;
			break;
		}
		bad = buf_copy(b, done, pa, in, n, false);
		pmm_put(pa);
		if (bad) {
			if (!done)
				return -EFAULT;
			break;
		}
		done += n;
		pcache_extend(pc, *pos + done);
	}
	*pos += done;
	f->inode->mtime = f->inode->ctime = fs_now();
	return done;
}

static long reg_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	return reg_write_from(f, &(struct xfer_buf){ .ubuf = ubuf }, len, pos);
}

static const struct file_ops reg_ops = { .read = file_read_regular, .write = reg_write };

/**
 * file_read_kernel() - read() of a RAM file into a kernel buffer
 * @f: an open regular file
 * @buf: where to
 * @len: at most this many bytes
 * @pos: the offset, advanced by what was read
 *
 * Return: bytes read (0 at the end), or -errno.
 */
long file_read_kernel(struct file *f, void *buf, uint64_t len, uint64_t *pos)
{
	if (f->is_console)
		return -EINVAL;
	return reg_read(f, &(struct xfer_buf){ .kbuf = buf }, len, pos);
}

/**
 * file_write_kernel() - write() of a kernel buffer to @f: the console or a RAM file
 * @f: the open file
 * @buf: the bytes
 * @len: how many
 * @pos: the offset, advanced by what was written (ignored by the console)
 *
 * Return: bytes written, or -errno, with every limit write() has.
 */
long file_write_kernel(struct file *f, const void *buf, uint64_t len, uint64_t *pos)
{
	if (f->is_console) {
		console_write(buf, len);
		return (long)len;
	}
	if (f->ops->write_kernel)
		return f->ops->write_kernel(f, buf, len);
	if (!f->inode->pc)
		return -EINVAL;		/* an anonymous inode: no RAM file behind it */
	return reg_write_from(f, &(struct xfer_buf){ .kbuf = (uint8_t *)buf }, len, pos);
}

/**
 * file_open_inode() - an open file of @ino
 * @ino: the inode; the file takes over the caller's reference
 * @flags: the open flags (access mode, O_APPEND, O_LARGEFILE...)
 *
 * Return: the file, or NULL if out of memory (the reference is dropped).
 */
struct file *file_open_inode(struct inode *ino, unsigned flags)
{
	struct file *f = file_alloc(&reg_ops);

	if (!f) {
		inode_put(ino);
		return NULL;
	}
	f->inode = ino;
	f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_PATH | O_LARGEFILE);
	if (FORCE_O_LARGEFILE)
		f->flags |= O_LARGEFILE;
	return f;
}

static struct inode *anon_inode;	/* made at boot (fs_init()), kept */

/* The anonymous inode, referenced; NULL if out of memory. */
static struct inode *anon_inode_get(void)
{
	struct inode *ino = __atomic_load_n(&anon_inode, __ATOMIC_ACQUIRE), *none = NULL;

	if (!ino) {
		ino = inode_new(0600, "anon_inode");	/* no S_IFMT bits, as Linux's */
		if (!ino)
			return NULL;
		ino->nlink = 1;
		if (!__atomic_compare_exchange_n(&anon_inode, &none, ino, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			inode_put(ino);		/* another CPU made it first */
			ino = none;
		}
	}
	return inode_get(ino);
}

/**
 * file_open_anon() - a file on the anonymous inode
 * @ops: its operations
 * @private: kept in f->private
 * @release: called with the last reference (lets go of @private), or NULL
 * @flags: O_ACCMODE and O_NONBLOCK bits
 *
 * Return: the file, or NULL if out of memory (@private untouched).
 */
struct file *file_open_on(struct inode *ino, const struct file_ops *ops, void *private,
			  void (*release)(struct file *f), unsigned flags)
{
	struct file *f = ino ? file_alloc(ops) : NULL;

	if (!f) {
		inode_put(ino);
		return NULL;
	}
	f->inode = ino;
	f->private = private;
	f->release = release;
	f->flags = flags & (O_ACCMODE | O_NONBLOCK | O_DIRECT);
	return f;
}

struct file *file_open_anon(const struct file_ops *ops, void *private,
			    void (*release)(struct file *f), unsigned flags)
{
	return file_open_on(anon_inode_get(), ops, private, release, flags & (O_ACCMODE | O_NONBLOCK));
}

bool file_seekable(const struct file *f)
{
	return !f->is_console && (S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode));
}

void file_stat(const struct inode *ino, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	if (!ino) {
		st->dev = 5;
		st->ino = 1;
		st->nlink = 1;
		st->mode = 0020620;		/* character device, rw--w---- */
		st->rdev = (5ull << 8) | 1;	/* like /dev/console */
		st->blksize = 1024;
		return;
	}
	st->dev = 1;
	st->ino = ino->ino;
	st->nlink = ino->nlink;
	st->mode = ino->mode;
	st->size = (int64_t)(ino->pc ? pcache_size(ino->pc) : S_ISDIR(ino->mode) ? 4096 : 0);
	st->blksize = 4096;
	/* 512-byte blocks; the anonymous inode has none */
	st->blocks = (int64_t)(ino->pc ? ino->pc->nrpages : S_ISDIR(ino->mode)) * 8;
	st->atime = (int64_t)ino->atime;
	st->mtime = (int64_t)ino->mtime;
	st->ctime = (int64_t)ino->ctime;
}

/* Only what has a position takes the lock: a pipe's blocked read must not hold up its other users. */
void file_pos_lock(struct file *f)
{
	if (file_seekable(f))
		kmutex_lock(&f->pos_lock);
}

void file_pos_unlock(struct file *f)
{
	if (file_seekable(f))
		kmutex_unlock(&f->pos_lock);
}
