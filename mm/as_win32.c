// SPDX-License-Identifier: MIT
/*
 * VirtualAlloc, VirtualFree, VirtualQuery, VirtualProtect and VirtualLock
 * over the region set (mm/as_win32.h has the model). An allocation is the
 * run of contiguous regions carrying one allocation base; its regions
 * split where the state or protection of its pages differs and merge back
 * when they agree again, so the region count follows the number of
 * distinct runs of pages, not the number of pages.
 */
#include "as_internal.h"
#include "as_win32.h"

#define GRANULE		((uintptr_t)MEMCORE_WIN32_GRANULARITY)
#define PAGE_BASES	0xffu
#define PAGE_MODIFIERS	(PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE)

/**
 * as_win32_mm_prot() - the Linux protection of a page protection
 * @protect: a valid PAGE_* value; modifiers are ignored (PAGE_GUARD is the
 *	     region flag AS_R_GUARD, caching attributes are not modelled)
 *
 * Return: MM_PROT_*. Write-copy is writable: private pages are copies anyway.
 */
uint32_t as_win32_mm_prot(uint32_t protect)
{
	switch (protect & PAGE_BASES) {
	case PAGE_READONLY:
		return MM_PROT_READ;
	case PAGE_READWRITE:
	case PAGE_WRITECOPY:
		return MM_PROT_READ | MM_PROT_WRITE;
	case PAGE_EXECUTE:
		return MM_PROT_EXEC;
	case PAGE_EXECUTE_READ:
		return MM_PROT_READ | MM_PROT_EXEC;
	case PAGE_EXECUTE_READWRITE:
	case PAGE_EXECUTE_WRITECOPY:
		return MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC;
	default:
		return MM_PROT_NONE;
	}
}

/**
 * as_win32_protect() - the page protection VirtualQuery shows for MM_PROT_*
 * @prot: MM_PROT_READ | _WRITE | _EXEC
 *
 * x86 pages cannot be write-only, so write alone reads as read-write.
 */
uint32_t as_win32_protect(uint32_t prot)
{
	static const uint32_t map[8] = {
		PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_READWRITE,
		PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READWRITE,
	};

	return map[prot & 7];
}

/* One base protection, at most one modifier, none on PAGE_NOACCESS; write-copy only for views. */
static bool protect_valid(uint32_t protect, bool mapped)
{
	uint32_t base = protect & PAGE_BASES, mod = protect & ~PAGE_BASES;

	if (!base || (base & (base - 1)) || (mod & ~PAGE_MODIFIERS) || (mod & (mod - 1)))
		return false;
	if (mod && base == PAGE_NOACCESS)
		return false;
	return mapped || (base != PAGE_WRITECOPY && base != PAGE_EXECUTE_WRITECOPY);
}

/* Give committed region @r page protection @protect (its pages are updated by the caller). */
static void set_protect(struct as_region *r, uint32_t protect)
{
	r->wprot = protect;
	r->prot = (protect & PAGE_GUARD) ? MM_PROT_NONE : as_win32_mm_prot(protect);
	if (protect & PAGE_GUARD)
		r->flags |= AS_R_GUARD;
	else
		r->flags &= (uint32_t)~AS_R_GUARD;
}

/* Does @b continue the allocation of @a (right below it)? */
static bool same_alloc(const struct as_region *a, const struct as_region *b)
{
	return a->alloc_base && a->alloc_base == b->alloc_base && a->end == b->start;
}

/* End of the allocation that region @i belongs to (a Linux region is its own). */
static uintptr_t alloc_end(const struct as *as, uint32_t i)
{
	while (i + 1 < as->nr && same_alloc(&as->reg[i], &as->reg[i + 1]))
		i++;
	return as->reg[i].end;
}

/*
 * Do the pages of [start, end) all lie in one Win32 allocation (of private
 * memory, or with @views also a view of a SEC_RESERVE section)? The index
 * of the region holding @start goes in *first.
 */
static bool within(const struct as *as, uintptr_t start, uintptr_t end, uint32_t *first,
		   bool views)
{
	uint32_t i = as_region_lower(as, start);

	if (i >= as->nr || as->reg[i].start > start || !as->reg[i].alloc_base ||
	    (as->reg[i].backing != AS_ANON_PRIVATE && !views))
		return false;
	*first = i;
	for (; as->reg[i].end < end; i++)
		if (i + 1 >= as->nr || !same_alloc(&as->reg[i], &as->reg[i + 1]))
			return false;
	return true;
}

static bool within_one(const struct as *as, uintptr_t start, uintptr_t end, uint32_t *first)
{
	return within(as, start, end, first, false);
}

/* Pages of [start, end) in reserved regions, from region @i on. */
static uint64_t reserved_pages(const struct as *as, uint32_t i, uintptr_t start, uintptr_t end)
{
	uint64_t n = 0;

	for (; i < as->nr && as->reg[i].start < end; i++)
		if (as->reg[i].flags & AS_R_RESERVED)
			n += (MM_MIN(end, as->reg[i].end) - MM_MAX(start, as->reg[i].start)) >>
			     PAGE_SHIFT;
	return n;
}

enum set_op { SET_COMMIT, SET_DECOMMIT, SET_PROTECT, SET_RESET };

/* The SEC_RESERVE section behind region @r, or NULL. */
static struct as_section *section_of(const struct as_region *r)
{
	return r->backing != AS_ANON_PRIVATE && r->file ? r->file->section : NULL;
}

/* Index in its section of the page of region @r at @va. */
static uint64_t section_page(const struct as_region *r, uintptr_t va)
{
	return r->pgoff + ((va - r->start) >> PAGE_SHIFT);
}

static int set_pages(struct as *as, uintptr_t start, uintptr_t end, enum set_op op,
		     uint32_t protect);

/*
 * The pages of [start, end) that a view holds reserved but its section has
 * committed (through another view, in any process) are committed here
 * too, with the view's protection (the reserved regions' wprot), as they
 * are on Windows. Space locked for writing. Return: 0 or -MM_ENOMEM.
 */
