/*
 * t_poll: poll and ppoll as Linux 6.1 answers them for the descriptors
 * both kernels have (RAM/tmpfs files, pidfds, standard output):
 * - errors: nfds above RLIMIT_NOFILE EINVAL, an unreadable array EFAULT;
 *   ppoll's timespec (EFAULT, then EINVAL out of range) before its mask
 *   size (EINVAL);
 * - a negative descriptor is skipped (revents 0), a closed one POLLNVAL;
 *   a regular file is ready for what is asked (POLLIN, POLLOUT and their
 *   NORM twins), nothing when nothing is asked;
 * - a pidfd is POLLIN | POLLRDNORM once its process has exited (a zombie
 *   or reaped), not while any thread of it lives (its leader gone), never
 *   POLLOUT; poll sleeps until the exit wakes it, or the timeout (0, a few
 *   ms, -1);
 * - ppoll writes the time left back, keeps a zero one, puts the mask in
 *   force while it waits and back after (a signal it unblocks ends it with
 *   EINTR after its handler ran); poll ends with EINTR on a handled signal.
 * - stopped by SIGSTOP and continued by SIGCONT from another process, no
 *   handler running, poll goes on through restart_syscall with the time it
 *   had left (ERESTART_RESTARTBLOCK), ppoll with the timespec it wrote back
 *   at the stop (ERESTARTNOHAND; the time stopped is not counted); neither
 *   returns before its timeout; a child's exit (SIGCHLD,
 *   ignored by default) ends nothing; restart_syscall after a handler's
 *   rt_sigreturn (nothing to restart) is EINTR.
 */
#define _GNU_SOURCE
#include "util.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define NR_pidfd_open	434

static long pidfd_open(long pid, long flags)
{
	return syscall(NR_pidfd_open, pid, flags);
}

static long sys_poll(struct pollfd *p, long n, long ms)
{
#ifdef SYS_poll
	return syscall(SYS_poll, p, n, ms);
#else
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	return syscall(SYS_ppoll, p, n, ms < 0 ? NULL : &ts, NULL, 8);
#endif
}

/* ppoll with a 64-bit struct timespec: ppoll_time64 where time_t was once 32 bits (i386). */
static long sys_ppoll(struct pollfd *p, long n, struct timespec *ts, const sigset_t *mask,
		      long size)
{
#ifdef SYS_ppoll_time64
	return syscall(SYS_ppoll_time64, p, n, ts, mask, size);
#else
	return syscall(SYS_ppoll, p, n, ts, mask, size);
#endif
}

/* A child that sleeps @ms and exits 0. */
static pid_t child_after(int ms)
{
	pid_t c;

	fflush(stdout);
	c = fork();
	if (!c) {
		sleep_ms(ms);
		_exit(0);
	}
	return c;
}

static void errors(void)
{
	struct pollfd p[70];
	struct rlimit old, lim;
	struct timespec ts = { 0, 0 };
	sigset_t set;

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 70; i++)
		p[i].fd = -1;
	getrlimit(RLIMIT_NOFILE, &old);
	lim = old;
	lim.rlim_cur = 64;
	setrlimit(RLIMIT_NOFILE, &lim);
	ok_sys(sys_poll(p, 65, 0), EINVAL, "nfds 65 over RLIMIT_NOFILE 64: EINVAL");
	ok_eq(sys_poll(p, 64, 0), 0, "nfds 64: 0 ready");
	ok_sys(sys_ppoll(p, 65, &ts, NULL, 8), EINVAL, "ppoll: the same EINVAL");
	setrlimit(RLIMIT_NOFILE, &old);
	ok_sys(sys_poll((void *)8, 1, 0), EFAULT, "an unreadable array: EFAULT");
	ok_sys(sys_poll((void *)KERNEL_HALF, 1, 0), EFAULT, "an array in the kernel half: EFAULT");
	ok_eq(sys_poll(NULL, 0, 0), 0, "no entries, NULL: 0");
	ok_eq(sys_poll(NULL, 0, 20), 0, "no entries with a timeout: 0 after it");
	sigemptyset(&set);
	ok_sys(sys_ppoll(p, 1, (void *)8, &set, 8), EFAULT, "ppoll: an unreadable timespec: EFAULT");
	ts.tv_nsec = 1000000000;
	ok_sys(sys_ppoll(p, 1, &ts, &set, 8), EINVAL, "ppoll: tv_nsec 10^9: EINVAL");
	ok_sys(sys_ppoll(p, 1, &ts, &set, 4), EINVAL, "ppoll: the timespec before the mask size: EINVAL");
	ts.tv_nsec = 0;
	ts.tv_sec = -1;
	ok_sys(sys_ppoll(p, 1, &ts, &set, 8), EINVAL, "ppoll: tv_sec -1: EINVAL");
	ts.tv_sec = 0;
	ok_sys(sys_ppoll(p, 1, &ts, &set, 4), EINVAL, "ppoll: mask size 4: EINVAL");
	ok_sys(sys_ppoll(p, 1, &ts, (void *)8, 8), EFAULT, "ppoll: an unreadable mask: EFAULT");
	ok_eq(sys_ppoll(p, 1, &ts, NULL, 4), 0, "ppoll: no mask, its size not looked at: 0");
	ok_sys(sys_ppoll((void *)8, 1, &ts, NULL, 8), EFAULT, "ppoll: an unreadable array: EFAULT");
}

