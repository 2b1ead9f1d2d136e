// SPDX-License-Identifier: MIT
/*
 * The LRU lists (mm/lru.h): doubly linked through a table of per-frame
 * entries kept beside the frame database, linked by frame number.
 *
 * Anonymous pages reach the lists through per-CPU batches
 * (mm/lru_batch.c); everything here that reads the lists drains them first.
 *
 * Lock order: a CPU's LRU batch lock, then lru_lock; lru_lock is taken
 * last (only the PMM's locks inside it).
 */
#include "errno.h"
#include "frame.h"
#include "lru_impl.h"
#include "spinlock.h"

/* Entry states (ent->state), under lru_lock. */
#define ST_LIST_MASK	0x07	/* which list, if ST_ON */
#define ST_ON		0x08	/* on a list */
#define ST_ISOLATED	0x10	/* taken off by reclaim, still owned */
#define ST_FILE		0x20	/* a file page (else anonymous) */
#define ST_OWNED	(ST_ON | ST_ISOLATED)

struct lru_ent {
	uintptr_t index;
	void *owner;
	uint32_t next, prev;	/* frame numbers, PFN_NIL at the ends */
	uint8_t state;
	uint8_t accessed;	/* set without the lock (atomic) */
	uint16_t gen;		/* forgotten how often: written under lru_lock, read without (atomic) */
};
_Static_assert(sizeof(struct lru_ent) == (sizeof(void *) == 8 ? 32 : 20), "lru entry size (docs)");

struct lru_head {
	uint32_t head, tail;
	MM_ATOMIC64 uint64_t count;	/* read unlocked by lru_count() */
};
MM_ATOMIC64_OK(struct lru_head, count);

static spinlock_t lru_lock;
static struct lru_ent **tab;		/* per section: entries from its frame lo on */
static pfn_t tab_sections;
static uint64_t tab_frames;
static struct lru_head lists[LRU_NR_LISTS];
static unsigned unevictable_gen;	/* lru_rescue_unevictable() calls, under lru_lock */

/* Pages a rescue moves per hold of lru_lock: interrupts stay off that long. */
#define RESCUE_BATCH	256u

