/* SPDX-License-Identifier: MIT */
/*
 * The kernel heap: SLUB-like object caches and the kmalloc family.
 *
 * Memory comes in slabs of HEAP_SLAB_SIZE bytes, naturally aligned, from a
 * page source (mm/heap_pages.h). A slab holds objects of one cache; its
 * header sits at its start, so the slab of any object is found by masking
 * the object's address. Each CPU (a thread, on the host) keeps a short free
 * list per cache in front of the slabs: allocation and free are a pop and a
 * push on it, and the cache's lock is taken only to move a batch of objects
 * between that list and the slabs. A slab that becomes empty goes back to
 * the page source, beyond one kept per cache, so the heap contracts.
 *
 * kmalloc serves sizes up to KMALLOC_MAX_SIZE from size-class caches and
 * larger ones from the page source's large areas (vmalloc in the kernel),
 * which are followed by an unmapped guard gap and recorded in a hash table.
 *
 * kmalloc(0) returns ZERO_SIZE_PTR, as Linux does: not NULL, so callers do
 * not mistake it for failure, but an address in the never-mapped null page,
 * so any access to it faults. kfree() and ksize() accept it (ksize gives 0).
 *
 * Debugging (red zones, sites, poison, double/invalid-free reports, leak
 * report) is compiled in with MM_HEAP_DEBUG and switched on by
 * heap_init(HEAP_DEBUG). Hardening (obfuscated, checked free-list pointers,
 * zero on free) is compiled in with MM_HARDENED.
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include "spinlock.h"
#include "types.h"

/* Slab geometry: one naturally aligned run of pages per slab. */
#ifndef HEAP_SLAB_SHIFT
#define HEAP_SLAB_SHIFT		16			/* 64 KiB */
#endif
#define HEAP_SLAB_SIZE		((uintptr_t)1 << HEAP_SLAB_SHIFT)
#define HEAP_SLAB_ORDER		(HEAP_SLAB_SHIFT - PAGE_SHIFT)
#define HEAP_SLAB_PAGES		(HEAP_SLAB_SIZE / PAGE_SIZE)

/* Size classes: 8 bytes to KMALLOC_MAX_SIZE (8 KiB in the kernel). */
#define KMALLOC_MIN_SIZE	8
#ifndef KMALLOC_MAX_SIZE
#define KMALLOC_MAX_SIZE	8192
#endif
/*
 * krealloc() moves a buffer grown past this many bytes into a large area,
 * where it grows in place (when the page source can resize large areas).
 */
#ifndef KMALLOC_REALLOC_LARGE
#define KMALLOC_REALLOC_LARGE	KMALLOC_MAX_SIZE
#endif
#define HEAP_MAX_CLASSES	48
/* Objects moved per refill or flush of a per-CPU list: about HEAP_BATCH_BYTES worth. */
#ifndef HEAP_BATCH_BYTES
#define HEAP_BATCH_BYTES	16384
#endif
#define HEAP_BATCH_MIN		1u	/* large objects one by one: a list of them holds memory no other class can use */
#define HEAP_BATCH_MAX		64u
#ifndef HEAP_EMPTY_KEEP
#define HEAP_EMPTY_KEEP		1	/* empty slabs a cache in use keeps before giving them back (an idle one: none) */
#endif
/*
 * Free pages inside a slab are given back once its free objects come to
 * HEAP_PURGE_MIN bytes and it has waited HEAP_PURGE_DELAY_NS (page sources
 * that can: the malloc build), if its class is idle, or as far as they
 * stayed unused for HEAP_PURGE_DECAY_NS if it is not (mm/slab_purge.c): the
 * decay, not this threshold, keeps a class that reuses its free objects
 * from paying page faults for them.
 */
