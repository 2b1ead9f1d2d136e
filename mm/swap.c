// SPDX-License-Identifier: MIT
/*
 * Swap areas, their slots and the swap cache (mm/swap.h).
 *
 * Each area keeps one 16-bit word per slot: the number of page-table
 * entries holding the slot, plus SWAP_HAS_CACHE while a frame for it is in
 * the swap cache. Free slots are found from a cursor that goes round the
 * area, so allocation is O(1) while the area is far from full (Linux's
 * swap_map scan has the same shape).
 *
 * The swap cache is a hash of nodes by entry and by frame, both ways (grown
 * with the slots of all areas at swapon, so chains stay short): a
 * fault finds the frame of an entry, reclaim finds the entry of a frame
 * another space already swapped (a page shared copy-on-write after fork).
 *
 * I/O outside the locks (areas whose backend may sleep: a disk): a page
 * goes to the swap cache before its I/O starts and stays there until it
 * ends, marked: SC_READING (being read: the frame is not the page yet),
 * SC_WRITING (queued or being written: the frame is the page, the slot not
 * yet), SC_DIRTY (the slot does not hold the page: not written yet, or the
 * write failed: the frame is its only copy and is never dropped). A slot
 * whose node is busy is not released when its last entry goes: the I/O's
 * end does it. Writes are queued (FIFO) by reclaim under the space's lock
 * and done by swap_writeback_run() after it is released.
 *
 * Kept copies (as Linux's swap cache keeps a page read back): a page read
 * for a read fault by its only entry stays in the cache with its slot
 * (SC_KEPT), mapped read-only, the slot's word SWAP_HAS_CACHE alone; reclaim
 * takes such a page out again without writing it (the entries name the
 * slot again), a write fault frees the copy (swap_unkeep()), and so does
 * the zap that drops its last mapping (swap_unkeep_unmapped()). Copies are
 * made only while fewer than half the slots are used (vm_swap_full()), and
 * freed first when slots run out (swap_drop_kept()).
 *
 * Tiers (an in-RAM store in front of a device: ops write_nowait, cold,
 * move_down): a page is stored without sleeping while the store has room,
 * else queued as for a disk; swap_tier_writeback() moves the store's oldest
 * pages down through the swap cache (SC_READING while read from the store,
 * SC_WRITING while written below), so a fault meanwhile maps the frame and
 * the slot cannot be freed under the I/O.
 *
 * Lock order: swap_lock, then the PMM's (frame references) and the heap's.
 * Backend operations run without swap_lock: a slot being written or
 * discarded belongs to its caller alone (SWAP_BUSY while discarding; a
 * busy cache node while reading or writing).
 */
#include "heap.h"
#include "highmem.h"
#include "pmm.h"
#include "swap.h"
#include "swap_internal.h"
#include "spinlock.h"

#define SWAP_HAS_CACHE	0x8000u
#define SWAP_COUNT_MAX	0x7ffeu
#define SWAP_BAD	0xffffu		/* reserved: a bad block, or below the first slot */
#define SWAP_BUSY	0x7fffu		/* being discarded: not free yet */

struct swap_area {
	struct swap_backend *b;
	int prio;
	uint32_t cursor;	/* where the next free-slot search starts */
	uint32_t usable, used;
	bool removing;		/* swapoff running: no new slots */
	unsigned shrinking;	/* swap_shrink_backends() calls in its backend */
	uint16_t *map;
};

#define SC_READING	1u	/* being read from the slot */
#define SC_WRITING	2u	/* queued for writing, or being written */
#define SC_DIRTY	4u	/* the slot does not hold the page */
#define SC_KEPT		8u	/* kept for a mapped frame read back (swap_keep()) */
#define SC_BUSY		(SC_READING | SC_WRITING)

/* A frame in the swap cache. */
struct scache {
	struct scache *next_e, *next_p;
	struct scache *next_q;	/* on the write-back queue */
	swp_entry_t e;
	phys_addr_t pa;
	unsigned flags;		/* SC_* */
};

#define SCACHE_MIN_BITS	10u	/* the cache's hash before any area: 1024 buckets */
#define SCACHE_MAX_BITS	16u
#define SCACHE_SLOTS_PER_BUCKET	16u	/* buckets grow with the slots of all areas */
#define TIER_BATCH	32u	/* pages a tier moves down per call, at most */

static spinlock_t swap_lock;
static struct swap_area *areas[SWAP_MAX_AREAS];
static struct scache *boot_e[1u << SCACHE_MIN_BITS], *boot_p[1u << SCACHE_MIN_BITS];
static struct scache **by_entry = boot_e, **by_frame = boot_p;
static unsigned cache_bits = SCACHE_MIN_BITS;	/* both hashes have 1 << cache_bits buckets */
static struct scache *wb_head, **wb_tail = &wb_head;	/* writes to do, oldest first */
static unsigned long wb_len;	/* nodes on it (read unlocked by swap_writeback_pending()) */
static unsigned long kept_len;	/* SC_KEPT nodes (read unlocked by swap_kept_pages()) */
static struct swap_counters ctr;

static inline void count(uint64_t *c, int64_t d)
{
	__atomic_fetch_add(c, (uint64_t)d, __ATOMIC_RELAXED);
}

static unsigned hash_e(swp_entry_t e)
{
	return (e.val * 2654435761u) >> (32 - cache_bits);
}

static unsigned hash_p(phys_addr_t pa)
{
	return (uint32_t)((pa >> PAGE_SHIFT) * 2654435761u) >> (32 - cache_bits);
}

static unsigned cache_bits_for(uint64_t slots)
{
	unsigned bits = SCACHE_MIN_BITS;

	while (bits < SCACHE_MAX_BITS && (1ull << bits) * SCACHE_SLOTS_PER_BUCKET < slots)
		bits++;
	return bits;
}

