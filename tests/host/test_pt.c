// SPDX-License-Identifier: MIT
/*
 * Unit tests of the page-table engine on simulated RAM: mapping,
 * translation, large pages, splitting, unmapping with release callbacks,
 * protections, empty-table reclamation with exact frame accounting,
 * rollback when memory runs out, TLB batching, argument checks, sharing of
 * kernel slots, copying ranges between spaces (fork), walks, and the i386
 * and PAE formats.
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

#include "mm/pt_impl.h"
#include "tests/host/vm_test_util.h"

#define UPPER	0xffff800000000000ull	/* first upper-half address */
#define TOP_PG	0xfffffffffffff000ull	/* the last page of the address space */

static struct pt_space sp;
static uint64_t free0;		/* free frames before the test built its space */

/* Fresh RAM and PMM, and an empty space of format @fmt in sp. */
static void start(const struct pt_format *fmt)
{
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	free0 = sim_free_frames();
	assert_int_equal(pt_space_init(&sp, fmt), 0);
	assert_int_equal(sp.table_pages, 1);
	assert_int_equal(sim_free_frames(), free0 - 1);
}

/* Everything unmapped: only the root is left; destroying it gives back every frame. */
static void finish(void)
{
	assert_int_equal(pt_check(&sp), 0);
	pt_space_destroy(&sp);
	assert_int_equal(sim_free_frames(), free0);
}

static void unmap_all(struct pt_space *s)
{
	if (!s->fmt->va_sign_extend) {
		assert_int_equal(pt_unmap(s, 0, 1ull << s->fmt->va_bits, NULL, NULL), 0);
	} else {
#if VM_TEST_64BIT_VA
		assert_int_equal(pt_unmap(s, 0, 1ull << 47, NULL, NULL), 0);
		assert_int_equal(pt_unmap(s, UPPER, 1ull << 47, NULL, NULL), 0);
#endif
	}
	assert_int_equal(pt_check(s), 0);
}

static void expect_map(const struct pt_space *s, uintptr_t va, phys_addr_t pa, unsigned prot,
		       uint64_t size)
{
	phys_addr_t got;
	unsigned p;
	uint64_t sz;

	assert_true(pt_translate(s, va, &got, &p, &sz));
	assert_int_equal(got, pa);
	assert_int_equal(p & ~(unsigned)(PT_ACCESSED | PT_DIRTY), prot);
	assert_int_equal(sz, size);
}

static void expect_unmapped(const struct pt_space *s, uintptr_t va)
{
	assert_false(pt_translate(s, va, NULL, NULL, NULL));
}

static inline void reset_tlb(void)
{
	sim_count.tlb_flush_page = sim_count.tlb_flush_all = 0;
}

/* --- formats ------------------------------------------------------------------- */

static void test_formats(void **state)
{
	struct pt_format bad = *VM_NATIVE_FORMAT;

	(void)state;
	/* A 32-bit build cannot address x86_64's 48-bit space, and says so. */
	assert_int_equal(pt_format_check(&pt_format_x86_64), VM_TEST_64BIT_VA ? 0 : -MM_EINVAL);
	assert_int_equal(pt_format_check(&pt_format_i386), 0);
	assert_int_equal(pt_format_check(&pt_format_i386_pae), 0);
	bad.shift[2] = 31;
	assert_int_equal(pt_format_check(&bad), -MM_EINVAL);
	bad = *VM_NATIVE_FORMAT;
	bad.large_levels |= 1;
	assert_int_equal(pt_format_check(&bad), -MM_EINVAL);
	bad = *VM_NATIVE_FORMAT;
	bad.va_bits--;
	assert_int_equal(pt_format_check(&bad), -MM_EINVAL);
	assert_int_equal(vm_ram_setup(16 * MiB), 0);
	assert_int_equal(pt_space_init(&sp, &bad), -MM_EINVAL);

#if VM_TEST_64BIT_VA
	assert_true(pt_va_canonical(&pt_format_x86_64, 0x00007fffffffffffull));
	assert_false(pt_va_canonical(&pt_format_x86_64, 0x0000800000000000ull));
	assert_false(pt_va_canonical(&pt_format_x86_64, 0xffff7fffffffffffull));
	assert_true(pt_va_canonical(&pt_format_x86_64, UPPER));
	assert_true(pt_va_canonical(&pt_format_i386, 0xffffffffull));
	assert_false(pt_va_canonical(&pt_format_i386_pae, 0x100000000ull));
#endif

	char buf[8];

	assert_string_equal(pt_prot_string(PT_WRITE | PT_GLOBAL, buf), "rw--g-");
	assert_string_equal(pt_prot_string(PT_EXEC | PT_USER | PT_NOCACHE, buf), "r-xu-c");
	assert_string_equal(mm_strerror(-MM_EEXIST), "EEXIST");
	assert_string_equal(mm_strerror(MM_ENOMEM), "ENOMEM");
}

/* pt_map_one() fills lock-free where the table exists; pt_zap() keeps tables, pt_prune() frees. */
static void test_map_one_zap_prune(void **state)
{
	const struct pt_format *fmts[] = {
#if VM_TEST_64BIT_VA
		&pt_format_x86_64,
#endif
		&pt_format_i386_pae, &pt_format_i386,
	};

	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(fmts); k++) {
		uintptr_t span = (uintptr_t)1 << fmts[k]->shift[1];
		unsigned x = fmts[k]->nx ? 0 : PT_EXEC;	/* reported where there is no NX */

		start(fmts[k]);
		assert_int_equal(pt_map_one(&sp, span, 0x1000, PT_WRITE | PT_USER), 0);	/* builds */
		uint64_t tables = sp.table_pages;

		reset_tlb();
		assert_int_equal(pt_map_one(&sp, span + PG, 0x2000, PT_USER), 0);
		assert_int_equal(sp.table_pages, tables);
		assert_int_equal(sim_count.tlb_flush_page + sim_count.tlb_flush_all, 0);
		expect_map(&sp, span, 0x1000, PT_WRITE | PT_USER | x, PG);
		expect_map(&sp, span + PG, 0x2000, PT_USER | x, PG);
		assert_int_equal(pt_map_one(&sp, span + PG, 0x3000, PT_USER), -MM_EEXIST);
		expect_map(&sp, span + PG, 0x2000, PT_USER | x, PG);
		assert_int_equal(pt_map_one(&sp, span + 5, 0x3000, PT_USER), -MM_EINVAL);
		assert_int_equal(pt_map_one(&sp, span + 2 * PG, 0x3001, PT_USER), -MM_EINVAL);
		assert_int_equal(pt_check(&sp), 0);

		/* Another table, two spans up; then empty the first without freeing it. */
		assert_int_equal(pt_map_one(&sp, 3 * span, 0x4000, PT_USER), 0);
		tables = sp.table_pages;
		assert_int_equal(pt_zap(&sp, span, 2 * PG, NULL, NULL), 0);
		expect_unmapped(&sp, span);
		expect_unmapped(&sp, span + PG);
		assert_int_equal(sp.table_pages, tables);
		pt_prune(&sp, 0, 4 * span);
		assert_int_equal(sp.table_pages, tables - 1);	/* only the empty one */
		expect_map(&sp, 3 * span, 0x4000, PT_USER | x, PG);
		assert_int_equal(pt_check(&sp), 0);
		unmap_all(&sp);
		finish();
	}
}

struct zap_tally {
	uint64_t pages, calls;
};

static void tally_release(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct zap_tally *t = ctx;

	(void)pa;
	t->pages += size / PG;
	t->calls++;
}

/*
 * pt_zap_spans(): a range of many tables, one absent, zapped with every
 * leaf released once, the tables kept for pt_prune(); with another CPU in
 * the space, one shootdown per full held block, not one per table.
 */
static void test_zap_spans(void **state)
{
	const struct pt_format *fmts[] = {
#if VM_TEST_64BIT_VA
		&pt_format_x86_64,
#endif
		&pt_format_i386_pae, &pt_format_i386,
	};
	enum { SPANS = 8 };

	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(fmts); k++) {
		uintptr_t span = (uintptr_t)1 << fmts[k]->shift[1];
		unsigned entries = (unsigned)(span / PG);
		unsigned other = (plat_cpu_id() + 1) % MM_MAX_CPUS;
		struct zap_tally t = { 0 };

		start(fmts[k]);
		/* Spans 1..SPANS mapped whole but span 3, and a page beyond the range. */
		for (unsigned i = 1; i <= SPANS; i++)
			if (i != 3)
				assert_int_equal(pt_map(&sp, i * span, 0x100000, span, PT_USER, 0), 0);
		assert_int_equal(pt_map(&sp, (SPANS + 1) * span, 0x1000, PG, PT_USER, 0), 0);
		uint64_t tables = sp.table_pages;

		pt_space_cpu_enter(&sp, other);	/* its TLB may hold the space: leaves wait */
		sim_count.tlb_shootdown = 0;
		assert_int_equal(pt_zap_spans(&sp, span, SPANS * span, tally_release, &t), 0);
		assert_int_equal(t.pages, (uint64_t)(SPANS - 1) * entries);
		assert_int_equal(t.calls, t.pages);
		unsigned per_flush = (unsigned)((PAGE_SIZE << PT_GATHER_ORDER) /
						sizeof(struct pt_freed)) / entries;
		assert_int_equal(sim_count.tlb_shootdown, (SPANS - 1 + per_flush - 1) / per_flush);
		assert_true(sim_count.tlb_shootdown < SPANS - 1);
		for (unsigned i = 1; i <= SPANS; i++) {
			expect_unmapped(&sp, i * span);
			expect_unmapped(&sp, (i + 1) * span - PG);
		}
		expect_map(&sp, (SPANS + 1) * span, 0x1000, PT_USER | (fmts[k]->nx ? 0 : PT_EXEC), PG);
		assert_int_equal(sp.table_pages, tables);
		pt_space_cpu_leave(&sp, other);
		/* Nothing left in the range: a second zap releases nothing. */
		assert_int_equal(pt_zap_spans(&sp, span, SPANS * span, tally_release, &t), 0);
		assert_int_equal(t.pages, (uint64_t)(SPANS - 1) * entries);
		assert_int_equal(pt_zap_spans(&sp, span, 5, tally_release, &t), -MM_EINVAL);
		pt_prune(&sp, span, SPANS * span);
		assert_true(sp.table_pages <= tables - (SPANS - 1));
		assert_int_equal(pt_check(&sp), 0);
		unmap_all(&sp);
		finish();
	}
}

#if VM_TEST_64BIT_VA
/* --- map and translate ------------------------------------------------------------- */

