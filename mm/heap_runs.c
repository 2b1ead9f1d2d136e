// SPDX-License-Identifier: MIT
/*
 * Page runs: mid-size objects (above HEAP_RUN_MIN bytes, up to half a slab)
 * as runs of whole pages, best fit, in slabs that every such size shares.
 *
 * A size class keeps its slabs to itself: a few survivors of a phase pin
 * a class's slabs, and the free pages between them serve no other size
 * (they can only be given back to the page source and faulted in again by
 * the next class). Here a freed run joins its free neighbours at once and
 * any later request of any mid size can take it, still resident: a program
 * whose sizes change reuses the same pages. A free run that stayed unused
 * for a whole window of HEAP_PURGE_DECAY_NS gives its pages back
 * (pages_purge, where the page source can), and a run slab that is wholly
 * free goes back to the page source, beyond one kept.
 *
 * A run slab is a HEAP_SLAB_SIZE slab like any other (slab_lookup() finds
 * it; its cache is the heap's runs.cache). Its first page holds struct slab
 * and the page map (struct run_node per page), the others are runs. Free
 * runs are on lists by length, newest first; a bit mask of non-empty lists
 * makes best fit a find-first-set.
 *
 * Locking: one lock per heap (runs.lock), a leaf except for pages_purge,
 * which runs under it (a run being given back must not be handed out).
 * The page source's pages_get and pages_put are called without it.
 */
#include "heap_impl.h"

#ifndef HEAP_RUN_DECAY_NS
#define HEAP_RUN_DECAY_NS	HEAP_PURGE_DECAY_NS
#endif

_Static_assert(HEAP_SLAB_HDR + RUN_PAGES * sizeof(struct run_node) <= PAGE_SIZE,
	       "the run map outgrew a slab's first page");
_Static_assert(RUN_PAGES <= 256, "run_node.head holds a page index");

static struct run_node *run_map(const struct slab *s)
{
	return (struct run_node *)((uintptr_t)s + HEAP_SLAB_HDR);
}

static struct slab *node_slab(const struct run_node *n)
{
	return slab_of(n);
}

static unsigned node_index(const struct run_node *n)
{
	return (unsigned)(n - run_map(node_slab(n)));
}

static uint32_t now_ms(const struct heap *h)
{
	return h->src->now_ns ? (uint32_t)(h->src->now_ns() / 1000000) : 0;
}

static void bucket_add(struct heap_runs *r, struct run_node *n)
{
	unsigned len = n->len;

	n->prev = NULL;
	n->next = r->bucket[len];
	if (n->next)
		n->next->prev = n;
	r->bucket[len] = n;
	r->mask[len / 64] |= 1ull << (len % 64);
}

static void bucket_del(struct heap_runs *r, struct run_node *n)
{
	unsigned len = n->len;

	if (n->prev)
		n->prev->next = n->next;
	else
		r->bucket[len] = n->next;
	if (n->next)
		n->next->prev = n->prev;
	if (!r->bucket[len])
		r->mask[len / 64] &= ~(1ull << (len % 64));
}

/* The shortest non-empty list of runs of @len pages or more, or 0. */
static unsigned best_fit(const struct heap_runs *r, unsigned len)
{
	for (unsigned w = len / 64; w < ARRAY_SIZE(r->mask); w++) {
		uint64_t m = r->mask[w];
		if (w == len / 64)
			m &= ~0ull << (len % 64);
		if (m)
			return w * 64 + (unsigned)__builtin_ctzll(m);
	}
	return 0;
}

static bool page_purged(const struct slab *s, unsigned pg)
{
	return s->purged[pg / 64] >> (pg % 64) & 1;
}

/* Pages [@pg, @pg + @n) of @s: no longer given back (they are handed out). */
static void unpurge(struct heap_runs *r, struct slab *s, unsigned pg, unsigned n)
{
	for (unsigned i = pg; i < pg + n; i++) {
		if (page_purged(s, i)) {
			s->purged[i / 64] &= ~(1ull << (i % 64));
			r->purged_pages--;
		}
	}
}

