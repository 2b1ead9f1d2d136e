/* SPDX-License-Identifier: MIT */
/*
 * Between the LRU lists (mm/lru.c) and the per-CPU batches of pages on
 * their way to them (mm/lru_batch.c); nothing else includes this.
 *
 * A batched page is not marked in its LRU entry: a batch holds the page's
 * frame number and the generation its entry had when it was batched.
 * Every time an entry is forgotten (its page freed, or let go by its
 * owner) its generation moves on, under lru_lock; a drain adds a page only
 * if the generation is still the one batched, the page is still allocated
 * and on no list. So a page freed while batched is simply skipped, and one
 * batched twice (or also added directly) is added once. The generation is
 * 16 bits: a batch entry would need 65536 frees of its frame while it
 * waits to be mistaken, and then the page only lands on a list with a
 * stale owner, which the reverse map treats as finding nothing.
 *
 * Lock order: a CPU's batch lock, then lru_lock.
 */
#ifndef MM_LRU_IMPL_H
#define MM_LRU_IMPL_H

#include "lru.h"

/* An anonymous page waiting in a batch. */
struct lru_pending {
	uint32_t pfn;
	uint16_t gen;		/* its entry's generation when batched */
	void *owner;
	uintptr_t index;
};

/*
 * Prepare anonymous page @pfn for a batch: its entry's generation in
 * *@gen, and the page marked for the PMM (FRAME_LRU_ANON), so that freeing
 * it while it is batched forgets it. False if the page has no entry.
 */
bool lru_pending_prepare(pfn_t pfn, uint16_t *gen);
/* Put the batched pages @p[0..@n) still valid on their inactive list, under one hold of lru_lock. */
void lru_add_pending(const struct lru_pending *p, unsigned n);

/* mm/lru_batch.c: put anonymous page @pfn in this CPU's batch (lru_pending_prepare() done). */
void lru_batch_add(pfn_t pfn, uint16_t gen, void *owner, uintptr_t index);
/* Forget every batch without adding it (the table went: lru_reset()). */
void lru_batch_reset(void);

#endif
