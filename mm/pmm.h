/* SPDX-License-Identifier: MIT */
/*
 * The physical memory manager: a buddy allocator over a frame database.
 *
 * Every 4 KiB frame of RAM has a 16-byte descriptor (mm/frame.h). Free
 * memory sits in per-zone buddy lists of naturally aligned blocks of 2^order
 * frames, order 0 to PMM_MAX_ORDER; a small per-CPU cache of single frames
 * sits in front of them for the hot path. Callers see frames as physical
 * addresses; PMM_NO_FRAME means "none".
 *
 * Zones, as on Linux: DMA is RAM below 16 MiB (ISA DMA), DMA32 below 4 GiB,
 * NORMAL the rest. A request takes memory from its preferred zone and falls
 * back to the zones below it (NORMAL -> DMA32 -> DMA), never upwards.
 * HIGHMEM is RAM from plat_highmem_base() up, which the kernel does not map
 * permanently (a 32-bit kernel's RAM above ~896 MiB; empty elsewhere): only
 * PMM_HIGHMEM requests get it, first, and they fall back to all the others.
 *
 * NUMA: with a description of the machine's nodes (pmm_init_numa(), from
 * ACPI's SRAT and SLIT on a PC) every node has its own set of zones. A
 * request is served from the zones of the calling CPU's node first and
 * falls back to the other nodes in order of distance (SLIT), nearest first;
 * within a node, zones fall back downwards as above. Without it there is
 * one node holding all memory, and nothing else changes. A node owns whole
 * 128 MiB sections of the frame database (the granularity of Linux's x86
 * memory sections too); a boundary inside a section is reported and the
 * section goes to the node of its first frame.
 *
 * Physical address 0 is never handed out, so a frame of 0 can be used as
 * "no page" by code that prefers it; PMM_NO_FRAME is the official sentinel.
 *
 * Bad input (double free, wrong order, foreign address, ...) is reported with
 * mm_err() naming the caller and leaves the allocator untouched; running out
 * of memory returns PMM_NO_FRAME. The PMM never panics on its own.
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include "memmap.h"
#include "platform.h"
#include "types.h"

#define PMM_MAX_ORDER	10			/* largest block: 2^10 frames, 4 MiB */
#define PMM_NO_FRAME	(~(phys_addr_t)0)

/* Allocation flags. With no zone flag the request prefers ZONE_NORMAL. */
#define PMM_ZERO	(1u << 0)	/* fill the block with zeroes */
#define PMM_ZONE_DMA	(1u << 1)	/* below 16 MiB only */
#define PMM_ZONE_DMA32	(1u << 2)	/* below 4 GiB only */
/*
 * The caller reaches the block's contents only through plat_kmap() (a user
 * page, page-cache data): it may come from high memory. Not with the zones.
 */
#define PMM_HIGHMEM	(1u << 3)
/*
 * The reserve: a few frames that user memory may not take, so that under
 * total exhaustion the kernel can still finish what it started - the page
 * tables of a fault in progress, the OOM killer's and an exiting process's
 * own allocations, the kernel heap. A request for a user page (anonymous,
 * copy-on-write, page cache, a page read back from swap) passes PMM_USER and fails while taking it would
 * leave fewer than pmm_reserve() frames free; a page table of a user space
 * passes PMM_USER_TABLE and may use half of the reserve (a fault whose data
 * page was granted can still map it). Everything else may use all of it.
 * The reserve is of low memory (the zones below HIGHMEM, which the kernel's
 * own allocations use): PMM_HIGHMEM | PMM_USER served from high memory is
 * never refused.
 */
#define PMM_USER	(1u << 4)
#define PMM_USER_TABLE	(1u << 5)

enum pmm_zone {
	PMM_ZONE_ID_DMA,
	PMM_ZONE_ID_DMA32,
	PMM_ZONE_ID_NORMAL,
	PMM_ZONE_ID_HIGHMEM,
	PMM_NR_ZONES
};

#define MM_MAX_NODES		8	/* NUMA nodes the PMM can keep apart */
#define PMM_MAX_NODE_RANGES	32	/* memory ranges in a NUMA description */

