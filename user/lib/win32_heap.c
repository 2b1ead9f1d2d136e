// SPDX-License-Identifier: MIT
/*
 * Windows heaps in the process, as Windows keeps them (memcore/win32.h):
 * HeapCreate reserves address space with VirtualAlloc and commits it as the
 * heap grows; a heap with a maximum is one fixed reservation, a growable
 * heap adds segments; blocks larger than HEAP_LARGE come straight from
 * VirtualAlloc (growable heaps only, as on Windows).
 *
 * Blocks are carved from a segment's committed bump area in size classes
 * (16-byte steps to 1 KiB, then four per power of two) and recycled through
 * per-class free lists: allocation and free are a pop and a push under the
 * heap's lock (none with HEAP_NO_SERIALIZE). Each block has a 16-byte
 * header holding the exact requested size (HeapSize), its class, its state
 * and a check word tied to the heap; the byte after the requested size is a
 * canary when the class leaves room. HeapValidate checks all of it, and
 * every free list, so overruns, double frees and foreign pointers are found.
 *
 * The heap's own header sits at the start of its first segment: the HANDLE
 * is that address, 64 KiB aligned, as on Windows.
 */
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "memcore/win32.h"
#include "win32_internal.h"

#define HEAP_MAGIC	0x48656170u		/* "Heap" */
#define BUSY		0xb5
#define FREE		0xf7
#define CANARY		0xab
#define HDR		16u
#define SMALL_MAX	1024u
#define HEAP_LARGE	0x7f000u		/* Windows' largest block in a fixed heap, about 508 KiB */
#define NCLASS		(64 + 4 * 10)
#define SEG_MIN		(1u << 20)		/* a growable heap's first segment reserves this */
#define SEG_MAX		(64u << 20)
#define COMMIT_STEP	(64u << 10)
#define PAGE		4096u

struct block {				/* 16 bytes before the data */
	uint32_t size;			/* bytes asked for */
	uint8_t cls, state;
	uint16_t check;			/* ties the block to its heap and size */
	struct block *next;		/* free: next on the class's list (busy: unused) */
#if UINTPTR_MAX <= 0xffffffffu
	uint32_t pad;
#endif
};
_Static_assert(sizeof(struct block) == HDR, "the header keeps data 16-byte aligned");

struct large {				/* a block straight from VirtualAlloc */
	struct large *next, *prev;
	SIZE_T size, reserved;		/* four words: 16 or 32 bytes */
	struct block b;			/* the block's header, right before its data */
};
_Static_assert(sizeof(struct large) % 16 == 0, "a large block's data is 16-byte aligned too");

struct segment {
	struct segment *next;
	char *start, *bump, *committed, *end;	/* blocks from start to bump */
	unsigned index;
};

struct heap {
	uint32_t magic;
	DWORD options;
	SIZE_T maximum;			/* 0: growable */
	int lock;
	struct segment *segs, *cur;
	struct large *large;
	struct block *free[NCLASS];
	unsigned nsegs;
	struct heap *next;		/* all heaps of the process */
};

static struct heap *heaps;
static int heaps_lock;
static struct heap *process_heap;

static void spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			sched_yield();
}

static void spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void lock(struct heap *h, DWORD flags)
{
	if (!((flags | h->options) & HEAP_NO_SERIALIZE))
		spin_lock(&h->lock);
}

static void unlock(struct heap *h, DWORD flags)
{
	if (!((flags | h->options) & HEAP_NO_SERIALIZE))
		spin_unlock(&h->lock);
}

/* Size class of @n bytes (n <= HEAP_LARGE) and the bytes it holds. */
static unsigned size_class(SIZE_T n)
{
	unsigned msb, shift;

	if (n <= SMALL_MAX)
		return n ? (unsigned)((n + 15) / 16 - 1) : 0;
	msb = 63 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	shift = msb - 2;
	return 64 + (msb - 10) * 4 + (unsigned)(((n - 1) >> shift) & 3);
}

static SIZE_T class_size(unsigned c)
{
	unsigned shift;

	if (c < 64)
		return (SIZE_T)(c + 1) * 16;
	shift = (c - 64) / 4 + 8;
	return (SIZE_T)(4 + (c - 64) % 4 + 1) << shift;
}

static uint16_t check_of(const struct heap *h, const struct block *b)
{
	uint64_t x = (uintptr_t)h ^ ((uintptr_t)b >> 4) ^ b->size ^ ((uint32_t)b->cls << 24);

	return (uint16_t)(x ^ (x >> 16) ^ (x >> 32) ^ 0x5a17);
}

