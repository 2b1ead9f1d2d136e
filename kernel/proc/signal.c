// SPDX-License-Identifier: MIT
/*
 * Sending and delivering signals (the design and lock rule: signal.h).
 *
 * A signal is pending on a task until the task returns to user mode with
 * it unblocked; then its action runs: ignore, a default action (end the
 * process, stop it until SIGCONT), or a handler, for which the
 * architecture builds a frame. Standard signals do not queue: a second
 * one while the first is pending is merged into it, as on Linux; real-time
 * ones do, each instance with its information (signal.h).
 */
#include "kernel/kernel.h"
#include "kernel/proc/cred.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"
#include "mm/spinlock.h"

enum sig_default { SD_TERM, SD_CORE, SD_IGN, SD_STOP, SD_CONT };

/* Signals raised by the instruction stream: delivered before the others. */
#define SIG_SYNCHRONOUS	(sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | \
			 sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS))
#define SIG_STOPPING	(sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | \
			 sigmask(SIGTTOU))

/* Handler tables: one per process (threads share it), from the "sighand" cache. */
static struct kmem_cache *sighand_cache;
/* Queued real-time signals, from the "sigqueue" cache. */
static struct kmem_cache *sigqueue_cache;

struct kmem_cache *sighand_cache_init(void)
{
	sigqueue_cache = kmem_cache_create("sigqueue", sizeof(struct sigqueue), 0, 0, NULL);
	if (!sigqueue_cache)
		return NULL;
	return sighand_cache = kmem_cache_create("sighand", sizeof(struct sighand), 0, 0, NULL);
}

/*
 * What leaves the pending sets under the signal lock: the counts it held
 * and the queue entries, given back after the lock (gone_release), since
 * neither a free nor the last count of a user's node may run under it.
 */
struct sig_gone {
	struct sigqueue *entries;		/* real-time instances, to free */
	struct user_count *users[SIGRTMIN - 1];	/* standard ones' counts */
	int n;
};

static void gone_release(struct sig_gone *g)
{
	for (int i = 0; i < g->n; i++)
		sigpending_uncharge(g->users[i]);
	g->n = 0;
	while (g->entries) {
		struct sigqueue *q = g->entries;
		g->entries = q->next;
		sigpending_uncharge(q->user);
		kmem_cache_free(sigqueue_cache, q);
	}
}

/* The information of an instance that could not be counted: Linux's collect_signal(). */
static void lost_info(struct ksiginfo *info, int sig)
{
	*info = (struct ksiginfo){ .signo = sig, .code = SI_USER };
}

/* Takes one pending instance of @sig off @t, its information into *@info. Lock held. */
static void take_locked(struct task *t, int sig, struct ksiginfo *info, struct sig_gone *g)
{
	struct task_signals *s = &t->sig;
	sigset_t m = sigmask(sig);

	if (sig < SIGRTMIN) {
		struct sigqueue *q = &s->std[sig - 1];
		if (s->lost & m)
			lost_info(info, sig);
		else
			*info = q->info;
		if (q->user)
			g->users[g->n++] = q->user;
		q->user = NULL;
		s->lost &= ~m;
		s->pending &= ~m;
		return;
	}
	struct sigqueue **ring = &s->rtq[sig - SIGRTMIN], *last = *ring;
	if (!last) {
		lost_info(info, sig);
		s->pending &= ~m;
		return;
	}
	struct sigqueue *first = last->next;
	if (first == last) {
		*ring = NULL;
		s->pending &= ~m;	/* the last instance (one merged into it is gone too) */
	} else {
		last->next = first->next;
	}
	*info = first->info;
	first->next = g->entries;
	g->entries = first;
}

/* Every pending instance of the signals in @set goes. Lock held. */
static void flush_locked(struct task *t, sigset_t set, struct sig_gone *g)
{
	struct ksiginfo unused;

	for (set &= t->sig.pending; set; set &= set - 1) {
		int sig = __builtin_ctzll(set) + 1;
		while (t->sig.pending & sigmask(sig))
			take_locked(t, sig, &unused, g);
	}
}

void signal_discard(struct task *t, int sig)
{
	struct sig_gone g = { 0 };
	unsigned long flags = signal_lock();

	if (signal_ignored(t, sig))
		flush_locked(t, sigmask(sig), &g);
	signal_unlock(flags);
	gone_release(&g);
}

