// SPDX-License-Identifier: MIT
/*
 * The compressed store as a tier in front of a device (zswap-like,
 * zstore_init_tier()), on simulated RAM with a device that may sleep and
 * checks that it is called with no lock held: pages go to the pool while
 * it has room and to the device once it is full; the core moves the
 * oldest pooled pages down (swap_tier_writeback()) to their own slots, with
 * faults, unmaps and reads of the page while it moves; a working set of 1.5
 * times RAM with a pool far too small for it runs to the end with every
 * byte intact, through write-back; swapoff brings back pages from both
 * tiers. Every slot, pool byte and frame is accounted for at the end.
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
#include "mm/swap_internal.h"
#include "mm/zstore.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)

static struct zstore Z;
static struct test_swap L;	/* the device below */
static struct proc P, C;
static uint64_t free0;
static int type;

static bool spaces_unlocked(void)
{
	return P.as.lock.state == 0 && C.as.lock.state == 0;
}

/* @ram of simulated RAM, a device of @slots under a pool of at most @pool bytes. */
static int before_ram(uint64_t ram, uint32_t slots, uint64_t pool)
{
	sim_reset_counts();
	assert_int_equal(vm_ram_setup(ram), 0);
	free0 = sim_free_frames();
	test_swap_init(&L, "vdb", slots);
	ts_set_sleeping(&L, true);
	L.unlocked = spaces_unlocked;
	assert_int_equal(zstore_init_tier(&Z, "vdb", &L.b, pool), 0);
	assert_true(Z.b.may_sleep);
	type = swap_area_add(&Z.b, 10, 1);
	assert_true(type >= 0);
	return 0;
}

static int before(void **state)
{
	(void)state;
	return before_ram(64 * MiB, 4096, 64 * PAGE_SIZE);
}

static int before_small(void **state)
{
	(void)state;
	return before_ram(16 * MiB, 16384, 256 * 1024);
}

/* Nothing left anywhere: no slot, no cache page, nothing in the pool or on the device; every frame back. */
static int after(void **state)
{
	struct swap_counters c;
	struct zstore_stats st;

	(void)state;
	swap_writeback_run();	/* the reclaim thread's part: writes direct reclaim left queued */
	swap_get_counters(&c);
	assert_int_equal(c.slots_used, 0);
	assert_int_equal(c.cache_pages, 0);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 0);
	assert_int_equal(st.compr_bytes, 0);
	assert_int_equal(Z.pool.st.objects, 0);
	assert_int_equal(zpool_check(&Z.pool), 0);
	assert_int_equal(L.stored, 0);
	assert_int_equal(L.bad_calls, 0);
	assert_int_equal(L.locked_calls, 0);
	assert_int_equal(swap_area_remove(type), 0);
	assert_false(swap_enabled());
	zstore_destroy(&Z);
	test_swap_fini(&L);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	assert_int_equal(sim_errors(), 0);
	return 0;
}

static void new_proc(struct proc *p)
{
	assert_int_equal(as_init(&p->as, NULL), 0);
	proc_cpu(p);
}

/* Page @i: text-like (it compresses), its number in it. */
static void page_content(uint8_t *b, uint64_t i)
{
	lz4_fill(b, PAGE_SIZE, LZ4_IN_TEXT, i % 64 + 1);
	memcpy(b + 100, &i, sizeof(i));
}

static uintptr_t map_filled(struct proc *p, uint64_t n)
{
	uint8_t b[PAGE_SIZE];
	long a = as_mmap(&p->as, 0, n * PG, RW, ANON, NULL, 0);

	assert_false(as_is_err(a));
	for (uint64_t i = 0; i < n; i++) {
		page_content(b, i);
		assert_int_equal(smmu_write(&p->mmu, (uintptr_t)a + i * PG, SMMU_USER, b, PAGE_SIZE), 0);
	}
	return (uintptr_t)a;
}

