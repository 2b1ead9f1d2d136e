/*
 * t_preempt: the timer preempts a process that never makes a system call,
 * so two such processes run side by side. Each spins on a counter in shared
 * memory and waits, still spinning and without a system call, until it has
 * seen the other's counter move; each keeps counting until the other has
 * seen it move too. Without preemption the first to spin would wait forever
 * (the rdtsc bound then fails the test instead of hanging).
 */
#include "tap.h"
#include "util.h"

#include <sys/mman.h>
#include <x86intrin.h>

#define SPIN_LIMIT	(20ull * 1000 * 1000 * 1000)	/* TSC cycles: seconds, not forever */

enum { PARENT_COUNT, CHILD_COUNT, CHILD_DONE, PARENT_DONE };

/*
 * Counts in *mine until *other has moved @want past the value it had when
 * this started (a change seen while spinning), or until the TSC bound.
 */
static int saw_other_move(volatile unsigned long *mine, volatile unsigned long *other,
			  unsigned long want)
{
	unsigned long long start = __rdtsc();
	unsigned long from = *other;

	while (*other - from < want) {
		(*mine)++;
		if (__rdtsc() - start > SPIN_LIMIT)
			return 0;
	}
	return 1;
}

/* Counts in *mine until *flag is set (or the TSC bound). */
static void count_until(volatile unsigned long *mine, volatile unsigned long *flag)
{
	unsigned long long start = __rdtsc();

	while (!*flag && __rdtsc() - start <= SPIN_LIMIT)
		(*mine)++;
}

int main(void)
{
	volatile unsigned long *c = map_shared(4096);

	ok(c != NULL, "a shared page for the two counters");
	if (!c)
		return done_testing();
	pid_t pid = tap_fork();
	if (pid == 0) {
		int seen = saw_other_move(&c[CHILD_COUNT], &c[PARENT_COUNT], 1000);
		c[CHILD_DONE] = 1;
		count_until(&c[CHILD_COUNT], &c[PARENT_DONE]);
		_exit(seen ? 0 : 1);
	}
	ok(saw_other_move(&c[PARENT_COUNT], &c[CHILD_COUNT], 1000),
	   "the parent saw the child run while it spun");
	count_until(&c[PARENT_COUNT], &c[CHILD_DONE]);
	c[PARENT_DONE] = 1;
	int st = tap_wait(pid);
	ok(expect_exited_with(st, 0), "the child saw the parent run while it spun");
	return done_testing();
}
