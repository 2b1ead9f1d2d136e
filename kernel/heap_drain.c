// SPDX-License-Identifier: MIT
/*
 * Giving back what the heap's per-CPU lists hold, on every CPU. Each CPU's
 * lists are touched only by that CPU with interrupts off, so another CPU
 * cannot empty them: a cross-CPU call runs heap_drain() on each, in its
 * interrupt handler, which no list operation can be in the middle of.
 */
#include "arch.h"
#include "percpu.h"
#include "smp.h"
#include "kernel/heap.h"
#include "mm/heap.h"
#include "mm/pmm.h"

static void drain_here(void *arg)
{
	(void)arg;
	heap_drain();
}

/**
 * heap_drain_all() - flush every CPU's heap lists and free the empty slabs
 *
 * Call with interrupts on and no spinlock held (it waits for the other
 * CPUs); with interrupts off only this CPU's lists are flushed.
 */
void heap_drain_all(void)
{
	if (ncpus_online > 1 && (read_rflags() & RFLAGS_IF))
		smp_call(cpu_online_mask, drain_here, NULL);
	else
		heap_drain();
}

/**
 * free_frames_settled() - free frames with nothing parked in a cache
 *
 * What a leak check compares before and after a program: the heap's
 * per-CPU lists and empty slabs of every CPU, and every CPU's frame cache,
 * go back first, so a child that ran on another CPU leaves nothing there
 * that would look lost. Interrupts on, no spinlock held.
 */
uint64_t free_frames_settled(void)
{
	struct pmm_stats st;

	heap_drain_all();
	pmm_drain();
	pmm_get_stats(&st);
	return st.free_frames;
}
