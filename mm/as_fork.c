// SPDX-License-Identifier: MIT
/*
 * fork: the child gets a copy of the parent's regions and of its private
 * pages' mappings, both sides read-only, each mapping holding a reference to
 * the frame; the first write on either side copies (as_fault.c). Shared
 * anonymous regions are not copied page by page: the child faults their
 * frames in from the shared object, so both see the same memory.
 */
#include "as_internal.h"

struct fork_ctx {
	struct as *child;
	int err;
};

/* pt_walk() callback: map the parent's page read-only in the child. */
static int copy_page(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct fork_ctx *fc = ctx;

	prot &= ~(PT_WRITE | PT_ACCESSED | PT_DIRTY);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		pmm_get(pa + off);
		fc->err = pt_map(&fc->child->vs.pt, va + off, pa + off, PAGE_SIZE, prot, 0);
		if (fc->err) {
			pmm_put(pa + off);
			return 1;
		}
		fc->child->rss++;
	}
	return 0;
}

/* Share the private pages of parent region @r with the child, copy-on-write. */
static int copy_region(struct as *parent, const struct as_region *r, struct as *child)
{
	struct fork_ctx fc = { child, 0 };

	if (r->backing == AS_ANON_SHARED)
		return 0;
	/* Write-protect the parent's copies first: from now on a write copies. */
	if (r->prot & MM_PROT_WRITE)
		pt_protect(&parent->vs.pt, r->start, r->end - r->start, as_pte_prot(r, false));
	pt_walk(&parent->vs.pt, r->start, r->end, copy_page, &fc);
	return fc.err;
}

/* The child's region set: a copy of the parent's, with references of its own. */
static int copy_regions(struct as *child, const struct as *parent)
{
	int err = as_region_reserve(child, parent->nr);

	if (err)
		return err;
	for (uint32_t i = 0; i < parent->nr; i++) {
		const struct as_region *r = &parent->reg[i];

		if (r->flags & AS_R_DONTFORK)
			continue;
		as_region_ref(r);
		child->reg[child->nr++] = *r;
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
	unsigned long fl;
	int err;

	memset(child, 0, sizeof(*child));
	err = vm_space_init(&child->vs, p.fmt, as_fault, child);
	if (err)
		return err;
	if (p.kernel) {
		err = pt_space_share_kernel(&child->vs.pt, p.kernel, AS_KERNEL_SLOT_FIRST,
					    AS_KERNEL_SLOT_COUNT);
		if (err) {
			vm_space_destroy(&child->vs);
			return err;
		}
	}
	fl = spin_lock_irqsave(&parent->lock);
	child->params = p;
	child->mmap_base = parent->mmap_base;
	child->stack_top = parent->stack_top;
	child->start_brk = parent->start_brk;
	child->brk = parent->brk;
	child->stack_limit = parent->stack_limit;
	child->commit_limit = parent->commit_limit;
	err = copy_regions(child, parent);
	for (uint32_t i = 0; !err && i < child->nr; i++)
		err = copy_region(parent, &child->reg[i], child);
	spin_unlock_irqrestore(&parent->lock, fl);
	if (err)
		as_destroy(child);
	return err;
}
