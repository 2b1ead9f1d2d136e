/*
 * t_pidfd: pidfd_open and process_madvise as Linux 6.1 answers them.
 * - pidfd_open: flags other than PIDFD_NONBLOCK EINVAL (before the pid),
 *   pid <= 0 EINVAL, no such process ESRCH, a thread that is not a leader
 *   EINVAL; the descriptor is close-on-exec (gone after execve), O_RDWR
 *   (| O_NONBLOCK), an anonymous inode to fstat (mode 0600, size 0), read
 *   and write EINVAL, lseek and pread ESPIPE, mmap and fallocate ENODEV,
 *   fsync and ftruncate EINVAL, getdents64 ENOTDIR; a zombie child has one, a reaped one ESRCH;
 * - process_madvise: flags, then the vector (UIO_MAXIOV, EFAULT, negative
 *   length), then the descriptor (EBADF for a non-pidfd), then the advice
 *   (MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE only), then
 *   the process (ESRCH once it exited), then the rights (another user's
 *   process EACCES, its own EPERM without CAP_SYS_NICE); the bytes of the
 *   ranges advised before the first that fails (unmapped ENOMEM,
 *   unaligned EINVAL, locked EINVAL for MADV_COLD); a leading empty range
 *   is checked, later ones are not;
 * - a child's memory advised from its parent keeps its content; pidfds of
 *   children that exit and are reaped while advised, on every CPU, stay
 *   safe to use (ESRCH) and to close;
 * - pidfd_send_signal: flags, then the descriptor (EBADF), then the
 *   siginfo (EFAULT, si_signo other than sig EINVAL, a forged si_code to
 *   another process EPERM), then a reaped process ESRCH, then the signal
 *   number EINVAL, then the permission (EPERM as nobody); a zombie takes
 *   any signal; signals and sigqueue values arrive;
 * - pidfd_getfd: flags, EBADF, ESRCH reaped, EPERM as nobody for root's
 *   process, EBADF for a closed target descriptor or a zombie; the copy is
 *   close-on-exec and shares the open file (its offset);
 * - waitid: option and idtype errors, P_PIDFD EBADF, ECHILD for a process
 *   that is not a child or was reaped; it reaps that child only, with
 *   Linux's siginfo; WNOHANG, WNOWAIT; PIDFD_NONBLOCK: EAGAIN;
 * - a pidfd still names its process after a non-leader thread's execve;
 *   read() with a kernel-half buffer is EINVAL.
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define NR_pidfd_open		434
#define NR_process_madvise	440
#define NR_pidfd_send_signal	424
#define NR_pidfd_getfd		438
#define P_PIDFD_		3
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK		O_NONBLOCK
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#define MADV_PAGEOUT		21
#endif
#define MADV_COLLAPSE_		25
#define NOBODY			65534

static long pidfd_open(long pid, long flags)
{
	return syscall(NR_pidfd_open, pid, flags);
}

static long pmadv(long fd, const struct iovec *v, long n, long advice, long flags)
{
	return syscall(NR_process_madvise, fd, v, n, advice, flags);
}

static long psig(long fd, long sig, void *info, long flags)
{
	return syscall(NR_pidfd_send_signal, fd, sig, info, flags);
}

static long getfd(long pidfd, long fd, long flags)
{
	return syscall(NR_pidfd_getfd, pidfd, fd, flags);
}

static long waitid_(long which, long id, siginfo_t *si, long options)
{
	return syscall(SYS_waitid, which, id, si, options, NULL);
}

static char *self;

/* Runs @fn in a child that has become nobody: its wait status (exit code @fn's bits of failure). */
static int as_nobody_status(int (*fn)(void))
{
	pid_t c;
	int st;

	fflush(stdout);
	c = fork();
	if (!c)
		_exit(setuid(NOBODY) ? 99 : fn());
	waitpid(c, &st, 0);
	return st;
}

/* A pid no process has: a child's, reaped. */
static pid_t gone_pid(void)
{
	pid_t c = fork();

	if (!c)
		_exit(0);
	waitpid(c, NULL, 0);
	return c;
}

static volatile int thread_tid;

