// SPDX-License-Identifier: MIT
/*
 * Tests of vmalloc on simulated RAM: areas mapped page by page from
 * non-contiguous frames, unmapped guard gaps, lookup, bad frees, running out
 * of memory or window, reuse and merging of gaps, and every frame and table
 * returned at the end. The window's addresses are never dereferenced: the
 * tests look through pt_translate() and the soft MMU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/soft_mmu.h"
#include "mm/vmalloc.h"
#include "tests/host/vm_test_util.h"

#define VBASE	VM_VMALLOC_BASE
#define VSIZE	VM_VMALLOC_SIZE
#define VEND	(VBASE + VSIZE)

static struct pt_space ks;
static uint64_t free0;

/* vmalloc's state lives in simulated RAM: drop it before the next test replaces the RAM. */
static int test_teardown(void **state)
{
	(void)state;
	vmalloc_fini();
	return 0;
}

/* RAM, a kernel space and a vmalloc window [@base, @end); free0 counts from here. */
static void start_window(uintptr_t base, uintptr_t end)
{
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	assert_int_equal(pt_space_init(&ks, VM_NATIVE_FORMAT), 0);
	ks.flags |= PT_SPACE_KERNEL;
	assert_int_equal(vmalloc_init(&ks, base, end), 0);
	free0 = sim_free_frames();
}

static void start(void)
{
	start_window(VBASE, VEND);
}

/* Everything freed: the space holds only its root, the PMM has every frame back. */
static void finish(void)
{
	struct vmalloc_stats st;

	vmalloc_get_stats(&st);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.free_bytes, st.end - st.base);
	assert_int_equal(st.largest_free, st.end - st.base);
	assert_int_equal(ks.table_pages, 1);
	assert_int_equal(pt_check(&ks), 0);
	assert_int_equal(sim_free_frames(), free0);
}

/* Every page of the area is mapped to its own allocated frame; the guard is not mapped. */
static void expect_area(void *p, uint64_t size, unsigned prot)
{
	uintptr_t va = (uintptr_t)p;

	for (uint64_t off = 0; off < size; off += PG) {
		phys_addr_t pa;
		unsigned got;
		uint64_t psz;

		assert_true(pt_translate(&ks, va + off, &pa, &got, &psz));
		assert_int_equal(psz, PG);
		assert_int_equal(got & ~(unsigned)(PT_ACCESSED | PT_DIRTY), prot);
		assert_int_equal(pmm_refcount(pa), 1);
	}
	assert_false(pt_translate(&ks, va + size, NULL, NULL, NULL));
}

static void test_basic(void **state)
{
	struct vmalloc_stats st;

	(void)state;
	start();
	void *a = vmalloc(3 * PG - 100);

	assert_ptr_equal(a, (void *)VBASE);
	expect_area(a, 3 * PG, PT_WRITE | PT_GLOBAL);
	vmalloc_get_stats(&st);
	assert_int_equal(st.areas, 1);
	assert_int_equal(st.bytes, 3 * PG);
	assert_int_equal(st.free_bytes, VSIZE - 4 * PG);
	assert_int_equal(sim_free_frames(), free0 - 3 - (ks.table_pages - 1));
	vfree(a);
	assert_false(pt_translate(&ks, VBASE, NULL, NULL, NULL));
	assert_null(vmalloc(0));
	assert_null(vmalloc(UINT64_MAX));
	finish();
}

/* The frames behind [@va, @va + @pages pages), in @pa. */
static void frames_of(uintptr_t va, unsigned pages, phys_addr_t *pa)
{
	for (unsigned i = 0; i < pages; i++)
		assert_true(pt_translate(&ks, va + (uintptr_t)i * PG, &pa[i], NULL, NULL));
}

