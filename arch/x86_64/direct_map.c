// SPDX-License-Identifier: MIT
/*
 * The boot page tables map the first 4 GiB of physical memory at
 * DIRECT_MAP_BASE. Before the memory core can touch RAM above that (its
 * frame database, frames it hands out), the direct map must cover it too.
 * This extends it with 2 MiB pages, only where there is RAM: mapping MMIO
 * holes as cacheable memory invites speculative reads of device registers.
 * The page directories come from the memory map itself, below 4 GiB.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"
#include "kernel/lib.h"
#include "mm/memmap.h"
#include "mm/platform.h"

#define GIB		(1ull << 30)
#define LARGE_PAGE	(2ull << 20)
#define PTE_P		0x001ull
#define PTE_W		0x002ull
#define PTE_PS		0x080ull
#define PTE_NX		(1ull << 63)

extern uint64_t boot_pdpt_low[512];

static bool is_ram(uint32_t type)
{
	return type == MEMMAP_USABLE || type == MEMMAP_KERNEL || type == MEMMAP_MODULE ||
	       type == MEMMAP_BOOTINFO || type == MEMMAP_FRAMEDB;
}

static bool chunk_has_ram(const struct memmap *map, uint64_t base)
{
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		if (is_ram(r->type) && r->base < base + LARGE_PAGE && r->end > base)
			return true;
	}
	return false;
}

/* One page of usable RAM below 4 GiB (already mapped), taken off the map. */
static phys_addr_t take_low_page(struct memmap *map)
{
	for (unsigned i = map->count; i-- > 0;) {
		const struct memmap_range *r = &map->range[i];
		if (r->type != MEMMAP_USABLE || r->base >= EARLY_DIRECT_MAP_SIZE)
			continue;
		phys_addr_t end = MM_MIN(r->end, EARLY_DIRECT_MAP_SIZE);
		if (end - r->base < PAGE_SIZE)
			continue;
		phys_addr_t pa = end - PAGE_SIZE;
		if (memmap_carve(map, pa, pa + PAGE_SIZE, MEMMAP_KERNEL) < 0)
			return 0;
		memset(plat_phys_to_virt(pa), 0, PAGE_SIZE);
		return pa;
	}
	return 0;
}

/**
 * direct_map_extend() - map all RAM above 4 GiB into the direct map.
 * @map: the normalized memory map; page directories are carved from it
 *
 * Return: bytes of RAM left unmapped (beyond what one PDPT covers, or when
 * no page could be found for a page directory); 0 normally.
 */
uint64_t direct_map_extend(struct memmap *map)
{
	uint64_t *pdpt = plat_phys_to_virt((uintptr_t)boot_pdpt_low);
	uint64_t top = memmap_highest_usable(map), lost = 0;
	uint64_t nx = cpu_features.nx ? PTE_NX : 0;

	for (uint64_t base = EARLY_DIRECT_MAP_SIZE; base < top; base += LARGE_PAGE) {
		if (!chunk_has_ram(map, base))
			continue;
		unsigned g = base / GIB;
		if (g >= 512) {
			lost += top - base;
			break;
		}
		if (!(pdpt[g] & PTE_P)) {
			phys_addr_t pd = take_low_page(map);
			if (!pd) {
				lost += top - base;
				break;
			}
			pdpt[g] = pd | PTE_P | PTE_W;
		}
		uint64_t *pde = plat_phys_to_virt(pdpt[g] & 0x000ffffffffff000ull);
		pde[(base % GIB) / LARGE_PAGE] = base | PTE_P | PTE_W | PTE_PS | nx;
	}
	plat_tlb_flush_all();
	if (lost)
		kprintf("direct map: %lu MiB of RAM left unmapped\n", lost >> 20);
	return lost;
}

/* Bootloader and firmware data lie below 4 GiB, which boot.S put in the direct map. */
const void *boot_phys_read(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa >= EARLY_DIRECT_MAP_SIZE || len > EARLY_DIRECT_MAP_SIZE - pa)
		return NULL;
	return plat_phys_to_virt(pa);
}
