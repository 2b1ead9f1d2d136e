/*
 * t_fork_bomb_mem: a fork bomb bounded by memory alone. As root, with
 * RLIMIT_NPROC unlimited, every process of the bomb dirties 4 MiB of its own and
 * forks for as long as it can, its children too, so the tree grows until
 * memory runs out: a fork fails (ENOMEM, or EAGAIN at the kernel's thread
 * limit) or the OOM killer kills one of the bomb (oom_score_adj 1000; this
 * program has -1000). Then the whole bomb is killed, and this program - a
 * child subreaper (PR_SET_CHILD_SUBREAPER), so every orphan comes to it -
 * reaps every process of it and carries on: a process forked afterwards
 * runs, and on memcore every frame comes back.
 *
 * Only what Linux and memcore agree on is compared: how far the bomb grew
 * and how memory ran out (a refused fork or an OOM kill) depend on the
 * kernel's sizes and on scheduling; they go to diag lines.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <memcore/syscall.h>
#include "util.h"

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#endif
#define DIRTY	(4UL << 20)	/* each process's own memory */
#define SLOTS	8192		/* more processes than 1 GiB can hold */

struct bomb {
	int stop;		/* set once memory has run out: the bomb ends */
	int registered;		/* processes of the bomb that started */
	int refused;		/* forks that failed ... */
	int enomem, eagain;	/* ... with ENOMEM, with EAGAIN */
	int other_errno;	/* the first other errno, if any */
	int sigchld;		/* a child of the bomb ended before the stop: an OOM kill */
	pid_t pids[SLOTS];
};

static struct bomb *b;
static char *mine;		/* the memory this process dirtied */

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Memory has run out: the bomb stops (set by the bomb itself, which has the CPU). */
static void stop(void)
{
	__atomic_store_n(&b->stop, 1, __ATOMIC_SEQ_CST);
}

static void on_sigchld(int sig)
{
	(void)sig;
	if (!load(&b->stop)) {
		__atomic_fetch_add(&b->sigchld, 1, __ATOMIC_SEQ_CST);
		stop();
	}
}

/*
 * A new process of the bomb: counted (to be killed), then its own memory
 * dirtied instead of its parent's (so each process holds DIRTY, and a fork
 * copies the same few page tables at any depth).
 */
static void start(void)
{
	int i = __atomic_fetch_add(&b->registered, 1, __ATOMIC_SEQ_CST);

	if (i < SLOTS)
		__atomic_store_n(&b->pids[i], getpid(), __ATOMIC_SEQ_CST);
	if (load(&b->stop))
		_exit(0);
	if (mine)
		munmap(mine, DIRTY);
	mine = mmap(NULL, DIRTY, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mine == MAP_FAILED)
		mine = NULL;
	for (size_t off = 0; mine && off < DIRTY; off += PAGE)
		mine[off] = 1;
}

/* One process of the bomb: fork until refused or stopped, then wait to be killed. */
static void bomb(void)
{
	start();
	while (!load(&b->stop)) {
		pid_t pid = fork();

		if (pid == 0) {
			start();
			continue;	/* the child bombs too */
		}
		if (pid > 0)
			continue;
		__atomic_fetch_add(&b->refused, 1, __ATOMIC_SEQ_CST);
		if (errno == ENOMEM)
			__atomic_fetch_add(&b->enomem, 1, __ATOMIC_SEQ_CST);
		else if (errno == EAGAIN)
			__atomic_fetch_add(&b->eagain, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_compare_exchange_n(&b->other_errno, &(int){ 0 }, errno, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		stop();
		break;
	}
	for (;;)
		pause();	/* its children stay zombies until it is killed */
}

/* Free frames on memcore (caches drained); -1 on Linux. */
static long free_frames(void)
{
	return syscall(MEMCORE_SYS_free_frames);
}

/* Collects what has ended: counts it, and its wait statuses other than SIGKILL or exit 0. */
static int reap(int *reaped, int *odd, int options)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, options)) > 0) {
		++*reaped;
		if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) && st != 0 && !(*odd)++)
			diag("process %d: wait status %#x", pid, st);
	}
	return pid < 0 ? errno : 0;
}

int main(void)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	int reaped = 0, odd = 0, sub = -1, err, sweeps = 0;
	long before;
	pid_t top;

	b = map_shared(sizeof(*b));
	memset(b, 0, sizeof(*b));	/* its frames, before they are counted */
	ok_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0, "PR_SET_CHILD_SUBREAPER");
	ok(prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0) == 0 && sub == 1,
	   "PR_GET_CHILD_SUBREAPER reads it back");
	ok_eq(set_oom_score_adj(-1000), 0, "this program is never the OOM killer's choice");
	fflush(stdout);
	before = free_frames();
	top = fork();
	if (top == 0) {
		if (setrlimit(RLIMIT_NPROC, &inf) || set_oom_score_adj(1000) ||
		    install_handler(SIGCHLD, on_sigchld, SA_RESTART))
			_exit(3);
		bomb();
	}
	ok(top > 0, "the bomb starts");
	/* Until memory runs out: a refused fork, or a process of the bomb killed. */
	while (!load(&b->stop) && !reaped) {
		reap(&reaped, &odd, WNOHANG);
		sleep_ms(5);
	}
	stop();
	diag("memory ran out at %d processes: %d forks refused (%d ENOMEM, %d EAGAIN), "
	     "%d + %d ended before the stop", load(&b->registered), load(&b->refused),
	     load(&b->enomem), load(&b->eagain), load(&b->sigchld), reaped);
	/* Kill every process counted until none is left; forks after the stop exit. */
	do {
		int n = load(&b->registered) < SLOTS ? load(&b->registered) : SLOTS;

		for (int i = 0; i < n; i++) {
			pid_t pid = load(&b->pids[i]);
			if (pid > 0 && pid != getpid())
				kill(pid, SIGKILL);
		}
		sweeps++;
		sleep_ms(5);
	} while ((err = reap(&reaped, &odd, WNOHANG)) != ECHILD);
	ok_eq(b->other_errno, 0, "every refused fork failed with ENOMEM or EAGAIN");
	ok(load(&b->registered) <= SLOTS, "every process of the bomb was counted");
	ok(reaped >= load(&b->registered),
	   "every process of the bomb came to this program and was reaped");
	diag("%d processes reaped in %d sweeps, %d counted", reaped, sweeps, load(&b->registered));
	ok_eq(odd, 0, "each was killed (SIGKILL) or exited when stopped");
	ok_exited_with(fork_ordinary_work(), 0, "a process forked afterwards runs and exits");
	if (before >= 0)
		ok_eq(free_frames(), before, "every frame the bomb took is free again");
	else
		ok(1, "every frame the bomb took is free again");	/* Linux: no count */
	return done_testing();
}
