/* SPDX-License-Identifier: MIT */
/*
 * The compressed-object pool: variable-size objects (compressed pages),
 * packed tightly into frames from the PMM, named by handles.
 *
 * Objects of up to ZPOOL_MAX_OBJ bytes are sorted into size classes 16
 * bytes apart. A class keeps its objects in "zspages": groups of 1 to 8
 * order-0 frames, the count chosen per class so that whole objects fill the
 * group with the least waste; a class whose zspages would hold as many
 * objects in as many frames as the next larger one's uses that class's; an object may straddle two frames of its
 * group, so frames need not be contiguous (no high-order allocation under
 * pressure). Objects too large for any class get a frame of their own.
 *
 * Callers hold handles, never addresses: compaction moves objects from
 * sparse zspages into fuller ones of the same class and frees the emptied
 * frames, fixing the handle table as it goes. So objects are read and
 * written by copying (zpool_read/zpool_write), under the pool's lock.
 *
 * Everything the pool uses comes from the PMM and is counted in its
 * statistics: object frames (pool_pages), its tables (meta_pages) and a
 * small reserve (reserve_pages). It never waits: no frame means -MM_ENOMEM.
 *
 * The reserve: storing a swapped-out page frees that page's frame, but only
 * after the pool has found room for it, and reclaim runs exactly when the
 * PMM has nothing. So the pool keeps ZPOOL_RESERVE frames of its own, used
 * only when the PMM says no, and tops them up (two for each frame it
 * takes) while the PMM gives frames again; frames of a zspage it could not
 * complete go back to the reserve first. When even the reserve cannot start
 * a zspage, an object goes into a partly used zspage of a larger class.
 *
 * Lock order: a pool's lock -> the PMM's locks. It is a spinlock that masks
 * interrupts; the pool calls nothing else while holding it.
 */
#ifndef MM_ZPOOL_H
#define MM_ZPOOL_H

#include "spinlock.h"
#include "types.h"

#define ZPOOL_MAX_OBJ		PAGE_SIZE	/* largest object */
#define ZPOOL_CLASS_STEP	16		/* slot sizes are multiples of this */
#define ZPOOL_NR_CLASSES	((unsigned)(PAGE_SIZE / ZPOOL_CLASS_STEP))
#define ZPOOL_MAX_ZSPAGE	8		/* frames per zspage, at most */
#define ZPOOL_RESERVE		(4 * ZPOOL_MAX_ZSPAGE)	/* frames kept for when the PMM has none */

/* An object's name; 0 is never a handle. */
typedef uint32_t zpool_handle_t;

/* One table of fixed-size entries in PMM frames, reached through a directory frame block. */
struct zpool_table {
	void **dir;		/* directory: pointers to the table's frames */
	uint32_t dir_slots;	/* capacity of the directory */
	uint32_t per_page;	/* entries per frame */
	uint32_t esize;		/* bytes per entry */
	uint32_t nr;		/* entries that exist (nr / per_page frames) */
	uint32_t free;		/* first free entry, or ZPOOL_NONE */
};

struct zpool_class {
	uint16_t slot;		/* bytes per object slot, header included */
	uint16_t home;		/* the class whose zspages hold this one's objects (itself, or larger) */
	uint16_t objs;		/* slots per zspage */
	uint8_t pages;		/* frames per zspage */
	uint32_t partial;	/* zspages with free slots (list head), or ZPOOL_NONE */
	uint32_t full;		/* zspages without */
	uint32_t zspages;	/* zspages of the class */
	uint64_t used;		/* objects of the class */
};

struct zpool_stats {
	uint64_t objects;	/* live objects */
	uint64_t obj_bytes;	/* sum of their sizes */
	uint64_t pool_pages;	/* frames holding objects */
	uint64_t meta_pages;	/* frames of handle and zspage tables and their directories */
	uint64_t reserve_pages;	/* frames held in reserve */
	uint64_t reserve_used;	/* frames taken from the reserve since the start */
	uint64_t zspages;	/* groups of frames, the whole-frame ones included */
	uint64_t huge;		/* objects with a frame of their own */
	uint64_t compactions;	/* zpool_compact() calls */
	uint64_t moved;		/* objects moved by them */
	uint64_t freed_pages;	/* frames they gave back */
	uint64_t alloc_failures;	/* zpool_alloc() answered -MM_ENOMEM */
	uint64_t borrowed;	/* objects put in a larger class for lack of a frame */
	uint64_t bad_calls;	/* bad handles reported */
};

struct zpool {
	spinlock_t lock;
	struct zpool_table handles, zspages;
	struct zpool_class cls[ZPOOL_NR_CLASSES];
	uint32_t huge_list;	/* zspages of whole-frame objects */
	phys_addr_t reserve[ZPOOL_RESERVE];	/* reserve_pages of them are held */
	struct zpool_stats st;
};

#define ZPOOL_NONE	0xffffffffu

/**
 * zpool_init() - start an empty pool
 * @p: the pool
 *
 * Return: 0, or -MM_ENOMEM if the directories cannot be allocated.
 */
int zpool_init(struct zpool *p);

/**
 * zpool_destroy() - free every object and table of @p; every frame goes back to the PMM
 */
void zpool_destroy(struct zpool *p);

/**
 * zpool_alloc() - make room for an object of @size bytes
 * @p: the pool
 * @size: 1 .. ZPOOL_MAX_OBJ
 * @h: set to the new object's handle
 *
 * The object's bytes are undefined until zpool_write().
 *
 * Return: 0; -MM_EINVAL for a bad size; -MM_ENOMEM if the PMM has no frame.
 */
int zpool_alloc(struct zpool *p, size_t size, zpool_handle_t *h);

/**
 * zpool_free() - free the object @h
 *
 * A handle that names no live object is reported (mm_err) and ignored.
 */
void zpool_free(struct zpool *p, zpool_handle_t h);

/**
 * zpool_write() - fill the object @h with its size's worth of bytes from @src
 *
 * Return: 0, or -MM_EINVAL for a bad handle.
 */
int zpool_write(struct zpool *p, zpool_handle_t h, const void *src);

/**
 * zpool_read() - copy the object @h to @dst
 * @cap: room at @dst
 *
 * Return: the object's size; -MM_EINVAL for a bad handle; -MM_ENOSPC if
 * @cap is smaller than the object.
 */
long zpool_read(struct zpool *p, zpool_handle_t h, void *dst, size_t cap);

/**
 * zpool_compact() - move objects out of sparse zspages and free the frames they leave
 *
 * For each class, while its partly used zspages have enough free slots to
 * empty one, moves the objects of the emptiest into the fullest. Work is
 * bounded by the objects moved, and the lock is let go every few zspages
 * (interrupts are off only that long).
 *
 * Return: frames given back to the PMM.
 */
unsigned long zpool_compact(struct zpool *p);

/* The pool's figures, read under its lock. */
void zpool_get_stats(struct zpool *p, struct zpool_stats *st);

/* RAM the pool holds, overhead included: its object frames and its tables. */
static inline uint64_t zpool_total_bytes(const struct zpool_stats *st)
{
	return (st->pool_pages + st->meta_pages + st->reserve_pages) * PAGE_SIZE;
}

/**
 * zpool_check() - verify every invariant of @p: lists, free slots, headers
 * that name their handles, handles that name their objects, and the counts
 *
 * Return: 0, or -1 after reporting the first inconsistency (mm_err).
 */
int zpool_check(struct zpool *p);

#endif
