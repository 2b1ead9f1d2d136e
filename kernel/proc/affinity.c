// SPDX-License-Identifier: MIT
/*
 * sched_setaffinity / sched_getaffinity: the CPUs a thread may run on, a
 * bit each in Linux's cpumask layout (an array of unsigned longs). The
 * scheduler keeps the mask in the task; CPUs beyond 64 do not exist here.
 */
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define CPUMASK_BYTES	8	/* BITS_TO_LONGS(nr_cpu_ids) * sizeof(long) with <= 64 CPUs */

/* The thread @pid names (0: the caller), or NULL. */
static struct task *affinity_target(uint64_t pid)
{
	struct task *t = (int)pid ? task_by_pid((int)pid) : current();

	return t && t->state != TASK_ZOMBIE && (int)pid >= 0 ? t : NULL;
}

static long sys_sched_setaffinity(uint64_t pid, uint64_t len, uint64_t umask, uint64_t a3,
				  uint64_t a4, uint64_t a5)
{
	uint64_t mask = 0;

	if (copy_from_user(&mask, umask, len < CPUMASK_BYTES ? len : CPUMASK_BYTES))
		return -EFAULT;
	struct task *t = affinity_target(pid);
	if (!t)
		return -ESRCH;
	mask &= sched_online_mask();
	if (!mask)
		return -EINVAL;
	t->affinity = mask;
	if (t == current() && !(mask & (1ull << t->last_cpu)))
		yield();		/* the scheduler moves it */
	return 0;
}
SYSCALL_DEFINE(SYS_sched_setaffinity, sched_setaffinity, sys_sched_setaffinity);

static long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t umask, uint64_t a3,
				  uint64_t a4, uint64_t a5)
{
	if (len < CPUMASK_BYTES || (len & (sizeof(long) - 1)))
		return -EINVAL;
	struct task *t = affinity_target(pid);
	if (!t)
		return -ESRCH;
	uint64_t mask = t->affinity & sched_online_mask();
	if (copy_to_user(umask, &mask, CPUMASK_BYTES))
		return -EFAULT;
	return CPUMASK_BYTES;
}
SYSCALL_DEFINE(SYS_sched_getaffinity, sched_getaffinity, sys_sched_getaffinity);
