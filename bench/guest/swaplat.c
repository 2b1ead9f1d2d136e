// SPDX-License-Identifier: MIT
/*
 * swaplat: while one process swaps heavily, another keeps running with
 * bounded delays (issue 11's latency bound under issue 18's disk swap).
 *
 * A child works on a working set larger than RAM (pages written, then read
 * at random and rewritten, every page checked), so the kernel swaps it out
 * and in all the time. Meanwhile the parent, its memory locked, sleeps for
 * 1 ms again and again and records how late it wakes (as cyclictest does):
 * time in which it could not run although due (the child's time slice, at
 * most a tick, plus whatever the kernel did with interrupts off or without
 * letting the scheduler in). The same is measured first beside a child that
 * only spins, for comparison.
 *
 * Output, one line per figure:
 *   swaplat.spin_late_max_us N us       latest wake-up beside a spinning child
 *   swaplat.swap_late_max_us N us       latest wake-up beside the swapping child
 *   swaplat.swap_late_avg_us N us       mean lateness beside it
 *   swaplat.swap_ins/swap_outs N pages  (memcore's swap_stats; absent elsewhere)
 *   swaplat.bad_pages N pages           (must be 0)
 * Exit status 0 only if every page read back intact and the latest wake-up
 * is under BOUND_MS (a BOUND_MS of 0 only reports it).
 *
 * Usage: swaplat [MiB [ROUNDS [BOUND_MS]]]   (default 96 MiB, 2 rounds, 200 ms)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memcore/swap.h"

#define PAGE 4096UL
#define MIB (1UL << 20)

struct shared {
	volatile int started;
	volatile unsigned long bad;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t tag(size_t page, unsigned gen)
{
	return page * 0x9e3779b97f4a7c15ull ^ gen;
}

/* Writes generation @gen's words into page @i (a few words per page: cheap, still checked). */
static void fill(uint64_t *p, size_t i, unsigned gen)
{
	for (size_t w = 0; w < PAGE / 8; w += 64)
		p[w] = tag(i, gen) + w;
}

static unsigned long check(const uint64_t *p, size_t i, unsigned gen)
{
	for (size_t w = 0; w < PAGE / 8; w += 64)
		if (p[w] != tag(i, gen) + w)
			return 1;
	return 0;
}

/* The swapping child: every page written, then random pages read, checked and rewritten. */
static void swapper(struct shared *sh, size_t pages, unsigned rounds)
{
	uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *gen = calloc(pages, 1);
	uint64_t seed = 0x1234567;

	if (mem == MAP_FAILED || !gen)
		_exit(2);
	sh->started = 1;
	for (size_t i = 0; i < pages; i++)
		fill(mem + i * (PAGE / 8), i, 0);
	for (size_t n = 0; n < rounds * pages; n++) {
		size_t i = next(&seed) % pages;

		sh->bad += check(mem + i * (PAGE / 8), i, gen[i]);
		if (n & 1)
			fill(mem + i * (PAGE / 8), i, ++gen[i]);
	}
	_exit(0);
}

static void spinner(struct shared *sh, uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	sh->started = 1;
	while (now_ns() < end)
		;
	_exit(0);
}

struct gaps {
	uint64_t max, sum, n;
};

#define NAP_NS 1000000ull	/* the parent's sleep */

/* Sleeps NAP_NS and records how late the wake-up came in @g. */
static void nap(struct gaps *g)
{
	struct timespec ts = { 0, NAP_NS };
	uint64_t t0 = now_ns(), late;

	nanosleep(&ts, NULL);
	late = now_ns() - t0;
	late = late > NAP_NS ? late - NAP_NS : 0;
	if (late > g->max)
		g->max = late;
	g->sum += late;
	g->n++;
}

/* Runs @fn in a child, napping until it exits; returns its wait status. */
static int run_beside(struct shared *sh, struct gaps *g, void (*fn)(struct shared *, size_t, unsigned),
		      size_t pages, unsigned rounds)
{
	int st = -1;
	pid_t pid;

	memset(g, 0, sizeof(*g));
	sh->started = 0;
	pid = fork();
	if (pid == 0)
		fn(sh, pages, rounds);
	if (pid < 0)
		return -1;
	while (!sh->started && waitpid(pid, &st, WNOHANG) == 0)
		;
	while (waitpid(pid, &st, WNOHANG) == 0)
		nap(g);
	return st;
}

static void spin_child(struct shared *sh, size_t pages, unsigned rounds)
{
	(void)pages;
	spinner(sh, (uint64_t)rounds * 1000000000ull);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 96;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 2;
	unsigned bound_ms = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 200;
	struct shared *sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	struct gaps idle, swap;
	struct memcore_swap_stats s0, s1;
	int have_stats;

	if (sh == MAP_FAILED)
		return 2;
	if (mlockall(MCL_CURRENT) != 0)
		printf("swaplat: mlockall failed: the parent may be swapped too\n");
	run_beside(sh, &idle, spin_child, 0, 1);
	printf("swaplat.spin_late_max_us %llu us\n", (unsigned long long)(idle.max / 1000));
	have_stats = syscall(MEMCORE_SYS_swap_stats, &s0) == 0;
	int st = run_beside(sh, &swap, swapper, mib * MIB / PAGE, rounds);
	printf("swaplat.swap_late_max_us %llu us\n", (unsigned long long)(swap.max / 1000));
	printf("swaplat.swap_late_avg_us %llu us\n",
	       (unsigned long long)(swap.n ? swap.sum / swap.n / 1000 : 0));
	if (have_stats && syscall(MEMCORE_SYS_swap_stats, &s1) == 0) {
		printf("swaplat.swap_ins %llu pages\n", (unsigned long long)(s1.swpin - s0.swpin));
		printf("swaplat.swap_outs %llu pages\n",
		       (unsigned long long)(s1.swpout - s0.swpout));
	}
	printf("swaplat.bad_pages %lu pages\n", sh->bad);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("swaplat: the swapping child failed (status %#x)\n", st);
		return 1;
	}
	if (bound_ms && swap.max / 1000000 >= bound_ms) {
		printf("swaplat: latest wake-up %llu ms late, over the bound of %u ms\n",
		       (unsigned long long)(swap.max / 1000000), bound_ms);
		return 1;
	}
	return sh->bad != 0;
}