#ifndef HEAP_PURGE_MIN
#define HEAP_PURGE_MIN		(HEAP_SLAB_SIZE / 4)
#endif
#ifndef HEAP_PURGE_MIN_PAGES
#define HEAP_PURGE_MIN_PAGES	8	/* pages a scan must free to give them back */
#endif
#ifndef HEAP_PURGE_DELAY_NS
#define HEAP_PURGE_DELAY_NS	100000000ull		/* 100 ms */
#endif
/* A class in use gives back the free memory it left unused for this long. */
#ifndef HEAP_PURGE_DECAY_NS
#define HEAP_PURGE_DECAY_NS	(4 * HEAP_PURGE_DELAY_NS)
#endif
/*
 * A class is idle once the heap as a whole has handed out this many bytes
 * since the class last refilled a per-CPU list (frees are not use; a clock of allocation, not of
 * time: a program that is not running does not age its classes). When the
 * heap must take more memory from its page source, idle classes give their
 * free pages back at once; otherwise after HEAP_PURGE_DELAY_NS too.
 */
#ifndef HEAP_PURGE_IDLE_BYTES
#define HEAP_PURGE_IDLE_BYTES	((uint64_t)8 << 20)
#endif
#define HEAP_MAX_CACHES		128		/* kmalloc, DMA and named caches */
#define HEAP_NAME_LEN		24

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(p)	((uintptr_t)(p) <= (uintptr_t)ZERO_SIZE_PTR)

/* heap_init() flags */
#define HEAP_DEBUG		0x1	/* red zones, sites, poison, free checks (MM_HEAP_DEBUG) */
#define HEAP_PAGE_RUNS		0x2	/* mid sizes from page runs any size shares (mm/heap_runs.c) */

/*
 * With HEAP_PAGE_RUNS, requests above HEAP_RUN_MIN bytes and up to half a
 * slab are page runs, best fit, in slabs any such size shares (not debug heaps).
 */
#ifndef HEAP_RUN_MIN
#define HEAP_RUN_MIN		16384
#endif

/* heap_create() flag, with HEAP_DEBUG: poison is checked by heap_validate() only, not on reuse */
#define HEAP_CHECK_LAZY		0x4

/* kmem_cache_create() flags */
#define KMEM_DMA		0x1	/* slabs physically contiguous, below 16 MiB */
#define KMEM_DEBUG		0x2	/* debug checks on this cache even if off globally (MM_HEAP_DEBUG) */

/* Byte patterns of the debug build. */
#define HEAP_POISON_FREE	0x6b	/* a freed object's payload */
#define HEAP_REDZONE_BYTE	0xcc	/* bytes between the requested size and the object's end */
#define HEAP_SLAB_MAGIC		0x51ab51ab5eedcafeull

typedef void (*kmem_ctor_t)(void *obj);

/* Where an object was allocated or freed: file and line, or a return address. */
struct heap_site {
	const char *file;
	uint32_t line;
	const void *ret;
};

/* Per-object record of the debug build, kept beside the slab's objects. */
#define HEAP_STACK_DEPTH	6	/* MM_KASAN: return addresses kept per allocation and free */
struct heap_objmeta {
	struct heap_site alloc, free;
	uint32_t req_size;		/* what the caller asked for; the rest is red zone */
	uint32_t epoch;			/* heap_mark() generation at allocation */
	uint8_t state;			/* HEAP_OBJ_* */
#ifdef MM_KASAN
	const void *alloc_stack[HEAP_STACK_DEPTH], *free_stack[HEAP_STACK_DEPTH];
#endif
};

enum { HEAP_OBJ_FREE, HEAP_OBJ_LIVE };