/* i386's first ppoll (309) takes a timespec of two 32-bit words, and writes the time left back so. */
static void ppoll_time32(void)
{
#ifdef SYS_ppoll_time64
	struct pollfd p = { -1, POLLIN, 0 };
	int32_t ts[2] = { 0, 1000000000 };

	ok_sys(syscall(SYS_ppoll, &p, 1, ts, NULL, 8), EINVAL, "ppoll (32-bit timespec): tv_nsec 10^9: EINVAL");
	ts[1] = 20000000;
	ok_eq(syscall(SYS_ppoll, &p, 1, ts, NULL, 8), 0, "ppoll (32-bit timespec): 20 ms, 0");
	ok(ts[0] == 0 && ts[1] == 0, "the time left written back as 32-bit words: 0");
#else
	tap_skip("ppoll with a 32-bit timespec", "i386 only");
#endif
}

static void files(void)
{
	char name[] = "/tmp/t_pollXXXXXX";
	int fd = (mkdir("/tmp", 01777), mkstemp(name)), closed = dup(fd);
	struct pollfd p[4];

	close(closed);
	p[0] = (struct pollfd){ fd, POLLIN | POLLOUT, 0x7777 };
	p[1] = (struct pollfd){ -1, POLLIN, 0x7777 };
	p[2] = (struct pollfd){ closed, POLLIN, 0x7777 };
	p[3] = (struct pollfd){ fd, 0, 0x7777 };
	ok_eq(sys_poll(p, 4, 1000), 2, "a file, a negative fd, a closed one, nothing asked: 2 ready");
	ok_eq(p[0].revents, POLLIN | POLLOUT, "the file: POLLIN | POLLOUT");
	ok_eq(p[1].revents, 0, "the negative descriptor: 0");
	ok_eq(p[2].revents, POLLNVAL, "the closed descriptor: POLLNVAL");
	ok_eq(p[3].revents, 0, "the file with nothing asked: 0");
	ok(p[0].fd == fd && p[0].events == (POLLIN | POLLOUT), "fd and events left as they were");
	p[0].events = POLLRDNORM | POLLWRNORM | POLLPRI;
	ok_eq(sys_poll(p, 1, 0), 1, "POLLRDNORM | POLLWRNORM | POLLPRI");
	ok_eq(p[0].revents, POLLRDNORM | POLLWRNORM, "the NORM bits, no POLLPRI");
	p[0] = (struct pollfd){ 1, POLLOUT, 0 };
	ok_eq(sys_poll(p, 1, 0), 1, "standard output: writable");
	ok_eq(p[0].revents & (POLLOUT | POLLERR | POLLNVAL), POLLOUT, "POLLOUT");
	close(fd);
	unlink(name);
}

