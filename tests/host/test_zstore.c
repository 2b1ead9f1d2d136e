// SPDX-License-Identifier: MIT
/*
 * Tests of the compressed page store on simulated RAM: pages of every kind
 * (same-filled, compressible, incompressible) come back byte for byte and
 * are counted where they belong, in every part of a slot table of 8 bytes
 * and a bit a slot; misuse (busy slot, empty slot, slot out of
 * range) and corrupt pool data are reported; lack of frames is -MM_ENOMEM
 * and leaks nothing; and as a swap area under the swap core, pages paged
 * out of a process come back, reclaim's shrink call compacts the pool, and a working set of 1.5 times RAM of
 * compressible pages runs through direct reclaim into the store, with
 * nothing reclaiming in the background. Every
 * frame is back at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"
#include "tests/host/lz4_inputs.h"
#include "tests/host/swap_test_util.h"
#include "host/heap_pages_mmap.h"
#include "mm/errno.h"
#include "mm/heap.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/zstore.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)

static struct zstore Z;
static uint64_t free0;

static int before_ram(uint64_t ram, uint32_t slots)
{
	sim_reset_counts();
	assert_int_equal(vm_ram_setup(ram), 0);
	free0 = sim_free_frames();
	assert_int_equal(zstore_init(&Z, "zram0", slots), 0);
	return 0;
}

static int before(void **state)
{
	(void)state;
	return before_ram(64 * MiB, 8192);
}

static int after(void **state)
{
	(void)state;
	assert_int_equal(zpool_check(&Z.pool), 0);
	zstore_destroy(&Z);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	return 0;
}

static void test_kinds(void **state)
{
	static uint8_t page[LZ4_IN_FAMILIES][PAGE_SIZE];
	uint8_t out[PAGE_SIZE];
	struct zstore_stats st;
	struct swap_backend_stats bs;

	(void)state;
	for (int f = 0; f < LZ4_IN_FAMILIES; f++) {
		lz4_fill(page[f], PAGE_SIZE, (enum lz4_family)f, 3);
		assert_int_equal(zstore_write(&Z, (uint32_t)f * 100, page[f]), 0);
	}
	for (int f = 0; f < LZ4_IN_FAMILIES; f++) {
		memset(out, 0xcc, sizeof(out));
		assert_int_equal(zstore_read(&Z, (uint32_t)f * 100, out), 0);
		assert_memory_equal(out, page[f], PAGE_SIZE);
		assert_int_equal(zstore_read(&Z, (uint32_t)f * 100, out), 0);	/* the slot keeps it */
	}
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, LZ4_IN_FAMILIES);
	assert_int_equal(st.orig_bytes, LZ4_IN_FAMILIES * PAGE_SIZE);
	assert_int_equal(st.same_filled, 2);		/* zeros, and a 4-byte period */
	assert_int_equal(st.incompressible, 1);		/* random */
	assert_true(st.compr_bytes >= PAGE_SIZE && st.compr_bytes < 3 * PAGE_SIZE);
	assert_int_equal(st.reads, 2 * LZ4_IN_FAMILIES);
	Z.b.ops->stats(&Z.b, &bs);
	assert_int_equal(bs.stored, st.stored);
	assert_int_equal(bs.mem_bytes, st.mem_bytes);
	for (int f = 0; f < LZ4_IN_FAMILIES; f++)
		Z.b.ops->discard(&Z.b, (uint32_t)f * 100);
	Z.b.ops->discard(&Z.b, 7);			/* empty: nothing */
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 0);
	assert_int_equal(st.compr_bytes, 0);
	assert_int_equal(st.same_filled + st.incompressible, 0);
	assert_int_equal(Z.pool.st.pool_pages, 0);
	assert_int_equal(sim_errors(), 0);
}

