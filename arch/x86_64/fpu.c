// SPDX-License-Identifier: MIT
/*
 * The x87/SSE state of user programs. The kernel itself never touches these
 * registers (it is built with -mgeneral-regs-only), so each task's state is
 * saved and restored only when switching tasks.
 */
#include "arch/x86_64/arch.h"
#include "kernel/lib.h"

#define CR0_MP		(1ul << 1)
#define CR0_EM		(1ul << 2)
#define CR0_TS		(1ul << 3)
#define CR4_OSXMMEXCPT	(1ul << 10)

static struct fpu_state initial_state;

void fpu_save(struct fpu_state *s)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*s));
}

void fpu_restore(const struct fpu_state *s)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*s));
}

void fpu_init_state(struct fpu_state *s)
{
	*s = initial_state;
}

/**
 * fpu_init() - let user code use x87 and SSE, and record a clean state
 */
void fpu_init(void)
{
	uint32_t mxcsr = 0x1f80;	/* all exceptions masked, round to nearest */

	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
	fpu_save(&initial_state);
}