static struct sighand *sighand_alloc(void)
{
	struct sighand *h = kmem_cache_alloc(sighand_cache);

	if (h) {
		memset(h, 0, sizeof(*h));
		h->refs = 1;
	}
	return h;
}

static void sighand_put(struct sighand *h)
{
	if (h && !__atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL))
		kmem_cache_free(sighand_cache, h);
}

static enum sig_default default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SD_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return SD_IGN;
	case SIGCONT:
		return SD_CONT;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SD_STOP;
	default:
		return SD_TERM;
	}
}

int signal_exit_status(int sig)
{
	return sig & 0x7f;	/* no core is dumped: WCOREDUMP stays clear */
}

/* --- lifecycle ------------------------------------------------------------------- */

int signal_init_task(struct task *t)
{
	memset(&t->sig, 0, sizeof(t->sig));
	t->sig.hand = sighand_alloc();
	return t->sig.hand ? 0 : -ENOMEM;
}

int signal_fork(struct task *child, struct task *parent)
{
	struct task_signals *c = &child->sig, *p = &parent->sig;

	memset(c, 0, sizeof(*c));
	if (!p->hand)
		return signal_init_task(child);
	c->hand = sighand_alloc();
	if (!c->hand)
		return -ENOMEM;
	memcpy(c->hand->action, p->hand->action, sizeof(c->hand->action));
	c->blocked = p->blocked;
	c->ss_sp = p->ss_sp;
	c->ss_size = p->ss_size;
	c->ss_flags = p->ss_flags;
	return 0;
}

void signal_share(struct task *child, struct task *parent)
{
	child->sig.hand = parent->sig.hand;
	__atomic_add_fetch(&child->sig.hand->refs, 1, __ATOMIC_RELAXED);
	child->sig.blocked = parent->sig.blocked;
}

void signal_exec(struct task *t)
{
	struct sighand *h = t->sig.hand;

	if (!h)
		return;
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &h->action[i];
		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask = 0;
	}
	t->sig.ss_sp = t->sig.ss_size = 0;
	t->sig.ss_flags = SS_DISABLE;
}

static void itimer_disarm(struct task *t);
static spinlock_t itimer_lock = SPINLOCK_INIT;	/* the list of armed ITIMER_REALs */
static spinlock_t sig_lock = SPINLOCK_INIT;	/* every task's signal state, see signal.h */

unsigned long signal_lock(void)
{
	return spin_lock_irqsave(&sig_lock);
}

void signal_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&sig_lock, flags);
}

void signal_exit(struct task *t)
{
	struct sig_gone g = { 0 };
	unsigned long flags = spin_lock_irqsave(&itimer_lock);

	itimer_disarm(t);
	spin_unlock_irqrestore(&itimer_lock, flags);
	flags = signal_lock();
	sighand_put(t->sig.hand);
	t->sig.hand = NULL;
	flush_locked(t, t->sig.pending, &g);
	signal_unlock(flags);
	gone_release(&g);
}

/* --- sending --------------------------------------------------------------------- */

static void stop_changed(struct task *t, int sig);

static const struct k_sigaction *action_of(struct task *t, int sig)
{
	static const struct k_sigaction dfl;

	return t->sig.hand ? &t->sig.hand->action[sig - 1] : &dfl;
}

bool signal_ignored(struct task *t, int sig)
{
	uint64_t h = action_of(t, sig)->handler;

	if (h == SIG_IGN)
		return true;
	return h == SIG_DFL && (default_action(sig) == SD_IGN || default_action(sig) == SD_CONT);
}

bool signal_pending(struct task *t)
{
	return t->killed || (t->sig.pending & ~t->sig.blocked);
}

/* A fatal signal no handler will see: the whole process dies (threads too, later). */
static bool fatal_now(struct task *t, int sig)
{
	if (sig == SIGKILL)
		return true;
	if ((t->sig.blocked & sigmask(sig)) || action_of(t, sig)->handler != SIG_DFL)
		return false;
	enum sig_default d = default_action(sig);
	return d == SD_TERM || d == SD_CORE;
}