/* Same-filled means one 64-bit word repeated, whatever it is. */
static void test_same_filled_words(void **state)
{
	uint64_t page[PAGE_SIZE / 8], out[PAGE_SIZE / 8];
	struct zstore_stats st;

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		for (size_t k = 0; k < PAGE_SIZE / 8; k++)
			page[k] = 0x0123456789abcdefull * i;
		if (i == 7)
			page[PAGE_SIZE / 8 - 1] ^= 1;	/* one bit off: not same-filled */
		assert_int_equal(zstore_write(&Z, i, page), 0);
		assert_int_equal(zstore_read(&Z, i, out), 0);
		assert_memory_equal(out, page, PAGE_SIZE);
	}
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.same_filled, 7);
	for (unsigned i = 0; i < 8; i++)
		zstore_discard(&Z, i);
}

/* Page @i of test_slot_table: a word (some like pool entries), text, random, in turn. */
static uint8_t *kind_page(uint8_t *page, unsigned i)
{
	static const uint64_t words[] = { 0, (uint64_t)1 << 32 | 1, (uint64_t)PAGE_SIZE << 32 | 1 };

	if (i % 3 == 0)
		for (size_t k = 0; k < PAGE_SIZE / 8; k++)
			memcpy(page + 8 * k, &words[i / 3], 8);
	else
		lz4_fill(page, PAGE_SIZE, i % 3 == 1 ? LZ4_IN_TEXT : LZ4_IN_RANDOM, i + 1);
	return page;
}

/*
 * The slot table takes 8 bytes and a bit a slot: its leaves are what a new
 * store holds besides the pool's tables, its directory and the compressor's
 * scratch. Pages of each kind in the slots on both sides of leaf boundaries
 * and in the last slot come back; words that look like pool handles (a
 * length and a handle) stay words.
 */
static void test_slot_table(void **state)
{
	static uint8_t page[PAGE_SIZE], out[PAGE_SIZE];
	const uint32_t per = Z.per_leaf, nslots = 8192, leaves = (nslots + per - 1) / per;
	const uint32_t slots[] = { 0, 1, per - 1, per, per + 1, 2 * per - 1, 2 * per, nslots - 1 };
	const unsigned n = ARRAY_SIZE(slots);
	struct zstore_stats st;
	struct zpool_stats ps;

	(void)state;
	assert_true(per >= PAGE_SIZE * 8 / (8 * 8 + 1));
	zstore_get_stats(&Z, &st);
	zpool_get_stats(&Z.pool, &ps);
	/* directory (1 frame), leaves, work area (4), one page of buffer */
	assert_int_equal(st.mem_bytes, zpool_total_bytes(&ps) + (1 + leaves + 4 + 1) * PAGE_SIZE);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(zstore_write(&Z, slots[i], kind_page(page, i)), 0);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, n);
	assert_int_equal(st.same_filled, 3);
	assert_int_equal(st.incompressible, 2);
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = pass; i < n; i += 2) {
			assert_int_equal(zstore_read(&Z, slots[i], out), 0);
			assert_memory_equal(out, kind_page(page, i), PAGE_SIZE);
			zstore_discard(&Z, slots[i]);
			assert_int_equal(zstore_read(&Z, slots[i], out), -MM_EIO);
		}
	}
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored + st.same_filled + st.incompressible + st.compr_bytes, 0);
	assert_int_equal(st.bad_calls, n);
	assert_int_equal(sim_errors(), n);
}

static void test_misuse_and_corruption(void **state)
{
	uint8_t page[PAGE_SIZE], out[PAGE_SIZE], junk[PAGE_SIZE];
	struct zstore_stats st;

	(void)state;
	lz4_fill(page, PAGE_SIZE, LZ4_IN_TEXT, 1);
	assert_int_equal(zstore_write(&Z, 8192, page), -MM_EIO);
	assert_int_equal(zstore_read(&Z, 8192, out), -MM_EIO);
	assert_int_equal(zstore_read(&Z, 5, out), -MM_EIO);
	assert_int_equal(zstore_write(&Z, 5, page), 0);
	assert_int_equal(zstore_write(&Z, 5, page), -MM_EIO);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.bad_calls, 4);
	assert_int_equal(sim_errors(), 4);
	/* Spoil the block in the pool (the only object, handle 1): the read says so. */
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(zpool_write(&Z.pool, 1, junk), 0);
	assert_int_equal(zstore_read(&Z, 5, out), -MM_EIO);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.failures, 1);
	zstore_discard(&Z, 5);
}

