// SPDX-License-Identifier: MIT
/*
 * Object caches: slabs carved from the page source, a per-CPU free list in
 * front of each cache, per-cache locks behind it.
 *
 * A slab is HEAP_SLAB_SIZE bytes, naturally aligned: header, objects, and
 * (debug build) one struct heap_objmeta per object at the end. Objects are
 * carved lazily (a bump index), so pages of a new slab are touched only as
 * objects are used. Power-of-two object sizes are naturally aligned, which
 * kmalloc_aligned() relies on.
 */
#include "heap_impl.h"

#ifdef MM_KERNEL
struct heap_cpu heap_cpu_array[MM_MAX_CPUS];
#else
_Thread_local struct heap_cpu *heap_tls;
#endif
void (*heap_cpu_attach_hook)(void);

/* --- slab lists ---------------------------------------------------------------- */

static struct slab_list *list_of(struct kmem_cache *c, unsigned which)
{
	return which == SLAB_LIST_PARTIAL ? &c->partial :
	       which == SLAB_LIST_FULL ? &c->full : &c->empty;
}

static void list_del(struct kmem_cache *c, struct slab *s)
{
	struct slab_list *l = list_of(c, s->list);

	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	l->count--;
}

static void list_add(struct kmem_cache *c, struct slab *s, unsigned which)
{
	struct slab_list *l = list_of(c, which);

	s->list = which;
	s->prev = NULL;
	s->next = l->head;
	if (l->head)
		l->head->prev = s;
	l->head = s;
	l->count++;
}

/**
 * slab_relist() - put @s on the list its fill level calls for
 * @c: the cache, locked
 * @s: a slab of it
 */
void slab_relist(struct kmem_cache *c, struct slab *s)
{
	unsigned want = s->inuse == 0 ? SLAB_LIST_EMPTY :
			s->inuse == s->capacity ? SLAB_LIST_FULL : SLAB_LIST_PARTIAL;

	if (want != s->list) {
		list_del(c, s);
		list_add(c, s, want);
	}
}

/* --- slabs ----------------------------------------------------------------------- */

static uintptr_t objs_offset(const struct kmem_cache *c)
{
	uintptr_t a = (c->size & (c->size - 1)) == 0 ? c->size : c->align;

	return ALIGN_UP((uintptr_t)HEAP_SLAB_HDR, MM_MAX(a, (uintptr_t)8));
}

static struct slab *slab_new(struct kmem_cache *c)
{
	struct slab *s = c->heap->src->pages_get(HEAP_SLAB_ORDER,
						  c->flags & KMEM_DMA ? HEAP_PG_DMA : 0);
	if (!s)
		return NULL;
	*s = (struct slab){ .magic = c->heap->magic, .cache = c, .capacity = c->capacity,
			    .order = HEAP_SLAB_ORDER, .cache_id = (uint16_t)c->id,
			    .flush_at = (uint16_t)(2 * c->batch), .fp_offset = c->fp_offset,
			    .usable = c->debug ? 0 : c->ctor ? c->obj_size : c->size };
	s->objs = (uintptr_t)s + objs_offset(c);
	if (c->debug) {
		s->meta = (struct heap_objmeta *)ALIGN_UP(s->objs + (uintptr_t)c->capacity * c->size,
							   (uintptr_t)8);
		memset(s->meta, 0, c->capacity * sizeof(struct heap_objmeta));
#ifdef MM_KASAN
		if (!c->ctor)	/* else the constructor writes them when they are carved */
			plat_kasan_poison((void *)s->objs, (size_t)c->capacity * c->size,
					  KASAN_REDZONE);
#endif
	}
	return s;
}

/*
 * Before @s goes back: pages past its carved objects that an earlier user
 * of the run touched (the malloc build's page source keeps freed runs'
 * memory and hands a run to any class; each touches it from the start, as
 * far as it carves). Given back here, a run keeps at most its last user's
 * pages, not the union of all its users'. Not with pages_restore (the
 * kernel's arena unmaps purged pages, and a run comes back zeroed there).
 */
