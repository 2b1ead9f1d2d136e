/* SPDX-License-Identifier: MIT */
/*
 * One entry stub per vector. Each makes the stack look the same (an error
 * code, real or zero, then the vector number), saves the general registers
 * as a struct trap_frame and calls trap_dispatch().
 */
	.text
	.code64

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.globl isr_stubs
isr_stubs:
	.set v, 0
	.rept 256
	.balign 16
	.if HAS_ERROR(v)
	.else
	pushq $0
	.endif
	pushq $v
	jmp trap_common
	.set v, v + 1
	.endr

trap_common:
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
	cld
	movq %rsp, %rdi
	/* A frame record linking the interrupted code into backtraces. */
	pushq 136(%rsp)			/* the interrupted RIP */
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
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
	addq $16, %rsp			/* vector and error code */
	iretq

	.section .rodata
	.balign 8
	.globl isr_table
isr_table:
	.set v, 0
	.rept 256
	.quad isr_stubs + v * 16
	.set v, v + 1
	.endr