static void test_map_4k(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 0x400000, 0x1234000, 3 * PG, PT_WRITE, 0), 0);
	/* root + PDPT + PD + PT */
	assert_int_equal(sp.table_pages, 4);
	assert_int_equal(sim_free_frames(), free0 - 4);
	for (unsigned i = 0; i < 3; i++)
		expect_map(&sp, 0x400000 + i * PG, 0x1234000 + i * PG, PT_WRITE, PG);
	expect_map(&sp, 0x401abc, 0x1235abc, PT_WRITE, PG);
	expect_unmapped(&sp, 0x3ff000);
	expect_unmapped(&sp, 0x403000);
	expect_unmapped(&sp, 0x400000 + GiB);
	expect_unmapped(&sp, 0x0000800000000000ull);	/* non-canonical */

	/* Every protection bit round-trips. */
	unsigned prots[] = { 0, PT_WRITE, PT_EXEC, PT_USER, PT_GLOBAL, PT_NOCACHE,
			     PT_WRITE | PT_EXEC | PT_USER | PT_GLOBAL | PT_NOCACHE };

	for (unsigned i = 0; i < ARRAY_SIZE(prots); i++) {
		uintptr_t va = 0x800000 + i * PG;

		assert_int_equal(pt_map(&sp, va, 0x9000 * (i + 1), PG, prots[i], 0), 0);
		expect_map(&sp, va, 0x9000 * (i + 1), prots[i], PG);
	}
	/* Preset accessed/dirty are reported. */
	unsigned p;

	assert_int_equal(pt_map(&sp, 0x900000, 0x5000, PG, PT_ACCESSED | PT_DIRTY, 0), 0);
	assert_true(pt_translate(&sp, 0x900000, NULL, &p, NULL));
	assert_int_equal(p, PT_ACCESSED | PT_DIRTY);

	/* Upper half, and the very last page of the address space. */
	assert_int_equal(pt_map(&sp, UPPER, 0x7000, PG, PT_GLOBAL, 0), 0);
	assert_int_equal(pt_map(&sp, TOP_PG, 0x8000, PG, 0, 0), 0);
	expect_map(&sp, UPPER + 5, 0x7005, PT_GLOBAL, PG);
	expect_map(&sp, UINTPTR_MAX, 0x8fff, 0, PG);
	assert_int_equal(pt_check(&sp), 0);
	unmap_all(&sp);
	assert_int_equal(sp.table_pages, 1);
	finish();
}

static void test_map_large(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));

	(void)state;
	start(&pt_format_x86_64);
	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one leaf of each size. */
	uint64_t len = GiB + 2 * MiB + PG;

	assert_int_equal(pt_map(&sp, GiB, 4 * GiB, len, PT_WRITE, PT_MAP_LARGE), 0);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 3);
	assert_int_equal(ls->l[0].size, GiB);
	assert_int_equal(ls->l[1].size, 2 * MiB);
	assert_int_equal(ls->l[2].size, PG);
	assert_int_equal(ls->bytes, len);
	expect_map(&sp, GiB + 12345, 4 * GiB + 12345, PT_WRITE, GiB);
	expect_map(&sp, 2 * GiB + 0x100000, 5 * GiB + 0x100000, PT_WRITE, 2 * MiB);
	expect_map(&sp, 2 * GiB + 2 * MiB, 5 * GiB + 2 * MiB, PT_WRITE, PG);
	/* root, PDPT, PD (for the 2 MiB leaf), PT (for the 4 KiB one) */
	assert_int_equal(sp.table_pages, 4);
	unmap_all(&sp);

	/* Unaligned start: 4 KiB pages up to the 2 MiB boundary, then large. */
	assert_int_equal(pt_map(&sp, 2 * MiB - PG, 2 * MiB - PG, 4 * MiB + PG, 0, PT_MAP_LARGE), 0);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 3);
	assert_int_equal(ls->l[0].size, PG);
	assert_int_equal(ls->l[1].size, 2 * MiB);
	assert_int_equal(ls->l[2].size, 2 * MiB);
	unmap_all(&sp);

	/* pa not aligned like va: no large page is possible. */
	assert_int_equal(pt_map(&sp, 2 * MiB, 2 * MiB + PG, 2 * MiB, 0, PT_MAP_LARGE), 0);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 512);
	unmap_all(&sp);

	/* Without PT_MAP_LARGE, 4 KiB pages only. */
	assert_int_equal(pt_map(&sp, 2 * MiB, 2 * MiB, 2 * MiB, 0, 0), 0);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 512);
	unmap_all(&sp);

	/* A format copy without 1 GiB pages (a CPU without PDPE1GB) uses 2 MiB ones. */
	struct pt_format no1g = pt_format_x86_64;
	struct pt_space s2;

	no1g.large_levels = 1u << 1;
	assert_int_equal(pt_space_init(&s2, &no1g), 0);
	assert_int_equal(pt_map(&s2, GiB, GiB, GiB, 0, PT_MAP_LARGE), 0);
	vm_leaves(&s2, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 512);
	assert_int_equal(ls->l[0].size, 2 * MiB);
	unmap_all(&s2);
	pt_space_destroy(&s2);
	free(ls);
	finish();
}

static void test_map_exists(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 0x10000, 0x10000, PG, 0, 0), 0);
	uint64_t tables = sp.table_pages, frames = sim_free_frames();

	/* Overlap at the end of a longer range: nothing of it is mapped. */
	assert_int_equal(pt_map(&sp, 0x8000, 0x50000, 9 * PG, 0, 0), -MM_EEXIST);
	for (uintptr_t va = 0x8000; va < 0x11000; va += PG)
		if (va != 0x10000)
			expect_unmapped(&sp, va);
	expect_map(&sp, 0x10000, 0x10000, 0, PG);
	assert_int_equal(sp.table_pages, tables);
	assert_int_equal(sim_free_frames(), frames);

	/* A range that would need new tables before the conflict allocates none. */
	assert_int_equal(pt_map(&sp, 2 * GiB + 0x10000, 0, PG, 0, 0), 0);
	tables = sp.table_pages;
	frames = sim_free_frames();
	assert_int_equal(pt_map(&sp, GiB, 0, GiB + 0x10000 + PG, 0, 0), -MM_EEXIST);
	expect_unmapped(&sp, GiB);
	assert_int_equal(sp.table_pages, tables);
	assert_int_equal(sim_free_frames(), frames);

	/* A large leaf in the way of 4 KiB pages, and 4 KiB pages in the way of a large one. */
	assert_int_equal(pt_map(&sp, 4 * GiB, 4 * GiB, 2 * MiB, 0, PT_MAP_LARGE), 0);
	assert_int_equal(pt_map(&sp, 4 * GiB + 8 * PG, 0, PG, 0, 0), -MM_EEXIST);
	assert_int_equal(pt_map(&sp, 4 * GiB - 2 * MiB, 0, 4 * MiB, 0, PT_MAP_LARGE), -MM_EEXIST);
	expect_unmapped(&sp, 4 * GiB - 2 * MiB);
	assert_int_equal(pt_map(&sp, 0, 0, 2 * MiB, 0, PT_MAP_LARGE), -MM_EEXIST);
	assert_int_equal(pt_check(&sp), 0);
	unmap_all(&sp);
	finish();
}

static void test_map_replace(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));

	(void)state;
	start(&pt_format_x86_64);
	/* 4 KiB over 4 KiB */
	assert_int_equal(pt_map(&sp, 0x10000, 0x10000, 4 * PG, 0, 0), 0);
	assert_int_equal(pt_map(&sp, 0x11000, 0x90000, 2 * PG, PT_WRITE, PT_MAP_REPLACE), 0);
	expect_map(&sp, 0x10000, 0x10000, 0, PG);
	expect_map(&sp, 0x11000, 0x90000, PT_WRITE, PG);
	expect_map(&sp, 0x12000, 0x91000, PT_WRITE, PG);
	expect_map(&sp, 0x13000, 0x13000, 0, PG);
	unmap_all(&sp);

	/* A 2 MiB leaf over a table of 4 KiB leaves: the table goes back. */
	assert_int_equal(pt_map(&sp, 2 * MiB, 0x100000, 16 * PG, 0, 0), 0);
	assert_int_equal(sp.table_pages, 4);
	assert_int_equal(pt_map(&sp, 2 * MiB, 8 * MiB, 2 * MiB, PT_WRITE,
				PT_MAP_LARGE | PT_MAP_REPLACE), 0);
	assert_int_equal(sp.table_pages, 3);
	expect_map(&sp, 2 * MiB + 5 * PG, 8 * MiB + 5 * PG, PT_WRITE, 2 * MiB);
	assert_int_equal(pt_check(&sp), 0);

	/* 4 KiB inside that 2 MiB leaf: it is split, the rest keeps its translation. */
	assert_int_equal(pt_map(&sp, 2 * MiB + 7 * PG, 0x777000, PG, 0, PT_MAP_REPLACE), 0);
	assert_int_equal(sp.table_pages, 4);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 512);
	expect_map(&sp, 2 * MiB + 7 * PG, 0x777000, 0, PG);
	expect_map(&sp, 2 * MiB + 6 * PG, 8 * MiB + 6 * PG, PT_WRITE, PG);
	expect_map(&sp, 4 * MiB - PG, 10 * MiB - PG, PT_WRITE, PG);

	/* A 1 GiB leaf over a PD with tables below: the whole subtree goes. */
	assert_int_equal(pt_map(&sp, 0, 0, GiB, PT_EXEC, PT_MAP_LARGE | PT_MAP_REPLACE), 0);
	assert_int_equal(sp.table_pages, 2);
	expect_map(&sp, 2 * MiB + 7 * PG, 2 * MiB + 7 * PG, PT_EXEC, GiB);

	/* Split a 1 GiB leaf down to 4 KiB for one page: 2 new tables. */
	assert_int_equal(pt_map(&sp, 3 * MiB, 0xabc000, PG, 0, PT_MAP_REPLACE), 0);
	assert_int_equal(sp.table_pages, 4);
	vm_leaves(&sp, 0, GiB, ls);
	assert_int_equal(ls->n, 511 + 512);
	assert_int_equal(ls->bytes, GiB);
	expect_map(&sp, 3 * MiB, 0xabc000, 0, PG);
	expect_map(&sp, 3 * MiB + PG, 3 * MiB + PG, PT_EXEC, PG);
	expect_map(&sp, 5 * MiB, 5 * MiB, PT_EXEC, 2 * MiB);
	assert_int_equal(pt_check(&sp), 0);
	free(ls);
	unmap_all(&sp);
	finish();
}


#endif
/* --- unmap ------------------------------------------------------------------------ */

struct released {
	struct { phys_addr_t pa; uint64_t size; } r[1024];
	unsigned n;
	uint64_t bytes;
};

static void record_release(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct released *rel = ctx;

	if (rel->n < ARRAY_SIZE(rel->r)) {
		rel->r[rel->n].pa = pa;
		rel->r[rel->n].size = size;
	}
	rel->n++;
	rel->bytes += size;
}

