// SPDX-License-Identifier: MIT
/*
 * Front lists of private heaps: what the per-CPU lists are to the global heap.
 *
 * A private heap serializes its callers class by class (as a Win32 heap
 * does), so its front is one free list per size class under that class's
 * lock: a free pushes the object, an allocation pops it, and the slab lists
 * (slab_take, relist, the release of empty slabs) are left alone until the
 * list is empty or holds its limit (two batches, as a per-CPU list). Objects
 * on a front list count as in use for their slabs, as objects on per-CPU
 * lists do; heap_shrink() gives them back first.
 *
 * A debug heap keeps its checks on the front: a freed object is FREE in its
 * record and poisoned before it goes on the list, so a double free is
 * caught, a free checks the first 8 bytes of the red zone (the usual
 * overrun; the whole zone when they are broken), and heap_validate() checks
 * every red zone whole and the poison of objects on the list like that of
 * any free object. A freed block is poisoned up to its requested size and
 * keeps its red zone, so the next allocation from the list lays red zone
 * bytes only where the new block is shorter than the old one. Only
 * HEAP_CHECK_LAZY heaps use the front: the others check poison on every
 * reuse, which the slab path (debug_alloc) does.
 *
 * An object's index in its slab is a multiply by the reciprocal of the
 * class's size (exact for offsets and sizes below 2^16: 64 KiB slabs), not
 * a division.
 *
 * Lock order: a class's lock (its front list is under it), then the page
 * source, as in slab.c.
 */
#include "heap_impl.h"

/* Offsets and sizes below 2^16 (64 KiB slabs): the reciprocal is exact; larger slabs divide. */
#define FRONT_RECIP	(HEAP_SLAB_SHIFT <= 16)

/**
 * heap_front_setup() - limits and reciprocals of @h's front lists
 * @h: a private heap, its caches set up
 */
void heap_front_setup(struct heap *h)
{
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = h->cache[id];
		struct heap_front *f = &h->front[id];

		if (!c)
			continue;
		f->recip = (uint32_t)((((uint64_t)1 << 32) + c->size - 1) / c->size);
		f->limit = 2 * c->batch;
	}
}

/*
 * The index of @obj in @s, or UINT32_MAX if it is not an object start; the
 * caller checks it against s->carved under the class's lock.
 */
static inline uint32_t front_index(const struct heap_front *f, const struct kmem_cache *c,
				   const struct slab *s, const void *obj)
{
	uintptr_t off = (uintptr_t)obj - s->objs;
	uint32_t i = FRONT_RECIP ? (uint32_t)(((uint64_t)(uint32_t)off * f->recip) >> 32)
				 : (uint32_t)(off / c->size);

	if (off >= HEAP_SLAB_SIZE || off != (uintptr_t)i * c->size)
		return UINT32_MAX;
	return i;
}

static inline bool front_usable(const struct heap *h, const struct kmem_cache *c)
{
	return !c->debug || h->lazy;
}

/**
 * front_alloc() - an object of @c, a cache of a private heap
 * @c: the cache
 * @site: the caller (debug caches)
 * @req: bytes asked for (debug caches: the rest is red zone)
 *
 * Return: the object, or NULL if out of memory.
 */
void *front_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req)
{
	struct heap *h = c->heap;
	struct heap_front *f = &h->front[c->id];

	if (unlikely(!front_usable(h, c)))
		return private_alloc(c, site, req);
	cache_lock(c);
	void *obj = f->head;
	if (unlikely(!obj)) {
		cache_unlock(c);
		return private_alloc(c, site, req);
	}
	f->head = fl_get(c, obj);
	f->count--;
#ifdef MM_HEAP_DEBUG
	size_t old = 0;
	if (c->debug) {
		struct slab *s = slab_of(obj);
		struct heap_objmeta *m = &s->meta[front_index(f, c, s, obj)];

		old = m->req_size;
		m->req_size = (uint32_t)req;
		m->epoch = h->epoch;
		m->state = HEAP_OBJ_LIVE;
		m->alloc = site ? *site : (struct heap_site){ 0 };	/* m->free: where it was last freed */
	}
#else
	(void)site;
	(void)req;
#endif
	heap_count(&f->nalloc);
	cache_unlock(c);
#ifdef MM_HEAP_DEBUG
	/*
	 * The block was freed with its red zone from @old on kept (and the free
	 * pointer over its first word): only the bytes between @req and there
	 * become red zone again.
	 */
	if (c->debug && !c->ctor) {
		size_t to = c->fp_offset ? c->size : MM_MAX(old, (size_t)8);
		if (req < to)
			memset((char *)obj + req, HEAP_REDZONE_BYTE, to - req);
	}
#endif
	return obj;
}

#ifdef MM_HEAP_DEBUG
/*
 * The 8 bytes after a block's requested size, red zone in every debug
 * object (the classes keep at least 8): a free checks them, the usual
 * overrun by a few bytes; heap_validate() checks the whole red zone.
 */
static inline bool front_tail_intact(const void *obj, const struct heap_objmeta *m)
{
	uint64_t w;

	memcpy(&w, (const char *)obj + m->req_size, 8);
	return w == 0x0101010101010101ull * HEAP_REDZONE_BYTE;
}

