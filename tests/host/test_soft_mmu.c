// SPDX-License-Identifier: MIT
/*
 * Tests of the software MMU against tables built by the page-table engine:
 * every protection rule of the x86 hardware (present, R/W with CR0.WP, U/S,
 * NX with EFER.NXE, SMEP, SMAP with EFLAGS.AC), reserved bits, accessed and
 * dirty bits, page-fault error codes, and faults reaching the portable fault
 * path, including a fault routine that maps the page so the access succeeds.
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
#include "tests/host/vm_test_util.h"

#define K	SMMU_KERNEL
#define U	SMMU_USER
#define R	SMMU_READ
#define W	SMMU_WRITE
#define X	SMMU_FETCH
#define FAULT(ec)	(SMMU_FAULT | (ec))

static struct vm_space vs;
static struct smmu mmu;
static uint64_t free0;
static phys_addr_t frames[1024];	/* frames the test mapped, freed by finish() */
static unsigned nframes;

static void start(const struct pt_format *fmt, vm_fault_fn fault)
{
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	free0 = sim_free_frames();
	nframes = 0;
	assert_int_equal(vm_space_init(&vs, fmt, fault, NULL), 0);
	smmu_init(&mmu, &vs.pt);
	mmu.vs = &vs;
}

/* Unmap everything, free the frames the test took: every frame is back. */
static void finish(void)
{
	struct pt_space *s = &vs.pt;

	assert_int_equal(pt_unmap(s, 0, 1ull << 32, NULL, NULL), 0);
#if VM_TEST_64BIT_VA
	if (s->fmt->va_sign_extend) {
		assert_int_equal(pt_unmap(s, 1ull << 32, 0x7fff00000000ull, NULL, NULL), 0);
		assert_int_equal(pt_unmap(s, 0xffff800000000000ull, 1ull << 47, NULL, NULL), 0);
	}
#endif
	assert_int_equal(vs.pt.table_pages, 1);
	assert_int_equal(pt_check(&vs.pt), 0);
	vm_space_destroy(&vs);
	while (nframes)
		pmm_free_pages(frames[--nframes], 0);
	assert_int_equal(sim_free_frames(), free0);
}

static phys_addr_t take_frame(void)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);

	if (pa != PMM_NO_FRAME) {
		assert_true(nframes < ARRAY_SIZE(frames));
		frames[nframes++] = pa;
	}
	return pa;
}

/* Map one fresh zeroed frame at @va. */
static phys_addr_t map_frame(uintptr_t va, unsigned prot)
{
	phys_addr_t pa = take_frame();

	assert_true(pa != PMM_NO_FRAME);
	assert_int_equal(pt_map(&vs.pt, va, pa, PG, prot, 0), 0);
	return pa;
}

/* Where the entry of @level for @va lives (the tables must exist down to it). */
static void *entry_at(const struct pt_space *s, uintptr_t va, unsigned level)
{
	const struct pt_format *f = s->fmt;
	phys_addr_t t = s->root;

	for (unsigned l = f->levels - 1;; l--) {
		unsigned i = (unsigned)(va >> f->shift[l]) & ((1u << f->index_bits[l]) - 1);
		uint8_t *e = (uint8_t *)plat_phys_to_virt(t) + i * f->entry_size;

		if (l == level)
			return e;
		t = (f->entry_size == 8 ? *(uint64_t *)e : *(uint32_t *)e) & f->addr_mask;
	}
}

static uint64_t entry_get(uintptr_t va, unsigned level)
{
	void *e = entry_at(&vs.pt, va, level);

	return vs.pt.fmt->entry_size == 8 ? *(uint64_t *)e : *(uint32_t *)e;
}

static void entry_put(uintptr_t va, unsigned level, uint64_t v)
{
	void *e = entry_at(&vs.pt, va, level);

	if (vs.pt.fmt->entry_size == 8)
		*(uint64_t *)e = v;
	else
		*(uint32_t *)e = (uint32_t)v;
}

/* --- data goes where the tables say ------------------------------------------------- */

