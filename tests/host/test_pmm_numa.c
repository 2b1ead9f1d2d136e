// SPDX-License-Identifier: MIT
/*
 * Unit tests of the PMM's NUMA nodes on simulated RAM: a zone set per node,
 * allocation from the calling CPU's node first and then by distance,
 * per-node statistics and walks, descriptions that do not hold together,
 * and threads on different nodes freeing each other's frames.
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

#include "tests/host/sim_setup.h"

#define RAM		(512 * MiB)
#define NODE_BYTES	(128 * MiB)
#define NODES		4

static struct memmap map;
static struct pmm_numa numa;

/* A symmetric SLIT: from node 1 the order is 1, 3, 0, 2; from node 2 it is 2, 0, 3, 1. */
static const uint8_t slit[NODES][NODES] = {
	{ 10, 20, 15, 25 },
	{ 20, 10, 30, 12 },
	{ 15, 30, 10, 20 },
	{ 25, 12, 20, 10 },
};

/* RAM [1 MiB, 512 MiB) as four nodes of 128 MiB; every CPU on @cpu_node. */
static void describe(bool with_slit, unsigned cpu_node)
{
	memset(&numa, 0, sizeof(numa));
	numa.nr_nodes = NODES;
	numa.nr_ranges = NODES;
	for (unsigned i = 0; i < NODES; i++)
		numa.range[i] = (struct pmm_node_range){ i * NODE_BYTES, (i + 1) * NODE_BYTES, i };
	for (unsigned a = 0; a < NODES && with_slit; a++)
		memcpy(numa.distance[a], slit[a], NODES);
	memset(numa.cpu_node, (int)cpu_node, sizeof(numa.cpu_node));
}

static void boot(const struct pmm_numa *desc)
{
	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, RAM, MEMMAP_USABLE);
	sim_need_ram(RAM);
	assert_int_equal(sim_ram_init(RAM), 0);
	assert_int_equal(pmm_init_numa(&map, desc), 0);
}

/* --- no description: one node, as before --------------------------------------- */

static void test_no_numa_is_one_node(void **state)
{
	struct pmm_stats st;

	(void)state;
	boot(NULL);
	assert_int_equal(pmm_node_count(), 1);
	assert_int_equal(pmm_frame_node(300 * MiB), 0);
	assert_int_equal(pmm_cpu_node(5), 0);
	assert_int_equal(pmm_node_distance(0, 0), 10);
	assert_int_equal(pmm_node_distance(0, 1), 0);	/* no such node */
	pmm_get_stats(&st);
	assert_int_equal(st.nr_nodes, 1);
	assert_int_equal(st.node[0].total_frames, st.total_frames);
	assert_int_equal(st.node[0].free_frames, st.free_frames);

	describe(true, 0);	/* a description of one node is no NUMA either */
	numa.nr_nodes = 1;
	numa.nr_ranges = 0;
	boot(&numa);
	assert_int_equal(pmm_node_count(), 1);
	assert_int_equal(sim_errors(), 0);
	sim_expect_clean();
}

/* --- nodes, stats, walk ------------------------------------------------------------ */

struct node_walk {
	uint64_t frames[NODES][4];	/* by node and state */
	bool consistent;
};

static void walk_cb(phys_addr_t b, phys_addr_t e, unsigned node, enum pmm_zone z,
		    enum pmm_frame_state s, void *ctx)
{
	struct node_walk *w = ctx;

	(void)z;
	if (node >= NODES || b / NODE_BYTES != node || (e - 1) / NODE_BYTES != node)
		w->consistent = false;
	else
		w->frames[node][s] += (e - b) / PG;
}