static void check_page(struct proc *p, uintptr_t a, uint64_t i)
{
	uint8_t want[PAGE_SIZE], got[PAGE_SIZE];

	page_content(want, i);
	assert_int_equal(smmu_read(&p->mmu, a + i * PG, SMMU_USER, got, PAGE_SIZE), 0);
	assert_memory_equal(got, want, PAGE_SIZE);
}

/*
 * Paged out: the pool takes pages until it is full, then the device does;
 * the oldest pooled pages are listed first, and moving them down puts them
 * on the device at their slots; all read back.
 */
static void test_pool_then_device(void **state)
{
	struct zstore_stats st;
	struct swap_area_info info;
	uint32_t cold[4];
	uintptr_t a;
	unsigned long moved;

	(void)state;
	new_proc(&P);
	a = map_filled(&P, 512);
	assert_int_equal(as_madvise(&P.as, a, 512 * PG, MM_MADV_PAGEOUT), 0);
	zstore_get_stats(&Z, &st);
	assert_true(st.stored > 0);
	assert_true(st.refused > 0);			/* 64 frames cannot hold 512 pages */
	assert_int_equal(st.stored + L.stored, 512);
	assert_int_equal(L.stored, st.refused + st.written_back);
	assert_int_equal(swap_area_info(type, &info), 0);
	assert_int_equal(info.backend.stored, 512);
	/*
	 * The oldest pooled pages are the first paged out (slots 1, 2, ...),
	 * less those the full pool moved down already.
	 */
	assert_int_equal(Z.b.ops->cold(&Z.b, cold, 4, true), 4);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(cold[k], cold[0] + k);
	assert_int_equal(cold[0], 1 + st.written_back);
	uint32_t first = cold[0];
	uint64_t pooled = st.stored, on_disk = L.stored, wb0 = st.written_back;

	assert_true(pooled > 8);
	moved = swap_tier_writeback(8, true);
	assert_int_equal(moved, 8);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, pooled - 8);
	assert_int_equal(st.written_back, wb0 + 8);
	assert_int_equal(L.stored, on_disk + 8);
	assert_non_null(L.page[first]);			/* at its own slot */
	assert_int_equal(Z.b.ops->cold(&Z.b, cold, 1, true), 1);
	assert_int_equal(cold[0], first + 8);
	for (uint64_t i = 0; i < 512; i++)
		check_page(&P, a, i);
	as_destroy(&P.as);
}

/* The hooks below run inside the device's write of a page being moved down. */
static uintptr_t hook_a;	/* the process's pages */
static uint32_t hook_i;		/* the page that moves */

static void fault_it(struct test_swap *t, uint32_t slot, bool write)
{
	(void)t;
	assert_true(write);
	assert_int_equal(slot, hook_i + 1);
	check_page(&P, hook_a, hook_i);		/* found in the swap cache */
}

static void unmap_it(struct test_swap *t, uint32_t slot, bool write)
{
	(void)t;
	(void)slot;
	assert_true(write);
	assert_int_equal(as_munmap(&P.as, hook_a + hook_i * PG, PG), 0);
}

static void fault_in_child(struct test_swap *t, uint32_t slot, bool write)
{
	(void)t;
	(void)slot;
	assert_true(write);
	check_page(&C, hook_a, hook_i);		/* the child shares it copy-on-write */
}

