// SPDX-License-Identifier: MIT
/*
 * High memory: RAM the kernel does not map permanently (an i386 kernel's
 * RAM above 896 MiB) is used, through temporary mappings, for user pages
 * and page-cache data. Every free frame is taken and written; a process's
 * pages, copy-on-write copies and page-cache pages land in ZONE_HIGHMEM
 * and keep their contents. On a kernel without high memory (x86_64, small
 * machines) the same cases check contents only.
 */
#include "arch.h"
#include "kernel/heap.h"
#include "kernel/lib.h"
#include "kernel/ktest.h"
#include "kernel/proc/proc.h"
#include "mm/as.h"
#include "mm/heap.h"
#include "mm/pcache.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/pt.h"
#include "tests/kernel/hoard.h"

#define USER_PAGES	64

static uint64_t highmem_free(void)
{
	struct pmm_stats st;

	pmm_drain();
	pmm_get_stats(&st);
	return st.zone[PMM_ZONE_ID_HIGHMEM].free_frames;
}

static bool in_highmem(phys_addr_t pa)
{
	return pa >= plat_highmem_base();
}

/* A word that names frame @pa, at a place in it that depends on @pa. */
static unsigned tag_slot(phys_addr_t pa)
{
	return 2 + (unsigned)((pa >> PAGE_SHIFT) % (PAGE_SIZE / 8 - 2));
}

/*
 * Takes every free frame (high memory first), writes a tag into each frame
 * of each block through a temporary mapping, reads them all back, and gives
 * everything back: all of RAM is usable and each frame is its own.
 */
static void every_free_frame_written(struct ktest *t)
{
	uint64_t before = free_frames_settled(), high = highmem_free();
	uint64_t taken, written = 0, high_seen = 0, bad = 0;
	phys_addr_t chain;

	taken = hoard_all_frames(&chain);
	KEXPECT_EQ(t, taken, before);
	for (int pass = 0; pass < 2; pass++) {
		for (phys_addr_t b = chain; b != PMM_NO_FRAME;) {
			uint64_t *head = plat_kmap(b);
			phys_addr_t next = head[0];
			unsigned order = (unsigned)head[1];

			plat_kunmap(head);
			for (uint64_t i = 0; i < (1ull << order); i++) {
				phys_addr_t pa = b + (i << PAGE_SHIFT);
				uint64_t *p = plat_kmap(pa);

				if (pass == 0) {
					p[tag_slot(pa)] = pa ^ 0x5a5a5a5a5a5a5a5aull;
					written++;
					high_seen += in_highmem(pa);
				} else {
					bad += p[tag_slot(pa)] != (pa ^ 0x5a5a5a5a5a5a5a5aull);
				}
				plat_kunmap(p);
			}
			b = next;
		}
	}
	hoard_release(chain);
	KEXPECT_EQ(t, written, before);
	KEXPECT_EQ(t, high_seen, high);
	KEXPECT_EQ(t, bad, 0);
	KEXPECT_EQ(t, free_frames_settled(), before);
	kprintf("        # %s: %llu frames written, %llu of them in high memory\n", t->name,
		(unsigned long long)written, (unsigned long long)high_seen);
}

/* Two temporary mappings at once, of two frames: distinct and each its own. */
static void nested_mappings(struct ktest *t)
{
	phys_addr_t a = pmm_alloc_pages(0, PMM_HIGHMEM), b = pmm_alloc_pages(0, PMM_HIGHMEM);

	KEXPECT(t, a != PMM_NO_FRAME && b != PMM_NO_FRAME);
	if (a == PMM_NO_FRAME || b == PMM_NO_FRAME)
		goto out;
	uint32_t *pa = plat_kmap(a), *pb = plat_kmap(b);

	KEXPECT(t, pa != pb);
	KEXPECT_EQ(t, plat_virt_to_phys(pa), a);
	KEXPECT_EQ(t, plat_virt_to_phys(pb + 3), b + 12);
	pa[7] = 0xaaaa;
	pb[7] = 0xbbbb;
	plat_kunmap(pb);
	plat_kunmap(pa);
	pb = plat_kmap(b);
	KEXPECT_EQ(t, pb[7], 0xbbbb);
	plat_kunmap(pb);
	pa = plat_kmap(a);
	KEXPECT_EQ(t, pa[7], 0xaaaa);
	plat_kunmap(pa);
out:
	pmm_free_pages(a, 0);
	pmm_free_pages(b, 0);
}

