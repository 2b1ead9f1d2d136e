/*
 * t_threads_mm: memory calls from several threads of one process at once.
 * Threads map, fill, protect, check and unmap their own ranges while
 * others fault pages of one shared range; a reader thread loses access the
 * moment mprotect(PROT_NONE) returns in another (the shootdown check); a
 * threaded process forks and its child sees a copy taken at the fork;
 * threads drop their own pages with MADV_DONTNEED and read zero back, and
 * one reads pages that another drops or replaces with MAP_FIXED.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <sys/syscall.h>

#define WORKERS		4
#define ITERATIONS	150
#define SHARED_PAGES	256

/* --- concurrent mmap / munmap / mprotect / faults ---------------------------------- */

static char *shared_range;
static volatile int start_flag;

struct worker {
	int index;
	int bad;		/* checks that failed */
	int faulted;		/* pages of the shared range this one wrote */
};

static void *mm_worker(void *p)
{
	struct worker *w = p;

	while (!start_flag)
		sched_yield();
	for (int it = 0; it < ITERATIONS; it++) {
		size_t pages = 1 + (size_t)((it * 7 + w->index) % 16);
		unsigned seed = (unsigned)(w->index * 1000 + it);
		char *m = map_anon(pages * PAGE, PROT_READ | PROT_WRITE);
		if (m == MAP_FAILED) {
			w->bad++;
			continue;
		}
		fill(m, pages * PAGE, seed);
		w->bad += mprotect(m, pages * PAGE, PROT_READ) != 0;
		w->bad += check(m, pages * PAGE, seed) != -1;
		w->bad += check_at(m, 0, PAGE, seed) != -1;
		if (pages > 2) {
			/*
			 * Split it: unmap the middle page, then the two ends
			 * apart (another thread's mmap may take the hole).
			 */
			w->bad += munmap(m + PAGE, PAGE) != 0;
			w->bad += check_at(m, 2 * PAGE, PAGE, seed) != -1;
			w->bad += munmap(m + 2 * PAGE, (pages - 2) * PAGE) != 0;
			w->bad += munmap(m, PAGE) != 0;
		} else {
			w->bad += munmap(m, pages * PAGE) != 0;
		}
		/* Fault one page of the shared range: each worker owns every WORKERS-th page. */
		size_t pg = (size_t)(it * WORKERS + w->index) % SHARED_PAGES;
		if (pg % WORKERS == (size_t)w->index) {
			shared_range[pg * PAGE] = (char)(w->index + 1);
			w->faulted++;
		}
		if ((it & 15) == 0)
			sched_yield();
	}
	return NULL;
}

static void test_concurrent_mm(void)
{
	pthread_t t[WORKERS];
	struct worker w[WORKERS];

	shared_range = map_anon(SHARED_PAGES * PAGE, PROT_READ | PROT_WRITE);
	ok(shared_range != MAP_FAILED, "a shared range for the workers to fault");
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .index = i };
		pthread_create(&t[i], NULL, mm_worker, &w[i]);
	}
	start_flag = 1;
	int bad = 0, faulted = 0;
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(t[i], NULL);
		bad += w[i].bad;
		faulted += w[i].faulted;
	}
	ok_eq(bad, 0, "%d threads x %d rounds of mmap, fill, mprotect, check, split, munmap",
	      WORKERS, ITERATIONS);
	int right = 0;
	for (size_t pg = 0; pg < SHARED_PAGES; pg++) {
		char want = (char)(pg % WORKERS + 1);
		right += shared_range[pg * PAGE] == want;
	}
	ok_eq(right, SHARED_PAGES, "every page of the shared range holds its faulting thread's byte");
	munmap(shared_range, SHARED_PAGES * PAGE);
}

/* --- the shootdown check ----------------------------------------------------------- */

/*
 * In a child: a reader thread reads the page and then counts the read, in
 * shared memory the parent sees. The main thread waits for reads, makes
 * the page PROT_NONE and records the count when mprotect has returned. The
 * reader's next read must fault: at most the one read in flight when
 * mprotect returned may still be counted. Its SIGSEGV handler records the
 * count at the fault and stops the thread there, so the fault cannot kill
 * the process before the main thread has recorded its count (it may be
 * preempted between mprotect's return and that store).
 */
