// SPDX-License-Identifier: MIT
/*
 * Pinning what a lookup by thread id reads. task_by_pid() keeps the task
 * object, but its address space goes when it exits or execs and its thread
 * group when its process is reaped; a caller that reads them (/proc/PID files,
 * prlimit, the oom_score_adj call, ...) while the task may be exiting on
 * another CPU takes a reference on each (task_pin()).
 *
 * Locking: a task's mm pointer changes only under its alloc_lock
 * (task_set_mm(): exit, exec, clone, a failed spawn), and so does its
 * descriptor table pointer once the task runs (task_set_files(): exit,
 * exec's unshare), its group pointer
 * only under tasklist_lock (reaping, exec's de_thread, a failed clone or
 * spawn: group_detach()); a pin reads each under that lock and takes a
 * reference (mm users, group refs) before letting go, so the object stays
 * until the pin is dropped, whatever the task does meanwhile.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/proc/proc.h"
#include "kernel/task.h"

/**
 * task_set_mm() - replace @t's address space pointer
 * @t: a task
 * @mm: the new space (its reference passes to @t), or NULL
 *
 * Return: the old space, whose reference passes to the caller (mm_put()).
 */
struct as *task_set_mm(struct task *t, struct as *mm)
{
	unsigned long flags = spin_lock_irqsave(&t->alloc_lock);
	struct as *old = t->mm;

	t->mm = mm;
	spin_unlock_irqrestore(&t->alloc_lock, flags);
	return old;
}

/**
 * task_set_files() - replace @t's descriptor table pointer (exit, exec's unshare)
 * @t: the current task
 * @fs: the new table (its reference passes to @t), or NULL
 *
 * Return: the old table, whose reference passes to the caller (files_put()).
 */
struct files *task_set_files(struct task *t, struct files *fs)
{
	unsigned long flags = spin_lock_irqsave(&t->alloc_lock);
	struct files *old = t->files;

	t->files = fs;
	spin_unlock_irqrestore(&t->alloc_lock, flags);
	return old;
}

/**
 * task_files_get() - another task's descriptor table, referenced (pidfd_getfd)
 * @t: a referenced task
 *
 * Return: its table (files_put() when done), or NULL once it has exited.
 */
struct files *task_files_get(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&t->alloc_lock);
	struct files *fs = t->files ? files_get(t->files) : NULL;

	spin_unlock_irqrestore(&t->alloc_lock, flags);
	return fs;
}

/**
 * group_detach() - drop a process's group from its leader @t outside reaping
 * @t: a leader whose clone or spawn failed
 */
void group_detach(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	struct thread_group *g = t->group;

	t->group = NULL;
	spin_unlock_irqrestore(&tasklist_lock, flags);
	group_put(g);
}

/**
 * task_pin() - take references on @t's address space and thread group
 * @t: a referenced task (task_by_pid(), or the current one)
 * @p: filled in; p->mm and p->group are NULL for what @t no longer has
 *
 * Return: true if both were there (a live or zombie user process whose
 * group has not been reaped and whose space has not been released).
 */
bool task_pin(struct task *t, struct task_pin *p)
{
	unsigned long flags = spin_lock_irqsave(&t->alloc_lock);

	p->t = t;
	p->mm = t->mm ? mm_pin(t->mm) : NULL;
	spin_unlock_irqrestore(&t->alloc_lock, flags);
	flags = spin_lock_irqsave(&tasklist_lock);
	p->group = t->group ? group_get(t->group) : NULL;
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return p->mm && p->group;
}

/**
 * task_unpin() - drop what task_pin() took (not the task's own reference)
 * @p: a pin; the last reference frees a space or group its task let go of
 */
void task_unpin(struct task_pin *p)
{
	if (p->mm)
		mm_put(p->mm);
	group_put(p->group);
	p->mm = NULL;
	p->group = NULL;
}