static int view_sync(struct as *as, uintptr_t start, uintptr_t end)
{
	uintptr_t va = start;

	while (va < end) {
		uint32_t i = as_region_lower(as, va);
		const struct as_region *r = &as->reg[i];
		struct as_section *sec;
		uintptr_t a, b, stop;

		if (i >= as->nr || r->start >= end)
			break;
		va = MM_MAX(va, r->start);
		stop = MM_MIN(end, r->end);
		sec = section_of(r);
		if (!sec || !(r->flags & AS_R_RESERVED)) {
			va = stop;
			continue;
		}
		for (a = va; a < stop && !as_section_committed(sec, section_page(r, a)); a += PAGE_SIZE)
			;
		for (b = a; b < stop && as_section_committed(sec, section_page(r, b)); b += PAGE_SIZE)
			;
		if (a < b && set_pages(as, a, b, SET_COMMIT, r->wprot))
			return -MM_ENOMEM;
		va = b;
	}
	return 0;
}

/* The view holding [start, end) took pages committed: so has its section. */
static void view_committed(const struct as *as, uintptr_t start, uintptr_t end)
{
	const struct as_region *r = as_region_find((struct as *)as, start);
	struct as_section *sec = r ? section_of(r) : NULL;

	if (sec)
		as_section_commit(sec, section_page(r, start), (end - start) >> PAGE_SHIFT);
}

/* [start, end) in regions of its own. Return: 0 or -MM_ENOMEM (nothing changed). */
static int split_range(struct as *as, uintptr_t start, uintptr_t end)
{
	int err = as_region_reserve(as, 2);

	if (err)
		return err;
	as_region_split(as, start);
	as_region_split(as, end);
	return 0;
}

/*
 * Commit (already charged), decommit, re-protect or reset (drop the
 * contents of, but for locked pages) [start, end) of one allocation. Committing a committed page changes its protection, as
 * Windows does. Return: 0 or -MM_ENOMEM (nothing changed).
 */
static int set_pages(struct as *as, uintptr_t start, uintptr_t end, enum set_op op,
		     uint32_t protect)
{
	int err = split_range(as, start, end);

	if (err)
		return err;
	for (uint32_t i = as_region_lower(as, start); i < as->nr && as->reg[i].start < end; i++) {
		struct as_region *r = &as->reg[i];

		if (op == SET_RESET) {
			if (!(r->flags & AS_R_LOCKED)) {
				as_zap(as, r->start, r->end - r->start);
				as->reg[i].flags |= AS_R_WRESET;
			}
			continue;
		}
		if (op == SET_DECOMMIT) {
			/* The pages go afterwards, all at once (decommit_unlock()). */
			as_vm_account(as, r, -1);
			as_uncharge_region(r);
			r->flags = (uint32_t)((r->flags & ~(AS_R_ACCOUNT | AS_R_GUARD | AS_R_LOCKED | AS_R_WRESET)) |
					      AS_R_RESERVED);
			r->prot = MM_PROT_NONE;
			r->wprot = 0;
			as_vm_account(as, r, 1);
			continue;
		}
		as_vm_account(as, r, -1);
		if (r->flags & AS_R_RESERVED) {
			/* A view's pages are the section's: charged with it, not here. */
			r->flags = (uint32_t)((r->flags & ~AS_R_RESERVED) |
					      (r->backing == AS_ANON_PRIVATE ? AS_R_ACCOUNT : 0));
			set_protect(r, protect);
			as_vm_account(as, r, 1);
			continue;
		}
		set_protect(r, protect);
		as_vm_account(as, r, 1);
		as_protect_pages(as, r->start, r->end, as_pte_prot(r, false));
	}
	as_region_merge_range(as, start, end);
	return 0;
}

/* A new allocation at @address (rounded down to 64 KiB) or wherever there is room. */
static long reserve(struct as *as, uintptr_t address, uint64_t size, uint32_t type,
		    uint32_t protect)
{
	struct as_region r = { .backing = AS_ANON_PRIVATE, .alloc_prot = protect };
	bool commit = type & MEM_COMMIT;
	uintptr_t base, end;

	if (address) {
		if (address < AS_MMAP_MIN_ADDR || address >= AS_TASK_SIZE ||
		    size > AS_TASK_SIZE - address)
			return -ERROR_INVALID_PARAMETER;
		base = ALIGN_DOWN(address, GRANULE);
		end = AS_PAGE_ALIGN(address + size);
		if (as_region_overlaps(as, base, end))
			return -ERROR_INVALID_ADDRESS;
	} else {
		uint64_t len = AS_PAGE_ALIGN(size), slack = GRANULE - PAGE_SIZE;
		long a;

		if (!len || len > AS_TASK_SIZE - slack)
			return -ERROR_NOT_ENOUGH_MEMORY;
		a = as_get_area(as, 0, len + slack, 0);
		if (as_is_err(a))
			return -ERROR_NOT_ENOUGH_MEMORY;
		/* The highest 64 KiB boundary the area holds (placement is top-down). */
		base = ALIGN_DOWN((uintptr_t)a + slack, GRANULE);
		end = base + len;
	}
	r.start = r.alloc_base = base;
	r.end = end;
	r.pgoff = base >> PAGE_SHIFT;	/* its pages' index (as_anon.c) */
	if (commit) {
		r.flags = AS_R_ACCOUNT;
	} else {
		r.flags = AS_R_RESERVED;
	}
	if (type & MEM_WRITE_WATCH)
		r.flags |= AS_R_WWATCH | AS_R_WCLEAN;
	if (commit)
		set_protect(&r, protect);
	/* RLIMIT_AS counts reservations, as Windows' job limits count them. */
	if (as->nr > AS_MAX_MAP_COUNT || as_region_reserve(as, 1) ||
	    !as_may_expand(as, r.prot, r.backing, r.flags, (end - base) >> PAGE_SHIFT))
		return -ERROR_NOT_ENOUGH_MEMORY;
	if (commit && as_charge(as, (end - base) >> PAGE_SHIFT))
		return -ERROR_COMMITMENT_LIMIT;
	as_region_insert(as, &r);
	return (long)base;
}

