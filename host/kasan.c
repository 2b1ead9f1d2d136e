// SPDX-License-Identifier: MIT
/*
 * The porting interface's address-sanitizer hooks on a Linux host (MM_KASAN
 * builds of the core, mk/kasan_host.mk): the host's ASan keeps the shadow.
 * The heap's poisoning of simulated RAM goes to ASan's manual poisoning
 * interface, so an instrumented access to a red zone or a freed object is an
 * ASan report; the heap's own files, built without ASan, write into what they
 * poisoned through __memcpy, __memmove and __memset, which must not be ASan's
 * intercepted memcpy and friends (those check the shadow even when called
 * from code built without ASan).
 */
#include "host/sim.h"
#include "mm/platform.h"

#ifdef MM_KASAN
#include <execinfo.h>
#include <sanitizer/asan_interface.h>

#define HOST_KASAN_STACK_MAX	16

/* The unchecked copies the heap's uninstrumented files call (mm/types.h). */
void *__memcpy(void *dst, const void *src, size_t n);
void *__memmove(void *dst, const void *src, size_t n);
void *__memset(void *dst, int c, size_t n);

struct sim_kasan sim_kasan;

void plat_kasan_poison(const void *p, size_t len, uint8_t why)
{
	sim_kasan.poison[why]++;
	if (len && sim_ram_holds(p, len))
		__asan_poison_memory_region(p, len);
}

void plat_kasan_unpoison(const void *p, size_t len)
{
	sim_kasan.unpoison++;
	if (len && sim_ram_holds(p, len))
		__asan_unpoison_memory_region(p, len);
}

unsigned plat_kasan_stack(const void **pcs, unsigned n)
{
	void *buf[HOST_KASAN_STACK_MAX + 1];
	unsigned want = n < HOST_KASAN_STACK_MAX ? n : HOST_KASAN_STACK_MAX;
	int got = backtrace(buf, (int)want + 1);	/* [0] is this function */
	unsigned k = got > 1 ? (unsigned)got - 1 : 0;

	for (unsigned i = 0; i < n; i++)
		pcs[i] = i < k ? buf[i + 1] : NULL;
	return k;
}

bool plat_kasan_map(const void *p, size_t len)
{
	(void)p;
	if (sim_kasan.fail_map)
		return false;
	__atomic_add_fetch(&sim_kasan.mapped_pages, (long)(len / PAGE_SIZE), __ATOMIC_RELAXED);
	return true;
}

void plat_kasan_unmap(const void *p, size_t len)
{
	(void)p;
	__atomic_sub_fetch(&sim_kasan.mapped_pages, (long)(len / PAGE_SIZE), __ATOMIC_RELAXED);
}

/* Byte loops the compiler must not turn back into (intercepted) calls. */
#define RAW __attribute__((no_sanitize_address, optimize("no-tree-loop-distribute-patterns")))

RAW void *__memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
	return dst;
}

RAW void *__memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return __memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

RAW void *__memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)c;
	return dst;
}
#else
/* Other builds: nothing here (ISO C wants a declaration in every file). */
typedef int host_kasan_unused;
#endif
