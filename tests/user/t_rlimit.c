/*
 * t_rlimit: getrlimit, setrlimit and prlimit64 with Linux's rules and
 * errors, and the limits enforced where the resource is taken:
 * RLIMIT_NOFILE (EMFILE, F_DUPFD's EINVAL), RLIMIT_STACK (SIGSEGV),
 * RLIMIT_AS and RLIMIT_DATA (mmap, mremap, mprotect, brk), and, for a user
 * other than root (a child that setuid()s), RLIMIT_MEMLOCK and
 * RLIMIT_NPROC; root is exempt from both. Limits are inherited by fork and
 * kept by execve. Values that differ between kernels (the defaults, the
 * memory a process already has) are never printed.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/resource.h>

#define MiB (1024UL * 1024)
#define NOBODY 65534

static long raw_prlimit(long pid, long res, void *new, void *old)
{
	return syscall(SYS_prlimit64, pid, res, new, old);
}

static int set_limit(int res, rlim_t cur, rlim_t max)
{
	struct rlimit r = { cur, max };

	return setrlimit(res, &r);
}

static int depth(int n)
{
	volatile char buf[4096];

	buf[0] = (char)n;
	return n ? depth(n - 1) + buf[0] : 0;
}

static void small_stack(void *arg)
{
	(void)arg;
	if (set_limit(RLIMIT_STACK, 256 * 1024, 256 * 1024))
		_exit(2);
	depth(256);	/* 1 MiB of stack */
	_exit(0);
}

static void child_nofile(void *arg)
{
	struct rlimit r;

	(void)arg;
	_exit(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 8 ? 0 : 1);
}

static void exec_self(void *arg)
{
	char *argv[] = { arg, "--check-nofile", NULL };

	execv(arg, argv);
	_exit(3);
}

static void limits_nofile(const char *self)
{
	struct rlimit r, old;
	int fds[16], n = 0, fd;

	ok(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur <= r.rlim_max, "getrlimit(RLIMIT_NOFILE)");
	ok_sys(syscall(SYS_getrlimit, 99, &r), EINVAL, "getrlimit of an unknown resource: EINVAL");
	ok_sys(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8), EFAULT,
	       "getrlimit to a bad pointer: EFAULT");
	ok_sys(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)8), EFAULT,
	       "setrlimit from a bad pointer: EFAULT");
	ok_sys(raw_prlimit(0, 99, NULL, &old), EINVAL, "prlimit64 of an unknown resource: EINVAL");
	ok_sys(raw_prlimit(0, RLIMIT_NOFILE, NULL, (void *)8), EFAULT,
	       "prlimit64 to a bad pointer: EFAULT");
	ok_sys(raw_prlimit(999999, RLIMIT_NOFILE, NULL, &old), ESRCH,
	       "prlimit64 of no such process: ESRCH");
	ok_sys(set_limit(RLIMIT_NOFILE, 16, 8), EINVAL, "soft limit above the hard one: EINVAL");
	ok_sys(set_limit(RLIMIT_NOFILE, 1UL << 30, 1UL << 30), EPERM,
	       "RLIMIT_NOFILE above fs.nr_open: EPERM");
	ok_eq(set_limit(RLIMIT_NOFILE, 8, 8), 0, "setrlimit(RLIMIT_NOFILE, 8)");
	ok(raw_prlimit(getpid(), RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur == 8 &&
	   old.rlim_max == 8, "prlimit64 of ourselves reads it back");
	while (n < 16 && (fd = open(self, O_RDONLY)) >= 0)
		fds[n++] = fd;
	ok(n == 5 && errno == EMFILE, "opens stop at descriptor 8 with EMFILE");
	ok_exited_with(run_in_child(child_nofile, NULL), 0, "a forked child inherits the limit");
	ok_exited_with(run_in_child(exec_self, (void *)self), 0, "execve keeps the limit");
	while (n)
		close(fds[--n]);
	ok_eq(fcntl(0, F_DUPFD, 7), 7, "F_DUPFD below the limit");
	close(7);
	ok_sys(fcntl(0, F_DUPFD, 8), EINVAL, "F_DUPFD at the limit: EINVAL");
	ok_eq(set_limit(RLIMIT_NOFILE, 32, 32), 0, "root raises the hard limit again");
	ok_killed_by(run_in_child(small_stack, NULL), SIGSEGV,
		     "1 MiB of stack under a 256 KiB RLIMIT_STACK: SIGSEGV");
}