static void *sleeper(void *arg)
{
	(void)arg;
	thread_tid = syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static void open_args(void)
{
	pid_t none = gone_pid();
	pthread_t th;

	ok_sys(pidfd_open(getpid(), 1), EINVAL, "pidfd_open flags 1: EINVAL");
	ok_sys(pidfd_open(getpid(), O_CLOEXEC), EINVAL, "pidfd_open flags O_CLOEXEC: EINVAL");
	ok_sys(pidfd_open(0, 0), EINVAL, "pidfd_open pid 0: EINVAL");
	ok_sys(pidfd_open(-1, 0), EINVAL, "pidfd_open pid -1: EINVAL");
	ok_sys(pidfd_open(none, 0), ESRCH, "pidfd_open of a reaped child's pid: ESRCH");
	ok_sys(pidfd_open(none, 1), EINVAL, "bad flags are checked before the pid: EINVAL");
#if ABI64
	{
		long fd = pidfd_open(0x100000000L + getpid(), 0);
		ok(fd >= 0, "pidfd_open takes the pid as an int (upper half ignored)");
		close(fd);
	}
#endif
	if (!ok_eq(pthread_create(&th, NULL, sleeper, NULL), 0, "a thread"))
		return;
	while (!thread_tid)
		sched_yield();
	ok_sys(pidfd_open(thread_tid, 0), EINVAL, "pidfd_open of a thread that is not a leader: EINVAL");
}

static void file_ops(void)
{
	long fd = pidfd_open(getpid(), 0), nb = pidfd_open(getpid(), PIDFD_NONBLOCK);
	struct stat st;
	char buf[8];

	if (!ok(fd >= 0 && nb >= 0, "pidfd_open of itself, plain and PIDFD_NONBLOCK"))
		return;
	ok_eq(fcntl(fd, F_GETFD), FD_CLOEXEC, "it is close-on-exec");
	ok_eq(fcntl(fd, F_GETFL), O_RDWR, "open O_RDWR");
	ok_eq(fcntl(nb, F_GETFL), O_RDWR | O_NONBLOCK, "PIDFD_NONBLOCK: O_RDWR | O_NONBLOCK");
	ok_eq(fstat(fd, &st), 0, "fstat");
	ok_eq(st.st_mode, 0600, "an anonymous inode: mode 0600, no file type");
	ok(st.st_nlink == 1 && st.st_size == 0 && st.st_blocks == 0 && st.st_uid == 0,
	   "one link, size 0, no blocks, owned by root");
	ok_sys(read(fd, buf, sizeof(buf)), EINVAL, "read: EINVAL");
	ok_sys(write(fd, buf, sizeof(buf)), EINVAL, "write: EINVAL");
	ok_sys(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek: ESPIPE");
	ok_sys(pread(fd, buf, sizeof(buf), 0), ESPIPE, "pread: ESPIPE");
	ok(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENODEV,
	   "mmap: ENODEV");
	ok_sys(fsync(fd), EINVAL, "fsync: EINVAL");
	ok_sys(ftruncate(fd, 0), EINVAL, "ftruncate: EINVAL");
	ok_sys(fallocate(fd, 0, 0, PAGE), ENODEV, "fallocate: ENODEV");
	ok_sys(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR, "getdents64: ENOTDIR");
	ok_eq(close(nb), 0, "close");
	ok_sys(close(nb), EBADF, "closed: EBADF");
	close(fd);
}

/* The execve'd image: is descriptor @argv[2] closed? */
static int after_exec(char **argv)
{
	return fcntl(atoi(argv[2]), F_GETFD) == -1 && errno == EBADF ? 0 : 1;
}

static void close_on_exec(void)
{
	long fd = pidfd_open(getpid(), 0);
	char num[16];
	pid_t c;
	int st;

	snprintf(num, sizeof(num), "%ld", fd);
	fflush(stdout);
	c = fork();
	if (!c) {
		char *av[] = { self, "after-exec", num, NULL };
		execv(self, av);
		_exit(2);
	}
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "execve closed the pidfd");
	close(fd);
}

static void zombie_and_reaped(void)
{
	pid_t c = fork();
	long fd, fd2;

	if (!c) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(c, 0);
	ok(fd >= 0, "pidfd_open of a child");
	kill(c, SIGKILL);
	usleep(100000);
	fd2 = pidfd_open(c, 0);
	ok(fd2 >= 0, "pidfd_open of it as a zombie");
	waitpid(c, NULL, 0);
	ok_sys(pidfd_open(c, 0), ESRCH, "pidfd_open of it reaped: ESRCH");
	ok_eq(close(fd2), 0, "close its pidfd opened as a zombie");
	ok_eq(close(fd), 0, "close the one that outlived it");
}

static void madvise_order(void)
{
	long me = pidfd_open(getpid(), 0);
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	struct iovec v[2] = { { p, PAGE }, { p + PAGE, PAGE } };
	struct iovec *edge = (struct iovec *)(p + PAGE - sizeof(struct iovec));
	char accepted[128] = "";

	munmap(p + PAGE, PAGE);
	*edge = v[0];
	ok_sys(pmadv(me, v, 1, MADV_COLD, 1), EINVAL, "flags 1: EINVAL");
	ok_sys(pmadv(-1, v, 1, MADV_DONTNEED, 1), EINVAL, "flags come first: EINVAL with a bad fd and advice");
	ok_sys(pmadv(-1, v, 1025, MADV_COLD, 0), EINVAL, "vlen UIO_MAXIOV + 1: EINVAL before the fd");
	ok_sys(pmadv(-1, edge, 2, MADV_COLD, 0), EFAULT, "an iovec array running into a hole: EFAULT before the fd");
	ok_sys(pmadv(-1, (void *)8, 1, MADV_COLD, 0), EFAULT, "a bad iovec pointer: EFAULT");
	ok_sys(pmadv(-1, v, 1, MADV_DONTNEED, 0), EBADF, "a bad fd before the advice: EBADF");
	ok_sys(pmadv(1, v, 1, MADV_COLD, 0), EBADF, "an fd that is not a pidfd: EBADF");
	ok_sys(pmadv(me, v, 0, MADV_DONTNEED, 0), EINVAL, "MADV_DONTNEED with no ranges: EINVAL");
	ok_eq(pmadv(me, (void *)8, 0, MADV_COLD, 0), 0, "no ranges: 0, the pointer not read");
	for (int a = -1; a < 40; a++)
		if (pmadv(me, v, 0, a, 0) == 0)
			snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted), " %d", a);
	ok(strcmp(accepted, " 3 20 21 25") == 0,
	   "the advice accepted: MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_COLLAPSE");
	if (strcmp(accepted, " 3 20 21 25"))
		diag("accepted:%s", accepted);
	munmap(p, PAGE);
	close(me);
}