static void test_out_of_memory(void **state)
{
	static phys_addr_t frames[20000];
	struct sim_hoard hoard = { frames, 0, ARRAY_SIZE(frames) };
	uint8_t page[PAGE_SIZE];
	struct zstore_stats st;
	uint32_t n = 0;
	int ret = 0;

	(void)state;
	sim_starve(&hoard, 8);
	while (n < 4096 && (ret = zstore_write(&Z, n, (lz4_fill(page, PAGE_SIZE, LZ4_IN_RECORDS, n + 1), page))) == 0)
		n++;
	assert_int_equal(ret, -MM_ENOMEM);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, n);
	assert_int_equal(st.failures, 1);
	sim_feed(&hoard);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t out[PAGE_SIZE];

		lz4_fill(page, PAGE_SIZE, LZ4_IN_RECORDS, i + 1);
		assert_int_equal(zstore_read(&Z, i, out), 0);
		assert_memory_equal(out, page, PAGE_SIZE);
		zstore_discard(&Z, i);
	}
}

/* --- as a swap area ------------------------------------------------------------------------ */

static struct proc P;

static void new_proc(struct proc *p)
{
	assert_int_equal(as_init(&p->as, NULL), 0);
	proc_cpu(p);
}

/* Page @i of the working set: text-like, a byte of it marks the page. */
static void page_content(uint8_t *b, uint64_t i)
{
	lz4_fill(b, PAGE_SIZE, LZ4_IN_TEXT, i % 64 + 1);
	memcpy(b + 100, &i, sizeof(i));
}

static void fill_pages(uintptr_t a, uint64_t n)
{
	uint8_t b[PAGE_SIZE];

	for (uint64_t i = 0; i < n; i++) {
		page_content(b, i);
		assert_int_equal(smmu_write(&P.mmu, a + i * PG, SMMU_USER, b, PAGE_SIZE), 0);
	}
}

static void check_page(uintptr_t a, uint64_t i)
{
	uint8_t want[PAGE_SIZE], got[PAGE_SIZE];

	page_content(want, i);
	assert_int_equal(smmu_read(&P.mmu, a + i * PG, SMMU_USER, got, PAGE_SIZE), 0);
	assert_memory_equal(got, want, PAGE_SIZE);
}

/* Register the store as a swap area and give a new process @pages mapped pages: the area's type. */
static int start_process(uint64_t pages, uintptr_t *a)
{
	int type = swap_area_add(&Z.b, 10, 0);
	long r;

	assert_true(type >= 0);
	new_proc(&P);
	r = as_mmap(&P.as, 0, pages * PG, RW, ANON, NULL, 0);
	assert_false(as_is_err(r));
	*a = (uintptr_t)r;
	return type;
}

static void test_swap_area(void **state)
{
	struct zstore_stats st;
	struct swap_area_info info;
	uintptr_t a;
	int type;

	(void)state;
	type = start_process(64, &a);
	fill_pages(a, 64);
	assert_int_equal(as_madvise(&P.as, a, 64 * PG, MM_MADV_PAGEOUT), 0);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 64);
	assert_true(st.compr_bytes < st.orig_bytes * 2 / 3);
	assert_int_equal(swap_area_info(type, &info), 0);
	assert_int_equal(info.backend.stored, 64);
	for (uint64_t i = 0; i < 64; i++)
		check_page(a, i);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 64);	/* read back: kept as clean copies */
	assert_int_equal(st.reads, 64);
	as_destroy(&P.as);			/* and freed with the pages */
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 0);
	assert_int_equal(swap_area_remove(type), 0);
}

