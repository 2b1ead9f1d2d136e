// SPDX-License-Identifier: MIT
/*
 * A page source for the heap over mmap, for the malloc build (and host
 * tests of large areas, which the simulator's vmalloc cannot back).
 *
 * Slabs are carved from one reserved, lazily backed arena, so "is this a
 * slab pointer" is a range check. A freed run keeps its memory for a while
 * (PURGE_DELAY_NS), the way jemalloc and mimalloc decay their dirty pages: a
 * program that frees a lot and allocates again, or exits, pays no
 * MADV_DONTNEED and no page faults for it. Runs older than that, and the
 * oldest beyond HOT_MAX, are given back; the check runs whenever a run is got
 * or put, so an idle program keeps what it freed last (malloc_trim() gives
 * it all back). Large areas are mappings of their own with a PROT_NONE guard
 * page after them; a few freed ones are kept for reuse, since a mapping costs
 * two system calls and its page faults.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host/heap_pages_mmap.h"
#include "mm/spinlock.h"

#define MAX_ORDER	24
#define CACHED_MAX	64
#define CACHED_BYTES	((size_t)64 << 20)
#ifndef HOT_MAX
#define HOT_MAX		((size_t)1 << 30)
#endif
#ifndef PURGE_DELAY_NS
#define PURGE_DELAY_NS	100000000ull		/* 100 ms */
#endif

struct cached_area {
	void *base;
	size_t len;
};

/* A freed run whose memory is kept, linked through its first bytes. */
struct hot_run {
	struct hot_run *older, *newer;
	uint64_t freed_ns;
};

struct hot_queue {
	struct hot_run *oldest, *newest;
};

static struct {
	spinlock_t lock;
	uintptr_t lo, hi, cursor;
	void *map;
	size_t map_len;
	void *free_run[MAX_ORDER + 1];		/* purged runs, linked through their first word */
	struct hot_queue hot[MAX_ORDER + 1];	/* freed runs with their memory, by age */
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

static void hot_unlink(unsigned order, struct hot_run *r)
{
	struct hot_queue *q = &mp.hot[order];

	if (r->older)
		r->older->newer = r->newer;
	else
		q->oldest = r->newer;
	if (r->newer)
		r->newer->older = r->older;
	else
		q->newest = r->older;
	mp.hot_bytes -= (size_t)PAGE_SIZE << order;
}

/* The order of the oldest kept run that is due (older than @cutoff, or over HOT_MAX), or -1. */
static int hot_due(uint64_t cutoff)
{
	int best = -1;

	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		const struct hot_run *r = mp.hot[o].oldest;
		if (r && (best < 0 || r->freed_ns < mp.hot[best].oldest->freed_ns))
			best = (int)o;
	}
	if (best >= 0 && mp.hot_bytes <= HOT_MAX && mp.hot[best].oldest->freed_ns > cutoff)
		return -1;
	return best;
}

/*
 * Give back the memory of the runs that are due (every kept run if @all);
 * lock held on entry, dropped around each madvise.
 */
static void purge_locked(uint64_t now, bool all)
{
	uint64_t cutoff = all ? UINT64_MAX : now > PURGE_DELAY_NS ? now - PURGE_DELAY_NS : 0;

	for (int o; (o = hot_due(cutoff)) >= 0;) {
		struct hot_run *r = mp.hot[o].oldest;
		size_t size = (size_t)PAGE_SIZE << o;
		hot_unlink((unsigned)o, r);
		spin_unlock_irqrestore(&mp.lock, 0);
		madvise(r, size, MADV_DONTNEED);
		spin_lock_irqsave(&mp.lock);
		*(void **)r = mp.free_run[o];
		mp.free_run[o] = r;
	}
}

static void *mmap_pages_get(unsigned order, unsigned flags)
{
	size_t size = (size_t)PAGE_SIZE << order;
	void *p = NULL;

	if (order > MAX_ORDER)
		return NULL;
	bool dirty = false;
	unsigned long f = spin_lock_irqsave(&mp.lock);
	struct hot_run *r = mp.hot[order].newest;
	if (r) {			/* the most recently freed: likeliest still in cache */
		hot_unlink(order, r);
		p = r;
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
	if (mp.hot_bytes)
		purge_locked(now_ns(), false);
	spin_unlock_irqrestore(&mp.lock, f);
	if (dirty && (flags & HEAP_PG_ZERO))
		memset(p, 0, size);
	else if (dirty)
		memset(p, 0, sizeof(struct hot_run));
	return p;
}

/* A freed run keeps its memory until it is due for purging (see the top). */
static void mmap_pages_put(void *p, unsigned order)
{
	struct hot_run *r = p;
	unsigned long f = spin_lock_irqsave(&mp.lock);
	struct hot_queue *q = &mp.hot[order];
	uint64_t now = now_ns();

	*r = (struct hot_run){ .older = q->newest, .freed_ns = now };
	if (q->newest)
		q->newest->newer = r;
	else
		q->oldest = r;
	q->newest = r;
	mp.hot_bytes += (size_t)PAGE_SIZE << order;
	purge_locked(now, false);
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

void heap_pages_mmap_trim(void)
{
	unsigned long f = spin_lock_irqsave(&mp.lock);

	purge_locked(0, true);
	while (mp.ncached) {
		struct cached_area a = mp.cached[--mp.ncached];
		mp.cached_bytes -= a.len;
		spin_unlock_irqrestore(&mp.lock, f);
		munmap(a.base, a.len + PAGE_SIZE);
		f = spin_lock_irqsave(&mp.lock);
	}
	spin_unlock_irqrestore(&mp.lock, f);
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
