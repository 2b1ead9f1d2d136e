// SPDX-License-Identifier: MIT
/*
 * Unit tests of page migration (mm/as_migrate.c) on a simulated two-node
 * machine: move_pages's statuses (EFAULT, ENOENT, EACCES, EBUSY, the node),
 * a moved page keeping its content and its writability, a shared page
 * moving out from under every space that maps it (each one reading and
 * writing the new frame), migrate_pages's node pairing, the used frames of
 * each node changing by exactly the pages moved, every frame back at the
 * end; and a thread writing a page while another moves it to and fro (this
 * test runs under TSan too): no write lost.
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

#include "tests/host/as_test_util.h"
#include "tests/host/sim_setup.h"

#define RAM		(512 * MiB)
#define NODE_BYTES	(256 * MiB)
#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define ANON		(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define SHARED_ANON	(MM_MAP_SHARED | MM_MAP_ANONYMOUS)
#define NPG		8
#define RACE_MOVES	200

static struct pt_space kspace;
static uint64_t free0;
static struct proc P, C;

/* Two nodes of 256 MiB; every CPU on node 0. */
static int setup(void **state)
{
	(void)state;
	sim_need_ram(RAM);
	assert_int_equal(sim_ram_pmm_two_nodes(RAM, NODE_BYTES), 0);
	plat_set_pt_root(0);
	assert_int_equal(pt_space_init(&kspace, VM_NATIVE_FORMAT), 0);
	assert_int_equal(as_init(&P.as, &(struct as_params){ .kernel = &kspace }), 0);
	as_destroy(&P.as);
	pmm_drain();
	free0 = sim_free_frames();
	assert_int_equal(as_init(&P.as, &(struct as_params){ .kernel = &kspace }), 0);
	proc_cpu(&P);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	pt_space_destroy(&kspace);
	return 0;
}

/* Frames in use on @node, the per-CPU caches drained. */
static uint64_t used_on(unsigned node)
{
	struct pmm_stats st;

	pmm_drain();
	pmm_get_stats(&st);
	return st.node[node].used_frames;
}

static uintptr_t map_filled(unsigned pages, int flags, uint8_t seed)
{
	long a = as_mmap(&P.as, 0, pages * PG, RW, flags, NULL, 0);

	assert_false(as_is_err(a));
	for (unsigned i = 0; i < pages; i++)
		for (unsigned off = 0; off < PG; off += 512)
			assert_int_equal(uwrite8(&P, (uintptr_t)a + i * PG + off,
						 (uint8_t)(seed + i + off / 512)), 0);
	return (uintptr_t)a;
}

/* Does page @i at @va of @p hold what map_filled() wrote? */
static bool intact(struct proc *p, uintptr_t va, unsigned i, uint8_t seed)
{
	for (unsigned off = 0; off < PG; off += 512)
		if (upeek(p, va + off) != (uint8_t)(seed + i + off / 512))
			return false;
	return true;
}

static void fork_child(void)
{
	memset(&C, 0, sizeof(C));
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
}

static void child_gone(void)
{
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
}

static void test_statuses(void **state)
{
	long a = as_mmap(&P.as, 0, 3 * PG, RW, ANON, NULL, 0);
	long s = as_mmap(&P.as, 0, 2 * PG, RW, SHARED_ANON, NULL, 0);
	uint8_t v;

	(void)state;
	assert_false(as_is_err(a) || as_is_err(s));
	assert_int_equal(uwrite8(&P, (uintptr_t)a, 1), 0);
	assert_int_equal(uread8(&P, (uintptr_t)a + PG, &v), 0);	/* the zero page */
	assert_int_equal(uwrite8(&P, (uintptr_t)s, 1), 0);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)a + 5), 0);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)a + PG), -MM_EFAULT);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)a + 2 * PG), -MM_EFAULT);
	assert_int_equal(as_page_status(&P.as, 3 * PG), -MM_EFAULT);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)AS_TASK_SIZE), -MM_EFAULT);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)s), 0);
	assert_int_equal(as_page_status(&P.as, (uintptr_t)s + PG), -MM_ENOENT);
	/* Moves report the same for pages they cannot find. */
	assert_int_equal(as_move_page(&P.as, (uintptr_t)a + PG, 1, false), -MM_EFAULT);
	assert_int_equal(as_move_page(&P.as, (uintptr_t)s + PG, 1, false), -MM_ENOENT);
	assert_int_equal(as_move_page(&P.as, (uintptr_t)a, 2, false), -MM_EINVAL);
	assert_int_equal(as_move_page(&P.as, (uintptr_t)a, 0, false), 0);	/* there already */
}

static void test_private_pages_move_with_content(void **state)
{
	uintptr_t a = map_filled(NPG, ANON, 7);
	uint64_t used0 = used_on(0), used1 = used_on(1);

	(void)state;
	for (unsigned i = 0; i < NPG; i++)
		assert_int_equal(as_move_page(&P.as, a + i * PG, 1, false), 1);
	assert_int_equal(used_on(1), used1 + NPG);	/* exactly the pages moved, no leak */
	assert_int_equal(used_on(0), used0 - NPG);
	for (unsigned i = 0; i < NPG; i++) {
		assert_int_equal(as_page_status(&P.as, a + i * PG), 1);
		assert_true(intact(&P, a + i * PG, i, 7));
	}
	assert_int_equal(uwrite8(&P, a + 1, 99), 0);	/* still writable */
	assert_int_equal(upeek(&P, a + 1), 99);
	assert_int_equal(as_move_page(&P.as, a, 0, false), 0);
	assert_int_equal(upeek(&P, a + 1), 99);
	assert_int_equal(as_rss(&P.as), NPG);
}

