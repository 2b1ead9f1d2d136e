// SPDX-License-Identifier: MIT
/*
 * The free-area index of an address space: a max tree (an implicit segment
 * tree in PMM pages) over the gaps between regions, so the search for room
 * for a new mapping (as_get_area) is O(log n) in the number of regions,
 * as Linux's augmented trees make it, instead of a walk over every gap.
 *
 * Leaf j holds the size of the gap below region j (leaf nr: the gap above
 * the last region), measured as mmap sees it: up to the guard gap below a
 * stack. An inner node holds the larger of its children. The region set
 * stays the sorted array of as_region.c; whatever changes it marks the
 * leaves from the first changed index on as stale (as_gaps_dirty), and the
 * next search brings them and their ancestors up to date first. A change
 * at index i costs O(nr - i), the order of the array's own memmove.
 *
 * If the index cannot get memory, the search falls back to the walk over
 * the array, so nothing fails for want of it. Everything here runs with
 * the space's lock held.
 */
#include "as_internal.h"

#define GAP_CLEAN	UINT32_MAX

/* The size of the gap below region @j, as mmap may use it. */
static uint64_t gap_size(const struct as *as, uint32_t j)
{
	uintptr_t lo = j ? as->reg[j - 1].end : 0;
	uintptr_t hi = j < as->nr ? as_region_start_gap(&as->reg[j]) : AS_TASK_SIZE;

	return hi > lo ? hi - lo : 0;
}

/**
 * as_gaps_dirty() - leaves from @j on may be stale
 * @as: the space
 * @j: the first region index whose gap (or whose neighbour's gap) changed
 */
void as_gaps_dirty(struct as *as, uint32_t j)
{
	if (j < as->gap_dirty)
		as->gap_dirty = j;
}

/**
 * as_gaps_free() - give the index's pages back
 * @as: the space
 */
void as_gaps_free(struct as *as)
{
	if (as->gap)
		pmm_free_pages(plat_virt_to_phys(as->gap), as->gap_order);
	as->gap = NULL;
	as->gap_leaves = 0;
	as->gap_order = 0;
	as->gap_dirty = 0;
}

/* Room for nr + 1 leaves; a new tree is all stale. False if out of memory. */
static bool gaps_reserve(struct as *as)
{
	uint32_t leaves = 1;
	unsigned order = 0;

	if (as->gap && as->gap_leaves > as->nr)
		return true;
	while (leaves < as->nr + 1)
		leaves <<= 1;
	while ((PAGE_SIZE << order) < 2 * leaves * sizeof(uint64_t))
		order++;
	if (order > PMM_MAX_ORDER)
		return false;
	phys_addr_t pa = pmm_alloc_pages(order, 0);
	if (pa == PMM_NO_FRAME)
		return false;
	as_gaps_free(as);
	as->gap = plat_phys_to_virt(pa);
	as->gap_order = order;
	as->gap_leaves = leaves;
	as->gap_dirty = 0;
	return true;
}

/* Brings the stale leaves and their ancestors up to date. False if out of memory. */
static bool gaps_sync(struct as *as)
{
	if (!gaps_reserve(as))
		return false;
	if (as->gap_dirty == GAP_CLEAN)
		return true;
	uint32_t n = as->gap_leaves, lo = as->gap_dirty, hi = n - 1;
	uint64_t *t = as->gap;

	for (uint32_t j = lo; j <= hi; j++)
		t[n + j] = j <= as->nr ? gap_size(as, j) : 0;
	for (lo = (n + lo) / 2, hi = (n + hi) / 2; lo >= 1; lo /= 2, hi /= 2) {
		for (uint32_t k = lo; k <= hi; k++)
			t[k] = MM_MAX(t[2 * k], t[2 * k + 1]);
		if (lo == 1)
			break;
	}
	as->gap_dirty = GAP_CLEAN;
	return true;
}

/* The highest leaf in [0, @limit] of at least @len under node @k (covering [l, r]); -1 if none. */
static int64_t last_fit(const struct as *as, uint32_t k, uint32_t l, uint32_t r, uint32_t limit,
			uint64_t len)
{
	if (l > limit || as->gap[k] < len)
		return -1;
	if (l == r)
		return l;
	uint32_t mid = l + (r - l) / 2;
	int64_t j = last_fit(as, 2 * k + 1, mid + 1, r, limit, len);

	return j >= 0 ? j : last_fit(as, 2 * k, l, mid, limit, len);
}

