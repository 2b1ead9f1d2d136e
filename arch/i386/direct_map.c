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
#include "mm/platform.h"

#define FOUR_GIB	((uint64_t)1 << 32)

/*
 * Firmware tables above lowmem (ACPI's sit at the top of RAM below 4 GiB,
 * past 896 MiB on a 3 GiB machine) are read before the PMM exists, so
 * before any temporary mapping can be made: boot_phys_read() points large
 * pages of boot.S's tables, at the top of the address space, at them. The
 * windows stay until the kernel's own tables replace boot.S's, so pointers
 * it gave stay valid; once all are taken it returns NULL.
 */
#ifdef I386_PAE
#define WIN_SHIFT	21
#define WIN_FIRST	504		/* boot_pd's 0xff000000-0xffffffff: RAM above 1008 MiB */
typedef uint64_t boot_pde;
#else
#define WIN_SHIFT	22
#define WIN_FIRST	1016		/* boot_pd's unused 0xfe000000-0xffffffff */
typedef uint32_t boot_pde;
#endif
#define WIN_COUNT	8
#define WIN_SIZE	((uint64_t)1 << WIN_SHIFT)
#define PDE_LARGE	0x83		/* present, writable, large page */

extern boot_pde boot_pd[];
static uint64_t win_pa[WIN_COUNT];	/* the large page each window shows; 0: free */

static boot_pde *win_pde(unsigned w)
{
	return (boot_pde *)plat_phys_to_virt((uintptr_t)&boot_pd[WIN_FIRST + w]);
}

static uintptr_t win_va(unsigned w)
{
	return (uintptr_t)((uint64_t)(WIN_FIRST + w) << WIN_SHIFT) +
	       (WIN_SHIFT == 21 ? KERNEL_VMA : 0);
}

/* [pa, pa + len) through consecutive windows that are free or already show it. */
static const void *win_map(uint64_t pa, uint64_t len)
{
	uint64_t first = pa & ~(WIN_SIZE - 1), n = (pa + len - first + WIN_SIZE - 1) >> WIN_SHIFT;

	for (unsigned w = 0; w + n <= WIN_COUNT; w++) {
		bool fits = true;
		for (unsigned i = 0; i < n && fits; i++)
			fits = !win_pa[w + i] || win_pa[w + i] == first + i * WIN_SIZE;
		if (!fits)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (win_pa[w + i])
				continue;
			win_pa[w + i] = first + i * WIN_SIZE;
			*win_pde(w + i) = (boot_pde)(win_pa[w + i] | PDE_LARGE);
			invlpg(win_va(w + i));
		}
		return (const void *)(win_va(w) + (uintptr_t)(pa - first));
	}
	return NULL;
}

/**
 * boot_phys_read() - read firmware memory before the kernel's tables exist
 * @pa: physical address
 * @len: bytes wanted
 * @ctx: unused
 *
 * Return: a pointer to [pa, pa + len), valid until kernel_space_init(), or
 * NULL if it cannot be reached.
 */
const void *boot_phys_read(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa < EARLY_DIRECT_MAP_SIZE && len <= EARLY_DIRECT_MAP_SIZE - pa)
		return plat_phys_to_virt(pa);
#ifndef I386_PAE
	if (pa >= FOUR_GIB || len > FOUR_GIB - pa)
		return NULL;
#endif
	if (!len || len > WIN_SIZE)
		return NULL;
	return win_map(pa, len);
}

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
