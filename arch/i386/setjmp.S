/* SPDX-License-Identifier: MIT */
/* Non-local jumps, and calling a function on another stack. */
#include "jmp_state.inc"

#define JMP_REGS	%ebx, %esi, %edi, %ebp
#define JMP_IP		20	/* offset of eip in struct jmp_state */

	.text
/* int arch_setjmp(struct jmp_state *js): ebx, esi, edi, ebp, esp, eip */
	.globl arch_setjmp
arch_setjmp:
	movl 4(%esp), %eax
	JMP_SETJMP %eax, %ecx, JMP_REGS

/* _Noreturn void arch_longjmp(struct jmp_state *js, int val) */
	.globl arch_longjmp
arch_longjmp:
	movl 4(%esp), %edx
	movl 8(%esp), %eax
	/* fall through */

/*
 * The same with js in edx and val in eax: where a trap frame resumes to
 * take a longjmp (an iret to ring 0 cannot load a stack pointer).
 */
	.globl longjmp_regs
longjmp_regs:
	testl %eax, %eax
	jnz 1f
	incl %eax
1:	JMP_LOAD %edx, JMP_REGS, %esp
	jmpl *JMP_IP(%edx)

/*
 * The same, entered with interrupts off on a stack that may be unusable
 * (a kernel stack overflow: the double-fault task resumes here); they come
 * back on only once the saved stack is loaded.
 */
	.globl longjmp_regs_sti
longjmp_regs_sti:
	JMP_LOAD %edx, JMP_REGS, %esp
	sti
	jmpl *JMP_IP(%edx)

/* long call_on_stack(long (*fn)(long), long arg, uintptr_t stack_top) */
	.globl call_on_stack
call_on_stack:
	pushl %ebp
	movl %esp, %ebp
	movl 8(%ebp), %eax
	movl 12(%ebp), %ecx
	movl 16(%ebp), %esp
	andl $-16, %esp
	subl $12, %esp
	pushl %ecx
	call *%eax
	movl %ebp, %esp
	popl %ebp
	ret
