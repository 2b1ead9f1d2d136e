// SPDX-License-Identifier: MIT
/*
 * Windows heaps (memcore/win32.h) on the heap core: each HeapCreate heap is
 * a private instance of mm/heap (heap_create()) with the core's debug checks
 * on, over a page source of VirtualAlloc (win32_heap_pages.c). So a block
 * has the core's size classes and its red zone after the requested bytes
 * (HeapSize is exact), a freed block is poisoned, and HeapValidate is the
 * core's heap_validate(): red zones, poison and slab lists. Blocks beyond
 * the size classes are the core's large areas, each its own VirtualAlloc
 * allocation, as Windows' large blocks are.
 *
 * The HANDLE is the core's struct heap, at the start of a 64 KiB granule;
 * its page source is embedded in our record of the heap (struct w32heap),
 * which heap_source() leads back to. A fixed-size heap (maximum != 0) is
 * charged for every slab and large area it takes and stops at its maximum.
 *
 * Lock order: the heap list's lock alone; a heap's calls take the core's
 * locks (mm/heap.h), which serialize them with or without HEAP_NO_SERIALIZE.
 */
#include <stddef.h>
#include <string.h>

#include "memcore/win32.h"
#include "win32_heap.h"
#include "win32_internal.h"

#define W32HEAP_MAGIC	0x48656170u		/* "Heap" */
/* Windows' largest block in a fixed-size heap: "slightly less than" 512 KiB (32-bit), 1 MiB (64-bit). */
#define FIXED_BLOCK_MAX	(sizeof(void *) == 8 ? (SIZE_T)0xff000 : (SIZE_T)0x7f000)

struct w32heap {
	struct heap_page_source src;	/* heap_source(core) */
	struct win32_heap_charge charge;
	uint32_t magic;
	DWORD options;
	struct heap *core;
	struct w32heap *next;		/* all heaps of the process */
};

static struct w32heap *heaps;
static spinlock_t heaps_lock;
static struct heap *records;		/* where struct w32heap come from */
static struct heap *process_heap;

/* Our record of the heap @hHeap, or NULL if it is none. */
static struct w32heap *heap_of(HANDLE hHeap)
{
	struct w32heap *w;

	if (!hHeap || win32_heap_granule(hHeap) != WIN32_GRANULE_HEAP)
		return NULL;
	w = (struct w32heap *)((char *)heap_source(hHeap) - offsetof(struct w32heap, src));
	return w->magic == W32HEAP_MAGIC && w->core == hHeap ? w : NULL;
}

/* Work on @w: its slabs and large areas are charged to it. */
static void enter(struct w32heap *w)
{
	win32_heap_current = &w->charge;
}

static void leave(void)
{
	win32_heap_current = NULL;
}

static void raise_no_memory(const struct w32heap *w, DWORD flags)
{
	if ((flags | w->options) & HEAP_GENERATE_EXCEPTIONS)
		win32_raise(STATUS_NO_MEMORY);
}

/* A block of @n bytes (0 included: a block of its own with HeapSize 0). */
static inline void *block_alloc(struct w32heap *w, SIZE_T n)
{
	void *p;

	/* A fixed heap refuses a large area beyond its room before the core takes a record for it. */
	if (w->charge.maximum && (n > FIXED_BLOCK_MAX || (n + 8 > KMALLOC_MAX_SIZE &&
	    __atomic_load_n(&w->charge.used, __ATOMIC_RELAXED) + n > w->charge.maximum)))
		return NULL;
	enter(w);
	p = heap_alloc(w->core, n ? n : 1);
	if (p && !n)
		heap_resize_in_place(w->core, p, 0);
	leave();
	return p;
}

LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
{
	struct w32heap *w = heap_of(hHeap);
	void *p;

	if (!w)
		return NULL;
	p = block_alloc(w, dwBytes);
	if (!p)
		raise_no_memory(w, dwFlags);
	else if (dwFlags & HEAP_ZERO_MEMORY)
		memset(p, 0, dwBytes);
	return p;
}

BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
	struct w32heap *w = heap_of(hHeap);

	(void)dwFlags;
	if (!lpMem)
		return TRUE;
	if (!w) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	enter(w);
	BOOL ok = heap_release(w->core, lpMem);
	leave();
	if (!ok)
		SetLastError(ERROR_INVALID_PARAMETER);	/* not a live block: a double free? */
	return ok;
}

SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
	struct w32heap *w = heap_of(hHeap);

	(void)dwFlags;
	if (!w || !heap_contains(w->core, lpMem))
		return (SIZE_T)-1;
	return heap_usable(w->core, lpMem);
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)
{
	struct w32heap *w = heap_of(hHeap);
	SIZE_T old;
	void *p;

	if (!w || !lpMem)
		return NULL;
	if (!heap_contains(w->core, lpMem)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	old = heap_usable(w->core, lpMem);
	enter(w);
	p = heap_resize_in_place(w->core, lpMem, dwBytes);
	leave();
	if (!p && (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY)) {
		raise_no_memory(w, dwFlags);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	if (!p) {
		p = block_alloc(w, dwBytes);
		if (!p) {
			raise_no_memory(w, dwFlags);
			return NULL;
		}
		memcpy(p, lpMem, old < dwBytes ? old : dwBytes);
		enter(w);
		heap_free(w->core, lpMem);
		leave();
	}
	if ((dwFlags & HEAP_ZERO_MEMORY) && dwBytes > old)
		memset((char *)p + old, 0, dwBytes - old);
	return p;
}

HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize)
{
	const DWORD known = HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CREATE_ENABLE_EXECUTE |
			    HEAP_GROWABLE;
	struct w32heap *w;

	if ((flOptions & ~known) || (dwMaximumSize && dwInitialSize > dwMaximumSize)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	if (!records) {
		static struct heap_page_source records_src;
		unsigned long f = spin_lock_irqsave(&heaps_lock);
		if (!records) {
			win32_heap_source(&records_src);
			records = heap_create(&records_src, 0);
		}
		spin_unlock_irqrestore(&heaps_lock, f);
	}
	w = records ? heap_alloc(records, sizeof(*w)) : NULL;
	if (!w) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	win32_heap_source(&w->src);
	w->options = flOptions & ~HEAP_GROWABLE;
	w->charge.maximum = dwMaximumSize ? (dwMaximumSize + 4095) & ~(SIZE_T)4095 : 0;
	w->charge.execute = !!(flOptions & HEAP_CREATE_ENABLE_EXECUTE);
	w->charge.creating = true;
	enter(w);
	w->core = heap_create(&w->src, HEAP_DEBUG | HEAP_CHECK_LAZY);
	leave();
	w->charge.creating = false;
	if (!w->core) {
		heap_free(records, w);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	w->magic = W32HEAP_MAGIC;
	unsigned long f = spin_lock_irqsave(&heaps_lock);
	w->next = heaps;
	heaps = w;
	spin_unlock_irqrestore(&heaps_lock, f);
	return w->core;
}

BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
	struct w32heap *w = heap_of(hHeap), **pp;

	if (!w || hHeap == process_heap) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	unsigned long f = spin_lock_irqsave(&heaps_lock);
	for (pp = &heaps; *pp && *pp != w; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = w->next;
	spin_unlock_irqrestore(&heaps_lock, f);
	w->magic = 0;
	enter(w);
	heap_destroy(w->core);
	leave();
	heap_free(records, w);
	return TRUE;
}

HANDLE WINAPI GetProcessHeap(void)
{
	struct heap *h = __atomic_load_n(&process_heap, __ATOMIC_ACQUIRE);
	static spinlock_t once;

	if (h)
		return h;
	unsigned long f = spin_lock_irqsave(&once);
	if (!process_heap)
		__atomic_store_n(&process_heap, HeapCreate(0, 0, 0), __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&once, f);
	return process_heap;
}

DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps)
{
	DWORD n = 0;

	GetProcessHeap();
	unsigned long f = spin_lock_irqsave(&heaps_lock);
	for (struct w32heap *w = heaps; w; w = w->next, n++)
		if (n < NumberOfHeaps)
			ProcessHeaps[n] = w->core;
	spin_unlock_irqrestore(&heaps_lock, f);
	return n;
}

/* --- checking and walking ------------------------------------------------------ */

BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
	struct w32heap *w = heap_of(hHeap);

	(void)dwFlags;
	if (!w)
		return FALSE;
	return lpMem ? heap_validate_object(w->core, lpMem) : heap_validate(w->core) == 0;
}

/* The core's walk entry for the HeapWalk entry @e (the cursor of the next step). */
static void cursor_of(const PROCESS_HEAP_ENTRY *e, struct heap_walk_entry *c)
{
	memset(c, 0, sizeof(*c));
	c->ptr = e->lpData;
	if (e->wFlags & PROCESS_HEAP_REGION)
		c->kind = HEAP_WALK_SLAB;
	else if (win32_heap_granule(e->lpData) == WIN32_GRANULE_OUTSIDE)
		c->kind = HEAP_WALK_LARGE;	/* slabs lie in the arena, large areas never */
	else
		c->kind = HEAP_WALK_LIVE;
}

static BYTE overhead(SIZE_T stride, SIZE_T size)
{
	return (BYTE)(stride - size > 255 ? 255 : stride - size);
}

/* A slab is a region; its objects and the large areas are blocks. */
static void entry_of(const struct heap_walk_entry *c, PROCESS_HEAP_ENTRY *e)
{
	memset(e, 0, sizeof(*e));
	e->lpData = (PVOID)c->ptr;
	switch (c->kind) {
	case HEAP_WALK_SLAB:
		e->cbData = (DWORD)c->size;
		e->wFlags = PROCESS_HEAP_REGION;
		e->Region.dwCommittedSize = (DWORD)c->size;
		e->Region.lpFirstBlock = (LPVOID)c->first;
		e->Region.lpLastBlock = (LPVOID)c->end;
		break;
	case HEAP_WALK_FREE:
		e->cbData = (DWORD)c->size;
		break;
	case HEAP_WALK_LIVE:
	case HEAP_WALK_LARGE:
		e->cbData = (DWORD)c->size;
		e->cbOverhead = overhead(c->stride, c->size);
		e->wFlags = PROCESS_HEAP_ENTRY_BUSY;
		break;
	}
}

BOOL WINAPI HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry)
{
	struct w32heap *w = heap_of(hHeap);
	struct heap_walk_entry c;
	int r;

	if (!w || !lpEntry) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	cursor_of(lpEntry, &c);
	r = heap_walk_step(w->core, &c);
	if (r <= 0) {
		SetLastError(r ? ERROR_INVALID_PARAMETER : ERROR_NO_MORE_ITEMS);
		return FALSE;
	}
	entry_of(&c, lpEntry);
	return TRUE;
}
