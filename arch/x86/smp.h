/* SPDX-License-Identifier: MIT */
/*
 * Several CPUs: start-up of the application processors, cross-CPU calls
 * and TLB shootdown (the rule is in mm/pt.h).
 *
 * Lock order: smp_call's slot is taken with interrupts on and nothing else
 * held; a shootdown takes no lock at all (per-CPU mailboxes), so it may be
 * sent under any lock, and a CPU spinning for a lock still answers one
 * (plat_cpu_relax() polls its mailbox).
 */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/platform.h"

struct cpu_local;
struct memmap;
struct pmm_numa;

/* One CPU's outgoing TLB shootdown (tlb.c); targets read it, then ack. */
struct tlb_request {
	const uintptr_t *va;		/* pages to forget, or NULL: everything */
	unsigned n;
	bool global;			/* kernel space: global entries too */
	volatile MM_ATOMIC64 uint64_t pending;	/* CPUs that have not flushed yet */
	volatile uint32_t sleeping;	/* the sender halts: the last to flush wakes it */
};
MM_ATOMIC64_OK(struct tlb_request, pending);

/* Before the PMM: find the CPUs, set the start-up page aside and fill it. */
void smp_prepare(struct memmap *map);
/* After the scheduler: start every other CPU (the cmdline's nosmp: none). */
void smp_boot(void);
/* The NUMA nodes smp_prepare() found (SRAT, SLIT), for the PMM; NULL: one node. */
const struct pmm_numa *smp_numa(void);

/**
 * smp_call() - run fn(arg) on every CPU in @cpus, and wait for all
 * @cpus: the set; this CPU runs @fn too if it is in it
 * @fn: runs in interrupt context on the others: it must not sleep
 * @arg: passed to @fn
 *
 * Interrupts must be on (a CPU calling another one's way cannot wait with
 * them off).
 */
void smp_call(mm_cpumask_t cpus, void (*fn)(void *arg), void *arg);

/* A reschedule IPI to @cpu (it looks at its run queue). */
void smp_send_resched(unsigned cpu);
/* An application processor's tick (its local APIC timer) calls @fn. */
void smp_tick_register(void (*fn)(void));

/*
 * What smp.c asks of each kernel (percpu.c): give a new CPU's block its
 * descriptor tables and fault stacks (false: no memory), and, on that CPU,
 * load them and everything else a CPU holds in registers (per-CPU base,
 * kernel tables, protections, IDT, FPU, kernel stack). The shared code then
 * starts its local APIC and hands it to the scheduler.
 */
bool arch_cpu_alloc(struct cpu_local *c);
void arch_ap_init(struct cpu_local *c);

/* Interrupt handlers (lapic.c). */
void smp_call_handle(void);
void tlb_shootdown_handle(void);
/* Answer a pending shootdown, if any: for loops that wait with interrupts off. */
void tlb_poll(void);

#endif
