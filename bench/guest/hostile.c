// SPDX-License-Identifier: MIT
/*
 * hostile: programs that make a kernel do a lot of memory work in one
 * system call, run one after another, for the interrupts-off measurement
 * (bench/irqoff.sh): the kernel must do such work in bounded chunks, so no
 * stretch with interrupts off grows with the size of the request.
 *
 *   populate_none  MAP_POPULATE of 1 TiB PROT_NONE (once a 9.5 s hang)
 *   populate_read  MAP_POPULATE of 1.5 GiB PROT_READ (zero-page mappings)
 *   munmap_big     munmap of 384 MiB touched
 *   munmap_threads munmap of 128 MiB touched, twice, while another thread of
 *                  the process keeps writing its own pages (on several CPUs
 *                  each zap then needs shootdowns)
 *   mprotect_big   mprotect of 256 MiB touched, read-only and back
 *   fork_big       fork of a process with 256 MiB touched; the child writes
 *                  some and exits (a big exit), the parent unmaps
 *   madvise_big    MADV_DONTNEED of 256 MiB touched
 *   mlock_big      mlock of 256 MiB
 *   mremap_big     mremap moving 256 MiB touched
 *   regions        4096 regions made by mprotect splits, then one munmap
 *   mlockall_regions mlockall and munlockall with 16384 regions mapped
 *   execve_args    execve with 2 MiB of arguments
 *   shmdt_big      shmdt of a 256 MiB System V segment touched, then IPC_RMID
 *
 * Each step prints "hostile.STEP ok" or "hostile.STEP failed"; the exit
 * status is the number of failures. With arguments, only the groups of
 * steps named run (populate, big_ranges, threaded_munmap, big_fork,
 * regions, mlockall_regions, execve_args, big_shm).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1UL << 20)

static int failures;

static void report(const char *step, int ok)
{
	printf("hostile.%s %s\n", step, ok ? "ok" : "failed");
	fflush(stdout);
	failures += !ok;
}

static char *touched(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (char)i;
	return p;
}

static void populate(void)
{
	char *p = mmap(NULL, 1UL << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	report("populate_none", p != MAP_FAILED && munmap(p, 1UL << 40) == 0);
	p = mmap(NULL, 1536 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	report("populate_read", p != MAP_FAILED && munmap(p, 1536 * MIB) == 0);
}

static void big_ranges(void)
{
	char *p = touched(384 * MIB);

	report("munmap_big", p && munmap(p, 384 * MIB) == 0);
	p = touched(256 * MIB);
	report("mprotect_big", p && mprotect(p, 256 * MIB, PROT_READ) == 0 &&
			       mprotect(p, 256 * MIB, PROT_READ | PROT_WRITE) == 0);
	report("madvise_big", p && madvise(p, 256 * MIB, MADV_DONTNEED) == 0);
	report("mlock_big", p && mlock(p, 256 * MIB) == 0 && munlock(p, 256 * MIB) == 0);
	if (p) {
		for (size_t i = 0; i < 256 * MIB; i += PAGE)
			p[i] = 1;
		char *q = mremap(p, 256 * MIB, 256 * MIB + PAGE, MREMAP_MAYMOVE);
		if (q == p) {	/* grew in place: force a move with MREMAP_FIXED */
			char *dst = mmap(NULL, 256 * MIB + PAGE, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			q = dst == MAP_FAILED ? MAP_FAILED :
			    mremap(p, 256 * MIB + PAGE, 256 * MIB + PAGE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		}
		report("mremap_big", q != MAP_FAILED && q[PAGE] == 1);
		munmap(q != MAP_FAILED ? q : p, 256 * MIB + PAGE);
	}
}

/* The other thread of munmap_threads: writes its pages until told to stop. */
struct writer {
	volatile int stop;
	char *p;
};

static void *writer(void *arg)
{
	struct writer *w = arg;

	while (!w->stop)
		for (size_t i = 0; i < 4 * MIB && !w->stop; i += PAGE)
			w->p[i]++;
	return NULL;
}

static void threaded_munmap(void)
{
	struct writer w = { 0, touched(4 * MIB) };
	pthread_t t;
	int started = w.p && pthread_create(&t, NULL, writer, &w) == 0, ok = started;

	for (int round = 0; ok && round < 2; round++) {
		char *p = touched(128 * MIB);

		ok = p && munmap(p, 128 * MIB) == 0;
	}
	w.stop = 1;
	if (started && pthread_join(t, NULL) != 0)
		ok = 0;
	if (w.p && munmap(w.p, 4 * MIB) != 0)
		ok = 0;
	report("munmap_threads", ok);
}

static void big_fork(void)
{
	char *p = touched(256 * MIB);
	int st = -1;
	pid_t pid;

	if (!p) {
		report("fork_big", 0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < 16 * MIB; i += PAGE)
			p[i] = 1;
		_exit(0);
	}
	report("fork_big", pid > 0 && waitpid(pid, &st, 0) == pid && st == 0 &&
			   munmap(p, 256 * MIB) == 0);
}

static void regions(void)
{
	const size_t n = 4096;
	char *p = touched(n * PAGE);
	int ok = p != NULL;

	for (size_t i = 0; ok && i < n; i += 2)
		ok = mprotect(p + i * PAGE, PAGE, PROT_READ) == 0;
	report("regions", ok && munmap(p, n * PAGE) == 0);
}

static void mlockall_regions(void)
{
	const size_t n = 16384;
	char *p = touched(n * PAGE);
	int ok = p != NULL;

	for (size_t i = 0; ok && i < n; i += 2)
		ok = mprotect(p + i * PAGE, PAGE, PROT_READ) == 0;
	ok = ok && mlockall(MCL_CURRENT) == 0 && munlockall() == 0;
	report("mlockall_regions", ok && munmap(p, n * PAGE) == 0);
}

static void big_exec(const char *self)
{
	const size_t len = 100000, count = 20;
	char *s = malloc(len + 1), *argv[count + 3];
	int st = -1;
	pid_t pid;

	memset(s, 'h', len);
	s[len] = 0;
	argv[0] = (char *)self;
	argv[1] = "child";
	for (size_t i = 0; i < count; i++)
		argv[i + 2] = s;
	argv[count + 2] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	report("execve_args", pid > 0 && waitpid(pid, &st, 0) == pid && st == 0);
	free(s);
}

static void big_shm(void)
{
	int id = shmget(IPC_PRIVATE, 256 * MIB, IPC_CREAT | 0600);
	char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	int ok = p != (char *)-1;

	for (size_t i = 0; ok && i < 256 * MIB; i += PAGE)
		p[i] = (char)i;
	ok = ok && shmdt(p) == 0;
	if (id >= 0 && shmctl(id, IPC_RMID, NULL) != 0)
		ok = 0;
	report("shmdt_big", ok);
}

static const char *self;

static void execve_args(void)
{
	big_exec(self);
}

/* The groups of steps, in order; `hostile GROUP...` runs only those named. */
static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "populate", populate }, { "big_ranges", big_ranges }, { "threaded_munmap", threaded_munmap },
	{ "big_fork", big_fork }, { "regions", regions }, { "mlockall_regions", mlockall_regions },
	{ "execve_args", execve_args }, { "big_shm", big_shm },
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child"))
		return argc == 22 ? 0 : 1;
	self = argv[0];
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		int named = argc == 1;

		for (int a = 1; a < argc; a++)
			named |= !strcmp(argv[a], groups[g].name);
		if (named)
			groups[g].run();
	}
	return failures;
}
