// SPDX-License-Identifier: MIT
/*
 * The resource limits an address space enforces itself (RLIMIT_AS,
 * RLIMIT_DATA, RLIMIT_MEMLOCK; mm/as.h's struct as_limits) and the page
 * counts they are checked against, kept up to date wherever a region is
 * added, removed, grown or changed: total_vm (every region), data_vm
 * (private, writable, not a stack: Linux's is_data_mapping()) and locked_vm
 * (AS_R_LOCKED). Callers hold the space's lock.
 */
#include "as_internal.h"

void as_limits_none(struct as_limits *lim)
{
	lim->as_cur = lim->data_cur = lim->data_max = lim->memlock = AS_RLIM_INFINITY;
	lim->data_seg = 0;
}

/**
 * as_set_limits() - setrlimit() and execve() hand the process's limits down
 * @as: the space
 * @lim: bytes each (AS_RLIM_INFINITY: none); data_seg is kept unless non-zero
 */
void as_set_limits(struct as *as, const struct as_limits *lim)
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	uint64_t seg = as->lim.data_seg;

	as->lim = *lim;
	if (!lim->data_seg)
		as->lim.data_seg = seg;
	write_unlock_irqrestore(&as->lock, fl);
}

/* Linux's is_data_mapping(): VM_WRITE without VM_SHARED or VM_STACK. */
static bool is_data(uint32_t prot, uint8_t backing, uint32_t flags)
{
	return (prot & MM_PROT_WRITE) && (backing == AS_ANON_PRIVATE || backing == AS_FILE_PRIVATE) &&
	       !(flags & AS_R_GROWSDOWN);
}

/**
 * as_vm_account() - add (@sign 1) or take away (-1) region @r's pages from the counts
 * @as: the space, locked
 * @r: the region as it is (or was) in the set
 * @sign: 1 or -1
 */
void as_vm_account(struct as *as, const struct as_region *r, int sign)
{
	uint64_t n = (r->end - r->start) >> PAGE_SHIFT;

	if (sign < 0) {
		if (as->total_vm > as->hiwater_vm)
			as->hiwater_vm = as->total_vm;	/* VmPeak */
		n = (uint64_t)0 - n;
	}
	as->total_vm += n;
	if (is_data(r->prot, r->backing, r->flags))
		as->data_vm += n;
	if (r->flags & AS_R_LOCKED)
		as->locked_vm += n;
}

/**
 * as_may_expand() - may @pages more of this kind be mapped? (may_expand_vm())
 * @as: the space, locked
 * @prot: MM_PROT_* of the new pages
 * @backing: enum as_backing
 * @flags: AS_R_*
 * @pages: how many
 */
bool as_may_expand(const struct as *as, uint32_t prot, uint8_t backing, uint32_t flags,
		   uint64_t pages)
{
	const struct as_limits *l = &as->lim;

	if (as->total_vm + pages > l->as_cur >> PAGE_SHIFT)
		return false;
	if (is_data(prot, backing, flags) && as->data_vm + pages > l->data_cur >> PAGE_SHIFT)
		return l->data_cur == 0 && as->data_vm + pages <= l->data_max >> PAGE_SHIFT;
	return true;
}

/**
 * as_pages_in() - pages of [@start, @end) inside regions (count_vma_pages_range())
 * @as: the space, locked
 * @start: page-aligned
 * @end: page-aligned
 * @locked_only: count only AS_R_LOCKED regions (count_mm_mlocked_page_nr())
 */
uint64_t as_pages_in(const struct as *as, uintptr_t start, uintptr_t end, bool locked_only)
{
	uint64_t n = 0;

	for (uint32_t i = as_region_lower(as, start); i < as->nr && as->reg[i].start < end; i++) {
		const struct as_region *r = &as->reg[i];

		if (!locked_only || (r->flags & AS_R_LOCKED))
			n += (MM_MIN(r->end, end) - MM_MAX(r->start, start)) >> PAGE_SHIFT;
	}
	return n;
}

/* May @pages more be locked? (RLIMIT_MEMLOCK; unlimited with CAP_IPC_LOCK's rights) */
bool as_memlock_ok(const struct as *as, uint64_t pages)
{
	return as->locked_vm + pages <= as->lim.memlock >> PAGE_SHIFT;
}

/**
 * as_limits_check() - are total_vm, data_vm and locked_vm what the regions add up to?
 * @as: the space, not changing meanwhile
 *
 * Return: 1 (reported with mm_err()) or 0.
 */
unsigned as_limits_check(const struct as *as)
{
	uint64_t total = 0, data = 0, locked = 0;

	for (uint32_t i = 0; i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];
		uint64_t n = (r->end - r->start) >> PAGE_SHIFT;

		total += n;
		data += is_data(r->prot, r->backing, r->flags) ? n : 0;
		locked += (r->flags & AS_R_LOCKED) ? n : 0;
	}
	if (total == as->total_vm && data == as->data_vm && locked == as->locked_vm)
		return 0;
	mm_err("as: counted %llu/%llu/%llu pages (total/data/locked), regions hold %llu/%llu/%llu",
	       (unsigned long long)as->total_vm, (unsigned long long)as->data_vm,
	       (unsigned long long)as->locked_vm, (unsigned long long)total,
	       (unsigned long long)data, (unsigned long long)locked);
	return 1;
}