#define PMM_DMA_LIMIT	((phys_addr_t)16 << 20)
#define PMM_DMA32_LIMIT	((phys_addr_t)4 << 30)

/* What a frame is used for, as pmm_frame_state() and pmm_walk() see it. */
enum pmm_frame_state {
	PMM_FRAME_ABSENT,	/* not RAM the PMM knows of */
	PMM_FRAME_RESERVED,	/* RAM never handed out: kernel, boot data, frame database */
	PMM_FRAME_FREE,		/* in the buddy lists or a per-CPU cache */
	PMM_FRAME_USED,		/* part of an allocated block */
};

/* Frame counts of one zone. total = free + used + reserved. */
struct pmm_zone_stats {
	const char *name;
	phys_addr_t base, end;		/* lowest and highest RAM address + 1; 0, 0 if empty */
	uint64_t total_frames;		/* RAM frames in the zone */
	uint64_t free_frames;		/* free, including cached_frames */
	uint64_t used_frames;		/* handed out */
	uint64_t reserved_frames;	/* RAM never handed out */
	uint64_t cached_frames;		/* free frames held by the per-CPU caches (and the MM_KASAN quarantine) */
	uint64_t free_blocks[PMM_MAX_ORDER + 1];	/* free buddy blocks by order */
};

/* Frame counts of one NUMA node, over its zones. */
struct pmm_node_stats {
	phys_addr_t base, end;		/* lowest and highest RAM address + 1; 0, 0 if none */
	uint64_t total_frames, free_frames, used_frames, reserved_frames, cached_frames;
};

struct pmm_stats {
	struct pmm_zone_stats zone[PMM_NR_ZONES];	/* each zone summed over the nodes */
	unsigned nr_nodes;				/* 1 without NUMA */
	struct pmm_node_stats node[MM_MAX_NODES];	/* nodes 0 .. nr_nodes-1 */
	/* Totals over the zones; managed memory is free + used. */
	uint64_t total_frames, free_frames, used_frames, reserved_frames, cached_frames;
	uint64_t metadata_bytes;	/* the frame database: section table + descriptors */
	phys_addr_t metadata_base;	/* where it lives */
	uint32_t frame_desc_bytes;	/* size of one descriptor */
	uint32_t metadata_bp;		/* metadata_bytes in 1/100 % of managed memory */
	uint64_t alloc_failures;	/* requests answered PMM_NO_FRAME for lack of memory */
	uint64_t bad_calls;		/* bad-input reports */
	uint64_t reserve_frames;	/* pmm_reserve() */
	uint64_t reserve_refusals;	/* PMM_USER/_TABLE requests refused to keep the reserve */
};

/**
 * pmm_init() - build the frame database and hand all usable RAM to the buddy lists
 * @map: normalized memory map; the database's range is carved into it
 *
 * Sizes the database from the map (descriptors only for sections of RAM
 * that exist, so holes cost nothing), places it in usable RAM - below 4 GiB
 * when possible, since the early direct map covers that, and above 16 MiB
 * when possible, to leave ZONE_DMA alone - and marks it MEMMAP_FRAMEDB in
 * @map. It is reached through plat_phys_to_virt(). Everything not
 * MEMMAP_USABLE, and the first frame, is reserved; the rest is freed into
 * maximal naturally aligned blocks. RAM above 16 TiB is ignored.
 * May be called again, with a fresh map, to start over (the host tests do).
 *
 * Return: 0, or -1 if there is no usable RAM or no room for the database.
 */
int pmm_init(struct memmap *map);

/*
 * The machine's NUMA layout, as the platform found it (ACPI SRAT and SLIT).
 * Memory outside every range belongs to node 0.
 */
