// SPDX-License-Identifier: MIT
/*
 * NUMA memory policies: Linux's checks of a requested policy (mpol_new(),
 * mpol_set_nodemask()) and the allocation each mode makes. Where a policy
 * comes from (region or thread) is the address space's business
 * (as_mempolicy.c).
 */
#include "errno.h"
#include "mempolicy.h"
#include "pmm.h"

/* The nodes that exist: Linux's cpuset_current_mems_allowed & N_MEMORY. */
static unsigned online_nodes(void)
{
	return (1u << pmm_node_count()) - 1;
}

/**
 * mpol_sanitize() - split a system call's mode argument into mode and flags
 * @mode: in: the argument; out: the mode alone
 * @flags: out: its MM_MPOL_MODE_FLAGS
 *
 * Return: 0 or -MM_EINVAL.
 */
int mpol_sanitize(unsigned *mode, unsigned *flags)
{
	*flags = *mode & MM_MPOL_MODE_FLAGS;
	*mode &= ~MM_MPOL_MODE_FLAGS;
	if (*mode >= MM_MPOL_MAX)
		return -MM_EINVAL;
	if ((*flags & MM_MPOL_F_STATIC_NODES) && (*flags & MM_MPOL_F_RELATIVE_NODES))
		return -MM_EINVAL;
	if ((*flags & MM_MPOL_F_NUMA_BALANCING) && *mode != MM_MPOL_BIND)
		return -MM_EINVAL;
	return 0;
}

/* Nodes in @nodes (no libgcc in a kernel: no __builtin_popcount). */
static unsigned weight(unsigned nodes)
{
	unsigned n = 0;

	for (; nodes; nodes &= nodes - 1)
		n++;
	return n;
}

static bool mask_empty(const uint64_t *mask, unsigned nwords)
{
	for (unsigned i = 0; i < nwords; i++)
		if (mask[i])
			return false;
	return true;
}

/* The @n-th (from 0) node set in @nodes, which is not empty. */
static unsigned nth_node(unsigned nodes, unsigned n)
{
	for (unsigned node = 0;; node = (node + 1) % MM_MAX_NODES)
		if ((nodes & (1u << node)) && n-- == 0)
			return node;
}

/*
 * MPOL_F_RELATIVE_NODES: bit i of the caller's mask means the (i mod k)-th
 * of the k nodes allowed (Linux's mpol_relative_nodemask()).
 */
static unsigned fold_relative(const uint64_t *mask, unsigned nwords, unsigned allowed)
{
	unsigned k = weight(allowed), nodes = 0;

	for (unsigned w = 0; w < nwords; w++)
		for (unsigned b = 0; b < 64; b++)
			if (mask[w] & (1ull << b))
				nodes |= 1u << nth_node(allowed, (unsigned)((w * 64ull + b) % k));
	return nodes;
}

/**
 * mpol_new() - the policy a system call asks for, with Linux's checks
 * @pol: out: the policy
 * @mode: a mode from mpol_sanitize()
 * @flags: its flags
 * @mask: the caller's node mask as 64-bit words
 * @nwords: words in @mask
 *
 * Return: 0 or -MM_EINVAL.
 */
int mpol_new(struct mm_mempolicy *pol, unsigned mode, unsigned flags, const uint64_t *mask,
	     unsigned nwords)
{
	bool empty = mask_empty(mask, nwords);
	unsigned allowed = online_nodes(), nodes;

	*pol = (struct mm_mempolicy){ 0 };
	if (mode == MM_MPOL_DEFAULT)
		return empty ? 0 : -MM_EINVAL;
	if (mode == MM_MPOL_PREFERRED && empty) {
		if (flags & (MM_MPOL_F_STATIC_NODES | MM_MPOL_F_RELATIVE_NODES))
			return -MM_EINVAL;
		mode = MM_MPOL_LOCAL;		/* "prefer no node": local allocation */
	} else if (mode == MM_MPOL_LOCAL) {
		if (!empty || (flags & (MM_MPOL_F_STATIC_NODES | MM_MPOL_F_RELATIVE_NODES)))
			return -MM_EINVAL;
	} else if (empty) {
		return -MM_EINVAL;
	}
	pol->mode = (uint8_t)mode;
	pol->flags = (uint8_t)(flags >> 8);
	if (mode == MM_MPOL_LOCAL)
		return 0;
	if (flags & MM_MPOL_F_RELATIVE_NODES)
		nodes = fold_relative(mask, nwords, allowed);
	else
		nodes = (unsigned)mask[0] & allowed;
	if (!nodes)
		return -MM_EINVAL;
	if (mode == MM_MPOL_PREFERRED)
		nodes &= -nodes;		/* the first node only */
	pol->nodes = (uint8_t)nodes;
	return 0;
}

/**
 * mpol_report_nodes() - the node mask get_mempolicy() reports for @pol
 *
 * Return: a bit per node; none for MPOL_DEFAULT and MPOL_LOCAL.
 */
unsigned mpol_report_nodes(const struct mm_mempolicy *pol)
{
	return pol->mode == MM_MPOL_DEFAULT || pol->mode == MM_MPOL_LOCAL ? 0 : pol->nodes;
}

/* The node of @nodes nearest to the calling CPU's (ties: the lowest number). */
static unsigned nearest_node(unsigned nodes)
{
	unsigned here = pmm_cpu_node(plat_cpu_id()), best = 0, best_d = ~0u;

	for (unsigned n = 0; n < pmm_node_count(); n++) {
		unsigned d = pmm_node_distance(here, n);

		if ((nodes & (1u << n)) && d < best_d) {
			best = n;
			best_d = d;
		}
	}
	return best;
}

/**
 * mpol_alloc_pages() - allocate a block as policy @pol places it
 * @pol: the policy; NULL or MPOL_DEFAULT: the calling CPU's node first
 * @ilx: the interleave index (page index in the object)
 * @order: as pmm_alloc_pages()
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block, or PMM_NO_FRAME.
 */
phys_addr_t mpol_alloc_pages(const struct mm_mempolicy *pol, uint64_t ilx, unsigned order,
			     unsigned flags)
{
	const unsigned all = (1u << MM_MAX_NODES) - 1;
	unsigned nodes = pol ? pol->nodes & online_nodes() : 0;

	if (!pol || !nodes)		/* DEFAULT, LOCAL (or nodes gone) */
		return pmm_alloc_pages(order, flags);
	switch (pol->mode) {
	case MM_MPOL_BIND:
		return pmm_alloc_pages_nodes(-1, nodes, order, flags);
	case MM_MPOL_PREFERRED:
		return pmm_alloc_pages_nodes((int)nth_node(nodes, 0), all, order, flags);
	case MM_MPOL_PREFERRED_MANY:
		return pmm_alloc_pages_nodes((int)nearest_node(nodes), all, order, flags);
	case MM_MPOL_INTERLEAVE: {
		unsigned k = weight(nodes);

		return pmm_alloc_pages_nodes((int)nth_node(nodes, (unsigned)(ilx % k)), all, order,
					     flags);
	}
	default:
		return pmm_alloc_pages(order, flags);
	}
}
