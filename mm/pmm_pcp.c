// SPDX-License-Identifier: MIT
/*
 * Per-CPU caches of single frames in front of the buddy lists: the slow
 * paths. The fast paths, pcp_alloc() and pcp_free(), are in mm/zone.h.
 *
 * Most allocations are one frame, and most frames are freed soon after on
 * the same CPU, so each CPU keeps a short LIFO list per zone: the hot path
 * is a pop or a push under a lock nobody else normally takes, and touches
 * the zone's lock once per batch. The lock (rather than only masking
 * interrupts) lets another CPU drain the cache when memory runs short.
 */
#include "zone.h"

/**
 * pcp_drain_list() - move up to @n frames from a CPU's cache to the buddy lists
 * @z: the zone the list caches
 * @l: the list; its CPU's cache lock is held
 * @n: how many frames at most
 */
void pcp_drain_list(struct zone *z, struct pcp_list *l, uint32_t n)
{
	unsigned long irq = spin_lock_irqsave(&z->lock);

	while (n-- && l->count) {
		pfn_t pfn = l->head;

		l->head = pfn_frame(pfn)->next;
		l->count--;
		buddy_free(z, pfn, 0);
	}
	spin_unlock_irqrestore(&z->lock, irq);
}

/**
 * pcp_refill() - fill an empty CPU cache with a batch of frames of zone @z
 * @z: the zone
 * @l: the list; its CPU's cache lock is held
 *
 * Return: false if the zone has no free frame.
 */
bool pcp_refill(struct zone *z, struct pcp_list *l)
{
	if (!__atomic_load_n(&z->nr_free, __ATOMIC_RELAXED))
		return false;	/* alloc_retry() drains the caches before failing */

	unsigned long irq = spin_lock_irqsave(&z->lock);

	for (uint32_t i = 0; i < z->pcp_batch; i++) {
		pfn_t pfn = buddy_alloc(z, 0, FRAME_PCP);

		if (pfn == PFN_NIL)
			break;
		pfn_frame(pfn)->next = l->head;
		l->head = (uint32_t)pfn;
		l->count++;
	}
	spin_unlock_irqrestore(&z->lock, irq);
	return l->count != 0;
}

/**
 * pcp_drain_all() - empty every CPU's cache into the buddy lists
 */
void pcp_drain_all(void)
{
	for_each_possible_cpu(cpu) {
		struct pcp *pcp = &pmm.pcp[cpu];
		unsigned long irq = spin_lock_irqsave(&pcp->lock);

		for (unsigned n = 0; n < pmm.nr_nodes; n++)
			for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++)
				if (pcp->list[n][zi].count)
					pcp_drain_list(&pmm.zone[n][zi], &pcp->list[n][zi],
						       UINT32_MAX);
		spin_unlock_irqrestore(&pcp->lock, irq);
	}
}

/*
 * A thread faulting in pages while another frees as many (page_fault1's
 * threads, munmap on one CPU and faults on the other) moves every frame
 * through the zone's lock: once per batch each way. Linux batches 63.
 */
#define PCP_HIGH_MAX	512
#define PCP_BATCH_MAX	63

/**
 * pcp_setup() - empty all caches and size them to their zones
 *
 * A zone's cache limit is 1/256 of the zone per CPU, between 8 and
 * PCP_HIGH_MAX frames, so a small ZONE_DMA is not all parked in caches.
 * Batches are a quarter of that, at most PCP_BATCH_MAX.
 */
void pcp_setup(void)
{
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS; cpu++) {
		pmm.pcp[cpu].lock = (spinlock_t)SPINLOCK_INIT;
		for (unsigned n = 0; n < MM_MAX_NODES; n++)
			for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++)
				pmm.pcp[cpu].list[n][zi] = (struct pcp_list){ PFN_NIL, 0 };
	}
	for (unsigned n = 0; n < MM_MAX_NODES; n++) {
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
			struct zone *z = &pmm.zone[n][zi];
			uint64_t high = MM_MIN(MM_MAX(z->managed / 256, 8), PCP_HIGH_MAX);

			z->pcp_high = (uint32_t)high;
			z->pcp_batch = (uint32_t)MM_MIN(high / 4, PCP_BATCH_MAX);
		}
	}
}