static void pidfds(void)
{
	pid_t c = child_after(150);
	long fd = pidfd_open(c, 0);
	struct pollfd p = { (int)fd, POLLIN | POLLOUT, 0 };
	long long t0;
	long r;

	ok_eq(sys_poll(&p, 1, 0), 0, "a running child's pidfd: not ready");
	t0 = mono_ns();
	ok_eq(sys_poll(&p, 1, 30), 0, "with a 30 ms timeout: 0");
	ok(mono_ns() - t0 >= 25000000LL, "after the timeout");
	r = sys_poll(&p, 1, -1);
	ok_eq(r, 1, "poll without a timeout: the exit wakes it");
	ok_eq(p.revents, POLLIN, "POLLIN (not POLLOUT)");
	p.events = POLLRDNORM;
	ok_eq(sys_poll(&p, 1, -1), 1, "a zombie: ready");
	ok_eq(p.revents, POLLRDNORM, "POLLRDNORM asked: POLLRDNORM");
	p.events = POLLOUT;
	ok_eq(sys_poll(&p, 1, 0), 0, "only POLLOUT asked: nothing");
	waitpid(c, NULL, 0);
	p.events = POLLIN;
	ok_eq(sys_poll(&p, 1, 0), 1, "reaped: still POLLIN");
	ok_eq(p.revents, POLLIN, "POLLIN");
	close(fd);
}

static void *late_exit(void *arg)
{
	(void)arg;
	sleep_ms(200);
	return NULL;		/* the last thread out: the process ends */
}

/* The leader thread exits first; the pidfd is ready only when the other thread does. */
static void threads(void)
{
	pid_t c;
	long fd;
	struct pollfd p;

	fflush(stdout);
	c = fork();
	if (!c) {
		pthread_t th;

		pthread_create(&th, NULL, late_exit, NULL);
		syscall(SYS_exit, 0);	/* this thread only */
	}
	fd = pidfd_open(c, 0);
	p = (struct pollfd){ (int)fd, POLLIN, 0 };
	sleep_ms(50);
	ok_eq(sys_poll(&p, 1, 0), 0, "its leader thread gone, another alive: not ready");
	ok_eq(sys_poll(&p, 1, 5000), 1, "ready when the last thread exits");
	waitpid(c, NULL, 0);
	close(fd);
}

/* Several pidfds: poll returns when the first exits, counts each ready one. */
static void several(void)
{
	pid_t a = child_after(80), b = child_after(3000);
	long fa = pidfd_open(a, 0), fb = pidfd_open(b, 0);
	struct pollfd p[2] = { { (int)fa, POLLIN, 0 }, { (int)fb, POLLIN, 0 } };

	ok_eq(sys_poll(p, 2, -1), 1, "two children: the first exit ends poll, 1 ready");
	ok(p[0].revents == POLLIN && p[1].revents == 0, "the first one's entry");
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	ok_eq(sys_poll(p, 2, -1), 2, "the other killed and reaped: 2 ready");
	waitpid(a, NULL, 0);
	close(fa);
	close(fb);
}

