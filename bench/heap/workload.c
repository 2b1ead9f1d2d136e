// SPDX-License-Identifier: MIT
/*
 * Allocator workloads for bench/heap.sh, run under each allocator through
 * LD_PRELOAD. Usage: heap_workload WORKLOAD [scale]
 *
 *   churn     alloc/free pairs of fixed sizes 32..512 over a small live set
 *   random    sizes 8 B..64 KiB (log-uniform), a bounded live set replaced at random
 *   prodcons  two threads: one allocates, the other frees
 *   realloc   buffers grown by realloc in small steps up to 64 KiB
 *   frag      a mix of sizes, a random half freed, then regrown to the same live size
 *   phase     a live set of 64 MiB whose size range changes every phase: 24 phases,
 *             each frees a random 90 % of what is held, then allocates up to 64 MiB
 *             live from one octave of 16 B..512 KiB other than the last phase's
 *   grow      2048 buffers grown by realloc in small steps up to 16 B..256 KiB,
 *             half to the exact length, half geometrically (capacity x1.5)
 *   phasefifo at most 48 MiB live over 20 phases: each frees the oldest 80 % of
 *             what is held (survivors are the newest), then allocates sizes spread
 *             over three octaves around a size drawn from 32 B..32 KiB
 *   phasemix  at most 64 MiB live over 20 phases of two populations: long-lived
 *             small objects (16..256 B, a quarter of the allocations, 30 % freed per
 *             phase) beside short-lived ones of one octave of 64 B..256 KiB per
 *             phase (95 % freed at its end)
 *   drift     larson-like: two threads each keep about 24 MiB live in a slot array,
 *             replacing random slots with sizes log-uniform over two octaves whose
 *             centre drifts 16 B -> 8 KiB -> 16 B; every 200 000 steps the threads
 *             swap arrays, so each frees what the other allocated
 *
 * Prints `ops_per_s N` (malloc, free and realloc calls per second),
 * `peak_live_bytes N`, `peak_rss_bytes N` and `rss_over_live N`.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;
static size_t live, peak_live;

static inline uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Log-uniform in [lo, hi]: small sizes as common as large ones per octave. */
static size_t log_size(unsigned lo_shift, unsigned hi_shift)
{
	unsigned sh = lo_shift + (unsigned)(next() % (hi_shift - lo_shift));
	size_t base = (size_t)1 << sh;
	return base + next() % base;
}

static void note_alloc(size_t n)
{
	live += n;
	if (live > peak_live)
		peak_live = live;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t churn(uint64_t scale)
{
	enum { SLOTS = 4096 };
	static void *slot[SLOTS];
	static size_t len[SLOTS];
	static const size_t sizes[] = { 32, 48, 64, 96, 128, 192, 256, 384, 512 };
	uint64_t ops = 0, n = 20000000 * scale;

	for (uint64_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(i * 2654435761u) % SLOTS;
		if (slot[k]) {
			free(slot[k]);
			live -= len[k];
			ops++;
		}
		len[k] = sizes[i % 9];
		slot[k] = malloc(len[k]);
		*(volatile char *)slot[k] = 1;
		note_alloc(len[k]);
		ops++;
	}
	for (unsigned k = 0; k < SLOTS; k++)
		free(slot[k]), ops++;
	return ops;
}

static uint64_t random_sizes(uint64_t scale)
{
	enum { SLOTS = 2048 };
	static char *slot[SLOTS];
	static size_t len[SLOTS];
	uint64_t ops = 0, n = 4000000 * scale;

	for (uint64_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(next() % SLOTS);
		if (slot[k]) {
			free(slot[k]);
			live -= len[k];
			ops++;
		}
		len[k] = log_size(3, 16);
		slot[k] = malloc(len[k]);
		slot[k][0] = slot[k][len[k] - 1] = 1;
		note_alloc(len[k]);
		ops++;
	}
	for (unsigned k = 0; k < SLOTS; k++)
		free(slot[k]), ops++;
	return ops;
}

#define RING 4096
static void *ring[RING];
static unsigned head, tail;
static uint64_t pc_n;
static size_t pc_live, pc_peak;		/* approximate: producer's view */

static void *consumer(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < pc_n; i++) {
		unsigned t = __atomic_load_n(&tail, __ATOMIC_RELAXED);
		while (__atomic_load_n(&head, __ATOMIC_ACQUIRE) == t)
			;
		void *p = ring[t % RING];
		__atomic_store_n(&tail, t + 1, __ATOMIC_RELEASE);
		free(p);
	}
	return NULL;
}