static void test_nodes_and_stats(void **state)
{
	struct pmm_stats st;
	struct node_walk w = { .consistent = true };
	uint64_t total = 0, free = 0;

	(void)state;
	describe(true, 0);
	boot(&numa);
	assert_int_equal(pmm_node_count(), NODES);
	assert_int_equal(pmm_frame_node(100 * MiB), 0);
	assert_int_equal(pmm_frame_node(200 * MiB), 1);
	assert_int_equal(pmm_frame_node(511 * MiB), 3);
	assert_int_equal(pmm_frame_node(4 * GiB), 0);	/* no RAM there */
	assert_int_equal(pmm_node_distance(1, 3), 12);
	assert_int_equal(pmm_node_distance(3, 3), 10);
	assert_int_equal(pmm_node_distance(4, 0), 0);

	phys_addr_t a = pmm_alloc_pages_node(2, 4, 0);

	assert_int_equal(pmm_frame_node(a), 2);
	pmm_get_stats(&st);
	assert_int_equal(st.nr_nodes, NODES);
	for (unsigned n = 0; n < NODES; n++) {
		const struct pmm_node_stats *ns = &st.node[n];

		assert_int_equal(ns->base, n ? n * NODE_BYTES : 0x100000);
		assert_int_equal(ns->end, (n + 1) * NODE_BYTES);
		assert_int_equal(ns->total_frames, ns->free_frames + ns->used_frames +
				 ns->reserved_frames);
		total += ns->total_frames;
		free += ns->free_frames;
	}
	assert_int_equal(total, st.total_frames);
	assert_int_equal(free, st.free_frames);
	assert_true(st.node[2].used_frames >= 16);
	assert_int_equal(st.node[1].used_frames, 0);

	pmm_walk(walk_cb, &w);
	assert_true(w.consistent);
	for (unsigned n = 0; n < NODES; n++) {
		assert_int_equal(w.frames[n][PMM_FRAME_FREE], st.node[n].free_frames);
		assert_int_equal(w.frames[n][PMM_FRAME_USED], st.node[n].used_frames);
		assert_int_equal(w.frames[n][PMM_FRAME_RESERVED], st.node[n].reserved_frames);
	}
	pmm_free_pages(a, 4);
	assert_int_equal(sim_errors(), 0);
	sim_expect_clean();
}

/* --- placement -------------------------------------------------------------------- */

static phys_addr_t got[RAM / PG];

/*
 * Every CPU on node 1: single frames come from node 1 until it has none,
 * then from node 3, 0 and 2 - the SLIT order - each until it is empty.
 */
static void test_local_first_then_by_distance(void **state)
{
	static const unsigned order[NODES] = { 1, 3, 0, 2 };
	struct pmm_stats before, after;
	uint64_t taken[NODES] = { 0 };
	unsigned stage = 0;
	size_t n = 0;
	phys_addr_t pa;

	(void)state;
	describe(true, 1);
	boot(&numa);
	sim_drained_stats(&before);
	while ((pa = pmm_alloc_frame()) != PMM_NO_FRAME) {
		unsigned node = pmm_frame_node(pa);

		while (stage < NODES && order[stage] != node)
			stage++;	/* may only move on, never back */
		assert_true(stage < NODES);
		taken[node]++;
		got[n++] = pa;
	}
	for (unsigned i = 0; i < NODES; i++)
		assert_int_equal(taken[i], before.node[i].free_frames);
	assert_int_equal(pmm_alloc_pages_node(2, 3, 0), PMM_NO_FRAME);
	while (n)
		pmm_free_frame(got[--n]);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
	assert_int_equal(sim_errors(), 0);
	sim_expect_clean();
}

/* From node 2 the order is 2, 0, 3, 1; a zone missing on a node is found on the next. */
static void test_other_node_and_zones(void **state)
{
	(void)state;
	describe(true, 2);
	boot(&numa);

	phys_addr_t a = pmm_alloc_frame(), b = pmm_alloc_pages(5, 0);
	phys_addr_t dma = pmm_alloc_pages(0, PMM_ZONE_DMA);	/* only node 0 has ZONE_DMA */
	phys_addr_t c = pmm_alloc_pages_node(3, 2, PMM_ZERO);

	assert_int_equal(pmm_frame_node(a), 2);
	assert_int_equal(pmm_frame_node(b), 2);
	assert_int_equal(pmm_frame_node(dma), 0);
	assert_true(dma < 16 * MiB);
	assert_int_equal(pmm_frame_node(c), 3);
	assert_int_equal(pmm_alloc_pages_node(NODES, 0, 0), PMM_NO_FRAME);
	assert_int_equal(sim_errors(), 1);	/* the node that does not exist, reported */
	pmm_free_frame(a);
	pmm_free_pages(b, 5);
	pmm_free_frame(dma);
	pmm_free_pages(c, 2);
	sim_expect_clean();
}

/* --- descriptions that do not hold together --------------------------------------- */

