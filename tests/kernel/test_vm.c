// SPDX-License-Identifier: MIT
/*
 * The kernel's address space: W^X, NX on data, stack guards, SMEP and SMAP.
 * Each violation must arrive as the right decoded page fault, in the right
 * region, and the kernel must carry on.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/ktest.h"
#include "mm/fault.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/frames.h"

#define RET_OPCODE	0xc3
#define USER_TEST_VA	0x400000ul

static const int rodata_value = 42;

static void expect_fault(struct ktest *t, const struct fault_catch *fc, uintptr_t addr,
			 uint64_t error, const char *region)
{
	char buf[64];

	KEXPECT(t, fc->caught);
	KEXPECT_EQ(t, fc->vector, VEC_PF);
	KEXPECT_EQ(t, fc->addr, addr);
	KEXPECT_EQ(t, fc->error, error);
	KEXPECT_STREQ(t, kernel_region_of(fc->addr, buf, sizeof(buf)), region);
}

static void write_at(struct fault_catch *fc, uintptr_t addr)
{
	if (FAULT_TRY(fc)) {
		*(volatile char *)addr = 1;
		fault_catch_disarm();
	}
}

static void read_at(struct fault_catch *fc, uintptr_t addr)
{
	if (FAULT_TRY(fc)) {
		(void)*(volatile char *)addr;
		fault_catch_disarm();
	}
}

static void call_at(struct fault_catch *fc, uintptr_t addr)
{
	if (FAULT_TRY(fc)) {
		((void (*)(void))addr)();
		fault_catch_disarm();
	}
}

static int check_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	unsigned *bad = ctx;

	*bad += (prot & PT_WRITE) && (prot & PT_EXEC);
	return 0;
}

/* Without NX (two-level paging) everything mapped is executable: W^X is then only "not W". */
static void no_page_writable_and_executable(struct ktest *t)
{
	unsigned bad = 0, prot;
	unsigned exec = kernel_vm.pt.fmt->nx ? PT_EXEC : 0, mask = PT_WRITE | PT_USER | exec;

	if (exec) {
		pt_walk(&kernel_vm.pt, 0, UINTPTR_MAX, check_leaf, &bad);
		KEXPECT_EQ(t, bad, 0);
	}
	KEXPECT(t, pt_translate(&kernel_vm.pt, (uintptr_t)ktest_run, NULL, &prot, NULL));
	KEXPECT_EQ(t, prot & mask, exec);
	KEXPECT(t, pt_translate(&kernel_vm.pt, (uintptr_t)&rodata_value, NULL, &prot, NULL));
	KEXPECT_EQ(t, prot & mask, 0);
	KEXPECT(t, pt_translate(&kernel_vm.pt, (uintptr_t)&kernel_vm, NULL, &prot, NULL));
	KEXPECT_EQ(t, prot & mask, PT_WRITE);
	KEXPECT(t, !pt_translate(&kernel_vm.pt, 0, NULL, NULL, NULL));
	KEXPECT(t, !pt_translate(&kernel_vm.pt, KERNEL_LMA, NULL, NULL, NULL));	/* no identity map */
}

static void write_to_rodata(struct ktest *t)
{
	struct fault_catch fc;

	write_at(&fc, (uintptr_t)&rodata_value);
	expect_fault(t, &fc, (uintptr_t)&rodata_value, PF_P | PF_W, "kernel rodata");
	KEXPECT_EQ(t, rodata_value, 42);
}

static void write_to_text(struct ktest *t)
{
	struct fault_catch fc;

	write_at(&fc, (uintptr_t)ktest_run);
	expect_fault(t, &fc, (uintptr_t)ktest_run, PF_P | PF_W, "kernel text");
}

static void exec_from_direct_map(struct ktest *t)
{
	struct fault_catch fc;

	if (!kernel_vm.pt.fmt->nx) {
		ktest_skip(t, "no NX (CPU or paging format)");
		return;
	}
	phys_addr_t frame = pmm_alloc_pages(0, 0);
	uint8_t *page = plat_phys_to_virt(frame);
	page[0] = RET_OPCODE;
	call_at(&fc, (uintptr_t)page);
	expect_fault(t, &fc, (uintptr_t)page, PF_P | PF_I, "direct map");
	pmm_free_pages(frame, 0);
}

static void exec_from_vmalloc(struct ktest *t)
{
	struct fault_catch fc;

	if (!kernel_vm.pt.fmt->nx) {
		ktest_skip(t, "no NX (CPU or paging format)");
		return;
	}
	uint8_t *p = vmalloc(PAGE_SIZE);
	KEXPECT(t, p != NULL);
	p[0] = RET_OPCODE;
	call_at(&fc, (uintptr_t)p);
	expect_fault(t, &fc, (uintptr_t)p, PF_P | PF_I, "vmalloc area");
	vfree(p);
}

static void exec_from_stack(struct ktest *t)
{
	volatile uint8_t code[16] = { RET_OPCODE };
	struct fault_catch fc;

	if (!kernel_vm.pt.fmt->nx) {
		ktest_skip(t, "no NX (CPU or paging format)");
		return;
	}
	call_at(&fc, (uintptr_t)code);
	expect_fault(t, &fc, (uintptr_t)code, PF_P | PF_I, "kernel data");
}

