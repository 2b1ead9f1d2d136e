// SPDX-License-Identifier: MIT
/*
 * Free pages inside partly used slabs, given back to the page source.
 *
 * A slab whose free objects come to HEAP_PURGE_MIN bytes is queued on its
 * cache. Once it has waited HEAP_PURGE_DELAY_NS, and its cache has not
 * refilled a per-CPU list for as long (a class that a phase of the program
 * has left behind: frees into it are not use), the pages it holds that only free objects
 * cover are given back (pages_purge: MADV_DONTNEED in the malloc build), so
 * any size class, or any other user of memory, can have them. A class still
 * in use decays instead: at the end of each window of HEAP_PURGE_DELAY_NS,
 * its queued slabs give back about as many bytes as its slabs' free lists
 * never went below during the window (free_low: memory that stayed unused
 * all through it, such as a class the program's sizes are slowly leaving,
 * still freed into and now and then allocated from). A class that draws on
 * its free objects pays no page faults for them. When the heap
 * must take more memory from its page source, it
 * does not wait: classes not used while the heap handed out
 * HEAP_PURGE_IDLE_BYTES give their free pages back first, and so does the
 * calling thread's list of them.
 *
 * A purged page reads as zero, so the objects that start in it leave the
 * slab's free list: they are "dormant", and return to it, page by page, when
 * the slab has nothing else to give (slab_revive()).
 *
 * A page source with pages_restore (the kernel's slab arena, mm/heap_arena.c)
 * unmaps a purged page: nothing may touch it until pages_restore() has
 * mapped memory there again. Then every object that overlaps a purged page
 * is dormant, not only those that start in it, and slab_revive() restores
 * every purged page the objects it revives overlap before they go back on
 * the free list; if memory for that cannot be had, the slab has nothing to
 * give and the allocation fails cleanly.
 *
 * Only page sources with pages_purge and now_ns take part (the malloc
 * build's; the kernel's when the platform gives its slabs an arena); not
 * caches with a constructor (objects keep their state while free) nor debug
 * caches (free objects hold poison).
 *
 * Locking: a cache's queue is under its lock, and so is its bit in
 * heap_global.purge_mask (atomic, read without a lock). The scan runs with no lock
 * held on entry, takes one cache's lock at a time, and only one thread
 * scans at once (heap_global.purging).
 */
#include "heap_impl.h"

#define SLAB_PAGES	(HEAP_SLAB_SIZE / PAGE_SIZE)
/* Pages a scan must free when the source unmaps them (the kernel's arena): no system call to amortise. */
#define HEAP_ARENA_PURGE_MIN_PAGES	2

static bool page_purged(const struct slab *s, unsigned pg)
{
	return s->purged[pg / 64] >> (pg % 64) & 1;
}

/* Free objects of @s that are not given back yet. */
static uint32_t slab_free_objs(const struct slab *s)
{
	return s->carved - s->inuse - s->dormant;
}

/**
 * slab_purge_note() - queue @s to have its free pages given back, if worth it
 * @c: its cache, locked
 * @s: a slab of @c that objects came back to
 *
 * Worth it once its free objects come to HEAP_PURGE_MIN bytes, and since its
 * last scan either more is free by 1/64 of the slab and by a quarter of what
 * was free then, or half the objects then in use are gone (the last
 * survivors on a page die a few at a time). A scan walks the free list
 * (a cache miss an object): growth by a quarter keeps the walks of a slab
 * whose free objects lie in pages survivors pin, and that is freed into
 * a few objects at a time, within a constant times its free objects.
 */
