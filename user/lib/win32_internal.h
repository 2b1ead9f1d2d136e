/* SPDX-License-Identifier: MIT */
/* What the files of the Win32 library share. */
#ifndef USER_LIB_WIN32_INTERNAL_H
#define USER_LIB_WIN32_INTERNAL_H

#include "memcore/win32.h"

/* A memcore system call: its result, or -1 with GetLastError() set. */
long win32_call(long nr, long a, long b, long c, long d);

/* Raise exception @code to the vectored handlers (HEAP_GENERATE_EXCEPTIONS). */
void win32_raise(DWORD code);

/* Thread handles live in the handle table of win32_section.c. */
HANDLE win32_thread_handle(void *thread);	/* NULL when the table is full */
void *win32_thread_of(HANDLE h);		/* NULL for anything but a thread handle */
void win32_thread_close(void *thread);		/* win32_thread.c: its handle is closed */
void win32_main_stack_init(void);		/* win32_thread.c: before main() */

#endif