static uint64_t prodcons(uint64_t scale)
{
	pthread_t c;

	pc_n = 1000000 * scale;
	pthread_create(&c, NULL, consumer, NULL);
	for (uint64_t i = 0; i < pc_n; i++) {
		size_t sz = 16 + (next() % 1009);
		char *p = malloc(sz);
		p[0] = 1;
		unsigned h = __atomic_load_n(&head, __ATOMIC_RELAXED);
		while (h - __atomic_load_n(&tail, __ATOMIC_ACQUIRE) >= RING)
			;
		ring[h % RING] = p;
		__atomic_store_n(&head, h + 1, __ATOMIC_RELEASE);
		pc_live = (size_t)(h + 1 - __atomic_load_n(&tail, __ATOMIC_RELAXED)) * 520;
		if (pc_live > pc_peak)
			pc_peak = pc_live;
	}
	pthread_join(c, NULL);
	peak_live = pc_peak;
	return 2 * pc_n;
}

static uint64_t reallocs(uint64_t scale)
{
	enum { BUFS = 512 };
	static char *buf[BUFS];
	static size_t len[BUFS];
	uint64_t ops = 0, n = 2000000 * scale;

	for (uint64_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(next() % BUFS);
		size_t grow = 1 + next() % 256;
		if (len[k] + grow > 65536) {
			free(buf[k]);
			live -= len[k];
			buf[k] = NULL;
			len[k] = 0;
			ops++;
			continue;
		}
		buf[k] = realloc(buf[k], len[k] + grow);
		memset(buf[k] + len[k], (int)k, grow);
		len[k] += grow;
		note_alloc(grow);
		ops++;
	}
	for (unsigned k = 0; k < BUFS; k++)
		free(buf[k]), ops++;
	return ops;
}

static size_t frag_size(void)
{
	return log_size(4, 12);			/* 16 B .. 8 KiB */
}

