/* SPDX-License-Identifier: MIT */
/*
 * Heap-internal: the global state, the per-CPU (or per-thread) lists and
 * the helpers shared by slab.c, kmalloc.c and heap_debug.c.
 */
#ifndef MM_HEAP_IMPL_H
#define MM_HEAP_IMPL_H

#define HEAP_NO_SITE_MACROS
#include "heap.h"
#include "heap_pages.h"
#include "platform.h"

#define HEAP_SLAB_HDR	ALIGN_UP(sizeof(struct slab), 64)	/* struct slab, in whole cache lines */
_Static_assert(PAGE_SIZE <= UINT16_MAX, "struct slab's per-page free bytes are 16-bit");
_Static_assert(HEAP_SLAB_SIZE / 8 <= (uintptr_t)UINT16_MAX + 1, "struct slab's free-list offsets are 16-bit");
#define HEAP_LARGE_BUCKETS	4096
/*
 * A 64-bit field updated by atomic read-modify-write: 8-aligned, so that on
 * i386 (which aligns uint64_t to 4) it never straddles a cache line, where
 * the locked instruction is a split lock (a bus lock: milliseconds when a
 * hypervisor throttles them).
 */
#define HEAP_ATOMIC64	__attribute__((aligned(8)))

/* A large area, recorded in the hash table so kfree() can tell it is ours. */
struct heap_large {
	const void *ptr;
	size_t size;			/* requested */
	struct heap_area area;		/* what the page source gave */
	struct heap_site site;
	uint32_t epoch;
	struct heap_large *next;
};

/* A page's entry in a run slab's map (mm/heap_runs.c); used at a run's first and last page. */
struct run_node {
	struct run_node *prev, *next;	/* free runs of the same length */
	uint16_t len;			/* first page: pages in the run */
	uint8_t head;			/* last page of a free run: its first page */
	uint8_t first : 1;		/* a run starts here */
	uint8_t free : 1;		/* the run is free (first and last page) */
	uint32_t freed_ms;		/* first page of a free run: when it was freed */
};

#define RUN_PAGES	(HEAP_SLAB_SIZE / PAGE_SIZE)

/* Page runs shared by every mid size (mm/heap_runs.c); all under @lock. */
struct heap_runs {
	spinlock_t lock;
	size_t max;				/* largest request served; 0: off */
	struct kmem_cache cache;		/* pseudo-cache: slab->cache of run slabs */
	struct run_node *bucket[RUN_PAGES];	/* free runs by length, newest first */
	uint64_t mask[(RUN_PAGES + 63) / 64];	/* non-empty buckets */
	struct slab *spare;			/* the one wholly free run slab kept */
	uint64_t slabs;				/* run slabs held */
	uint64_t free_pages, purged_pages;	/* in free runs; of them given back */
	uint64_t purged_total;			/* pages given back so far */
	uint64_t window_ns;			/* when the current decay window began */
};

/* A private heap's free list of one size class (mm/heap_front.c), under the class's lock. */
struct heap_front {
	void *head;
	uint32_t count, limit;
	uint32_t recip;			/* 2^32 / object size, rounded up */
	uint64_t nalloc, nfree;		/* served and taken back by the list (statistics) */
};

/*
 * A heap instance: the global one (`heap`, with per-CPU lists) or a private
 * one (heap_create(), in a slab-sized block of its page source, its large
 * areas' hash table after it).
 */