/* Move every node into tables @ne/@np of 1 << @bits buckets (swap_lock held). */
static void cache_rehash(struct scache **ne, struct scache **np, unsigned bits)
{
	struct scache **oe = by_entry, **op = by_frame;
	unsigned old = 1u << cache_bits;

	__atomic_store_n(&cache_bits, bits, __ATOMIC_RELAXED);
	for (unsigned b = 0; b < old; b++) {
		op[b] = NULL;	/* the old tables end empty: the boot ones serve again later */
		while (oe[b]) {
			struct scache *n = oe[b];

			oe[b] = n->next_e;
			n->next_e = ne[hash_e(n->e)];
			ne[hash_e(n->e)] = n;
			n->next_p = np[hash_p(n->pa)];
			np[hash_p(n->pa)] = n;
		}
	}
	by_entry = ne;
	by_frame = np;
}

static void cache_free_tables(struct scache **e, struct scache **p)
{
	if (e && e != boot_e) {
		kfree(e);
		kfree(p);
	}
}

/*
 * Size both hashes of the cache for @slots slots in all areas (swapon and
 * swapoff), so that chains stay short however many pages the cache keeps
 * (up to one per slot): they grow at swapon, and go back to the boot
 * tables when the last area goes, so that swapoff returns every byte. New
 * tables are allocated unlocked; the nodes move under swap_lock, a walk
 * over the pages in the cache at that moment, which only swapon and swapoff
 * pay. Without memory the old tables stay.
 */
static void cache_resize(uint64_t slots)
{
	unsigned bits = slots ? cache_bits_for(slots) : SCACHE_MIN_BITS;
	struct scache **ne = boot_e, **np = boot_p, **oe = NULL, **op = NULL;

	if (bits == __atomic_load_n(&cache_bits, __ATOMIC_RELAXED) &&
	    (bits != SCACHE_MIN_BITS || __atomic_load_n(&by_entry, __ATOMIC_RELAXED) == boot_e))
		return;
	if (bits != SCACHE_MIN_BITS) {
		ne = kcalloc(1u << bits, sizeof(*ne));
		np = kcalloc(1u << bits, sizeof(*np));
		if (!ne || !np) {
			kfree(ne);
			kfree(np);
			return;
		}
	}
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	if (__atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED) == slots && by_entry != ne) {
		oe = by_entry;
		op = by_frame;
		cache_rehash(ne, np, bits);
	} else {
		oe = ne;	/* the slots changed meanwhile: their caller resizes */
		op = np;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	cache_free_tables(oe, op);
}

unsigned swap_cache_buckets(void)
{
	return 1u << __atomic_load_n(&cache_bits, __ATOMIC_RELAXED);
}

/* The area and word of @e, or NULL (swap_lock held). */
static uint16_t *slot_word(swp_entry_t e, struct swap_area **ap)
{
	struct swap_area *a = areas[swp_type(e)];

	if (!a || swp_offset(e) >= a->b->nslots)
		return NULL;
	*ap = a;
	return &a->map[swp_offset(e)];
}

uint64_t swap_total_pages(void)
{
	return __atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED);
}

bool swap_enabled(void)
{
	return __atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED) != 0;
}

/**
 * swap_area_add() - start swapping to @b (swapon)
 * @b: the backend
 * @prio: higher areas are used first
 * @first: first usable slot
 *
 * Return: the area's type, or -MM_EINVAL, -MM_ENOSPC, -MM_ENOMEM, -MM_EBUSY.
 */
int swap_area_add(struct swap_backend *b, int prio, uint32_t first)
{
	struct swap_area *a;
	int type = -MM_ENOSPC;

	if (!b || !b->ops || !b->ops->write || !b->ops->read || !b->ops->discard ||
	    b->nslots > SWAP_MAX_SLOTS || first >= b->nslots)
		return -MM_EINVAL;
	a = kzalloc(sizeof(*a));
	if (a)
		a->map = kcalloc(b->nslots, sizeof(*a->map));
	if (!a || !a->map) {
		kfree(a);
		return -MM_ENOMEM;
	}
	a->b = b;
	a->prio = prio;
	a->cursor = first;
	a->usable = b->nslots - first;
	for (uint32_t s = 0; s < first; s++)
		a->map[s] = SWAP_BAD;

	unsigned long fl = spin_lock_irqsave(&swap_lock);

	for (unsigned t = 0; t < SWAP_MAX_AREAS; t++)
		if (areas[t] && areas[t]->b == b)
			type = -MM_EBUSY;
	for (unsigned t = 0; t < SWAP_MAX_AREAS && type == -MM_ENOSPC; t++)
		if (!areas[t]) {
			areas[t] = a;
			type = (int)t;
		}
	if (type >= 0)
		count(&ctr.slots_total, a->usable);
	spin_unlock_irqrestore(&swap_lock, fl);
	if (type < 0) {
		kfree(a->map);
		kfree(a);
	} else {
		cache_resize(__atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED));
	}
	return type;
}

/**
 * swap_area_reserve() - never use slot @slot of area @type
 *
 * Return: 0; -MM_EINVAL (no such area or slot); -MM_EBUSY (the slot is in use).
 */
int swap_area_reserve(int type, uint32_t slot)
{
	struct swap_area *a;
	int r = 0;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	uint16_t *w = type >= 0 && type < (int)SWAP_MAX_AREAS ?
		      slot_word(swp_entry((unsigned)type, slot), &a) : NULL;

	if (!w)
		r = -MM_EINVAL;
	else if (*w && *w != SWAP_BAD)
		r = -MM_EBUSY;
	else if (!*w) {
		*w = SWAP_BAD;
		a->usable--;
		count(&ctr.slots_total, -1);
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	return r;
}

/* Forget area @type, which holds no slot any more (as_swapoff() brought them in). */
int swap_area_forget(int type)
{
	struct swap_area *a;
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	a = areas[type];
	while (a && !a->used && a->shrinking) {	/* a bounded pool compaction: let it end */
		spin_unlock_irqrestore(&swap_lock, fl);
		plat_cpu_relax();
		fl = spin_lock_irqsave(&swap_lock);
		a = areas[type];
	}
	if (!a || a->used) {
		spin_unlock_irqrestore(&swap_lock, fl);
		return a ? -MM_EBUSY : -MM_EINVAL;
	}
	areas[type] = NULL;
	count(&ctr.slots_total, -(int64_t)a->usable);
	spin_unlock_irqrestore(&swap_lock, fl);
	kfree(a->map);
	kfree(a);
	cache_resize(__atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED));
	return 0;
}

