/* SPDX-License-Identifier: MIT */
/*
 * Basic types of the portable memory core.
 *
 * The core is freestanding C11: it uses only the compiler's own headers
 * (stdint.h, stddef.h, stdbool.h, stdarg.h) and the four functions every
 * freestanding C environment must provide (memcpy, memmove, memset, memcmp).
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;	/* a physical address, always 64-bit */
typedef uint64_t pfn_t;		/* a physical frame number (address >> PAGE_SHIFT) */

#define PAGE_SHIFT	12
#define PAGE_SIZE	((uint64_t)1 << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define MM_MIN(a, b)	((a) < (b) ? (a) : (b))
#define MM_MAX(a, b)	((a) > (b) ? (a) : (b))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/*
 * A 64-bit field read or written with __atomic builtins: 8-aligned. i386
 * aligns uint64_t to 4 inside structures, so such a field may straddle a
 * cache line; an 8-byte locked instruction there is a split lock (a bus
 * lock, which a hypervisor may throttle to milliseconds each) and an 8-byte
 * load there is not atomic. MM_ATOMIC64_OK() states it beside the structure.
 */
#define MM_ATOMIC64	_Alignas(8)
#define MM_ATOMIC64_OK(type, field)						\
	_Static_assert(offsetof(type, field) % 8 == 0 && _Alignof(type) >= 8,	\
		       #type "." #field ": a 64-bit atomic that may straddle a cache line")

/* Physical addresses beyond this are absurd on any x86 (MAXPHYADDR <= 52). */
#define PHYS_ADDR_LIMIT	((uint64_t)1 << 52)

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#if defined(MM_KASAN) && !defined(__SANITIZE_ADDRESS__)
/*
 * An address-sanitized build's files that are built without the checks (the
 * heap writes into the memory it poisons) use the platform's unchecked
 * copies; everything else goes through the checked ones (docs/porting.md).
 */
void *__memcpy(void *dst, const void *src, size_t n);
void *__memmove(void *dst, const void *src, size_t n);
void *__memset(void *dst, int c, size_t n);
#define memcpy	__memcpy
#define memmove	__memmove
#define memset	__memset
#endif

#endif