#if VM_TEST_64BIT_VA
static void test_unmap_release(void **state)
{
	struct released *rel = calloc(1, sizeof(*rel));

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 0x200000, 0x5000000, 8 * PG, 0, 0), 0);
	assert_int_equal(pt_map(&sp, GiB, 2 * GiB, 2 * MiB, 0, PT_MAP_LARGE), 0);
	/* One range over both, with holes: leaves are released in address order. */
	assert_int_equal(pt_unmap(&sp, 0x201000, GiB + 2 * MiB - 0x201000, record_release, rel), 0);
	assert_int_equal(rel->n, 8);
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(rel->r[i].pa, 0x5001000 + i * PG);
		assert_int_equal(rel->r[i].size, PG);
	}
	assert_int_equal(rel->r[7].pa, 2 * GiB);
	assert_int_equal(rel->r[7].size, 2 * MiB);
	expect_map(&sp, 0x200000, 0x5000000, 0, PG);
	expect_unmapped(&sp, 0x201000);
	/* The PD that held the 2 MiB leaf is gone; the one with 0x200000 stays. */
	assert_int_equal(sp.table_pages, 4);

	/* Unmapping nothing is fine. */
	rel->n = 0;
	assert_int_equal(pt_unmap(&sp, 64 * GiB, GiB, record_release, rel), 0);
	assert_int_equal(rel->n, 0);
	assert_int_equal(pt_unmap(&sp, 0x200000, PG, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1);
	free(rel);
	finish();
}

static void test_unmap_split(void **state)
{
	struct released rel = { .n = 0 };
	struct vm_leaves *ls = calloc(1, sizeof(*ls));

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 2 * MiB, 6 * MiB, 2 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	assert_int_equal(pt_unmap(&sp, 2 * MiB + 10 * PG, 2 * PG, record_release, &rel), 0);
	assert_int_equal(rel.n, 2);
	assert_int_equal(rel.r[0].pa, 6 * MiB + 10 * PG);
	assert_int_equal(rel.r[1].pa, 6 * MiB + 11 * PG);
	assert_int_equal(rel.r[0].size, PG);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 510);
	expect_map(&sp, 2 * MiB + 9 * PG, 6 * MiB + 9 * PG, PT_WRITE, PG);
	expect_unmapped(&sp, 2 * MiB + 10 * PG);
	expect_map(&sp, 2 * MiB + 12 * PG, 6 * MiB + 12 * PG, PT_WRITE, PG);
	unmap_all(&sp);

	/* A 1 GiB leaf cut at both ends by one range: two splits per end. */
	assert_int_equal(pt_map(&sp, GiB, GiB, GiB, 0, PT_MAP_LARGE), 0);
	assert_int_equal(sp.table_pages, 2);
	assert_int_equal(pt_unmap(&sp, GiB + 3 * MiB + PG, 500 * MiB, NULL, NULL), 0);
	vm_leaves(&sp, GiB, 2 * GiB, ls);
	assert_int_equal(ls->bytes, GiB - 500 * MiB);
	assert_int_equal(sp.table_pages, 2 + 1 + 2);	/* PD and two PTs */
	expect_map(&sp, GiB + 3 * MiB, GiB + 3 * MiB, 0, PG);
	expect_map(&sp, GiB + 2 * MiB, GiB + 2 * MiB, 0, PG);
	expect_map(&sp, GiB, GiB, 0, 2 * MiB);
	expect_unmapped(&sp, GiB + 3 * MiB + PG);
	expect_unmapped(&sp, GiB + 503 * MiB);
	expect_map(&sp, GiB + 503 * MiB + PG, GiB + 503 * MiB + PG, 0, PG);
	expect_map(&sp, GiB + 504 * MiB, GiB + 504 * MiB, 0, 2 * MiB);
	assert_int_equal(pt_check(&sp), 0);
	free(ls);
	unmap_all(&sp);
	finish();
}

/* Many mappings spread over every level, unmapped in pieces: every table comes back. */
static void test_reclaim_exact(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	uintptr_t base[] = { 0, 0x7ffffffff000ull - 64 * PG, 512 * GiB, 3 * GiB + 5 * MiB,
			     UPPER, UPPER + 700 * GiB, TOP_PG - 100 * PG };

	for (unsigned i = 0; i < ARRAY_SIZE(base); i++)
		assert_int_equal(pt_map(&sp, base[i], 0x100000 + i * MiB, 65 * PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_map(&sp, 7 * GiB, 7 * GiB, 3 * GiB, 0, PT_MAP_LARGE), 0);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(sim_free_frames(), free0 - sp.table_pages);
	for (unsigned i = 0; i < ARRAY_SIZE(base); i++) {
		assert_int_equal(pt_unmap(&sp, base[i] + 7 * PG, 30 * PG, NULL, NULL), 0);
		assert_int_equal(pt_unmap(&sp, base[i], 7 * PG, NULL, NULL), 0);
		assert_int_equal(pt_check(&sp), 0);
		assert_int_equal(pt_unmap(&sp, base[i] + 37 * PG, 28 * PG, NULL, NULL), 0);
		assert_int_equal(pt_check(&sp), 0);
	}
	assert_int_equal(pt_unmap(&sp, 7 * GiB + 4 * MiB, 2 * GiB, NULL, NULL), 0);
	assert_int_equal(pt_unmap(&sp, 6 * GiB, 4 * GiB, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1);
	assert_int_equal(sim_free_frames(), free0 - 1);
	finish();
}

/* --- protect ----------------------------------------------------------------------- */

static void test_protect(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 0x10000, 0x10000, 4 * PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_map(&sp, 0x20000, 0x20000, 4 * PG, PT_WRITE, 0), 0);
	/* Holes between the two runs are skipped. */
	assert_int_equal(pt_protect(&sp, 0x12000, 0x20000, PT_EXEC | PT_USER), 0);
	expect_map(&sp, 0x11000, 0x11000, PT_WRITE, PG);
	expect_map(&sp, 0x12000, 0x12000, PT_EXEC | PT_USER, PG);
	expect_map(&sp, 0x13000, 0x13000, PT_EXEC | PT_USER, PG);
	expect_unmapped(&sp, 0x14000);
	expect_map(&sp, 0x23000, 0x23000, PT_EXEC | PT_USER, PG);

	/* Accessed and dirty survive; they can be set but are never cleared. */
	assert_int_equal(pt_protect(&sp, 0x10000, PG, PT_DIRTY | PT_ACCESSED), 0);
	assert_int_equal(pt_protect(&sp, 0x10000, PG, PT_GLOBAL), 0);
	unsigned p;

	assert_true(pt_translate(&sp, 0x10000, NULL, &p, NULL));
	assert_int_equal(p, PT_GLOBAL | PT_DIRTY | PT_ACCESSED);
	unmap_all(&sp);

	/* Partial protect of a 2 MiB leaf splits it; whole leaves stay large. */
	assert_int_equal(pt_map(&sp, 2 * MiB, 2 * MiB, 4 * MiB, 0, PT_MAP_LARGE), 0);
	assert_int_equal(sp.table_pages, 4 - 1);
	assert_int_equal(pt_protect(&sp, 4 * MiB - PG, 2 * MiB + PG, PT_WRITE), 0);
	assert_int_equal(sp.table_pages, 4);
	expect_map(&sp, 4 * MiB - 2 * PG, 4 * MiB - 2 * PG, 0, PG);
	expect_map(&sp, 4 * MiB - PG, 4 * MiB - PG, PT_WRITE, PG);
	expect_map(&sp, 4 * MiB, 4 * MiB, PT_WRITE, 2 * MiB);
	/* Partial protect to the protection it already has: no split. */
	assert_int_equal(pt_protect(&sp, 4 * MiB + PG, PG, PT_WRITE), 0);
	assert_int_equal(sp.table_pages, 4);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 513);
	assert_int_equal(pt_check(&sp), 0);
	free(ls);
	unmap_all(&sp);
	finish();
}

/* --- running out of memory ---------------------------------------------------------- */

static void test_oom_map(void **state)
{
	struct vm_eaten eat = { 0 };

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, 0x1000, 0x1000, PG, 0, 0), 0);
	/*
	 * [1 TiB - 1 MiB, 1 TiB + 2 GiB + 2 MiB + 4 KiB) with large pages needs 6
	 * tables: PDPT, PD, PT below 1 TiB; PDPT, PD, PT above (two 1 GiB leaves,
	 * one 2 MiB, one 4 KiB). With fewer, nothing changes.
	 */
	uintptr_t va = 2 * 512 * GiB - MiB;
	phys_addr_t pa = GiB - MiB;
	uint64_t len = 2 * GiB + 3 * MiB + PG;

	for (size_t leave = 0; leave < 6; leave++) {
		vm_eat(&eat, leave);
		uint64_t frames = sim_free_frames(), tables = sp.table_pages;

		assert_int_equal(pt_map(&sp, va, pa, len, 0, PT_MAP_LARGE), -MM_ENOMEM);
		assert_int_equal(sim_free_frames(), frames);
		assert_int_equal(sp.table_pages, tables);
		expect_unmapped(&sp, va);
		expect_unmapped(&sp, va + len - PG);
		assert_int_equal(pt_check(&sp), 0);
		vm_uneat(&eat);
	}
	vm_eat(&eat, 6);
	assert_int_equal(pt_map(&sp, va, pa, len, 0, PT_MAP_LARGE), 0);
	assert_int_equal(sim_free_frames(), 0);
	vm_uneat(&eat);
	assert_int_equal(sp.table_pages, 4 + 6);

	/* Replacing: the split needs tables too; without them the old mapping stays. */
	vm_eat(&eat, 1);
	assert_int_equal(pt_map(&sp, va + MiB + GiB + 5 * PG, 0x9000, PG, 0, PT_MAP_REPLACE),
			 -MM_ENOMEM);
	expect_map(&sp, va + MiB + GiB + 5 * PG, 2 * GiB + 5 * PG, 0, GiB);
	vm_uneat_one(&eat);
	assert_int_equal(pt_map(&sp, va + MiB + GiB + 5 * PG, 0x9000, PG, 0, PT_MAP_REPLACE), 0);
	expect_map(&sp, va + MiB + GiB + 5 * PG, 0x9000, 0, PG);
	vm_uneat(&eat);
	assert_int_equal(pt_check(&sp), 0);
	unmap_all(&sp);
	finish();
}

static void test_oom_split(void **state)
{
	struct vm_eaten eat = { 0 };
	struct released rel = { .n = 0 };

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_map(&sp, GiB, 0, GiB, PT_WRITE, PT_MAP_LARGE), 0);
	uint64_t tables = sp.table_pages;

	/* Cutting a 4 KiB hole needs two tables (PD, PT). */
	for (size_t leave = 0; leave < 2; leave++) {
		vm_eat(&eat, leave);
		uint64_t frames = sim_free_frames();

		assert_int_equal(pt_unmap(&sp, GiB + 5 * PG, PG, record_release, &rel), -MM_ENOMEM);
		assert_int_equal(pt_protect(&sp, GiB + 5 * PG, PG, 0), -MM_ENOMEM);
		assert_int_equal(rel.n, 0);
		assert_int_equal(sim_free_frames(), frames);
		assert_int_equal(sp.table_pages, tables);
		expect_map(&sp, GiB + 5 * PG, 5 * PG, PT_WRITE, GiB);
		vm_uneat(&eat);
	}
	/* Unmapping or protecting whole leaves needs nothing. */
	vm_eat(&eat, 0);
	assert_int_equal(pt_protect(&sp, GiB, GiB, PT_EXEC), 0);
	assert_int_equal(pt_protect(&sp, GiB + PG, PG, PT_EXEC), 0);	/* unchanged */
	assert_int_equal(pt_unmap(&sp, 0, 4 * GiB, record_release, &rel), 0);
	assert_int_equal(rel.n, 1);
	vm_uneat(&eat);
	finish();
}

