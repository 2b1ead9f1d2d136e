// SPDX-License-Identifier: MIT
/*
 * Preemption points for long kernel operations, and reclaim points. The kernel does not preempt
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

/**
 * plat_reclaim_begin() - may an allocation that found no memory reclaim here?
 *
 * Yes in a task other than an idle one, with interrupts on (every spinlock
 * masks them, so none is held), that is not reclaiming already; the task
 * is then marked reclaiming until plat_reclaim_end(). Interrupt handlers,
 * boot (interrupts off until the scheduler runs) and code under a lock say
 * no, and their allocations fail as before. The core's one lock held with
 * interrupts on (munmap's downgraded zap) sets the mark itself first
 * (mm/reclaim.h reclaim_forbid()).
 *
 * Return: true if the caller may reclaim (and must call plat_reclaim_end()).
 */
bool plat_reclaim_begin(void)
{
	struct task *t = current();

	if (!t || t == this_cpu()->idle || !(read_rflags() & RFLAGS_IF) || t->reclaiming)
		return false;
	t->reclaiming = true;
	return true;
}

void plat_reclaim_end(void)
{
	current()->reclaiming = false;
}
