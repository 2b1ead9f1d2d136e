/*
 * membarrier: the commands Linux 6.1 reports (MEMBARRIER_CMD_QUERY's mask),
 * its flag and command checks (unknown commands, GET_REGISTRATIONS which
 * 6.1 does not have, flags only for the RSEQ command and only
 * MEMBARRIER_CMD_FLAG_CPU), the private commands EPERM until their own
 * registration (SYNC_CORE's not giving the plain one), registrations shared
 * by threads, kept by fork and dropped by execve, a cpu_id naming no CPU, and
 * the barrier itself: two threads each storing then loading, one with a
 * plain compiler barrier and the other with membarrier(), never both see
 * the other's store missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

enum {
	QUERY = 0, GLOBAL = 1, GLOBAL_EXPEDITED = 2, REGISTER_GLOBAL_EXPEDITED = 4,
	PRIVATE_EXPEDITED = 8, REGISTER_PRIVATE_EXPEDITED = 16,
	PRIVATE_EXPEDITED_SYNC_CORE = 32, REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64,
	PRIVATE_EXPEDITED_RSEQ = 128, REGISTER_PRIVATE_EXPEDITED_RSEQ = 256,
	GET_REGISTRATIONS = 512,	/* Linux 6.3 */
	FLAG_CPU = 1,
};
#define ROUNDS	50	/* each call costs Linux on TCG a good part of a second */

static long mb(int cmd, unsigned flags, int cpu)
{
	return syscall(SYS_membarrier, cmd, flags, cpu);
}