static void slab_drop_tail(struct kmem_cache *c, struct slab *s)
{
	const struct heap_page_source *src = c->heap->src;
	uintptr_t end = ALIGN_UP(s->objs + (uintptr_t)s->carved * c->size, (uintptr_t)PAGE_SIZE);
	uintptr_t top = (uintptr_t)s + HEAP_SLAB_SIZE;

	if (c->purgeable && !src->pages_restore && end < top)
		src->pages_purge(&(struct heap_range){ (void *)end, top - end }, 1);
}

static void slab_free(struct kmem_cache *c, struct slab *s)
{
#ifdef MM_KASAN
	if (c->debug)		/* the pages may be anything next */
		plat_kasan_unpoison(s, HEAP_SLAB_SIZE);
#endif
	slab_drop_tail(c, s);
	s->magic = 0;
	c->heap->src->pages_put(s, s->order);
}

/**
 * slab_index() - the index of @obj in @s, or UINT32_MAX if it is not an object start
 * @c: the cache
 * @s: the slab
 * @obj: any pointer into @s
 */
uint32_t slab_index(const struct kmem_cache *c, const struct slab *s, const void *obj)
{
	uintptr_t off = (uintptr_t)obj - s->objs;

	if ((uintptr_t)obj < s->objs || off >= (uintptr_t)s->capacity * c->size ||
	    off % c->size)
		return UINT32_MAX;
	return (uint32_t)(off / c->size);
}

/**
 * slab_take() - one object out of @s (free lists first, lowest page first, then never-used ones)
 * @c: the cache, locked
 * @s: a slab of it with room
 *
 * Return: NULL only if @s's free objects are all in pages given back and
 * no memory can be had to take them back (slab_revive()).
 */
void *slab_take(struct kmem_cache *c, struct slab *s)
{
	void *obj = slab_pop(c, s);

	if (!obj && s->carved == s->capacity && s->dormant) {
		if (!slab_revive(c, s))
			return NULL;
		obj = slab_pop(c, s);
	}
	if (obj) {
		cache_free_objs_sub(c, 1);
		if (c->purgeable)
			slab_pfree_update(c, s, (uintptr_t)obj, false);
	} else {
		obj = (void *)(s->objs + (uintptr_t)s->carved * c->size);
		s->carved++;
		if (c->ctor)
			c->ctor(obj);
	}
	s->inuse++;
	s->scan_inuse = MM_MAX(s->scan_inuse, s->inuse);
	s->scan_free = MM_MIN(s->scan_free, s->carved - s->inuse - s->dormant);
	return obj;
}

/**
 * slab_give() - put @obj back on its slab's free list
 * @c: the cache, locked
 * @s: the slab
 * @obj: an object of @s
 */
void slab_give(struct kmem_cache *c, struct slab *s, void *obj)
{
	slab_push(c, s, obj);
	s->inuse--;
	c->free_objs++;
	slab_relist(c, s);
	/*
	 * Refills take the first partial slab: one with free objects before
	 * one that has only never-used room to carve (new pages to touch).
	 */
	struct slab *h = c->partial.head;
	if (h != s && s->list == SLAB_LIST_PARTIAL && !slab_has_free(h)) {
		list_del(c, s);
		list_add(c, s, SLAB_LIST_PARTIAL);
	}
	if (c->purgeable) {
		slab_pfree_update(c, s, (uintptr_t)obj, true);
		slab_purge_note(c, s);
	}
}

/**
 * cache_slab_with_room() - a partial or empty slab of @c, or a new one; lock held
 * @c: the cache
 *
 * Drops and retakes the lock around the page source. Return: NULL if out of memory.
 */