/* Slots swap_area_readahead() looks at per hold of swap_lock: interrupts stay off for that many. */
#define READAHEAD_SCAN	256u

/* Must swapoff read the page of a slot whose map entry is @w? */
static bool readahead_wants(uint16_t w)
{
	return w != SWAP_BAD && w != SWAP_BUSY && w && !(w & SWAP_HAS_CACHE);
}

/**
 * swap_area_readahead() - swapoff's first pass: area @type's pages into the swap cache
 * @type: an area being removed
 *
 * Every slot in use whose page is not in the cache is read into it, with
 * no lock held (the backend may sleep); stops when memory runs out (the
 * walk over the spaces then reads the rest one by one). Free slots are
 * passed over READAHEAD_SCAN at a time under one hold of the lock, not
 * one lock round trip each.
 */
void swap_area_readahead(int type)
{
	for (uint32_t s = 0;;) {
		unsigned long fl = spin_lock_irqsave(&swap_lock);
		struct swap_area *a = areas[type];
		uint32_t n = a ? a->b->nslots : 0;
		uint32_t end = s < n ? s + MM_MIN(n - s, READAHEAD_SCAN) : s;

		while (s < end && !readahead_wants(a->map[s]))
			s++;
		spin_unlock_irqrestore(&swap_lock, fl);
		if (s >= n)
			return;
		if (s == end)
			continue;	/* nothing to read in this stretch */
		if (swap_read_into_cache(swp_entry((unsigned)type, s)) == -MM_ENOMEM)
			return;
		s++;
	}
}

/* Stop (or, with !@on, resume) giving out slots of area @type. */
int swap_area_set_removing(int type, bool on)
{
	int r = -MM_EINVAL;
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	if (type >= 0 && type < (int)SWAP_MAX_AREAS && areas[type]) {
		areas[type]->removing = on;
		r = 0;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	return r;
}

int swap_area_info(int type, struct swap_area_info *info)
{
	struct swap_backend *b;
	unsigned long fl;

	if (type < 0 || type >= (int)SWAP_MAX_AREAS)
		return -MM_ENOENT;
	fl = spin_lock_irqsave(&swap_lock);
	if (!areas[type]) {
		spin_unlock_irqrestore(&swap_lock, fl);
		return -MM_ENOENT;
	}
	b = areas[type]->b;
	*info = (struct swap_area_info){ .name = b->name, .type = type, .prio = areas[type]->prio,
					 .slots = areas[type]->usable, .used = areas[type]->used };
	spin_unlock_irqrestore(&swap_lock, fl);
	/* The area cannot go away under this: only swapoff removes it, and serializes with readers. */
	if (b->ops->stats)
		b->ops->stats(b, &info->backend);
	return 0;
}

void swap_get_counters(struct swap_counters *c)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	*c = ctr;
	spin_unlock_irqrestore(&swap_lock, fl);
}

/* A free slot of @a from its cursor on, or UINT32_MAX (swap_lock held). */
static uint32_t find_free(struct swap_area *a)
{
	uint32_t n = a->b->nslots, s = a->cursor;

	for (uint32_t k = 0; k < n; k++, s = s + 1 == n ? 0 : s + 1)
		if (!a->map[s]) {
			a->cursor = s + 1 == n ? 0 : s + 1;
			return s;
		}
	return UINT32_MAX;
}

/**
 * swap_slot_alloc() - a free slot of the best area with room, with one reference
 * @e: receives the entry
 * @skip: areas (bit per type) not to use: they refused this page already
 *
 * Return: true, or false if no area has a free slot.
 */
bool swap_slot_alloc(swp_entry_t *e, uint32_t skip)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct swap_area *best = NULL;
	unsigned bt = 0;

	for (unsigned t = 0; t < SWAP_MAX_AREAS; t++) {
		struct swap_area *a = areas[t];

		if (a && !a->removing && !(skip & (1u << t)) && a->used < a->usable &&
		    (!best || a->prio > best->prio)) {
			best = a;
			bt = t;
		}
	}
	uint32_t s = best ? find_free(best) : UINT32_MAX;

	if (s != UINT32_MAX) {
		best->map[s] = 1;
		best->used++;
		count(&ctr.slots_used, 1);
		*e = swp_entry(bt, s);
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	return s != UINT32_MAX;
}

/**
 * swap_dup() - another page-table entry holds @e
 *
 * Return: 0; -MM_EINVAL (not a slot in use); -MM_ENOMEM (too many references).
 */
int swap_dup(swp_entry_t e)
{
	struct swap_area *a;
	int r = 0;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	uint16_t *w = slot_word(e, &a);
	unsigned c = w ? (*w & ~SWAP_HAS_CACHE) : 0;

	if (!w || !*w || *w == SWAP_BAD || *w == SWAP_BUSY)
		r = -MM_EINVAL;
	else if (c >= SWAP_COUNT_MAX)
		r = -MM_ENOMEM;
	else
		(*w)++;
	spin_unlock_irqrestore(&swap_lock, fl);
	return r;
}

unsigned swap_count(swp_entry_t e)
{
	struct swap_area *a;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	uint16_t *w = slot_word(e, &a);
	unsigned c = !w || *w == SWAP_BAD || *w == SWAP_BUSY ? 0 :
		     (*w & ~SWAP_HAS_CACHE) + !!(*w & SWAP_HAS_CACHE);

	spin_unlock_irqrestore(&swap_lock, fl);
	return c;
}

