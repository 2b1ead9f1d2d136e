// SPDX-License-Identifier: MIT
/*
 * The PMM's entry points: allocation with zone fallback, freeing and
 * reference counts, with every caller-supplied frame checked first.
 *
 * Single frames go through the per-CPU caches (mm/pmm_pcp.c), larger blocks
 * straight to the zone's buddy lists (mm/buddy.c). A request walks the
 * nodes nearest first from the calling CPU's node (or the one asked for),
 * and each node's zones from the preferred one down. Each entry point passes
 * its own return address down, so reports name the caller's code.
 */
#include "highmem.h"
#include "lru.h"
#include "zone.h"

#ifdef MM_HARDENED
const bool pmm_hardened = true;
#else
const bool pmm_hardened = false;
#endif

/* The fast path is inlined into each entry point; so is the return address. */
#define FAST		static inline __attribute__((always_inline))
#define CALLER		__builtin_return_address(0)
#define NO_ORDER	(~0u)
#define ZONE_FLAGS	(PMM_ZONE_DMA | PMM_ZONE_DMA32 | PMM_HIGHMEM)
#define USER_FLAGS	(PMM_USER | PMM_USER_TABLE)
#define ALL_NODES	((1u << MM_MAX_NODES) - 1)

static void report(const char *fn, phys_addr_t frame, unsigned order, const char *what,
		   void *caller)
{
	__atomic_fetch_add(&pmm.bad_calls, 1, __ATOMIC_RELAXED);
	if (order == NO_ORDER)
		mm_err("pmm: %s(%#llx): %s; called from %p", fn, (unsigned long long)frame,
		       what, caller);
	else
		mm_err("pmm: %s(%#llx, order %u): %s; called from %p", fn,
		       (unsigned long long)frame, order, what, caller);
}

/* Why frame @pfn, with descriptor flags @flags, is not an allocated block's start. */
static const char *not_allocated(pfn_t pfn, unsigned flags)
{
	if (flags & FRAME_HOLE)
		return "not RAM (a hole or firmware range in the memory map)";
	if (flags & FRAME_RESERVED)
		return "frame is reserved";
	if (!(flags & (FRAME_FREE | FRAME_PCP)) &&
	    pmm_frame_state(pfn << PAGE_SHIFT) == PMM_FRAME_USED)
		return "inside an allocated block, not its first frame";
	return "frame is free (double free, or never allocated)";
}

/* The descriptor of the allocated block starting at @frame, or NULL after a report. */
FAST struct frame *alloc_head(const char *fn, phys_addr_t frame, unsigned order,
			       void *caller)
{
	struct frame *f;

	if (frame & (PAGE_SIZE - 1)) {
		report(fn, frame, order, "address not page-aligned", caller);
		return NULL;
	}
	f = pfn_frame_checked(frame >> PAGE_SHIFT);
	if (!f) {
		report(fn, frame, order, "not RAM managed by the PMM", caller);
		return NULL;
	}
	unsigned flags = frame_flags(f);

	if (likely(flags == FRAME_ALLOC))
		return f;
	report(fn, frame, order, not_allocated(frame >> PAGE_SHIFT, flags), caller);
	return NULL;
}

