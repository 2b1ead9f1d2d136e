/*
 * t_signal: the signal system calls. Handlers (plain and SA_SIGINFO),
 * masks (sigprocmask, sa_mask, SA_NODEFER, SA_RESETHAND), pending and
 * sigsuspend, pause with alarm, setitimer/getitimer, default actions
 * (terminate, ignore), SIGCHLD with its siginfo, SIGCHLD ignored (no
 * zombies), EINTR and SA_RESTART for wait4 and nanosleep, sigaltstack,
 * what fork and execve keep, kill and tgkill errors, and Linux's errors
 * for bad arguments and bad pointers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "tap.h"
#include "util.h"

/* The raw call that takes the C library's struct timespec (64-bit time_t on i386 too). */
#if ABI64
#define SYS_SIGTIMEDWAIT SYS_rt_sigtimedwait
#else
#define SYS_SIGTIMEDWAIT SYS_rt_sigtimedwait_time64
#endif

static volatile int hits, last_sig, last_code, last_pid, last_status, nested, max_nested;
static volatile sigset_t mask_in_handler;

static void on_sig(int sig)
{
	sigset_t cur;

	hits++;
	last_sig = sig;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	mask_in_handler = cur;
}

static void on_info(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_status = si->si_status;
}

static void on_nested(int sig)
{
	hits++;
	nested++;
	if (nested > max_nested)
		max_nested = nested;
	if (hits < 3)
		raise(sig);
	nested--;
}

static void handler(int sig, void (*fn)(int), int flags)
{
	install_handler(sig, (void *)fn, flags);
}

static void info_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	install_handler(sig, (void *)fn, SA_SIGINFO | flags);
}

/* Waits (about 30 s at most) until sig is pending; returns 1 if it was seen. */
static int wait_pending(int sig)
{
	long long deadline = mono_ns() + 30LL * 1000000000LL;
	sigset_t p;

	for (;;) {
		sigpending(&p);
		if (sigismember(&p, sig))
			return 1;
		if (mono_ns() > deadline)
			return 0;
		sleep_ms(1);
	}
}

static void reset(void)
{
	hits = last_sig = last_code = last_pid = last_status = nested = max_nested = 0;
}

static void test_basics(void)
{
	struct sigaction sa, old;

	handler(SIGUSR1, on_sig, 0);
	reset();
	ok_eq(kill(getpid(), SIGUSR1), 0, "kill(self, SIGUSR1)");
	ok_eq(hits, 1, "the handler ran before kill returned");
	ok(sigismember((sigset_t *)&mask_in_handler, SIGUSR1),
	   "the signal is blocked while its handler runs");
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	ok(!sigismember(&now, SIGUSR1), "and unblocked again after it returns");

	info_handler(SIGUSR2, on_info, 0);
	reset();
	kill(getpid(), SIGUSR2);
	ok_eq(last_code, SI_USER, "SA_SIGINFO: si_code SI_USER from kill");
	ok_eq(last_pid, getpid(), "si_pid is the sender");
	reset();
	syscall(SYS_tgkill, getpid(), getpid(), SIGUSR2);
	ok_eq(last_code, SI_TKILL, "tgkill: si_code SI_TKILL");
	reset();
	raise(SIGUSR2);
	ok_eq(hits, 1, "raise() runs the handler");

	sigaction(SIGUSR2, NULL, &old);
	ok(old.sa_sigaction == on_info && (old.sa_flags & SA_SIGINFO),
	   "sigaction reports the installed handler and flags");

	/* sa_mask: blocked during the handler. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, NULL);
	reset();
	raise(SIGUSR1);
	ok(sigismember((sigset_t *)&mask_in_handler, SIGTERM), "sa_mask is blocked in the handler");

	/* SA_NODEFER: the handler can be entered again. */
	handler(SIGUSR1, on_nested, SA_NODEFER);
	reset();
	raise(SIGUSR1);
	ok_eq(max_nested, 3, "SA_NODEFER: raise in the handler nests at once");
	handler(SIGUSR1, on_nested, 0);
	reset();
	raise(SIGUSR1);
	ok_eq(max_nested, 1, "without SA_NODEFER: the raise waits until the handler returns");
	ok_eq(hits, 3, "... and then runs, three entries in all");

	/* SA_RESETHAND */
	handler(SIGUSR1, on_sig, SA_RESETHAND);
	reset();
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	ok(hits == 1 && old.sa_handler == SIG_DFL, "SA_RESETHAND: default action after one delivery");
	signal(SIGUSR2, SIG_DFL);
}

