// SPDX-License-Identifier: MIT
/*
 * Looking at the PMM from outside: statistics, the state of a frame, a walk
 * over RAM for memory-map views, and a full consistency check.
 */
#include "zone.h"

#define NZONES	(MM_MAX_NODES * PMM_NR_ZONES)

/* Zone @i of all, node by node. */
static struct zone *zone_at(unsigned i)
{
	return &pmm.zone[i / PMM_NR_ZONES][i % PMM_NR_ZONES];
}

#define LOCKS	(MM_MAX_CPUS + NZONES)

/*
 * Freeze the allocator: every CPU cache, then every zone (the lock order).
 * All MM_MAX_CPUS caches, so a CPU that comes up meanwhile cannot fill its
 * own; readers under the freeze then walk only plat_cpus_possible().
 */
static void lock_all(unsigned long irq[LOCKS])
{
	for (unsigned c = 0; c < MM_MAX_CPUS; c++)
		irq[c] = spin_lock_irqsave(&pmm.pcp[c].lock);
	for (unsigned i = 0; i < pmm.nr_nodes * PMM_NR_ZONES; i++)
		irq[MM_MAX_CPUS + i] = spin_lock_irqsave(&zone_at(i)->lock);
}

static void unlock_all(unsigned long irq[LOCKS])
{
	for (unsigned i = pmm.nr_nodes * PMM_NR_ZONES; i-- > 0;)
		spin_unlock_irqrestore(&zone_at(i)->lock, irq[MM_MAX_CPUS + i]);
	for (unsigned c = MM_MAX_CPUS; c-- > 0;)
		spin_unlock_irqrestore(&pmm.pcp[c].lock, irq[c]);
}

/**
 * pmm_zone_name() - "DMA", "DMA32", "Normal" or "HighMem"
 * @zone: a zone id
 */
const char *pmm_zone_name(enum pmm_zone zone)
{
	static const char *const name[PMM_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };

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
	pmm_drain_caches();
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

	struct zone *z = pfn_zone_ptr(pfn);
	unsigned long irq = spin_lock_irqsave(&z->lock);

	f = block_head(pfn, &head);
	if (f)
		st = head_state(f);
	spin_unlock_irqrestore(&z->lock, irq);
	return st;	/* RESERVED if the database is inconsistent; pmm_check() says more */
}

/* Grow [*base, *end) to cover [lo, hi); an empty range stays as it is. */
static void cover(phys_addr_t *base, phys_addr_t *end, phys_addr_t lo, phys_addr_t hi)
{
	if (lo >= hi)
		return;
	if (*base == *end) {
		*base = lo;
		*end = hi;
	}
	*base = MM_MIN(*base, lo);
	*end = MM_MAX(*end, hi);
}

/* Add zone @zi of node @n to the zone's, the node's and the total counts. Locks held. */
static void add_zone_stats(struct pmm_stats *st, unsigned n, enum pmm_zone zi)
{
	const struct zone *z = &pmm.zone[n][zi];
	struct pmm_zone_stats *zs = &st->zone[zi];
	struct pmm_node_stats *ns = &st->node[n];
	uint64_t cached = 0;

	for_each_possible_cpu(c)
		cached += pmm.pcp[c].list[n][zi].count;
	cached += z->quarantined;
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		zs->free_blocks[o] += z->area[o].nr;

	uint64_t free = z->nr_free + cached, used = z->managed - free;

	cover(&zs->base, &zs->end, z->span_lo << PAGE_SHIFT, z->span_hi << PAGE_SHIFT);
	cover(&ns->base, &ns->end, z->span_lo << PAGE_SHIFT, z->span_hi << PAGE_SHIFT);
	zs->cached_frames += cached;
	zs->free_frames += free;
	zs->used_frames += used;
	zs->reserved_frames += z->reserved;
	zs->total_frames += z->managed + z->reserved;
	ns->cached_frames += cached;
	ns->free_frames += free;
	ns->used_frames += used;
	ns->reserved_frames += z->reserved;
	ns->total_frames += z->managed + z->reserved;
	st->cached_frames += cached;
	st->free_frames += free;
	st->used_frames += used;
	st->reserved_frames += z->reserved;
	st->total_frames += z->managed + z->reserved;
}

/**
 * pmm_get_stats() - frame counts per zone and in total, metadata size, counters
 * @st: filled in
 */