/* vrealloc: grow in place, grow by moving page-table entries, shrink; every frame accounted. */
static void test_vrealloc(void **state)
{
	phys_addr_t before[8], after[8];
	struct vmalloc_stats st;

	(void)state;
	start();
	uint8_t *a = vmalloc(2 * PG);
	frames_of((uintptr_t)a, 2, before);
	/* Nothing after it: grows in place, its two frames kept. */
	assert_ptr_equal(vrealloc(a, 5 * PG - 10), a);
	expect_area(a, 5 * PG, VMALLOC_PROT);
	frames_of((uintptr_t)a, 2, after);
	assert_memory_equal(before, after, sizeof(before[0]) * 2);
	/* Blocked by b: moves; the same frames appear at the new address, in order. */
	uint8_t *b = vmalloc(PG);
	assert_int_equal((uintptr_t)b, (uintptr_t)a + 5 * PG + VMALLOC_GUARD);
	frames_of((uintptr_t)a, 5, before);
	uint8_t *m = vrealloc(a, 8 * PG);
	assert_non_null(m);
	assert_true(m != a);
	expect_area(m, 8 * PG, VMALLOC_PROT);
	frames_of((uintptr_t)m, 5, after);
	assert_memory_equal(before, after, sizeof(before[0]) * 5);
	assert_false(pt_translate(&ks, (uintptr_t)a, NULL, NULL, NULL));
	vmalloc_get_stats(&st);
	assert_int_equal(st.areas, 2);
	assert_int_equal(st.bytes, 9 * PG);
	/* Shrinks: the tail's frames go back, the guard follows the new end. */
	uint64_t free_before = sim_free_frames();
	assert_ptr_equal(vrealloc(m, 3 * PG), m);
	expect_area(m, 3 * PG, VMALLOC_PROT);
	assert_int_equal(sim_free_frames(), free_before + 5);
	struct vmalloc_area ar;
	assert_true(vmalloc_area_of(m, &ar));
	assert_int_equal(ar.size, 3 * PG);
	assert_ptr_equal(vrealloc(m, 3 * PG - 1), m);	/* same pages: nothing to do */
	unsigned long errs = sim_count.log[LOG_ERR];
	assert_null(vrealloc(m + PG, 2 * PG));		/* not an area's start */
	assert_true(sim_count.log[LOG_ERR] > errs);
	assert_null(vrealloc(m, (uint64_t)VSIZE));	/* no room in the window: untouched */
	expect_area(m, 3 * PG, VMALLOC_PROT);
	vfree(m);
	vfree(b);
	finish();
}

static void test_guard_gaps(void **state)
{
	void *p[8];

	(void)state;
	start();
	for (unsigned i = 0; i < 8; i++) {
		p[i] = vmalloc((i + 1) * PG);
		assert_non_null(p[i]);
		expect_area(p[i], (i + 1) * PG, VMALLOC_PROT);
		if (i)	/* lowest fit: right after the previous area's guard page */
			assert_int_equal((uintptr_t)p[i],
					 (uintptr_t)p[i - 1] + i * PG + VMALLOC_GUARD);
	}
	/* Each guard page is unmapped and classified as that area's guard. */
	for (unsigned i = 0; i < 8; i++) {
		struct vmalloc_area a;
		uintptr_t guard = (uintptr_t)p[i] + (i + 1) * PG;

		assert_false(pt_translate(&ks, guard, NULL, NULL, NULL));
		assert_true(vmalloc_area_of((void *)guard, &a));
		assert_int_equal(a.base, (uintptr_t)p[i]);
		assert_true(guard >= a.base + a.size && guard < a.base + a.size + a.guard);
	}
	for (unsigned i = 0; i < 8; i++)
		vfree(p[i]);
	finish();
}

