// SPDX-License-Identifier: MIT
/*
 * The kernel heap's slab arena on the host (mm/heap_arena.c): a range of
 * this process's address space reserved inaccessible, as large as the
 * simulated RAM, where a page is made accessible (fresh zeroed memory) when
 * the core maps a frame there and inaccessible again, its memory dropped,
 * when the core unmaps it. A side table records the frame behind each page,
 * for the frames unmap hands back and plat_virt_to_phys(). The bytes live
 * in the arena's pages, not in the frames' simulated RAM: the core never
 * reaches a slab's frames through the direct map. So an access the core
 * makes to a page it gave back faults here as it would in the kernel.
 *
 * Mapping and unmapping whole pages with mmap(MAP_FIXED) are atomic to the
 * other threads; the side table is written by the page's owner only.
 */
#include <string.h>
#include <sys/mman.h>

#include "host/sim.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"

static struct {
	uint8_t *lo;
	size_t len;		/* bytes reserved */
	phys_addr_t *frame;	/* per page: the frame mapped there, or PMM_NO_FRAME */
} sa;

static size_t page_index(uintptr_t va)
{
	return (va - (uintptr_t)sa.lo) >> PAGE_SHIFT;
}

static int sim_arena_map(uintptr_t va, const phys_addr_t *pa, unsigned n)
{
	if (mmap((void *)va, (size_t)n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		return -1;
	for (unsigned i = 0; i < n; i++)
		sa.frame[page_index(va) + i] = pa[i];
	return 0;
}

static unsigned sim_arena_unmap(uintptr_t va, unsigned n, phys_addr_t *old)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i++) {
		phys_addr_t *f = &sa.frame[page_index(va) + i];
		if (*f != PMM_NO_FRAME)
			old[got++] = *f;
		*f = PMM_NO_FRAME;
	}
	if (mmap((void *)va, (size_t)n << PAGE_SHIFT, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		plat_panic("host: cannot unmap the heap arena at %p", (void *)va);
	return got;
}

static const struct heap_arena_ops sim_arena_ops = {
	.map = sim_arena_map,
	.unmap = sim_arena_unmap,
};

int sim_heap_arena_init(void)
{
	uint64_t ram = sim_ram_size();
	size_t len = (size_t)ALIGN_UP(ram, (uint64_t)HEAP_SLAB_SIZE);

	sim_heap_arena_fini();
	if (!ram || len != ALIGN_UP(ram, (uint64_t)HEAP_SLAB_SIZE))
		return -1;
	uint8_t *p = mmap(NULL, len + HEAP_SLAB_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	uint8_t *lo = (uint8_t *)ALIGN_UP((uintptr_t)p, HEAP_SLAB_SIZE);
	if (lo > p)
		munmap(p, (size_t)(lo - p));
	munmap(lo + len, (size_t)(p + HEAP_SLAB_SIZE - lo));
	size_t tbytes = ALIGN_UP((len >> PAGE_SHIFT) * sizeof(phys_addr_t), (size_t)PAGE_SIZE);
	void *t = mmap(NULL, tbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t == MAP_FAILED) {
		munmap(lo, len);
		return -1;
	}
	memset(t, 0xff, tbytes);	/* PMM_NO_FRAME */
	sa.lo = lo;
	sa.len = len;
	sa.frame = t;
	heap_pages_kernel_arena(&sim_arena_ops, (uintptr_t)lo, (uintptr_t)lo + len);
	heap_pages_kernel.arena_hi = 0;		/* initialised again by the next heap_init() */
	return 0;
}

void sim_heap_arena_fini(void)
{
	if (!sa.lo)
		return;
	heap_pages_kernel_arena(NULL, 0, 0);
	heap_pages_kernel.arena_hi = 0;
	munmap(sa.lo, sa.len);
	munmap(sa.frame, ALIGN_UP((sa.len >> PAGE_SHIFT) * sizeof(phys_addr_t), (size_t)PAGE_SIZE));
	sa.lo = NULL;
	sa.len = 0;
	sa.frame = NULL;
}

bool sim_heap_arena_phys(const void *va, phys_addr_t *pa)
{
	uintptr_t v = (uintptr_t)va;

	if (!sa.lo || v < (uintptr_t)sa.lo || v - (uintptr_t)sa.lo >= sa.len)
		return false;
	phys_addr_t f = sa.frame[page_index(v)];
	*pa = f == PMM_NO_FRAME ? PMM_NO_FRAME : f + (v & (PAGE_SIZE - 1));
	return true;
}
