/* SPDX-License-Identifier: MIT */
/*
 * Signals, as Linux defines them for its system-call ABI.
 *
 * State is split the way Linux splits it, so that threads can share it:
 *   - struct sighand: the handler table (rt_sigaction), shared by the tasks
 *     of one process (clone with CLONE_SIGHAND takes a reference);
 *   - per task (struct task_signals in struct task): the blocked mask, the
 *     pending set with the information of each pending signal, the
 *     alternate stack and the mask sigsuspend saved.
 * A process-directed signal (kill) is queued on the task the pid names.
 *
 * Queueing, as on Linux: a standard signal (1..31) is pending once at most
 * (a second one merges into it); each real-time signal (SIGRTMIN..NSIG)
 * sent is queued as its own instance, delivered in the order sent, lowest
 * signal number first. Every pending instance with its information is
 * counted for the target's real user against RLIMIT_SIGPENDING (cred.c):
 * past the limit a real-time signal sent with si_code != SI_USER
 * (sigqueue) fails with EAGAIN; anything else (kill, the kernel's own)
 * is still sent but its information is lost (SI_USER, no sender).
 *
 * Delivery happens on the way back to user mode (signal_deliver, from
 * user_return_work): a fatal default action ends the process, a handler
 * gets a frame built by the architecture (arch_signal_setup_frame), and
 * rt_sigreturn undoes it (arch_signal_restore_frame). Everything that
 * differs per architecture - frame layout, siginfo layout, which register
 * holds the system-call result - stays behind those hooks.
 *
 * Locking: one spinlock (signal_lock(), interrupts off) guards every
 * task's pending/blocked/info/waiting/stop fields and the handler tables,
 * for senders on any CPU and the timer interrupt. Lock order:
 * tasklist_lock (a process-directed send walks the threads) -> itimer_lock
 * (the armed ITIMER_REAL list) -> signal lock -> the scheduler's (a send
 * wakes its target while holding it) and cred.c's uid_lock (the pending
 * counts). Nothing that copies user memory, allocates or sleeps runs under
 * it: a real-time signal's queue entry is allocated before the lock (only
 * system calls send real-time signals) and entries are freed after it; a
 * task reads its own state without it.
 */
#ifndef KERNEL_PROC_SIGNAL_H
#define KERNEL_PROC_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#define NSIG		64	/* signals are 1..NSIG */

#define SIGHUP		1
#define SIGINT		2
#define SIGQUIT		3
#define SIGILL		4
#define SIGTRAP		5
#define SIGABRT		6
#define SIGBUS		7
#define SIGFPE		8
#define SIGKILL		9
#define SIGUSR1		10
#define SIGSEGV		11
#define SIGUSR2		12
#define SIGPIPE		13
#define SIGALRM		14
#define SIGTERM		15
#define SIGSTKFLT	16
#define SIGCHLD		17
#define SIGCONT		18
#define SIGSTOP		19
#define SIGTSTP		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGURG		23
#define SIGXCPU		24
#define SIGXFSZ		25
#define SIGVTALRM	26
#define SIGPROF		27
#define SIGWINCH	28
#define SIGIO		29
#define SIGPWR		30
#define SIGSYS		31
#define SIGRTMIN	32

#define SIG_DFL		0ul
#define SIG_IGN		1ul

/* sa_flags */
#define SA_NOCLDSTOP	0x00000001u
#define SA_NOCLDWAIT	0x00000002u
#define SA_SIGINFO	0x00000004u
#define SA_RESTORER	0x04000000u
#define SA_ONSTACK	0x08000000u
#define SA_RESTART	0x10000000u
#define SA_NODEFER	0x40000000u
#define SA_RESETHAND	0x80000000u

/* rt_sigprocmask how */
#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define SIG_SETMASK	2

/* sigaltstack */
#define SS_ONSTACK	1
#define SS_DISABLE	2
#define SS_AUTODISARM	(1u << 31)
#define MINSIGSTKSZ	2048

