// SPDX-License-Identifier: MIT
/*
 * pidfd_open(pid, flags): a descriptor naming a process, as Linux 6.1 has
 * it: on the anonymous inode (fstat: mode 0600, no file type, size 0),
 * close-on-exec, O_RDWR (with O_NONBLOCK if asked for); read and write are
 * EINVAL (before the buffer is looked at), lseek and pread ESPIPE, mmap
 * ENODEV, fsync EINVAL. poll() finds it readable once every thread of the
 * process has exited (kernel/fs/poll.c).
 *
 * Lifetime: the file holds a reference on the process's thread group, never
 * a pid alone, so the descriptor stays safe to use and to close whether the
 * process runs, is a zombie or has been reaped, and a recycled pid never
 * makes it name another process. The group names its leader, which a
 * non-leader thread's execve replaces (taking the leader's pid): the
 * descriptor follows, as Linux's follows the pid. Once the process is
 * reaped the group is marked so (reaped) and its leader is no longer read.
 *
 * Locking: tasklist_lock (kernel/proc/exit.c) around reading the group's
 * leader and reaped flag; the users of pidfd_task() pin what they read
 * (task_pin.c).
 */
#include "kernel/fs/poll.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

static void pidfd_release(struct file *f)
{
	group_put(f->private);
}

/* Linux's pidfd_poll(): readable once the whole thread group has exited. */
static unsigned pidfd_poll(struct file *f)
{
	const struct thread_group *g = f->private;

	if (__atomic_load_n(&g->reaped, __ATOMIC_ACQUIRE) ||
	    !__atomic_load_n(&g->live, __ATOMIC_ACQUIRE))
		return POLLIN | POLLRDNORM;
	return 0;
}

/* No read or write: both EINVAL (vfs_read()'s FMODE_CAN_READ). */
static const struct file_ops pidfd_ops = { .poll = pidfd_poll };

/**
 * pidfd_file() - the pidfd @fd of the calling process
 * @fd: a descriptor
 *
 * Return: its file (borrowed for this system call, as fd_file()'s), or NULL
 * when @fd is not open or not a pidfd (Linux's EBADF).
 */
struct file *pidfd_file(uint64_t fd)
{
	struct file *f = fd_file(fd);

	return f && f->ops == &pidfd_ops ? f : NULL;
}

/**
 * pidfd_file_group() - the thread group pidfd @f names
 * @f: a file from pidfd_file()
 *
 * Return: the group, held by @f (its credentials stay readable after
 * the process has exited); reaped says whether the process is gone.
 */
struct thread_group *pidfd_file_group(struct file *f)
{
	return f->private;
}

/**
 * pidfd_file_task() - the leader of the process pidfd @f names, now
 * @f: a file from pidfd_file()
 * @err: set to -ESRCH when NULL is returned (the process was reaped)
 *
 * Return: the task with a reference of the caller's (task_put()).
 */
struct task *pidfd_file_task(struct file *f, long *err)
{
	struct thread_group *g = f->private;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	struct task *t = g->reaped ? NULL : g->leader;

	if (t)		/* the pid table's reference stands until the reaping: never 0 here */
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	if (!t)
		*err = -ESRCH;	/* pidfd_get_task(): no task for the pid any more */
	return t;
}

/**
 * pidfd_task() - the task a pidfd names
 * @fd: a descriptor of the calling process
 * @err: set when NULL is returned: -EBADF (not a pidfd), -ESRCH (reaped)
 *
 * Return: the process's leader with a reference of the caller's
 * (task_put()), or NULL. It may be reaped right after: task_pin() then
 * finds nothing.
 */
struct task *pidfd_task(uint64_t fd, long *err)
{
	struct file *f = pidfd_file(fd);

	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	return pidfd_file_task(f, err);
}

/* @t's thread group with a reference, or NULL once reaped (or a kernel thread). */
static struct thread_group *group_of(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	struct thread_group *g = t->group ? group_get(t->group) : NULL;

	spin_unlock_irqrestore(&tasklist_lock, flags);
	return g;
}

/*
 * pidfd_open(pid, flags): Linux's order of checks: flags, then the pid,
 * then whether a process (a thread-group leader, zombie or not) has it.
 */
static long sys_pidfd_open(uint64_t pid, uint64_t flags, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
	struct thread_group *g;
	struct task *t;
	struct file *f;

	if ((uint32_t)flags & ~(uint32_t)PIDFD_NONBLOCK)
		return -EINVAL;
	if ((int)pid <= 0)
		return -EINVAL;
	t = task_by_pid((int)pid);
	if (!t)
		return -ESRCH;
	if (!task_is_leader(t)) {		/* pidfd_create(): no PIDTYPE_TGID task */
		task_put(t);
		return -EINVAL;
	}
	g = group_of(t);
	task_put(t);
	if (!g)
		return -ESRCH;			/* reaped since the lookup */
	f = file_open_anon(&pidfd_ops, g, pidfd_release, O_RDWR | ((uint32_t)flags & PIDFD_NONBLOCK));
	if (!f) {
		group_put(g);
		return -ENOMEM;
	}
	return fd_install(f, true);		/* its release drops @g if this fails */
}
SYSCALL_DEFINE(SYS_pidfd_open, pidfd_open, sys_pidfd_open);
