/*
 * pkru_util.h: the thread's protection-key rights register from user mode
 * (t_pkeys, t_xstate). RDPKRU and WRPKRU by their bytes, so that any
 * assembler takes them; only x86_64 has keys (i386: reads 0, writes nothing).
 */
#ifndef TESTS_USER_PKRU_UTIL_H
#define TESTS_USER_PKRU_UTIL_H

#include "util.h"

#if ABI64
static TAP_UNUSED unsigned rdpkru(void)
{
	unsigned eax, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static TAP_UNUSED void wrpkru(unsigned v)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}
#else
static TAP_UNUSED unsigned rdpkru(void) { return 0; }
static TAP_UNUSED void wrpkru(unsigned v) { (void)v; }
#endif

#endif