static void test_cow_shared_page_needs_move_all(void **state)
{
	uintptr_t a = map_filled(1, ANON, 3);

	(void)state;
	fork_child();
	assert_int_equal(as_move_page(&P.as, a, 1, false), -MM_EACCES);
	assert_int_equal(as_move_page(&P.as, a, 1, true), -MM_EBUSY);
	assert_int_equal(as_page_status(&P.as, a), 0);
	assert_true(intact(&C, a, 0, 3));
	child_gone();
	assert_int_equal(as_move_page(&P.as, a, 1, false), 1);	/* ours alone now */
	assert_true(intact(&P, a, 0, 3));
}

static void test_shared_page_moves_under_every_space(void **state)
{
	uintptr_t a = map_filled(2, SHARED_ANON, 5);
	uint64_t used0, used1;

	(void)state;
	fork_child();
	assert_true(intact(&C, a, 0, 5));	/* both spaces map the frame */
	used0 = used_on(0);
	used1 = used_on(1);
	assert_int_equal(as_move_page(&P.as, a, 1, false), -MM_EACCES);
	assert_int_equal(as_move_page(&P.as, a, 1, true), 1);
	assert_int_equal(as_page_status(&P.as, a), 1);
	assert_true(intact(&C, a, 0, 5));	/* the child follows it */
	/* Counted once the child's entry is back (its zap may free page tables). */
	assert_int_equal(used_on(1), used1 + 1);
	assert_int_equal(used_on(0), used0 - 1);
	assert_int_equal(as_page_status(&C.as, a), 1);
	assert_int_equal(uwrite8(&C, a + 3, 77), 0);
	assert_int_equal(upeek(&P, a + 3), 77);	/* one frame for both */
	/* The second page, mapped by the parent alone: moves without MOVE_ALL. */
	child_gone();
	assert_int_equal(as_move_page(&P.as, a + PG, 1, false), 1);
	assert_true(intact(&P, a + PG, 1, 5));
}

static void test_migrate_nodes(void **state)
{
	uintptr_t a = map_filled(NPG, ANON, 9);
	uint64_t used1 = used_on(1);

	(void)state;
	assert_int_equal(as_move_page(&P.as, a, 1, false), 1);
	assert_int_equal(as_migrate_nodes(&P.as, 1, 2, false), 0);	/* {0} -> {1} */
	for (unsigned i = 0; i < NPG; i++) {
		assert_int_equal(as_page_status(&P.as, a + i * PG), 1);
		assert_true(intact(&P, a + i * PG, i, 9));
	}
	/* Page tables stay where they are: only the pages moved. */
	assert_int_equal(used_on(1), used1 + NPG);
	assert_int_equal(as_migrate_nodes(&P.as, 3, 1, false), 0);	/* {0,1} -> {0} */
	for (unsigned i = 0; i < NPG; i++)
		assert_int_equal(as_page_status(&P.as, a + i * PG), 0);
	assert_int_equal(used_on(1), used1);
}

static uintptr_t race_va;
static volatile int race_stop;
static unsigned race_lost;
static uint64_t race_writes;

/* Writes 1, 2, 3... into the page and reads each back; the count in race_writes. */
static void *race_writer(void *arg)
{
	struct smmu mmu;
	uint64_t n = 0;

	(void)arg;
	smmu_init(&mmu, &P.as.vs.pt);
	mmu.vs = &P.as.vs;
	mmu.max_retries = RACE_MOVES * 4;	/* each move may write-protect the page under it */
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		uint8_t w = (uint8_t)++n, got = 0;

		if (smmu_write(&mmu, race_va, SMMU_USER, &w, 1) ||
		    smmu_read(&mmu, race_va, SMMU_USER, &got, 1) || got != w)
			race_lost++;
		__atomic_store_n(&race_writes, n, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_writer_never_loses_a_write(void **state)
{
	pthread_t t;
	int fails = 0;

	(void)state;
	race_va = map_filled(1, ANON, 1);
	as_set_shared(&P.as);
	race_stop = 0;
	race_lost = 0;
	race_writes = 0;
	assert_int_equal(pthread_create(&t, NULL, race_writer, NULL), 0);
	while (!__atomic_load_n(&race_writes, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < RACE_MOVES; i++)
		fails += as_move_page(&P.as, race_va, (unsigned)(i + 1) % 2, false) != (i + 1) % 2;
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(fails, 0);
	assert_int_equal(race_lost, 0);
	assert_int_equal(upeek(&P, race_va), (uint8_t)race_writes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_pages_move_with_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cow_shared_page_needs_move_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_page_moves_under_every_space, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_never_loses_a_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
