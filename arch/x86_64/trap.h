/* SPDX-License-Identifier: MIT */
/* Interrupt and exception entry on x86_64: the saved state (vectors: arch/x86/exceptions.h). */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/exceptions.h"

/* What isr.S pushes, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

#define TF_IP	rip	/* the names trap_common.h reads */
#define TF_SP	rsp
#define TF_FLAGS	rflags
#define TF_FP	rbp
#define TF_RET	rax

/* Long mode has no virtual-8086 mode (arch/i386's DOS box monitor). */
static inline bool trap_in_v86(const struct trap_frame *f)
{
	(void)f;
	return false;
}

static inline bool trap_from_user(const struct trap_frame *f)
{
	return f->cs & 3;
}

static inline uintptr_t trap_sp(const struct trap_frame *f)
{
	return f->rsp;
}

/* A system call's number and arguments (Linux's x86_64 convention). */
static inline unsigned long trap_syscall_args(const struct trap_frame *f, uint64_t a[6])
{
	a[0] = f->rdi, a[1] = f->rsi, a[2] = f->rdx, a[3] = f->r10, a[4] = f->r8, a[5] = f->r9;
	return f->rax;
}

#include "arch/x86/trap_common.h"

#endif
