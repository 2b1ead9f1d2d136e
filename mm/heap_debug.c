// SPDX-License-Identifier: MIT
/*
 * The heap's debug checks (MM_HEAP_DEBUG, on with heap_init(HEAP_DEBUG)).
 *
 * Debug caches bypass the per-CPU lists, so every allocation and free sees
 * the object's record (struct heap_objmeta, at the end of its slab): state,
 * requested size, allocation and free sites, mark generation. The bytes from
 * the requested size to the end of the object are a red zone of
 * HEAP_REDZONE_BYTE (kmalloc always leaves at least 8), checked on free and
 * by heap_check(); a freed object is filled with HEAP_POISON_FREE, checked
 * when it is handed out again (by heap_validate() only in a HEAP_CHECK_LAZY heap). Bad frees are reported with both sites and
 * otherwise ignored.
 */
#include "heap_impl.h"

/**
 * heap_print_site() - log one site as "what file:line (return address)"
 * @what: what happened there
 * @site: the site; NULL or empty prints "unknown"
 */
void heap_print_site(const char *what, const struct heap_site *site)
{
	if (!site || (!site->file && !site->ret))
		mm_err("heap:   %s at an unknown site", what);
	else if (site->file)
		mm_err("heap:   %s at %s:%u (%p)", what, site->file, site->line, site->ret);
	else
		mm_err("heap:   %s from %p", what, site->ret);
}

static void count(uint64_t *ctr)
{
	__atomic_add_fetch(ctr, 1, __ATOMIC_RELAXED);
}

/**
 * heap_freelist_corrupt() - a free-list pointer failed its check (hardened build)
 * @h: the heap
 * @slot: where it was stored
 * @value: what it decoded to
 *
 * Return: NULL: the rest of the list is dropped (leaked) rather than followed.
 */
void *heap_freelist_corrupt(struct heap *h, const void *slot, const void *value)
{
	count(&h->dbg.freelist_corrupt);
	mm_err("heap: corrupt free-list pointer at %p (decodes to %p): list dropped", slot, value);
	return NULL;
}

/**
 * debug_report_bad_free() - report a free of something the heap did not hand out
 * @h: the heap it was given to
 * @p: the pointer
 * @why: what is wrong with it
 * @site: the freeing call
 */
void debug_report_bad_free(struct heap *h, const void *p, const char *why, const struct heap_site *site)
{
	count(&h->dbg.invalid_frees);
	mm_err("heap: invalid free of %p: %s; ignored", p, why);
	heap_print_site("freed", site);
}

/* First byte of [@from, @to) of @obj that is not @val, or -1; a byte at a time. */
static long find_byte(const uint8_t *obj, size_t from, size_t to, uint8_t val)
{
	for (size_t i = from; i < to; i++)
		if (obj[i] != val)
			return (long)i;
	return -1;
}

/*
 * check_bytes() - first byte of [@from, @to) of @obj that is not @val, or -1
 *
 * A word at a time from the aligned word holding @from (@obj is 8-aligned:
 * the bytes before @from in that word are the object's too, and a shift
 * drops them: x86 is little-endian); bytes alone only for the tail and to
 * name the offset of a mismatch.
 */
static long check_bytes(const uint8_t *obj, size_t from, size_t to, uint8_t val)
{
	const uint64_t pat = 0x0101010101010101ull * val;
	size_t i = from & ~(size_t)7, end = to & ~(size_t)7;
	uint64_t w;

	if (from >= to)
		return -1;
	if (i >= end)
		return find_byte(obj, from, to, val);
	memcpy(&w, obj + i, 8);
	uint64_t diff = (w ^ pat) >> (8 * (from & 7));
	for (i += 8; !diff && i < end; i += 8) {
		memcpy(&w, obj + i, 8);
		diff = w ^ pat;
	}
	if (diff)
		return find_byte(obj, from, to, val);
	return find_byte(obj, i, to, val);
}

static size_t fp_end(const struct kmem_cache *c)
{
	return c->fp_offset == 0 ? 8 : 0;	/* the free pointer overlays the first word */
}

/*
 * Poison intact on a free object? Reports if not. A lazy heap poisons the
 * bytes the block held and leaves its red zone (checked on free) in place:
 * its free objects read poison up to their last requested size, red zone
 * bytes after it.
 */
