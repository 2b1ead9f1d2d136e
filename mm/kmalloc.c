// SPDX-License-Identifier: MIT
/*
 * The kmalloc family over size-class caches, large areas from the page
 * source recorded in a hash table, the seeds' names, statistics.
 *
 * Size classes: 8 to 128 in steps of 16 (8 and 24 too), then four per
 * power of two (160, 192, 224, 256, 320, ...) up to KMALLOC_MAX_SIZE, so a
 * request wastes at most a quarter of its class and 11 % on average.
 */
#include "heap_impl.h"

#define DMA_LARGE_MAX	((size_t)4 << 20)	/* the PMM's largest block */
/* Larger requests and alignments are refused before any size arithmetic can wrap. */
#if SIZE_MAX > 0xffffffffu
#define LARGE_MAX	((size_t)1 << 46)
#define LARGE_ALIGN_MAX	((size_t)1 << 40)
#else
#define LARGE_MAX	((size_t)1 << 30)
#define LARGE_ALIGN_MAX	((size_t)1 << 28)
#endif

struct heap heap_global;
uint32_t heap_class_size[HEAP_MAX_CLASSES];
#define class_size heap_class_size
static const uint8_t small_class[17] = {	/* (size + 7) / 8 -> class, sizes <= 128 */
	0, 0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9
};

/*
 * Sizes up to SMALL_ID_MAX straight to their class's cache id (and so to
 * this CPU's list), by (size + 7) / 8: class bounds are multiples of 8.
 */
#define SMALL_ID_MAX	MM_MIN(1024, KMALLOC_MAX_SIZE)
static uint8_t small_id[SMALL_ID_MAX / 8 + 1];

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

/* Index of the smallest class holding @size (1 .. KMALLOC_MAX_SIZE). */
static inline unsigned size_index(size_t size)
{
	if (size <= 128)
		return small_class[(size + 7) >> 3];
	unsigned b = 63 - (unsigned)__builtin_clzll(size - 1);
	unsigned q = (unsigned)((size - 1 - ((size_t)1 << b)) >> (b - 2));
	return 10 + (b - 7) * 4 + q;
}

static void init_classes(void)
{
	static const uint32_t small[] = { 8, 16, 24, 32, 48, 64, 80, 96, 112, 128 };
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(small); i++)
		class_size[n++] = small[i];
	for (uint32_t p = 128; p < KMALLOC_MAX_SIZE; p *= 2)
		for (uint32_t q = 1; q <= 4; q++)
			class_size[n++] = p + q * p / 4;
	heap_global.nclasses = n;
}

/* The per-boot secret: the environment's random seed, mixed with addresses. */
static uint64_t boot_secret(const struct heap_page_source *src)
{
	uint64_t x = src->seed ^ (uintptr_t)src ^ (uintptr_t)&x ^ 0x9e3779b97f4a7c15ull;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x | 1;
}

/*
 * Fill in @h (zeroed, its src, magic and large hash set) over @src: its
 * meta caches and size classes, DMA classes for the global heap.
 */
static int heap_setup(struct heap *h, struct heap_page_source *src, unsigned flags)
{
	h->src = src;
	h->arena_lo = src->arena_lo;
	h->arena_span = src->arena_hi - src->arena_lo;
	h->secret = boot_secret(src);
	init_classes();
	h->nclasses = heap_global.nclasses;
	/* The heap's own records: never debug caches (they bypass debug_alloc). */
	if (slab_cache_setup(h, &h->meta_caches[0], "kmem_cache", sizeof(struct kmem_cache), 64, 0, NULL) ||
	    slab_cache_setup(h, &h->meta_caches[1], "heap_cpu", sizeof(struct heap_cpu), 64, 0, NULL) ||
	    slab_cache_setup(h, heap_large_cache(h), "heap_large", sizeof(struct heap_large), 8, 0, NULL))
		return -1;
#ifdef MM_HEAP_DEBUG
	h->debug = flags & HEAP_DEBUG;
	h->lazy = flags & HEAP_CHECK_LAZY;
#else
	(void)flags;
#endif
	for (unsigned i = 0; i < h->nclasses; i++) {
		char name[HEAP_NAME_LEN] = "kmalloc-", dma[HEAP_NAME_LEN] = "dma-";
		char num[12], *e = num + sizeof(num) - 1;
		uint32_t sz = class_size[i];
		*e = 0;
		do
			*--e = (char)('0' + sz % 10);
		while (sz /= 10);
		memcpy(name + 8, e, (size_t)(num + sizeof(num) - e));
		memcpy(dma + 4, e, (size_t)(num + sizeof(num) - e));
		size_t align = class_size[i] % 16 ? 8 : 16;
		if (slab_cache_setup(h, &h->kmalloc_cache[i], name, class_size[i], align, 0, NULL) ||
		    (h == &heap_global &&
		     slab_cache_setup(h, &h->dma_cache[i], dma, class_size[i], align, KMEM_DMA, NULL)))
			return -1;
	}
	return 0;
}

