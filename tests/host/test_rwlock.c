// SPDX-License-Identifier: MIT
/*
 * The reader-writer spinlock (mm/spinlock.h), with many threads (this test
 * runs under TSan too): writers keep two plain words equal, readers never
 * see them differ; readers really share the lock; a waiting writer holds
 * new readers back, so writers make progress under a stream of readers;
 * a writer that downgrades (write_downgrade()) lets readers in, not writers;
 * a writer that lets go and asks again at once waits behind one that has
 * waited long; waiters that doze (plat_doze_prepare()) are woken by the
 * release that lets them in (write unlock, downgrade, last read unlock),
 * never left for the tick.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/sim.h"
#include "mm/spinlock.h"

#define READERS		4
#define WRITERS		2
#define ROUNDS		4000

static rwlock_t lock = RWLOCK_INIT;
static long word_a, word_b;		/* plain: the lock alone orders them */
static long torn, reads, writes;

static void *reader(void *arg)
{
	long seen_torn = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		unsigned long fl = read_lock_irqsave(&lock);
		seen_torn += word_a != word_b;
		read_unlock_irqrestore(&lock, fl);
	}
	__atomic_fetch_add(&torn, seen_torn, __ATOMIC_RELAXED);
	__atomic_fetch_add(&reads, ROUNDS, __ATOMIC_RELAXED);
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		unsigned long fl = write_lock_irqsave(&lock);
		word_a++;
		word_b = word_a;
		write_unlock_irqrestore(&lock, fl);
	}
	__atomic_fetch_add(&writes, ROUNDS, __ATOMIC_RELAXED);
	return NULL;
}

static void test_readers_never_see_a_half_write(void **state)
{
	pthread_t t[READERS + WRITERS];

	(void)state;
	for (int i = 0; i < READERS + WRITERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, i < READERS ? reader : writer, NULL), 0);
	for (int i = 0; i < READERS + WRITERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(torn, 0);
	assert_int_equal(reads, (long)READERS * ROUNDS);
	assert_int_equal(word_a, (long)WRITERS * ROUNDS);
	assert_int_equal(word_b, word_a);
	assert_int_equal(lock.state, 0);
}

/* Two readers hold the lock at once: each waits, holding it, for the other. */
static volatile int inside[2];

static void *sharing_reader(void *arg)
{
	int i = (int)(intptr_t)arg;
	long spins = 0;

	unsigned long fl = read_lock_irqsave(&lock);
	__atomic_store_n(&inside[i], 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&inside[!i], __ATOMIC_SEQ_CST) && ++spins < 2000000000L)
		plat_cpu_relax();
	read_unlock_irqrestore(&lock, fl);
	return (void *)(intptr_t)__atomic_load_n(&inside[!i], __ATOMIC_SEQ_CST);
}

static void test_readers_share(void **state)
{
	pthread_t t[2];
	void *met[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sharing_reader, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &met[i]);
	assert_true(met[0] && met[1]);
	assert_int_equal(lock.state, 0);
}

/* While a reader holds the lock, a waiting writer keeps a new reader out. */
static volatile int writer_done, late_reader_in;