/* The header at the start of every slab. */
struct slab {
	uint64_t magic;			/* HEAP_SLAB_MAGIC */
	struct kmem_cache *cache;
	/* Copies of the cache's, so that a free touches only this line. */
	uint16_t cache_id;
	uint16_t flush_at;		/* per-CPU list length that triggers a flush */
	uint32_t fp_offset;
	uint32_t usable;		/* bytes an object may hold (fast build's ksize) */
	struct slab *prev, *next;	/* in the cache's partial, full or empty list */
	uintptr_t objs;			/* first object */
	struct heap_objmeta *meta;	/* debug build: one per object, else NULL */
	uint32_t inuse;			/* objects out of the slab (including per-CPU lists) */
	uint32_t carved;		/* objects ever handed out: the rest are untouched */
	uint32_t capacity;
	uint32_t large_size;		/* a DMA area's bytes (cache heap_dma_large) */
	uint8_t list;			/* SLAB_LIST_* */
	uint8_t order;			/* pages of the slab, as a power of two */
	/* Free pages given back (mm/slab_purge.c). */
	uint8_t dirty;			/* on the cache's queue of slabs to scan */
	uint32_t dormant;		/* free objects starting in a purged page: off the free list */
	uint32_t scan_free;		/* free objects at the last scan, or fewer since */
	uint32_t scan_inuse;		/* objects in use at the last scan, or more since */
	uint64_t dirty_since;		/* when it was queued, ns */
	struct slab *dirty_prev, *dirty_next;
	uint64_t purged[(HEAP_SLAB_PAGES + 63) / 64];	/* pages given back */
	/*
	 * Purging caches: bytes of each page covered by free objects (on the
	 * free list or dormant), so a scan finds wholly free pages without
	 * walking the free list. Kept by slab_take() and slab_give().
	 */
	uint16_t pfree[HEAP_SLAB_PAGES];
	/*
	 * Free objects, one list per page they start in (pointers in the
	 * objects encoded; heads and tails here as offsets in the slab / 8,
	 * 0 for none), and the pages whose list is not empty: a purge drops
	 * a wholly free page's list without a walk through the others.
	 */
	uint64_t fmask[(HEAP_SLAB_PAGES + 63) / 64];
	uint16_t fhead[HEAP_SLAB_PAGES], ftail[HEAP_SLAB_PAGES];
};

enum { SLAB_LIST_PARTIAL, SLAB_LIST_FULL, SLAB_LIST_EMPTY };

struct slab_list {
	struct slab *head;
	uint64_t count;
};

struct kmem_cache {
	struct heap *heap;		/* the heap it belongs to */
	uint32_t id;			/* index in its heap (and the global heap's per-CPU lists) */
	uint32_t size;			/* object stride */
	uint32_t obj_size;		/* what the creator asked for */
	uint32_t align;
	uint32_t flags;			/* KMEM_* */
	uint32_t batch;			/* objects moved per refill or flush */
	uint32_t capacity;		/* objects per slab */
	uint32_t fp_offset;		/* where a free object keeps its free-list pointer */
	kmem_ctor_t ctor;
	spinlock_t lock;		/* everything below */
	unsigned long lock_flags;	/* interrupt state saved by the lock's holder */
	struct slab_list partial, full, empty;
	uint64_t slabs_created, slabs_freed;
	struct slab *dirty_head, *dirty_tail;	/* slabs waiting to give free pages back */
	uint64_t pages_purged;		/* pages given back from inside slabs */
	uint64_t free_objs;		/* free objects on its slabs' free lists */
	void *orphan;			/* an exited thread's list, whole, for the next refill */
	uint32_t orphan_n;		/* objects on it */
	uint64_t free_low;		/* the least free_objs since window_ns */
	uint64_t window_ns;		/* when its current purge window began */
	MM_ATOMIC64 uint64_t last_use_ns;	/* purging caches: last refill or flush of a per-CPU list, */
	MM_ATOMIC64 uint64_t last_use_at;	/* and heap.alloc_clock then (both read unlocked) */
	bool purgeable;			/* free pages inside slabs can be given back */
	bool debug;			/* slabs carry struct heap_objmeta */
	bool live;
	char name[HEAP_NAME_LEN];
};
MM_ATOMIC64_OK(struct kmem_cache, last_use_ns);
MM_ATOMIC64_OK(struct kmem_cache, last_use_at);

/*
 * A CPU's (or thread's) free list of one cache, with its counts in the same
 * cache line (written by the owner only, as relaxed atomics, so that
 * statistics may read them).
 */
/*
 * A CPU's free list of one cache: it holds limit - room objects, and a free
 * that takes room below 0 flushes a batch. Allocations are not counted on
 * the fast path: they are nfree + moved - objects held (heap_list_nalloc()).
 */
struct heap_cpu_list {
	void *head;
	int32_t room;
	uint32_t limit;			/* 0 until set */
	uint32_t freer;			/* overflowed since the last refill: frees more than it allocates */
	uint64_t nfree;
	int64_t moved;			/* objects taken from the slabs minus objects given back */
};

