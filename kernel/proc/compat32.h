/* SPDX-License-Identifier: MIT */
/*
 * Linux's i386 system-call ABI (the i386 kernel only): the wrappers that
 * live outside compat32.c, listed in its table of i386 handlers.
 */
#ifndef KERNEL_PROC_COMPAT32_H
#define KERNEL_PROC_COMPAT32_H

#include <stdint.h>

/* socketcall(call, args): i386's multiplexer of the socket calls (compat32_socket.c). */
long i386_socketcall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5);
/* recvmmsg (337) with a 32-bit struct timespec. */
long i386_recvmmsg(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t a5);

#endif
