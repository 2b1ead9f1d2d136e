// SPDX-License-Identifier: MIT
/*
 * Giving back what the heap's per-CPU lists hold, on every CPU. Each CPU's
 * lists are touched only by that CPU with interrupts off, so another CPU
 * cannot empty them: a cross-CPU call runs heap_drain() on each, in its
 * interrupt handler, which no list operation can be in the middle of.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "kernel/heap.h"
#include "mm/heap.h"

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