static void test_read_write(void **state)
{
	uint64_t v = 0;
	phys_addr_t pa;

	(void)state;
	start(VM_NATIVE_FORMAT, NULL);
	pa = map_frame(0x400000, PT_WRITE);
	assert_int_equal(smmu_write64(&mmu, 0x400008, K, 0x1122334455667788ull), 0);
	assert_int_equal(*(uint64_t *)plat_phys_to_virt(pa + 8), 0x1122334455667788ull);
	assert_int_equal(smmu_read64(&mmu, 0x400008, K, &v), 0);
	assert_int_equal(v, 0x1122334455667788ull);

	/* Across a page boundary into a second, non-contiguous frame. */
	phys_addr_t pa2 = map_frame(0x401000, PT_WRITE);

	assert_int_equal(smmu_write64(&mmu, 0x400ffc, K, 0xaabbccdd11223344ull), 0);
	assert_int_equal(*(uint32_t *)plat_phys_to_virt(pa + 0xffc), 0x11223344);
	assert_int_equal(*(uint32_t *)plat_phys_to_virt(pa2), 0xaabbccdd);
	assert_int_equal(smmu_read64(&mmu, 0x400ffc, K, &v), 0);
	assert_int_equal(v, 0xaabbccdd11223344ull);

	/* If the second page faults, nothing is written to the first. */
	assert_int_equal(smmu_write64(&mmu, 0x401ffc, K, ~0ull), -MM_EFAULT);
	assert_int_equal(mmu.cr2, 0x402000);
	assert_int_equal(mmu.error_code, PF_W);
	assert_int_equal(*(uint32_t *)plat_phys_to_virt(pa2 + 0xffc), 0);

	/* A large page. */
	assert_int_equal(pt_map(&vs.pt, 2 * GiB, 0, 2 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	assert_int_equal(smmu_write64(&mmu, 2 * GiB + 0x12340, K, 42), 0);
	assert_int_equal(*(uint64_t *)plat_phys_to_virt(0x12340), 42);
	assert_int_equal(pt_unmap(&vs.pt, 2 * GiB, 2 * MiB, NULL, NULL), 0);

	/* Mapped beyond simulated RAM; non-canonical. */
	assert_int_equal(pt_map(&vs.pt, 3 * GiB, 1ull << 40, PG, 0, 0), 0);
	assert_int_equal(smmu_read64(&mmu, 3 * GiB, K, &v), -MM_EIO);
	assert_int_equal(pt_unmap(&vs.pt, 3 * GiB, PG, NULL, NULL), 0);
#if VM_TEST_64BIT_VA
	assert_int_equal(smmu_read64(&mmu, 0x0000800000000000ull, K, &v), -MM_EFAULT);
	assert_int_equal(mmu.error_code, SMMU_GP);
#endif
	finish();
}

/* --- the protection rules, as a table -------------------------------------------------- */

struct rule {
	unsigned prot;
	enum smmu_mode mode;
	enum smmu_access acc;
	uint32_t want;		/* 0 or FAULT(error code) */
};

/* With WP, NXE, SMEP and SMAP on and AC off (Intel SDM 4.6). */
static const struct rule rules[] = {
	/* supervisor page, kernel */
	{ 0, K, R, 0 },
	{ 0, K, W, FAULT(PF_P | PF_W) },		/* WP: read-only binds the kernel */
	{ 0, K, X, FAULT(PF_P | PF_I) },		/* NX */
	{ PT_WRITE, K, W, 0 },
	{ PT_EXEC, K, X, 0 },
	{ PT_WRITE | PT_EXEC, K, X, 0 },
	/* supervisor page, user */
	{ PT_WRITE | PT_EXEC, U, R, FAULT(PF_P | PF_U) },
	{ PT_WRITE | PT_EXEC, U, W, FAULT(PF_P | PF_W | PF_U) },
	{ PT_WRITE | PT_EXEC, U, X, FAULT(PF_P | PF_U | PF_I) },
	/* user page, user */
	{ PT_USER, U, R, 0 },
	{ PT_USER, U, W, FAULT(PF_P | PF_W | PF_U) },
	{ PT_USER, U, X, FAULT(PF_P | PF_U | PF_I) },
	{ PT_USER | PT_WRITE, U, W, 0 },
	{ PT_USER | PT_EXEC, U, X, 0 },
	/* user page, kernel: SMAP and SMEP */
	{ PT_USER | PT_WRITE | PT_EXEC, K, R, FAULT(PF_P) },
	{ PT_USER | PT_WRITE | PT_EXEC, K, W, FAULT(PF_P | PF_W) },
	{ PT_USER | PT_WRITE | PT_EXEC, K, X, FAULT(PF_P | PF_I) },
};

static void check_rules(const struct pt_format *fmt)
{
	start(fmt, NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];
		uintptr_t va = 0x100000 + i * PG;
		uint32_t want = r->want;
		phys_addr_t pa;

		if (!fmt->nx && r->acc == X)	/* i386: no NX, so only SMEP and U/S apply */
			want = r->prot & PT_USER ? (r->mode == K ? FAULT(PF_P | PF_I) : 0) :
			       (r->mode == U ? FAULT(PF_P | PF_U | PF_I) : 0);
		map_frame(va, r->prot);
		if (smmu_translate(&mmu, va, r->acc, r->mode, &pa) != want)
			fail_msg("%s rule %u: prot %#x mode %d access %d: got %#x, want %#x",
				 fmt->name, i, r->prot, r->mode, r->acc,
				 smmu_translate(&mmu, va, r->acc, r->mode, &pa), want);
		/* Not present: the same error code without P. */
		want = FAULT((r->acc == W ? PF_W : 0) | (r->mode == U ? PF_U : 0) |
			     (r->acc == X ? PF_I : 0));
		assert_int_equal(smmu_translate(&mmu, va + 64 * MiB, r->acc, r->mode, &pa), want);
	}
	finish();
}

#if VM_TEST_64BIT_VA
static void test_rules_x86_64(void **state)
{
	(void)state;
	check_rules(&pt_format_x86_64);
}
#endif

static void test_rules_pae(void **state)
{
	(void)state;
	check_rules(&pt_format_i386_pae);
}

static void test_rules_i386(void **state)
{
	(void)state;
	check_rules(&pt_format_i386);
}

/* --- the control bits ------------------------------------------------------------------- */

static void test_control_bits(void **state)
{
	phys_addr_t pa;

	(void)state;
	start(VM_NATIVE_FORMAT, NULL);
	map_frame(0x1000, 0);				/* kernel, read-only */
	map_frame(0x2000, PT_USER);			/* user, read-only */
	map_frame(0x3000, PT_USER | PT_EXEC);		/* user code */

	/* CR0.WP off: the kernel writes through read-only, user pages included (SMAP aside). */
	mmu.wp = false;
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, K, &pa), 0);
	mmu.smap = false;
	assert_int_equal(smmu_translate(&mmu, 0x2000, W, K, &pa), 0);
	assert_int_equal(smmu_translate(&mmu, 0x2000, W, U, &pa), FAULT(PF_P | PF_W | PF_U));
	mmu.wp = mmu.smap = true;

	/* EFLAGS.AC suspends SMAP for data, not SMEP for fetches. */
	assert_int_equal(smmu_translate(&mmu, 0x2000, R, K, &pa), FAULT(PF_P));
	mmu.ac = true;
	assert_int_equal(smmu_translate(&mmu, 0x2000, R, K, &pa), 0);
	assert_int_equal(smmu_translate(&mmu, 0x2000, W, K, &pa), FAULT(PF_P | PF_W));
	assert_int_equal(smmu_translate(&mmu, 0x3000, X, K, &pa), FAULT(PF_P | PF_I));
	mmu.ac = false;

	/* SMEP off: the kernel may run user code. */
	mmu.smep = false;
	assert_int_equal(smmu_translate(&mmu, 0x3000, X, K, &pa), 0);
	mmu.smep = true;

	/* EFER.NXE off: XD is a reserved bit (the kernel then uses a format without NX). */
	mmu.nxe = false;
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	mmu.smep = false;	/* neither NXE nor SMEP: no I bit */
	assert_int_equal(smmu_translate(&mmu, 0x1000, X, K, &pa), FAULT(PF_P | PF_RSVD));
	finish();

	struct pt_format no_nx = *VM_NATIVE_FORMAT;

	no_nx.nx = 0;
	start(&no_nx, NULL);
	mmu.nxe = false;
	map_frame(0x1000, 0);
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), 0);
	assert_int_equal(smmu_translate(&mmu, 0x1000, X, K, &pa), 0);
	finish();
}