int heap_init(struct heap_page_source *src, unsigned flags)
{
	memset(&heap_global, 0, sizeof(heap_global));
#ifdef MM_KERNEL
	memset(heap_cpu_array, 0, sizeof(heap_cpu_array));
#else
	heap_tls = NULL;
#endif
	if (src->init(src))
		return -1;
	heap_global.magic = HEAP_SLAB_MAGIC;
	heap_global.percpu = true;
	heap_global.src = src;
	heap_global.large_bits = HEAP_SLAB_SHIFT - 3;
	heap_global.large_hash = src->pages_get(HEAP_SLAB_ORDER, HEAP_PG_ZERO);
	if (!heap_global.large_hash || heap_setup(&heap_global, src, flags))
		return -1;
	for (unsigned i = 0; i < ARRAY_SIZE(small_id); i++)
		small_id[i] = (uint8_t)heap_global.kmalloc_cache[size_index(i ? i * 8 : 1)].id;
	heap_global.dma_large = (struct kmem_cache){ .heap = &heap_global, .name = "dma-large", .size = 1, .capacity = 1 };
	/* Page runs reuse purged pages by touching them: not over a source that unmaps them. */
	if ((flags & HEAP_PAGE_RUNS) && !heap_global.debug && !src->pages_restore)
		heap_runs_init(&heap_global);
	return 0;
}

/*
 * A private heap lives in one slab-sized block of its page source: struct
 * heap, then its large areas' hash table in the rest.
 */
_Static_assert(sizeof(struct heap) + 64 * sizeof(void *) <= HEAP_SLAB_SIZE,
	       "struct heap outgrew a slab");

struct heap *heap_create(struct heap_page_source *src, unsigned flags)
{
	if (!src->arena_hi && src->init(src))
		return NULL;
	struct heap *h = src->pages_get(HEAP_SLAB_ORDER, HEAP_PG_ZERO);
	if (!h)
		return NULL;
	memset(h, 0, sizeof(*h));
	uintptr_t table = ALIGN_UP((uintptr_t)(h + 1), (uintptr_t)64);
	h->large_bits = 63 - (unsigned)__builtin_clzll((uint64_t)(((uintptr_t)h + HEAP_SLAB_SIZE - table) /
								  sizeof(struct heap_large *)));
	h->large_hash = (struct heap_large **)table;
	h->magic = HEAP_SLAB_MAGIC_PRIVATE;
	if (heap_setup(h, src, flags)) {
		src->pages_put(h, HEAP_SLAB_ORDER);
		return NULL;
	}
	heap_front_setup(h);
	return h;
}

/* Every slab of @c back to the page source, objects live or not. */
static void cache_free_all(struct kmem_cache *c)
{
	struct slab_list *lists[3] = { &c->partial, &c->full, &c->empty };

	for (unsigned k = 0; k < 3; k++) {
		for (struct slab *s = lists[k]->head, *next; s; s = next) {
			next = s->next;
			s->magic = 0;
			c->heap->src->pages_put(s, s->order);
		}
	}
}

void heap_destroy(struct heap *h)
{
	if (!h || h == &heap_global)
		return;
	struct heap_page_source *src = h->src;
	for (size_t b = 0; b < (size_t)1 << h->large_bits; b++)
		for (struct heap_large *l = h->large_hash[b]; l; l = l->next)
			src->large_put(&l->area);	/* records are in slabs: freed below */
	for (unsigned id = 0; id < HEAP_MAX_CACHES; id++)
		if (h->cache[id])
			cache_free_all(h->cache[id]);
	h->magic = 0;
	src->pages_put(h, HEAP_SLAB_ORDER);
}

bool heap_debug_enabled(void)
{
	return heap_global.debug;
}

/**
 * heap_account() - count an allocation (+) or free (-) done outside the per-CPU lists
 * @h: the heap
 * @bytes: its size, negative for a free
 */
void heap_account(struct heap *h, int64_t bytes)
{
	if (h != &heap_global) {		/* private: no per-CPU counts */
		__atomic_add_fetch(bytes >= 0 ? &h->gone_nalloc : &h->gone_nfree, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&h->gone_bytes, bytes, __ATOMIC_RELAXED);
		return;
	}
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (hc) {
		heap_count(bytes >= 0 ? &hc->nalloc : &hc->nfree);
		heap_count_add(&hc->live_bytes, bytes);
	} else {
		unsigned long f = spin_lock_irqsave(&heap_global.cpus_lock);
		*(bytes >= 0 ? &heap_global.gone_nalloc : &heap_global.gone_nfree) += 1;
		heap_global.gone_bytes += bytes;
		spin_unlock_irqrestore(&heap_global.cpus_lock, f);
	}
	heap_cpu_exit(flags);
}

/* --- large areas ------------------------------------------------------------------ */

static struct heap_large **large_bucket(struct heap *h, const void *p)
{
	return heap_large_bucket(h, p);
}