/* Commit pages of an existing reservation. */
static long commit(struct as *as, uintptr_t address, uint64_t size, uint32_t protect)
{
	uintptr_t start = address & PAGE_MASK, end;
	uint64_t pages;
	uint32_t i;

	if (address >= AS_TASK_SIZE || size > AS_TASK_SIZE - address)
		return -ERROR_INVALID_PARAMETER;
	end = AS_PAGE_ALIGN(address + size);
	if (!within(as, start, end, &i, true))
		return -ERROR_INVALID_ADDRESS;
	if (as->reg[i].backing != AS_ANON_PRIVATE && (as->reg[i].flags & AS_R_NOMAYWRITE) &&
	    (as_win32_mm_prot(protect) & MM_PROT_WRITE))
		return -ERROR_ACCESS_DENIED;	/* a writable commit in a read-only view */
	pages = as->reg[i].backing == AS_ANON_PRIVATE ? reserved_pages(as, i, start, end) : 0;
	if (as_charge(as, pages))
		return -ERROR_COMMITMENT_LIMIT;
	if (set_pages(as, start, end, SET_COMMIT, protect)) {
		vm_commit_uncharge(pages);
		return -ERROR_NOT_ENOUGH_MEMORY;
	}
	view_committed(as, start, end);
	return (long)start;
}

/* MEM_RESET_UNDO: were all of [start, end)'s contents kept? The reset marks go either way. */
static long reset_undo(struct as *as, uintptr_t start, uintptr_t end, uint32_t i)
{
	bool dropped = false;

	for (uint32_t j = i; j < as->nr && as->reg[j].start < end; j++)
		dropped |= (as->reg[j].flags & AS_R_WRESET) != 0;
	if (dropped && as_region_set_flag(as, start, end, AS_R_WRESET, false))
		return -ERROR_NOT_ENOUGH_MEMORY;
	return dropped ? -ERROR_BUSY : (long)start;
}

/*
 * MEM_RESET / MEM_RESET_UNDO: the range must be committed. MEM_RESET drops
 * the pages at once (Windows may discard them; they read as zeroes until
 * written again) and marks them, so a MEM_RESET_UNDO that follows fails:
 * Microsoft documents that a failed undo means some data was replaced with
 * zeroes (the code, ERROR_BUSY, is ReclaimVirtualMemory's for discarded
 * contents). An undo of pages that were never reset succeeds.
 */
static long reset(struct as *as, uintptr_t address, uint64_t size, uint32_t type,
		  uint32_t protect)
{
	uintptr_t start = address & PAGE_MASK, end;
	uint32_t i;
	long ret;

	if ((type & ~(MEM_RESET | MEM_RESET_UNDO)) || type == (MEM_RESET | MEM_RESET_UNDO) ||
	    !protect_valid(protect, false) || address >= AS_TASK_SIZE ||
	    size > AS_TASK_SIZE - address)
		return -ERROR_INVALID_PARAMETER;
	end = AS_PAGE_ALIGN(address + size);
	as_lock(as);
	if (!within_one(as, start, end, &i) || reserved_pages(as, i, start, end))
		ret = -ERROR_INVALID_ADDRESS;
	else if (type == MEM_RESET_UNDO)
		ret = reset_undo(as, start, end, i);
	else
		ret = set_pages(as, start, end, SET_RESET, 0) ? -ERROR_NOT_ENOUGH_MEMORY : (long)start;
	as_unlock(as);
	return ret;
}

/**
 * VirtualAllocProcessMemory() - reserve and/or commit pages (VirtualAlloc)
 * @space: the process's space
 * @address: NULL (0): anywhere; with MEM_RESERVE, rounded down to 64 KiB;
 *	     with MEM_COMMIT alone, rounded down to a page of a reservation
 * @size: bytes; the pages touched by [@address, @address + @size)
 * @allocation_type: MEM_RESERVE and/or MEM_COMMIT (MEM_COMMIT alone without
 *	     an address reserves too), MEM_TOP_DOWN; or MEM_RESET / MEM_RESET_UNDO
 * @protect: PAGE_* for the committed pages (recorded as the allocation's
 *	     protection when reserving)
 *
 * Committed pages are charged to the commit limit whatever their
 * protection and read as zeroes until written. Committing committed pages
 * is not an error: they take the new protection and keep their data.
 *
 * Errors: ERROR_INVALID_PARAMETER (size 0, unknown or contradictory flags,
 * bad protection, a range outside user space), ERROR_INVALID_ADDRESS (a
 * reservation over something, a commit outside one reservation),
 * ERROR_NOT_ENOUGH_MEMORY (no room, no memory), ERROR_COMMITMENT_LIMIT (the
 * commit policy refused), ERROR_PRIVILEGE_NOT_HELD (MEM_LARGE_PAGES),
 * ERROR_NOT_SUPPORTED (MEM_WRITE_WATCH).
 *
 * Return: the base of the pages reserved or committed, or -ERROR_*.
 */
long VirtualAllocProcessMemory(struct as *space, uintptr_t address, uint64_t size,
			       uint32_t allocation_type, uint32_t protect)
{
	const uint32_t known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO | MEM_TOP_DOWN |
			       MEM_WRITE_WATCH | MEM_PHYSICAL | MEM_LARGE_PAGES;
	uint32_t type = allocation_type;
	long ret;

	if (!size || (type & ~known))
		return -ERROR_INVALID_PARAMETER;
	if (type & (MEM_RESET | MEM_RESET_UNDO))
		return reset(space, address, size, type, protect);
	if (!(type & (MEM_COMMIT | MEM_RESERVE)) || (type & MEM_PHYSICAL) ||
	    !protect_valid(protect, false))
		return -ERROR_INVALID_PARAMETER;
	if (type & MEM_LARGE_PAGES)
		return -ERROR_PRIVILEGE_NOT_HELD;
	if ((type & MEM_WRITE_WATCH) && !(type & MEM_RESERVE))
		return -ERROR_INVALID_PARAMETER;	/* "you must also specify MEM_RESERVE" */
	if (!address)
		type |= MEM_RESERVE;
	as_lock(space);
	if (type & MEM_RESERVE)
		ret = reserve(space, address, size, type, protect);
	else
		ret = commit(space, address, size, protect);
	as_unlock(space);
	return ret;
}

