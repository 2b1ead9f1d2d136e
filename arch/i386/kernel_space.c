// SPDX-License-Identifier: MIT
/*
 * i386's part of the kernel's address space (arch/x86/kernel_space.c
 * builds it): two-level paging (4 KiB and 4 MiB pages, no NX), or PAE with
 * NX in the I386_PAE build (boot.S's tables have the same format); the
 * guard pages of the boot and double-fault stacks; the kmap window for high
 * memory (highmem.c) and the local APIC's window.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kernel_space_arch.h"

void df_tss_set_cr3(uintptr_t cr3);

/* The build's format as this CPU runs it (NX needs EFER.NXE). */
void arch_kernel_format(struct pt_format *f)
{
#ifdef I386_PAE
	*f = pt_format_i386_pae;
	if (cpu_features.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	else
		f->nx = 0;
#else
	*f = pt_format_i386;
	if (!cpu_features.pse)
		f->large_levels = 0;
#endif
	if (!cpu_features.pge)
		f->global = 0;
}

unsigned arch_stack_guards(struct stack_guard *g)
{
	g[0] = (struct stack_guard){ (uintptr_t)boot_stack_bottom - PAGE_SIZE, "boot" };
	g[1] = (struct stack_guard){ df_stack_base() - PAGE_SIZE, "double-fault" };
	return 2;
}

/* The double-fault task switches to the kernel's tables too; then the kmap window. */
void arch_kernel_space_ready(struct pt_space *pt, const struct pt_format *f)
{
	df_tss_set_cr3(pt->root);
	kmap_init(pt, f->nx);
}

const char *arch_kernel_window(uintptr_t addr)
{
	if (addr >= KMAP_BASE && addr < KMAP_END)
		return "kmap window";
	if (addr >= LAPIC_WINDOW && addr < LAPIC_WINDOW + PAGE_SIZE)
		return "local APIC";
	return NULL;
}
