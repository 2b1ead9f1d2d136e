// SPDX-License-Identifier: MIT
/*
 * The direct map covers RAM below 896 MiB only (memlayout.h); boot.S
 * mapped all of that. RAM above it is high memory, given to the memory
 * core as ZONE_HIGHMEM (plat_highmem_base(), highmem.c). Two-level paging
 * cannot address RAM above 4 GiB at all (no PSE-36): that is reserved.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/lib.h"
#include "mm/memmap.h"

#define FOUR_GIB	((uint64_t)1 << 32)

uint64_t direct_map_extend(struct memmap *map)
{
	uint64_t top = memmap_highest_usable(map);
	uint64_t lost = 0;

#ifndef I386_PAE
	if (top > FOUR_GIB) {
		for (unsigned i = 0; i < map->count; i++) {
			const struct memmap_range *r = &map->range[i];
			if (r->type == MEMMAP_USABLE && r->end > FOUR_GIB)
				lost += r->end - MM_MAX(r->base, FOUR_GIB);
		}
		memmap_carve(map, FOUR_GIB, top, MEMMAP_RESERVED);
		kprintf("direct map: %" PRIu64 " MiB of RAM above 4 GiB not used (two-level "
			"paging; boot the PAE kernel)\n", lost >> 20);
		top = FOUR_GIB;
	}
#endif
	if (top > LOWMEM_SIZE)
		kprintf("direct map: %u MiB of lowmem, RAM above it is high memory (kmap)\n",
			LOWMEM_SIZE >> 20);
	return lost;
}