/* si_code values */
#define SI_USER		0
#define SI_KERNEL	0x80
#define SI_QUEUE	(-1)
#define SI_TKILL	(-6)
#define ILL_ILLOPN	2
#define ILL_PRVOPC	5
#define FPE_INTDIV	1
#define FPE_INTOVF	2
#define FPE_FLTDIV	3
#define FPE_FLTOVF	4
#define FPE_FLTUND	5
#define FPE_FLTRES	6
#define FPE_FLTINV	7
#define SEGV_MAPERR	1
#define SEGV_ACCERR	2
#define SEGV_PKUERR	4	/* a protection key forbade the access (si_pkey) */
#define BUS_ADRALN	1
#define BUS_ADRERR	2
#define TRAP_BRKPT	1
#define TRAP_TRACE	2
#define CLD_EXITED	1
#define CLD_KILLED	2
#define CLD_DUMPED	3
#define CLD_STOPPED	5
#define CLD_CONTINUED	6

typedef uint64_t sigset_t;

static inline sigset_t sigmask(int sig)
{
	return 1ull << (sig - 1);
}

/* What can never be blocked, caught or ignored. */
#define SIG_UNBLOCKABLE	(sigmask(SIGKILL) | sigmask(SIGSTOP))

/* The kernel's form of a siginfo: the architecture lays it out for the user. */
struct ksiginfo {
	int signo, code;
	int pid;		/* sender (kill, sigqueue) or child (SIGCHLD) */
	uint32_t uid;		/* the sender's real uid */
	int status;		/* SIGCHLD: exit code or signal */
	uint64_t value;		/* si_value (sigqueue: rt_sigqueueinfo's _rt layout) */
	uint64_t addr;		/* faults: the address */
	uint32_t error;		/* faults: the CPU's error code, for the frame */
	uint16_t trapno;	/* faults: the CPU exception, for the frame */
	uint32_t pkey;		/* SEGV_PKUERR: the protection key of the page */
};

/* One pending instance of a signal, counted for RLIMIT_SIGPENDING. */
struct user_count;
struct sigqueue {
	struct sigqueue *next;
	struct user_count *user;	/* counted there (NULL: nowhere) */
	struct ksiginfo info;
};

/* One handler, in the layout of Linux's struct kernel_sigaction. */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	sigset_t mask;
};

/* A process's handler table, shared by its threads. */
struct sighand {
	int refs;
	struct k_sigaction action[NSIG];
};

/* Per task (thread): embedded in struct task. */
/*
 * Linux's restart_block: how to go on with a call that returned
 * -ERESTART_RESTARTBLOCK when no handler ran (restart_syscall calls @fn
 * with the call's own @arg), so that it can go on with what it has left
 * (e.g. poll's absolute deadline) rather than start over. @fn NULL:
 * nothing to restart (after a handler's sigreturn): EINTR.
 */
struct restart_block {
	long (*fn)(const struct restart_block *rb);
	uint64_t arg[3];
};

struct task_signals {
	struct sighand *hand;
	sigset_t blocked, pending;
	sigset_t saved_mask;		/* rt_sigsuspend: restored after the handler */
	bool restore_mask;
	sigset_t waiting;		/* rt_sigtimedwait: these wake it though blocked */
	bool stopped;			/* by SIGSTOP and the like, until SIGCONT */
	/* For the parent's wait4 (on the process leader): WUNTRACED, WCONTINUED. */
	uint8_t stop_report;		/* the signal that stopped it, 0: none */
	bool cont_report;
	uint64_t ss_sp, ss_size;	/* sigaltstack; ss_size 0: none */
	uint32_t ss_flags;		/* as given to sigaltstack (SS_DISABLE: none) */
	struct restart_block restart;	/* for restart_syscall */
	/* Standard signals: the one pending instance of each (.next unused). */
	struct sigqueue std[SIGRTMIN - 1];
	sigset_t lost;			/* standard ones pending without information */
	/* Real-time signals: per signal, the newest queued instance, whose
	 * .next is the oldest (a ring). A pending real-time signal without
	 * one lost its information. */
	struct sigqueue *rtq[NSIG - SIGRTMIN + 1];
	/* ITIMER_REAL (process-wide on Linux; one thread per process today). */
	uint64_t itimer_expires_ns, itimer_interval_ns;
	struct task *itimer_next;	/* the sorted list of armed timers */
};