static void test_noncontiguous(void **state)
{
	phys_addr_t hold[64];
	phys_addr_t pa[16];

	(void)state;
	start();
	/* Fragment free memory: take 64 frames, dirty them, give back every other one. */
	for (unsigned i = 0; i < 64; i++) {
		hold[i] = pmm_alloc_pages(0, 0);
		memset(plat_phys_to_virt(hold[i]), 0xa5, PG);
	}
	for (unsigned i = 0; i < 64; i += 2)
		pmm_free_pages(hold[i], 0);

	uint8_t *v = vzalloc(16 * PG);

	assert_non_null(v);
	unsigned contiguous = 0;

	for (unsigned i = 0; i < 16; i++) {
		assert_true(pt_translate(&ks, (uintptr_t)v + i * PG, &pa[i], NULL, NULL));
		for (uint64_t off = 0; off < PG; off += 8)	/* vzalloc zeroed them */
			assert_int_equal(*(uint64_t *)plat_phys_to_virt(pa[i] + off), 0);
		if (i && pa[i] == pa[i - 1] + PG)
			contiguous++;
	}
	assert_true(contiguous < 15);

	/* Through the soft MMU the area is one contiguous buffer. */
	struct smmu mmu;
	uint64_t x;

	smmu_init(&mmu, &ks);
	for (unsigned i = 0; i < 16 * PG / 8; i++)
		assert_int_equal(smmu_write64(&mmu, (uintptr_t)v + i * 8, SMMU_KERNEL, i), 0);
	assert_int_equal(smmu_read64(&mmu, (uintptr_t)v + 8 * 1000, SMMU_KERNEL, &x), 0);
	assert_int_equal(x, 1000);
	assert_int_equal(*(uint64_t *)plat_phys_to_virt(pa[3] + 8), 3 * PG / 8 + 1);
	/* Across two of its frames, and off its end into the guard page. */
	assert_int_equal(smmu_write64(&mmu, (uintptr_t)v + 4 * PG - 4, SMMU_KERNEL, ~0ull), 0);
	assert_int_equal(*(uint32_t *)plat_phys_to_virt(pa[3] + PG - 4), 0xffffffffu);
	assert_int_equal(*(uint32_t *)plat_phys_to_virt(pa[4]), 0xffffffffu);
	uintptr_t end = (uintptr_t)v + 16 * PG;

	assert_int_equal(smmu_write64(&mmu, end - 4, SMMU_KERNEL, 1), -MM_EFAULT);
	assert_int_equal(mmu.cr2, end);
	/* Not executable. */
	assert_int_equal(smmu_fetch(&mmu, (uintptr_t)v, SMMU_KERNEL, &x, 1), -MM_EFAULT);
	vfree(v);
	for (unsigned i = 1; i < 64; i += 2)
		pmm_free_pages(hold[i], 0);
	finish();
}

static void test_lookup(void **state)
{
	struct vmalloc_area a;

	(void)state;
	start();
	void *p = vmalloc_prot(5 * PG, PT_WRITE | PT_EXEC, 0);
	void *q = vmalloc(PG);

	assert_true(vmalloc_area_of((char *)p + 3 * PG + 17, &a));
	assert_int_equal(a.base, (uintptr_t)p);
	assert_int_equal(a.size, 5 * PG);
	assert_int_equal(a.guard, VMALLOC_GUARD);
	assert_int_equal(a.prot, PT_WRITE | PT_EXEC);
	assert_true(vmalloc_area_of(q, &a));
	assert_int_equal(a.base, (uintptr_t)q);
	assert_false(vmalloc_area_of((char *)q + 2 * PG, &a));		/* free space */
	assert_false(vmalloc_area_of((void *)(VBASE - 1), &a));		/* outside */
	assert_false(vmalloc_area_of((void *)VEND, &a));
	assert_false(vmalloc_area_of(NULL, &a));
	vfree(p);
	assert_false(vmalloc_area_of(p, &a));
	assert_true(vmalloc_area_of(q, &a));
	vfree(q);
	finish();
}

static void test_bad_free(void **state)
{
	struct vmalloc_stats st;
	unsigned long errs;

	(void)state;
	start();
	void *p = vmalloc(2 * PG);

	errs = sim_errors();
	vfree(NULL);
	assert_int_equal(sim_errors(), errs);
	vfree((char *)p + PG);			/* inside */
	assert_non_null(strstr(sim_last_log(), "not the start"));
	vfree((char *)p + 2 * PG);		/* its guard */
	vfree((void *)(VBASE + VSIZE / 2));		/* free space */
	assert_non_null(strstr(sim_last_log(), "double free"));
	vfree((void *)0x1000);			/* not in the window */
	assert_non_null(strstr(sim_last_log(), "window"));
	assert_int_equal(sim_errors(), errs + 4);
	expect_area(p, 2 * PG, VMALLOC_PROT);	/* untouched */
	vfree(p);
	vfree(p);				/* double free */
	assert_non_null(strstr(sim_last_log(), "double free"));
	vmalloc_get_stats(&st);
	assert_int_equal(st.bad_frees, 5);
	finish();
}

