/* SPDX-License-Identifier: MIT */
/*
 * One entry stub per vector. Each makes the stack look the same (an error
 * code, real or zero, then the vector number), saves the registers as a
 * struct trap_frame, loads the kernel's segments and calls trap_dispatch().
 * int $0x80 from ring 3 arrives here too, as vector SYSCALL_VECTOR.
 */
#include "memlayout.h"
#include "percpu.h"

/* Offsets in struct trap_frame (trap.h). */
#define TF_EIP	56
#define TF_CS	60
#define TF_EFLAGS 64
#define EFLAGS_VM_BYTE2	0x02	/* EFLAGS.VM (bit 17) in the flags' third byte */

	.text
#include "isr_stubs.inc"

trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl $SEL_PERCPU, %eax
	movl %eax, %fs
	xorl %eax, %eax
	movl %eax, %gs			/* the kernel uses no %gs: never a stale TLS selector */
	cld
	movl %esp, %eax
	testb $EFLAGS_VM_BYTE2, TF_EFLAGS+2(%esp)	/* virtual-8086 mode: a user frame */
	jnz from_user
	testb $3, TF_CS(%esp)
	jnz from_user
	/* A frame record linking the interrupted code into backtraces. */
	pushl TF_EIP(%eax)
	pushl %ebp
	movl %esp, %ebp
	pushl %eax
	call trap_dispatch
	addl $12, %esp
	jmp restore_regs_iret

from_user:
	/* The CPU switched to the task's kernel stack (TSS esp0): the frame is at its top. */
	xorl %ebp, %ebp			/* the user's frames are not ours */
	pushl %eax
	call trap_dispatch
	addl $4, %esp
	/* fall through */

/* Return to user mode from the trap frame at %esp. */
	.globl ret_to_user
ret_to_user:
	cli
	pushl %esp
	call user_return_work		/* rescheduling, pending kills */
	addl $4, %esp
	cli
restore_regs_iret:
1:	popl %gs
2:	popl %fs
3:	popl %es
4:	popl %ds
	popal
	addl $8, %esp			/* vector and error code */
	iret

/*
 * A saved selector whose descriptor went away meanwhile (a TLS entry the
 * program cleared) cannot be reloaded: it becomes the null selector (for
 * %ds and %es, which must stay usable, the user data segment), as on Linux.
 */
5:	movl $0, (%esp)
	jmp 1b
6:	movl $0, (%esp)
	jmp 2b
7:	movl $SEL_UDATA, (%esp)
	jmp 3b
8:	movl $SEL_UDATA, (%esp)
	jmp 4b

	.section .ex_table, "a"
	.balign 4
	.long 1b, 5b
	.long 2b, 6b
	.long 3b, 7b
	.long 4b, 8b

/*
 * The double-fault task starts here, on its own stack, with the error code
 * (0) pushed (gdt.c). double_fault_report() returns only when it redirected
 * the interrupted task to a FAULT_TRY catcher: IRET with NT set switches
 * back to it, and the next double fault resumes this task after the IRET.
 */
	.text
	.globl isr_double_fault
isr_double_fault:
	addl $4, %esp
	xorl %ebp, %ebp
	call double_fault_report
	iret
	jmp isr_double_fault
