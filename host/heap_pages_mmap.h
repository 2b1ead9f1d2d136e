/* SPDX-License-Identifier: MIT */
/* The heap's page source over mmap (host/heap_pages_mmap.c). */
#ifndef HOST_HEAP_PAGES_MMAP_H
#define HOST_HEAP_PAGES_MMAP_H

#include "mm/heap.h"
#include "mm/heap_pages.h"

extern struct heap_page_source heap_pages_mmap;

/* Size of the slab arena the next heap_init() reserves (default 64 GiB, lazily backed). */
void heap_pages_mmap_set_arena(size_t bytes);

/* Give back the memory of every freed slab run kept for reuse (malloc_trim). */
void heap_pages_mmap_trim(void);

/* Hold the source's lock across fork() (the malloc build's atfork handlers). */
void heap_pages_mmap_lock(void);
void heap_pages_mmap_unlock(void);

#endif
