/*
 * lock_util.h: what the memory-locking test programs share: the mlock2 and
 * mlockall flags older headers lack, and an unlinked one-page file to map.
 */
#ifndef TESTS_USER_LOCK_UTIL_H
#define TESTS_USER_LOCK_UTIL_H

#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/* An unlinked one-page file whose first byte is 5, or -1 (reported as the check @what). */
static TAP_UNUSED int one_page_file(const char *what)
{
	char path[] = "/tmp/one_page.XXXXXX";
	char buf[PAGE] = { 5 };
	int fd;

	mkdir("/tmp", 0777);
	fd = mkstemp(path);
	if (!ok(fd >= 0 && write(fd, buf, PAGE) == PAGE, what))
		return -1;
	unlink(path);
	return fd;
}

#endif
