// SPDX-License-Identifier: MIT
/*
 * Symbol names for backtraces. The table is generated from the first link
 * by tools/mksyms.sh and linked into the second (see the Makefile).
 */
#include "kernel/lib.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addr[];
extern const uint32_t ksyms_name[];	/* offsets into ksyms_strings */
extern const char ksyms_strings[];

/**
 * ksym_lookup() - name the function containing @addr.
 * @addr: a code address
 * @offset: set to @addr's distance from the symbol's start
 *
 * Return: the symbol name, or NULL if @addr is outside the kernel's text.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	extern char _text[], _etext[];
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uintptr_t)_text || addr >= (uintptr_t)_etext || !hi)
		return NULL;
	while (hi - lo > 1) {		/* the last symbol at or below addr */
		uint64_t mid = (lo + hi) / 2;
		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_addr[lo] > addr)
		return NULL;
	*offset = addr - ksyms_addr[lo];
	return ksyms_strings + ksyms_name[lo];
}