static void seal(const struct heap *h, struct block *b, SIZE_T n, unsigned cls, uint8_t state)
{
	b->size = (uint32_t)n;
	b->cls = (uint8_t)cls;
	b->state = state;
	b->check = check_of(h, b);
	if (cls != 0xff && n < class_size(cls))
		((unsigned char *)(b + 1))[n] = CANARY;
}

static DWORD page_protect(const struct heap *h)
{
	return (h->options & HEAP_CREATE_ENABLE_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
}

static SIZE_T round_up(SIZE_T n, SIZE_T a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Commit up to @to (rounded to COMMIT_STEP, within the segment). */
static int commit_to(struct heap *h, struct segment *s, char *to)
{
	char *want = s->start + round_up((SIZE_T)(to - s->start), COMMIT_STEP);

	if (want > s->end)
		want = s->end;
	if (want <= s->committed)
		return 1;
	if (!VirtualAlloc(s->committed, (SIZE_T)(want - s->committed), MEM_COMMIT, page_protect(h)))
		return 0;
	s->committed = want;
	return 1;
}

/* The segment header for @bytes reserved at @base, @head bytes in (after the heap's header). */
static struct segment *segment_at(struct heap *h, char *base, SIZE_T bytes, SIZE_T head)
{
	struct segment *s = (struct segment *)(base + head);

	s->start = s->bump = (char *)round_up((uintptr_t)(s + 1), 16);
	s->end = base + bytes;
	s->committed = base;
	s->next = NULL;
	s->index = h->nsegs++;
	return s;
}

static int add_segment(struct heap *h, SIZE_T need)
{
	SIZE_T bytes = h->cur ? (SIZE_T)(h->cur->end - (char *)h->cur) * 2 : SEG_MIN;
	struct segment *s, **tail;
	char *base;

	if (h->maximum)
		return 0;		/* a fixed heap never grows */
	if (bytes > SEG_MAX)
		bytes = SEG_MAX;
	if (bytes < need + PAGE)
		bytes = round_up(need + PAGE, COMMIT_STEP);
	base = VirtualAlloc(NULL, bytes, MEM_RESERVE, page_protect(h));
	if (!base)
		return 0;
	if (!VirtualAlloc(base, PAGE, MEM_COMMIT, page_protect(h))) {
		VirtualFree(base, 0, MEM_RELEASE);
		return 0;
	}
	s = segment_at(h, base, bytes, 0);
	s->committed = base + PAGE;
	for (tail = &h->segs; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	h->cur = s;
	return 1;
}

/* A fresh block of class @cls from the current segment (growing it), or NULL. */
static struct block *carve(struct heap *h, unsigned cls)
{
	SIZE_T need = HDR + class_size(cls);
	struct segment *s = h->cur;

	if (!s || (SIZE_T)(s->end - s->bump) < need) {
		if (!add_segment(h, need))
			return NULL;
		s = h->cur;
	}
	if (s->bump + need > s->committed && !commit_to(h, s, s->bump + need))
		return NULL;
	struct block *b = (struct block *)s->bump;
	s->bump += need;
	return b;
}

static void raise_no_memory(struct heap *h, DWORD flags)
{
	if ((flags | h->options) & HEAP_GENERATE_EXCEPTIONS)
		win32_raise(STATUS_NO_MEMORY);
}

static struct heap *heap_of(HANDLE hHeap)
{
	struct heap *h = hHeap;

	return h && h->magic == HEAP_MAGIC ? h : NULL;
}

static void *alloc_large(struct heap *h, SIZE_T n)
{
	SIZE_T bytes;
	struct large *l;

	if (h->maximum || n > (SIZE_T)UINT32_MAX - PAGE)
		return NULL;
	bytes = round_up(sizeof(*l) + n, PAGE);
	l = VirtualAlloc(NULL, bytes, MEM_COMMIT | MEM_RESERVE, page_protect(h));
	if (!l)
		return NULL;
	l->size = n;
	l->reserved = bytes;
	l->prev = NULL;
	l->next = h->large;
	if (h->large)
		h->large->prev = l;
	h->large = l;
	seal(h, &l->b, n, 0xff, BUSY);
	return &l->b + 1;
}

LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
{
	struct heap *h = heap_of(hHeap);
	struct block *b;
	unsigned cls;
	void *p;

	if (!h)
		return NULL;
	lock(h, dwFlags);
	if (dwBytes > HEAP_LARGE) {
		p = alloc_large(h, dwBytes);	/* VirtualAlloc's pages are zero */
		unlock(h, dwFlags);
		if (!p)
			raise_no_memory(h, dwFlags);
		return p;
	}
	cls = size_class(dwBytes);
	b = h->free[cls];
	if (b)
		h->free[cls] = b->next;
	else
		b = carve(h, cls);
	if (b)
		seal(h, b, dwBytes, cls, BUSY);
	unlock(h, dwFlags);
	if (!b) {
		raise_no_memory(h, dwFlags);
		return NULL;
	}
	if (dwFlags & HEAP_ZERO_MEMORY)
		memset(b + 1, 0, dwBytes);
	return b + 1;
}

/* The block of @p if it is a live block of @h (cheap checks: header only). */
static struct block *busy_block(struct heap *h, LPCVOID p)
{
	struct block *b = (struct block *)p - 1;

	if (!p || ((uintptr_t)p & 15) || b->state != BUSY || b->check != check_of(h, b))
		return NULL;
	return b;
}

static struct large *large_of(struct block *b)
{
	return (struct large *)((char *)b - offsetof(struct large, b));
}

BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
	struct heap *h = heap_of(hHeap);
	struct block *b;

	if (!lpMem)
		return TRUE;
	if (!h) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	lock(h, dwFlags);
	b = busy_block(h, lpMem);
	if (!b) {
		unlock(h, dwFlags);
		SetLastError(ERROR_INVALID_PARAMETER);	/* not a live block: a double free? */
		return FALSE;
	}
	if (b->cls == 0xff) {
		struct large *l = large_of(b);

		if (l->prev)
			l->prev->next = l->next;
		else
			h->large = l->next;
		if (l->next)
			l->next->prev = l->prev;
		b->state = FREE;
		unlock(h, dwFlags);
		VirtualFree(l, 0, MEM_RELEASE);
		return TRUE;
	}
	b->state = FREE;
	b->check = check_of(h, b);
	b->next = h->free[b->cls];
	h->free[b->cls] = b;
	unlock(h, dwFlags);
	return TRUE;
}

SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
	struct heap *h = heap_of(hHeap);
	struct block *b;
	SIZE_T n;

	if (!h)
		return (SIZE_T)-1;
	lock(h, dwFlags);
	b = busy_block(h, lpMem);
	n = !b ? (SIZE_T)-1 : b->cls == 0xff ? large_of(b)->size : b->size;
	unlock(h, dwFlags);
	return n;
}

/* Room the block of @b has for data. */
static SIZE_T capacity(const struct block *b)
{
	if (b->cls == 0xff)
		return large_of((struct block *)b)->reserved - sizeof(struct large);
	return class_size(b->cls);
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)
{
	struct heap *h = heap_of(hHeap);
	struct block *b;
	SIZE_T old;
	void *p;

	if (!h || !lpMem)
		return NULL;
	lock(h, dwFlags);
	b = busy_block(h, lpMem);
	if (!b) {
		unlock(h, dwFlags);
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	old = b->cls == 0xff ? large_of(b)->size : b->size;
	if (dwBytes <= capacity(b) && (b->cls == 0xff || dwBytes <= HEAP_LARGE)) {
		/* In place: the block already has the room. */
		if (b->cls == 0xff)
			large_of(b)->size = dwBytes;
		seal(h, b, b->cls == 0xff ? (uint32_t)dwBytes : dwBytes, b->cls, BUSY);
		unlock(h, dwFlags);
		if ((dwFlags & HEAP_ZERO_MEMORY) && dwBytes > old)
			memset((char *)lpMem + old, 0, dwBytes - old);
		return lpMem;
	}
	unlock(h, dwFlags);
	if (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY) {
		raise_no_memory(h, dwFlags);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	p = HeapAlloc(hHeap, dwFlags, dwBytes);
	if (!p)
		return NULL;
	memcpy(p, lpMem, old < dwBytes ? old : dwBytes);
	HeapFree(hHeap, dwFlags, lpMem);
	return p;
}

HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize)
{
	const DWORD known = HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CREATE_ENABLE_EXECUTE |
			    HEAP_GROWABLE;
	DWORD prot = (flOptions & HEAP_CREATE_ENABLE_EXECUTE) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
	SIZE_T initial, reserve;
	struct heap *h;
	char *base;

	if (flOptions & ~known) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	if (dwMaximumSize && dwInitialSize > dwMaximumSize) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	/* The heap's header and first segment share the first pages. */
	initial = round_up(dwInitialSize ? dwInitialSize : 1, PAGE) + PAGE;
	reserve = dwMaximumSize ? round_up(dwMaximumSize, PAGE) + PAGE :
		  (initial > SEG_MIN ? round_up(initial, COMMIT_STEP) : SEG_MIN);
	if (initial > reserve)
		initial = reserve;
	base = VirtualAlloc(NULL, reserve, MEM_RESERVE, prot);
	if (!base)
		return NULL;
	if (!VirtualAlloc(base, initial, MEM_COMMIT, prot)) {
		VirtualFree(base, 0, MEM_RELEASE);
		return NULL;
	}
	h = (struct heap *)base;
	memset(h, 0, sizeof(*h));
	h->magic = HEAP_MAGIC;
	h->options = flOptions & ~HEAP_GROWABLE;
	h->maximum = dwMaximumSize;
	h->segs = h->cur = segment_at(h, base, reserve, sizeof(*h));
	h->cur->committed = base + initial;
	spin_lock(&heaps_lock);
	h->next = heaps;
	heaps = h;
	spin_unlock(&heaps_lock);
	return h;
}

BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
	struct heap *h = heap_of(hHeap), **pp;
	struct segment *s, *next_s;

	if (!h || h == process_heap) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	spin_lock(&heaps_lock);
	for (pp = &heaps; *pp && *pp != h; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = h->next;
	spin_unlock(&heaps_lock);
	while (h->large) {
		struct large *l = h->large;

		h->large = l->next;
		VirtualFree(l, 0, MEM_RELEASE);
	}
	h->magic = 0;
	/* The first segment holds the heap itself: released last. */
	for (s = h->segs->next; s; s = next_s) {
		next_s = s->next;
		VirtualFree(s, 0, MEM_RELEASE);
	}
	VirtualFree(h, 0, MEM_RELEASE);
	return TRUE;
}

HANDLE WINAPI GetProcessHeap(void)
{
	struct heap *h = __atomic_load_n(&process_heap, __ATOMIC_ACQUIRE);
	static int once;

	if (h)
		return h;
	spin_lock(&once);
	if (!process_heap)
		__atomic_store_n(&process_heap, HeapCreate(0, 0, 0), __ATOMIC_RELEASE);
	spin_unlock(&once);
	return process_heap;
}

DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps)
{
	DWORD n = 0;

	GetProcessHeap();
	spin_lock(&heaps_lock);
	for (struct heap *h = heaps; h; h = h->next, n++)
		if (n < NumberOfHeaps)
			ProcessHeaps[n] = h;
	spin_unlock(&heaps_lock);
	return n;
}

/* --- checking and walking ------------------------------------------------------ */

/* Is the block at @b sound? Busy blocks have their canary. */
static int block_ok(const struct heap *h, const struct block *b)
{
	if ((b->state != BUSY && b->state != FREE) || b->cls >= NCLASS || b->check != check_of(h, b))
		return 0;
	if (b->state == BUSY && b->size > class_size(b->cls))
		return 0;
	if (b->state == BUSY && b->size < class_size(b->cls) &&
	    ((const unsigned char *)(b + 1))[b->size] != CANARY)
		return 0;
	return 1;
}

static const struct segment *segment_of(const struct heap *h, const void *p)
{
	for (const struct segment *s = h->segs; s; s = s->next)
		if ((const char *)p >= s->start && (const char *)p < s->bump)
			return s;
	return NULL;
}

/* Is @b the start of a block of @h? (walks its segment) */
static int is_block(const struct heap *h, const struct block *b)
{
	const struct segment *s = segment_of(h, b);

	if (!s)
		return 0;
	for (const char *c = s->start; c < s->bump; c += HDR + class_size(((const struct block *)c)->cls)) {
		if (c == (const char *)b)
			return 1;
		if (((const struct block *)c)->cls >= NCLASS)
			return 0;
	}
	return 0;
}

static int validate_all(const struct heap *h)
{
	SIZE_T nfree = 0, listed = 0;

	for (const struct segment *s = h->segs; s; s = s->next) {
		const char *c;

		if (s->bump > s->committed || s->committed > s->end)
			return 0;
		for (c = s->start; c < s->bump; c += HDR + class_size(((const struct block *)c)->cls)) {
			if (!block_ok(h, (const struct block *)c))
				return 0;
			nfree += ((const struct block *)c)->state == FREE;
		}
		if (c != s->bump)
			return 0;
	}
	for (unsigned k = 0; k < NCLASS; k++)
		for (const struct block *b = h->free[k]; b; b = b->next, listed++)
			if (listed > nfree || b->state != FREE || b->cls != k || !segment_of(h, b))
				return 0;
	for (const struct large *l = h->large; l; l = l->next)
		if (l->b.state != BUSY || l->b.cls != 0xff || l->b.check != check_of(h, &l->b))
			return 0;
	return listed == nfree;
}

BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
	struct heap *h = heap_of(hHeap);
	struct block *b;
	int good;

	if (!h)
		return FALSE;
	lock(h, dwFlags);
	if (!lpMem) {
		good = validate_all(h);
	} else {
		b = busy_block(h, lpMem);
		good = b && (b->cls == 0xff || (is_block(h, b) && block_ok(h, b)));
		if (b && b->cls == 0xff) {
			good = 0;
			for (struct large *l = h->large; l; l = l->next)
				good |= l == large_of(b);
		}
	}
	unlock(h, dwFlags);
	return good;
}

