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
 * After the standard allocator benchmarks' published descriptions:
 *   larson      two chains of threads replacing random 16..1000 B blocks of a
 *               4000-slot set; each thread hands its set to a new one and exits
 *   xmalloc     two threads allocate batches of 16..256 B blocks, two others free them
 *   cscratch    passive false sharing: each thread frees an 8-byte object the
 *               main thread allocated next to the other's, then allocates,
 *               writes and frees 8-byte objects
 *   cthrash     active false sharing: the same without the hand-over
 *   mstress     four threads replace, free and swap blocks (mostly small, some up
 *               to 1 MiB) with a shared array, six rounds of new threads
 *   rptest      two threads: realistic sizes (mostly small, up to 16 KiB), half of
 *               each loop's blocks freed by the other thread
 *   glibcthread glibc's threaded malloc benchmark: two threads replace random
 *               blocks of 4000, sizes 16 B..32 KiB with density 1/size
 * The multi-threaded ones check each block's length marks when freeing it.
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

/*
 * The workloads below follow the published descriptions of standard
 * allocator benchmarks (written from those descriptions, not from their code).
 * They run 2 to 4 threads. Live bytes are counted per thread and added to a
 * shared total every MT_FLUSH calls, so the count costs no shared cache line
 * per call; the peak is exact to within MT_FLUSH blocks a thread.
 */
#define MT_FLUSH	256

struct mt_thread {
	uint64_t r;		/* the thread's xorshift state */
	int64_t pending;	/* live bytes not yet added to mt_live */
	unsigned calls;
	uint64_t ops;
};

static int64_t mt_live, mt_peak;

static inline uint64_t mt_next(struct mt_thread *t)
{
	t->r ^= t->r << 13;
	t->r ^= t->r >> 7;
	t->r ^= t->r << 17;
	return t->r;
}

