/* SPDX-License-Identifier: MIT */
/*
 * The profiling build's (KPERF) record of the longest stretch with
 * interrupts off: every place that turns them off or on (cli/sti, the
 * core's plat_irq_save/restore, trap entry and the return to user mode)
 * reports here, and the longest stretch seen, in TSC cycles, is kept with
 * the code address where it began. Without KPERF the hooks are empty.
 */
#ifndef ARCH_X86_64_IRQOFF_H
#define ARCH_X86_64_IRQOFF_H

#include <stdint.h>

struct irqoff_record {
	uint64_t cycles;	/* the longest stretch */
	uintptr_t site;		/* where interrupts went off for it */
	uintptr_t end_site;	/* and (near) where they came back on */
	uint64_t ns;		/* its length in nanoseconds of the guest clock */
};

#ifdef KPERF
/* Interrupts just went off at code address @site (if not already being timed). */
void irqoff_begin(uintptr_t site);
/* They are about to go on: close the stretch being timed, if any. */
void irqoff_end(void);
void irqoff_get(struct irqoff_record *r);
void irqoff_reset(void);
#else
static inline void irqoff_begin(uintptr_t site)
{
	(void)site;
}
static inline void irqoff_end(void)
{
}
#endif

/* The address of the instruction after this call, for irqoff_begin(). */
static inline uintptr_t irqoff_here(void)
{
	uintptr_t pc;

	__asm__ volatile("leaq 0(%%rip), %0" : "=r"(pc));
	return pc;
}

#endif
