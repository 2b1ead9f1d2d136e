// SPDX-License-Identifier: MIT
/* Memory reports shared by the boot log and the shell. */
#include "kernel/kernel.h"
#include "kernel/lib.h"

/**
 * memmap_print() - print a normalized memory map and its totals.
 * @map: the map to print
 */
void memmap_print(const struct memmap *map)
{
	kprintf("memory map (%u ranges, %u bootloader entries dropped):\n",
		map->count, map->dropped);
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		uint64_t size = r->end - r->base;
		kprintf("  [0x%012lx-0x%012lx) %10pB  %s\n", r->base, r->end, &size,
			memmap_type_name(r->type));
	}
	uint64_t usable = memmap_bytes(map, MEMMAP_USABLE);
	uint64_t kernel = memmap_bytes(map, MEMMAP_KERNEL) + memmap_bytes(map, MEMMAP_MODULE) +
			  memmap_bytes(map, MEMMAP_BOOTINFO);
	kprintf("memory: %lu KiB usable (%pB), %lu KiB kernel/boot, highest usable %#lx\n",
		usable >> 10, &usable, kernel >> 10, memmap_highest_usable(map));
}