struct heap_cpu {
	struct heap_cpu_list list[HEAP_MAX_CACHES];
	/* Allocations outside the lists: large areas, debug caches. */
	uint64_t nalloc, nfree;
	int64_t live_bytes;		/* bytes it handed out minus bytes it took back */
	struct heap_cpu *next;		/* all of them, for statistics */
};

/* Sarrus's memory_stats_t, with the heap's detail after it. */
typedef struct memory_stats {
	uint64_t total_physical;	/* bytes of RAM the page source manages */
	uint64_t used_physical;
	uint64_t free_physical;
	uint64_t heap_size;		/* bytes held by the heap: slabs + large areas */
	uint64_t heap_used;		/* bytes in live objects (whole size classes) */
	uint64_t heap_free;		/* heap_size - heap_used */
	uint64_t allocation_count;
	uint64_t free_count;
	uint64_t slab_bytes, large_bytes, large_count;
	/* Given back without being freed by the program (purge). */
	uint64_t pages_purged;		/* pages given back from inside slabs, ever */
	uint64_t slabs_freed;		/* slabs given back, ever */
	uint64_t shrinks, shrunk_pages;	/* heap_shrink() calls, pages they gave back */
} memory_stats_t;

struct kmem_cache_stats {
	const char *name;
	uint32_t obj_size, objs_per_slab;
	uint64_t slabs, empty_slabs;	/* slabs held, of which empty */
	uint64_t objs_inuse;		/* out of the slabs (live or in per-CPU lists) */
	uint64_t objs_total;		/* slabs * objs_per_slab */
	uint64_t pages_purged;		/* pages given back from inside slabs, ever */
	uint64_t slabs_freed;		/* slabs given back to the page source, ever */
};

/* --- Setup --------------------------------------------------------------- */

struct heap_page_source;

/**
 * heap_init() - set the heap up over a page source
 * @src: where slabs and large areas come from (mm/heap_pages.h)
 * @flags: HEAP_DEBUG to switch the debug checks on (if compiled in)
 *
 * May be called again to start over (host tests); objects of the previous
 * heap are forgotten, not freed. Return: 0, or -1 if out of memory.
 */
int heap_init(struct heap_page_source *src, unsigned flags);

/**
 * heap_debug_enabled() - whether the debug checks are on
 *
 * Return: true with MM_HEAP_DEBUG compiled in and HEAP_DEBUG given to heap_init().
 */
bool heap_debug_enabled(void);

/* --- Object caches ---------------------------------------------------------- */

/**
 * kmem_cache_create() - a cache of objects of one size (the seeds' MemoryPool)
 * @name: for statistics (copied)
 * @size: object size, 1 .. HEAP_SLAB_SIZE / 4
 * @align: power of two, 0 for 8; objects are aligned to it
 * @flags: KMEM_DMA, KMEM_DEBUG
 * @ctor: called once per object when it is first carved from a slab; freed
 *	  objects must be returned in the constructed state
 *
 * Return: the cache, or NULL (bad size, no free cache slot, out of memory).
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
				     unsigned flags, kmem_ctor_t ctor);

/**
 * kmem_cache_destroy() - free a cache and its slabs
 * @c: the cache; NULL is ignored
 *
 * Objects still live are reported (mm_err) and their slabs leaked, not freed.
 * The calling CPU's list is flushed; on a host, other threads that used the
 * cache must have ended (heap_thread_exit()) first, since the cache's id is
 * reused.
 */
void kmem_cache_destroy(struct kmem_cache *c);

/**
 * kmem_cache_alloc() - an object from @c
 * @c: the cache
 *
 * Return: the object, or NULL if out of memory.
 */
void *kmem_cache_alloc(struct kmem_cache *c);

/**
 * kmem_cache_free() - give an object back to its cache
 * @c: the cache it came from
 * @obj: the object; NULL is ignored
 */
void kmem_cache_free(struct kmem_cache *c, void *obj);

/**
 * kmem_cache_shrink() - return the cache's empty slabs to the page source
 * @c: the cache
 */
void kmem_cache_shrink(struct kmem_cache *c);

/**
 * kmem_cache_get_stats() - slab and object counts of a cache
 * @c: the cache
 * @st: filled in
 */
void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *st);

/**
 * kmem_cache_for_each() - call @fn for every live cache (kmalloc's included)
 * @fn: the callback
 * @ctx: passed to @fn
 */
