// SPDX-License-Identifier: MIT
/*
 * Unit tests of NUMA memory policies on a simulated two-node machine:
 * Linux's rules for a requested policy (mpol_sanitize, mpol_new), the PMM
 * allocating from a node mask only, and an address space's faults placing
 * pages by the thread's policy and by mbind()'s region policies; mbind's
 * STRICT and MOVE, get_mempolicy's page node; every frame back at the end.
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
#include "tests/host/sim_setup.h"

#define RAM		(512 * MiB)
#define NODE_BYTES	(256 * MiB)
#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define ANON		(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define NPG		16

static struct pt_space kspace;
static uint64_t free0;
static struct proc P;

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
	free0 = sim_free_frames();
	assert_int_equal(as_init(&P.as, &(struct as_params){ .kernel = &kspace }), 0);
	proc_cpu(&P);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sim_set_mempolicy(NULL);
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	assert_int_equal(sim_free_frames(), free0);
	pt_space_destroy(&kspace);
	return 0;
}

static struct mm_mempolicy policy(unsigned mode, unsigned flags, uint64_t nodes)
{
	struct mm_mempolicy pol;

	assert_int_equal(mpol_new(&pol, mode, flags, &nodes, 1), 0);
	return pol;
}

static uintptr_t map_touched(unsigned pages, uint8_t seed)
{
	long a = as_mmap(&P.as, 0, pages * PG, RW, ANON, NULL, 0);

	assert_false(as_is_err(a));
	for (unsigned i = 0; i < pages; i++)
		assert_int_equal(uwrite8(&P, (uintptr_t)a + i * PG, (uint8_t)(seed + i)), 0);
	return (uintptr_t)a;
}

static int mbind(uintptr_t va, uint64_t len, unsigned mode, uint64_t nodes, unsigned flags)
{
	struct mpol_request req = { .mode = mode, .mask = &nodes, .nwords = 1 };

	return as_mbind(&P.as, va, len, &req, flags, true);
}

/* The first of @n pages at @va whose node is not @node (-1: page n on node n mod 2); -1 if none. */
static int first_off(uintptr_t va, unsigned n, int node)
{
	for (unsigned i = 0; i < n; i++) {
		uintptr_t pg = va + i * PG;
		int want = node >= 0 ? node : (int)((pg / PG) % 2);

		if (as_page_node(&P.as, pg) != want)
			return (int)i;
	}
	return -1;
}

/* --- Linux's rules for the policy asked for ------------------------------------- */

static void test_sanitize_and_new(void **state)
{
	struct mm_mempolicy pol;
	uint64_t none = 0, n0 = 1, n01 = 3, far = 1ull << 40, rel = 1ull << 3;
	unsigned mode, flags;

	(void)state;
	mode = 6;
	assert_int_equal(mpol_sanitize(&mode, &flags), -MM_EINVAL);
	mode = MM_MPOL_BIND | MM_MPOL_F_STATIC_NODES | MM_MPOL_F_RELATIVE_NODES;
	assert_int_equal(mpol_sanitize(&mode, &flags), -MM_EINVAL);
	mode = MM_MPOL_INTERLEAVE | MM_MPOL_F_NUMA_BALANCING;
	assert_int_equal(mpol_sanitize(&mode, &flags), -MM_EINVAL);
	mode = MM_MPOL_BIND | MM_MPOL_F_STATIC_NODES;
	assert_int_equal(mpol_sanitize(&mode, &flags), 0);
	assert_int_equal(mode, MM_MPOL_BIND);
	assert_int_equal(flags, MM_MPOL_F_STATIC_NODES);

	assert_int_equal(mpol_new(&pol, MM_MPOL_DEFAULT, 0, &n0, 1), -MM_EINVAL);
	assert_int_equal(mpol_new(&pol, MM_MPOL_LOCAL, 0, &n0, 1), -MM_EINVAL);
	assert_int_equal(mpol_new(&pol, MM_MPOL_BIND, 0, &none, 1), -MM_EINVAL);
	assert_int_equal(mpol_new(&pol, MM_MPOL_BIND, 0, &far, 1), -MM_EINVAL);
	assert_int_equal(mpol_new(&pol, MM_MPOL_PREFERRED, MM_MPOL_F_STATIC_NODES, &none, 1),
			 -MM_EINVAL);
	assert_int_equal(mpol_new(&pol, MM_MPOL_PREFERRED, 0, &none, 1), 0);
	assert_int_equal(pol.mode, MM_MPOL_LOCAL);
	assert_int_equal(mpol_report_nodes(&pol), 0);
	assert_int_equal(mpol_new(&pol, MM_MPOL_PREFERRED, 0, &n01, 1), 0);
	assert_int_equal(pol.nodes, 1);		/* the first node only */
	assert_int_equal(mpol_new(&pol, MM_MPOL_INTERLEAVE, MM_MPOL_F_RELATIVE_NODES, &rel, 1), 0);
	assert_int_equal(pol.nodes, 2);		/* bit 3 of 2 nodes: the second */
	assert_int_equal(mpol_new(&pol, MM_MPOL_DEFAULT, 0, &none, 1), 0);
	assert_int_equal(pol.mode, MM_MPOL_DEFAULT);
}

