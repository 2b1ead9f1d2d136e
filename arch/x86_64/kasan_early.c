// SPDX-License-Identifier: MIT
/*
 * x86_64's part of the KASAN build's shadow (arch/x86/kasan_arch.h): where
 * the image's shadow goes in boot.S's four-level tables, and the shadow
 * probe. Not instrumented (mk/ksan.mk); empty in other builds.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kasan_arch.h"

#ifdef KASAN

#define EARLY_PTE	0x3	/* present, writable */

static uint64_t early_pd[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t early_pdpt[512] __attribute__((aligned(PAGE_SIZE)));

static inline uint64_t image_phys(const void *p)
{
	return (uint64_t)((uintptr_t)p - KERNEL_VMA);
}

/* The shadow lies in one page directory (1 GiB), which nothing else of the boot tables uses. */
kasan_early_pte *arch_kasan_early_pde(uintptr_t va)
{
	return &early_pd[(va >> KASAN_EARLY_PT_SHIFT) & 511];
}

/* The boot tables map the first 4 GiB at the direct map, so their root is reachable there. */
void arch_kasan_early_done(uintptr_t va)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(DIRECT_MAP_BASE + (cr3 & ~(uint64_t)0xfff));
	early_pdpt[(va >> 30) & 511] = image_phys(early_pd) | EARLY_PTE;
	pml4[(va >> 39) & 511] = image_phys(early_pdpt) | EARLY_PTE;
}

__asm__(".pushsection .text\n"
	".globl kasan_probe, kasan_probe_insn, kasan_probe_fixup\n"
	".type kasan_probe, @function\n"
	"kasan_probe:\n"
	"kasan_probe_insn:\n"
	"	movsbl (%rdi), %eax\n"
	"	ret\n"
	"kasan_probe_fixup:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size kasan_probe, . - kasan_probe\n"
	".popsection\n");

#endif