/* The most pages one more PROT_NONE mapping may have now (binary search). */
static size_t room_pages(void)
{
	size_t lo = 0, hi = 1UL << 20;

	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		void *p = mmap(NULL, mid * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			hi = mid - 1;
		} else {
			munmap(p, mid * PAGE);
			lo = mid;
		}
	}
	return lo;
}

static void limits_as(void)
{
	char *a, *fill;
	size_t room;

	ok_eq(set_limit(RLIMIT_AS, 256 * MiB, RLIM_INFINITY), 0, "setrlimit(RLIMIT_AS, 256 MiB)");
	ok_sys((long)mmap(NULL, 512 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM,
	       "mmap of 512 MiB (even PROT_NONE): ENOMEM");
	a = map_anon(64 * MiB, PROT_READ | PROT_WRITE);
	ok(a != MAP_FAILED, "mmap of 64 MiB fits");
	ok_sys((long)mremap(a, 64 * MiB, 512 * MiB, MREMAP_MAYMOVE), ENOMEM,
	       "mremap to 512 MiB: ENOMEM");
	uintptr_t cur = raw_brk(0);
	ok_eq(raw_brk(cur + 512 * MiB), cur, "brk by 512 MiB: refused");
	room = room_pages();
	ok(room > 0 && room < 256 * MiB / PAGE, "some room is left under the limit");
	fill = mmap(NULL, room * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(fill != MAP_FAILED, "a mapping fills it");
	ok_sys((long)map_anon(PAGE, PROT_NONE), ENOMEM, "then one more page: ENOMEM");
	ok(mmap(a, 64 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a,
	   "MAP_FIXED over 64 MiB already mapped still fits (replaced pages do not count)");
	ok_eq(munmap(fill, room * PAGE), 0, "munmap gives the room back");
	ok(map_anon(PAGE, PROT_NONE) != MAP_FAILED, "and a page fits again");
	ok_eq(set_limit(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY), 0, "RLIMIT_AS back to unlimited");
	ok(mremap(a, 64 * MiB, 512 * MiB, MREMAP_MAYMOVE) != MAP_FAILED, "and mremap to 512 MiB works");
}

static void limits_data(void)
{
	char *ro, *sh;

	ok_eq(set_limit(RLIMIT_DATA, 64 * MiB, 64 * MiB), 0, "setrlimit(RLIMIT_DATA, 64 MiB)");
	ok_sys((long)map_anon(128 * MiB, PROT_READ | PROT_WRITE), ENOMEM,
	       "private writable 128 MiB: ENOMEM");
	ro = map_anon(128 * MiB, PROT_READ);
	ok(ro != MAP_FAILED, "private read-only 128 MiB: not data, fits");
	ok_sys(mprotect(ro, 128 * MiB, PROT_READ | PROT_WRITE), ENOMEM,
	       "mprotect of it to writable: ENOMEM");
	ok_eq(mprotect(ro, 16 * MiB, PROT_READ | PROT_WRITE), 0, "16 MiB of it writable: fits");
	sh = map_shared(128 * MiB);
	ok(sh != MAP_FAILED, "shared writable 128 MiB: not data, fits");
	uintptr_t cur = raw_brk(0);
	ok_eq(raw_brk(cur + 128 * MiB), cur, "brk by 128 MiB: refused");
	ok_eq(raw_brk(cur + MiB), cur + MiB, "brk by 1 MiB: fits");
	ok_eq(raw_brk(cur), cur, "brk back");
	munmap(ro, 128 * MiB);
	munmap(sh, 128 * MiB);
	ok_eq(set_limit(RLIMIT_DATA, 0, 64 * MiB), 0, "RLIMIT_DATA soft 0, hard 64 MiB");
	ok(map_anon(MiB, PROT_READ | PROT_WRITE) != MAP_FAILED,
	   "a soft limit of 0 falls back to the hard one (Linux's exception for Valgrind)");
}

static void exit_now(void *arg)
{
	(void)arg;
	_exit(0);
}

static void root_memlock(void)
{
	char *p = map_anon(MiB, PROT_READ | PROT_WRITE);

	ok_eq(set_limit(RLIMIT_MEMLOCK, 64 * 1024, 64 * 1024), 0, "root: RLIMIT_MEMLOCK 64 KiB");
	ok_eq(mlock(p, MiB), 0, "root: mlock of 1 MiB past it works (CAP_IPC_LOCK)");
	ok_eq(set_limit(RLIMIT_NPROC, 1, 1), 0, "root: RLIMIT_NPROC 1");
	ok_exited_with(run_in_child(exit_now, NULL), 0, "root: fork past it works");
}

static void user_memlock(void)
{
	char *p = map_anon(MiB, PROT_READ | PROT_WRITE);
	struct rlimit r;

	ok_eq(setuid(NOBODY), 0, "setuid(nobody)");
	ok(getuid() == NOBODY && geteuid() == NOBODY, "getuid/geteuid");
	ok_sys(setuid(0), EPERM, "setuid(0) back: EPERM");
	ok_sys(set_limit(RLIMIT_MEMLOCK, 64 * 1024, RLIM_INFINITY), EPERM,
	       "raising a hard limit without root: EPERM");
	ok_eq(set_limit(RLIMIT_MEMLOCK, 64 * 1024, 64 * 1024), 0, "RLIMIT_MEMLOCK 64 KiB");
	ok(getrlimit(RLIMIT_MEMLOCK, &r) == 0 && r.rlim_cur == 64 * 1024, "read back");
	ok_eq(mlock(p, 32 * 1024), 0, "mlock of 32 KiB");
	ok_eq(mlock(p, 32 * 1024), 0, "the same 32 KiB again (counted once)");
	ok_sys(mlock(p + 32 * 1024, 64 * 1024), ENOMEM, "64 KiB more: ENOMEM");
	ok_eq(mlock(p + 32 * 1024, 32 * 1024), 0, "32 KiB more: up to the limit");
	ok_sys((long)mmap(NULL, 128 * 1024, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
	       EAGAIN, "MAP_LOCKED past the limit: EAGAIN");
	ok_eq(munlock(p, 64 * 1024), 0, "munlock");
	ok_eq(mlock(p + 64 * 1024, 64 * 1024), 0, "then another 64 KiB locks");
	ok_sys(mlockall(MCL_CURRENT), ENOMEM, "mlockall(MCL_CURRENT) of more than the limit: ENOMEM");
	ok_eq(set_limit(RLIMIT_MEMLOCK, 0, 0), 0, "RLIMIT_MEMLOCK 0");
	ok_sys(mlock(p, PAGE), EPERM, "then mlock: EPERM");
	ok_sys(mlockall(MCL_FUTURE), EPERM, "and mlockall: EPERM");
}

static void pause_child(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

static void user_nproc(void)
{
	pid_t kids[4];
	int n = 0, st;

	ok_eq(setuid(NOBODY), 0, "setuid(nobody)");
	ok_eq(set_limit(RLIMIT_NPROC, 3, 3), 0, "RLIMIT_NPROC 3");
	while (n < 4) {
		pid_t pid = tap_fork();
		if (pid == 0)
			pause_child(NULL);
		if (pid < 0)
			break;
		kids[n++] = pid;
	}
	ok(n == 2 && errno == EAGAIN, "the third fork of the user's processes: EAGAIN");
	kill(kids[0], SIGKILL);
	ok_sys(tap_fork(), EAGAIN, "a killed child not yet reaped still counts");
	ok(tap_wait(kids[0]) >= 0, "reap it");
	pid_t pid = tap_fork();
	if (pid == 0)
		_exit(7);
	ok(pid > 0, "then fork works again");
	st = tap_wait(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "and its child ran");
	ok_sys(set_limit(RLIMIT_NPROC, 4, 4), EPERM, "raising it back: EPERM");
	kill(kids[1], SIGKILL);
	tap_wait(kids[1]);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--check-nofile")) {
		struct rlimit r;
		return getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 8 && r.rlim_max == 8 ? 0 : 1;
	}
	limits_nofile(argv[0]);
	in_reporting_child(limits_as, "RLIMIT_AS");
	in_reporting_child(limits_data, "RLIMIT_DATA");
	in_reporting_child(root_memlock, "root");
	in_reporting_child(user_memlock, "RLIMIT_MEMLOCK");
	in_reporting_child(user_nproc, "RLIMIT_NPROC");
	return done_testing();
}