/*
 * MEM_RELEASE, then as_unlock(): a munmap of the allocation, whose pages go
 * under the read lock in a space shared by threads (as_unmap_range_unlock()).
 */
static long release_unlock(struct as *as, uintptr_t address, uint64_t size)
{
	struct as_region *r;
	long err = 0;

	if (size)
		err = -ERROR_INVALID_PARAMETER;
	r = err ? NULL : as_region_find(as, address);
	if (!err && (!r || r->alloc_base != address || r->start != address ||
		     r->backing != AS_ANON_PRIVATE))
		err = -ERROR_INVALID_ADDRESS;
	uint32_t i = r ? (uint32_t)(r - as->reg) : 0;	/* the reserve may move the region array */

	if (!err && as_region_reserve(as, 2))
		err = -ERROR_NOT_ENOUGH_MEMORY;
	if (err) {
		as_unlock(as);
		return err;
	}
	as_unmap_range_unlock(as, address, alloc_end(as, i));
	return 0;
}

/*
 * MEM_DECOMMIT, then as_unlock(). The regions become reserved first, under
 * the write lock, then the pages go as MADV_DONTNEED's do (as_zap_unlock():
 * under the read lock and a zap mark in a space shared by threads). The
 * range keeps its regions throughout, so no lookup sees a hole; a fault
 * there meanwhile is done again under the write lock after the zap (the
 * mark) and finds a reserved page: an access violation, as after the call.
 */
static long decommit_unlock(struct as *as, uintptr_t address, uint64_t size)
{
	uintptr_t start = address & PAGE_MASK, end = 0;
	long err = 0;
	uint32_t i;

	if (address >= AS_TASK_SIZE || size > AS_TASK_SIZE - address)
		err = -ERROR_INVALID_PARAMETER;
	else if (size)
		end = AS_PAGE_ALIGN(address + size);
	else if (within_one(as, start, start + PAGE_SIZE, &i))
		end = alloc_end(as, i);	/* size 0: from @address to the end of its allocation */
	else
		err = -ERROR_INVALID_ADDRESS;
	if (!err && !within_one(as, start, end, &i))
		err = -ERROR_INVALID_ADDRESS;
	if (!err && set_pages(as, start, end, SET_DECOMMIT, 0))
		err = -ERROR_NOT_ENOUGH_MEMORY;
	if (err) {
		as_unlock(as);
		return err;
	}
	as_zap_unlock(as, start, end);
	return 0;
}

/**
 * VirtualFreeProcessMemory() - decommit pages or release an allocation (VirtualFree)
 * @space: the process's space
 * @address: MEM_RELEASE: the allocation base VirtualAlloc returned;
 *	     MEM_DECOMMIT: the first page
 * @size: MEM_RELEASE: must be 0; MEM_DECOMMIT: the pages touched by
 *	  [@address, @address + @size), or 0 for all to the allocation's end
 * @free_type: exactly one of MEM_DECOMMIT, MEM_RELEASE
 *
 * Release frees every page of the allocation, committed or reserved;
 * decommit frees frames and charge and keeps the reservation.
 * Decommitting reserved pages is not an error.
 *
 * Errors: ERROR_INVALID_PARAMETER (bad type, release with a size),
 * ERROR_INVALID_ADDRESS (not an allocation base, a range across
 * allocations or outside any), ERROR_NOT_ENOUGH_MEMORY (no memory to split).
 *
 * Return: 0 or -ERROR_*.
 */
long VirtualFreeProcessMemory(struct as *space, uintptr_t address, uint64_t size,
			      uint32_t free_type)
{
	if (free_type != MEM_RELEASE && free_type != MEM_DECOMMIT)
		return -ERROR_INVALID_PARAMETER;
	as_lock(space);
	return free_type == MEM_RELEASE ? release_unlock(space, address, size) :
	       decommit_unlock(space, address, size);
}

/* State, protection and type of region @r as VirtualQuery reports them. */
static void describe(const struct as_region *r, uint32_t *state, uint32_t *protect,
		     uint32_t *type)
{
	bool win = r->alloc_base != 0;

	*state = (r->flags & AS_R_RESERVED) ? MEM_RESERVE : MEM_COMMIT;
	*protect = !win ? as_win32_protect(r->prot) : (r->flags & AS_R_RESERVED) ? 0 : r->wprot;
	*type = r->backing == AS_ANON_PRIVATE ? MEM_PRIVATE : MEM_MAPPED;
}

/* Before a query: the view allocation holding @va takes its section's commits. */
static void view_sync_alloc(struct as *as, uintptr_t va)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	struct as_region *r = as_region_find(as, va);
	bool view = r && r->alloc_base && section_of(r);

	read_unlock_irqrestore(&as->lock, fl);
	if (!view)
		return;
	as_lock(as);
	r = as_region_find(as, va);
	if (r && r->alloc_base && section_of(r)) {
		uint32_t i = as_region_lower(as, r->alloc_base);

		view_sync(as, r->alloc_base, alloc_end(as, i));	/* no memory: the query shows it reserved */
	}
	as_unlock(as);
}

/**
 * VirtualQueryProcessMemory() - describe the pages at @address (VirtualQuery)
 * @space: the process's space
 * @address: any address in user space
 * @info: filled with the run of pages from @address's page on that share
 *	  allocation, state, protection and type
 *
 * Free pages report MEM_FREE, PAGE_NOACCESS and no allocation, up to the
 * next allocation. A Linux mapping is an allocation of its own: committed,
 * its base the region's start, its protection read from the region.
 *
 * Return: sizeof(*@info), or -ERROR_INVALID_PARAMETER beyond user space.
 */