static void test_masks(void)
{
	sigset_t set, old, pend;

	handler(SIGUSR1, on_sig, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	reset();
	raise(SIGUSR1);
	raise(SIGUSR1);
	ok_eq(hits, 0, "a blocked signal waits");
	sigpending(&pend);
	ok(sigismember(&pend, SIGUSR1), "sigpending shows it");
	sigprocmask(SIG_SETMASK, &old, NULL);
	ok_eq(hits, 1, "unblocking delivers it, once: standard signals do not queue");
	sigpending(&pend);
	ok(!sigismember(&pend, SIGUSR1), "no longer pending");

	/* SIGKILL and SIGSTOP cannot be blocked. */
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, &old);
	sigset_t got;
	sigprocmask(SIG_SETMASK, &old, &got);
	ok(!sigismember(&got, SIGKILL) && !sigismember(&got, SIGSTOP) && sigismember(&got, SIGUSR1),
	   "a full mask leaves SIGKILL and SIGSTOP out");

	/* Ignoring a pending signal discards it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&pend);
	ok(!sigismember(&pend, SIGUSR1), "setting SIG_IGN discards the pending signal");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_DFL);

	/* sigsuspend: wait with another mask, restored after the handler. */
	handler(SIGUSR1, on_sig, 0);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	reset();
	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGUSR1);
	errno = 0;
	int r = sigsuspend(&wait_mask);
	ok(r == -1 && errno == EINTR, "sigsuspend returns EINTR after the handler");
	ok_eq(hits, 1, "the handler ran inside sigsuspend");
	sigprocmask(SIG_BLOCK, NULL, &got);
	ok(sigismember(&got, SIGUSR1), "the mask from before sigsuspend is back");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static void test_sigwait(void)
{
	sigset_t set, old;
	siginfo_t si;
	struct timespec ts = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR2);
	memset(&si, 0, sizeof(si));
	ok_eq(sigwaitinfo(&set, &si), SIGUSR2, "sigwaitinfo takes a pending blocked signal");
	ok(si.si_signo == SIGUSR2 && si.si_code == SI_USER && si.si_pid == getpid(),
	   "with its siginfo (SI_USER, si_pid)");
	sigset_t pend;
	sigpending(&pend);
	ok(!sigismember(&pend, SIGUSR2), "and it is no longer pending");
	ok_sys(sigtimedwait(&set, &si, &ts), EAGAIN, "zero timeout with nothing pending: EAGAIN");
	ts.tv_nsec = 20000000;
	long long t0 = mono_ns();
	ok_sys(sigtimedwait(&set, &si, &ts), EAGAIN, "20 ms timeout: EAGAIN");
	ok(mono_ns() - t0 >= 19000000, "after at least the timeout");

	pid_t parent = getpid(), pid = tap_fork();
	if (pid == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	int sig = 0;
	ok(sigwait(&set, &sig) == 0 && sig == SIGUSR1, "sigwait sleeps until another process sends one");
	tap_wait(pid);

	handler(SIGALRM, on_sig, 0);
	/* The timer repeats: a tick before the wait starts cannot leave it asleep. */
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	reset();
	setitimer(ITIMER_REAL, &it, NULL);
	/* Raw: musl's sigtimedwait retries on EINTR. */
	errno = 0;
	long w = syscall(SYS_SIGTIMEDWAIT, &set, &si, NULL, 8);
	int werr = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	ok(w == -1 && werr == EINTR, "a handled signal outside the set interrupts it: EINTR");
	ok(hits >= 1, "and its handler ran");
	signal(SIGALRM, SIG_DFL);

	ok_sys(syscall(SYS_SIGTIMEDWAIT, &set, NULL, NULL, 4), EINVAL, "rt_sigtimedwait size 4: EINVAL");
	ok_sys(syscall(SYS_SIGTIMEDWAIT, (void *)8, NULL, NULL, 8), EFAULT, "bad set pointer: EFAULT");
	ok_sys(syscall(SYS_SIGTIMEDWAIT, &set, NULL, (void *)8, 8), EFAULT, "bad timeout pointer: EFAULT");
	ts.tv_nsec = 1000000000;
	ok_sys(syscall(SYS_SIGTIMEDWAIT, &set, NULL, &ts, 8), EINVAL, "tv_nsec 1e9: EINVAL");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_timers(void)
{
	struct itimerval it, old;

	handler(SIGALRM, on_sig, 0);
	reset();
	ok_eq(alarm(1), 0, "alarm(1) with no alarm set returns 0");
	ok_eq(alarm(5), 1, "alarm(5) returns the second left");
	ok_eq(alarm(0), 5, "alarm(0) cancels, returns 5");

	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 20000;
	ok_eq(setitimer(ITIMER_REAL, &it, NULL), 0, "setitimer 20 ms");
	errno = 0;
	int r = pause();
	ok(r == -1 && errno == EINTR && hits == 1 && last_sig == SIGALRM,
	   "pause() ends with EINTR when SIGALRM's handler ran");
	getitimer(ITIMER_REAL, &old);
	ok(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0, "a one-shot timer is disarmed after");

	it.it_value.tv_usec = 10000;
	it.it_interval.tv_usec = 10000;
	setitimer(ITIMER_REAL, &it, NULL);
	reset();
	while (hits < 3)
		pause();
	getitimer(ITIMER_REAL, &old);
	ok(old.it_interval.tv_usec == 10000 && old.it_interval.tv_sec == 0,
	   "a periodic timer fires again and again, keeps its interval");
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, &old);
	ok(old.it_value.tv_sec == 0 && old.it_value.tv_usec <= 10000, "old value is under the period");
	getitimer(ITIMER_REAL, &old);
	ok(old.it_value.tv_usec == 0 && old.it_interval.tv_usec == 0, "disarmed by a zero value");

	it.it_value.tv_usec = 1000000;
	ok_sys(setitimer(ITIMER_REAL, &it, NULL), EINVAL, "setitimer tv_usec 1000000: EINVAL");
	ok_sys(setitimer(99, &it, NULL), EINVAL, "setitimer which 99: EINVAL");
	ok_sys(syscall(SYS_getitimer, ITIMER_REAL, (void *)8), EFAULT, "getitimer bad pointer: EFAULT");

	/* An alarm with the default action ends the process. */
	pid_t pid = tap_fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		struct itimerval t = { { 0, 0 }, { 0, 10000 } };
		setitimer(ITIMER_REAL, &t, NULL);
		for (;;)
			pause();
	}
	ok_killed_by(tap_wait(pid), SIGALRM, "SIGALRM's default action terminates");
	signal(SIGALRM, SIG_DFL);
}

