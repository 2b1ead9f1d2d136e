// SPDX-License-Identifier: MIT
/*
 * The memory core's porting interface (mm/platform.h) on i386: physical
 * memory through the direct map of lowmem, high memory through plat_kmap()
 * (highmem.c); the rest is arch/x86/platform.c.
 */
#include "arch.h"
#include "memlayout.h"
#include "mm/platform.h"

void *plat_phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + pa);
}

phys_addr_t plat_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KMAP_BASE && v < KMAP_END)
		return kmap_virt_to_phys(v);
	return v - DIRECT_MAP_BASE;
}