/* The cache node of @e, or NULL (swap_lock held). */
static struct scache *cache_find(swp_entry_t e)
{
	struct scache *n = by_entry[hash_e(e)];

	while (n && n->e.val != e.val)
		n = n->next_e;
	return n;
}

/* Take node @n out of both hashes (swap_lock held). */
static void cache_unlink_node(struct scache *n)
{
	struct scache **pp = &by_entry[hash_e(n->e)];

	while (*pp != n)
		pp = &(*pp)->next_e;
	*pp = n->next_e;
	pp = &by_frame[hash_p(n->pa)];
	while (*pp != n)
		pp = &(*pp)->next_p;
	*pp = n->next_p;
	count(&ctr.cache_pages, -1);
	if (n->flags & SC_KEPT)
		__atomic_fetch_sub(&kept_len, 1, __ATOMIC_RELAXED);
}

/* Unlink the cache node of @e unless its I/O is running (swap_lock held): returns it, or NULL. */
static struct scache *cache_unlink(swp_entry_t e)
{
	struct scache *n = cache_find(e);

	if (!n || (n->flags & SC_BUSY))
		return NULL;
	cache_unlink_node(n);
	return n;
}

/*
 * Word @w of @e fell to zero references: discard the backend's copy and
 * free the slot. Called with swap_lock held (@fl its saved state), returns
 * with it released.
 */
static void slot_release(struct swap_area *a, uint16_t *w, swp_entry_t e, unsigned long fl)
{
	struct swap_backend *b = a->b;

	*w = SWAP_BUSY;
	spin_unlock_irqrestore(&swap_lock, fl);
	b->ops->discard(b, swp_offset(e));
	fl = spin_lock_irqsave(&swap_lock);
	*w = 0;
	a->used--;
	count(&ctr.slots_used, -1);
	spin_unlock_irqrestore(&swap_lock, fl);
}

/* Drop one reference of kind @what (1: an entry; SWAP_HAS_CACHE: the cache's) to @e. */
static void slot_put(swp_entry_t e, unsigned what)
{
	struct swap_area *a;
	struct scache *drop = NULL;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	uint16_t *w = slot_word(e, &a);

	if (!w || *w == SWAP_BAD || *w == SWAP_BUSY ||
	    (what == 1 ? !(*w & ~SWAP_HAS_CACHE) : !(*w & SWAP_HAS_CACHE))) {
		spin_unlock_irqrestore(&swap_lock, fl);
		mm_err("swap: bad put of entry %#x (%s)", e.val, what == 1 ? "entry" : "cache");
		return;
	}
	*w = (uint16_t)(*w - what);
	/*
	 * Only the cache holds it: nobody can map the frame by this entry
	 * again. (With its I/O running, the I/O's end drops it.)
	 */
	if (*w == SWAP_HAS_CACHE && (drop = cache_unlink(e)) != NULL)
		*w = 0;
	if (*w) {
		spin_unlock_irqrestore(&swap_lock, fl);
	} else {
		slot_release(a, w, e, fl);
	}
	if (drop) {
		pmm_put(drop->pa);
		kfree(drop);
	}
}

/**
 * swap_free() - a page-table entry holding @e is gone
 * @e: the entry
 *
 * The slot is freed (and its backend's copy discarded) with its last reference.
 */
void swap_free(swp_entry_t e)
{
	slot_put(e, 1);
}

static int cache_add(swp_entry_t e, phys_addr_t pa, unsigned flags);
static bool cache_drop(struct scache *n, unsigned long fl);

/**
 * swap_cache_add() - put frame @pa in the swap cache as the page of @e
 * @e: an entry with at least one reference
 * @pa: the frame; the cache takes a reference to it
 *
 * Return: 0; -MM_EEXIST (the entry has a frame already); -MM_ENOMEM; -MM_EINVAL.
 */
int swap_cache_add(swp_entry_t e, phys_addr_t pa)
{
	return cache_add(e, pa, 0);
}

