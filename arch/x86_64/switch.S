/* SPDX-License-Identifier: MIT */
/*
 * Switching kernel stacks between tasks. Only the callee-saved registers
 * need saving: the caller of switch_context() expects the rest clobbered.
 */
	.text
	.code64

/* void switch_context(uint64_t *save_rsp, uint64_t new_rsp) */
	.globl switch_context
switch_context:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * Where a new task's first switch_context() returns: it completes the
 * switch (sched_finish_switch), then r12 holds the C
 * function to run first, r13 its argument. Then, for a user task, the trap
 * frame at the top of its stack takes it to user mode.
 */
	.globl task_trampoline
task_trampoline:
	callq sched_finish_switch	/* releases the scheduler's lock */
	movq %r13, %rdi
	callq *%r12
	jmp ret_to_user
