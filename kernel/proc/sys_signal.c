// SPDX-License-Identifier: MIT
/*
 * The signal system calls, with Linux's argument checks in Linux's order
 * (sizes first, then the copy of what is read, then the values, then the
 * copy of what is written back).
 */
#include "kernel/kernel.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/syscall.h"

#define SA_UNSUPPORTED	0x00000400u
#define SA_EXPOSE_TAGBITS 0x00000800u
/* The flags rt_sigaction keeps and reports; others read back as clear. */
#define SA_UAPI_FLAGS	(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | \
			 SA_NODEFER | SA_RESETHAND | SA_EXPOSE_TAGBITS | SA_RESTORER)
#define ITIMER_REAL	0
#define ITIMER_VIRTUAL	1
#define ITIMER_PROF	2
#define NS_PER_US	1000ull
#define NS_PER_S	1000000000ull

static bool valid_signal(uint64_t sig)
{
	return sig >= 1 && sig <= NSIG;
}

static long sys_rt_sigaction(uint64_t sig, uint64_t uact, uint64_t uoact, uint64_t size,
			     uint64_t a4, uint64_t a5)
{
	struct task *t = current();
	struct k_sigaction act, old;

	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	if (!valid_signal(sig) || (uact && (sigmask((int)sig) & SIG_UNBLOCKABLE)))
		return -EINVAL;
	unsigned long flags = signal_lock();
	struct k_sigaction *ka = &t->sig.hand->action[sig - 1];
	old = *ka;
	old.flags &= SA_UAPI_FLAGS;
	if (uact) {
		act.flags &= SA_UAPI_FLAGS;
		act.mask &= ~SIG_UNBLOCKABLE;
		*ka = act;
	}
	signal_unlock(flags);
	/* Now ignored: a pending one goes away (POSIX). */
	if (uact)
		signal_discard(t, (int)sig);
	if (uoact && copy_to_user(uoact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_rt_sigaction, rt_sigaction, sys_rt_sigaction);

static long sys_rt_sigprocmask(uint64_t how, uint64_t uset, uint64_t uoset, uint64_t size,
			       uint64_t a4, uint64_t a5)
{
	struct task_signals *s = &current()->sig;
	sigset_t set, old = s->blocked;

	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof(set)))
			return -EFAULT;
		if (how > SIG_SETMASK)
			return -EINVAL;
		set &= ~SIG_UNBLOCKABLE;
		unsigned long flags = signal_lock();
		switch (how) {
		case SIG_BLOCK: s->blocked |= set; break;
		case SIG_UNBLOCK: s->blocked &= ~set; break;
		default: s->blocked = set; break;
		}
		signal_unlock(flags);
	}
	if (uoset && copy_to_user(uoset, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_rt_sigprocmask, rt_sigprocmask, sys_rt_sigprocmask);

static long sys_rt_sigpending(uint64_t uset, uint64_t size, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	struct task_signals *s = &current()->sig;
	sigset_t set = s->pending & s->blocked;

	if (size > sizeof(sigset_t))
		return -EINVAL;
	return copy_to_user(uset, &set, size) ? -EFAULT : 0;
}
SYSCALL_DEFINE(SYS_rt_sigpending, rt_sigpending, sys_rt_sigpending);

/* Sleep until a signal is pending (pause, sigsuspend); interrupts off. */
static void wait_for_signal(struct task *t)
{
	signal_wait_until(t, &t->sig, signal_pending);
}

/*
 * rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait): take a pending
 * signal of the set, waiting for one up to the timeout. The set is normally
 * blocked; its signals wake the task anyway (sig.waiting).
 */
static long sys_rt_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts, uint64_t size,
				uint64_t a4, uint64_t a5)
{
	struct task *t = current();
	struct ksiginfo info;
	sigset_t set;
	int64_t ts[2];
	uint64_t deadline = 0;
	long r;

	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~SIG_UNBLOCKABLE;
	if (uts) {
		if (copy_from_user(ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts[0] > UINT64_MAX / 2000000000ull ? UINT64_MAX / 2 :
			      (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
		deadline = time_ns() + ns;
	}
	unsigned long flags = plat_irq_save();
	for (;;) {
		int sig = signal_dequeue(set, &info);
		if (sig) {
			r = sig;
			break;
		}
		if (signal_pending(t)) {
			r = -EINTR;		/* a handler runs, or the process dies */
			break;
		}
		if (uts && time_ns() >= deadline) {
			r = -EAGAIN;
			break;
		}
		unsigned long lk = signal_lock();
		t->sig.waiting = set;
		t->wchan = &t->sig;
		t->state = TASK_BLOCKED;	/* before the check: a sender then wakes us */
		bool ready = (t->sig.pending & set) || signal_pending(t);
		signal_unlock(lk);
		if (!ready)
			task_block(uts ? deadline : 0);
		lk = signal_lock();
		t->state = TASK_RUNNABLE;
		t->wchan = NULL;
		t->sig.waiting = 0;
		signal_unlock(lk);
	}
	plat_irq_restore(flags);
	if (r > 0 && uinfo && arch_copy_siginfo_to_user(uinfo, &info))
		return -EFAULT;
	return r;
}
SYSCALL_DEFINE(SYS_rt_sigtimedwait, rt_sigtimedwait, sys_rt_sigtimedwait);

static long sys_rt_sigsuspend(uint64_t uset, uint64_t size, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	struct task *t = current();
	sigset_t set;

	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	unsigned long flags = signal_lock();
	t->sig.saved_mask = t->sig.blocked;
	t->sig.restore_mask = true;	/* signal_deliver puts it back */
	t->sig.blocked = set & ~SIG_UNBLOCKABLE;
	signal_unlock(flags);
	flags = plat_irq_save();
	wait_for_signal(t);
	plat_irq_restore(flags);
	return -ERESTARTNOHAND;
}
SYSCALL_DEFINE(SYS_rt_sigsuspend, rt_sigsuspend, sys_rt_sigsuspend);

static long sys_pause(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	unsigned long flags = plat_irq_save();

	wait_for_signal(current());
	plat_irq_restore(flags);
	return -ERESTARTNOHAND;
}
SYSCALL_DEFINE(SYS_pause, pause, sys_pause);

/* A user process that can be sent signals, by pid; referenced (task_put). */
static struct task *signal_target(int pid)
{
	struct task *t = task_by_pid(pid);

	if (t && !t->mm && t->state != TASK_ZOMBIE) {
		task_put(t);		/* a kernel thread */
		return NULL;
	}
	return t;
}

/*
 * check_kill_permission() on a referenced @t: 0, -EINVAL (no such signal)
 * or -EPERM (cred_may_signal()). Its group is pinned while its ids are
 * read, as the process may be reaped meanwhile.
 */
static long may_send(struct task *t, uint64_t sig)
{
	struct task_pin pin;
	long r = 0;

	if (sig > NSIG)
		return -EINVAL;
	task_pin(t, &pin);
	if (pin.group && !cred_may_signal(pin.group, (int)sig))
		r = -EPERM;
	task_unpin(&pin);
	return r;
}

/* Sends @sig (0: only checks) to a referenced @t and lets it go. */
static long send_and_put(struct task *t, uint64_t sig, int code)
{
	long r = may_send(t, sig);

	if (!r && sig)
		r = signal_send_simple(t, (int)sig, code);
	task_put(t);
	return r;
}

/*
 * kill(-1) (@broadcast: every process but process 1 and the caller's) and
 * kill(0) (the caller's process group, which is every process: there are
 * no setpgid or setsid here, so all share Linux's group 0). Each process
 * the caller may signal gets it. Linux answers 0 even when every
 * candidate refused, as its kernel threads are candidates too: only a bad
 * signal number fails (EINVAL).
 */
static long kill_many(uint64_t sig, bool broadcast)
{
	struct task *t;
	int pid = 0;

	if (sig > NSIG)
		return -EINVAL;
	while ((t = task_next_leader(pid))) {
		pid = t->pid;
		if (broadcast && (pid == 1 || t->tgid == current()->tgid))
			task_put(t);
		else
			send_and_put(t, sig, SI_USER);	/* a refusal is no error here */
	}
	return 0;
}

static long sys_kill(uint64_t upid, uint64_t sig, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	int pid = (int)upid;

	if (pid == 0 || pid == -1)
		return kill_many(sig, pid == -1);
	if (pid < 0)
		return -ESRCH;		/* a process group: none but the one, 0 */
	struct task *t = signal_target(pid);
	if (!t)
		return -ESRCH;
	return send_and_put(t, sig, SI_USER);
}
SYSCALL_DEFINE(SYS_kill, kill, sys_kill);

/* Thread @tid if it belongs to thread group @tgid (referenced), else NULL. */
static struct task *thread_target(int tgid, int tid)
{
	struct task *t = signal_target(tid);

	if (t && t->tgid != tgid) {
		task_put(t);
		t = NULL;
	}
	return t;
}

/* A signal for one thread, which must belong to thread group @tgid. */
static long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	if ((int)tgid <= 0 || (int)tid <= 0)
		return -EINVAL;
	struct task *t = thread_target((int)tgid, (int)tid);
	if (!t)
		return -ESRCH;
	return send_and_put(t, sig, SI_TKILL);
}
SYSCALL_DEFINE(SYS_tgkill, tgkill, sys_tgkill);

static long sys_tkill(uint64_t tid, uint64_t sig, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	if ((int)tid <= 0)
		return -EINVAL;
	struct task *t = signal_target((int)tid);
	if (!t)
		return -ESRCH;
	return send_and_put(t, sig, SI_TKILL);
}
SYSCALL_DEFINE(SYS_tkill, tkill, sys_tkill);

/*
 * rt_sigqueueinfo/rt_tgsigqueueinfo: a signal with the sender's siginfo
 * (sigqueue's si_value). Nobody may pretend to be the kernel or kill/tgkill
 * (si_code >= 0 or SI_TKILL) to another task: EPERM.
 */
static long queue_to(struct task *t, uint64_t sig, const struct ksiginfo *info, bool thread)
{
	long r = may_send(t, sig);

	if (!r && sig)
		r = signal_queue(t, info, thread);

	task_put(t);
	return r;
}

static bool may_claim(const struct ksiginfo *info, int target)
{
	return (info->code < 0 && info->code != SI_TKILL) || target == current()->pid;
}

static long sys_rt_sigqueueinfo(uint64_t upid, uint64_t sig, uint64_t uinfo, uint64_t a3,
				uint64_t a4, uint64_t a5)
{
	struct ksiginfo info;
	int pid = (int)upid;

	if (arch_copy_siginfo_from_user(&info, uinfo))
		return -EFAULT;
	info.signo = (int)sig;
	if (!may_claim(&info, pid))
		return -EPERM;
	struct task *t = pid > 0 ? signal_target(pid) : NULL;
	if (!t)
		return -ESRCH;
	return queue_to(t, sig, &info, false);
}
SYSCALL_DEFINE(SYS_rt_sigqueueinfo, rt_sigqueueinfo, sys_rt_sigqueueinfo);

static long sys_rt_tgsigqueueinfo(uint64_t tgid, uint64_t tid, uint64_t sig, uint64_t uinfo,
				  uint64_t a4, uint64_t a5)
{
	struct ksiginfo info;

	if (arch_copy_siginfo_from_user(&info, uinfo))
		return -EFAULT;
	info.signo = (int)sig;
	if ((int)tgid <= 0 || (int)tid <= 0)
		return -EINVAL;
	if (!may_claim(&info, (int)tid))
		return -EPERM;
	struct task *t = thread_target((int)tgid, (int)tid);
	if (!t)
		return -ESRCH;
	return queue_to(t, sig, &info, true);
}
SYSCALL_DEFINE(SYS_rt_tgsigqueueinfo, rt_tgsigqueueinfo, sys_rt_tgsigqueueinfo);

/* stack_t of x86_64 and every 64-bit ABI. */
struct user_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

static long sys_sigaltstack(uint64_t uss, uint64_t uoss, uint64_t a2, uint64_t a3,
			    uint64_t a4, uint64_t a5)
{
	struct user_stack us;
	struct kstack ss, old;

	if (uss) {
		if (copy_from_user(&us, uss, sizeof(us)))
			return -EFAULT;
		ss = (struct kstack){ .sp = us.ss_sp, .size = us.ss_size,
				      .flags = (uint32_t)us.ss_flags };
	}
	int r = do_sigaltstack(uss ? &ss : NULL, uoss ? &old : NULL,
			       arch_frame_sp(current()->frame));
	if (r || !uoss)
		return r;
	us = (struct user_stack){ .ss_sp = old.sp, .ss_flags = (int32_t)old.flags,
				  .ss_size = old.size };
	return copy_to_user(uoss, &us, sizeof(us)) ? -EFAULT : 0;
}
SYSCALL_DEFINE(SYS_sigaltstack, sigaltstack, sys_sigaltstack);

/*
 * restart_syscall(): goes on with the call the restart block describes
 * (the kernel issues it in place of a call that returned
 * -ERESTART_RESTARTBLOCK); with none, EINTR, as Linux's
 * do_no_restart_syscall().
 */
static long sys_restart_syscall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
				uint64_t a5)
{
	const struct restart_block *rb = &current()->sig.restart;

	return rb->fn ? rb->fn(rb) : -EINTR;
}
SYSCALL_DEFINE(SYS_restart_syscall, restart_syscall, sys_restart_syscall);

/**
 * signal_return() - reload the state the current task's signal frame saved
 * @restore_altstack: also set the alternate stack the frame recorded, as
 *	rt_sigreturn does; i386's old sigreturn (a handler without SA_SIGINFO)
 *	leaves it as the handler left it, as Linux's does
 *
 * Return: the restored eax/rax, for the system call's return path.
 */
long signal_return(bool restore_altstack)
{
	struct task *t = current();
	struct trap_frame *f = t->frame;
	struct kstack ss;
	sigset_t mask;

	if (arch_signal_restore_frame(f, &mask, &ss)) {
		force_sig_fault(SIGSEGV, SI_KERNEL, 0, 0, 0);
		return 0;
	}
	unsigned long flags = signal_lock();
	t->sig.blocked = mask & ~SIG_UNBLOCKABLE;
	signal_unlock(flags);
	t->sig.restart.fn = NULL;	/* the interrupted call, if any, ended with EINTR */
	/* Linux ignores all but a fault here (e.g. EPERM on the stack itself). */
	if (restore_altstack)
		do_sigaltstack(&ss, NULL, arch_frame_sp(f));
	long r;
	arch_syscall_result(f, &r);
	arch_syscall_finish(f, r);	/* the restored state is no system call */
	return r;
}

static long sys_rt_sigreturn(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			     uint64_t a5)
{
	return signal_return(true);
}
SYSCALL_DEFINE(SYS_rt_sigreturn, rt_sigreturn, sys_rt_sigreturn);

/* --- ITIMER_REAL --------------------------------------------------------------------- */

struct user_timeval {
	int64_t sec, usec;
};
struct user_itimerval {
	struct user_timeval interval, value;
};

static uint64_t tv_to_ns(const struct user_timeval *tv)
{
	if ((uint64_t)tv->sec > UINT64_MAX / NS_PER_S / 2)
		return UINT64_MAX / 2;
	return (uint64_t)tv->sec * NS_PER_S + (uint64_t)tv->usec * NS_PER_US;
}

/* Linux reports a timer's time rounded up to whole microseconds. */
static struct user_timeval ns_to_tv(uint64_t ns)
{
	uint64_t us = (ns + NS_PER_US - 1) / NS_PER_US;

	return (struct user_timeval){ (int64_t)(us / 1000000), (int64_t)(us % 1000000) };
}

static bool tv_valid(const struct user_timeval *tv)
{
	return tv->sec >= 0 && tv->usec >= 0 && tv->usec < 1000000;
}

static long sys_getitimer(uint64_t which, uint64_t ucur, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	struct user_itimerval cur = { { 0, 0 }, { 0, 0 } };
	uint64_t value, interval;

	if (which == ITIMER_REAL) {
		itimer_get(&value, &interval);
		cur.value = ns_to_tv(value);
		cur.interval = ns_to_tv(interval);
	} else if (which != ITIMER_VIRTUAL && which != ITIMER_PROF) {
		return -EINVAL;
	}
	return copy_to_user(ucur, &cur, sizeof(cur)) ? -EFAULT : 0;
}
SYSCALL_DEFINE(SYS_getitimer, getitimer, sys_getitimer);

static long sys_setitimer(uint64_t which, uint64_t unew, uint64_t uold, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	struct user_itimerval nv = { { 0, 0 }, { 0, 0 } }, ov = { { 0, 0 }, { 0, 0 } };
	uint64_t value, interval;

	if (unew && copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (!tv_valid(&nv.value) || !tv_valid(&nv.interval))
		return -EINVAL;
	if (which != ITIMER_REAL)
		return which == ITIMER_VIRTUAL || which == ITIMER_PROF ? -ENOSYS : -EINVAL;
	itimer_set(tv_to_ns(&nv.value), tv_to_ns(&nv.interval), &value, &interval);
	ov.value = ns_to_tv(value);
	ov.interval = ns_to_tv(interval);
	if (uold && copy_to_user(uold, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_setitimer, setitimer, sys_setitimer);

static long sys_alarm(uint64_t seconds, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	uint64_t value, interval;

	itimer_set((uint64_t)(uint32_t)seconds * NS_PER_S, 0, &value, &interval);
	/* Whole seconds left, rounded to nearest, and never 0 for an armed timer. */
	uint64_t secs = (value + NS_PER_S / 2) / NS_PER_S;
	return value && !secs ? 1 : (long)secs;
}
SYSCALL_DEFINE(SYS_alarm, alarm, sys_alarm);