static void mt_flush(struct mt_thread *t)
{
	int64_t now = __atomic_add_fetch(&mt_live, t->pending, __ATOMIC_RELAXED);
	int64_t peak = __atomic_load_n(&mt_peak, __ATOMIC_RELAXED);

	t->pending = 0;
	while (now > peak && !__atomic_compare_exchange_n(&mt_peak, &peak, now, true,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* One malloc (@d > 0) or free (@d < 0) of |@d| bytes by @t. */
static inline void mt_note(struct mt_thread *t, int64_t d)
{
	t->pending += d;
	t->ops++;
	if (++t->calls % MT_FLUSH == 0)
		mt_flush(t);
}

static void mt_init(struct mt_thread *t, unsigned id)
{
	memset(t, 0, sizeof(*t));
	t->r = 0x9e3779b97f4a7c15ull * (id + 1) ^ 0x2545f4914f6cdd1dull;
}

/* Runs @fn on @n threads (arg: its index) and adds their ops; sets the live figures. */
static uint64_t mt_run(unsigned n, void *(*fn)(void *))
{
	pthread_t t[8];
	uint64_t ops = 0;

	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i))
			abort();
	for (unsigned i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		ops += (uint64_t)(uintptr_t)r;
	}
	peak_live = (size_t)mt_peak;
	live = (size_t)(mt_live > 0 ? mt_live : 0);
	return ops;
}

/* A block's first word holds its length; its last byte a check of both. */
static inline void *blk_new(struct mt_thread *t, size_t n)
{
	size_t *p = malloc(n);

	if (!p)
		abort();
	p[0] = n;
	((unsigned char *)p)[n - 1] = (unsigned char)(n ^ (uintptr_t)p >> 4);
	mt_note(t, (int64_t)n);
	return p;
}

/* Frees a block made by blk_new(); aborts if its marks were overwritten. */
static inline void blk_free(struct mt_thread *t, void *b)
{
	size_t n = *(size_t *)b;

	if (n < sizeof(size_t) || n > ((size_t)64 << 20) ||
	    ((unsigned char *)b)[n - 1] != (unsigned char)(n ^ (uintptr_t)b >> 4)) {
		fprintf(stderr, "heap_workload: block %p corrupted (length %zu)\n", b, n);
		abort();
	}
	free(b);
	mt_note(t, -(int64_t)n);
}

/*
 * larson (a server: each thread replaces random blocks of its own set, then
 * hands the set to a new thread and exits; so every block a thread frees at
 * first was allocated by a thread that is gone). Two chains of threads, each
 * with 4000 slots of 16..1000 B, 100 generations of 50 000 steps.
 */
#define LA_SLOTS	4000
#define LA_STEPS	50000
static unsigned la_gens;

struct la_chain {
	void *slot[LA_SLOTS];
	unsigned gen;
	struct mt_thread t;
	uint64_t ops;
};
static struct la_chain la_chain[2];

static void *la_thread(void *arg)
{
	struct la_chain *c = arg;
	struct mt_thread *t = &c->t;

	for (unsigned i = 0; i < LA_STEPS; i++) {
		unsigned k = (unsigned)(mt_next(t) % LA_SLOTS);
		if (c->slot[k])
			blk_free(t, c->slot[k]);
		c->slot[k] = blk_new(t, 16 + mt_next(t) % 985);
	}
	if (++c->gen < la_gens) {		/* the next generation takes the set */
		pthread_t next;
		if (pthread_create(&next, NULL, la_thread, c))
			abort();
		pthread_detach(next);
		return NULL;
	}
	for (unsigned k = 0; k < LA_SLOTS; k++)
		if (c->slot[k])
			blk_free(t, c->slot[k]);
	mt_flush(t);
	__atomic_store_n(&c->ops, t->ops, __ATOMIC_RELEASE);
	return NULL;
}

static uint64_t larson(uint64_t scale)
{
	la_gens = 100 * (unsigned)scale;
	for (unsigned i = 0; i < 2; i++) {
		pthread_t th;
		mt_init(&la_chain[i].t, i);
		if (pthread_create(&th, NULL, la_thread, &la_chain[i]))
			abort();
		pthread_detach(th);
	}
	while (!__atomic_load_n(&la_chain[0].ops, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&la_chain[1].ops, __ATOMIC_ACQUIRE))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	peak_live = (size_t)mt_peak;
	return la_chain[0].ops + la_chain[1].ops;
}

/*
 * xmalloc (producers and consumers: two threads allocate batches of 64
 * blocks of 16..256 B and queue them, two others free whole batches).
 */
#define XM_BATCH	64
#define XM_QUEUE	64
struct xm_batch {
	void *b[XM_BATCH];
};
static struct xm_batch *xm_q[XM_QUEUE];
static unsigned xm_head, xm_tail, xm_left;
static pthread_mutex_t xm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t xm_more = PTHREAD_COND_INITIALIZER, xm_room = PTHREAD_COND_INITIALIZER;
static uint64_t xm_batches;

static void *xm_producer(void *arg)
{
	struct mt_thread t;

	mt_init(&t, (unsigned)(uintptr_t)arg);
	for (uint64_t i = 0; i < xm_batches; i++) {
		struct xm_batch *bt = malloc(sizeof(*bt));
		mt_note(&t, sizeof(*bt));
		for (unsigned k = 0; k < XM_BATCH; k++)
			bt->b[k] = blk_new(&t, 16 + mt_next(&t) % 241);
		mt_flush(&t);
		pthread_mutex_lock(&xm_lock);
		while (xm_head - xm_tail == XM_QUEUE)
			pthread_cond_wait(&xm_room, &xm_lock);
		xm_q[xm_head++ % XM_QUEUE] = bt;
		pthread_cond_signal(&xm_more);
		pthread_mutex_unlock(&xm_lock);
	}
	return (void *)(uintptr_t)t.ops;
}

static void *xm_consumer(void *arg)
{
	struct mt_thread t;

	mt_init(&t, (unsigned)(uintptr_t)arg);
	for (;;) {
		pthread_mutex_lock(&xm_lock);
		while (xm_head == xm_tail && xm_left)
			pthread_cond_wait(&xm_more, &xm_lock);
		if (xm_head == xm_tail) {
			pthread_mutex_unlock(&xm_lock);
			break;
		}
		struct xm_batch *bt = xm_q[xm_tail++ % XM_QUEUE];
		xm_left--;
		if (!xm_left)
			pthread_cond_broadcast(&xm_more);
		pthread_cond_signal(&xm_room);
		pthread_mutex_unlock(&xm_lock);
		for (unsigned k = 0; k < XM_BATCH; k++)
			blk_free(&t, bt->b[k]);
		free(bt);
		mt_note(&t, -(int64_t)sizeof(*bt));
	}
	mt_flush(&t);
	return (void *)(uintptr_t)t.ops;
}

static void *xm_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	return i < 2 ? xm_producer(arg) : xm_consumer(arg);
}

