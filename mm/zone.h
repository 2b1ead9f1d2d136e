/* SPDX-License-Identifier: MIT */
/*
 * Zones, PMM-internal: each NUMA node has a set of zones; each zone has
 * buddy lists of free blocks (mm/buddy.c) under one spinlock, and every CPU
 * has a small cache of the zone's single frames in front of them
 * (mm/pmm_pcp.c), whose fast path is here so that it inlines into the
 * allocator's entry points.
 *
 * Lock order: a CPU's cache lock, then a zone lock. No path holds two zone
 * locks except pmm_check() and pmm_get_stats(), which take all of them in
 * index order after all cache locks.
 */
#ifndef MM_ZONE_H
#define MM_ZONE_H

#include "frame.h"
#include "spinlock.h"

/* One buddy list: free blocks of one order in one zone. */
struct free_area {
	uint32_t head;
	uint32_t nr;
};

struct zone {
	_Alignas(64) spinlock_t lock;
	uint32_t nonempty;		/* bit o: area[o] is not empty */
	struct free_area area[PMM_MAX_ORDER + 1];
	MM_ATOMIC64 uint64_t nr_free;	/* frames in the buddy lists (read unlocked) */
	uint64_t managed;		/* frames handed to the buddy allocator at init */
	uint64_t reserved;		/* RAM frames never handed out */
	pfn_t span_lo, span_hi;		/* RAM frames of the zone lie in [lo, hi) */
	uint32_t pcp_high;		/* a CPU's cache of this zone drains above this */
	uint32_t pcp_batch;		/* frames moved per refill or drain */
	uint32_t quarantined;		/* MM_KASAN: freed frames held back (mm/pmm_quarantine.c) */
};

/* A CPU's cache of single frames, one list per zone, LIFO for cache warmth. */
struct pcp_list {
	uint32_t head;
	uint32_t count;
};

struct pcp {
	_Alignas(64) spinlock_t lock;	/* taken by its CPU, and by remote drains */
	struct pcp_list list[MM_MAX_NODES][PMM_NR_ZONES];
};

struct pmm {
	struct zone zone[MM_MAX_NODES][PMM_NR_ZONES];
	struct pcp pcp[MM_MAX_CPUS];
	unsigned nr_nodes;		/* 1 without NUMA */
	uint8_t cpu_node[MM_MAX_CPUS];	/* where each CPU allocates first */
	/* fallback[n]: every node, nearest to @n first (n itself leads). */
	uint8_t fallback[MM_MAX_NODES][MM_MAX_NODES];
	uint8_t distance[MM_MAX_NODES][MM_MAX_NODES];
	MM_ATOMIC64 uint64_t alloc_failures;	/* atomic */
	MM_ATOMIC64 uint64_t bad_calls;		/* atomic */
	uint64_t reserve;			/* pmm_reserve() */
	MM_ATOMIC64 uint64_t reserve_refusals;	/* atomic */
};
MM_ATOMIC64_OK(struct zone, nr_free);
MM_ATOMIC64_OK(struct pmm, alloc_failures);
MM_ATOMIC64_OK(struct pmm, bad_calls);
MM_ATOMIC64_OK(struct pmm, reserve_refusals);

extern struct pmm pmm;

/* mm/buddy.c: the buddy lists of one zone; the caller holds the zone's lock. */
pfn_t buddy_alloc(struct zone *z, unsigned order, unsigned state);
void buddy_free(struct zone *z, pfn_t pfn, unsigned order);
void buddy_reset(struct zone *z);

/* The zone frame @pfn (which has a descriptor) belongs to. */
static inline struct zone *pfn_zone_ptr(pfn_t pfn)
{
	return &pmm.zone[pfn_node(pfn)][pfn_zone(pfn)];
}

/* mm/pmm_numa.c: the nodes, set up by pmm_init_numa(). */
const struct pmm_numa *numa_configure(const struct pmm_numa *numa);
void numa_assign_sections(const struct pmm_numa *numa);

/* mm/pmm_pcp.c: the per-CPU caches' slow paths. */
bool pcp_refill(struct zone *z, struct pcp_list *l);
void pcp_drain_list(struct zone *z, struct pcp_list *l, uint32_t n);
void pcp_drain_all(void);
void pcp_setup(void);

/* mm/pmm_quarantine.c: freed blocks held back, poisoned (MM_KASAN only). */
#ifdef MM_KASAN
void pmm_quarantine_setup(void);
bool pmm_quarantine_put(pfn_t pfn, struct frame *f);
void pmm_quarantine_drain(void);
#else
static inline void pmm_quarantine_setup(void)
{
}

static inline bool pmm_quarantine_put(pfn_t pfn, struct frame *f)
{
	(void)pfn, (void)f;
	return false;
}

static inline void pmm_quarantine_drain(void)
{
}
#endif

/* Every CPU's cache and the quarantine back to the buddy lists (memory is short, or a count is wanted). */
static inline void pmm_drain_caches(void)
{
	pmm_quarantine_drain();
	pcp_drain_all();
}

/*
 * Take one frame of zone @zi of node @node from this CPU's cache, refilling
 * the cache from the buddy lists if it is empty (a zone that has no free
 * block is passed over without taking its lock: nodes are tried in turn). The frame leaves allocated: FRAME_ALLOC,
 * order 0, one reference. Returns PFN_NIL if the zone has no free frame.
 * Should the caller move to another CPU before the lock is taken, the lock
 * keeps this correct; the cache used is merely not the local one.
 */
static inline pfn_t pcp_alloc(unsigned cpu, unsigned node, enum pmm_zone zi)
{
	struct pcp *pcp = &pmm.pcp[cpu];
	struct pcp_list *l = &pcp->list[node][zi];
	unsigned long irq = spin_lock_irqsave(&pcp->lock);
	pfn_t pfn = PFN_NIL;

	if (likely(l->count) || pcp_refill(&pmm.zone[node][zi], l)) {
		struct frame *f;

		pfn = l->head;
		f = pfn_frame(pfn);
		l->head = f->next;
		l->count--;
		frame_set_flags(f, FRAME_ALLOC);
		__atomic_store_n(&f->refcount, 1, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&pcp->lock, irq);
	return pfn;
}

/*
 * Give frame @pfn (descriptor @f), an order-0 block whose last reference is
 * gone, to this CPU's cache; past the cache's limit a batch goes back to the
 * buddy lists.
 */
static inline void pcp_free(pfn_t pfn, struct frame *f)
{
	enum pmm_zone zi = pfn_zone(pfn);
	unsigned node = pfn_node(pfn);
	struct zone *z = &pmm.zone[node][zi];
	struct pcp *pcp = &pmm.pcp[plat_cpu_id()];
	struct pcp_list *l = &pcp->list[node][zi];
	unsigned long irq = spin_lock_irqsave(&pcp->lock);

	frame_set_flags(f, FRAME_PCP);
	f->next = l->head;
	l->head = (uint32_t)pfn;
	if (unlikely(++l->count > z->pcp_high))
		pcp_drain_list(z, l, z->pcp_batch);
	spin_unlock_irqrestore(&pcp->lock, irq);
}

#endif
