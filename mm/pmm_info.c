// SPDX-License-Identifier: MIT
/*
 * Looking at the PMM from outside: statistics, the state of a frame, a walk
 * over RAM for memory-map views, and a full consistency check.
 */
#include "zone.h"

#define LOCKS	(MM_MAX_CPUS + PMM_NR_ZONES)

/* Freeze the allocator: every CPU cache, then every zone (the lock order). */
static void lock_all(unsigned long irq[LOCKS])
{
	for (unsigned c = 0; c < MM_MAX_CPUS; c++)
		irq[c] = spin_lock_irqsave(&pmm.pcp[c].lock);
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++)
		irq[MM_MAX_CPUS + zi] = spin_lock_irqsave(&pmm.zone[zi].lock);
}

static void unlock_all(unsigned long irq[LOCKS])
{
	for (unsigned zi = PMM_NR_ZONES; zi-- > 0;)
		spin_unlock_irqrestore(&pmm.zone[zi].lock, irq[MM_MAX_CPUS + zi]);
	for (unsigned c = MM_MAX_CPUS; c-- > 0;)
		spin_unlock_irqrestore(&pmm.pcp[c].lock, irq[c]);
}

/**
 * pmm_zone_name() - "DMA", "DMA32" or "Normal"
 * @zone: a zone id
 */
const char *pmm_zone_name(enum pmm_zone zone)
{
	static const char *const name[PMM_NR_ZONES] = { "DMA", "DMA32", "Normal" };

	return (unsigned)zone < PMM_NR_ZONES ? name[zone] : "?";
}

/**
 * pmm_frame_zone() - the zone physical address @addr belongs to
 * @addr: any physical address
 */
enum pmm_zone pmm_frame_zone(phys_addr_t addr)
{
	return pfn_zone(addr >> PAGE_SHIFT);
}

/**
 * pmm_drain() - return the frames of every CPU's cache to the buddy lists
 */
void pmm_drain(void)
{
	pcp_drain_all();
}

/*
 * The first frame of the free or allocated block holding frame @pfn, or
 * NULL. With a consistent database this is the first frame at or below @pfn,
 * at an alignment of 2^o, that is not a tail. Zone lock held.
 */
static struct frame *block_head(pfn_t pfn, pfn_t *head)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		pfn_t h = pfn & ~(((pfn_t)1 << o) - 1);
		struct frame *f = pfn_frame_checked(h);
		unsigned flags = f ? frame_flags(f) : FRAME_RESERVED;

		if (!flags)
			continue;
		if ((flags & FRAME_RESERVED) || pfn - h >= ((pfn_t)1 << f->order))
			return NULL;
		*head = h;
		return f;
	}
	return NULL;
}

static enum pmm_frame_state head_state(const struct frame *f)
{
	return frame_flags(f) == FRAME_ALLOC ? PMM_FRAME_USED : PMM_FRAME_FREE;
}

/**
 * pmm_frame_state() - what the frame holding physical address @addr is used for
 * @addr: any physical address
 */
enum pmm_frame_state pmm_frame_state(phys_addr_t addr)
{
	pfn_t pfn = addr >> PAGE_SHIFT, head;
	struct frame *f = pfn_frame_checked(pfn);
	enum pmm_frame_state st = PMM_FRAME_RESERVED;

	if (!f || (frame_flags(f) & FRAME_HOLE))
		return PMM_FRAME_ABSENT;
	if (frame_flags(f) & FRAME_RESERVED)
		return PMM_FRAME_RESERVED;

	struct zone *z = &pmm.zone[pfn_zone(pfn)];
	unsigned long irq = spin_lock_irqsave(&z->lock);

	f = block_head(pfn, &head);
	if (f)
		st = head_state(f);
	spin_unlock_irqrestore(&z->lock, irq);
	return st;	/* RESERVED if the database is inconsistent; pmm_check() says more */
}

/**
 * pmm_get_stats() - frame counts per zone and in total, metadata size, counters
 * @st: filled in
 */
void pmm_get_stats(struct pmm_stats *st)
{
	unsigned long irq[LOCKS];

	memset(st, 0, sizeof(*st));
	lock_all(irq);
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		const struct zone *z = &pmm.zone[zi];
		struct pmm_zone_stats *zs = &st->zone[zi];

		zs->name = pmm_zone_name((enum pmm_zone)zi);
		zs->base = z->span_lo << PAGE_SHIFT;
		zs->end = z->span_hi << PAGE_SHIFT;
		for (unsigned c = 0; c < MM_MAX_CPUS; c++)
			zs->cached_frames += pmm.pcp[c].list[zi].count;
		for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
			zs->free_blocks[o] = z->area[o].nr;
		zs->free_frames = z->nr_free + zs->cached_frames;
		zs->used_frames = z->managed - zs->free_frames;
		zs->reserved_frames = z->reserved;
		zs->total_frames = z->managed + z->reserved;

		st->total_frames += zs->total_frames;
		st->free_frames += zs->free_frames;
		st->used_frames += zs->used_frames;
		st->reserved_frames += zs->reserved_frames;
		st->cached_frames += zs->cached_frames;
	}
	unlock_all(irq);
	st->metadata_bytes = frame_db.bytes;
	st->metadata_base = frame_db.base;
	st->frame_desc_bytes = sizeof(struct frame);
	uint64_t managed = (st->free_frames + st->used_frames) << PAGE_SHIFT;

	st->metadata_bp = managed ? (uint32_t)(frame_db.bytes * 10000 / managed) : 0;
	st->alloc_failures = __atomic_load_n(&pmm.alloc_failures, __ATOMIC_RELAXED);
	st->bad_calls = __atomic_load_n(&pmm.bad_calls, __ATOMIC_RELAXED);
}

