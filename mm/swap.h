/* SPDX-License-Identifier: MIT */
/*
 * Swap: where anonymous pages go when memory runs short, and how they come back.
 *
 * A swapped-out page is named by a swap entry: the number of a swap area
 * (its "type", 0..SWAP_MAX_AREAS-1) and a slot in it (its "offset"). The
 * page-table entry of every mapping of the page holds that entry in place of
 * a frame, not present, so the next access faults and the fault reads the
 * page back (mm/pt.h: pt_swp_pte(), pt_pte_swp()).
 *
 * An area is a slot space in front of a backend, the thing that keeps page
 * contents: the compressed in-RAM store (zram-like), a block device with the
 * Linux swap-area format, or a stack of both (a compressed tier caching a
 * device, like zswap: the pool keeps what it can and writes the oldest out
 * to the device at the same slot). The core owns slots, their reference
 * counts and the swap cache; the backend only stores and returns bytes.
 *
 * Slot reference counts: one per page-table entry holding the swap entry,
 * plus one while a frame for it sits in the swap cache (SWAP_HAS_CACHE). A
 * slot whose count drops to zero is discarded in its backend and reused.
 *
 * The swap cache: slot -> frame, while a page has a frame and a slot at once
 * (being written out; read back but still shared by entries elsewhere). A
 * fault finds the frame there instead of reading again, so a page shared by
 * several mappings or processes (copy-on-write after fork) is read once and
 * stays one frame. The cache holds one frame reference.
 *
 * Lock order (outermost first):
 *   the list of all spaces -> a space's lock (struct as) -> its page-table
 *   lock -> swap_lock (slot maps, the cache index) -> pmm locks;
 *   a backend's own locks are taken with swap_lock not held.
 * Operations of a backend that may sleep (a disk) are called with none of
 * these held; others may be called with the first four held (see below).
 */
#ifndef MM_SWAP_H
#define MM_SWAP_H

#include "errno.h"
#include "types.h"

/* --- swap entries ------------------------------------------------------------ */

#define SWAP_TYPE_BITS		5
#define SWAP_MAX_AREAS		(1u << SWAP_TYPE_BITS)	/* Linux's MAX_SWAPFILES is 32 too */
#define SWAP_OFFSET_BITS	25			/* 2^25 slots: 128 GiB per area */
#define SWAP_MAX_SLOTS		((uint32_t)1 << SWAP_OFFSET_BITS)

/*
 * A swap entry as a value: offset << SWAP_TYPE_BITS | type. 30 bits, so that
 * it fits a non-present 32-bit page-table entry next to the marker bit
 * (two-level i386 paging); val 0 is area 0, slot 0, a valid entry.
 */
typedef struct {
	uint32_t val;
} swp_entry_t;

static inline swp_entry_t swp_entry(unsigned type, uint32_t offset)
{
	swp_entry_t e = { offset << SWAP_TYPE_BITS | (type & (SWAP_MAX_AREAS - 1)) };

	return e;
}

static inline unsigned swp_type(swp_entry_t e)
{
	return e.val & (SWAP_MAX_AREAS - 1);
}

static inline uint32_t swp_offset(swp_entry_t e)
{
	return e.val >> SWAP_TYPE_BITS;
}

/* --- backends ------------------------------------------------------------------ */

struct swap_backend;

/* A backend's figures, for memstat and the benchmark. */
struct swap_backend_stats {
	uint64_t stored;	/* pages held */
	uint64_t orig_bytes;	/* their size: stored * PAGE_SIZE */
	uint64_t mem_bytes;	/* RAM the backend uses for them, overhead included (0: a device) */
	uint64_t same_filled;	/* pages kept as one repeated word */
	uint64_t incompressible;	/* pages kept whole */
	uint64_t written_back;	/* pages moved to a lower tier (a tier: orig_bytes and mem_bytes are of RAM) */
	uint64_t reads, writes;	/* operations served */
	uint64_t failures;	/* writes refused (full, no memory) and read errors */
};

/*
 * What a backend does. Calls come from task context (the faulting task, a
 * reclaiming task, the reclaim thread, swapoff). A backend marked may_sleep
 * is called with no lock of the core held, interrupts as the task has them
 * (on, except in a kernel-mode fault, where it must poll): the page waits
 * in the swap cache meanwhile, as Linux's does under I/O. Any other backend
 * is called with the faulting or scanned space's spinlocks held and
 * interrupts off, as every fault of this core runs: it must not sleep, and
 * takes only its own locks and the PMM's. Several CPUs may call at once, swap_lock
 * not held: two reads of one slot may overlap (two processes faulting on
 * a page they share); a write or discard never overlaps anything on its slot.
 * A backend allocating RAM (a pool) must not wait for reclaim: it gets
 * PMM_NO_FRAME and answers -MM_ENOMEM.
 */
