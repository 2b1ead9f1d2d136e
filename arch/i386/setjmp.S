/* SPDX-License-Identifier: MIT */
/* Non-local jumps, and calling a function on another stack. */
	.text
/* int arch_setjmp(struct jmp_state *js): ebx, esi, edi, ebp, esp, eip */
	.globl arch_setjmp
arch_setjmp:
	movl 4(%esp), %eax
	movl %ebx, 0(%eax)
	movl %esi, 4(%eax)
	movl %edi, 8(%eax)
	movl %ebp, 12(%eax)
	leal 4(%esp), %ecx		/* the stack as the caller will see it */
	movl %ecx, 16(%eax)
	movl (%esp), %ecx		/* where to return */
	movl %ecx, 20(%eax)
	xorl %eax, %eax
	ret

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
1:	movl 0(%edx), %ebx
	movl 4(%edx), %esi
	movl 8(%edx), %edi
	movl 12(%edx), %ebp
	movl 16(%edx), %esp
	jmpl *20(%edx)

/*
 * The same, entered with interrupts off on a stack that may be unusable
 * (a kernel stack overflow: the double-fault task resumes here); they come
 * back on only once the saved stack is loaded.
 */
	.globl longjmp_regs_sti
longjmp_regs_sti:
	movl 0(%edx), %ebx
	movl 4(%edx), %esi
	movl 8(%edx), %edi
	movl 12(%edx), %ebp
	movl 16(%edx), %esp
	sti
	jmpl *20(%edx)

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