static uint64_t xmalloc(uint64_t scale)
{
	xm_batches = 100000 * scale;
	xm_left = (unsigned)(2 * xm_batches);
	return mt_run(4, xm_thread);
}

/*
 * cache-scratch (passive false sharing): the main thread allocates one
 * 8-byte object per thread, back to back, and hands one to each thread;
 * each frees it, then allocates an 8-byte object, writes it 500 times and
 * frees it, over and over. An allocator that gives a thread the object it
 * freed (neighbour of another thread's) makes the threads share a cache line.
 * cache-thrash (active false sharing): the same without the hand-over: do
 * two threads' small objects share a line?
 */
#define CS_WRITES	500
static void *cs_given[2];
static uint64_t cs_rounds;

static void *cs_thread(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	uint64_t ops = 0;

	if (cs_given[me])
		free(cs_given[me]), ops++;
	for (uint64_t i = 0; i < cs_rounds; i++) {
		volatile char *p = malloc(8);
		for (unsigned w = 0; w < CS_WRITES; w++)
			p[w & 7] = (char)(p[w & 7] + 1);
		free((void *)p);
		ops += 2;
	}
	return (void *)(uintptr_t)ops;
}

/* Live: one 8-byte object a thread at any time (the handed-over ones before). */
static uint64_t cscratch(uint64_t scale)
{
	cs_rounds = 300000 * scale;
	for (unsigned i = 0; i < 2; i++) {
		cs_given[i] = malloc(8);
		memset(cs_given[i], 0, 8);
	}
	uint64_t ops = mt_run(2, cs_thread) + 2;
	peak_live = 16;
	return ops;
}

static uint64_t cthrash(uint64_t scale)
{
	cs_rounds = 300000 * scale;
	uint64_t ops = mt_run(2, cs_thread);
	peak_live = 16;
	return ops;
}

/*
 * mstress (a stress test): 4 threads, each keeps its own blocks and
 * swaps blocks at random with a shared array of 1000 (so frees cross
 * threads); sizes are mostly 16..256 B, one in 100 up to 64 KiB, one in 10 000
 * up to 1 MiB; threads end and new ones start for 6 rounds, the shared
 * array carrying blocks over. Every block is checked when freed.
 */
#define MS_SHARED	1000
#define MS_OWN		2000
static void *ms_shared[MS_SHARED];
static uint64_t ms_steps;
static unsigned ms_round;

static size_t ms_size(struct mt_thread *t)
{
	uint64_t x = mt_next(t);

	if (x % 10000 == 0)
		return 65536 + (x >> 20) % (1 << 20);
	if (x % 100 == 1)
		return 256 + (x >> 20) % 65280;
	return 16 + (x >> 20) % 241;
}

static void *ms_thread(void *arg)
{
	struct mt_thread t;
	void **own = calloc(MS_OWN, sizeof(void *));

	mt_init(&t, (unsigned)(uintptr_t)arg + 4 * ms_round);
	for (uint64_t i = 0; i < ms_steps; i++) {
		uint64_t x = mt_next(&t);
		unsigned k = (unsigned)(x % MS_OWN);
		switch ((x >> 32) % 4) {
		case 0:				/* swap with the shared array */
		{
			unsigned s = (unsigned)((x >> 40) % MS_SHARED);
			own[k] = __atomic_exchange_n(&ms_shared[s], own[k], __ATOMIC_ACQ_REL);
			break;
		}
		case 1:				/* free one */
			if (own[k])
				blk_free(&t, own[k]);
			own[k] = NULL;
			break;
		default:			/* replace one */
			if (own[k])
				blk_free(&t, own[k]);
			own[k] = blk_new(&t, ms_size(&t));
		}
	}
	for (unsigned k = 0; k < MS_OWN; k++)
		if (own[k])
			blk_free(&t, own[k]);
	free(own);
	mt_flush(&t);
	return (void *)(uintptr_t)t.ops;
}

static uint64_t mstress(uint64_t scale)
{
	uint64_t ops = 0;
	struct mt_thread t;

	ms_steps = 300000 * scale;
	for (ms_round = 0; ms_round < 6; ms_round++)
		ops += mt_run(4, ms_thread);
	mt_init(&t, 99);
	for (unsigned s = 0; s < MS_SHARED; s++)
		if (ms_shared[s])
			blk_free(&t, ms_shared[s]);
	mt_flush(&t);
	return ops + t.ops;
}