/* --- reserved bits ---------------------------------------------------------------------- */

#if VM_TEST_64BIT_VA
static void test_reserved_bits(void **state)
{
	phys_addr_t pa;
	uint64_t e;

	(void)state;
	start(VM_NATIVE_FORMAT, NULL);
	map_frame(0x1000, PT_WRITE);
	assert_int_equal(pt_map(&vs.pt, GiB, 0, 2 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	assert_int_equal(pt_map(&vs.pt, 4 * GiB, 0, GiB, PT_WRITE, PT_MAP_LARGE), 0);

	/* PS in a PML4 entry. */
	e = entry_get(0x1000, 3);
	entry_put(0x1000, 3, e | 0x80);
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, U, &pa),
			 FAULT(PF_P | PF_RSVD | PF_W | PF_U));
	entry_put(0x1000, 3, e);

	/* Address bits below the alignment of a 2 MiB and a 1 GiB page (PAT bit aside). */
	e = entry_get(GiB, 1);
	entry_put(GiB, 1, e | 0x1000);		/* PAT: allowed */
	assert_int_equal(smmu_translate(&mmu, GiB, R, K, &pa), 0);
	entry_put(GiB, 1, e | 0x2000);
	assert_int_equal(smmu_translate(&mmu, GiB, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(GiB, 1, e);
	e = entry_get(4 * GiB, 2);
	entry_put(4 * GiB, 2, e | 0x20000000);
	assert_int_equal(smmu_translate(&mmu, 4 * GiB, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(4 * GiB, 2, e);

	/* 1 GiB pages on a CPU without them. */
	mmu.large_levels = 1u << 1;
	assert_int_equal(smmu_translate(&mmu, 4 * GiB, R, K, &pa), FAULT(PF_P | PF_RSVD));
	mmu.large_levels = vs.pt.fmt->large_levels;

	/* Physical address bits beyond MAXPHYADDR, in a table entry and a leaf. */
	mmu.maxphyaddr = 40;
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), 0);
	e = entry_get(0x1000, 0);
	entry_put(0x1000, 0, e | (1ull << 45));
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x1000, 0, e);
	e = entry_get(0x1000, 2);
	entry_put(0x1000, 2, e | (1ull << 41));
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x1000, 2, e);
	/* Bits 52-62 are ignored in 4-level paging. */
	e = entry_get(0x1000, 0);
	entry_put(0x1000, 0, e | (0x7ffull << 52));
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), 0);
	finish();

	/* PAE: PDPTEs have no R/W, U/S or XD; bits 52-62 are reserved everywhere. */
	start(&pt_format_i386_pae, NULL);
	map_frame(0x1000, PT_WRITE);
	e = entry_get(0x1000, 2);
	assert_int_equal(e & 0xfff, 1);
	entry_put(0x1000, 2, e | 2);
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x1000, 2, e | (1ull << 63));
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x1000, 2, e);
	e = entry_get(0x1000, 0);
	entry_put(0x1000, 0, e | (1ull << 55));
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x1000, 0, e);
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, K, &pa), 0);
	finish();

	/* i386: a 4 MiB page with address bits 13-21 set. */
	start(&pt_format_i386, NULL);
	assert_int_equal(pt_map(&vs.pt, 0x400000, 0x400000, 4 * MiB, 0, PT_MAP_LARGE), 0);
	e = entry_get(0x400000, 1);
	entry_put(0x400000, 1, e | 0x200000);
	assert_int_equal(smmu_translate(&mmu, 0x400000, R, K, &pa), FAULT(PF_P | PF_RSVD));
	entry_put(0x400000, 1, e);
	assert_int_equal(smmu_translate(&mmu, 0x400000, R, K, &pa), 0);
	finish();
}
#endif