void slab_purge_note(struct kmem_cache *c, struct slab *s)
{
	uint32_t nfree = slab_free_objs(s);

	if (s->dirty || !c->purgeable || s->list != SLAB_LIST_PARTIAL ||
	    (uint64_t)nfree * c->size < HEAP_PURGE_MIN ||
	    ((uint64_t)(nfree - MM_MIN(nfree, s->scan_free)) * c->size <
		     MM_MAX((uint64_t)HEAP_SLAB_SIZE / 64, (uint64_t)s->scan_free * c->size / 4) &&
	     s->inuse > s->scan_inuse / 2))
		return;
	struct heap *h = c->heap;

	s->dirty = 1;
	s->dirty_since = h->src->now_ns();
	if (!c->dirty_head) {
		__atomic_store_n(&c->last_use_ns, s->dirty_since, __ATOMIC_RELAXED);
		__atomic_store_n(&c->last_use_at, __atomic_load_n(&h->alloc_clock, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	}
	s->dirty_next = NULL;
	s->dirty_prev = c->dirty_tail;
	if (c->dirty_tail)
		c->dirty_tail->dirty_next = s;
	else
		c->dirty_head = s;
	c->dirty_tail = s;
	__atomic_or_fetch(&h->purge_mask[c->id / 64], 1ull << (c->id % 64), __ATOMIC_RELAXED);
}

/**
 * slab_carve_all() - put every object of the new slab @s on its free list
 * @c: its cache, locked, purgeable over a source that unmaps
 *
 * Objects are carved lazily elsewhere (a new slab's pages touched only as
 * they are used), but a page never carved cannot be told from one that
 * was: in the kernel's arena every page of a slab is mapped from the start,
 * and one carved and freed could go back while one never carved stayed.
 */
void slab_carve_all(struct kmem_cache *c, struct slab *s)
{
	for (uint32_t i = s->capacity; i-- > s->carved;) {
		void *o = (void *)(s->objs + (uintptr_t)i * c->size);
		slab_push(c, s, o);
		c->free_objs++;
		slab_pfree_update(c, s, (uintptr_t)o, true);
	}
	s->carved = s->capacity;
}

/**
 * slab_purge_forget() - take @s off its cache's queue (it is being freed)
 * @c: its cache, locked
 * @s: the slab
 */
void slab_purge_forget(struct kmem_cache *c, struct slab *s)
{
	if (!s->dirty)
		return;
	if (s->dirty_prev)
		s->dirty_prev->dirty_next = s->dirty_next;
	else
		c->dirty_head = s->dirty_next;
	if (s->dirty_next)
		s->dirty_next->dirty_prev = s->dirty_prev;
	else
		c->dirty_tail = s->dirty_prev;
	s->dirty = 0;
}

/* Add the bytes of [@a, @a + @n) to the pages of @s they lie in. */
static void count_bytes(const struct slab *s, uint32_t *fb, uintptr_t a, uintptr_t n)
{
	uintptr_t end = a + n;

	while (a < end) {
		uintptr_t pg_end = ALIGN_DOWN(a, (uintptr_t)PAGE_SIZE) + PAGE_SIZE;
		uintptr_t stop = MM_MIN(end, pg_end);
		fb[(a - (uintptr_t)s) >> PAGE_SHIFT] += (uint32_t)(stop - a);
		a = stop;
	}
}

/* Objects of @c in @s starting in page @pg and carved: [*@lo, *@hi). */
static void page_objects(const struct kmem_cache *c, const struct slab *s, unsigned pg,
			 uint32_t *lo, uint32_t *hi)
{
	uintptr_t start = (uintptr_t)s + (uintptr_t)pg * PAGE_SIZE, end = start + PAGE_SIZE;
	uintptr_t first = start > s->objs ? start - s->objs : 0;

	*lo = (uint32_t)MM_MIN((first + c->size - 1) / c->size, (uintptr_t)s->carved);
	*hi = end > s->objs ? (uint32_t)MM_MIN((end - s->objs + c->size - 1) / c->size,
					       (uintptr_t)s->carved) : 0;
	if (*hi < *lo)
		*hi = *lo;
}

/* Objects of @c in @s overlapping page @pg and carved: [*@lo, *@hi). */
static void page_overlap(const struct kmem_cache *c, const struct slab *s, unsigned pg,
			 uint32_t *lo, uint32_t *hi)
{
	uintptr_t start = (uintptr_t)s + (uintptr_t)pg * PAGE_SIZE, end = start + PAGE_SIZE;

	if (end <= s->objs) {
		*lo = *hi = 0;
		return;
	}
	*lo = (uint32_t)MM_MIN((start > s->objs ? start - s->objs : 0) / c->size, (uintptr_t)s->carved);
	*hi = (uint32_t)MM_MIN((end - s->objs + c->size - 1) / c->size, (uintptr_t)s->carved);
	if (*hi < *lo)
		*hi = *lo;
}

/* The objects a purged page @pg puts to sleep: overlapping it if the source unmaps it. */
static void page_sleepers(const struct kmem_cache *c, const struct slab *s, unsigned pg,
			  uint32_t *lo, uint32_t *hi)
{
	if (c->heap->src->pages_restore)
		page_overlap(c, s, pg, lo, hi);
	else
		page_objects(c, s, pg, lo, hi);
}

/* Does the object at @o touch a page of @s set in @pages? Only its first page unless the source unmaps. */
static bool obj_in_pages(const struct kmem_cache *c, const struct slab *s, uintptr_t o,
			 const uint64_t *pages)
{
	unsigned first = (unsigned)((o - (uintptr_t)s) >> PAGE_SHIFT);
	unsigned last = c->heap->src->pages_restore ?
			(unsigned)((o + c->size - 1 - (uintptr_t)s) >> PAGE_SHIFT) : first;

	for (unsigned pg = first; pg <= last && pg < SLAB_PAGES; pg++)
		if (pages[pg / 64] >> (pg % 64) & 1)
			return true;
	return false;
}

/* Add the bytes of @s's dormant objects to the pages they lie in (@fb). */
static void count_dormant(const struct kmem_cache *c, const struct slab *s, uint32_t *fb)
{
	uint32_t counted = 0;	/* dormant objects below this index are counted (an object may overlap two pages) */

	for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
		if (!page_purged(s, pg))
			continue;
		uint32_t lo, hi;
		page_sleepers(c, s, pg, &lo, &hi);
		for (uint32_t i = MM_MAX(lo, counted); i < hi; i++)
			count_bytes(s, fb, s->objs + (uintptr_t)i * c->size, c->size);
		counted = MM_MAX(counted, hi);
	}
}

/**
 * slab_pfree_ok() - do @s's per-page free bytes match its free list and dormant objects?
 * @c: its cache, locked, purgeable
 * @s: the slab
 *
 * For heap_validate(): a walk of the free list, as the scan did before the counts.
 */
bool slab_pfree_ok(struct kmem_cache *c, struct slab *s)
{
	uint32_t fb[SLAB_PAGES] = { 0 };
	uint32_t listed = 0;

	for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
		bool set = s->fmask[pg / 64] >> (pg % 64) & 1;
		if (set != (s->fhead[pg] != 0) || set != (s->ftail[pg] != 0))
			return false;
		void *last = NULL;
		for (void *o = set ? slab_at(s, s->fhead[pg]) : NULL; o; o = fl_get(c, o), listed++) {
			if (slab_page(s, o) != pg || listed > s->carved)
				return false;
			count_bytes(s, fb, (uintptr_t)o, c->size);
			last = o;
		}
		if (set && last != slab_at(s, s->ftail[pg]))
			return false;
	}
	if (listed != slab_free_objs(s))
		return false;
	count_dormant(c, s, fb);
	for (unsigned pg = 0; pg < SLAB_PAGES; pg++)
		if (fb[pg] != s->pfree[pg])
			return false;
	return true;
}