long VirtualQueryProcessMemory(struct as *space, uintptr_t address,
			       struct memory_basic_information *info)
{
	uintptr_t va = address & PAGE_MASK;
	unsigned long fl;
	uint32_t i;

	if (address >= AS_TASK_SIZE)
		return -ERROR_INVALID_PARAMETER;
	memset(info, 0, sizeof(*info));
	info->base_address = va;
	view_sync_alloc(space, va);
	fl = read_lock_irqsave(&space->lock);
	i = as_region_lower(space, va);
	if (i >= space->nr || space->reg[i].start > va) {
		info->region_size = (i < space->nr ? space->reg[i].start : AS_TASK_SIZE) - va;
		info->state = MEM_FREE;
		info->protect = PAGE_NOACCESS;
	} else {
		const struct as_region *r = &space->reg[i];
		uint32_t st, pr, ty;

		describe(r, &info->state, &info->protect, &info->type);
		info->allocation_base = r->alloc_base ? r->alloc_base : r->start;
		info->allocation_protect = r->alloc_base ? r->alloc_prot : as_win32_protect(r->prot);
		for (; i + 1 < space->nr && same_alloc(r, r + 1); i++, r++) {
			describe(r + 1, &st, &pr, &ty);
			if (st != info->state || pr != info->protect || ty != info->type)
				break;
		}
		info->region_size = r->end - va;
	}
	read_unlock_irqrestore(&space->lock, fl);
	return sizeof(*info);
}

/* A Linux mapping re-protected through VirtualProtect: mprotect's rules and charges. */
static long protect_linux(struct as *as, uintptr_t start, uintptr_t end, uint32_t new_protect,
			  uint32_t old)
{
	int err;

	if (new_protect & PAGE_MODIFIERS)
		return -ERROR_INVALID_PARAMETER;
	err = as_mprotect(as, start, end - start, as_win32_mm_prot(new_protect));
	if (err == -MM_EACCES)
		return -ERROR_ACCESS_DENIED;
	if (err)
		return err == -MM_ENOMEM && as_region_at(as, start, NULL) ? -ERROR_COMMITMENT_LIMIT :
		       -ERROR_INVALID_ADDRESS;
	return old;
}

/**
 * VirtualProtectProcessMemory() - change the protection of committed pages (VirtualProtect)
 * @space: the process's space
 * @address: first byte
 * @size: the pages touched by [@address, @address + @size); not 0
 * @new_protect: PAGE_* (PAGE_GUARD makes the pages one-shot guard pages)
 * @old_protect: set to the protection of the first page before the change
 *
 * Every page must be committed, in one allocation (a Linux mapping counts
 * as one; its protection changes as mprotect would change it).
 *
 * Errors: ERROR_INVALID_PARAMETER (bad protection, size 0, outside user
 * space), ERROR_INVALID_ADDRESS (a free or reserved page, a range across
 * allocations), ERROR_NOT_ENOUGH_MEMORY, ERROR_ACCESS_DENIED (writable over
 * a read-only shared file mapping).
 *
 * Return: 0 or -ERROR_*.
 */
long VirtualProtectProcessMemory(struct as *space, uintptr_t address, uint64_t size,
				 uint32_t new_protect, uint32_t *old_protect)
{
	uintptr_t start = address & PAGE_MASK, end;
	struct as_region *r;
	uint32_t i;
	long ret = 0;

	if (!size || address >= AS_TASK_SIZE || size > AS_TASK_SIZE - address ||
	    !protect_valid(new_protect, true))
		return -ERROR_INVALID_PARAMETER;
	end = AS_PAGE_ALIGN(address + size);
	as_lock(space);
	r = as_region_find(space, start);
	if (r && !r->alloc_base) {
		uint32_t old = as_win32_protect(r->prot);
		bool inside = end <= r->end;

		as_unlock(space);
		if (!inside)
			return -ERROR_INVALID_ADDRESS;
		ret = protect_linux(space, start, end, new_protect, old);
		if (ret < 0)
			return ret;
		*old_protect = old;
		return 0;
	}
	if (within(space, start, end, &i, true) && view_sync(space, start, end))
		ret = -ERROR_NOT_ENOUGH_MEMORY;
	else if (!within(space, start, end, &i, true) || reserved_pages(space, i, start, end))
		ret = -ERROR_INVALID_ADDRESS;
	else if (!protect_valid(new_protect, space->reg[i].backing != AS_ANON_PRIVATE))
		ret = -ERROR_INVALID_PARAMETER;
	else if ((space->reg[i].flags & AS_R_NOMAYWRITE) &&
		 (as_win32_mm_prot(new_protect) & MM_PROT_WRITE))
		ret = -ERROR_ACCESS_DENIED;	/* a read-only section's view */
	if (!ret) {
		i = as_region_lower(space, start);
		*old_protect = space->reg[i].wprot;
		if (set_pages(space, start, end, SET_PROTECT, new_protect))
			ret = -ERROR_NOT_ENOUGH_MEMORY;
	}
	as_unlock(space);
	return ret;
}

/**
 * VirtualLockProcessMemory() - VirtualLock / VirtualUnlock
 * @space: the process's space
 * @address: first byte
 * @size: the pages touched by [@address, @address + @size)
 * @lock: lock (else unlock)
 *
 * Pages must be committed and accessible (ERROR_INVALID_ADDRESS,
 * ERROR_NOACCESS); unlocking pages that are not all locked fails with
 * ERROR_NOT_LOCKED and changes nothing. Locked pages are resident.
 *
 * Return: 0 or -ERROR_*.
 */