static void madvise_ranges(void)
{
	long me = pidfd_open(getpid(), 0);
	char *p = map_anon(10 * PAGE, PROT_READ | PROT_WRITE);
	struct iovec v[4];

	munmap(p + 8 * PAGE, 2 * PAGE);		/* a hole after the 8 pages */
	fill(p, 8 * PAGE, 7);
	v[0] = (struct iovec){ p, PAGE };
	v[1] = (struct iovec){ p + PAGE, 100 };
	v[2] = (struct iovec){ p + 8 * PAGE, PAGE };
	v[3] = (struct iovec){ p, PAGE };
	ok_eq(pmadv(me, v, 2, MADV_COLD, 0), PAGE + 100, "MADV_COLD of two ranges: their bytes");
	ok_eq(pmadv(me, v, 2, MADV_PAGEOUT, 0), PAGE + 100, "MADV_PAGEOUT: the same");
	ok_eq(pmadv(me, v, 2, MADV_WILLNEED, 0), PAGE + 100, "MADV_WILLNEED: the same");
	ok_eq(pmadv(me, v, 4, MADV_COLD, 0), PAGE + 100, "an unmapped third range: the first two's bytes");
	ok_sys(pmadv(me, v + 2, 2, MADV_COLD, 0), ENOMEM, "an unmapped first range: ENOMEM");
	v[2] = (struct iovec){ p + 6 * PAGE, 4 * PAGE };
	ok_eq(pmadv(me, v, 3, MADV_COLD, 0), PAGE + 100, "a third range half mapped: the first two's bytes");
	v[2] = (struct iovec){ p + 1, PAGE };
	ok_eq(pmadv(me, v, 3, MADV_COLD, 0), PAGE + 100, "an unaligned third range: the first two's bytes");
	ok_sys(pmadv(me, v + 2, 1, MADV_COLD, 0), EINVAL, "an unaligned first range: EINVAL");
	v[2] = (struct iovec){ p, (size_t)-1 };
	ok_sys(pmadv(me, v, 3, MADV_COLD, 0), EINVAL, "a negative length: EINVAL, nothing advised");
	v[2] = (struct iovec){ p + 1, 0 };
	v[3] = (struct iovec){ p + 2 * PAGE, PAGE };
	ok_eq(pmadv(me, v, 4, MADV_COLD, 0), 2 * PAGE + 100, "an empty unaligned range after others: skipped");
	ok_sys(pmadv(me, v + 2, 2, MADV_COLD, 0), EINVAL, "an empty unaligned range first: EINVAL");
	ok_eq(pmadv(me, v + 2, 1, MADV_COLD, 0), 0, "only an empty unaligned range: 0");
	ok_sys(pmadv(me, v, 1, MADV_COLLAPSE_, 0), EINVAL, "MADV_COLLAPSE of one small page: EINVAL");
	ok_eq(mlock(p, PAGE), 0, "mlock the first page");
	ok_sys(pmadv(me, v, 2, MADV_COLD, 0), EINVAL, "MADV_COLD on it: EINVAL");
	ok_sys(pmadv(me, v, 2, MADV_PAGEOUT, 0), EINVAL, "MADV_PAGEOUT on it: EINVAL");
	ok_eq(pmadv(me, v, 2, MADV_WILLNEED, 0), PAGE + 100, "MADV_WILLNEED on it: its bytes");
	munlock(p, PAGE);
	ok_eq(check(p, 8 * PAGE, 7), -1, "every byte as written");
	munmap(p, 8 * PAGE);
	close(me);
}