/* swap_cache_add() in state @flags; SC_WRITING queues the node for write-back. */
static int cache_add(swp_entry_t e, phys_addr_t pa, unsigned flags)
{
	struct scache *n = kmalloc(sizeof(*n));
	struct swap_area *a;
	int r = 0;

	if (!n)
		return -MM_ENOMEM;
	n->e = e;
	n->pa = pa;
	n->flags = flags;
	n->next_q = NULL;

	unsigned long fl = spin_lock_irqsave(&swap_lock);
	uint16_t *w = slot_word(e, &a);

	if (!w || *w == SWAP_BAD || *w == SWAP_BUSY || !*w)
		r = -MM_EINVAL;
	else if (*w & SWAP_HAS_CACHE)
		r = -MM_EEXIST;
	if (!r) {
		*w |= SWAP_HAS_CACHE;
		n->next_e = by_entry[hash_e(e)];
		by_entry[hash_e(e)] = n;
		n->next_p = by_frame[hash_p(pa)];
		by_frame[hash_p(pa)] = n;
		pmm_get(pa);
		count(&ctr.cache_pages, 1);
		if (flags & SC_WRITING) {
			*wb_tail = n;
			wb_tail = &n->next_q;
			__atomic_fetch_add(&wb_len, 1, __ATOMIC_RELAXED);
		}
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	if (r)
		kfree(n);
	return r;
}

/**
 * swap_cache_lookup() - the frame of @e in the swap cache, with a reference taken
 * @e: the entry
 * @pa: receives the frame
 *
 * A frame being written is the page already; one being read is not yet.
 *
 * Return: 0 (*@pa holds the page); -MM_EBUSY (being read); -MM_ENOENT.
 */
int swap_cache_lookup(swp_entry_t e, phys_addr_t *pa)
{
	int r = -MM_ENOENT;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find(e);

	if (n && (n->flags & SC_READING)) {
		r = -MM_EBUSY;
	} else if (n) {
		*pa = n->pa;
		pmm_get(n->pa);
		r = 0;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	return r;
}

/**
 * swap_cache_get() - the frame of @e in the swap cache, with a reference taken
 *
 * Return: the frame, or PMM_NO_FRAME (none, or not read yet).
 */
phys_addr_t swap_cache_get(swp_entry_t e)
{
	phys_addr_t pa;

	return swap_cache_lookup(e, &pa) ? PMM_NO_FRAME : pa;
}

/**
 * swap_cache_lookup_frame() - the entry whose page frame @pa is, if it is in the swap cache
 *
 * Return: true, with the entry in *@e.
 */
bool swap_cache_lookup_frame(phys_addr_t pa, swp_entry_t *e)
{
	bool found = false;
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	for (struct scache *n = by_frame[hash_p(pa)]; n; n = n->next_p)
		if (n->pa == pa) {
			*e = n->e;
			found = true;
			break;
		}
	spin_unlock_irqrestore(&swap_lock, fl);
	return found;
}

/**
 * swap_cache_del() - take @e's frame out of the swap cache, dropping the cache's references
 *
 * A frame whose I/O runs, or whose slot does not hold the page (SC_DIRTY),
 * stays.
 *
 * Return: true if it was there and is gone.
 */
bool swap_cache_del(swp_entry_t e)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find(e);

	if (!n || (n->flags & (SC_BUSY | SC_DIRTY))) {
		spin_unlock_irqrestore(&swap_lock, fl);
		return false;
	}
	cache_drop(n, fl);
	return true;
}

/**
 * swap_cache_take() - the faulting mapping is the last user of @e's cached frame @pa
 * @e: the entry, held by one page-table entry (the faulting one) and the cache
 * @pa: its frame, referenced by the cache and the caller only
 *
 * Takes the frame out of the cache (unless its I/O runs), so that the
 * fault maps it writable and frees the slot, as a page read for one user
 * never enters the cache.
 *
 * Return: true if taken.
 */
bool swap_cache_take(swp_entry_t e, phys_addr_t pa)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find(e);
	struct swap_area *a;
	uint16_t *w = slot_word(e, &a);

	if (!n || !w || n->pa != pa || (n->flags & SC_BUSY) || (*w & ~SWAP_HAS_CACHE) != 1 ||
	    pmm_refcount(pa) != 2) {
		spin_unlock_irqrestore(&swap_lock, fl);
		return false;
	}
	cache_unlink_node(n);
	*w &= (uint16_t)~SWAP_HAS_CACHE;
	spin_unlock_irqrestore(&swap_lock, fl);
	kfree(n);
	pmm_put(pa);
	return true;
}

/* --- kept slots: a clean copy of a mapped page ------------------------------------ */

/* The cache node of frame @pa, or NULL (swap_lock held). */
static struct scache *cache_find_frame(phys_addr_t pa)
{
	struct scache *n = by_frame[hash_p(pa)];

	while (n && n->pa != pa)
		n = n->next_p;
	return n;
}

/*
 * Is node @n a kept copy: idle, the slot holding its page, and no entry
 * naming the slot, so that only the frame's mappings use it (swap_lock held)?
 */
static bool node_kept(struct scache *n)
{
	struct swap_area *a;
	uint16_t *w;

	if (!n || (n->flags & (SC_BUSY | SC_DIRTY)))
		return false;
	w = slot_word(n->e, &a);
	return w && *w == SWAP_HAS_CACHE;
}

/**
 * swap_keep_wanted() - may a page read back from @e keep its slot?
 * @e: the entry being faulted in
 *
 * As Linux's vm_swap_full(): only while swap is under half full, and only
 * in an area that does not sleep and is not being removed.
 */
bool swap_keep_wanted(swp_entry_t e)
{
	struct swap_area *a = areas[swp_type(e)];
	uint64_t used = __atomic_load_n(&ctr.slots_used, __ATOMIC_RELAXED);

	return a && !a->b->may_sleep && !a->removing &&
	       used * 2 < __atomic_load_n(&ctr.slots_total, __ATOMIC_RELAXED);
}

/**
 * swap_keep() - the faulting entry of @e is gone; its slot stays for frame @pa
 * @e: the entry, held by the faulting page-table entry (now mapping @pa) and
 *     the swap cache, whose frame is @pa
 * @pa: the frame, mapped read-only
 *
 * The slot is then held by the cache alone, as a clean copy of the page:
 * reclaim swaps the page out again without writing it, a write fault
 * drops the copy (swap_unkeep()), as does the last unmapping. If the
 * cache no longer holds @pa for @e, this is swap_free().
 */
void swap_keep(swp_entry_t e, phys_addr_t pa)
{
	struct swap_area *a;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find(e);
	uint16_t *w = slot_word(e, &a);

	if (n && w && n->pa == pa && !(n->flags & (SC_BUSY | SC_DIRTY)) &&
	    *w == (SWAP_HAS_CACHE | 1)) {
		*w = SWAP_HAS_CACHE;
		if (!(n->flags & SC_KEPT))
			__atomic_fetch_add(&kept_len, 1, __ATOMIC_RELAXED);
		n->flags |= SC_KEPT;
		spin_unlock_irqrestore(&swap_lock, fl);
		return;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	slot_put(e, 1);
}

/* Kept copies in the cache (a hint: 0 means none, read without the lock). */
unsigned long swap_kept_pages(void)
{
	return __atomic_load_n(&kept_len, __ATOMIC_RELAXED);
}

/**
 * swap_unkeep() - drop the kept copy of frame @pa if @refs references remain
 * @pa: a frame
 * @refs: its references the caller expects, the cache's included: 2 for a
 *	  write fault on its one mapping (the copy is stale), 1 once it is
 *	  unmapped everywhere
 *
 * The slot is freed (its backend's copy discarded) and the cache's frame
 * reference dropped.
 *
 * Return: true if it was dropped.
 */
bool swap_unkeep(phys_addr_t pa, unsigned refs)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find_frame(pa);

	if (!node_kept(n) || pmm_refcount(pa) != refs) {
		spin_unlock_irqrestore(&swap_lock, fl);
		return false;
	}
	cache_drop(n, fl);
	return true;
}

