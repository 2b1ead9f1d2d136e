// SPDX-License-Identifier: MIT
/*
 * The page cache (see pcache.h): objects of frames indexed by page, in a
 * radix tree of PMM pages.
 */
#include "commit.h"
#include "errno.h"
#include "highmem.h"
#include "lru.h"
#include "pcache.h"
#include "reclaim.h"
#include "swap_internal.h"

#define PC_BITS		9
#define PC_FANOUT	(1u << PC_BITS)

static uint64_t total_pages, total_objects, total_swapped;
static spinlock_t pcache_list_lock;
static struct pcache *pcache_all;

/* A leaf slot holds a frame, 0, or a swap entry (bit 0 set: frames are page-aligned). */
static bool is_swp(phys_addr_t v)
{
	return v & 1;
}

static swp_entry_t slot_swp(phys_addr_t v)
{
	return (swp_entry_t){ (uint32_t)(v >> 1) };
}

static phys_addr_t swp_slot(swp_entry_t e)
{
	return (phys_addr_t)e.val << 1 | 1;
}

static void list_add(struct pcache *pc)
{
	unsigned long fl = spin_lock_irqsave(&pcache_list_lock);

	pc->all_prev = NULL;
	pc->all_next = pcache_all;
	if (pcache_all)
		pcache_all->all_prev = pc;
	pcache_all = pc;
	spin_unlock_irqrestore(&pcache_list_lock, fl);
}

static void list_del(struct pcache *pc)
{
	unsigned long fl = spin_lock_irqsave(&pcache_list_lock);

	if (pc->all_prev)
		pc->all_prev->all_next = pc->all_next;
	else
		pcache_all = pc->all_next;
	if (pc->all_next)
		pc->all_next->all_prev = pc->all_prev;
	spin_unlock_irqrestore(&pcache_list_lock, fl);
}

