/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the host benchmarks: timing and reporting.
 *
 * A benchmark program prints one line per figure on stdout,
 *     name value unit [target]
 * where target, if given, is "<=N" or ">=N"; bench/run.sh gathers the lines
 * of every program into a table and build/bench/results.json. Anything
 * else a program prints should go to stderr.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs @iters repetitions of the operation being measured. */
typedef void (*bench_fn)(void *ctx, unsigned iters);

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Median cost of one repetition of @fn, in ns. Each sample times a batch of
 * repetitions long enough (>= 20 us) for the clock not to matter; samples are
 * taken until @budget_ns is spent, at least 7 and at most 201 of them.
 */
static inline double bench_median_ns(bench_fn fn, void *ctx, uint64_t budget_ns)
{
	enum { MIN_SAMPLES = 7, MAX_SAMPLES = 201 };
	static double sample[MAX_SAMPLES];
	unsigned iters = 1, n = 0;
	uint64_t t, start;

	fn(ctx, 1);	/* warm up */
	for (;;) {	/* calibrate the batch */
		t = bench_now_ns();
		fn(ctx, iters);
		t = bench_now_ns() - t;
		if (t >= 20000 || iters >= (1u << 20))
			break;
		iters *= 2;
	}
	start = bench_now_ns();
	while (n < MAX_SAMPLES && (n < MIN_SAMPLES || bench_now_ns() - start < budget_ns)) {
		t = bench_now_ns();
		fn(ctx, iters);
		sample[n++] = (double)(bench_now_ns() - t) / iters;
	}
	qsort(sample, n, sizeof(sample[0]), bench_cmp_double);
	return sample[n / 2];
}

/*
 * The lowest of three medians, each over a third of @budget_ns: a stretch of
 * load from elsewhere on a shared machine spoils one window, not the figure.
 */
static inline double bench_low_median_ns(bench_fn fn, void *ctx, uint64_t budget_ns)
{
	double best = bench_median_ns(fn, ctx, budget_ns / 3);

	for (int r = 1; r < 3; r++) {
		double ns = bench_median_ns(fn, ctx, budget_ns / 3);
		best = ns < best ? ns : best;
	}
	return best;
}

/* One figure for bench/run.sh; @target may be NULL. */
static inline void bench_emit(const char *name, double value, const char *unit, const char *target)
{
	printf("%s %.3f %s%s%s\n", name, value, unit, target ? " " : "", target ? target : "");
	fflush(stdout);
}

#endif
