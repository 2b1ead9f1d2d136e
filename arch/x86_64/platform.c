// SPDX-License-Identifier: MIT
/*
 * The memory core's porting interface (mm/platform.h) on x86_64: physical
 * memory through the direct map (the rest is arch/x86/platform.c).
 */
#include "arch.h"
#include "heap_arena.h"
#include "memlayout.h"
#include "percpu.h"
#include "mm/platform.h"

void *plat_phys_to_virt(phys_addr_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}

phys_addr_t plat_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	phys_addr_t pa;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	if (unlikely(v >= DIRECT_MAP_END) && arch_heap_arena_phys(v, &pa))
		return pa;	/* a slab's page: the frame mapped there */
	return v - DIRECT_MAP_BASE;
}

/*
 * The direct map covers all RAM: no high memory, a temporary mapping is the
 * direct one. They are counted all the same, so that a holder switching
 * tasks is caught here too, not only on a kernel with high memory.
 */
phys_addr_t plat_highmem_base(void)
{
	return PLAT_NO_HIGHMEM;
}

void *plat_kmap(phys_addr_t pa)
{
	this_cpu_kmap_held_add(1);
	return plat_phys_to_virt(pa);
}

void plat_kunmap(void *va)
{
	(void)va;
	this_cpu_kmap_held_add(-1);
}
