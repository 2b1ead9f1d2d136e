// SPDX-License-Identifier: MIT
/*
 * madvlat: the latency of each madvise(MADV_DONTNEED) in the threaded
 * tlb_flush2 loop (bench/guest/wis.c). TASKS threads each write their own
 * page, drop it and check it reads zero, for SECONDS; every call is timed
 * with CLOCK_MONOTONIC and counted in a log2 histogram, so the rare long
 * call (a shootdown answered late, a wake left for the next tick) shows
 * apart from the mean. The main thread sleeps meanwhile, as wis's does.
 *
 * Usage: madvlat [TASKS [SECONDS]]   (defaults 2 and 2)
 * Prints per thread its calls, longest call, CPU moves and its calls over
 * SLOW_NS, then "madvlat.calls N", the rate, "madvlat.mean_us X",
 * "madvlat.max_us X", the 50/99/99.9th percentiles (bucket upper bounds)
 * and one line per bucket.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE		4096ul
#define MAX_TASKS	16
#define BUCKETS		32	/* bucket b: [2^b, 2^(b+1)) microseconds; 0 holds < 2 us */
#define SLOW_NS		50000000ll	/* calls this long are listed one by one */
#define MAX_SLOW	8

struct slow {
	long long at_ns, ns;	/* start, from the threads' start; length */
	int cpu_before, cpu_after;
	unsigned long others;	/* calls the other threads made meanwhile */
};

struct lat {
	unsigned long hist[BUCKETS];
	unsigned long calls;
	long long sum_ns, max_ns;
	unsigned long moves;	/* calls after which the thread was on another CPU */
	int cpu, bad;
	unsigned nslow;
	struct slow slow[MAX_SLOW];
	char pad[64];
};

static struct lat lat[MAX_TASKS];
static volatile int stop;
static long long start_ns;
static unsigned nthreads;

static unsigned long calls_of_others(const struct lat *me);

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static unsigned bucket(long long ns)
{
	unsigned long long us = (unsigned long long)ns / 1000;
	unsigned b = 0;

	while (us > 1 && b < BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

static unsigned long calls_of_others(const struct lat *me)
{
	unsigned long s = 0;

	for (unsigned i = 0; i < nthreads; i++)
		if (&lat[i] != me)
			s += __atomic_load_n(&lat[i].calls, __ATOMIC_RELAXED);
	return s;
}

static void *worker(void *p)
{
	struct lat *l = p;
	volatile char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (m == MAP_FAILED) {
		l->bad = 1;
		return NULL;
	}
	l->cpu = sched_getcpu();
	while (!stop) {
		m[0] = 1;
		unsigned long o0 = calls_of_others(l);
		long long t0 = now_ns();
		madvise((void *)m, PAGE, MADV_DONTNEED);
		long long d = now_ns() - t0;
		if (m[0] != 0)
			l->bad = 1;
		l->hist[bucket(d)]++;
		l->calls++;
		l->sum_ns += d;
		if (d > l->max_ns)
			l->max_ns = d;
		int cpu = sched_getcpu();
		if (d >= SLOW_NS && l->nslow < MAX_SLOW)
			l->slow[l->nslow++] = (struct slow){ t0 - start_ns, d, l->cpu, cpu,
							     calls_of_others(l) - o0 };
		l->moves += cpu != l->cpu;
		l->cpu = cpu;
	}
	munmap((void *)m, PAGE);
	return NULL;
}

/* The upper bound in microseconds of the bucket holding the q-th fraction of @calls. */
static unsigned long long percentile(const unsigned long *h, unsigned long calls, double q)
{
	unsigned long want = (unsigned long)((double)calls * q), seen = 0;

	for (unsigned b = 0; b < BUCKETS; b++) {
		seen += h[b];
		if (seen > want)
			return 2ull << b;
	}
	return 2ull << (BUCKETS - 1);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	pthread_t th[MAX_TASKS];
	unsigned long h[BUCKETS] = { 0 }, calls = 0;
	long long sum = 0, max = 0;
	int bad = 0;

	if (n < 1 || n > MAX_TASKS || secs <= 0) {
		fprintf(stderr, "usage: madvlat [TASKS [SECONDS]]\n");
		return 2;
	}
	nthreads = n;
	start_ns = now_ns();
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker, &lat[i]))
			return 1;
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	while (nanosleep(&ts, &ts))
		;
	stop = 1;
	for (unsigned i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		for (unsigned b = 0; b < BUCKETS; b++)
			h[b] += lat[i].hist[b];
		calls += lat[i].calls;
		sum += lat[i].sum_ns;
		if (lat[i].max_ns > max)
			max = lat[i].max_ns;
		bad |= lat[i].bad;
		printf("madvlat.thread%u calls %lu max_us %.1f cpu_moves %lu last_cpu %d\n", i,
		       lat[i].calls, (double)lat[i].max_ns / 1000.0, lat[i].moves, lat[i].cpu);
		for (unsigned k = 0; k < lat[i].nslow; k++)
			printf("madvlat.thread%u slow at_ms %.1f ms %.1f cpu %d -> %d others %lu\n",
			       i, (double)lat[i].slow[k].at_ns / 1e6, (double)lat[i].slow[k].ns / 1e6,
			       lat[i].slow[k].cpu_before, lat[i].slow[k].cpu_after,
			       lat[i].slow[k].others);
	}
	printf("madvlat.calls %lu\n", calls);
	printf("madvlat.ops_per_s %.0f\n", (double)calls / secs);
	printf("madvlat.mean_us %.1f\n", calls ? (double)sum / (double)calls / 1000.0 : 0.0);
	printf("madvlat.max_us %.1f\n", (double)max / 1000.0);
	printf("madvlat.p50_us_below %llu\n", percentile(h, calls, 0.5));
	printf("madvlat.p99_us_below %llu\n", percentile(h, calls, 0.99));
	printf("madvlat.p999_us_below %llu\n", percentile(h, calls, 0.999));
	for (unsigned b = 0; b < BUCKETS; b++)
		if (h[b])
			printf("madvlat.hist %llu-%llu us: %lu\n", b ? 1ull << b : 0ull, 2ull << b,
			       h[b]);
	if (bad)
		fprintf(stderr, "madvlat: a dropped page did not read zero\n");
	return bad;
}