static void test_bad_descriptions(void **state)
{
	(void)state;
	describe(true, 0);		/* a distance table with a bad diagonal */
	numa.distance[2][2] = 0;
	boot(&numa);
	assert_int_equal(sim_errors(), 1);
	assert_int_equal(pmm_node_count(), NODES);
	assert_int_equal(pmm_node_distance(1, 3), 20);	/* the defaults instead */

	sim_reset_counts();
	describe(false, 0);		/* a range of a node that does not exist */
	numa.range[3].node = 7;
	boot(&numa);
	assert_int_equal(sim_errors(), 1);
	assert_int_equal(pmm_frame_node(400 * MiB), 0);	/* outside every valid range */
	assert_int_equal(pmm_node_distance(1, 2), 20);	/* no SLIT: 20 */
	sim_expect_clean();

	sim_reset_counts();
	describe(false, 0);		/* a CPU on a node that does not exist */
	numa.cpu_node[5] = 6;
	boot(&numa);
	assert_int_equal(sim_errors(), 1);
	assert_int_equal(pmm_cpu_node(5), 0);

	sim_reset_counts();
	describe(false, 0);		/* more nodes than the PMM keeps apart */
	numa.nr_nodes = MM_MAX_NODES + 1;
	boot(&numa);
	assert_int_equal(sim_errors(), 1);
	assert_int_equal(pmm_node_count(), 1);
	sim_expect_clean();
}

/* A boundary inside a 128 MiB section: reported, and the section stays whole. */
static void test_unaligned_boundary(void **state)
{
	(void)state;
	describe(false, 1);
	numa.nr_nodes = 2;
	numa.nr_ranges = 2;
	numa.range[0] = (struct pmm_node_range){ 0, 200 * MiB, 0 };
	numa.range[1] = (struct pmm_node_range){ 200 * MiB, RAM, 1 };
	boot(&numa);
	assert_int_equal(sim_errors(), 0);
	assert_int_equal(sim_count.log[LOG_WARN], 1);
	assert_int_equal(pmm_frame_node(210 * MiB), 0);
	assert_int_equal(pmm_frame_node(300 * MiB), 1);
	assert_int_equal(pmm_frame_node(pmm_alloc_frame()), 1);
	pmm_drain();
	sim_expect_clean();
}

/* --- threads on different nodes ---------------------------------------------------- */

#define THREADS		4
#define ROUNDS		300
#define BATCH		32

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static phys_addr_t pool[THREADS * BATCH];
static size_t npool;
static unsigned misplaced;

/*
 * Each thread allocates on its CPU's node (two nodes, plenty free: never
 * elsewhere), hands half its frames to a shared pool and frees frames
 * taken from it, which other threads, often on the other node, allocated.
 */
static void *hammer(void *arg)
{
	unsigned node = pmm_cpu_node(plat_cpu_id());
	phys_addr_t mine[BATCH];

	(void)arg;
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			mine[i] = pmm_alloc_frame();
			if (mine[i] == PMM_NO_FRAME || pmm_frame_node(mine[i]) != node)
				__atomic_fetch_add(&misplaced, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_lock(&pool_lock);
		for (unsigned i = 0; i < BATCH / 2; i++)
			pool[npool++] = mine[i];
		pthread_mutex_unlock(&pool_lock);
		for (unsigned i = BATCH / 2; i < BATCH; i++)
			pmm_free_frame(mine[i]);
		pthread_mutex_lock(&pool_lock);
		for (unsigned i = 0; i < BATCH / 2 && npool; i++)
			pmm_free_frame(pool[--npool]);
		pthread_mutex_unlock(&pool_lock);
	}
	return NULL;
}

static void test_threads_on_two_nodes(void **state)
{
	pthread_t t[THREADS];
	struct pmm_stats before, after;

	(void)state;
	describe(false, 0);
	numa.nr_nodes = 2;
	for (unsigned c = 0; c < MM_MAX_CPUS; c++)
		numa.cpu_node[c] = (uint8_t)(c & 1);
	numa.range[2].node = numa.range[3].node = 1;
	boot(&numa);
	sim_drained_stats(&before);
	misplaced = 0;
	npool = 0;
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	while (npool)
		pmm_free_frame(pool[--npool]);
	assert_int_equal(misplaced, 0);
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
	sim_expect_clean();
}

int main(void)
{
#define T(fn)	cmocka_unit_test_setup(fn, sim_test_reset_counts)
	const struct CMUnitTest tests[] = {
		T(test_no_numa_is_one_node),
		T(test_nodes_and_stats),
		T(test_local_first_then_by_distance),
		T(test_other_node_and_zones),
		T(test_bad_descriptions),
		T(test_unaligned_boundary),
		T(test_threads_on_two_nodes),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