/* One send: what it brings (a queue entry) and takes away, and its outcome. */
struct sending {
	struct sigqueue *spare;	/* for a real-time signal, allocated before the lock */
	struct sig_gone gone;
	int err;		/* -EAGAIN: a real-time signal past RLIMIT_SIGPENDING */
	bool continued;		/* a stopped target was continued (for stop_changed) */
};

static void sending_start(struct sending *sd, int sig)
{
	*sd = (struct sending){ 0 };
	if (sig >= SIGRTMIN)
		sd->spare = kmem_cache_alloc(sigqueue_cache);
}

/* After the locks: frees what the send did not use or took away. */
static int sending_end(struct sending *sd)
{
	if (sd->spare)
		kmem_cache_free(sigqueue_cache, sd->spare);
	gone_release(&sd->gone);
	return sd->err;
}

/*
 * Adds an instance of @info->signo to @t's pending set, counted for
 * RLIMIT_SIGPENDING if it fits (Linux's __send_signal_locked). Lock held.
 */
static void enqueue_locked(struct task *t, const struct ksiginfo *info, struct sending *sd)
{
	struct task_signals *s = &t->sig;
	int sig = info->signo;
	sigset_t m = sigmask(sig);
	struct user_count *u;
	/* Linux lets kill() and the kernel's standard signals pass the limit. */
	bool force = sig < SIGRTMIN && info->code >= 0;
	bool counted = (sig < SIGRTMIN || sd->spare) && sigpending_charge(t, force, &u);

	if (counted && sig < SIGRTMIN) {
		s->std[sig - 1].info = *info;
		s->std[sig - 1].user = u;
		s->lost &= ~m;
	} else if (counted) {
		struct sigqueue *q = sd->spare, **ring = &s->rtq[sig - SIGRTMIN];
		sd->spare = NULL;
		q->info = *info;
		q->user = u;
		q->next = *ring ? (*ring)->next : q;
		if (*ring)
			(*ring)->next = q;
		*ring = q;
	} else if (sig >= SIGRTMIN && info->code != SI_USER) {
		sd->err = -EAGAIN;	/* sigqueue past the limit */
		return;
	} else if (sig < SIGRTMIN) {
		s->lost |= m;		/* sent, without its information */
	}
	s->pending |= m;
}

/* sig_lock held. */
static void send_locked(struct task *t, const struct ksiginfo *info, struct sending *sd)
{
	int sig = info->signo;
	sigset_t m = sigmask(sig);

	if (t->state == TASK_ZOMBIE || !t->sig.hand)
		goto out;		/* a zombie takes signals and ignores them */
	if (sig == SIGCONT) {
		flush_locked(t, SIG_STOPPING, &sd->gone);
		if (t->sig.stopped) {
			t->sig.stopped = false;
			task_wake_interruptible(t);
			sd->continued = true;
		}
	} else if (m & SIG_STOPPING) {
		flush_locked(t, sigmask(SIGCONT), &sd->gone);
	}
	if (!(t->sig.blocked & m) && signal_ignored(t, sig))
		goto out;
	if (fatal_now(t, sig)) {
		if (!t->killed) {
			t->killed = true;
			t->kill_signal = signal_exit_status(sig);
		}
		t->sig.stopped = false;
		task_wake_interruptible(t);
		goto out;
	}
	if ((t->sig.pending & m) && sig < SIGRTMIN)
		goto out;		/* standard signals do not queue */
	enqueue_locked(t, info, sd);
	if (sd->err)
		goto out;
	if ((!(t->sig.blocked & m) || (t->sig.waiting & m)) && !t->sig.stopped)
		task_wake_interruptible(t);
out:
	return;
}

int signal_send(struct task *t, const struct ksiginfo *info)
{
	struct sending sd;

	sending_start(&sd, info->signo);
	unsigned long flags = signal_lock();
	send_locked(t, info, &sd);
	signal_unlock(flags);
	if (sd.continued)
		stop_changed(t, SIGCONT);
	return sending_end(&sd);
}

/*
 * The thread a process-directed signal goes to: @t if it can take it now,
 * else another live thread that does not block it, else a live thread to
 * hold it pending (Linux keeps a process-wide pending set instead; here the
 * signal waits on that thread until it unblocks it).
 */
static struct task *pick_thread(struct task *t, int sig)
{
	struct thread_group *g = t->group;
	struct task *alive = t->state != TASK_ZOMBIE ? t : NULL;

