// SPDX-License-Identifier: MIT
/*
 * The page cache (see pcache.h): objects of frames indexed by page, in a
 * radix tree of PMM pages.
 */
#include "commit.h"
#include "errno.h"
#include "pcache.h"

#define PC_BITS		9
#define PC_FANOUT	(1u << PC_BITS)

static uint64_t total_pages, total_objects;

static phys_addr_t *node(phys_addr_t pa)
{
	return plat_phys_to_virt(pa);
}

/**
 * pcache_create() - a new, empty object with one reference (the owner's)
 * @flags: PCACHE_SIZED for a file (size starts at 0)
 *
 * Return: the object, or NULL if out of memory.
 */
struct pcache *pcache_create(unsigned flags)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);
	struct pcache *pc;

	if (pa == PMM_NO_FRAME)
		return NULL;
	pc = plat_phys_to_virt(pa);
	pc->refs = 1;
	pc->flags = flags;
	__atomic_add_fetch(&total_objects, 1, __ATOMIC_RELAXED);
	return pc;
}

/**
 * pcache_get() - take another reference to @pc
 * @pc: the object
 */
void pcache_get(struct pcache *pc)
{
	__atomic_fetch_add(&pc->refs, 1, __ATOMIC_RELAXED);
}

/* Free a subtree of height @level (1: its entries are frames). */
static void free_tree(phys_addr_t pa, unsigned level)
{
	phys_addr_t *n = node(pa);

	for (unsigned i = 0; i < PC_FANOUT; i++) {
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
 * pcache_put() - drop a reference; the last frees the object and its frames
 * @pc: the object
 */
void pcache_put(struct pcache *pc)
{
	if (__atomic_sub_fetch(&pc->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (pc->root)
		free_tree(pc->root, pc->levels);
	if (pc->charged)
		vm_commit_uncharge(pc->charged);
	__atomic_sub_fetch(&total_pages, pc->nrpages, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&total_objects, 1, __ATOMIC_RELAXED);
	pmm_free_pages(plat_virt_to_phys(pc), 0);
}

/**
 * pcache_map_get() - a region starts mapping @pc (a reference, and counted as a mapping)
 * @pc: the object
 */
void pcache_map_get(struct pcache *pc)
{
	__atomic_fetch_add(&pc->mapcount, 1, __ATOMIC_RELAXED);
	pcache_get(pc);
}

/**
 * pcache_map_put() - a region stops mapping @pc
 * @pc: the object
 */
void pcache_map_put(struct pcache *pc)
{
	__atomic_fetch_sub(&pc->mapcount, 1, __ATOMIC_RELAXED);
	pcache_put(pc);
}

/* Can a tree of @levels index @idx? (Level 0 has no slots: the root is a node.) */
static bool covers(unsigned levels, uint64_t idx)
{
	if (!levels)
		return false;
	return levels * PC_BITS >= 64 || idx < ((uint64_t)1 << (levels * PC_BITS));
}

/* Grow the tree until it covers @idx: new roots with the old one in slot 0. */
static int grow(struct pcache *pc, uint64_t idx)
{
	while (!covers(pc->levels, idx)) {
		phys_addr_t pa;

		if (!pc->root) {
			pc->levels++;
			continue;
		}
		pa = pmm_alloc_pages(0, PMM_ZERO);
		if (pa == PMM_NO_FRAME)
			return -1;
		node(pa)[0] = pc->root;
		pc->root = pa;
		pc->levels++;
	}
	return 0;
}

/* The entry for @idx, creating nodes on the way if @alloc; NULL if absent. */
static phys_addr_t *slot(struct pcache *pc, uint64_t idx, bool alloc)
{
	phys_addr_t *p = &pc->root;

	if (!covers(pc->levels, idx) && (!alloc || grow(pc, idx)))
		return NULL;
	for (unsigned l = pc->levels; l > 0; l--) {
		if (!*p) {
			phys_addr_t pa = alloc ? pmm_alloc_pages(0, PMM_ZERO) : PMM_NO_FRAME;

			if (pa == PMM_NO_FRAME)
				return NULL;
			*p = pa;
		}
		p = &node(*p)[(idx >> ((l - 1) * PC_BITS)) & (PC_FANOUT - 1)];
	}
	return p;
}

static bool beyond(const struct pcache *pc, uint64_t idx)
{
	return (pc->flags & PCACHE_SIZED) && idx >= (pc->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* pcache_lookup(), with the size check optional (a write extends the file after it). */
static int lookup(struct pcache *pc, uint64_t idx, bool alloc, bool check_size, phys_addr_t *pa)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);
	int ret = PCACHE_OK;
	phys_addr_t *p;

	*pa = PMM_NO_FRAME;
	if (check_size && beyond(pc, idx)) {
		ret = PCACHE_BEYOND;
		goto out;
	}
	p = slot(pc, idx, alloc);
	if (p && !*p && alloc) {
		phys_addr_t n = pmm_alloc_pages(0, PMM_ZERO);

		if (n != PMM_NO_FRAME) {
			*p = n;
			pc->nrpages++;
			__atomic_add_fetch(&total_pages, 1, __ATOMIC_RELAXED);
		}
	}
	if (p && *p) {
		*pa = *p;
		pmm_get(*pa);
	} else if (alloc) {
		ret = PCACHE_NOMEM;
	}
out:
	spin_unlock_irqrestore(&pc->lock, fl);
	return ret;
}

/**
 * pcache_lookup() - the frame of page @idx, with a reference for the caller
 * @pc: the object
 * @idx: page index
 * @alloc: allocate a zeroed frame if the page has none (a hole)
 * @pa: set to the frame (PMM_NO_FRAME if absent and not @alloc)
 *
 * The caller's reference keeps the frame alive even if the page is punched
 * or truncated meanwhile; a mapping keeps it as its own, others pmm_put() it.
 *
 * Return: PCACHE_OK, PCACHE_NOMEM, or PCACHE_BEYOND (past the end of a file).
 */
int pcache_lookup(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa)
{
	return lookup(pc, idx, alloc, true, pa);
}

/**
 * pcache_find() - is page @idx in the cache? (mincore)
 * @pc: the object
 * @idx: page index
 *
 * Return: its frame (no reference taken: only compare it), or 0.
 */
phys_addr_t pcache_find(struct pcache *pc, uint64_t idx)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);
	phys_addr_t *p = slot(pc, idx, false);
	phys_addr_t pa = p ? *p : 0;

	spin_unlock_irqrestore(&pc->lock, fl);
	return pa;
}

/* Forget the frames of [first, first + n), lock held. Skips absent subtrees a node at a time. */
static void punch_locked(struct pcache *pc, uint64_t first, uint64_t n)
{
	uint64_t end = first + n < first ? UINT64_MAX : first + n;

	for (uint64_t i = first; i < end;) {
		phys_addr_t *p;

		if (!covers(pc->levels, i))
			break;
		p = slot(pc, i, false);
		if (!p) {	/* no leaf node here: skip to the next one */
			uint64_t next = (i | (PC_FANOUT - 1)) + 1;
			if (next < i)
				break;
			i = next;
			continue;
		}
		if (*p) {
			pmm_put(*p);
			*p = 0;
			pc->nrpages--;
			__atomic_sub_fetch(&total_pages, 1, __ATOMIC_RELAXED);
		}
		i++;
	}
}

/**
 * pcache_punch() - forget the frames of pages [@first, @first + @n)
 * @pc: the object
 * @first: first page index
 * @n: page count
 *
 * Mappings of them keep their own references until they are zapped.
 */
void pcache_punch(struct pcache *pc, uint64_t first, uint64_t n)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);

	punch_locked(pc, first, n);
	spin_unlock_irqrestore(&pc->lock, fl);
}