/* The lowest leaf in [@from, nr] of at least @len under node @k; -1 if none. */
static int64_t first_fit(const struct as *as, uint32_t k, uint32_t l, uint32_t r, uint32_t from,
			 uint64_t len)
{
	if (r < from || as->gap[k] < len)
		return -1;
	if (l == r)
		return l;
	uint32_t mid = l + (r - l) / 2;
	int64_t j = first_fit(as, 2 * k, l, mid, from, len);

	return j >= 0 ? j : first_fit(as, 2 * k + 1, mid + 1, r, from, len);
}

/*
 * Does the gap below region @j, clipped to [low, high), hold @len? Then
 * *found is its highest (@top) or lowest such address.
 */
static bool take(const struct as *as, uint32_t j, uint64_t len, uintptr_t low, uintptr_t high,
		 bool top, uintptr_t *found)
{
	uintptr_t lo = MM_MAX(j ? as->reg[j - 1].end : 0, low);
	uintptr_t hi = MM_MIN(j < as->nr ? as_region_start_gap(&as->reg[j]) : AS_TASK_SIZE, high);

	if (hi <= lo || hi - lo < len)
		return false;
	*found = top ? hi - len : lo;
	return true;
}

/**
 * as_gaps_top_down() - the highest free [a, a + @len) inside [@low, @high)
 * @as: the space
 * @len: bytes, > 0
 * @low: lowest address to use
 * @high: end of the range
 * @found: set to the address (0 if there is no room)
 *
 * Only the gaps holding @low or @high are clipped, so at most three
 * descents are made: O(log n).
 * Return: false if the index has no memory (the caller walks the array).
 */
bool as_gaps_top_down(struct as *as, uint64_t len, uintptr_t low, uintptr_t high,
		      uintptr_t *found)
{
	int64_t limit = as_region_lower(as, high);

	if (!gaps_sync(as))
		return false;
	*found = 0;
	while (limit >= 0) {
		int64_t j = last_fit(as, 1, 0, as->gap_leaves - 1, (uint32_t)limit, len);

		if (j < 0 || take(as, (uint32_t)j, len, low, high, true, found))
			return true;
		if (!j || as->reg[j - 1].end <= low)
			return true;		/* every lower gap is below @low */
		limit = j - 1;
	}
	return true;
}

/**
 * as_gaps_bottom_up() - the lowest free [a, a + @len) inside [@low, @high)
 * @as: the space
 * @len: bytes, > 0
 * @low: lowest address to use
 * @high: end of the range
 * @found: set to the address (0 if there is no room)
 *
 * Return: false if the index has no memory (the caller walks the array).
 */
bool as_gaps_bottom_up(struct as *as, uint64_t len, uintptr_t low, uintptr_t high,
		       uintptr_t *found)
{
	uint32_t from = as_region_lower(as, low);

	if (!gaps_sync(as))
		return false;
	*found = 0;
	while (from <= as->nr) {
		int64_t j = first_fit(as, 1, 0, as->gap_leaves - 1, from, len);

		if (j < 0 || take(as, (uint32_t)j, len, low, high, false, found))
			return true;
		if (j >= as->nr || as->reg[j].end >= high)
			return true;		/* every higher gap is above @high */
		from = (uint32_t)j + 1;
	}
	return true;
}

/**
 * as_gaps_check() - count index leaves that disagree with the regions
 * @as: the space
 *
 * For as_check(): the leaves below the first stale one must match the
 * array exactly (a change that forgot to mark its index shows up here, not
 * as a wrong placement later); the inner nodes too once nothing is stale.
 */
unsigned as_gaps_check(const struct as *as)
{
	unsigned bad = 0;

	if (!as->gap)
		return 0;
	uint32_t clean = MM_MIN(as->gap_dirty, as->gap_leaves);

	for (uint32_t j = 0; j < clean; j++) {
		uint64_t want = j <= as->nr ? gap_size(as, j) : 0;
		if (as->gap[as->gap_leaves + j] != want) {
			mm_err("as: free-area index leaf %u is %#llx, gap is %#llx", j,
			       (unsigned long long)as->gap[as->gap_leaves + j],
			       (unsigned long long)want);
			bad++;
		}
	}
	if (as->gap_dirty != GAP_CLEAN)
		return bad;
	for (uint32_t k = 1; k < as->gap_leaves; k++)
		bad += as->gap[k] != MM_MAX(as->gap[2 * k], as->gap[2 * k + 1]);
	return bad;
}