/**
 * swap_unkeep_unmapped() - frames whose mappings were just dropped
 * @pfn: their frame numbers
 * @n: how many
 *
 * A kept copy of a page nothing maps any more is freed with its frame
 * (Linux's free_swap_cache()): no entry can find it again.
 */
void swap_unkeep_unmapped(const uint32_t *pfn, unsigned n)
{
	for (unsigned k = 0; k < n && swap_kept_pages(); k++)
		swap_unkeep((phys_addr_t)pfn[k] << PAGE_SHIFT, 1);
}

/**
 * swap_frame_kept() - is frame @pa mapped once, beside a kept copy?
 *
 * For MADV_PAGEOUT, which takes pages only one mapping uses.
 */
bool swap_frame_kept(phys_addr_t pa)
{
	bool kept;
	unsigned long fl;

	if (!swap_kept_pages())
		return false;
	fl = spin_lock_irqsave(&swap_lock);
	kept = node_kept(cache_find_frame(pa)) && pmm_refcount(pa) == 2;
	spin_unlock_irqrestore(&swap_lock, fl);
	return kept;
}

/**
 * swap_drop_kept() - free kept copies, for room (Linux: swap is full)
 * @max: copies at most
 * @type: only those of this area, or -1 for any
 *
 * Their frames stay mapped, now with no copy. Walks the whole cache: for
 * when slots run out and for swapoff, not for every page.
 *
 * Return: copies freed.
 */
unsigned long swap_drop_kept(unsigned long max, int type)
{
	unsigned long done = 0;

	for (unsigned b = 0; b < (1u << __atomic_load_n(&cache_bits, __ATOMIC_RELAXED)) && done < max && swap_kept_pages(); b++) {
		unsigned long fl = spin_lock_irqsave(&swap_lock);
		struct scache *n = by_entry[b];

		while (n && (!node_kept(n) || (type >= 0 && swp_type(n->e) != (unsigned)type)))
			n = n->next_e;
		if (!n) {
			spin_unlock_irqrestore(&swap_lock, fl);
			continue;
		}
		cache_drop(n, fl);
		done++;
		b--;		/* this bucket again */
	}
	return done;
}

/* Frame @pa to @slot of area @a: by frame for a device, else through a temporary mapping. */
static int backend_write(struct swap_area *a, uint32_t slot, phys_addr_t pa)
{
	if (a->b->ops->write_frame)
		return a->b->ops->write_frame(a->b, slot, pa);
	void *page = plat_kmap(pa);
	int r = a->b->ops->write(a->b, slot, page);

	plat_kunmap(page);
	return r;
}

static int backend_read(struct swap_area *a, uint32_t slot, phys_addr_t pa)
{
	if (a->b->ops->read_frame)
		return a->b->ops->read_frame(a->b, slot, pa);
	void *page = plat_kmap(pa);
	int r = a->b->ops->read(a->b, slot, page);

	plat_kunmap(page);
	return r;
}

/**
 * swap_write() - store frame @pa's page in @e's slot
 *
 * Return: 0, -MM_ENOMEM (the area's backend refused), -MM_EIO.
 */
int swap_write(swp_entry_t e, phys_addr_t pa)
{
	int r = backend_write(areas[swp_type(e)], swp_offset(e), pa);

	if (!r)
		count(&ctr.swpout, 1);
	return r;
}

/**
 * swap_read() - fill frame @pa with @e's page
 *
 * Return: 0 or -MM_EIO.
 */
int swap_read(swp_entry_t e, phys_addr_t pa)
{
	struct swap_area *a = areas[swp_type(e)];
	int r = a ? backend_read(a, swp_offset(e), pa) : -MM_EIO;

	if (r) {
		count(&ctr.read_errors, 1);
		return -MM_EIO;
	}
	count(&ctr.swpin, 1);
	return 0;
}

/**
 * swap_write_nowait() - store frame @pa in @e's slot without sleeping
 *
 * For an area that may sleep whose backend keeps some pages in RAM (a
 * tier); called with the caller's locks held.
 *
 * Return: 0; -MM_EAGAIN (it must be written the sleeping way); -MM_EIO.
 */
int swap_write_nowait(swp_entry_t e, phys_addr_t pa)
{
	struct swap_area *a = areas[swp_type(e)];
	int r = a && a->b->ops->write_nowait ? a->b->ops->write_nowait(a->b, swp_offset(e), pa) :
		-MM_EAGAIN;

	if (!r)
		count(&ctr.swpout, 1);
	return r;
}

/**
 * swap_read_nowait() - fill frame @pa with @e's page without sleeping
 *
 * Return: 0; -MM_EAGAIN (it must be read the sleeping way); -MM_EIO.
 */
int swap_read_nowait(swp_entry_t e, phys_addr_t pa)
{
	struct swap_area *a = areas[swp_type(e)];
	int r = a && a->b->ops->read_nowait ? a->b->ops->read_nowait(a->b, swp_offset(e), pa) :
		-MM_EAGAIN;

	if (r == -MM_EAGAIN)
		return r;
	if (r) {
		count(&ctr.read_errors, 1);
		return -MM_EIO;
	}
	count(&ctr.swpin, 1);
	return 0;
}

/* Figures the address-space layer adds to. */
void swap_count_event(enum swap_event ev)
{
	switch (ev) {
	case SWAP_EV_CACHE_HIT:
		count(&ctr.cache_hits, 1);
		break;
	case SWAP_EV_WRITE_FAIL:
		count(&ctr.write_fail, 1);
		break;
	}
}

/* --- I/O outside the locks ----------------------------------------------------- */

