// SPDX-License-Identifier: MIT
/*
 * Per-CPU batches of anonymous pages on their way to the LRU lists (as
 * Linux's per-CPU folio batches): a fault puts its new page in its CPU's
 * batch, and a full batch goes onto the lists under one hold of lru_lock,
 * so threads faulting on several CPUs do not meet on that lock for every
 * page. What the lists hold is drained first by everything that reads
 * them: reclaim's isolation, the figures (lru_count()), the unevictable
 * rescue and the checker (mm/lru.c).
 *
 * Each batch has its own lock, as the PMM's per-CPU caches do
 * (mm/pmm_pcp.c): nobody but its CPU takes it, except a drain of every
 * batch, which can then run on any CPU without a cross-CPU call. A task
 * moved to another CPU between reading its CPU number and taking the lock
 * just fills that CPU's batch.
 *
 * How a page freed while batched is handled: mm/lru_impl.h.
 *
 * Lock order: a batch's lock, then lru_lock (then the PMM's).
 */
#include "lru_impl.h"
#include "spinlock.h"

/* Pages a batch holds: lru_lock is taken once per this many faults. */
#define LRU_BATCH	63

struct lru_batch {
	spinlock_t lock;
	uint32_t nr;		/* written under the lock, read without it (atomic) */
	struct lru_pending p[LRU_BATCH];
} __attribute__((aligned(64)));		/* one CPU's batch per cache line, at least */

static struct lru_batch batch[MM_MAX_CPUS];

/* Add batch @b's pages to the lists and empty it; its lock held. */
static void flush(struct lru_batch *b)
{
	lru_add_pending(b->p, b->nr);
	__atomic_store_n(&b->nr, 0, __ATOMIC_RELAXED);
}

/**
 * lru_batch_add() - put an anonymous page in this CPU's batch
 * @pfn: the page (lru_pending_prepare() returned true for it)
 * @gen: the generation lru_pending_prepare() gave
 * @owner: its owner, as for lru_add()
 * @index: its index
 *
 * A batch that fills goes onto the lists at once.
 */
void lru_batch_add(pfn_t pfn, uint16_t gen, void *owner, uintptr_t index)
{
	struct lru_batch *b = &batch[plat_cpu_id()];
	unsigned long fl = spin_lock_irqsave(&b->lock);

	b->p[b->nr] = (struct lru_pending){ (uint32_t)pfn, gen, owner, index };
	__atomic_store_n(&b->nr, b->nr + 1, __ATOMIC_RELAXED);
	if (b->nr == LRU_BATCH)
		flush(b);
	spin_unlock_irqrestore(&b->lock, fl);
}

/**
 * lru_drain_all() - put the pages of every CPU's batch on the lists
 *
 * Batches found empty are not locked. Any context where lru_lock may be
 * taken, but not with it held.
 */
void lru_drain_all(void)
{
	for_each_possible_cpu(cpu) {
		struct lru_batch *b = &batch[cpu];
		unsigned long fl;

		if (!__atomic_load_n(&b->nr, __ATOMIC_RELAXED))
			continue;
		fl = spin_lock_irqsave(&b->lock);
		if (b->nr)
			flush(b);
		spin_unlock_irqrestore(&b->lock, fl);
	}
}

/**
 * lru_batch_reset() - drop every batch unread
 *
 * For lru_reset(): the frames they name belong to a frame database that
 * is gone.
 */
void lru_batch_reset(void)
{
	for_each_possible_cpu(cpu) {
		unsigned long fl = spin_lock_irqsave(&batch[cpu].lock);

		__atomic_store_n(&batch[cpu].nr, 0, __ATOMIC_RELAXED);
		spin_unlock_irqrestore(&batch[cpu].lock, fl);
	}
}
