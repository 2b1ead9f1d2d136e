// SPDX-License-Identifier: MIT
/*
 * fork: the child gets a copy of the parent's regions and of its private
 * pages' mappings, both sides read-only, each mapping holding a reference to
 * the frame; the first write on either side copies (as_fault.c). Shared
 * anonymous regions are not copied page by page: the child faults their
 * frames in from the shared object, so both see the same memory.
 */
#include "as_internal.h"

/* What one pt_copy_range() copied: counted, and its references taken, once per batch. */
struct fork_copy {
	uint64_t pages, swapents;
	struct as_refs refs;
};

/*
 * pt_copy_range() callback: the child's copy of a page holds a reference to
 * the frame of its own and is read-only (PT_COPY_COW takes write permission
 * from the parent's), and its accessed and dirty bits start clear.
 */
static int copy_page(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned *prot, void *ctx)
{
	struct fork_copy *fc = ctx;

	(void)va;
	*prot &= ~(unsigned)(PT_WRITE | PT_ACCESSED | PT_DIRTY);
	if (likely(size == PAGE_SIZE)) {
		as_refs_add(&fc->refs, pa);	/* the parent's mapping holds one meanwhile */
		fc->pages++;
		return 0;
	}
	if (size == PT_SIZE_SWAP) {	/* a swapped page: the child's entry holds the slot too */
		int err = swap_dup((swp_entry_t){ (uint32_t)pa });

		if (err)
			return err;
		fc->swapents++;
		return 0;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		as_refs_add(&fc->refs, pa + off);
	fc->pages += size >> PAGE_SHIFT;
	return 0;
}

/*
 * Share the private pages of parent region @r with the child, copy-on-write:
 * one pass over the parent's page tables, table by table, that maps each
 * page in the child and write-protects the parent's writable ones (one TLB
 * flush at the end). Running out of memory for the child's tables changes
 * nothing in this region.
 */
static int copy_region(struct as *parent, const struct as_region *r, struct as *child)
{
	struct fork_copy fc = { .refs.put = false };
	int err;

	if (r->backing == AS_ANON_SHARED || r->backing == AS_FILE_SHARED ||
	    (r->flags & AS_R_WIPEONFORK))
		return 0;	/* shared: faulted in from the object; wiped: zero-filled anew */
	/* Batch by batch, the parent's lock broken in between (the child is not seen yet). */
	for (uintptr_t cur = r->start, va, stop; as_next_batch(parent, cur, r->end, &va, &stop);
	     cur = stop) {
		fc.pages = fc.swapents = 0;
		as_pt_wait_irqs(parent, true);
		err = pt_copy_range(&child->vs.pt, &parent->vs.pt, va, stop - va,
				    PT_COPY_EMPTY | ((r->prot & MM_PROT_WRITE) ? PT_COPY_COW : 0),
				    copy_page, &fc);
		as_pt_wait_irqs(parent, false);
		/* What was copied, even before an error: the child's destruction drops it. */
		as_refs_flush(&fc.refs);
		__atomic_add_fetch(&child->rss, fc.pages, __ATOMIC_RELAXED);	/* as_rss.c folds in too */
		child->swapents += fc.swapents;
		/* The child has nothing there yet: anything but running out is a broken invariant. */
		if (err && err != -MM_ENOMEM)
			plat_panic("as: fork: copying [%#llx, %#llx) failed: %d",
				   (unsigned long long)va, (unsigned long long)stop, err);
		if (err)
			return err;
		as_lock_break(parent);
	}
	return 0;
}

/* The child's region set: a copy of the parent's, with references of its own. */
static int copy_regions(struct as *child, const struct as *parent)
{
	int err = as_region_reserve(child, parent->nr);
	uint64_t pages = 0;

	if (err)
		return err;
	/* The child's private writable memory is committed too (dup_mmap()). */
	for (uint32_t i = 0; i < parent->nr; i++) {
		if ((parent->reg[i].flags & (AS_R_ACCOUNT | AS_R_DONTFORK)) == AS_R_ACCOUNT)
			pages += (parent->reg[i].end - parent->reg[i].start) >> PAGE_SHIFT;
		as_region_window(parent, i);
	}
	err = as_charge(child, pages);
	if (err)
		return err;
	for (uint32_t i = 0; i < parent->nr; i++) {
		const struct as_region *r = &parent->reg[i];

		as_region_window(parent, i);
		if (r->flags & AS_R_DONTFORK)
			continue;
		as_region_ref(r);
		child->reg[child->nr] = *r;
		child->reg[child->nr].flags &= ~(uint32_t)(AS_R_LOCKED | AS_R_LOCKONFAULT);	/* locks are not inherited */
		/* anon_vma_fork(): an identity of its own, cloned from the parent's (none if wiped). */
		if (r->anon)
			child->reg[child->nr].anon = (r->flags & AS_R_WIPEONFORK) ? 0 :
				as_region_anon_new(child, AS_ANON_FORKED);
		as_vm_account(child, &child->reg[child->nr++], 1);
	}
	return 0;
}

/**
 * as_fork() - make @child a copy-on-write copy of @parent (fork, vfork, clone)
 * @child: uninitialized; the new space
 * @parent: the space to copy
 *
 * Same layout, same regions (but MADV_DONTFORK ones), private pages shared
 * copy-on-write with the parent's mappings write-protected (and flushed),
 * shared anonymous memory shared. On failure @child holds nothing and the
 * parent is unchanged but for the write protection, which only costs it
 * extra faults.
 *
 * Return: 0, -MM_ENOMEM.
 */
int as_fork(struct as *child, struct as *parent)
{
	struct as_params p = parent->params;
	int err;

	memset(child, 0, sizeof(*child));
	err = as_zero_get();
	if (err)
		return err;
	err = vm_space_init(&child->vs, p.fmt, as_fault, child);
	if (err) {
		as_zero_put();
		return err;
	}
	if (p.kernel) {
		err = as_share_kernel(&child->vs.pt, p.kernel);
		if (err) {
			vm_space_destroy(&child->vs);
			as_zero_put();
			return err;
		}
	}
	as_lock(parent);
	child->params = p;
	child->mmap_base = parent->mmap_base;
	child->stack_top = parent->stack_top;
	child->start_brk = parent->start_brk;
	child->brk = parent->brk;
	child->stack_limit = parent->stack_limit;
	child->lim = parent->lim;
	child->commit_limit = parent->commit_limit;
	child->pkeys = parent->pkeys;
	child->xo_pkey = parent->xo_pkey;
	child->membarrier = parent->membarrier;	/* Linux's dup_mm() keeps them too */
	err = copy_regions(child, parent);
	for (uint32_t i = 0; !err && i < child->nr; i++)
		err = copy_region(parent, &child->reg[i], child);
	as_unlock(parent);
	as_list_add(child);
	as_anon_join(child, parent);
	if (err)
		as_destroy(child);
	return err;
}
