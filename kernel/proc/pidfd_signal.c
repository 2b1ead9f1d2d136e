// SPDX-License-Identifier: MIT
/*
 * pidfd_send_signal(pidfd, sig, info, flags): kill() or rt_sigqueueinfo()
 * to the process a pidfd names, in Linux 6.1's order of checks: flags
 * other than 0 EINVAL; a descriptor that is not a pidfd EBADF; the
 * siginfo (EFAULT), whose si_signo must be @sig (EINVAL) and whose si_code
 * may claim the kernel or kill (>= 0, or SI_TKILL) only to the caller
 * itself (EPERM); then a reaped process ESRCH (a zombie takes the signal
 * and nothing happens); then @sig out of range EINVAL; then kill()'s
 * permission (EPERM); sig 0 stops there.
 *
 * Permission: kill()'s (cred_may_signal()).
 *
 * Locking: none of its own; the pidfd holds the target's group, so its
 * credentials stay readable whatever the target does.
 */
#include "kernel/proc/pidfd.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"


/*
 * The caller's siginfo at @uinfo for @sig: 0, -EFAULT, -EINVAL or -EPERM
 * (forged, to a process whose pid is not the calling thread's).
 */
static long read_info(uint64_t uinfo, int sig, const struct thread_group *target,
		      struct ksiginfo *info)
{
	bool self = current()->group == target && task_is_leader(current());

	if (arch_copy_siginfo_from_user(info, uinfo))
		return -EFAULT;
	if (info->signo != sig)
		return -EINVAL;
	if (!self && (info->code >= 0 || info->code == SI_TKILL))
		return -EPERM;
	return 0;
}

static long send(struct task *t, const struct thread_group *g, int sig, uint64_t uinfo,
		 const struct ksiginfo *info)
{
	if ((unsigned)sig > NSIG)
		return -EINVAL;
	if (!cred_may_signal(g, sig))
		return -EPERM;
	if (!sig)
		return 0;
	return uinfo ? signal_queue(t, info, false) : signal_send_simple(t, sig, SI_USER);
}

static long sys_pidfd_send_signal(uint64_t fd, uint64_t usig, uint64_t uinfo, uint64_t flags,
				  uint64_t a4, uint64_t a5)
{
	struct ksiginfo info;
	struct file *f;
	struct task *t;
	int sig = (int)usig;
	long r;

	if ((uint32_t)flags)
		return -EINVAL;
	f = pidfd_file(fd);
	if (!f)
		return -EBADF;
	if (uinfo && (r = read_info(uinfo, sig, pidfd_file_group(f), &info)))
		return r;
	t = pidfd_file_task(f, &r);
	if (!t)
		return r;
	r = send(t, pidfd_file_group(f), sig, uinfo, &info);
	task_put(t);
	return r;
}
SYSCALL_DEFINE(SYS_pidfd_send_signal, pidfd_send_signal, sys_pidfd_send_signal);