/* A child's 16 pages advised by its parent keep their content; then it dies. */
static void advise_child(void)
{
	char *p = map_anon(16 * PAGE, PROT_READ | PROT_WRITE);
	volatile int *flag = map_shared(PAGE);	/* 1: the child wrote; 2: the parent advised */
	struct iovec v = { p, 16 * PAGE };
	pid_t c;
	long fd;
	int st;

	fill(p, 16 * PAGE, 3);
	fflush(stdout);
	c = fork();
	if (!c) {
		fill(p, 16 * PAGE, 4);		/* its own copies */
		*flag = 1;
		while (*flag != 2)
			sched_yield();
		_exit(check(p, 16 * PAGE, 4) == -1 ? 0 : 1);
	}
	while (*flag != 1)
		sched_yield();
	fd = pidfd_open(c, 0);
	ok_eq(pmadv(fd, &v, 1, MADV_PAGEOUT, 0), 16 * PAGE, "MADV_PAGEOUT of a child's 16 pages");
	ok_eq(pmadv(fd, &v, 1, MADV_COLD, 0), 16 * PAGE, "MADV_COLD of them");
	ok_eq(pmadv(fd, &v, 1, MADV_WILLNEED, 0), 16 * PAGE, "MADV_WILLNEED of them");
	*flag = 2;
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "the child read its own bytes back");
	ok_eq(check(p, 16 * PAGE, 3), -1, "the parent's bytes are its own");
	ok_sys(pmadv(fd, &v, 1, MADV_COLD, 0), ESRCH, "the child reaped: ESRCH");
	ok_sys(pmadv(fd, &v, 1, MADV_DONTNEED, 0), ESRCH, "reaped is found before bad advice: ESRCH");
	close(fd);
	munmap((void *)flag, PAGE);
	munmap(p, 16 * PAGE);
}

static void zombie_target(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	struct iovec v = { p, PAGE };
	pid_t c = fork();
	long fd;

	if (!c) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(c, 0);
	ok_eq(pmadv(fd, &v, 1, MADV_COLD, 0), PAGE, "MADV_COLD of a sleeping child's page");
	kill(c, SIGKILL);
	usleep(100000);
	ok_sys(pmadv(fd, &v, 1, MADV_COLD, 0), ESRCH, "of it as a zombie: ESRCH");
	ok_sys(pmadv(fd, &v, 1, MADV_DONTNEED, 0), EINVAL, "bad advice for a zombie: EINVAL first");
	waitpid(c, NULL, 0);
	ok_sys(pmadv(fd, &v, 1, MADV_COLD, 0), ESRCH, "reaped: ESRCH");
	close(fd);
	munmap(p, PAGE);
}

/* Another user's process: EACCES; its own: EPERM (no CAP_SYS_NICE). In a child as nobody. */
static struct iovec nobody_vec;

static int advise_as_nobody(void)
{
	long up = pidfd_open(getppid(), 0), me = pidfd_open(getpid(), 0);
	int bad = 0;

	bad |= (up < 0 || me < 0) << 0;
	bad |= !(pmadv(up, &nobody_vec, 1, MADV_COLD, 0) == -1 && errno == EACCES) << 1;
	bad |= !(pmadv(up, &nobody_vec, 1, MADV_DONTNEED, 0) == -1 && errno == EINVAL) << 2;
	bad |= !(pmadv(me, &nobody_vec, 1, MADV_COLD, 0) == -1 && errno == EPERM) << 3;
	return bad;
}

