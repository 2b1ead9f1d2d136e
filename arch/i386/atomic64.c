// SPDX-License-Identifier: MIT
/*
 * 8-byte atomics on i386. The memory core's 64-bit __atomic_* operations
 * (PAE entries, counters) become calls to libatomic's __atomic_*_8 when
 * the compiler may not use SSE or x87 for 8-byte moves (the kernel is built
 * with -mgeneral-regs-only). These implement them with LOCK CMPXCHG8B,
 * which every CPU this kernel runs on has (i586 and later): a load is a
 * compare-exchange that stores back the value it found. All are
 * sequentially consistent, whatever order the caller asked for.
 */
#include <stdbool.h>
#include <stdint.h>

/* Compare *p with @old; if equal store @new. Returns what *p held. */
static inline uint64_t cas8(volatile void *p, uint64_t old, uint64_t new)
{
	__asm__ volatile("lock cmpxchg8b %1"
			 : "+A"(old), "+m"(*(volatile uint64_t *)p)
			 : "b"((uint32_t)new), "c"((uint32_t)(new >> 32))
			 : "memory", "cc");
	return old;
}

/* The C names differ from the symbols so the compiler sees no builtin redeclared. */
#define LIBATOMIC(name)	__asm__("__atomic_" #name "_8")

uint64_t atomic64_load(const volatile void *p, int order) LIBATOMIC(load);
uint64_t atomic64_load(const volatile void *p, int order)
{
	(void)order;
	return cas8((volatile void *)p, 0, 0);
}

uint64_t atomic64_exchange(volatile void *p, uint64_t v, int order) LIBATOMIC(exchange);
uint64_t atomic64_exchange(volatile void *p, uint64_t v, int order)
{
	uint64_t cur = *(volatile uint64_t *)p, seen;

	(void)order;
	while ((seen = cas8(p, cur, v)) != cur)
		cur = seen;
	return cur;
}

void atomic64_store(volatile void *p, uint64_t v, int order) LIBATOMIC(store);
void atomic64_store(volatile void *p, uint64_t v, int order)
{
	atomic64_exchange(p, v, order);
}

bool atomic64_compare_exchange(volatile void *p, void *expected, uint64_t desired,
			       int success, int failure) LIBATOMIC(compare_exchange);
bool atomic64_compare_exchange(volatile void *p, void *expected, uint64_t desired,
			       int success, int failure)
{
	uint64_t want = *(uint64_t *)expected;
	uint64_t seen = cas8(p, want, desired);

	(void)success;
	(void)failure;
	if (seen == want)
		return true;
	*(uint64_t *)expected = seen;
	return false;
}

/* fetch_OP returns the old value, OP_fetch the new one. */
#define FETCH_OP(op, expr)							\
uint64_t atomic64_fetch_##op(volatile void *p, uint64_t v, int order) LIBATOMIC(fetch_##op); \
uint64_t atomic64_fetch_##op(volatile void *p, uint64_t v, int order)	\
{									\
	uint64_t cur = *(volatile uint64_t *)p, seen;			\
									\
	(void)order;							\
	while ((seen = cas8(p, cur, (expr))) != cur)			\
		cur = seen;						\
	return cur;							\
}									\
uint64_t atomic64_##op##_fetch(volatile void *p, uint64_t v, int order) LIBATOMIC(op##_fetch); \
uint64_t atomic64_##op##_fetch(volatile void *p, uint64_t v, int order)	\
{									\
	uint64_t cur = atomic64_fetch_##op(p, v, order);		\
									\
	return (expr);							\
}

FETCH_OP(add, cur + v)
FETCH_OP(sub, cur - v)
FETCH_OP(and, cur & v)
FETCH_OP(or, cur | v)
FETCH_OP(xor, cur ^ v)