void pmm_get_stats(struct pmm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nr_nodes = pmm.nr_nodes;
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++)
		st->zone[zi].name = pmm_zone_name((enum pmm_zone)zi);

	unsigned long irq[LOCKS];

	lock_all(irq);
	for (unsigned n = 0; n < pmm.nr_nodes; n++) {
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++)
			add_zone_stats(st, n, (enum pmm_zone)zi);
	}
	unlock_all(irq);
	st->metadata_bytes = frame_db.bytes;
	st->metadata_base = frame_db.base;
	st->frame_desc_bytes = sizeof(struct frame);
	uint64_t managed = (st->free_frames + st->used_frames) << PAGE_SHIFT;

	st->metadata_bp = managed ? (uint32_t)(frame_db.bytes * 10000 / managed) : 0;
	st->alloc_failures = __atomic_load_n(&pmm.alloc_failures, __ATOMIC_RELAXED);
	st->reserve_frames = pmm.reserve;
	st->reserve_refusals = __atomic_load_n(&pmm.reserve_refusals, __ATOMIC_RELAXED);
	st->bad_calls = __atomic_load_n(&pmm.bad_calls, __ATOMIC_RELAXED);
}

/* --- walking RAM ------------------------------------------------------------ */

struct run {
	pfn_t b, e;
	enum pmm_frame_state state;
	unsigned node;
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
		r->fn(r->b << PAGE_SHIFT, r->e << PAGE_SHIFT, r->node, r->zone, r->state, r->ctx);
	*r = (struct run){ b, e, st, r->node, r->zone, r->fn, r->ctx };
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
	for (unsigned n = 0; n < pmm.nr_nodes; n++) {
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
			struct zone *z = &pmm.zone[n][zi];
			struct run r = { 0, 0, PMM_FRAME_ABSENT, n, (enum pmm_zone)zi, fn, ctx };
			unsigned long irq = spin_lock_irqsave(&z->lock);

			for (pfn_t b = z->span_lo; b < z->span_hi;) {
				pfn_t sec = b >> SECTION_SHIFT;
				const struct section *s = &frame_db.sections[sec];
				pfn_t base = sec << SECTION_SHIFT;
				pfn_t e = MM_MIN(z->span_hi, base + SECTION_FRAMES);

				if (s->lo < s->hi && s->node == n)	/* spans of nodes may interleave */
					walk_span(&r, MM_MAX(b, base + s->lo), MM_MIN(e, base + s->hi));
				b = e;
			}
			run_add(&r, 0, 0, PMM_FRAME_ABSENT);	/* flush */
			spin_unlock_irqrestore(&z->lock, irq);
		}
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
	if (flags != FRAME_FREE && flags != FRAME_PCP && flags != FRAME_ALLOC &&
	    flags != FRAME_QUARANTINE)
		problem(t, "bad flags", pfn);
	/*
	 * An aligned block lies in one section, whose descriptors are one array:
	 * with its last frame in the database, the tails follow the head.
	 */
	pfn_t i = 1;

	if (pfn_frame_checked(pfn + n - 1))
		while (i < n && !frame_flags(f + i))
			i++;
	else
		while (pfn_frame_checked(pfn + i) && !frame_flags(pfn_frame(pfn + i)))
			i++;
	if (i < n) {
		problem(t, "block runs into a hole or another block", pfn);
		return i;
	}
	if (flags == FRAME_FREE && f->order < PMM_MAX_ORDER) {	/* merged as far as can be? */
		const struct frame *b = pfn_frame_checked(pfn ^ n);

		if (b && frame_flags(b) == FRAME_FREE && b->order == f->order)
			problem(t, "free block not merged with its free buddy", pfn);
	}
	if (flags == FRAME_ALLOC)
		t->used += n;
	else if (flags == FRAME_PCP || flags == FRAME_QUARANTINE)
		t->cached += n;
	else
		t->free += n;
	return n;
}

/* Index of frame @pfn's zone in the tallies: node by node. */
static unsigned tally_index(pfn_t pfn)
{
	return pfn_node(pfn) * PMM_NR_ZONES + pfn_zone(pfn);
}

