/*
 * t_argmax: execve's argument limits are Linux's: all strings and their
 * pointers within a quarter of the stack limit (2 MiB of the default
 * 8 MiB), each string within 128 KiB with its NUL, and no limit of its own
 * on how many there are. Each case execs this program, which checks what
 * it received and exits 0; a refused exec exits with the errno.
 */
#define _GNU_SOURCE
#include "util.h"

#define STRLEN_MAX	(128 * 1024)

static const char *self;

/* The child's side: argv[1] says what to expect. */
static int verify(int argc, char **argv)
{
	long n = 0, len = 0;

	if (sscanf(argv[1], "check:%ld:%ld", &n, &len) != 2 || argc != n + 2)
		return 2;
	for (int i = 2; i < argc; i++)
		if ((long)strlen(argv[i]) != len)
			return 3;
	return 0;
}

struct job {
	long count, len;
};

static void exec_job(void *arg)
{
	struct job *j = arg;
	char **v = calloc(j->count + 3, sizeof(char *));
	char *s = malloc(j->len + 1), tag[64];

	if (!v || !s)
		_exit(100);
	memset(s, 'a', j->len);
	s[j->len] = 0;
	snprintf(tag, sizeof(tag), "check:%ld:%ld", j->count, j->len);
	v[0] = (char *)self;
	v[1] = tag;
	for (long i = 0; i < j->count; i++)
		v[i + 2] = s;
	execve(self, v, (char *[]){ "A=1", NULL });
	_exit(errno);
}

static int run(long count, long len)
{
	struct job j = { count, len };

	return run_in_child(exec_job, &j);
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1)
		return verify(argc, argv);
	ok_exited_with(run(1, STRLEN_MAX - 1), 0, "one string of 128 KiB with its NUL");
	ok_exited_with(run(1, STRLEN_MAX), E2BIG, "one string of 128 KiB plus its NUL: E2BIG");
	ok_exited_with(run(15, 100000), 0, "15 strings of 100000 bytes (1.5 MB)");
	ok_exited_with(run(25, 100000), E2BIG, "25 strings of 100000 bytes (2.5 MB): E2BIG");
	ok_exited_with(run(5000, 0), 0, "5000 empty strings");
#if ABI64
	ok_exited_with(run(300000, 0), E2BIG, "300000 empty strings (their pointers: 2.4 MB): E2BIG");
#else
	ok_exited_with(run(500000, 0), E2BIG, "500000 empty strings (their pointers: 2.0 MB): E2BIG");
#endif
	ok_exited_with(run(2, 0), 0, "after all that, a small exec still works");
	return done_testing();
}