/* A new page for @pc, if its quota has room. */
static bool quota_take(struct pcache *pc)
{
	struct pcache_quota *q = pc->quota;
	uint64_t u;

	if (!q)
		return true;
	u = __atomic_load_n(&q->used, __ATOMIC_RELAXED);
	do {
		if (u >= q->max)
			return false;
	} while (!__atomic_compare_exchange_n(&q->used, &u, u + 1, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void quota_give(struct pcache *pc)
{
	if (pc->quota)
		__atomic_sub_fetch(&pc->quota->used, 1, __ATOMIC_RELAXED);
}

/* Drop what leaf slot *@p holds (a frame or a swap entry), lock held or object dying. */
static void drop_slot(struct pcache *pc, phys_addr_t *p)
{
	quota_give(pc);
	if (is_swp(*p)) {
		swap_free(slot_swp(*p));
		pc->nrswapped--;
		__atomic_sub_fetch(&total_swapped, 1, __ATOMIC_RELAXED);
	} else {
		lru_del(*p);
		pmm_put(*p);
		pc->nrpages--;
		__atomic_sub_fetch(&total_pages, 1, __ATOMIC_RELAXED);
	}
	*p = 0;
}

/*
 * Read the swapped page in slot *@p (page @idx) back into a frame, lock
 * held: PCACHE_*. A page queued for writing to a disk is still in the swap
 * cache: its frame is taken back from there. With @io, a page to be read
 * from a disk is not read here: PCACHE_AGAIN, and the caller drops the
 * lock, calls as_swap_io(@io) and looks again.
 */
static int swap_in(struct pcache *pc, uint64_t idx, phys_addr_t *p, struct swap_io *io)
{
	swp_entry_t e = slot_swp(*p);
	phys_addr_t pa;

	if (io && io->pa != PMM_NO_FRAME && io->ref == e.val) {
		pa = io->pa;			/* read for this lookup, beside another reader */
		io->pa = PMM_NO_FRAME;
		swap_free(e);			/* its slot reference */
	} else if (swap_cache_lookup(e, &pa)) {
		if (io && swap_entry_sleeps(e)) {
			io->need = true;
			io->val = e.val;
			return PCACHE_AGAIN;
		}
		pa = pmm_alloc_pages(0, PMM_HIGHMEM | PMM_USER);	/* a data page, as a new one */
		if (pa == PMM_NO_FRAME)
			return PCACHE_NOMEM;
		if (swap_read(e, pa)) {
			pmm_put(pa);
			return PCACHE_EIO;
		}
		reclaim_count_refault();
	}
	*p = pa;
	swap_free(e);
	pc->nrswapped--;
	pc->nrpages++;
	__atomic_sub_fetch(&total_swapped, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total_pages, 1, __ATOMIC_RELAXED);
	lru_add(pa, LRU_FILE, pc, (uintptr_t)idx);
	return PCACHE_OK;
}

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
	list_add(pc);
	return pc;
}

void pcache_set_quota(struct pcache *pc, struct pcache_quota *q)
{
	pc->quota = q;
}

/**
 * pcache_get() - take another reference to @pc
 * @pc: the object
 */
void pcache_get(struct pcache *pc)
{
	__atomic_fetch_add(&pc->refs, 1, __ATOMIC_RELAXED);
}

/**
 * pcache_tryget() - a reference to @pc, unless its last one is gone already
 * @pc: an object reclaim found as the owner of an LRU page (its memory
 *	stays until that page leaves the list)
 *
 * Return: true if the reference was taken.
 */
bool pcache_tryget(struct pcache *pc)
{
	uint32_t r = __atomic_load_n(&pc->refs, __ATOMIC_RELAXED);

	do {
		if (!r)
			return false;
	} while (!__atomic_compare_exchange_n(&pc->refs, &r, r + 1, true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

/* Free a subtree of height @level (1: its entries are frames or swap entries). */
static void free_tree(struct pcache *pc, phys_addr_t pa, unsigned level)
{
	phys_addr_t *n = node(pa);

	for (unsigned i = 0; i < PC_FANOUT; i++) {
		if (!n[i])
			continue;
		if (level == 1)
			drop_slot(pc, &n[i]);
		else
			free_tree(pc, n[i], level - 1);
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
	list_del(pc);
	if (pc->root)
		free_tree(pc, pc->root, pc->levels);
	if (pc->charged)
		vm_commit_uncharge(pc->charged);
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

/*
 * One try of pcache_lookup(), under the object's lock, with the size check
 * optional (a write extends the file after it); PCACHE_AGAIN: a swapped
 * page to read as @io says, unlocked.
 */
static int lookup_once(struct pcache *pc, uint64_t idx, bool alloc, bool check_size,
		       phys_addr_t *pa, struct swap_io *io)
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
	if (p && is_swp(*p)) {
		ret = swap_in(pc, idx, p, io);
		if (ret != PCACHE_OK)
			goto out;
	} else if (p && !*p && alloc) {
		if (!quota_take(pc)) {
			ret = PCACHE_NOSPC;
			goto out;
		}
		phys_addr_t n = pmm_alloc_pages(0, PMM_ZERO | PMM_HIGHMEM | PMM_USER);	/* a data page */

		if (n != PMM_NO_FRAME) {
			*p = n;
			pc->nrpages++;
			__atomic_add_fetch(&total_pages, 1, __ATOMIC_RELAXED);
			lru_add(n, LRU_FILE, pc, (uintptr_t)idx);
		} else {
			quota_give(pc);
		}
	} else if (p && *p) {
		lru_mark_accessed(*p);
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

/*
 * lookup_once(), tried again without a frame: frames are allocated under
 * the object's lock, where nothing reclaims; without one, it reclaims with
 * the lock dropped, if the caller's context may (pmm_reclaim(): not from a
 * fault, whose space is locked), and tries again.
 */
static int lookup(struct pcache *pc, uint64_t idx, bool alloc, bool check_size, phys_addr_t *pa,
		  struct swap_io *io)
{
	for (unsigned tries = 0;; tries++) {
		int r = lookup_once(pc, idx, alloc, check_size, pa, io);

		if (r != PCACHE_NOMEM || tries >= PMM_RECLAIM_TRIES || !pmm_reclaim(0))
			return r;
	}
}

/* lookup() for a caller holding no lock: a page on a disk is read with none held. */
static int lookup_unlocked(struct pcache *pc, uint64_t idx, bool alloc, bool check_size,
			   phys_addr_t *pa)
{
	struct swap_io io = { .pa = PMM_NO_FRAME };
	int ret;

	while ((ret = lookup(pc, idx, alloc, check_size, pa, &io)) == PCACHE_AGAIN) {
		int err = as_swap_io(&io);

		if (err) {
			ret = err == -MM_ENOMEM ? PCACHE_NOMEM : PCACHE_EIO;
			break;
		}
	}
	as_swap_io_done(&io);
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
 * A page in swap is read back first.
 *
 * Return: PCACHE_OK, PCACHE_NOMEM, PCACHE_BEYOND (past the end of a file),
 * PCACHE_EIO (the swapped page could not be read) or PCACHE_NOSPC (a new page
 * past the object's quota).
 */
int pcache_lookup(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa)
{
	return lookup_unlocked(pc, idx, alloc, true, pa);
}

/**
 * pcache_lookup_io() - pcache_lookup() for a caller holding locks (a fault)
 * @pc: the object
 * @idx: page index
 * @alloc: as pcache_lookup()
 * @pa: as pcache_lookup()
 * @io: a page on a disk is not read here: PCACHE_AGAIN with @io->need set;
 *	the caller drops its locks, calls as_swap_io(@io) and looks again
 *
 * Return: as pcache_lookup(), or PCACHE_AGAIN.
 */
int pcache_lookup_io(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa, struct swap_io *io)
{
	return lookup(pc, idx, alloc, true, pa, io);
}

/**
 * pcache_find() - is page @idx in the cache? (mincore)
 * @pc: the object
 * @idx: page index
 *
 * Return: its frame (no reference taken: only compare it), or 0 (none, or in swap).
 */
phys_addr_t pcache_find(struct pcache *pc, uint64_t idx)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);
	phys_addr_t *p = slot(pc, idx, false);
	phys_addr_t pa = p && !is_swp(*p) ? *p : 0;

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
		if (*p)
			drop_slot(pc, p);
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
	struct swap_io io = { .pa = PMM_NO_FRAME };
	bool unread = false;
	unsigned long fl;

	for (;;) {
		fl = spin_lock_irqsave(&pc->lock);
		if (size >= pc->size)
			break;
		uint64_t keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		phys_addr_t *p;

		punch_locked(pc, keep, UINT64_MAX - keep);
		p = (size & ~PAGE_MASK) ? slot(pc, size >> PAGE_SHIFT, false) : NULL;
		/*
		 * A swapped last page is read back to be cut (not if it cannot
		 * be); from a disk, with the lock dropped, then all again.
		 */
		if (p && is_swp(*p) && !unread &&
		    swap_in(pc, size >> PAGE_SHIFT, p, &io) == PCACHE_AGAIN) {
			spin_unlock_irqrestore(&pc->lock, fl);
			unread = as_swap_io(&io) != 0;
			continue;
		}
		if (p && *p && !is_swp(*p)) {
			uint8_t *d = plat_kmap(*p);
			memset(d + (size & ~PAGE_MASK), 0, PAGE_SIZE - (size & ~PAGE_MASK));
			plat_kunmap(d);
		}
		break;
	}
	__atomic_store_n(&pc->size, size, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&pc->lock, fl);
	as_swap_io_done(&io);
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
	return lookup_unlocked(pc, idx, true, false, pa);
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
			frame_rw(pa, in, (uint8_t *)buf + done, n, false);
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
		frame_rw(pa, in, (uint8_t *)buf + done, n, true);
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

uint64_t pcache_total_swapped(void)
{
	return __atomic_load_n(&total_swapped, __ATOMIC_RELAXED);
}

uint64_t pcache_total_objects(void)
{
	return __atomic_load_n(&total_objects, __ATOMIC_RELAXED);
}

/**
 * pcache_evict() - send a page to swap (reclaim)
 * @pc: the object, with a reference held by the caller
 * @idx: page index
 * @pa: its frame, isolated from the LRU with a reference held by the caller,
 *	and unmapped from every space
 *
 * The page is written to a new swap slot and the tree keeps the slot. It
 * stays if anything else holds the frame (mapped again, a read() or
 * write() copying, a fork copying a mapping) or it left the object.
 *
 * For an area that may sleep (a disk) the write is queued: the frame waits
 * in the swap cache for swap_writeback_run(), which frees it.
 *
 * Return: 1 (the frame is free once the caller drops its reference), 2
 * (queued: free once written), 0 (busy or gone), -MM_ENOSPC (no swap area
 * took it).
 */
int pcache_evict(struct pcache *pc, uint64_t idx, phys_addr_t pa)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);
	phys_addr_t *p = slot(pc, idx, false);
	swp_entry_t e;
	bool queued;
	int ret = 0;

	if (p && *p == pa && pmm_refcount(pa) == 2) {
		if (swap_write_new_queued(pa, &e, &queued)) {
			ret = -MM_ENOSPC;
		} else {
			*p = swp_slot(e);
			pc->nrpages--;
			pc->nrswapped++;
			__atomic_sub_fetch(&total_pages, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&total_swapped, 1, __ATOMIC_RELAXED);
			lru_del(pa);
			pmm_put(pa);
			ret = queued ? 2 : 1;
		}
	}
	spin_unlock_irqrestore(&pc->lock, fl);
	return ret;
}

/**
 * pcache_migrate() - put page @idx's content in frame @to instead of @pa (move_pages)
 * @pc: the object, with a reference held by the caller
 * @idx: page index
 * @pa: its frame, held by the caller and unmapped from every space
 * @to: the new frame (one reference, which the object takes over)
 *
 * As pcache_evict(), under the object's lock, where every lookup takes its
 * reference: the page moves only if nothing else holds the frame, so no
 * read(), write() or mapping can use the old frame after the copy.
 *
 * Return: 0 (the old frame is free once the caller drops its reference),
 * -MM_EBUSY (held elsewhere, or no longer the object's page; @to untouched).
 */
int pcache_migrate(struct pcache *pc, uint64_t idx, phys_addr_t pa, phys_addr_t to)
{
	unsigned long fl = spin_lock_irqsave(&pc->lock);
	phys_addr_t *p = slot(pc, idx, false);
	int ret = -MM_EBUSY;

	if (p && *p == pa && pmm_refcount(pa) == 2) {
		frame_copy(to, pa);
		*p = to;
		lru_del(pa);
		lru_add(to, LRU_FILE, pc, (uintptr_t)idx);
		pmm_put(pa);
		ret = 0;
	}
	spin_unlock_irqrestore(&pc->lock, fl);
	return ret;
}

/*
 * Bring back the pages of area @type in subtree @pa of height @level, lock
 * held. A page on a disk that is not in the swap cache stops the walk with
 * @io->need set: it is read with no lock held, then the walk starts again.
 */
static int unuse_tree(struct pcache *pc, phys_addr_t pa, unsigned level, uint64_t base, int type,
		      struct swap_io *io)
{
	phys_addr_t *n = node(pa);
	int err = 0;

	for (unsigned i = 0; i < PC_FANOUT && !err && !io->need; i++) {
		uint64_t idx = base | (uint64_t)i << ((level - 1) * PC_BITS);

		if (!n[i])
			continue;
		if (level > 1) {
			err = unuse_tree(pc, n[i], level - 1, idx, type, io);
		} else if (is_swp(n[i]) && swp_type(slot_swp(n[i])) == (unsigned)type) {
			int r = swap_in(pc, idx, &n[i], io);

			err = r == PCACHE_AGAIN ? 0 : r == PCACHE_NOMEM ? -MM_ENOMEM : r ? -MM_EIO : 0;
		}
	}
	return err;
}

/* One walk over every object, each locked in turn; stops where @io needs a read. */
static int unuse_all(int type, struct swap_io *io)
{
	unsigned long fl = spin_lock_irqsave(&pcache_list_lock);
	int err = 0;

	for (struct pcache *pc = pcache_all; pc && !err && !io->need; pc = pc->all_next) {
		unsigned long f2;

		if (!__atomic_load_n(&pc->nrswapped, __ATOMIC_RELAXED))
			continue;
		f2 = spin_lock_irqsave(&pc->lock);
		if (pc->root)
			err = unuse_tree(pc, pc->root, pc->levels, 0, type, io);
		spin_unlock_irqrestore(&pc->lock, f2);
	}
	spin_unlock_irqrestore(&pcache_list_lock, fl);
	return err;
}

/**
 * pcache_swap_unuse() - swapoff: read back every page-cache page in area @type
 * @type: the area, no longer handing out slots
 *
 * Pages swapoff's read-ahead left out of the swap cache (stragglers) are
 * read from a disk with no lock held, as a fault does: each stops the walk,
 * is read into the swap cache, and the walk starts again.
 *
 * Return: 0, -MM_ENOMEM or -MM_EIO (pages read so far stay in RAM).
 */
int pcache_swap_unuse(int type)
{
	struct swap_io io = { .pa = PMM_NO_FRAME };
	int err;

	for (;;) {
		io.need = false;
		err = unuse_all(type, &io);
		if (err || !io.need || (err = as_swap_io(&io)))
			break;
	}
	as_swap_io_done(&io);
	return err;
}