struct swap_backend_ops {
	/*
	 * Store the PAGE_SIZE bytes at @page under @slot (which holds nothing).
	 * @page (here and in read) may be a temporary mapping of a high-memory
	 * frame (plat_kmap()): the backend must not sleep while it uses it (a
	 * device that may sleep gives write_frame and read_frame too). Return
	 * 0; -MM_ENOMEM (the tier has no room or no memory: the core tries
	 * another area); -MM_EIO (device error).
	 */
	int (*write)(struct swap_backend *b, uint32_t slot, const void *page);
	/*
	 * Fill @page with what @slot holds; the slot keeps it (it is freed by
	 * discard only). Return 0 or -MM_EIO (the faulting process gets SIGBUS).
	 */
	int (*read)(struct swap_backend *b, uint32_t slot, void *page);
	/*
	 * Optional, for a device: write and read as above, given the frame
	 * instead of a mapping of it. Used in their place when present, so
	 * that a backend that sleeps holds no temporary mapping of a
	 * high-memory frame meanwhile (plat_kmap()'s rule).
	 */
	int (*write_frame)(struct swap_backend *b, uint32_t slot, phys_addr_t pa);
	int (*read_frame)(struct swap_backend *b, uint32_t slot, phys_addr_t pa);
	/*
	 * Optional, for a backend that may sleep but keeps some pages in RAM
	 * (a compressed tier in front of a device, like zswap): write_frame
	 * and read_frame when they can be done without sleeping, called with
	 * the core's locks held and interrupts off. Return -MM_EAGAIN when
	 * they cannot (the tier is full; the page is on the device): the core
	 * then does it the sleeping way, with no lock held.
	 */
	int (*write_nowait)(struct swap_backend *b, uint32_t slot, phys_addr_t pa);
	int (*read_nowait)(struct swap_backend *b, uint32_t slot, phys_addr_t pa);
	/*
	 * Optional, for such a tier: write-back to its device. cold() fills
	 * @slots with up to @max slots whose pages are in RAM, coldest first,
	 * that should move down: while the tier is full, or any with @force
	 * (reclaim wants its RAM); it returns how many. The core takes each
	 * slot's page into the swap cache (a fault meanwhile finds it there),
	 * reads it into frame @pa and calls move_down(), with no lock held:
	 * the page goes to the device at the same slot and the RAM copy is
	 * freed. 0, -MM_EIO (the RAM copy stays), -MM_ENOENT (not in RAM).
	 */
	unsigned (*cold)(struct swap_backend *b, uint32_t *slots, unsigned max, bool force);
	int (*move_down)(struct swap_backend *b, uint32_t slot, phys_addr_t pa);
	/* @slot's content is no longer needed: free what it holds. Never fails. */
	void (*discard)(struct swap_backend *b, uint32_t slot);
	/*
	 * Optional. Give back up to @pages frames of RAM the backend itself
	 * uses (a pool compacting, or writing its oldest pages to a lower
	 * tier); called by reclaim under pressure. Return: frames freed.
	 */
	unsigned long (*shrink)(struct swap_backend *b, unsigned long pages);
	/* Optional: the figures above. */
	void (*stats)(struct swap_backend *b, struct swap_backend_stats *st);
};

/* A backend instance: embed it in the backend's own state. */
struct swap_backend {
	const struct swap_backend_ops *ops;
	const char *name;	/* "zram0", "vda", ... for swapon's list and memstat */
	uint32_t nslots;	/* slots 0..nslots-1 exist (at most SWAP_MAX_SLOTS) */
	bool in_ram;		/* its data lives in RAM: reclaim counts its pool */
	/*
	 * Its operations may sleep (a disk): reads and writes are done with
	 * no lock held, the page in the swap cache. Such a backend answers
	 * writes with 0 or -MM_EIO only: it cannot refuse for lack of room,
	 * as the page's entries already name its slot.
	 */
	bool may_sleep;
};

/* --- areas (mm/swap.c) --------------------------------------------------------- */

/*
 * swap_area_add() - start swapping to @b (swapon)
 * @b: the backend; must stay valid until swap_area_remove() returns
 * @prio: higher first (Linux's swap priority; equal: round robin not done, first added)
 * @first: the first usable slot (1 for the Linux format: slot 0 is the header)
 *
 * Slots below @first, and those passed to swap_area_reserve() before any
 * page is written, are never used.
 *
 * Return: the area's type (>= 0); -MM_EINVAL (no slots); -MM_ENOSPC
 * (SWAP_MAX_AREAS in use); -MM_ENOMEM; -MM_EBUSY (@b already added).
 */