struct shoot {
	volatile long reads;
	volatile long at_return;	/* reads when mprotect had returned */
	volatile long at_fault;		/* reads when the reader faulted */
	volatile int protected;
	volatile int faulted;
};

static volatile char *target;
static struct shoot *sh;

static void on_fault(int sig)
{
	(void)sig;
	sh->at_fault = __atomic_load_n(&sh->reads, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->faulted, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();		/* the reader stops here; the main thread exits */
}

static void *reader(void *p)
{
	(void)p;
	for (;;) {
		(void)*target;
		__atomic_add_fetch(&sh->reads, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void child_shootdown(void *arg)
{
	pthread_t t;

	(void)arg;
	signal(SIGSEGV, on_fault);
	target = map_anon(PAGE, PROT_READ | PROT_WRITE);
	target[0] = 1;
	pthread_create(&t, NULL, reader, NULL);
	while (__atomic_load_n(&sh->reads, __ATOMIC_SEQ_CST) < 10000)
		sched_yield();
	mprotect((void *)target, PAGE, PROT_NONE);
	sh->at_return = __atomic_load_n(&sh->reads, __ATOMIC_SEQ_CST);
	sh->protected = 1;
	for (long spins = 0; !__atomic_load_n(&sh->faulted, __ATOMIC_SEQ_CST); spins++)
		if (spins > 20000000)
			_exit(2);	/* the reader never faulted */
		else
			sched_yield();
	_exit(0);
}

static void test_shootdown(void)
{
	int faulted = 0, late = 0;

	sh = map_shared(PAGE);
	for (int round = 0; round < 5; round++) {
		memset(sh, 0, sizeof(*sh));
		int st = run_in_child(child_shootdown, NULL);
		faulted += expect_exited_with(st, 0) && sh->protected && sh->faulted;
		if (sh->faulted && sh->at_fault - sh->at_return > 1) {
			late++;
			diag("round %d: %ld reads after mprotect returned", round,
			     sh->at_fault - sh->at_return);
		}
	}
	ok_eq(faulted, 5, "a thread reading a page gets SIGSEGV once another made it PROT_NONE");
	ok_eq(late, 0, "no read succeeds after mprotect has returned (5 rounds)");
	munmap(sh, PAGE);
}

/* --- fork from a threaded process --------------------------------------------------- */

static volatile int spin_stop;
static volatile long spin_count;

static void *spinner(void *p)
{
	char *m = p;

	while (!spin_stop) {
		m[0]++;			/* dirty a page the fork copies */
		spin_count++;
		sched_yield();
	}
	return NULL;
}

static void *child_thread(void *p)
{
	return (void *)((long)p + 1);
}

static void test_fork_threaded(void)
{
	pthread_t t[3];
	char *m = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

	fill(m + PAGE, 3 * PAGE, 77);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, spinner, m);
	while (spin_count < 100)
		sched_yield();
	pid_t pid = tap_fork();
	if (pid == 0) {
		/* Only the forking thread exists here; memory is a copy. */
		int bad = check(m + PAGE, 3 * PAGE, 77) != -1;
		long before = spin_count;
		sleep_ms(20);
		bad |= (spin_count != before) << 1;	/* no spinner came along */
		pthread_t c;
		void *r = NULL;
		bad |= (pthread_create(&c, NULL, child_thread, (void *)41L) != 0) << 2;
		pthread_join(c, &r);
		bad |= (r != (void *)42L) << 3;
		fill(m + PAGE, 3 * PAGE, 78);
		_exit(bad);
	}
	int st = tap_wait(pid);
	ok_exited_with(st, 0, "a child forked beside 3 running threads has the memory, one thread, and can make threads");
	ok_eq(check(m + PAGE, 3 * PAGE, 77), -1, "the child's writes do not reach the parent");
	spin_stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ok(1, "the parent's threads ran on and joined");
	munmap(m, 4 * PAGE);
}

/* --- MADV_DONTNEED and MAP_FIXED beside threads using the pages -------------------- */

#define OWN_ROUNDS	200
#define DROP_PAGES	4
#define DROP_ROUNDS	150
#define DROP_TAG	(0xa5a5ul << (8 * sizeof(long) - 16))	/* in one word: no torn reads on i386 */

static char *own_pages;

/* The tlb_flush2 loop: write its own page, drop it, read zero back. */
static void *own_dropper(void *p)
{
	long id = (long)p, bad = 0;
	volatile unsigned long *w = (volatile unsigned long *)(own_pages + id * PAGE);

	for (long r = 1; r <= OWN_ROUNDS; r++) {
		w[r % 512] = (unsigned long)r;
		bad += w[r % 512] != (unsigned long)r;
		bad += madvise((void *)w, PAGE, MADV_DONTNEED) != 0;
		bad += w[r % 512] != 0;
	}
	return (void *)bad;
}

static volatile unsigned long *drop_range;
static volatile int drop_stop;
static long drop_reads;	/* the reader's passes, for the writer to wait on */

/* Read the range until told to stop: each word is a tagged one the writer wrote, or zero. */
static void *drop_reader(void *p)
{
	long bad = 0, reads = 0;

	(void)p;
	while (!drop_stop) {
		for (unsigned i = 0; i < DROP_PAGES * PAGE / 8; i += 61) {
			unsigned long v = drop_range[i];

			bad += v != 0 && (v & ~0xfffful) != DROP_TAG;
			reads++;
		}
		__atomic_add_fetch(&drop_reads, 1, __ATOMIC_SEQ_CST);
	}
	return (void *)(bad ? -bad : reads);
}

static void test_drop_beside_threads(void)
{
	pthread_t t[2];
	long bad = 0;

	own_pages = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, own_dropper, (void *)i);
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (long)r;
	}
	ok_eq(bad, 0, "two threads each dropping its own page with MADV_DONTNEED read zero after it");
	munmap(own_pages, 2 * PAGE);

	/* One thread reads pages that another fills, drops and replaces. */
	void *r;
	long mismatch = 0, fixed_failed = 0;

	drop_range = map_anon(DROP_PAGES * PAGE, PROT_READ | PROT_WRITE);
	drop_stop = 0;
	drop_reads = 0;
	pthread_create(&t[0], NULL, drop_reader, NULL);
	/* On one CPU the reader may not have run yet: let it read before the first change. */
	while (!__atomic_load_n(&drop_reads, __ATOMIC_SEQ_CST))
		sched_yield();
	for (unsigned long round = 1; round <= DROP_ROUNDS; round++) {
		for (unsigned i = 0; i < DROP_PAGES * PAGE / 8; i += 61)
			drop_range[i] = DROP_TAG | round;
		for (unsigned i = 0; i < DROP_PAGES * PAGE / 8; i += 61)
			mismatch += drop_range[i] != (DROP_TAG | round);
		if (round % 3)
			mismatch += madvise((void *)drop_range, DROP_PAGES * PAGE, MADV_DONTNEED) != 0;
		else
			fixed_failed += mmap((void *)drop_range, DROP_PAGES * PAGE, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
					(void *)drop_range;
		for (unsigned i = 0; i < DROP_PAGES * PAGE / 8; i += 61)
			mismatch += drop_range[i] != 0;
	}
	drop_stop = 1;
	pthread_join(t[0], &r);
	ok_eq(mismatch + fixed_failed, 0,
	      "pages dropped (MADV_DONTNEED) or replaced (MAP_FIXED) beside a reading thread read zero");
	ok((long)r > 0, "the reading thread saw only the data written or zero, and never faulted");
	munmap((void *)drop_range, DROP_PAGES * PAGE);
}

int main(void)
{
	test_concurrent_mm();
	test_shootdown();
	test_fork_threaded();
	test_drop_beside_threads();
	return done_testing();
}
