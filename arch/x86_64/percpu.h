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
#include <stdint.h>

struct cpu_local {
	struct cpu_local *self;
	uint64_t kstack_top;
	uint64_t user_rsp;
	struct task *current;
};

extern struct cpu_local cpu0;

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
