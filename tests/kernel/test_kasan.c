// SPDX-License-Identifier: MIT
/*
 * The KASAN build's catches (kernel/kasan.c), one kind each: an access past
 * a stack array, a global, a vmalloc area's requested size, a large
 * kmalloc object, a slab object, and a read after free through the
 * quarantine; a read of a freed frame the PMM's quarantine holds back, of
 * a vfree()d area vmalloc's quarantine holds back, and (i386, with high
 * memory) of a kmap slot after plat_kunmap(). Each bad access is announced (kasan_expect_begin()), must be
 * reported exactly once with its kind and address, and the kernel carries
 * on. Only in the KASAN kernel; the bad accesses are the point.
 */
#include "kernel/kasan.h"
#include "kernel/ktest.h"

#ifdef KASAN
#include "arch.h"
#include "memlayout.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "kernel/heap.h"
#include "tests/kernel/frames.h"

/* A global the compiler puts a red zone after. */
static volatile uint8_t kasan_test_global[17];

/* One bad access by @fn(@arg) at @addr: reported once as @kind, and nothing else reported. */
static void expect_one(struct ktest *t, const char *kind, uintptr_t addr, void (*fn)(uintptr_t),
		       uintptr_t arg)
{
	unsigned long before = kasan_reports();
	struct kasan_seen seen;

	kasan_expect_begin();
	fn(arg);
	unsigned n = kasan_expect_end(&seen);
	KEXPECT_EQ(t, n, 1);
	KEXPECT(t, seen.kind != NULL);
	if (seen.kind)
		KEXPECT_STREQ(t, seen.kind, kind);
	KEXPECT_EQ(t, seen.addr, addr);
	KEXPECT_EQ(t, kasan_reports(), before);
}

static void read_byte(uintptr_t p)
{
	(void)*(volatile uint8_t *)p;
}

static void read_word(uintptr_t p)
{
	(void)*(volatile uint64_t *)p;
}

/* The stack array's address, for the expected report, and a read @i bytes into it. */
static uintptr_t stack_array_at;

static void __attribute__((noinline)) stack_read(uintptr_t i)
{
	volatile uint8_t buf[13];

	for (unsigned k = 0; k < sizeof(buf); k++)
		buf[k] = (uint8_t)k;
	stack_array_at = (uintptr_t)buf;
	(void)buf[i];
}

static void stack_out_of_bounds(struct ktest *t)
{
	stack_read(3);				/* in bounds: nothing */
	kasan_expect_begin();
	stack_read(13);
	struct kasan_seen seen;
	unsigned n = kasan_expect_end(&seen);
	KEXPECT_EQ(t, n, 1);
	KEXPECT(t, seen.kind && !strcmp(seen.kind, "stack-out-of-bounds"));
	KEXPECT_EQ(t, seen.addr, stack_array_at + 13);
}

static void global_out_of_bounds(struct ktest *t)
{
	uintptr_t g = (uintptr_t)kasan_test_global;

	read_byte(g + 16);			/* the last byte: fine */
	expect_one(t, "global-out-of-bounds", g + 17, read_byte, g + 17);
}

static void vmalloc_out_of_bounds(struct ktest *t)
{
	uint64_t before = free_frames();
	uint8_t *p = vmalloc(100);

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	p[99] = 1;
	expect_one(t, "vmalloc-out-of-bounds", (uintptr_t)p + 100, read_byte, (uintptr_t)p + 100);
	expect_one(t, "vmalloc-out-of-bounds", (uintptr_t)p + 4000, read_byte, (uintptr_t)p + 4000);
	/* Grown, the area opens its new bytes and the red zone follows the new size. */
	uint8_t *q = vrealloc(p, 3 * PAGE_SIZE + 10);
	KEXPECT(t, q != NULL);
	if (q) {
		q[100] = q[3 * PAGE_SIZE + 9] = 2;
		expect_one(t, "vmalloc-out-of-bounds", (uintptr_t)q + 3 * PAGE_SIZE + 10, read_byte,
			   (uintptr_t)q + 3 * PAGE_SIZE + 10);
		p = vrealloc(q, 200);		/* and shrunk */
		KEXPECT(t, p == q);
		p[199] = 3;
		expect_one(t, "vmalloc-out-of-bounds", (uintptr_t)p + 200, read_byte, (uintptr_t)p + 200);
	}
	vfree(p);
	KEXPECT_EQ(t, free_frames(), before);	/* the shadow pages went back too */
}

static void large_kmalloc_out_of_bounds(struct ktest *t)
{
	size_t size = 3 * PAGE_SIZE + 100;
	uint8_t *p = kmalloc(size);

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	p[0] = p[size - 1] = 1;
	expect_one(t, "kmalloc-large-out-of-bounds", (uintptr_t)p + size, read_byte,
		   (uintptr_t)p + size);
	kfree(p);
}

static void slab_out_of_bounds(struct ktest *t)
{
	uint8_t *p = kmalloc(20);

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	p[19] = 1;
	expect_one(t, "slab-out-of-bounds", (uintptr_t)p + 20, read_byte, (uintptr_t)p + 20);
	kfree(p);
}

static void use_after_free_in_quarantine(struct ktest *t)
{
	uint64_t *p = kmalloc(64);

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	p[3] = 1;
	kfree(p);
	/* A read: a write would also be the heap's own finding (its poison checked on reuse). */
	expect_one(t, "use-after-free", (uintptr_t)(p + 3), read_word, (uintptr_t)(p + 3));
}