long VirtualLockProcessMemory(struct as *space, uintptr_t address, uint64_t size, bool lock)
{
	uintptr_t start = address & PAGE_MASK, end;
	long ret = 0;
	uint32_t i;

	if (!size || address >= AS_TASK_SIZE || size > AS_TASK_SIZE - address)
		return -ERROR_INVALID_PARAMETER;
	end = AS_PAGE_ALIGN(address + size);
	as_lock(space);
	i = as_region_lower(space, start);
	if (i < space->nr && space->reg[i].start <= start && !space->reg[i].alloc_base) {
		if (end > space->reg[i].end)
			ret = -ERROR_INVALID_ADDRESS;
	} else if (!within_one(space, start, end, &i) || reserved_pages(space, i, start, end)) {
		ret = -ERROR_INVALID_ADDRESS;
	}
	for (; !ret && i < space->nr && space->reg[i].start < end; i++) {
		if (space->reg[i].prot == MM_PROT_NONE)
			ret = -ERROR_NOACCESS;
		else if (!lock && !(space->reg[i].flags & AS_R_LOCKED))
			ret = -ERROR_NOT_LOCKED;
	}
	as_unlock(space);
	if (ret)
		return ret;
	ret = lock ? as_mlock(space, start, end - start, 0) : as_munlock(space, start, end - start);
	return ret ? -ERROR_NOT_ENOUGH_MEMORY : 0;
}

/**
 * as_win32_protected() - mprotect changed part of a Win32 allocation
 * @r: the region, its new Linux protection set
 *
 * Reserved pages made accessible are committed now (the caller charged
 * private ones; a view's are the section's); committed pages take the
 * equivalent PAGE_* and lose PAGE_GUARD.
 */
void as_win32_protected(struct as_region *r)
{
	if ((r->flags & AS_R_RESERVED) && r->prot == MM_PROT_NONE)
		return;
	if ((r->flags & AS_R_RESERVED) && section_of(r))
		as_section_commit(section_of(r), r->pgoff, (r->end - r->start) >> PAGE_SHIFT);
	r->flags = (uint32_t)((r->flags & ~(AS_R_RESERVED | AS_R_GUARD)) |
			      (r->backing == AS_ANON_PRIVATE ? AS_R_ACCOUNT : 0));
	r->wprot = as_win32_protect(r->prot);
}

/**
 * as_win32_view_fault() - a fault on a reserved page of a view
 * @as: the space, locked for writing
 * @va: the page
 *
 * If the view's section has committed the page (through another view),
 * it is committed here now, with the view's protection.
 *
 * Return: true if the page was committed (the fault goes on with the
 * region as it is now), false if it stays reserved (an access violation).
 */
bool as_win32_view_fault(struct as *as, uintptr_t va)
{
	const struct as_region *r = as_region_find(as, va);

	if (!r || !(r->flags & AS_R_RESERVED) || !section_of(r) ||
	    !as_section_committed(section_of(r), section_page(r, va)))
		return false;
	return view_sync(as, va, va + PAGE_SIZE) == 0;
}

/*
 * A guard page of a thread stack was touched (its guard is gone): the page
 * below becomes the guard, committed, so the stack grows a page at a time
 * as on Windows. The lowest page of the reservation is never committed:
 * when the guard would have to go there, the stack has overflowed.
 */
static enum vm_fault_result stack_grow(struct as *as, uintptr_t va)
{
	uintptr_t below = va - PAGE_SIZE;
	struct as_region *r = as_region_find(as, below);

	if (!r || r->alloc_base != as_region_find(as, va)->alloc_base || below == r->alloc_base)
		return VM_FAULT_STACK_OVERFLOW;
	if (!(r->flags & AS_R_RESERVED))
		return VM_FAULT_RESOLVED;	/* committed below already: no guard to move */
	if (as_charge(as, 1))
		return VM_FAULT_STACK_OVERFLOW;
	if (set_pages(as, below, va, SET_COMMIT, PAGE_READWRITE | PAGE_GUARD)) {
		vm_commit_uncharge(1);
		return VM_FAULT_OOM;
	}
	return VM_FAULT_RESOLVED;
}

/*
 * The page at @va on its own: without region flags @clear, with protection
 * @protect (its entry read-only until written). Return: 0, or -1 if a
 * region could not be split.
 */
static int page_change(struct as *as, uintptr_t va, uint32_t clear, uint32_t protect)
{
	struct as_region *r;

	if (split_range(as, va, va + PAGE_SIZE))
		return -1;
	r = as_region_find(as, va);
	as_vm_account(as, r, -1);
	r->flags &= (uint32_t)~clear;
	set_protect(r, protect);
	as_vm_account(as, r, 1);
	as_protect_pages(as, va, va + PAGE_SIZE, as_pte_prot(r, false));
	as_region_merge_range(as, va, va + PAGE_SIZE);
	return 0;
}

/**
 * as_win32_guard_fault() - the first access to a PAGE_GUARD page
 * @as: the space, locked
 * @va: the page
 *
 * The guard goes from that page alone (one-shot). In a thread stack
 * (AS_R_WSTACK) the guard moves to the page below and the access is
 * retried; elsewhere the access is not resolved: the program sees a
 * guard-page violation and may retry it.
 *
 * Return: VM_FAULT_GUARD; in a stack VM_FAULT_RESOLVED, or
 * VM_FAULT_STACK_OVERFLOW at the end of its reservation (the page is
 * committed all the same); VM_FAULT_OOM if a region could not be split.
 */
enum vm_fault_result as_win32_guard_fault(struct as *as, uintptr_t va)
{
	struct as_region *r = as_region_find(as, va);

	if (page_change(as, va, 0, r->wprot & ~PAGE_GUARD))
		return VM_FAULT_OOM;
	r = as_region_find(as, va);
	return (r->flags & AS_R_WSTACK) ? stack_grow(as, va) : VM_FAULT_GUARD;
}

/**
 * as_win32_watch_fault() - the first write to a page of a MEM_WRITE_WATCH allocation since its reset
 * @as: the space, locked
 * @va: the page
 *
 * The page leaves its clean run (AS_R_WCLEAN, mapped read-only) and gets
 * its protection's write right back; the write is retried, and breaks a
 * copy-on-write share then as any write does.
 *
 * Return: VM_FAULT_RESOLVED, or VM_FAULT_OOM if a region could not be split.
 */
enum vm_fault_result as_win32_watch_fault(struct as *as, uintptr_t va)
{
	return page_change(as, va, AS_R_WCLEAN, as_region_find(as, va)->wprot) ? VM_FAULT_OOM
										: VM_FAULT_RESOLVED;
}

