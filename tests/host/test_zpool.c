// SPDX-License-Identifier: MIT
/*
 * Tests of the compressed-object pool on simulated RAM: every size from 1 to
 * a page round-trips; waste stays low on a realistic mix of sizes; frees
 * give frames back; compaction after heavy freeing moves objects, frees
 * frames and keeps every byte; bad handles are reported and change nothing;
 * running out of frames is an error, not a leak, and with no free frame the
 * reserve and larger classes still take objects; threads allocating,
 * reading, freeing and compacting at once (TSan build) lose nothing; and
 * every frame returns to the PMM when the pool is destroyed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/errno.h"
#include "mm/zpool.h"
#include "tests/host/sim_setup.h"

static struct zpool pool;
static uint64_t free0;

static void start(void)
{
	assert_int_equal(sim_ram_pmm_flat(128 * MiB), 0);
	free0 = sim_free_frames();
	assert_int_equal(zpool_init(&pool), 0);
}

/* Destroy the pool: every frame is back. */
static void finish(void)
{
	assert_int_equal(zpool_check(&pool), 0);
	zpool_destroy(&pool);
	assert_int_equal(sim_free_frames(), free0);
	sim_expect_clean();
}

/* Object contents: a pattern from the handle and a seed, so moved or mixed-up bytes show. */
static void fill(uint8_t *b, size_t n, uint32_t key)
{
	uint64_t s = key * 0x9E3779B97F4A7C15ull + 1;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		b[i] = (uint8_t)s;
	}
}

static void expect_object(zpool_handle_t h, size_t size, uint32_t key)
{
	uint8_t want[PAGE_SIZE], got[PAGE_SIZE];

	fill(want, size, key);
	assert_int_equal(zpool_read(&pool, h, got, sizeof(got)), (long)size);
	assert_memory_equal(got, want, size);
}

static zpool_handle_t put(size_t size, uint32_t key)
{
	uint8_t b[PAGE_SIZE];
	zpool_handle_t h = 0;

	fill(b, size, key);
	assert_int_equal(zpool_alloc(&pool, size, &h), 0);
	assert_int_not_equal(h, 0);
	assert_int_equal(zpool_write(&pool, h, b), 0);
	return h;
}

static void test_every_size(void **state)
{
	static zpool_handle_t h[PAGE_SIZE + 1];
	struct zpool_stats st;
	uint64_t bytes = 0;

	(void)state;
	start();
	for (size_t n = 1; n <= PAGE_SIZE; n++) {
		h[n] = put(n, (uint32_t)n);
		bytes += n;
	}
	zpool_get_stats(&pool, &st);
	assert_int_equal(st.objects, PAGE_SIZE);
	assert_int_equal(st.obj_bytes, bytes);
	assert_true(st.huge >= 1 && st.huge <= 4);
	assert_int_equal(zpool_check(&pool), 0);
	for (size_t n = 1; n <= PAGE_SIZE; n++)
		expect_object(h[n], n, (uint32_t)n);
	for (size_t n = 1; n <= PAGE_SIZE; n += 2)
		zpool_free(&pool, h[n]);
	assert_int_equal(zpool_check(&pool), 0);
	for (size_t n = 2; n <= PAGE_SIZE; n += 2)
		expect_object(h[n], n, (uint32_t)n);
	for (size_t n = 2; n <= PAGE_SIZE; n += 2)
		zpool_free(&pool, h[n]);
	zpool_get_stats(&pool, &st);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.obj_bytes, 0);
	assert_int_equal(st.pool_pages, 0);	/* empty zspages go back at once */
	assert_int_equal(sim_errors(), 0);
	finish();
}

