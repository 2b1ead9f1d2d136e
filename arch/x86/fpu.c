// SPDX-License-Identifier: MIT
/*
 * The x87/SSE state of user programs. The kernel itself never touches these
 * registers (it is built with -mgeneral-regs-only), so each task's state is
 * saved and restored only when switching tasks.
 */
#include "arch.h"
#include "kernel/lib.h"

#define CR0_MP		(1ul << 1)
#define CR0_EM		(1ul << 2)
#define CR0_TS		(1ul << 3)
#define CR4_OSXMMEXCPT	(1ul << 10)

static struct fpu_state initial_state;

/* FXSAVE's 64-bit form saves full 64-bit instruction and data pointers. */
#ifdef __x86_64__
#define FXSAVE	"fxsave64"
#define FXRSTOR	"fxrstor64"
#else
#define FXSAVE	"fxsave"
#define FXRSTOR	"fxrstor"
#endif

void fpu_save(struct fpu_state *s)
{
	__asm__ volatile(FXSAVE " %0" : "=m"(*s));
}

void fpu_restore(const struct fpu_state *s)
{
	__asm__ volatile(FXRSTOR " %0" : : "m"(*s));
}

void fpu_init_state(struct fpu_state *s)
{
	*s = initial_state;
}

void fpu_load_initial(void)
{
	fpu_restore(&initial_state);
}

uint32_t fpu_mxcsr_mask(void)
{
	uint32_t mask;

	memcpy(&mask, initial_state.area + 28, 4);
	return mask ? mask : 0xffbf;	/* 0: the default mask (SDM 10.5.1.2) */
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

/* si_code values of SIGFPE (Linux's ABI). */
#define FPE_FLTDIV	3
#define FPE_FLTOVF	4
#define FPE_FLTUND	5
#define FPE_FLTRES	6
#define FPE_FLTINV	7

/**
 * fpu_exception_code() - which floating-point exception a #MF or #XM raised
 * @simd: #XM (from MXCSR) rather than #MF (from the x87 status word)
 *
 * Return: FPE_FLTINV, FPE_FLTDIV, ... for the first unmasked exception that
 * is flagged, in Linux's order of priority, or 0.
 */
int fpu_exception_code(bool simd)
{
	struct fpu_state s;
	uint32_t bits;

	fpu_save(&s);
	if (simd) {
		uint32_t mxcsr;
		memcpy(&mxcsr, s.area + 24, 4);
		bits = mxcsr & ~(mxcsr >> 7) & 0x3f;
	} else {
		uint16_t cwd, swd;
		memcpy(&cwd, s.area + 0, 2);
		memcpy(&swd, s.area + 2, 2);
		bits = swd & ~cwd & 0x3f;
	}
	if (bits & 0x01)
		return FPE_FLTINV;
	if (bits & 0x04)
		return FPE_FLTDIV;
	if (bits & 0x08)
		return FPE_FLTOVF;
	if (bits & 0x12)
		return FPE_FLTUND;
	if (bits & 0x20)
		return FPE_FLTRES;
	return 0;
}