struct heap {
	struct heap_page_source *src;
	uint64_t magic;				/* of its slabs */
	bool percpu;				/* per-CPU lists in front of its caches: the global heap */
	unsigned large_bits;			/* log2 of the large areas' hash buckets */
	uintptr_t arena_lo, arena_span;
	bool debug;
	bool lazy;				/* HEAP_CHECK_LAZY */
	uintptr_t secret;			/* free-list pointer key (hardened) */
	struct kmem_cache *cache[HEAP_MAX_CACHES];	/* by id; NULL if free */
	spinlock_t caches_lock;
	struct kmem_cache kmalloc_cache[HEAP_MAX_CLASSES];
	struct kmem_cache dma_cache[HEAP_MAX_CLASSES];
	struct kmem_cache meta_caches[3];	/* caches, heap_cpu, heap_large */
	struct kmem_cache dma_large;		/* pseudo-cache of one-object DMA slabs */
	unsigned nclasses;
	/* Large areas. */
	spinlock_t large_lock;
	struct heap_large **large_hash;
	uint64_t large_bytes, large_count;
	/* Threads' lists (host) and the counts of threads gone. */
	spinlock_t cpus_lock;
	struct heap_cpu *cpus;
	HEAP_ATOMIC64 uint64_t gone_nalloc, gone_nfree;
	int64_t gone_bytes;
	HEAP_ATOMIC64 uint64_t dma_large_bytes;
	struct heap_runs runs;
	uint32_t epoch;			/* heap_mark() generation */
	/* Slabs waiting to give free pages back (mm/slab_purge.c). */
	HEAP_ATOMIC64 uint64_t purge_mask[HEAP_MAX_CACHES / 64];	/* caches with slabs queued */
	uint64_t purge_next_ns;		/* when the first is due; 0: now */
	HEAP_ATOMIC64 uint64_t alloc_clock;		/* bytes refills of purging caches and large areas took */
	bool purging;			/* a thread is scanning */
	uint64_t shrinks, shrunk_pages;		/* heap_shrink() calls and pages they gave back */
	HEAP_ATOMIC64 struct heap_debug_counts dbg;
	struct heap_front front[HEAP_MAX_CACHES];	/* private heaps: by cache id */
};

extern uint32_t heap_class_size[];
#define heap_cache_cache	(&heap_global.meta_caches[0])
#define heap_cpu_cache		(&heap_global.meta_caches[1])
#define heap_large_cache(h)	(&(h)->meta_caches[2])
#define HEAP_SLAB_MAGIC_PRIVATE	(HEAP_SLAB_MAGIC ^ 0x7072697661746500ull)	/* slabs of private heaps */

