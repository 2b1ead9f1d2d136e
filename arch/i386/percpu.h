/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, reached through %fs in kernel mode: the SEL_PERCPU
 * descriptor's base is this CPU's struct cpu_local. Every entry loads it;
 * the user's %fs is saved in the trap frame.
 */
#ifndef ARCH_I386_PERCPU_H
#define ARCH_I386_PERCPU_H

#define SYSCALL_VECTOR	0x80	/* int $0x80 */

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/smp.h"
#include "mm/platform.h"

struct cpu_tables;
struct fault_catch;
struct pt_space;
struct task;

/* A CPU's own data; self comes first (this_cpu() reads it). */
struct cpu_local {
	struct cpu_local *self;
	uintptr_t kstack_top;
	struct task *current;
	unsigned id;			/* 0 .. MM_MAX_CPUS-1; 0 is the boot CPU */
	unsigned apic_id;
	unsigned node;			/* NUMA node */
	struct cpu_tables *tables;	/* GDT, TSS and double-fault task */
	struct fault_catch *catcher;	/* FAULT_TRY on this CPU */
	struct task *idle;		/* runs when nothing else does */
	struct task *switched_from;	/* during a switch: the task leaving (sched.c) */
	struct task *sched_moving;	/* during a switch: to be queued on another CPU */
	volatile bool need_resched;	/* switch at the next return to user mode */
	struct pt_space *loaded;	/* user page tables in CR3, or NULL */
	bool lazy;			/* ... kept under a kernel thread (lazy TLB) */
	unsigned kmap_held;		/* plat_kmap()s not yet undone: none at a switch */
	volatile uint64_t tlb_from;	/* CPUs with a request for this one */
	struct tlb_request tlb_req;
	uint64_t ticks, ipis, tlb_ipis;
	uint64_t tlb_sent;		/* shootdowns it sent to other CPUs */
};

extern struct cpu_local cpu0;
/* Every started CPU's block, by CPU number; NULL for absent ones. */
extern struct cpu_local *cpu_data[MM_MAX_CPUS];
extern volatile uint64_t cpu_online_mask;
extern unsigned ncpus_online;

#define for_each_online_cpu(c)						\
	for (unsigned c = 0; c < MM_MAX_CPUS; c++)			\
		if (cpu_online_mask & (1ull << c))

static inline struct cpu_local *this_cpu(void)
{
	struct cpu_local *c;

	__asm__ volatile("movl %%fs:0, %0" : "=r"(c));
	return c;
}

static inline struct task *this_cpu_current(void)
{
	return this_cpu()->current;
}

void percpu_init(void);
/* The kernel stack entries from user mode land on (TSS esp0). */
void cpu_set_kernel_stack(uintptr_t top);
#endif

#endif