/* Pages of [va, va + USER_PAGES pages) of @as in high memory. */
static unsigned high_pages(struct as *as, uintptr_t va)
{
	unsigned n = 0;

	for (unsigned i = 0; i < USER_PAGES; i++) {
		phys_addr_t pa;

		if (pt_translate(&as->vs.pt, va + i * PAGE_SIZE, &pa, NULL, NULL))
			n += in_highmem(pa);
	}
	return n;
}

static void fill(uint8_t *buf, unsigned seed)
{
	for (unsigned i = 0; i < USER_PAGES * PAGE_SIZE; i++)
		buf[i] = (uint8_t)(i * 7 + seed + (i >> 12));
}

/*
 * A process's anonymous pages, written by the kernel (demand-zero faults),
 * then copied on write in a fork: with high memory free, all of them come
 * from there, and both processes read what they wrote.
 */
static void user_pages_in_highmem(struct ktest *t)
{
	uint64_t before = free_frames_settled();
	bool expect_high = highmem_free() > 4 * USER_PAGES;
	uint64_t len = USER_PAGES * PAGE_SIZE;
	uint8_t *want = kmalloc(len), *got = kmalloc(len);
	struct as *parent = as_alloc(), *child = as_alloc();
	struct as_params params = proc_as_params();

	KEXPECT(t, want && got && parent && child);
	if (!want || !got || !parent || !child || as_init(parent, &params)) {
		KEXPECT(t, false);
		goto out;
	}
	long va = as_mmap(parent, 0, len, MM_PROT_READ | MM_PROT_WRITE,
			  MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);

	KEXPECT(t, !as_is_err(va));
	fill(want, 1);
	KEXPECT_EQ(t, as_copy_out(parent, (uintptr_t)va, want, len), 0);
	if (expect_high)
		KEXPECT_EQ(t, high_pages(parent, (uintptr_t)va), USER_PAGES);
	KEXPECT_EQ(t, as_fork(child, parent), 0);
	fill(want, 2);
	KEXPECT_EQ(t, as_copy_out(child, (uintptr_t)va + PAGE_SIZE, want, len - PAGE_SIZE), 0);
	if (expect_high)
		KEXPECT_EQ(t, high_pages(child, (uintptr_t)va), USER_PAGES);
	KEXPECT_EQ(t, as_copy_in(child, got, (uintptr_t)va + PAGE_SIZE, len - PAGE_SIZE), 0);
	KEXPECT(t, !memcmp(got, want, len - PAGE_SIZE));
	fill(want, 1);
	KEXPECT_EQ(t, as_copy_in(parent, got, (uintptr_t)va, len), 0);
	KEXPECT(t, !memcmp(got, want, len));
	KEXPECT_EQ(t, as_copy_in(child, got, (uintptr_t)va, PAGE_SIZE), 0);
	KEXPECT(t, !memcmp(got, want, PAGE_SIZE));	/* still shared with the parent */
	as_destroy(child);
	as_destroy(parent);
out:
	if (child)
		as_free(child);
	if (parent)
		as_free(parent);
	kfree(want);
	kfree(got);
	KEXPECT_EQ(t, free_frames_settled(), before);
}

/* Page-cache data pages come from high memory and read back what was written. */
static void page_cache_in_highmem(struct ktest *t)
{
	uint64_t before = free_frames_settled();
	bool expect_high = highmem_free() > 4 * USER_PAGES;
	uint64_t len = 8 * PAGE_SIZE;
	uint8_t *want = kmalloc(USER_PAGES * PAGE_SIZE), *got = kmalloc(USER_PAGES * PAGE_SIZE);
	struct pcache *pc = pcache_create(0);
	phys_addr_t pa = PMM_NO_FRAME;

	KEXPECT(t, want && got && pc);
	if (!want || !got || !pc)
		goto out;
	fill(want, 3);
	KEXPECT_EQ(t, pcache_write(pc, 100, want, len), (long)len);
	memset(got, 0, len);
	KEXPECT_EQ(t, pcache_read(pc, 100, got, len), (long)len);
	KEXPECT(t, !memcmp(got, want, len));
	KEXPECT_EQ(t, pcache_lookup(pc, 2, false, &pa), PCACHE_OK);
	KEXPECT(t, pa != PMM_NO_FRAME);
	if (expect_high)
		KEXPECT(t, in_highmem(pa));
	pmm_put(pa);
out:
	if (pc)
		pcache_put(pc);
	kfree(want);
	kfree(got);
	KEXPECT_EQ(t, free_frames_settled(), before);
}

KTEST_SUITE(highmem,
	    KTEST_CASE(nested_mappings),
	    KTEST_CASE(user_pages_in_highmem),
	    KTEST_CASE(page_cache_in_highmem),
	    KTEST_CASE(every_free_frame_written));