/**
 * pcache_size() - the size in bytes of a sized object
 * @pc: the object
 */
uint64_t pcache_size(struct pcache *pc)
{
	return __atomic_load_n(&pc->size, __ATOMIC_RELAXED);
}

/**
 * pcache_set_size() - resize a file's object (truncate, extend)
 * @pc: the object
 * @size: new size in bytes
 *
 * Shrinking drops the pages past the new end and zeroes the rest of the
 * last page, so growing again reads zeroes. The zeroing is not ordered
 * against a concurrent write into that page: callers serialize (as a file
 * system does with its inode lock). Mappings of the dropped pages
 * keep their frames until the caller zaps them (as_unmap_object()).
 */
void pcache_set_size(struct pcache *pc, uint64_t size)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);

	if (size < pc->size) {
		uint64_t keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		phys_addr_t *p;

		punch_locked(pc, keep, UINT64_MAX - keep);
		if ((size & ~PAGE_MASK) && (p = slot(pc, size >> PAGE_SHIFT, false)) && *p) {
			uint8_t *d = plat_phys_to_virt(*p);
			memset(d + (size & ~PAGE_MASK), 0, PAGE_SIZE - (size & ~PAGE_MASK));
		}
	}
	__atomic_store_n(&pc->size, size, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&pc->lock, fl);
}