/* --- accessed and dirty ------------------------------------------------------------------ */

static void test_accessed_dirty(void **state)
{
	phys_addr_t pa;

	(void)state;
#if VM_TEST_64BIT_VA
	const struct pt_format *f = &pt_format_x86_64;
	unsigned prot;

	start(f, NULL);
	map_frame(0x1000, PT_WRITE);
	assert_true(pt_translate(&vs.pt, 0x1000, NULL, &prot, NULL));
	assert_int_equal(prot & (PT_ACCESSED | PT_DIRTY), 0);

	/* A fault sets nothing. */
	assert_int_not_equal(smmu_translate(&mmu, 0x1000, R, U, &pa), 0);
	for (unsigned l = 0; l < 4; l++)
		assert_int_equal(entry_get(0x1000, l) & f->accessed, 0);

	/* A read sets accessed at every level, and not dirty. */
	assert_int_equal(smmu_translate(&mmu, 0x1000, R, K, &pa), 0);
	for (unsigned l = 0; l < 4; l++)
		assert_int_not_equal(entry_get(0x1000, l) & f->accessed, 0);
	assert_true(pt_translate(&vs.pt, 0x1000, NULL, &prot, NULL));
	assert_int_equal(prot, PT_WRITE | PT_ACCESSED);

	/* A write sets dirty in the leaf only. */
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, K, &pa), 0);
	assert_true(pt_translate(&vs.pt, 0x1000, NULL, &prot, NULL));
	assert_int_equal(prot, PT_WRITE | PT_ACCESSED | PT_DIRTY);
	for (unsigned l = 1; l < 4; l++)
		assert_int_equal(entry_get(0x1000, l) & f->dirty, 0);

	/* pt_protect keeps both. */
	assert_int_equal(pt_protect(&vs.pt, 0x1000, PG, 0), 0);
	assert_true(pt_translate(&vs.pt, 0x1000, NULL, &prot, NULL));
	assert_int_equal(prot, PT_ACCESSED | PT_DIRTY);

	/* A large leaf gets dirty, and splitting it hands the bits to the small leaves. */
	assert_int_equal(pt_map(&vs.pt, GiB, 0, 2 * MiB, PT_WRITE, PT_MAP_LARGE), 0);
	assert_int_equal(smmu_translate(&mmu, GiB + 5 * PG, W, K, &pa), 0);
	assert_int_not_equal(entry_get(GiB, 1) & f->dirty, 0);
	assert_int_equal(pt_protect(&vs.pt, GiB, PG, 0), 0);
	assert_true(pt_translate(&vs.pt, GiB + 7 * PG, NULL, &prot, NULL));
	assert_int_equal(prot, PT_WRITE | PT_ACCESSED | PT_DIRTY);
	finish();