static void large_link(struct heap *h, struct heap_large *l)
{
	struct heap_large **b = large_bucket(h, l->ptr);

	l->next = *b;
	*b = l;
	h->large_bytes += l->area.len;
	h->large_count++;
}

/* The record of the large area starting at @p, unlinked if @unlink; lock held; NULL if none. */
static struct heap_large *large_find_locked(struct heap *h, const void *p, bool unlink)
{
	struct heap_large **b = large_bucket(h, p), *l;

	for (; (l = *b) != NULL; b = &l->next) {
		if (l->ptr == p) {
			if (unlink) {
				*b = l->next;
				h->large_bytes -= l->area.len;
				h->large_count--;
			}
			break;
		}
	}
	return l;
}

static struct heap_large *large_find(struct heap *h, const void *p, bool unlink)
{
	unsigned long f = spin_lock_irqsave(&h->large_lock);
	struct heap_large *l = large_find_locked(h, p, unlink);

	spin_unlock_irqrestore(&h->large_lock, f);
	return l;
}

/* A large area's record (a private heap does not count it as an allocation). */
static struct heap_large *large_record(struct heap *h)
{
	return h == &heap_global ? cache_alloc(heap_large_cache(h), NULL, sizeof(struct heap_large))
			  : cache_alloc_locked(heap_large_cache(h));
}

static void large_record_free(struct heap *h, struct heap_large *l)
{
	if (h == &heap_global)
		cache_free(heap_large_cache(h), slab_of(l), l, NULL);
	else
		cache_free_locked(heap_large_cache(h), l);
}

#ifdef MM_KASAN
/*
 * The address sanitizer's view of a large area of the global heap
 * (MM_KASAN): the object's requested bytes open, the alignment slack before
 * it and the rest of its pages red zone. vfree() opens them all again.
 */
static void kasan_large(const struct heap *h, const void *p, size_t size, const struct heap_area *a)
{
	uintptr_t base = (uintptr_t)a->base, obj = (uintptr_t)p, end = base + a->len;
	uintptr_t used = ALIGN_UP(obj + size, (uintptr_t)8);

	if (h != &heap_global)
		return;
	if (obj > base)
		plat_kasan_poison(a->base, obj - base, KASAN_LARGE_REDZONE);
	plat_kasan_unpoison(p, size);
	if (used < end)
		plat_kasan_poison((const void *)used, end - used, KASAN_LARGE_REDZONE);
}
#else
static inline void kasan_large(const struct heap *h, const void *p, size_t size,
			       const struct heap_area *a)
{
	(void)h, (void)p, (void)size, (void)a;
}
#endif

static void *large_alloc(struct heap *h, size_t size, size_t align, unsigned flags,
			 const struct heap_site *site)
{
	struct heap_large *l = large_record(h);

	if (!l)
		return NULL;
	struct heap_area a;
	__atomic_add_fetch(&h->alloc_clock, (uint64_t)size, __ATOMIC_RELAXED);
	heap_purge_tick(h, true);
	void *p = h->src->large_get(size, align, flags, &a);
	if (!p) {
		large_record_free(h, l);
		return NULL;
	}
	kasan_large(h, p, size, &a);
	*l = (struct heap_large){ .ptr = p, .size = size, .area = a, .epoch = h->epoch };
	if (site)
		l->site = *site;
	unsigned long f = spin_lock_irqsave(&h->large_lock);
	large_link(h, l);
	spin_unlock_irqrestore(&h->large_lock, f);
	heap_account(h, (int64_t)a.len);
	return p;
}

static void large_free(struct heap *h, const void *p, const struct heap_site *site)
{
	struct heap_large *l = large_find(h, p, true);

	if (!l) {
		debug_report_bad_free(h, p, "not allocated by the heap (or freed already)", site);
		return;
	}
	heap_account(h, -(int64_t)l->area.len);
	h->src->large_put(&l->area);
	large_record_free(h, l);
}

static size_t large_usable(struct heap *h, const struct heap_large *l)
{
	return h->debug ? l->size
			: (size_t)((uintptr_t)l->area.base + l->area.len - (uintptr_t)l->ptr);
}

/*
 * Resize the large area at @p in place or by moving its pages (large_resize
 * in heap_pages.h). NULL if the page source cannot, and then the caller
 * copies; never with the debug checks (they keep the requested size), nor
 * for over-aligned areas (their pointer is not their base).
 */
static void *large_resize(struct heap *h, void *p, size_t size)
{
	if (!h->src->large_resize || h->debug)
		return NULL;
	unsigned long f = spin_lock_irqsave(&h->large_lock);
	struct heap_large *l = large_find_locked(h, p, true);
	if (l && l->ptr != l->area.base) {
		large_link(h, l);
		l = NULL;
	}
	spin_unlock_irqrestore(&h->large_lock, f);
	if (!l)
		return NULL;
	size_t was = l->area.len;
	void *q = h->src->large_resize(&l->area, size);
	if (q) {
		l->ptr = q;
		l->size = size;
	}
	f = spin_lock_irqsave(&h->large_lock);
	large_link(h, l);
	spin_unlock_irqrestore(&h->large_lock, f);
	if (q)
		heap_account(h, (int64_t)l->area.len - (int64_t)was);
	return q;
}