/* --- TLB batching ---------------------------------------------------------------------- */

static void test_tlb_inactive(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	reset_tlb();
	assert_int_equal(pt_map(&sp, 0, 0, 64 * PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_protect(&sp, 0, 64 * PG, 0), 0);
	assert_int_equal(pt_unmap(&sp, 0, 64 * PG, NULL, NULL), 0);
	/* Not the active root and not a kernel space: nothing to flush. */
	assert_int_equal(sim_count.tlb_flush_page, 0);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	finish();
}


static void test_tlb_kernel(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	sp.flags |= PT_SPACE_KERNEL;	/* always active, though not the root */
	assert_int_equal(pt_map(&sp, UPPER, 0, 100 * PG, PT_GLOBAL, 0), 0);
	reset_tlb();
	assert_int_equal(pt_protect(&sp, UPPER, 20 * PG, 0), 0);
	assert_int_equal(sim_count.tlb_flush_page, 20);
	/* A full flush drops global translations too: one is enough. */
	assert_int_equal(pt_unmap(&sp, UPPER, 100 * PG, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 20);
	assert_int_equal(sim_count.tlb_flush_all, 1);
	unmap_all(&sp);
	finish();
}

/* --- arguments ------------------------------------------------------------------------ */

static void test_invalid(void **state)
{
	(void)state;
	start(&pt_format_x86_64);
	uint64_t frames = sim_free_frames();
	const struct { uintptr_t va; uint64_t len; } bad[] = {
		{ 0x1001, PG }, { 0x1000, 0x800 }, { 0x1000, 0 }, { TOP_PG, 2 * PG },
		{ 0x0000800000000000ull, PG }, { 0x00007ffffffff000ull, 2 * PG },
		{ 0xffff7ffffffff000ull, 2 * PG },
		{ 0x00007ffffffff000ull, UPPER + PG - 0x00007ffffffff000ull },
		{ 0, UINT64_MAX & PAGE_MASK },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(pt_map(&sp, bad[i].va, 0, bad[i].len, 0, 0), -MM_EINVAL);
		assert_int_equal(pt_unmap(&sp, bad[i].va, bad[i].len, NULL, NULL), -MM_EINVAL);
		assert_int_equal(pt_protect(&sp, bad[i].va, bad[i].len, 0), -MM_EINVAL);
		assert_int_equal(pt_check_range(&sp, bad[i].va, bad[i].len), -MM_EINVAL);
	}
	assert_int_equal(pt_map(&sp, 0, 0x1001, PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&sp, 0, (1ull << 52) - PG, 2 * PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&sp, 0, UINT64_MAX & PAGE_MASK, PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&sp, 0, 0, PG, 0x80, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&sp, 0, 0, PG, 0, 0x4), -MM_EINVAL);
	assert_int_equal(pt_protect(&sp, 0, PG, 0x1000), -MM_EINVAL);
	assert_int_equal(sp.table_pages, 1);
	assert_int_equal(sim_free_frames(), frames);
	/* The edges that are valid. */
	assert_int_equal(pt_map(&sp, 0x00007ffffffff000ull, (1ull << 52) - PG, PG, 0, 0), 0);
	assert_int_equal(pt_map(&sp, TOP_PG, 0, PG, 0, 0), 0);
	unmap_all(&sp);
	finish();
}

/* --- walks ------------------------------------------------------------------------------ */

struct ranges {
	struct pt_range r[16];
	unsigned n;
};

static int collect_range(const struct pt_range *r, void *ctx)
{
	struct ranges *rs = ctx;

	if (rs->n < ARRAY_SIZE(rs->r))
		rs->r[rs->n] = *r;
	rs->n++;
	return 0;
}

static int stop_at_third(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	(void)va, (void)pa, (void)size, (void)prot;
	return ++*(int *)ctx == 3 ? 42 : 0;
}

static void test_walk_ranges(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));
	struct ranges rs = { .n = 0 };

	(void)state;
	start(&pt_format_x86_64);
	/* contiguous 4 KiB + 2 MiB + 4 KiB with one prot: one range */
	assert_int_equal(pt_map(&sp, 2 * MiB - 2 * PG, 2 * MiB - 2 * PG, 2 * MiB + 3 * PG, PT_WRITE,
				PT_MAP_LARGE), 0);
	/* then a different prot, then a physical discontinuity, then upper half */
	assert_int_equal(pt_map(&sp, 4 * MiB + PG, 4 * MiB + PG, PG, 0, 0), 0);
	assert_int_equal(pt_map(&sp, 4 * MiB + 2 * PG, 0x9000000, PG, 0, 0), 0);
	assert_int_equal(pt_map(&sp, UPPER, 0, PG, PT_GLOBAL, 0), 0);
	/* dirty does not split a range */
	assert_int_equal(pt_protect(&sp, 2 * MiB - PG, PG, PT_WRITE | PT_DIRTY), 0);

	pt_walk_ranges(&sp, 0, UINTPTR_MAX, collect_range, &rs);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.r[0].va, 2 * MiB - 2 * PG);
	assert_int_equal(rs.r[0].len, 2 * MiB + 3 * PG);
	assert_int_equal(rs.r[0].prot, PT_WRITE);
	assert_int_equal(rs.r[1].va, 4 * MiB + PG);
	assert_int_equal(rs.r[2].pa, 0x9000000);
	assert_int_equal(rs.r[3].va, UPPER);
	assert_int_equal(rs.r[3].prot, PT_GLOBAL);

	/* Leaves overlapping [start, end) are reported whole, in order. */
	vm_leaves(&sp, 2 * MiB + 5, 2 * MiB + 6, ls);
	assert_int_equal(ls->n, 1);
	assert_int_equal(ls->l[0].va, 2 * MiB);
	assert_int_equal(ls->l[0].size, 2 * MiB);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 7);
	for (size_t i = 1; i < ls->n; i++)
		assert_true(ls->l[i].va > ls->l[i - 1].va);
	vm_leaves(&sp, 0x0000800000000000ull, UPPER, ls);	/* the hole */
	assert_int_equal(ls->n, 0);
	vm_leaves(&sp, 5, 5, ls);
	assert_int_equal(ls->n, 0);

	int count = 0;

	assert_int_equal(pt_walk(&sp, 0, UINTPTR_MAX, stop_at_third, &count), 42);
	assert_int_equal(count, 3);
	free(ls);
	unmap_all(&sp);
	finish();
}

/* --- spaces ---------------------------------------------------------------------------- */