#endif

	/* PAE PDPTEs have no accessed bit: the MMU leaves them alone. */
	start(&pt_format_i386_pae, NULL);
	map_frame(0x1000, PT_WRITE);
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, K, &pa), 0);
	assert_int_equal(entry_get(0x1000, 2) & 0xfff, 1);
	assert_int_not_equal(entry_get(0x1000, 1) & pt_format_i386_pae.accessed, 0);
	finish();
	/* Two-level paging: both levels get it. */
	start(&pt_format_i386, NULL);
	map_frame(0x1000, PT_WRITE);
	assert_int_equal(smmu_translate(&mmu, 0x1000, W, K, &pa), 0);
	assert_int_not_equal(entry_get(0x1000, 1) & pt_format_i386.accessed, 0);
	assert_int_not_equal(entry_get(0x1000, 0) & pt_format_i386.dirty, 0);
	assert_int_equal(entry_get(0x1000, 1) & pt_format_i386.dirty, 0);
	finish();
}

/* --- the fault path -------------------------------------------------------------------- */

static struct vm_fault last_fault;
static unsigned routine_calls;

static enum vm_fault_result refuse(struct vm_space *space, const struct vm_fault *f)
{
	(void)space;
	last_fault = *f;
	routine_calls++;
	return VM_FAULT_UNRESOLVED;
}

