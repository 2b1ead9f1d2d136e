/*
 * t_sigqueue: queued signals and RLIMIT_SIGPENDING, as Linux has them.
 *
 *   sigqueue (rt_sigqueueinfo) and rt_tgsigqueueinfo carry si_value to the
 *   receiver with si_code SI_QUEUE and the sender's pid and uid;
 *   each real-time signal sent is queued and delivered once, in the order
 *   sent, lowest signal first; a standard signal is pending once at most;
 *   every pending instance counts for the target's real user against
 *   RLIMIT_SIGPENDING: past it sigqueue of a real-time signal fails with
 *   EAGAIN, while kill() and a standard signal are still sent but without
 *   their information (si_code SI_USER, no sender); what a process had
 *   pending is given back when it is taken, ignored or the process ends;
 *   nobody may claim to be the kernel or kill() to another process (EPERM).
 *
 * The limit is checked as a user other than root (a child that setuid()s),
 * so that nothing else pending for that user counts.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include "util.h"

#define NOBODY 65534

static int queue(int sig, int value)
{
	union sigval v = { .sival_int = value };

	return sigqueue(getpid(), sig, v);
}

static void mask(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

/* Takes a pending signal of @s without waiting: the signal, or -1 (EAGAIN). */
static int take_set(const sigset_t *s, siginfo_t *si)
{
	struct timespec zero = { 0, 0 };

	memset(si, 0, sizeof(*si));
	return sigtimedwait(s, si, &zero);
}

static int take(int sig, siginfo_t *si)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	return take_set(&s, si);
}

/* Takes every pending @sig: how many; *@in_order: their values were first, first+1, ... */
static int drain(int sig, int first, int *in_order)
{
	siginfo_t si;
	int n = 0;

	*in_order = 1;
	while (take(sig, &si) == sig) {
		if (si.si_value.sival_int != first + n)
			*in_order = 0;
		n++;
	}
	return n;
}

static void value_delivered(void)
{
	int sig = SIGRTMIN;
	siginfo_t si;

	mask(SIG_BLOCK, sig);
	ok_eq(queue(sig, 42), 0, "sigqueue to itself");
	ok_eq(take(sig, &si), sig, "sigtimedwait takes it");
	ok_eq(si.si_code, SI_QUEUE, "si_code SI_QUEUE");
	ok_eq(si.si_value.sival_int, 42, "si_value as sent");
	ok(si.si_pid == getpid() && si.si_uid == getuid(), "si_pid and si_uid name the sender");
	ok_eq(kill(getpid(), sig), 0, "kill() of a real-time signal");
	ok_eq(take(sig, &si), sig, "taken");
	ok(si.si_code == SI_USER && si.si_pid == getpid(), "si_code SI_USER, si_pid the sender");
}

static void rt_queues(void)
{
	int sig = SIGRTMIN + 1, sent = 0, in_order;
	sigset_t p;

	mask(SIG_BLOCK, sig);
	for (int i = 1; i <= 5; i++)
		sent += queue(sig, i) == 0;
	ok_eq(sent, 5, "five sigqueue of one real-time signal");
	ok(sigpending(&p) == 0 && sigismember(&p, sig), "it is pending");
	ok_eq(drain(sig, 1, &in_order), 5, "five are taken: real-time signals queue");
	ok(in_order, "in the order sent");
	ok(sigpending(&p) == 0 && !sigismember(&p, sig), "then it is no longer pending");
}

static void standard_merges(void)
{
	int sent = 0, in_order;

	mask(SIG_BLOCK, SIGUSR1);
	for (int i = 1; i <= 3; i++)
		sent += queue(SIGUSR1, i) == 0;
	ok_eq(sent, 3, "three sigqueue of SIGUSR1 succeed");
	ok_eq(drain(SIGUSR1, 1, &in_order), 1, "one is taken: standard signals do not queue");
	ok(in_order, "the first one's value is kept");
}