/* A stack_t, as sigaltstack() takes it. */
struct kstack {
	uint64_t sp, size;
	uint32_t flags;
};

struct task;
struct trap_frame;

/* The lock of all signal state (see the top); returns the interrupt flags. */
unsigned long signal_lock(void);
void signal_unlock(unsigned long flags);
/* Block @t (current) on @wchan until @done(@t), checked under the signal lock. */
void signal_wait_until(struct task *t, const void *wchan, bool (*done)(struct task *t));

/* --- lifecycle (process layer) ------------------------------------------------- */
struct kmem_cache;
/* The "sighand" cache, at boot (proc_caches_init). */
struct kmem_cache *sighand_cache_init(void);
/* A fresh process: default handlers, nothing blocked. 0 or -ENOMEM. */
int signal_init_task(struct task *t);
/* fork: @child gets a copy of @parent's handlers and mask; 0 or -ENOMEM. */
int signal_fork(struct task *child, struct task *parent);
/* clone(CLONE_SIGHAND): share @parent's table. */
void signal_share(struct task *child, struct task *parent);
/* execve: caught signals revert to default; mask and pending are kept. */
void signal_exec(struct task *t);
/* exit: drop the table, disarm the timer. */
void signal_exit(struct task *t);

/* --- sending ------------------------------------------------------------------- */
/**
 * signal_send() - queue @info->signo on @t; wakes it if it may act on it
 * Ignored signals are dropped; a fatal one marks @t killed. 0 or -errno.
 */
int signal_send(struct task *t, const struct ksiginfo *info);
/* A process-directed signal (kill, SIGCHLD, SIGALRM) to @t's process. */
int signal_send_process(struct task *t, const struct ksiginfo *info);
/*
 * signal_queue() - rt_sigqueueinfo (@thread false: to @t's process) or
 * rt_tgsigqueueinfo (true: to thread @t): @info as the sender wrote it.
 * Return: 0, or -EAGAIN for a real-time signal past RLIMIT_SIGPENDING.
 */
int signal_queue(struct task *t, const struct ksiginfo *info, bool thread);
/* kill() (SI_USER: to the process), tkill/tgkill (SI_TKILL: to the thread): @sig from the current task (or the kernel: @code SI_KERNEL). */
int signal_send_simple(struct task *t, int sig, int code);
/**
 * force_sig_fault() - the current task made a fault it cannot continue past
 * @sig: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP
 * @code: si_code (SEGV_MAPERR, BUS_ADRERR...)
 * @addr: si_addr
 * @trapno: the CPU exception (0 if none), @error: its error code, for the frame
 * A blocked or ignored @sig reverts to its default action first, as on Linux.
 * Return: true if a handler will run, false if the default action (death) will.
 */
bool force_sig_fault(int sig, int code, uint64_t addr, unsigned trapno, uint64_t error);
/* force_sig_fault() of a SIGSEGV with SEGV_PKUERR and si_pkey @pkey (Linux's _addr_pkey). */
bool force_sig_pkuerr(uint64_t addr, uint32_t pkey, unsigned trapno, uint64_t error);
/* The child @child ended: SIGCHLD (with its status) to its parent; tasklist_lock held. */
void signal_notify_parent(struct task *child, int status_word);
/*
 * wait4's WUNTRACED/WCONTINUED: the status word of a stop or continue of
 * @child not yet reported (and now consumed), or 0. Interrupts off.
 */
int signal_take_stop_report(struct task *child, int options);

/* --- receiving ----------------------------------------------------------------- */
/* Is a signal waiting that @t would act on now (or is @t being killed)? */
bool signal_pending(struct task *t);
/* On the way to user mode, interrupts off: deliver what is pending. */
void signal_deliver(struct trap_frame *f);
/* The wait status of a death by @sig (the core flag is never set: no dumps). */
int signal_exit_status(int sig);
/* ITIMER_REAL of the current task, in ns from now (0: disarmed). */
void itimer_set(uint64_t value_ns, uint64_t interval_ns, uint64_t *old_value_ns,
		uint64_t *old_interval_ns);
void itimer_get(uint64_t *value_ns, uint64_t *interval_ns);
/* Called by the timer tick, interrupts off: sends the SIGALRMs due. */
void itimer_tick(void);

