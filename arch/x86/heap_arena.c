// SPDX-License-Identifier: MIT
/*
 * The heap's slab arena in the kernel's page tables (mm/heap_arena.c says
 * what it is for): [HEAP_ARENA_BASE, HEAP_ARENA_END) where the arch has
 * one (x86_64 outside the KASAN build; i386's kernel half is too small: its
 * heap keeps the direct map, docs/porting.md).
 *
 * Frames are mapped 4 KiB at a time, kernel data, global. The arena's
 * last-level tables for all of RAM are made at boot and never freed (as
 * many as a 4 KiB direct map of RAM would take, 1/512 of it), so a frame
 * mapped into a slab is one pt_swap() under the page-table lock, never needs
 * memory but the frame, and the heap's frame counts stay exact. Unmapping
 * is pt_zap(): one TLB shootdown for the run, on every CPU (the kernel
 * space is on all of them), before it returns and before the heap frees
 * the frames.
 */
#include "arch.h"
#include "heap_arena.h"
#include "memlayout.h"
#include "kernel/lib.h"
#include "mm/fault.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

#ifdef HEAP_ARENA_BASE

#define ARENA_PROT	(PT_WRITE | PT_GLOBAL)

static int arena_map(uintptr_t va, const phys_addr_t *pa, unsigned n)
{
	phys_addr_t old[PT_TLB_BATCH];

	/* The table is there (made at boot): one call for the lot. */
	if (n <= PT_TLB_BATCH && !pt_swap(&kernel_vm.pt, va, n, pa, ARENA_PROT, old))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (pt_map(&kernel_vm.pt, va + ((uintptr_t)i << PAGE_SHIFT), pa[i], PAGE_SIZE, ARENA_PROT, 0)) {
			if (i)
				pt_zap(&kernel_vm.pt, va, (uint64_t)i << PAGE_SHIFT, NULL, NULL);
			return -1;
		}
	return 0;
}

struct collect {
	phys_addr_t *old;
	unsigned n;
};

static void collect_frame(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct collect *c = ctx;

	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		c->old[c->n++] = pa + off;
}

static unsigned arena_unmap(uintptr_t va, unsigned n, phys_addr_t *old)
{
	struct collect c = { old, 0 };

	/* 4 KiB leaves only: nothing to split, so it cannot fail. */
	pt_zap(&kernel_vm.pt, va, (uint64_t)n << PAGE_SHIFT, collect_frame, &c);
	return c.n;
}

/* The arena's tables for [base, base + len): a page mapped and zapped in each. */
static bool arena_tables(uintptr_t base, uint64_t len, uint64_t *tables)
{
	uint64_t before = kernel_vm.pt.table_pages;
	phys_addr_t scratch = pmm_alloc_pages(0, 0);
	bool ok = scratch != PMM_NO_FRAME;

	for (uint64_t off = 0; ok && off < len; off += (uint64_t)PAGE_SIZE << 9) {
		ok = !pt_map(&kernel_vm.pt, base + off, scratch, PAGE_SIZE, ARENA_PROT, 0);
		if (ok)
			pt_zap(&kernel_vm.pt, base + off, PAGE_SIZE, NULL, NULL);
	}
	pmm_free_pages(scratch, 0);
	*tables = kernel_vm.pt.table_pages - before;
	return ok;
}

static const struct heap_arena_ops arena_ops = {
	.map = arena_map,
	.unmap = arena_unmap,
};

/* The end of vmalloc's own window: the arena follows it. */
uintptr_t arch_vmalloc_end(void)
{
	return HEAP_ARENA_BASE;
}

/* Give the heap its arena (before heap_init()). */
void arch_heap_arena_init(void)
{
	struct pmm_stats st;
	phys_addr_t end = 0;
	uint64_t tables;

	char opt[8] = "";

	if (cmdline_value("heaparena", opt, sizeof(opt)) && !strcmp(opt, "off")) {
		kprintf("heap: no slab arena (heaparena=off): slabs through the direct map\n");
		return;
	}
	pmm_get_stats(&st);
	for (unsigned z = 0; z < PMM_NR_ZONES; z++)	/* what heap_pages_kernel takes slabs from */
		if (z != PMM_ZONE_ID_HIGHMEM)
			end = MM_MAX(end, st.zone[z].end);
	end = ALIGN_UP(end, (phys_addr_t)PAGE_SIZE << 9);
	if (end > HEAP_ARENA_END - HEAP_ARENA_BASE || !arena_tables(HEAP_ARENA_BASE, end, &tables)) {
		kprintf("heap: no slab arena (%s): slabs through the direct map\n",
			end > HEAP_ARENA_END - HEAP_ARENA_BASE ? "RAM beyond its reach" : "out of memory");
		return;
	}
	heap_pages_kernel_arena(&arena_ops, HEAP_ARENA_BASE, HEAP_ARENA_END);
	kprintf("heap: slab arena at %#lx, %" PRIu64 " table pages for %" PRIu64 " MiB of RAM\n",
		(unsigned long)HEAP_ARENA_BASE, tables, (uint64_t)(end >> 20));
}

/* Is @va in the arena? Then *@pa is its frame's address, if mapped (plat_virt_to_phys()). */
bool arch_heap_arena_phys(uintptr_t va, phys_addr_t *pa)
{
	if (va < HEAP_ARENA_BASE || va >= HEAP_ARENA_END)
		return false;
	if (!pt_translate(&kernel_vm.pt, va, pa, NULL, NULL))
		*pa = PMM_NO_FRAME;
	return true;
}

#else

uintptr_t arch_vmalloc_end(void)
{
	return VMALLOC_END;
}

void arch_heap_arena_init(void)
{
}

bool arch_heap_arena_phys(uintptr_t va, phys_addr_t *pa)
{
	(void)va, (void)pa;
	return false;
}

#endif