static void lowest_first(void)
{
	int a = SIGRTMIN + 2, b = SIGRTMIN + 3, c = SIGRTMIN + 4;
	int want[5][2] = { { SIGUSR2, 0 }, { a, 1 }, { a, 2 }, { b, 3 }, { c, 4 } };
	int good = 1;
	sigset_t s;
	siginfo_t si;

	sigemptyset(&s);
	sigaddset(&s, a);
	sigaddset(&s, b);
	sigaddset(&s, c);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	queue(c, 4);
	queue(a, 1);
	queue(SIGUSR2, 0);
	queue(b, 3);
	queue(a, 2);
	for (int i = 0; i < 5; i++) {
		int sig = take_set(&s, &si);
		if (sig != want[i][0] || si.si_value.sival_int != want[i][1]) {
			diag("%d: signal %d value %d, want %d value %d", i, sig,
			     si.si_value.sival_int, want[i][0], want[i][1]);
			good = 0;
		}
	}
	ok(good, "lowest signal first, each signal's instances in the order sent");
	ok_eq(take_set(&s, &si), -1, "then nothing is pending");
}

static volatile int got[8], ngot;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (ngot < 8)
		got[ngot] = si->si_value.sival_int;
	ngot++;
}

static void handler_per_instance(void)
{
	int sig = SIGRTMIN + 5;

	ok_eq(install_handler(sig, on_rt, SA_SIGINFO), 0, "a SA_SIGINFO handler");
	mask(SIG_BLOCK, sig);
	for (int i = 7; i <= 9; i++)
		queue(sig, i);
	ok_eq(ngot, 0, "blocked: it has not run");
	mask(SIG_UNBLOCK, sig);
	ok_eq(ngot, 3, "unblocked: it runs once per queued instance");
	ok(got[0] == 7 && got[1] == 8 && got[2] == 9, "with each one's si_value, in order");
}

static long raw_queue(long pid, long sig, int code, int value, int tid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = (int)sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (tid)
		return syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si);
	return syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static void errors(void)
{
	int sig = SIGRTMIN + 6, tid = (int)syscall(SYS_gettid);
	pid_t gone = tap_fork();
	siginfo_t si;

	if (gone == 0)
		_exit(0);
	tap_wait(gone);
	mask(SIG_BLOCK, sig);
	mask(SIG_BLOCK, SIGUSR1);
	ok_sys(syscall(SYS_rt_sigqueueinfo, getpid(), sig, NULL), EFAULT, "rt_sigqueueinfo: NULL info: EFAULT");
	ok_sys(raw_queue(getppid(), SIGUSR1, SI_USER, 0, 0), EPERM,
	       "rt_sigqueueinfo claiming kill() to another process: EPERM");
	ok_sys(raw_queue(getppid(), SIGUSR1, SI_KERNEL, 0, 0), EPERM,
	       "claiming the kernel to another process: EPERM");
	ok_sys(raw_queue(getppid(), SIGUSR1, SI_TKILL, 0, 0), EPERM,
	       "claiming tkill() to another process: EPERM");
	ok_eq(raw_queue(getpid(), SIGUSR1, SI_KERNEL, 0, 0), 0, "claiming the kernel to itself is allowed");
	ok(take(SIGUSR1, &si) == SIGUSR1 && si.si_code == SI_KERNEL, "and arrives with that si_code");
	ok_sys(raw_queue(getpid(), 65, SI_QUEUE, 0, 0), EINVAL, "signal 65: EINVAL");
	ok_sys(raw_queue(gone, sig, SI_QUEUE, 0, 0), ESRCH, "a reaped pid: ESRCH");
	ok_sys(raw_queue(0, sig, SI_QUEUE, 0, 0), ESRCH, "pid 0: ESRCH");
	ok_eq(raw_queue(getpid(), 0, SI_QUEUE, 0, 0), 0, "signal 0: only checks");
	ok_eq(raw_queue(getpid(), sig, SI_QUEUE, 5, tid), 0, "rt_tgsigqueueinfo to this thread");
	ok(take(sig, &si) == sig && si.si_value.sival_int == 5 && si.si_code == SI_QUEUE,
	   "arrives with its value");
	ok_sys(raw_queue(getpid(), sig, SI_QUEUE, 0, -1), EINVAL,
	       "rt_tgsigqueueinfo: tid -1: EINVAL");
	ok_sys(raw_queue(gone, sig, SI_QUEUE, 0, tid), ESRCH, "a thread not of that process: ESRCH");
	ok_sys(raw_queue(getppid(), SIGUSR1, SI_TKILL, 0, getppid()), EPERM,
	       "claiming tkill() to another thread: EPERM");
}

