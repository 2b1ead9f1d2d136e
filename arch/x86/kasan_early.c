// SPDX-License-Identifier: MIT
/*
 * The KASAN build's shadow of the image before the first C function runs
 * (arch/x86/kasan_arch.h), the part both kernels share: the shadow's page
 * tables, in .bss, filled page by page; each arch's kasan_early.c names the
 * directory entries that point to them. Not instrumented (mk/ksan.mk);
 * empty in other builds.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kasan_arch.h"

#ifdef KASAN

#define EARLY_PTE	0x3	/* present, writable */
#define PT_ENTRIES	(PAGE_SIZE / sizeof(kasan_early_pte))
#define PT_SPAN		((uintptr_t)1 << KASAN_EARLY_PT_SHIFT)	/* what one page table maps */
#define EARLY_PTS	((KASAN_IMAGE_SPAN / 8 + PT_SPAN - 1) / PT_SPAN)

static kasan_early_pte early_pt[EARLY_PTS][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

void arch_kasan_early_map(uintptr_t va, phys_addr_t pa, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uintptr_t v = va + off;
		uintptr_t t = (v >> KASAN_EARLY_PT_SHIFT) - (va >> KASAN_EARLY_PT_SHIFT);

		if (t >= EARLY_PTS)
			break;
		early_pt[t][(v >> PAGE_SHIFT) & (PT_ENTRIES - 1)] = (kasan_early_pte)(pa + off) | EARLY_PTE;
		*arch_kasan_early_pde(v) = (kasan_early_pte)((uintptr_t)early_pt[t] - KERNEL_VMA) | EARLY_PTE;
	}
	arch_kasan_early_done(va);
}

#endif