static void as_nobody(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);

	nobody_vec = (struct iovec){ p, PAGE };
	ok_exited_with(as_nobody_status(advise_as_nobody), 0,
		       "as nobody: pidfd_open of root's process works, advising it EACCES "
		       "(EINVAL for bad advice), advising itself EPERM");
	munmap(p, PAGE);
}

/*
 * Children that exit on their own while their parent advises them through
 * pidfds (a dup() too), on whatever CPU: every call gives the bytes or
 * ESRCH, and the pidfds stay usable and closable after the reaping.
 */
static void exit_race(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	struct iovec v = { p, 4 * PAGE };
	int bad = 0, esrch = 0;

	fill(p, 4 * PAGE, 1);
	for (int i = 0; i < 40; i++) {
		long fd, fd2, r;
		pid_t c;

		fflush(stdout);
		c = fork();
		if (!c) {
			for (volatile int k = 0; k < i * 2000; k++)
				;
			_exit(0);
		}
		fd = pidfd_open(c, 0);
		fd2 = dup(fd);
		do {
			r = pmadv(i & 1 ? fd2 : fd, &v, 1, i & 2 ? MADV_PAGEOUT : MADV_COLD, 0);
			bad += r != 4 * PAGE && !(r == -1 && errno == ESRCH);
		} while (r == 4 * PAGE);
		waitpid(c, NULL, 0);
		close(fd);
		r = pmadv(fd2, &v, 1, MADV_COLD, 0);
		esrch += r == -1 && errno == ESRCH;
		close(fd2);
	}
	ok_eq(bad, 0, "40 children exiting while advised: every call the bytes or ESRCH");
	ok_eq(esrch, 40, "each reaped one's pidfd (a dup, its original closed): ESRCH");
	ok_eq(check(p, 4 * PAGE, 1), -1, "the parent's own pages untouched");
	munmap(p, 4 * PAGE);
}

/* A child that waits in pause() for signals (SIGUSR1 counted in *@seen), never exiting by itself. */
static volatile int *seen;	/* shared: [0] count, [1] si_code, [2] value, [3] ready */

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	seen[0]++;
	seen[1] = si->si_code;
	seen[2] = si->si_value.sival_int;
}

static pid_t pausing_child(void)
{
	pid_t c;

	memset((void *)seen, 0, 4 * sizeof(int));
	fflush(stdout);
	c = fork();
	if (!c) {
		install_handler(SIGUSR1, on_usr1, SA_SIGINFO);
		seen[3] = 1;
		for (;;)
			pause();
	}
	wait_flag(&seen[3], 1);
	return c;
}

static void send_signal_errors(void)
{
	siginfo_t si;
	pid_t c;
	long fd, me = pidfd_open(getpid(), 0);

	seen = map_shared(PAGE);
	c = pausing_child();
	fd = pidfd_open(c, 0);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	ok_sys(psig(fd, SIGUSR1, NULL, 1), EINVAL, "pidfd_send_signal flags 1: EINVAL");
	ok_sys(psig(-1, SIGUSR1, NULL, 1), EINVAL, "flags before the descriptor: EINVAL");
	ok_sys(psig(-1, SIGUSR1, NULL, 0), EBADF, "descriptor -1: EBADF");
	ok_sys(psig(1, SIGUSR1, NULL, 0), EBADF, "a descriptor that is not a pidfd: EBADF");
	ok_sys(psig(fd, SIGUSR1, (void *)8, 0), EFAULT, "an unreadable siginfo: EFAULT");
	ok_sys(psig(fd, SIGUSR2, &si, 0), EINVAL, "si_signo other than sig: EINVAL");
	si.si_code = SI_USER;
	ok_sys(psig(fd, SIGUSR1, &si, 0), EPERM, "si_code SI_USER to another process: EPERM");
	si.si_code = SI_TKILL;
	ok_sys(psig(fd, SIGUSR1, &si, 0), EPERM, "si_code SI_TKILL to another process: EPERM");
	si.si_code = SI_QUEUE;
	si.si_signo = 65;
	ok_sys(psig(fd, 65, &si, 0), EINVAL, "signal 65: EINVAL");
	ok_sys(psig(fd, -1, NULL, 0), EINVAL, "signal -1: EINVAL");
	ok_eq(psig(fd, 0, NULL, 0), 0, "signal 0 probes: 0");
	si.si_signo = 0;
	ok_eq(psig(fd, 0, &si, 0), 0, "signal 0 with a siginfo: 0");
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	install_handler(SIGUSR1, SIG_IGN, 0);
	ok_eq(psig(me, SIGUSR1, &si, 0), 0, "si_code SI_USER to itself: 0");
	install_handler(SIGUSR1, SIG_DFL, 0);
	kill(c, SIGKILL);
	usleep(100000);
	ok_eq(psig(fd, 0, NULL, 0), 0, "a zombie: signal 0 is 0");
	ok_eq(psig(fd, SIGTERM, NULL, 0), 0, "a zombie: SIGTERM is 0");
	ok_sys(psig(fd, 65, NULL, 0), EINVAL, "a zombie: signal 65 EINVAL");
	waitpid(c, NULL, 0);
	ok_sys(psig(fd, 0, NULL, 0), ESRCH, "reaped: ESRCH");
	ok_sys(psig(fd, 65, NULL, 0), ESRCH, "reaped is found before a bad signal: ESRCH");
	si.si_code = SI_USER;
	ok_sys(psig(fd, SIGUSR1, &si, 0), EPERM, "a forged si_code is found before reaped: EPERM");
	si.si_signo = SIGUSR2;
	ok_sys(psig(fd, SIGUSR1, &si, 0), EINVAL, "a mismatched si_signo before reaped: EINVAL");
	close(fd);
	close(me);
}

