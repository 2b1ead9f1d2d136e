// SPDX-License-Identifier: MIT
/*
 * A page source for the heap over mmap, for the malloc build (and host
 * tests of large areas, which the simulator's vmalloc cannot back).
 *
 * Slabs are carved from one reserved, lazily backed arena, so "is this a
 * slab pointer" is a range check. A freed run keeps its memory (a "hot" run,
 * reused newest first by any size class) until it has stayed unused for a
 * whole window of PURGE_DELAY_NS: at the end of each window the pool gives
 * back, oldest first, as many bytes as it never went below during the window
 * (its low-water mark). A program that frees and allocates in turn, however
 * slowly, draws its pool down and pays no MADV_DONTNEED and no page faults
 * for it; memory it stopped using goes back within two windows. The oldest
 * runs beyond HOT_MAX go back at once, and so do those that would raise the
 * peak (hot_trim()). The check runs whenever a run is got
 * or put, so an idle program keeps what it freed last (malloc_trim() gives
 * it all back). Large areas are mappings of their own (see below).
 */
#define _GNU_SOURCE 1		/* mremap */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "host/heap_pages_mmap.h"
#include "mm/spinlock.h"

/* The largest area asked of the kernel: 64 TiB, or half the space of a 32-bit process. */
#if SIZE_MAX > 0xffffffffu
#define LARGE_MAX ((size_t)1 << 46)
#else
#define LARGE_MAX (SIZE_MAX / 2)
#endif

#define MAX_ORDER	24
#ifndef PIDFD_SELF_PROCESS
#define PIDFD_SELF_PROCESS	(-10001)	/* linux/pidfd.h, Linux 6.14 on */
#endif
#define CACHED_MAX	256
#define LARGE_RESERVE_MIN	(sizeof(void *) == 8 ? (size_t)1 << 20 : 0)
#define CACHED_BYTES	((size_t)64 << 20)
#ifndef HOT_MAX
#define HOT_MAX		((size_t)1 << 30)
#endif
/* Kept runs that may raise the peak: more of them go back at once (see hot_trim()). */
#ifndef HOT_OVER_PEAK
#define HOT_OVER_PEAK	((size_t)1 << 20)
#endif
/* Growing, kept memory that cannot serve the request goes back once this old. */
#define GROW_KEEP_NS	10000000ull		/* 10 ms */
#ifndef PURGE_DELAY_NS
#define PURGE_DELAY_NS	100000000ull		/* 100 ms */
#endif

