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
 * This program is a child subreaper, so the orphaned hog comes to it and is
 * reaped here: its memory is back before the program ends, however slowly
 * it runs.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include "util.h"

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#endif

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

/* A child's death, skipping the hog's (an orphan that came here): its pid. */
static pid_t wait_not_hog(int *st, int *hog_reaped)
{
	for (;;) {
		pid_t r = waitpid(-1, st, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || r != sh->hog_pid)
			return r;
		*hog_reaped = 1;
	}
}

int main(void)
{
	static const size_t size[3] = { 48 * MiB, 64 * MiB, 32 * MiB };
	static const int adj[3] = { 0, 0, 900 };
	pid_t pid[3], first;
	int st, hog_reaped = 0;

	sh = map_shared(PAGE);
	if (!ok(sh != MAP_FAILED, "mmap a shared page"))
		return done_testing();
	ok_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0, "a child subreaper: orphans come here");
	for (int i = 0; i < 3; i++) {
		pid[i] = tap_fork();
		if (pid[i] == 0)
			holder(i, size[i], adj[i]);
		while (pid[i] > 0 && !sh->ready[i])
			usleep(1000);
	}
	ok(pid[0] > 0 && pid[1] > 0 && pid[2] > 0, "three children hold 48, 64 and 32 MiB");
	first = wait_not_hog(&st, &hog_reaped);
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
	if (!hog_reaped && sh->hog_pid > 0)
		ok_exited_with(tap_wait(sh->hog_pid), 0, "the hog, orphaned to this program, is reaped");
	else
		ok(hog_reaped, "the hog, orphaned to this program, is reaped");
	return done_testing();
}
