/* SPDX-License-Identifier: MIT */
/*
 * Switching kernel stacks between tasks. Only the callee-saved registers
 * need saving: the caller of switch_context() expects the rest clobbered.
 */
	.text

/* void switch_context(uintptr_t *save_sp, uintptr_t new_sp) */
	.globl switch_context
switch_context:
	movl 4(%esp), %eax
	movl 8(%esp), %edx
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, (%eax)
	movl %edx, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/*
 * Where a new task's first switch_context() returns: it completes the
 * switch (sched_finish_switch), then ebx holds the C function to run first,
 * esi its argument (switch_frame_init()). Then, for a user task, the trap
 * frame at the top of its stack takes it to user mode.
 */
	.globl task_trampoline
task_trampoline:
	call sched_finish_switch	/* releases the scheduler's lock */
	pushl %esi
	call *%ebx
	addl $4, %esp
	jmp ret_to_user
