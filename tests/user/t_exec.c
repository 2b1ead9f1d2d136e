/*
 * t_exec: execve of the program itself (argv[0]) with an argument that makes
 * it take another branch, in a child from fork and from vfork: the new image
 * gets its arguments and environment, fresh .data/.bss/heap (not the
 * caller's), and its exit status reaches the parent. execve of a missing
 * file fails with ENOENT and the caller goes on.
 */
#include "util.h"

static int data_var = 1111;
static char bss_var[PAGE];

/* The exec'd branch: exits 42 if everything it was given is as expected. */
static int execd(int argc, char **argv, char **envp)
{
	uintptr_t b = raw_brk(0);
	int have_env = 0;

	if (argc != 4 || strcmp(argv[2], "two words") != 0 || argv[4] != NULL)
		return 1;
	for (char **e = envp; *e; e++)
		if (strcmp(*e, "TAP_EXEC_VAR=value") == 0)
			have_env = 1;
	if (!have_env)
		return 2;
	if (data_var != 1111 || bss_var[10] != 0)
		return 3; /* the caller's values must not leak through exec */
	if (b == 0 || raw_brk(b + PAGE) != b + PAGE)
		return 4;
	if (strcmp(argv[3], "exit-code") == 0)
		return 42;
	if (strcmp(argv[3], "segv") == 0) {
		volatile uintptr_t bad = 8; /* opaque to the compiler */

		probe_write((void *)bad);
	}
	return 5;
}

static char *self;

static void do_exec(void *arg)
{
	char *av[] = { self, "--execd", "two words", arg, NULL };
	char *ev[] = { "A=1", "TAP_EXEC_VAR=value", NULL };

	data_var = 2222; /* would be seen by the new image if exec kept .data */
	bss_var[10] = 1;
	execve(self, av, ev);
	_exit(99);
}

int main(int argc, char **argv, char **envp)
{
	int st;
	pid_t pid;

	if (argc >= 2 && strcmp(argv[1], "--execd") == 0)
		return execd(argc, argv, envp);
	self = argv[0];

	st = run_in_child(do_exec, "exit-code");
	ok_exited_with(st, 42, "a child execs the program: the new image's exit status 42 reaches the parent");
	st = run_in_child(do_exec, "segv");
	ok_killed_by(st, SIGSEGV, "an exec'd image that faults: SIGSEGV reaches the parent");
	ok(data_var == 1111 && bss_var[10] == 0, "the parent's .data and .bss are its own");

	/* vfork + exec. */
	{
		char *av[] = { self, "--execd", "two words", "exit-code", NULL };
		char *ev[] = { "TAP_EXEC_VAR=value", NULL };

		fflush(stdout);
		pid = vfork();
		if (pid == 0) {
			execve(self, av, ev);
			_exit(99);
		}
		ok(pid > 0, "vfork");
		ok_exited_with(tap_wait(pid), 42, "vfork + execve: exit status 42");
	}

	/* vfork + _exit. */
	fflush(stdout);
	pid = vfork();
	if (pid == 0)
		_exit(7);
	ok(pid > 0, "vfork again");
	ok_exited_with(tap_wait(pid), 7, "vfork + _exit(7): exit status 7");

	/* Failures. */
	{
		char *av[] = { "/no/such/program", NULL };
		char *ev[] = { NULL };

		ok_sys(execve("/no/such/program", av, ev), ENOENT, "execve of a missing file: ENOENT");
		ok(data_var == 1111, "the program goes on after a failed execve");
		st = run_in_child(do_exec, "exit-code");
		ok_exited_with(st, 42, "and can still exec afterwards");
	}

	/* Many in a row: nothing leaks per exec. */
	{
		int good = 0;

		for (int i = 0; i < 20; i++)
			if (expect_exited_with(run_in_child(do_exec, "exit-code"), 42))
				good++;
		ok_eq(good, 20, "20 fork + execs in a row all exit 42");
	}
	ok_sys(waitpid(-1, NULL, 0), ECHILD, "no child is left: ECHILD");
	return done_testing();
}