/* --- DMA areas beyond the size classes: one-object slabs from ZONE_DMA --------------- */

static void *dma_large_alloc(size_t size)
{
	unsigned order = HEAP_SLAB_ORDER;

	while ((PAGE_SIZE << order) < size + HEAP_SLAB_HDR)
		order++;
	struct slab *s = heap_global.src->pages_get(order, HEAP_PG_DMA);
	if (!s)
		return NULL;
	*s = (struct slab){ .magic = HEAP_SLAB_MAGIC, .cache = &heap_global.dma_large, .capacity = 1,
			    .inuse = 1, .order = (uint8_t)order, .large_size = (uint32_t)size };
	s->objs = (uintptr_t)s + HEAP_SLAB_HDR;
	__atomic_add_fetch(&heap_global.dma_large_bytes, PAGE_SIZE << order, __ATOMIC_RELAXED);
	heap_account(&heap_global, (int64_t)(PAGE_SIZE << order));
	return (void *)s->objs;
}

static void dma_large_free(struct slab *s, const void *p, const struct heap_site *site)
{
	if ((uintptr_t)p != s->objs) {
		debug_report_bad_free(&heap_global, p, "inside a DMA area", site);
		return;
	}
	__atomic_sub_fetch(&heap_global.dma_large_bytes, PAGE_SIZE << s->order, __ATOMIC_RELAXED);
	heap_account(&heap_global, -(int64_t)(PAGE_SIZE << s->order));
	s->magic = 0;
	heap_global.src->pages_put(s, s->order);
}

/* --- the kmalloc family ----------------------------------------------------------------- */
/*
 * Each function takes the heap; the kmalloc names pass the global one, a
 * constant that folds every "private heap?" test away in their copies.
 */

/* Red zone the debug build keeps after every kmalloc object. */
static inline size_t with_redzone(const struct heap *h, size_t size)
{
#ifdef MM_HEAP_DEBUG
	return h->debug ? size + 8 : size;
#else
	(void)h;
	return size;
#endif
}

#ifdef KMALLOC_THREAD_FAST
/* The cache id of the class for @need bytes (0 .. KMALLOC_MAX_SIZE; 0 counts as 1). */
static inline unsigned class_id(size_t need)
{
	return likely(need <= SMALL_ID_MAX) ? small_id[(need + 7) >> 3]
					    : heap_global.kmalloc_cache[size_index(need)].id;
}

/*
 * A pop from this thread's list of cache @id, without a look at the cache
 * (kmalloc caches have no constructor: their free pointer is at offset 0).
 */
static inline __attribute__((always_inline)) void *thread_pop(unsigned id)
{
	struct heap_cpu *hc = heap_tls;

	if (likely(hc != NULL)) {
		struct heap_cpu_list *l = &hc->list[id];
		void *obj = l->head;
		if (likely(obj != NULL)) {
			l->head = *(void **)obj;
			l->room++;
			return obj;
		}
	}
	return NULL;
}

void *kmalloc_cached(size_t size)
{
	if (likely(size <= SMALL_ID_MAX))
		return thread_pop(small_id[(size + 7) >> 3]);
	return size <= KMALLOC_MAX_SIZE ? thread_pop(heap_global.kmalloc_cache[size_index(size)].id) : NULL;
}
#endif

/* A class object of @h (malloc build's global heap: the thread's list found by a table lookup). */
static inline __attribute__((always_inline))
void *kmalloc_class(struct heap *h, size_t need, const struct heap_site *site, size_t size)
{
#ifdef KMALLOC_THREAD_FAST
	if (likely(h == &heap_global)) {
		unsigned id = class_id(need);
		void *obj = thread_pop(id);
		return likely(obj != NULL) ? obj : cache_alloc_slow(heap_global.cache[id]);
	}
#endif
	return heap_cache_alloc(h, &h->kmalloc_cache[size_index(need)], site, size);
}

static inline __attribute__((always_inline))
void *do_kmalloc(struct heap *h, size_t size, const struct heap_site *site)
{
	size_t need = with_redzone(h, size);

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (likely(need <= MM_MIN(HEAP_RUN_MIN, KMALLOC_MAX_SIZE)))
		return kmalloc_class(h, need, site, size);
	if (runs_serve(h, need))
		return runs_alloc(h, need);
	if (need <= KMALLOC_MAX_SIZE)
		return kmalloc_class(h, need, site, size);
	if (size > LARGE_MAX)
		return NULL;
	return large_alloc(h, size, PAGE_SIZE, 0, site);
}

void *kmalloc_at(size_t size, const char *file, int line)
{
	return do_kmalloc(&heap_global, size, HEAP_SITE(file, line));
}

