/*
 * t_orphans: processes whose parent exits without waiting. Each round a
 * child starts 20 grandchildren that exit at once and then exits itself,
 * leaving them orphaned zombies; 30 rounds make 600 of them, more than
 * there are task slots unless each one is freed (or reaped by init, which
 * this program is when it runs as process 1). Every
 * fork must keep succeeding, and (checked by the harness) every frame of
 * theirs must come back.
 */
#define _GNU_SOURCE
#include "util.h"

#define ROUNDS	30
#define KIDS	20

static volatile int *exited;

static void orphan_maker(void *arg)
{
	int started = 0;

	(void)arg;
	*exited = 0;
	for (int i = 0; i < KIDS; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			__atomic_fetch_add(exited, 1, __ATOMIC_SEQ_CST);
			_exit(0);
		}
		started += pid > 0;
	}
	/* Let them all die, then leave them as zombies. */
	if (started != KIDS || !wait_flag(exited, KIDS))
		_exit(1);
	sleep_ms(5);
	_exit(0);
}

int main(void)
{
	int bad = 0;

	exited = map_shared(PAGE);
	if (!ok(exited != MAP_FAILED, "a shared counter"))
		return done_testing();
	for (int r = 0; r < ROUNDS; r++) {
		int st = run_in_child(orphan_maker, NULL);

		if (!expect_exited_with(st, 0)) {
			bad++;
			diag("round %d: status %#x", r, st);
		}
		/* Run as process 1 (no init above us), the orphans are ours to reap. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	ok_eq(bad, 0, "%d rounds of %d orphaned zombies: every fork succeeded", ROUNDS, KIDS);
	ok_exited_with(run_in_child(orphan_maker, NULL), 0, "one more round after all that");
	return done_testing();
}