/* The hash bucket of the large area at @p. */
static inline struct heap_large **heap_large_bucket(const struct heap *h, const void *p)
{
	uint64_t x = ((uintptr_t)p >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ull;

	return &h->large_hash[x >> (64 - h->large_bits)];
}

/* --- per-CPU lists: IRQ-masked per-CPU array in the kernel, thread-local on hosts --- */
#ifdef MM_KERNEL
extern struct heap_cpu heap_cpu_array[MM_MAX_CPUS];
static inline struct heap_cpu *heap_cpu_enter(unsigned long *flags)
{
	*flags = plat_irq_save();
	return &heap_cpu_array[plat_cpu_id()];
}
static inline void heap_cpu_exit(unsigned long flags)
{
	plat_irq_restore(flags);
}
#else
extern _Thread_local struct heap_cpu *heap_tls;
struct heap_cpu *heap_cpu_attach(void);
/* NULL only when the thread's lists cannot be allocated: use the slabs directly. */
static inline struct heap_cpu *heap_cpu_enter(unsigned long *flags)
{
	struct heap_cpu *hc = heap_tls;

	(void)flags;
	return likely(hc != NULL) ? hc : heap_cpu_attach();
}
static inline void heap_cpu_exit(unsigned long flags)
{
	(void)flags;
}
#endif

/*
 * The fast build on a host (the malloc build): kmalloc() finds this thread's
 * list by a table lookup, and kmalloc_cached() is its fast path alone.
 */
#if !defined(MM_KERNEL) && !defined(MM_HARDENED) && !defined(MM_HEAP_DEBUG)
#define KMALLOC_THREAD_FAST 1
/**
 * kmalloc_cached() - an object of @size bytes from this thread's list, or NULL
 * @size: bytes; 0 is served as 1
 *
 * NULL when the list is empty, the thread has no lists yet (the heap may not
 * even be set up) or @size is beyond the classes: then call kmalloc().
 */
void *kmalloc_cached(size_t size);
#else
static inline void *kmalloc_cached(size_t size)
{
	(void)size;
	return NULL;
}
#endif

/* Called when a host thread gets its lists (the malloc build registers an exit hook). */
extern void (*heap_cpu_attach_hook)(void);

/* Objects on @l. */
static inline uint32_t heap_list_count(const struct heap_cpu_list *l)
{
	return __atomic_load_n(&l->limit, __ATOMIC_RELAXED) -
	       (uint32_t)__atomic_load_n(&l->room, __ATOMIC_RELAXED);
}

/* Allocations served from @l so far (see struct heap_cpu_list). */
static inline uint64_t heap_list_nalloc(const struct heap_cpu_list *l)
{
	return __atomic_load_n(&l->nfree, __ATOMIC_RELAXED) +
	       (uint64_t)__atomic_load_n(&l->moved, __ATOMIC_RELAXED) - heap_list_count(l);
}

/* Statistics counters: owner-written, read by anyone. */
static inline void heap_count(uint64_t *ctr)
{
	__atomic_store_n(ctr, *ctr + 1, __ATOMIC_RELAXED);
}

static inline void heap_count_add(int64_t *ctr, int64_t d)
{
	__atomic_store_n(ctr, *ctr + d, __ATOMIC_RELAXED);
}

/* --- free-list pointers: obfuscated with the per-boot secret when hardened --- */
static inline void *fl_code(const struct heap *h, const void *ptr, const void *slot)
{
#ifdef MM_HARDENED
	return (void *)((uintptr_t)ptr ^ h->secret ^ ((uintptr_t)slot >> 3));
#else
	(void)h;
	(void)slot;
	return (void *)ptr;
#endif
}

void *heap_freelist_corrupt(struct heap *h, const void *slot, const void *value);

static inline struct slab *slab_of(const void *p)
{
	return (struct slab *)((uintptr_t)p & ~(HEAP_SLAB_SIZE - 1));
}

/* Hardened: a free-list pointer must be an object start of the same cache. */
static inline bool fl_plausible(const struct kmem_cache *c, const void *next)
{
	const struct heap *h = c->heap;

	if ((uintptr_t)next - h->arena_lo >= h->arena_span)
		return false;
	const struct slab *s = slab_of(next);
	return s->magic == h->magic && s->cache == c && (uintptr_t)next >= s->objs &&
	       ((uintptr_t)next - s->objs) % c->size == 0;
}

static inline void *fl_get(const struct kmem_cache *c, const void *obj)
{
	void *const *slot = (void *const *)((const char *)obj + c->fp_offset);
	void *next = fl_code(c->heap, *slot, slot);
#ifdef MM_HARDENED
	if (unlikely(next && !fl_plausible(c, next)))
		next = heap_freelist_corrupt(c->heap, slot, next);
#endif
	return next;
}

static inline void fl_set(const struct kmem_cache *c, void *obj, const void *next)
{
	void **slot = (void **)((char *)obj + c->fp_offset);
	*slot = fl_code(c->heap, next, slot);
}

/*
 * The slab holding @p if @p lies in a slab of a heap like @h (same magic,
 * same arena), else NULL. Private heaps sharing a page source also check
 * that the slab's cache is theirs.
 */
static inline struct slab *slab_lookup_in(const struct heap *h, const void *p)
{
	if ((uintptr_t)p - h->arena_lo >= h->arena_span)
		return NULL;
	struct slab *s = slab_of(p);
	return s->magic == h->magic ? s : NULL;
}

/* The slab holding @p if @p lies in a slab of the global heap, else NULL. */
static inline struct slab *slab_lookup(const void *p)
{
	return slab_lookup_in(&heap_global, p);
}

/* A cache's lock; the saved interrupt state lives in the cache while it is held. */
static inline void cache_lock(struct kmem_cache *c)
{
	unsigned long f = spin_lock_irqsave(&c->lock);

	c->lock_flags = f;
}

static inline void cache_unlock(struct kmem_cache *c)
{
	spin_unlock_irqrestore(&c->lock, c->lock_flags);
}

/* @n free objects of @c leave its slabs' free lists; @c locked (mm/slab_purge.c). */
static inline void cache_free_objs_sub(struct kmem_cache *c, uint64_t n)
{
	c->free_objs -= n;
	c->free_low = MM_MIN(c->free_low, c->free_objs);
}

/* --- a slab's free objects: a list per page (struct slab fhead) --------------------- */

static inline void *slab_at(const struct slab *s, uint16_t off)
{
	return (void *)((uintptr_t)s + ((uintptr_t)off << 3));
}

static inline uint16_t slab_off(const struct slab *s, const void *o)
{
	return (uint16_t)(((uintptr_t)o - (uintptr_t)s) >> 3);
}

/* The page of @s that @o lies in. */
static inline unsigned slab_page(const struct slab *s, const void *o)
{
	return (unsigned)(((uintptr_t)o - (uintptr_t)s) >> PAGE_SHIFT);
}

/* Does @s have free objects on its lists? */
static inline bool slab_has_free(const struct slab *s)
{
	uint64_t any = 0;

	for (unsigned w = 0; w < ARRAY_SIZE(s->fmask); w++)
		any |= s->fmask[w];
	return any != 0;
}

/* Put the free object @o of @s on its page's list. */
static inline void slab_push(const struct kmem_cache *c, struct slab *s, void *o)
{
	unsigned pg = slab_page(s, o);

	if (s->fhead[pg]) {
		fl_set(c, o, slab_at(s, s->fhead[pg]));
	} else {
		fl_set(c, o, NULL);
		s->ftail[pg] = slab_off(s, o);
		s->fmask[pg / 64] |= 1ull << (pg % 64);
	}
	s->fhead[pg] = slab_off(s, o);
}

/* A free object of @s off its lists, from the lowest page that has one; NULL if none. */
static inline void *slab_pop(const struct kmem_cache *c, struct slab *s)
{
	for (unsigned w = 0; w < ARRAY_SIZE(s->fmask); w++) {
		if (!s->fmask[w])
			continue;
		unsigned pg = w * 64 + (unsigned)__builtin_ctzll(s->fmask[w]);
		void *o = slab_at(s, s->fhead[pg]);
		void *next = fl_get(c, o);
		if (next) {
			s->fhead[pg] = slab_off(s, next);
		} else {
			s->fhead[pg] = s->ftail[pg] = 0;
			s->fmask[w] &= ~(1ull << (pg % 64));
		}
		return o;
	}
	return NULL;
}

/*
 * Free bytes of @s's pages (struct slab pfree): the object at @o of @c
 * joins (@add) or leaves the free objects. Only purging caches keep them.
 */
static inline void slab_pfree_update(const struct kmem_cache *c, struct slab *s, uintptr_t o, bool add)
{
	uintptr_t end = o + c->size;
	unsigned pg = (unsigned)((o - (uintptr_t)s) >> PAGE_SHIFT);

	for (uintptr_t a = o; a < end; pg++) {
		uintptr_t stop = MM_MIN(end, (uintptr_t)s + ((uintptr_t)pg + 1) * PAGE_SIZE);
		uint16_t n = (uint16_t)(stop - a);
		s->pfree[pg] = (uint16_t)(add ? s->pfree[pg] + n : s->pfree[pg] - n);
		a = stop;
	}
}

/* slab.c */
int slab_cache_setup(struct heap *h, struct kmem_cache *c, const char *name, size_t size, size_t align,
		     unsigned flags, kmem_ctor_t ctor);
void *cache_alloc_slow(struct kmem_cache *c);
void cache_free_slow(struct kmem_cache *c, struct slab *s, void *obj);
void cache_flush_batch(struct kmem_cache *c, struct heap_cpu_list *l);
void cache_flush_own_locked(struct kmem_cache *c);
void cache_orphan_flush_locked(struct kmem_cache *c);
void *cache_alloc_locked(struct kmem_cache *c);
void cache_free_locked(struct kmem_cache *c, void *obj);
void heap_cpu_flush_all(struct heap_cpu *hc);
uint32_t slab_index(const struct kmem_cache *c, const struct slab *s, const void *obj);

/* kmalloc.c */
void heap_account(struct heap *h, int64_t bytes);

/* heap_runs.c */
void heap_runs_init(struct heap *h);
void *runs_alloc(struct heap *h, size_t size);
void runs_free(struct heap *h, struct slab *s, const void *p, const struct heap_site *site);
size_t runs_usable(const struct slab *s, const void *p);
bool runs_resize(struct heap *h, struct slab *s, void *p, size_t size);
unsigned long runs_shrink(struct heap *h);
void heap_runs_tick(struct heap *h);

/* Serve @need bytes of @h from page runs? */
static inline bool runs_serve(const struct heap *h, size_t need)
{
	return need > HEAP_RUN_MIN && need <= h->runs.max;
}

/* heap_debug.c */
void *debug_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req);
void debug_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site);
void debug_report_bad_free(struct heap *h, const void *p, const char *why, const struct heap_site *site);
void heap_print_site(const char *what, const struct heap_site *site);
void *slab_take(struct kmem_cache *c, struct slab *s);
void slab_relist(struct kmem_cache *c, struct slab *s);
void slab_give(struct kmem_cache *c, struct slab *s, void *obj);
struct slab *cache_slab_with_room(struct kmem_cache *c);
void cache_release_empty(struct kmem_cache *c, unsigned keep);

