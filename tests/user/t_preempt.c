/*
 * t_preempt: the timer preempts a process that never makes a system call,
 * so two such processes run side by side. Each spins on a counter in shared
 * memory; each waits, still spinning and without a system call, until the
 * other's counter has moved. Without preemption the first to spin would
 * wait forever (the rdtsc bound then fails the test instead of hanging).
 */
#include "tap.h"
#include "util.h"

#include <sys/mman.h>
#include <x86intrin.h>

#define SPIN_LIMIT	(20ull * 1000 * 1000 * 1000)	/* TSC cycles: seconds, not forever */

/* Spins until *other reaches @want or the TSC bound passes, counting in *mine. */
static int spin_until(volatile unsigned long *mine, volatile unsigned long *other,
		      unsigned long want)
{
	unsigned long long start = __rdtsc();

	while (*other < want) {
		(*mine)++;
		if (__rdtsc() - start > SPIN_LIMIT)
			return 0;
	}
	return 1;
}

int main(void)
{
	volatile unsigned long *c = map_shared(4096);

	ok(c != NULL, "a shared page for the two counters");
	if (!c)
		return done_testing();
	pid_t pid = tap_fork();
	if (pid == 0) {
		/* The child needs the parent to have counted, and to keep going after. */
		int ok1 = spin_until(&c[1], &c[0], 1000);
		c[2] = ok1;
		spin_until(&c[1], &c[3], 1);
		_exit(ok1 ? 0 : 1);
	}
	ok(spin_until(&c[0], &c[1], 100000), "the parent saw the child run while it spun");
	c[3] = 1;
	int st = tap_wait(pid);
	ok(expect_exited_with(st, 0), "the child saw the parent run while it spun");
	return done_testing();
}
