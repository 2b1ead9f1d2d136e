// SPDX-License-Identifier: MIT
/*
 * Exceptions provoked on purpose: each must arrive with the right vector,
 * error code and faulting address, and the kernel must carry on.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/ktest.h"
#include "mm/fault.h"

#define UNMAPPED_KERNEL_VA	(KERNEL_NEVER_MAPPED + 0x1000)
#define NONCANONICAL_VA		0x8000000000000000ul

static void expect_pf(struct ktest *t, const struct fault_catch *fc, uint64_t addr,
		      uint64_t error)
{
	KEXPECT(t, fc->caught);
	KEXPECT_EQ(t, fc->vector, VEC_PF);
	KEXPECT_EQ(t, fc->addr, addr);
	KEXPECT_EQ(t, fc->error, error);
}

static void pf_read_unmapped(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		(void)*(volatile uintptr_t *)UNMAPPED_KERNEL_VA;
		fault_catch_disarm();
	}
	expect_pf(t, &fc, UNMAPPED_KERNEL_VA, 0);
}

static void pf_write_unmapped(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		*(volatile uintptr_t *)(UNMAPPED_KERNEL_VA + 8) = 42;
		fault_catch_disarm();
	}
	expect_pf(t, &fc, UNMAPPED_KERNEL_VA + 8, PF_W);
}

/* The null dereference is the point: not a finding of the UBSan build. */
__attribute__((no_sanitize("null")))
static void pf_null_pointer(struct ktest *t)
{
	struct fault_catch fc;
	volatile uintptr_t *null = NULL;

	if (FAULT_TRY(&fc)) {
		(void)*null;
		fault_catch_disarm();
	}
	expect_pf(t, &fc, 0, 0);
}

static void pf_exec_unmapped(struct ktest *t)
{
	struct fault_catch fc;
	void (*fn)(void) = (void (*)(void))UNMAPPED_KERNEL_VA;

	if (FAULT_TRY(&fc)) {
		fn();
		fault_catch_disarm();
	}
	/* The fetch bit is reported with NX enabled or SMEP on (SDM 4.7). */
	expect_pf(t, &fc, UNMAPPED_KERNEL_VA,
		  kernel_vm.pt.fmt->nx || (read_cr4() & CR4_SMEP) ? PF_I : 0);
	KEXPECT_EQ(t, fc.rip, UNMAPPED_KERNEL_VA);
}

static void gp_noncanonical(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
#ifdef __x86_64__
		(void)*(volatile uintptr_t *)NONCANONICAL_VA;
#else
		/* No non-canonical addresses on i386: a selector beyond the GDT. */
		__asm__ volatile("movw %w0, %%es" : : "r"(0xfff8) : "memory");
#endif
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_GP);
}

static void de_divide_by_zero(struct ktest *t)
{
	struct fault_catch fc;
	if (FAULT_TRY(&fc)) {
		/* In assembly: C lets the compiler assume it never happens. */
		__asm__ volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx"
				 ::: "eax", "ecx", "edx");
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_DE);
}

static void ud_invalid_opcode(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		__asm__ volatile("ud2");
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_UD);
}

static void bp_breakpoint(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		__asm__ volatile("int3");
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_BP);
}

static void no_fault_no_catch(struct ktest *t)
{
	struct fault_catch fc;
	volatile int x = 0;

	if (FAULT_TRY(&fc)) {
		x = 1;
		fault_catch_disarm();
	}
	KEXPECT(t, !fc.caught);
	KEXPECT_EQ(t, x, 1);
}

static bool write_faults_at(uint64_t addr)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		*(volatile uintptr_t *)(uintptr_t)addr = 1;
		fault_catch_disarm();
	}
	return fc.caught && fc.addr == addr && fc.error == PF_W;
}

/* Catching must leave the kernel in a state to do it again and again. */
static void repeated_faults(struct ktest *t)
{
	unsigned caught = 0;

	for (unsigned i = 0; i < 200; i++)
		caught += write_faults_at(UNMAPPED_KERNEL_VA + i * 8);
	KEXPECT_EQ(t, caught, 200);
	KEXPECT(t, read_rflags() & RFLAGS_IF);	/* interrupts back on */
}

static void pf_error_decoding(struct ktest *t)
{
	char buf[96];

	pf_decode(0, buf, sizeof(buf));
	KEXPECT_STREQ(t, buf, "not-present page on read in kernel mode");
	pf_decode(PF_P | PF_W | PF_U, buf, sizeof(buf));
	KEXPECT_STREQ(t, buf, "protection violation on write in user mode");
	pf_decode(PF_P | PF_I, buf, sizeof(buf));
	KEXPECT_STREQ(t, buf, "protection violation on instruction fetch in kernel mode");
	pf_decode(PF_P | PF_RSVD, buf, sizeof(buf));
	KEXPECT_STREQ(t, buf, "protection violation on read in kernel mode, reserved bit set");
}

KTEST_SUITE(traps,
	    KTEST_CASE(pf_read_unmapped),
	    KTEST_CASE(pf_write_unmapped),
	    KTEST_CASE(pf_null_pointer),
	    KTEST_CASE(pf_exec_unmapped),
	    KTEST_CASE(gp_noncanonical),
	    KTEST_CASE(de_divide_by_zero),
	    KTEST_CASE(ud_invalid_opcode),
	    KTEST_CASE(bp_breakpoint),
	    KTEST_CASE(no_fault_no_catch),
	    KTEST_CASE(repeated_faults),
	    KTEST_CASE(pf_error_decoding));
