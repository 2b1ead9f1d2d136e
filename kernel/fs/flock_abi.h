/* SPDX-License-Identifier: MIT */
/*
 * Linux's record-lock ABI (fcntl F_GETLK/F_SETLK/F_SETLKW, the F_OFD_*
 * forms, i386's fcntl64) and flock(2): the commands, the lock types and
 * the three layouts of struct flock the two architectures use.
 */
#ifndef KERNEL_FS_FLOCK_ABI_H
#define KERNEL_FS_FLOCK_ABI_H

#include <stdint.h>

/* fcntl commands */
#define F_GETLK		5
#define F_SETLK		6
#define F_SETLKW	7
#define F_GETLK64	12	/* i386's fcntl64 only: struct flock64_i386 */
#define F_SETLK64	13
#define F_SETLKW64	14
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38

/* l_type */
#define F_RDLCK		0
#define F_WRLCK		1
#define F_UNLCK		2

/* flock(2) operations */
#define LOCK_SH		1
#define LOCK_EX		2
#define LOCK_NB		4
#define LOCK_UN		8

/* x86_64's struct flock (off_t is 64 bits): 32 bytes, 8-aligned on both kernels. */
struct flock_x86_64 {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start __attribute__((aligned(8)));
	int64_t l_len;
	int32_t l_pid;
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct flock_x86_64) == 32, "x86_64's struct flock is 32 bytes");

/* i386's struct flock of fcntl (55) and fcntl64's F_GETLK..F_SETLKW: 32-bit offsets. */
struct flock_i386 {
	int16_t l_type;
	int16_t l_whence;
	int32_t l_start;
	int32_t l_len;
	int32_t l_pid;
};
_Static_assert(sizeof(struct flock_i386) == 16, "i386's struct flock is 16 bytes");

/* i386's struct flock64 (fcntl64's F_*LK64 and F_OFD_*): 64-bit offsets, 4-aligned. */
struct flock64_i386 {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
} __attribute__((packed, aligned(4)));
_Static_assert(sizeof(struct flock64_i386) == 24, "i386's struct flock64 is 24 bytes");

/* What every layout carries, widened: the form the lock code takes and gives. */
struct flock_args {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
};

/* Any of the layouts above into struct flock_args and back (their fields have the same names). */
#define FLOCK_ARGS_OF(l)						\
	((struct flock_args){ .type = (l).l_type, .whence = (l).l_whence,	\
			      .start = (l).l_start, .len = (l).l_len, .pid = (l).l_pid })
#define FLOCK_SET_FROM_ARGS(l, a)					\
	((l).l_type = (a).type, (l).l_whence = (a).whence, (l).l_start = (a).start, \
	 (l).l_len = (a).len, (l).l_pid = (a).pid)

#endif