static void test_oom(void **state)
{
	struct vm_eaten eat = { 0 };
	struct vmalloc_stats st;

	(void)state;
	start();
	void *keep = vmalloc(PG);		/* the tables exist: only frames are needed */

	/* 8 pages and no tables needed; with fewer than 8 frames free, NULL and no leak. */
	for (size_t leave = 0; leave < 8; leave++) {
		vm_eat(&eat, leave);
		assert_null(vmalloc(8 * PG));
		assert_int_equal(sim_free_frames(), leave);
		vm_uneat(&eat);
	}
	/* With exactly 8, it works. */
	void *far[2];

	vm_eat(&eat, 8);
	far[0] = vmalloc(8 * PG);
	assert_non_null(far[0]);
	assert_int_equal(sim_free_frames(), 0);
	vm_uneat(&eat);
	vmalloc_get_stats(&st);
	assert_int_equal(st.alloc_failures, 8);
	assert_int_equal(st.areas, 2);

	/* The window runs out; then the RAM, half-way through mapping: rolled back. */
	uint64_t frames = sim_free_frames(), tables = ks.table_pages;

	assert_null(vmalloc(VSIZE));
	assert_null(vmalloc(VSIZE - 11 * PG));
	far[1] = vmalloc(VSIZE - 12 * PG);	/* + guard: exactly what is left of the window */
	assert_null(far[1]);
	assert_int_equal(sim_free_frames(), frames);
	assert_int_equal(ks.table_pages, tables);
	vmalloc_get_stats(&st);
	assert_int_equal(st.areas, 2);
	assert_int_equal(st.largest_free, VSIZE - 11 * PG);
	vfree(far[0]);
	vfree(keep);
	finish();
}

static void test_reuse_merge(void **state)
{
	void *a, *b, *c, *d, *e;
	struct vmalloc_stats st;

	(void)state;
	start();
	a = vmalloc(4 * PG);
	b = vmalloc(4 * PG);
	c = vmalloc(4 * PG);
	vfree(b);
	d = vmalloc(2 * PG);		/* lowest fit: b's gap of 5 pages */
	assert_ptr_equal(d, b);
	e = vmalloc(PG);		/* 1 + guard: exactly what is left of it */
	assert_int_equal((uintptr_t)e, (uintptr_t)d + 3 * PG);
	vfree(a);
	vfree(e);
	vfree(d);			/* merges with both neighbours */
	vmalloc_get_stats(&st);
	assert_int_equal(st.largest_free, VSIZE - ((uintptr_t)c - VBASE) - 5 * PG);
	assert_ptr_equal(vmalloc(9 * PG), (void *)VBASE);	/* 9 + guard: the merged gap */
	vfree((void *)VBASE);
	vfree(c);
	finish();
}

/* --- many areas against a model --------------------------------------------------- */

struct order_check {
	uintptr_t prev_end;
	unsigned n;
};