struct pmm_numa {
	unsigned nr_nodes;			/* 1 .. MM_MAX_NODES */
	unsigned nr_ranges;			/* 0 .. PMM_MAX_NODE_RANGES */
	struct pmm_node_range {
		phys_addr_t base, end;		/* [base, end) */
		unsigned node;
	} range[PMM_MAX_NODE_RANGES];
	/* SLIT: 10 on the diagonal, 11..255 elsewhere; all 0 means 10 local, 20 remote. */
	uint8_t distance[MM_MAX_NODES][MM_MAX_NODES];
	uint8_t cpu_node[MM_MAX_CPUS];		/* each CPU's node */
};

/**
 * pmm_init_numa() - pmm_init() for a machine with NUMA nodes
 * @map: normalized memory map, as for pmm_init()
 * @numa: the nodes, their memory, distances and CPUs; NULL: one node
 *
 * A description that does not hold together (node out of range, a bad
 * distance table) is reported; the PMM then ignores the part at fault
 * (one node, or the default distances) and carries on.
 *
 * Return: as pmm_init().
 */
int pmm_init_numa(struct memmap *map, const struct pmm_numa *numa);

/**
 * pmm_alloc_pages() - allocate a naturally aligned block of 2^@order frames
 * @order: 0 .. PMM_MAX_ORDER
 * @flags: PMM_ZERO, at most one of PMM_ZONE_DMA, PMM_ZONE_DMA32, PMM_HIGHMEM,
 *	   and at most one of PMM_USER, PMM_USER_TABLE (the reserve)
 *
 * The block is taken from the preferred zone or a lower one. Before giving up
 * the per-CPU caches of all CPUs are drained into the buddy lists and the
 * search repeated. The block starts with a reference count of 1.
 *
 * Return: the block's physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_pages(unsigned order, unsigned flags);

/**
 * pmm_alloc_pages_node() - pmm_alloc_pages() preferring NUMA node @node
 * @node: the node to try first; the others follow by distance from it
 * @order: as pmm_alloc_pages()
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block's physical address, or PMM_NO_FRAME (also for a node
 * that does not exist, reported).
 */
phys_addr_t pmm_alloc_pages_node(unsigned node, unsigned order, unsigned flags);

/*
 * Reclaim for allocations: a request that finds no frame (or only the
 * reserve) calls the hook set here and tries again while it frees memory,
 * up to PMM_RECLAIM_TRIES times for orders up to PMM_RECLAIM_ORDER, once
 * above. The hook gets the highest zone the request may use, so that a
 * low-memory request on a machine with high memory is not answered with
 * frames of high memory (Linux's reclaim_idx). It decides whether the
 * caller's context may reclaim (mm/reclaim.h); without one, no frame means
 * failure.
 */
#define PMM_RECLAIM_ORDER	3
#define PMM_RECLAIM_TRIES	3
void pmm_set_reclaim(bool (*fn)(unsigned order, enum pmm_zone top));
bool pmm_reclaim(unsigned order);

/**
 * pmm_alloc_pages_nodes() - pmm_alloc_pages() from the NUMA nodes in @mask only
 * @node: the node whose distance order is followed (tried first if in @mask);
 *	  -1: the calling CPU's node
 * @mask: the nodes that may be used, bit n for node n (a memory policy's
 *	  MPOL_BIND); nodes that do not exist are ignored
 * @order: as pmm_alloc_pages()
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block's physical address, or PMM_NO_FRAME (the nodes of
 * @mask are out of memory, or none exists).
 */
phys_addr_t pmm_alloc_pages_nodes(int node, unsigned mask, unsigned order, unsigned flags);

/**
 * pmm_node_count() - the number of NUMA nodes (1 without NUMA)
 */
unsigned pmm_node_count(void);

/**
 * pmm_frame_node() - the NUMA node of the RAM at physical address @addr
 * @addr: any physical address
 *
 * Return: its node; 0 for an address the PMM has no descriptor for.
 */
unsigned pmm_frame_node(phys_addr_t addr);

/**
 * pmm_cpu_node() - the NUMA node CPU @cpu allocates from first
 * @cpu: 0 .. MM_MAX_CPUS-1
 */
unsigned pmm_cpu_node(unsigned cpu);

/**
 * pmm_node_distance() - the SLIT distance from node @a to node @b (10: local)
 */
