// SPDX-License-Identifier: MIT
/* Bringing up the boot CPU: what it can do (cpu_features.c), and its tables. */
#include "arch.h"
#include "percpu.h"

/**
 * arch_init() - set up the boot CPU's descriptor tables and interrupts.
 *
 * Interrupts stay disabled; the caller enables them when it is ready.
 */
void arch_init(void)
{
	cpu_features_detect();
	smap_patch_sites();	/* before any user copy */
	percpu_init();
	gdt_init();
	idt_init();
	pic_init();
	syscall_init();
	fpu_init();
	cpu_features_print();
}
