// SPDX-License-Identifier: MIT
/*
 * A walk over a heap one entry at a time (heap_walk_step()), for callers
 * that iterate rather than take a callback: the Win32 HeapWalk is one.
 *
 * The entry just returned is the cursor: a slab entry is followed by the
 * objects carved from its slab, the last of those by the next slab of the
 * same list (partial, full, empty), then the next size class's; after the
 * last class come the large areas, bucket by bucket of their hash table.
 * Each step takes the lock of the one cache (or the large areas' lock) it
 * reads, so a step is O(1) apart from skipping empty classes and buckets.
 *
 * Lock order: a cache's lock, or the large areas' lock, alone.
 */
#include "heap_impl.h"

/* A size class of @h by index, or NULL past the last. */
static struct kmem_cache *class_at(struct heap *h, unsigned i)
{
	return i < h->nclasses ? &h->kmalloc_cache[i] : NULL;
}

/* The index of @c among @h's size classes, or nclasses if it is not one. */
static unsigned class_index(struct heap *h, const struct kmem_cache *c)
{
	uintptr_t off = (uintptr_t)c - (uintptr_t)h->kmalloc_cache;

	if (off % sizeof(*c) || off / sizeof(*c) >= h->nclasses)
		return h->nclasses;
	return (unsigned)(off / sizeof(*c));
}

static void fill_slab(struct heap_walk_entry *e, const struct kmem_cache *c, const struct slab *s)
{
	*e = (struct heap_walk_entry){ .ptr = s, .size = PAGE_SIZE << s->order, .kind = HEAP_WALK_SLAB,
				       .first = (const void *)s->objs,
				       .end = (const void *)(s->objs + (uintptr_t)s->carved * c->size) };
}

static void fill_object(struct heap_walk_entry *e, const struct kmem_cache *c, const struct slab *s,
			uint32_t i)
{
	bool live = s->meta[i].state == HEAP_OBJ_LIVE;

	*e = (struct heap_walk_entry){ .ptr = (const void *)(s->objs + (uintptr_t)i * c->size),
				       .size = live ? s->meta[i].req_size : c->size, .stride = c->size,
				       .kind = live ? HEAP_WALK_LIVE : HEAP_WALK_FREE };
}

/* The first slab of @c's lists from list @k on, or NULL; @c locked. */
static struct slab *first_slab(struct kmem_cache *c, unsigned k)
{
	struct slab_list *lists[3] = { &c->partial, &c->full, &c->empty };

	for (; k < 3; k++)
		if (lists[k]->head)
			return lists[k]->head;
	return NULL;
}

/* The first large area in bucket @b or after, or 0 at the end. */
static int large_from(struct heap *h, size_t b, struct heap_walk_entry *e)
{
	int found = 0;
	unsigned long f = spin_lock_irqsave(&h->large_lock);

	for (; b < (size_t)1 << h->large_bits && !found; b++) {
		struct heap_large *l = h->large_hash[b];
		if (l) {
			*e = (struct heap_walk_entry){ .ptr = l->ptr, .size = l->size, .stride = l->area.len,
						       .kind = HEAP_WALK_LARGE };
			found = 1;
		}
	}
	spin_unlock_irqrestore(&h->large_lock, f);
	return found;
}

/* The first slab of class @i or a later one; then the large areas. */
static int slab_from(struct heap *h, unsigned i, struct heap_walk_entry *e)
{
	for (struct kmem_cache *c; (c = class_at(h, i)) != NULL; i++) {
		cache_lock(c);
		struct slab *s = first_slab(c, 0);
		if (s)
			fill_slab(e, c, s);
		cache_unlock(c);
		if (s)
			return 1;
	}
	return large_from(h, 0, e);
}

/* The entry after the slab entry or object @e in slab @s of class @c. */
static int after_in_slab(struct heap *h, struct kmem_cache *c, struct slab *s, uint32_t next,
			 struct heap_walk_entry *e)
{
	int found = 1;

	cache_lock(c);
	if (c->debug && next < s->carved) {
		fill_object(e, c, s, next);
	} else {
		struct slab *n = s->next ? s->next : first_slab(c, (unsigned)s->list + 1);
		if (n)
			fill_slab(e, c, n);
		else
			found = 0;
	}
	cache_unlock(c);
	return found ? 1 : slab_from(h, class_index(h, c) + 1, e);
}

/* The large area after @e's. */
static int after_large(struct heap *h, struct heap_walk_entry *e)
{
	struct heap_large **b = heap_large_bucket(h, e->ptr), *l;
	int r = -1;
	unsigned long f = spin_lock_irqsave(&h->large_lock);

	for (l = *b; l && l->ptr != e->ptr; l = l->next)
		;
	if (l && l->next) {
		l = l->next;
		*e = (struct heap_walk_entry){ .ptr = l->ptr, .size = l->size, .stride = l->area.len,
					       .kind = HEAP_WALK_LARGE };
		r = 1;
	} else if (l) {
		r = 0;			/* the last of its bucket: on to the next */
	}
	spin_unlock_irqrestore(&h->large_lock, f);
	if (r)
		return r;
	return large_from(h, (size_t)(b - h->large_hash) + 1, e);
}

int heap_walk_step(struct heap *h, struct heap_walk_entry *e)
{
	if (!e->ptr)
		return slab_from(h, 0, e);
	if (e->kind == HEAP_WALK_LARGE)
		return after_large(h, e);
	struct slab *s = slab_lookup_in(h, e->ptr);
	if (!s || class_index(h, s->cache) == h->nclasses)
		return -1;
	if (e->kind == HEAP_WALK_SLAB)
		return e->ptr == s ? after_in_slab(h, s->cache, s, 0, e) : -1;
	uint32_t i = slab_index(s->cache, s, e->ptr);
	if (i == UINT32_MAX)
		return -1;
	return after_in_slab(h, s->cache, s, i + 1, e);
}
