/* SPDX-License-Identifier: MIT */
/* Non-local jumps, and calling a function on another stack. */
#include "jmp_state.inc"

#define JMP_REGS	%rbx, %rbp, %r12, %r13, %r14, %r15
#define JMP_IP		56	/* offset of rip in struct jmp_state */

	.text
/* int arch_setjmp(struct jmp_state *js): rbx, rbp, r12-r15, rsp, rip */
	.globl arch_setjmp
arch_setjmp:
	JMP_SETJMP %rdi, %rax, JMP_REGS

/* _Noreturn void arch_longjmp(struct jmp_state *js, int val) */
	.globl arch_longjmp
arch_longjmp:
	movl %esi, %eax
	testl %eax, %eax
	jnz 1f
	incl %eax
1:	JMP_LOAD %rdi, JMP_REGS, %rsp
	jmpq *JMP_IP(%rdi)

/* long call_on_stack(long (*fn)(long), long arg, uintptr_t stack_top) */
	.globl call_on_stack
call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	movq %rdx, %rsp
	andq $-16, %rsp
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movq %rbp, %rsp
	popq %rbp
	ret
