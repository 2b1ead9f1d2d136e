/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the host tests of the page-table engine, the soft MMU
 * and vmalloc: simulated RAM with a PMM on it and no page table loaded,
 * memory exhaustion, and leaf collection.
 */
#ifndef TESTS_HOST_VM_TEST_UTIL_H
#define TESTS_HOST_VM_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "mm/pt.h"
#include "mm/vmalloc.h"
#include "tests/host/sim_setup.h"

/*
 * A 64-bit build can use x86_64's addresses; a 32-bit one (gcc -m32) tests
 * the engine on the formats its pointers can address, i386 and PAE, with
 * VM_NATIVE_FORMAT where a test works in any format.
 */
#if UINTPTR_MAX > 0xffffffffu
#define VM_TEST_64BIT_VA	1
#define VM_NATIVE_FORMAT	(&pt_format_x86_64)
#define VM_VMALLOC_BASE		0xffffc90000000000ull	/* Linux's vmalloc area */
#define VM_VMALLOC_SIZE		(1ull << 40)
#else
#define VM_TEST_64BIT_VA	0
#define VM_NATIVE_FORMAT	(&pt_format_i386_pae)
#define VM_VMALLOC_BASE		0xe0000000u		/* in the kernel's top GiB */
#define VM_VMALLOC_SIZE		(256u << 20)
#endif

/*
 * Simulated RAM [0, bytes) with everything above 1 MiB usable, no page
 * table loaded and the counters at zero; 0 or -1.
 */
static inline int vm_ram_setup(uint64_t bytes)
{
	if (sim_ram_pmm_flat(bytes))
		return -1;
	plat_set_pt_root(0);
	sim_reset_counts();
	return 0;
}

/*
 * @ks as the kernel's page tables on the simulated RAM, with vmalloc's
 * window [VM_VMALLOC_BASE, + VM_VMALLOC_SIZE) in them; 0 or -1.
 */
static inline int vm_kernel_space(struct pt_space *ks)
{
	if (pt_space_init(ks, VM_NATIVE_FORMAT))
		return -1;
	ks->flags |= PT_SPACE_KERNEL;
	return vmalloc_init(ks, VM_VMALLOC_BASE, VM_VMALLOC_BASE + VM_VMALLOC_SIZE) ? -1 : 0;
}

/* The older name of sim_free_frames(), still used by the heap's tests. */
static inline uint64_t vm_free_frames(void)
{
	return sim_free_frames();
}

/* Frames taken by vm_eat() to starve the PMM. */
struct vm_eaten {
	phys_addr_t *frame;
	size_t n, cap;
};

/* Allocate every free frame, then give back @leave of them. */
static inline void vm_eat(struct vm_eaten *e, size_t leave)
{
	phys_addr_t pa;

	e->n = 0;
	while ((pa = pmm_alloc_pages(0, PMM_HIGHMEM)) != PMM_NO_FRAME) {
		if (e->n == e->cap) {
			e->cap = e->cap ? 2 * e->cap : 1024;
			e->frame = realloc(e->frame, e->cap * sizeof(*e->frame));
		}
		e->frame[e->n++] = pa;
	}
	while (leave-- && e->n)
		pmm_free_pages(e->frame[--e->n], 0);
}

/* Give back one (more) eaten frame; false if none is left. */
static inline bool vm_uneat_one(struct vm_eaten *e)
{
	if (!e->n)
		return false;
	pmm_free_pages(e->frame[--e->n], 0);
	return true;
}

static inline void vm_uneat(struct vm_eaten *e)
{
	while (vm_uneat_one(e))
		;
	free(e->frame);
	memset(e, 0, sizeof(*e));
}

/* Leaves as pt_walk() reports them. */
struct vm_leaf {
	uintptr_t va;
	phys_addr_t pa;
	uint64_t size;
	unsigned prot;
};

struct vm_leaves {
	struct vm_leaf l[4096];
	size_t n;
	uint64_t bytes;
};

static inline int vm_collect_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot,
				  void *ctx)
{
	struct vm_leaves *ls = ctx;

	if (ls->n < sizeof(ls->l) / sizeof(ls->l[0]))
		ls->l[ls->n] = (struct vm_leaf){ va, pa, size, prot };
	ls->n++;
	ls->bytes += size;
	return 0;
}

/* Count the leaves of each size in [start, end). */
static inline void vm_leaves(const struct pt_space *s, uintptr_t start, uintptr_t end,
			     struct vm_leaves *ls)
{
	ls->n = 0;
	ls->bytes = 0;
	pt_walk(s, start, end, vm_collect_leaf, ls);
}

#endif