int swap_area_add(struct swap_backend *b, int prio, uint32_t first);

/* Never use @slot of area @type (a bad block from the Linux header). 0 or -MM_EINVAL/-MM_EBUSY. */
int swap_area_reserve(int type, uint32_t slot);

/*
 * swap_area_remove() - stop swapping to area @type (swapoff)
 *
 * Brings every page of the area back into RAM (walking every space and
 * the swap cache), then forgets the area. Return: 0; -MM_EINVAL (no such
 * area); -MM_ENOMEM (not enough RAM: the area stays, pages already read
 * back stay in RAM); -MM_EINTR (the caller was killed).
 */
int swap_area_remove(int type);

/* An area as swapon's list and memstat show it. */
struct swap_area_info {
	const char *name;
	int type, prio;
	uint64_t slots;		/* usable */
	uint64_t used;		/* in use */
	struct swap_backend_stats backend;
};

/* Fill @info for area @type: 0, or -MM_ENOENT if there is none. */
int swap_area_info(int type, struct swap_area_info *info);

/* --- figures ---------------------------------------------------------------------- */

/* Event counters since boot (atomic), for memstat. Linux's /proc/vmstat names in comments. */
struct swap_counters {
	uint64_t swpout;	/* pswpout: pages written to swap */
	uint64_t swpin;		/* pswpin: pages read back */
	uint64_t cache_hits;	/* faults that found the page in the swap cache */
	uint64_t write_fail;	/* writes every area refused */
	uint64_t read_errors;	/* reads that failed (SIGBUS) */
	MM_ATOMIC64 uint64_t slots_total;	/* usable slots over all areas */
	uint64_t slots_used;	/* slots referenced */
	uint64_t cache_pages;	/* frames in the swap cache */
};
MM_ATOMIC64_OK(struct swap_counters, slots_total);

void swap_get_counters(struct swap_counters *c);

/* --- the core's side (mm/swap.c; used by the address-space and reclaim code) ------ */

/* Usable slots over all areas (total_swap_pages: commit accounting counts them). */
uint64_t swap_total_pages(void);
/* Is any area active? Reclaim of anonymous memory needs one. */
bool swap_enabled(void);

/**
 * swap_tier_writeback() - move cold pages of in-RAM tiers down to their devices
 * @nr: pages at most
 * @force: also when no tier is full (reclaim wants the RAM they use)
 *
 * For areas whose backend is a tier in front of a device (ops cold and
 * move_down): each page is read into a frame of the swap cache, written to
 * the device at its slot, and its RAM copy freed; the frame leaves the
 * cache unless a fault mapped it meanwhile. Called with no lock held (the
 * device sleeps).
 *
 * Return: pages moved.
 */
unsigned long swap_tier_writeback(unsigned long nr, bool force);

/**
 * swap_shrink_backends() - ask each area's backend to give back RAM it uses
 * @pages: frames wanted
 *
 * Calls the shrink operation of the backends that have one (an in-RAM
 * store compacts its pool), with no lock held; an area being removed is
 * skipped, and its removal waits for a shrink under way. For what is still
 * wanted, tiers in front of a device move their coldest pages down
 * (swap_tier_writeback()). Called by reclaim.
 *
 * Return: frames freed.
 */
unsigned long swap_shrink_backends(unsigned long pages);
/*
 * A free slot from the highest-priority area with room, count 1, skipping
 * the areas of bits set in @skip: true, or false if none.
 */
bool swap_slot_alloc(swp_entry_t *e, uint32_t skip);
/* Another page-table entry holds @e (fork, mremap keeps one): 0, or -MM_EINVAL for a bad entry. */
int swap_dup(swp_entry_t e);
/* A page-table entry holding @e is gone (munmap, exit, swap-in): the slot is freed with its last user. */
void swap_free(swp_entry_t e);
/*
 * Kept copies (mm/swap.c): frames just unmapped by a zap (@pfn, @n); a
 * read-back page's slot kept as a clean copy of it is freed with its last
 * mapping. swap_kept_pages() is nonzero while any copy is kept.
 */
void swap_unkeep_unmapped(const uint32_t *pfn, unsigned n);
unsigned long swap_kept_pages(void);
/* References of @e's slot (page-table entries plus the swap cache's), for tests and mincore-like readers. */
unsigned swap_count(swp_entry_t e);

#endif