void *(kmalloc)(size_t size)
{
	return do_kmalloc(&heap_global, size, HEAP_SITE(NULL, 0));
}

void *heap_alloc(struct heap *h, size_t size)
{
	return do_kmalloc(h, size, HEAP_SITE(NULL, 0));
}

static void *do_kzalloc(struct heap *h, size_t size, const struct heap_site *site)
{
	/* A large area comes zeroed from the page source: fresh mappings need no memset. */
	if (with_redzone(h, size) > KMALLOC_MAX_SIZE && size <= LARGE_MAX && !runs_serve(h, size))
		return large_alloc(h, size, PAGE_SIZE, HEAP_PG_ZERO, site);
	void *p = do_kmalloc(h, size, site);

	if (!ZERO_OR_NULL_PTR(p))
		memset(p, 0, size);
	return p;
}

void *kzalloc_at(size_t size, const char *file, int line)
{
	return do_kzalloc(&heap_global, size, HEAP_SITE(file, line));
}

void *(kzalloc)(size_t size)
{
	return kzalloc_at(size, NULL, 0);
}

void *heap_zalloc(struct heap *h, size_t size)
{
	return do_kzalloc(h, size, HEAP_SITE(NULL, 0));
}

void *kcalloc_at(size_t n, size_t size, const char *file, int line)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc_at(bytes, file, line);
}

void *(kcalloc)(size_t n, size_t size)
{
	return kcalloc_at(n, size, NULL, 0);
}

static inline __attribute__((always_inline))
void do_kfree(struct heap *h, const void *p, const struct heap_site *site)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	struct slab *s = slab_lookup_in(h, p);
	if (likely(s != NULL)) {
		if (unlikely(h != &heap_global && s->cache->heap != h))
			debug_report_bad_free(h, p, "an object of another heap", site);
		else if (unlikely(s->cache == &heap_global.dma_large))
			dma_large_free(s, p, site);
		else if (s->cache == &h->runs.cache)
			runs_free(h, s, p, site);
		else
			heap_cache_free(h, s->cache, s, (void *)p, site);
		return;
	}
	large_free(h, p, site);
}

void kfree_at(const void *p, const char *file, int line)
{
	do_kfree(&heap_global, p, HEAP_SITE(file, line));
}

#ifdef KMALLOC_THREAD_FAST
/*
 * kfree()'s fast path in the malloc build: an object of a plain cache (one
 * with a usable size: not a debug cache, not a DMA area) onto this thread's
 * list. NULL and ZERO_SIZE_PTR lie below the arena: the general path.
 */
static inline __attribute__((always_inline)) bool thread_push(const void *p)
{
	struct slab *s = slab_lookup(p);
	struct heap_cpu *hc = heap_tls;
	if (unlikely(!s || !s->usable || !hc))
		return false;
	list_push(&hc->list[s->cache_id], s, (void *)p);
	return true;
}
#endif

void (kfree)(const void *p)
{
#ifdef KMALLOC_THREAD_FAST
	if (likely(thread_push(p)))
		return;
#endif
	do_kfree(&heap_global, p, HEAP_SITE(NULL, 0));
}

void heap_free(struct heap *h, const void *p)
{
	do_kfree(h, p, HEAP_SITE(NULL, 0));
}

/* The slab of @p if it is one of @h's (its cache is @h's), else NULL. */
static inline struct slab *slab_of_heap(struct heap *h, const void *p)
{
	struct slab *s = slab_lookup_in(h, p);

	return s && (h == &heap_global || s->cache->heap == h) ? s : NULL;
}

/* Bytes @p may grow to in place; 0 if @p is not ours. */
static size_t usable_size(struct heap *h, const void *p)
{
	struct slab *s = slab_of_heap(h, p);

	if (s) {
		if (likely(s->usable))		/* every slab of a plain cache */
			return s->usable;
		struct kmem_cache *c = s->cache;
		if (c == &heap_global.dma_large)
			return s->large_size;
		if (c == &h->runs.cache)
			return runs_usable(s, p);
		if (c->debug) {
			uint32_t i = slab_index(c, s, p);
			return i == UINT32_MAX ? 0 : c->obj_size - 8;
		}
		return c->ctor ? c->obj_size : c->size;
	}
	if (slab_lookup_in(h, p))		/* another private heap's */
		return 0;
	struct heap_large *l = large_find(h, p, false);
	return l ? (size_t)((uintptr_t)l->area.base + l->area.len - (uintptr_t)p) : 0;
}

static size_t do_ksize(struct heap *h, const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	struct slab *s = slab_of_heap(h, p);
	if (s && s->cache->debug) {
		uint32_t i = slab_index(s->cache, s, p);
		return i == UINT32_MAX ? 0 : s->meta[i].req_size;
	}
	if (!s && h->debug) {
		struct heap_large *l = slab_lookup_in(h, p) ? NULL : large_find(h, p, false);
		return l ? large_usable(h, l) : 0;
	}
	return usable_size(h, p);
}

