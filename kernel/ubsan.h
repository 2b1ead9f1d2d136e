/* SPDX-License-Identifier: MIT */
/* The UBSan build's report count (kernel/ubsan.c); 0 in other builds. */
#ifndef KERNEL_UBSAN_H
#define KERNEL_UBSAN_H

#ifdef KUBSAN
/* How many undefined operations were reported since boot (one per site). */
unsigned long ubsan_reports(void);
#else
static inline unsigned long ubsan_reports(void)
{
	return 0;
}
#endif

#endif
