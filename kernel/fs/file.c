// SPDX-License-Identifier: MIT
/* Open files of the console and the RAM disk. */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"

#define FILE_MAX	1024
#define CHUNK		256

static struct file files[FILE_MAX];
static struct initrd rd;
struct initrd *root_fs;

void fs_init(const uint8_t *archive, uint64_t size)
{
	if (initrd_parse(&rd, archive, size) < 0) {
		kprintf("initrd: module is not a cpio (newc) archive; no files\n");
		return;
	}
	root_fs = &rd;
	kprintf("initrd: %u files\n", rd.count);
}

static struct file *file_alloc(const struct file_ops *ops)
{
	for (unsigned i = 0; i < FILE_MAX; i++)
		if (!files[i].refs) {
			files[i] = (struct file){ .refs = 1, .ops = ops };
			return &files[i];
		}
	return NULL;
}

struct file *file_get(struct file *f)
{
	f->refs++;
	return f;
}

void file_put(struct file *f)
{
	if (f && f->refs > 0)
		f->refs--;
}

/* --- the console ------------------------------------------------------------ */

static long con_write(struct file *f, uint64_t ubuf, uint64_t len)
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
static long con_read(struct file *f, uint64_t ubuf, uint64_t len)
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

static const struct file_ops console_ops = { con_read, con_write };

struct file *file_open_console(void)
{
	struct file *f = file_alloc(&console_ops);

	if (f)
		f->is_console = true;
	return f;
}

/* --- RAM-disk files ---------------------------------------------------------- */

static long node_read(struct file *f, uint64_t ubuf, uint64_t len)
{
	const struct initrd_file *node = f->node;

	if (f->pos >= node->size)
		return 0;
	uint64_t n = MM_MIN(len, node->size - f->pos);
	if (copy_to_user(ubuf, node->data + f->pos, n))
		return -EFAULT;
	f->pos += n;
	return n;
}

static long node_write(struct file *f, uint64_t ubuf, uint64_t len)
{
	return -EBADF;		/* opened read-only: the RAM disk is */
}

static const struct file_ops node_ops = { node_read, node_write };

struct file *file_open_node(const struct initrd_file *node)
{
	struct file *f = file_alloc(&node_ops);

	if (f)
		f->node = node;
	return f;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void file_stat(const struct initrd_file *node, bool console, uint8_t st[144])
{
	memset(st, 0, 144);
	if (console) {
		put64(st + 0, 5);			/* st_dev */
		put64(st + 8, 1);			/* st_ino */
		put32(st + 24, 0020620);		/* character device, rw--w---- */
		put64(st + 40, (5ull << 8) | 1);	/* st_rdev: like /dev/console */
		put64(st + 56, 1024);			/* st_blksize */
	} else {
		put64(st + 0, 1);
		put64(st + 8, node->ino);
		put32(st + 24, node->mode);
		put64(st + 48, node->size);
		put64(st + 56, 4096);
		put64(st + 64, (node->size + 511) / 512);
		put64(st + 72, node->mtime);		/* atime, mtime, ctime */
		put64(st + 88, node->mtime);
		put64(st + 104, node->mtime);
	}
	put64(st + 16, 1);				/* st_nlink */
}