size_t ksize(const void *p)
{
	return do_ksize(&heap_global, p);
}

size_t heap_usable(struct heap *h, const void *p)
{
	return do_ksize(h, p);
}

/*
 * @p, an allocation of @h in slab @s (NULL: a large area) with room for
 * @size bytes, holds @size bytes from now on: a debug object's red zone
 * follows (growth reads as zero), a large area's record keeps the size.
 */
static void set_size(struct heap *h, struct slab *s, void *p, size_t size)
{
	if (s && s->cache->debug) {
		struct heap_objmeta *m = &s->meta[slab_index(s->cache, s, p)];
		if (size > m->req_size)
			memset((char *)p + m->req_size, 0, size - m->req_size);
		memset((char *)p + size, HEAP_REDZONE_BYTE, s->cache->size - size);
		m->req_size = (uint32_t)size;
	} else if (!s) {
		unsigned long f = spin_lock_irqsave(&h->large_lock);
		struct heap_large *l = large_find_locked(h, p, false);
		if (l)
			l->size = size;
		spin_unlock_irqrestore(&h->large_lock, f);
	}
}

/*
 * The usable bytes of the large area at @p (0 if there is none), and its
 * record says @size bytes if they fit. Not with the debug checks (they keep
 * the requested size through set_size()).
 */
static size_t large_set_size(struct heap *h, const void *p, size_t size)
{
	unsigned long f = spin_lock_irqsave(&h->large_lock);
	struct heap_large *l = large_find_locked(h, p, false);
	size_t room = l ? (size_t)((uintptr_t)l->area.base + l->area.len - (uintptr_t)p) : 0;

	if (size <= room)
		l->size = size;
	spin_unlock_irqrestore(&h->large_lock, f);
	return room;
}

void *heap_resize_in_place(struct heap *h, void *p, size_t size)
{
	if (!heap_contains(h, p) || size > usable_size(h, p))
		return NULL;
	set_size(h, slab_lookup_in(h, p), p, size);
	return p;
}

struct heap_page_source *heap_source(struct heap *h)
{
	return h->src;
}

static void *do_krealloc(struct heap *h, void *p, size_t size, const struct heap_site *site)
{
	if (ZERO_OR_NULL_PTR(p))
		return do_kmalloc(h, size, site);
	if (!size) {
		do_kfree(h, p, site);
		return ZERO_SIZE_PTR;
	}
	struct slab *s = slab_lookup_in(h, p);
	/* A large area that stays as it is: one lookup under the lock, not two. */
	if (!s && !h->debug) {
		size_t room = large_set_size(h, p, size);
		if (size <= room && room - size < MM_MAX(room / 4, (size_t)PAGE_SIZE))
			return p;
	}
	size_t room = usable_size(h, p), old = h->debug ? do_ksize(h, p) : room;
	if (!room) {
		debug_report_bad_free(h, p, "krealloc of memory the heap does not know", site);
		return NULL;
	}
	if (size <= room) {
		set_size(h, s, p, size);
		/* A page run that shrinks by a page or more gives its tail pages to the other runs. */
		if (s && s->cache == &h->runs.cache && runs_serve(h, size) && room - size >= PAGE_SIZE)
			runs_resize(h, s, p, size);
		/* A large area that shrinks by a quarter or more gives its tail pages back. */
		if (!s && room - size >= MM_MAX(room / 4, (size_t)PAGE_SIZE)) {
			void *q = size > KMALLOC_MAX_SIZE ? large_resize(h, p, size) : NULL;
			if (!q && size <= KMALLOC_MAX_SIZE && (q = do_kmalloc(h, size, site))) {
				memcpy(q, p, size);
				do_kfree(h, p, site);
			}
			return q ? q : p;
		}
		return p;
	}
	/* A page run grows into the free run after it. */
	if (s && s->cache == &h->runs.cache && size <= h->runs.max && runs_resize(h, s, p, size))
		return p;
	/* A large area grows into its headroom, or moves by remapping its pages. */
	if (!s) {
		void *q = large_resize(h, p, size);
		if (q)
			return q;
	}
	/*
	 * Growing out of its class: a class further up, so that a buffer grown
	 * in small steps moves (and is copied) half as often, through half as
	 * many classes. Not with the debug checks, whose red zone follows the
	 * requested size; not into a large area. Past KMALLOC_REALLOC_LARGE,
	 * into a large area if they can grow in place: a buffer grown that far
	 * is likely to grow further.
	 */
	size_t want = size;
	void *q;
	if (!h->debug && size <= KMALLOC_MAX_SIZE)
		want = MM_MIN(size + size / 4, (size_t)KMALLOC_MAX_SIZE);
	if (want > KMALLOC_REALLOC_LARGE && h->src->large_resize && !h->debug)
		q = large_alloc(h, want, PAGE_SIZE, 0, site);
	else
		q = do_kmalloc(h, want, site);
	if (!q)
		return NULL;
	memcpy(q, p, MM_MIN(old, size));
	do_kfree(h, p, site);
	return q;
}

