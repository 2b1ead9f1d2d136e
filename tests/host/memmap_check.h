/* SPDX-License-Identifier: MIT */
/*
 * Invariants of a normalized memory map, shared by the unit tests and the
 * fuzzers. Each check returns NULL when it holds, or what is wrong.
 */
#ifndef TESTS_HOST_MEMMAP_CHECK_H
#define TESTS_HOST_MEMMAP_CHECK_H

#include "mm/memmap.h"

/* A fuzzer defines this to keep its coverage instrumentation out of the checks. */
#ifndef MEMMAP_CHECK_ORACLE
#define MEMMAP_CHECK_ORACLE
#endif

/* Type of the normalized range holding @pa, or 0 if none does. */
MEMMAP_CHECK_ORACLE static inline uint32_t memmap_check_type_at(const struct memmap *m, phys_addr_t pa)
{
	unsigned lo = 0, hi = m->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (pa < m->range[mid].base)
			hi = mid;
		else if (pa >= m->range[mid].end)
			lo = mid + 1;
		else
			return m->range[mid].type;
	}
	return 0;
}

/* Sorted, disjoint, page-aligned, non-empty, below the limit, merged. */
MEMMAP_CHECK_ORACLE static inline const char *memmap_check_ranges(const struct memmap *m)
{
	unsigned i;

	if (m->count > MEMMAP_MAX_RANGES)
		return "count beyond MEMMAP_MAX_RANGES";
	if (m->nraw > MEMMAP_MAX_RAW)
		return "nraw beyond MEMMAP_MAX_RAW";
	for (i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->range[i];

		if (r->base >= r->end)
			return "empty or inverted range";
		if (!IS_ALIGNED(r->base, PAGE_SIZE) || !IS_ALIGNED(r->end, PAGE_SIZE))
			return "range not page-aligned";
		if (r->end > PHYS_ADDR_LIMIT)
			return "range beyond PHYS_ADDR_LIMIT";
		if (r->type == 0)
			return "range of type 0";
		if (i && m->range[i - 1].end > r->base)
			return "ranges unsorted or overlapping";
		if (i && m->range[i - 1].end == r->base && m->range[i - 1].type == r->type)
			return "adjacent ranges of one type not merged";
	}
	return NULL;
}

MEMMAP_CHECK_ORACLE static inline bool memmap_check_raw_covers(const struct memmap *m, phys_addr_t pa,
					   bool usable)
{
	unsigned i;

	for (i = 0; i < m->nraw; i++)
		if (pa >= m->raw[i].base && pa < m->raw[i].end &&
		    (m->raw[i].type == MEMMAP_USABLE) == usable)
			return true;
	return false;
}

/*
 * Sampled at the edges and middle of each entry: no byte of a raw non-usable
 * entry is usable, and every usable byte comes from a raw usable entry that
 * no non-usable entry overlaps there.
 */
MEMMAP_CHECK_ORACLE static inline const char *memmap_check_against_raw(const struct memmap *m)
{
	unsigned i, j;

	for (i = 0; i < m->nraw; i++) {
		const struct memmap_range *r = &m->raw[i];
		phys_addr_t pts[3] = { r->base, r->base + (r->end - r->base) / 2, r->end - 1 };

		if (r->type == MEMMAP_USABLE)
			continue;
		for (j = 0; j < 3; j++)
			if (memmap_check_type_at(m, pts[j]) == MEMMAP_USABLE)
				return "byte of a non-usable entry is usable";
	}
	for (i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->range[i];
		phys_addr_t pts[3] = { r->base, r->base + (r->end - r->base) / 2, r->end - 1 };

		if (r->type != MEMMAP_USABLE)
			continue;
		for (j = 0; j < 3; j++) {
			if (!memmap_check_raw_covers(m, pts[j], true))
				return "usable byte not from a usable entry";
			if (memmap_check_raw_covers(m, pts[j], false))
				return "usable byte covered by a non-usable entry";
		}
	}
	return NULL;
}

#endif
