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

struct heap_state heap;
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
	heap.nclasses = n;
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

int heap_init(struct heap_page_source *src, unsigned flags)
{
	memset(&heap, 0, sizeof(heap));
#ifdef MM_KERNEL
	memset(heap_cpu_array, 0, sizeof(heap_cpu_array));
#else
	heap_tls = NULL;
#endif
	if (src->init(src))
		return -1;
	heap.src = src;
	heap.arena_lo = src->arena_lo;
	heap.arena_span = src->arena_hi - src->arena_lo;
	heap.secret = boot_secret(src);
	init_classes();
	if (slab_cache_setup(heap_cache_cache, "kmem_cache", sizeof(struct kmem_cache), 64, 0, NULL) ||
	    slab_cache_setup(heap_cpu_cache, "heap_cpu", sizeof(struct heap_cpu), 64, 0, NULL) ||
	    slab_cache_setup(heap_large_cache, "heap_large", sizeof(struct heap_large), 8, 0, NULL))
		return -1;
	heap.large_hash = src->pages_get(HEAP_SLAB_ORDER, HEAP_PG_ZERO);
	if (!heap.large_hash)
		return -1;
#ifdef MM_HEAP_DEBUG
	heap.debug = flags & HEAP_DEBUG;
#else
	(void)flags;
#endif
	for (unsigned i = 0; i < heap.nclasses; i++) {
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
		if (slab_cache_setup(&heap.kmalloc_cache[i], name, class_size[i], align, 0, NULL) ||
		    slab_cache_setup(&heap.dma_cache[i], dma, class_size[i], align, KMEM_DMA, NULL))
			return -1;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(small_id); i++)
		small_id[i] = (uint8_t)heap.kmalloc_cache[size_index(i ? i * 8 : 1)].id;
	heap.dma_large = (struct kmem_cache){ .name = "dma-large", .size = 1, .capacity = 1 };
	return 0;
}

bool heap_debug_enabled(void)
{
	return heap.debug;
}

/**
 * heap_account() - count an allocation (+) or free (-) done outside the per-CPU lists
 * @bytes: its size, negative for a free
 */
void heap_account(int64_t bytes)
{
	unsigned long flags;
	struct heap_cpu *hc = heap_cpu_enter(&flags);

	if (hc) {
		heap_count(bytes >= 0 ? &hc->nalloc : &hc->nfree);
		heap_count_add(&hc->live_bytes, bytes);
	} else {
		unsigned long f = spin_lock_irqsave(&heap.cpus_lock);
		*(bytes >= 0 ? &heap.gone_nalloc : &heap.gone_nfree) += 1;
		heap.gone_bytes += bytes;
		spin_unlock_irqrestore(&heap.cpus_lock, f);
	}
	heap_cpu_exit(flags);
}

/* --- large areas ------------------------------------------------------------------ */

static struct heap_large **large_bucket(const void *p)
{
	uint64_t h = ((uintptr_t)p >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ull;

	return &heap.large_hash[h >> (64 - (HEAP_SLAB_SHIFT - 3))];
}

static void large_link(struct heap_large *l)
{
	struct heap_large **b = large_bucket(l->ptr);

	l->next = *b;
	*b = l;
	heap.large_bytes += l->area.len;
	heap.large_count++;
}

/* The record of the large area starting at @p, unlinked if @unlink; lock held; NULL if none. */
static struct heap_large *large_find_locked(const void *p, bool unlink)
{
	struct heap_large **b = large_bucket(p), *l;

	for (; (l = *b) != NULL; b = &l->next) {
		if (l->ptr == p) {
			if (unlink) {
				*b = l->next;
				heap.large_bytes -= l->area.len;
				heap.large_count--;
			}
			break;
		}
	}
	return l;
}

static struct heap_large *large_find(const void *p, bool unlink)
{
	unsigned long f = spin_lock_irqsave(&heap.large_lock);
	struct heap_large *l = large_find_locked(p, unlink);