/* Has the page of region @r been written since the last reset (and is it committed)? */
static bool watch_written(const struct as_region *r)
{
	return !(r->flags & (AS_R_RESERVED | AS_R_WCLEAN));
}

/* [start, end) clean again: its pages mapped read-only until written (as_pte_prot()). */
static int watch_reset(struct as *as, uintptr_t start, uintptr_t end)
{
	int err = split_range(as, start, end);

	if (err)
		return err;
	for (uint32_t i = as_region_lower(as, start); i < as->nr && as->reg[i].start < end; i++) {
		struct as_region *r = &as->reg[i];

		r->flags |= AS_R_WCLEAN;
		as_protect_pages(as, r->start, r->end, as_pte_prot(r, false));
	}
	as_region_merge_range(as, start, end);
	return 0;
}

/**
 * as_win32_write_watch() - pages of a MEM_WRITE_WATCH allocation written since the last reset
 * @as: the space
 * @start: first page
 * @end: end of the range (page-aligned); [@start, @end) lies in one MEM_WRITE_WATCH allocation
 * @out: where the written pages' addresses go, in order; NULL: reset the whole range
 * @max: room in @out
 * @reset: reset the pages reported (GetWriteWatch's WRITE_WATCH_FLAG_RESET)
 * @next: where a next call goes on (@end when the range is done)
 *
 * A page counts as written from its first write (by the program or the
 * kernel) after the allocation was made or the page was last reset until
 * the next reset. Return: the pages put in @out, or -ERROR_INVALID_PARAMETER
 * (the range is not inside one MEM_WRITE_WATCH allocation),
 * -ERROR_NOT_ENOUGH_MEMORY (a region could not be split for a reset).
 */
