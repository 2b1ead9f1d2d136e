/* SPDX-License-Identifier: MIT */
/* The kernel's side of the heap: boot set-up and reports (kernel/heap_shell.c). */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stdint.h>

/* Sets the heap up over the PMM and vmalloc; heap=debug turns the checks on. */
void heap_boot_init(void);
/* heap_drain() on every CPU (kernel/heap_drain.c): when the kernel needs memory back. */
void heap_drain_all(void);
/*
 * Every CPU's heap lists flushed, then every empty slab freed (heap_shrink()):
 * the hook for direct reclaim, and what the heap's reclaim thread does while
 * memory is low. Interrupts on, no spinlock held. Returns frames freed.
 */
unsigned long heap_reclaim_all(void);
/* The thread that calls heap_reclaim_all() every 100 ms while a zone is below its low watermark. */
void heap_reclaimd_start(void);
/* Free frames once every CPU's heap lists and frame caches are given back (leak checks). */
uint64_t free_frames_settled(void);
/* memstat's heap lines: Sarrus's figures and one line per cache in use. */
void heap_print_stats(void);

#endif
