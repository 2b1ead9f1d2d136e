// SPDX-License-Identifier: MIT
/*
 * wis: a scalability benchmark on the model of will-it-scale, run as a
 * guest program on our kernel and on Linux (bench/wis.sh). N tasks (forked
 * processes or threads of one process) run the same test case in a loop and
 * count iterations in shared memory; the main task samples the sum over a
 * measured window after a warm-up.
 *
 *   wis TASKS SECONDS [TEST...]
 *
 * prints one line per test and mode: "wis.TEST.MODE OPS_PER_SECOND" (by the
 * guest's clock), after "wis.begin" (written just before the window's first
 * sample) and "wis.end OPS" (the window's operations, just after its last):
 * bench/wis_hostclock.py times the window between those two lines with the
 * host's clock, which does not depend on either kernel's clock calibration.
 *
 * Test cases (each task works on its own memory):
 *   page_fault1  map 128 MiB anonymous, write one byte per page (one op per page), unmap
 *   mmap1        map and unmap 128 MiB anonymous, untouched (one op per pair)
 *   brk2         grow the break by a page and shrink it back (one op per brk call)
 *   tlb_flush2   write a page, MADV_DONTNEED it, check it reads zero (one op per round)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096ul
#define MAP_BYTES	(128ul << 20)
#define MAX_TASKS	16
#define WARMUP_NS	300000000ll

struct counter {
	volatile unsigned long ops;
	char pad[64 - sizeof(unsigned long)];
};

struct shared {
	struct counter c[MAX_TASKS];
	volatile int stop;
	volatile int bad;		/* a check failed: the result is void */
};

static struct shared *sh;
typedef void (*testcase_fn)(unsigned idx);

static void page_fault1(unsigned idx)
{
	while (!sh->stop) {
		char *m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			sh->bad = 1;
			return;
		}
		for (unsigned long off = 0; off < MAP_BYTES && !sh->stop; off += PAGE) {
			m[off] = 1;
			sh->c[idx].ops++;
		}
		munmap(m, MAP_BYTES);
	}
}

static void mmap1(unsigned idx)
{
	while (!sh->stop) {
		void *m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			sh->bad = 1;
			return;
		}
		munmap(m, MAP_BYTES);
		sh->c[idx].ops++;
	}
}

static void brk2(unsigned idx)
{
	while (!sh->stop) {
		unsigned long cur = (unsigned long)syscall(SYS_brk, 0);
		syscall(SYS_brk, cur + PAGE);
		syscall(SYS_brk, cur);
		sh->c[idx].ops += 2;
	}
}

static void tlb_flush2(unsigned idx)
{
	volatile char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (m == MAP_FAILED) {
		sh->bad = 1;
		return;
	}
	while (!sh->stop) {
		m[0] = 1;
		madvise((void *)m, PAGE, MADV_DONTNEED);
		if (m[0] != 0)
			sh->bad = 1;
		sh->c[idx].ops++;
	}
	munmap((void *)m, PAGE);
}

static const struct {
	const char *name;
	testcase_fn fn;
} tests[] = {
	{ "page_fault1", page_fault1 },
	{ "mmap1", mmap1 },
	{ "brk2", brk2 },
	{ "tlb_flush2", tlb_flush2 },
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void sleep_ns(long long ns)
{
	struct timespec ts = { ns / 1000000000ll, ns % 1000000000ll };

	while (nanosleep(&ts, &ts))
		;
}

static unsigned long total_ops(unsigned n)
{
	unsigned long s = 0;

	for (unsigned i = 0; i < n; i++)
		s += sh->c[i].ops;
	return s;
}

struct thread_arg {
	testcase_fn fn;
	unsigned idx;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	a->fn(a->idx);
	return NULL;
}

/* Runs @fn in @n tasks for the warm-up and @secs; returns ops/s, or -1. */
static double run(testcase_fn fn, unsigned n, double secs, int threads)
{
	pid_t pid[MAX_TASKS];
	pthread_t th[MAX_TASKS];
	struct thread_arg arg[MAX_TASKS];

	memset(sh, 0, sizeof(*sh));
	for (unsigned i = 0; i < n; i++) {
		if (threads) {
			arg[i] = (struct thread_arg){ fn, i };
			if (pthread_create(&th[i], NULL, thread_main, &arg[i]))
				return -1;
		} else {
			pid[i] = fork();
			if (pid[i] < 0)
				return -1;
			if (pid[i] == 0) {
				fn(i);
				_exit(0);
			}
		}
	}
	sleep_ns(WARMUP_NS);
	/* Lines for the host to stamp with its own clock (bench/wis_hostclock.py). */
	fputs("wis.begin\n", stdout);
	fflush(stdout);
	unsigned long o0 = total_ops(n);
	long long t0 = now_ns();
	sleep_ns((long long)(secs * 1e9));
	unsigned long o1 = total_ops(n);
	long long t1 = now_ns();
	printf("wis.end %lu\n", o1 - o0);
	fflush(stdout);
	sh->stop = 1;
	for (unsigned i = 0; i < n; i++) {
		if (threads)
			pthread_join(th[i], NULL);
		else
			waitpid(pid[i], NULL, 0);
	}
	return sh->bad ? -1 : (double)(o1 - o0) * 1e9 / (double)(t1 - t0);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	int status = 0;

	if (n < 1 || n > MAX_TASKS || secs <= 0) {
		fprintf(stderr, "usage: wis TASKS SECONDS [TEST...]\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	for (unsigned t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
		int wanted = argc <= 3;
		for (int a = 3; a < argc; a++)
			wanted |= !strcmp(argv[a], tests[t].name);
		if (!wanted)
			continue;
		for (int threads = 0; threads <= 1; threads++) {
			double r = run(tests[t].fn, n, secs, threads);
			if (r < 0) {
				fprintf(stderr, "wis: %s failed\n", tests[t].name);
				status = 1;
				continue;
			}
			printf("wis.%s.%s %.0f\n", tests[t].name, threads ? "threads" : "processes", r);
			fflush(stdout);
		}
	}
	return status;
}