struct slab *cache_slab_with_room(struct kmem_cache *c)
{
	if (c->partial.head)
		return c->partial.head;
	if (c->empty.head) {
		struct slab *s = c->empty.head;
		list_del(c, s);
		list_add(c, s, SLAB_LIST_PARTIAL);
		return s;
	}
	cache_unlock(c);
	heap_purge_tick(c->heap, true);
	struct slab *s = slab_new(c);
	cache_lock(c);
	if (!s)
		return c->partial.head;		/* someone may have freed meanwhile */
	c->slabs_created++;
	list_add(c, s, SLAB_LIST_PARTIAL);
	if (c->purgeable && c->heap->src->pages_restore)
		slab_carve_all(c, s);		/* every page of it can go back (mm/slab_purge.c) */
	return s;
}

/**
 * cache_release_empty() - free empty slabs of @c beyond @keep; lock held, dropped around the frees
 * @c: the cache
 * @keep: empty slabs to keep for the next allocations
 */
void cache_release_empty(struct kmem_cache *c, unsigned keep)
{
	while (c->empty.count > keep) {
		struct slab *s = c->empty.head;
		list_del(c, s);
		slab_purge_forget(c, s);
		cache_free_objs_sub(c, s->carved - s->dormant);
		c->slabs_freed++;
		cache_unlock(c);
		slab_free(c, s);
		cache_lock(c);
	}
}

/* --- the slow paths: batches between a CPU's list and the slabs --------------- */

/*
 * A refill of a per-CPU list of @c (@bytes taken): the class is in use, and
 * its free objects will serve it (mm/slab_purge.c). A flush is not use: a
 * class the program's sizes left is still freed into.
 */
