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
 * Locking: pc->lock guards the tree and the size; it is taken inside an
 * address space's lock and never the other way round.
 */
#ifndef MM_PCACHE_H
#define MM_PCACHE_H

#include "pmm.h"
#include "spinlock.h"

/* Object flags. */
#define PCACHE_SIZED	0x1	/* pages at or past the size are not part of it (a file) */

struct pcache {
	spinlock_t lock;
	uint32_t refs;		/* the owner and each mapping region */
	uint32_t mapcount;	/* mapping regions alone */
	unsigned levels;	/* height of the tree; 0: no tree */
	unsigned flags;		/* PCACHE_* */
	phys_addr_t root;	/* top node, 0 if none */
	uint64_t size;		/* bytes (PCACHE_SIZED) */
	uint64_t nrpages;	/* frames held */
	uint64_t charged;	/* pages committed for it, returned when it is freed */
};

/* Results of pcache_lookup(). */
#define PCACHE_OK	0
#define PCACHE_NOMEM	1	/* a frame or a tree node could not be had */
#define PCACHE_BEYOND	2	/* the page lies past the end of a sized object */

struct pcache *pcache_create(unsigned flags);
void pcache_get(struct pcache *pc);
void pcache_put(struct pcache *pc);
void pcache_map_get(struct pcache *pc);
void pcache_map_put(struct pcache *pc);
int pcache_lookup(struct pcache *pc, uint64_t idx, bool alloc, phys_addr_t *pa);
int pcache_grab(struct pcache *pc, uint64_t idx, phys_addr_t *pa);
void pcache_extend(struct pcache *pc, uint64_t end);
phys_addr_t pcache_find(struct pcache *pc, uint64_t idx);
void pcache_punch(struct pcache *pc, uint64_t first, uint64_t n);
uint64_t pcache_size(struct pcache *pc);
void pcache_set_size(struct pcache *pc, uint64_t size);
long pcache_read(struct pcache *pc, uint64_t off, void *buf, uint64_t len);
long pcache_write(struct pcache *pc, uint64_t off, const void *buf, uint64_t len);

/* Frames held by all page-cache objects, for memstat. */
uint64_t pcache_total_pages(void);
uint64_t pcache_total_objects(void);

#endif