/* While a page moves down: a fault maps it from the swap cache; an unmap frees its slot after. */
static void test_events_during_move(void **state)
{
	struct swap_counters c0, c1;
	struct zstore_stats st;

	(void)state;
	new_proc(&P);
	hook_a = map_filled(&P, 8);
	hook_i = 0;
	assert_int_equal(as_madvise(&P.as, hook_a, 8 * PG, MM_MADV_PAGEOUT), 0);
	swap_get_counters(&c0);
	L.during_io = fault_it;
	assert_int_equal(swap_tier_writeback(1, true), 1);
	swap_get_counters(&c1);
	assert_int_equal(c1.cache_hits, c0.cache_hits + 1);
	assert_int_equal(c1.slots_used, c0.slots_used - 1);	/* the fault took the last reference */
	assert_null(L.page[1]);					/* ... and the slot went with it */
	assert_int_equal(c1.cache_pages, 0);

	L.during_io = unmap_it;
	hook_i = 1;
	assert_int_equal(swap_tier_writeback(1, true), 1);
	swap_get_counters(&c1);
	assert_int_equal(c1.slots_used, c0.slots_used - 2);
	assert_int_equal(c1.cache_pages, 0);
	assert_null(L.page[2]);

	/* Shared after fork: the child's fault maps the moving page; the parent's entry keeps the slot. */
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	hook_i = 2;
	L.during_io = fault_in_child;
	assert_int_equal(swap_tier_writeback(1, true), 1);
	assert_non_null(L.page[3]);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.written_back, 3);
	for (uint64_t i = 2; i < 8; i++) {
		check_page(&P, hook_a, i);
		check_page(&C, hook_a, i);
	}
	as_destroy(&C.as);
	as_destroy(&P.as);
}

/*
 * A working set of 1.5 times RAM, random access, through direct reclaim,
 * with a pool of 64 frames: pages go down to the device as the pool fills,
 * the oldest ones moved by the core; every byte intact.
 */
static void test_working_set_over_ram(void **state)
{
	uint64_t ram = sim_free_frames(), pages = ram * 3 / 2, seed = 11;
	struct zstore_stats st;
	struct reclaim_stats r0, r1;
	uintptr_t a;

	(void)state;
	new_proc(&P);
	reclaim_get_stats(&r0);
	a = map_filled(&P, pages);
	for (uint64_t i = 0; i < pages; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		check_page(&P, a, (seed >> 33) % pages);
	}
	reclaim_get_stats(&r1);
	zstore_get_stats(&Z, &st);
	print_message("working set %llu pages on %llu frames: pool %llu pages in %llu bytes, device "
		      "%llu, moved down %llu, refused %llu, reclaimed %llu\n",
		      (unsigned long long)pages, (unsigned long long)ram,
		      (unsigned long long)st.stored, (unsigned long long)st.mem_bytes,
		      (unsigned long long)L.stored, (unsigned long long)st.written_back,
		      (unsigned long long)st.refused,
		      (unsigned long long)(r1.reclaimed - r0.reclaimed));
	assert_true(st.written_back > 0);
	assert_true(L.stored > 0);
	assert_true(st.stored > 0);
	for (uint64_t i = 0; i < pages; i++)
		check_page(&P, a, i);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
}

/* swapoff brings back pages from the pool and from the device. */
static void test_swapoff_both_tiers(void **state)
{
	struct zstore_stats st;
	uintptr_t a;

	(void)state;
	new_proc(&P);
	a = map_filled(&P, 256);
	assert_int_equal(as_madvise(&P.as, a, 256 * PG, MM_MADV_PAGEOUT), 0);
	assert_true(swap_tier_writeback(8, true) == 8);
	zstore_get_stats(&Z, &st);
	assert_true(st.stored > 0 && L.stored > 8);
	assert_int_equal(swap_area_remove(type), 0);
	assert_int_equal(P.as.swapents, 0);
	zstore_get_stats(&Z, &st);
	assert_int_equal(st.stored, 0);
	assert_int_equal(L.stored, 0);
	for (uint64_t i = 0; i < 256; i++)
		check_page(&P, a, i);
	as_destroy(&P.as);
	type = swap_area_add(&Z.b, 10, 1);	/* for after()'s removal */
	assert_true(type >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_then_device, before, after),
		cmocka_unit_test_setup_teardown(test_events_during_move, before, after),
		cmocka_unit_test_setup_teardown(test_working_set_over_ram, before_small, after),
		cmocka_unit_test_setup_teardown(test_swapoff_both_tiers, before, after),
	};

	return cmocka_run_group_tests(tests, swap_test_group_setup, sim_group_teardown);
}