static void cache_note_use(struct kmem_cache *c, uint64_t bytes)
{
	__atomic_store_n(&c->last_use_at, __atomic_add_fetch(&c->heap->alloc_clock, bytes, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->last_use_ns, c->heap->src->now_ns(), __ATOMIC_RELAXED);
}

/*
 * Fill the empty @l with a batch of objects; returns one of them for the
 * caller. Free objects of the partial slabs come first, from the lowest
 * page (slab_take()), and never-used objects are carved only for what is
 * still missing: a refill takes what the thread asked for, not a slab's
 * whole free list, so frees other threads gave back stay on the slabs for
 * the next refill of any thread instead of waiting on one thread's list.
 * An exited thread's list (c->orphan, at most two batches) goes first, whole.
 */
static void *cache_refill(struct kmem_cache *c, struct heap_cpu_list *l)
{
	void *first = NULL;
	unsigned n = 0;

	cache_lock(c);
	/* First: taking slabs may purge idle classes, and their lists (never this one). */
	if (c->purgeable)
		cache_note_use(c, (uint64_t)c->batch * c->size);
	if (c->orphan) {		/* an exited thread's list, taken whole */
		first = c->orphan;
		l->head = fl_get(c, first);
		n = c->orphan_n;
		c->orphan = NULL;
		c->orphan_n = 0;
	}
	while (n < c->batch) {
		struct slab *s = cache_slab_with_room(c);
		if (!s)
			break;
		void *obj = NULL;
		while (n < c->batch && s->inuse < s->capacity) {
			obj = slab_take(c, s);
			if (!obj)
				break;		/* out of memory for pages given back */
			if (!first) {
				first = obj;
			} else {
				fl_set(c, obj, l->head);
				l->head = obj;
			}
			n++;
		}
		slab_relist(c, s);
		if (!obj)
			break;
	}
	cache_unlock(c);
	heap_purge_tick(&heap_global, false);
	/* The list was empty; it now holds all but @first, under its limit of two batches. */
	l->limit = 2 * c->batch;
	l->room = (int32_t)(l->limit - (n ? n - 1 : 0));
	l->freer = 0;
	heap_count_add(&l->moved, n);
	return first;
}

/* Return @n objects from the head of @l to their slabs; empty slabs beyond @keep freed. */
static void cache_flush_keep(struct kmem_cache *c, struct heap_cpu_list *l, unsigned n,
			     unsigned keep)
{
	int64_t given = 0;

	cache_lock(c);
	for (; n && l->head; n--, given++) {
		void *obj = l->head;
		l->head = fl_get(c, obj);
		l->room++;
		slab_give(c, slab_of(obj), obj);
	}
	cache_release_empty(c, keep);
	cache_unlock(c);
	heap_count_add(&l->moved, -given);
	heap_purge_tick(&heap_global, false);
}

static void cache_flush(struct kmem_cache *c, struct heap_cpu_list *l, unsigned n)
{
	cache_flush_keep(c, l, n, HEAP_EMPTY_KEEP);
}

/**
 * cache_flush_own_locked() - the caller's per-CPU list of @c back to the slabs
 * @c: the cache, locked (so interrupts are off in the kernel)
 *
 * For a class that no longer allocates: its objects on the list would only
 * keep their pages.
 */
void cache_flush_own_locked(struct kmem_cache *c)
{
#ifdef MM_KERNEL
	struct heap_cpu *hc = &heap_cpu_array[plat_cpu_id()];
#else
	struct heap_cpu *hc = heap_tls;
#endif
	if (!hc || c->heap != &heap_global)
		return;
	struct heap_cpu_list *l = &hc->list[c->id];
	int64_t given = 0;
	for (; l->head; given++) {
		void *obj = l->head;
		l->head = fl_get(c, obj);
		l->room++;
		slab_give(c, slab_of(obj), obj);
	}
	heap_count_add(&l->moved, -given);
}

/**
 * cache_orphan_flush_locked() - an exited thread's list of @c back to the slabs
 * @c: the cache, locked
 *
 * For shrinking, and for a class that no longer allocates: no refill
 * would take it.
 */
void cache_orphan_flush_locked(struct kmem_cache *c)
{
	while (c->orphan) {
		void *obj = c->orphan;
		c->orphan = fl_get(c, obj);
		slab_give(c, slab_of(obj), obj);
	}
	c->orphan_n = 0;
}

#ifndef MM_KERNEL
/*
 * An exiting thread's list @l of @c: handed whole to the cache for the
 * next refill (no walk through its objects), if the cache has no such list
 * yet and it is no longer than a refill's; else back to the slabs.
 */
static void cache_orphan(struct kmem_cache *c, struct heap_cpu_list *l)
{
	uint32_t n = heap_list_count(l);

	if (!n)
		return;
	cache_lock(c);
	if (c->orphan || n > 2 * c->batch || !l->head) {
		cache_unlock(c);
		cache_flush(c, l, n);
		return;
	}
	c->orphan = l->head;
	c->orphan_n = n;
	cache_unlock(c);
	l->head = NULL;
	l->room += (int32_t)n;
	heap_count_add(&l->moved, -(int64_t)n);
}
#endif

/* Reclaims (and tries again) per allocation that found no slab. */
#define HEAP_RECLAIM_TRIES	3

/*
 * No slab could be had for @c: may the caller reclaim and try again? Asked
 * with the heap's locks dropped (interrupts as the caller had them), of the
 * page source, which judges the context (heap_pages.h: reclaim).
 */
static bool slab_reclaim(struct kmem_cache *c, unsigned *tries)
{
	bool (*fn)(unsigned) = c->heap->src->reclaim;

	return fn && (*tries)++ < HEAP_RECLAIM_TRIES && fn(HEAP_SLAB_ORDER);
}

/**
 * cache_alloc_locked() - an object straight from the slabs, bypassing per-CPU lists
 * @c: the cache
 */
void *cache_alloc_locked(struct kmem_cache *c)
{
	unsigned tries = 0;
	void *obj;

	do {
		obj = NULL;
		cache_lock(c);
		struct slab *s = cache_slab_with_room(c);
		if (s) {
			obj = slab_take(c, s);
			slab_relist(c, s);
		}
		cache_unlock(c);
	} while (!obj && slab_reclaim(c, &tries));
	return obj;
}

/**
 * cache_free_locked() - an object straight back to its slab
 * @c: the cache
 * @obj: the object
 */
void cache_free_locked(struct kmem_cache *c, void *obj)
{
	cache_lock(c);
	slab_give(c, slab_of(obj), obj);
	cache_release_empty(c, HEAP_EMPTY_KEEP);
	cache_unlock(c);
}

/**
 * private_alloc() - an object of @c, a cache of a private heap (no per-CPU lists)
 * @c: the cache
 * @site: the caller (debug caches)
 * @req: bytes asked for (debug caches)
 */
void *private_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req)
{
#ifdef MM_HEAP_DEBUG
	if (c->debug)
		return debug_alloc(c, site, req);
#endif
	(void)site;
	(void)req;
	void *obj = cache_alloc_locked(c);
	if (obj) {
		/* In use by the allocation clock (mm/slab_purge.c), without a clock read per call. */
		__atomic_store_n(&c->last_use_at,
				 __atomic_add_fetch(&c->heap->alloc_clock, c->size, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		heap_account(c->heap, (int64_t)c->size);
	}
	return obj;
}

/**
 * private_free() - @obj back to @c, a cache of a private heap
 * @c: the cache
 * @s: the object's slab
 * @obj: the object
 * @site: the caller (debug caches)
 */
void private_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site)
{
#ifdef MM_HEAP_DEBUG
	if (c->debug) {
		debug_free(c, s, obj, site);
		return;
	}
#endif
	(void)s;
	(void)site;
#ifdef MM_HARDENED
	memset(obj, 0, c->size);
#endif
	cache_free_locked(c, obj);
	heap_account(c->heap, -(int64_t)c->size);
}

/* --- behind the fast paths (mm/heap_impl.h) ------------------------------------- */

static void *cache_alloc_slow_once(struct kmem_cache *c)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (unlikely(!hc))
		return cache_alloc_locked(c);
	struct heap_cpu_list *l = &hc->list[c->id];
	void *obj = l->head;
	if (obj) {
		l->head = fl_get(c, obj);
		l->room++;
	} else {
		obj = cache_refill(c, l);
	}
	heap_cpu_exit(flags);
	return obj;
}

