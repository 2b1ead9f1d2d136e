/*
 * t_stack_overflow: the stack grows on demand (a deep but bounded recursion
 * works, also in a child), and unbounded recursion in a child ends with
 * SIGSEGV, not a hang or a kernel crash; the parent's stack is unaffected.
 */
#include "util.h"

/* Each frame holds 1 KiB and uses it, so the recursion cannot be optimized away. */
static __attribute__((noinline)) unsigned long deep(unsigned long n, unsigned long limit)
{
	volatile unsigned char frame[1024];
	unsigned long sum;

	frame[0] = (unsigned char)n;
	frame[sizeof(frame) - 1] = (unsigned char)(n >> 8);
	if (n == limit)
		return frame[0];
	sum = deep(n + 1, limit);
	return sum + frame[0] + frame[sizeof(frame) - 1];
}

static unsigned long expect_sum(unsigned long limit)
{
	unsigned long s = (unsigned char)limit;

	for (unsigned long n = 0; n < limit; n++)
		s += (unsigned char)n + (unsigned char)(n >> 8);
	return s;
}

static void child_bounded(void *arg)
{
	unsigned long limit = (unsigned long)arg;

	_exit(deep(0, limit) == expect_sum(limit) ? 0 : 1);
}

static void child_unbounded(void *arg)
{
	(void)arg;
	deep(0, (unsigned long)-1);
	_exit(3);
}

int main(void)
{
	int st;

	ok_eq(deep(0, 32), expect_sum(32), "a 32-deep recursion (32 KiB of stack) works");
	st = run_in_child(child_bounded, (void *)1000UL);
	ok_exited_with(st, 0, "a 1000-deep recursion (1 MiB of stack) works in a child");
	st = run_in_child(child_bounded, (void *)4000UL);
	ok_exited_with(st, 0, "a 4000-deep recursion (4 MiB of stack) works in a child");
	st = run_in_child(child_unbounded, NULL);
	ok_killed_by(st, SIGSEGV, "unbounded recursion in a child: SIGSEGV");
	st = run_in_child(child_unbounded, NULL);
	ok_killed_by(st, SIGSEGV, "again in another child: SIGSEGV");
	ok_eq(deep(0, 32), expect_sum(32), "the parent still recurses 32 deep");
	st = run_in_child(child_bounded, (void *)1000UL);
	ok_exited_with(st, 0, "and a new child 1000 deep");
	return done_testing();
}