/*
 * Take off the free lists of @s the objects that start in a page not in
 * @pages and reach into one that is (a source that unmaps: they would
 * touch it). Returns how many. Walks only the lists of pages whose last
 * object reaches past their end.
 */
static uint32_t unlink_reaching(const struct kmem_cache *c, struct slab *s, const uint64_t *pages)
{
	uint32_t n = 0;

	for (unsigned q = 0; q < SLAB_PAGES; q++) {
		if (!(s->fmask[q / 64] >> (q % 64) & 1))
			continue;
		uintptr_t pg_end = (uintptr_t)s + ((uintptr_t)q + 1) * PAGE_SIZE;
		uint32_t lo, hi;
		page_objects(c, s, q, &lo, &hi);
		uintptr_t reach = s->objs + (uintptr_t)hi * c->size;
		if (lo == hi || reach <= pg_end)
			continue;	/* no object starting here crosses into the next page */
		bool hit = false;
		for (unsigned pg = q + 1; pg < SLAB_PAGES && (uintptr_t)s + (uintptr_t)pg * PAGE_SIZE < reach; pg++)
			hit |= pages[pg / 64] >> (pg % 64) & 1;
		if (!hit)
			continue;
		void *prev = NULL;
		for (void *o = slab_at(s, s->fhead[q]); o;) {
			void *next = fl_get(c, o);
			if (obj_in_pages(c, s, (uintptr_t)o, pages)) {
				n++;
				if (prev)
					fl_set(c, prev, next);
				else
					s->fhead[q] = next ? slab_off(s, next) : 0;
			} else {
				prev = o;
			}
			o = next;
		}
		if (!s->fhead[q]) {
			s->ftail[q] = 0;
			s->fmask[q / 64] &= ~(1ull << (q % 64));
		} else {
			s->ftail[q] = slab_off(s, prev);
		}
	}
	return n;
}

