/* SPDX-License-Identifier: MIT */
/*
 * NUMA memory policies, Linux's set_mempolicy(2), mbind(2) and
 * get_mempolicy(2): which nodes the frames of a process's pages come from.
 *
 * A policy belongs to a thread (the platform hands the current thread's over
 * through plat_mempolicy()) or to a region of an address space (mbind). A
 * region's policy wins over the thread's; with neither, a frame comes from
 * the faulting CPU's node first (the PMM's default, MPOL_LOCAL).
 *
 *   MPOL_BIND            only the given nodes, nearest to the CPU first
 *   MPOL_PREFERRED       one node first, then the others by distance from it
 *   MPOL_PREFERRED_MANY  the nearest given node first, then the others
 *   MPOL_INTERLEAVE      page n of the object on the (n mod k)-th of the k
 *                        given nodes (n: the page's index in its file, or its
 *                        virtual page number for anonymous memory, as Linux)
 *   MPOL_LOCAL           the faulting CPU's node first
 *
 * Policies place the private pages that faults allocate: anonymous memory,
 * private copies of file pages and copy-on-write copies. Page-cache and
 * shared-memory frames are placed local-first whatever the policy (Linux
 * places shared memory by the object's own policy), and so are the kernel's
 * own allocations (Linux applies the thread's policy to those too).
 *
 * Modes and flags have Linux's values: they are its ABI.
 */
#ifndef MM_MEMPOLICY_H
#define MM_MEMPOLICY_H

#include "types.h"

enum mm_mpol_mode {
	MM_MPOL_DEFAULT,
	MM_MPOL_PREFERRED,
	MM_MPOL_BIND,
	MM_MPOL_INTERLEAVE,
	MM_MPOL_LOCAL,
	MM_MPOL_PREFERRED_MANY,
	MM_MPOL_MAX
};

/* Mode flags, or'ed into the mode (reported back by get_mempolicy). */
#define MM_MPOL_F_STATIC_NODES		(1u << 15)
#define MM_MPOL_F_RELATIVE_NODES	(1u << 14)
#define MM_MPOL_F_NUMA_BALANCING	(1u << 13)
#define MM_MPOL_MODE_FLAGS	(MM_MPOL_F_STATIC_NODES | MM_MPOL_F_RELATIVE_NODES | \
				 MM_MPOL_F_NUMA_BALANCING)

/* mbind() flags. */
#define MM_MPOL_MF_STRICT	(1u << 0)	/* pages already elsewhere are an error (EIO) */
#define MM_MPOL_MF_MOVE		(1u << 1)	/* move this process's own pages */
#define MM_MPOL_MF_MOVE_ALL	(1u << 2)	/* ... and shared ones (privileged) */
#define MM_MPOL_MF_VALID	(MM_MPOL_MF_STRICT | MM_MPOL_MF_MOVE | MM_MPOL_MF_MOVE_ALL)

/*
 * A policy: 3 bytes, kept in every region (which must stay 64 bytes) and
 * thread. All zero: MPOL_DEFAULT.
 */
struct mm_mempolicy {
	uint8_t mode;		/* enum mm_mpol_mode */
	uint8_t nodes;		/* the nodes, bit n for node n (MM_MAX_NODES bits) */
	uint8_t flags;		/* MM_MPOL_MODE_FLAGS as given, >> 8 */
};

/* The mode flags of @pol, as the ABI has them. */
static inline unsigned mpol_mode_flags(const struct mm_mempolicy *pol)
{
	return (unsigned)pol->flags << 8;
}

/* A policy as a system call asks for it, before mpol_new()'s checks. */
struct mpol_request {
	unsigned mode, flags;		/* from mpol_sanitize() */
	const uint64_t *mask;		/* the caller's node mask, 64 nodes a word */
	unsigned nwords;
};

static inline bool mpol_equal(const struct mm_mempolicy *a, const struct mm_mempolicy *b)
{
	return a->mode == b->mode && a->nodes == b->nodes && a->flags == b->flags;
}

/**
 * mpol_sanitize() - split a system call's mode argument into mode and flags
 * @mode: in: the argument; out: the mode alone
 * @flags: out: its MM_MPOL_MODE_FLAGS
 *
 * Return: 0, or -MM_EINVAL (unknown mode, both STATIC and RELATIVE,
 * NUMA_BALANCING with a mode other than MPOL_BIND).
 */
int mpol_sanitize(unsigned *mode, unsigned *flags);

/**
 * mpol_new() - the policy a system call asks for, with Linux's checks
 * @pol: out: the policy (MPOL_DEFAULT for "none")
 * @mode: a mode from mpol_sanitize()
 * @flags: its flags
 * @mask: the caller's node mask as 64-bit words (bit n: node n)
 * @nwords: words in @mask (nodes beyond the machine's are ignored)
 *
 * MPOL_PREFERRED with no node is MPOL_LOCAL; the nodes are those of @mask
 * that exist (or, with MPOL_F_RELATIVE_NODES, @mask folded onto them);
 * MPOL_PREFERRED keeps the first only.
 *
 * Return: 0, or -MM_EINVAL (nodes with DEFAULT or LOCAL, none with the
 * others, none of them existing, STATIC or RELATIVE with no node).
 */
int mpol_new(struct mm_mempolicy *pol, unsigned mode, unsigned flags, const uint64_t *mask,
	     unsigned nwords);

/**
 * mpol_report_nodes() - the node mask get_mempolicy() reports for @pol
 *
 * Return: a bit per node; none for MPOL_DEFAULT and MPOL_LOCAL.
 */
unsigned mpol_report_nodes(const struct mm_mempolicy *pol);

/**
 * mpol_alloc_pages() - allocate a block as policy @pol places it
 * @pol: the policy; NULL or MPOL_DEFAULT: the calling CPU's node first
 * @ilx: the interleave index (page index in the object)
 * @order: as pmm_alloc_pages()
 * @flags: as pmm_alloc_pages()
 *
 * Return: the block, or PMM_NO_FRAME (for MPOL_BIND: its nodes are full).
 */
phys_addr_t mpol_alloc_pages(const struct mm_mempolicy *pol, uint64_t ilx, unsigned order,
			     unsigned flags);

#endif