unsigned pmm_node_distance(unsigned a, unsigned b);

/**
 * pmm_free_pages() - drop a reference to a block from pmm_alloc_pages()
 * @frame: the block's physical address
 * @order: the order it was allocated with
 *
 * Like pmm_put(), but checks @order: the block goes back when its last
 * reference is dropped. Freeing PMM_NO_FRAME does nothing.
 */
void pmm_free_pages(phys_addr_t frame, unsigned order);

/**
 * pmm_split() - make an allocated block of 2^@order frames 2^@order blocks of one
 * @frame: the block's physical address; its only reference is the caller's
 * @order: the order it was allocated with
 *
 * For an owner that frees the frames one by one (the kernel heap's slab
 * arena gives back single pages of a slab): each frame is then an order-0
 * block with one reference, freed with pmm_free_pages(frame, 0).
 *
 * Return: true, or false (reported) if @frame is not such a block.
 */
bool pmm_split(phys_addr_t frame, unsigned order);

/**
 * pmm_get() - take another reference to an allocated block
 * @frame: the block's physical address (its first frame)
 *
 * For shared and copy-on-write pages. Return: the new count, or 0 if
 * @frame is not an allocated block (reported).
 */
uint32_t pmm_get(phys_addr_t frame);

/**
 * pmm_get_mapped() - take another reference to a frame the caller has mapped
 * @frame: an allocated block's first frame, mapped in a page table whose
 *	lock the caller holds (fork's copies)
 *
 * That mapping holds a reference no one can drop meanwhile, so the count
 * cannot reach zero under us: one locked increment, without pmm_get()'s
 * checks of @frame and its compare-and-exchange loop (hardened builds still
 * check). A count found at zero is a broken invariant and panics.
 */
void pmm_get_mapped(phys_addr_t frame);

/**
 * pmm_get_mapped_batch() - pmm_get_mapped() for each of @n frames
 * @pfn: frame numbers (address >> PAGE_SHIFT; the PMM's frames all fit in
 *	32 bits), each an allocated block's first frame that a page table
 *	maps, whose space's lock the caller holds from before it found the
 *	mapping until this returns
 * @n: how many
 *
 * For callers that meet pages by the thousand (fork): one call a batch,
 * frame numbers of 4 bytes, where a call a page with a 64-bit address
 * cost more than the increment itself on a 32-bit machine.
 */
void pmm_get_mapped_batch(const uint32_t *pfn, unsigned n);

/**
 * pmm_put_mapped_batch() - drop the references of @n mappings just removed
 * @pfn: frame numbers, as for pmm_get_mapped_batch(), each of a frame
 *	whose reference was held by a page-table entry the caller cleared
 * @n: how many
 *
 * pmm_put() for each, freeing those whose last reference goes, without
 * looking the frame up as a caller-supplied address: the mapping proves it
 * is RAM the PMM manages. A frame that is not an allocated block is
 * reported as pmm_put() reports it (hardened builds check every frame).
 */
void pmm_put_mapped_batch(const uint32_t *pfn, unsigned n);

/**
 * pmm_put() - drop a reference to an allocated block, freeing it on the last
 * @frame: the block's physical address (its first frame)
 *
 * Return: the remaining count (0: freed, or @frame was bad and reported).
 */
uint32_t pmm_put(phys_addr_t frame);

/**
 * pmm_refcount() - the reference count of the block starting at @frame
 * @frame: physical address
 *
 * Return: the count, or 0 if @frame does not start an allocated block.
 */
uint32_t pmm_refcount(phys_addr_t frame);

/**
 * pmm_frame_state() - what the frame holding physical address @addr is used for
 * @addr: any physical address
 *
 * Return: PMM_FRAME_ABSENT, _RESERVED, _FREE (cached or in the buddy lists) or _USED.
 */
enum pmm_frame_state pmm_frame_state(phys_addr_t addr);

/**
 * pmm_frame_zone() - the zone physical address @addr belongs to
 * @addr: any physical address
 *
 * Return: PMM_ZONE_ID_DMA, _DMA32, _NORMAL or _HIGHMEM, by address alone.
 */