/*
 * Give back the pages of @s that only free objects cover, if @min or more; @c
 * locked. Finding them reads the per-page free bytes, and their objects
 * leave the free lists with their pages' lists: O(pages), no walk through
 * free objects (but the lists of pages before them, where the source unmaps).
 */
static void slab_scan_min(struct kmem_cache *c, struct slab *s, unsigned min)
{
	uint64_t newly[(SLAB_PAGES + 63) / 64] = { 0 };
	uintptr_t carved_end = s->objs + (uintptr_t)s->carved * c->size;
	unsigned n = 0;

	s->scan_free = slab_free_objs(s);
	s->scan_inuse = s->inuse;
	for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
		uintptr_t a = (uintptr_t)s + (uintptr_t)pg * PAGE_SIZE;
		if (a >= s->objs && a + PAGE_SIZE <= carved_end && s->pfree[pg] == PAGE_SIZE &&
		    !page_purged(s, pg)) {
			newly[pg / 64] |= 1ull << (pg % 64);
			n++;
		}
	}
	/*
	 * Not worth the system call and the page faults after it; a source
	 * that unmaps pays one TLB shootdown, and a restore only when the page
	 * is wanted again.
	 */
	if (n < min)
		return;
	/* Their objects leave the free lists: the pages' own lists, dropped whole, */
	uint32_t asleep = 0;
	for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
		if (!(newly[pg / 64] >> (pg % 64) & 1) || !(s->fmask[pg / 64] >> (pg % 64) & 1))
			continue;
		if (c->heap->src->pages_restore) {	/* some may be dormant already (reaching a purged page) */
			for (void *o = slab_at(s, s->fhead[pg]); o; o = fl_get(c, o))
				asleep++;
		} else {				/* all free (the page is), none dormant */
			uint32_t lo, hi;
			page_objects(c, s, pg, &lo, &hi);
			asleep += hi - lo;
		}
		s->fhead[pg] = s->ftail[pg] = 0;
		s->fmask[pg / 64] &= ~(1ull << (pg % 64));
	}
	/* and, where the source unmaps, those reaching into them from the pages before. */
	if (c->heap->src->pages_restore)
		asleep += unlink_reaching(c, s, newly);
	s->dormant += asleep;
	cache_free_objs_sub(c, asleep);
	/* Then the pages, in runs that may take in pages given back before. */
	struct heap_range runs[SLAB_PAGES / 2 + 1];
	unsigned nr = 0;
	c->pages_purged += n;
	for (unsigned w = 0; w < ARRAY_SIZE(newly); w++)
		s->purged[w] |= newly[w];
	for (unsigned pg = 0; pg < SLAB_PAGES;) {
		if (!(newly[pg / 64] >> (pg % 64) & 1)) {
			pg++;
			continue;
		}
		unsigned end = pg, last = pg;
		while (end < SLAB_PAGES && page_purged(s, end)) {
			if (newly[end / 64] >> (end % 64) & 1)
				last = end;
			end++;
		}
		runs[nr++] = (struct heap_range){ (char *)s + (uintptr_t)pg * PAGE_SIZE,
						  (size_t)(last + 1 - pg) * PAGE_SIZE };
		pg = end;
	}
	c->heap->src->pages_purge(runs, nr);
	s->scan_free = slab_free_objs(s);
}

