// SPDX-License-Identifier: MIT
/*
 * `pagemap`: an address space's mappings as runs of pages that are
 * contiguous in virtual and physical memory, with one protection and one
 * page size, each named by the region it lies in.
 */
#include "arch.h"
#include "kernel/kernel.h"
#include "kernel/shell.h"
#include "mm/fault.h"

struct run {
	uintptr_t va;
	phys_addr_t pa;
	uint64_t len, page;
	unsigned prot;
	unsigned long runs;
};

static void print_run(const struct run *r)
{
	char region[64];
	const char *size = r->page >= (1ull << 30) ? "1G" : r->page >= (2ull << 20) ? "2M" : "4K";

	kprintf("  %016" PRIxPTR "-%016" PRIx64 " %10pB  %c%c%c%c%c  %s  %s\n", r->va, r->va + r->len, &r->len,
		'r', r->prot & PT_WRITE ? 'w' : '-', r->prot & PT_EXEC ? 'x' : '-',
		r->prot & PT_USER ? 'u' : '-', r->prot & PT_GLOBAL ? 'g' : '-', size,
		kernel_region_of(r->va, region, sizeof(region)));
}

static int add_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct run *r = ctx;

	prot &= ~(PT_ACCESSED | PT_DIRTY);
	if (r->len && r->va + r->len == va && r->pa + r->len == pa && r->prot == prot &&
	    r->page == size) {
		r->len += size;
		return 0;
	}
	if (r->len)
		print_run(r);
	*r = (struct run){ va, pa, size, size, prot, r->runs + 1 };
	return 0;
}

/**
 * pagemap_print_range() - print the mappings of part of an address space
 * @vs: the space
 * @start: first address
 * @end: end (exclusive)
 */
void pagemap_print_range(const struct vm_space *vs, uintptr_t start, uintptr_t end)
{
	struct run r = { 0 };

	kprintf("  %-33s %10s  %-5s  %-2s  %s\n", "virtual range", "size", "prot", "pg", "region");
	pt_walk(&vs->pt, start, end, add_leaf, &r);
	if (r.len)
		print_run(&r);
	kprintf("  %lu runs, %" PRIu64 " page-table pages\n", r.runs, vs->pt.table_pages);
}

void pagemap_print(const struct vm_space *vs)
{
	pagemap_print_range(vs, 0, UINTPTR_MAX);
}

static int cmd_pagemap(int argc, char **argv)
{
	if (argc > 1)
		pagemap_process(argv[1]);
	else
		pagemap_print(&kernel_vm);
	return 0;
}
SHELL_COMMAND(pagemap, "page mappings: the kernel's, or pagemap PID", cmd_pagemap);
