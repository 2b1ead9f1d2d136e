/* SPDX-License-Identifier: MIT */
/*
 * Large-file support. Where long is 64 bits every open file has it, as
 * Linux's force_o_largefile(); an i386 caller asks for it with O_LARGEFILE
 * (musl always does), which struct file keeps in its flags. Without it a
 * write stops short of 2 GiB - 1 (EFBIG at it) and i386's ftruncate64 stays
 * below it (EINVAL): Linux's MAX_NON_LFS. Open, read and seek are not
 * limited: Linux checks open (EOVERFLOW) only in file systems that use
 * generic_file_open(), which its RAM file systems do not.
 */
#ifndef KERNEL_FS_LARGEFILE_H
#define KERNEL_FS_LARGEFILE_H

#define O_LARGEFILE		0100000		/* x86's value on both ABIs */
#define FORCE_O_LARGEFILE	(sizeof(long) == 8)
#define MAX_NON_LFS		0x7fffffffll
/* Linux's MAX_LFS_FILESIZE: tmpfs's s_maxbytes (32-bit: page indices are longs). */
#define MAX_LFS_FILESIZE	(sizeof(long) == 8 ? 0x7fffffffffffffffll : 0xffffffffll << 12)

#endif
