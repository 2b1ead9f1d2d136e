// SPDX-License-Identifier: MIT
/*
 * What a space looks like from outside: usage figures for ps and memstat,
 * the regions with names for a pagemap-style listing, and a consistency
 * check for tests and the debugging shell.
 */
#include "as_internal.h"

static int count_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	*(uint64_t *)ctx += size >> PAGE_SHIFT;
	return 0;
}

/* Pages present in [start, end). */
static uint64_t resident(const struct as *as, uintptr_t start, uintptr_t end)
{
	uint64_t n = 0;

	pt_walk(&as->vs.pt, start, end, count_leaf, &n);
	return n;
}

struct page_counts {
	uint64_t present, swapped;
};

static int count_entry(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct page_counts *c = ctx;

	if (size == PT_SIZE_SWAP)
		c->swapped++;
	else
		c->present += size >> PAGE_SHIFT;
	return 0;
}

/**
 * as_get_stats() - usage of a space
 * @as: the space
 * @st: filled in: virtual size, resident pages, regions, page-table pages,
 *	heap and stack sizes
 */
void as_get_stats(struct as *as, struct as_stats *st)
{
	unsigned long fl = read_lock_irqsave(&as->lock);	/* beside the faults */
	uint64_t rss = as_rss(as);
	uint64_t hiwater_rss = __atomic_load_n(&as->hiwater_rss, __ATOMIC_RELAXED);

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];
		uint64_t len = r->end - r->start;

		st->vsize += len;
		if (r->flags & AS_R_HEAP)
			st->heap += len;
		if (r->flags & AS_R_STACK)
			st->stack += len;
	}
	/* Faults change these meanwhile: the counts atomically, the tables under their lock. */
	st->rss = rss;
	st->swap = __atomic_load_n(&as->swapents, __ATOMIC_RELAXED);
	st->peak_rss = hiwater_rss > rss ? hiwater_rss : rss;
	st->peak_vm = as->hiwater_vm > as->total_vm ? as->hiwater_vm : as->total_vm;
	st->locked = as->locked_vm;
	st->data = as->data_vm;
	st->regions = as->nr;
	unsigned long pfl = spin_lock_irqsave(&as->vs.pt.lock);
	st->table_pages = as->vs.pt.table_pages;
	spin_unlock_irqrestore(&as->vs.pt.lock, pfl);
	read_unlock_irqrestore(&as->lock, fl);
}

static const char *region_name(const struct as_region *r)
{
	if (r->flags & AS_R_HEAP)
		return "[heap]";
	if (r->flags & AS_R_STACK)
		return "[stack]";
	if (r->backing == AS_FILE_PRIVATE || r->backing == AS_FILE_SHARED)
		return r->file && r->file->name ? r->file->name : "[file]";
	return r->backing == AS_ANON_SHARED ? "[shmem]" : "[anon]";
}

/*
 * Where as_for_each_region() is: the region being counted starts at @rstart
 * (its pages up to @cur are in @pc), and every region ending at or below
 * @done has been reported.
 */
struct region_walk {
	uintptr_t cur, rstart, done;
	bool counting;
	struct page_counts pc;
};

/*
 * One step of the walk, with the space locked: count the next batch of the
 * region at w->cur, or report the region once it is counted. Return 1 if
 * the walk goes on, 0 at the end, or @fn's non-zero value.
 */
static int region_walk_step(struct as *as, struct region_walk *w, as_region_fn fn, void *ctx)
{
	uint32_t i = as_region_lower(as, w->cur);
	const struct as_region *r;
	uintptr_t va, stop;

	if (i >= as->nr)
		return 0;
	r = &as->reg[i];
	if (!w->counting || r->start != w->rstart) {
		/* A new region, or the one being counted changed while unlocked. */
		w->counting = true;
		w->rstart = r->start;
		w->cur = MM_MAX(r->start, w->done);
		w->pc = (struct page_counts){ 0, 0 };
	}
	if (as_next_batch(as, w->cur, r->end, &va, &stop)) {
		pt_walk_all(&as->vs.pt, va, stop, count_entry, &w->pc);
		w->cur = stop;
		if (stop < r->end)
			return 1;
	}
	struct as_region_info ri = {
		.start = MM_MAX(r->start, w->done),
		.end = r->end,
		.prot = r->prot,
		.flags = r->flags,
		.backing = (enum as_backing)r->backing,
		.offset = r->backing == AS_ANON_PRIVATE ? 0 : r->pgoff << PAGE_SHIFT,
		.resident = w->pc.present,
		.swapped = w->pc.swapped,
		.file = r->backing == AS_ANON_PRIVATE ? NULL : r->file,
		.name = region_name(r),
		.pkey = r->pkey,
	};
	int ret = fn(&ri, ctx);

	w->done = w->cur = r->end;
	w->counting = false;
	return ret ? ret : 1;
}