/* A free of an object that is not live: reported with its sites; @c locked, unlocked here. */
static void front_double_free(struct kmem_cache *c, const void *obj, const struct heap_objmeta *m,
			      const struct heap_site *site)
{
	struct heap_site first = m->free, alloc = m->alloc;

	cache_unlock(c);
	__atomic_add_fetch(&c->heap->dbg.double_frees, 1, __ATOMIC_RELAXED);
	mm_err("heap: double free of %s object %p; ignored", c->name, obj);
	heap_print_site("allocated", &alloc);
	heap_print_site("first freed", &first);
	heap_print_site("freed again", site);
}
#endif

/* A free of something that is not an object start of @s: reported, ignored. */
static void front_bad_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site)
{
#ifdef MM_HEAP_DEBUG
	if (c->debug) {
		debug_free(c, s, obj, site);	/* reports it, with the object it points into */
		return;
	}
#else
	(void)s;
#endif
	debug_report_bad_free(c->heap, obj, "not the start of an object", site);
}

/*
 * @obj of slab @s back to @c through the front list. Return: false if @obj
 * is not a live object start (debug heaps; others: not an object start),
 * reported only if @report.
 */
static inline __attribute__((always_inline))
bool front_release(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site,
		   bool report)
{
	struct heap *h = c->heap;
	struct heap_front *f = &h->front[c->id];
	uint32_t i = front_index(f, c, s, obj);

	cache_lock(c);
	if (unlikely(i == UINT32_MAX || i >= s->carved)) {
		cache_unlock(c);
		if (report)
			front_bad_free(c, s, obj, site);
		return false;
	}
#ifdef MM_HEAP_DEBUG
	if (c->debug) {
		struct heap_objmeta *m = &s->meta[i];
		if (unlikely(m->state != HEAP_OBJ_LIVE)) {
			if (report)
				front_double_free(c, obj, m, site);
			else
				cache_unlock(c);
			return false;
		}
		if (unlikely(f->count >= f->limit)) {
			cache_unlock(c);
			debug_free(c, s, obj, site);
			return true;
		}
		if (!c->ctor && unlikely(!front_tail_intact(obj, m))) {
			debug_check_redzone(c, obj, m, site);	/* reports it */
			memset((char *)obj + m->req_size, HEAP_REDZONE_BYTE, c->size - m->req_size);
		}
		m->state = HEAP_OBJ_FREE;
		if (site)
			m->free = *site;
		if (!c->ctor)		/* up to the red zone, which stays (check_poison()) */
			memset(obj, HEAP_POISON_FREE, m->req_size);
		goto push;
	}
#endif
	if (unlikely(f->count >= f->limit)) {
		cache_unlock(c);
		private_free(c, s, obj, site);
		return true;
	}
#ifdef MM_HARDENED
	if (!c->ctor)
		memset(obj, 0, c->size);
#endif
#ifdef MM_HEAP_DEBUG
push:
#endif
	fl_set(c, obj, f->head);
	f->head = obj;
	f->count++;
	heap_count(&f->nfree);
	cache_unlock(c);
	return true;
}

/**
 * front_free() - @obj back to @c, a cache of a private heap
 * @c: the cache
 * @s: the object's slab
 * @obj: the object (a bad one is reported and ignored)
 * @site: the caller (debug caches)
 */
void front_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site)
{
	if (unlikely(!front_usable(c->heap, c)))
		private_free(c, s, obj, site);
	else
		front_release(c, s, obj, site, true);
}

/**
 * heap_front_flush_locked() - @c's front list back to the slabs
 * @c: a cache of a private heap, locked
 *
 * The objects are already free (poisoned, FREE in a debug heap's records).
 */
void heap_front_flush_locked(struct kmem_cache *c)
{
	struct heap_front *f = &c->heap->front[c->id];

	while (f->head) {
		void *obj = f->head;
		f->head = fl_get(c, obj);
		slab_give(c, slab_of(obj), obj);
	}
	f->count = 0;
}

/**
 * heap_front_counts() - add the allocations and frees @h's front lists served
 * @h: a private heap
 * @na: allocations, added to
 * @nf: frees, added to
 * @live: bytes handed out minus bytes taken back, added to
 */
void heap_front_counts(struct heap *h, uint64_t *na, uint64_t *nf, int64_t *live)
{
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		const struct heap_front *f = &h->front[id];
		struct kmem_cache *c = __atomic_load_n(&h->cache[id], __ATOMIC_RELAXED);
		uint64_t a = __atomic_load_n(&f->nalloc, __ATOMIC_RELAXED);
		uint64_t fr = __atomic_load_n(&f->nfree, __ATOMIC_RELAXED);

		*na += a;
		*nf += fr;
		if (c)
			*live += (int64_t)(a - fr) * c->size;
	}
}

bool heap_release(struct heap *h, const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return false;
	struct slab *s = slab_lookup_in(h, p);
	if (likely(s && h != &heap_global && s->cache->heap == h && front_usable(h, s->cache)))
		return front_release(s->cache, s, (void *)p, HEAP_SITE(NULL, 0), false);
	if (!heap_contains(h, p))
		return false;
	heap_free(h, p);
	return true;
}