static bool check_poison(struct kmem_cache *c, const uint8_t *obj, const struct heap_objmeta *m)
{
	if (c->ctor)
		return true;
	size_t from = fp_end(c), to = c->fp_offset ? c->fp_offset : c->size;
	size_t mid = c->heap->lazy ? MM_MAX(from, MM_MIN((size_t)m->req_size, to)) : to;
	long bad = check_bytes(obj, from, mid, HEAP_POISON_FREE);
	if (bad < 0)
		bad = check_bytes(obj, mid, to, HEAP_REDZONE_BYTE);
	if (bad < 0)
		return true;
	count(&c->heap->dbg.use_after_free);
	mm_err("heap: use after free: %s object %p written at offset %ld after it was freed",
	       c->name, (const void *)obj, bad);
	heap_print_site("allocated", &m->alloc);
	heap_print_site("freed", &m->free);
	return false;
}

/* Red zone intact on a live object? Reports if not. */
static bool check_redzone(struct kmem_cache *c, const uint8_t *obj, const struct heap_objmeta *m,
			  const struct heap_site *site)
{
	size_t end = c->ctor ? c->obj_size : c->size;
	long bad = c->ctor ? -1 : check_bytes(obj, m->req_size, end, HEAP_REDZONE_BYTE);

	if (bad < 0)
		return true;
	count(&c->heap->dbg.redzone_hits);
	mm_err("heap: red zone of %s object %p (%u bytes) overwritten at offset %ld",
	       c->name, (const void *)obj, m->req_size, bad);
	heap_print_site("allocated", &m->alloc);
	if (site)
		heap_print_site("detected on free", site);
	return false;
}

/* check_redzone() for the front lists of private heaps (mm/heap_front.c). */
bool debug_check_redzone(struct kmem_cache *c, const void *obj, const struct heap_objmeta *m,
			 const struct heap_site *site)
{
	return check_redzone(c, obj, m, site);
}

#ifdef MM_KASAN
/*
 * The address sanitizer's side of the heap (MM_KASAN, the KASAN kernel):
 * the shadow follows each object's state, and freed objects wait in a
 * quarantine before they can be handed out again, so that a use after free
 * hits poisoned memory for a while instead of someone else's object.
 *
 * Lock order: a cache's lock, then the quarantine's. Objects leave the
 * quarantine with only their cache's lock held.
 */
#define QUARANTINE_BYTES	(4u << 20)

static struct {
	spinlock_t lock;
	void *head, *tail;		/* oldest first, linked through the free-pointer slot */
	size_t bytes;
} quarantine = { .lock = SPINLOCK_INIT };

static void **q_link(struct kmem_cache *c, void *obj)
{
	return (void **)((uint8_t *)obj + c->fp_offset);
}

static void kasan_alloc(struct kmem_cache *c, uint8_t *obj, struct heap_objmeta *m, size_t req)
{
	size_t used = (req + 7) & ~(size_t)7;

	plat_kasan_unpoison(obj, req);
	if (used < c->size)
		plat_kasan_poison(obj + used, c->size - used, KASAN_REDZONE);
	memset(m->free_stack, 0, sizeof(m->free_stack));
	plat_kasan_stack(m->alloc_stack, HEAP_STACK_DEPTH);
}

/*
 * An object leaves the quarantine: back on its slab's free list, as
 * debug_free() would. @release: free empty slabs beyond HEAP_EMPTY_KEEP too
 * (else the caller's shrink does, and counts them).
 */
static void quarantine_release(void *obj, bool release)
{
	struct slab *s = slab_of(obj);
	struct kmem_cache *c = s->cache;

	cache_lock(c);
	slab_give(c, s, obj);
	if (release)
		cache_release_empty(c, HEAP_EMPTY_KEEP);
	cache_unlock(c);
	heap_account(c->heap, -(int64_t)c->size);
}

/* Takes objects off the quarantine's head until it holds at most @keep bytes. */
static void quarantine_trim(size_t keep, bool release)
{
	for (;;) {
		unsigned long f = spin_lock_irqsave(&quarantine.lock);
		void *obj = quarantine.bytes > keep ? quarantine.head : NULL;
		if (obj) {
			struct kmem_cache *c = slab_of(obj)->cache;
			quarantine.head = *q_link(c, obj);
			if (!quarantine.head)
				quarantine.tail = NULL;
			quarantine.bytes -= c->size;
		}
		spin_unlock_irqrestore(&quarantine.lock, f);
		if (!obj)
			return;
		quarantine_release(obj, release);
	}
}

