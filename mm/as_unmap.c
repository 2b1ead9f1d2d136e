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

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		if (!as_is_zero_page(pa + off))
			pmm_put(pa + off);
		as->rss--;
	}
}

/**
 * as_zap() - remove the pages of [@start, @start + @len), keeping the regions
 * @as: the space, locked
 * @start: page-aligned
 * @len: page multiple, may be 0
 *
 * The space only ever has 4 KiB leaves, so pt_unmap() never needs memory
 * here; a failure would be a broken invariant.
 */
void as_zap(struct as *as, uintptr_t start, uint64_t len)
{
	int err;

	if (!len)
		return;
	err = pt_unmap(&as->vs.pt, start, len, release, as);
	if (err)
		plat_panic("as: unmapping [%#llx, +%#llx) failed: %d", (unsigned long long)start,
			   (unsigned long long)len, err);
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
	uint32_t i;

	as_region_split(as, start);
	as_region_split(as, end);
	i = as_region_lower(as, start);
	while (i < as->nr && as->reg[i].start < end) {
		struct as_region *r = &as->reg[i];

		as_zap(as, r->start, r->end - r->start);
		as_uncharge_region(r);
		as_region_remove(as, i);
	}
}
