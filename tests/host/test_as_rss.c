// SPDX-License-Identifier: MIT
/*
 * The resident-page count kept per CPU (mm/as_rss.c; this test runs under
 * TSan too). Many threads, each a CPU of its own, fault pages into two
 * spaces by turns, so their slots pass from one space to the other over
 * and over, while another thread reads both counts (folding the slots):
 * a count read meanwhile never goes down nor past what was written, and
 * afterwards each count is exactly the pages written. Then more threads
 * in all than slots (later threads reuse the slots earlier ones filled),
 * and unmapping beside faults: the count comes out exact, the spaces check
 * out, every frame comes back.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"
#include "mm/as_internal.h"
#include "host/sim.h"

#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define PRIV_ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define THREADS		8
#define PER_THREAD	150	/* pages each thread writes in each space: not a multiple of a batch */

static struct proc P, Q;
static uintptr_t pbase, qbase;
static volatile int writers_left;
static int errors[THREADS + 1];

/* Write the pages [first, first + n) of both spaces, one of each by turns. */
static void write_pages(int id, unsigned first, unsigned n)
{
	struct smmu pm, qm;
	uint8_t v = (uint8_t)(id + 1);

	smmu_init(&pm, &P.as.vs.pt);
	pm.vs = &P.as.vs;
	smmu_init(&qm, &Q.as.vs.pt);
	qm.vs = &Q.as.vs;
	for (unsigned k = first; k < first + n; k++) {
		if (smmu_write(&pm, pbase + (uintptr_t)k * PAGE_SIZE, SMMU_USER, &v, 1))
			errors[id]++;
		if (smmu_write(&qm, qbase + (uintptr_t)k * PAGE_SIZE, SMMU_USER, &v, 1))
			errors[id]++;
	}
}

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg;

	write_pages(id, (unsigned)id * PER_THREAD, PER_THREAD);
	__atomic_sub_fetch(&writers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Reads both counts while the writers run: never falling, never past the total. */
static void *reader(void *arg)
{
	uint64_t lastp = 0, lastq = 0, total = THREADS * PER_THREAD;

	(void)arg;
	while (__atomic_load_n(&writers_left, __ATOMIC_ACQUIRE)) {
		uint64_t p = as_rss(&P.as), q = as_rss(&Q.as);

		if (p < lastp || q < lastq || p > total || q > total)
			errors[THREADS]++;
		lastp = p;
		lastq = q;
	}
	return NULL;
}

static void spaces_up(unsigned pages, uint64_t *free0)
{
	*free0 = sim_free_frames();
	assert_int_equal(as_init(&P.as, NULL), 0);
	assert_int_equal(as_init(&Q.as, NULL), 0);
	as_set_shared(&P.as);
	as_set_shared(&Q.as);
	long a = as_mmap(&P.as, 0, (uint64_t)pages * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);
	long b = as_mmap(&Q.as, 0, (uint64_t)pages * PAGE_SIZE, RW, PRIV_ANON, NULL, 0);

	assert_false(as_is_err(a));
	assert_false(as_is_err(b));
	pbase = (uintptr_t)a;
	qbase = (uintptr_t)b;
	memset(errors, 0, sizeof(errors));
}

static void spaces_down(uint64_t free0)
{
	for (int i = 0; i <= THREADS; i++)
		assert_int_equal(errors[i], 0);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&Q.as), 0);
	as_destroy(&P.as);
	as_destroy(&Q.as);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
}

static void test_rss_threads_two_spaces_exact(void **state)
{
	pthread_t t[THREADS], r;
	uint64_t free0;

	(void)state;
	spaces_up(THREADS * PER_THREAD, &free0);
	writers_left = THREADS;
	assert_int_equal(pthread_create(&r, NULL, reader, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_join(r, NULL);
	assert_int_equal(as_rss(&P.as), THREADS * PER_THREAD);
	assert_int_equal(as_rss(&Q.as), THREADS * PER_THREAD);
	struct as_stats st;

	as_get_stats(&P.as, &st);
	assert_int_equal(st.rss, THREADS * PER_THREAD);
	spaces_down(free0);
}

/* A fault's page waits in its CPU's slot until a fold: the space's own field lags. */
static void test_rss_counted_per_cpu_until_folded(void **state)
{
	uint64_t free0;

	(void)state;
	spaces_up(16, &free0);
	write_pages(0, 0, 10);	/* 10 pages of each space, alternately: the slot moves 19 times */
	assert_int_equal(__atomic_load_n(&P.as.rss, __ATOMIC_RELAXED), 10);
	assert_int_equal(__atomic_load_n(&Q.as.rss, __ATOMIC_RELAXED), 9);
	assert_int_equal(as_rss(&Q.as), 10);
	assert_int_equal(__atomic_load_n(&Q.as.rss, __ATOMIC_RELAXED), 10);
	write_pages(0, 10, 6);
	assert_int_equal(as_rss(&P.as), 16);
	assert_int_equal(as_rss(&Q.as), 16);
	assert_int_equal(as_munmap(&P.as, pbase, 4 * PAGE_SIZE), 0);
	assert_int_equal(as_rss(&P.as), 12);
	spaces_down(free0);
}

#define MANY		80	/* past MM_MAX_CPUS: the second half reuses slots the first filled */
#define MANY_PAGES	40

static void *many_writer(void *arg)
{
	int id = (int)(intptr_t)arg;

	write_pages(id % THREADS, (unsigned)id * MANY_PAGES, MANY_PAGES);
	return NULL;
}

/* Then unmap the first half from another thread while the second half faults. */
static void *unmapper(void *arg)
{
	(void)arg;
	if (as_munmap(&P.as, pbase, (uint64_t)MANY / 2 * MANY_PAGES * PAGE_SIZE))
		errors[THREADS]++;
	return NULL;
}

static void test_rss_more_threads_than_slots(void **state)
{
	pthread_t t[MANY], u;
	uint64_t free0;

	(void)state;
	spaces_up(MANY * MANY_PAGES, &free0);
	for (int i = 0; i < MANY / 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, many_writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < MANY / 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(as_rss(&P.as), MANY / 2 * MANY_PAGES);
	assert_int_equal(pthread_create(&u, NULL, unmapper, NULL), 0);
	for (int i = MANY / 2; i < MANY; i++)
		assert_int_equal(pthread_create(&t[i], NULL, many_writer, (void *)(intptr_t)i), 0);
	for (int i = MANY / 2; i < MANY; i++)
		pthread_join(t[i], NULL);
	pthread_join(u, NULL);
	assert_int_equal(as_rss(&P.as), MANY / 2 * MANY_PAGES);
	assert_int_equal(as_rss(&Q.as), MANY * MANY_PAGES);
	spaces_down(free0);
}

static int setup(void **state)
{
	(void)state;
	return vm_ram_setup(64 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rss_threads_two_spaces_exact, setup),
		cmocka_unit_test_setup(test_rss_counted_per_cpu_until_folded, setup),
		cmocka_unit_test_setup(test_rss_more_threads_than_slots, setup),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