/* --- walking RAM ------------------------------------------------------------ */

struct run {
	pfn_t b, e;
	enum pmm_frame_state state;
	enum pmm_zone zone;
	pmm_walk_fn fn;
	void *ctx;
};

static void run_add(struct run *r, pfn_t b, pfn_t e, enum pmm_frame_state st)
{
	if (r->e == b && r->state == st) {
		r->e = e;
		return;
	}
	if (r->b != r->e && r->state != PMM_FRAME_ABSENT)
		r->fn(r->b << PAGE_SHIFT, r->e << PAGE_SHIFT, r->zone, r->state, r->ctx);
	*r = (struct run){ b, e, st, r->zone, r->fn, r->ctx };
}

/* Frames [b, e) of one section's span, a step per block or reserved frame. */
static void walk_span(struct run *r, pfn_t b, pfn_t e)
{
	while (b < e) {
		const struct frame *f = pfn_frame(b);
		unsigned flags = frame_flags(f);
		pfn_t n = 1;
		enum pmm_frame_state st;

		if (flags & FRAME_HOLE)
			st = PMM_FRAME_ABSENT;
		else if (flags & FRAME_RESERVED)
			st = PMM_FRAME_RESERVED;
		else if (flags) {
			st = head_state(f);
			n = (pfn_t)1 << f->order;
		} else {
			st = PMM_FRAME_RESERVED;	/* a stray tail: pmm_check() reports it */
		}
		n = MM_MIN(n, e - b);
		run_add(r, b, b + n, st);
		b += n;
	}
}

/**
 * pmm_walk() - report the RAM the PMM knows of as runs of one zone and state
 * @fn: called for each maximal run, in address order
 * @ctx: passed to @fn
 */
void pmm_walk(pmm_walk_fn fn, void *ctx)
{
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		struct zone *z = &pmm.zone[zi];
		struct run r = { 0, 0, PMM_FRAME_ABSENT, (enum pmm_zone)zi, fn, ctx };
		unsigned long irq = spin_lock_irqsave(&z->lock);

		for (pfn_t b = z->span_lo; b < z->span_hi;) {
			pfn_t sec = b >> SECTION_SHIFT;
			const struct section *s = &frame_db.sections[sec];
			pfn_t base = sec << SECTION_SHIFT;
			pfn_t e = MM_MIN(z->span_hi, base + SECTION_FRAMES);

			if (s->lo < s->hi)
				walk_span(&r, MM_MAX(b, base + s->lo), MM_MIN(e, base + s->hi));
			b = e;
		}
		run_add(&r, 0, 0, PMM_FRAME_ABSENT);	/* flush */
		spin_unlock_irqrestore(&z->lock, irq);
	}
}

/* --- consistency check ------------------------------------------------------- */

struct tally {
	uint64_t free, cached, used, reserved;
	unsigned bad;
};

static void problem(struct tally *t, const char *what, pfn_t pfn)
{
	if (t->bad++ < 16)
		mm_err("pmm: check: frame %#llx: %s", (unsigned long long)(pfn << PAGE_SHIFT), what);
}

/* One block head at @pfn: shape, tails, merge state. Returns its size. */
static pfn_t check_head(struct tally *t, pfn_t pfn, const struct frame *f, unsigned flags)
{
	pfn_t n = (pfn_t)1 << f->order;

	if (f->order > PMM_MAX_ORDER || (pfn & (n - 1))) {
		problem(t, "block misaligned or order out of range", pfn);
		return 1;
	}
	if ((flags == FRAME_PCP && f->order) || (flags != FRAME_ALLOC && f->refcount) ||
	    (flags == FRAME_ALLOC && !f->refcount))
		problem(t, "bad order or reference count for its state", pfn);
	if (flags != FRAME_FREE && flags != FRAME_PCP && flags != FRAME_ALLOC)
		problem(t, "bad flags", pfn);
	for (pfn_t i = 1; i < n; i++) {
		const struct frame *tail = pfn_frame_checked(pfn + i);

		if (!tail || frame_flags(tail)) {
			problem(t, "block runs into a hole or another block", pfn);
			return i;
		}
	}
	if (flags == FRAME_FREE && f->order < PMM_MAX_ORDER) {	/* merged as far as can be? */
		const struct frame *b = pfn_frame_checked(pfn ^ n);

		if (b && frame_flags(b) == FRAME_FREE && b->order == f->order)
			problem(t, "free block not merged with its free buddy", pfn);
	}
	if (flags == FRAME_ALLOC)
		t->used += n;
	else if (flags == FRAME_PCP)
		t->cached += n;
	else
		t->free += n;
	return n;
}