/**
 * cache_alloc_slow() - an object of @c when this CPU's list is empty
 * @c: the cache (not a debug one)
 *
 * Refills the list with a batch from the slabs; with no memory for a new
 * slab, reclaims if the caller may and tries again. Return: NULL if out of memory.
 */
void *cache_alloc_slow(struct kmem_cache *c)
{
	unsigned tries = 0;
	void *obj;

	while (!(obj = cache_alloc_slow_once(c)) && slab_reclaim(c, &tries))
		;
	return obj;
}

/**
 * cache_free_slow() - give @obj back when this thread has no lists yet
 * @c: the object's cache (not a debug one)
 * @s: its slab
 * @obj: the object
 *
 * Attaches the thread's lists and pushes @obj on its list, or, if they
 * cannot be had, gives @obj straight back to its slab.
 */
void cache_free_slow(struct kmem_cache *c, struct slab *s, void *obj)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (unlikely(!hc)) {
		heap_cpu_exit(flags);
		cache_free_locked(c, obj);
		return;
	}
	struct heap_cpu_list *l = &hc->list[s->cache_id];
	fl_set(c, obj, l->head);
	l->head = obj;
	heap_count(&l->nfree);
	if (--l->room < 0)
		cache_flush_batch(c, l);
	heap_cpu_exit(flags);
}

/**
 * cache_flush_batch() - this CPU's list of @c grew too long: objects back to the slabs
 * @c: the cache
 * @l: the list (interrupts off in the kernel)
 *
 * A list that overflows for the first time since its last refill goes back
 * down to a batch under its limit of two batches: the thread allocates as
 * well as frees. One that overflows again without a refill between (the
 * thread frees objects of this class that others allocate) gives back all
 * it holds, and its limit halves down to one batch, so a thread that only
 * frees holds half a batch on average, not a batch and a half, and the
 * objects reach the slabs where the allocating threads' refills find them.
 */
