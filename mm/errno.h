/* SPDX-License-Identifier: MIT */
/*
 * Error codes of the memory core. The numbers are Linux's, so a kernel that
 * grows a system-call layer can hand them to user space unchanged. Functions
 * return them negated, as Linux does: 0 or a positive count on success,
 * -MM_Exxx on failure.
 */
#ifndef MM_ERRNO_H
#define MM_ERRNO_H

#define MM_EPERM	1	/* operation not permitted */
#define MM_ENOENT	2	/* no such object */
#define MM_EINTR	4	/* interrupted (the caller was killed) */
#define MM_EIO		5	/* I/O error (or access beyond memory) */
#define MM_EBADF	9	/* bad file descriptor */
#define MM_EAGAIN	11	/* try again */
#define MM_ENOMEM	12	/* out of memory */
#define MM_EACCES	13	/* permission denied */
#define MM_EFAULT	14	/* bad address: an unresolved page fault */
#define MM_EBUSY	16	/* resource busy */
#define MM_EEXIST	17	/* already exists (already mapped) */
#define MM_EINVAL	22	/* invalid argument */
#define MM_ENOSPC	28	/* no space left (in an address range) */
#define MM_ERANGE	34	/* result out of range */
#define MM_ENOSYS	38	/* not implemented */
#define MM_EOVERFLOW	75	/* value too large */
#define MM_EOPNOTSUPP	95	/* operation not supported */

/**
 * mm_strerror() - short name of an error code
 * @err: an error code, negated or not
 *
 * Return: "EEXIST" and the like, "OK" for 0, "E?" for an unknown code.
 */
const char *mm_strerror(int err);

#endif
