/*
 * t_rlimit_cpu: CPU time and RLIMIT_CPU, as Linux counts and enforces them.
 *
 *   CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID advance while the
 *   process runs, not while it sleeps; a process's time is the sum of its
 *   threads'; a forked child starts from zero.
 *   RLIMIT_CPU: at the soft limit SIGXCPU (si_code SI_KERNEL) and the soft
 *   limit goes up a second, so SIGXCPU comes again each further second; at
 *   the hard limit SIGKILL; SIGXCPU unhandled ends the process.
 *
 * What is checked is what Linux guarantees whatever the host's load: the
 * order and number of the signals, their si_code, the raised soft limit,
 * and clocks compared with each other. Never is a CPU-time reading compared
 * with the limit: Linux checks RLIMIT_CPU against tick-sampled time, which
 * on a loaded (emulated) machine runs ahead of the precise CPU-time clock,
 * so its SIGXCPU can come before the clock reads a second. The readings go
 * to diag lines.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "util.h"

#define MS	1000000LL
#define SEC	1000000000LL

static long long cpu_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return -1;
	return ts.tv_sec * SEC + ts.tv_nsec;
}

/* Runs until this thread has used @ns more CPU time. */
static void burn(long long ns)
{
	long long end = cpu_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (cpu_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void spin_forever(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

/* What the SIGXCPU handler saw, in memory shared with the parent. */
struct report {
	volatile int count;
	volatile int code[4];
	volatile long long cpu[4];
	volatile long long soft[4];
};

static struct report *rep;

static void on_xcpu(int sig, siginfo_t *si, void *uc)
{
	struct rlimit rl;
	int i = rep->count;

	(void)sig;
	(void)uc;
	if (i < 4) {
		rep->code[i] = si->si_code;
		rep->cpu[i] = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
		rep->soft[i] = getrlimit(RLIMIT_CPU, &rl) ? -1 : (long long)rl.rlim_cur;
	}
	rep->count = i + 1;
}

static void limited(long long soft, long long hard, int handle)
{
	struct rlimit rl = { (rlim_t)soft, hard < 0 ? RLIM_INFINITY : (rlim_t)hard };

	if (handle && install_handler(SIGXCPU, on_xcpu, SA_SIGINFO))
		_exit(3);
	if (setrlimit(RLIMIT_CPU, &rl))
		_exit(4);
	spin_forever();
}

static void soft_and_hard(void)
{
	pid_t pid = tap_fork();
	int st;

	if (pid == 0)
		limited(1, 3, 1);
	st = tap_wait(pid);
	ok_killed_by(st, SIGKILL, "soft 1 s, hard 3 s: SIGKILL at the hard limit");
	ok_eq(rep->count, 2, "two SIGXCPUs (at the soft limit, then a second later) before the SIGKILL");
	for (int i = 0; i < 2 && i < rep->count; i++) {
		ok_eq(rep->code[i], SI_KERNEL, "SIGXCPU %d: si_code SI_KERNEL", i + 1);
		diag("SIGXCPU %d at %lld ms of CPU time", i + 1, rep->cpu[i] / MS);
		ok_eq(rep->soft[i], i + 2, "SIGXCPU %d: the soft limit went up a second", i + 1);
	}
	if (rep->count >= 2)
		ok(rep->cpu[0] > 0 && rep->cpu[1] > rep->cpu[0],
		   "the second SIGXCPU came after more CPU time than the first");
}

static void unhandled(void)
{
	pid_t pid = tap_fork();

	if (pid == 0)
		limited(1, -1, 0);
	ok_killed_by(tap_wait(pid), SIGXCPU, "soft 1 s, no handler: SIGXCPU ends the process");
}

static void *thread_burn(void *arg)
{
	(void)arg;
	burn(300 * MS);
	return NULL;
}

static void clocks(void)
{
	long long w0 = cpu_ns(CLOCK_MONOTONIC);
	long long p0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	struct timespec nap = { 0, 200 * MS };
	pthread_t th[2];
	long long p1, p2, w1;

	ok(p0 >= 0 && t0 >= 0, "CPU-time clocks readable");
	nanosleep(&nap, NULL);
	p1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	w1 = cpu_ns(CLOCK_MONOTONIC);
	/* Asleep for at least 200 ms of the wall-clock interval: the CPU
	 * clock misses (most of) them, however slowly the machine runs. */
	ok(p1 - p0 + 100 * MS < w1 - w0, "sleeping 200 ms costs (almost) no CPU time");
	diag("sleep: %lld ms of CPU time in %lld ms", (p1 - p0) / MS, (w1 - w0) / MS);
	burn(300 * MS);
	p2 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	ok(p2 - p1 >= 300 * MS, "300 ms of work: the process clock advances as much");
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, thread_burn, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ok(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - p2 >= 600 * MS,
	   "two threads of 300 ms each: the process clock counts both");
	ok(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0 < cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - p0,
	   "the main thread's clock leaves the other threads out");

	/* The parent has used at least 900 ms: a child that inherited it
	 * would read more than that. */
	long long parent = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	pid_t pid = tap_fork();
	if (pid == 0)
		_exit(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) < parent ? 0 : 1);
	ok_exited_with(tap_wait(pid), 0, "a forked child's CPU time starts from zero");
}

int main(void)
{
	rep = map_shared(PAGE);
	clocks();
	soft_and_hard();
	unhandled();
	return done_testing();
}
