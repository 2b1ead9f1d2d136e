/* SPDX-License-Identifier: MIT */
/*
 * The page cache: one object per file, shared memory segment or shared
 * anonymous mapping, holding the frames of its pages by page index. read(),
 * write() and every mapping of the object use the same frames, so a store
 * through one is seen by all at once.
 *
 * The object holds one reference to each of its frames; a mapping holds one
 * more for its page-table entry. Objects are counted: the file (inode,
 * segment) holds one reference, each region mapping it another (those also
 * count in @mapcount, so truncation knows whether mappings must be shrunk).
 *
 * Frames are found in a radix tree of PMM pages, 512 entries a node, as
 * tall as the largest index needs (4 levels cover 47 bits).
 *
 * Pages without a backing store (all of ours: RAM file systems, shared
 * anonymous memory, SysV and POSIX shared memory) go to swap under
 * pressure, as Linux's shmem does: reclaim (mm/reclaim_file.c) writes the
 * page to a swap slot and the tree keeps the swap entry in place of the
 * frame (marked by bit 0); the next lookup reads it back. Each frame in a
 * tree is on the file LRU lists (mm/lru.h) with the object and index as
 * its owner.
 *
 * Locking: pc->lock guards the tree and the size; it is taken inside an
 * address space's lock and never the other way round; swap_lock and
 * lru_lock are taken inside it (swap-in and eviction run the swap backend
 * with it held, interrupts off, as faults do). pcache_list_lock (every
 * object, for swapoff) is taken outside pc->lock.
 */
#ifndef MM_PCACHE_H
#define MM_PCACHE_H

#include "pmm.h"
#include "spinlock.h"

/* Object flags. */
#define PCACHE_SIZED	0x1	/* pages at or past the size are not part of it (a file) */

/*
 * A limit on the pages of a group of objects, as tmpfs's size= limits a
 * file system: every page an object holds, in a frame or in swap, counts
 * in @used (atomic); a new page past @max is refused (PCACHE_NOSPC).
 */
struct pcache_quota {
	MM_ATOMIC64 uint64_t used;
	uint64_t max;
};
MM_ATOMIC64_OK(struct pcache_quota, used);

struct pcache {
	spinlock_t lock;
	uint32_t refs;		/* the owner and each mapping region */
	uint32_t mapcount;	/* mapping regions alone */
	unsigned levels;	/* height of the tree; 0: no tree */
	unsigned flags;		/* PCACHE_* */
	phys_addr_t root;	/* top node, 0 if none */
	MM_ATOMIC64 uint64_t size;	/* bytes (PCACHE_SIZED), read unlocked */
	uint64_t nrpages;	/* frames held */
	uint64_t charged;	/* pages committed for it, returned when it is freed */
	MM_ATOMIC64 uint64_t nrswapped;	/* pages in swap, read unlocked */
	struct pcache_quota *quota;	/* counted there, or NULL: no limit */
	struct pcache *all_next, *all_prev;	/* every object (swapoff) */
};
MM_ATOMIC64_OK(struct pcache, size);
MM_ATOMIC64_OK(struct pcache, nrswapped);

/* Results of pcache_lookup(). */
#define PCACHE_OK	0
#define PCACHE_NOMEM	1	/* a frame or a tree node could not be had */
#define PCACHE_BEYOND	2	/* the page lies past the end of a sized object */
#define PCACHE_EIO	3	/* the page was in swap and could not be read back */
#define PCACHE_NOSPC	4	/* a new page would pass the object's quota */
#define PCACHE_AGAIN	5	/* pcache_lookup_io(): read the page as its swap_io says, look again */

struct pcache *pcache_create(unsigned flags);
/* Counts @pc's pages in @q (NULL: none) from now on; @pc must be empty. */
void pcache_set_quota(struct pcache *pc, struct pcache_quota *q);
void pcache_get(struct pcache *pc);
void pcache_put(struct pcache *pc);
void pcache_map_get(struct pcache *pc);
void pcache_map_put(struct pcache *pc);
int pcache_lookup(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa);
struct swap_io;
/* The same under the caller's locks: a page on a disk is left to it (PCACHE_AGAIN, mm/swap_internal.h). */
int pcache_lookup_io(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa, struct swap_io *io);
int pcache_grab(struct pcache *pc, uint64_t idx, phys_addr_t *pa);
void pcache_extend(struct pcache *pc, uint64_t end);
phys_addr_t pcache_find(struct pcache *pc, uint64_t idx);
void pcache_punch(struct pcache *pc, uint64_t first, uint64_t n);
uint64_t pcache_size(struct pcache *pc);
void pcache_set_size(struct pcache *pc, uint64_t size);
long pcache_read(struct pcache *pc, uint64_t off, void *buf, uint64_t len);
long pcache_write(struct pcache *pc, uint64_t off, const void *buf, uint64_t len);

/* A reference to @pc unless its last is already gone (reclaim, from an LRU owner). */
bool pcache_tryget(struct pcache *pc);
/* Reclaim: page @idx (frame @pa, unmapped, held by the caller) goes to swap: 1, 0 (busy), -MM_ENOSPC. */
int pcache_evict(struct pcache *pc, uint64_t idx, phys_addr_t pa);
/* move_pages: page @idx (frame @pa, unmapped, held by the caller) copied into frame @to: 0, -MM_EBUSY. */
int pcache_migrate(struct pcache *pc, uint64_t idx, phys_addr_t pa, phys_addr_t to);
/* swapoff: bring every page of swap area @type back: 0, -MM_ENOMEM, -MM_EIO. */
int pcache_swap_unuse(int type);

/* Frames held by all page-cache objects, for memstat. */
uint64_t pcache_total_pages(void);
/* Their pages in swap. */
uint64_t pcache_total_swapped(void);
uint64_t pcache_total_objects(void);

#endif