static int set_limit(int res, rlim_t cur, rlim_t max)
{
	struct rlimit r = { cur, max };

	return setrlimit(res, &r);
}

/* A child of the same user queues @sig to itself until refused: how many it could. */
static int child_fits(int sig)
{
	pid_t pid = tap_fork();
	int n = 0;

	if (pid == 0) {
		mask(SIG_BLOCK, sig);
		while (n < 20 && queue(sig, n) == 0)
			n++;
		_exit(n);
	}
	int st = tap_wait(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void the_limit(void)
{
	int sig = SIGRTMIN + 7, other = SIGRTMIN + 8, third = SIGRTMIN + 9, n = 0, in_order;
	siginfo_t si;

	ok_eq(setuid(NOBODY), 0, "setuid(nobody): a user with nothing pending");
	ok_eq(set_limit(RLIMIT_SIGPENDING, 4, 4), 0, "RLIMIT_SIGPENDING 4");
	mask(SIG_BLOCK, sig);
	mask(SIG_BLOCK, other);
	mask(SIG_BLOCK, SIGUSR1);
	mask(SIG_BLOCK, SIGUSR2);
	while (n < 20 && queue(sig, n) == 0)
		n++;
	ok_eq(n, 4, "four instances queue");
	ok_sys(queue(sig, 99), EAGAIN, "the fifth sigqueue: EAGAIN");
	ok_sys(queue(other, 99), EAGAIN, "another real-time signal too");
	ok_eq(kill(getpid(), sig), 0, "kill() of a real-time signal past it is sent");
	ok_eq(kill(getpid(), other), 0, "kill() of another one too");
	ok_eq(take(other, &si), other, "that one is taken");
	ok(si.si_code == SI_USER && si.si_pid == 0, "without its information (SI_USER, no sender)");
	ok_eq(queue(SIGUSR1, 7), 0, "sigqueue() of a standard signal past it is sent");
	ok_eq(take(SIGUSR1, &si), SIGUSR1, "and taken");
	ok(si.si_code == SI_USER && si.si_pid == 0 && si.si_value.sival_int == 0,
	   "without its information");
	ok_eq(kill(getpid(), SIGUSR2), 0, "kill() of a standard signal past it");
	ok_eq(take(SIGUSR2, &si), SIGUSR2, "is taken");
	ok(si.si_code == SI_USER && si.si_pid == getpid(), "with its information (kill passes the limit)");
	ok_eq(drain(sig, 0, &in_order), 4, "the four queued are taken (the kill() past it merged in)");
	ok(in_order, "in order");
	ok_eq(queue(sig, 0), 0, "taken, they count no more");
	ok_eq(child_fits(other), 3, "a process of the same user fits three more");
	ok_eq(child_fits(other), 3, "its pending signals were given back at its exit");
	for (n = 1; n < 4; n++)
		queue(sig, n);
	ok_sys(queue(other, 0), EAGAIN, "at the limit again");
	ok_eq(install_handler(sig, (void *)SIG_IGN, 0), 0, "the queued signal ignored");
	ok_eq(queue(other, 5), 0, "its instances were discarded and count no more");
	ok_eq(take(other, &si), other, "taken");
	mask(SIG_UNBLOCK, third);
	ok_eq(install_handler(third, (void *)SIG_IGN, 0), 0, "an unblocked signal ignored");
	for (n = 0; n < 8 && queue(third, n) == 0; n++)
		;
	ok_eq(n, 8, "is dropped when sent: never queued nor counted");
	ok_eq(child_fits(other), 4, "nothing pending: the whole limit is free");
}

int main(void)
{
	value_delivered();
	rt_queues();
	standard_merges();
	lowest_first();
	handler_per_instance();
	errors();
	in_reporting_child(the_limit, "RLIMIT_SIGPENDING");
	return done_testing();
}
