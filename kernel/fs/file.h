/* SPDX-License-Identifier: MIT */
/*
 * Open files: the console (standard input and output of every process) and
 * read-only files of the initial RAM disk. A file is shared by the
 * descriptors that refer to it (after fork or dup) and counts them.
 */
#ifndef KERNEL_FS_FILE_H
#define KERNEL_FS_FILE_H

#include "kernel/fs/initrd.h"
#include "kernel/lib.h"

struct file;

struct file_ops {
	/* Both move data between the file and a user buffer; return bytes or -errno. */
	long (*read)(struct file *f, uint64_t ubuf, uint64_t len);
	long (*write)(struct file *f, uint64_t ubuf, uint64_t len);
};

struct file {
	int refs;
	const struct file_ops *ops;
	const struct initrd_file *node;	/* NULL for the console */
	uint64_t pos;
	bool is_console;
};

/* The RAM disk, from the boot module; NULL if there is none. */
extern struct initrd *root_fs;
void fs_init(const uint8_t *archive, uint64_t size);

struct file *file_open_console(void);
struct file *file_open_node(const struct initrd_file *node);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* Fills a Linux x86_64 struct stat (144 bytes) in @st. */
void file_stat(const struct initrd_file *node, bool console, uint8_t st[144]);

#endif