void *krealloc_at(void *p, size_t size, const char *file, int line)
{
	return do_krealloc(&heap_global, p, size, HEAP_SITE(file, line));
}

void *(krealloc)(void *p, size_t size)
{
	return krealloc_at(p, size, NULL, 0);
}

void *heap_realloc(struct heap *h, void *p, size_t size)
{
	return do_krealloc(h, p, size, HEAP_SITE(NULL, 0));
}

static void *do_aligned(struct heap *h, size_t size, size_t align, const struct heap_site *site)
{
	if (!power_of_two(align))
		return NULL;
	if (!size)
		size = 1;
	if (align <= 8)
		return do_kmalloc(h, size, site);
	if (align == 16 && with_redzone(h, size) <= 128) {	/* all classes but 8 and 24 */
		size_t need = with_redzone(h, size);
		size_t cls = need <= 16 ? 16 : need <= 32 ? 32 : need;
		return heap_cache_alloc(h, &h->kmalloc_cache[size_index(cls)], site, size);
	}
	/* Power-of-two classes are naturally aligned. */
	size_t p2 = MM_MAX(with_redzone(h, size), align);
	if (align <= 16)
		return do_kmalloc(h, size, site);
	if (p2 <= KMALLOC_MAX_SIZE) {
		p2 = (size_t)1 << (64 - __builtin_clzll(p2 - 1));
		if (p2 <= KMALLOC_MAX_SIZE)
			return heap_cache_alloc(h, &h->kmalloc_cache[size_index(p2)], site, size);
	}
	if (size > LARGE_MAX || align > LARGE_ALIGN_MAX)
		return NULL;
	return large_alloc(h, size, MM_MAX(align, (size_t)PAGE_SIZE), 0, site);
}

void *kmalloc_aligned_at(size_t size, size_t align, const char *file, int line)
{
	return do_aligned(&heap_global, size, align, HEAP_SITE(file, line));
}

void *(kmalloc_aligned)(size_t size, size_t align)
{
	return kmalloc_aligned_at(size, align, NULL, 0);
}

void *heap_alloc_aligned(struct heap *h, size_t size, size_t align)
{
	return do_aligned(h, size, align, HEAP_SITE(NULL, 0));
}

void *kmalloc_dma_at(size_t size, const char *file, int line)
{
	size_t need = with_redzone(&heap_global, size);

	if (!size)
		return ZERO_SIZE_PTR;
	if (need <= KMALLOC_MAX_SIZE)
		return cache_alloc(&heap_global.dma_cache[size_index(need)], HEAP_SITE(file, line), size);
	if (size > DMA_LARGE_MAX)
		return NULL;
	return dma_large_alloc(size);
}

void *(kmalloc_dma)(size_t size)
{
	return kmalloc_dma_at(size, NULL, 0);
}

bool heap_contains(struct heap *h, const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return false;
	struct slab *s = slab_lookup_in(h, p);
	if (!s)
		return large_find(h, p, false) != NULL;
	if (h != &heap_global && s->cache->heap != h)
		return false;
	if (s->cache == &heap_global.dma_large)
		return (uintptr_t)p == s->objs;
	uint32_t i = slab_index(s->cache, s, p);
	if (i == UINT32_MAX || i >= s->carved)
		return false;
	return !s->cache->debug || s->meta[i].state == HEAP_OBJ_LIVE;
}

bool heap_owns(const void *p)
{
	return heap_contains(&heap_global, p);
}

/* --- the seeds' names -------------------------------------------------------------- */

void *AllocateMemory(size_t size)
{
	return kmalloc_at(size, NULL, 0);
}

void *AllocateAlignedMemory(size_t size, size_t align)
{
	return kmalloc_aligned_at(size, align, NULL, 0);
}

void FreeMemory(void *p)
{
	kfree_at(p, NULL, 0);
}

size_t GetMemorySize(const void *p)
{
	return ksize(p);
}

void *AllocateKernelMemory(size_t size)
{
	return kmalloc_at(size, NULL, 0);
}

void FreeKernelMemory(void *p)
{
	kfree_at(p, NULL, 0);
}

/* --- statistics and draining ------------------------------------------------------------ */

