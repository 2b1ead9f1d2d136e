/*
 * t_misc: the other system calls the tests rely on. getpid/getppid across
 * fork, uname, CLOCK_MONOTONIC never going back, nanosleep sleeping at least
 * as long as asked, getrandom, sched_yield, kill(SIGKILL) seen by wait,
 * exit codes, wait4.
 */
#include "util.h"

#include <fcntl.h>

#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>

struct ids {
	volatile pid_t pid, ppid, gc_pid, gc_ppid;
};

static void grandchild(void *arg)
{
	struct ids *ids = arg;

	ids->gc_pid = getpid();
	ids->gc_ppid = getppid();
	_exit(0);
}

static void child_ids(void *arg)
{
	struct ids *ids = arg;

	ids->pid = getpid();
	ids->ppid = getppid();
	_exit(expect_exited_with(run_in_child(grandchild, arg), 0) ? 0 : 1);
}

static void spin_forever(void *arg)
{
	volatile int *started = arg;

	*started = 1;
	for (;;)
		sched_yield();
}

static void exit_with(void *arg)
{
	exit((int)(intptr_t)arg);
}

int main(void)
{
	pid_t me = getpid();
	struct ids *ids = map_shared(PAGE);
	int st;

	if (!ok(ids != MAP_FAILED, "mmap a shared page"))
		return done_testing();

	/* pids */
	ok(me > 0 && getpid() == me, "getpid is positive and stable");
	ok(getppid() >= 0 && getppid() != me, "getppid differs from getpid");
	{
		pid_t pid = tap_fork();

		if (pid == 0)
			child_ids(ids);
		st = tap_wait(pid);
		ok_exited_with(st, 0, "a child and a grandchild report their ids");
		ok(ids->pid == pid, "the child's getpid is what fork returned");
		ok(ids->ppid == me, "the child's getppid is the parent's getpid");
		ok(ids->gc_ppid == ids->pid, "the grandchild's getppid is the child's getpid");
		ok(ids->gc_pid != ids->pid && ids->gc_pid != me, "the three pids differ");
	}

	/* uname */
	{
		struct utsname u;

		ok_eq(uname(&u), 0, "uname succeeds");
		ok(strcmp(u.sysname, "Linux") == 0, "uname sysname is \"Linux\"");
		/* Linux's 686-pae kernel says i686 */
		ok(strcmp(u.machine, ABI64 ? "x86_64" : "i686") == 0, "uname machine is the kernel's");
		ok(u.release[0] >= '0' && u.release[0] <= '9', "uname release starts with a digit");
	}

	/* clocks */
	{
		long long prev = mono_ns(), now;
		int back = 0;
		struct timespec ts, rt;

		for (int i = 0; i < 1000; i++) {
			now = mono_ns();
			if (now < prev)
				back++;
			prev = now;
		}
		ok_eq(back, 0, "CLOCK_MONOTONIC never goes back over 1000 reads");
		ok(clock_gettime(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L,
		   "CLOCK_MONOTONIC's tv_nsec is in [0, 1e9)");
		ok(clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000L,
		   "CLOCK_REALTIME works");
	}

	/* nanosleep */
	{
		struct timespec req = { 0, 10 * 1000000L }, rem = { 7, 7 };
		long long t0 = mono_ns(), dt;

		ok_eq(nanosleep(&req, &rem), 0, "nanosleep 10 ms returns 0");
		dt = mono_ns() - t0;
		if (!ok(dt >= 10 * 1000000LL, "it slept at least 10 ms on CLOCK_MONOTONIC"))
			diag("  slept %lld ns", dt);
		req.tv_nsec = 0;
		ok_eq(nanosleep(&req, NULL), 0, "nanosleep 0 returns 0");
	}

	/* getrandom */
	{
		unsigned char a[64], b[64];
		int zero = 1;

		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		ok_eq(getrandom(a, sizeof(a), 0), 64, "getrandom fills 64 bytes");
		for (size_t i = 0; i < sizeof(a); i++)
			if (a[i])
				zero = 0;
		ok(!zero, "they are not all zero");
		ok_eq(getrandom(b, sizeof(b), 0), 64, "getrandom again");
		ok(memcmp(a, b, sizeof(a)) != 0, "the two draws differ");
		ok_eq(getrandom(a, 0, 0), 0, "getrandom of 0 bytes returns 0");
	}

	/* sched_yield */
	ok_eq(sched_yield(), 0, "sched_yield returns 0");

	/* kill */
	{
		volatile int *started = (volatile int *)ids;
		pid_t pid;

		*started = 0;
		pid = tap_fork();
		if (pid == 0)
			spin_forever((void *)started);
		ok(wait_flag(started, 1), "a child spins");
		ok_eq(kill(pid, SIGKILL), 0, "kill(child, SIGKILL) returns 0");
		st = tap_wait(pid);
		ok_killed_by(st, SIGKILL, "wait sees the child killed by signal 9");
		ok(!WIFEXITED(st), "not as an exit");
		/* No kill of the reaped pid: on a busy host it could belong to another process. */
	}

	/* fcntl: descriptors and the close-on-exec flag, on the console */
	{
		int fd = fcntl(1, F_DUPFD_CLOEXEC, 10);

		ok(fd >= 10, "F_DUPFD_CLOEXEC gives a descriptor at or above 10");
		ok_eq(fcntl(fd, F_GETFD), FD_CLOEXEC, "and it is close-on-exec");
		ok_eq(fcntl(fd, F_SETFD, 0), 0, "F_SETFD clears the flag");
		ok_eq(fcntl(fd, F_GETFD), 0, "F_GETFD reads it back clear");
		ok_eq(write(fd, "", 0), 0, "the duplicate writes");
		ok_eq(close(fd), 0, "and closes");
		ok_sys(fcntl(fd, F_GETFD), EBADF, "a closed descriptor: EBADF");
	}

	/* exit codes and wait4 */
	ok_exited_with(run_in_child(exit_with, (void *)255), 255, "exit(255): status 255");
	ok_exited_with(run_in_child(exit_with, (void *)256), 0, "exit(256): status 0 (low 8 bits)");
	ok_exited_with(run_in_child(exit_with, (void *)0x1234), 0x34, "exit(0x1234): status 0x34");
	{
		pid_t pid = tap_fork();
		struct rusage ru;
		pid_t w;

		if (pid == 0)
			_exit(3);
		w = wait4(pid, &st, 0, &ru);
		ok(w == pid && expect_exited_with(st, 3), "wait4 with rusage returns the child and its status");
		ok_sys(wait4(pid, &st, 0, NULL), ECHILD, "wait4 of the same child again: ECHILD");
	}
	ok_sys(waitpid(-1, &st, 0), ECHILD, "no child is left: ECHILD");
	return done_testing();
}