/* Zero a block: in one go through the direct map, a page at a time in high memory. */
FAST void zero_block(pfn_t pfn, unsigned order)
{
	if (unlikely(pfn >= pmm_highmem_pfn))
		frame_zero(pfn << PAGE_SHIFT, (uint64_t)1 << order);
	else
		memset(plat_phys_to_virt(pfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
}

/*
 * The address sanitizer's view of a block (MM_KASAN): a free block's bytes
 * may not be touched until it is handed out again. Only the direct map has
 * a shadow: high memory is left alone.
 */
FAST void kasan_block(pfn_t pfn, unsigned order, bool free)
{
#ifdef MM_KASAN
	if (pfn >= pmm_highmem_pfn)
		return;
	void *va = plat_phys_to_virt(pfn << PAGE_SHIFT);
	if (free)
		plat_kasan_poison(va, PAGE_SIZE << order, KASAN_PAGE_FREE);
	else
		plat_kasan_unpoison(va, PAGE_SIZE << order);
#else
	(void)pfn, (void)order, (void)free;
#endif
}

/* Scrub (hardened builds) and return a block whose last reference is gone. */
FAST void release(pfn_t pfn, struct frame *f)
{
	unsigned order = f->order;

	if (pmm_hardened)
		zero_block(pfn, order);
	kasan_block(pfn, order, true);
	if (pmm_quarantine_put(pfn, f))
		return;
	if (order == 0) {
		pcp_free(pfn, f);
	} else {
		struct zone *z = pfn_zone_ptr(pfn);
		unsigned long irq = spin_lock_irqsave(&z->lock);

		buddy_free(z, pfn, order);
		spin_unlock_irqrestore(&z->lock, irq);
	}
}

/* Drop one reference to the allocated block at @pfn; free it on the last. */
FAST uint32_t drop_ref(pfn_t pfn, struct frame *f)
{
	uint32_t r = __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE);
	bool on_lru = frame_on_lru(f);

	/* The only holder: nobody else may touch the count (but the LRU's isolation, mm/lru.c). */
	if (r == 1 && !on_lru)
		__atomic_store_n(&f->refcount, 0, __ATOMIC_RELAXED);
	else if ((r = __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL)) != 0)
		return r;
	if (on_lru)
		lru_page_freed(pfn);
	release(pfn, f);
	return 0;
}

/*
 * First frame of a block from zone @top of node @node or, failing that, the
 * zones below it, and then the same from the other nodes, nearest first;
 * only nodes in @mask are looked at (a memory policy's MPOL_BIND).
 * @node is -1 for the calling CPU's node.
 */
FAST pfn_t alloc_from(int node, unsigned mask, enum pmm_zone top, unsigned order)
{
	unsigned cpu = plat_cpu_id();
	const uint8_t *nodes = pmm.fallback[node < 0 ? pmm.cpu_node[cpu] : (unsigned)node];

	for (unsigned i = 0; i < pmm.nr_nodes; i++) {
		unsigned n = nodes[i];

		if (!(mask & (1u << n)))
			continue;
		for (int zi = (int)top; zi >= 0; zi--) {
			struct zone *z = &pmm.zone[n][zi];
			pfn_t pfn;

			if (!z->managed)
				continue;
			if (order == 0) {
				pfn = pcp_alloc(cpu, n, (enum pmm_zone)zi);
			} else {
				unsigned long irq = spin_lock_irqsave(&z->lock);

				pfn = buddy_alloc(z, order, FRAME_ALLOC);
				spin_unlock_irqrestore(&z->lock, irq);
			}
			if (pfn != PFN_NIL)
				return pfn;
		}
	}
	return PFN_NIL;
}

/* Frames in the buddy lists of zones @lo..@hi of every node (the per-CPU caches left out). */
static uint64_t buddy_free_frames(enum pmm_zone lo, enum pmm_zone hi)
{
	uint64_t n = 0;

	for (unsigned nd = 0; nd < pmm.nr_nodes; nd++)
		for (unsigned zi = lo; zi <= hi; zi++)
			n += __atomic_load_n(&pmm.zone[nd][zi].nr_free, __ATOMIC_RELAXED);
	return n;
}

/*
 * Would 2^@order frames for @flags leave @keep frames the kernel can use?
 * The kernel's own allocations come from the zones below HIGHMEM, so only
 * those count; a PMM_HIGHMEM request that high memory can serve takes
 * nothing from them.
 */
static bool leaves(unsigned order, unsigned flags, uint64_t keep)
{
	uint64_t n = (uint64_t)1 << order;

	if ((flags & PMM_HIGHMEM) &&
	    buddy_free_frames(PMM_ZONE_ID_HIGHMEM, PMM_ZONE_ID_HIGHMEM) >= n)
		return true;
	return buddy_free_frames(PMM_ZONE_ID_DMA, PMM_ZONE_ID_NORMAL) >= keep + n;
}