static volatile int handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void timeouts_and_signals(void)
{
	pid_t c = child_after(5000);
	long fd = pidfd_open(c, 0);
	struct pollfd p = { (int)fd, POLLIN, 0 };
	struct timespec ts = { 0, 40000000 };
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	sigset_t none, usr1, now;
	long long t0 = mono_ns();

	ok_eq(sys_ppoll(&p, 1, &ts, NULL, 8), 0, "ppoll with 40 ms: 0");
	ok(mono_ns() - t0 >= 35000000LL, "after the timeout");
	ok(ts.tv_sec == 0 && ts.tv_nsec == 0, "the time left written back: 0");
	ts = (struct timespec){ 0, 0 };
	ok_eq(sys_ppoll(&p, 1, &ts, NULL, 8), 0, "a zero timespec: 0 at once");
	install_handler(SIGALRM, on_signal, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	ok_sys(sys_poll(&p, 1, -1), EINTR, "poll without a timeout, a handled SIGALRM: EINTR");
	ok_eq(handled, 1, "the handler ran");
	install_handler(SIGUSR1, on_signal, 0);
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	raise(SIGUSR1);
	ts = (struct timespec){ 5, 0 };
	ok_sys(sys_ppoll(&p, 1, &ts, &none, 8), EINTR, "ppoll's mask unblocks a pending SIGUSR1: EINTR");
	ok_eq(handled, 2, "its handler ran");
	ok(ts.tv_sec >= 4 && ts.tv_sec <= 5, "the time left written back");
	sigprocmask(SIG_BLOCK, NULL, &now);
	ok(sigismember(&now, SIGUSR1), "the old mask is back: SIGUSR1 blocked");
	kill(c, SIGKILL);
	ok_eq(sys_ppoll(&p, 1, NULL, &usr1, 8), 1, "ppoll with no timeout and a mask: the child's death ends it");
	sigprocmask(SIG_BLOCK, NULL, &now);
	ok(sigismember(&now, SIGUSR1), "the mask is as before");
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	waitpid(c, NULL, 0);
	close(fd);
}

#define MS	1000000LL

/*
 * A child that stops this process @stop_ms from now and continues it
 * @cont_ms from now, writing the time of the SIGCONT to *@cont_at.
 */
static pid_t stop_and_continue(int stop_ms, int cont_ms, volatile long long *cont_at)
{
	pid_t parent = getpid(), c;

	fflush(stdout);
	c = fork();
	if (!c) {
		sleep_ms(stop_ms);
		if (kill(parent, SIGSTOP))
			_exit(1);
		sleep_ms(cont_ms - stop_ms);
		*cont_at = mono_ns();
		_exit(kill(parent, SIGCONT) ? 1 : 0);
	}
	return c;
}

/* Reaps @c: true if it stopped and continued this process. */
static bool reaped_clean(pid_t c)
{
	int st;

	return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/*
 * poll (@use_ppoll: ppoll) of nothing for 600 ms, stopped from 50 ms to
 * 450 ms. poll's restart block keeps its deadline: the end comes at the
 * timeout (a restart with the whole timeout again would end 600 ms after
 * the SIGCONT). ppoll restarts itself with the timespec it wrote back when
 * the stop interrupted it, relative: ~550 ms after the SIGCONT on Linux.
 */
static void restart_after_stop(bool use_ppoll)
{
	const char *name = use_ppoll ? "ppoll" : "poll";
	volatile long long *cont_at = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct pollfd p = { -1, POLLIN, 0 };
	struct timespec ts = { 0, 600 * MS };
	long long t0 = mono_ns();
	pid_t c = stop_and_continue(50, 450, cont_at);
	long r = use_ppoll ? sys_ppoll(&p, 1, &ts, NULL, 8) : sys_poll(&p, 1, 600);
	long long end = mono_ns();

	ok(reaped_clean(c), "%s: a child stopped and continued it", name);
	ok_eq(r, 0, "%s stopped and continued: 0 at the timeout, no EINTR", name);
	ok(end - t0 >= 590 * MS, "%s: not before its timeout", name);
	long long after = end - *cont_at;
	/* ppoll: ~550 ms, what was left at the stop; poll: ~150 ms */
	bool good = use_ppoll ? after >= 300 * MS && after < 900 * MS : after < 400 * MS;
	ok(good, "%s", use_ppoll ? "ppoll: restarted with the timespec left at the stop" :
	   "poll: only the time left after the SIGCONT, not the whole timeout again");
	if (!good)
		diag("%lld ms after the SIGCONT", after / MS);
	if (use_ppoll)
		ok(ts.tv_sec == 0 && ts.tv_nsec == 0, "ppoll: the time left written back: 0");
	munmap((void *)cont_at, PAGE);
}

static void restarts(void)
{
	struct pollfd p = { -1, POLLIN, 0 };
	long long t0;
	pid_t c;

	restart_after_stop(false);
	restart_after_stop(true);
	c = child_after(50);
	t0 = mono_ns();
	ok_eq(sys_poll(&p, 1, 300), 0, "poll while a child exits (SIGCHLD ignored by default): 0");
	ok(mono_ns() - t0 >= 290 * MS && mono_ns() - t0 < 600 * MS, "at its timeout");
	waitpid(c, NULL, 0);
	install_handler(SIGUSR1, on_signal, 0);
	raise(SIGUSR1);			/* its rt_sigreturn forgets any call to restart */
	ok_sys(syscall(SYS_restart_syscall), EINTR, "restart_syscall after a handler returned: EINTR");
}

int main(void)
{
	errors();
	ppoll_time32();
	files();
	pidfds();
	threads();
	several();
	timeouts_and_signals();
	restarts();
	return done_testing();
}
