/*
 * What the tests of memcore/win32.h share: on Linux (no Win32 system calls)
 * a program reports "1..0 # SKIP" and stops.
 */
#ifndef TESTS_USER_WIN32_UTIL_H
#define TESTS_USER_WIN32_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include <memcore/win32.h>

/* Exits with the TAP skip-all plan unless the kernel has the Win32 calls. */
static inline void win32_or_skip(void)
{
	void *probe;

	SetLastError(0);
	probe = VirtualAlloc(NULL, 4096, MEM_RESERVE, PAGE_NOACCESS);
	if (!probe && GetLastError() == ERROR_NOT_SUPPORTED) {
		printf("1..0 # SKIP no Win32 system calls (memcore only)\n");
		exit(0);
	}
	VirtualFree(probe, 0, MEM_RELEASE);
}

#endif