/*
 * May a PMM_USER or PMM_USER_TABLE request for 2^@order frames be served,
 * leaving the reserve (half of it for a table)? The caches (and the
 * quarantine) are drained before saying no, so frames parked there count.
 */
static bool reserve_allows(unsigned order, unsigned flags)
{
	uint64_t keep = pmm.reserve >> ((flags & PMM_USER) ? 0 : 1);

	if (leaves(order, flags, keep))
		return true;
	pmm_drain_caches();
	if (leaves(order, flags, keep))
		return true;
	__atomic_fetch_add(&pmm.reserve_refusals, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pmm.alloc_failures, 1, __ATOMIC_RELAXED);
	return false;
}

/* Memory is short: empty all CPUs' caches (and the quarantine) into the buddy lists and try again. */
static pfn_t alloc_retry(int node, unsigned mask, enum pmm_zone top, unsigned order)
{
	pmm_drain_caches();
	pfn_t pfn = alloc_from(node, mask, top, order);

	if (pfn == PFN_NIL)
		__atomic_fetch_add(&pmm.alloc_failures, 1, __ATOMIC_RELAXED);
	return pfn;
}

/* Reclaim for allocations: pmm_set_reclaim(). */
static bool (*reclaim_hook)(unsigned order, enum pmm_zone top);

/**
 * pmm_set_reclaim() - what a request that finds no frame calls before it fails
 * @fn: frees memory for a request of 2^order frames of zones up to top if
 *	the caller's context may reclaim (mm/reclaim.h: reclaim_for_alloc());
 *	true if it freed some. NULL (the default): no frame means failure.
 */
void pmm_set_reclaim(bool (*fn)(unsigned order, enum pmm_zone top))
{
	__atomic_store_n(&reclaim_hook, fn, __ATOMIC_RELEASE);
}

/* Run the hook once for 2^@order frames of zones up to @top. */
static bool reclaim_zone(unsigned order, enum pmm_zone top)
{
	bool (*fn)(unsigned, enum pmm_zone) = __atomic_load_n(&reclaim_hook, __ATOMIC_ACQUIRE);

	return fn && fn(order, top);
}

/**
 * pmm_reclaim() - run the reclaim hook once for a request of 2^@order frames
 * @order: the request's order
 *
 * For callers that got no memory inside a lock and can reclaim once they
 * have dropped it (the heap's slabs). The frames are reclaimed in low
 * memory (up to ZONE_NORMAL), which serves every request.
 *
 * Return: true if memory was freed.
 */
bool pmm_reclaim(unsigned order)
{
	return reclaim_zone(order, PMM_ZONE_ID_NORMAL);
}

/* One try: the reserve's check, the zones, then the zones with every CPU's cache drained. */
static inline pfn_t alloc_try(int node, unsigned mask, enum pmm_zone top, unsigned order,
			       unsigned flags)
{
	if (unlikely(flags & USER_FLAGS) && !reserve_allows(order, flags))
		return PFN_NIL;
	pfn_t pfn = alloc_from(node, mask, top, order);

	if (unlikely(pfn == PFN_NIL))
		pfn = alloc_retry(node, mask, top, order);
	return pfn;
}

/*
 * Nothing free: reclaim and try again, while reclaim frees something. Up
 * to PMM_RECLAIM_TRIES times for small blocks; once for larger ones, which
 * freeing scattered frames rarely makes (Linux's costly orders).
 */
static pfn_t alloc_reclaim(int node, unsigned mask, enum pmm_zone top, unsigned order,
			   unsigned flags)
{
	unsigned tries = order <= PMM_RECLAIM_ORDER ? PMM_RECLAIM_TRIES : 1;
	pfn_t pfn = PFN_NIL;

	while (pfn == PFN_NIL && tries-- && reclaim_zone(order, top))
		pfn = alloc_try(node, mask, top, order, flags);
	return pfn;
}