static unsigned order_for(uint64_t bytes)
{
	unsigned o = 0;

	while (((uint64_t)PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

/* Give back what a failed lru_init() took: sections [0, n) and the array. */
static void free_partial(struct lru_ent **t, pfn_t n, unsigned po)
{
	for (pfn_t i = 0; i < n; i++) {
		const struct section *s = &frame_db.sections[i];

		if (s->lo < s->hi)
			pmm_free_pages(plat_virt_to_phys(t[i] + s->lo),
				       order_for((uint64_t)(s->hi - s->lo) * sizeof(struct lru_ent)));
	}
	pmm_free_pages(plat_virt_to_phys(t), po);
}

/**
 * lru_init() - allocate the per-frame table for the frame database
 *
 * Once per PMM (after pmm_init()); the table is never freed.
 *
 * Return: 0, or -MM_ENOMEM (nothing allocated; lists stay off).
 */
int lru_init(void)
{
	pfn_t n = frame_db.nsections;
	unsigned po = order_for((uint64_t)n * sizeof(*tab));
	phys_addr_t pa;
	struct lru_ent **t;
	uint64_t frames;

	lru_reset();
	if (!n || po > PMM_MAX_ORDER || (pa = pmm_alloc_pages(po, PMM_ZERO)) == PMM_NO_FRAME)
		return -MM_ENOMEM;
	t = plat_phys_to_virt(pa);
	frames = (uint64_t)1 << po;
	for (pfn_t i = 0; i < n; i++) {
		const struct section *s = &frame_db.sections[i];
		unsigned o;

		if (s->lo >= s->hi)
			continue;
		o = order_for((uint64_t)(s->hi - s->lo) * sizeof(struct lru_ent));
		pa = o <= PMM_MAX_ORDER ? pmm_alloc_pages(o, PMM_ZERO) : PMM_NO_FRAME;
		if (pa == PMM_NO_FRAME) {
			free_partial(t, i, po);
			return -MM_ENOMEM;
		}
		t[i] = (struct lru_ent *)plat_phys_to_virt(pa) - s->lo;
		frames += (uint64_t)1 << o;
	}
	for (unsigned l = 0; l < LRU_NR_LISTS; l++)
		lists[l] = (struct lru_head){ PFN_NIL, PFN_NIL, 0 };
	tab_sections = n;
	tab_frames = frames;
	__atomic_store_n(&tab, t, __ATOMIC_RELEASE);
	return 0;
}

/**
 * lru_reset() - forget the table
 *
 * pmm_init() calls it: a new frame database makes the old table
 * meaningless (the host tests build the PMM, and their RAM, again and
 * again), so nothing of it is touched, only forgotten.
 */
void lru_reset(void)
{
	__atomic_store_n(&tab, NULL, __ATOMIC_RELEASE);
	lru_batch_reset();
	tab_sections = 0;
	tab_frames = 0;
	for (unsigned l = 0; l < LRU_NR_LISTS; l++)
		lists[l] = (struct lru_head){ PFN_NIL, PFN_NIL, 0 };
}

bool lru_enabled(void)
{
	return __atomic_load_n(&tab, __ATOMIC_ACQUIRE) != NULL;
}

uint64_t lru_table_frames(void)
{
	return tab_frames;
}

/* The entry of frame @pfn, or NULL (no table, or not RAM). */
static struct lru_ent *ent(pfn_t pfn)
{
	struct lru_ent **t = __atomic_load_n(&tab, __ATOMIC_ACQUIRE);
	pfn_t sec = pfn >> SECTION_SHIFT;
	const struct section *s;
	uint32_t off = (uint32_t)(pfn & SECTION_MASK);

	if (!t || sec >= tab_sections)
		return NULL;
	s = &frame_db.sections[sec];
	if (off < s->lo || off >= s->hi)
		return NULL;
	return &t[sec][off];
}

/* Linking, lru_lock held. */
static void link_head(struct lru_ent *e, uint32_t pfn, unsigned l)
{
	struct lru_head *h = &lists[l];

	e->prev = PFN_NIL;
	e->next = h->head;
	if (h->head != PFN_NIL)
		ent(h->head)->prev = pfn;
	else
		h->tail = pfn;
	h->head = pfn;
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);	/* read unlocked by lru_count() */
	e->state = (uint8_t)((e->state & ST_FILE) | ST_ON | l);
}

static void unlink(struct lru_ent *e)
{
	struct lru_head *h = &lists[e->state & ST_LIST_MASK];

	if (e->prev != PFN_NIL)
		ent(e->prev)->next = e->next;
	else
		h->head = e->next;
	if (e->next != PFN_NIL)
		ent(e->next)->prev = e->prev;
	else
		h->tail = e->prev;
	__atomic_store_n(&h->count, h->count - 1, __ATOMIC_RELAXED);
	e->state &= (uint8_t)~(ST_ON | ST_LIST_MASK);
}

static unsigned inactive_of(unsigned kind)
{
	return (kind & LRU_FILE) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
}

/* The kind of entry @e (lru_lock held). */
static unsigned kind_of(const struct lru_ent *e)
{
	return e->state & ST_FILE ? LRU_FILE : LRU_ANON;
}

/* lru_add() of entry @e of frame @pfn, lru_lock held: a page already owned stays where it is. */
static void add_locked(struct lru_ent *e, pfn_t pfn, unsigned kind, void *owner, uintptr_t index)
{
	if (e->state & ST_OWNED)
		return;
	e->owner = owner;
	e->index = index;
	e->state = (kind & LRU_FILE) ? ST_FILE : 0;
	__atomic_store_n(&e->accessed, 0, __ATOMIC_RELAXED);
	if (!(kind & LRU_FILE))	/* before it can be isolated: the PMM then drops atomically */
		__atomic_store_n(&pfn_frame(pfn)->spare, FRAME_LRU_ANON, __ATOMIC_RELEASE);
	link_head(e, (uint32_t)pfn, (kind & LRU_LOCKED) ? LRU_UNEVICTABLE : inactive_of(kind));
}

/**
 * lru_add() - put a page on its kind's inactive list
 * @pa: an allocated order-0 frame
 * @kind: LRU_ANON or LRU_FILE, with LRU_LOCKED for a page a locked region
 *	  maps (it goes to the unevictable list)
 * @owner: what owns it (the page cache's object for a file page)
 * @index: the page's index in @owner
 *
 * A plain anonymous page (a fault's) goes through this CPU's batch
 * (mm/lru_batch.c): it is on its list once the batch is drained.
 */
void lru_add(phys_addr_t pa, unsigned kind, void *owner, uintptr_t index)
{
	pfn_t pfn = pa >> PAGE_SHIFT;
	struct lru_ent *e;
	unsigned long fl;
	uint16_t gen;

	if (kind == LRU_ANON) {		/* the fault path: through this CPU's batch */
		if (lru_pending_prepare(pfn, &gen))
			lru_batch_add(pfn, gen, owner, index);
		return;
	}
	if (!(e = ent(pfn)))
		return;
	fl = spin_lock_irqsave(&lru_lock);
	add_locked(e, pfn, kind, owner, index);
	spin_unlock_irqrestore(&lru_lock, fl);
}

bool lru_pending_prepare(pfn_t pfn, uint16_t *gen)
{
	struct lru_ent *e = ent(pfn);

	if (!e)
		return false;
	*gen = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE);
	/* After the generation: a free from now on moves it on, and the drain skips the page. */
	__atomic_store_n(&pfn_frame(pfn)->spare, FRAME_LRU_ANON, __ATOMIC_SEQ_CST);
	return true;
}

/* Is batched page @p still what it was when batched: allocated, not forgotten since? */
static bool pending_valid(const struct lru_pending *p, const struct lru_ent *e)
{
	const struct frame *f = pfn_frame(p->pfn);

	return e->gen == p->gen && !(e->state & ST_OWNED) && frame_flags(f) == FRAME_ALLOC &&
	       __atomic_load_n(&f->refcount, __ATOMIC_RELAXED) && frame_on_lru(f);
}

void lru_add_pending(const struct lru_pending *p, unsigned n)
{
	unsigned long fl = spin_lock_irqsave(&lru_lock);

	for (unsigned i = 0; i < n; i++) {
		struct lru_ent *e = ent(p[i].pfn);

		if (e && pending_valid(&p[i], e))
			add_locked(e, p[i].pfn, LRU_ANON, p[i].owner, p[i].index);
	}
	spin_unlock_irqrestore(&lru_lock, fl);
}

/* Forget entry @e of frame @pfn (lru_lock held): off its list, mark cleared. */
static void forget(struct lru_ent *e, pfn_t pfn)
{
	if (e->state & ST_ON)
		unlink(e);
	__atomic_store_n(&e->gen, (uint16_t)(e->gen + 1), __ATOMIC_RELEASE);	/* batches skip it */
	e->state = 0;
	e->owner = NULL;
	if (frame_on_lru(pfn_frame(pfn)))
		__atomic_store_n(&pfn_frame(pfn)->spare, 0, __ATOMIC_RELAXED);
}

/**
 * lru_page_freed() - the last reference to an anonymous LRU page went
 * @pfn: its frame, count 0, not yet back in the allocator
 *
 * Called by the PMM for frames marked FRAME_LRU_ANON: an anonymous page
 * leaves its list when its last mapping (or the swap cache) lets it go.
 */
void lru_page_freed(pfn_t pfn)
{
	struct lru_ent *e = ent(pfn);
	unsigned long fl;

	if (!e)
		return;
	fl = spin_lock_irqsave(&lru_lock);
	forget(e, pfn);
	spin_unlock_irqrestore(&lru_lock, fl);
}

/**
 * lru_pages_freed() - lru_page_freed() for @n frames under one hold of lru_lock
 * @pfn: the frames, each as lru_page_freed() wants it
 * @n: how many
 *
 * For the PMM's batched frees (munmap, exit).
 */
void lru_pages_freed(const uint32_t *pfn, unsigned n)
{
	unsigned long fl;

	if (!n)
		return;
	fl = spin_lock_irqsave(&lru_lock);
	for (unsigned i = 0; i < n; i++) {
		struct lru_ent *e = ent(pfn[i]);

		if (e)
			forget(e, pfn[i]);
	}
	spin_unlock_irqrestore(&lru_lock, fl);
}

/* Is @pa an anonymous page on a list (or isolated from one)? */
bool lru_anon_page(phys_addr_t pa)
{
	struct frame *f = pfn_frame_checked(pa >> PAGE_SHIFT);

	return f && frame_on_lru(f);
}

/**
 * lru_del() - the owner lets page @pa go
 * @pa: the frame; the owner still holds its reference
 *
 * Off its list; an isolated page is only marked (reclaim drops it when done).
 */
void lru_del(phys_addr_t pa)
{
	struct lru_ent *e = ent(pa >> PAGE_SHIFT);
	unsigned long fl;

	if (!e)
		return;
	fl = spin_lock_irqsave(&lru_lock);
	forget(e, pa >> PAGE_SHIFT);
	spin_unlock_irqrestore(&lru_lock, fl);
}

void lru_mark_accessed(phys_addr_t pa)
{
	struct lru_ent *e = ent(pa >> PAGE_SHIFT);

	if (e && !__atomic_load_n(&e->accessed, __ATOMIC_RELAXED))
		__atomic_store_n(&e->accessed, 1, __ATOMIC_RELAXED);
}

bool lru_test_clear_accessed(phys_addr_t pa)
{
	struct lru_ent *e = ent(pa >> PAGE_SHIFT);

	return e && __atomic_exchange_n(&e->accessed, 0, __ATOMIC_RELAXED);
}

/*
 * A reference to anonymous page @pfn unless its last one is going (its
 * mappings are dropped without lru_lock; the PMM then takes it off).
 */
static bool get_unless_zero(pfn_t pfn)
{
	struct frame *f = pfn_frame(pfn);
	uint32_t r = __atomic_load_n(&f->refcount, __ATOMIC_RELAXED);

	do {
		if (r == 0 || frame_flags(f) != FRAME_ALLOC)
			return false;
	} while (!__atomic_compare_exchange_n(&f->refcount, &r, r + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

/**
 * lru_isolate_zone() - take pages of zones up to @top from the tail of a list
 * @l: the list
 * @out: filled with the pages
 * @n: at most this many
 * @top: the highest zone wanted (Linux's reclaim_idx): a page of a zone
 *	 above it is skipped and moved to the head, so the next call looks
 *	 further down the list; PMM_ZONE_ID_HIGHMEM takes every page
 * @skipped: set to the pages skipped
 *
 * Each page gets a frame reference and leaves the list: a file page's
 * owner keeps it allocated while it is on the list; an anonymous page
 * whose last reference is going meanwhile is dropped from the list
 * instead. It stays owned until lru_putback() or lru_release(). At most
 * LRU_SKIP_MAX pages are skipped per call, which bounds the time the
 * list's lock is held.
 *
 * Return: pages taken.
 */
unsigned lru_isolate_zone(enum lru_list l, struct lru_victim *out, unsigned n,
			  enum pmm_zone top, unsigned *skipped)
{
	unsigned long fl;
	unsigned got = 0, skip = 0;

	lru_drain_all();
	fl = spin_lock_irqsave(&lru_lock);

	while (got < n && lists[l].tail != PFN_NIL) {
		uint32_t pfn = lists[l].tail;
		struct lru_ent *e = ent(pfn);
		phys_addr_t pa = (phys_addr_t)pfn << PAGE_SHIFT;

		if (pfn_zone(pfn) > top) {
			if (skip == LRU_SKIP_MAX || skip >= lists[l].count)
				break;
			skip++;
			unlink(e);
			link_head(e, pfn, l);
			continue;
		}
		if (!(e->state & ST_FILE) && !get_unless_zero(pfn)) {
			forget(e, pfn);	/* being freed: lru_page_freed() comes next */
			continue;
		}
		unlink(e);
		e->state |= ST_ISOLATED;
		if (e->state & ST_FILE)
			pmm_get(pa);
		out[got++] = (struct lru_victim){ pa, e->owner, e->index,
						  l == LRU_ACTIVE_ANON || l == LRU_ACTIVE_FILE };
	}
	spin_unlock_irqrestore(&lru_lock, fl);
	*skipped = skip;
	return got;
}

/**
 * lru_isolate() - take pages of any zone from the tail of a list for reclaim
 * @l: the list
 * @out: filled with the pages
 * @n: at most this many
 *
 * Return: pages taken (lru_isolate_zone()).
 */
unsigned lru_isolate(enum lru_list l, struct lru_victim *out, unsigned n)
{
	unsigned skipped;

	return lru_isolate_zone(l, out, n, PMM_ZONE_ID_HIGHMEM, &skipped);
}

/**
 * lru_putback() - reclaim is done with an isolated page that stays
 * @v: from lru_isolate()
 * @active: to the active list (it was referenced), else the inactive one
 */
/*
 * Give isolated page @v back: to the unevictable list if @locked and no
 * lock ended since generation @gen, else to its active list if @active or
 * @locked, else its inactive one. Drops the reference: the count left.
 */
static uint32_t putback(const struct lru_victim *v, bool active, bool locked, unsigned gen)
{
	struct lru_ent *e = ent(v->pa >> PAGE_SHIFT);
	unsigned long fl = spin_lock_irqsave(&lru_lock);

	if (e->state & ST_ISOLATED) {
		unsigned l = locked && gen == unevictable_gen ? LRU_UNEVICTABLE :
			     inactive_of(kind_of(e)) + (active || locked);

		e->state &= (uint8_t)~ST_ISOLATED;
		link_head(e, (uint32_t)(v->pa >> PAGE_SHIFT), l);
	}
	spin_unlock_irqrestore(&lru_lock, fl);
	return pmm_put(v->pa);
}

uint32_t lru_putback(const struct lru_victim *v, bool active)
{
	return putback(v, active, false, 0);
}

unsigned lru_unevictable_gen(void)
{
	return __atomic_load_n(&unevictable_gen, __ATOMIC_ACQUIRE);
}

/**
 * lru_putback_unevictable() - reclaim found an isolated page locked: off the scanned lists
 * @v: from lru_isolate()
 * @gen: lru_unevictable_gen() before the page was found locked
 *
 * Return: the frame's count left.
 */
uint32_t lru_putback_unevictable(const struct lru_victim *v, unsigned gen)
{
	return putback(v, false, true, gen);
}

/**
 * lru_rescue_unevictable() - a lock ended: every unevictable page back to its inactive list
 *
 * The generation moves first, so a scan that found a page locked before
 * the change puts it back active instead. At most RESCUE_BATCH pages per
 * hold of the lock; the pages there when it started are moved.
 *
 * Return: pages moved.
 */
unsigned long lru_rescue_unevictable(void)
{
	unsigned long fl, moved = 0;
	uint64_t left;

	lru_drain_all();
	fl = spin_lock_irqsave(&lru_lock);
	left = lists[LRU_UNEVICTABLE].count;

	__atomic_store_n(&unevictable_gen, unevictable_gen + 1, __ATOMIC_RELEASE);
	while (left && lists[LRU_UNEVICTABLE].tail != PFN_NIL) {
		uint32_t pfn = lists[LRU_UNEVICTABLE].tail;
		struct lru_ent *e = ent(pfn);

		unlink(e);
		link_head(e, pfn, inactive_of(kind_of(e)));
		left--;
		if (++moved % RESCUE_BATCH == 0) {
			spin_unlock_irqrestore(&lru_lock, fl);
			fl = spin_lock_irqsave(&lru_lock);
		}
	}
	spin_unlock_irqrestore(&lru_lock, fl);
	return moved;
}

/**
 * lru_release() - an isolated page was evicted: forget it, drop the reference
 * @v: from lru_isolate(); its owner has already called lru_del()
 */
void lru_release(const struct lru_victim *v)
{
	lru_del(v->pa);
	pmm_put(v->pa);
}

/**
 * lru_deactivate() - age an active list
 * @kind: LRU_ANON or LRU_FILE
 * @n: pages to move at most
 *
 * Return: pages moved from the tail of the active list to the inactive head.
 */
unsigned lru_deactivate(unsigned kind, unsigned n)
{
	unsigned a = inactive_of(kind) + 1, moved = 0;
	unsigned long fl = spin_lock_irqsave(&lru_lock);

	while (moved < n && lists[a].tail != PFN_NIL) {
		uint32_t pfn = lists[a].tail;
		struct lru_ent *e = ent(pfn);

		unlink(e);
		__atomic_store_n(&e->accessed, 0, __ATOMIC_RELAXED);
		link_head(e, pfn, inactive_of(kind));
		moved++;
	}
	spin_unlock_irqrestore(&lru_lock, fl);
	return moved;
}

uint64_t lru_count(enum lru_list l)
{
	lru_drain_all();	/* the figures count batched pages too */
	return __atomic_load_n(&lists[l].count, __ATOMIC_RELAXED);
}

/**
 * lru_check() - walk every list both ways against the table
 *
 * Return: inconsistencies found (reported through mm_err()).
 */
unsigned lru_check(void)
{
	unsigned long fl;
	unsigned bad = 0;

	lru_drain_all();
	fl = spin_lock_irqsave(&lru_lock);

	for (unsigned l = 0; l < LRU_NR_LISTS && tab; l++) {
		uint32_t prev = PFN_NIL;
		uint64_t n = 0;

		for (uint32_t p = lists[l].head; p != PFN_NIL && n <= lists[l].count; p = ent(p)->next) {
			const struct lru_ent *e = ent(p);

			if (!e || e->prev != prev || (e->state & (ST_ON | ST_LIST_MASK)) != (ST_ON | l) ||
			    pmm_refcount((phys_addr_t)p << PAGE_SHIFT) == 0) {
				mm_err("lru: list %u broken at frame %#x", l, p);
				bad++;
				break;
			}
			prev = p;
			n++;
		}
		if (n != lists[l].count || lists[l].tail != prev) {
			mm_err("lru: list %u holds %llu pages, counted %llu", l,
			       (unsigned long long)n, (unsigned long long)lists[l].count);
			bad++;
		}
	}
	spin_unlock_irqrestore(&lru_lock, fl);
	return bad;
}