/* Record pages [@pg, @pg + @len) of @s as one run, free or not; the free one listed. */
static void set_run(struct heap_runs *r, struct slab *s, unsigned pg, unsigned len, bool free,
		    uint32_t freed_ms)
{
	struct run_node *map = run_map(s), *n = &map[pg], *last = &map[pg + len - 1];

	n->len = (uint16_t)len;
	n->first = 1;
	n->free = free;
	last->free = free;
	last->head = (uint8_t)pg;
	if (free) {
		n->freed_ms = freed_ms;
		bucket_add(r, n);
	}
}

/* A new run slab: one free run of every page but the first. Lock not held. */
static struct slab *run_slab_new(struct heap *h)
{
	struct slab *s = h->src->pages_get(HEAP_SLAB_ORDER, 0);

	if (!s)
		return NULL;
	*s = (struct slab){ .magic = h->magic, .cache = &h->runs.cache, .order = HEAP_SLAB_ORDER,
			    .capacity = RUN_PAGES - 1 };
	s->objs = (uintptr_t)s + PAGE_SIZE;
	memset(run_map(s), 0, RUN_PAGES * sizeof(struct run_node));
	return s;
}

/* Give back the pages of free run @n not given back yet; lock held. */
static void purge_run(struct heap *h, struct run_node *n)
{
	struct slab *s = node_slab(n);
	unsigned pg = node_index(n), end = pg + n->len;
	struct heap_range ranges[RUN_PAGES / 2 + 1];
	unsigned nr = 0;

	for (unsigned i = pg; i < end;) {
		if (page_purged(s, i)) {
			i++;
			continue;
		}
		unsigned j = i;
		while (j < end && !page_purged(s, j)) {
			s->purged[j / 64] |= 1ull << (j % 64);
			j++;
		}
		ranges[nr++] = (struct heap_range){ (char *)s + (uintptr_t)i * PAGE_SIZE,
						    (size_t)(j - i) * PAGE_SIZE };
		h->runs.purged_pages += j - i;
		h->runs.purged_total += j - i;
		i = j;
	}
	if (nr)
		h->src->pages_purge(ranges, nr);
}

/*
 * The decay: once a window of HEAP_RUN_DECAY_NS has passed, the free runs
 * freed before it began (unused all through it) give their pages back. A
 * run that could not serve a request is not given back at once: the next
 * smaller request takes it resident. Lock held.
 */
static void runs_decay(struct heap *h)
{
	struct heap_runs *r = &h->runs;

	if (!h->src->pages_purge || !h->src->now_ns || r->free_pages == r->purged_pages)
		return;
	uint64_t now = h->src->now_ns();
	if (now - r->window_ns < HEAP_RUN_DECAY_NS)
		return;
	uint32_t before = (uint32_t)(r->window_ns / 1000000);
	__atomic_store_n(&r->window_ns, now, __ATOMIC_RELAXED);
	for (unsigned len = 1; len < RUN_PAGES; len++)
		for (struct run_node *n = r->bucket[len]; n; n = n->next)
			if ((int32_t)(before - n->freed_ms) >= 0)
				purge_run(h, n);
}

/**
 * heap_runs_tick() - the decay of free runs, from the heap's slow paths
 * @h: the heap
 *
 * Cheap until a window ends.
 */
void heap_runs_tick(struct heap *h)
{
	struct heap_runs *r = &h->runs;

	if (!__atomic_load_n(&r->max, __ATOMIC_RELAXED) || !h->src->now_ns ||
	    h->src->now_ns() - __atomic_load_n(&r->window_ns, __ATOMIC_RELAXED) < HEAP_RUN_DECAY_NS)
		return;
	unsigned long f = spin_lock_irqsave(&r->lock);
	runs_decay(h);
	spin_unlock_irqrestore(&r->lock, f);
}

/**
 * runs_alloc() - @size bytes (HEAP_RUN_MIN < @size <= runs.max) as a run of pages
 * @h: the heap
 * @size: bytes
 *
 * Return: the run's first page, or NULL if out of memory.
 */