void kmem_cache_for_each(void (*fn)(struct kmem_cache *c, void *ctx), void *ctx);

/* --- kmalloc ------------------------------------------------------------------ */

/*
 * The kmalloc family with the caller's file and line, which the debug build
 * keeps with each object and names in its reports; with MM_HEAP_DEBUG the
 * plain names below are macros for these. Same contracts as the plain ones.
 */
void *kmalloc_at(size_t size, const char *file, int line);
void *kzalloc_at(size_t size, const char *file, int line);
void *kcalloc_at(size_t n, size_t size, const char *file, int line);
void *krealloc_at(void *p, size_t size, const char *file, int line);
void *kmalloc_aligned_at(size_t size, size_t align, const char *file, int line);
void *kmalloc_dma_at(size_t size, const char *file, int line);
void kfree_at(const void *p, const char *file, int line);
void *kmem_cache_alloc_at(struct kmem_cache *c, const char *file, int line);
void kmem_cache_free_at(struct kmem_cache *c, void *obj, const char *file, int line);

/**
 * kmalloc() - allocate @size bytes, aligned to 16 (8 for sizes 8 and 24)
 * @size: bytes; 0 gives ZERO_SIZE_PTR
 *
 * Return: the memory, or NULL if out of memory.
 */
void *kmalloc(size_t size);

/**
 * kzalloc() - kmalloc(), zeroed
 * @size: bytes
 *
 * Return: the memory or NULL.
 */
void *kzalloc(size_t size);

/**
 * kcalloc() - zeroed array of @n elements of @size bytes
 * @n: count
 * @size: element size
 *
 * Return: the memory, or NULL if out of memory or if @n * @size overflows.
 */
void *kcalloc(size_t n, size_t size);

/**
 * krealloc() - resize an allocation, in place when its size class allows
 * @p: from the kmalloc family, or NULL (then as kmalloc)
 * @size: new size; 0 frees @p and gives ZERO_SIZE_PTR
 *
 * Return: the memory (contents kept up to the smaller size), or NULL with
 * @p untouched if out of memory.
 */
void *krealloc(void *p, size_t size);

/**
 * kmalloc_aligned() - allocate @size bytes aligned to @align
 * @size: bytes
 * @align: any power of two, page size and beyond included
 *
 * Return: the memory, or NULL (out of memory, @align not a power of two).
 */
void *kmalloc_aligned(size_t size, size_t align);

/**
 * kmalloc_dma() - memory for ISA DMA: below 16 MiB and physically contiguous
 * @size: bytes
 *
 * Return: the memory, or NULL if the DMA zone is exhausted (or the page
 * source has none).
 */
void *kmalloc_dma(size_t size);

/**
 * kfree() - free memory from the kmalloc family
 * @p: NULL and ZERO_SIZE_PTR are ignored; with debugging on, a pointer
 *     that is not a live allocation is reported and ignored
 */
void kfree(const void *p);

/**
 * ksize() - usable size of an allocation (its size class, or its area)
 * @p: from the kmalloc family
 *
 * Return: the bytes the caller may use; 0 for NULL, ZERO_SIZE_PTR and
 * pointers the heap does not know.
 */
size_t ksize(const void *p);

/**
 * heap_owns() - whether @p is a live allocation (or object) start of this heap
 * @p: any pointer
 *
 * For the malloc build, which may see pointers it never handed out.
 * Return: true if kfree(@p) would accept it.
 */
bool heap_owns(const void *p);

/* The seeds' names (MyOS, SimpleOS, the Windows-style KernelHeap). */
void *AllocateMemory(size_t size);
void *AllocateAlignedMemory(size_t size, size_t align);
void FreeMemory(void *p);
size_t GetMemorySize(const void *p);
void *AllocateKernelMemory(size_t size);
void FreeKernelMemory(void *p);

/* --- Statistics, draining, debugging ------------------------------------------------ */

/**
 * heap_get_stats() - Sarrus's memory_stats_t figures
 * @st: filled in
 */
void heap_get_stats(memory_stats_t *st);

/**
 * heap_drain() - flush this CPU's (thread's) free lists and free every empty slab
 *
 * After it, the frames the heap holds are exactly those of live objects'
 * slabs and large areas.
 */
