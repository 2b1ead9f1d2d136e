// SPDX-License-Identifier: MIT
/*
 * The OOM killer: when a fault finds no frame and reclaim freed nothing
 * (mm/reclaim.h), kill the process whose death gives back the most memory,
 * weighed by its oom_score_adj, as Linux's oom_badness() does: resident
 * pages + swapped-out pages + page-table pages, plus adj/1000 of all RAM.
 * -1000 means never; kernel threads (no address space) and process 1 are
 * never chosen. The victim is reported (pid, name, RSS, swap) and gets
 * SIGKILL; the kernel carries on.
 *
 * oom_score_adj is per process, inherited by fork, set and read with
 * memcore's call MEMCORE_SYS_oom_score_adj or /proc/PID/oom_score_adj
 * (kernel/fs/procfs.c), which also shows /proc/PID/oom_score.
 *
 * Lock order: tasklist_lock, then a space's page-table counters read
 * without its lock (a snapshot is enough to choose).
 */
#include "arch/x86/pc.h"
#include "kernel/kernel.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "kernel/task.h"
#include "mm/as.h"
#include "mm/pmm.h"
#include "mm/reclaim.h"
#include "mm/swap.h"

#define OOM_ADJ_MIN	(-1000)
#define OOM_ADJ_MAX	1000

static uint64_t total_pages(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free_frames + st.used_frames;
}

/* Linux's oom_badness() of space @as, group @g: pages the kill would free, adjusted; -1 if never. */
static int64_t badness_of(const struct as *as, const struct thread_group *g, uint64_t total)
{
	int adj = g->oom_score_adj;
	int64_t points;

	if (adj == OOM_ADJ_MIN)
		return -1;
	points = (int64_t)(as->rss + as->swapents + as->vs.pt.table_pages);
	points += (int64_t)adj * (int64_t)(total / 1000);
	return points > 0 ? points : 1;
}

/* badness_of() a task the caller keeps from exiting (tasklist_lock). */
static int64_t badness(const struct task *t, uint64_t total)
{
	return badness_of(t->mm, t->group, total);
}

/* Wait (up to 200 ms, if this context may sleep) until @t has exited, its memory given back. */
static void wait_for_exit(struct task *t)
{
	uint64_t until = time_ns() + 200 * 1000000ull;

	while ((read_rflags() & RFLAGS_IF) &&
	       __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_ZOMBIE && time_ns() < until)
		sleep_until(time_ns() + 1000000ull);
}

/*
 * Choose and kill, or wait for a process already dying (its memory is
 * coming back: killing another too would be one too many, as Linux's
 * oom_evaluate_task() aborts on a pending victim). The current task is never killed from here (it may
 * be in the middle of a system call): if it is the worst, the fault fails
 * and its caller kills it, with the same report.
 */
static bool oom_kill(void)
{
	uint64_t total = total_pages();
	struct task *victim = NULL, *dying = NULL, *self = current();
	int64_t best = -1;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	list_for_each(n, &all_tasks) {
		struct task *t = list_entry(n, struct task, all_node);
		int64_t b;

		if (!t->group || !task_is_leader(t) || t->tgid == 1 || t->state == TASK_ZOMBIE)
			continue;
		if (t->group->exiting) {
			/* A process on its way out still holds memory: wait for it, kill nobody new. */
			if (!self || t->group != self->group)
				dying = t;
			continue;
		}
		if (!t->mm)
			continue;
		b = badness(t, total);
		if (b > best) {
			best = b;
			victim = t;
		}
	}
	if (dying)
		victim = dying;
	else if (victim && self && victim->group == self->group)
		victim = NULL;
	if (victim) {
		__atomic_add_fetch(&victim->refs, 1, __ATOMIC_RELAXED);	/* task_put() below */
		if (!dying)
			kprintf("oom-kill: pid %d (%s) score %lld, rss %llu kB, swap %llu kB, "
				"oom_score_adj %d\n", victim->pid, victim->name, (long long)best,
				(unsigned long long)victim->mm->rss * 4,
				(unsigned long long)victim->mm->swapents * 4,
				victim->group->oom_score_adj);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
	if (!victim)
		return false;
	if (!dying)
		proc_kill(victim, SIGKILL);
	/* Let it die and give its memory back before the fault retries. */
	wait_for_exit(victim);
	task_put(victim);
	return true;
}

/**
 * oom_score_adj_xchg() - read, and with @set replace, a process's oom_score_adj
 * @t: a user task (its process's value)
 * @v: the new value, -1000..1000 (lowering needs no privilege here: every
 *     process is root)
 * @set: store @v
 * @old: set to the old value (may be NULL)
 *
 * Return: 0, or -EINVAL for @v out of range (the old value is in range
 * too, so it cannot be the return value).
 */
int oom_score_adj_xchg(struct task *t, int v, bool set, int *old)
{
	unsigned long irq;

	if (set && (v < OOM_ADJ_MIN || v > OOM_ADJ_MAX))
		return -EINVAL;
	irq = spin_lock_irqsave(&tasklist_lock);
	if (!t->group) {		/* reaped since the caller looked */
		spin_unlock_irqrestore(&tasklist_lock, irq);
		return -ESRCH;
	}
	if (old)
		*old = t->group->oom_score_adj;
	if (set)
		t->group->oom_score_adj = v;
	spin_unlock_irqrestore(&tasklist_lock, irq);
	return 0;
}

/**
 * oom_score() - /proc/PID/oom_score: the badness scaled into 0..2000 as Linux shows it
 * @as: the process's address space, pinned
 * @g: its thread group, pinned
 *
 * Return: (1000 + badness * 1000 / (RAM + swap)) * 2 / 3, or 0 for a process never chosen.
 */
unsigned long oom_score(const struct as *as, const struct thread_group *g)
{
	uint64_t total = total_pages() + swap_total_pages();
	int64_t points = badness_of(as, g, total);

	if (points < 0)
		return 0;
	return (unsigned long)((1000 + points * 1000 / (int64_t)total) * 2 / 3);
}

/*
 * oom_score_adj(pid, const int *new, int *old): pid 0 is the caller; either
 * pointer may be NULL. 0, or ESRCH, EINVAL (out of range) and EFAULT as
 * Linux's file would. The old value goes through a pointer, not the return
 * value: -1000 would read as an error.
 */
static long sys_oom_score_adj(uint64_t pid, uint64_t unew, uint64_t uold, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	struct task *t;
	int v = 0, old = 0;
	int err;

	(void)a3, (void)a4, (void)a5;
	if (unew && copy_from_user(&v, unew, sizeof(v)))
		return -EFAULT;
	t = task_by_pid((int)pid ? (int)pid : current()->pid);
	err = t && t->group ? oom_score_adj_xchg(t, v, unew != 0, &old) : -ESRCH;
	task_put(t);
	if (!err && uold && copy_to_user(uold, &old, sizeof(old)))
		err = -EFAULT;
	return err;
}
SYSCALL_DEFINE(MEMCORE_SYS_oom_score_adj, oom_score_adj, sys_oom_score_adj);

void oom_init(void)
{
	reclaim_set_oom_handler(oom_kill);
}
