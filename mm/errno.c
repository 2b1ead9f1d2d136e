// SPDX-License-Identifier: MIT
/* Names of the core's error codes, for logs and the shell. */
#include "errno.h"

/**
 * mm_strerror() - short name of an error code
 * @err: an error code, negated or not
 *
 * Return: "EEXIST" and the like, "OK" for 0, "E?" for an unknown code.
 */
const char *mm_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:			return "OK";
	case MM_EPERM:		return "EPERM";
	case MM_ENOENT:		return "ENOENT";
	case MM_EINTR:		return "EINTR";
	case MM_EIO:		return "EIO";
	case MM_ENOMEM:		return "ENOMEM";
	case MM_EACCES:		return "EACCES";
	case MM_EFAULT:		return "EFAULT";
	case MM_EBUSY:		return "EBUSY";
	case MM_EEXIST:		return "EEXIST";
	case MM_EINVAL:		return "EINVAL";
	case MM_ENOSPC:		return "ENOSPC";
	case MM_ERANGE:		return "ERANGE";
	case MM_ENOSYS:		return "ENOSYS";
	case MM_EOVERFLOW:	return "EOVERFLOW";
	default:		return "E?";
	}
}
