/*
 * t_fork_bomb: a fork bomb run by a user other than root under
 * RLIMIT_NPROC. Every process forks for as long as it can, its children
 * too, so the tree grows until fork fails: with EAGAIN, once the user has
 * RLIMIT_NPROC processes, never more. Then all of them are killed in the
 * reverse of the order they were counted (a child is counted before it
 * forks, so after its parent), each while its parent is there to reap it,
 * and this program - and so the kernel - carries on: a process forked
 * afterwards runs. The harness checks that every frame comes back (on
 * memcore).
 *
 * Only counts that Linux and memcore agree on are compared: the tree's
 * size is the limit; how it grew depends on scheduling and is not checked.
 */
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include "util.h"

#define NOBODY	65534
#define LIMIT	40

struct bomb {
	int registered;		/* processes of the bomb that started */
	int done;		/* ... and whose fork failed */
	int eagain;		/* ... with EAGAIN */
	int other_errno;	/* the first other errno, if any */
	pid_t pids[LIMIT + 8];
};

static struct bomb *b;

/* A fork of the bomb succeeded: counted by the parent before it forks again. */
static void enlist(pid_t pid)
{
	int i = __atomic_fetch_add(&b->registered, 1, __ATOMIC_SEQ_CST);

	if (i < LIMIT + 8)
		__atomic_store_n(&b->pids[i], pid, __ATOMIC_SEQ_CST);
}

/* A new process waits until it is counted: so it comes before its children. */
static void wait_enlisted(void)
{
	pid_t self = getpid();

	for (;;) {
		int n = __atomic_load_n(&b->registered, __ATOMIC_SEQ_CST);
		for (int i = 0; i < n && i < LIMIT + 8; i++)
			if (__atomic_load_n(&b->pids[i], __ATOMIC_SEQ_CST) == self)
				return;
		sched_yield();
	}
}

/*
 * One process of the bomb: fork until refused, then reap children until
 * killed. A child is counted before its parent is done, so once every
 * counted process is done the bomb has stopped growing.
 */
static void bomb(void)
{
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			wait_enlisted();
			continue;	/* the child bombs too */
		}
		if (pid > 0) {
			enlist(pid);
			continue;
		}
		if (errno == EAGAIN)
			__atomic_fetch_add(&b->eagain, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_compare_exchange_n(&b->other_errno, &(int){ 0 }, errno, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		break;
	}
	__atomic_fetch_add(&b->done, 1, __ATOMIC_SEQ_CST);
	for (;;)
		if (wait(NULL) < 0 && errno == ECHILD)
			pause();
}

/* Waits (without a time limit: the harness has one) until @pid is gone. */
static void wait_gone(pid_t pid)
{
	while (kill(pid, 0) == 0)
		sleep_ms(1);
}

int main(void)
{
	struct rlimit rl = { LIMIT, LIMIT };
	pid_t top;

	b = map_shared(PAGE);
	b->registered = 1;	/* the first one, pids[0] */
	fflush(stdout);
	top = fork();
	if (top == 0) {
		if (setuid(NOBODY) || setrlimit(RLIMIT_NPROC, &rl))
			_exit(3);
		bomb();
	}
	b->pids[0] = top;
	ok(top > 0, "the bomb starts");
	/* Every process of the bomb has forked as far as it could. */
	while (__atomic_load_n(&b->done, __ATOMIC_SEQ_CST) <
	       __atomic_load_n(&b->registered, __ATOMIC_SEQ_CST))
		sleep_ms(5);
	ok_eq(b->registered, LIMIT, "it grew to RLIMIT_NPROC processes");
	ok_eq(b->eagain, b->registered, "where every fork failed with EAGAIN");
	ok_eq(b->other_errno, 0, "no other error");
	/* Children before their parents: each one's parent reaps it. */
	for (int i = b->registered - 1; i > 0; i--) {
		kill(b->pids[i], SIGKILL);
		wait_gone(b->pids[i]);
	}
	kill(top, SIGKILL);
	ok_killed_by(tap_wait(top), SIGKILL, "all killed, the first one reaped");
	ok_exited_with(fork_ordinary_work(), 0, "a process forked afterwards runs and exits");
	return done_testing();
}