static int check_area(const struct vmalloc_area *a, void *ctx)
{
	struct order_check *oc = ctx;

	assert_true(a->base >= oc->prev_end);
	assert_false(pt_translate(&ks, a->base + a->size, NULL, NULL, NULL));
	oc->prev_end = a->base + a->size + a->guard;
	oc->n++;
	return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_many(void **state)
{
	enum { N = 1500 };
	static void *p[N];
	static uint64_t size[N];
	struct vmalloc_stats st;
	uint64_t bytes = 0;
	unsigned live = 0;

	(void)state;
	/* A small window, so gaps get reused and merged all the time. */
	start_window(VBASE, VBASE + 64 * MiB);
	for (unsigned round = 0; round < 6; round++) {
		for (unsigned i = 0; i < N; i++) {
			if (p[i] && rnd() % 2) {
				vfree(p[i]);
				p[i] = NULL;
				bytes -= size[i];
				live--;
			} else if (!p[i] && rnd() % 3) {
				size[i] = (1 + rnd() % (rnd() % 8 ? 4 : 64)) * PG;
				p[i] = vmalloc(size[i]);
				if (p[i]) {
					bytes += size[i];
					live++;
				}
			}
		}
		struct order_check oc = { 0, 0 };

		vmalloc_for_each(check_area, &oc);
		vmalloc_get_stats(&st);
		assert_int_equal(oc.n, live);
		assert_int_equal(st.areas, live);
		assert_int_equal(st.bytes, bytes);
		for (unsigned i = 0; i < N; i++)
			if (p[i] && i % 7 == round)
				expect_area(p[i], size[i], VMALLOC_PROT);
		assert_int_equal(pt_check(&ks), 0);
	}
	assert_true(st.node_pages >= 1);
	for (unsigned i = 0; i < N; i++) {
		vfree(p[i]);
		p[i] = NULL;
	}
	vmalloc_get_stats(&st);
	assert_int_equal(st.node_pages, 1);
	finish();
}

static void test_window(void **state)
{
	(void)state;
	assert_int_equal(vm_ram_setup(16 * MiB), 0);
	assert_int_equal(pt_space_init(&ks, VM_NATIVE_FORMAT), 0);
	assert_int_equal(vmalloc_init(&ks, VBASE + 1, VEND), -MM_EINVAL);
	assert_int_equal(vmalloc_init(&ks, VBASE, VBASE), -MM_EINVAL);
	assert_int_equal(vmalloc_init(&ks, VBASE, VBASE + PG), -MM_EINVAL);
	assert_int_equal(vmalloc_init(&ks, VEND, VBASE), -MM_EINVAL);
#if VM_TEST_64BIT_VA
	assert_int_equal(vmalloc_init(&ks, 0x7fffffff0000ull, 0xffff800000010000ull), -MM_EINVAL);
#endif
	assert_int_equal(vmalloc_init(NULL, VBASE, VEND), -MM_EINVAL);
	/* Any window works; 16 pages hold a 1-page and a 13-page area with their guards. */
	assert_int_equal(vmalloc_init(&ks, 0x10000, 0x20000), 0);
	void *p = vmalloc(PG), *q;

	assert_ptr_equal(p, (void *)0x10000);
	assert_null(vmalloc(14 * PG));
	q = vmalloc(13 * PG);
	assert_ptr_equal(q, (void *)0x12000);
	assert_null(vmalloc(1));
	vfree(p);
	vfree(q);
	/* Starting over with nothing allocated leaks nothing. */
	uint64_t frames = sim_free_frames();

	assert_int_equal(vmalloc_init(&ks, VBASE, VEND), 0);
	assert_int_equal(sim_free_frames(), frames);
	assert_int_equal(ks.table_pages, 1);
}

static void test_flushes(void **state)
{
	(void)state;
	start();
	void *p = vmalloc(4 * PG);

	memset(&sim_count, 0, sizeof(sim_count));
	vfree(p);		/* kernel space: always flushed, one invalidation per page */
	assert_int_equal(sim_count.tlb_flush_page, 4);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_basic, test_teardown),
		cmocka_unit_test_teardown(test_guard_gaps, test_teardown),
		cmocka_unit_test_teardown(test_vrealloc, test_teardown),
		cmocka_unit_test_teardown(test_noncontiguous, test_teardown),
		cmocka_unit_test_teardown(test_lookup, test_teardown),
		cmocka_unit_test_teardown(test_bad_free, test_teardown),
		cmocka_unit_test_teardown(test_oom, test_teardown),
		cmocka_unit_test_teardown(test_reuse_merge, test_teardown),
		cmocka_unit_test_teardown(test_many, test_teardown),
		cmocka_unit_test_teardown(test_window, test_teardown),
		cmocka_unit_test_teardown(test_flushes, test_teardown),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
