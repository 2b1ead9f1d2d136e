// SPDX-License-Identifier: MIT
/*
 * sched_setaffinity / sched_getaffinity: the CPUs a thread may run on, a
 * bit each in Linux's cpumask layout (an array of unsigned longs). The
 * scheduler keeps the mask in the task; CPUs beyond 64 do not exist here.
 * getcpu: the CPU (and its NUMA node) the caller runs on.
 */
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define CPUMASK_BYTES	8	/* the most a mask of ours (<= 64 CPUs) takes */

/* Linux's cpumask_size(): the longs that hold nr_cpu_ids bits (4 bytes on i386 up to 32 CPUs). */
static unsigned cpumask_size(void)
{
	unsigned ids = 64 - (unsigned)__builtin_clzll(sched_online_mask() | 1);
	unsigned bits = 8 * sizeof(long);

	return (ids + bits - 1) / bits * (unsigned)sizeof(long);
}

/* The thread @pid names (0: the caller), referenced (affinity_put), or NULL. */
static struct task *affinity_target(uint64_t pid)
{
	if ((int)pid < 0)
		return NULL;
	struct task *t = (int)pid ? task_by_pid((int)pid) : current();

	if (t && t->state == TASK_ZOMBIE) {
		if (t != current())
			task_put(t);
		return NULL;
	}
	return t;
}

static void affinity_put(struct task *t)
{
	if (t != current())
		task_put(t);
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
	if (!mask) {
		affinity_put(t);
		return -EINVAL;
	}
	sched_set_affinity(t, mask);
	if (t == current() && !(mask & (1ull << t->last_cpu)))
		yield();		/* the scheduler moves it */
	affinity_put(t);
	return 0;
}
SYSCALL_DEFINE(SYS_sched_setaffinity, sched_setaffinity, sys_sched_setaffinity);

static long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t umask, uint64_t a3,
				  uint64_t a4, uint64_t a5)
{
	unsigned size = cpumask_size();

	if (len * 8 < 64 - (unsigned)__builtin_clzll(sched_online_mask() | 1) ||
	    (len & (sizeof(long) - 1)))
		return -EINVAL;
	struct task *t = affinity_target(pid);
	if (!t)
		return -ESRCH;
	uint64_t mask = t->affinity & sched_online_mask();
	affinity_put(t);
	if (len > size)
		len = size;
	if (copy_to_user(umask, &mask, len))	/* (little-endian: the low bytes first) */
		return -EFAULT;
	return (long)len;
}
SYSCALL_DEFINE(SYS_sched_getaffinity, sched_getaffinity, sys_sched_getaffinity);

static long sys_getcpu(uint64_t ucpu, uint64_t unode, uint64_t cache, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	unsigned long flags = plat_irq_save();	/* one CPU's pair */
	unsigned cpu = this_cpu()->id, node = this_cpu()->node;

	plat_irq_restore(flags);
	if ((ucpu && copy_to_user(ucpu, &cpu, sizeof(cpu))) ||
	    (unode && copy_to_user(unode, &node, sizeof(node))))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_getcpu, getcpu, sys_getcpu);