static uint64_t frag(uint64_t scale)
{
	size_t n = 400000 * scale;
	char **p = calloc(n, sizeof(*p));
	size_t *len = calloc(n, sizeof(*len));
	uint64_t ops = 0;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {	/* (re)grow */
			if (p[i])
				continue;
			len[i] = frag_size();
			p[i] = malloc(len[i]);
			memset(p[i], 1, len[i]);
			note_alloc(len[i]);
			ops++;
		}
		for (size_t i = 0; i < n; i++) {	/* a random half freed */
			if (next() & 1) {
				free(p[i]);
				p[i] = NULL;
				live -= len[i];
				ops++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(p[i]), ops++;
	free(p);
	free(len);
	return ops;
}

/*
 * The phase workload's blocks are linked through their first two words (next,
 * length), so the program's own bookkeeping adds nothing to the resident set.
 */
struct block {
	struct block *next;
	size_t len;
};

/* Writes each page of a new block once, as a program filling it would. */
static void touch_pages(char *p, size_t n)
{
	for (size_t off = 4096; off < n; off += 4096)
		p[off] = 1;
	p[n - 1] = 1;
}

static uint64_t phase(uint64_t scale)
{
	const size_t cap = ((size_t)64 << 20) * scale;
	struct block *held = NULL;
	uint64_t ops = 0;
	unsigned octave = 4;

	for (int ph = 0; ph < 24; ph++) {
		struct block **pp = &held;
		while (*pp) {				/* a random 90 % freed */
			struct block *b = *pp;
			if (next() % 10) {
				*pp = b->next;
				live -= b->len;
				free(b);
				ops++;
			} else {
				pp = &b->next;
			}
		}
		/* one octave of [16 B, 512 KiB), never the last phase's */
		octave = 4 + (octave - 4 + 1 + (unsigned)(next() % 14)) % 15;
		for (;;) {
			size_t base = (size_t)1 << octave;
			size_t n = base + next() % base;
			if (live + n > cap)
				break;
			struct block *b = malloc(n);
			touch_pages((char *)b, n);
			b->len = n;
			b->next = held;
			held = b;
			note_alloc(n);
			ops++;
		}
	}
	while (held) {
		struct block *b = held;
		held = b->next;
		free(b);
		ops++;
	}
	return ops;
}

/* Allocate a block of @n bytes onto *@list, touching each page; false if out of memory. */
static bool push_block(struct block **list, size_t n)
{
	struct block *b = malloc(n);

	if (!b)
		return false;
	touch_pages((char *)b, n);
	b->len = n;
	b->next = *list;
	*list = b;
	note_alloc(n);
	return true;
}

/* Free each block of *@list with probability @pct %; the count of frees. */
static uint64_t free_some(struct block **list, unsigned pct)
{
	uint64_t ops = 0;

	for (struct block **pp = list; *pp;) {
		struct block *b = *pp;
		if (next() % 100 < pct) {
			*pp = b->next;
			live -= b->len;
			free(b);
			ops++;
		} else {
			pp = &b->next;
		}
	}
	return ops;
}

static uint64_t free_all(struct block **list)
{
	return free_some(list, 100);
}

static uint64_t phasefifo(uint64_t scale)
{
	const size_t cap = ((size_t)48 << 20) * scale;
	struct block *held = NULL;		/* newest first */
	uint64_t ops = 0;

	for (int ph = 0; ph < 20; ph++) {
		size_t n = 0;
		for (struct block *b = held; b; b = b->next)
			n++;
		struct block **pp = &held;		/* keep the newest 20 % */
		for (size_t k = 0; *pp && k < n / 5; k++)
			pp = &(*pp)->next;
		ops += free_all(pp);
		unsigned mid = 5 + (unsigned)(next() % 11);	/* 32 B .. 32 KiB */
		for (;;) {
			size_t sz = log_size(mid - 1, mid + 2);
			if (live + sz > cap || !push_block(&held, sz))
				break;
			ops++;
		}
	}
	return ops + free_all(&held);
}

static uint64_t phasemix(uint64_t scale)
{
	const size_t cap = ((size_t)64 << 20) * scale;
	struct block *longl = NULL, *shortl = NULL;
	uint64_t ops = 0;
	unsigned octave = 6;

	for (int ph = 0; ph < 20; ph++) {
		ops += free_some(&longl, 30) + free_some(&shortl, 95);
		octave = 6 + (octave - 6 + 1 + (unsigned)(next() % 11)) % 12;	/* 64 B .. 256 KiB, not the last */
		for (;;) {
			bool small = next() % 4 == 0;
			size_t sz = small ? log_size(4, 8) : ((size_t)1 << octave) + next() % ((size_t)1 << octave);
			if (live + sz > cap || !push_block(small ? &longl : &shortl, sz))
				break;
			ops++;
		}
	}
	return ops + free_all(&longl) + free_all(&shortl);
}

/*
 * drift: each of two threads keeps about DR_BUDGET bytes live in its slot
 * array: a step either frees a random slot (over budget) or puts a new
 * block in a random slot, freeing what was there. Sizes are log-uniform
 * over two octaves around a centre that drifts 16 B -> 8 KiB -> 16 B over
 * the run, so old sizes die out at random while new ones arrive (nothing
 * frees a size class at once). Every DR_ROUND steps the threads meet and
 * swap arrays (larson's hand-off): frees of the other thread's blocks.
 */
#define DR_SLOTS	65536
#define DR_ROUND	200000
#define DR_BUDGET	((size_t)24 << 20)

struct dr_array {
	char *slot[DR_SLOTS];
	size_t len[DR_SLOTS];
	size_t live;
};

static struct dr_array dr_arr[2];
static pthread_barrier_t dr_bar;
static uint64_t dr_steps;
static size_t dr_live, dr_peak;

static void dr_note(ssize_t d)
{
	size_t now = __atomic_add_fetch(&dr_live, (size_t)d, __ATOMIC_RELAXED);
	size_t peak = __atomic_load_n(&dr_peak, __ATOMIC_RELAXED);

	while (now > peak && !__atomic_compare_exchange_n(&dr_peak, &peak, now, true,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void *dr_thread(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	uint64_t r = 0x2545f4914f6cdd1dull * (me + 1), ops = 0;

	for (uint64_t i = 0; i < dr_steps; i++) {
		if (i % DR_ROUND == 0) {
			pthread_barrier_wait(&dr_bar);
			me ^= i ? 1 : 0;
		}
		struct dr_array *a = &dr_arr[me];
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		unsigned k = (unsigned)(r % DR_SLOTS);
		if (a->slot[k]) {
			free(a->slot[k]);
			a->live -= a->len[k];
			dr_note(-(ssize_t)a->len[k]);
			a->slot[k] = NULL;
			ops++;
		}
		if (a->live > DR_BUDGET)
			continue;
		/* the centre, in 1/16 octaves: 4 -> 13 -> 4 over the run */
		uint64_t half = dr_steps / 2, pos = i < half ? i : dr_steps - i;
		unsigned c16 = 64 + (unsigned)(pos * 9 * 16 / (half ? half : 1));
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		unsigned sh16 = c16 - 16 + (unsigned)(r % 32);	/* +-1 octave */
		size_t base = (size_t)1 << (sh16 / 16);
		size_t n = base + base * (sh16 % 16) / 16 + (size_t)(r >> 40) % (base / 16 + 1);
		char *p = malloc(n);
		p[0] = p[n - 1] = 1;
		a->slot[k] = p;
		a->len[k] = n;
		a->live += n;
		dr_note((ssize_t)n);
		ops++;
	}
	pthread_barrier_wait(&dr_bar);
	return (void *)(uintptr_t)ops;
}

static uint64_t drift(uint64_t scale)
{
	pthread_t t;
	void *ops1;
	uint64_t ops = 0;

	dr_steps = 3000000 * scale;
	pthread_barrier_init(&dr_bar, NULL, 2);
	pthread_create(&t, NULL, dr_thread, (void *)1);
	ops = (uint64_t)(uintptr_t)dr_thread((void *)0);
	pthread_join(t, &ops1);
	ops += (uint64_t)(uintptr_t)ops1;
	for (unsigned m = 0; m < 2; m++)
		for (unsigned k = 0; k < DR_SLOTS; k++)
			if (dr_arr[m].slot[k])
				free(dr_arr[m].slot[k]), ops++;
	live = dr_live;
	peak_live = dr_peak;
	return ops;
}

static uint64_t grow(uint64_t scale)
{
	enum { BUFS = 2048 };
	static char *buf[BUFS];
	static size_t len[BUFS], cap[BUFS], target[BUFS];
	uint64_t ops = 0, n = 2000000 * scale;

	for (uint64_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(next() % BUFS);
		if (!target[k])
			target[k] = log_size(4, 18);	/* 16 B .. 256 KiB */
		size_t step = 1 + next() % 256, want = len[k] + step;
		if (want > target[k]) {			/* done: freed, started again */
			free(buf[k]);
			live -= len[k];
			buf[k] = NULL;
			len[k] = cap[k] = target[k] = 0;
			ops++;
			continue;
		}
		if (want > cap[k]) {
			/* even buffers exact, odd ones geometric */
			size_t c = (k & 1) ? (cap[k] + cap[k] / 2 > want ? cap[k] + cap[k] / 2 : want) : want;
			if (k & 1)
				c = c < 64 ? 64 : c;
			buf[k] = realloc(buf[k], c);
			cap[k] = c;
			ops++;
		}
		memset(buf[k] + len[k], (int)k, step);
		len[k] = want;
		note_alloc(step);
	}
	for (unsigned k = 0; k < BUFS; k++)
		free(buf[k]), ops++;
	return ops;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint64_t (*run)(uint64_t scale);
	} w[] = {
		{ "churn", churn }, { "random", random_sizes }, { "prodcons", prodcons },
		{ "realloc", reallocs }, { "frag", frag }, { "phase", phase }, { "grow", grow },
		{ "phasefifo", phasefifo }, { "phasemix", phasemix }, { "drift", drift },
	};
	uint64_t scale = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

	for (unsigned i = 0; argc > 1 && i < sizeof(w) / sizeof(w[0]); i++) {
		if (strcmp(argv[1], w[i].name))
			continue;
		double t0 = now();
		uint64_t ops = w[i].run(scale ? scale : 1);
		double dt = now() - t0;
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		double rss = (double)ru.ru_maxrss * 1024;
		printf("ops_per_s %.0f\npeak_live_bytes %zu\npeak_rss_bytes %.0f\nrss_over_live %.3f\n",
		       ops / dt, peak_live, rss, peak_live ? rss / peak_live : 0);
		return 0;
	}
	fprintf(stderr, "usage: heap_workload churn|random|prodcons|realloc|frag|phase|grow|phasefifo|phasemix|drift [scale]\n");
	return 2;
}