enum pmm_zone pmm_frame_zone(phys_addr_t addr);

/**
 * pmm_reserve() - frames user memory leaves free (see PMM_USER)
 *
 * 1/256 of the managed frames below high memory, at least 32 and at most
 * 8192 (32 MiB); 0
 * before pmm_init().
 */
uint64_t pmm_reserve(void);

/**
 * pmm_set_reserve() - change the reserve (tests)
 * @frames: the new size
 */
void pmm_set_reserve(uint64_t frames);

/**
 * pmm_drain() - return the frames of every CPU's cache to the buddy lists
 *
 * And, in an MM_KASAN build, the freed blocks its quarantine holds back
 * (mm/pmm_quarantine.c). The allocator does this itself before reporting out of memory; tests and
 * memory-pressure code may call it directly.
 */
void pmm_drain(void);

#ifdef MM_KASAN
/* Is the frame at physical address @addr held in the quarantine of freed blocks (mm/pmm_quarantine.c)? */
bool pmm_quarantined(phys_addr_t addr);
#endif

/**
 * pmm_get_stats() - frame counts per zone and in total, metadata size, counters
 * @st: filled in
 */
void pmm_get_stats(struct pmm_stats *st);

/*
 * pmm_zone_free() - free frames of zone @zi (per-CPU caches included) and,
 * in *@managed, the frames it manages: an estimate read without locks, for
 * reclaim's watermarks on the allocation path.
 */
uint64_t pmm_zone_free(enum pmm_zone zi, uint64_t *managed);

/**
 * pmm_zone_name() - "DMA", "DMA32", "Normal" or "HighMem"
 * @zone: a zone id
 */
const char *pmm_zone_name(enum pmm_zone zone);

/*
 * pmm_walk() callback: frames [@base, @end) of @zone of NUMA node @node are
 * all in @state. It runs with the zone's lock held and must not call into
 * the PMM.
 */
typedef void (*pmm_walk_fn)(phys_addr_t base, phys_addr_t end, unsigned node,
			    enum pmm_zone zone, enum pmm_frame_state state, void *ctx);

/**
 * pmm_walk() - report the RAM the PMM knows of as runs of one zone and state
 * @fn: called for each maximal run, in address order within a node's zone
 *      (node by node, each node's zones from DMA up)
 * @ctx: passed to @fn
 *
 * For the memory-map views of the shell. Costs one step per buddy block or
 * reserved frame, not per frame.
 */
void pmm_walk(pmm_walk_fn fn, void *ctx);

/**
 * pmm_check() - verify every invariant of the frame database and buddy lists
 *
 * Each problem found is reported with mm_err(). Slow (visits every
 * descriptor): for tests, fuzzers and a debugging shell.
 *
 * Return: the number of problems, 0 if all is well.
 */
unsigned pmm_check(void);

/* True when built with MM_HARDENED: freed frames are scrubbed (zeroed). */
extern const bool pmm_hardened;

/*
 * The seeds' names, as thin wrappers. Frames are physical addresses, except
 * for allocate_page() and free_page(), which use the frame's kernel-virtual
 * address in the direct map, as the seeds' callers expect.
 */

/**
 * pmm_alloc_frame() - allocate one frame
 *
 * Return: its physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_frame(void);

/**
 * pmm_free_frame() - free a frame from pmm_alloc_frame()
 * @frame: its physical address
 */
void pmm_free_frame(phys_addr_t frame);

/**
 * pmm_alloc_page() - allocate one frame, zeroed (the seeds clear pages on allocation)
 *
 * Return: its physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_page(void);

/**
 * pmm_free_page() - free a frame from pmm_alloc_page()
 * @frame: its physical address
 */
void pmm_free_page(phys_addr_t frame);

/**
 * allocate_page() - allocate one frame
 *
 * Return: its direct-map address, or NULL.
 */
void *allocate_page(void);

/**
 * free_page() - free a frame from allocate_page()
 * @page: its direct-map address; NULL is ignored
 */
void free_page(void *page);

#endif
