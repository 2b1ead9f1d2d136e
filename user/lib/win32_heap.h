/* SPDX-License-Identifier: MIT */
/*
 * Win32 heaps over the heap core (win32_heap.c) and the core's page source
 * over VirtualAlloc (win32_heap_pages.c).
 */
#ifndef USER_LIB_WIN32_HEAP_H
#define USER_LIB_WIN32_HEAP_H

#include "mm/heap.h"
#include "mm/heap_pages.h"

/* What a heap's slabs and large areas are charged to: a fixed heap stops at its maximum. */
struct win32_heap_charge {
	SIZE_T maximum;			/* 0: growable */
	SIZE_T used;			/* bytes of slabs and large areas it holds */
	bool execute;			/* HEAP_CREATE_ENABLE_EXECUTE */
	bool creating;			/* HeapCreate: the next slab is the heap's own record */
};

/* The heap the calling thread works on (its HeapXxx call), or NULL. */
extern _Thread_local struct win32_heap_charge *win32_heap_current;

/* A page source over the process's heap arena, for heap_create(). */
void win32_heap_source(struct heap_page_source *src);

/* The heap arena: 64 KiB granules, slabs and heaps' own records (win32_heap_pages.c). */
#define WIN32_HEAP_GRANULE	((SIZE_T)1 << HEAP_SLAB_SHIFT)
#if UINTPTR_MAX > 0xffffffffu
#define WIN32_HEAP_ARENA_BYTES	((SIZE_T)16 << 30)
#else
#define WIN32_HEAP_ARENA_BYTES	((SIZE_T)256 << 20)
#endif
#define WIN32_HEAP_GRANULES	(WIN32_HEAP_ARENA_BYTES / WIN32_HEAP_GRANULE)
enum { WIN32_GRANULE_FREE, WIN32_GRANULE_SLAB, WIN32_GRANULE_HEAP, WIN32_GRANULE_OUTSIDE };
extern char *win32_heap_arena;
extern uint8_t win32_heap_kind[WIN32_HEAP_GRANULES];

/* What the 64 KiB granule holding @p is (inline: every HeapXxx call asks). */
static inline int win32_heap_granule(const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)win32_heap_arena;

	if (!win32_heap_arena || off >= WIN32_HEAP_ARENA_BYTES)
		return WIN32_GRANULE_OUTSIDE;
	return __atomic_load_n(&win32_heap_kind[off / WIN32_HEAP_GRANULE], __ATOMIC_RELAXED);
}

#endif