	spin_unlock_irqrestore(&heap.large_lock, f);
	return l;
}

static void *large_alloc(size_t size, size_t align, unsigned flags, const struct heap_site *site)
{
	struct heap_large *l = cache_alloc(heap_large_cache, NULL, sizeof(*l));

	if (!l)
		return NULL;
	struct heap_area a;
	__atomic_add_fetch(&heap.alloc_clock, (uint64_t)size, __ATOMIC_RELAXED);
	heap_purge_tick(true);
	void *p = heap.src->large_get(size, align, flags, &a);
	if (!p) {
		cache_free(heap_large_cache, slab_of(l), l, NULL);
		return NULL;
	}
	*l = (struct heap_large){ .ptr = p, .size = size, .area = a, .epoch = heap.epoch };
	if (site)
		l->site = *site;
	unsigned long f = spin_lock_irqsave(&heap.large_lock);
	large_link(l);
	spin_unlock_irqrestore(&heap.large_lock, f);
	heap_account((int64_t)a.len);
	return p;
}

static void large_free(const void *p, const struct heap_site *site)
{
	struct heap_large *l = large_find(p, true);

	if (!l) {
		debug_report_bad_free(p, "not allocated by the heap (or freed already)", site);
		return;
	}
	heap_account(-(int64_t)l->area.len);
	heap.src->large_put(&l->area);
	cache_free(heap_large_cache, slab_of(l), l, NULL);
}

static size_t large_usable(const struct heap_large *l)
{
	return heap.debug ? l->size
			  : (size_t)((uintptr_t)l->area.base + l->area.len - (uintptr_t)l->ptr);
}

/*
 * Resize the large area at @p in place or by moving its pages (large_resize
 * in heap_pages.h). NULL if the page source cannot, and then the caller
 * copies; never with the debug checks (they keep the requested size), nor
 * for over-aligned areas (their pointer is not their base).
 */
static void *large_resize(void *p, size_t size)
{
	if (!heap.src->large_resize || heap.debug)
		return NULL;
	unsigned long f = spin_lock_irqsave(&heap.large_lock);
	struct heap_large *l = large_find_locked(p, true);
	if (l && l->ptr != l->area.base) {
		large_link(l);
		l = NULL;
	}
	spin_unlock_irqrestore(&heap.large_lock, f);
	if (!l)
		return NULL;
	size_t was = l->area.len;
	void *q = heap.src->large_resize(&l->area, size);
	if (q) {
		l->ptr = q;
		l->size = size;
	}
	f = spin_lock_irqsave(&heap.large_lock);
	large_link(l);
	spin_unlock_irqrestore(&heap.large_lock, f);
	if (q)
		heap_account((int64_t)l->area.len - (int64_t)was);
	return q;
}

/* --- DMA areas beyond the size classes: one-object slabs from ZONE_DMA --------------- */

static void *dma_large_alloc(size_t size)
{
	unsigned order = HEAP_SLAB_ORDER;

	while ((PAGE_SIZE << order) < size + HEAP_SLAB_HDR)
		order++;
	struct slab *s = heap.src->pages_get(order, HEAP_PG_DMA);
	if (!s)
		return NULL;
	*s = (struct slab){ .magic = HEAP_SLAB_MAGIC, .cache = &heap.dma_large, .capacity = 1,
			    .inuse = 1, .order = (uint8_t)order, .large_size = (uint32_t)size };
	s->objs = (uintptr_t)s + HEAP_SLAB_HDR;
	__atomic_add_fetch(&heap.dma_large_bytes, PAGE_SIZE << order, __ATOMIC_RELAXED);
	heap_account((int64_t)(PAGE_SIZE << order));
	return (void *)s->objs;
}

static void dma_large_free(struct slab *s, const void *p, const struct heap_site *site)
{
	if ((uintptr_t)p != s->objs) {
		debug_report_bad_free(p, "inside a DMA area", site);
		return;
	}
	__atomic_sub_fetch(&heap.dma_large_bytes, PAGE_SIZE << s->order, __ATOMIC_RELAXED);
	heap_account(-(int64_t)(PAGE_SIZE << s->order));
	s->magic = 0;
	heap.src->pages_put(s, s->order);
}

/* --- the kmalloc family ----------------------------------------------------------------- */

/* Red zone the debug build keeps after every kmalloc object. */
static inline size_t with_redzone(size_t size)
{
#ifdef MM_HEAP_DEBUG
	return heap.debug ? size + 8 : size;
#else
	return size;
#endif
}

#ifdef KMALLOC_THREAD_FAST
/* The cache id of the class for @need bytes (0 .. KMALLOC_MAX_SIZE; 0 counts as 1). */
static inline unsigned class_id(size_t need)
{
	return likely(need <= SMALL_ID_MAX) ? small_id[(need + 7) >> 3]
					    : heap.kmalloc_cache[size_index(need)].id;
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
	return size <= KMALLOC_MAX_SIZE ? thread_pop(heap.kmalloc_cache[size_index(size)].id) : NULL;
}
#endif

/* A kmalloc class object (malloc build: the thread's list found by a table lookup). */
static inline __attribute__((always_inline))
void *kmalloc_class(size_t need, const struct heap_site *site, size_t size)
{
#ifndef KMALLOC_THREAD_FAST
	return cache_alloc(&heap.kmalloc_cache[size_index(need)], site, size);
#else
	(void)site;
	(void)size;
	unsigned id = class_id(need);
	void *obj = thread_pop(id);
	return likely(obj != NULL) ? obj : cache_alloc_slow(heap.cache[id]);
#endif
}

static inline __attribute__((always_inline))
void *do_kmalloc(size_t size, const struct heap_site *site)
{
	size_t need = with_redzone(size);

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (likely(need <= KMALLOC_MAX_SIZE))
		return kmalloc_class(need, site, size);
	if (size > LARGE_MAX)
		return NULL;
	return large_alloc(size, PAGE_SIZE, 0, site);
}

void *kmalloc_at(size_t size, const char *file, int line)
{
	return do_kmalloc(size, HEAP_SITE(file, line));
}

void *(kmalloc)(size_t size)
{
	return do_kmalloc(size, HEAP_SITE(NULL, 0));
}

void *kzalloc_at(size_t size, const char *file, int line)
{
	/* A large area comes zeroed from the page source: fresh mappings need no memset. */
	if (with_redzone(size) > KMALLOC_MAX_SIZE && size <= LARGE_MAX)
		return large_alloc(size, PAGE_SIZE, HEAP_PG_ZERO, HEAP_SITE(file, line));
	void *p = do_kmalloc(size, HEAP_SITE(file, line));

	if (!ZERO_OR_NULL_PTR(p))
		memset(p, 0, size);
	return p;
}

void *(kzalloc)(size_t size)
{
	return kzalloc_at(size, NULL, 0);
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
void do_kfree(const void *p, const struct heap_site *site)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	struct slab *s = slab_lookup(p);
	if (likely(s != NULL)) {
		if (unlikely(s->cache == &heap.dma_large))
			dma_large_free(s, p, site);
		else
			cache_free(s->cache, s, (void *)p, site);
		return;
	}
	large_free(p, site);
}

void kfree_at(const void *p, const char *file, int line)
{
	do_kfree(p, HEAP_SITE(file, line));
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
	do_kfree(p, HEAP_SITE(NULL, 0));
}

/* Bytes @p may grow to in place; 0 if @p is not ours. */
static size_t usable_size(const void *p)
{
	struct slab *s = slab_lookup(p);

	if (s) {
		if (likely(s->usable))		/* every slab of a plain cache */
			return s->usable;
		struct kmem_cache *c = s->cache;
		if (c == &heap.dma_large)
			return s->large_size;
		if (c->debug) {
			uint32_t i = slab_index(c, s, p);
			return i == UINT32_MAX ? 0 : c->obj_size - 8;
		}
		return c->ctor ? c->obj_size : c->size;
	}
	struct heap_large *l = large_find(p, false);
	return l ? (size_t)((uintptr_t)l->area.base + l->area.len - (uintptr_t)p) : 0;
}

size_t ksize(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	struct slab *s = slab_lookup(p);
	if (s && s->cache->debug) {
		uint32_t i = slab_index(s->cache, s, p);
		return i == UINT32_MAX ? 0 : s->meta[i].req_size;
	}
	if (!s && heap.debug) {
		struct heap_large *l = large_find(p, false);
		return l ? large_usable(l) : 0;
	}
	return usable_size(p);
}

void *krealloc_at(void *p, size_t size, const char *file, int line)
{

	if (ZERO_OR_NULL_PTR(p))
		return do_kmalloc(size, HEAP_SITE(file, line));
	if (!size) {
		do_kfree(p, HEAP_SITE(file, line));
		return ZERO_SIZE_PTR;
	}
	size_t room = usable_size(p), old = heap.debug ? ksize(p) : room;
	if (!room) {
		debug_report_bad_free(p, "krealloc of memory the heap does not know",
				      HEAP_SITE(file, line));
		return NULL;
	}
	struct slab *s = slab_lookup(p);
	if (size <= room) {
		if (s && s->cache->debug) {	/* new red zone */
			struct heap_objmeta *m = &s->meta[slab_index(s->cache, s, p)];
			if (size > m->req_size)
				memset((char *)p + m->req_size, 0, size - m->req_size);
			memset((char *)p + size, HEAP_REDZONE_BYTE, s->cache->size - size);
			m->req_size = (uint32_t)size;
		}
		/* A large area that shrinks by a quarter or more gives its tail pages back. */
		if (!s && room - size >= MM_MAX(room / 4, (size_t)PAGE_SIZE)) {
			void *q = size > KMALLOC_MAX_SIZE ? large_resize(p, size) : NULL;
			if (!q && size <= KMALLOC_MAX_SIZE && (q = do_kmalloc(size, HEAP_SITE(file, line)))) {
				memcpy(q, p, size);
				do_kfree(p, HEAP_SITE(file, line));
			}
			return q ? q : p;
		}
		return p;
	}
	/* A large area grows into its headroom, or moves by remapping its pages. */
	if (!s) {
		void *q = large_resize(p, size);
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
	if (!heap.debug && size <= KMALLOC_MAX_SIZE)
		want = MM_MIN(size + size / 4, (size_t)KMALLOC_MAX_SIZE);
	if (want > KMALLOC_REALLOC_LARGE && heap.src->large_resize && !heap.debug)
		q = large_alloc(want, PAGE_SIZE, 0, HEAP_SITE(file, line));
	else
		q = do_kmalloc(want, HEAP_SITE(file, line));
	if (!q)
		return NULL;
	memcpy(q, p, MM_MIN(old, size));
	do_kfree(p, HEAP_SITE(file, line));
	return q;
}

void *(krealloc)(void *p, size_t size)
{
	return krealloc_at(p, size, NULL, 0);
}

void *kmalloc_aligned_at(size_t size, size_t align, const char *file, int line)
{

	if (!power_of_two(align))
		return NULL;
	if (!size)
		size = 1;
	if (align <= 8)
		return do_kmalloc(size, HEAP_SITE(file, line));
	if (align == 16 && with_redzone(size) <= 128) {		/* all classes but 8 and 24 */
		size_t need = with_redzone(size);
		size_t cls = need <= 16 ? 16 : need <= 32 ? 32 : need;
		return cache_alloc(&heap.kmalloc_cache[size_index(cls)], HEAP_SITE(file, line), size);
	}
	/* Power-of-two classes are naturally aligned. */
	size_t p2 = MM_MAX(with_redzone(size), align);
	if (align <= 16)
		return do_kmalloc(size, HEAP_SITE(file, line));
	if (p2 <= KMALLOC_MAX_SIZE) {
		p2 = (size_t)1 << (64 - __builtin_clzll(p2 - 1));
		if (p2 <= KMALLOC_MAX_SIZE)
			return cache_alloc(&heap.kmalloc_cache[size_index(p2)], HEAP_SITE(file, line), size);
	}
	if (size > LARGE_MAX || align > LARGE_ALIGN_MAX)
		return NULL;
	return large_alloc(size, MM_MAX(align, (size_t)PAGE_SIZE), 0, HEAP_SITE(file, line));
}

void *(kmalloc_aligned)(size_t size, size_t align)
{
	return kmalloc_aligned_at(size, align, NULL, 0);
}

void *kmalloc_dma_at(size_t size, const char *file, int line)
{
	size_t need = with_redzone(size);

	if (!size)
		return ZERO_SIZE_PTR;
	if (need <= KMALLOC_MAX_SIZE)
		return cache_alloc(&heap.dma_cache[size_index(need)], HEAP_SITE(file, line), size);
	if (size > DMA_LARGE_MAX)
		return NULL;
	return dma_large_alloc(size);
}

void *(kmalloc_dma)(size_t size)
{
	return kmalloc_dma_at(size, NULL, 0);
}

bool heap_owns(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return false;
	struct slab *s = slab_lookup(p);
	if (!s)
		return large_find(p, false) != NULL;
	if (s->cache == &heap.dma_large)
		return (uintptr_t)p == s->objs;
	uint32_t i = slab_index(s->cache, s, p);
	if (i == UINT32_MAX || i >= s->carved)
		return false;
	return !s->cache->debug || s->meta[i].state == HEAP_OBJ_LIVE;
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

struct sum {
	uint64_t slab_bytes;
};

static void add_cache(struct kmem_cache *c, void *ctx)
{
	struct kmem_cache_stats st;
	struct sum *s = ctx;

	kmem_cache_get_stats(c, &st);
	s->slab_bytes += st.slabs * HEAP_SLAB_SIZE;
}

void heap_get_stats(memory_stats_t *st)
{
	struct sum sum = { 0 };
	uint64_t na = 0, nf = 0;
	int64_t live = 0;

	*st = (memory_stats_t){ 0 };
	heap.src->phys(&st->total_physical, &st->used_physical);
	st->free_physical = st->total_physical - st->used_physical;
	kmem_cache_for_each(add_cache, &sum);
	unsigned long irq = spin_lock_irqsave(&heap.cpus_lock);
#ifdef MM_KERNEL
	for (unsigned i = 0; i < MM_MAX_CPUS; i++) {
		struct heap_cpu *hc = &heap_cpu_array[i];
#else
	for (struct heap_cpu *hc = heap.cpus; hc; hc = hc->next) {
#endif
		na += __atomic_load_n(&hc->nalloc, __ATOMIC_RELAXED);
		nf += __atomic_load_n(&hc->nfree, __ATOMIC_RELAXED);
		live += __atomic_load_n(&hc->live_bytes, __ATOMIC_RELAXED);
		for (unsigned id = 0; id < HEAP_MAX_CACHES; id++) {
			const struct heap_cpu_list *l = &hc->list[id];
			uint64_t a = heap_list_nalloc(l);
			uint64_t f = __atomic_load_n(&l->nfree, __ATOMIC_RELAXED);
			struct kmem_cache *c = __atomic_load_n(&heap.cache[id], __ATOMIC_RELAXED);
			na += a;
			nf += f;
			if (c)
				live += (int64_t)(a - f) * c->size;
		}
	}
	na += heap.gone_nalloc;
	nf += heap.gone_nfree;
	live += heap.gone_bytes;
	spin_unlock_irqrestore(&heap.cpus_lock, irq);
	irq = spin_lock_irqsave(&heap.large_lock);
	st->large_bytes = heap.large_bytes;
	st->large_count = heap.large_count;
	spin_unlock_irqrestore(&heap.large_lock, irq);
	st->slab_bytes = sum.slab_bytes;
	st->heap_size = sum.slab_bytes + st->large_bytes +
			__atomic_load_n(&heap.dma_large_bytes, __ATOMIC_RELAXED);
	st->heap_used = live > 0 ? (uint64_t)live : 0;
	st->heap_free = st->heap_size > st->heap_used ? st->heap_size - st->heap_used : 0;
	st->allocation_count = na;
	st->free_count = nf;
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
	kmem_cache_for_each(shrink_one, NULL);
}
