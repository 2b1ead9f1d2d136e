// SPDX-License-Identifier: MIT
/*
 * The heap core's platform in a Win32 program (win32_heap.c): its page
 * source over VirtualAlloc (its plat_* functions are in plat_hosted.c).
 *
 * Slabs are 64 KiB granules of one arena the process reserves when it makes
 * its first heap: committed when a heap takes one, decommitted when it gives
 * it back. Large areas are VirtualAlloc allocations of their own, released
 * when freed. Every heap's slabs and large areas are charged to the heap
 * (struct win32_heap_charge) the calling thread works on, so that a
 * fixed-size heap stops at its maximum. Threads are the core's CPUs; there
 * are no interrupts to mask.
 *
 * Lock order: a heap's cache lock, then the arena's lock.
 */

#include "memcore/win32.h"
#include "win32_heap.h"

#define GRANULE		WIN32_HEAP_GRANULE
#define ARENA_BYTES	WIN32_HEAP_ARENA_BYTES
#define GRANULES	WIN32_HEAP_GRANULES

_Thread_local struct win32_heap_charge *win32_heap_current;

char *win32_heap_arena;
static spinlock_t arena_lock;
static uint32_t bump;			/* granules never used lie from here */
static uint32_t nfree, free_stack[GRANULES];	/* granules given back */
uint8_t win32_heap_kind[WIN32_HEAP_GRANULES];	/* WIN32_GRANULE_* */

static DWORD page_protect(const struct win32_heap_charge *c)
{
	return c && c->execute ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
}

/* Charge @bytes to the current heap: false past a fixed heap's maximum. */
static bool charge(SIZE_T bytes)
{
	struct win32_heap_charge *c = win32_heap_current;

	SIZE_T was;

	if (!c)
		return true;
	was = __atomic_load_n(&c->used, __ATOMIC_RELAXED);
	do {
		if (c->maximum && was + bytes > c->maximum)
			return false;
	} while (!__atomic_compare_exchange_n(&c->used, &was, was + bytes, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void uncharge(SIZE_T bytes)
{
	struct win32_heap_charge *c = win32_heap_current;

	if (c)
		__atomic_sub_fetch(&c->used, bytes, __ATOMIC_RELAXED);
}

static int arena_init(struct heap_page_source *src)
{
	if (!win32_heap_arena) {
		unsigned long f = spin_lock_irqsave(&arena_lock);
		if (!win32_heap_arena)
			win32_heap_arena = VirtualAlloc(NULL, ARENA_BYTES, MEM_RESERVE, PAGE_READWRITE);
		spin_unlock_irqrestore(&arena_lock, f);
		if (!win32_heap_arena)
			return -1;
	}
	src->arena_lo = (uintptr_t)win32_heap_arena;
	src->arena_hi = (uintptr_t)win32_heap_arena + ARENA_BYTES;
	return 0;
}

static void *pages_get(unsigned order, unsigned flags)
{
	struct win32_heap_charge *c = win32_heap_current;
	bool header = c && c->creating;
	uint32_t g = UINT32_MAX;

	if (order != HEAP_SLAB_ORDER || (flags & HEAP_PG_DMA) || (!header && !charge(GRANULE)))
		return NULL;
	unsigned long f = spin_lock_irqsave(&arena_lock);
	if (nfree)
		g = free_stack[--nfree];
	else if (bump < GRANULES)
		g = bump++;
	if (g != UINT32_MAX)
		win32_heap_kind[g] = header ? WIN32_GRANULE_HEAP : WIN32_GRANULE_SLAB;
	spin_unlock_irqrestore(&arena_lock, f);
	char *p = g == UINT32_MAX ? NULL : win32_heap_arena + (SIZE_T)g * GRANULE;
	if (p && !VirtualAlloc(p, GRANULE, MEM_COMMIT, page_protect(c))) {
		f = spin_lock_irqsave(&arena_lock);
		win32_heap_kind[g] = WIN32_GRANULE_FREE;
		free_stack[nfree++] = g;
		spin_unlock_irqrestore(&arena_lock, f);
		p = NULL;
	}
	if (!p && !header)
		uncharge(GRANULE);
	return p;			/* freshly committed pages read as zero */
}

static void pages_put(void *p, unsigned order)
{
	uint32_t g = (uint32_t)(((char *)p - win32_heap_arena) / GRANULE);
	bool header = win32_heap_kind[g] == WIN32_GRANULE_HEAP;

	(void)order;
	VirtualFree(p, GRANULE, MEM_DECOMMIT);
	unsigned long f = spin_lock_irqsave(&arena_lock);
	win32_heap_kind[g] = WIN32_GRANULE_FREE;
	free_stack[nfree++] = g;
	spin_unlock_irqrestore(&arena_lock, f);
	if (!header)
		uncharge(GRANULE);
}

static void *large_get(size_t size, size_t align, unsigned flags, struct heap_area *a)
{
	SIZE_T bytes = (size + PAGE_SIZE - 1) & ~(SIZE_T)(PAGE_SIZE - 1);
	void *p;

	(void)flags;			/* VirtualAlloc's pages are zero */
	if (align > GRANULE || bytes < size || !charge(bytes))
		return NULL;
	p = VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, page_protect(win32_heap_current));
	if (!p) {
		uncharge(bytes);
		return NULL;
	}
	*a = (struct heap_area){ .base = p, .len = bytes, .reserved = bytes };
	return p;
}

static void large_put(const struct heap_area *a)
{
	VirtualFree(a->base, 0, MEM_RELEASE);
	uncharge(a->len);
}

static void phys(uint64_t *total, uint64_t *used)
{
	*total = ARENA_BYTES;
	*used = (uint64_t)(bump - nfree) * GRANULE;
}

void win32_heap_source(struct heap_page_source *src)
{
	*src = (struct heap_page_source){ .name = "win32", .init = arena_init, .pages_get = pages_get,
					  .pages_put = pages_put, .large_get = large_get,
					  .large_put = large_put, .phys = phys };
	if (win32_heap_arena) {
		src->arena_lo = (uintptr_t)win32_heap_arena;
		src->arena_hi = (uintptr_t)win32_heap_arena + ARENA_BYTES;
	}
}