static void entry_block(LPPROCESS_HEAP_ENTRY e, const struct block *b, unsigned region)
{
	memset(e, 0, sizeof(*e));
	e->lpData = (void *)(b + 1);
	e->cbData = b->state == BUSY ? b->size : (DWORD)class_size(b->cls);
	e->cbOverhead = (BYTE)(HDR + (b->state == BUSY ? class_size(b->cls) - b->size : 0));
	e->iRegionIndex = (BYTE)region;
	e->wFlags = b->state == BUSY ? PROCESS_HEAP_ENTRY_BUSY : 0;
}

static void entry_region(LPPROCESS_HEAP_ENTRY e, const struct segment *s)
{
	memset(e, 0, sizeof(*e));
	e->lpData = (void *)s;
	e->cbData = (DWORD)(s->committed - (const char *)s);
	e->iRegionIndex = (BYTE)s->index;
	e->wFlags = PROCESS_HEAP_REGION;
	e->Region.dwCommittedSize = (DWORD)(s->committed - (const char *)s);
	e->Region.dwUnCommittedSize = (DWORD)(s->end - s->committed);
	e->Region.lpFirstBlock = s->start;
	e->Region.lpLastBlock = s->end;
}

static int next_segment(const struct heap *h, LPPROCESS_HEAP_ENTRY e, const struct segment *s)
{
	if (s->next) {
		entry_region(e, s->next);
		return 1;
	}
	if (h->large) {
		entry_block(e, &h->large->b, 0);
		e->cbData = (DWORD)h->large->size;
		return 1;
	}
	return 0;
}

