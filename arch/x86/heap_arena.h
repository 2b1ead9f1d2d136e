/* SPDX-License-Identifier: MIT */
/* The heap's slab arena in the kernel's page tables (arch/x86/heap_arena.c). */
#ifndef ARCH_X86_HEAP_ARENA_H
#define ARCH_X86_HEAP_ARENA_H

#include "mm/types.h"

/* Where vmalloc's own window ends: the arena, where the arch has one, follows it. */
uintptr_t arch_vmalloc_end(void);
/* Give the heap its arena (before heap_init()); nothing where the arch has none. */
void arch_heap_arena_init(void);
/* Is @va in the arena? Then *@pa is the frame mapped there, or PMM_NO_FRAME. */
bool arch_heap_arena_phys(uintptr_t va, phys_addr_t *pa);

#endif