static void send_signal_arrives(void)
{
	siginfo_t si;
	pid_t c = pausing_child();
	long fd = pidfd_open(c, PIDFD_NONBLOCK);
	int st, n;

	ok_eq(psig(fd, SIGUSR1, NULL, 0), 0, "SIGUSR1 to a child");
	for (n = 0; n < 3000 && seen[0] < 1; n++)
		usleep(1000);
	ok(seen[0] == 1 && seen[1] == SI_USER, "it arrived, as SI_USER");
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 4242;
	ok_eq(psig(fd, SIGUSR1, &si, 0), 0, "SIGUSR1 with a SI_QUEUE siginfo");
	for (n = 0; n < 3000 && seen[0] < 2; n++)
		usleep(1000);
	ok(seen[0] == 2 && seen[1] == SI_QUEUE && seen[2] == 4242, "it arrived with its si_code and value");
	ok_eq(psig(fd, SIGTERM, NULL, 0), 0, "SIGTERM");
	waitpid(c, &st, 0);
	ok_killed_by(st, SIGTERM, "the child died of it");
	close(fd);
}

/* As nobody: root's process EPERM, itself and its own child fine. */
static int signal_as_nobody(void)
{
	long up = pidfd_open(getppid(), 0), me = pidfd_open(getpid(), 0), kid;
	pid_t k = fork();
	int bad = 0;

	if (!k)
		for (;;)
			pause();
	kid = pidfd_open(k, 0);
	bad |= !(psig(up, 0, NULL, 0) == -1 && errno == EPERM) << 0;
	bad |= !(psig(up, SIGUSR1, NULL, 0) == -1 && errno == EPERM) << 1;
	bad |= !(psig(up, 65, NULL, 0) == -1 && errno == EINVAL) << 2;
	bad |= (psig(me, 0, NULL, 0) != 0) << 3;
	bad |= (psig(kid, SIGKILL, NULL, 0) != 0) << 4;
	waitpid(k, NULL, 0);
	return bad;
}

static void send_signal_nobody(void)
{
	ok_exited_with(as_nobody_status(signal_as_nobody), 0,
		       "as nobody: root's process EPERM (signal 65 EINVAL first), "
		       "itself and its own child fine");
}