/* slab_purge.c */
void slab_purge_note(struct kmem_cache *c, struct slab *s);
void slab_purge_forget(struct kmem_cache *c, struct slab *s);
bool slab_revive(struct kmem_cache *c, struct slab *s);
void slab_carve_all(struct kmem_cache *c, struct slab *s);
void heap_purge_tick(struct heap *h, bool growing);
void slab_purge_all(struct kmem_cache *c);
bool slab_pfree_ok(struct kmem_cache *c, struct slab *s);

/* --- the fast paths: a pop or a push on this CPU's list ---------------------------- */

#ifdef MM_HEAP_DEBUG
#define HEAP_SITE(f, l)	(&(struct heap_site){ (f), (uint32_t)(l), __builtin_return_address(0) })
#else
#define HEAP_SITE(f, l)	((const struct heap_site *)NULL)
#endif

/**
 * cache_alloc() - an object of @c
 * @c: the cache
 * @site: the caller (debug caches)
 * @req: bytes the caller asked for (debug caches: the rest is red zone)
 */
static inline __attribute__((always_inline))
void *cache_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req)
{
#ifdef MM_HEAP_DEBUG
	if (unlikely(c->debug))
		return debug_alloc(c, site, req);
#else
	(void)site;
	(void)req;
#endif
#ifdef MM_KERNEL
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);
	struct heap_cpu_list *l = &hc->list[c->id];
	void *obj = l->head;
	if (likely(obj != NULL)) {
		l->head = fl_get(c, obj);
		l->room++;
		heap_cpu_exit(flags);
		return obj;
	}
	heap_cpu_exit(flags);
