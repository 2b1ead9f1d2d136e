// SPDX-License-Identifier: MIT
/*
 * Shared anonymous memory: an object holding the frames of a MAP_SHARED
 * anonymous mapping, so a fault in any sharer - a forked child, a region
 * split off or moved by mremap - finds the same frame. The object holds one
 * reference to each frame and is itself counted by the regions using it.
 *
 * Frames are found by page index in a radix tree of PMM pages, 512 entries
 * a node, as tall as the largest index needs (4 levels cover 47 bits).
 */
#include "as_internal.h"
#include "spinlock.h"

#define SHM_BITS	9
#define SHM_FANOUT	(1u << SHM_BITS)

struct as_shm {
	spinlock_t lock;
	uint32_t refs;		/* regions referring to it */
	unsigned levels;	/* height of the tree; 0: no tree */
	phys_addr_t root;	/* top node, 0 if none */
};

static phys_addr_t *node(phys_addr_t pa)
{
	return plat_phys_to_virt(pa);
}

/**
 * as_shm_create() - a new, empty shared object with one reference
 *
 * Return: the object, or NULL if out of memory.
 */
struct as_shm *as_shm_create(void)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);
	struct as_shm *shm;

	if (pa == PMM_NO_FRAME)
		return NULL;
	shm = plat_phys_to_virt(pa);
	shm->refs = 1;
	return shm;
}

/**
 * as_shm_get() - another region refers to @shm
 * @shm: the object
 */
void as_shm_get(struct as_shm *shm)
{
	__atomic_fetch_add(&shm->refs, 1, __ATOMIC_RELAXED);
}

/* Free a subtree of height @level (1: its entries are frames). */
static void free_tree(phys_addr_t pa, unsigned level)
{
	phys_addr_t *n = node(pa);

	for (unsigned i = 0; i < SHM_FANOUT; i++) {
		if (!n[i])
			continue;
		if (level == 1)
			pmm_put(n[i]);
		else
			free_tree(n[i], level - 1);
	}
	pmm_free_pages(pa, 0);
}

/**
 * as_shm_put() - a region stops referring to @shm; the last frees it all
 * @shm: the object
 */
void as_shm_put(struct as_shm *shm)
{
	if (__atomic_sub_fetch(&shm->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (shm->root)
		free_tree(shm->root, shm->levels);
	pmm_free_pages(plat_virt_to_phys(shm), 0);
}

/* Can a tree of @levels index @idx? (Level 0 has no slots: the root is a node.) */
static bool covers(unsigned levels, uint64_t idx)
{
	if (!levels)
		return false;
	return levels * SHM_BITS >= 64 || idx < ((uint64_t)1 << (levels * SHM_BITS));
}

/* Grow the tree until it covers @idx: new roots with the old one in slot 0. */
static int grow(struct as_shm *shm, uint64_t idx)
{
	while (!covers(shm->levels, idx)) {
		phys_addr_t pa;

		if (!shm->root) {
			shm->levels++;
			continue;
		}
		pa = pmm_alloc_pages(0, PMM_ZERO);
		if (pa == PMM_NO_FRAME)
			return -MM_ENOMEM;
		node(pa)[0] = shm->root;
		shm->root = pa;
		shm->levels++;
	}
	return 0;
}

/* The entry for @idx, creating nodes on the way if @alloc; NULL if absent. */
static phys_addr_t *slot(struct as_shm *shm, uint64_t idx, bool alloc)
{
	phys_addr_t *p = &shm->root;

	if (!covers(shm->levels, idx) && (!alloc || grow(shm, idx)))
		return NULL;
	for (unsigned l = shm->levels; l > 0; l--) {
		if (!*p) {
			phys_addr_t pa = alloc ? pmm_alloc_pages(0, PMM_ZERO) : PMM_NO_FRAME;

			if (pa == PMM_NO_FRAME)
				return NULL;
			*p = pa;
		}
		p = &node(*p)[(idx >> ((l - 1) * SHM_BITS)) & (SHM_FANOUT - 1)];
	}
	return p;
}

/**
 * as_shm_page() - the frame of page @idx, allocated (zeroed) on first use
 * @shm: the object
 * @idx: page index
 *
 * The object keeps its own reference; the caller takes one for its mapping.
 *
 * Return: the frame, or PMM_NO_FRAME if memory ran out.
 */
phys_addr_t as_shm_page(struct as_shm *shm, uint64_t idx)
{
	unsigned long fl = spin_lock_irqsave(&shm->lock);
	phys_addr_t *p = slot(shm, idx, true);
	phys_addr_t pa = PMM_NO_FRAME;

	if (p && !*p) {
		pa = pmm_alloc_pages(0, PMM_ZERO);
		if (pa != PMM_NO_FRAME)
			*p = pa;
	} else if (p) {
		pa = *p;
	}
	spin_unlock_irqrestore(&shm->lock, fl);
	return pa;
}

/**
 * as_shm_punch() - forget the frames of pages [@first, @first + @n)
 * @shm: the object
 * @first: first page index
 * @n: page count
 *
 * Mappings of them keep their own references until unmapped.
 */
void as_shm_punch(struct as_shm *shm, uint64_t first, uint64_t n)
{
	unsigned long fl = spin_lock_irqsave(&shm->lock);

	for (uint64_t i = first; i < first + n; i++) {
		phys_addr_t *p = slot(shm, i, false);

		if (p && *p) {
			pmm_put(*p);
			*p = 0;
		}
	}
	spin_unlock_irqrestore(&shm->lock, fl);
}
