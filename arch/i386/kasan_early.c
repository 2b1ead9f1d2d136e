// SPDX-License-Identifier: MIT
/*
 * i386's part of the KASAN build's shadow (arch/x86/kasan_arch.h): the
 * image's shadow in boot.S's tables (two-level or PAE), and the shadow
 * probe. Not instrumented (mk/ksan.mk); empty in other builds.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kasan_arch.h"

#ifdef KASAN

#define EARLY_PTE	0x3	/* present, writable */
#ifdef I386_PAE
typedef uint64_t early_pte;
#define PT_ENTRIES	512
#define PDE_SHIFT	21
/* boot.S's one page directory maps 0xc0000000 up (and, the same, the identity). */
#define PDE_INDEX(va)	(((va) - KERNEL_VMA) >> PDE_SHIFT)
#else
typedef uint32_t early_pte;
#define PT_ENTRIES	1024
#define PDE_SHIFT	22
#define PDE_INDEX(va)	((va) >> PDE_SHIFT)
#endif
#define PT_SPAN		((uintptr_t)PT_ENTRIES * PAGE_SIZE)	/* what one page table maps */
#define EARLY_PTS	((KASAN_IMAGE_SPAN / 8 + PT_SPAN - 1) / PT_SPAN)

_Static_assert(KASAN_SHADOW_BASE >= DIRECT_MAP_END, "the shadow is outside the boot direct map");

extern early_pte boot_pd[];	/* boot.S's, at its load address */
static early_pte early_pt[EARLY_PTS][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

/*
 * The shadow lies above the direct map that boot.S maps (768 MiB in this
 * build), where its page directory has no entry in use; boot_pd itself is
 * reached through that direct map.
 */
void arch_kasan_early_map(uintptr_t va, phys_addr_t pa, size_t len)
{
	early_pte *pd = (early_pte *)(KERNEL_VMA + (uintptr_t)boot_pd);

	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uintptr_t v = va + off;
		unsigned t = (v >> PDE_SHIFT) - (va >> PDE_SHIFT);
		if (t >= EARLY_PTS)
			break;
		early_pt[t][(v >> 12) & (PT_ENTRIES - 1)] = (early_pte)(pa + off) | EARLY_PTE;
		pd[PDE_INDEX(v)] = (early_pte)((uintptr_t)early_pt[t] - KERNEL_VMA) | EARLY_PTE;
	}
	uintptr_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

__asm__(".pushsection .text\n"
	".globl kasan_probe, kasan_probe_insn, kasan_probe_fixup\n"
	".type kasan_probe, @function\n"
	"kasan_probe:\n"
	"	movl 4(%esp), %eax\n"
	"kasan_probe_insn:\n"
	"	movsbl (%eax), %eax\n"
	"	ret\n"
	"kasan_probe_fixup:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size kasan_probe, . - kasan_probe\n"
	".popsection\n");

#endif