/* After the blocks of @s: its uncommitted rest, or what follows it. */
static int after_blocks(const struct heap *h, LPPROCESS_HEAP_ENTRY e, const struct segment *s)
{
	if (s->committed < s->end) {
		memset(e, 0, sizeof(*e));
		e->lpData = s->committed;
		e->cbData = (DWORD)(s->end - s->committed);
		e->iRegionIndex = (BYTE)s->index;
		e->wFlags = PROCESS_HEAP_UNCOMMITTED_RANGE;
		return 1;
	}
	return next_segment(h, e, s);
}

static int walk_next(const struct heap *h, LPPROCESS_HEAP_ENTRY e)
{
	const struct segment *s;

	if (!e->lpData) {
		entry_region(e, h->segs);
		return 1;
	}
	if (e->wFlags & PROCESS_HEAP_REGION) {
		s = e->lpData;
		if (s->start < s->bump) {
			entry_block(e, (const struct block *)s->start, s->index);
			return 1;
		}
		return after_blocks(h, e, s);
	}
	if (e->wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) {
		for (s = h->segs; s && s->committed != e->lpData; s = s->next)
			;
		return s ? next_segment(h, e, s) : -1;
	}
	const struct block *b = (const struct block *)e->lpData - 1;
	if (b->cls == 0xff) {
		const struct large *l = large_of((struct block *)b);

		if (!l->next)
			return 0;
		entry_block(e, &l->next->b, 0);
		e->cbData = (DWORD)l->next->size;
		return 1;
	}
	s = segment_of(h, b);
	if (!s || !block_ok(h, b))
		return -1;
	const char *c = (const char *)b + HDR + class_size(b->cls);
	if (c < s->bump) {
		entry_block(e, (const struct block *)c, s->index);
		return 1;
	}
	return after_blocks(h, e, s);
}

BOOL WINAPI HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry)
{
	struct heap *h = heap_of(hHeap);
	int r;

	if (!h || !lpEntry) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	lock(h, 0);
	r = walk_next(h, lpEntry);
	unlock(h, 0);
	if (r <= 0) {
		SetLastError(r ? ERROR_INVALID_PARAMETER : ERROR_NO_MORE_ITEMS);
		return FALSE;
	}
	return TRUE;
}