	if (!g || (alive && !(t->sig.blocked & sigmask(sig))))
		return t;
	list_for_each(n, &g->threads) {
		struct task *o = list_entry(n, struct task, thread_node);
		if (o->state == TASK_ZOMBIE || !o->sig.hand)
			continue;
		if (!(o->sig.blocked & sigmask(sig)))
			return o;
		if (!alive)
			alive = o;
	}
	return alive ? alive : t;
}

/*
 * SIGCHLD to @t's process, with tasklist_lock held (the exit path's): a
 * standard signal that is never SIGCONT, so nothing is allocated or freed.
 */
static void send_process_locked(struct task *t, const struct ksiginfo *info)
{
	struct sending sd = { 0 };
	unsigned long flags = signal_lock();

	send_locked(pick_thread(t, info->signo), info, &sd);
	signal_unlock(flags);
}

int signal_send_process(struct task *t, const struct ksiginfo *info)
{
	struct sending sd;

	sending_start(&sd, info->signo);
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	/* SIGCONT continues the target; its report to the parent comes after. */
	unsigned long sf = signal_lock();
	struct task *to = pick_thread(t, info->signo);
	send_locked(to, info, &sd);
	signal_unlock(sf);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	if (sd.continued)
		stop_changed(to, SIGCONT);
	return sending_end(&sd);
}

int signal_queue(struct task *t, const struct ksiginfo *info, bool thread)
{
	return thread ? signal_send(t, info) : signal_send_process(t, info);
}

int signal_send_simple(struct task *t, int sig, int code)
{
	struct task *self = current();
	struct ksiginfo info = { .signo = sig, .code = code };

	if (code != SI_KERNEL) {
		info.pid = self->tgid;	/* si_pid names the process */
		info.uid = self->group ? self->group->cred.uid : 0;
	}
	return code == SI_USER ? signal_send_process(t, &info) : signal_send(t, &info);
}

static bool force_fault_info(const struct ksiginfo *fault)
{
	struct task *t = current();
	struct ksiginfo info = *fault;
	int sig = info.signo;
	unsigned long flags = signal_lock();
	struct k_sigaction *ka = &t->sig.hand->action[sig - 1];
	struct sigqueue *q = &t->sig.std[sig - 1];

	/* Blocked or ignored, it would come back at once: take the default. */
	if (ka->handler == SIG_IGN || (t->sig.blocked & sigmask(sig))) {
		ka->handler = SIG_DFL;
		t->sig.blocked &= ~sigmask(sig);
	}
	if (!(t->sig.pending & sigmask(sig)))
		sigpending_charge(t, true, &q->user);
	t->sig.pending |= sigmask(sig);
	t->sig.lost &= ~sigmask(sig);
	q->info = info;			/* this fault's details win over a kill's */
	bool handled = ka->handler != SIG_DFL;
	signal_unlock(flags);
	return handled;
}

bool force_sig_fault(int sig, int code, uint64_t addr, unsigned trapno, uint64_t error)
{
	struct ksiginfo info = { .signo = sig, .code = code, .addr = addr,
				 .trapno = (uint16_t)trapno, .error = (uint32_t)error };

	return force_fault_info(&info);
}

bool force_sig_pkuerr(uint64_t addr, uint32_t pkey, unsigned trapno, uint64_t error)
{
	struct ksiginfo info = { .signo = SIGSEGV, .code = SEGV_PKUERR, .addr = addr, .pkey = pkey,
				 .trapno = (uint16_t)trapno, .error = (uint32_t)error };

	return force_fault_info(&info);
}

/* The frame could not be written: SIGSEGV, by default if that was SIGSEGV. */
static void force_sigsegv(struct task *t, int sig)
{
	unsigned long flags = signal_lock();

	if (sig == SIGSEGV)
		t->sig.hand->action[SIGSEGV - 1].handler = SIG_DFL;
	signal_unlock(flags);
	force_sig_fault(SIGSEGV, SI_KERNEL, 0, 0, 0);
}