void *runs_alloc(struct heap *h, size_t size)
{
	struct heap_runs *r = &h->runs;
	unsigned want = (unsigned)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	struct slab *fresh = NULL;
	unsigned long f = spin_lock_irqsave(&r->lock);
	unsigned len;

	/* Allocation ages the size classes not in use (mm/slab_purge.c), as refills do. */
	__atomic_add_fetch(&h->alloc_clock, (uint64_t)want * PAGE_SIZE, __ATOMIC_RELAXED);
	while (!(len = best_fit(r, want))) {
		if (fresh) {		/* a whole slab for it */
			r->slabs++;
			r->free_pages += RUN_PAGES - 1;
			set_run(r, fresh, 1, RUN_PAGES - 1, true, now_ms(h));
			fresh = NULL;
			continue;
		}
		spin_unlock_irqrestore(&r->lock, f);
		heap_purge_tick(h, true);
		fresh = run_slab_new(h);
		f = spin_lock_irqsave(&r->lock);
		if (!fresh && !best_fit(r, want)) {
			spin_unlock_irqrestore(&r->lock, f);
			return NULL;
		}
	}
	struct run_node *n = r->bucket[len];
	struct slab *s = node_slab(n);
	unsigned pg = node_index(n);
	bucket_del(r, n);
	if (s == r->spare)
		r->spare = NULL;
	if (len > want)
		set_run(r, s, pg + want, len - want, true, n->freed_ms);
	set_run(r, s, pg, want, false, 0);
	r->free_pages -= want;
	unpurge(r, s, pg, want);
	runs_decay(h);
	spin_unlock_irqrestore(&r->lock, f);
	if (fresh)			/* another thread's free served us meanwhile */
		h->src->pages_put(fresh, HEAP_SLAB_ORDER);
	heap_account(h, (int64_t)want * PAGE_SIZE);
	return (char *)s + (uintptr_t)pg * PAGE_SIZE;
}

/* The first page of the allocated run at @p in @s, or 0 if @p is not one. */
static unsigned run_at(const struct slab *s, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)s;
	unsigned pg = (unsigned)(off / PAGE_SIZE);

	if (off % PAGE_SIZE || !pg || pg >= RUN_PAGES)
		return 0;
	const struct run_node *n = &run_map(s)[pg];
	return n->first && !n->free ? pg : 0;
}

/*
 * Pages [@pg, @pg + @len) of @s become free: joined with free neighbours and
 * listed. Returns @s if it is now wholly free and not kept (the caller gives
 * it back without the lock), else NULL. Lock held.
 */
static struct slab *free_pages(struct heap *h, struct slab *s, unsigned pg, unsigned len)
{
	struct heap_runs *r = &h->runs;
	struct run_node *map = run_map(s);
	uint32_t t = now_ms(h);

	r->free_pages += len;
	if (pg + len < RUN_PAGES && map[pg + len].free) {	/* the next run */
		struct run_node *next = &map[pg + len];
		bucket_del(r, next);
		next->first = 0;
		len += next->len;
	}
	if (pg > 1 && map[pg - 1].free) {			/* the previous run */
		struct run_node *prev = &map[map[pg - 1].head];
		bucket_del(r, prev);
		map[pg].first = 0;
		len += prev->len;
		pg = map[pg - 1].head;
	}
	set_run(r, s, pg, len, true, t);
	if (len < RUN_PAGES - 1)
		return NULL;
	if (!r->spare) {
		r->spare = s;
		return NULL;
	}
	bucket_del(r, &map[1]);
	r->slabs--;
	r->free_pages -= len;
	for (unsigned i = 1; i < RUN_PAGES; i++)
		if (page_purged(s, i))
			r->purged_pages--;
	return s;
}

/**
 * runs_free() - give back the run at @p
 * @h: the heap
 * @s: its run slab
 * @p: the pointer freed
 * @site: the caller, for the report of a bad free
 */
void runs_free(struct heap *h, struct slab *s, const void *p, const struct heap_site *site)
{
	struct heap_runs *r = &h->runs;
	unsigned long f = spin_lock_irqsave(&r->lock);
	unsigned pg = run_at(s, p);

	if (!pg) {
		spin_unlock_irqrestore(&r->lock, f);
		debug_report_bad_free(h, p, "not the start of a page run in use", site);
		return;
	}
	unsigned len = run_map(s)[pg].len;
	struct slab *gone = free_pages(h, s, pg, len);
	runs_decay(h);
	spin_unlock_irqrestore(&r->lock, f);
	heap_account(h, -(int64_t)len * PAGE_SIZE);
	if (gone) {
		gone->magic = 0;
		h->src->pages_put(gone, HEAP_SLAB_ORDER);
	}
}

