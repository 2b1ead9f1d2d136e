/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, reached through the GS base in kernel mode. SWAPGS on every
 * entry from and exit to user mode keeps the user's GS base out of the way.
 * The offsets are shared with the assembly entry code.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#define CPU_SELF	0
#define CPU_KSTACK_TOP	8	/* top of the current task's kernel stack */
#define CPU_USER_RSP	16	/* the user's stack pointer, saved at SYSCALL */

#define SYSCALL_VECTOR	256	/* trap_frame.vector of a system call */

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/smp.h"
#include "mm/platform.h"

struct cpu_tables;
struct fault_catch;
struct pt_space;
struct task;

/* A CPU's own data; the first three fields' offsets are fixed (above). */
struct cpu_local {
	struct cpu_local *self;
	uint64_t kstack_top;
	uint64_t user_rsp;
	struct task *current;
	unsigned id;			/* 0 .. MM_MAX_CPUS-1; 0 is the boot CPU */
	unsigned apic_id;
	unsigned node;			/* NUMA node */
	struct cpu_tables *tables;	/* GDT and TSS */
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

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static inline struct task *this_cpu_current(void)
{
	return this_cpu()->current;
}

void percpu_init(void);
void syscall_init(void);
/* The kernel stack entries from user mode land on (TSS rsp0 and SYSCALL). */
void cpu_set_kernel_stack(uint64_t top);
#endif

#endif