long as_win32_write_watch(struct as *as, uintptr_t start, uintptr_t end, uintptr_t *out, unsigned max,
			  bool reset, uintptr_t *next)
{
	long n = 0;
	uint32_t i;

	*next = end;
	as_lock(as);
	if (start >= end || !within_one(as, start, end, &i) || !(as->reg[i].flags & AS_R_WWATCH)) {
		as_unlock(as);
		return -ERROR_INVALID_PARAMETER;
	}
	if (!out) {
		n = watch_reset(as, start, end) ? -ERROR_NOT_ENOUGH_MEMORY : 0;
		as_unlock(as);
		return n;
	}
	for (uintptr_t va = start; va < end; ) {
		const struct as_region *r = as_region_find(as, va);
		uintptr_t stop = MM_MIN(r->end, end);

		if (!watch_written(r)) {
			va = stop;
			continue;
		}
		for (; va < stop && (unsigned long)n < max; va += PAGE_SIZE)
			out[n++] = va;
		if ((unsigned long)n == max) {
			*next = va;
			break;
		}
	}
	/* Reset what was reported, run by run (the regions change under the loop). */
	for (long k = 0; reset && k < n; ) {
		long run = 1;

		while (k + run < n && out[k + run] == out[k] + (uintptr_t)run * PAGE_SIZE)
			run++;
		if (watch_reset(as, out[k], out[k] + (uintptr_t)run * PAGE_SIZE)) {
			n = -ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		k += run;
	}
	as_unlock(as);
	return n;
}

/**
 * as_win32_stack() - a thread stack as Windows lays one out
 * @as: the space
 * @reserve: bytes of address space (rounded up to 64 KiB)
 * @commit: bytes committed at its top at once (rounded up to pages)
 *
 * The allocation is reserved whole; its top @commit bytes are committed
 * read-write, the page below them is a committed PAGE_GUARD page, the rest
 * stays reserved. Touching the guard commits it and moves the guard down
 * (as_win32_guard_fault()); the lowest page is never committed, so a stack
 * that reaches it overflows (VM_FAULT_STACK_OVERFLOW). A @reserve too small
 * for @commit, the guard and that page grows to fit them.
 *
 * Return: the allocation base (the stack's top is base + the reserved
 * size: VirtualQuery tells it), or -ERROR_*.
 */
long as_win32_stack(struct as *as, uint64_t reserve_size, uint64_t commit_size)
{
	uint64_t top_part = AS_PAGE_ALIGN(commit_size ? commit_size : PAGE_SIZE);
	uint64_t size;
	uintptr_t top;
	long base, ret;

	if (reserve_size > AS_TASK_SIZE || commit_size > AS_TASK_SIZE / 2)
		return -ERROR_INVALID_PARAMETER;
	size = ALIGN_UP(MM_MAX(reserve_size, top_part + 2 * PAGE_SIZE), (uint64_t)GRANULE);
	as_lock(as);
	base = reserve(as, 0, size, MEM_RESERVE, PAGE_READWRITE);
	if (as_is_err(base))
		goto out;
	top = (uintptr_t)base + size;
	ret = commit(as, top - top_part, top_part, PAGE_READWRITE);
	if (!as_is_err(ret))
		ret = commit(as, top - top_part - PAGE_SIZE, PAGE_SIZE, PAGE_READWRITE | PAGE_GUARD);
	if (!as_is_err(ret) && as_region_set_flag(as, (uintptr_t)base, top, AS_R_WSTACK, true))
		ret = -ERROR_NOT_ENOUGH_MEMORY;
	if (as_is_err(ret)) {
		release_unlock(as, (uintptr_t)base, 0);
		return ret;
	}
out:
	as_unlock(as);
	return base;
}

/* Add [start, end) to the stack allocation at @base: reserved, or committed with @protect. */
static void stack_part(struct as *as, uintptr_t base, uintptr_t start, uintptr_t end,
		       uint32_t protect)
{
	struct as_region r = { .start = start, .end = end, .backing = AS_ANON_PRIVATE,
			       .alloc_base = base, .alloc_prot = PAGE_READWRITE,
			       .flags = AS_R_STACK | AS_R_WSTACK };

	if (start >= end)
		return;
	if (protect) {
		r.flags |= AS_R_ACCOUNT;
		set_protect(&r, protect);
	} else {
		r.flags |= AS_R_RESERVED;
	}
	as_region_insert(as, &r);
}

/**
 * as_win32_main_stack() - the main thread's stack becomes a Windows stack
 * @as: the space
 * @sp: an address in the stack (the caller's stack pointer)
 * @reserve: bytes of address space for it (rounded up to 64 KiB; at least
 *	     what it uses now and two pages)
 *
 * Linux's growing stack region holding @sp, [low, top), becomes the
 * committed top of an allocation reserved down to top - @reserve (its base
 * on a 64 KiB boundary): the page below low is a committed PAGE_GUARD page,
 * the rest reserved. From then on it grows as as_win32_stack()'s stacks
 * do, the guard moving down a page at a time, and overflows when the guard
 * would reach the lowest page (VM_FAULT_STACK_OVERFLOW). Calling it again
 * changes nothing.
 *
 * Return: the allocation base, or -ERROR_INVALID_ADDRESS (@sp is in no
 * stack), -ERROR_NOT_ENOUGH_MEMORY (something is mapped below the stack,
 * no memory), -ERROR_COMMITMENT_LIMIT (the guard page could not be
 * charged), -ERROR_INVALID_PARAMETER.
 */
long as_win32_main_stack(struct as *as, uintptr_t sp, uint64_t reserve)
{
	uintptr_t top, low, base;
	struct as_region *r;
	uint64_t size;
	long ret;

	if (reserve > AS_TASK_SIZE)
		return -ERROR_INVALID_PARAMETER;
	as_lock(as);
	r = as_region_find(as, sp);
	if (r && (r->flags & AS_R_WSTACK) && r->alloc_base) {
		ret = (long)r->alloc_base;	/* done already */
		goto out;
	}
	ret = -ERROR_INVALID_ADDRESS;
	if (!r || (r->flags & (AS_R_STACK | AS_R_GROWSDOWN)) != (AS_R_STACK | AS_R_GROWSDOWN) ||
	    r->alloc_base)
		goto out;
	top = r->end;
	low = r->start;
	size = MM_MAX(reserve, top - low + 2 * PAGE_SIZE);
	ret = -ERROR_NOT_ENOUGH_MEMORY;
	if (size > top - AS_MMAP_MIN_ADDR)
		goto out;
	base = ALIGN_DOWN(top - size, GRANULE);
	if (base < AS_MMAP_MIN_ADDR || as_region_overlaps(as, base, low) || as_region_reserve(as, 2) ||
	    !as_may_expand(as, MM_PROT_NONE, AS_ANON_PRIVATE, AS_R_RESERVED,
			   (low - base) >> PAGE_SHIFT))
		goto out;
	ret = -ERROR_COMMITMENT_LIMIT;
	if (as_charge(as, 1))
		goto out;
	r = as_region_find(as, sp);	/* the reserve may have moved the region array */
	as_vm_account(as, r, -1);
	r->flags = (uint32_t)((r->flags & ~AS_R_GROWSDOWN) | AS_R_WSTACK);
	r->alloc_base = base;
	r->alloc_prot = PAGE_READWRITE;
	set_protect(r, as_win32_protect(r->prot));	/* its pages keep their protection */
	as_vm_account(as, r, 1);
	stack_part(as, base, low - PAGE_SIZE, low, PAGE_READWRITE | PAGE_GUARD);
	stack_part(as, base, base, low - PAGE_SIZE, 0);
	as_region_merge_range(as, base, top);
	ret = (long)base;
out:
	as_unlock(as);
	return ret;
}

/**
 * as_win32_view_reserve() - make a view of a SEC_RESERVE section reserved
 * @as: the space
 * @start: the view's base (page-aligned), the start of a mapping of a section
 * @len: its bytes
 * @alloc_prot: the section's PAGE_* (VirtualQuery's AllocationProtect)
 * @view_prot: the view's PAGE_* (its access): what pages its section
 *	       commits through other views get here (0: @alloc_prot)
 *
 * The view's pages become an allocation of reserved pages (MEM_RESERVE,
 * MEM_MAPPED, no access) based at @start; VirtualAlloc(MEM_COMMIT) commits
 * them later, with the section's data behind them. The mapping must be
 * inaccessible (PROT_NONE) and not yet a Win32 allocation.
 *
 * Return: 0, -ERROR_INVALID_ADDRESS (not such a mapping),
 * -ERROR_INVALID_PARAMETER, -ERROR_NOT_ENOUGH_MEMORY.
 */
long as_win32_view_reserve(struct as *as, uintptr_t start, uint64_t len, uint32_t alloc_prot,
			   uint32_t view_prot)
{
	uintptr_t end;
	struct as_region *r;
	long ret = 0;

	if ((start & ~PAGE_MASK) || !len || start >= AS_TASK_SIZE || len > AS_TASK_SIZE - start ||
	    !protect_valid(alloc_prot & ~PAGE_MODIFIERS, true))
		return -ERROR_INVALID_PARAMETER;
	if (!view_prot)
		view_prot = alloc_prot & PAGE_BASES;
	if (!protect_valid(view_prot, true) || (view_prot & PAGE_MODIFIERS))
		return -ERROR_INVALID_PARAMETER;
	end = AS_PAGE_ALIGN(start + len);
	as_lock(as);
	r = as_region_find(as, start);
	if (!r || r->start != start || r->end < end || r->backing == AS_ANON_PRIVATE ||
	    r->alloc_base || r->prot != MM_PROT_NONE) {
		ret = -ERROR_INVALID_ADDRESS;
	} else if (as_region_reserve(as, 2)) {
		ret = -ERROR_NOT_ENOUGH_MEMORY;
	} else {
		as_region_split(as, end);
		r = as_region_find(as, start);
		r->flags |= AS_R_RESERVED;
		r->alloc_base = start;
		r->alloc_prot = alloc_prot;
		r->wprot = view_prot;	/* reserved: the protection commits elsewhere bring */
		ret = view_sync(as, start, end) ? -ERROR_NOT_ENOUGH_MEMORY : 0;
	}
	as_unlock(as);
	return ret;
}