static void *waiting_writer(void *arg)
{
	(void)arg;
	unsigned long fl = write_lock_irqsave(&lock);
	writer_done = 1;
	write_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void *late_reader(void *arg)
{
	(void)arg;
	unsigned long fl = read_lock_irqsave(&lock);
	late_reader_in = writer_done ? 2 : 1;	/* 2: it came in after the writer */
	read_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void test_waiting_writer_goes_first(void **state)
{
	pthread_t w, r;

	(void)state;
	unsigned long fl = read_lock_irqsave(&lock);
	assert_int_equal(pthread_create(&w, NULL, waiting_writer, NULL), 0);
	while (!(__atomic_load_n(&lock.state, __ATOMIC_SEQ_CST) & RW_WAITING))
		plat_cpu_relax();
	assert_int_equal(pthread_create(&r, NULL, late_reader, NULL), 0);
	for (volatile long i = 0; i < 20000000; i++)
		;	/* give the late reader time to (wrongly) get in */
	assert_int_equal(late_reader_in, 0);
	read_unlock_irqrestore(&lock, fl);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	assert_int_equal(late_reader_in, 2);
	assert_int_equal(lock.state, 0);
}

static volatile int downgraded_reader_in, downgraded_writer_in;

static void *downgraded_reader(void *arg)
{
	(void)arg;
	unsigned long fl = read_lock_irqsave(&lock);
	downgraded_reader_in = 1;
	read_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void *downgraded_writer(void *arg)
{
	(void)arg;
	unsigned long fl = write_lock_irqsave(&lock);
	downgraded_writer_in = 1;
	write_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void test_downgrade_lets_readers_in(void **state)
{
	pthread_t w, r;

	(void)state;
	unsigned long fl = write_lock_irqsave(&lock);
	write_downgrade(&lock);
	assert_int_equal(lock.state, 1);	/* one reader: us */
	assert_int_equal(pthread_create(&r, NULL, downgraded_reader, NULL), 0);
	pthread_join(r, NULL);			/* got in while we hold it */
	assert_int_equal(downgraded_reader_in, 1);
	assert_int_equal(pthread_create(&w, NULL, downgraded_writer, NULL), 0);
	while (!(__atomic_load_n(&lock.state, __ATOMIC_SEQ_CST) & RW_WAITING))
		plat_cpu_relax();
	for (volatile long i = 0; i < 20000000; i++)
		;	/* give the writer time to (wrongly) get in */
	assert_int_equal(downgraded_writer_in, 0);
	read_unlock_irqrestore(&lock, fl);
	pthread_join(w, NULL);
	assert_int_equal(downgraded_writer_in, 1);
	assert_int_equal(lock.state, 0);
}

/*
 * A writer that lets go and asks again at once comes after one that has
 * waited long (marked RW_HANDOFF); the old lock let it back in first.
 */
static volatile int order, queued_writer_at;

static void *queued_writer(void *arg)
{
	(void)arg;
	unsigned long fl = write_lock_irqsave(&lock);
	queued_writer_at = __atomic_add_fetch(&order, 1, __ATOMIC_SEQ_CST);
	write_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void test_writers_take_turns(void **state)
{
	pthread_t w;

	(void)state;
	for (int round = 0; round < 20; round++) {
		order = queued_writer_at = 0;
		unsigned long fl = write_lock_irqsave(&lock);
		assert_int_equal(pthread_create(&w, NULL, queued_writer, NULL), 0);
		while (!(__atomic_load_n(&lock.state, __ATOMIC_SEQ_CST) & RW_HANDOFF))
			plat_cpu_relax();
		write_unlock_irqrestore(&lock, fl);
		fl = write_lock_irqsave(&lock);		/* again, at once: must not barge in */
		int mine = __atomic_add_fetch(&order, 1, __ATOMIC_SEQ_CST);
		write_unlock_irqrestore(&lock, fl);
		pthread_join(w, NULL);
		assert_int_equal(queued_writer_at, 1);
		assert_int_equal(mine, 2);
		assert_int_equal(lock.state, 0);
	}
}

/*
 * Dozing waiters: readers behind a writer, then a writer behind a reader,
 * each waiting long enough to doze, must be woken by the release, not by
 * the 5 s stand-in for a tick (sim_count.doze_timeouts). Then the mixed
 * run of the first test, dozing whenever a wait is long.
 */
static volatile int dozing_readers_in;

static void *dozing_reader(void *arg)
{
	(void)arg;
	unsigned long fl = read_lock_irqsave(&lock);
	__atomic_add_fetch(&dozing_readers_in, 1, __ATOMIC_SEQ_CST);
	read_unlock_irqrestore(&lock, fl);
	return NULL;
}

static void *dozing_writer(void *arg)
{
	(void)arg;
	unsigned long fl = write_lock_irqsave(&lock);
	write_unlock_irqrestore(&lock, fl);
	return NULL;
}

/* Until a waiter has published that it dozes, and a moment for the others to. */
static void until_dozing(void)
{
	while (!(__atomic_load_n(&lock.state, __ATOMIC_SEQ_CST) & RW_DOZER))
		sched_yield();
	for (volatile long i = 0; i < 2000000; i++)
		;
}

static void test_dozers_are_woken(void **state)
{
	pthread_t t[READERS];

	(void)state;
	sim_doze_ms = 5000;
	sim_count.dozes = sim_count.doze_timeouts = 0;
	dozing_readers_in = 0;
	unsigned long fl = write_lock_irqsave(&lock);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, dozing_reader, NULL), 0);
	until_dozing();
	write_downgrade(&lock);		/* lets the readers in: wakes them */
	while (__atomic_load_n(&dozing_readers_in, __ATOMIC_SEQ_CST) < READERS)
		sched_yield();
	read_unlock_irqrestore(&lock, fl);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);

	fl = read_lock_irqsave(&lock);
	assert_int_equal(pthread_create(&t[0], NULL, dozing_writer, NULL), 0);
	until_dozing();
	read_unlock_irqrestore(&lock, fl);	/* the last reader out wakes the writer */
	pthread_join(t[0], NULL);

	fl = write_lock_irqsave(&lock);
	assert_int_equal(pthread_create(&t[0], NULL, dozing_writer, NULL), 0);
	until_dozing();
	write_unlock_irqrestore(&lock, fl);	/* a writer's release wakes the next */
	pthread_join(t[0], NULL);
	assert_true(sim_count.dozes >= 3);
	assert_int_equal(sim_count.doze_timeouts, 0);
	assert_int_equal(lock.state, 0);

	torn = reads = writes = word_a = word_b = 0;
	test_readers_never_see_a_half_write(state);
	assert_int_equal(sim_count.doze_timeouts, 0);
	sim_doze_ms = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers_never_see_a_half_write),
		cmocka_unit_test(test_readers_share),
		cmocka_unit_test(test_waiting_writer_goes_first),
		cmocka_unit_test(test_downgrade_lets_readers_in),
		cmocka_unit_test(test_writers_take_turns),
		cmocka_unit_test(test_dozers_are_woken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
