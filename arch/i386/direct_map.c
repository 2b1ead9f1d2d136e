// SPDX-License-Identifier: MIT
/*
 * The direct map covers RAM below 896 MiB only (memlayout.h); boot.S
 * mapped all of that. RAM above would need temporary mappings (highmem),
 * which the i386 kernel does not have yet: it is reserved instead.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/lib.h"
#include "mm/memmap.h"

uint64_t direct_map_extend(struct memmap *map)
{
	uint64_t top = memmap_highest_usable(map);
	uint64_t lost = 0;

	if (top <= LOWMEM_SIZE)
		return 0;
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		if (r->type == MEMMAP_USABLE && r->end > LOWMEM_SIZE)
			lost += r->end - MM_MAX(r->base, (uint64_t)LOWMEM_SIZE);
	}
	memmap_carve(map, LOWMEM_SIZE, top, MEMMAP_RESERVED);
	kprintf("direct map: %" PRIu64 " MiB of RAM above %u MiB not used (no highmem)\n",
		lost >> 20, LOWMEM_SIZE >> 20);
	return lost;
}
