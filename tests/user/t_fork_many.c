/*
 * t_fork_many: 200 children live at once; each touches 64 KiB of fresh
 * memory and writes a page it shares copy-on-write with the parent, then
 * exits with its own code (its index + 1), which the parent checks for
 * every one of them. The parent's page is unchanged, and afterwards there
 * is no child left to wait for.
 */
#include "util.h"

#define KIDS 200
#define FRESH (64 * 1024)

static char *cow;

static void kid(int i)
{
	char *f = map_anon(FRESH, PROT_READ | PROT_WRITE);

	if (f == MAP_FAILED)
		_exit(250);
	if (nonzero_at(f, FRESH) != -1)
		_exit(251);
	memset(f, i, FRESH);
	if (check(cow, PAGE, 77) != -1)
		_exit(252);
	memset(cow, i, PAGE);
	for (size_t j = 0; j < PAGE; j++)
		if (cow[j] != (char)i || f[j * (FRESH / PAGE)] != (char)i)
			_exit(253);
	_exit(i + 1);
}

int main(void)
{
	static pid_t pids[KIDS];
	int forked = 0, codes_ok = 0, all_reaped = 1;

	cow = map_anon(PAGE, PROT_READ | PROT_WRITE);
	if (!ok(cow != MAP_FAILED, "mmap the copy-on-write page"))
		return done_testing();
	fill(cow, PAGE, 77);

	for (int i = 0; i < KIDS; i++) {
		pid_t pid = tap_fork();

		if (pid == 0)
			kid(i);
		if (pid < 0) {
			diag("  fork %d failed, errno %d (%s)", i, errno, tap_errno_name(errno));
			break;
		}
		pids[i] = pid;
		forked++;
	}
	ok_eq(forked, KIDS, "fork 200 children");

	for (int i = 0; i < forked; i++) {
		int st = tap_wait(pids[i]);

		if (expect_exited_with(st, i + 1))
			codes_ok++;
		else if (codes_ok + 5 > i) {
			diag("  child %d:", i);
			tap_diag_status(st);
		}
		if (st == -1)
			all_reaped = 0;
	}
	ok_eq(codes_ok, KIDS, "every child exited with its own code");
	ok(all_reaped, "every child was reaped by its pid");
	ok_eq(check(cow, PAGE, 77), -1, "the parent's copy-on-write page is unchanged");
	ok_sys(waitpid(-1, NULL, 0), ECHILD, "no child is left: ECHILD");

	/* Once more, waiting for any child rather than by pid. */
	{
		static unsigned char seen[KIDS];
		int n = 0, dup = 0;

		forked = 0;
		for (int i = 0; i < KIDS; i++) {
			pid_t pid = tap_fork();

			if (pid == 0)
				kid(i);
			if (pid < 0)
				break;
			forked++;
		}
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, 0);

			if (w < 0)
				break;
			if (WIFEXITED(st) && WEXITSTATUS(st) >= 1 && WEXITSTATUS(st) <= KIDS) {
				if (seen[WEXITSTATUS(st) - 1]++)
					dup++;
				else
					n++;
			}
		}
		ok_eq(forked, KIDS, "fork 200 more");
		ok(n == KIDS && dup == 0, "waitpid(-1) returns each of them once, with its code");
		ok_eq(errno, ECHILD, "and then ECHILD");
	}
	ok_eq(check(cow, PAGE, 77), -1, "the parent's page is still unchanged");
	return done_testing();
}
