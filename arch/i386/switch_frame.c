// SPDX-License-Identifier: MIT
/* What a task switch sets up besides the stack (switch.S). */
#include "arch.h"

/**
 * switch_frame_init() - lay out a new task's first switch frame
 * @top: the highest address it may use
 * @fn: what task_trampoline calls first
 * @arg: its argument
 *
 * Return: the stack pointer to give switch_context(): it "returns" into
 * task_trampoline with fn in ebx and arg in esi.
 */
uintptr_t switch_frame_init(uintptr_t top, void (*fn)(void *), void *arg)
{
	uint32_t *sp = (uint32_t *)top;

	*--sp = (uintptr_t)task_trampoline;	/* return address of switch_context */
	*--sp = 0;				/* ebp */
	*--sp = (uintptr_t)fn;			/* ebx */
	*--sp = (uintptr_t)arg;			/* esi */
	*--sp = 0;				/* edi */
	return (uintptr_t)sp;
}