void cache_flush_batch(struct kmem_cache *c, struct heap_cpu_list *l)
{
	uint32_t base = 2 * c->batch;

	if (l->limit < c->batch || l->limit > base) {	/* not set yet, or set for a former cache of this id */
		l->room += (int32_t)base - (int32_t)l->limit;
		l->limit = base;
		if (l->room >= 0)
			return;
	}
	if (!l->freer) {
		l->freer = 1;
		cache_flush(c, l, (unsigned)((int32_t)c->batch - 1 - l->room));
		return;
	}
	uint32_t limit = MM_MAX(c->batch, l->limit / 2);
	l->room -= (int32_t)(l->limit - limit);
	l->limit = limit;
	cache_flush(c, l, heap_list_count(l));
}

/**
 * heap_cpu_flush_all() - return every object of @hc's lists to the slabs
 * @hc: a CPU's lists (the caller's own)
 */
void heap_cpu_flush_all(struct heap_cpu *hc)
{
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = heap_global.cache[id];
		if (c && heap_list_count(&hc->list[id]))
			cache_flush(c, &hc->list[id], heap_list_count(&hc->list[id]));
	}
}

#ifndef MM_KERNEL
/**
 * heap_cpu_attach() - give the calling thread its lists
 *
 * Return: them, or NULL if out of memory.
 */
struct heap_cpu *heap_cpu_attach(void)
{
	struct heap_cpu *hc = cache_alloc_locked(heap_cpu_cache);

	if (!hc)
		return NULL;
	memset(hc, 0, sizeof(*hc));
	unsigned long f = spin_lock_irqsave(&heap_global.cpus_lock);
	hc->next = heap_global.cpus;
	heap_global.cpus = hc;
	spin_unlock_irqrestore(&heap_global.cpus_lock, f);
	heap_tls = hc;
	if (heap_cpu_attach_hook)
		heap_cpu_attach_hook();
	return hc;
}
#endif

/**
 * heap_thread_exit() - give back the calling host thread's lists
 */
void heap_thread_exit(void)
{
#ifndef MM_KERNEL
	struct heap_cpu *hc = heap_tls;

	if (!hc)
		return;
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = heap_global.cache[id];
		if (c)
			cache_orphan(c, &hc->list[id]);
	}
	unsigned long f = spin_lock_irqsave(&heap_global.cpus_lock);
	for (struct heap_cpu **pp = &heap_global.cpus; *pp; pp = &(*pp)->next) {
		if (*pp == hc) {
			*pp = hc->next;
			break;
		}
	}
	heap_global.gone_nalloc += hc->nalloc;
	heap_global.gone_nfree += hc->nfree;
	heap_global.gone_bytes += hc->live_bytes;
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		const struct heap_cpu_list *l = &hc->list[id];
		uint64_t na = heap_list_nalloc(l);
		heap_global.gone_nalloc += na;
		heap_global.gone_nfree += l->nfree;
		if (heap_global.cache[id])
			heap_global.gone_bytes += (int64_t)(na - l->nfree) * heap_global.cache[id]->size;
	}
	spin_unlock_irqrestore(&heap_global.cpus_lock, f);
	heap_tls = NULL;
	cache_free_locked(heap_cpu_cache, hc);
#endif
}

/**
 * heap_flush_lists() - this CPU's (thread's) lists of the global heap back to the slabs
 */
void heap_flush_lists(void)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	for (unsigned id = 0; hc && id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = heap_global.cache[id];
		if (c && heap_list_count(&hc->list[id]))	/* empty slabs stay: heap_shrink() counts them */
			cache_flush_keep(c, &hc->list[id], heap_list_count(&hc->list[id]), UINT32_MAX);
	}
	heap_cpu_exit(flags);
}

