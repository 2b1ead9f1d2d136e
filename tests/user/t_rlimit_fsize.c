/*
 * t_rlimit_fsize: RLIMIT_FSIZE as Linux enforces it. A write that would
 * take a regular file past the soft limit is cut short at it; one starting
 * at or past it fails with EFBIG and sends SIGXFSZ (whose default action
 * ends the process); truncation growing a file past it too. Empty writes,
 * shrinking and growing within the limit are not affected.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "util.h"

#define LIMIT (3 * 4096 + 100)

static volatile int xfsz;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz++;
}

static void limited_writes(int fd)
{
	static char buf[8192];
	struct stat st;

	for (int i = 0; i < 3; i++)
		ok_eq(write(fd, buf, 4096), 4096, "write %d of a page below the limit", i);
	ok_eq(write(fd, buf, 200), 100, "a write crossing the limit is cut at it");
	ok_eq(xfsz, 0, "no SIGXFSZ for a write cut short");
	ok_sys(write(fd, buf, 1), EFBIG, "a write at the limit: EFBIG");
	ok_eq(xfsz, 1, "and SIGXFSZ");
	ok_eq(write(fd, buf, 0), 0, "an empty write at the limit: 0");
	ok_eq(xfsz, 1, "without a signal");
	ok_sys(pwrite(fd, buf, 10, 1 << 20), EFBIG, "pwrite past the limit: EFBIG");
	ok_eq(xfsz, 2, "and SIGXFSZ");
	ok_eq(pwrite(fd, buf, 8192, LIMIT - 10), 10, "pwrite crossing the limit is cut at it");
	ok_eq(ftruncate(fd, LIMIT), 0, "ftruncate to the limit");
	ok_sys(ftruncate(fd, LIMIT + 1), EFBIG, "ftruncate past the limit: EFBIG");
	ok_eq(xfsz, 3, "and SIGXFSZ");
	ok_eq(ftruncate(fd, 100), 0, "ftruncate shrinking");
	ok_eq(fstat(fd, &st), 0, "fstat");
	ok_eq(st.st_size, 100, "the size is what ftruncate set");
	ok_eq(xfsz, 3, "shrinking sends nothing");
}

int main(void)
{
	struct rlimit rl = { LIMIT, RLIM_INFINITY };
	static char buf[4096];
	int fd, st;
	pid_t pid;

	mkdir("/tmp", 0777);	/* Linux's test boot has none */
	fd = open("/tmp/t_rlimit_fsize", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!ok(fd >= 0, "create a file"))
		return done_testing();
	install_handler(SIGXFSZ, on_xfsz, 0);
	ok_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "setrlimit(RLIMIT_FSIZE, 12388)");
	limited_writes(fd);

	/* O_APPEND: the end of the file is where the limit applies. */
	int afd = open("/tmp/t_rlimit_fsize", O_WRONLY | O_APPEND);
	ok_eq(ftruncate(fd, LIMIT), 0, "the file at the limit again");
	ok_sys(write(afd, buf, 1), EFBIG, "an O_APPEND write at the limit: EFBIG");
	ok_eq(xfsz, 4, "and SIGXFSZ");
	close(afd);

	/* Ignored: only the error. */
	signal(SIGXFSZ, SIG_IGN);
	ok_sys(pwrite(fd, buf, 1, LIMIT), EFBIG, "SIGXFSZ ignored: still EFBIG");

	/* Default action: the process ends with SIGXFSZ. */
	signal(SIGXFSZ, SIG_DFL);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pwrite(fd, buf, 1, LIMIT);
		_exit(0);
	}
	st = tap_wait(pid);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ, "default action: killed by SIGXFSZ");

	/* Inherited by fork, and lifted again. */
	pid = fork();
	if (pid == 0)
		_exit(getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur == LIMIT ? 0 : 1);
	ok_eq(tap_wait(pid), 0, "a child inherits the limit");
	rl.rlim_cur = RLIM_INFINITY;
	ok_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "no limit again");
	ok_eq(pwrite(fd, buf, 4096, LIMIT), 4096, "writes past the old limit succeed");
	close(fd);
	unlink("/tmp/t_rlimit_fsize");
	return done_testing();
}
