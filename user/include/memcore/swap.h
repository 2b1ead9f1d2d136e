/* SPDX-License-Identifier: MIT */
/*
 * memcore's swap figures for programs: what /proc/swaps, /proc/vmstat and
 * zram's mm_stat tell on Linux, in one call. Linux answers ENOSYS.
 *
 *	struct memcore_swap_stats st;
 *	if (syscall(MEMCORE_SYS_swap_stats, &st) == 0) ...
 */
#ifndef MEMCORE_SWAP_H
#define MEMCORE_SWAP_H

#include <stdint.h>

#include "syscall.h"

struct memcore_swap_stats {
	uint64_t areas;		/* swap areas in use */
	uint64_t slots_total;	/* usable slots (pages) over all areas */
	uint64_t slots_used;	/* slots referenced */
	uint64_t stored_pages;	/* pages the backends hold */
	uint64_t orig_bytes;	/* their size */
	uint64_t ram_bytes;	/* RAM in-RAM backends use for theirs, overhead included */
	uint64_t ram_orig_bytes;	/* size of the pages the in-RAM backends hold */
	uint64_t swpout;	/* pages written to swap since boot */
	uint64_t swpin;		/* pages read back */
	uint64_t cache_hits;	/* faults that found the page in the swap cache */
	uint64_t written_back;	/* pages compressed tiers moved down to their disks (zswap=) */
};

#endif
