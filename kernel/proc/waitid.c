// SPDX-License-Identifier: MIT
/*
 * waitid(which, id, infop, options, rusage) as Linux 6.1: options other
 * than WNOHANG, WNOWAIT, WEXITED, WSTOPPED, WCONTINUED, __WNOTHREAD,
 * __WCLONE, __WALL EINVAL, and one of WEXITED, WSTOPPED, WCONTINUED is
 * needed (EINVAL); then @which: P_ALL, P_PID (an id <= 0 EINVAL), P_PGID
 * (< 0 EINVAL; every process is in one group here, so any child), P_PIDFD
 * (< 0 EINVAL; not a pidfd EBADF: that process only, ECHILD if it is not
 * a child or was reaped), anything else EINVAL. A pidfd opened with
 * PIDFD_NONBLOCK waits as if with WNOHANG, and finding nothing is then
 * EAGAIN unless WNOHANG was asked for. The result is 0; the siginfo gets
 * si_signo (SIGCHLD, or 0 when WNOHANG found nothing), si_errno, si_code
 * (CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED), si_pid, si_uid and
 * si_status, and nothing else, as Linux writes it; rusage is zeroed.
 *
 * Locking: the wait is proc_wait_child()'s (tasklist_lock).
 */
#include "kernel/fs/file.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define P_ALL		0
#define P_PID		1
#define P_PGID		2
#define P_PIDFD		3
#define WNOHANG		1
#define WSTOPPED	2
#define WEXITED		4
#define WCONTINUED	8
#define WNOWAIT		0x01000000
#define WAITID_OPTIONS	(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | \
			 0x20000000 | 0x40000000 | 0x80000000)
#define CLD_EXITED	1
#define CLD_KILLED	2
#define CLD_DUMPED	3
#define CLD_STOPPED	5
#define CLD_CONTINUED	6
/* struct rusage: two timevals and 14 longs, 18 words of the ABI's width. */
#define RUSAGE_SIZE	(18 * sizeof(long))
/* siginfo_t: three ints, then the union at a long's alignment. */
#define SI_UNION_OFF	(sizeof(long) == 8 ? 16 : 12)

/* The pid of the child @fd names (EBADF, ECHILD once reaped); *@nonblock its O_NONBLOCK. */
static long pidfd_child(uint64_t fd, bool *nonblock)
{
	struct file *f = pidfd_file(fd);
	struct task *t;
	long r;

	if (!f)
		return -EBADF;
	*nonblock = f->flags & O_NONBLOCK;
	t = pidfd_file_task(f, &r);
	if (!t)
		return -ECHILD;		/* no child has its struct pid any more */
	r = t->pid;
	task_put(t);
	return r;
}

/* kernel_waitid()'s checks of the options and of @which/@id: the pid to wait for, or -errno. */
static long wait_target(int which, int id, uint32_t options, bool *nonblock)
{
	if (options & ~(uint32_t)WAITID_OPTIONS)
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (which) {
	case P_ALL:
		return -1;
	case P_PID:
		return id <= 0 ? -EINVAL : id;
	case P_PGID:
		return id < 0 ? -EINVAL : -1;
	case P_PIDFD:
		return id < 0 ? -EINVAL : pidfd_child((uint32_t)id, nonblock);
	}
	return -EINVAL;
}

/* The siginfo fields Linux's waitid writes (signo 0 and zeros: nothing found). */
static long put_info(uint64_t uinfo, bool found, const struct wait_result *w)
{
	int code = 0, status = 0;
	int32_t head[3], body[3];

	if (found && (w->status & 0xff) == 0x7f) {
		code = CLD_STOPPED, status = (w->status >> 8) & 0xff;
	} else if (found && w->status == 0xffff) {
		code = CLD_CONTINUED, status = SIGCONT;
	} else if (found && !(w->status & 0x7f)) {
		code = CLD_EXITED, status = (w->status >> 8) & 0xff;
	} else if (found) {
		code = w->status & 0x80 ? CLD_DUMPED : CLD_KILLED, status = w->status & 0x7f;
	}
	head[0] = found ? SIGCHLD : 0, head[1] = 0, head[2] = code;
	body[0] = found ? w->pid : 0, body[1] = found ? (int32_t)w->uid : 0, body[2] = status;
	if (copy_to_user(uinfo, head, sizeof(head)) ||
	    copy_to_user(uinfo + SI_UNION_OFF, body, sizeof(body)))
		return -EFAULT;
	return 0;
}

static long sys_waitid(uint64_t which, uint64_t id, uint64_t uinfo, uint64_t options,
		       uint64_t rusage, uint64_t a5)
{
	struct wait_result w;
	bool nonblock = false;
	uint32_t opt = (uint32_t)options;
	long pid = wait_target((int)which, (int)id, opt, &nonblock), r;

	if (pid < -1)
		return pid;
	r = proc_wait_child((int)pid, (int)(opt | (nonblock ? WNOHANG : 0)), &w);
	if (r == 0 && nonblock && !(opt & WNOHANG))
		r = -EAGAIN;
	if (r < 0)
		return r;
	if (r > 0 && rusage && clear_user(rusage, RUSAGE_SIZE))
		return -EFAULT;
	if (uinfo && put_info(uinfo, r > 0, &w))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_waitid, waitid, sys_waitid);