/* Does @e's area do its I/O asleep (a disk)? Its caller holds a reference to @e. */
bool swap_entry_sleeps(swp_entry_t e)
{
	struct swap_area *a = areas[swp_type(e)];

	return a && a->b->may_sleep;
}

/**
 * swap_cache_add_writing() - put frame @pa in the cache as @e's page, to be written
 * @e: a fresh slot (one reference)
 * @pa: the frame (the cache takes a reference)
 *
 * The write happens in swap_writeback_run(), with no lock held; the frame
 * leaves the cache after it if nothing else maps it.
 *
 * Return: 0, -MM_ENOMEM, -MM_EEXIST, -MM_EINVAL.
 */
int swap_cache_add_writing(swp_entry_t e, phys_addr_t pa)
{
	return cache_add(e, pa, SC_WRITING | SC_DIRTY);
}

/**
 * swap_cache_rewrite() - queue @e's cached frame for writing again if its slot lacks it
 *
 * For a page whose earlier write failed, swapped out again by another mapping.
 *
 * Return: true if it was queued (or is queued already).
 */
bool swap_cache_rewrite(swp_entry_t e)
{
	bool q = false;
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct scache *n = cache_find(e);

	if (n && (n->flags & SC_WRITING)) {
		q = true;
	} else if (n && (n->flags & SC_DIRTY) && !(n->flags & SC_READING)) {
		n->flags |= SC_WRITING;
		n->next_q = NULL;
		*wb_tail = n;
		wb_tail = &n->next_q;
		__atomic_fetch_add(&wb_len, 1, __ATOMIC_RELAXED);
		q = true;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	return q;
}

/*
 * Drop node @n from the cache with its references (swap_lock held, @fl its
 * saved state; returns with it released; the slot is released with its
 * last reference). Return: true if that freed the frame.
 */
static bool cache_drop(struct scache *n, unsigned long fl)
{
	phys_addr_t pa = n->pa;
	struct swap_area *a;
	uint16_t *w = slot_word(n->e, &a);

	cache_unlink_node(n);
	*w &= (uint16_t)~SWAP_HAS_CACHE;
	if (*w)
		spin_unlock_irqrestore(&swap_lock, fl);
	else
		slot_release(a, w, n->e, fl);
	kfree(n);
	return pmm_put(pa) == 0;
}

/*
 * The I/O on node @n ended (swap_lock held, @fl its saved state; returns
 * with it released). Drops the node if no entry needs it any more, or
 * (@drop_clean) if its frame is clean and only the cache holds it.
 * Return: true if that freed the frame.
 */
static bool io_end(struct scache *n, bool drop_clean, unsigned long fl)
{
	struct swap_area *a;
	uint16_t *w = slot_word(n->e, &a);
	bool unused = !(*w & ~SWAP_HAS_CACHE);

	if (unused || (drop_clean && !(n->flags & SC_DIRTY) && pmm_refcount(n->pa) == 1))
		return cache_drop(n, fl);
	spin_unlock_irqrestore(&swap_lock, fl);
	return false;
}

/**
 * swap_writeback_batch() - do queued writes, oldest first, until @want frames are freed
 * @writes: writes allowed, decremented by those done (direct reclaim: a
 *	    batch, so that a task never waits for a whole queue other tasks
 *	    filled)
 * @want: frames wanted: stop once that many are freed (~0: the whole queue)
 *
 * Called with no lock held (the backend may sleep): by reclaim after its
 * scan, by MADV_PAGEOUT after the space's lock. A frame that nothing maps
 * any more leaves the cache once its page is in the slot; one whose write
 * failed stays (the page's only copy), SC_DIRTY, counted in write_fail.
 * What is left queued is written by the next call (the reclaim thread's).
 * Once the queue is empty, a tier that had to refuse pages moves up to
 * TIER_BATCH of its coldest down.
 *
 * Return: frames freed.
 */
unsigned long swap_writeback_batch(unsigned long *writes, unsigned long want)
{
	unsigned long freed = 0;

	for (;;) {
		unsigned long fl = spin_lock_irqsave(&swap_lock);
		struct scache *n = wb_head;

		if (!n || !*writes || freed >= want) {
			spin_unlock_irqrestore(&swap_lock, fl);
			if (!n)	/* a tier that had to refuse pages moves its coldest down: room for the next */
				*writes -= MM_MIN(*writes, swap_tier_writeback(TIER_BATCH, false));
			return freed;
		}
		wb_head = n->next_q;
		if (!wb_head)
			wb_tail = &wb_head;
		__atomic_fetch_sub(&wb_len, 1, __ATOMIC_RELAXED);
		spin_unlock_irqrestore(&swap_lock, fl);
		(*writes)--;

		/* The node stays: busy nodes are neither dropped nor released. */
		struct swap_area *a = areas[swp_type(n->e)];
		int err = backend_write(a, swp_offset(n->e), n->pa);

		fl = spin_lock_irqsave(&swap_lock);
		n->flags &= ~SC_WRITING;
		if (!err) {
			n->flags &= ~SC_DIRTY;
			count(&ctr.swpout, 1);
		} else {
			count(&ctr.write_fail, 1);
		}
		freed += io_end(n, true, fl);
	}
}

/* swap_writeback_batch() until the queue is empty. */
unsigned long swap_writeback_run(void)
{
	unsigned long writes = ~0ul;

	return swap_writeback_batch(&writes, ~0ul);
}

/**
 * swap_writeback_pending() - pages queued for writing and not started yet
 *
 * For the reclaim thread, which writes what direct reclaim left queued.
 */
unsigned long swap_writeback_pending(void)
{
	return __atomic_load_n(&wb_len, __ATOMIC_RELAXED);
}

/**
 * swap_read_into_cache() - read @e's page into a new frame of the swap cache
 * @e: an entry the caller saw in a page table (its lock since released)
 *
 * Called with no lock held (the backend may sleep). Other faults on @e
 * meanwhile find the node SC_READING and do not use its frame; a fault
 * retried after this finds the page in the cache. If the slot was freed
 * meanwhile, or the page is in the cache already, nothing is read.
 *
 * Return: 1 (read); 0 (nothing to read); -MM_EBUSY (another task is
 * reading it); -MM_ENOMEM; -MM_EIO.
 */
int swap_read_into_cache(swp_entry_t e)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_HIGHMEM | PMM_USER);	/* a user page: not the reserve */
	unsigned long fl;
	int err;

	if (pa == PMM_NO_FRAME)
		return -MM_ENOMEM;
	err = cache_add(e, pa, SC_READING);
	if (err) {
		pmm_put(pa);
		if (err == -MM_EEXIST) {
			phys_addr_t got;

			err = swap_cache_lookup(e, &got);
			if (!err)
				pmm_put(got);
		}
		return err == -MM_EBUSY || err == -MM_ENOMEM ? err : 0;
	}
	err = swap_read(e, pa);
	fl = spin_lock_irqsave(&swap_lock);

	struct scache *n = cache_find(e);	/* still there: busy nodes stay */

	n->flags &= ~SC_READING;
	if (err)
		cache_drop(n, fl);	/* not the page: waiters read again themselves */
	else
		io_end(n, false, fl);
	pmm_put(pa);
	return err ? err : 1;
}