void heap_drain(void);

/**
 * heap_flush_lists() - this CPU's (thread's) free lists back to the slabs, nothing freed
 */
void heap_flush_lists(void);

/**
 * heap_thread_exit() - give back a host thread's free lists (thread-local builds)
 *
 * Threads call it, or a thread-exit hook does, before the thread ends.
 */
void heap_thread_exit(void);

/**
 * heap_check() - on demand: verify every live object's red zone and every
 * free object's poison (debug build), and the slab lists
 *
 * Return: the number of problems found, each reported with mm_err().
 */
unsigned heap_check(void);

/**
 * heap_mark() - start a leak-report generation
 *
 * Return: the new generation number.
 */
uint32_t heap_mark(void);

/**
 * heap_leak_report() - report every object allocated since the last mark and still live
 *
 * Needs the debug checks on. Return: the number of such objects.
 */
unsigned heap_leak_report(void);

/* Counts of problems the debug checks found (for tests). */
struct heap_debug_counts {
	uint64_t double_frees, invalid_frees, redzone_hits, use_after_free, freelist_corrupt;
};

/**
 * heap_debug_get_counts() - the problems reported since heap_init()
 * @c: filled in
 */
void heap_debug_get_counts(struct heap_debug_counts *c);

/* One live object, as heap_for_each_live() reports it. */
struct heap_live_obj {
	const void *ptr;
	size_t size;			/* requested (debug) or class size */
	const char *cache;
	struct heap_site site;
	uint32_t epoch;
};

#ifdef MM_KASAN
/* What the heap knows of the object around an address (an address sanitizer's report). */
struct heap_obj_info {
	const void *obj;		/* the object's start */
	size_t req_size, obj_size;	/* requested; its slot in the cache */
	const char *cache;
	bool live;			/* else freed (in quarantine or on a free list) */
	struct heap_site alloc, free;
	const void *alloc_stack[HEAP_STACK_DEPTH], *free_stack[HEAP_STACK_DEPTH];
};

/**
 * heap_object_info() - describe the debug-cache object of the global heap at or nearest @p
 * @p: an address inside a slab (an object, or the red zone after one)
 * @out: filled in
 *
 * Reads the records without the cache's lock: for reports only.
 * Return: false if @p is not inside a debug cache's slab.
 */
bool heap_object_info(const void *p, struct heap_obj_info *out);

/*
 * Give every object held in the quarantine back to its slab (leak checks,
 * reclaim, cache destruction); empty slabs stay for the caller's shrink.
 */
void heap_quarantine_flush(void);
#endif

/**
 * heap_for_each_live() - call @fn for every live object with a known site (debug) and large area
 * @fn: returns non-zero to stop; runs under a cache lock and must not allocate
 * @ctx: passed to @fn
 *
 * Return: the number of objects visited.
 */
unsigned heap_for_each_live(int (*fn)(const struct heap_live_obj *o, void *ctx), void *ctx);

/**
 * heap_fragmentation_pct() - external fragmentation of the slab layer, in percent
 *
 * The share of bytes in the heap's slabs not used by live objects.
 * Return: 0 .. 100.
 */
unsigned heap_fragmentation_pct(void);

/* --- Heap instances ----------------------------------------------------------------- */

/*
 * The heap above is one instance, `heap_global`: kmalloc, kmem_cache_create and the
 * statistics above use it, with per-CPU lists in front of its caches. A
 * private heap has the same size classes, large areas, page give-back and
 * debug checks over a page source of its own (or a shared one), but no
 * per-CPU lists: each call takes the lock of one size class, as a Win32 heap
 * serializes its callers. Destroying it frees everything it holds at once,
 * live objects included. A pointer of one heap given to another (or to
 * kfree) is reported and ignored: their slabs carry different magics, and a
 * heap checks that a slab's cache is its own.
 */
struct heap;
extern struct heap heap_global;		/* the global heap: kmalloc's */

/**
 * heap_create() - a private heap over @src
 * @src: its page source; initialised here if it was not yet (arena_hi 0),
 *	 and it may be the global heap's
 * @flags: HEAP_DEBUG for red zones, poison and free checks (MM_HEAP_DEBUG)
 *
 * The heap's own bookkeeping takes one slab of @src. Return: the heap, or
 * NULL if @src has no memory.
 */