void signal_notify_parent(struct task *child, int status_word)
{
	struct task *p = child->parent;
	struct ksiginfo info = { .signo = SIGCHLD, .pid = child->pid };

	if (!p || !p->sig.hand)
		return;
	if (status_word & 0x7f) {
		info.code = (status_word & 0x80) ? CLD_DUMPED : CLD_KILLED;
		info.status = status_word & 0x7f;
	} else {
		info.code = CLD_EXITED;
		info.status = (status_word >> 8) & 0xff;
	}
	send_process_locked(p, &info);	/* the exit path holds tasklist_lock */
}

#define WUNTRACED	2
#define WCONTINUED	8

static struct task *leader_of(struct task *t)
{
	return t->group ? t->group->leader : t;
}

/*
 * @t stopped (@sig a stop signal) or continued (SIGCONT): record it for the
 * parent's wait4 and send it SIGCHLD (unless SA_NOCLDSTOP). Interrupts off.
 */
static void stop_changed(struct task *t, int sig)
{
	struct task *l = leader_of(t), *p = l->parent;
	struct ksiginfo info = { .signo = SIGCHLD, .pid = l->pid, .status = sig,
				 .code = sig == SIGCONT ? CLD_CONTINUED : CLD_STOPPED };

	unsigned long flags = signal_lock();
	l->sig.stop_report = sig == SIGCONT ? 0 : (uint8_t)sig;
	l->sig.cont_report = sig == SIGCONT;
	bool tell = p && p->sig.hand && !(p->sig.hand->action[SIGCHLD - 1].flags & SA_NOCLDSTOP);
	signal_unlock(flags);
	if (!p)
		return;
	if (tell)
		signal_send_process(p, &info);
	wakeup(p);			/* a wait4 sleeping there */
}

int signal_take_stop_report(struct task *child, int options)
{
	struct task_signals *s = &child->sig;
	unsigned long flags = signal_lock();
	int status = 0;

	if ((options & WUNTRACED) && s->stop_report) {
		status = (s->stop_report << 8) | 0x7f;
		s->stop_report = 0;
	} else if ((options & WCONTINUED) && s->cont_report) {
		status = 0xffff;
		s->cont_report = false;
	}
	signal_unlock(flags);
	return status;
}

/* --- delivery -------------------------------------------------------------------- */

static int next_signal(sigset_t ready)
{
	sigset_t sync = ready & SIG_SYNCHRONOUS;

	return __builtin_ctzll(sync ? sync : ready) + 1;
}

int signal_dequeue(sigset_t set, struct ksiginfo *info)
{
	struct task *t = current();
	struct sig_gone g = { 0 };
	unsigned long flags = signal_lock();
	sigset_t ready = t->sig.pending & set;
	int sig = 0;

	if (ready) {
		sig = next_signal(ready);
		take_locked(t, sig, info, &g);
	}
	signal_unlock(flags);
	gone_release(&g);
	return sig;
}

/**
 * signal_wait_until() - block until @done(@t) holds, checked under the signal lock
 * @t: the current task
 * @wchan: what it waits for
 * @done: the condition, which a sender or SIGCONT makes true before waking @t
 *
 * The task is marked blocked before each check, so a wake-up between the
 * check and task_block() is not lost.
 */
void signal_wait_until(struct task *t, const void *wchan, bool (*done)(struct task *t))
{
	for (;;) {
		unsigned long flags = signal_lock();

		t->wchan = wchan;
		t->state = TASK_BLOCKED;
		bool ready = done(t);

		signal_unlock(flags);
		if (ready)
			break;
		task_block(0);
	}
	t->state = TASK_RUNNABLE;
	t->wchan = NULL;
}

/* A stopped task goes on when SIGCONT clears the stop, or when it is killed. */
static bool stop_over(struct task *t)
{
	return !t->sig.stopped || t->killed;
}

/* Default action stop: tell the parent, wait for SIGCONT or death. */
static void do_stop(struct task *t, int sig)
{
	unsigned long flags = signal_lock();

	t->sig.stopped = true;
	signal_unlock(flags);
	stop_changed(t, sig);
	signal_wait_until(t, &t->sig.stopped, stop_over);
	t->sig.stopped = false;
}

