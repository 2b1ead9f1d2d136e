/* SPDX-License-Identifier: MIT */
/*
 * The KASAN build's shadow and reports (kernel/kasan.c) for the kernel; nothing
 * in other builds. What arch code calls is in kernel/arch_hooks.h.
 */
#ifndef KERNEL_KASAN_H
#define KERNEL_KASAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memmap;

/* A report a test provoked (kasan_expect_end()). */
struct kasan_seen {
	const char *kind;	/* "vmalloc-out-of-bounds", ...; NULL: none */
	uintptr_t addr;
	size_t size;
	bool write;
};

#ifdef KASAN
/* Maps the shadow of the direct map's RAM, registers the globals and turns the checks on (kmain, before the heap). */
void kasan_init(const struct memmap *map);
/* How many bad accesses were reported since boot (one per code address), the expected ones aside. */
unsigned long kasan_reports(void);
/* Reports a bad byte in [@p, @p + @n) as an access of @n bytes by the code at @ip (memcpy & co). */
void kasan_check_range(const void *p, size_t n, bool write, const void *ip);
/* Tests: the bad accesses between the two are on purpose; returns how many, and the last. */
void kasan_expect_begin(void);
unsigned kasan_expect_end(struct kasan_seen *last);
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
