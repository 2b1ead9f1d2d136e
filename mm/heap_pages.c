// SPDX-License-Identifier: MIT
/*
 * The heap's page source in the kernel (and on the simulator): slabs are PMM
 * blocks seen through the direct map, or mapped into the slab arena where
 * the platform gave one (mm/heap_arena.c: then free pages inside slabs go
 * back to the PMM); large areas are vmalloc areas that krealloc resizes
 * with vrealloc (DMA come from the size classes' DMA caches or are
 * one-object slabs, see kmalloc.c).
 */
#include "heap_pages.h"
#include "platform.h"
#include "pmm.h"
#include "vmalloc.h"

static void *kpages_get(unsigned order, unsigned flags);
static void kpages_put(void *p, unsigned order);

static int kpages_init(struct heap_page_source *src)
{
	struct pmm_stats st;
	phys_addr_t end = 0;

	pmm_get_stats(&st);
	for (unsigned z = 0; z < PMM_NR_ZONES; z++)	/* heap pages never come from HighMem */
		if (z != PMM_ZONE_ID_HIGHMEM)
			end = MM_MAX(end, st.zone[z].end);
	if (!end)
		return -1;
	if (heap_arena_setup(src, end))
		return 0;
	/* The direct map (again, if a test took the arena away). */
	src->name = "pmm+vmalloc";
	src->pages_get = kpages_get;
	src->pages_put = kpages_put;
	src->pages_purge = NULL;
	src->pages_restore = NULL;
	src->now_ns = NULL;
	src->arena_lo = (uintptr_t)plat_phys_to_virt(0);
	src->arena_hi = src->arena_lo + end;
	return 0;
}

static void *kpages_get(unsigned order, unsigned flags)
{
	unsigned pf = (flags & HEAP_PG_ZERO ? PMM_ZERO : 0) | (flags & HEAP_PG_DMA ? PMM_ZONE_DMA : 0);
	phys_addr_t pa = pmm_alloc_pages(order, pf);

	return pa == PMM_NO_FRAME ? NULL : plat_phys_to_virt(pa);
}

static void kpages_put(void *p, unsigned order)
{
	pmm_free_pages(plat_virt_to_phys(p), order);
}

/* Large areas come from vmalloc, over-allocated for alignments beyond a page. */
static void *klarge_get(size_t size, size_t align, unsigned flags, struct heap_area *a)
{
	size_t extra = align > PAGE_SIZE ? align - PAGE_SIZE : 0;
	size_t bytes = ALIGN_UP(size, (size_t)PAGE_SIZE) + extra;

	if (bytes < size)
		return NULL;
	void *p = vmalloc_prot(bytes, VMALLOC_PROT, flags & HEAP_PG_ZERO ? VMALLOC_ZERO : 0);
	if (!p)
		return NULL;
	*a = (struct heap_area){ .base = p, .len = bytes, .reserved = bytes };
	return (void *)ALIGN_UP((uintptr_t)p, (uintptr_t)MM_MAX(align, (size_t)PAGE_SIZE));
}

/* vrealloc: more pages after the area, or its page-table entries moved; shrinking frees the tail. */
static void *klarge_resize(struct heap_area *a, size_t size)
{
	void *p = vrealloc(a->base, size);

	if (!p)
		return NULL;
	a->base = p;
	a->len = a->reserved = ALIGN_UP(size, (size_t)PAGE_SIZE);
	return p;
}

static void klarge_put(const struct heap_area *a)
{
	vfree(a->base);
}

/* Slabs come from the PMM: its reclaim hook (pmm_set_reclaim()) judges the context. */
static bool kreclaim(unsigned order)
{
	return pmm_reclaim(order);
}

static void kphys(uint64_t *total, uint64_t *used)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	*total = (st.free_frames + st.used_frames) << PAGE_SHIFT;
	*used = st.used_frames << PAGE_SHIFT;
}

struct heap_page_source heap_pages_kernel = {
	.name = "pmm+vmalloc",
	.init = kpages_init,
	.pages_get = kpages_get,
	.pages_put = kpages_put,
	.large_get = klarge_get,
	.large_resize = klarge_resize,
	.large_put = klarge_put,
	.phys = kphys,
	.reclaim = kreclaim,
};