static void test_bad_sizes_and_handles(void **state)
{
	zpool_handle_t h = 0, k;
	uint8_t b[16];
	struct zpool_stats st;

	(void)state;
	start();
	assert_int_equal(zpool_alloc(&pool, 0, &h), -MM_EINVAL);
	assert_int_equal(zpool_alloc(&pool, PAGE_SIZE + 1, &h), -MM_EINVAL);
	k = put(10, 1);
	zpool_free(&pool, 0);
	zpool_free(&pool, k + 1);
	zpool_free(&pool, 12345);
	assert_int_equal(zpool_read(&pool, k + 1, b, sizeof(b)), -MM_EINVAL);
	assert_int_equal(zpool_write(&pool, 0, b), -MM_EINVAL);
	assert_int_equal(zpool_read(&pool, k, b, 9), -MM_ENOSPC);
	zpool_free(&pool, k);
	zpool_free(&pool, k);			/* double free */
	zpool_get_stats(&pool, &st);
	assert_int_equal(st.bad_calls, 6);
	assert_int_equal(sim_errors(), 6);
	assert_int_equal(st.objects, 0);
	finish();
}

/*
 * A mix of compressed-page sizes wastes little: slot rounding and zspage
 * tails cost under 3 %, plus at most one partly filled zspage per class.
 */
static void test_low_waste(void **state)
{
	enum { N = 20000 };
	static zpool_handle_t h[N];
	struct zpool_stats st;
	uint64_t s = 99;

	(void)state;
	start();
	for (int i = 0; i < N; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		h[i] = put(64 + (size_t)(s >> 33) % 3000, (uint32_t)i);
	}
	zpool_get_stats(&pool, &st);
	print_message("%llu objects, %llu bytes in %llu frames + %llu table frames: %.2f%% overhead\n",
		      (unsigned long long)st.objects, (unsigned long long)st.obj_bytes,
		      (unsigned long long)st.pool_pages, (unsigned long long)st.meta_pages,
		      100.0 * ((double)zpool_total_bytes(&st) / (double)st.obj_bytes - 1));
	assert_true(st.pool_pages * PAGE_SIZE * 100 <=
		    st.obj_bytes * 103 + 100 * ZPOOL_NR_CLASSES * ZPOOL_MAX_ZSPAGE * PAGE_SIZE);
	assert_true(st.meta_pages * 100 <= st.pool_pages * 2);
	for (int i = 0; i < N; i++)
		zpool_free(&pool, h[i]);
	finish();
}

/* Free 3 objects in 4 at random, compact: frames come back, every byte stays. */
static void test_compaction(void **state)
{
	enum { N = 12000 };
	static zpool_handle_t h[N];
	static size_t size[N];
	struct zpool_stats before, after;
	uint64_t s = 5, live_bytes = 0;
	unsigned long freed;

	(void)state;
	start();
	for (int i = 0; i < N; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		size[i] = 32 + (size_t)(s >> 33) % 2500;
		h[i] = put(size[i], (uint32_t)i);
	}
	for (int i = 0; i < N; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		if ((s >> 40) % 4) {
			zpool_free(&pool, h[i]);
			h[i] = 0;
		} else {
			live_bytes += size[i];
		}
	}
	zpool_get_stats(&pool, &before);
	freed = zpool_compact(&pool);
	zpool_get_stats(&pool, &after);
	print_message("compaction: %llu -> %llu frames for %llu bytes, %llu objects moved\n",
		      (unsigned long long)before.pool_pages, (unsigned long long)after.pool_pages,
		      (unsigned long long)live_bytes, (unsigned long long)after.moved);
	assert_int_equal(before.pool_pages - after.pool_pages, freed);
	assert_true(freed > before.pool_pages / 2);
	/* Left: at most one partial zspage per class besides full ones. */
	assert_true(after.pool_pages * PAGE_SIZE <= live_bytes * 106 / 100 + ZPOOL_NR_CLASSES * ZPOOL_MAX_ZSPAGE * PAGE_SIZE);
	assert_int_equal(zpool_check(&pool), 0);
	for (int i = 0; i < N; i++)
		if (h[i])
			expect_object(h[i], size[i], (uint32_t)i);
	assert_int_equal(zpool_compact(&pool), 0);	/* nothing more to gain */
	for (int i = 0; i < N; i++)
		if (h[i])
			zpool_free(&pool, h[i]);
	finish();
}