/*
 * rptest (realistic sizes, cross-thread): each of 2 threads, per loop,
 * allocates 1000 blocks of 16 B..16 KiB (small sizes far more likely),
 * frees and allocates again at random 5 000 times, then hands every other
 * block to the other thread, frees its own and frees what it was handed.
 */
#define RP_BLOCKS	1000
static uint64_t rp_loops;
static void **rp_inbox[2];
static pthread_barrier_t rp_bar;

static size_t rp_size(struct mt_thread *t)
{
	uint64_t x = mt_next(t);
	double u = (double)(x >> 11) / (double)(1ull << 53);

	return 16 + (size_t)(u * u * u * u * 16368);	/* mostly small */
}

static void *rp_thread(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	struct mt_thread t;
	void **b = malloc(RP_BLOCKS * sizeof(void *));
	void **give = malloc(RP_BLOCKS / 2 * sizeof(void *));

	mt_init(&t, me);
	for (uint64_t l = 0; l < rp_loops; l++) {
		for (unsigned k = 0; k < RP_BLOCKS; k++)
			b[k] = blk_new(&t, rp_size(&t));
		for (unsigned i = 0; i < 5 * RP_BLOCKS; i++) {
			unsigned k = (unsigned)(mt_next(&t) % RP_BLOCKS);
			blk_free(&t, b[k]);
			b[k] = blk_new(&t, rp_size(&t));
		}
		for (unsigned k = 0; k < RP_BLOCKS; k += 2)
			give[k / 2] = b[k];
		for (unsigned k = 1; k < RP_BLOCKS; k += 2)
			blk_free(&t, b[k]);
		rp_inbox[me ^ 1] = give;
		pthread_barrier_wait(&rp_bar);
		give = rp_inbox[me];		/* the other's blocks, freed here */
		for (unsigned k = 0; k < RP_BLOCKS / 2; k++)
			blk_free(&t, give[k]);
		pthread_barrier_wait(&rp_bar);
	}
	free(b);
	free(give);
	mt_flush(&t);
	return (void *)(uintptr_t)t.ops;
}

static uint64_t rptest(uint64_t scale)
{
	rp_loops = 400 * scale;
	pthread_barrier_init(&rp_bar, NULL, 2);
	return mt_run(2, rp_thread);
}

/*
 * glibc-thread (glibc's malloc benchmark, threaded): each of 2 threads
 * replaces random blocks of a working set of 4000, sizes 16 B..32 KiB with
 * probability falling as 1/size, for 4 million steps.
 */
#define GT_SLOTS	4000
static uint64_t gt_steps;

static size_t gt_size(struct mt_thread *t)
{
	/* density ~ 1/size on [16 B, 32 KiB): a random octave, uniform within it */
	uint64_t x = mt_next(t);
	size_t base = (size_t)16 << (x % 11);

	return base + (size_t)(x >> 8) % base;
}

static void *gt_thread(void *arg)
{
	struct mt_thread t;
	void **slot = calloc(GT_SLOTS, sizeof(void *));

	mt_init(&t, (unsigned)(uintptr_t)arg);
	for (uint64_t i = 0; i < gt_steps; i++) {
		unsigned k = (unsigned)(mt_next(&t) % GT_SLOTS);
		if (slot[k])
			blk_free(&t, slot[k]);
		slot[k] = blk_new(&t, gt_size(&t));
	}
	for (unsigned k = 0; k < GT_SLOTS; k++)
		if (slot[k])
			blk_free(&t, slot[k]);
	free(slot);
	mt_flush(&t);
	return (void *)(uintptr_t)t.ops;
}

static uint64_t glibcthread(uint64_t scale)
{
	gt_steps = 3000000 * scale;
	return mt_run(2, gt_thread);
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
		{ "larson", larson }, { "xmalloc", xmalloc }, { "cscratch", cscratch },
		{ "cthrash", cthrash }, { "mstress", mstress }, { "rptest", rptest },
		{ "glibcthread", glibcthread },
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
	fprintf(stderr, "usage: heap_workload churn|random|prodcons|realloc|frag|phase|grow|phasefifo|phasemix|drift|"
		"larson|xmalloc|cscratch|cthrash|mstress|rptest|glibcthread [scale]\n");
	return 2;
}
