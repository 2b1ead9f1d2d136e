// SPDX-License-Identifier: MIT
/*
 * Taking memory out of a space: zapping pages (their frames' references
 * dropped) and removing whole ranges of regions. munmap, MAP_FIXED,
 * MADV_DONTNEED, brk shrinking, mremap and exit all end up here.
 */
#include "as_internal.h"

/* pt_unmap() release callback: each removed page held one reference. */
static void release(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct as *as = ctx;

	if (size == PT_SIZE_SWAP) {
		swap_free((swp_entry_t){ (uint32_t)pa });
		as->swapents--;
		return;
	}
	if (as->rss > as->hiwater_rss)
		as->hiwater_rss = as->rss;	/* VmHWM: rss just before it falls */
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		if (!as_is_zero_page(pa + off))
			pmm_put(pa + off);
		as->rss--;
	}
}

static int found_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	*(uintptr_t *)ctx = va;
	return 1;
}

/**
 * as_next_batch() - the next batch of mapped (or swapped) pages in [@from, @to)
 * @as: the space, locked
 * @from: page-aligned
 * @to: page-aligned end
 * @start: set to the first mapped page
 * @stop: set to the end of its batch: the end of its page table's span, or @to
 *
 * Return: false if nothing is mapped in the range.
 */
bool as_next_batch(struct as *as, uintptr_t from, uintptr_t to, uintptr_t *start, uintptr_t *stop)
{
	uintptr_t va;

	if (from >= to || pt_walk_all(&as->vs.pt, from, to, found_leaf, &va) != 1)
		return false;
	*start = va;
	*stop = MM_MIN((va & ~(AS_BATCH_BYTES - 1)) + AS_BATCH_BYTES, to);
	return true;
}

/**
 * as_lock_break() - release and retake the space's lock, letting others in
 * @as: the space, locked; nothing happens unless it was locked by as_lock()
 *
 * Interrupts come back on for a moment (if they were on at as_lock()), and
 * a task that is due runs. Never for a space shared by several threads
 * (as_set_shared()): callers hold indices into the region array across the
 * break, and another thread could move it or fault back what was zapped.
 */
/* Will as_lock_break() let others in? */
static bool as_can_break(const struct as *as)
{
	return as->breakable && !__atomic_load_n(&as->shared, __ATOMIC_ACQUIRE);
}

void as_lock_break(struct as *as)
{
	if (!as_can_break(as))
		return;
	as_unlock(as);
	plat_preempt_point();
	as_lock(as);
}

/**
 * as_zap() - remove the pages of [@start, @start + @len), keeping the regions
 * @as: the space, locked
 * @start: page-aligned
 * @len: page multiple, may be 0
 *
 * Batch by batch (at most a page table's pages each), skipping what is not
 * mapped, with a lock break between batches. Where the lock cannot be
 * broken (a space shared by threads) the rest goes in one pt_unmap(), so
 * the other CPUs holding the space get a few shootdowns, not one per batch.
 * The space only ever has 4 KiB leaves, so pt_unmap() never needs memory
 * here; a failure would be a broken invariant.
 */
void as_zap(struct as *as, uintptr_t start, uint64_t len)
{
	uintptr_t cur = start, end = start + len, va, stop;

	while (as_next_batch(as, cur, end, &va, &stop)) {
		if (!as_can_break(as))
			stop = end;
		int err = pt_unmap(&as->vs.pt, va, stop - va, release, as);

		if (err)
			plat_panic("as: unmapping [%#llx, %#llx) failed: %d", (unsigned long long)va,
				   (unsigned long long)stop, err);
		cur = stop;
		if (cur < end)
			as_lock_break(as);
	}
}

/**
 * as_unmap_range() - remove [@start, @end) from the space, regions and pages
 * @as: the space, locked, with room for two more regions reserved
 * @start: page-aligned
 * @end: page-aligned, > @start
 *
 * Regions straddling an end are split there first; holes are fine.
 */
void as_unmap_range(struct as *as, uintptr_t start, uintptr_t end)
{
	uint32_t first, last;

	as_region_split(as, start);
	as_region_split(as, end);
	first = last = as_region_lower(as, start);
	while (last < as->nr && as->reg[last].start < end)
		last++;
	if (first == last)
		return;
	/* The pages, then the regions: all of them in one move of the array, not one each. */
	as_zap(as, as->reg[first].start, as->reg[last - 1].end - as->reg[first].start);
	for (uint32_t i = first; i < last; i++)
		as_uncharge_region(&as->reg[i]);
	as_region_remove_range(as, first, last);
}
