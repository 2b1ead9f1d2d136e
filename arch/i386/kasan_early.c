// SPDX-License-Identifier: MIT
/*
 * i386's part of the KASAN build's shadow (arch/x86/kasan_arch.h): where the
 * image's shadow goes in boot.S's tables (two-level or PAE), and the shadow
 * probe. Not instrumented (mk/ksan.mk); empty in other builds.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kasan_arch.h"

#ifdef KASAN

#ifdef I386_PAE
/* boot.S's one page directory maps 0xc0000000 up (and, the same, the identity). */
#define PDE_INDEX(va)	(((va) - KERNEL_VMA) >> KASAN_EARLY_PT_SHIFT)
#else
#define PDE_INDEX(va)	((va) >> KASAN_EARLY_PT_SHIFT)
#endif

_Static_assert(KASAN_SHADOW_BASE >= DIRECT_MAP_END, "the shadow is outside the boot direct map");

extern kasan_early_pte boot_pd[];	/* boot.S's, at its load address */

/*
 * The shadow lies above the direct map that boot.S maps (768 MiB in this
 * build), where its page directory has no entry in use; boot_pd itself is
 * reached through that direct map.
 */
kasan_early_pte *arch_kasan_early_pde(uintptr_t va)
{
	kasan_early_pte *pd = (kasan_early_pte *)(KERNEL_VMA + (uintptr_t)boot_pd);

	return &pd[PDE_INDEX(va)];
}

void arch_kasan_early_done(uintptr_t va)
{
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