/* What an interrupted system call returns once a handler runs. */
static void syscall_interrupted(struct trap_frame *f, const struct k_sigaction *ka)
{
	long r;

	if (!arch_syscall_result(f, &r))
		return;
	switch (r) {
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		arch_syscall_finish(f, -EINTR);
		break;
	case -ERESTARTSYS:
		if (ka->flags & SA_RESTART)
			arch_syscall_restart(f);
		else
			arch_syscall_finish(f, -EINTR);
		break;
	case -ERESTARTNOINTR:
		arch_syscall_restart(f);
		break;
	}
}

/* @ka: the handler as it was when @sig was taken (the table may change meanwhile). */
static void run_handler(struct task *t, struct trap_frame *f, int sig, const struct ksiginfo *info,
			const struct k_sigaction *ka)
{
	sigset_t oldmask = t->sig.restore_mask ? t->sig.saved_mask : t->sig.blocked;

	syscall_interrupted(f, ka);
	/*
	 * The frame goes to the user's stack, which may be swapped out to a
	 * disk. No lock is held here (only the way back to user mode turned
	 * interrupts off), so it is written with interrupts on: a fault on it
	 * sleeps for the disk, as a system call's copy does, instead of
	 * polling the disk with the CPU shut to every other task.
	 */
	sti();
	int err = arch_signal_setup_frame(f, ka, info, oldmask, &t->sig);
	cli();
	if (err) {
		force_sigsegv(t, sig);
		return;
	}
	unsigned long flags = signal_lock();
	t->sig.restore_mask = false;
	if (t->sig.ss_flags & SS_AUTODISARM) {
		t->sig.ss_sp = t->sig.ss_size = 0;
		t->sig.ss_flags = SS_DISABLE;
	}
	t->sig.blocked |= ka->mask;
	if (!(ka->flags & SA_NODEFER))
		t->sig.blocked |= sigmask(sig);
	t->sig.blocked &= ~SIG_UNBLOCKABLE;
	if (ka->flags & SA_RESETHAND)
		t->sig.hand->action[sig - 1].handler = SIG_DFL;
	signal_unlock(flags);
}

/**
 * signal_deliver() - act on the pending, unblocked signals of the current task
 * @f: its user state, which a handler's frame redirects
 *
 * Called with interrupts off on every return to user mode that has work;
 * a handler's frame is written with them on (run_handler()), and they are
 * off again on return. Returns only if the task goes on running; a fatal
 * signal ends it here.
 */
void signal_deliver(struct trap_frame *f)
{
	struct task *t = current();
	sigset_t ready;

	for (;;) {
		struct sig_gone g = { 0 };
		unsigned long flags = signal_lock();
		if (t->killed || !(ready = t->sig.pending & ~t->sig.blocked)) {
			signal_unlock(flags);
			break;
		}
		int sig = next_signal(ready);
		struct ksiginfo info;
		struct k_sigaction ka = *action_of(t, sig);

		take_locked(t, sig, &info, &g);
		signal_unlock(flags);
		gone_release(&g);
		if (ka.handler == SIG_IGN)
			continue;
		if (ka.handler != SIG_DFL) {
			run_handler(t, f, sig, &info, &ka);
			continue;
		}
		switch (default_action(sig)) {
		case SD_IGN:
		case SD_CONT:
			break;
		case SD_STOP:
			do_stop(t, sig);
			break;
		case SD_TERM:
		case SD_CORE:
			t->killed = true;
			t->kill_signal = signal_exit_status(sig);
			break;
		}
	}
	if (t->killed)
		return;		/* user_return_work ends the process */
	/* No handler ran: interrupted calls start again (sigsuspend's mask ends). */
	long r;
	if (arch_syscall_result(f, &r)) {
		if (r == -ERESTARTNOHAND || r == -ERESTARTSYS || r == -ERESTARTNOINTR)
			arch_syscall_restart(f);
		else if (r == -ERESTART_RESTARTBLOCK)
			arch_syscall_restart_block(f);	/* restart_syscall goes on with it */
	}
	unsigned long flags = signal_lock();
	if (t->sig.restore_mask) {
		t->sig.restore_mask = false;
		t->sig.blocked = t->sig.saved_mask;
	}
	signal_unlock(flags);
}

/* --- the alternate stack ----------------------------------------------------------- */

/**
 * do_sigaltstack() - sigaltstack() for the current task
 * @ss: the new stack, or NULL
 * @old: set to the stack before, or NULL
 * @sp: the task's user stack pointer now
 *
 * Return: 0, -EPERM while running on the alternate stack, -EINVAL for bad
 * flags, -ENOMEM for a stack under MINSIGSTKSZ.
 */