/*
 * debug_free()'s last step in the global heap: poison @obj and queue it
 * instead of freeing it. Called with @c locked; unlocks it. Private heaps
 * (their own page sources and lifetimes) free at once: false.
 */
static bool kasan_quarantine(struct kmem_cache *c, void *obj, struct heap_objmeta *m)
{
	if (c->heap != &heap_global)
		return false;
	plat_kasan_stack(m->free_stack, HEAP_STACK_DEPTH);
	plat_kasan_poison(obj, c->size, KASAN_FREED);
	*q_link(c, obj) = NULL;
	unsigned long f = spin_lock_irqsave(&quarantine.lock);
	if (quarantine.tail)
		*q_link(slab_of(quarantine.tail)->cache, quarantine.tail) = obj;
	else
		quarantine.head = obj;
	quarantine.tail = obj;
	quarantine.bytes += c->size;
	bool over = quarantine.bytes > QUARANTINE_BYTES;
	spin_unlock_irqrestore(&quarantine.lock, f);
	cache_unlock(c);
	if (over)
		quarantine_trim(QUARANTINE_BYTES / 2, true);
	return true;
}

void heap_quarantine_flush(void)
{
	quarantine_trim(0, false);	/* every caller shrinks next */
}

bool heap_object_info(const void *p, struct heap_obj_info *out)
{
	struct slab *s = slab_lookup(p);

	if (!s || !s->cache->debug || !s->meta || (uintptr_t)p < s->objs)
		return false;
	struct kmem_cache *c = s->cache;
	uintptr_t i = ((uintptr_t)p - s->objs) / c->size;
	if (i >= s->carved)
		return false;
	const struct heap_objmeta *m = &s->meta[i];
	*out = (struct heap_obj_info){ .obj = (const void *)(s->objs + i * c->size),
				       .req_size = m->req_size, .obj_size = c->size, .cache = c->name,
				       .live = m->state == HEAP_OBJ_LIVE, .alloc = m->alloc,
				       .free = m->free };
	memcpy(out->alloc_stack, m->alloc_stack, sizeof(out->alloc_stack));
	memcpy(out->free_stack, m->free_stack, sizeof(out->free_stack));
	return true;
}
#endif

/**
 * debug_alloc() - allocation in a debug cache: straight from the slabs, with checks
 * @c: the cache
 * @site: the caller
 * @req: bytes requested; the object's rest becomes red zone
 */
void *debug_alloc(struct kmem_cache *c, const struct heap_site *site, size_t req)
{
	cache_lock(c);
	struct slab *s = cache_slab_with_room(c);
	if (!s) {
		cache_unlock(c);
		return NULL;
	}
	bool reused = slab_has_free(s);
	uint8_t *obj = slab_take(c, s);
	struct heap_objmeta *m = &s->meta[slab_index(c, s, obj)];
	if (reused && !c->heap->lazy)
		check_poison(c, obj, m);
	*m = (struct heap_objmeta){ .req_size = (uint32_t)req, .epoch = c->heap->epoch,
				    .state = HEAP_OBJ_LIVE };
	if (site)
		m->alloc = *site;
	slab_relist(c, s);
	cache_unlock(c);
	if (!c->ctor)
		memset(obj + req, HEAP_REDZONE_BYTE, c->size - req);
#ifdef MM_KASAN
	kasan_alloc(c, obj, m, req);
#endif
	heap_account(c->heap, (int64_t)c->size);
	return obj;
}

/*
 * A free of a pointer that is not an object's start: reported, ignored.
 * Called with the cache's lock held; drops it before printing.
 */
static void invalid_free(struct kmem_cache *c, struct slab *s, void *obj,
			 const struct heap_site *site)
{
	uintptr_t off = (uintptr_t)obj - s->objs;
	bool inside = (uintptr_t)obj >= s->objs && off / c->size < s->carved;
	struct heap_site alloc = inside ? s->meta[off / c->size].alloc : (struct heap_site){ 0 };

	cache_unlock(c);
	count(&c->heap->dbg.invalid_frees);
	mm_err("heap: invalid free of %p: not the start of a %s object; ignored", obj, c->name);
	if (inside) {
		mm_err("heap:   it points %lu bytes into object %p",
		       (unsigned long)(off % c->size), (void *)(s->objs + off - off % c->size));
		heap_print_site("that object was allocated", &alloc);
	}
	heap_print_site("freed", site);
}

