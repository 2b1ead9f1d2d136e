/* SPDX-License-Identifier: MIT */
/* Linux's errno values: the kernel's system calls return them negated. */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EPERM		1
#define ENOENT		2
#define ESRCH		3
#define EINTR		4
#define EIO		5
#define ENXIO		6
#define E2BIG		7
#define ENOEXEC		8
#define EBADF		9
#define ECHILD		10
#define EAGAIN		11
#define ENOMEM		12
#define EACCES		13
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define ENOTDIR		20
#define EISDIR		21
#define EINVAL		22
#define ENFILE		23
#define EMFILE		24
#define ENOTTY		25
#define EFBIG		27
#define ENOSPC		28
#define ESPIPE		29
#define EROFS		30
#define EPIPE		32
#define ERANGE		34
#define ENAMETOOLONG	36
#define EDEADLK		35
#define ENOLCK		37
#define ENOSYS		38
#define ENOTEMPTY	39
#define ELOOP		40
#define ENOPKG		65
#define EOVERFLOW	75
#define ENOTSOCK	88
#define EOPNOTSUPP	95
#define EAFNOSUPPORT	97
#define ETIMEDOUT	110

/*
 * Never seen by programs: a blocking call interrupted by a signal returns
 * one of these, and signal delivery turns it into EINTR or a restart.
 */
#define ERESTARTSYS	512	/* restart if the handler has SA_RESTART */
#define ERESTARTNOINTR	513	/* always restart */
#define ERESTARTNOHAND	514	/* restart only if no handler ran */
/* restart only if no handler ran, through restart_syscall and the task's restart block */
#define ERESTART_RESTARTBLOCK	516

#endif