/**
 * heap_shrink() - give back what @h holds unused: empty slabs, free pages inside slabs
 * @h: the heap
 *
 * Every empty slab goes back to the page source, and where the source can
 * give back pages inside slabs (pages_purge), every queued slab's free pages
 * too, at once. Objects on per-CPU lists are not seen (heap_flush_lists()
 * on each CPU first). Runs under the heap's cache-table lock, so a cache
 * being destroyed waits. Return: pages given back.
 */
unsigned long heap_shrink(struct heap *h)
{
	unsigned long pages = 0;
#ifdef MM_KASAN
	if (h == &heap_global)
		heap_quarantine_flush();
#endif
	unsigned long f = spin_lock_irqsave(&h->caches_lock);

	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = h->cache[id];
		if (!c)
			continue;
		cache_lock(c);
		uint64_t freed = c->slabs_freed, purged = c->pages_purged;
		if (h != &heap_global)
			heap_front_flush_locked(c);	/* mm/heap_front.c */
		cache_orphan_flush_locked(c);
		if (c->purgeable)
			slab_purge_all(c);
		cache_release_empty(c, 0);
		pages += (unsigned long)(((c->slabs_freed - freed) << HEAP_SLAB_ORDER) +
					 (c->pages_purged - purged));
		cache_unlock(c);
	}
	spin_unlock_irqrestore(&h->caches_lock, f);
	pages += runs_shrink(h);
	f = spin_lock_irqsave(&h->caches_lock);
	h->shrinks++;
	h->shrunk_pages += pages;
	spin_unlock_irqrestore(&h->caches_lock, f);
	return pages;
}

/* --- caches ------------------------------------------------------------------------- */

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

/**
 * slab_cache_setup() - fill in a cache and give it an id in @h
 * @h: the heap it belongs to
 * @c: zeroed storage for it
 * @name: its name
 * @size: object size
 * @align: object alignment (power of two or 0)
 * @flags: KMEM_*
 * @ctor: constructor or NULL
 *
 * Return: 0, or -1 (bad size or alignment, no free id).
 */
int slab_cache_setup(struct heap *h, struct kmem_cache *c, const char *name, size_t size, size_t align,
		     unsigned flags, kmem_ctor_t ctor)
{
	if (!align)
		align = 8;
	if (!size || size > HEAP_SLAB_SIZE / 4 || !power_of_two(align) || align > PAGE_SIZE)
		return -1;
	*c = (struct kmem_cache){ .heap = h, .obj_size = size, .align = align, .flags = flags, .ctor = ctor };
	size_t stride = ALIGN_UP(MM_MAX(size, (size_t)8), MM_MAX(align, (size_t)8));
	if (ctor) {			/* the free pointer must not clobber a constructed object */
		c->fp_offset = stride;
		stride = ALIGN_UP(stride + 8, MM_MAX(align, (size_t)8));
	}
	c->size = stride;
#ifdef MM_HEAP_DEBUG
	c->debug = h->debug || (flags & KMEM_DEBUG);
#endif
	/* A source that unmaps purged pages revives them by 64-bit page sets (mm/slab_purge.c). */
	c->purgeable = h->src && h->src->pages_purge && h->src->now_ns && !ctor && !c->debug &&
		       !(flags & KMEM_DMA) && (!h->src->pages_restore || HEAP_SLAB_SIZE / PAGE_SIZE <= 64);
	size_t per = stride + (c->debug ? sizeof(struct heap_objmeta) : 0);
	c->capacity = (HEAP_SLAB_SIZE - objs_offset(c) - (c->debug ? 8 : 0)) / per;
	c->batch = MM_MAX(HEAP_BATCH_MIN, MM_MIN(HEAP_BATCH_MAX, (unsigned)(HEAP_BATCH_BYTES / stride)));
	unsigned i;
	for (i = 0; i < sizeof(c->name) - 1 && name && name[i]; i++)
		c->name[i] = name[i];
	c->name[i] = 0;
	unsigned long f = spin_lock_irqsave(&h->caches_lock);
	for (i = 0; i < HEAP_MAX_CACHES && h->cache[i]; i++)
		;
	if (i < HEAP_MAX_CACHES) {
		c->id = i;
		c->live = true;
		h->cache[i] = c;
	}
	spin_unlock_irqrestore(&h->caches_lock, f);
	return c->live ? 0 : -1;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
				     unsigned flags, kmem_ctor_t ctor)
{
	struct kmem_cache *c = cache_alloc_locked(heap_cache_cache);

	if (!c)
		return NULL;
	if (slab_cache_setup(&heap_global, c, name, size, align, flags, ctor)) {
		cache_free_locked(heap_cache_cache, c);
		return NULL;
	}
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return;
#ifdef MM_KASAN
	if (c->heap == &heap_global)
		heap_quarantine_flush();	/* its freed objects may wait there */
#endif
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);
	if (hc && heap_list_count(&hc->list[c->id]))
		cache_flush(c, &hc->list[c->id], heap_list_count(&hc->list[c->id]));
	heap_cpu_exit(flags);
	cache_lock(c);
	cache_orphan_flush_locked(c);
	cache_release_empty(c, 0);
	bool busy = c->partial.count || c->full.count;
	cache_unlock(c);
	if (busy)
		mm_err("heap: kmem_cache_destroy(%s): objects still in use; their slabs are leaked",
		       c->name);
	__atomic_and_fetch(&heap_global.purge_mask[c->id / 64], ~(1ull << (c->id % 64)), __ATOMIC_RELAXED);
	unsigned long f = spin_lock_irqsave(&heap_global.caches_lock);
	heap_global.cache[c->id] = NULL;
	spin_unlock_irqrestore(&heap_global.caches_lock, f);
	c->live = false;
	cache_free_locked(heap_cache_cache, c);
}