static void checks(void)
{
	ok_eq(mb(QUERY, 0, 0), 0x1ff, "QUERY: every command of 6.1, GLOBAL too (no nohz_full)");
	ok_eq(mb(QUERY, 0, 12345), 0x1ff, "QUERY ignores cpu_id");
	ok_sys(mb(QUERY, 1, 0), EINVAL, "QUERY with a flag: EINVAL");
	ok_sys(mb(GET_REGISTRATIONS, 0, 0), EINVAL, "GET_REGISTRATIONS (6.3): EINVAL");
	ok_sys(mb(3, 0, 0), EINVAL, "command 3 (two bits): EINVAL");
	ok_sys(mb(-1, 0, 0), EINVAL, "command -1: EINVAL");
	ok_sys(mb(1024, 0, 0), EINVAL, "command 1024: EINVAL");
	ok_sys(mb(GLOBAL, FLAG_CPU, 0), EINVAL, "GLOBAL with FLAG_CPU: EINVAL");
	ok_sys(mb(PRIVATE_EXPEDITED, FLAG_CPU, 0), EINVAL, "PRIVATE_EXPEDITED with FLAG_CPU: EINVAL");
	ok_sys(mb(PRIVATE_EXPEDITED_RSEQ, 2, 0), EINVAL, "RSEQ with flag 2: EINVAL");
	ok_sys(mb(PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 0), EPERM,
	       "RSEQ with FLAG_CPU unregistered: EPERM (the flag is its own)");
	ok_eq(mb(GLOBAL, 0, 0), 0, "GLOBAL");
	ok_eq(mb(GLOBAL_EXPEDITED, 0, 0), 0, "GLOBAL_EXPEDITED needs no registration");
	ok_eq(mb(REGISTER_GLOBAL_EXPEDITED, 0, 0), 0, "REGISTER_GLOBAL_EXPEDITED");
	ok_eq(mb(REGISTER_GLOBAL_EXPEDITED, 0, 0), 0, "... again");
	ok_eq(mb(GLOBAL_EXPEDITED, 0, 0), 0, "GLOBAL_EXPEDITED registered");
	ok_sys(mb(PRIVATE_EXPEDITED, 0, 0), EPERM, "PRIVATE_EXPEDITED unregistered: EPERM");
	ok_sys(mb(PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM, "SYNC_CORE unregistered: EPERM");
	ok_sys(mb(PRIVATE_EXPEDITED_RSEQ, 0, 0), EPERM, "RSEQ unregistered: EPERM");
	ok_eq(mb(REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0, "REGISTER_..._SYNC_CORE");
	ok_eq(mb(PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0, "SYNC_CORE registered");
	ok_sys(mb(PRIVATE_EXPEDITED, 0, 0), EPERM, "its registration is not PRIVATE_EXPEDITED's");
	ok_sys(mb(REGISTER_PRIVATE_EXPEDITED, FLAG_CPU, 0), EINVAL, "a register command with a flag");
	ok_eq(mb(REGISTER_PRIVATE_EXPEDITED, 0, 0), 0, "REGISTER_PRIVATE_EXPEDITED");
	ok_eq(mb(REGISTER_PRIVATE_EXPEDITED, 0, 0), 0, "... again");
	ok_eq(mb(PRIVATE_EXPEDITED, 0, 0), 0, "PRIVATE_EXPEDITED registered");
	ok_eq(mb(PRIVATE_EXPEDITED, 0, 7), 0, "cpu_id without FLAG_CPU is ignored");
	ok_eq(mb(REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0, "REGISTER_..._RSEQ");
	ok_eq(mb(PRIVATE_EXPEDITED_RSEQ, 0, 0), 0, "RSEQ registered");
	ok_eq(mb(PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 0), 0, "RSEQ on CPU 0");
	ok_eq(mb(PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 4095), 0, "RSEQ on CPU 4095 (none): 0");
	ok_eq(mb(PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, -5), 0, "RSEQ on CPU -5: 0");
}

/* What a fork child keeps and an execve'd image starts without. */
static void fresh_space(char *argv0)
{
	pid_t c;
	int st;

	fflush(stdout);
	c = fork();
	if (!c)
		_exit((mb(PRIVATE_EXPEDITED, 0, 0) ? 1 : 0) | (mb(PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) ? 2 : 0) |
		      (mb(GLOBAL_EXPEDITED, 0, 0) ? 4 : 0));
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "a fork child keeps the registrations");
	fflush(stdout);
	c = fork();
	if (!c) {
		execl(argv0, argv0, "exec", (char *)NULL);
		_exit(2);
	}
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "after execve: not registered");
}

static volatile int x, y, go, stop;
static volatile int r_thread;

/* The plain side: store, compiler barrier, load; once per round. */
static void *plain_side(void *arg)
{
	(void)arg;
	for (int seen = 0; seen < ROUNDS;) {
		while (go != seen + 1 && !stop)
			sched_yield();
		if (stop)
			break;
		x = 1;
		__asm__ volatile("" ::: "memory");
		r_thread = y;
		seen++;
		__atomic_store_n(&go, -seen, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Dekker with one side's fence made by membarrier: never both loads 0. */
static void litmus(void)
{
	pthread_t t;
	int both_zero = 0, fails = 0;

	ok_eq(pthread_create(&t, NULL, plain_side, NULL), 0, "a second thread");
	ok_eq(mb(PRIVATE_EXPEDITED, 0, 0), 0, "the thread shares the registration");
	for (int i = 1; i <= ROUNDS; i++) {
		int r_main;

		x = 0;
		y = 0;
		__atomic_store_n(&go, i, __ATOMIC_SEQ_CST);
		y = 1;
		if (mb(PRIVATE_EXPEDITED, 0, 0))
			fails++;
		r_main = x;
		while (go != -i)
			sched_yield();
		both_zero += !r_main && !r_thread;
	}
	stop = 1;
	pthread_join(t, NULL);
	ok_eq(fails, 0, "%d PRIVATE_EXPEDITED calls beside a running thread", ROUNDS);
	ok_eq(both_zero, 0, "no round where both sides missed the other's store");
	ok_eq(mb(PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0, "SYNC_CORE after the thread");
	ok_eq(mb(GLOBAL, 0, 0), 0, "GLOBAL after the thread");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return mb(PRIVATE_EXPEDITED, 0, 0) == -1 && errno == EPERM ? 0 : 1;
	checks();
	fresh_space(argv[0]);
	litmus();
	return done_testing();
}
