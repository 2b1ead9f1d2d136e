// SPDX-License-Identifier: MIT
/*
 * A page source for the heap over mmap, for the malloc build (and host
 * tests of large areas, which the simulator's vmalloc cannot back).
 *
 * Slabs are carved from one reserved, lazily backed arena, so "is this a
 * slab pointer" is a range check; freed runs are kept per order with their
 * memory given back (MADV_DONTNEED). Large areas are mappings of their own
 * with a PROT_NONE guard page after them; a few freed ones are kept for
 * reuse, since a mapping costs two system calls and its page faults.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/heap_pages_mmap.h"
#include "mm/spinlock.h"

#define MAX_ORDER	24
#define CACHED_MAX	64
#define CACHED_BYTES	((size_t)64 << 20)
#ifndef HOT_BYTES
#define HOT_BYTES	((size_t)32 << 20)
#endif

struct cached_area {
	void *base;
	size_t len;
};

static struct {
	spinlock_t lock;
	uintptr_t lo, hi, cursor;
	void *map;
	size_t map_len;
	void *free_run[MAX_ORDER + 1];		/* freed runs, linked through their first word */
	void *hot_run[MAX_ORDER + 1];		/* the same, memory kept */
	size_t hot_bytes;
	struct cached_area cached[CACHED_MAX];
	unsigned ncached;
	size_t cached_bytes;
} mp = { .lock = SPINLOCK_INIT };

static size_t arena_bytes = (size_t)64 << 30;

void heap_pages_mmap_set_arena(size_t bytes)
{
	arena_bytes = bytes;
}

static int mmap_init(struct heap_page_source *src)
{
	if (mp.map)
		munmap(mp.map, mp.map_len);
	for (unsigned i = 0; i < mp.ncached; i++)
		munmap(mp.cached[i].base, mp.cached[i].len + PAGE_SIZE);
	memset(&mp, 0, sizeof(mp));
	mp.map_len = arena_bytes + HEAP_SLAB_SIZE;
	void *p = mmap(NULL, mp.map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		mp.map = NULL;
		return -1;
	}
	mp.map = p;
	mp.lo = mp.cursor = ALIGN_UP((uintptr_t)p, HEAP_SLAB_SIZE);
	mp.hi = mp.lo + arena_bytes;
	src->arena_lo = mp.lo;
	src->arena_hi = mp.hi;
	return 0;
}

static void *mmap_pages_get(unsigned order, unsigned flags)
{
	size_t size = (size_t)PAGE_SIZE << order;
	void *p = NULL;

	if (order > MAX_ORDER)
		return NULL;
	bool dirty = false;
	unsigned long f = spin_lock_irqsave(&mp.lock);
	if (mp.hot_run[order]) {
		p = mp.hot_run[order];
		mp.hot_run[order] = *(void **)p;
		mp.hot_bytes -= size;
		dirty = true;
	} else if (mp.free_run[order]) {
		p = mp.free_run[order];
		mp.free_run[order] = *(void **)p;
		*(void **)p = NULL;		/* the rest is zero: DONTNEED'd */
	} else {
		uintptr_t a = ALIGN_UP(mp.cursor, (uintptr_t)size);
		if (a + size <= mp.hi && a + size > a) {
			p = (void *)a;
			mp.cursor = a + size;
		}
	}
	spin_unlock_irqrestore(&mp.lock, f);
	if (dirty && (flags & HEAP_PG_ZERO))
		memset(p, 0, size);
	else if (dirty)
		*(void **)p = NULL;
	return p;
}

/*
 * Up to HOT_BYTES of freed runs keep their memory, so that a slab freed and
 * needed again soon costs no page faults; the rest is given back at once.
 */
static void mmap_pages_put(void *p, unsigned order)
{
	size_t size = (size_t)PAGE_SIZE << order;
	unsigned long f = spin_lock_irqsave(&mp.lock);
	bool hot = mp.hot_bytes + size <= HOT_BYTES;

	if (hot) {
		*(void **)p = mp.hot_run[order];
		mp.hot_run[order] = p;
		mp.hot_bytes += size;
	}
	spin_unlock_irqrestore(&mp.lock, f);
	if (hot)
		return;
	madvise(p, size, MADV_DONTNEED);
	f = spin_lock_irqsave(&mp.lock);
	*(void **)p = mp.free_run[order];
	mp.free_run[order] = p;
	spin_unlock_irqrestore(&mp.lock, f);
}

/* A freed area of exactly @len bytes, if one is kept. */
static void *take_cached(size_t len)
{
	void *p = NULL;
	unsigned long f = spin_lock_irqsave(&mp.lock);

	for (unsigned i = 0; i < mp.ncached; i++) {
		if (mp.cached[i].len == len) {
			p = mp.cached[i].base;
			mp.cached[i] = mp.cached[--mp.ncached];
			mp.cached_bytes -= len;
			break;
		}
	}
	spin_unlock_irqrestore(&mp.lock, f);
	return p;
}

static void *mmap_large_get(size_t size, size_t align, unsigned flags, void **base, size_t *len)
{
	size_t l = ALIGN_UP(size, (size_t)PAGE_SIZE);
	size_t extra = align > PAGE_SIZE ? align : 0;
	void *p = extra ? NULL : take_cached(l);

	if (p) {
		if (flags & HEAP_PG_ZERO)
			memset(p, 0, l);
	} else {
		size_t total = l + PAGE_SIZE + extra;
		uint8_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		uint8_t *a = extra ? (uint8_t *)ALIGN_UP((uintptr_t)m, (uintptr_t)align) : m;
		if (a > m)
			munmap(m, (size_t)(a - m));
		if (m + total > a + l + PAGE_SIZE)
			munmap(a + l + PAGE_SIZE, (size_t)(m + total - (a + l + PAGE_SIZE)));
		mprotect(a + l, PAGE_SIZE, PROT_NONE);
		p = a;
	}
	*base = p;
	*len = l;
	return p;
}

static void mmap_large_put(void *base, size_t len)
{
	unsigned long f = spin_lock_irqsave(&mp.lock);

	if (mp.ncached < CACHED_MAX && mp.cached_bytes + len <= CACHED_BYTES) {
		mp.cached[mp.ncached++] = (struct cached_area){ base, len };
		mp.cached_bytes += len;
		base = NULL;
	}
	spin_unlock_irqrestore(&mp.lock, f);
	if (base)
		munmap(base, len + PAGE_SIZE);
}

void heap_pages_mmap_lock(void)
{
	spin_lock_irqsave(&mp.lock);
}

void heap_pages_mmap_unlock(void)
{
	spin_unlock_irqrestore(&mp.lock, 0);
}

static void mmap_phys(uint64_t *total, uint64_t *used)
{
	long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES);

	*total = pages > 0 ? (uint64_t)pages * PAGE_SIZE : 0;
	*used = pages > 0 && avail >= 0 ? (uint64_t)(pages - avail) * PAGE_SIZE : 0;
}

struct heap_page_source heap_pages_mmap = {
	.name = "mmap",
	.init = mmap_init,
	.pages_get = mmap_pages_get,
	.pages_put = mmap_pages_put,
	.large_get = mmap_large_get,
	.large_put = mmap_large_put,
	.phys = mmap_phys,
};