/**
 * debug_free() - free in a debug cache: the pointer, state and red zone checked first
 * @c: the cache of @s
 * @s: the slab @obj points into
 * @obj: the pointer being freed
 * @site: the caller
 */
void debug_free(struct kmem_cache *c, struct slab *s, void *obj, const struct heap_site *site)
{
	uint32_t i = slab_index(c, s, obj);

	cache_lock(c);		/* s->carved grows under it */
	if (i == UINT32_MAX || i >= s->carved) {
		invalid_free(c, s, obj, site);
		return;
	}
	struct heap_objmeta *m = &s->meta[i];
	if (m->state != HEAP_OBJ_LIVE) {
		struct heap_site first = m->free, alloc = m->alloc;
		cache_unlock(c);
		count(&c->heap->dbg.double_frees);
		mm_err("heap: double free of %s object %p; ignored", c->name, obj);
		heap_print_site("allocated", &alloc);
		heap_print_site("first freed", &first);
		heap_print_site("freed again", site);
		return;
	}
	check_redzone(c, obj, m, site);
	m->state = HEAP_OBJ_FREE;
	if (site)
		m->free = *site;
	if (!c->ctor)		/* a lazy heap keeps the red zone (check_poison()) */
		memset(obj, HEAP_POISON_FREE, c->heap->lazy ? m->req_size : c->size);
#ifdef MM_KASAN
	if (kasan_quarantine(c, obj, m))
		return;		/* cache unlocked; accounted when it leaves the quarantine */
#endif
	slab_give(c, s, obj);
	cache_release_empty(c, HEAP_EMPTY_KEEP);
	cache_unlock(c);
	heap_account(c->heap, -(int64_t)c->size);
}

/* --- walks over every object ---------------------------------------------------- */

typedef int (*obj_fn)(struct kmem_cache *c, struct slab *s, uint8_t *obj,
		      struct heap_objmeta *m, void *ctx);