static void getfd_calls(void)
{
	char name[] = "/tmp/t_pidfd_getfdXXXXXX", buf[8] = "";
	int tfd = (mkdir("/tmp", 01777), mkstemp(name)), fl;
	pid_t c;
	long fd, dup_fd;

	write(tfd, "abcdef", 6);
	lseek(tfd, 1, SEEK_SET);
	c = pausing_child();
	fd = pidfd_open(c, 0);
	ok_sys(getfd(fd, tfd, 1), EINVAL, "pidfd_getfd flags 1: EINVAL");
	ok_sys(getfd(-1, tfd, 1), EINVAL, "flags before the descriptor: EINVAL");
	ok_sys(getfd(tfd, tfd, 0), EBADF, "not a pidfd: EBADF");
	ok_sys(getfd(fd, 999, 0), EBADF, "a descriptor the target has not: EBADF");
	ok_sys(getfd(fd, -1, 0), EBADF, "descriptor -1: EBADF");
	dup_fd = getfd(fd, tfd, 0);
	ok(dup_fd >= 0 && dup_fd != tfd, "the child's descriptor, a new one here");
	fl = fcntl(dup_fd, F_GETFD);
	ok_eq(fl, FD_CLOEXEC, "close-on-exec");
	ok_eq(read(dup_fd, buf, 2), 2, "read through it");
	ok(memcmp(buf, "bc", 2) == 0, "at the shared offset (the child's open file)");
	ok_eq(lseek(tfd, 0, SEEK_CUR), 3, "which moved for our own descriptor too");
	close(dup_fd);
	long me = pidfd_open(getpid(), 0);
	dup_fd = getfd(me, tfd, 0);
	ok(dup_fd >= 0, "pidfd_getfd of its own descriptor");
	close(dup_fd);
	close(me);
	kill(c, SIGKILL);
	usleep(100000);
	ok_sys(getfd(fd, tfd, 0), ESRCH, "a zombie (exited, no descriptors): ESRCH");
	ok_sys(getfd(fd, 999, 0), ESRCH, "a zombie, a bad descriptor: ESRCH");
	waitpid(c, NULL, 0);
	ok_sys(getfd(fd, tfd, 0), ESRCH, "reaped: ESRCH");
	ok_sys(getfd(fd, 999, 0), ESRCH, "reaped before a bad descriptor: ESRCH");
	close(fd);
	close(tfd);
	unlink(name);
}

static int getfd_as_nobody(void)
{
	long up = pidfd_open(getppid(), 0), me = pidfd_open(getpid(), 0);
	int bad = 0;

	bad |= !(getfd(up, 1, 0) == -1 && errno == EPERM) << 0;
	bad |= !(getfd(up, 999, 0) == -1 && errno == EPERM) << 1;
	bad |= (getfd(me, 1, 0) < 0) << 2;
	return bad;
}

static void getfd_nobody(void)
{
	ok_exited_with(as_nobody_status(getfd_as_nobody), 0,
		       "as nobody: root's process EPERM (before a bad descriptor), its own works");
}

static void waitid_errors(void)
{
	siginfo_t si;
	pid_t c = fork();
	long fd, me = pidfd_open(getpid(), 0);

	if (!c) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(c, 0);
	ok_sys(waitid_(P_PIDFD_, fd, &si, 0), EINVAL, "waitid options 0: EINVAL");
	ok_sys(waitid_(P_PIDFD_, fd, &si, WEXITED | 0x100), EINVAL, "an unknown option: EINVAL");
	ok_sys(waitid_(9, fd, &si, WEXITED), EINVAL, "idtype 9: EINVAL");
	ok_sys(waitid_(P_PID, 0, &si, WEXITED), EINVAL, "P_PID 0: EINVAL");
	ok_sys(waitid_(P_PGID, -1, &si, WEXITED), EINVAL, "P_PGID -1: EINVAL");
	ok_sys(waitid_(P_PIDFD_, -1, &si, WEXITED), EINVAL, "P_PIDFD -1: EINVAL");
	ok_sys(waitid_(P_PIDFD_, 1, &si, WEXITED), EBADF, "P_PIDFD of a descriptor that is not a pidfd: EBADF");
	ok_sys(waitid_(P_PIDFD_, 999, &si, WEXITED), EBADF, "P_PIDFD of a closed descriptor: EBADF");
	ok_sys(waitid_(P_PIDFD_, 999, &si, 0), EINVAL, "options are checked before the descriptor: EINVAL");
	ok_sys(waitid_(P_PIDFD_, me, &si, WEXITED | WNOHANG), ECHILD, "P_PIDFD of itself: ECHILD");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	ok_sys(waitid_(P_PIDFD_, fd, &si, WEXITED), ECHILD, "P_PIDFD of a reaped child: ECHILD");
	close(fd);
	close(me);
}

static pid_t exiting_child(int code, int delay_ms)
{
	pid_t c;

	fflush(stdout);
	c = fork();
	if (!c) {
		sleep_ms(delay_ms);
		_exit(code);
	}
	return c;
}

