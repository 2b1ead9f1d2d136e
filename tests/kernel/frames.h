/* SPDX-License-Identifier: MIT */
/*
 * Exact frame accounting in the in-kernel tests: the free-frame count taken
 * with the caches that hold freed frames back emptied first, so that a test
 * can check that every frame it took came back.
 */
#ifndef TESTS_KERNEL_FRAMES_H
#define TESTS_KERNEL_FRAMES_H

#include "kernel/heap.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

/*
 * Free frames after this CPU's heap lists (and quarantine), vmalloc's
 * quarantine of freed areas (KASAN) and the PMM's caches (and its KASAN
 * quarantine) are emptied. Where the heap gives pages inside slabs back
 * (its slab arena), a workload may map back pages of slabs that were there
 * before it: the heap's free pages are given back first too, so that before
 * and after compare the same state.
 */
static inline uint64_t free_frames(void)
{
	struct pmm_stats st;

	heap_drain();
	if (heap_pages_kernel.pages_restore)
		heap_shrink(&heap_global);
	vmalloc_drain();
	pmm_drain();
	pmm_get_stats(&st);
	return st.free_frames;
}

/* The same, every CPU's heap lists emptied first (objects freed on other CPUs too). */
static inline uint64_t free_frames_all_cpus(void)
{
	heap_drain_all();
	return free_frames();
}

#endif
