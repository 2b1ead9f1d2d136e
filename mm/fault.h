/* SPDX-License-Identifier: MIT */
/*
 * The portable half of page-fault handling. The architecture's trap handler
 * (and the host's software MMU) describe a fault in format-independent terms
 * and hand it to the address space it happened in; the space resolves it,
 * or says it cannot, and the caller then kills, panics or retries.
 *
 * An address space (struct vm_space) owns its page tables and a fault
 * routine. Today the routine is whatever the owner installs; demand paging
 * and copy-on-write will be such routines.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include "pt.h"

/*
 * What the faulting access was. The values are x86's page-fault error code
 * bits (P, W, U, RSVD, I), so the x86 handler passes its error code through;
 * other architectures translate.
 */
#define VM_FAULT_PRESENT	0x01	/* the page was mapped: a protection violation */
#define VM_FAULT_WRITE		0x02	/* a write (else a read or fetch) */
#define VM_FAULT_USER		0x04	/* from user mode */
#define VM_FAULT_RSVD		0x08	/* a reserved bit was set in a paging entry */
#define VM_FAULT_EXEC		0x10	/* an instruction fetch */
#define VM_FAULT_MASK		0x1f

struct vm_fault {
	uintptr_t addr;		/* the faulting virtual address (CR2 on x86) */
	unsigned flags;		/* VM_FAULT_* */
	uintptr_t ip;		/* the faulting instruction, for reports; 0 if unknown */
};

enum vm_fault_result {
	VM_FAULT_RESOLVED,	/* the mapping now allows the access: retry it */
	VM_FAULT_UNRESOLVED,	/* a genuine bad access: the caller kills or panics */
	VM_FAULT_OOM,		/* could be resolved, but memory ran out */
	VM_FAULT_SIGBUS,	/* a file page past the end of the file (BUS_ADRERR) */
	VM_FAULT_GUARD,		/* a Win32 guard page, its guard now gone: report, then retry */
	VM_FAULT_STACK_OVERFLOW, /* a Win32 stack's last guard page: committed, no room left */
};

struct vm_space;
typedef enum vm_fault_result (*vm_fault_fn)(struct vm_space *vs, const struct vm_fault *f);

/* An address space: its page tables and how its faults are resolved. */
/* Bytes in a cache line (x86): the unit two CPUs' writes contend for. */
#define VM_CACHE_LINE	64

/* Shards of a space's fault count: CPU n counts in shard n % VM_FAULT_SHARDS. */
#define VM_FAULT_SHARDS	4

struct vm_fault_shard {
	MM_ATOMIC64 uint64_t n;
	char pad[VM_CACHE_LINE - sizeof(uint64_t)];	/* the next shard a line away */
};

struct vm_space {
	struct pt_space pt;
	vm_fault_fn fault;	/* NULL: no fault is ever resolved */
	void *priv;		/* for @fault */
	/*
	 * The counters below are written by every fault on every CPU; the
	 * fields above (and the page-table root) are only read by faults. The
	 * gap keeps them in different cache lines, so a fault on one CPU does
	 * not take the line the other CPUs' faults read.
	 */
	char hot_gap[VM_CACHE_LINE];
	/*
	 * Faults handled (vm_fault_count()): a count per CPU shard, a cache
	 * line apart, since every fault writes it; one line written by the
	 * faults of two CPUs cost a cache miss on each fault.
	 */
	struct vm_fault_shard nr_faults[VM_FAULT_SHARDS];
	MM_ATOMIC64 uint64_t nr_spurious;	/* ... that the tables already allowed (stale TLB) */
	MM_ATOMIC64 uint64_t nr_failed;		/* ... that were not resolved (vm_fault_resolved()) */
};
MM_ATOMIC64_OK(struct vm_space, nr_faults);
MM_ATOMIC64_OK(struct vm_space, nr_spurious);
MM_ATOMIC64_OK(struct vm_space, nr_failed);

/* The faults of @vs handled so far (atomic counters, summed). */
static inline uint64_t vm_fault_count(const struct vm_space *vs)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < VM_FAULT_SHARDS; i++)
		n += __atomic_load_n(&vs->nr_faults[i].n, __ATOMIC_RELAXED);
	return n;
}

/*
 * The faults of @vs its routine resolved: the others are counted, not
 * these, so that a fault writes one shared counter, not two.
 */
static inline uint64_t vm_fault_resolved(const struct vm_space *vs)
{
	return vm_fault_count(vs) - __atomic_load_n(&vs->nr_spurious, __ATOMIC_RELAXED) -
	       __atomic_load_n(&vs->nr_failed, __ATOMIC_RELAXED);
}

/**
 * vm_space_init() - set up an address space with empty page tables
 * @vs: the space
 * @fmt: paging format
 * @fault: fault routine, may be NULL
 * @priv: its data
 *
 * Return: 0 or an error of pt_space_init().
 */
int vm_space_init(struct vm_space *vs, const struct pt_format *fmt, vm_fault_fn fault, void *priv);

/**
 * vm_space_destroy() - free the space's page tables (not the mapped frames)
 * @vs: the space
 */
void vm_space_destroy(struct vm_space *vs);

/**
 * vm_handle_fault() - resolve a page fault in address space @vs
 * @vs: where the fault happened
 * @f: the fault
 *
 * A reserved-bit fault is never resolved (the tables are corrupt). A fault
 * the page tables already allow is spurious - a TLB entry older than a
 * change, or another CPU's change - and resolved as it is (x86 drops the
 * faulting TLB entry itself). Anything else goes to @vs->fault.
 *
 * Return: VM_FAULT_RESOLVED, VM_FAULT_UNRESOLVED or VM_FAULT_OOM.
 */
enum vm_fault_result vm_handle_fault(struct vm_space *vs, const struct vm_fault *f);

/**
 * vm_fault_permitted() - would a leaf with protections @prot allow this access?
 * @prot: PT_* bits of the leaf
 * @flags: VM_FAULT_* describing the access
 *
 * Supervisor accesses to user pages count as not permitted (SMEP/SMAP).
 */
bool vm_fault_permitted(unsigned prot, unsigned flags);

#endif
