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
#include "mm/pmm.h"
#include "mm/vmalloc.h"

/*
 * Free frames after this CPU's heap lists (and quarantine), vmalloc's
 * quarantine of freed areas (KASAN) and the PMM's caches (and its KASAN
 * quarantine) are emptied.
 */
static inline uint64_t free_frames(void)
{
	struct pmm_stats st;

	heap_drain();
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