/* Demand paging in miniature: any user address below 1 GiB gets a zeroed frame. */
static enum vm_fault_result demand(struct vm_space *space, const struct vm_fault *f)
{
	uintptr_t va = f->addr & PAGE_MASK;
	phys_addr_t pa;

	last_fault = *f;
	routine_calls++;
	if (f->addr >= GiB || (f->flags & VM_FAULT_PRESENT) || !(f->flags & VM_FAULT_USER))
		return VM_FAULT_UNRESOLVED;
	pa = take_frame();
	if (pa == PMM_NO_FRAME)
		return VM_FAULT_OOM;
	if (pt_map(&space->pt, va, pa, PG, PT_USER | PT_WRITE, 0))
		return VM_FAULT_UNRESOLVED;
	return VM_FAULT_RESOLVED;
}

static enum vm_fault_result liar(struct vm_space *space, const struct vm_fault *f)
{
	(void)space, (void)f;
	routine_calls++;
	return VM_FAULT_RESOLVED;
}

static void test_fault_reaches_routine(void **state)
{
	uint64_t v;
	uint8_t insn[4];

	(void)state;
	start(VM_NATIVE_FORMAT, refuse);
	routine_calls = 0;
	map_frame(0x5000, PT_USER);
	assert_int_equal(smmu_write64(&mmu, 0x5008, U, 1), -MM_EFAULT);
	assert_int_equal(routine_calls, 1);
	assert_int_equal(last_fault.addr, 0x5008);
	assert_int_equal(last_fault.flags, VM_FAULT_PRESENT | VM_FAULT_WRITE | VM_FAULT_USER);
	assert_int_equal(mmu.error_code, PF_P | PF_W | PF_U);
	assert_int_equal(mmu.cr2, 0x5008);

	assert_int_equal(smmu_fetch(&mmu, 0x6000, K, insn, sizeof(insn)), -MM_EFAULT);
	assert_int_equal(last_fault.flags, VM_FAULT_EXEC);
	assert_int_equal(smmu_read64(&mmu, 0x5000, U, &v), 0);
	assert_int_equal(routine_calls, 2);

	/* Reserved-bit faults never reach the routine. */
	entry_put(0x5000, 0, entry_get(0x5000, 0) | (1ull << 51));
	mmu.maxphyaddr = 48;
	assert_int_equal(smmu_read64(&mmu, 0x5000, U, &v), -MM_EFAULT);
	assert_int_equal(mmu.error_code, PF_P | PF_RSVD | PF_U);
	assert_int_equal(routine_calls, 2);
	assert_int_equal(vm_fault_count(&vs), 3);
	entry_put(0x5000, 0, entry_get(0x5000, 0) & ~(1ull << 51));
	finish();
}