static void test_defaults(void)
{
	static const int term[] = { SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM, SIGPIPE };
	static const int core[] = { SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGSYS };

	for (unsigned i = 0; i < sizeof(term) / sizeof(term[0]); i++) {
		pid_t pid = tap_fork();
		if (pid == 0) {
			kill(getpid(), term[i]);
			_exit(0);
		}
		ok_killed_by(tap_wait(pid), term[i], "default action of signal %d: terminate", term[i]);
	}
	for (unsigned i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
		pid_t pid = tap_fork();
		if (pid == 0) {
			kill(getpid(), core[i]);
			_exit(0);
		}
		int st = tap_wait(pid);
		ok_killed_by(st, core[i], "default action of signal %d: terminate (core)", core[i]);
	}
	pid_t pid = tap_fork();
	if (pid == 0) {
		raise(SIGURG);
		raise(SIGWINCH);
		raise(SIGCONT);
		signal(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		_exit(7);
	}
	ok_exited_with(tap_wait(pid), 7, "SIGURG, SIGWINCH, SIGCONT and an ignored SIGTERM do nothing");

	/* A signal to a sleeping child wakes and ends it. */
	pid = tap_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	sleep_ms(20);
	kill(pid, SIGTERM);
	ok_killed_by(tap_wait(pid), SIGTERM, "SIGTERM ends a child blocked in pause()");
	pid = tap_fork();
	if (pid == 0) {
		struct timespec ts = { 100, 0 };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	sleep_ms(20);
	kill(pid, SIGUSR1);
	ok_killed_by(tap_wait(pid), SIGUSR1, "SIGUSR1 ends a child in nanosleep(100 s)");
}

static int wait_hits(int n)
{
	long long end = mono_ns() + 2000000000LL;

	while (hits < n && mono_ns() < end)
		sched_yield();
	return hits;
}

/* SIGSTOP stops a child until SIGCONT; a stopped child still dies of SIGKILL. */
static void test_stop_cont(void)
{
	volatile long *counter = map_shared(PAGE);
	pid_t pid = tap_fork();

	if (pid == 0) {
		for (;;)
			(*counter)++;
	}
	while (*counter == 0)
		sched_yield();
	kill(pid, SIGSTOP);
	sleep_ms(50);
	long a = *counter;
	sleep_ms(50);
	long b = *counter;
	ok_eq(b, a, "SIGSTOP: the child does not run");
	kill(pid, SIGCONT);
	sleep_ms(50);
	ok(*counter != b, "SIGCONT: it runs again");
	kill(pid, SIGTSTP);
	kill(pid, SIGCONT);
	sleep_ms(20);
	a = *counter;
	sleep_ms(50);
	ok(*counter != a, "SIGTSTP then SIGCONT: running");
	/* What the parent sees: wait4 with WUNTRACED / WCONTINUED, SIGCHLD's codes. */
	int st = 0;
	info_handler(SIGCHLD, on_info, SA_RESTART);
	reset();
	kill(pid, SIGSTOP);
	pid_t r = waitpid(pid, &st, WUNTRACED);
	ok(r == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "waitpid WUNTRACED reports the stop");
	ok(last_sig == SIGCHLD && last_code == CLD_STOPPED && last_status == SIGSTOP,
	   "SIGCHLD with CLD_STOPPED and the stop signal");
	ok_eq(waitpid(pid, &st, WUNTRACED | WNOHANG), 0, "a stop is reported once");
	reset();
	kill(pid, SIGCONT);
	r = waitpid(pid, &st, WCONTINUED);
	ok(r == pid && WIFCONTINUED(st), "waitpid WCONTINUED reports the continue");
	wait_hits(1);		/* Linux sends it once the child runs again */
	ok(last_code == CLD_CONTINUED && last_status == SIGCONT, "SIGCHLD with CLD_CONTINUED");
	info_handler(SIGCHLD, on_info, SA_NOCLDSTOP);
	reset();
	kill(pid, SIGSTOP);
	r = waitpid(pid, &st, WUNTRACED);
	ok(r == pid && WIFSTOPPED(st) && hits == 0, "SA_NOCLDSTOP: no SIGCHLD for the stop");
	signal(SIGCHLD, SIG_DFL);
	kill(pid, SIGKILL);
	ok_killed_by(tap_wait(pid), SIGKILL, "a stopped child dies of SIGKILL");
	munmap((void *)counter, PAGE);
}

/* Threads: masks are per thread; a process-directed signal finds a thread that takes it. */
static volatile pid_t handler_tid, worker_tid;
static volatile int worker_inherited, worker_stop;

static void on_usr1_tid(int sig)
{
	(void)sig;
	handler_tid = (pid_t)syscall(SYS_gettid);
	hits++;
}

static void *worker(void *arg)
{
	sigset_t set, cur;

	(void)arg;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	worker_inherited = sigismember(&cur, SIGUSR1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	worker_tid = (pid_t)syscall(SYS_gettid);
	while (!worker_stop)
		sched_yield();
	return NULL;
}

static void test_threads(void)
{
	sigset_t set, old;
	pthread_t th;

	handler(SIGUSR1, on_usr1_tid, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	worker_tid = worker_stop = 0;
	if (!ok(pthread_create(&th, NULL, worker, NULL) == 0, "a second thread"))
		return;
	while (!worker_tid)
		sched_yield();
	ok(worker_inherited, "a new thread starts with its creator's mask");
	reset();
	kill(getpid(), SIGUSR1);
	ok_eq(wait_hits(1), 1, "kill: the handler runs once, with SIGUSR1 blocked in the main thread");
	ok(handler_tid == worker_tid, "... in the thread that does not block it");
	reset();
	pthread_kill(th, SIGUSR1);
	ok(wait_hits(1) == 1 && handler_tid == worker_tid, "pthread_kill: in the named thread");
	worker_stop = 1;
	pthread_join(th, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static void test_sigchld(void)
{
	info_handler(SIGCHLD, on_info, 0);
	reset();
	pid_t pid = tap_fork();
	if (pid == 0)
		_exit(42);
	int st = tap_wait(pid);
	ok(hits == 1 && last_sig == SIGCHLD, "SIGCHLD when a child exits");
	ok_eq(last_code, CLD_EXITED, "si_code CLD_EXITED");
	ok_eq(last_pid, pid, "si_pid is the child");
	ok_eq(last_status, 42, "si_status is its exit code");
	ok_exited_with(st, 42, "and wait4 still reports it");

	reset();
	pid = tap_fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(0);
	}
	tap_wait(pid);
	ok_eq(last_code, CLD_KILLED, "killed child: si_code CLD_KILLED");
	ok_eq(last_status, SIGTERM, "si_status is the signal");

	/* SIGCHLD ignored: children leave no zombie, wait4 finds none. */
	signal(SIGCHLD, SIG_IGN);
	pid = tap_fork();
	if (pid == 0)
		_exit(3);
	int status;
	errno = 0;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r == -1 && errno == EINTR);
	ok(r == -1 && errno == ECHILD, "SIGCHLD ignored: the child is reaped at once, wait gives ECHILD");
	signal(SIGCHLD, SIG_DFL);
}

static pid_t sleeper;

/* SIGALRM's handler for the SA_RESTART case: count it and end the child. */
static void on_alarm_end_sleeper(int sig)
{
	on_sig(sig);
	kill(sleeper, SIGTERM);
}

static void test_eintr_restart(void)
{
	/*
	 * wait4 without SA_RESTART: EINTR; with it: restarted. The child lives
	 * until it is killed, and the timer repeats, so neither case depends on
	 * how fast the machine is.
	 */
	handler(SIGALRM, on_sig, 0);
	pid_t pid = tap_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	struct itimerval every = { { 0, 30000 }, { 0, 30000 } }, off = { { 0, 0 }, { 0, 0 } };
	reset();
	setitimer(ITIMER_REAL, &every, NULL);
	int status;
	errno = 0;
	pid_t r = waitpid(pid, &status, 0);
	ok(r == -1 && errno == EINTR && hits >= 1, "wait4 interrupted by a handler: EINTR");
	sleeper = pid;
	handler(SIGALRM, on_alarm_end_sleeper, SA_RESTART);
	reset();
	r = waitpid(pid, &status, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	ok(r == pid && hits >= 1, "SA_RESTART: wait4 restarts after the handler and gets the child");
	handler(SIGALRM, on_sig, SA_RESTART);

	struct timespec ts = { 5, 0 }, rem = { 0, 0 };
	reset();
	setitimer(ITIMER_REAL, &every, NULL);
	errno = 0;
	int n = nanosleep(&ts, &rem);
	setitimer(ITIMER_REAL, &off, NULL);
	ok(n == -1 && errno == EINTR, "nanosleep interrupted by a handler: EINTR even with SA_RESTART");
	ok(rem.tv_sec >= 4 && rem.tv_sec <= 5, "the remaining time is reported");
	signal(SIGALRM, SIG_DFL);
}

static void test_altstack(void)
{
	stack_t ss, old;
	static char stk[16384];

	ok_eq(sigaltstack(NULL, &old), 0, "sigaltstack query");
	ok_eq(old.ss_flags, SS_DISABLE, "no alternate stack at first");
	ss.ss_sp = stk;
	ss.ss_size = 1024;
	ss.ss_flags = 0;
	ok_sys(sigaltstack(&ss, NULL), ENOMEM, "a stack under MINSIGSTKSZ: ENOMEM");
	ss.ss_size = sizeof(stk);
	ss.ss_flags = 7;
	ok_sys(sigaltstack(&ss, NULL), EINVAL, "bad flags: EINVAL");
	ss.ss_flags = 0;
	ok_eq(sigaltstack(&ss, NULL), 0, "set a 16 KiB alternate stack");
	sigaltstack(NULL, &old);
	ok(old.ss_sp == stk && old.ss_size == sizeof(stk) && old.ss_flags == 0,
	   "query gives it back, flags 0 while not on it");
	ok_sys(syscall(SYS_sigaltstack, (void *)8, NULL), EFAULT, "bad ss pointer: EFAULT");
	ok_sys(syscall(SYS_sigaltstack, NULL, (void *)8), EFAULT, "bad old pointer: EFAULT");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &old);
	ok_eq(old.ss_flags, SS_DISABLE, "SS_DISABLE removes it");
}

static void test_fork_exec(const char *self)
{
	sigset_t set, got;

	/* fork: handlers and mask inherited, pending not. */
	handler(SIGUSR1, on_sig, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, on_sig);
	raise(SIGUSR2);
	pid_t pid = tap_fork();
	if (pid == 0) {
		sigset_t p;
		sigpending(&p);
		sigprocmask(SIG_BLOCK, NULL, &got);
		hits = 0;
		raise(SIGUSR1);
		_exit((hits == 1 ? 0 : 1) | (sigismember(&got, SIGUSR2) ? 0 : 2) |
		      (sigismember(&p, SIGUSR2) ? 4 : 0));
	}
	ok_exited_with(tap_wait(pid), 0, "fork: handler and mask inherited, pending signal not");

	/* execve: caught -> default, ignored stays ignored, mask kept. */
	signal(SIGHUP, SIG_IGN);
	pid = tap_fork();
	if (pid == 0) {
		char *argv[] = { (char *)self, "exec-child", NULL };
		raise(SIGUSR2);		/* blocked: pending across execve */
		execve(self, argv, NULL);
		_exit(99);
	}
	ok_exited_with(tap_wait(pid), 0, "execve: caught signals reset, ignored kept, mask kept");
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);	/* the pending SIGUSR2 runs its handler */
	signal(SIGUSR2, SIG_DFL);
}

static int exec_child(void)
{
	struct sigaction a;
	sigset_t m;
	int bad = 0;

	sigaction(SIGUSR1, NULL, &a);
	bad |= a.sa_handler != SIG_DFL;
	sigaction(SIGHUP, NULL, &a);
	bad |= (a.sa_handler != SIG_IGN) << 1;
	sigprocmask(SIG_BLOCK, NULL, &m);
	bad |= !sigismember(&m, SIGUSR2) << 2;
	sigpending(&m);
	bad |= !sigismember(&m, SIGUSR2) << 3;	/* pending survives execve */
	return bad;
}

static void test_errors(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	ok_sys(syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 4), EINVAL, "rt_sigaction size 4: EINVAL");
	ok_sys(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL, "rt_sigaction signal 0: EINVAL");
	ok_sys(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL, "rt_sigaction signal 65: EINVAL");
	ok_sys(sigaction(SIGKILL, &sa, NULL), EINVAL, "catching SIGKILL: EINVAL");
	ok_sys(sigaction(SIGSTOP, &sa, NULL), EINVAL, "catching SIGSTOP: EINVAL");
	ok_eq(syscall(SYS_rt_sigaction, SIGKILL, NULL, &sa, 8), 0, "querying SIGKILL is fine");
	ok_sys(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8), EFAULT,
	       "rt_sigaction bad act pointer: EFAULT");
	ok_sys(syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)8, 8), EFAULT,
	       "rt_sigaction bad oldact pointer: EFAULT");
	ok_sys(syscall(SYS_rt_sigaction, SIGKILL, (void *)8, NULL, 8), EFAULT,
	       "rt_sigaction(SIGKILL) with a bad pointer: EFAULT first");
	ok_sys(syscall(SYS_rt_sigaction, SIGUSR1, (void *)KERNEL_HALF, NULL, 8), EFAULT,
	       "rt_sigaction kernel pointer: EFAULT");
	char *ro = map_anon(PAGE, PROT_READ);
	ok_sys(syscall(SYS_rt_sigaction, SIGUSR1, NULL, ro, 8), EFAULT,
	       "rt_sigaction oldact in a read-only page: EFAULT");

	sigset_t set;
	sigemptyset(&set);
	ok_sys(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL,
	       "rt_sigprocmask size 4: EINVAL");
	ok_sys(syscall(SYS_rt_sigprocmask, 3, &set, NULL, 8), EINVAL, "rt_sigprocmask how 3: EINVAL");
	ok_eq(syscall(SYS_rt_sigprocmask, 3, NULL, NULL, 8), 0, "how is not checked without a set");
	ok_sys(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8), EFAULT,
	       "rt_sigprocmask bad set pointer: EFAULT");
	ok_sys(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, (void *)8, 8), EFAULT,
	       "rt_sigprocmask bad oldset pointer: EFAULT");
	ok_sys(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, ro, 8), EFAULT,
	       "rt_sigprocmask oldset in a read-only page: EFAULT");
	ok_sys(syscall(SYS_rt_sigprocmask, 3, (void *)8, NULL, 8), EFAULT,
	       "rt_sigprocmask bad how and bad pointer: EFAULT first");
	ok_sys(syscall(SYS_rt_sigpending, &set, 16), EINVAL, "rt_sigpending size 16: EINVAL");
	ok_sys(syscall(SYS_rt_sigpending, (void *)8, 8), EFAULT, "rt_sigpending bad pointer: EFAULT");
	ok_sys(syscall(SYS_rt_sigsuspend, &set, 4), EINVAL, "rt_sigsuspend size 4: EINVAL");
	ok_sys(syscall(SYS_rt_sigsuspend, (void *)8, 8), EFAULT, "rt_sigsuspend bad pointer: EFAULT");
	munmap(ro, PAGE);

	ok_sys(kill(getpid(), 65), EINVAL, "kill signal 65: EINVAL");
	ok_eq(kill(getpid(), 0), 0, "kill signal 0 probes");
	ok_sys(kill(999999, SIGUSR1), ESRCH, "kill of no process: ESRCH");
	ok_sys(syscall(SYS_tgkill, 0, getpid(), SIGUSR1), EINVAL, "tgkill tgid 0: EINVAL");
	ok_sys(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1), ESRCH, "tgkill of no thread: ESRCH");
	ok_sys(syscall(SYS_tgkill, getpid(), getpid(), 65), EINVAL, "tgkill signal 65: EINVAL");

	/* A zombie for sure: its SIGCHLD, caught but blocked, is pending once it is one. */
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	info_handler(SIGCHLD, on_info, 0);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t pid = tap_fork();
	if (pid == 0)
		_exit(0);
	ok(wait_pending(SIGCHLD), "the exited child's SIGCHLD is pending (it is a zombie)");
	ok_eq(kill(pid, SIGUSR1), 0, "kill of a zombie succeeds (and does nothing)");
	ok_exited_with(tap_wait(pid), 0, "the zombie's status is its exit");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	test_basics();
	test_masks();
	test_sigwait();
	test_timers();
	test_defaults();
	test_stop_cont();
	test_threads();
	test_sigchld();
	test_eintr_restart();
	test_altstack();
	test_fork_exec(argv[0]);
	test_errors();
	return done_testing();
}