/**
 * pcache_grab() - the frame of page @idx, allocated if absent, even past the end
 * @pc: the object
 * @idx: page index
 * @pa: set to the frame, with a reference for the caller
 *
 * For writers, which extend the file (pcache_extend()) once the bytes are in.
 *
 * Return: PCACHE_OK or PCACHE_NOMEM.
 */
int pcache_grab(struct pcache *pc, uint64_t idx, phys_addr_t *pa)
{
	return lookup(pc, idx, true, false, pa);
}

/**
 * pcache_extend() - make a sized object at least @end bytes long
 * @pc: the object
 * @end: byte offset just past what was written
 */
void pcache_extend(struct pcache *pc, uint64_t end)
{
	unsigned long fl;

	if (!(pc->flags & PCACHE_SIZED) || pcache_size(pc) >= end)
		return;
	fl = spin_lock_irqsave(&pc->lock);
	__atomic_store_n(&pc->size, MM_MAX(pc->size, end), __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&pc->lock, fl);
}

/**
 * pcache_read() - copy bytes out of the object into a kernel buffer
 * @pc: the object
 * @off: byte offset
 * @buf: destination
 * @len: bytes wanted
 *
 * Holes read as zeroes; a sized object stops at its end.
 *
 * Return: bytes copied.
 */
long pcache_read(struct pcache *pc, uint64_t off, void *buf, uint64_t len)
{
	uint64_t done = 0;

	if (pc->flags & PCACHE_SIZED) {
		uint64_t size = pcache_size(pc);

		len = off >= size ? 0 : MM_MIN(len, size - off);
	}
	while (done < len) {
		uint64_t in = (off + done) & ~PAGE_MASK, n = MM_MIN(len - done, PAGE_SIZE - in);
		phys_addr_t pa;

		if (pcache_lookup(pc, (off + done) >> PAGE_SHIFT, false, &pa) != PCACHE_OK)
			break;
		if (pa == PMM_NO_FRAME) {
			memset((uint8_t *)buf + done, 0, n);
		} else {
			memcpy((uint8_t *)buf + done, (uint8_t *)plat_phys_to_virt(pa) + in, n);
			pmm_put(pa);
		}
		done += n;
	}
	return (long)done;
}

/**
 * pcache_write() - copy bytes from a kernel buffer into the object
 * @pc: the object
 * @off: byte offset
 * @buf: source
 * @len: bytes
 *
 * A sized object grows to cover what was written.
 *
 * Return: bytes written (fewer if memory ran out), or -MM_ENOMEM for none.
 */
long pcache_write(struct pcache *pc, uint64_t off, const void *buf, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t in = (off + done) & ~PAGE_MASK, n = MM_MIN(len - done, PAGE_SIZE - in);
		phys_addr_t pa;

		if (pcache_grab(pc, (off + done) >> PAGE_SHIFT, &pa) != PCACHE_OK)
			break;
		memcpy((uint8_t *)plat_phys_to_virt(pa) + in, (const uint8_t *)buf + done, n);
		pmm_put(pa);
		done += n;
		pcache_extend(pc, off + done);
	}
	return done ? (long)done : (len ? -MM_ENOMEM : 0);
}

uint64_t pcache_total_pages(void)
{
	return __atomic_load_n(&total_pages, __ATOMIC_RELAXED);
}

uint64_t pcache_total_objects(void)
{
	return __atomic_load_n(&total_objects, __ATOMIC_RELAXED);
}