static void test_demand_paging(void **state)
{
	uint64_t v = 0;

	(void)state;
	start(VM_NATIVE_FORMAT, demand);
	routine_calls = 0;
	/* The first touch faults, the routine maps a page, the retried write lands. */
	assert_int_equal(smmu_write64(&mmu, 0x7000010, U, 0xfeed), 0);
	assert_int_equal(mmu.faults, 1);
	assert_int_equal(mmu.error_code, PF_W | PF_U);
	assert_int_equal(last_fault.flags, VM_FAULT_WRITE | VM_FAULT_USER);
	assert_int_equal(vm_fault_resolved(&vs), 1);
	assert_int_equal(smmu_read64(&mmu, 0x7000010, U, &v), 0);
	assert_int_equal(v, 0xfeed);
	assert_int_equal(mmu.faults, 1);

	/* An access over two unmapped pages faults twice and succeeds. */
	assert_int_equal(smmu_write64(&mmu, 0x8000ffc, U, 0x0102030405060708ull), 0);
	assert_int_equal(mmu.faults, 3);
	assert_int_equal(smmu_read64(&mmu, 0x8000ffc, U, &v), 0);
	assert_int_equal(v, 0x0102030405060708ull);

	/* What the routine will not resolve stays a fault. */
	assert_int_equal(smmu_read64(&mmu, 2 * GiB, U, &v), -MM_EFAULT);
	assert_int_equal(smmu_read64(&mmu, 0x9000000, K, &v), -MM_EFAULT);
	assert_int_equal(vm_fault_resolved(&vs), 3);

	/* Out of memory in the routine: the access fails, nothing is mapped. */
	struct vm_eaten eat = { 0 };

	vm_eat(&eat, 0);
	assert_int_equal(smmu_read64(&mmu, 0xa000000, U, &v), -MM_EFAULT);
	assert_false(pt_translate(&vs.pt, 0xa000000, NULL, NULL, NULL));
	vm_uneat(&eat);
	finish();
}

static void test_fault_retry_bound(void **state)
{
	uint64_t v;

	(void)state;
	start(VM_NATIVE_FORMAT, liar);
	routine_calls = 0;
	assert_int_equal(smmu_read64(&mmu, 0x1000, U, &v), -MM_EFAULT);
	assert_int_equal(routine_calls, mmu.max_retries);
	finish();
}

static void test_spurious(void **state)
{
	struct vm_fault f = { .addr = 0x3000, .flags = VM_FAULT_PRESENT | VM_FAULT_WRITE };

	(void)state;
	start(VM_NATIVE_FORMAT, refuse);
	routine_calls = 0;
	map_frame(0x3000, PT_WRITE);
	/* A write fault on a page the tables let the kernel write: a stale TLB entry. */
	assert_int_equal(vm_handle_fault(&vs, &f), VM_FAULT_RESOLVED);
	assert_int_equal(vs.nr_spurious, 1);
	assert_int_equal(routine_calls, 0);
	/* Not spurious: user access to a kernel page, kernel fetch from NX. */
	f.flags |= VM_FAULT_USER;
	assert_int_equal(vm_handle_fault(&vs, &f), VM_FAULT_UNRESOLVED);
	f.flags = VM_FAULT_PRESENT | VM_FAULT_EXEC;
	assert_int_equal(vm_handle_fault(&vs, &f), VM_FAULT_UNRESOLVED);
	f.flags = VM_FAULT_PRESENT | VM_FAULT_RSVD;
	assert_int_equal(vm_handle_fault(&vs, &f), VM_FAULT_UNRESOLVED);
	assert_int_equal(routine_calls, 2);
	assert_int_equal(vm_fault_count(&vs), 4);

	assert_true(vm_fault_permitted(PT_USER | PT_WRITE, VM_FAULT_USER | VM_FAULT_WRITE));
	assert_false(vm_fault_permitted(PT_USER, VM_FAULT_WRITE));
	assert_false(vm_fault_permitted(PT_WRITE, VM_FAULT_EXEC));
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write),
#if VM_TEST_64BIT_VA
		cmocka_unit_test(test_rules_x86_64),
#endif
		cmocka_unit_test(test_rules_pae),
		cmocka_unit_test(test_rules_i386),
		cmocka_unit_test(test_control_bits),
#if VM_TEST_64BIT_VA
		cmocka_unit_test(test_reserved_bits),
#endif
		cmocka_unit_test(test_accessed_dirty),
		cmocka_unit_test(test_fault_reaches_routine),
		cmocka_unit_test(test_demand_paging),
		cmocka_unit_test(test_fault_retry_bound),
		cmocka_unit_test(test_spurious),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