/* --- tiers: write-back from RAM to the device below ------------------------------- */

/*
 * Area @t for a call into its backend with no lock held, counted in
 * shrinking (swap_area_forget() waits): NULL if it is gone, being
 * removed, empty, or lacks what @tier asks (cold and move_down).
 */
static struct swap_area *area_pin(unsigned t, bool tier)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);
	struct swap_area *a = areas[t];

	if (!a || a->removing || !a->used || (tier ? !a->b->ops->cold || !a->b->ops->move_down :
							  !a->b->ops->shrink))
		a = NULL;
	else
		a->shrinking++;
	spin_unlock_irqrestore(&swap_lock, fl);
	return a;
}

static void area_unpin(struct swap_area *a)
{
	unsigned long fl = spin_lock_irqsave(&swap_lock);

	a->shrinking--;
	spin_unlock_irqrestore(&swap_lock, fl);
}

/*
 * Move slot @slot of area @a (type @t) down to its device: its page goes
 * into the swap cache (SC_READING while read from the tier, SC_WRITING
 * while written below), so that faults meanwhile find it there and the
 * slot cannot be freed under the I/O. Return: 1 moved, 0 skipped (the slot
 * is free, or in the cache already), -MM_ENOMEM (no frame), -MM_EIO.
 */
static int tier_move(struct swap_area *a, unsigned t, uint32_t slot)
{
	swp_entry_t e = swp_entry(t, slot);
	phys_addr_t pa = pmm_alloc_pages(0, PMM_HIGHMEM);
	struct scache *n;
	unsigned long fl;
	int r;

	if (pa == PMM_NO_FRAME)
		return -MM_ENOMEM;
	r = cache_add(e, pa, SC_READING);
	pmm_put(pa);			/* the cache's reference keeps it; a busy node stays */
	if (r)
		return r == -MM_ENOMEM ? r : 0;
	r = backend_read(a, slot, pa);
	fl = spin_lock_irqsave(&swap_lock);
	n = cache_find(e);
	n->flags = r ? 0 : SC_WRITING;	/* the frame is the page now: faults may map it */
	if (r) {
		cache_drop(n, fl);
		return -MM_EIO;
	}
	spin_unlock_irqrestore(&swap_lock, fl);
	r = a->b->ops->move_down(a->b, slot, pa);
	fl = spin_lock_irqsave(&swap_lock);
	n->flags &= ~SC_WRITING;
	io_end(n, true, fl);		/* the slot holds the page either way */
	return r == -MM_ENOENT ? 0 : r ? -MM_EIO : 1;
}

/* swap_tier_writeback(), adding to *@freed the frames the pools' compaction gave back. */
static unsigned long tier_writeback(unsigned long nr, bool force, unsigned long *freed)
{
	unsigned long moved = 0;
	uint32_t slots[TIER_BATCH];

	for (unsigned t = 0; t < SWAP_MAX_AREAS && moved < nr; t++) {
		struct swap_area *a = area_pin(t, true);
		bool stop = !a;

		while (!stop && moved < nr) {
			unsigned n = a->b->ops->cold(a->b, slots,
						     (unsigned)MM_MIN(nr - moved, TIER_BATCH), force);
			unsigned long got = 0;

			for (unsigned k = 0; k < n && !stop; k++) {
				int r = tier_move(a, t, slots[k]);

				got += r > 0;
				stop = r < 0;
			}
			moved += got;
			stop |= !got;		/* every candidate busy: another time */
			/* Their objects are freed: compact, so the pool's frames go back and it takes pages again. */
			if (got && a->b->ops->shrink)
				*freed += a->b->ops->shrink(a->b, got);
		}
		if (a)
			area_unpin(a);
	}
	return moved;
}

unsigned long swap_tier_writeback(unsigned long nr, bool force)
{
	unsigned long freed = 0;

	return tier_writeback(nr, force, &freed);
}

/* The shrink operation of every area that has one, until @pages frames are freed. */
static unsigned long shrink_all(unsigned long pages)
{
	unsigned long freed = 0;

	for (unsigned t = 0; t < SWAP_MAX_AREAS && freed < pages; t++) {
		struct swap_area *a = area_pin(t, false);

		if (a) {
			freed += a->b->ops->shrink(a->b, pages - freed);
			area_unpin(a);
		}
	}
	return freed;
}

unsigned long swap_shrink_backends(unsigned long pages)
{
	unsigned long freed = shrink_all(pages);

	/* Pages moved down free their RAM copies; compaction after each batch gives the frames back. */
	if (freed < pages)
		tier_writeback(pages - freed, true, &freed);
	return freed;
}
