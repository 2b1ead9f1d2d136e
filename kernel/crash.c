// SPDX-License-Identifier: MIT
/*
 * Crashing on purpose, to see (and test) the kernel's reports: the shell's
 * `crash KIND` and the boot option crash=KIND.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/kernel.h"
#include "kernel/shell.h"
#include "kernel/task.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "kernel/kasan.h"
#include "kernel/ubsan.h"
#include "mm/heap.h"

static void __attribute__((noinline)) crash_page_fault(void)
{
	*(volatile uint64_t *)(KERNEL_NEVER_MAPPED + 0x2a8) = 1;
}

static void __attribute__((noinline)) crash_invalid_opcode(void)
{
	__asm__ volatile("ud2");
}

/* Each frame keeps a buffer alive, so the recursion must really use stack. */
static long __attribute__((noinline)) recurse(long depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	if (depth < 0)		/* never: keeps the compiler from calling it infinite */
		return 0;
	return recurse(depth + 1) + frame[0];
}

static void __attribute__((noinline)) crash_stack_overflow(void)
{
	recurse(0);
}

static void __attribute__((noinline)) crash_panic(void)
{
	panic("crash: panic requested");
}

/*
 * Sleep holding a temporary mapping: the porting rule (no kmap across a task
 * switch) is checked at the switch, which must name the holder and panic.
 */
static void __attribute__((noinline)) crash_kmap_across_switch(void)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_HIGHMEM);

	if (pa == PMM_NO_FRAME)
		panic("crash: no frame to map");
	volatile uint8_t *p = plat_kmap(pa);
	p[0] = 1;
	sleep_until(time_ns() + 1000000);
	plat_kunmap((void *)p);
	pmm_free_pages(pa, 0);
	panic("crash: slept holding a temporary mapping and no task switch caught it");
}

#ifdef KUBSAN
/*
 * Three undefined operations the UBSan build reports and carries on from
 * (or panics at the first, with ubsan=panic); then a panic that says how
 * many were reported. Volatile operands keep the compiler from folding them.
 */
static void __attribute__((noinline)) crash_ubsan(void)
{
	volatile int big = 0x7fffffff, one = 1, shift = 40, index = 5;
	int table[4] = { 0 };
	volatile int sum;

	sum = big + one;
	sum = one << shift;
	sum = table[index & 7];
	(void)sum;
	panic("crash: carried on after %lu UBSan report(s)", ubsan_reports());
}
#endif

#ifdef KASAN
/*
 * The three heap bugs KASAN and the heap's debug checks catch: a read past
 * the requested size, a write after free, a second free. Each is reported and
 * the kernel carries on; then a panic that says how many KASAN reported.
 */
static void __attribute__((noinline)) crash_kasan_oob(void)
{
	volatile uint8_t *p = kmalloc(20);

	if (!p)
		panic("crash: no memory");
	(void)p[20];
	kfree((void *)p);
	panic("crash: carried on after %lu KASAN report(s)", kasan_reports());
}

static void __attribute__((noinline)) crash_kasan_uaf(void)
{
	volatile uint64_t *p = kmalloc(64);

	if (!p)
		panic("crash: no memory");
	kfree((void *)p);
	p[3] = 1;
	panic("crash: carried on after %lu KASAN report(s)", kasan_reports());
}

/* A read of a frame after free_page(): the PMM poisons the frames it holds free. */
static void __attribute__((noinline)) crash_kasan_page_uaf(void)
{
	volatile uint64_t *p = allocate_page();

	if (!p)
		panic("crash: no memory");
	p[5] = 1;
	free_page((void *)p);
	(void)p[5];
	panic("crash: carried on after %lu KASAN report(s)", kasan_reports());
}

/* memcpy() 32 bytes into a 16-byte object: the copies check their whole range. */
static void __attribute__((noinline)) crash_kasan_memcpy(void)
{
	volatile size_t n = 32;		/* not a constant: a real call, not inlined stores */
	uint8_t *dst = kmalloc(16), *src = kmalloc(32);

	if (!dst || !src)
		panic("crash: no memory");
	memset(src, 0x5a, n);
	memcpy(dst, src, n);
	kfree(src);
	kfree(dst);
	panic("crash: carried on after %lu KASAN report(s)", kasan_reports());
}

static void __attribute__((noinline)) crash_kasan_double_free(void)
{
	void *p = kmalloc(48);
	struct heap_debug_counts c;

	if (!p)
		panic("crash: no memory");
	kfree(p);
	kfree(p);
	heap_debug_get_counts(&c);
	panic("crash: carried on after %lu double free(s)", (unsigned long)c.double_frees);
}
#endif

static const struct {
	const char *name;
	void (*fn)(void);
} kinds[] = {
	{ "pf", crash_page_fault },
	{ "ud", crash_invalid_opcode },
	{ "panic", crash_panic },
	{ "stack", crash_stack_overflow },
	{ "kmap", crash_kmap_across_switch },
#ifdef KUBSAN
	{ "ubsan", crash_ubsan },
#endif
#ifdef KASAN
	{ "kasan-oob", crash_kasan_oob },
	{ "kasan-uaf", crash_kasan_uaf },
	{ "kasan-dfree", crash_kasan_double_free },
	{ "kasan-page-uaf", crash_kasan_page_uaf },
	{ "kasan-memcpy", crash_kasan_memcpy },
#endif
};

/**
 * crash() - crash the kernel in the named way.
 * @kind: "pf" (kernel page fault), "ud" (invalid opcode), "panic", "stack"
 *        (overflow the current kernel stack), "kmap" (sleep holding a
 *        temporary mapping); in the UBSan build also "ubsan" (three undefined
 *        operations, reported, then a panic); in the KASAN build "kasan-oob",
 *        "kasan-uaf", "kasan-dfree", "kasan-page-uaf", "kasan-memcpy"
 *
 * Return: -1 if @kind is unknown; otherwise it does not return.
 */
int crash(const char *kind)
{
	for (unsigned i = 0; i < ARRAY_LEN(kinds); i++)
		if (!strcmp(kind, kinds[i].name)) {
			kprintf("crash: %s, on purpose\n", kind);
			kinds[i].fn();
		}
	kprintf("crash: unknown kind '%s' (pf, ud, panic, stack, kmap)\n", kind);
	return -1;
}

static int cmd_crash(int argc, char **argv)
{
	if (argc != 2) {
		kprintf("usage: crash pf|ud|panic|stack|kmap\n");
		return 1;
	}
	return crash(argv[1]);
}
SHELL_COMMAND(crash, "crash the kernel on purpose: crash pf|ud|panic|stack|kmap", cmd_crash);