int do_sigaltstack(const struct kstack *ss, struct kstack *old, uint64_t sp)
{
	struct task_signals *s = &current()->sig;

	if (old) {
		old->sp = s->ss_sp;
		old->size = s->ss_size;
		old->flags = sas_ss_flags(s, sp) | (s->ss_flags & SS_AUTODISARM);
	}
	if (!ss)
		return 0;
	if (on_sig_stack(s, sp))
		return -EPERM;
	uint32_t mode = ss->flags & ~SS_AUTODISARM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		s->ss_sp = s->ss_size = 0;
		s->ss_flags = SS_DISABLE;
		return 0;
	}
	if (ss->size < MINSIGSTKSZ)
		return -ENOMEM;
	s->ss_sp = ss->sp;
	s->ss_size = ss->size;
	s->ss_flags = ss->flags;
	return 0;
}

/* --- ITIMER_REAL --------------------------------------------------------------------- */

/*
 * Armed timers, soonest first: the tick looks at the head only. The list
 * lock nests outside the scheduler's (the tick sends signals holding it).
 */
static struct task *itimer_head;

static void itimer_disarm(struct task *t)
{
	for (struct task **pp = &itimer_head; *pp; pp = &(*pp)->sig.itimer_next)
		if (*pp == t) {
			*pp = t->sig.itimer_next;
			break;
		}
	t->sig.itimer_next = NULL;
	t->sig.itimer_expires_ns = 0;
}

static void itimer_insert(struct task *t)
{
	struct task **pp = &itimer_head;

	while (*pp && (*pp)->sig.itimer_expires_ns <= t->sig.itimer_expires_ns)
		pp = &(*pp)->sig.itimer_next;
	t->sig.itimer_next = *pp;
	*pp = t;
}

/**
 * itimer_set() - arm (or with @value_ns 0, disarm) the current task's ITIMER_REAL
 * @value_ns: time to the first expiry
 * @interval_ns: period after it, 0 for one shot
 * @old_value_ns: set to the time that was left; @old_interval_ns likewise
 */
void itimer_set(uint64_t value_ns, uint64_t interval_ns, uint64_t *old_value_ns,
		uint64_t *old_interval_ns)
{
	struct task *t = current();
	unsigned long flags = spin_lock_irqsave(&itimer_lock);
	uint64_t now = time_ns();

	itimer_get(old_value_ns, old_interval_ns);
	itimer_disarm(t);
	if (value_ns) {
		t->sig.itimer_expires_ns = now + value_ns;
		t->sig.itimer_interval_ns = interval_ns;
		itimer_insert(t);
	}
	spin_unlock_irqrestore(&itimer_lock, flags);
}

void itimer_get(uint64_t *value_ns, uint64_t *interval_ns)
{
	struct task *t = current();
	uint64_t now = time_ns(), exp = t->sig.itimer_expires_ns;

	*value_ns = exp ? (exp > now ? exp - now : 1) : 0;
	*interval_ns = exp ? t->sig.itimer_interval_ns : 0;
}

void itimer_tick(void)
{
	uint64_t now = time_ns();

	if (!__atomic_load_n(&itimer_head, __ATOMIC_RELAXED))
		return;		/* the common case, without the lock */
	unsigned long flags = spin_lock_irqsave(&itimer_lock);
	while (itimer_head && itimer_head->sig.itimer_expires_ns <= now) {
		struct task *t = itimer_head;
		struct ksiginfo info = { .signo = SIGALRM, .code = SI_KERNEL };
		uint64_t period = t->sig.itimer_interval_ns;
		uint64_t next = t->sig.itimer_expires_ns;

		itimer_disarm(t);
		signal_send(t, &info);	/* the thread that armed it (tasklist_lock nests outside) */
		if (period) {
			next += period;
			if (next <= now)	/* missed periods merge into this one */
				next += ((now - next) / period + 1) * period;
			t->sig.itimer_expires_ns = next;
			t->sig.itimer_interval_ns = period;
			itimer_insert(t);
		}
	}
	spin_unlock_irqrestore(&itimer_lock, flags);
}
