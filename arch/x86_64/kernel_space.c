// SPDX-License-Identifier: MIT
/*
 * x86_64's part of the kernel's address space (arch/x86/kernel_space.c
 * builds it): the four-level format, the guard pages of the boot and IST
 * stacks. The direct map covers all RAM, so there are no windows.
 */
#include "arch.h"
#include "memlayout.h"
#include "arch/x86/kernel_space_arch.h"

void arch_kernel_format(struct pt_format *f)
{
	*f = pt_format_x86_64;
	if (!cpu_features.nx)
		f->nx = 0;
	if (!cpu_features.pdpe1gb)
		f->large_levels &= ~(1u << 2);
	if (!cpu_features.pge)
		f->global = 0;
}

unsigned arch_stack_guards(struct stack_guard *g)
{
	static const char *const ist_names[IST_COUNT] = { "double-fault", "page-fault", "NMI",
							  "machine-check" };

	g[0] = (struct stack_guard){ (uintptr_t)boot_stack_bottom - PAGE_SIZE, "boot" };
	for (unsigned i = 1; i <= IST_COUNT; i++)
		g[i] = (struct stack_guard){ ist_stack_base(i) - PAGE_SIZE, ist_names[i - 1] };
	return 1 + IST_COUNT;
}

void arch_kernel_space_ready(struct pt_space *pt, const struct pt_format *f)
{
	(void)pt;
	(void)f;
}

const char *arch_kernel_window(uintptr_t addr)
{
	(void)addr;
	return NULL;
}