static void check_descriptors(struct tally t[PMM_NR_ZONES])
{
	for (pfn_t sec = 0; sec < frame_db.nsections; sec++) {
		const struct section *s = &frame_db.sections[sec];
		pfn_t base = sec << SECTION_SHIFT;

		for (pfn_t pfn = base + s->lo; pfn < base + s->hi;) {
			const struct frame *f = pfn_frame(pfn);
			unsigned flags = frame_flags(f);
			struct tally *zt = &t[pfn_zone(pfn)];

			if (flags & FRAME_RESERVED) {
				zt->reserved += !(flags & FRAME_HOLE);
				pfn++;
			} else if (!flags) {
				problem(zt, "tail frame outside any block", pfn);
				pfn++;
			} else {
				pfn += check_head(zt, pfn, f, flags);
			}
		}
	}
}

static void check_lists(struct tally t[PMM_NR_ZONES])
{
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		const struct zone *z = &pmm.zone[zi];
		uint64_t frames = 0, limit = z->managed + 1;

		for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
			const struct free_area *a = &z->area[o];
			uint32_t n = 0, prev = PFN_NIL;

			for (uint32_t p = a->head; p != PFN_NIL && n <= limit; n++) {
				const struct frame *f = pfn_frame_checked(p);

				if (!f || frame_flags(f) != FRAME_FREE || f->order != o ||
				    pfn_zone(p) != zi || f->prev != prev) {
					problem(&t[zi], "bad buddy list entry", p);
					break;
				}
				prev = p;
				p = f->next;
			}
			if (n != a->nr || !!(z->nonempty & (1u << o)) != !!a->nr)
				problem(&t[zi], "buddy list count or mask wrong", a->head);
			frames += (uint64_t)a->nr << o;
		}
		if (frames != z->nr_free || frames != t[zi].free)
			problem(&t[zi], "free frame count disagrees with the lists", 0);
	}
}

static void check_caches(struct tally t[PMM_NR_ZONES])
{
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		uint64_t total = 0;

		for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
			const struct pcp_list *l = &pmm.pcp[c].list[zi];
			uint32_t n = 0;

			for (uint32_t p = l->head; p != PFN_NIL && n <= l->count; n++) {
				const struct frame *f = pfn_frame_checked(p);

				if (!f || frame_flags(f) != FRAME_PCP || pfn_zone(p) != zi) {
					problem(&t[zi], "bad per-CPU cache entry", p);
					break;
				}
				p = f->next;
			}
			if (n != l->count)
				problem(&t[zi], "per-CPU cache count wrong", l->head);
			total += l->count;
		}
		if (total != t[zi].cached)
			problem(&t[zi], "cached frame count disagrees with the caches", 0);
	}
}

/**
 * pmm_check() - verify every invariant of the frame database and buddy lists
 *
 * Return: the number of problems found (each reported), 0 if all is well.
 */
unsigned pmm_check(void)
{
	struct tally t[PMM_NR_ZONES] = { 0 };
	unsigned long irq[LOCKS];
	unsigned bad = 0;

	if (!frame_db.sections)
		return 0;
	lock_all(irq);
	check_descriptors(t);
	check_lists(t);
	check_caches(t);
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		const struct zone *z = &pmm.zone[zi];

		if (t[zi].free + t[zi].cached + t[zi].used != z->managed)
			problem(&t[zi], "managed frames disagree with the database", 0);
		if (t[zi].reserved != z->reserved)
			problem(&t[zi], "reserved frames disagree with the database", 0);
		bad += t[zi].bad;
	}
	unlock_all(irq);
	return bad;
}

/**
 * pmm_zone_free() - lockless estimate of zone @zi's free frames
 * @zi: the zone
 * @managed: receives the frames the zone manages (free + used)
 *
 * Return: free frames, per-CPU caches included.
 */
uint64_t pmm_zone_free(enum pmm_zone zi, uint64_t *managed)
{
	const struct zone *z = &pmm.zone[zi];
	uint64_t n = __atomic_load_n(&z->nr_free, __ATOMIC_RELAXED);

	for (unsigned c = 0; c < MM_MAX_CPUS; c++)
		n += __atomic_load_n(&pmm.pcp[c].list[zi].count, __ATOMIC_RELAXED);
	*managed = z->managed;
	return n;
}