FAST phys_addr_t alloc_block(const char *fn, int node, unsigned mask, unsigned order,
			     unsigned flags, void *caller)
{
	unsigned zf = flags & ZONE_FLAGS;

	if (order > PMM_MAX_ORDER || (flags & ~(PMM_ZERO | ZONE_FLAGS | USER_FLAGS)) ||
	    (zf & (zf - 1)) || (flags & USER_FLAGS) == USER_FLAGS) {
		__atomic_fetch_add(&pmm.bad_calls, 1, __ATOMIC_RELAXED);
		mm_err("pmm: %s(order %u, flags %#x): bad order or flags; called from %p",
		       fn, order, flags, caller);
		return PMM_NO_FRAME;
	}
	enum pmm_zone top = (flags & PMM_ZONE_DMA) ? PMM_ZONE_ID_DMA :
			    (flags & PMM_ZONE_DMA32) ? PMM_ZONE_ID_DMA32 :
			    (flags & PMM_HIGHMEM) ? PMM_ZONE_ID_HIGHMEM : PMM_ZONE_ID_NORMAL;
	pfn_t pfn = alloc_try(node, mask, top, order, flags);

	if (unlikely(pfn == PFN_NIL) && (pfn = alloc_reclaim(node, mask, top, order, flags)) == PFN_NIL)
		return PMM_NO_FRAME;
	kasan_block(pfn, order, false);
	if (flags & PMM_ZERO)
		zero_block(pfn, order);
	return pfn << PAGE_SHIFT;
}

FAST void free_block(const char *fn, phys_addr_t frame, unsigned order, void *caller)
{
	struct frame *f;

	if (frame == PMM_NO_FRAME)
		return;
	if (order > PMM_MAX_ORDER) {
		report(fn, frame, order, "order out of range", caller);
		return;
	}
	f = alloc_head(fn, frame, order, caller);
	if (!f)
		return;
	if (unlikely(f->order != order)) {
		__atomic_fetch_add(&pmm.bad_calls, 1, __ATOMIC_RELAXED);
		mm_err("pmm: %s(%#llx, order %u): block was allocated with order %u; called from %p",
		       fn, (unsigned long long)frame, order, f->order, caller);
		return;
	}
	drop_ref(frame >> PAGE_SHIFT, f);
}

/**
 * pmm_alloc_pages() - allocate a naturally aligned block of 2^@order frames
 * @order: 0 .. PMM_MAX_ORDER
 * @flags: PMM_ZERO, at most one of PMM_ZONE_DMA, PMM_ZONE_DMA32, PMM_HIGHMEM,
 *	   and at most one of PMM_USER, PMM_USER_TABLE (the reserve)
 *
 * Return: the block's physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_pages(unsigned order, unsigned flags)
{
	return alloc_block("pmm_alloc_pages", -1, ALL_NODES, order, flags, CALLER);
}

/**
 * pmm_alloc_pages_node() - pmm_alloc_pages() preferring NUMA node @node
 * @node: the node to try first; the others follow by distance from it
 * @order: 0 .. PMM_MAX_ORDER
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block's physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_pages_node(unsigned node, unsigned order, unsigned flags)
{
	if (node >= pmm.nr_nodes) {
		__atomic_fetch_add(&pmm.bad_calls, 1, __ATOMIC_RELAXED);
		mm_err("pmm: pmm_alloc_pages_node(node %u): no such node (%u nodes); called from %p",
		       node, pmm.nr_nodes, CALLER);
		return PMM_NO_FRAME;
	}
	return alloc_block("pmm_alloc_pages_node", (int)node, ALL_NODES, order, flags, CALLER);
}

/**
 * pmm_alloc_pages_nodes() - pmm_alloc_pages() from the NUMA nodes in @mask only
 * @node: the node whose distance order is followed (the first if in @mask);
 *	  -1: the calling CPU's node
 * @mask: the nodes that may be used, a bit each; nodes that do not exist are ignored
 * @order: 0 .. PMM_MAX_ORDER
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block's physical address, or PMM_NO_FRAME (also when no node
 * of @mask exists: nothing to allocate from).
 */
