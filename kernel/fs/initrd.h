/* SPDX-License-Identifier: MIT */
/*
 * The initial RAM disk: a cpio archive in the "newc" format (what
 * `cpio -o -H newc` writes), passed by the bootloader as a module and
 * served read-only in place. initrd_parse() trusts nothing in the archive;
 * it runs on the host under unit tests and a fuzzer too.
 */
#ifndef KERNEL_FS_INITRD_H
#define KERNEL_FS_INITRD_H

#include "mm/types.h"

#define INITRD_MAX_FILES	256
#define INITRD_NAME_MAX		128

struct initrd_file {
	char name[INITRD_NAME_MAX];	/* absolute path, e.g. "/bin/hello" */
	const uint8_t *data;		/* inside the archive */
	uint64_t size;
	uint32_t mode;			/* st_mode bits from the archive */
	uint32_t ino;
	uint64_t mtime;
};

struct initrd {
	struct initrd_file file[INITRD_MAX_FILES];
	unsigned count;
	unsigned skipped;	/* entries dropped: malformed, too many, names too long */
};

/* Returns 0, or -1 if the archive is unusable (nothing at all was parsed). */
int initrd_parse(struct initrd *rd, const uint8_t *data, uint64_t size);
/* The file at @path ("/x", "x" and "./x" are the same file), or NULL. */
const struct initrd_file *initrd_lookup(const struct initrd *rd, const char *path);

#endif