/**
 * runs_usable() - bytes of the run at @p, 0 if @p does not start one in use
 * @s: its run slab
 * @p: the pointer
 */
size_t runs_usable(const struct slab *s, const void *p)
{
	unsigned pg = run_at(s, p);

	return pg ? (size_t)run_map(s)[pg].len * PAGE_SIZE : 0;
}

/**
 * runs_resize() - make the run at @p hold @size bytes where it lies
 * @h: the heap
 * @s: its run slab
 * @p: the run (in use)
 * @size: bytes, at most runs.max
 *
 * Grows into the free run that follows, or gives back the tail pages.
 * Return: true if the run now holds @size bytes at @p.
 */
bool runs_resize(struct heap *h, struct slab *s, void *p, size_t size)
{
	struct heap_runs *r = &h->runs;
	unsigned want = (unsigned)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	unsigned long f = spin_lock_irqsave(&r->lock);
	unsigned pg = run_at(s, p);
	struct run_node *map = run_map(s);
	struct slab *gone = NULL;
	bool ok = false;
	unsigned len = pg ? map[pg].len : 0;

	if (pg && want > len) {
		struct run_node *next = &map[pg + len];
		if (pg + len < RUN_PAGES && next->free && len + next->len >= want) {
			unsigned nlen = next->len, take = want - len;
			uint32_t t = next->freed_ms;
			bucket_del(r, next);
			next->first = 0;
			if (s == r->spare)
				r->spare = NULL;
			if (nlen > take)
				set_run(r, s, pg + want, nlen - take, true, t);
			set_run(r, s, pg, want, false, 0);
			r->free_pages -= take;
			unpurge(r, s, pg + len, take);
			ok = true;
		}
	} else if (pg) {
		if (want < len) {
			set_run(r, s, pg, want, false, 0);
			map[pg + want].first = 1;
			gone = free_pages(h, s, pg + want, len - want);
		}
		ok = true;
	}
	spin_unlock_irqrestore(&r->lock, f);
	if (ok && want != len)
		heap_account(h, ((int64_t)want - (int64_t)len) * PAGE_SIZE);
	if (gone) {
		gone->magic = 0;
		h->src->pages_put(gone, HEAP_SLAB_ORDER);
	}
	return ok;
}

/**
 * runs_shrink() - give back every free run's pages and the kept free slab
 * @h: the heap
 *
 * Return: pages given back.
 */
unsigned long runs_shrink(struct heap *h)
{
	struct heap_runs *r = &h->runs;
	unsigned long f = spin_lock_irqsave(&r->lock);
	uint64_t before = r->purged_pages;
	struct slab *spare = r->spare;

	if (spare) {
		struct run_node *map = run_map(spare);
		r->spare = NULL;
		bucket_del(r, &map[1]);
		r->slabs--;
		r->free_pages -= RUN_PAGES - 1;
		for (unsigned i = 1; i < RUN_PAGES; i++)
			if (page_purged(spare, i))
				r->purged_pages--, before--;
	}
	if (h->src->pages_purge)
		for (unsigned len = 1; len < RUN_PAGES; len++)
			for (struct run_node *n = r->bucket[len]; n; n = n->next)
				purge_run(h, n);
	unsigned long pages = (unsigned long)(r->purged_pages - before);
	spin_unlock_irqrestore(&r->lock, f);
	if (spare) {
		spare->magic = 0;
		h->src->pages_put(spare, HEAP_SLAB_ORDER);
		pages += RUN_PAGES;
	}
	return pages;
}

/**
 * heap_runs_init() - switch page runs on for @h (heap_init(HEAP_PAGE_RUNS))
 * @h: the heap, not a debug one
 */
void heap_runs_init(struct heap *h)
{
	h->runs.cache = (struct kmem_cache){ .heap = h, .name = "page-runs", .size = PAGE_SIZE };
	h->runs.max = HEAP_SLAB_SIZE / 2;
	h->runs.window_ns = h->src->now_ns ? h->src->now_ns() : 0;
}
