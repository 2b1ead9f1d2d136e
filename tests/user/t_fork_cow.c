/*
 * t_fork_cow: after fork, parent and child each see their own copy of
 * private memory (anonymous mappings, .data, .bss, the stack, the heap from
 * brk), whichever of them writes first; many pages; nested forks.
 * Children report through exit codes (0 = all good, else the failed step).
 */
#include "util.h"

#define N 64

static char *p;               /* N private pages, filled with seed 10 */
static volatile int *sync_;   /* a shared page for ordering parent and child */
static int data_var = 1234;   /* .data */
static char bss_buf[3 * 4096]; /* .bss */

/* The child checks the parent's content, overwrites it all, checks its own. */
static void child_writes_all(void *arg)
{
	(void)arg;
	if (check(p, N * PAGE, 10) != -1)
		_exit(1);
	fill(p, N * PAGE, 11);
	if (check(p, N * PAGE, 11) != -1)
		_exit(2);
	if (data_var != 1234 || bss_buf[4096] != 'b')
		_exit(3);
	data_var = 5678;
	bss_buf[4096] = 'c';
	_exit(0);
}

/* The child waits for the parent to write, then checks it still sees the old content. */
static void child_waits_then_checks(void *arg)
{
	(void)arg;
	sync_[0] = 1;
	if (!wait_flag(&sync_[1], 1))
		_exit(9);
	if (check(p, N * PAGE, 10) != -1)
		_exit(1);
	if (data_var != 1234)
		_exit(2);
	fill(p, PAGE, 13); /* now the child writes too, after the parent */
	if (check(p, PAGE, 13) != -1)
		_exit(3);
	_exit(0);
}

/* Child: writes half, forks a grandchild that sees the child's content and writes its own. */
static void grandchild(void *arg)
{
	(void)arg;
	if (check_at(p, 0, N / 2 * PAGE, 20) != -1 || check_at(p, N / 2 * PAGE, N / 2 * PAGE, 10) != -1)
		_exit(1);
	fill(p, N * PAGE, 21);
	if (check(p, N * PAGE, 21) != -1)
		_exit(2);
	_exit(0);
}

static void child_nested(void *arg)
{
	int st;

	(void)arg;
	/* Pages 0..N/2 with seed 20 as fill() would write them at offset 0. */
	for (size_t i = 0; i < N / 2 * PAGE; i++)
		p[i] = (char)pat(20, i);
	st = run_in_child(grandchild, NULL);
	if (!expect_exited_with(st, 0))
		_exit(10 + (WIFEXITED(st) ? WEXITSTATUS(st) : 9));
	if (check_at(p, 0, N / 2 * PAGE, 20) != -1)
		_exit(3);
	if (check_at(p, N / 2 * PAGE, N / 2 * PAGE, 10) != -1)
		_exit(4);
	_exit(0);
}

static void child_stack(void *arg)
{
	volatile char *s = arg; /* the parent's stack array */

	if (s[0] != 's' || s[100] != 't')
		_exit(1);
	s[0] = 'X';
	s[100] = 'Y';
	_exit(0);
}

static char *heap;

static void child_heap(void *arg)
{
	(void)arg;
	if (check(heap, 4 * PAGE, 30) != -1)
		_exit(1);
	fill(heap, 4 * PAGE, 31);
	_exit(0);
}

static char *fresh;

static void child_fresh(void *arg)
{
	(void)arg;
	if (nonzero_at(fresh, 4 * PAGE) != -1)
		_exit(1);
	fill(fresh, 4 * PAGE, 40);
	_exit(0);
}

int main(void)
{
	int st;
	volatile char stack_arr[256];

	p = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
	sync_ = map_shared(PAGE);
	if (!ok(p != MAP_FAILED && sync_ != MAP_FAILED, "mmap 64 private pages and a shared one"))
		return done_testing();
	fill(p, N * PAGE, 10);
	bss_buf[4096] = 'b';

	/* The child writes; the parent must not see it. */
	st = run_in_child(child_writes_all, NULL);
	ok_exited_with(st, 0, "the child sees the parent's 64 pages and overwrites them");
	ok_eq(check(p, N * PAGE, 10), -1, "the parent's 64 pages are unchanged");
	ok(data_var == 1234 && bss_buf[4096] == 'b', "the parent's .data and .bss are unchanged");
	fill(p, PAGE, 10);
	ok_eq(check(p, N * PAGE, 10), -1, "the parent can still write its pages");

	/* The parent writes while the child lives; the child must not see it. */
	sync_[0] = sync_[1] = 0;
	{
		pid_t pid = tap_fork();

		if (pid == 0)
			child_waits_then_checks(NULL);
		ok(pid > 0, "fork a child that waits");
		ok(wait_flag(&sync_[0], 1), "the child started");
		fill(p, N * PAGE, 12);
		data_var = 4321;
		sync_[1] = 1;
		st = tap_wait(pid);
		ok_exited_with(st, 0, "the child does not see the parent's later writes");
		ok_eq(check(p, N * PAGE, 12), -1, "the parent sees its own writes");
		ok_eq(data_var, 4321, "the parent sees its own .data write");
	}
	fill(p, N * PAGE, 10);
	data_var = 1234;

	/* Nested forks. */
	st = run_in_child(child_nested, NULL);
	ok_exited_with(st, 0, "child and grandchild each see their own copy");
	ok_eq(check(p, N * PAGE, 10), -1, "the parent's pages are unchanged by both");

	/* The stack. */
	stack_arr[0] = 's';
	stack_arr[100] = 't';
	st = run_in_child(child_stack, (void *)stack_arr);
	ok_exited_with(st, 0, "the child sees the parent's stack and writes it");
	ok(stack_arr[0] == 's' && stack_arr[100] == 't', "the parent's stack is unchanged");

	/* The brk heap. */
	{
		uintptr_t cur = raw_brk(0);
		uintptr_t base = (cur + PAGE - 1) & ~(PAGE - 1);

		ok_eq(raw_brk(base + 4 * PAGE), base + 4 * PAGE, "grow the brk heap by 4 pages");
		heap = (char *)base;
		fill(heap, 4 * PAGE, 30);
		st = run_in_child(child_heap, NULL);
		ok_exited_with(st, 0, "the child sees the parent's heap and writes it");
		ok_eq(check(heap, 4 * PAGE, 30), -1, "the parent's heap is unchanged");
	}

	/* Pages nobody touched before the fork. */
	fresh = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	ok(fresh != MAP_FAILED, "mmap 4 untouched pages");
	st = run_in_child(child_fresh, NULL);
	ok_exited_with(st, 0, "the child sees untouched pages as zero and writes them");
	ok_eq(nonzero_at(fresh, 4 * PAGE), -1, "the parent still sees zero");

	/* Many children one after the other, each writing everything. */
	{
		int bad = 0;

		for (int i = 0; i < 8; i++)
			if (!expect_exited_with(run_in_child(child_writes_all, NULL), 0))
				bad++;
		ok_eq(bad, 0, "8 children in turn each see the parent's content");
		ok_eq(check(p, N * PAGE, 10), -1, "and the parent's pages are still unchanged");
	}

	/* After the children are gone the parent writes its (now unshared) pages. */
	fill(p, N * PAGE, 50);
	ok_eq(check(p, N * PAGE, 50), -1, "the parent writes all pages after the children exit");
	return done_testing();
}