void *kmem_cache_alloc_at(struct kmem_cache *c, const char *file, int line)
{
	struct heap_site site = { file, (uint32_t)line, __builtin_return_address(0) };

	return cache_alloc(c, &site, c->obj_size);
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	return cache_alloc(c, NULL, c->obj_size);
}

void kmem_cache_free_at(struct kmem_cache *c, void *obj, const char *file, int line)
{
	struct heap_site site = { file, (uint32_t)line, __builtin_return_address(0) };

	if (!obj)
		return;
	struct slab *s = slab_lookup(obj);
	if (!s || s->cache != c) {
		debug_report_bad_free(&heap_global, obj, s ? "object of another cache" : "not a slab object",
				      &site);
		return;
	}
	cache_free(c, s, obj, &site);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	kmem_cache_free_at(c, obj, NULL, 0);
}

void kmem_cache_shrink(struct kmem_cache *c)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (hc && heap_list_count(&hc->list[c->id]))
		cache_flush(c, &hc->list[c->id], heap_list_count(&hc->list[c->id]));
	heap_cpu_exit(flags);
	cache_lock(c);
	cache_orphan_flush_locked(c);
	cache_release_empty(c, 0);
	cache_unlock(c);
}

void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *st)
{
	cache_lock(c);
	uint64_t inuse = 0;
	for (struct slab *s = c->partial.head; s; s = s->next)
		inuse += s->inuse;
	inuse += c->full.count * c->capacity;
	*st = (struct kmem_cache_stats){
		.name = c->name, .obj_size = c->obj_size, .objs_per_slab = c->capacity,
		.slabs = c->partial.count + c->full.count + c->empty.count,
		.empty_slabs = c->empty.count, .objs_inuse = inuse, .pages_purged = c->pages_purged,
		.slabs_freed = c->slabs_freed,
	};
	cache_unlock(c);
	st->objs_total = st->slabs * st->objs_per_slab;
}

void kmem_cache_for_each(void (*fn)(struct kmem_cache *c, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < HEAP_MAX_CACHES; i++) {
		struct kmem_cache *c = __atomic_load_n(&heap_global.cache[i], __ATOMIC_ACQUIRE);
		if (c)
			fn(c, ctx);
	}
}