/* No frame left: -MM_ENOMEM, nothing leaks, and it works again once memory is back. */
static void test_out_of_memory(void **state)
{
	static phys_addr_t frames[40000];
	struct sim_hoard hoard = { frames, 0, ARRAY_SIZE(frames) };
	zpool_handle_t h[64];
	struct zpool_stats st;
	int n = 0, ret = 0;

	(void)state;
	start();
	sim_starve(&hoard, 12);
	while (n < 64 && (ret = zpool_alloc(&pool, 3000, &h[n])) == 0)
		n++;
	assert_int_equal(ret, -MM_ENOMEM);
	assert_true(n >= 1);
	zpool_get_stats(&pool, &st);
	assert_int_equal(st.alloc_failures, 1);
	assert_int_equal(zpool_check(&pool), 0);
	sim_feed(&hoard);
	for (int i = 0; i < n; i++)
		zpool_free(&pool, h[i]);
	h[0] = put(3000, 1);
	expect_object(h[0], 3000, 1);
	zpool_free(&pool, h[0]);
	finish();
}

/*
 * With the PMM empty, the reserve starts new zspages until it runs dry;
 * then objects go into partly used zspages of larger classes, intact.
 */
static void test_reserve_and_borrowing(void **state)
{
	static phys_addr_t frames[40000];
	struct sim_hoard hoard = { frames, 0, ARRAY_SIZE(frames) };
	zpool_handle_t h[200];
	size_t size[200];
	struct zpool_stats st;
	unsigned n = 0;

	(void)state;
	start();
	sim_starve(&hoard, 0);
	for (size_t sz = 3000; sz > 20 && n < 200; sz -= 16) {
		uint8_t b[PAGE_SIZE];

		fill(b, sz, (uint32_t)n);
		if (zpool_alloc(&pool, sz, &h[n]))
			break;
		assert_int_equal(zpool_write(&pool, h[n], b), 0);
		size[n++] = sz;
	}
	zpool_get_stats(&pool, &st);
	print_message("%u objects stored with no free frame: %llu reserve frames used, %llu borrowed\n",
		      n, (unsigned long long)st.reserve_used, (unsigned long long)st.borrowed);
	assert_true(st.reserve_used > 0);
	assert_true(st.borrowed > 0);
	assert_int_equal(zpool_check(&pool), 0);
	for (unsigned i = 0; i < n; i++)
		expect_object(h[i], size[i], i);
	sim_feed(&hoard);
	for (unsigned i = 0; i < n; i++)
		zpool_free(&pool, h[i]);
	finish();
}

/* --- threads ------------------------------------------------------------------------- */

enum { THREADS = 4, ROUNDS = 3000, KEEP = 64 };

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	zpool_handle_t h[KEEP] = { 0 };
	size_t size[KEEP];
	uint64_t s = id + 1;
	long bad = 0;

	for (int r = 0; r < ROUNDS; r++) {
		unsigned k;
		uint8_t b[PAGE_SIZE], want[PAGE_SIZE];

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		k = (unsigned)(s >> 50) % KEEP;
		if (h[k]) {
			fill(want, size[k], (uint32_t)(id << 16 | k));
			if (zpool_read(&pool, h[k], b, sizeof(b)) != (long)size[k] ||
			    memcmp(b, want, size[k]))
				bad++;
			zpool_free(&pool, h[k]);
			h[k] = 0;
		} else {
			size[k] = 1 + (size_t)(s >> 33) % PAGE_SIZE;
			fill(b, size[k], (uint32_t)(id << 16 | k));
			if (zpool_alloc(&pool, size[k], &h[k]) || zpool_write(&pool, h[k], b))
				bad++;
		}
		if (id == 0 && r % 200 == 0)
			zpool_compact(&pool);
	}
	for (int k = 0; k < KEEP; k++)
		if (h[k])
			zpool_free(&pool, h[k]);
	return (void *)bad;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	start();
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad;

		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_size, sim_test_reset_counts),
		cmocka_unit_test_setup(test_bad_sizes_and_handles, sim_test_reset_counts),
		cmocka_unit_test_setup(test_low_waste, sim_test_reset_counts),
		cmocka_unit_test_setup(test_compaction, sim_test_reset_counts),
		cmocka_unit_test_setup(test_out_of_memory, sim_test_reset_counts),
		cmocka_unit_test_setup(test_reserve_and_borrowing, sim_test_reset_counts),
		cmocka_unit_test_setup(test_threads, sim_test_reset_counts),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