/* slab_scan_min() with the threshold of @c's page source. */
static void slab_scan(struct kmem_cache *c, struct slab *s)
{
	slab_scan_min(c, s, c->heap->src->pages_restore ? HEAP_ARENA_PURGE_MIN_PAGES : HEAP_PURGE_MIN_PAGES);
}

/* Put the dormant objects of @s overlapping the pages in @set on its free list; those pages are no longer purged. */
static void revive_pages(struct kmem_cache *c, struct slab *s, uint64_t set)
{
	uint32_t done = 0;

	for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
		if (!(set >> pg & 1))
			continue;
		s->purged[pg / 64] &= ~(1ull << (pg % 64));
		uint32_t lo, hi;
		page_overlap(c, s, pg, &lo, &hi);
		for (uint32_t i = hi; i-- > MM_MAX(lo, done);) {
			void *o = (void *)(s->objs + (uintptr_t)i * c->size);
			slab_push(c, s, o);
			s->dormant--;
			c->free_objs++;
		}
		done = MM_MAX(done, hi);
	}
}

/*
 * The purged pages the objects overlapping @set's pages touch, with @set:
 * reviving an object restores every page it lies in.
 */
static uint64_t revive_closure(const struct kmem_cache *c, const struct slab *s, uint64_t set)
{
	for (uint64_t before = 0; before != set;) {
		before = set;
		for (unsigned pg = 0; pg < SLAB_PAGES; pg++) {
			if (!(before >> pg & 1))
				continue;
			uint32_t lo, hi;
			page_overlap(c, s, pg, &lo, &hi);
			if (lo == hi)
				continue;
			uintptr_t a = s->objs + (uintptr_t)lo * c->size, b = s->objs + (uintptr_t)hi * c->size;
			for (unsigned q = (unsigned)((a - (uintptr_t)s) >> PAGE_SHIFT);
			     q < SLAB_PAGES && (uintptr_t)s + (uintptr_t)q * PAGE_SIZE < b; q++)
				if (page_purged(s, q))
					set |= 1ull << q;
		}
	}
	return set;
}

/*
 * slab_revive() for a source that unmaps purged pages: the first purged
 * page and those its objects reach are mapped again (pages_restore), then
 * their objects revived. False if memory could not be had: nothing changed.
 */
static bool revive_mapped(struct kmem_cache *c, struct slab *s)
{
	const struct heap_page_source *src = c->heap->src;
	unsigned pg = 0;

	while (pg < SLAB_PAGES && !page_purged(s, pg))
		pg++;
	if (pg == SLAB_PAGES)
		return false;
	uint64_t set = revive_closure(c, s, 1ull << pg), done = 0;
	for (unsigned a = 0; a < SLAB_PAGES;) {
		if (!(set >> a & 1)) {
			a++;
			continue;
		}
		unsigned b = a;
		while (b < SLAB_PAGES && (set >> b & 1))
			b++;
		struct heap_range r = { (char *)s + (uintptr_t)a * PAGE_SIZE, (size_t)(b - a) * PAGE_SIZE };
		if (src->pages_restore(&r)) {
			/* Out of memory: the pages mapped so far go back, all stay purged. */
			for (unsigned q = 0; q < SLAB_PAGES; q++)
				if (done >> q & 1) {
					struct heap_range u = { (char *)s + (uintptr_t)q * PAGE_SIZE, PAGE_SIZE };
					src->pages_purge(&u, 1);
				}
			return false;
		}
		done |= ((1ull << (b - a)) - 1) << a;
		a = b;
	}
	revive_pages(c, s, set);
	return true;
}

/**
 * slab_revive() - put the objects of @s's first purged page back on its free list
 * @c: the cache, locked
 * @s: a slab with dormant objects
 *
 * Return: false if it could not (a source that unmaps purged pages and has
 * no memory to map them again); the caller then has no object from @s.
 */
