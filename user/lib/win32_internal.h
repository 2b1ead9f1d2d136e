/* SPDX-License-Identifier: MIT */
/* What the files of the Win32 library share. */
#ifndef USER_LIB_WIN32_INTERNAL_H
#define USER_LIB_WIN32_INTERNAL_H

#include "memcore/win32.h"

/* A memcore system call: its result, or -1 with GetLastError() set. */
long win32_call(long nr, long a, long b, long c, long d);

/* Raise exception @code to the vectored handlers (HEAP_GENERATE_EXCEPTIONS). */
void win32_raise(DWORD code);

#endif