void heap_stats(struct heap *h, memory_stats_t *st)
{
	uint64_t na = 0, nf = 0, slab_bytes = 0;
	int64_t live = 0;

	*st = (memory_stats_t){ 0 };
	h->src->phys(&st->total_physical, &st->used_physical);
	st->free_physical = st->total_physical - st->used_physical;
	for (unsigned i = 0; i < HEAP_MAX_CACHES; i++) {
		struct kmem_cache *c = __atomic_load_n(&h->cache[i], __ATOMIC_ACQUIRE);
		if (c) {
			struct kmem_cache_stats cs;
			kmem_cache_get_stats(c, &cs);
			slab_bytes += cs.slabs * HEAP_SLAB_SIZE;
			st->pages_purged += cs.pages_purged;
			st->slabs_freed += cs.slabs_freed;
		}
	}
	unsigned long irq = spin_lock_irqsave(&h->cpus_lock);
	if (h == &heap_global) {
#ifdef MM_KERNEL
		for_each_possible_cpu(i) {
			struct heap_cpu *hc = &heap_cpu_array[i];
#else
		for (struct heap_cpu *hc = heap_global.cpus; hc; hc = hc->next) {
#endif
			na += __atomic_load_n(&hc->nalloc, __ATOMIC_RELAXED);
			nf += __atomic_load_n(&hc->nfree, __ATOMIC_RELAXED);
			live += __atomic_load_n(&hc->live_bytes, __ATOMIC_RELAXED);
			for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
				const struct heap_cpu_list *l = &hc->list[id];
				uint64_t a = heap_list_nalloc(l);
				uint64_t f = __atomic_load_n(&l->nfree, __ATOMIC_RELAXED);
				struct kmem_cache *c = __atomic_load_n(&heap_global.cache[id], __ATOMIC_RELAXED);
				na += a;
				nf += f;
				if (c)
					live += (int64_t)(a - f) * c->size;
			}
		}
	}
	else
		heap_front_counts(h, &na, &nf, &live);	/* mm/heap_front.c */
	na += __atomic_load_n(&h->gone_nalloc, __ATOMIC_RELAXED);
	nf += __atomic_load_n(&h->gone_nfree, __ATOMIC_RELAXED);
	live += __atomic_load_n(&h->gone_bytes, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&h->cpus_lock, irq);
	irq = spin_lock_irqsave(&h->caches_lock);
	st->shrinks = h->shrinks;
	st->shrunk_pages = h->shrunk_pages;
	spin_unlock_irqrestore(&h->caches_lock, irq);
	irq = spin_lock_irqsave(&h->large_lock);
	st->large_bytes = h->large_bytes;
	st->large_count = h->large_count;
	spin_unlock_irqrestore(&h->large_lock, irq);
	irq = spin_lock_irqsave(&h->runs.lock);
	slab_bytes += h->runs.slabs * HEAP_SLAB_SIZE;
	st->pages_purged += h->runs.purged_total;
	spin_unlock_irqrestore(&h->runs.lock, irq);
	st->slab_bytes = slab_bytes;
	st->heap_size = slab_bytes + st->large_bytes +
			__atomic_load_n(&h->dma_large_bytes, __ATOMIC_RELAXED);
	st->heap_used = live > 0 ? (uint64_t)live : 0;
	st->heap_free = st->heap_size > st->heap_used ? st->heap_size - st->heap_used : 0;
	st->allocation_count = na;
	st->free_count = nf;
}

void heap_get_stats(memory_stats_t *st)
{
	heap_stats(&heap_global, st);
}

unsigned heap_fragmentation_pct(void)
{
	memory_stats_t st;

	heap_get_stats(&st);
	uint64_t in_slabs = st.heap_used > st.large_bytes ? st.heap_used - st.large_bytes : 0;
	if (!st.slab_bytes || in_slabs >= st.slab_bytes)
		return 0;
	return (unsigned)((st.slab_bytes - in_slabs) * 100 / st.slab_bytes);
}

unsigned heap_fragmentation_for(const size_t *sizes, unsigned n)
{
	uint64_t free_bytes[HEAP_MAX_CLASSES] = { 0 }, total = 0, empty = 0, unusable = 0;
	unsigned counted = 0;

	for (unsigned i = 0; i < heap_global.nclasses; i++) {
		struct kmem_cache_stats st;
		kmem_cache_get_stats(&heap_global.kmalloc_cache[i], &st);
		uint64_t size = heap_global.kmalloc_cache[i].size;
		free_bytes[i] = (st.objs_total - st.objs_inuse) * size;
		empty += st.empty_slabs * st.objs_per_slab * size;
		total += free_bytes[i];
	}
	if (!total)
		return 0;
	for (unsigned k = 0; k < n; k++) {
		if (!sizes[k] || sizes[k] > KMALLOC_MAX_SIZE)
			continue;
		unsigned i = size_index(sizes[k]);
		/* An empty slab serves any class; a partial one only its own. */
		uint64_t usable = free_bytes[i] - MM_MIN(free_bytes[i], empty) + empty;
		unusable += total - MM_MIN(total, usable);
		counted++;
	}
	return counted ? (unsigned)(unusable * 100 / (total * counted)) : 0;
}

static void shrink_one(struct kmem_cache *c, void *ctx)
{
	(void)ctx;
	kmem_cache_shrink(c);
}

void heap_drain(void)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (hc)
		heap_cpu_flush_all(hc);
	heap_cpu_exit(flags);
#ifdef MM_KASAN
	heap_quarantine_flush();
#endif
	kmem_cache_for_each(shrink_one, NULL);
}
