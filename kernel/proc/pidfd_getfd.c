// SPDX-License-Identifier: MIT
/*
 * pidfd_getfd(pidfd, fd, flags): a duplicate, in the caller, of another
 * process's descriptor @fd (the same open file), close-on-exec, as Linux
 * 6.1: flags other than 0 EINVAL; a descriptor that is not a pidfd EBADF;
 * a reaped process ESRCH; then the right to attach to it as a tracer
 * (ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): the caller's own
 * process, root, or a process whose real, effective and saved uids and
 * gids are all the caller's real ones; else EPERM); then an exited task (a
 * zombie, or a leader thread that exited before the others) ESRCH, as
 * Linux's fix-up for a task past exit_files(); then @fd not open in it
 * EBADF; no free descriptor in the caller EMFILE. Linux also refuses
 * (EPERM) a target that is not dumpable (its ids changed since its last
 * execve, e.g. a child of a process that called setuid), unless root;
 * this kernel has no dumpable flag.
 *
 * Locking: the target's descriptor table is taken with a reference under
 * its alloc_lock (task_files_get()), the file with a reference under the
 * table's lock (files_lookup()); nothing is held while installing it.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"


/*
 * @t's descriptor @fd, referenced, or NULL with *@err -EBADF (not open)
 * or -ESRCH (@t has exited and let go of its table: Linux's PF_EXITING fix-up).
 */
static struct file *file_of(struct task *t, uint64_t fd, long *err)
{
	struct files *fs = task_files_get(t);
	struct file *f = fs ? files_lookup(fs, fd) : NULL;

	files_put(fs);
	*err = fs ? -EBADF : -ESRCH;
	return f;
}

static long sys_pidfd_getfd(uint64_t pidfd, uint64_t fd, uint64_t flags, uint64_t a3,
			    uint64_t a4, uint64_t a5)
{
	struct file *pf, *f;
	struct task *t;
	long r;

	if ((uint32_t)flags)
		return -EINVAL;
	pf = pidfd_file(pidfd);
	if (!pf)
		return -EBADF;
	t = pidfd_file_task(pf, &r);
	if (!t)
		return r;
	if (!cred_may_ptrace(pidfd_file_group(pf))) {	/* ptrace_may_access() */
		task_put(t);
		return -EPERM;
	}
	f = file_of(t, fd, &r);
	task_put(t);
	if (!f)
		return r;
	return fd_install(f, true);	/* receive_fd(file, O_CLOEXEC); EMFILE drops @f */
}
SYSCALL_DEFINE(SYS_pidfd_getfd, pidfd_getfd, sys_pidfd_getfd);
