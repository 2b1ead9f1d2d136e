// SPDX-License-Identifier: MIT
/*
 * The region set of an address space: a sorted array of disjoint regions in
 * PMM pages, searched by bisection (O(log n) lookup). Insertion and removal
 * move the tail, which for the few hundred regions of a process costs less
 * than a tree's pointer chasing; the array doubles when full, up to
 * vm.max_map_count regions.
 */
#include "as_internal.h"
#include "lru.h"

/**
 * as_region_lower() - index of the first region that ends above @addr
 * @as: the space
 * @addr: an address
 *
 * Return: the index, or as->nr if every region ends at or below @addr.
 */
uint32_t as_region_lower(const struct as *as, uintptr_t addr)
{
	uint32_t lo = 0, hi = as->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (as->reg[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/**
 * as_region_find() - the region containing @addr
 * @as: the space
 * @addr: an address
 *
 * Return: the region, or NULL if @addr is in a hole.
 */
struct as_region *as_region_find(const struct as *as, uintptr_t addr)
{
	uint32_t i = as_region_lower(as, addr);

	if (i < as->nr && as->reg[i].start <= addr)
		return &as->reg[i];
	return NULL;
}

/**
 * as_region_overlaps() - does any region overlap [@start, @end)?
 * @as: the space
 * @start: first byte
 * @end: end, exclusive, > @start
 */
bool as_region_overlaps(const struct as *as, uintptr_t start, uintptr_t end)
{
	uint32_t i = as_region_lower(as, start);

	return i < as->nr && as->reg[i].start < end;
}

/**
 * as_region_start_gap() - lowest address below @r that others may use
 * @r: a region
 *
 * A stack keeps a guard gap below it free, so it can grow (Linux's
 * vm_start_gap()).
 */
uintptr_t as_region_start_gap(const struct as_region *r)
{
	if (!(r->flags & AS_R_GROWSDOWN))
		return r->start;
	return r->start > AS_STACK_GUARD_GAP ? r->start - AS_STACK_GUARD_GAP : 0;
}

/* What as_params.move_regions leaves in an array it moved away from: no plausible region. */
#define AS_REGION_SCRIBBLE	0xa5

/**
 * as_region_reserve() - make room for @more regions beyond the current ones
 * @as: the space
 * @more: how many
 *
 * Callers reserve before changing anything, so running out of memory (or of
 * vm.max_map_count) changes nothing. The array may move (struct as says
 * what that means for region pointers); with as_params.move_regions it
 * always does.
 *
 * Return: 0 or -MM_ENOMEM.
 */
int as_region_reserve(struct as *as, uint32_t more)
{
	uint64_t need = (uint64_t)as->nr + more;
	bool room = need <= as->cap, move = as->params.move_regions && as->reg;
	unsigned order = as->reg_order;
	phys_addr_t pa;
	struct as_region *n;

	if (room && !move)
		return 0;
	if (!room && need > AS_MAX_MAP_COUNT + 2)
		return -MM_ENOMEM;
	if (as->reg && !room)
		order++;
	while ((PAGE_SIZE << order) / sizeof(struct as_region) < need)
		order++;
	if (order > PMM_MAX_ORDER)
		return -MM_ENOMEM;
	pa = pmm_alloc_pages(order, 0);
	if (pa == PMM_NO_FRAME)
		return room ? 0 : -MM_ENOMEM;	/* a checking move that found no memory: not needed */
	n = plat_phys_to_virt(pa);
	if (as->reg) {
		memcpy(n, as->reg, as->nr * sizeof(*n));
		if (move)
			memset(as->reg, AS_REGION_SCRIBBLE, PAGE_SIZE << as->reg_order);
		pmm_free_pages(plat_virt_to_phys(as->reg), as->reg_order);
	}
	as->reg = n;
	as->reg_order = order;
	as->cap = (uint32_t)((PAGE_SIZE << order) / sizeof(struct as_region));
	return 0;
}

/**
 * as_region_ref() - take the references a copy of @r holds
 * @r: the region being copied (split or inherited)
 */
void as_region_ref(const struct as_region *r)
{
	if (r->shm)
		pcache_map_get(r->shm);
	if (r->file && r->file->get)
		r->file->get(r->file);
}

/**
 * as_region_unref() - drop the references of a region going away
 * @r: the region
 */
void as_region_unref(const struct as_region *r)
{
	if (r->shm)
		pcache_map_put(r->shm);
	if (r->file && r->file->put)
		r->file->put(r->file);
}

/**
 * as_charge() - commit @pages for @as, if the policy allows
 * @as: the space (its RAM snapshot is the policy's hint on the host)
 * @pages: how many
 *
 * Return: 0 or -MM_ENOMEM.
 */
int as_charge(struct as *as, uint64_t pages)
{
	return pages ? vm_commit_charge(pages, as->commit_limit) : 0;
}

/**
 * as_uncharge_region() - return the commit charge of a region going away
 * @r: the region (its whole size is charged if it has AS_R_ACCOUNT)
 */
void as_uncharge_region(const struct as_region *r)
{
	if (r->flags & AS_R_ACCOUNT)
		vm_commit_uncharge((r->end - r->start) >> PAGE_SHIFT);
}

/**
 * as_accountable() - is a private mapping of this kind charged? (accountable_mapping())
 * @backing: enum as_backing
 * @prot: MM_PROT_*
 * @noreserve: MAP_NORESERVE was asked (ignored in strict mode, as Linux does)
 */
bool as_accountable(uint8_t backing, uint32_t prot, bool noreserve)
{
	if (backing != AS_ANON_PRIVATE && backing != AS_FILE_PRIVATE)
		return false;
	if (noreserve && vm_commit_mode() != VM_OVERCOMMIT_NEVER)
		return false;
	return prot & MM_PROT_WRITE;
}

/**
 * as_region_insert() - add a region to the set
 * @as: the space, with room reserved
 * @r: the region; it overlaps nothing and its references are the set's now
 *
 * Return: its index.
 */
uint32_t as_region_insert(struct as *as, const struct as_region *r)
{
	uint32_t i = as_region_lower(as, r->start);

	if (as->nr >= as->cap)
		plat_panic("as: region insert without room");
	memmove(&as->reg[i + 1], &as->reg[i], (as->nr - i) * sizeof(*r));
	as->reg[i] = *r;
	as->nr++;
	as_gaps_dirty(as, i);
	as_vm_account(as, r, 1);
	return i;
}

/**
 * as_region_split() - cut the region containing @addr in two at @addr
 * @as: the space, with room for one more region reserved
 * @addr: page-aligned; nothing happens if it is in a hole or at a region's start
 */
void as_region_split(struct as *as, uintptr_t addr)
{
	uint32_t i = as_region_lower(as, addr);
	struct as_region *r;

	if (i >= as->nr || as->reg[i].start >= addr)
		return;
	if (as->nr >= as->cap)
		plat_panic("as: region split without room");
	memmove(&as->reg[i + 1], &as->reg[i], (as->nr - i) * sizeof(*r));
	as->nr++;
	as_gaps_dirty(as, i);
	r = &as->reg[i];
	r[0].end = addr;
	r[1].start = addr;
	r[1].pgoff += (addr - r[0].start) >> PAGE_SHIFT;
	as_region_ref(&r[1]);
}

/**
 * as_region_remove() - drop region @i and its references (its pages stay)
 * @as: the space
 * @i: index
 */
void as_region_remove(struct as *as, uint32_t i)
{
	as_vm_account(as, &as->reg[i], -1);
	as_region_unref(&as->reg[i]);
	memmove(&as->reg[i], &as->reg[i + 1], (as->nr - i - 1) * sizeof(as->reg[0]));
	as->nr--;
	as_gaps_dirty(as, i);
}

/**
 * as_region_remove_range() - drop regions [@first, @last) and their references
 * @as: the space
 * @first: index of the first
 * @last: index after the last
 */
void as_region_remove_range(struct as *as, uint32_t first, uint32_t last)
{
	bool locked = false;

	for (uint32_t i = first; i < last; i++) {
		locked |= as->reg[i].flags & AS_R_LOCKED;
		as_vm_account(as, &as->reg[i], -1);
		as_region_unref(&as->reg[i]);
		as_region_window(as, i - first);
	}
	memmove(&as->reg[first], &as->reg[last], (as->nr - last) * sizeof(as->reg[0]));
	as->nr -= last - first;
	as_gaps_dirty(as, first);
	if (locked)
		lru_rescue_unevictable();	/* unmapped: what they shared may be evictable now */
}

/* Are @a and @b, @a right below @b, alike but for their access rights and identity? */
static bool alike_but_prot(const struct as_region *a, const struct as_region *b)
{
	return a->end == b->start && a->flags == b->flags && a->pkey == b->pkey &&
	       a->backing == b->backing && a->shm == b->shm && a->file == b->file &&
	       !(a->file && a->file->nomerge) && a->alloc_base == b->alloc_base &&
	       a->alloc_prot == b->alloc_prot && a->wprot == b->wprot && mpol_equal(&a->pol, &b->pol) &&
	       /* Anonymous regions too, as Linux: their pages' index must not change (as_anon.c). */
	       a->pgoff + ((a->end - a->start) >> PAGE_SHIFT) == b->pgoff;
}

/*
 * May a region with identity @changing join @target (Linux's
 * is_mergeable_anon_vma())? The same identity, or one side without any when
 * @target has one of its own: never one a fork child inherited, and, as
 * Linux 6.1 has it, a region with pages never joins a target without.
 */
static bool anon_joins(uint32_t changing, uint32_t target)
{
	if ((!changing || !target) && target && !(target & AS_ANON_FORKED))
		return true;
	return changing == target;
}

/*
 * Could a region that just changed, with identity @changing, join its
 * neighbour @t? @a and @b are the two, lower and upper.
 */
static bool mergeable(const struct as_region *a, const struct as_region *b, uint32_t changing,
		      const struct as_region *t)
{
	if (a->prot != b->prot || !alike_but_prot(a, b))
		return false;
	/* Win32's allocations merge on their own rules (their pages' identity is not seen). */
	return a->alloc_base || anon_joins(changing, t->anon);
}

/* Region @i takes over region @i + 1 (alike and adjacent). */
static void absorb_next(struct as *as, uint32_t i)
{
	/* The pages stay mapped: counted again for the region that takes them over. */
	as_vm_account(as, &as->reg[i + 1], 1);
	as->reg[i].end = as->reg[i + 1].end;
	if (!as->reg[i].anon)
		as->reg[i].anon = as->reg[i + 1].anon;
	as_region_remove(as, i + 1);
}

/**
 * as_region_merge_next() - join region @i, which just grew, with the next if alike
 * @as: the space
 * @i: its index
 */
void as_region_merge_next(struct as *as, uint32_t i)
{
	struct as_region *r = &as->reg[i];

	if (i + 1 < as->nr && mergeable(r, r + 1, r->anon, r + 1))
		absorb_next(as, i);
}

/**
 * as_region_merge() - join region @i with alike neighbours
 * @as: the space
 * @i: index of a region that just changed
 *
 * In Linux's order (vma_merge()): the region below first, then the one
 * above too if it may join both.
 *
 * Return: the index of the region that holds @i's range now.
 */
uint32_t as_region_merge(struct as *as, uint32_t i)
{
	struct as_region *r = &as->reg[i];
	bool prev = i > 0 && mergeable(r - 1, r, r->anon, r - 1);
	bool next = i + 1 < as->nr && mergeable(r, r + 1, r->anon, r + 1);

	if (prev) {
		if (next && (r[-1].alloc_base || !r[-1].anon || !r[1].anon || r[-1].anon == r[1].anon))
			absorb_next(as, i);
		absorb_next(as, i - 1);
		return i - 1;
	}
	if (next)
		absorb_next(as, i);
	return i;
}

/**
 * as_region_merge_new() - join new region @i with alike neighbours, as mmap does
 * @as: the space
 * @i: its index
 *
 * Linux 6.1's mmap_region() tries the region above first, then the one below
 * with the identity of the one above if that joins.
 *
 * Return: the index of the region that holds @i's range now.
 */
uint32_t as_region_merge_new(struct as *as, uint32_t i)
{
	struct as_region *r = &as->reg[i];
	bool next = i + 1 < as->nr && mergeable(r, r + 1, r->anon, r + 1);
	bool prev = i > 0 && mergeable(r - 1, r, next ? r[1].anon : r->anon, r - 1);

	if (next)
		absorb_next(as, i);
	if (!prev)
		return i;
	absorb_next(as, i - 1);
	return i - 1;
}

/**
 * as_region_anon() - give region @r an identity if it has none (Linux's anon_vma_prepare())
 * @as: the space, locked for reading at least (faults of other pages run at once)
 * @r: a region of it, about to get its first private page
 *
 * A neighbour's own identity is lent when the two could be one region but
 * for their access rights (find_mergeable_anon_vma(): the one above first);
 * else a new one. Two faults racing here agree on the first one set.
 */
void as_region_anon(struct as *as, struct as_region *r)
{
	uint32_t i = (uint32_t)(r - as->reg), id = 0, none = 0;

	if (__atomic_load_n(&r->anon, __ATOMIC_ACQUIRE))
		return;
	if (i + 1 < as->nr && alike_but_prot(r, r + 1))
		id = __atomic_load_n(&r[1].anon, __ATOMIC_ACQUIRE);
	if ((!id || (id & AS_ANON_FORKED)) && i > 0 && alike_but_prot(r - 1, r))
		id = __atomic_load_n(&r[-1].anon, __ATOMIC_ACQUIRE);
	if (!id || (id & AS_ANON_FORKED))
		id = as_region_anon_new(as, 0);
	__atomic_compare_exchange_n(&r->anon, &none, id, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/**
 * as_region_anon_new() - a new region identity of @as
 * @as: the space
 * @forked: 0, or AS_ANON_FORKED for a region a fork child inherits
 */
uint32_t as_region_anon_new(struct as *as, uint32_t forked)
{
	uint32_t id;

	do
		id = __atomic_add_fetch(&as->anon_seq, 1, __ATOMIC_RELAXED) & ~AS_ANON_FORKED;
	while (!id);
	return id | forked;
}

/**
 * as_region_set_flags() - set the flags under @mask to @set on a range
 * @as: the space, locked
 * @start: page-aligned
 * @end: page-aligned, > @start; holes in between are skipped
 * @mask: AS_R_* flags replaced
 * @set: their new value (within @mask)
 *
 * Regions straddling the ends are split; those that became alike merge.
 * Clearing AS_R_LOCKED leaves lru_rescue_unevictable() to the caller, once
 * the space's lock is dropped (it takes as long as there are such pages).
 *
 * Return: 0 or -MM_ENOMEM (nothing changed).
 */
int as_region_set_flags(struct as *as, uintptr_t start, uintptr_t end, uint32_t mask, uint32_t set)
{
	int err = as_region_reserve(as, 2);
	uint32_t i;

	if (err)
		return err;
	/* Region by region, as madvise_update_vma(): only those that change split and merge. */
	for (i = as_region_lower(as, start); i < as->nr && as->reg[i].start < end;) {
		struct as_region *r = &as->reg[i];
		uint32_t f = (r->flags & ~mask) | (set & mask);
		uintptr_t s = MM_MAX(start, r->start), e = MM_MIN(end, r->end);

		if (f != r->flags) {
			as_region_split(as, s);		/* at most at @start and @end: room reserved */
			as_region_split(as, e);
			i = as_region_lower(as, s);
			r = &as->reg[i];
			as_gaps_dirty(as, i);		/* a flag may be GROWSDOWN */
			as_vm_account(as, r, -1);
			r->flags = f;
			as_vm_account(as, r, 1);
			as_region_merge(as, i);
		}
		if (e >= end)
			break;
		i = as_region_lower(as, e);
	}
	return 0;
}

/**
 * as_region_set_flag() - set or clear one region flag on a range
 * @as: the space, locked
 * @start: page-aligned
 * @end: page-aligned, > @start; holes in between are skipped
 * @flag: an AS_R_* flag
 * @on: set it (else clear it)
 *
 * Return: as as_region_set_flags()'s.
 */
int as_region_set_flag(struct as *as, uintptr_t start, uintptr_t end, uint32_t flag, bool on)
{
	return as_region_set_flags(as, start, end, flag, on ? flag : 0);
}

/**
 * as_region_merge_range() - merge what became alike in and around [@start, @end]
 * @as: the space, locked
 * @start: page-aligned
 * @end: page-aligned
 *
 * A merge shrinks the set, so the region at the same index is looked at again.
 */
void as_region_merge_range(struct as *as, uintptr_t start, uintptr_t end)
{
	uint32_t i = as_region_lower(as, start);

	if (i > 0)
		i--;
	while (i < as->nr && as->reg[i].start <= end)
		i = as_region_merge(as, i) + 1;
}

/**
 * as_region_free_all() - drop every region's references and free the array
 * @as: the space (its pages already gone)
 */
void as_region_free_all(struct as *as)
{
	for (uint32_t i = 0; i < as->nr; i++) {
		as_uncharge_region(&as->reg[i]);
		as_region_unref(&as->reg[i]);
		as_region_window(as, i);
	}
	if (as->reg)
		pmm_free_pages(plat_virt_to_phys(as->reg), as->reg_order);
	as_gaps_free(as);
	as->reg = NULL;
	as->nr = as->cap = 0;
	as->total_vm = as->data_vm = as->locked_vm = 0;
	as->reg_order = 0;
}