static void null_pointer(struct ktest *t)
{
	struct fault_catch fc;

	read_at(&fc, 8);
	expect_fault(t, &fc, 8, 0, "null page");
}

static void vmalloc_guard_gap(struct ktest *t)
{
	uint8_t *p = vmalloc(2 * PAGE_SIZE);
	struct fault_catch fc;

	p[2 * PAGE_SIZE - 1] = 1;		/* the last byte is ours */
	write_at(&fc, (uintptr_t)p + 2 * PAGE_SIZE);
	expect_fault(t, &fc, (uintptr_t)p + 2 * PAGE_SIZE, PF_W, "vmalloc guard gap");
	read_at(&fc, (uintptr_t)p - 1);		/* and the page below is unmapped too */
	KEXPECT(t, fc.caught);
	vfree(p);
}

/* Each frame holds a buffer, so the recursion really eats stack. */
static long __attribute__((noinline)) recurse(long depth)
{
	volatile char frame[200];

	frame[0] = (char)depth;
	if (depth < 0)
		return 0;
	return recurse(depth + 1) + frame[0];
}

/* Overflowing a vmalloc'd stack: the fault lands below it (on the IST stack, or i386's double-fault task). */
static void stack_overflow_vmalloc_stack(struct ktest *t)
{
	uint8_t *stack = vmalloc(4 * PAGE_SIZE);
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		call_on_stack(recurse, 0, (uintptr_t)stack + 4 * PAGE_SIZE);
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_STACK_OVERFLOW);
	if (fc.vector == VEC_PF)
		KEXPECT_EQ(t, fc.error, PF_W);
	KEXPECT(t, fc.addr < (uintptr_t)stack && fc.addr >= (uintptr_t)stack - PAGE_SIZE);
	vfree(stack);
}

/* Overflowing the boot stack itself: its guard page catches it. */
static void stack_overflow_boot_stack(struct ktest *t)
{
	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		recurse(0);
		fault_catch_disarm();
	}
	KEXPECT(t, fc.caught);
	KEXPECT_EQ(t, fc.vector, VEC_STACK_OVERFLOW);
	KEXPECT(t, fc.addr < (uintptr_t)boot_stack_bottom &&
		   fc.addr >= (uintptr_t)boot_stack_bottom - PAGE_SIZE);
	char buf[64];
	KEXPECT_STREQ(t, kernel_region_of(fc.addr, buf, sizeof(buf)), "stack guard (boot stack)");
}

static void smap_and_smep(struct ktest *t)
{
	phys_addr_t frame = pmm_alloc_pages(0, PMM_ZERO);
	struct fault_catch fc;

	KEXPECT_EQ(t, pt_map(&kernel_vm.pt, USER_TEST_VA, frame, PAGE_SIZE,
			     PT_WRITE | PT_EXEC | PT_USER, 0), 0);
	((uint8_t *)plat_phys_to_virt(frame))[0] = RET_OPCODE;
	if (cpu_features.smap) {
		read_at(&fc, USER_TEST_VA);
		expect_fault(t, &fc, USER_TEST_VA, PF_P, "user space");
		write_at(&fc, USER_TEST_VA + 1);
		expect_fault(t, &fc, USER_TEST_VA + 1, PF_P | PF_W, "user space");
		stac();				/* an explicit user access is allowed */
		KEXPECT_EQ(t, *(volatile uint8_t *)USER_TEST_VA, RET_OPCODE);
		clac();
	}
	if (cpu_features.smep) {
		call_at(&fc, USER_TEST_VA);
		expect_fault(t, &fc, USER_TEST_VA, PF_P | PF_I, "user space");
	}
	KEXPECT_EQ(t, pt_unmap(&kernel_vm.pt, USER_TEST_VA, PAGE_SIZE, NULL, NULL), 0);
	pmm_free_pages(frame, 0);
	if (!cpu_features.smap || !cpu_features.smep)
		ktest_skip(t, "no SMAP or SMEP on this CPU");
}

static void vmalloc_returns_every_frame(struct ktest *t)
{
	uint64_t before = free_frames(), tables = kernel_vm.pt.table_pages;
	void *p[16];

	for (unsigned i = 0; i < ARRAY_LEN(p); i++) {
		p[i] = vzalloc((i + 1) * 3 * PAGE_SIZE);
		KEXPECT(t, p[i] != NULL);
	}
	for (unsigned i = 0; i < ARRAY_LEN(p); i++)
		vfree(p[i]);
	KEXPECT_EQ(t, free_frames() + kernel_vm.pt.table_pages - tables, before);
}

KTEST_SUITE(vm,
	    KTEST_CASE(no_page_writable_and_executable),
	    KTEST_CASE(write_to_rodata),
	    KTEST_CASE(write_to_text),
	    KTEST_CASE(exec_from_direct_map),
	    KTEST_CASE(exec_from_vmalloc),
	    KTEST_CASE(exec_from_stack),
	    KTEST_CASE(null_pointer),
	    KTEST_CASE(vmalloc_guard_gap),
	    KTEST_CASE(stack_overflow_vmalloc_stack),
	    KTEST_CASE(stack_overflow_boot_stack),
	    KTEST_CASE(smap_and_smep),
	    KTEST_CASE(vmalloc_returns_every_frame));