phys_addr_t pmm_alloc_pages_nodes(int node, unsigned mask, unsigned order, unsigned flags)
{
	if (node >= (int)pmm.nr_nodes) {
		__atomic_fetch_add(&pmm.bad_calls, 1, __ATOMIC_RELAXED);
		mm_err("pmm: pmm_alloc_pages_nodes(node %d): no such node (%u nodes); called from %p",
		       node, pmm.nr_nodes, CALLER);
		return PMM_NO_FRAME;
	}
	return alloc_block("pmm_alloc_pages_nodes", node < 0 ? -1 : node, mask & ALL_NODES, order,
			   flags, CALLER);
}

/**
 * pmm_free_pages() - drop a reference to a block from pmm_alloc_pages()
 * @frame: the block's physical address
 * @order: the order it was allocated with
 */
void pmm_free_pages(phys_addr_t frame, unsigned order)
{
	free_block("pmm_free_pages", frame, order, CALLER);
}

/**
 * pmm_split() - make an allocated block of 2^@order frames 2^@order blocks of one
 * @frame: the block's physical address, with one reference
 * @order: its order
 *
 * The tails were never written when the block was allocated (frame.h):
 * each becomes the head of an allocated order-0 block. Return: true, or false.
 */
bool pmm_split(phys_addr_t frame, unsigned order)
{
	struct frame *f = alloc_head("pmm_split", frame, order, CALLER);

	if (!f)
		return false;
	if (f->order != order || __atomic_load_n(&f->refcount, __ATOMIC_RELAXED) != 1) {
		report("pmm_split", frame, order, "not a block of that order with one reference", CALLER);
		return false;
	}
	f->order = 0;
	for (size_t i = 1; i < ((size_t)1 << order); i++) {
		f[i].order = 0;
		f[i].spare = 0;
		__atomic_store_n(&f[i].refcount, 1, __ATOMIC_RELAXED);
		frame_set_flags(&f[i], FRAME_ALLOC);
	}
	return true;
}

/**
 * pmm_get() - take another reference to an allocated block
 * @frame: the block's physical address
 *
 * Return: the new count, or 0 if @frame is not an allocated block (reported).
 */