struct heap *heap_create(struct heap_page_source *src, unsigned flags);

/**
 * heap_destroy() - free a private heap and everything allocated from it
 * @h: the heap; NULL is ignored. Nobody may use it meanwhile or after.
 *
 * Every slab and large area goes back to the page source, live or not.
 */
void heap_destroy(struct heap *h);

/**
 * heap_alloc() - @size bytes from @h, aligned to 16 (8 for sizes 8 and 24)
 * @h: a heap (private, or &heap_global)
 * @size: bytes; 0 gives ZERO_SIZE_PTR
 *
 * Return: the memory, or NULL if out of memory.
 */
void *heap_alloc(struct heap *h, size_t size);

/**
 * heap_zalloc() - heap_alloc(), zeroed
 * @h: the heap
 * @size: bytes
 *
 * Return: the memory or NULL.
 */
void *heap_zalloc(struct heap *h, size_t size);

/**
 * heap_alloc_aligned() - @size bytes from @h aligned to @align
 * @h: the heap
 * @size: bytes
 * @align: a power of two
 *
 * Return: the memory, or NULL.
 */
void *heap_alloc_aligned(struct heap *h, size_t size, size_t align);

/**
 * heap_realloc() - krealloc() within @h
 * @h: the heap @p came from
 * @p: NULL (then as heap_alloc) or an allocation of @h
 * @size: new size; 0 frees @p and gives ZERO_SIZE_PTR
 *
 * Large areas grow in place or move by remapping where the page source can.
 * Return: the memory, or NULL with @p untouched (out of memory, or @p not of @h).
 */
void *heap_realloc(struct heap *h, void *p, size_t size);

/**
 * heap_free() - give an allocation back to @h
 * @h: the heap
 * @p: NULL and ZERO_SIZE_PTR are ignored; a pointer that is not an
 *     allocation of @h is reported and ignored
 */
void heap_free(struct heap *h, const void *p);

/**
 * heap_release() - heap_free() that tells whether @p was an allocation of @h
 * @h: the heap
 * @p: any pointer
 *
 * One lookup, and quiet: a pointer that is not a live allocation of @h
 * (in a debug heap: not live; otherwise: not an allocation start) is left
 * alone and not reported. Return: true if @p was freed.
 */
bool heap_release(struct heap *h, const void *p);

/**
 * heap_usable() - ksize() within @h
 * @h: the heap
 * @p: an allocation of @h
 *
 * Return: the bytes the caller may use (requested bytes in a debug heap), 0 if @p is not of @h.
 */
size_t heap_usable(struct heap *h, const void *p);

/**
 * heap_contains() - whether @p is an allocation start of @h
 * @h: the heap
 * @p: any pointer
 */
bool heap_contains(struct heap *h, const void *p);

/**
 * heap_stats() - heap_get_stats() for @h
 * @h: the heap
 * @st: filled in
 */
void heap_stats(struct heap *h, memory_stats_t *st);

/**
 * heap_shrink() - give back everything @h holds unused, now
 * @h: the heap (&heap_global for the kernel's)
 *
 * Every empty slab, and where the page source can, the free pages inside
 * slabs. Per-CPU lists are not flushed (the kernel's heap_reclaim_all()
 * flushes every CPU's first). For memory pressure: the cost is page faults
 * and slab set-up when the memory is wanted again.
 * Return: pages given back to the page source.
 */
unsigned long heap_shrink(struct heap *h);

/**
 * heap_validate() - heap_check() for @h
 * @h: the heap
 *
 * Return: problems found (slab lists; red zones and poison in a debug heap).
 */
unsigned heap_validate(struct heap *h);

/**
 * heap_walk() - heap_for_each_live() for @h
 * @h: the heap
 * @fn: as heap_for_each_live()'s
 * @ctx: passed to @fn
 *
 * Return: the objects visited (every live object in a debug heap; large areas otherwise).
 */
unsigned heap_walk(struct heap *h, int (*fn)(const struct heap_live_obj *o, void *ctx), void *ctx);