/* --- the PMM's node mask ---------------------------------------------------------- */

static void test_bind_mask_never_leaves_its_nodes(void **state)
{
	struct pmm_stats st;
	phys_addr_t *got = malloc(sizeof(*got) * (NODE_BYTES / PG));
	size_t n = 0;

	(void)state;
	assert_non_null(got);
	sim_drained_stats(&st);
	uint64_t node1_free = st.node[1].free_frames;

	for (;;) {
		phys_addr_t pa = pmm_alloc_pages_nodes(-1, 2, 0, 0);

		if (pa == PMM_NO_FRAME)
			break;
		assert_int_equal(pmm_frame_node(pa), 1);
		got[n++] = pa;
	}
	assert_int_equal(n, node1_free);		/* all of node 1, nothing of node 0 */
	sim_drained_stats(&st);
	assert_true(st.node[0].free_frames > 0);
	assert_int_equal(pmm_alloc_pages_nodes(-1, 1u << 5, 0, 0), PMM_NO_FRAME); /* no such node */
	/* MPOL_PREFERRED {1} falls back to node 0 when node 1 is full. */
	struct mm_mempolicy pref = policy(MM_MPOL_PREFERRED, 0, 2);
	phys_addr_t pa = mpol_alloc_pages(&pref, 0, 0, 0);

	assert_int_equal(pmm_frame_node(pa), 0);
	pmm_free_pages(pa, 0);
	while (n)
		pmm_free_pages(got[--n], 0);
	free(got);
}

/* --- faults placed by policy ----------------------------------------------------- */

static void test_thread_policy_places_faults(void **state)
{
	struct mm_mempolicy bind1 = policy(MM_MPOL_BIND, 0, 2), il = policy(MM_MPOL_INTERLEAVE, 0, 3);
	uintptr_t a;

	(void)state;
	a = map_touched(NPG, 1);
	assert_int_equal(first_off(a, NPG, 0), -1);	/* default: the CPU's node */
	sim_set_mempolicy(&bind1);
	a = map_touched(NPG, 1);
	assert_int_equal(first_off(a, NPG, 1), -1);
	sim_set_mempolicy(&il);
	a = map_touched(NPG, 1);
	assert_int_equal(first_off(a, NPG, -1), -1);
	sim_set_mempolicy(NULL);
}