/**
 * as_for_each_region() - visit the regions in address order
 * @as: the space
 * @fn: called with each region's description; a non-zero return stops the walk
 * @ctx: passed to @fn
 *
 * @fn runs with the space locked for reading (the space's faults go on, its
 * regions stay): it must not call back into @as. The pages
 * are counted a batch (AS_BATCH_BYTES) per hold of the lock, so reading a
 * huge populated space from /proc keeps interrupts off only briefly; the
 * counts of a region changing meanwhile are a snapshot of no one moment,
 * as on Linux.
 *
 * Return: the first non-zero value of @fn, or 0.
 */
int as_for_each_region(struct as *as, as_region_fn fn, void *ctx)
{
	struct region_walk w = { 0, 0, 0, false, { 0, 0 } };
	int ret;

	do {
		unsigned long fl = read_lock_irqsave(&as->lock);	/* only looks */

		ret = region_walk_step(as, &w, fn, ctx);
		read_unlock_irqrestore(&as->lock, fl);
		if (ret == 1)
			plat_preempt_point();
	} while (ret == 1);
	return ret;
}

/**
 * as_check() - verify a space's invariants
 * @as: the space, not changing meanwhile
 *
 * Regions sorted, disjoint, page-aligned, inside user space, non-empty;
 * no page mapped outside a region; every mapped page's frame referenced;
 * the resident count right; the page counts the limits use; the page
 * tables themselves (pt_check()).
 * Each problem is reported with mm_err(). Slow: for tests and fuzzers.
 *
 * Return: the number of problems.
 */
unsigned as_check(struct as *as)
{
	unsigned bad = pt_check(&as->vs.pt) + as_gaps_check(as) + as_limits_check(as);
	uint64_t in_regions = 0;
	uintptr_t prev_end = 0;

	for (uint32_t i = 0; i < as->nr; i++) {
		const struct as_region *r = &as->reg[i];

		if (r->start >= r->end || r->start < prev_end || (r->start | r->end) & ~PAGE_MASK ||
		    r->end > AS_TASK_SIZE ||
		    (r->start < AS_MMAP_MIN_ADDR && !(r->flags & AS_R_LOWMEM))) {
			mm_err("as: bad region %u [%#llx, %#llx)", i, (unsigned long long)r->start,
			       (unsigned long long)r->end);
			bad++;
		}
		prev_end = r->end;
		in_regions += resident(as, r->start, r->end);
	}
	uint64_t rss = as_rss(as);

	if (in_regions != rss || resident(as, 0, AS_USER_END) != rss) {
		mm_err("as: %llu pages in regions, rss %llu", (unsigned long long)in_regions,
		       (unsigned long long)rss);
		bad++;
	}
	return bad;
}

/**
 * as_region_at() - is @addr inside a mapping of @as?
 * @as: the space
 * @addr: the address
 * @backing: if not NULL and a region is there, receives what backs it
 *
 * What tells a fault's SEGV_ACCERR (a mapping forbids the access) from
 * SEGV_MAPERR (nothing mapped there). A binary search, no page-table walk.
 *
 * Return: true if a region contains @addr.
 */
bool as_region_at(struct as *as, uintptr_t addr, enum as_backing *backing)
{
	unsigned long fl = read_lock_irqsave(&as->lock);	/* beside the faults */
	const struct as_region *r = as_region_find(as, addr);

	if (r && backing)
		*backing = r->backing;
	read_unlock_irqrestore(&as->lock, fl);
	return r != NULL;
}

/**
 * as_access_ok() - may the kernel, acting for the process, access this range?
 * @as: the space
 * @addr: first byte
 * @len: bytes (0 is always allowed)
 * @write: a write (else a read)
 *
 * Every byte must lie in a region whose protection allows the access, as
 * Linux's fault handler requires of a copy_to_user()/copy_from_user().
 * (PROT_NONE pages keep their frames mapped for the kernel only, so the
 * page tables alone cannot say no.) A hole just below a stack counts as the
 * stack: the fault will grow it, or fail.
 *
 * Return: true if allowed.
 */
bool as_access_ok(struct as *as, uintptr_t addr, uint64_t len, bool write)
{
	/* x86 pages that allow any access are readable, as Linux's vma_is_accessible(). */
	unsigned long need = write ? MM_PROT_WRITE : MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC;
	uintptr_t end = addr + len;
	bool ok = true;

	if (!len)
		return true;
	if (end < addr)
		return false;
	unsigned long flags = read_lock_irqsave(&as->lock);	/* only looks */
	uint32_t i = as_region_lower(as, addr);
	for (uintptr_t at = addr; at < end && ok; i++) {
		const struct as_region *r = i < as->nr ? &as->reg[i] : NULL;
		if (!r) {
			ok = false;
		} else if (r->start > at) {
			ok = (r->flags & AS_R_GROWSDOWN) && r->start - at <= as->stack_limit &&
			     (r->prot & need);
			at = r->start;
			i--;		/* then the region itself */
			if (ok && r->start >= end)
				break;
		} else {
			ok = (r->prot & need) != 0;
			at = r->end;
		}
	}
	read_unlock_irqrestore(&as->lock, flags);
	return ok;
}
