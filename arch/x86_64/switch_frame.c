// SPDX-License-Identifier: MIT
/* What a task switch sets up and carries besides the stack (switch.S). */
#include "arch/x86_64/arch.h"

/**
 * switch_frame_init() - lay out a new task's first switch frame
 * @top: the highest address it may use
 * @fn: what task_trampoline calls first
 * @arg: its argument
 *
 * Return: the stack pointer to give switch_context(): it "returns" into
 * task_trampoline with fn in r12 and arg in r13.
 */
uintptr_t switch_frame_init(uintptr_t top, void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)top;

	*--sp = (uint64_t)task_trampoline;	/* return address of switch_context */
	*--sp = 0;				/* rbp */
	*--sp = 0;				/* rbx */
	*--sp = (uint64_t)fn;			/* r12 */
	*--sp = (uint64_t)arg;			/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	return (uintptr_t)sp;
}

uint64_t arch_tls_save(void)
{
	return rdmsr(MSR_FS_BASE);
}

void arch_tls_load(uint64_t tls)
{
	wrmsr(MSR_FS_BASE, tls);
}
