/*
 * t_shared: MAP_SHARED|MAP_ANONYMOUS memory is the same memory in parent and
 * child, both ways, also while both run, through nested forks and after the
 * writer has exited; MAP_PRIVATE memory next to it is not shared.
 */
#include "util.h"

#define N 16

static char *sh;   /* N shared pages */
static char *pr;   /* N private pages */

static void child_reads_then_writes(void *arg)
{
	(void)arg;
	if (check(sh, N * PAGE, 1) != -1)
		_exit(1);
	if (check(pr, N * PAGE, 2) != -1)
		_exit(2);
	fill(sh, N * PAGE, 3);
	fill(pr, N * PAGE, 4);
	_exit(0);
}

/* Ping-pong: child and parent take turns incrementing a shared counter. */
static void child_pingpong(void *arg)
{
	volatile int *ctr = (volatile int *)(sh + 5 * PAGE);

	(void)arg;
	for (int i = 0; i < 20; i++) {
		if (!wait_flag(ctr, 2 * i + 1))
			_exit(1);
		*ctr = 2 * i + 2;
	}
	_exit(0);
}

static void grandchild(void *arg)
{
	(void)arg;
	sh[7 * PAGE + 1] = 'g';
	_exit(0);
}

static void child_nested(void *arg)
{
	int st;

	(void)arg;
	sh[7 * PAGE] = 'c';
	st = run_in_child(grandchild, NULL);
	if (!expect_exited_with(st, 0))
		_exit(1);
	if (sh[7 * PAGE + 1] != 'g')
		_exit(2);
	_exit(0);
}

static void child_unmaps(void *arg)
{
	(void)arg;
	if (munmap(sh, N * PAGE) != 0)
		_exit(1);
	_exit(0);
}

/* The parent reads what this child wrote after the child is gone. */
static void child_writes_then_exits(void *arg)
{
	(void)arg;
	fill(sh + 8 * PAGE, 8 * PAGE, 9);
	_exit(0);
}

int main(void)
{
	int st;

	sh = map_shared(N * PAGE);
	pr = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(sh != MAP_FAILED && pr != MAP_FAILED,
		"mmap shared and private anonymous memory"))
		return done_testing();
	ok_eq(nonzero_at(sh, N * PAGE), -1, "fresh shared pages read as zero");
	fill(sh, N * PAGE, 1);
	fill(pr, N * PAGE, 2);

	st = run_in_child(child_reads_then_writes, NULL);
	ok_exited_with(st, 0, "the child sees the parent's shared and private content");
	ok_eq(check(sh, N * PAGE, 3), -1, "the parent sees the child's writes to shared memory");
	ok_eq(check(pr, N * PAGE, 2), -1, "but not its writes to private memory");

	/* While both run. */
	{
		volatile int *ctr = (volatile int *)(sh + 5 * PAGE);
		pid_t pid;
		int good = 1;

		*ctr = 0;
		pid = tap_fork();
		if (pid == 0)
			child_pingpong(NULL);
		for (int i = 0; i < 20 && good; i++) {
			*ctr = 2 * i + 1;
			good = wait_flag(ctr, 2 * i + 2);
		}
		ok(good, "parent and child take 20 turns on a shared counter");
		ok_exited_with(tap_wait(pid), 0, "the child saw every turn of the parent");
	}

	/* Nested. */
	st = run_in_child(child_nested, NULL);
	ok_exited_with(st, 0, "a grandchild's write is seen by the child");
	ok(sh[7 * PAGE] == 'c' && sh[7 * PAGE + 1] == 'g',
	   "the parent sees the child's and the grandchild's writes");

	/* A child's munmap does not affect the parent. */
	st = run_in_child(child_unmaps, NULL);
	ok_exited_with(st, 0, "the child unmaps the shared memory");
	sh[0] = 'p';
	ok(sh[0] == 'p' && sh[7 * PAGE] == 'c', "the parent's shared mapping is still there");

	/* The memory outlives the writer. */
	st = run_in_child(child_writes_then_exits, NULL);
	ok_exited_with(st, 0, "a child writes 8 shared pages and exits");
	ok_eq(check_at(sh + 8 * PAGE, 0, 8 * PAGE, 9), -1,
	      "the parent reads them after the child is gone");

	/* mprotect in the parent does not change the content the child wrote. */
	ok_eq(mprotect(sh, N * PAGE, PROT_READ), 0, "mprotect the shared memory read-only");
	ok_killed_by(run_in_child(probe_write, sh + PAGE), SIGSEGV,
		     "a child cannot write read-only shared memory");
	ok_eq(check_at(sh + 8 * PAGE, 0, 8 * PAGE, 9), -1, "the content is intact");
	ok_eq(mprotect(sh, N * PAGE, PROT_READ | PROT_WRITE), 0, "mprotect it back read-write");

	ok_eq(munmap(sh, N * PAGE), 0, "munmap the shared memory");
	ok_eq(munmap(pr, N * PAGE), 0, "munmap the private memory");
	return done_testing();
}
