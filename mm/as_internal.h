/* SPDX-License-Identifier: MIT */
/*
 * What the files of the address-space layer share among themselves and
 * nobody else: the region set, the shared anonymous objects, page helpers.
 * Everything here runs with the space's lock held unless it says otherwise.
 */
#ifndef MM_AS_INTERNAL_H
#define MM_AS_INTERNAL_H

#include "as.h"
#include "commit.h"
#include "pcache.h"
#include "pmm.h"
#include "swap.h"
#include "swap_internal.h"

/*
 * The space's lock as the system calls take it: long operations in it
 * (zapping, protecting or copying huge ranges) break it between bounded
 * batches (as_lock_break()), so interrupts and other tasks get in.
 * Faults and readers take the spinlock directly and are never broken.
 * Callers keep indices into the region array across a break, and a fault
 * could bring back a page already zapped: safe only because a space with
 * one user alone breaks its lock: once a thread or vfork child shares
 * it (as_set_shared()), long operations hold the lock to the end, until
 * the space's mutators take a sleeping lock instead.
 */
static inline void as_lock(struct as *as)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	as->lock_fl = fl;
	as->breakable = true;
}

static inline void as_unlock(struct as *as)
{
	unsigned long fl = as->lock_fl;

	as->breakable = false;
	write_unlock_irqrestore(&as->lock, fl);
}

/* Let interrupts, and tasks that are due, in for a moment (if held by as_lock()). */
void as_lock_break(struct as *as);
/*
 * Let interrupts in for a moment, keeping the lock (if held by as_lock()):
 * long loops over regions do, every AS_REGION_WINDOW of them, since a
 * space has up to vm.max_map_count. No interrupt handler looks at a space,
 * so a half-done change of its region set is no matter to them.
 */
void as_irq_window(const struct as *as);
#define AS_REGION_WINDOW	256

/* In a loop over regions, at its @n-th. */
static inline void as_region_window(const struct as *as, uint32_t n)
{
	if (n % AS_REGION_WINDOW == AS_REGION_WINDOW - 1)
		as_irq_window(as);
}

/*
 * Around a batch call on the space's own page tables, made under as_lock()
 * and no other lock (where as_lock_break() is called too): its TLB
 * shootdown waits with interrupts as they were before as_lock()
 * (pt_space.wait_irqs), not for as long as the other CPUs take to answer
 * with them off. No interrupt handler takes a space's lock.
 */
static inline void as_pt_wait_irqs(struct as *as, bool on)
{
	if (!as->breakable)
		return;
	as->vs.pt.wait_fl = as->lock_fl;
	as->vs.pt.wait_irqs = on;
}
/*
 * Is @va in a range another thread is zapping under the read lock
 * (as_zap_unlock())? Callers hold the read lock. A fault there must not
 * fill or copy a page the zap may be clearing at the same moment: it is
 * done again under the write lock, which waits for the zap's end. The
 * marks are set under the write lock, so no read-locked caller was under
 * way when one appeared; a bounded look at AS_ZAP_MARKS slots, and none
 * at all while no zap runs.
 */