/**
 * heap_debug_counts() - heap_debug_get_counts() for @h
 * @h: the heap
 * @c: filled in
 */
void heap_debug_counts(struct heap *h, struct heap_debug_counts *c);

/**
 * heap_source() - the page source @h was created over
 * @h: the heap
 *
 * For a platform that embeds the source in its own record of the heap.
 */
struct heap_page_source *heap_source(struct heap *h);

/**
 * heap_resize_in_place() - make @p hold @size bytes without moving it
 * @h: the heap @p came from
 * @p: a live allocation of @h
 * @size: new size, 0 .. the room of @p's size class or large area
 *
 * A debug heap's red zone moves to the new end (growth reads as zero), and
 * the requested size heap_usable() reports follows, large areas included.
 * Return: @p, or NULL (@p unchanged) if @p is not live in @h or lacks the room.
 */
void *heap_resize_in_place(struct heap *h, void *p, size_t size);

/**
 * heap_validate_object() - whether @p is a live allocation of @h, intact
 * @h: the heap
 * @p: any pointer
 *
 * Return: true if @p starts a live allocation of @h and (debug heap) its red
 * zone is intact; a broken red zone is reported as heap_validate() does.
 */
bool heap_validate_object(struct heap *h, const void *p);

/* What heap_walk_step() found. */
enum heap_walk_kind { HEAP_WALK_SLAB = 1, HEAP_WALK_LIVE, HEAP_WALK_FREE, HEAP_WALK_LARGE };

struct heap_walk_entry {
	const void *ptr;		/* the slab, object or large area; NULL to start */
	size_t size;			/* slab: its bytes; live: requested; free: object size; large: requested */
	size_t stride;			/* object: bytes it takes in its slab; large: its area's bytes */
	const void *first, *end;	/* slab: its first object, the end of its carved objects */
	enum heap_walk_kind kind;
};

/**
 * heap_walk_step() - the entry after @e in a walk over @h (an iterator)
 * @h: the heap
 * @e: the entry the last step gave, or one with ptr NULL to start; filled in
 *
 * The order is each size class's slabs, a slab entry followed by the objects
 * carved from it (live or free: debug heaps only, others give their slabs
 * alone), then the large areas. Nobody may change @h during the walk.
 * Return: 1 with @e filled in, 0 at the end, -1 if @e is not an entry of @h.
 */
int heap_walk_step(struct heap *h, struct heap_walk_entry *e);

/**
 * heap_fragmentation_for() - the seeds' fragmentation for a mix of requests
 * @sizes: request sizes, each as likely (1 .. KMALLOC_MAX_SIZE; others are ignored)
 * @n: how many
 *
 * Free memory that cannot serve a request, over free memory, averaged over
 * the requests in @sizes: the free memory is the global heap's free objects
 * (on slabs, carved or not) and empty slabs; a request can use the free
 * objects of its size class and the empty slabs, not the free objects of
 * other classes. Objects on per-CPU lists count as in use (drain first).
 * Return: 0 .. 100 (0 when nothing is free).
 */
unsigned heap_fragmentation_for(const size_t *sizes, unsigned n);

/* With MM_HEAP_DEBUG, calls record their file and line. */
#if defined(MM_HEAP_DEBUG) && !defined(HEAP_NO_SITE_MACROS)
#define kmalloc(s)		kmalloc_at((s), __FILE__, __LINE__)
#define kzalloc(s)		kzalloc_at((s), __FILE__, __LINE__)
#define kcalloc(n, s)		kcalloc_at((n), (s), __FILE__, __LINE__)
#define krealloc(p, s)		krealloc_at((p), (s), __FILE__, __LINE__)
#define kmalloc_aligned(s, a)	kmalloc_aligned_at((s), (a), __FILE__, __LINE__)
#define kmalloc_dma(s)		kmalloc_dma_at((s), __FILE__, __LINE__)
#define kfree(p)		kfree_at((p), __FILE__, __LINE__)
#define kmem_cache_alloc(c)	kmem_cache_alloc_at((c), __FILE__, __LINE__)
#define kmem_cache_free(c, o)	kmem_cache_free_at((c), (o), __FILE__, __LINE__)
#endif

#endif