static int walk_slabs(struct kmem_cache *c, struct slab *s, obj_fn fn, void *ctx)
{
	for (; s; s = s->next) {
		for (uint32_t i = 0; i < s->carved; i++) {
			int r = fn(c, s, (uint8_t *)(s->objs + (uintptr_t)i * c->size),
				   &s->meta[i], ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

/* @fn for every carved object of every debug cache, under the cache's lock. */
static int walk_objects(struct heap *h, obj_fn fn, void *ctx)
{
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = __atomic_load_n(&h->cache[id], __ATOMIC_ACQUIRE);
		if (!c || !c->debug)
			continue;
		cache_lock(c);
		int r = walk_slabs(c, c->partial.head, fn, ctx);
		if (!r)
			r = walk_slabs(c, c->full.head, fn, ctx);
		if (!r)
			r = walk_slabs(c, c->empty.head, fn, ctx);
		cache_unlock(c);
		if (r)
			return r;
	}
	return 0;
}

static int check_one(struct kmem_cache *c, struct slab *s, uint8_t *obj,
		     struct heap_objmeta *m, void *ctx)
{
	unsigned *problems = ctx;

	if (m->state == HEAP_OBJ_LIVE)
		*problems += !check_redzone(c, obj, m, NULL);
	else
		*problems += !check_poison(c, obj, m);
	return 0;
}

/* Slab list invariants of one cache. */
static unsigned check_lists(struct kmem_cache *c)
{
	unsigned problems = 0;
	const struct slab_list *lists[3] = { &c->partial, &c->full, &c->empty };

	cache_lock(c);
	for (unsigned k = 0; k < 3; k++) {
		uint64_t n = 0;
		for (struct slab *s = lists[k]->head; s; s = s->next, n++) {
			if (s->magic != c->heap->magic || s->cache != c || s->list != k ||
			    s->inuse > s->capacity || s->carved > s->capacity ||
			    (k == SLAB_LIST_EMPTY && s->inuse) ||
			    (k == SLAB_LIST_FULL && s->inuse != s->capacity)) {
				mm_err("heap: %s: slab %p inconsistent (list %u, inuse %u of %u)",
				       c->name, (void *)s, k, s->inuse, s->capacity);
				problems++;
			} else if (c->purgeable && !slab_pfree_ok(c, s)) {
				mm_err("heap: %s: slab %p: per-page free bytes do not match its free objects",
				       c->name, (void *)s);
				problems++;
			}
		}
		if (n != lists[k]->count) {
			mm_err("heap: %s: list %u holds %lu slabs, counted %lu", c->name, k,
			       (unsigned long)n, (unsigned long)lists[k]->count);
			problems++;
		}
	}
	cache_unlock(c);
	return problems;
}

unsigned heap_validate(struct heap *h)
{
	unsigned problems = 0;

	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = __atomic_load_n(&h->cache[id], __ATOMIC_ACQUIRE);
		if (c)
			problems += check_lists(c);
	}
	walk_objects(h, check_one, &problems);
	return problems;
}

unsigned heap_check(void)
{
	return heap_validate(&heap_global);
}

uint32_t heap_mark(void)
{
	return __atomic_add_fetch(&heap_global.epoch, 1, __ATOMIC_RELAXED);
}

struct live_walk {
	int (*fn)(const struct heap_live_obj *o, void *ctx);
	void *ctx;
	unsigned n;
	uint32_t min_epoch;
};

static int live_one(struct kmem_cache *c, struct slab *s, uint8_t *obj,
		    struct heap_objmeta *m, void *ctx)
{
	struct live_walk *w = ctx;

	if (m->state != HEAP_OBJ_LIVE || m->epoch < w->min_epoch)
		return 0;
	struct heap_live_obj o = { obj, m->req_size, c->name, m->alloc, m->epoch };
	w->n++;
	return w->fn ? w->fn(&o, w->ctx) : 0;
}

static unsigned walk_live(struct heap *h, struct live_walk *w)
{
	walk_objects(h, live_one, w);
	unsigned long f = spin_lock_irqsave(&h->large_lock);
	for (size_t b = 0; b < (size_t)1 << h->large_bits; b++) {
		for (struct heap_large *l = h->large_hash[b]; l; l = l->next) {
			if (l->epoch < w->min_epoch)
				continue;
			struct heap_live_obj o = { l->ptr, l->size, "large", l->site, l->epoch };
			w->n++;
			if (w->fn && w->fn(&o, w->ctx))
				goto out;
		}
	}
out:
	spin_unlock_irqrestore(&h->large_lock, f);
	return w->n;
}

unsigned heap_walk(struct heap *h, int (*fn)(const struct heap_live_obj *o, void *ctx), void *ctx)
{
	struct live_walk w = { fn, ctx, 0, 0 };

	return walk_live(h, &w);
}

unsigned heap_for_each_live(int (*fn)(const struct heap_live_obj *o, void *ctx), void *ctx)
{
	return heap_walk(&heap_global, fn, ctx);
}

static int report_leak(const struct heap_live_obj *o, void *ctx)
{
	(void)ctx;
	mm_err("heap: leak: %zu bytes at %p (%s), generation %u", o->size, o->ptr, o->cache,
	       o->epoch);
	heap_print_site("allocated", &o->site);
	return 0;
}

unsigned heap_leak_report(void)
{
	struct live_walk w = { report_leak, NULL, 0, __atomic_load_n(&heap_global.epoch, __ATOMIC_RELAXED) };

	if (!heap_global.debug) {
		mm_warn("heap: leak report needs the debug checks (heap=debug)");
		return 0;
	}
	return walk_live(&heap_global, &w);
}

void heap_debug_counts(struct heap *h, struct heap_debug_counts *c)
{
	c->double_frees = __atomic_load_n(&h->dbg.double_frees, __ATOMIC_RELAXED);
	c->invalid_frees = __atomic_load_n(&h->dbg.invalid_frees, __ATOMIC_RELAXED);
	c->redzone_hits = __atomic_load_n(&h->dbg.redzone_hits, __ATOMIC_RELAXED);
	c->use_after_free = __atomic_load_n(&h->dbg.use_after_free, __ATOMIC_RELAXED);
	c->freelist_corrupt = __atomic_load_n(&h->dbg.freelist_corrupt, __ATOMIC_RELAXED);
}

void heap_debug_get_counts(struct heap_debug_counts *c)
{
	heap_debug_counts(&heap_global, c);
}

bool heap_validate_object(struct heap *h, const void *p)
{
	if (!heap_contains(h, p))
		return false;
	struct slab *s = slab_lookup_in(h, p);
	if (!s || !s->cache->debug)
		return true;		/* a large area, or an object without a red zone */
	struct kmem_cache *c = s->cache;
	cache_lock(c);
	uint32_t i = slab_index(c, s, p);
	bool ok = s->meta[i].state == HEAP_OBJ_LIVE && check_redzone(c, p, &s->meta[i], NULL);
	cache_unlock(c);
	return ok;
}
