// SPDX-License-Identifier: MIT
/* The portable page-fault path: spurious faults, then the space's own routine. */
#include "fault.h"

/**
 * vm_space_init() - set up an address space with empty page tables
 * @vs: the space
 * @fmt: paging format
 * @fault: fault routine, may be NULL
 * @priv: its data
 *
 * Return: 0 or an error of pt_space_init().
 */
int vm_space_init(struct vm_space *vs, const struct pt_format *fmt, vm_fault_fn fault, void *priv)
{
	memset(vs, 0, sizeof(*vs));
	vs->fault = fault;
	vs->priv = priv;
	return pt_space_init(&vs->pt, fmt);
}

/**
 * vm_space_destroy() - free the space's page tables (not the mapped frames)
 * @vs: the space
 */
void vm_space_destroy(struct vm_space *vs)
{
	pt_space_destroy(&vs->pt);
}

/**
 * vm_fault_permitted() - would a leaf with protections @prot allow this access?
 * @prot: PT_* bits of the leaf
 * @flags: VM_FAULT_* describing the access
 */
bool vm_fault_permitted(unsigned prot, unsigned flags)
{
	if ((flags & VM_FAULT_WRITE) && !(prot & PT_WRITE))
		return false;
	if ((flags & VM_FAULT_EXEC) && !(prot & PT_EXEC))
		return false;
	return !(flags & VM_FAULT_USER) == !(prot & PT_USER);
}

/**
 * vm_handle_fault() - resolve a page fault in address space @vs
 * @vs: where the fault happened
 * @f: the fault
 *
 * Return: VM_FAULT_RESOLVED, VM_FAULT_UNRESOLVED or VM_FAULT_OOM.
 */
enum vm_fault_result vm_handle_fault(struct vm_space *vs, const struct vm_fault *f)
{
	unsigned prot;
	enum vm_fault_result r;

	__atomic_fetch_add(&vs->nr_faults[plat_cpu_id() % VM_FAULT_SHARDS].n, 1, __ATOMIC_RELAXED);
	if (f->flags & VM_FAULT_RSVD)
		goto failed;
	/*
	 * Resolved meanwhile by another thread? A walk without the space's lock,
	 * which a munmap on another CPU may free tables under: in a walk window.
	 */
	unsigned long walk = plat_pt_walk_begin(&vs->pt);
	bool done = pt_translate(&vs->pt, f->addr, NULL, &prot, NULL) &&
		    vm_fault_permitted(prot, f->flags);

	plat_pt_walk_end(&vs->pt, walk);
	if (done) {
		__atomic_fetch_add(&vs->nr_spurious, 1, __ATOMIC_RELAXED);
		return VM_FAULT_RESOLVED;
	}
	if (!vs->fault)
		goto failed;
	r = vs->fault(vs, f);
	if (r != VM_FAULT_RESOLVED)
		__atomic_fetch_add(&vs->nr_failed, 1, __ATOMIC_RELAXED);
	return r;
failed:
	__atomic_fetch_add(&vs->nr_failed, 1, __ATOMIC_RELAXED);
	return VM_FAULT_UNRESOLVED;
}