uint32_t pmm_get(phys_addr_t frame)
{
	struct frame *f = alloc_head("pmm_get", frame, NO_ORDER, CALLER);

	if (!f)
		return 0;
	uint32_t r = __atomic_load_n(&f->refcount, __ATOMIC_RELAXED);

	do {	/* never resurrect a block whose last reference is going away */
		if (r == 0 || r == UINT32_MAX) {
			report("pmm_get", frame, NO_ORDER,
			       r ? "reference count overflow" : "frame is being freed", CALLER);
			return 0;
		}
	} while (!__atomic_compare_exchange_n(&f->refcount, &r, r + 1, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return r + 1;
}

/* pmm_get_mapped() of frame @pfn, for @fn. */
FAST void get_mapped(const char *fn, pfn_t pfn)
{
	phys_addr_t frame = (phys_addr_t)pfn << PAGE_SHIFT;

	if (pmm_hardened) {
		(void)pmm_get(frame);
		return;
	}

	uint32_t r = __atomic_fetch_add(&pfn_frame(pfn)->refcount, 1, __ATOMIC_RELAXED);

	if (unlikely(r == 0 || r == UINT32_MAX))
		plat_panic("pmm: %s(%#llx): reference count %u of a mapped frame", fn,
			   (unsigned long long)frame, r);
}

void pmm_get_mapped(phys_addr_t frame)
{
	get_mapped("pmm_get_mapped", frame >> PAGE_SHIFT);
}

void pmm_get_mapped_batch(const uint32_t *pfn, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		get_mapped("pmm_get_mapped_batch", pfn[i]);
}

/* Frames of a batched put whose LRU entries go under one hold of lru_lock. */
#define PUT_LRU_BATCH	64

/* Forget @n anonymous LRU frames, count 0, at once; then free them. */
static void release_lru(const uint32_t *pfn, unsigned n)
{
	lru_pages_freed(pfn, n);
	for (unsigned i = 0; i < n; i++)
		release(pfn[i], pfn_frame(pfn[i]));
}

void pmm_put_mapped_batch(const uint32_t *pfn, unsigned n)
{
	uint32_t gone[PUT_LRU_BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct frame *f = pfn_frame(pfn[i]);

		/* Anything but an allocated block: pmm_put() reports it (and so do hardened builds). */
		if (pmm_hardened || unlikely(frame_flags(f) != FRAME_ALLOC)) {
			(void)pmm_put((phys_addr_t)pfn[i] << PAGE_SHIFT);
		} else if (!frame_on_lru(f)) {
			drop_ref(pfn[i], f);
		} else if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
			/* As drop_ref(), but off the lists with the others (munmap, exit). */
			gone[k++] = pfn[i];
			if (k == PUT_LRU_BATCH) {
				release_lru(gone, k);
				k = 0;
			}
		}
	}
	release_lru(gone, k);
}

/**
 * pmm_put() - drop a reference to an allocated block, freeing it on the last
 * @frame: the block's physical address
 *
 * Return: the remaining count (0: freed, or @frame was bad and reported).
 */
uint32_t pmm_put(phys_addr_t frame)
{
	struct frame *f = alloc_head("pmm_put", frame, NO_ORDER, CALLER);

	return f ? drop_ref(frame >> PAGE_SHIFT, f) : 0;
}

/**
 * pmm_refcount() - the reference count of the block starting at @frame
 * @frame: physical address
 *
 * Return: the count, or 0 if @frame does not start an allocated block.
 */
uint32_t pmm_refcount(phys_addr_t frame)
{
	struct frame *f;

	if (frame & (PAGE_SIZE - 1))
		return 0;
	f = pfn_frame_checked(frame >> PAGE_SHIFT);
	if (!f || frame_flags(f) != FRAME_ALLOC)
		return 0;
	return __atomic_load_n(&f->refcount, __ATOMIC_RELAXED);
}

/**
 * pmm_alloc_frame() - allocate one frame
 *
 * Return: its physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_frame(void)
{
	return alloc_block("pmm_alloc_frame", -1, ALL_NODES, 0, 0, CALLER);
}

/**
 * pmm_free_frame() - free a frame from pmm_alloc_frame()
 * @frame: its physical address
 */
void pmm_free_frame(phys_addr_t frame)
{
	free_block("pmm_free_frame", frame, 0, CALLER);
}

/**
 * pmm_alloc_page() - allocate one zeroed frame (the seeds clear pages on allocation)
 *
 * Return: its physical address, or PMM_NO_FRAME.
 */
phys_addr_t pmm_alloc_page(void)
{
	return alloc_block("pmm_alloc_page", -1, ALL_NODES, 0, PMM_ZERO, CALLER);
}

/**
 * pmm_free_page() - free a frame from pmm_alloc_page()
 * @frame: its physical address
 */
void pmm_free_page(phys_addr_t frame)
{
	free_block("pmm_free_page", frame, 0, CALLER);
}

/**
 * allocate_page() - allocate one frame
 *
 * Return: its kernel-virtual (direct-map) address, or NULL.
 */
void *allocate_page(void)
{
	phys_addr_t pa = alloc_block("allocate_page", -1, ALL_NODES, 0, 0, CALLER);

	return pa == PMM_NO_FRAME ? NULL : plat_phys_to_virt(pa);
}

/**
 * free_page() - free a frame from allocate_page()
 * @page: its direct-map address; NULL is ignored
 */
void free_page(void *page)
{
	if (page)
		free_block("free_page", plat_virt_to_phys(page), 0, CALLER);
}
