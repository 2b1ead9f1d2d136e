/* SPDX-License-Identifier: MIT */
/*
 * The i386 kernel runs on its boot CPU only (application processors are not
 * started yet); these keep the x86_64 interface so the kernel proper is
 * the same on both.
 */
#ifndef ARCH_I386_SMP_H
#define ARCH_I386_SMP_H

#include "mm/platform.h"

struct memmap;
struct pmm_numa;

void smp_prepare(struct memmap *map);
void smp_boot(void);
/* The NUMA nodes smp_prepare() found (SRAT, SLIT), for the PMM; NULL: one node. */
const struct pmm_numa *smp_numa(void);
/* Runs fn(arg) here if this CPU is in @cpus (the only one online). */
void smp_call(mm_cpumask_t cpus, void (*fn)(void *arg), void *arg);
/* One CPU: nobody to kick, no application processor ticks. */
static inline void smp_send_resched(unsigned cpu)
{
	(void)cpu;
}
static inline void smp_tick_register(void (*fn)(void))
{
	(void)fn;
}
/* No other CPU sends shootdowns. */
static inline void tlb_poll(void)
{
}

#endif
