// SPDX-License-Identifier: MIT
/*
 * The address sanitizer's quarantine of freed blocks (MM_KASAN builds only).
 *
 * A block whose last reference goes is poisoned (mm/pmm.c) and then waits
 * here, oldest first out, before it goes back to the buddy lists: a read or
 * write through the direct map after the free is reported for a while,
 * instead of landing in the memory of the block's next owner (the per-CPU
 * caches are LIFO and would hand the frame out again at once).
 *
 * Bounded: at most QUAR_MAX_FRAMES frames and 1/QUAR_SHARE of the frames the
 * PMM manages; each block put in pushes the oldest out past the bound.
 * Frames held here count as free and cached in pmm_get_stats(), like those
 * of the per-CPU caches, and pmm_check() accounts for them; pmm_drain() and
 * a request that finds no free frame empty the quarantine as they do the
 * caches. High memory has no shadow, so its blocks go straight back.
 *
 * Each held block's first descriptor is FRAME_QUARANTINE (a free block to
 * the PMM's checks: freeing it again is reported as a double free), linked
 * through its next field. Lock order: the quarantine's lock, then a zone
 * lock; a block's state and its zone's count change under the zone lock, so
 * pmm_check() and pmm_get_stats() see them agree.
 */
#include "zone.h"

#ifdef MM_KASAN

#define QUAR_MAX_FRAMES	1024	/* 4 MiB */
#define QUAR_SHARE	32

static struct {
	spinlock_t lock;
	uint32_t head, tail;		/* oldest, newest (PFN_NIL: empty) */
	uint64_t frames, limit;
} quar = { SPINLOCK_INIT, PFN_NIL, PFN_NIL, 0, 0 };

/**
 * pmm_quarantine_setup() - empty the quarantine and size it to the PMM's frames
 *
 * pmm_init() calls it once the zones are filled; whatever the quarantine held
 * belonged to the previous database.
 */
void pmm_quarantine_setup(void)
{
	uint64_t managed = 0;

	for (unsigned n = 0; n < MM_MAX_NODES; n++)
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
			managed += pmm.zone[n][zi].managed;
			pmm.zone[n][zi].quarantined = 0;
		}
	quar.lock = (spinlock_t)SPINLOCK_INIT;
	quar.head = quar.tail = PFN_NIL;
	quar.frames = 0;
	quar.limit = MM_MIN(managed / QUAR_SHARE, QUAR_MAX_FRAMES);
}

/* The oldest block out of the FIFO, or PFN_NIL. Quarantine lock held. */
static pfn_t pop_oldest(void)
{
	pfn_t pfn = quar.head;

	if (pfn == PFN_NIL)
		return PFN_NIL;
	struct frame *f = pfn_frame(pfn);

	quar.head = f->next;
	if (quar.head == PFN_NIL)
		quar.tail = PFN_NIL;
	quar.frames -= (uint64_t)1 << f->order;
	return pfn;
}

/* Block @pfn, out of the FIFO, to its zone's buddy lists. */
static void release_block(pfn_t pfn)
{
	struct frame *f = pfn_frame(pfn);
	struct zone *z = pfn_zone_ptr(pfn);
	unsigned long irq = spin_lock_irqsave(&z->lock);

	z->quarantined -= 1u << f->order;
	buddy_free(z, pfn, f->order);
	spin_unlock_irqrestore(&z->lock, irq);
}

/**
 * pmm_quarantine_put() - hold a block whose last reference went, poisoned
 * @pfn: its first frame
 * @f: its descriptor (order valid)
 *
 * Return: false if the block is not held (high memory, or no quarantine):
 * the caller frees it as usual.
 */
bool pmm_quarantine_put(pfn_t pfn, struct frame *f)
{
	uint64_t n = (uint64_t)1 << f->order;

	if (pfn >= pmm_highmem_pfn || n > quar.limit)
		return false;

	struct zone *z = pfn_zone_ptr(pfn);
	unsigned long irq = spin_lock_irqsave(&quar.lock);
	unsigned long zirq = spin_lock_irqsave(&z->lock);

	frame_set_flags(f, FRAME_QUARANTINE);
	f->next = PFN_NIL;
	z->quarantined += (uint32_t)n;
	spin_unlock_irqrestore(&z->lock, zirq);
	if (quar.tail != PFN_NIL)
		pfn_frame(quar.tail)->next = (uint32_t)pfn;
	else
		quar.head = (uint32_t)pfn;
	quar.tail = (uint32_t)pfn;
	quar.frames += n;
	/* The oldest out, one at a time: the lock is not held while they merge. */
	while (quar.frames > quar.limit) {
		pfn_t old = pop_oldest();

		spin_unlock_irqrestore(&quar.lock, irq);
		release_block(old);
		irq = spin_lock_irqsave(&quar.lock);
	}
	spin_unlock_irqrestore(&quar.lock, irq);
	return true;
}

/**
 * pmm_quarantine_drain() - give every held block back to the buddy lists
 */
void pmm_quarantine_drain(void)
{
	for (;;) {
		unsigned long irq = spin_lock_irqsave(&quar.lock);
		pfn_t pfn = pop_oldest();

		spin_unlock_irqrestore(&quar.lock, irq);
		if (pfn == PFN_NIL)
			return;
		release_block(pfn);
	}
}

/**
 * pmm_quarantined() - is the frame at @addr in a block the quarantine holds?
 * @addr: a physical address (reports: "freed, in quarantine")
 */
bool pmm_quarantined(phys_addr_t addr)
{
	pfn_t pfn = addr >> PAGE_SHIFT;
	struct frame *f = pfn_frame_checked(pfn);

	if (!f)
		return false;
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		pfn_t h = pfn & ~(((pfn_t)1 << o) - 1);
		const struct frame *hf = pfn_frame_checked(h);
		unsigned flags = hf ? frame_flags(hf) : FRAME_RESERVED;

		if (!flags)
			continue;
		return flags == FRAME_QUARANTINE && pfn - h < ((pfn_t)1 << hf->order);
	}
	return false;
}

#endif