static void check_descriptors(struct tally t[NZONES])
{
	for (pfn_t sec = 0; sec < frame_db.nsections; sec++) {
		const struct section *s = &frame_db.sections[sec];
		pfn_t base = sec << SECTION_SHIFT;

		if (s->lo < s->hi && s->node >= pmm.nr_nodes) {
			problem(&t[0], "section of a node that does not exist", base + s->lo);
			continue;
		}
		for (pfn_t pfn = base + s->lo; pfn < base + s->hi;) {
			const struct frame *f = pfn_frame(pfn);
			unsigned flags = frame_flags(f);
			struct tally *zt = &t[tally_index(pfn)];

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

static void check_lists(struct tally t[NZONES])
{
	for (unsigned i = 0; i < pmm.nr_nodes * PMM_NR_ZONES; i++) {
		const struct zone *z = zone_at(i);
		uint64_t frames = 0, limit = z->managed + 1;

		for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
			const struct free_area *a = &z->area[o];
			uint32_t n = 0, prev = PFN_NIL;

			for (uint32_t p = a->head; p != PFN_NIL && n <= limit; n++) {
				const struct frame *f = pfn_frame_checked(p);

				if (!f || frame_flags(f) != FRAME_FREE || f->order != o ||
				    tally_index(p) != i || f->prev != prev) {
					problem(&t[i], "bad buddy list entry", p);
					break;
				}
				prev = p;
				p = f->next;
			}
			if (n != a->nr || !!(z->nonempty & (1u << o)) != !!a->nr)
				problem(&t[i], "buddy list count or mask wrong", a->head);
			frames += (uint64_t)a->nr << o;
		}
		if (frames != z->nr_free || frames != t[i].free)
			problem(&t[i], "free frame count disagrees with the lists", 0);
	}
}

static void check_caches(struct tally t[NZONES])
{
	for (unsigned i = 0; i < pmm.nr_nodes * PMM_NR_ZONES; i++) {
		uint64_t total = 0;

		for_each_possible_cpu(c) {
			const struct pcp_list *l =
				&pmm.pcp[c].list[i / PMM_NR_ZONES][i % PMM_NR_ZONES];
			uint32_t n = 0;

			for (uint32_t p = l->head; p != PFN_NIL && n <= l->count; n++) {
				const struct frame *f = pfn_frame_checked(p);

				if (!f || frame_flags(f) != FRAME_PCP || tally_index(p) != i) {
					problem(&t[i], "bad per-CPU cache entry", p);
					break;
				}
				p = f->next;
			}
			if (n != l->count)
				problem(&t[i], "per-CPU cache count wrong", l->head);
			total += l->count;
		}
		total += zone_at(i)->quarantined;
		if (total != t[i].cached)
			problem(&t[i], "cached frame count disagrees with the caches", 0);
	}
}

/**
 * pmm_check() - verify every invariant of the frame database and buddy lists
 *
 * Return: the number of problems found (each reported), 0 if all is well.
 */
unsigned pmm_check(void)
{
	struct tally t[NZONES] = { 0 };
	unsigned bad = 0;

	if (!frame_db.sections)
		return 0;

	unsigned long irq[LOCKS];

	lock_all(irq);
	check_descriptors(t);
	check_lists(t);
	check_caches(t);
	for (unsigned i = 0; i < NZONES; i++) {
		const struct zone *z = zone_at(i);

		if (t[i].free + t[i].cached + t[i].used != z->managed)
			problem(&t[i], "managed frames disagree with the database", 0);
		if (t[i].reserved != z->reserved)
			problem(&t[i], "reserved frames disagree with the database", 0);
		bad += t[i].bad;
	}
	unlock_all(irq);
	return bad;
}

/**
 * pmm_zone_free() - lockless estimate of zone @zi's free frames, over all nodes
 * @zi: the zone
 * @managed: receives the frames the zone manages (free + used)
 *
 * Return: free frames, per-CPU caches included.
 */
uint64_t pmm_zone_free(enum pmm_zone zi, uint64_t *managed)
{
	uint64_t n = 0;

	*managed = 0;
	for (unsigned node = 0; node < pmm.nr_nodes; node++) {
		const struct zone *z = &pmm.zone[node][zi];

		n += __atomic_load_n(&z->nr_free, __ATOMIC_RELAXED);
		for_each_possible_cpu(c)
			n += __atomic_load_n(&pmm.pcp[c].list[node][zi].count, __ATOMIC_RELAXED);
		n += __atomic_load_n(&z->quarantined, __ATOMIC_RELAXED);
		*managed += z->managed;
	}
	return n;
}