bool slab_revive(struct kmem_cache *c, struct slab *s)
{
	if (c->heap->src->pages_restore)
		return revive_mapped(c, s);
	for (unsigned pg = 0; pg < SLAB_PAGES && !slab_has_free(s); pg++) {
		if (!page_purged(s, pg))
			continue;
		s->purged[pg / 64] &= ~(1ull << (pg % 64));
		uint32_t lo, hi;
		page_objects(c, s, pg, &lo, &hi);
		for (uint32_t i = hi; i-- > lo;) {
			void *o = (void *)(s->objs + (uintptr_t)i * c->size);
			slab_push(c, s, o);
			s->dormant--;
			c->free_objs++;
		}
	}
	return slab_has_free(s);
}


/**
 * slab_purge_all() - give back the free pages of every queued slab of @c now
 * @c: a purgeable cache, locked
 *
 * For heap_shrink(): no delay, no look at whether the class is in use.
 * Where the source unmaps (the kernel's arena: memory is low when it is
 * called), every partly used slab gives back every wholly free page, queued
 * or not, so that what the heap holds afterwards depends only on its live
 * objects.
 */
void slab_purge_all(struct kmem_cache *c)
{
	struct slab *s;

	while ((s = c->dirty_head) != NULL) {
		slab_purge_forget(c, s);
		if (s->list == SLAB_LIST_PARTIAL)
			slab_scan(c, s);
	}
	if (c->heap->src->pages_restore)
		for (s = c->partial.head; s; s = s->next)
			if (slab_free_objs(s))
				slab_scan_min(c, s, 1);
	__atomic_and_fetch(&c->heap->purge_mask[c->id / 64], ~(1ull << (c->id % 64)), __ATOMIC_RELAXED);
}

/* @c has not been used since @idle_since (ns) nor since the heap's clock read @idle_at. */
static bool cache_idle(const struct kmem_cache *c, uint64_t idle_since, uint64_t idle_at)
{
	return __atomic_load_n(&c->last_use_ns, __ATOMIC_RELAXED) <= idle_since &&
	       __atomic_load_n(&c->last_use_at, __ATOMIC_RELAXED) <= idle_at;
}

/*
 * A window of @c (in use) ended at @now: its queued slabs give back about
 * the free memory that stayed unused all through it, oldest queued first.
 */
static void purge_unused(struct kmem_cache *c, uint64_t now)
{
	uint64_t want = c->free_low * c->size / PAGE_SIZE, from = c->pages_purged;
	struct slab *s;

	while (c->pages_purged - from < want && (s = c->dirty_head) != NULL) {
		slab_purge_forget(c, s);
		if (s->list == SLAB_LIST_PARTIAL)
			slab_scan(c, s);
	}
	c->window_ns = now;
	c->free_low = c->free_objs;
}

/*
 * Scan the queued slabs of @c: if @c is idle (see cache_idle()), those due
 * at @due; else, once its window ended at @now, what purge_unused() takes.
 * Returns the earliest time one will be due, or 0.
 */
static uint64_t purge_cache(struct kmem_cache *c, uint64_t now, uint64_t due, uint64_t idle_since,
			    uint64_t idle_at)
{
	uint64_t next = 0;
	struct slab *s;

	cache_lock(c);
	if (!cache_idle(c, idle_since, idle_at)) {	/* it draws on its free objects */
		if (now - c->window_ns >= HEAP_PURGE_DECAY_NS)
			purge_unused(c, now);
		/* its window's end, or when it may have gone idle */
		next = MM_MIN(c->window_ns + HEAP_PURGE_DECAY_NS,
			      __atomic_load_n(&c->last_use_ns, __ATOMIC_RELAXED) + HEAP_PURGE_DELAY_NS);
	} else {
		cache_flush_own_locked(c);	/* this thread's list of an idle class: dead weight */
		cache_orphan_flush_locked(c);	/* and an exited thread's */
		while ((s = c->dirty_head) != NULL) {
			if (s->dirty_since + HEAP_PURGE_DELAY_NS > due) {
				next = s->dirty_since + HEAP_PURGE_DELAY_NS;
				break;
			}
			slab_purge_forget(c, s);
			if (s->list == SLAB_LIST_PARTIAL)
				slab_scan(c, s);
		}
		cache_release_empty(c, 0);	/* idle: not even the empty slab an active class keeps */
	}
	if (!c->dirty_head) {
		next = 0;
		__atomic_and_fetch(&c->heap->purge_mask[c->id / 64], ~(1ull << (c->id % 64)),
				   __ATOMIC_RELAXED);
	}
	cache_unlock(c);
	return next;
}

