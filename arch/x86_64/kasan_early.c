// SPDX-License-Identifier: MIT
/*
 * x86_64's part of the KASAN build's shadow (arch/x86/kasan_arch.h): the
 * image's shadow in boot.S's four-level tables, and the shadow probe.
 * Not instrumented (mk/ksan.mk); empty in other builds.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kasan_arch.h"

#ifdef KASAN

#define EARLY_PTE	0x3	/* present, writable */
#define PT_SPAN		((uintptr_t)512 * PAGE_SIZE)	/* what one page table maps */
#define EARLY_PTS	((KASAN_IMAGE_SPAN / 8 + PT_SPAN - 1) / PT_SPAN)

static uint64_t early_pt[EARLY_PTS][512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t early_pd[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t early_pdpt[512] __attribute__((aligned(PAGE_SIZE)));

static inline uint64_t image_phys(const void *p)
{
	return (uint64_t)((uintptr_t)p - KERNEL_VMA);
}

/*
 * The boot tables map the first 4 GiB at the direct map, so their root is
 * reachable there. The shadow lies in one page directory (1 GiB), which
 * nothing else of the boot tables uses.
 */
void arch_kasan_early_map(uintptr_t va, phys_addr_t pa, size_t len)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(DIRECT_MAP_BASE + (cr3 & ~(uint64_t)0xfff));
	for (size_t off = 0; off < len && (off / PT_SPAN) < EARLY_PTS; off += PAGE_SIZE) {
		uintptr_t v = va + off;
		uint64_t *pt = early_pt[off / PT_SPAN];
		pt[(v >> 12) & 511] = (pa + off) | EARLY_PTE;
		early_pd[(v >> 21) & 511] = image_phys(pt) | EARLY_PTE;
	}
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
