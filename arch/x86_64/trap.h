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

/* What the kernel proper reads and changes of a saved state (the same on i386). */
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

static inline uintptr_t trap_ip(const struct trap_frame *f)
{
	return f->rip;
}

static inline uintptr_t trap_sp(const struct trap_frame *f)
{
	return f->rsp;
}

static inline uintptr_t trap_fp(const struct trap_frame *f)
{
	return f->rbp;
}

static inline void trap_set_ip(struct trap_frame *f, uintptr_t ip)
{
	f->rip = ip;
}

static inline void trap_set_sp(struct trap_frame *f, uintptr_t sp)
{
	f->rsp = sp;
}

/* The value a system call or a new thread's clone() returns. */
static inline void trap_set_return(struct trap_frame *f, long v)
{
	f->rax = (uint64_t)v;
}

/* A system call's number and arguments (Linux's x86_64 convention). */
static inline unsigned long trap_syscall_args(const struct trap_frame *f, uint64_t a[6])
{
	a[0] = f->rdi, a[1] = f->rsi, a[2] = f->rdx, a[3] = f->r10, a[4] = f->r8, a[5] = f->r9;
	return f->rax;
}

/* A fresh user state: ring 3 at @ip with stack @sp, interrupts on. */
void trap_frame_init_user(struct trap_frame *f, uintptr_t ip, uintptr_t sp);
/* The registers, for a panic report. */
void trap_frame_print(const struct trap_frame *f);

void trap_dispatch(struct trap_frame *f);

void idt_init(void);

#endif