#else
	/* No lists yet (first call of this thread): the slow path attaches them. */
	struct heap_cpu *hc = heap_tls;
	if (likely(hc != NULL)) {
		struct heap_cpu_list *l = &hc->list[c->id];
		void *obj = l->head;
		if (likely(obj != NULL)) {
			l->head = fl_get(c, obj);
			l->room++;
			return obj;
		}
	}
#endif
	return cache_alloc_slow(c);
}

/* Push @obj, an object of slab @s, on list @l; a full list sends a batch back to the slabs. */
static inline __attribute__((always_inline))
void list_push(struct heap_cpu_list *l, struct slab *s, void *obj)
{
	void **slot = (void **)((char *)obj + s->fp_offset);

	*slot = fl_code(&heap_global, l->head, slot);
	l->head = obj;
	heap_count(&l->nfree);
	if (unlikely(--l->room < 0))
		cache_flush_batch(s->cache, l);
}

/**
 * cache_free() - give @obj back to @c
 * @c: the object's cache
 * @s: its slab
 * @obj: the object
 * @site: the caller (debug caches)
 */
static inline __attribute__((always_inline))
void cache_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site)
{
#ifdef MM_HEAP_DEBUG
	if (unlikely(c->debug)) {
		debug_free(c, s, obj, site);
		return;
	}
#endif
	(void)site;
#ifdef MM_HARDENED
	if (!c->ctor)
		memset(obj, 0, c->size);
#endif
#ifdef MM_KERNEL
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);
#else
	struct heap_cpu *hc = heap_tls;
	if (unlikely(!hc)) {		/* attaches the lists, or frees to the slab */
		cache_free_slow(c, s, obj);
		return;
	}
#endif
	/* The slab's copies of id and free-pointer offset: no look at *c. */
	list_push(&hc->list[s->cache_id], s, obj);
#ifdef MM_KERNEL
	heap_cpu_exit(flags);
#endif
}

/* Private heaps: no per-CPU lists, each call takes its class's lock (slab.c). */
void *private_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req);
void private_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site);
/* ... behind front lists (heap_front.c). */
void *front_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req);
void front_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site);
void heap_front_setup(struct heap *h);
void heap_front_flush_locked(struct kmem_cache *c);
void heap_front_counts(struct heap *h, uint64_t *na, uint64_t *nf, int64_t *live);
bool debug_check_redzone(struct kmem_cache *c, const void *obj, const struct heap_objmeta *m,
			 const struct heap_site *site);

/*
 * An object of @c, a cache of @h: through the per-CPU lists in the global
 * heap (@h == &heap_global is known when the caller inlines with the global heap).
 */
static inline __attribute__((always_inline))
void *heap_cache_alloc(struct heap *h, struct kmem_cache *c, const struct heap_site *site, size_t req)
{
	if (likely(h == &heap_global))
		return cache_alloc(c, site, req);
	return front_alloc(c, site, req);
}

/* @obj of slab @s back to @c, a cache of @h. */
static inline __attribute__((always_inline))
void heap_cache_free(struct heap *h, struct kmem_cache *c, struct slab *s, void *obj,
		     const struct heap_site *site)
{
	if (likely(h == &heap_global))
		cache_free(c, s, obj, site);
	else
		front_free(c, s, obj, site);
}

#endif
