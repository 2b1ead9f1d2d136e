// SPDX-License-Identifier: MIT
/*
 * Preemption points for long kernel operations. The kernel does not preempt
 * itself, so a loop over a huge range (MAP_POPULATE, mlock, munmap of a
 * large space, exit) offers the CPU between bounded batches of work; the
 * timer tick only asks (need_resched).
 */
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "mm/platform.h"

/**
 * plat_preempt_point() - run others if a switch is due; has the caller been killed?
 *
 * Called with no spinlock held. With interrupts off (a caller that must not
 * switch) it only reports.
 *
 * Return: true if the current task was killed, so its operation can stop.
 */
bool plat_preempt_point(void)
{
	struct task *t = current();

	if (need_resched() && (read_rflags() & RFLAGS_IF))
		yield();
	return t && t->killed;
}