static inline bool as_zap_marked(const struct as *as, uintptr_t va)
{
	if (!__atomic_load_n(&as->zap_marked, __ATOMIC_ACQUIRE))
		return false;
	for (unsigned i = 0; i < AS_ZAP_MARKS; i++)
		if (va < __atomic_load_n(&as->zap_marks[i].hi, __ATOMIC_ACQUIRE) &&
		    va >= __atomic_load_n(&as->zap_marks[i].lo, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* as_zap() of [start, end), then as_unlock(): under the read lock in a shared space (as_unmap.c). */
void as_zap_unlock(struct as *as, uintptr_t start, uintptr_t end);

/* Work on pages is batched: at most this much address space per hold of the lock. */
#define AS_BATCH_BYTES	(256 * PAGE_SIZE)
/*
 * A zap in a space shared by threads, whose lock is never let go (only
 * interrupts get in between batches): larger batches, one TLB shootdown
 * each, and still within what pt_unmap() holds back for one (pt.h's
 * PT_FREE_MORE_ORDER block), so none is sent under the page-table lock.
 */
#define AS_SHARED_BATCH_BYTES	((uintptr_t)1024 * PAGE_SIZE)
/* The next batch of mapped pages in [from, to): false if none (as_unmap.c). */
bool as_next_batch(struct as *as, uintptr_t from, uintptr_t to, uintptr_t *start, uintptr_t *stop);

#define AS_PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)	/* 0 on overflow near the top */

/* --- the region set (as_region.c) -------------------------------------------- */

/* Index of the first region ending above @addr (nr if none). */
uint32_t as_region_lower(const struct as *as, uintptr_t addr);
/* The region containing @addr, or NULL. */
struct as_region *as_region_find(const struct as *as, uintptr_t addr);
/* as_pkey_allocated() with the space's lock held (as_pkey.c). */
bool as_pkey_allocated_locked(const struct as *as, int pkey, unsigned nkeys);
/*
 * Linux's __execute_only_pkey(), with the space's write lock held: the
 * space's execute-only key, allocated on first use (it is never given back
 * but with the space), denied to the calling thread; -1 if there are no
 * keys or none is free (the mapping keeps the key it would have had).
 */
int as_pkey_exec_only_locked(struct as *as, unsigned nkeys);
/* Is any region overlapping [start, end)? */
bool as_region_overlaps(const struct as *as, uintptr_t start, uintptr_t end);
/* Make room for @more regions beyond nr: 0 or -MM_ENOMEM. */
int as_region_reserve(struct as *as, uint32_t more);
/* Cut the region containing @addr in two at @addr (room must be reserved). */
void as_region_split(struct as *as, uintptr_t addr);
/* Insert @r (not overlapping anything; room reserved); returns its index. */
uint32_t as_region_insert(struct as *as, const struct as_region *r);
/* Drop region @i from the set, dropping its references (not its pages). */
void as_region_remove(struct as *as, uint32_t i);
/* Drop regions [first, last) likewise, in one move of the array. */
void as_region_remove_range(struct as *as, uint32_t first, uint32_t last);
/* Merge region @i, just changed, with alike neighbours; returns the index holding it now. */
uint32_t as_region_merge(struct as *as, uint32_t i);
/* Join new region @i with alike neighbours, as mmap does; returns the index holding it now. */
uint32_t as_region_merge_new(struct as *as, uint32_t i);
/* Join region @i with the next if alike (mremap growing in place). */
void as_region_merge_next(struct as *as, uint32_t i);
/* Give region @r an identity before its first private page (Linux's anon_vma_prepare()). */
void as_region_anon(struct as *as, struct as_region *r);
/* A new region identity of @as, with @forked (0 or AS_ANON_FORKED). */
uint32_t as_region_anon_new(struct as *as, uint32_t forked);
/* Merge every region in and around [start, end] with alike neighbours. */
void as_region_merge_range(struct as *as, uintptr_t start, uintptr_t end);
/* Take references for a copy of @r (a split or a fork). */
void as_region_ref(const struct as_region *r);
/* Drop them. */
void as_region_unref(const struct as_region *r);
/* Set (@on) or clear region flag @flag on [start, end), splitting and merging: 0 or -MM_ENOMEM. */
int as_region_set_flag(struct as *as, uintptr_t start, uintptr_t end, uint32_t flag, bool on);
int as_region_set_flags(struct as *as, uintptr_t start, uintptr_t end, uint32_t mask, uint32_t set);
/* Free the array. */
void as_region_free_all(struct as *as);
/* Lowest address a stack region lets others use (its guard gap below). */
uintptr_t as_region_start_gap(const struct as_region *r);

/* Resource limits (as_limits.c). */
void as_limits_none(struct as_limits *lim);
void as_vm_account(struct as *as, const struct as_region *r, int sign);
bool as_may_expand(const struct as *as, uint32_t prot, uint8_t backing, uint32_t flags,
		   uint64_t pages);
uint64_t as_pages_in(const struct as *as, uintptr_t start, uintptr_t end, bool locked_only);
bool as_memlock_ok(const struct as *as, uint64_t pages);
unsigned as_limits_check(const struct as *as);

/* --- the free-area index (as_gaps.c) ------------------------------------------- */

/* Gaps from region index @j on changed (insertion, removal, resizing). */
void as_gaps_dirty(struct as *as, uint32_t j);
void as_gaps_free(struct as *as);
/* Highest / lowest room for @len in [low, high) in *found (0: none); false: no index memory. */
bool as_gaps_top_down(struct as *as, uint64_t len, uintptr_t low, uintptr_t high,
		      uintptr_t *found);
bool as_gaps_bottom_up(struct as *as, uint64_t len, uintptr_t low, uintptr_t high,
		       uintptr_t *found);
unsigned as_gaps_check(const struct as *as);

/* --- commit accounting (as_region.c) --------------------------------------------- */

/* Charge @pages to the commit policy: 0 or -MM_ENOMEM. */
int as_charge(struct as *as, uint64_t pages);
/* Give back the charge of region @r, which is going away, if it has one. */
void as_uncharge_region(const struct as_region *r);
/* Would a private mapping with @prot (and MAP_NORESERVE if @noreserve) be charged? */
bool as_accountable(uint8_t backing, uint32_t prot, bool noreserve);

/* --- every space (as_rmap.c) ------------------------------------------------------ */

/* Add a new space to the list of all, or take it out (no space lock held). */
void as_list_add(struct as *as);
void as_list_del(struct as *as);

/* --- families of spaces, the reverse map of anonymous pages (as_anon.c) ----------- */

/* A new process image starts a family; a fork child joins its parent's; destruction leaves. */
void as_anon_new(struct as *as);
void as_anon_join(struct as *child, const struct as *parent);
void as_anon_leave(struct as *as);
/* Private anonymous page @pa was just mapped at @va of @r: onto the LRU lists. */
void as_anon_add(const struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t pa);

/* --- the shared zero page (as_zero.c) ----------------------------------------- */

int as_zero_get(void);
void as_zero_put(void);
phys_addr_t as_zero_page(void);
extern phys_addr_t as_zero_pa;

/* Is @pa, a frame mapped in a space (which holds the zero page), the zero page? Once per page. */
static inline bool as_is_zero_page(phys_addr_t pa)
{
	return (pa & PAGE_MASK) == as_zero_pa;
}

/*
 * Frame references that fork takes and a zap drops, gathered a page at a
 * time and handed to the PMM a batch at a time (pmm_get_mapped_batch(),
 * pmm_put_mapped_batch()); the zero page's mappings hold none. Taken
 * before the space's lock is released: the parent's mappings, which the
 * lock keeps, hold the frames meanwhile; dropped after the page-table
 * entries are gone.
 */
#define AS_REF_BATCH	64

struct as_refs {
	bool put;			/* drop them (a zap), or take them (fork) */
	unsigned n;
	uint32_t pfn[AS_REF_BATCH];
};

static inline void as_refs_flush(struct as_refs *b)
{
	if (b->put) {
		pmm_put_mapped_batch(b->pfn, b->n);
		if (unlikely(swap_kept_pages()))	/* copies of pages nothing maps now */
			swap_unkeep_unmapped(b->pfn, b->n);
	} else
		pmm_get_mapped_batch(b->pfn, b->n);
	b->n = 0;
}

/* One reference to the frame at @pa (a page mapped in a space), unless it is the zero page. */
static inline void as_refs_add(struct as_refs *b, phys_addr_t pa)
{
	if (as_is_zero_page(pa))
		return;
	b->pfn[b->n++] = (uint32_t)(pa >> PAGE_SHIFT);
	if (unlikely(b->n == AS_REF_BATCH))
		as_refs_flush(b);
}

/* --- pages (as_fault.c, as_unmap.c) --------------------------------------------- */

/* PT_* bits for a page of @r; private pages get PT_WRITE only if @write. */
unsigned as_pte_prot(const struct as_region *r, bool write);
/* The policy placing a new private page of @r: its own, the thread's, or NULL (as_mempolicy.c). */
const struct mm_mempolicy *as_page_policy(const struct as_region *r);
/* A frame for a private page at @va of @r, placed by that policy; PMM_NO_FRAME if none. */
phys_addr_t as_alloc_private_page(const struct as_region *r, uintptr_t va, unsigned flags);
/* Replace frame @old at @va of @r (its only user) by new frame @pa, content copied (as_migrate.c). */
int as_migrate_frame(struct as *as, const struct as_region *r, uintptr_t va, phys_addr_t old,
		     unsigned prot, phys_addr_t pa);
/* Resolve a fault at @addr; @flags are VM_FAULT_*. */
enum vm_fault_result as_fault_locked(struct as *as, uintptr_t addr, unsigned flags);
/* The same, a page on a disk left to read with the lock dropped (@io->need: as_swap_io(), again). */
enum vm_fault_result as_fault_locked_io(struct as *as, uintptr_t addr, unsigned flags,
					struct swap_io *io);
/* Out of memory in @as (not locked): reclaim directly, else the OOM killer; true: retry. */
bool as_reclaim_for(struct as *as);
/* Fault in [start, end) as MAP_POPULATE or mlock do, lock NOT held (it is taken in batches). */
int as_populate(struct as *as, uintptr_t start, uintptr_t end, bool ignore_errors);
/* What faults as_populate_how() makes: mlock's and MAP_POPULATE's, or MADV_POPULATE_*'s. */
enum as_populate_how { AS_POPULATE_LOCK, AS_POPULATE_READ, AS_POPULATE_WRITE };
int as_populate_how(struct as *as, uintptr_t start, uintptr_t end, bool ignore_errors,
		    enum as_populate_how how);
/* Remove the pages of [start, end), dropping their frames' references. */
void as_zap(struct as *as, uintptr_t start, uint64_t len);
/* Remove [start, end) from the space: regions and pages. Room must be reserved (2). */
void as_unmap_range(struct as *as, uintptr_t start, uintptr_t end);
/* The same, then as_unlock(); a shared space's pages go under the read lock (as_unmap.c). */
void as_unmap_range_unlock(struct as *as, uintptr_t start, uintptr_t end);
/* Set the page-table protections of the mapped pages of [start, end) (as_mprotect.c). */
void as_protect_pages(struct as *as, uintptr_t start, uintptr_t end, unsigned prot);

/* The most region references (shm, files) a zap under the read lock keeps. */
#define AS_HELD_REFS	8

/*
 * Pages of regions already taken out of the set, left to zap under the read
 * lock with the range marked (as_unmap_range_defer()): MAP_FIXED's old pages.
 */
struct as_zap_later {
	bool armed;			/* false: nothing left to zap */
	unsigned slot, nheld;		/* the zap mark; references in @held */
	uintptr_t start, end;
	struct as_region held[AS_HELD_REFS];
};
/* Take [start, end)'s regions out and mark it, pages left for as_zap_later_unlock(). */
bool as_unmap_range_defer(struct as *as, uintptr_t start, uintptr_t end, struct as_zap_later *z);
/* The zap @z has left (under the read lock), then as_unlock(); or only as_unlock(). */
void as_zap_later_unlock(struct as *as, struct as_zap_later *z);

/* as_unmap_file()'s pages: the gaps between regions in [lo, hi) zapped read-locked, then unlock. */
void as_zap_gaps_unlock(struct as *as, uintptr_t lo, uintptr_t hi, unsigned long fl);

/* Put @r in the space, replacing what was there (as_mmap.c); 0 or -MM_ENOMEM. */
int as_map_region(struct as *as, const struct as_region *r);
/* The same, the old pages left to @z in a space shared by threads; as_zap_later_unlock() after. */
int as_map_region_later(struct as *as, const struct as_region *r, struct as_zap_later *z);

/* --- Win32 allocations (as_win32.c) ------------------------------------------------ */

/* mprotect gave region @r (of a Win32 allocation) its new prot: update its state. */
void as_win32_protected(struct as_region *r);
/* First access to a PAGE_GUARD page @va: clear that page's guard. */
enum vm_fault_result as_win32_guard_fault(struct as *as, uintptr_t va);
enum vm_fault_result as_win32_watch_fault(struct as *as, uintptr_t va);
/* A write to a page of @r that MEM_WRITE_WATCH must see first (as_win32_watch_fault()). */
static inline bool as_win32_watch_write(const struct as_region *r, unsigned fault_flags)
{
	return (r->flags & AS_R_WCLEAN) && (fault_flags & VM_FAULT_WRITE) && (r->prot & MM_PROT_WRITE);
}
/* A fault on a reserved page of a view: true if its section committed it (now committed here). */
bool as_win32_view_fault(struct as *as, uintptr_t va);

/* --- swap (as_swap.c) ------------------------------------------------------------ */

/* Fault in the swapped-out page at @va (swap entry @val) of region @r; @io: see as_swap.c. */
enum vm_fault_result as_swap_in(struct as *as, const struct as_region *r, uintptr_t va,
				uint32_t val, bool write, struct swap_io *io);
/* Is swap entry @val's page in the swap cache (mincore)? */
bool as_swap_cached(uint32_t val);
/*
 * Swap out the page at @va of @as (locked), mapping @pa: 1 if its frame was
 * freed, 0 if it is swapped here but still used elsewhere or queued for
 * writing (*@queued), or a negated error (-MM_ENOSPC: no room).
 */
int as_swap_out_page(struct as *as, uintptr_t va, phys_addr_t pa, bool *queued);
/* MADV_PAGEOUT on [start, end), lock held by as_lock(). */
void as_pageout(struct as *as, uintptr_t start, uintptr_t end);

/* --- layout (as_layout.c) --------------------------------------------------------- */

/* Linux's get_unmapped_area(): an address or a negated error. */
long as_get_area(struct as *as, uintptr_t addr, uint64_t len, unsigned long flags);

#endif