/* Many areas, over many shadow pages and sharing some: every shadow page goes back with them. */
static void vmalloc_shadow_returns(struct ktest *t)
{
	static void *areas[64];
	uint64_t before = free_frames();

	for (unsigned i = 0; i < 64; i++) {
		areas[i] = vmalloc((i % 7 + 1) * PAGE_SIZE - i);
		KEXPECT(t, areas[i] != NULL);
		if (areas[i])
			memset(areas[i], (int)i, (i % 7 + 1) * PAGE_SIZE - i);
	}
	for (unsigned i = 0; i < 64; i += 2)
		vfree(areas[i]);
	for (unsigned i = 1; i < 64; i += 2)
		vfree(areas[i]);
	KEXPECT_EQ(t, free_frames(), before);
}

#define QUAR_PROBE	64	/* single frames taken after a free: none may be the freed one */

/*
 * A freed frame waits in the PMM's quarantine: the frames handed out next
 * (a CPU's cache is LIFO and would give it back first) are others, and a
 * read of it through the direct map is reported; pmm_drain() lets it go.
 */
static void page_use_after_free(struct ktest *t)
{
	static phys_addr_t got[QUAR_PROBE];
	uint64_t before = free_frames();
	uint64_t *p = allocate_page();

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	phys_addr_t pa = plat_virt_to_phys(p);
	p[5] = 1;
	free_page(p);
	KEXPECT(t, pmm_quarantined(pa));
	unsigned reused = 0;
	for (unsigned i = 0; i < QUAR_PROBE; i++) {
		got[i] = pmm_alloc_pages(0, 0);
		reused += got[i] == pa;
	}
	KEXPECT_EQ(t, reused, 0);
	expect_one(t, "use-after-free-page", (uintptr_t)(p + 5), read_word, (uintptr_t)(p + 5));
	for (unsigned i = 0; i < QUAR_PROBE; i++)
		pmm_free_pages(got[i], 0);
	KEXPECT_EQ(t, free_frames(), before);	/* held frames count as free; drained, all back */
	KEXPECT(t, !pmm_quarantined(pa));
}

/*
 * A vfree()d area stays mapped, poisoned, in vmalloc's quarantine: a read
 * of it is reported (with both stacks: kasan_kernel_tests_check) instead of
 * reaching a new owner, and a second vfree() is refused; the next areas
 * get other addresses; vmalloc_drain() unmaps it and every frame comes back.
 */
static void use_after_vfree(struct ktest *t)
{
	static void *next[8];
	uint64_t before = free_frames();
	uint8_t *p = vmalloc(2 * PAGE_SIZE);

	KEXPECT(t, p != NULL);
	if (!p)
		return;
	memset(p, 0x5a, 2 * PAGE_SIZE);
	vfree(p);
	struct vmalloc_freed f;
	KEXPECT(t, vmalloc_freed_of(p + PAGE_SIZE, &f));
	KEXPECT_EQ(t, f.base, (uintptr_t)p);
	KEXPECT(t, f.alloc_stack[0] != NULL && f.free_stack[0] != NULL);
	for (unsigned i = 0; i < ARRAY_LEN(next); i++) {
		next[i] = vmalloc(2 * PAGE_SIZE);
		KEXPECT(t, next[i] != (void *)p);
	}
	expect_one(t, "use-after-vfree", (uintptr_t)p + PAGE_SIZE + 8, read_byte,
		   (uintptr_t)p + PAGE_SIZE + 8);
	for (unsigned i = 0; i < ARRAY_LEN(next); i++)
		vfree(next[i]);
	vmalloc_drain();
	KEXPECT(t, !vmalloc_freed_of(p, &f));
	KEXPECT_EQ(t, free_frames(), before);
}

#ifdef KMAP_BASE
/*
 * i386: a high frame's kmap slot is open while held and poisoned after
 * plat_kunmap(): a read through the stale pointer is reported. Needs high
 * memory (the kasan suite boots this kernel with 1 GiB for it); a machine
 * with none skips.
 */
static void use_after_kunmap(struct ktest *t)
{
	phys_addr_t pa = pmm_alloc_pages(0, PMM_HIGHMEM);

	KEXPECT(t, pa != PMM_NO_FRAME);
	if (pa == PMM_NO_FRAME)
		return;
	if (pa < plat_highmem_base()) {
		pmm_free_pages(pa, 0);
		ktest_skip(t, "no high memory");
		return;
	}
	uint8_t *v = plat_kmap(pa);
	uintptr_t at = (uintptr_t)v + 100;
	v[100] = 7;				/* held: open */
	KEXPECT_EQ(t, *(volatile uint8_t *)at, 7);
	plat_kunmap(v);
	expect_one(t, "use-after-kunmap", at, read_byte, at);
	v = plat_kmap(pa);			/* the same slot again: open again */
	KEXPECT_EQ(t, (uintptr_t)v + 100, at);
	KEXPECT_EQ(t, v[100], 7);
	plat_kunmap(v);
	pmm_free_pages(pa, 0);
}
#define KMAP_CASES	, KTEST_CASE(use_after_kunmap)
#else
#define KMAP_CASES
#endif

KTEST_SUITE(kasan,
	    KTEST_CASE(stack_out_of_bounds),
	    KTEST_CASE(global_out_of_bounds),
	    KTEST_CASE(vmalloc_out_of_bounds),
	    KTEST_CASE(large_kmalloc_out_of_bounds),
	    KTEST_CASE(slab_out_of_bounds),
	    KTEST_CASE(use_after_free_in_quarantine),
	    KTEST_CASE(vmalloc_shadow_returns),
	    KTEST_CASE(page_use_after_free),
	    KTEST_CASE(use_after_vfree)
	    KMAP_CASES);
#endif
