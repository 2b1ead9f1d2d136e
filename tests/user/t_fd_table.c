/*
 * t_fd_table: the descriptor table grows with what a process opens, up to
 * RLIMIT_NOFILE (Linux's default 1024, hard 4096): the lowest free number
 * first, EMFILE at the limit, dup2/dup3 to any number below the limit
 * (EBADF at or above it), F_DUPFD from a number, all of it inherited by fork
 * and closed with the process.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "util.h"

/* dup(1) until it fails: how many it gave, each the next number after @first. */
static int dup_all(int first, int *err)
{
	int n = 0, fd;

	while ((fd = dup(1)) >= 0) {
		if (fd != first + n) {
			diag("dup gave %d, expected %d", fd, first + n);
			*err = -1;
			return n;
		}
		n++;
	}
	*err = errno;
	return n;
}

static void close_from(int first, int end)
{
	for (int fd = first; fd < end; fd++)
		close(fd);
}

int main(void)
{
	struct rlimit rl;
	int err, n, st;
	pid_t pid;

	ok(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 1024 && rl.rlim_max == 4096,
	   "RLIMIT_NOFILE is 1024, hard 4096");
	n = dup_all(3, &err);
	ok_eq(n, 1021, "descriptors 3..1023 taken one after the other");
	ok_eq(err, EMFILE, "then EMFILE");
	close(500);
	close(70);
	ok_eq(dup(1), 70, "the lowest free number comes back first");
	ok_eq(dup(1), 500, "then the next");

	rl.rlim_cur = 2000;
	ok_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "RLIMIT_NOFILE raised to 2000");
	n = dup_all(1024, &err);
	ok_eq(n, 976, "the table grows to 1999");
	ok_eq(err, EMFILE, "then EMFILE");
	ok_sys(fcntl(1, F_DUPFD, 2000), EINVAL, "F_DUPFD at the limit: EINVAL");
	close(1999);
	ok_eq(dup2(1, 1999), 1999, "dup2 to the last number");
	ok_sys(dup2(1, 2000), EBADF, "dup2 at the limit: EBADF");
	ok_sys(syscall(SYS_dup3, 1, 1999, 0x40), EINVAL, "dup3 with an unknown flag: EINVAL");
	ok_sys(dup3(1, 1, 0), EINVAL, "dup3 to the same number: EINVAL");
	ok_eq(dup2(1, 1), 1, "dup2 to the same number returns it");
	ok_eq(dup3(2, 1500, O_CLOEXEC), 1500, "dup3 replacing an open descriptor");
	ok_eq(fcntl(1500, F_GETFD), FD_CLOEXEC, "with O_CLOEXEC");
	ok_sys(dup2(4000, 5), EBADF, "dup2 of a closed descriptor: EBADF");

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fcntl(1999, F_GETFD) == 0 && fcntl(1500, F_GETFD) == FD_CLOEXEC &&
		      fcntl(1000, F_GETFD) == 0 ? 0 : 1);
	ok_eq(tap_wait(pid), 0, "a child has the same 2000 descriptors");
	close_from(3, 2000);

	/* Far above the table, then back down. */
	ok_eq(fcntl(1, F_DUPFD, 1234), 1234, "F_DUPFD from 1234 in an empty table");
	ok_eq(dup(1), 3, "dup still gives the lowest");
	close(3);
	close(1234);

	/* The hard limit, in a child. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		rl.rlim_cur = 4096;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		n = dup_all(3, &err);
		_exit(n == 4093 && err == EMFILE ? 0 : 1);
	}
	st = tap_wait(pid);
	ok_eq(st, 0, "4096 descriptors at the hard limit, then EMFILE");
	rl.rlim_cur = 1024;
	ok_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "RLIMIT_NOFILE back to 1024");
	return done_testing();
}