static void test_region_policy_beats_the_thread(void **state)
{
	struct mm_mempolicy bind0 = policy(MM_MPOL_BIND, 0, 1), got;
	long a = as_mmap(&P.as, 0, 3 * NPG * PG, RW, ANON, NULL, 0);
	uint32_t nr;

	(void)state;
	assert_false(as_is_err(a));
	nr = P.as.nr;
	assert_int_equal(mbind((uintptr_t)a + NPG * PG, NPG * PG, MM_MPOL_BIND, 2, 0), 0);
	assert_int_equal(P.as.nr, nr + 2);
	assert_int_equal(as_get_policy(&P.as, (uintptr_t)a + NPG * PG, &got), 0);
	assert_int_equal(got.mode, MM_MPOL_BIND);
	assert_int_equal(got.nodes, 2);
	assert_int_equal(as_get_policy(&P.as, (uintptr_t)a, &got), 0);
	assert_int_equal(got.mode, MM_MPOL_DEFAULT);
	sim_set_mempolicy(&bind0);
	for (unsigned i = 0; i < 3 * NPG; i++)
		assert_int_equal(uwrite8(&P, (uintptr_t)a + i * PG, (uint8_t)i), 0);
	assert_int_equal(first_off((uintptr_t)a, NPG, 0), -1);
	assert_int_equal(first_off((uintptr_t)a + NPG * PG, NPG, 1), -1);
	assert_int_equal(first_off((uintptr_t)a + 2 * NPG * PG, NPG, 0), -1);
	sim_set_mempolicy(NULL);
	/*
	 * Back to MPOL_DEFAULT: each region was first written while the
	 * policies differed, so each has pages of its own identity (Linux:
	 * its own anon_vma) and they stay apart.
	 */
	assert_int_equal(mbind((uintptr_t)a + NPG * PG, NPG * PG, MM_MPOL_DEFAULT, 0, 0), 0);
	assert_int_equal(P.as.nr, nr + 2);
	assert_int_equal(as_get_policy(&P.as, 1 * PG, &got), -MM_EFAULT);
}

static void test_mbind_strict_and_move(void **state)
{
	uintptr_t a = map_touched(NPG, 7);
	struct mm_mempolicy got;
	uint64_t before;

	(void)state;
	assert_int_equal(first_off(a, NPG, 0), -1);
	assert_int_equal(mbind(a, NPG * PG, MM_MPOL_BIND, 2, MM_MPOL_MF_STRICT), -MM_EIO);
	assert_int_equal(as_get_policy(&P.as, a, &got), 0);
	assert_int_equal(got.mode, MM_MPOL_DEFAULT);	/* nothing changed */
	before = sim_free_frames();
	assert_int_equal(mbind(a, NPG * PG, MM_MPOL_BIND, 2, MM_MPOL_MF_STRICT | MM_MPOL_MF_MOVE), 0);
	assert_int_equal(first_off(a, NPG, 1), -1);
	assert_int_equal(sim_free_frames(), before);	/* the old frames went back */
	for (unsigned i = 0; i < NPG; i++)
		assert_int_equal(upeek(&P, a + i * PG), (uint8_t)(7 + i));
	assert_int_equal(uwrite8(&P, a, 99), 0);
	assert_int_equal(upeek(&P, a), 99);
	/* Errors: unaligned, unknown flags, a hole, MOVE_ALL unprivileged. */
	struct mpol_request req = { .mode = MM_MPOL_BIND, .mask = &(uint64_t){ 1 }, .nwords = 1 };

	assert_int_equal(mbind(a + 1, PG, MM_MPOL_BIND, 1, 0), -MM_EINVAL);
	assert_int_equal(mbind(a, PG, MM_MPOL_BIND, 1, 8), -MM_EINVAL);
	assert_int_equal(mbind(a, (NPG + 1) * PG, MM_MPOL_BIND, 1, 0), -MM_EFAULT);
	assert_int_equal(as_mbind(&P.as, a, PG, &req, MM_MPOL_MF_MOVE_ALL, false), -MM_EPERM);
	assert_int_equal(mbind(a, 0, MM_MPOL_BIND, 0, 0), 0);
}

static void test_page_node_faults_in_for_reading(void **state)
{
	long a = as_mmap(&P.as, 0, 2 * PG, RW, ANON, NULL, 0), n = as_mmap(&P.as, 0, PG,
									  MM_PROT_NONE, ANON, NULL, 0);
	uint64_t before = sim_free_frames();

	(void)state;
	assert_false(as_is_err(a));
	assert_false(as_is_err(n));
	/* An untouched page reads as the zero page: no frame of its own. */
	assert_true(as_page_node(&P.as, (uintptr_t)a) >= 0);
	assert_true(sim_free_frames() + 4 >= before);	/* page tables and the zero page */
	assert_int_equal(as_page_node(&P.as, (uintptr_t)n), -MM_EFAULT);
	assert_int_equal(as_page_node(&P.as, 3 * PG), -MM_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sanitize_and_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_mask_never_leaves_its_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_policy_places_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_policy_beats_the_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbind_strict_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_node_faults_in_for_reading, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
