/* SPDX-License-Identifier: MIT */
/* The KASAN build's shadow and reports (kernel/kasan.c); nothing in other builds. */
#ifndef KERNEL_KASAN_H
#define KERNEL_KASAN_H

#include <stdbool.h>
#include <stddef.h>

struct memmap;

#ifdef KASAN
/* Maps the shadow of the direct map's RAM and turns the checks on (kmain, before the heap). */
void kasan_init(const struct memmap *map);
/* How many bad accesses were reported since boot (one per code address). */
unsigned long kasan_reports(void);
/* Reports a bad byte in [@p, @p + @n) as an access of @n bytes by the code at @ip (memcpy & co). */
void kasan_check_range(const void *p, size_t n, bool write, const void *ip);
#else
static inline void kasan_init(const struct memmap *map)
{
	(void)map;
}

static inline unsigned long kasan_reports(void)
{
	return 0;
}
#endif

#endif
