/* SPDX-License-Identifier: MIT */
/*
 * A CPU's own data, the same block on both kernels; each arch's percpu.h
 * says how it is reached (PERCPU_SEG: the segment whose base is the block)
 * and adds its own fields (CPU_LOCAL_ARCH_FIELDS, right after kstack_top,
 * at offsets its entry code knows). Included by percpu.h only.
 */
#ifndef ARCH_X86_CPU_LOCAL_H
#define ARCH_X86_CPU_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/smp.h"
#include "mm/platform.h"

struct cpu_tables;
struct fault_catch;
struct pt_space;
struct task;

/* self comes first (this_cpu() reads it), then the kernel stack's top. */
struct cpu_local {
	struct cpu_local *self;
	uintptr_t kstack_top;
	CPU_LOCAL_ARCH_FIELDS
	struct task *current;
	unsigned id;			/* 0 .. MM_MAX_CPUS-1; 0 is the boot CPU */
	unsigned apic_id;
	unsigned node;			/* NUMA node */
	struct cpu_tables *tables;	/* descriptor tables (percpu.c) */
	struct fault_catch *catcher;	/* FAULT_TRY on this CPU */
	struct task *idle;		/* runs when nothing else does */
	struct task *switched_from;	/* during a switch: the task leaving (sched.c) */
	struct task *sched_moving;	/* during a switch: to be queued on another CPU */
	volatile bool need_resched;	/* switch at the next return to user mode */
	struct pt_space *loaded;	/* user page tables in CR3, or NULL */
	bool lazy;			/* ... kept under a kernel thread (lazy TLB) */
	unsigned kmap_held;		/* plat_kmap()s not yet undone: none at a switch */
	volatile MM_ATOMIC64 uint64_t tlb_from;	/* CPUs with a request for this one */
	struct tlb_request tlb_req;
	uint64_t ticks, ipis, tlb_ipis;
	uint64_t tlb_sent;		/* shootdowns it sent to other CPUs */
	uint64_t tlb_halts;		/* ... halts waiting for their answers */
	uint64_t tlb_wakes;		/* wake-ups it sent to such halted senders */
	const void *volatile doze_key;	/* the lock it dozes on (doze.c), or NULL */
	uint64_t dozes;			/* halts waiting for a lock */
};
MM_ATOMIC64_OK(struct cpu_local, tlb_from);

extern struct cpu_local cpu0;
/* Every started CPU's block, by CPU number; NULL for absent ones. */
extern struct cpu_local *cpu_data[MM_MAX_CPUS];
extern volatile uint64_t cpu_online_mask;
/* CPUs started or being started: online ones and any that may yet come up. */
extern volatile uint64_t cpu_possible_mask;
extern unsigned ncpus_online;

#define for_each_online_cpu(c)						\
	for (unsigned c = 0; c < MM_MAX_CPUS; c++)			\
		if (cpu_online_mask & (1ull << c))

static inline struct cpu_local *this_cpu(void)
{
	struct cpu_local *c;

	__asm__ volatile("mov %%" PERCPU_SEG ":0, %0" : "=r"(c));
	return c;
}

static inline struct task *this_cpu_current(void)
{
	return this_cpu()->current;
}

/* Counts this CPU's temporary mappings (plat_kmap +1, plat_kunmap -1), in one instruction. */
static inline void this_cpu_kmap_held_add(int n)
{
	if (n > 0)
		__asm__ volatile("incl %%" PERCPU_SEG ":%c0"
				 : : "i"(__builtin_offsetof(struct cpu_local, kmap_held)) : "memory");
	else
		__asm__ volatile("decl %%" PERCPU_SEG ":%c0"
				 : : "i"(__builtin_offsetof(struct cpu_local, kmap_held)) : "memory");
}

void percpu_init(void);
/* How entries from user mode find the kernel (x86_64: SYSCALL; i386: an IDT gate). */
void syscall_init(void);
/* The kernel stack entries from user mode land on. */
void cpu_set_kernel_stack(uintptr_t top);

#endif
