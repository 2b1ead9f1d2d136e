/* SPDX-License-Identifier: MIT */
/* Interrupt and exception entry on x86_64: the saved state (vectors: arch/x86/exceptions.h). */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdint.h>

#include "arch/x86/exceptions.h"

/* What isr.S pushes, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

void trap_dispatch(struct trap_frame *f);

void idt_init(void);

#endif
