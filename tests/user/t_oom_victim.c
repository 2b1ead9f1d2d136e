/*
 * t_oom_victim: the OOM killer picks the right victim among three.
 * Children A (48 MiB) and B (64 MiB) keep their memory; C holds only 32 MiB
 * but has oom_score_adj 900, so it is the one to go. A fourth process with
 * oom_score_adj -1000 (never killed) touches memory until C is gone. C must have died of
 * SIGKILL, A and B must still be alive with their memory intact. The hog
 * is C's child and stops as soon as C is gone (its parent changes), so
 * that the memory C gave back is enough and nobody else has to die (C is
 * large enough that the hog notices before that memory runs out: Linux
 * kills again if it does).
 * oom_score_adj is set through /proc/self/oom_score_adj, on both kernels.
 */
#include <fcntl.h>
#include <signal.h>
#include "util.h"

#define MiB (1UL << 20)
#if ABI64
#define HOG_MAX (4096 * MiB)
#else
#define HOG_MAX (1792 * MiB)	/* i386: musl's mmap refuses PTRDIFF_MAX or more */
#endif

struct shared {
	volatile int ready[3];
	volatile int stop;
	volatile unsigned long hog_pages;
	volatile int hog_done;
	volatile pid_t hog_pid;
};

static struct shared *sh;

static void hog(pid_t c);

static void holder(int idx, size_t bytes, int adj)
{
	char *p;

	/*
	 * C's child, the hog, is forked before C fills its memory: forked after,
	 * it would share those pages copy-on-write, killing C would free nothing,
	 * and Linux would go on to kill B. It waits until C is ready.
	 */
	if (idx == 2 && tap_fork() == 0)
		hog(getppid());
	p = map_anon(bytes, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED || set_oom_score_adj(adj))
		_exit(3);
	fill(p, bytes, (unsigned)idx + 1);
	sh->ready[idx] = 1;
	while (!sh->stop)
		usleep(10000);
	_exit(check(p, bytes, (unsigned)idx + 1) == -1 ? 0 : 4);
}

static void hog(pid_t c)
{
	/* Not committed (more than RAM): MAP_NORESERVE, as Linux's heuristic mode wants. */
	char *p = mmap(NULL, HOG_MAX, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	sh->hog_pid = getpid();
	if (p == MAP_FAILED || set_oom_score_adj(-1000)) {
		sh->stop = 1;	/* nobody will run out of memory: end the test, do not hang it */
		_exit(3);
	}
	while (!sh->ready[2])
		usleep(1000);
	for (unsigned long off = 0; off < HOG_MAX && !sh->stop; off += PAGE) {
		if (getppid() != c)
			break;	/* C is gone: its memory is enough, nobody else need die */
		p[off] = 1;
		sh->hog_pages++;
	}
	sh->hog_done = 1;
	_exit(0);
}

/*
 * The hog is C's orphan, so nobody here can wait for it; its memory is back
 * once it is reaped or a zombie. Wait for that (at most 20 s), or the frame
 * count taken after this program races the hog's exit on another CPU.
 */
static void wait_hog_gone(void)
{
	char path[40], buf[512];

	for (int i = 0; i < 2000 && sh->hog_pid > 0; i++) {
		if (kill(sh->hog_pid, 0) == -1 && errno == ESRCH)
			return;
		snprintf(path, sizeof path, "/proc/%d/status", (int)sh->hog_pid);
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0 && (buf[n] = 0, strstr(buf, "State:\tZ")))
			return;
		usleep(10000);
	}
}

int main(void)
{
	static const size_t size[3] = { 48 * MiB, 64 * MiB, 32 * MiB };
	static const int adj[3] = { 0, 0, 900 };
	pid_t pid[3], first;
	int st;

	sh = map_shared(PAGE);
	if (!ok(sh != MAP_FAILED, "mmap a shared page"))
		return done_testing();
	for (int i = 0; i < 3; i++) {
		pid[i] = tap_fork();
		if (pid[i] == 0)
			holder(i, size[i], adj[i]);
		while (pid[i] > 0 && !sh->ready[i])
			usleep(1000);
	}
	ok(pid[0] > 0 && pid[1] > 0 && pid[2] > 0, "three children hold 48, 64 and 32 MiB");
	do
		first = waitpid(-1, &st, 0);
	while (first == -1 && errno == EINTR);
	sh->stop = 1;
	if (!ok(first == pid[2], "the first to die is the one with oom_score_adj 900"))
		diag("  died: %d (A %d, B %d, C %d)", first, pid[0], pid[1], pid[2]);
	if (!ok(expect_killed_by(st, SIGKILL), "killed by SIGKILL"))
		tap_diag_status(st);
	for (int i = 0; i < 500 && !sh->hog_done; i++)
		usleep(10000);
	ok(sh->hog_done, "the oom_score_adj -1000 process was spared");
	for (int i = 0; i < 2; i++) {
		if (first == pid[i])
			continue;
		ok_exited_with(tap_wait(pid[i]), 0, "child %c lived, its memory intact", 'A' + i);
	}
	if (first != pid[2])
		tap_wait(pid[2]);
	if (!ok(sh->hog_pages > 0, "the hog touched memory"))	/* a fixed name: both kernels' */
		diag("  the hog touched %lu pages", (unsigned long)sh->hog_pages);
	wait_hog_gone();
	return done_testing();
}
