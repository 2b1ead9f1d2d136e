/* SPDX-License-Identifier: MIT */
/*
 * One entry stub per vector. Each makes the stack look the same (an error
 * code, real or zero, then the vector number), saves the general registers
 * as a struct trap_frame and calls trap_dispatch().
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"

	.text
	.code64

#include "isr_stubs.inc"

#define TF_CS	144	/* offset of cs in struct trap_frame */

/* The general registers, in struct trap_frame order (r15 lowest). */
	.macro PUSH_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

/* Undoes PUSH_REGS and drops the vector and error code: ready for IRETQ. */
	.macro POP_FRAME
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	.endm

trap_common:
	testb $3, 24(%rsp)		/* cs, above vector, error and rip */
	jz 1f
	swapgs				/* from user mode: our GS base */
1:	PUSH_REGS
	cld
	movq %rsp, %rdi
	testb $3, TF_CS(%rsp)
	jnz from_user
	/* A page fault on a user address leaves the IST stack (traps.c). */
	call trap_frame_for_kernel
	movq %rax, %rsp
	movq %rax, %rdi
	/* A frame record linking the interrupted code into backtraces. */
	pushq 136(%rsp)			/* the interrupted RIP */
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	jmp restore_regs_iret

from_user:
	/* Run on the task's kernel stack even if the CPU chose an IST stack. */
	call trap_frame_to_kstack
	movq %rax, %rsp
	movq %rax, %rdi
	xorl %ebp, %ebp			/* the user's frames are not ours */
	call trap_dispatch
	/* fall through */

/* Return to user mode from the trap frame at %rsp (also after SYSCALL). */
	.globl ret_to_user
ret_to_user:
	cli
	movq %rsp, %rdi
	call user_return_work		/* rescheduling, pending kills */
	cli
	POP_FRAME
	swapgs
	iretq

restore_regs_iret:
	POP_FRAME
	iretq

/*
 * SYSCALL: RCX holds the user RIP, R11 the user RFLAGS; interrupts are off
 * (FMASK). Build the same trap frame an interrupt from user mode would.
 */
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_USER_RSP
	movq %gs:CPU_KSTACK_TOP, %rsp
	pushq $SEL_UDATA
	pushq %gs:CPU_USER_RSP
	pushq %r11
	pushq $SEL_UCODE
	pushq %rcx
	pushq $0
	pushq $SYSCALL_VECTOR
	PUSH_REGS
	movq %rsp, %rdi
	xorl %ebp, %ebp
	sti
	call syscall_dispatch
	jmp ret_to_user