struct cached_area {
	struct heap_area area;
	uint64_t freed_ns;
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
	size_t out_bytes;			/* runs given out and not put back */
	size_t out_peak;			/* the most out_bytes has been */
	size_t hot_low;				/* the least hot_bytes since window_ns */
	uint64_t window_ns;			/* when the current decay window began */
	uint64_t last_ns;			/* the last get or put */
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
		munmap(mp.cached[i].area.base, mp.cached[i].area.reserved);
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
	mp.hot_low = MM_MIN(mp.hot_low, mp.hot_bytes);
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

/* The cutoff for kept memory freed @delay ns before @now: older is given back. */
static uint64_t older_than(uint64_t now, uint64_t delay)
{
	return now > delay ? now - delay : 0;
}

/*
 * Give back the memory of the kept runs freed before @cutoff, and the oldest
 * beyond HOT_MAX, and then oldest first until @bytes are given back; lock
 * held on entry, dropped around each madvise.
 */
static void purge_locked(uint64_t cutoff, size_t bytes)
{
	size_t done = 0;

	for (int o; (o = hot_due(done < bytes ? UINT64_MAX : cutoff)) >= 0;) {
		struct hot_run *r = mp.hot[o].oldest;
		size_t size = (size_t)PAGE_SIZE << o;
		hot_unlink((unsigned)o, r);
		done += size;
		spin_unlock_irqrestore(&mp.lock, 0);
		madvise(r, size, MADV_DONTNEED);
		spin_lock_irqsave(&mp.lock);
		*(void **)r = mp.free_run[o];
		mp.free_run[o] = r;
	}
}

/*
 * The decay (see the top): at the end of a window, what the pool held
 * unused all through it goes back; lock held.
 */
static void decay_locked(uint64_t now)
{
	/* Nothing got or put for a window: the whole pool sat unused. */
	bool quiet = now - mp.last_ns >= PURGE_DELAY_NS;
	size_t unused = quiet ? mp.hot_bytes : mp.hot_low;

	mp.last_ns = now;
	if (!quiet && now - mp.window_ns < PURGE_DELAY_NS) {
		if (mp.hot_bytes > HOT_MAX)
			purge_locked(0, 0);
		return;
	}
	mp.window_ns = now;		/* first: the purge drops the lock */
	purge_locked(0, unused);
	mp.hot_low = mp.hot_bytes;
}

/*
 * Decay by bytes: kept runs cost no peak while the runs out and the kept
 * ones together stay under the most runs ever out (a program that freed a
 * phase's memory and allocates the next one's); beyond that, only
 * HOT_OVER_PEAK of them are kept. They would otherwise stay resident while
 * the next run got is touched further than its last user did (runs are
 * touched lazily, from their start), and the peak is their union. Lock held.
 */
static void hot_trim(void)
{
	size_t room = mp.out_peak - mp.out_bytes + HOT_OVER_PEAK;

	if (mp.hot_bytes > room)
		purge_locked(0, mp.hot_bytes - room);
}

/* Unmap the kept areas freed before @cutoff; lock held, dropped around each munmap. */
static void expire_cached(uint64_t cutoff)
{
	for (unsigned i = 0; i < mp.ncached;) {
		if (mp.cached[i].freed_ns > cutoff) {
			i++;
			continue;
		}
		struct heap_area a = mp.cached[i].area;
		mp.cached_bytes -= a.len;
		mp.cached[i] = mp.cached[--mp.ncached];
		spin_unlock_irqrestore(&mp.lock, 0);
		munmap(a.base, a.reserved);
		spin_lock_irqsave(&mp.lock);
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
	uint64_t now = now_ns();
	if (p) {
		mp.out_bytes += size;
		mp.out_peak = MM_MAX(mp.out_peak, mp.out_bytes);
	}
	decay_locked(now);
	hot_trim();
	if (!dirty && mp.ncached)	/* growing: kept large areas cannot serve slabs */
		expire_cached(older_than(now, GROW_KEEP_NS));
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

	decay_locked(now);		/* before @r joins the pool */
	*r = (struct hot_run){ .older = q->newest, .freed_ns = now };
	if (q->newest)
		q->newest->newer = r;
	else
		q->oldest = r;
	q->newest = r;
	mp.hot_bytes += (size_t)PAGE_SIZE << order;
	mp.out_bytes -= (size_t)PAGE_SIZE << order;
	hot_trim();
	spin_unlock_irqrestore(&mp.lock, f);
}


/*
 * Large areas: a mapping of twice the first request (LARGE_RESERVE_MIN at
 * least: address space is cheap on 64-bit hosts) plus a PROT_NONE guard
 * page, lazily backed, so that realloc grows an area in place without a
 * system call; past the mapping, mremap moves its pages to one twice the
 * new size (page-table entries move, no byte is copied). The guard follows
 * the whole mapping: a write past the usable part but inside the headroom
 * is not caught. A few freed areas are kept for reuse (a new mapping costs
 * system calls and page faults) until PURGE_DELAY_NS passes.
 */
static size_t reserve_for(size_t len)
{
	return MM_MAX(2 * len, LARGE_RESERVE_MIN) + PAGE_SIZE;
}

/* Give the pages of [@p, @p + @n) back; they read as zero if used again. */
static bool drop_pages(uint8_t *p, size_t n)
{
	return !madvise(p, n, MADV_DONTNEED);
}

/* Of kept areas @a and @b able to hold @len, the better fit: the least usable bytes >= @len. */
static bool fits_better(const struct heap_area *a, const struct heap_area *b, size_t len)
{
	if ((a->len >= len) != (b->len >= len))
		return a->len >= len;
	return a->len >= len ? a->len < b->len : a->len > b->len;
}

/*
 * The kept area that fits @len best, its pages kept up to four times @len
 * (a buffer that grew once may grow again), the rest given back. Lock
 * held; false if none can hold @len.
 */
static bool take_cached(size_t len, struct heap_area *a)
{
	int best = -1;

	for (unsigned i = 0; i < mp.ncached; i++) {
		const struct heap_area *c = &mp.cached[i].area;
		if (c->reserved >= len + PAGE_SIZE &&
		    (best < 0 || fits_better(c, &mp.cached[best].area, len)))
			best = (int)i;
	}
	if (best < 0)
		return false;
	*a = mp.cached[best].area;
	mp.cached_bytes -= a->len;
	mp.cached[best] = mp.cached[--mp.ncached];
	if (a->len > 4 * len) {
		spin_unlock_irqrestore(&mp.lock, 0);
		drop_pages((uint8_t *)a->base + len, a->len - len);
		spin_lock_irqsave(&mp.lock);
		a->len = len;
	}
	a->len = MM_MAX(a->len, len);
	return true;
}

static void *mmap_large_get(size_t size, size_t align, unsigned flags, struct heap_area *a)
{
	size_t l = ALIGN_UP(size, (size_t)PAGE_SIZE);
	size_t extra = align > PAGE_SIZE ? align : 0;
	bool cached = false;

	if (l < size || l > LARGE_MAX)
		return NULL;
	if (!extra) {
		unsigned long f = spin_lock_irqsave(&mp.lock);
		cached = take_cached(l, a);
		uint64_t now = now_ns();
		if (mp.ncached)
			expire_cached(older_than(now, PURGE_DELAY_NS));
		if (!cached && mp.hot_bytes)	/* growing: kept slab runs cannot serve it */
			purge_locked(older_than(now, GROW_KEEP_NS), 0);
		spin_unlock_irqrestore(&mp.lock, f);
	}
	if (cached) {
		if (flags & HEAP_PG_ZERO)
			memset(a->base, 0, a->len);
		return a->base;
	}
	size_t reserved = reserve_for(l), total = reserved + extra;
	uint8_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	uint8_t *p = extra ? (uint8_t *)ALIGN_UP((uintptr_t)m, (uintptr_t)align) : m;
	if (p > m)
		munmap(m, (size_t)(p - m));
	if (m + total > p + reserved)
		munmap(p + reserved, (size_t)(m + total - (p + reserved)));
	mprotect(p + reserved - PAGE_SIZE, PAGE_SIZE, PROT_NONE);
	*a = (struct heap_area){ .base = p, .len = l, .reserved = reserved };
	return p;
}

static void *mmap_large_resize(struct heap_area *a, size_t size)
{
	size_t l = ALIGN_UP(size, (size_t)PAGE_SIZE);
	uint8_t *base = a->base;

	if (l < size || l > LARGE_MAX)
		return NULL;
	if (l <= a->len) {			/* shrink: the tail pages given back */
		if (l < a->len && !drop_pages(base + l, a->len - l))
			return NULL;
		a->len = l;
		return base;
	}
	if (l + PAGE_SIZE <= a->reserved) {	/* grow in place, by a quarter at least */
		a->len = MM_MIN(ALIGN_UP(MM_MAX(l, a->len + a->len / 4), (size_t)PAGE_SIZE),
				a->reserved - PAGE_SIZE);
		return base;
	}
	/* Move: the pages into a new mapping twice the size, its guard page kept. */
	size_t reserved = reserve_for(l);
	uint8_t *to = mmap(NULL, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);
	if (to == MAP_FAILED)
		return NULL;
	void *moved = mremap(base, a->reserved - PAGE_SIZE, reserved - PAGE_SIZE,
			     MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (moved == MAP_FAILED) {
		munmap(to, reserved);
		return NULL;
	}
	munmap(base + a->reserved - PAGE_SIZE, PAGE_SIZE);	/* the old guard */
	*a = (struct heap_area){ .base = to, .len = l, .reserved = reserved };
	return to;
}

static void mmap_large_put(const struct heap_area *a)
{
	unsigned long f = spin_lock_irqsave(&mp.lock);
	uint64_t now = now_ns();
	bool kept = false;

	if (mp.ncached < CACHED_MAX && mp.cached_bytes + a->len <= CACHED_BYTES) {
		mp.cached[mp.ncached++] = (struct cached_area){ *a, now };
		mp.cached_bytes += a->len;
		kept = true;
	}
	if (mp.ncached)
		expire_cached(older_than(now, PURGE_DELAY_NS));
	spin_unlock_irqrestore(&mp.lock, f);
	if (!kept)
		munmap(a->base, a->reserved);
}

void heap_pages_mmap_trim(void)
{
	unsigned long f = spin_lock_irqsave(&mp.lock);

	purge_locked(UINT64_MAX, 0);
	expire_cached(UINT64_MAX);
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

/*
 * All runs in one process_madvise() where the kernel takes MADV_DONTNEED
 * from a process for itself (Linux 6.13 on): one call, and one TLB flush
 * on kernels that batch them, where madvise() pays one per run.
 */
static void mmap_pages_purge(const struct heap_range *r, unsigned n)
{
	static int vector_ok = 1;
	struct iovec iov[HEAP_SLAB_SIZE / PAGE_SIZE / 2 + 1];
	size_t total = 0;

	if (n > ARRAY_SIZE(iov))
		vector_ok = 0;
	for (unsigned i = 0; vector_ok && i < n; i++) {
		iov[i] = (struct iovec){ r[i].p, r[i].len };
		total += r[i].len;
	}
	if (vector_ok && n > 1) {
		long done = syscall(SYS_process_madvise, PIDFD_SELF_PROCESS, iov, (size_t)n,
				    MADV_DONTNEED, 0u);
		if (done == (long)total)
			return;
		if (done < 0)
			__atomic_store_n(&vector_ok, 0, __ATOMIC_RELAXED);
	}
	for (unsigned i = 0; i < n; i++)
		madvise(r[i].p, r[i].len, MADV_DONTNEED);
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
	.large_resize = mmap_large_resize,
	.large_put = mmap_large_put,
	.pages_purge = mmap_pages_purge,
	.now_ns = now_ns,
	.phys = mmap_phys,
};
