// SPDX-License-Identifier: MIT
/*
 * pidfd_open(pid, flags): a descriptor naming a process, as Linux 6.1 has
 * it: on the anonymous inode (fstat: mode 0600, no file type, size 0),
 * close-on-exec, O_RDWR (with O_NONBLOCK if asked for); read and write are
 * EINVAL, lseek and pread ESPIPE, mmap ENODEV, fsync EINVAL. There is no
 * poll() in this kernel, so a pidfd cannot yet be waited on for the exit.
 *
 * Lifetime: the file holds a reference on the task object (task_by_pid()'s,
 * dropped by release when the last descriptor closes), never its pid
 * alone, so the task's memory stays while the descriptor does, whether the
 * process runs, is a zombie or has been reaped, and a recycled pid never
 * makes it name another process. What the task owns (its address space,
 * its thread group) goes at exit and reaping as usual; a user looks at them
 * through task_pin(), which finds them gone (ESRCH) once they are.
 *
 * Locking: none of its own. task_by_pid() takes task_lock inside; the
 * users of pidfd_task() pin what they read (task_pin.c).
 */
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/syscall.h"

static long pidfd_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	return -EINVAL;		/* no read_iter: vfs_read()'s FMODE_CAN_READ */
}

static long pidfd_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	return -EINVAL;
}

static void pidfd_release(struct file *f)
{
	task_put(f->private);
}

static const struct file_ops pidfd_ops = { pidfd_read, pidfd_write };

/**
 * pidfd_task() - the task a pidfd names
 * @fd: a descriptor of the calling process
 * @err: set when NULL is returned: -EBADF (not a pidfd), -ESRCH (reaped)
 *
 * Return: the task with a reference of the caller's (task_put()), or NULL.
 * It may be reaped right after: task_pin() then finds nothing.
 */
struct task *pidfd_task(uint64_t fd, long *err)
{
	struct file *f = fd_file(fd);
	struct task *t;

	if (!f || f->ops != &pidfd_ops) {
		*err = -EBADF;
		return NULL;
	}
	t = f->private;
	if (!__atomic_load_n(&t->group, __ATOMIC_ACQUIRE)) {
		*err = -ESRCH;		/* reaped: pidfd_get_task() finds no task for the pid */
		return NULL;
	}
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);	/* the file holds one: never 0 here */
	return t;
}

/*
 * pidfd_open(pid, flags): Linux's order of checks: flags, then the pid,
 * then whether a process (a thread-group leader, zombie or not) has it.
 */
static long sys_pidfd_open(uint64_t pid, uint64_t flags, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
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
	f = file_open_anon(&pidfd_ops, t, pidfd_release, O_RDWR | ((uint32_t)flags & PIDFD_NONBLOCK));
	if (!f) {
		task_put(t);
		return -ENOMEM;
	}
	return fd_install(f, true);		/* its release drops @t if this fails */
}
SYSCALL_DEFINE(SYS_pidfd_open, pidfd_open, sys_pidfd_open);