/*
 * The heap grows: the calling thread's lists of classes idle since
 * @idle_since go back to their slabs, whose free pages can then be given
 * back (a list of a class the thread has left would keep them: its
 * objects may lie one on each of as many pages).
 */
static void flush_idle_lists(struct heap *h, uint64_t idle_at)
{
#ifdef MM_KERNEL
	(void)h;
	(void)idle_at;		/* per-CPU lists: flushed under the cache lock by purge_cache() */
#else
	struct heap_cpu *hc = h == &heap_global ? heap_tls : NULL;

	for (unsigned id = 0; hc && id < HEAP_MAX_CACHES; id++) {
		struct kmem_cache *c = __atomic_load_n(&h->cache[id], __ATOMIC_ACQUIRE);
		if (!c || !hc->list[id].head || !c->purgeable || !cache_idle(c, UINT64_MAX, idle_at))
			continue;
		cache_lock(c);
		cache_flush_own_locked(c);
		cache_release_empty(c, 0);
		cache_unlock(c);
	}
#endif
}

/**
 * heap_purge_tick() - give back the free pages of slabs that waited long enough
 * @h: the heap
 * @growing: the heap is about to take more memory from its page source: then
 *           the queued slabs of idle classes give their free pages back
 *           without waiting
 *
 * Called by the slow paths with no lock held; cheap when nothing is queued.
 */
void heap_purge_tick(struct heap *h, bool growing)
{
	if (!h->src->now_ns)
		return;
	heap_runs_tick(h);
	uint64_t now = h->src->now_ns(), clock = __atomic_load_n(&h->alloc_clock, __ATOMIC_RELAXED);
	/* Growing: idle by the allocation clock; otherwise by time. */
	uint64_t idle_since = growing ? UINT64_MAX : now > HEAP_PURGE_DELAY_NS ? now - HEAP_PURGE_DELAY_NS : 0;
	uint64_t idle_at = !growing ? UINT64_MAX : clock > HEAP_PURGE_IDLE_BYTES ? clock - HEAP_PURGE_IDLE_BYTES : 0;
	uint64_t due = now;
	if (growing) {
		flush_idle_lists(h, idle_at);
		due += HEAP_PURGE_DELAY_NS;	/* every queued slab of an idle class is due */
	} else if (now < __atomic_load_n(&h->purge_next_ns, __ATOMIC_RELAXED)) {
		return;
	}
	uint64_t any = 0;
	for (unsigned w = 0; w < ARRAY_SIZE(h->purge_mask); w++)
		any |= __atomic_load_n(&h->purge_mask[w], __ATOMIC_RELAXED);
	if (!any || __atomic_exchange_n(&h->purging, true, __ATOMIC_ACQUIRE))
		return;
	uint64_t next = UINT64_MAX;
	for (unsigned w = 0; w < ARRAY_SIZE(h->purge_mask); w++) {
		uint64_t m = __atomic_load_n(&h->purge_mask[w], __ATOMIC_RELAXED);
		while (m) {
			unsigned id = w * 64 + (unsigned)__builtin_ctzll(m);
			m &= m - 1;
			struct kmem_cache *c = __atomic_load_n(&h->cache[id], __ATOMIC_ACQUIRE);
			uint64_t t = c ? purge_cache(c, now, due, idle_since, idle_at) : 0;
			if (t && t < next)
				next = t;
		}
	}
	__atomic_store_n(&h->purge_next_ns, next == UINT64_MAX ? 0 : next, __ATOMIC_RELAXED);
	__atomic_store_n(&h->purging, false, __ATOMIC_RELEASE);
}