/*
 * Reclaim's call to the backends (swap_shrink_backends()) compacts the pool
 * once pages coming back have left holes in it: frames go back to the PMM,
 * the pages still stored read back intact, and the area can be removed.
 */
static void test_shrink_compacts(void **state)
{
	struct zpool_stats p0, p1;
	uintptr_t a;
	unsigned long freed;
	int type;

	(void)state;
	type = start_process(1024, &a);
	fill_pages(a, 1024);
	assert_int_equal(as_madvise(&P.as, a, 1024 * PG, MM_MADV_PAGEOUT), 0);
	for (uint64_t i = 0; i < 1024; i++) {	/* 3 of 4 come back: holes in every class */
		uint8_t b[PAGE_SIZE];

		if (!((i / 64) % 4))
			continue;
		check_page(a, i);
		page_content(b, i);	/* written: the kept copy goes */
		assert_int_equal(smmu_write(&P.mmu, a + i * PG, SMMU_USER, b, PAGE_SIZE), 0);
	}
	zpool_get_stats(&Z.pool, &p0);
	freed = swap_shrink_backends(64);
	zpool_get_stats(&Z.pool, &p1);
	assert_true(freed > 0);
	assert_int_equal(p1.pool_pages, p0.pool_pages - freed);
	assert_int_equal(p1.objects, p0.objects);
	assert_true(p1.moved > p0.moved);
	assert_int_equal(zpool_check(&Z.pool), 0);
	assert_int_equal(swap_shrink_backends(64), 0);	/* nothing more to gain */
	for (uint64_t i = 0; i < 1024; i++)
		check_page(a, i);
	as_destroy(&P.as);
	assert_int_equal(swap_area_remove(type), 0);
	assert_int_equal(swap_shrink_backends(64), 0);	/* no area left */
}

/*
 * A compressible working set of 1.5 x RAM through direct reclaim alone into
 * the store, every page intact: reclaim runs when the PMM is empty, and the
 * pool's reserve lets the first pages in.
 */
static void test_working_set_over_ram(void **state)
{
	uint64_t ram = sim_free_frames(), pages = ram * 3 / 2, seed = 7;
	struct zstore_stats st;
	uintptr_t a;
	int type;

	(void)state;
	type = start_process(pages, &a);
	fill_pages(a, pages);
	for (uint64_t i = 0; i < pages; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		check_page(a, (seed >> 33) % pages);
	}
	zstore_get_stats(&Z, &st);
	print_message("working set %llu pages on %llu frames: %llu in the store, %llu bytes in %llu "
		      "(ratio %.2f), %llu same-filled\n", (unsigned long long)pages,
		      (unsigned long long)ram, (unsigned long long)st.stored,
		      (unsigned long long)st.orig_bytes, (unsigned long long)st.mem_bytes,
		      st.mem_bytes ? (double)st.orig_bytes / (double)st.mem_bytes : 0.0,
		      (unsigned long long)st.same_filled);
	assert_true(st.stored > 0);
	for (uint64_t i = 0; i < pages; i++)
		check_page(a, i);
	as_destroy(&P.as);
	assert_int_equal(swap_area_remove(type), 0);
}

static int before_small(void **state)
{
	(void)state;
	return before_ram(16 * MiB, 16384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kinds, before, after),
		cmocka_unit_test_setup_teardown(test_same_filled_words, before, after),
		cmocka_unit_test_setup_teardown(test_slot_table, before, after),
		cmocka_unit_test_setup_teardown(test_misuse_and_corruption, before, after),
		cmocka_unit_test_setup_teardown(test_out_of_memory, before, after),
		cmocka_unit_test_setup_teardown(test_swap_area, before, after),
		cmocka_unit_test_setup_teardown(test_shrink_compacts, before, after),
		cmocka_unit_test_setup_teardown(test_working_set_over_ram, before_small, after),
	};

	return cmocka_run_group_tests(tests, swap_test_group_setup, sim_group_teardown);
}