static void test_share_kernel(void **state)
{
	struct pt_space user;

	(void)state;
	start(&pt_format_x86_64);
	sp.flags |= PT_SPACE_KERNEL;
	assert_int_equal(pt_map(&sp, UPPER, 0x100000, 4 * PG, PT_WRITE | PT_GLOBAL, 0), 0);
	assert_int_equal(pt_space_init(&user, &pt_format_x86_64), 0);
	assert_int_equal(pt_map(&user, 0x400000, 0x200000, PG, PT_USER, 0), 0);
	uint64_t ktables = sp.table_pages;

	assert_int_equal(pt_space_share_kernel(&user, &sp, 0, 512), -MM_EEXIST);
	assert_int_equal(pt_space_share_kernel(&user, &sp, 256, 257), -MM_EINVAL);
	assert_int_equal(pt_space_share_kernel(&user, &user, 256, 1), -MM_EINVAL);
	assert_int_equal(sp.table_pages, ktables);
	assert_int_equal(pt_space_share_kernel(&user, &sp, 256, 256), 0);
	/* Every kernel slot got a PDPT (one existed). */
	assert_int_equal(sp.table_pages, ktables + 255);
	assert_int_equal(pt_space_share_kernel(&user, &sp, 256, 256), -MM_EINVAL);

	/* The user space sees kernel mappings, including later ones. */
	expect_map(&user, UPPER + PG, 0x101000, PT_WRITE | PT_GLOBAL, PG);
	assert_int_equal(pt_map(&sp, UPPER + 300 * GiB, 0x300000, PG, 0, 0), 0);
	expect_map(&user, UPPER + 300 * GiB, 0x300000, 0, PG);
	/* ... but may not change them. */
	assert_int_equal(pt_map(&user, UPPER + 8 * PG, 0, PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_unmap(&user, UPPER, PG, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_protect(&user, UPPER, PG, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&user, 0x401000, 0, PG, 0, 0), 0);

	/* Emptying a pinned slot keeps its PDPT; the tables below go. */
	assert_int_equal(pt_unmap(&sp, UPPER, 1ull << 47, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1 + 256);
	expect_unmapped(&user, UPPER);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_check(&user), 0);

	/* A kernel space's changes are flushed even when another root is active. */
	plat_set_pt_root(user.root);
	assert_int_equal(pt_map(&sp, UPPER, 0, PG, 0, 0), 0);
	reset_tlb();
	assert_int_equal(pt_unmap(&sp, UPPER, PG, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 1);

	/* The active space may not be destroyed. */
	pt_space_destroy(&user);
	assert_int_not_equal(user.root, 0);
	plat_set_pt_root(0);
	assert_int_equal(pt_unmap(&user, 0, 1ull << 47, NULL, NULL), 0);
	pt_space_destroy(&user);	/* leaves the shared tables alone */
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(sim_free_frames(), free0 - sp.table_pages);
	finish();
}


/* --- copying between spaces ------------------------------------------------------------- */

/* What a pt_copy_range() callback saw, and what it decided. */
struct copy_log {
	unsigned calls, copied;
	uint64_t bytes;			/* of the leaves copied */
	struct vm_leaf l[64];		/* the first leaves offered */
	uintptr_t skip_va;		/* leave out the leaf at this address (0: none) */
	unsigned fail_at;		/* fail the call with this number, from 1 (0: never) */
	bool clean;			/* clear accessed and dirty in the copies */
};

static int log_copy(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned *prot, void *ctx)
{
	struct copy_log *cl = ctx;
	unsigned n = cl->calls++;

	if (n < ARRAY_SIZE(cl->l))
		cl->l[n] = (struct vm_leaf){ va, pa, size, *prot };
	if (cl->fail_at && cl->calls == cl->fail_at)
		return -MM_EFAULT;
	if (cl->skip_va && va == cl->skip_va)
		return PT_COPY_SKIP;
	if (cl->clean)
		*prot &= ~(unsigned)(PT_ACCESSED | PT_DIRTY);
	cl->copied++;
	cl->bytes += size;
	return 0;
}

/* The exact PT_* bits of @va, accessed and dirty included. */
static unsigned prot_of(const struct pt_space *s, uintptr_t va)
{
	unsigned p = ~0u;

	assert_true(pt_translate(s, va, NULL, &p, NULL));
	return p;
}

/* The end of a copy test: both spaces consistent (if @check), torn down, no frame leaked. */
static void copy_done(struct pt_space *d, bool check)
{
	if (check) {
		assert_int_equal(pt_check(&sp), 0);
		assert_int_equal(pt_check(d), 0);
	}
	unmap_all(d);
	pt_space_destroy(d);
	unmap_all(&sp);
	finish();
}

static void test_copy_4k(void **state)
{
	struct pt_space d;
	struct copy_log cl = { .clean = true };
	const unsigned rw = PT_WRITE | PT_USER;
	const uintptr_t va0 = 4 * MiB - 8 * PG;	/* 16 pages across a page-table boundary */

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_space_init(&d, &pt_format_x86_64), 0);
	assert_int_equal(pt_map(&sp, va0, 0x100000, 16 * PG, rw | PT_ACCESSED | PT_DIRTY, 0), 0);
	assert_int_equal(pt_map(&sp, va0 + 17 * PG, 0x200000, PG, PT_USER, 0), 0);	/* a hole before */
	assert_int_equal(pt_map(&sp, va0 - PG, 0x300000, PG, rw, 0), 0);	/* outside the range */
	uint64_t stables = sp.table_pages;

	/* Copy-on-write: both sides read-only; the read-only page is copied as it is. */
	assert_int_equal(pt_copy_range(&d, &sp, va0, 18 * PG, PT_COPY_COW, log_copy, &cl), 0);
	assert_int_equal(cl.calls, 17);
	assert_int_equal(cl.copied, 17);
	assert_int_equal(cl.bytes, 17 * PG);
	assert_int_equal(cl.l[0].va, va0);
	assert_int_equal(cl.l[0].pa, 0x100000);
	assert_int_equal(cl.l[0].size, PG);
	assert_int_equal(cl.l[0].prot, rw | PT_ACCESSED | PT_DIRTY);	/* the source's, as it was */
	assert_int_equal(cl.l[16].va, va0 + 17 * PG);
	for (unsigned i = 0; i < 16; i++) {
		expect_map(&d, va0 + i * PG, 0x100000 + i * PG, PT_USER, PG);
		assert_int_equal(prot_of(&d, va0 + i * PG), PT_USER);	/* cleaned by the callback */
		assert_int_equal(prot_of(&sp, va0 + i * PG), PT_USER | PT_ACCESSED | PT_DIRTY);
	}
	expect_unmapped(&d, va0 + 16 * PG);
	expect_map(&d, va0 + 17 * PG, 0x200000, PT_USER, PG);
	expect_map(&sp, va0 + 17 * PG, 0x200000, PT_USER, PG);
	expect_unmapped(&d, va0 - PG);
	expect_map(&sp, va0 - PG, 0x300000, rw, PG);
	assert_int_equal(d.table_pages, 5);	/* root, PDPT, PD, two PTs */
	assert_int_equal(sp.table_pages, stables);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_check(&d), 0);

	/* Again: every copy would land on a mapping; nothing is offered or changed. */
	uint64_t frames = sim_free_frames();

	memset(&cl, 0, sizeof(cl));
	assert_int_equal(pt_copy_range(&d, &sp, va0 - PG, 19 * PG, PT_COPY_COW, log_copy, &cl),
			 -MM_EEXIST);
	assert_int_equal(cl.calls, 0);
	expect_map(&sp, va0 - PG, 0x300000, rw, PG);
	assert_int_equal(d.table_pages, 5);
	assert_int_equal(sim_free_frames(), frames);

	/* Into a table of the destination that has other entries; no callback: copied as is. */
	assert_int_equal(pt_map(&d, va0 - 2 * PG, 0x400000, PG, 0, 0), 0);
	assert_int_equal(pt_copy_range(&d, &sp, va0 - PG, PG, 0, NULL, NULL), 0);
	expect_map(&d, va0 - PG, 0x300000, rw, PG);
	expect_map(&sp, va0 - PG, 0x300000, rw, PG);
	expect_map(&d, va0 - 2 * PG, 0x400000, 0, PG);
	assert_int_equal(d.table_pages, 5);

	/* A skipped leaf is left alone on both sides, and no empty table is left behind. */
	assert_int_equal(pt_map(&sp, 8 * GiB, 0x500000, 2 * PG, PT_WRITE, 0), 0);
	frames = sim_free_frames();
	memset(&cl, 0, sizeof(cl));
	cl.skip_va = 8 * GiB;
	assert_int_equal(pt_copy_range(&d, &sp, 8 * GiB, PG, PT_COPY_COW, log_copy, &cl), 0);
	assert_int_equal(cl.calls, 1);
	assert_int_equal(cl.copied, 0);
	assert_int_equal(d.table_pages, 5);
	assert_int_equal(sim_free_frames(), frames);
	expect_map(&sp, 8 * GiB, 0x500000, PT_WRITE, PG);
	assert_int_equal(pt_check(&d), 0);
	memset(&cl, 0, sizeof(cl));
	cl.skip_va = 8 * GiB;
	assert_int_equal(pt_copy_range(&d, &sp, 8 * GiB, 2 * PG, PT_COPY_COW, log_copy, &cl), 0);
	assert_int_equal(cl.calls, 2);
	expect_unmapped(&d, 8 * GiB);
	expect_map(&d, 8 * GiB + PG, 0x501000, 0, PG);
	expect_map(&sp, 8 * GiB, 0x500000, PT_WRITE, PG);
	expect_map(&sp, 8 * GiB + PG, 0x501000, 0, PG);
	assert_int_equal(d.table_pages, 7);

	/* A source range with tables but no leaves in it: nothing to do, nothing made. */
	frames = sim_free_frames();
	assert_int_equal(pt_copy_range(&d, &sp, 8 * GiB + 2 * PG, MiB, 0, NULL, NULL), 0);
	assert_int_equal(pt_copy_range(&d, &sp, 9 * GiB, GiB, 0, NULL, NULL), 0);
	assert_int_equal(sim_free_frames(), frames);

	/* The callback's error stops the copy; what was copied before stays copied. */
	assert_int_equal(pt_map(&sp, 16 * GiB, 0x600000, 4 * PG, PT_WRITE, 0), 0);
	memset(&cl, 0, sizeof(cl));
	cl.fail_at = 3;
	assert_int_equal(pt_copy_range(&d, &sp, 16 * GiB, 4 * PG, PT_COPY_COW, log_copy, &cl),
			 -MM_EFAULT);
	assert_int_equal(cl.calls, 3);
	expect_map(&d, 16 * GiB + PG, 0x601000, 0, PG);
	expect_unmapped(&d, 16 * GiB + 2 * PG);
	expect_map(&sp, 16 * GiB + PG, 0x601000, 0, PG);
	expect_map(&sp, 16 * GiB + 2 * PG, 0x602000, PT_WRITE, PG);
	copy_done(&d, true);
}

static void test_copy_large(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));
	struct copy_log cl = { 0 };
	struct pt_space d;

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_space_init(&d, &pt_format_x86_64), 0);
	/* 1 GiB + 2 MiB + 4 KiB, aligned: one leaf of each size, copied as they are. */
	assert_int_equal(pt_map(&sp, GiB, 4 * GiB, GiB + 2 * MiB + PG, PT_WRITE, PT_MAP_LARGE), 0);
	uint64_t stables = sp.table_pages;

	assert_int_equal(pt_copy_range(&d, &sp, GiB, GiB + 2 * MiB + PG, 0, log_copy, &cl), 0);
	assert_int_equal(cl.calls, 3);
	assert_int_equal(cl.l[0].size, GiB);
	assert_int_equal(cl.l[1].size, 2 * MiB);
	assert_int_equal(cl.l[2].size, PG);
	vm_leaves(&d, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 3);
	assert_int_equal(ls->bytes, GiB + 2 * MiB + PG);
	expect_map(&d, GiB + 12345, 4 * GiB + 12345, PT_WRITE, GiB);
	expect_map(&d, 2 * GiB + MiB, 5 * GiB + MiB, PT_WRITE, 2 * MiB);
	expect_map(&d, 2 * GiB + 2 * MiB, 5 * GiB + 2 * MiB, PT_WRITE, PG);
	assert_int_equal(d.table_pages, 4);
	unmap_all(&d);

	/*
	 * Part of the 1 GiB leaf, cut inside 2 MiB pieces at both ends, without
	 * copy-on-write: the copy gets the leaves a split would give, and the
	 * source is not split.
	 */
	uintptr_t va = GiB + 2 * MiB - PG;
	uint64_t len = 4 * MiB + 2 * PG;

	memset(&cl, 0, sizeof(cl));
	assert_int_equal(pt_copy_range(&d, &sp, va, len, 0, log_copy, &cl), 0);
	assert_int_equal(cl.calls, 4);
	vm_leaves(&d, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 4);
	assert_int_equal(ls->l[0].size, PG);
	assert_int_equal(ls->l[1].size, 2 * MiB);
	assert_int_equal(ls->l[2].size, 2 * MiB);
	assert_int_equal(ls->l[3].size, PG);
	assert_int_equal(ls->bytes, len);
	expect_map(&d, va, 4 * GiB + 2 * MiB - PG, PT_WRITE, PG);
	expect_map(&d, va + PG, 4 * GiB + 2 * MiB, PT_WRITE, 2 * MiB);
	expect_map(&d, va + len - PG, 4 * GiB + 6 * MiB, PT_WRITE, PG);
	assert_int_equal(d.table_pages, 5);	/* root, PDPT, PD, two PTs */
	assert_int_equal(sp.table_pages, stables);
	expect_map(&sp, va, 4 * GiB + 2 * MiB - PG, PT_WRITE, GiB);
	unmap_all(&d);

	/* The same with copy-on-write: the source is split as far as needed, only the range loses write. */
	assert_int_equal(pt_copy_range(&d, &sp, va, len, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, stables + 3);	/* a PD for the 1 GiB leaf, two PTs */
	expect_map(&sp, va - PG, 4 * GiB + 2 * MiB - 2 * PG, PT_WRITE, PG);
	expect_map(&sp, va, 4 * GiB + 2 * MiB - PG, 0, PG);
	expect_map(&sp, va + PG, 4 * GiB + 2 * MiB, 0, 2 * MiB);
	expect_map(&sp, va + len - PG, 4 * GiB + 6 * MiB, 0, PG);
	expect_map(&sp, va + len, 4 * GiB + 6 * MiB + PG, PT_WRITE, PG);
	expect_map(&sp, GiB + 8 * MiB, 4 * GiB + 8 * MiB, PT_WRITE, 2 * MiB);
	vm_leaves(&d, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, 4);
	expect_map(&d, va + PG, 4 * GiB + 2 * MiB, 0, 2 * MiB);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_check(&d), 0);
	vm_leaves(&sp, GiB, 2 * GiB, ls);
	assert_int_equal(ls->bytes, GiB);

	/* A read-only large leaf is not split, copy-on-write or not. */
	assert_int_equal(pt_map(&sp, 8 * GiB, 8 * GiB, 2 * MiB, 0, PT_MAP_LARGE), 0);
	stables = sp.table_pages;
	assert_int_equal(pt_copy_range(&d, &sp, 8 * GiB + PG, PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, stables);
	expect_map(&d, 8 * GiB + PG, 8 * GiB + PG, 0, PG);

	/* A large leaf where the destination has a table, and the other way round: conflicts. */
	uint64_t frames = sim_free_frames();

	assert_int_equal(pt_copy_range(&d, &sp, 8 * GiB, 2 * MiB, 0, NULL, NULL), -MM_EEXIST);
	assert_int_equal(pt_map(&d, 10 * GiB, 0, 2 * MiB, 0, PT_MAP_LARGE), 0);
	assert_int_equal(pt_map(&sp, 10 * GiB + PG, 0x100000, PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_map(&sp, 10 * GiB + MiB, 0x200000, PG, PT_WRITE, 0), 0);
	frames = sim_free_frames();
	assert_int_equal(pt_copy_range(&d, &sp, 10 * GiB, 2 * MiB, PT_COPY_COW, NULL, NULL),
			 -MM_EEXIST);
	expect_map(&sp, 10 * GiB + PG, 0x100000, PT_WRITE, PG);
	/* ... but a part of the source's table with nothing in it is no conflict. */
	assert_int_equal(pt_copy_range(&d, &sp, 10 * GiB + 2 * PG, 4 * PG, 0, NULL, NULL), 0);
	assert_int_equal(sim_free_frames(), frames);
	expect_map(&d, 10 * GiB + 3 * PG, 3 * PG, 0, 2 * MiB);
	assert_int_equal(pt_check(&d), 0);

	free(ls);
	copy_done(&d, false);
}

static void test_copy_oom(void **state)
{
	struct vm_eaten eat = { 0 };
	struct copy_log cl = { 0 };
	struct pt_space d;

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_space_init(&d, &pt_format_x86_64), 0);
	/* Across a 1 GiB boundary: the copy needs a PDPT, two PDs and two PTs. */
	assert_int_equal(pt_map(&sp, GiB - PG, 0x100000, 2 * PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_map(&sp, GiB + 4 * MiB, 0x200000, PG, PT_WRITE, 0), 0);	/* not copied */

	for (size_t leave = 0; leave < 5; leave++) {
		vm_eat(&eat, leave);
		uint64_t frames = sim_free_frames();

		assert_int_equal(pt_copy_range(&d, &sp, GiB - PG, 2 * PG, PT_COPY_COW, log_copy, &cl),
				 -MM_ENOMEM);
		assert_int_equal(cl.calls, 0);
		assert_int_equal(sim_free_frames(), frames);
		assert_int_equal(d.table_pages, 1);
		expect_map(&sp, GiB - PG, 0x100000, PT_WRITE, PG);
		expect_unmapped(&d, GiB - PG);
		assert_int_equal(pt_check(&d), 0);
		vm_uneat(&eat);
	}
	vm_eat(&eat, 5);
	assert_int_equal(pt_copy_range(&d, &sp, GiB - PG, 2 * PG, PT_COPY_COW, log_copy, &cl), 0);
	assert_int_equal(sim_free_frames(), 0);
	vm_uneat(&eat);
	assert_int_equal(cl.copied, 2);
	assert_int_equal(d.table_pages, 6);
	expect_map(&d, GiB, 0x101000, 0, PG);
	expect_map(&sp, GiB, 0x101000, 0, PG);
	unmap_all(&d);

	/* Copy-on-write of part of a writable large leaf: the source's split needs a table too. */
	assert_int_equal(pt_map(&sp, 4 * GiB, 4 * GiB, 2 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	uint64_t stables = sp.table_pages;

	for (size_t leave = 0; leave < 4; leave++) {
		vm_eat(&eat, leave);
		uint64_t frames = sim_free_frames();

		assert_int_equal(pt_copy_range(&d, &sp, 4 * GiB + PG, PG, PT_COPY_COW, NULL, NULL),
				 -MM_ENOMEM);
		assert_int_equal(sim_free_frames(), frames);
		assert_int_equal(d.table_pages, 1);
		assert_int_equal(sp.table_pages, stables);
		expect_map(&sp, 4 * GiB + PG, 4 * GiB + PG, PT_WRITE, 2 * MiB);
		vm_uneat(&eat);
	}
	vm_eat(&eat, 4);
	assert_int_equal(pt_copy_range(&d, &sp, 4 * GiB + PG, PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(sim_free_frames(), 0);
	vm_uneat(&eat);
	assert_int_equal(sp.table_pages, stables + 1);
	expect_map(&sp, 4 * GiB + PG, 4 * GiB + PG, 0, PG);
	expect_map(&sp, 4 * GiB, 4 * GiB, PT_WRITE, PG);
	expect_map(&d, 4 * GiB + PG, 4 * GiB + PG, 0, PG);
	copy_done(&d, true);
}

static void test_copy_tlb(void **state)
{
	struct pt_space d;

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_space_init(&d, &pt_format_x86_64), 0);
	assert_int_equal(pt_map(&sp, 0x100000, 0x100000, 100 * PG, PT_WRITE, 0), 0);
	assert_int_equal(pt_map(&sp, 0x200000, 0x200000, 10 * PG, 0, 0), 0);
	plat_set_pt_root(sp.root);
	reset_tlb();
	/* The source is active: only taking write permission away needs invalidations. */
	assert_int_equal(pt_copy_range(&d, &sp, 0x200000, 10 * PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(pt_copy_range(&d, &sp, 0x100000, 10 * PG, 0, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page + sim_count.tlb_flush_all, 0);
	/* One per page up to the batch size, then one flush of everything. */
	assert_int_equal(pt_copy_range(&d, &sp, 0x10a000, 10 * PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 10);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	reset_tlb();
	assert_int_equal(pt_copy_range(&d, &sp, 0x114000, PT_TLB_BATCH * PG, PT_COPY_COW, NULL,
				       NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, PT_TLB_BATCH);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	reset_tlb();
	assert_int_equal(pt_copy_range(&d, &sp, 0x134000, (PT_TLB_BATCH + 1) * PG, PT_COPY_COW,
				       NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 0);
	assert_int_equal(sim_count.tlb_flush_all, 1);
	/* An active destination: holes filled, nothing to flush. */
	plat_set_pt_root(d.root);
	reset_tlb();
	assert_int_equal(pt_copy_range(&d, &sp, 0x155000, 15 * PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page + sim_count.tlb_flush_all, 0);
	plat_set_pt_root(0);
	for (uintptr_t va = 0x100000; va < 0x164000; va += PG)
		expect_map(&d, va, va, va < 0x10a000 ? PT_WRITE : 0, PG);
	copy_done(&d, false);
}

static void test_copy_invalid(void **state)
{
	struct pt_space d, e;
	uint64_t frames;

	(void)state;
	start(&pt_format_x86_64);
	assert_int_equal(pt_space_init(&d, &pt_format_x86_64), 0);
	assert_int_equal(pt_space_init(&e, &pt_format_i386), 0);
	assert_int_equal(pt_map(&sp, 0x10000, 0x10000, PG, PT_WRITE, 0), 0);
	frames = sim_free_frames();
	assert_int_equal(pt_copy_range(&sp, &sp, 0x10000, PG, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&e, &sp, 0x10000, PG, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, 0x10000, PG, 0x80, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, 0x10001, PG, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, 0x10000, 0, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, 0x10000, PG + 1, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, TOP_PG, 2 * PG, 0, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_copy_range(&d, &sp, 0x00007ffffffff000ull, 2 * PG, 0, NULL, NULL),
			 -MM_EINVAL);
	assert_int_equal(sim_free_frames(), frames);
	assert_int_equal(d.table_pages, 1);
	expect_map(&sp, 0x10000, 0x10000, PT_WRITE, PG);
	pt_space_destroy(&e);
	pt_space_destroy(&d);
	unmap_all(&sp);
	finish();
}

/* i386: the root holds 4 MiB leaves; a cut one is copied as 4 KiB pages. */

#endif
static void test_copy_i386(void **state)
{
	struct pt_space d;

	(void)state;
	start(&pt_format_i386);
	assert_int_equal(pt_space_init(&d, &pt_format_i386), 0);
	assert_int_equal(pt_map(&sp, 0xc0000000, 0x800000, 8 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	assert_int_equal(pt_copy_range(&d, &sp, 0xc0400000, 4 * MiB, PT_COPY_COW, NULL, NULL), 0);
	expect_map(&d, 0xc0400000, 0xc00000, PT_EXEC, 4 * MiB);
	expect_map(&sp, 0xc0400000, 0xc00000, PT_EXEC, 4 * MiB);
	assert_int_equal(d.table_pages, 1);
	assert_int_equal(pt_copy_range(&d, &sp, 0xc0001000, 2 * PG, PT_COPY_COW, NULL, NULL), 0);
	expect_map(&d, 0xc0001000, 0x801000, PT_EXEC, PG);
	expect_map(&d, 0xc0002000, 0x802000, PT_EXEC, PG);
	expect_unmapped(&d, 0xc0003000);
	expect_map(&sp, 0xc0001000, 0x801000, PT_EXEC, PG);
	expect_map(&sp, 0xc0003000, 0x803000, PT_WRITE | PT_EXEC, PG);
	assert_int_equal(d.table_pages, 2);
	assert_int_equal(sp.table_pages, 2);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_check(&d), 0);
	assert_int_equal(pt_unmap(&d, 0, 1ull << 32, NULL, NULL), 0);
	pt_space_destroy(&d);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	finish();
}

/*
 * PT_COPY_EMPTY (fork into a new space), PAE: copied in batches, the later ones
 * partly into a page table an earlier batch made, give what one copy gives;
 * a batch over a hole of such a table copies nothing and leaves no table.
 */
static void test_copy_empty(void **state)
{
	struct pt_space d, e;
	const uintptr_t va0 = 4 * MiB - 20 * PG;	/* 100 pages across a page-table boundary */
	const unsigned ef = PT_COPY_EMPTY | PT_COPY_COW;

	(void)state;
	start(&pt_format_i386_pae);
	assert_int_equal(pt_space_init(&d, &pt_format_i386_pae), 0);
	assert_int_equal(pt_space_init(&e, &pt_format_i386_pae), 0);
	assert_int_equal(pt_map(&sp, va0, 0x1000000, 50 * PG, PT_WRITE | PT_USER, 0), 0);
	assert_int_equal(pt_map(&sp, va0 + 60 * PG, 0x2000000, 40 * PG, PT_USER, 0), 0);
	/* e: in one go, checked; d: in batches, unchecked. */
	assert_int_equal(pt_copy_range(&e, &sp, va0, 100 * PG, PT_COPY_COW, NULL, NULL), 0);
	assert_int_equal(pt_copy_range(&d, &sp, va0, 10 * PG, ef, NULL, NULL), 0);
	assert_int_equal(pt_copy_range(&d, &sp, va0 + 10 * PG, 40 * PG, ef, NULL, NULL), 0);
	uint64_t tables = d.table_pages, frames = sim_free_frames();

	assert_int_equal(pt_copy_range(&d, &sp, va0 + 50 * PG, 10 * PG, ef, NULL, NULL), 0);
	assert_int_equal(d.table_pages, tables);		/* the hole: nothing, no table */
	assert_int_equal(sim_free_frames(), frames);
	assert_int_equal(pt_copy_range(&d, &sp, va0 + 60 * PG, 40 * PG, ef, NULL, NULL), 0);
	for (unsigned i = 0; i < 100; i++) {
		uintptr_t va = va0 + i * PG;

		if (i >= 50 && i < 60) {
			expect_unmapped(&d, va);
			continue;
		}
		phys_addr_t pa = i < 50 ? 0x1000000 + i * PG : 0x2000000 + (i - 60) * PG;

		expect_map(&d, va, pa, PT_USER, PG);
		expect_map(&e, va, pa, PT_USER, PG);
		expect_map(&sp, va, pa, PT_USER, PG);	/* write-protected */
	}
	assert_int_equal(d.table_pages, e.table_pages);
	assert_int_equal(pt_check(&d), 0);
	assert_int_equal(pt_check(&e), 0);
	assert_int_equal(pt_unmap(&d, 0, 1ull << 32, NULL, NULL), 0);
	assert_int_equal(pt_unmap(&e, 0, 1ull << 32, NULL, NULL), 0);
	pt_space_destroy(&d);
	pt_space_destroy(&e);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	finish();
}

/* --- other formats ---------------------------------------------------------------------- */

static void test_i386(void **state)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));
	struct released rel = { .n = 0 };

	(void)state;
	start(&pt_format_i386);
	assert_int_equal(pt_map(&sp, 0x400000, 0x1000000, 3 * PG, PT_WRITE, 0), 0);
	assert_int_equal(sp.table_pages, 2);
	/* No NX: every mapping is executable. */
	expect_map(&sp, 0x401000, 0x1001000, PT_WRITE | PT_EXEC, PG);
	/* 4 MiB pages, and the top of the 4 GiB address space. */
	assert_int_equal(pt_map(&sp, 0xc0000000, 0x800000, 8 * MiB + PG, 0, PT_MAP_LARGE), 0);
	vm_leaves(&sp, 0xc0000000, 0xd0000000, ls);
	assert_int_equal(ls->n, 3);
	assert_int_equal(ls->l[0].size, 4 * MiB);
	expect_map(&sp, 0xc0123456, 0x923456, PT_EXEC, 4 * MiB);
	assert_int_equal(pt_map(&sp, 0xfffff000, 0xfffff000, PG, 0, 0), 0);
	expect_map(&sp, 0xffffffff, 0xffffffff, PT_EXEC, PG);
#if VM_TEST_64BIT_VA
	/* Beyond 32 bits: no such address or frame. */
	assert_int_equal(pt_map(&sp, 0x100000000ull, 0, PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&sp, 0, 0x100000000ull, PG, 0, 0), -MM_EINVAL);
	expect_unmapped(&sp, 0x100000000ull + 0x400000);
#endif
	/* Split a 4 MiB page. */
	assert_int_equal(pt_unmap(&sp, 0xc0001000, PG, record_release, &rel), 0);
	assert_int_equal(rel.n, 1);
	assert_int_equal(rel.r[0].pa, 0x801000);
	vm_leaves(&sp, 0xc0000000, 0xc0400000, ls);
	assert_int_equal(ls->n, 1023);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1);
	free(ls);
	finish();
}

/*
 * A retired space (its last user gone): no CPU may load it again, so an
 * unmap clears entries with plain stores and releases every leaf at once,
 * in order, flushing nothing. A space this CPU runs on is not retired.
 */
static void retire_check(const struct pt_format *f)
{
	struct released *rel = calloc(1, sizeof(*rel));
	const unsigned n = 600;		/* more than a PAE or x86_64 page table holds */

	start(f);
	assert_int_equal(pt_map(&sp, 0x400000, 0x1000000, n * PG, PT_WRITE, 0), 0);
	plat_set_pt_root(sp.root);
	pt_space_retire(&sp);
	assert_false(sp.flags & PT_SPACE_RETIRED);
	plat_set_pt_root(0);
	pt_space_retire(&sp);
	assert_true(sp.flags & PT_SPACE_RETIRED);
	reset_tlb();
	assert_int_equal(pt_unmap(&sp, 0x400000, n * PG, record_release, rel), 0);
	assert_int_equal(rel->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(rel->r[i].pa, 0x1000000 + (uint64_t)i * PG);
		assert_int_equal(rel->r[i].size, PG);
	}
	assert_int_equal(sim_count.tlb_flush_page, 0);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	for (unsigned i = 0; i < n; i += 97)
		expect_unmapped(&sp, 0x400000 + (uintptr_t)i * PG);
	assert_int_equal(sp.table_pages, 1);
	free(rel);
	finish();
}

static void test_retire(void **state)
{
	(void)state;
#if VM_TEST_64BIT_VA
	retire_check(&pt_format_x86_64);
#endif
	retire_check(&pt_format_i386);
	retire_check(&pt_format_i386_pae);
}

static void test_pae(void **state)
{
	(void)state;
	start(&pt_format_i386_pae);
	assert_int_equal(pt_map(&sp, 0xc0000000, 0x200000000ull, 2 * MiB + PG, PT_WRITE,
				PT_MAP_LARGE), 0);
	expect_map(&sp, 0xc0000000, 0x200000000ull, PT_WRITE, 2 * MiB);
	expect_map(&sp, 0xc0200000, 0x200200000ull, PT_WRITE, PG);
	/* Root entries (PDPTEs) carry the present bit and the address only. */
	uint64_t pdpte = ((uint64_t *)plat_phys_to_virt(sp.root))[3];

	assert_int_equal(pdpte & 0xfff, 1);
	/* NX works in PAE. */
	assert_int_equal(pt_map(&sp, 0x1000, 0x1000, PG, PT_EXEC, 0), 0);
	expect_map(&sp, 0x1000, 0x1000, PT_EXEC, PG);
	assert_int_equal(pt_map(&sp, 0xfffff000, 0, 2 * PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1);
	finish();
}

/*
 * The kernel half of a 32-bit kernel at 0xC0000000: page-directory slots
 * 768..1023 in two-level paging, PDPT slot 3 with PAE. A user space sees the
 * kernel's mappings, later ones too, and cannot change them.
 */
static void share_kernel_32(const struct pt_format *f, unsigned first, unsigned new_tables)
{
	struct pt_space user;
	unsigned slots = 1u << f->index_bits[f->levels - 1];
	unsigned x = f->nx ? 0 : PT_EXEC;	/* two-level paging has no NX */

	start(f);
	sp.flags |= PT_SPACE_KERNEL;
	assert_int_equal(pt_map(&sp, 0xc0000000, 0x100000, 4 * PG, PT_WRITE | PT_GLOBAL, 0), 0);
	assert_int_equal(pt_space_init(&user, f), 0);
	assert_int_equal(pt_map(&user, 0x400000, 0x200000, PG, PT_USER, 0), 0);
	uint64_t ktables = sp.table_pages;

	assert_int_equal(pt_space_share_kernel(&user, &sp, first, slots - first), 0);
	assert_int_equal(sp.table_pages, ktables + new_tables);
	expect_map(&user, 0xc0001000, 0x101000, PT_WRITE | PT_GLOBAL | x, PG);
	assert_int_equal(pt_map(&sp, 0xf0000000, 0x300000, PG, 0, 0), 0);
	expect_map(&user, 0xf0000000, 0x300000, x, PG);
	assert_int_equal(pt_map(&user, 0xc0008000, 0, PG, 0, 0), -MM_EINVAL);
	assert_int_equal(pt_unmap(&user, 0xc0000000, PG, NULL, NULL), -MM_EINVAL);
	assert_int_equal(pt_protect(&user, 0xc0000000, PG, 0), -MM_EINVAL);
	assert_int_equal(pt_map(&user, 0xbffff000, 0, PG, PT_USER, 0), 0);	/* the last user page */
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_check(&user), 0);
	assert_int_equal(pt_unmap(&user, 0, 0xc0000000, NULL, NULL), 0);
	pt_space_destroy(&user);	/* leaves the shared tables alone */
	expect_map(&sp, 0xf0000000, 0x300000, x, PG);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(sim_free_frames(), free0 - sp.table_pages);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	finish();
}

static void test_share_kernel_i386(void **state)
{
	(void)state;
	share_kernel_32(&pt_format_i386, 768, 255);	/* a page table for every kernel slot */
	share_kernel_32(&pt_format_i386_pae, 3, 0);	/* its page directory existed */
}

/* Out of memory in the 32-bit formats: a map needing @need tables fails whole until it has them. */
static void oom_map_32(const struct pt_format *f, uintptr_t va, unsigned need)
{
	struct vm_eaten eat = { 0 };
	uint64_t len = 2 * PG;

	start(f);
	assert_int_equal(pt_map(&sp, 0x1000, 0x1000, PG, 0, 0), 0);
	for (size_t leave = 0; leave < need; leave++) {
		vm_eat(&eat, leave);
		uint64_t frames = sim_free_frames(), tables = sp.table_pages;

		assert_int_equal(pt_map(&sp, va, 0x5000, len, PT_WRITE, 0), -MM_ENOMEM);
		assert_int_equal(sim_free_frames(), frames);
		assert_int_equal(sp.table_pages, tables);
		expect_unmapped(&sp, va);
		expect_unmapped(&sp, va + PG);
		assert_int_equal(pt_check(&sp), 0);
		vm_uneat(&eat);
	}
	vm_eat(&eat, need);
	assert_int_equal(pt_map(&sp, va, 0x5000, len, PT_WRITE, 0), 0);
	assert_int_equal(sim_free_frames(), 0);
	vm_uneat(&eat);
	expect_map(&sp, va + PG, 0x6000, PT_WRITE | (f->nx ? 0 : PT_EXEC), PG);
	assert_int_equal(pt_check(&sp), 0);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	finish();
}

static void test_oom_map_i386(void **state)
{
	(void)state;
	oom_map_32(&pt_format_i386, 8 * MiB - PG, 2);		/* two page tables */
	oom_map_32(&pt_format_i386_pae, GiB - PG, 3);	/* a PT below 1 GiB; a PD and a PT above */
}

/* TLB invalidations batched the same way in every format. */
static void tlb_batching(const struct pt_format *f)
{
	start(f);
	plat_set_pt_root(sp.root);
	reset_tlb();
	/* Filling not-present entries flushes nothing. */
	assert_int_equal(pt_map(&sp, 0x100000, 0, 100 * PG, PT_WRITE, 0), 0);
	assert_int_equal(sim_count.tlb_flush_page + sim_count.tlb_flush_all, 0);

	/* Restricting: one invalidation per changed page up to the batch size. */
	assert_int_equal(pt_protect(&sp, 0x100000, 10 * PG, 0), 0);
	assert_int_equal(sim_count.tlb_flush_page, 10);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	reset_tlb();
	assert_int_equal(pt_protect(&sp, 0x100000, 10 * PG, 0), 0);	/* no change */
	assert_int_equal(sim_count.tlb_flush_page + sim_count.tlb_flush_all, 0);
	/* Every page changes (U is new to all; two-level paging has no NX to clear). */
	assert_int_equal(pt_protect(&sp, 0x100000, PT_TLB_BATCH * PG, PT_WRITE | PT_USER), 0);
	assert_int_equal(sim_count.tlb_flush_page, PT_TLB_BATCH);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	reset_tlb();
	assert_int_equal(pt_protect(&sp, 0x100000, (PT_TLB_BATCH + 1) * PG, 0), 0);
	assert_int_equal(sim_count.tlb_flush_page, 0);
	assert_int_equal(sim_count.tlb_flush_all, 1);

	/* Unmapping: the same rule. */
	reset_tlb();
	assert_int_equal(pt_unmap(&sp, 0x100000, PG, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 1);
	assert_int_equal(pt_unmap(&sp, 0x101000, PT_TLB_BATCH * PG, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 1 + PT_TLB_BATCH);
	assert_int_equal(sim_count.tlb_flush_all, 0);
	assert_int_equal(pt_unmap(&sp, 0, GiB, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_all, 1);
	assert_int_equal(sim_count.tlb_flush_page, 1 + PT_TLB_BATCH);

	/* A large leaf is one invalidation. */
	assert_int_equal(pt_map(&sp, 0, 0, 8 * MiB, 0, PT_MAP_LARGE), 0);
	reset_tlb();
	assert_int_equal(pt_unmap(&sp, 0, 8 * MiB, NULL, NULL), 0);
	assert_int_equal(sim_count.tlb_flush_page, 8 * MiB >> f->shift[1]);	/* 2 or 4 MiB leaves */

	/* Replacing a mapping flushes the old one. */
	assert_int_equal(pt_map(&sp, 0, 0, PG, 0, 0), 0);
	reset_tlb();
	assert_int_equal(pt_map(&sp, 0, PG, PG, 0, PT_MAP_REPLACE), 0);
	assert_int_equal(sim_count.tlb_flush_page, 1);
	plat_set_pt_root(0);
	unmap_all(&sp);
	finish();
}

static void test_tlb_batching(void **state)
{
	(void)state;
#if VM_TEST_64BIT_VA
	tlb_batching(&pt_format_x86_64);
#endif
	tlb_batching(&pt_format_i386_pae);
	tlb_batching(&pt_format_i386);
}

/* A partial protect splits a large leaf (2 MiB with PAE, 4 MiB two-level); a whole one stays large. */
static void protect_split(const struct pt_format *f)
{
	struct vm_leaves *ls = calloc(1, sizeof(*ls));
	uint64_t L = 1ull << f->shift[1];
	unsigned x = f->nx ? 0 : PT_EXEC;

	start(f);
	assert_int_equal(pt_map(&sp, L, L, 2 * L, 0, PT_MAP_LARGE), 0);
	uint64_t tables = sp.table_pages;

	assert_int_equal(pt_protect(&sp, 2 * L - PG, L + PG, PT_WRITE), 0);
	assert_int_equal(sp.table_pages, tables + 1);
	expect_map(&sp, 2 * L - 2 * PG, 2 * L - 2 * PG, x, PG);
	expect_map(&sp, 2 * L - PG, 2 * L - PG, PT_WRITE | x, PG);
	expect_map(&sp, 2 * L, 2 * L, PT_WRITE | x, L);
	assert_int_equal(pt_protect(&sp, 2 * L + PG, PG, PT_WRITE), 0);	/* no change: no split */
	assert_int_equal(sp.table_pages, tables + 1);
	vm_leaves(&sp, 0, UINTPTR_MAX, ls);
	assert_int_equal(ls->n, L / PG + 1);
	assert_int_equal(pt_check(&sp), 0);
	free(ls);
	assert_int_equal(pt_unmap(&sp, 0, 1ull << 32, NULL, NULL), 0);
	finish();
}

static void test_protect_split_i386(void **state)
{
	(void)state;
	protect_split(&pt_format_i386_pae);
	protect_split(&pt_format_i386);
}

/* --- random operations against a model, every format ------------------------------------ */

#define MODEL_PAGES	4096	/* 16 MiB of address space */

struct model {
	uint64_t page[MODEL_PAGES];	/* 0, or pa | prot << 1 | 1 */
};

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void model_check(const struct model *m, uintptr_t base, const struct pt_format *f)
{
	for (unsigned i = 0; i < MODEL_PAGES; i++) {
		phys_addr_t pa;
		unsigned prot;
		bool mapped = pt_translate(&sp, base + i * PG, &pa, &prot, NULL);

		assert_int_equal(mapped, m->page[i] & 1);
		if (!mapped)
			continue;
		unsigned want = (unsigned)(m->page[i] >> 1) & 0x7ff;

		if (!f->nx)
			want |= PT_EXEC;
		assert_int_equal(pa, m->page[i] & PAGE_MASK);
		assert_int_equal(prot, want);
	}
}

static void random_ops(const struct pt_format *f, uintptr_t base)
{
	static struct model m;
	uint64_t large = 1ull << f->shift[1];

	start(f);
	memset(&m, 0, sizeof(m));
	for (unsigned op = 0; op < 3000; op++) {
		unsigned first = rnd() % MODEL_PAGES;
		unsigned left = MODEL_PAGES - first;
		unsigned n = 1 + rnd() % (rnd() % 4 == 0 ? left : MM_MIN(64u, left));
		unsigned prot = rnd() % 8 & (PT_WRITE | PT_EXEC | PT_USER);
		uintptr_t va = base + first * PG;
		phys_addr_t pa = (rnd() % 2 ? va - base : (rnd() % 1024) * PG) + 64 * MiB;
		unsigned kind = rnd() % 3;
		bool any = false;

		n = MM_MIN(n, MODEL_PAGES - first);
		for (unsigned i = 0; i < n; i++)
			any |= m.page[first + i] & 1;
		if (kind == 0) {
			unsigned flags = (rnd() % 2 ? PT_MAP_LARGE : 0) |
					 (rnd() % 3 == 0 ? PT_MAP_REPLACE : 0);
			int r = pt_map(&sp, va, pa, n * PG, prot, flags);

			if (any && !(flags & PT_MAP_REPLACE)) {
				assert_int_equal(r, -MM_EEXIST);
				continue;
			}
			assert_int_equal(r, 0);
			for (unsigned i = 0; i < n; i++)
				m.page[first + i] = (pa + i * PG) | (uint64_t)prot << 1 | 1;
		} else if (kind == 1) {
			assert_int_equal(pt_unmap(&sp, va, n * PG, NULL, NULL), 0);
			memset(&m.page[first], 0, n * sizeof(m.page[0]));
		} else {
			assert_int_equal(pt_protect(&sp, va, n * PG, prot), 0);
			for (unsigned i = 0; i < n; i++)
				if (m.page[first + i] & 1)
					m.page[first + i] = (m.page[first + i] & PAGE_MASK) |
							    (uint64_t)prot << 1 | 1;
		}
		if (op % 50 == 0 || n > 64) {
			model_check(&m, base, f);
			assert_int_equal(pt_check(&sp), 0);
		}
	}
	model_check(&m, base, f);
	(void)large;
	assert_int_equal(pt_unmap(&sp, base, MODEL_PAGES * PG, NULL, NULL), 0);
	assert_int_equal(sp.table_pages, 1);
	finish();
}

#if VM_TEST_64BIT_VA
static void test_random_x86_64(void **state)
{
	(void)state;
	random_ops(&pt_format_x86_64, 2 * 512 * GiB - 8 * MiB);	/* across a PML4 boundary */
}
#endif

static void test_random_i386(void **state)
{
	(void)state;
	random_ops(&pt_format_i386, 0xc0000000 - 8 * MiB);
}

static void test_random_pae(void **state)
{
	(void)state;
	random_ops(&pt_format_i386_pae, 0x80000000 - 8 * MiB);
}

/* --- lockless translation while another thread changes the space ---------------------------- */

static int stop_flag, mutator_errors;

/* Maps, splits and unmaps 2 MiB pieces next to the range being translated. */
static void *mutator(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !__atomic_load_n(&stop_flag, __ATOMIC_RELAXED) && i < 20000; i++) {
		uintptr_t va = 64 * MiB + (i % 64) * 2 * MiB;

		if (pt_map(&sp, va, va, 2 * MiB, PT_WRITE, i % 2 ? PT_MAP_LARGE : 0) ||
		    pt_protect(&sp, va + PG, PG, 0) || pt_unmap(&sp, va, 2 * MiB, NULL, NULL))
			mutator_errors++;
	}
	return NULL;
}

static void test_concurrent_translate(void **state)
{
	pthread_t t;

	(void)state;
	start(VM_NATIVE_FORMAT);
	assert_int_equal(pt_map(&sp, 0, 0x100000, 2 * MiB, PT_WRITE, 0), 0);
	stop_flag = mutator_errors = 0;
	assert_int_equal(pthread_create(&t, NULL, mutator, NULL), 0);
	for (unsigned i = 0; i < 200000; i++) {
		phys_addr_t pa;
		uintptr_t va = (i * 7919 % 512) * PG;

		assert_true(pt_translate(&sp, va, &pa, NULL, NULL));
		assert_int_equal(pa, 0x100000 + va);
	}
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	assert_int_equal(mutator_errors, 0);
	unmap_all(&sp);
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
#if VM_TEST_64BIT_VA
		cmocka_unit_test(test_map_4k),
		cmocka_unit_test(test_map_large),
		cmocka_unit_test(test_map_exists),
		cmocka_unit_test(test_map_replace),
		cmocka_unit_test(test_unmap_release),
		cmocka_unit_test(test_unmap_split),
		cmocka_unit_test(test_reclaim_exact),
		cmocka_unit_test(test_protect),
		cmocka_unit_test(test_oom_map),
		cmocka_unit_test(test_oom_split),
		cmocka_unit_test(test_tlb_inactive),
		cmocka_unit_test(test_tlb_kernel),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_walk_ranges),
		cmocka_unit_test(test_share_kernel),
		cmocka_unit_test(test_copy_4k),
		cmocka_unit_test(test_copy_large),
		cmocka_unit_test(test_copy_oom),
		cmocka_unit_test(test_copy_tlb),
		cmocka_unit_test(test_copy_invalid),
#endif
		cmocka_unit_test(test_copy_i386),
		cmocka_unit_test(test_copy_empty),
		cmocka_unit_test(test_i386),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_retire),
		cmocka_unit_test(test_share_kernel_i386),
		cmocka_unit_test(test_oom_map_i386),
		cmocka_unit_test(test_tlb_batching),
		cmocka_unit_test(test_protect_split_i386),
#if VM_TEST_64BIT_VA
		cmocka_unit_test(test_random_x86_64),
#endif
		cmocka_unit_test(test_random_i386),
		cmocka_unit_test(test_random_pae),
		cmocka_unit_test(test_concurrent_translate),
		cmocka_unit_test(test_map_one_zap_prune),
		cmocka_unit_test(test_zap_spans),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
