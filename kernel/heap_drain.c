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
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"
#include "mm/reclaim.h"
#include "mm/vmalloc.h"

/* How often the heap's reclaim thread looks at free memory. */
#define HEAP_RECLAIM_POLL_MS	100

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

static void flush_here(void *arg)
{
	(void)arg;
	heap_flush_lists();
}

/**
 * heap_reclaim_all() - everything the kernel heap holds unused, back to the PMM
 *
 * Every CPU's lists go back to the slabs (by a cross-CPU call when
 * interrupts are on; else this CPU's only), then heap_shrink(): empty slabs
 * freed. For direct reclaim (the hook reclaim calls before swapping) and the
 * heap's reclaim thread. Interrupts on, no spinlock held, for all CPUs.
 *
 * Return: frames given back.
 */
unsigned long heap_reclaim_all(void)
{
	if (ncpus_online > 1 && (read_rflags() & RFLAGS_IF))
		smp_call(cpu_online_mask, flush_here, NULL);
	else
		heap_flush_lists();
	return heap_shrink(&heap_global);
}

/* While some zone is below its low watermark, the heap gives back what it does not use. */
static void heap_reclaimd(void *arg)
{
	(void)arg;
	for (;;) {
		if (reclaim_memory_low())	/* with swap or without: the heap needs none */
			heap_reclaim_all();
		sleep_until(time_ns() + HEAP_RECLAIM_POLL_MS * 1000000ull);
	}
}

/**
 * heap_reclaimd_start() - start the heap's reclaim thread (kmain, with the scheduler up)
 *
 * Also makes heap_reclaim_all() the first thing direct reclaim asks
 * (reclaim_set_shrinker()): a faulting task short of frames takes the
 * heap's unused slabs before anything is swapped.
 */
void heap_reclaimd_start(void)
{
	reclaim_set_shrinker(heap_reclaim_all);
	if (!kthread_create("kheapd", heap_reclaimd, NULL))
		kprintf("heap: no reclaim thread (out of memory); only direct reclaim shrinks the heap\n");
}

/**
 * free_frames_settled() - free frames with nothing parked in a cache
 *
 * What a leak check compares before and after a program: the heap's
 * per-CPU lists and empty slabs of every CPU, the areas and frames the
 * KASAN build's quarantines hold, and every CPU's frame cache, go back first, so a child that ran on another CPU leaves nothing there
 * that would look lost. Interrupts on, no spinlock held.
 */
uint64_t free_frames_settled(void)
{
	struct pmm_stats st;

	heap_drain_all();
	/* Slabs in the arena map pages back and give them back as they go: count them shrunk. */
	if (heap_pages_kernel.pages_restore)
		heap_shrink(&heap_global);
	vmalloc_drain();
	pmm_drain();
	pmm_get_stats(&st);
	return st.free_frames;
}