static void waitid_reaps(void)
{
	pid_t a = exiting_child(3, 0), b = exiting_child(7, 50), k;
	long fa = pidfd_open(a, 0), fb = pidfd_open(b, 0), fk;
	siginfo_t si;
	int st;

	memset(&si, 0x55, sizeof(si));
	ok_eq(waitid_(P_PIDFD_, fb, &si, WEXITED), 0, "waitid(P_PIDFD) of the second child");
	ok(si.si_signo == SIGCHLD && si.si_errno == 0 && si.si_code == CLD_EXITED, "SIGCHLD, CLD_EXITED");
	ok(si.si_pid == b && si.si_uid == 0 && si.si_status == 7, "its pid, uid 0, status 7");
	ok_sys(waitid_(P_PIDFD_, fb, &si, WEXITED), ECHILD, "it is reaped: ECHILD");
	memset(&si, 0x55, sizeof(si));
	ok_eq(waitid_(P_PIDFD_, fa, &si, WEXITED | WNOWAIT), 0, "WNOWAIT of the first");
	ok(si.si_pid == a && si.si_status == 3, "its pid and status 3");
	ok_eq(waitpid(a, &st, 0), a, "still there for waitpid");
	ok_exited_with(st, 3, "with its status");
	fflush(stdout);
	k = fork();
	if (!k)
		for (;;)
			pause();
	fk = pidfd_open(k, 0);
	memset(&si, 0x55, sizeof(si));
	ok_eq(waitid_(P_PIDFD_, fk, &si, WEXITED | WNOHANG), 0, "WNOHANG while it runs: 0");
	ok(si.si_signo == 0 && si.si_pid == 0 && si.si_code == 0 && si.si_status == 0,
	   "nothing found: si_signo, si_pid, si_code, si_status 0");
	kill(k, SIGKILL);
	memset(&si, 0x55, sizeof(si));
	ok_eq(waitid_(P_PIDFD_, fk, &si, WEXITED), 0, "waitid of the killed one");
	ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL && si.si_pid == k, "CLD_KILLED, SIGKILL");
	ok_sys(waitid_(P_ALL, 0, NULL, WEXITED | WNOHANG), ECHILD, "no children left: P_ALL ECHILD");
	close(fa);
	close(fb);
	close(fk);
}

static void waitid_nonblock(void)
{
	pid_t c = fork();
	long fd;
	siginfo_t si;

	if (!c) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(c, PIDFD_NONBLOCK);
	ok_sys(waitid_(P_PIDFD_, fd, &si, WEXITED), EAGAIN, "PIDFD_NONBLOCK, the child running: EAGAIN");
	ok_eq(waitid_(P_PIDFD_, fd, &si, WEXITED | WNOHANG), 0, "with WNOHANG too: 0");
	kill(c, SIGKILL);
	usleep(100000);
	ok_eq(waitid_(P_PIDFD_, fd, &si, WEXITED), 0, "the child dead: reaped");
	ok_eq(si.si_pid, c, "its pid");
	close(fd);
}

static void *exec_thread(void *arg)
{
	char *av[] = { self, "exec-pause", NULL };

	(void)arg;
	execv(self, av);
	return NULL;
}

/* A child whose second thread execs: the parent's pidfd still names the child. */
static void exec_from_thread(void)
{
	pid_t c;
	long fd;
	int st;

	fflush(stdout);
	c = fork();
	if (!c) {
		pthread_t th;

		pthread_create(&th, NULL, exec_thread, NULL);
		for (;;)
			pause();
	}
	fd = pidfd_open(c, 0);
	usleep(300000);			/* the exec is done by then */
	ok_eq(psig(fd, 0, NULL, 0), 0, "after a thread's execve, signal 0 through the pidfd: 0");
	ok_eq(psig(fd, SIGTERM, NULL, 0), 0, "SIGTERM through it");
	waitpid(c, &st, 0);
	ok_killed_by(st, SIGTERM, "the exec'd process died of it");
	close(fd);
}

static void read_bad_buffer(void)
{
	long fd = pidfd_open(getpid(), 0);

	ok_sys(read(fd, (void *)KERNEL_HALF, 8), EINVAL, "read into the kernel half: EINVAL (before the buffer)");
	ok_sys(read(fd, NULL, 8), EINVAL, "read into NULL: EINVAL");
	ok_sys(write(fd, (void *)KERNEL_HALF, 8), EINVAL, "write from the kernel half: EINVAL");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "after-exec") == 0)
		return after_exec(argv);
	if (argc > 1 && strcmp(argv[1], "exec-pause") == 0)
		for (;;)
			pause();
	self = argv[0];
	open_args();
	file_ops();
	close_on_exec();
	zombie_and_reaped();
	madvise_order();
	madvise_ranges();
	advise_child();
	zombie_target();
	as_nobody();
	exit_race();
	send_signal_errors();
	send_signal_arrives();
	send_signal_nobody();
	getfd_calls();
	getfd_nobody();
	waitid_errors();
	waitid_reaps();
	waitid_nonblock();
	exec_from_thread();
	read_bad_buffer();
	return done_testing();
}