/*
 * Takes the lowest pending signal of @set off the current task (synchronous
 * ones first) with its info: the signal, or 0 if none is pending.
 */
int signal_dequeue(sigset_t set, struct ksiginfo *info);
/* @sig is now ignored (rt_sigaction): its pending instances on @t go. */
void signal_discard(struct task *t, int sig);
/* Is @sig's action SIG_IGN (or default-ignore)? */
bool signal_ignored(struct task *t, int sig);
/* sigaltstack() for the current task whose user stack pointer is @sp: 0 or -errno. */
int do_sigaltstack(const struct kstack *ss, struct kstack *old, uint64_t sp);
/* rt_sigreturn's work; @restore_altstack false for i386's old sigreturn */
long signal_return(bool restore_altstack);

/*
 * --- the x86 signal ABI (kernel/proc/signal_frame.c, siginfo.c), over each
 * arch's frame layout (arch/<arch>/sigframe.h) --------------------------------
 */
/**
 * arch_signal_setup_frame() - build a signal frame on the user stack
 * @f: the user state to save and redirect to the handler
 * @ka: the handler
 * @info: the signal
 * @oldmask: the mask to restore at sigreturn
 * @s: the task's signal state (its alternate stack)
 * Return: 0, or -EFAULT if the frame could not be written.
 */
int arch_signal_setup_frame(struct trap_frame *f, const struct k_sigaction *ka,
			    const struct ksiginfo *info, sigset_t oldmask,
			    struct task_signals *s);
/**
 * arch_signal_restore_frame() - rt_sigreturn: reload the state a frame saved
 * @f: the user state (its stack pointer is where the frame is)
 * @mask: set to the mask the frame saved
 * @ss: set to the alternate stack the frame saved
 * Return: 0, or -EFAULT for a frame that cannot be read or used.
 */
int arch_signal_restore_frame(struct trap_frame *f, sigset_t *mask, struct kstack *ss);
/* Writes @info as the architecture's siginfo_t at @uinfo: 0 or -EFAULT. */
int arch_copy_siginfo_to_user(uint64_t uinfo, const struct ksiginfo *info);
/*
 * Reads the siginfo_t a sender wrote at @uinfo (rt_sigqueueinfo): its
 * si_code, and si_pid, si_uid and si_value of the _rt layout. 0 or -EFAULT.
 */
int arch_copy_siginfo_from_user(struct ksiginfo *info, uint64_t uinfo);
/* The user stack pointer saved in @f. */
uint64_t arch_frame_sp(const struct trap_frame *f);
/*
 * -ERESTART* handling. arch_syscall_result() is true if @f is the state
 * of a system call that has not been restarted or interrupted yet, and
 * gives its result; arch_syscall_finish() sets the final result (and
 * forgets that @f was a system call); arch_syscall_restart() makes @f
 * issue the same call again when it returns to user mode.
 */
bool arch_syscall_result(const struct trap_frame *f, long *ret);
void arch_syscall_finish(struct trap_frame *f, long ret);
void arch_syscall_restart(struct trap_frame *f);
/* Makes @f issue restart_syscall instead (-ERESTART_RESTARTBLOCK, no handler ran). */
void arch_syscall_restart_block(struct trap_frame *f);

/*
 * The alternate stack, for the frame code. With SS_AUTODISARM the stack is
 * disarmed while in use, so nothing is ever "on" it.
 */
static inline bool on_sig_stack_raw(const struct task_signals *s, uint64_t sp)
{
	return sp > s->ss_sp && sp - s->ss_sp <= s->ss_size;
}

static inline bool on_sig_stack(const struct task_signals *s, uint64_t sp)
{
	return !(s->ss_flags & SS_AUTODISARM) && on_sig_stack_raw(s, sp);
}

/* SS_DISABLE, SS_ONSTACK or 0, for a stack pointer @sp. */
static inline uint32_t sas_ss_flags(const struct task_signals *s, uint64_t sp)
{
	if (!s->ss_size)
		return SS_DISABLE;
	return on_sig_stack(s, sp) ? SS_ONSTACK : 0;
}

#endif
