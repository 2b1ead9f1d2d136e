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
 *   safe to use (ESRCH) and to close.
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define NR_pidfd_open		434
#define NR_process_madvise	440
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

static char *self;

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
static void as_nobody(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	struct iovec v = { p, PAGE };
	pid_t c;
	int st;

	fflush(stdout);
	c = fork();
	if (!c) {
		long up, me;
		int bad = 0;

		if (setuid(NOBODY))
			_exit(9);
		up = pidfd_open(getppid(), 0);
		me = pidfd_open(getpid(), 0);
		bad |= (up < 0 || me < 0) << 0;
		bad |= !(pmadv(up, &v, 1, MADV_COLD, 0) == -1 && errno == EACCES) << 1;
		bad |= !(pmadv(up, &v, 1, MADV_DONTNEED, 0) == -1 && errno == EINVAL) << 2;
		bad |= !(pmadv(me, &v, 1, MADV_COLD, 0) == -1 && errno == EPERM) << 3;
		_exit(bad);
	}
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "as nobody: pidfd_open of root's process works, advising it EACCES "
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

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "after-exec") == 0)
		return after_exec(argv);
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
	return done_testing();
}
