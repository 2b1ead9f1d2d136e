// SPDX-License-Identifier: MIT
/*
 * NUMA memory policy calls: set_mempolicy, get_mempolicy and mbind, with
 * Linux's node-mask conventions and errors. The policies themselves are the
 * core's (mm/mempolicy.h, mm/as_mempolicy.c); a thread's own policy lives in
 * its task and reaches the core's fault path through plat_mempolicy().
 *
 * Node masks are arrays of longs with @maxnode bits, of which Linux reads
 * maxnode - 1 (a historical off-by-one every libnuma relies on). Masks may
 * name nodes up to Linux's MAX_NUMNODES (1024 on x86_64); nodes that do not
 * exist are ignored, set bits beyond MAX_NUMNODES are EINVAL.
 *
 * The i386 table does not route these: Linux's i386 kernels (686-pae) are
 * built without NUMA and answer ENOSYS too.
 */
#include "kernel/proc/mempolicy_nodes.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/pmm.h"

#define SYS_mbind		237
#define SYS_set_mempolicy	238
#define SYS_get_mempolicy	239

#define MPOL_F_NODE		(1u << 0)	/* get_mempolicy: a node, not the policy */
#define MPOL_F_ADDR		(1u << 1)	/* ... of the page or region at addr */
#define MPOL_F_MEMS_ALLOWED	(1u << 2)	/* ... the nodes the caller may use */

#define MASK_WORDS		MPOL_MASK_WORDS
#define MAXNODE_LIMIT		(PAGE_SIZE * 8)	/* bits a mask may have at most */

/**
 * plat_mempolicy() - the running thread's memory policy, for the core's faults
 *
 * Return: it, or NULL for MPOL_DEFAULT (and kernel threads).
 */
const struct mm_mempolicy *plat_mempolicy(void)
{
	struct task *t = current();

	return t && t->mempolicy.mode != MM_MPOL_DEFAULT ? &t->mempolicy : NULL;
}

/*
 * Linux's get_nodes(): the first maxnode - 1 bits at @umask into @mask.
 * Words beyond MAX_NUMNODES are read whole, from the top down, and must be
 * zero. Return: 0, -EINVAL, -EFAULT.
 */
int mpol_get_nodes(uint64_t mask[MPOL_MASK_WORDS], uint64_t umask, uint64_t maxnode)
{
	memset(mask, 0, MASK_WORDS * sizeof(uint64_t));
	maxnode--;			/* 0 wraps: EINVAL below, unless no mask */
	if (maxnode == 0 || !umask)
		return 0;
	if (maxnode > MAXNODE_LIMIT)
		return -EINVAL;
	for (uint64_t w = (maxnode - 1) / 64; maxnode > MAX_NUMNODES && w >= MASK_WORDS; w--) {
		uint64_t word;

		if (copy_from_user(&word, umask + w * 8, 8))
			return -EFAULT;
		if (word)
			return -EINVAL;
	}
	if (maxnode > MAX_NUMNODES)
		maxnode = MAX_NUMNODES;
	uint64_t words = (maxnode + 63) / 64;

	if (copy_from_user(mask, umask, words * 8))
		return -EFAULT;
	if (maxnode % 64)
		mask[words - 1] &= (1ull << (maxnode % 64)) - 1;
	return 0;
}

/* Linux's copy_nodes_to_user(): @nodes as a mask of @maxnode - 1 bits, the rest cleared. */
static int put_nodes(uint64_t umask, uint64_t maxnode, unsigned nodes)
{
	uint64_t copy = ALIGN_UP(maxnode - 1, 64) / 8, word = nodes;
	const uint64_t nbytes = 8;	/* a long holds every node this kernel has */

	if (copy > nbytes) {
		if (copy > PAGE_SIZE)
			return -EINVAL;
		if (clear_user(umask + nbytes, copy - nbytes))
			return -EFAULT;
		copy = nbytes;
	}
	return copy && copy_to_user(umask, &word, copy) ? -EFAULT : 0;
}

static long sys_set_mempolicy(uint64_t mode, uint64_t umask, uint64_t maxnode, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	uint64_t mask[MASK_WORDS];
	struct mm_mempolicy pol;
	unsigned m = (unsigned)mode, flags;
	int err = mpol_sanitize(&m, &flags);

	if (!err)
		err = mpol_get_nodes(mask, umask, maxnode);
	if (!err)
		err = mpol_new(&pol, m, flags, mask, MASK_WORDS);
	if (err)
		return err;
	current()->mempolicy = pol;	/* read by this thread's own faults only */
	return 0;
}
SYSCALL_DEFINE(SYS_set_mempolicy, set_mempolicy, sys_set_mempolicy);

static long sys_mbind(uint64_t start, uint64_t len, uint64_t mode, uint64_t umask,
		      uint64_t maxnode, uint64_t flags)
{
	uint64_t mask[MASK_WORDS];
	struct mpol_request req = { .mode = (unsigned)mode, .mask = mask, .nwords = MASK_WORDS };
	int err = mpol_sanitize(&req.mode, &req.flags);

	if (!err)
		err = mpol_get_nodes(mask, umask, maxnode);
	if (err)
		return err;
	return as_mbind(current()->mm, start, len, &req, (unsigned)flags,
			cred_capable(current()));
}
SYSCALL_DEFINE(SYS_mbind, mbind, sys_mbind);

/* do_get_mempolicy(): the value for *policy, and the nodes to report. */
static long get_policy(uint64_t addr, uint64_t flags, int *pval, unsigned *nodes)
{
	struct task *t = current();
	struct mm_mempolicy pol = t->mempolicy;

	if (flags & ~(uint64_t)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		*pval = 0;
		*nodes = (1u << pmm_node_count()) - 1;
		return 0;
	}
	if (flags & MPOL_F_ADDR) {
		int err = as_get_policy(t->mm, addr, &pol);	/* not the thread's */

		if (err)
			return err;
	} else if (addr) {
		return -EINVAL;
	}
	if (!(flags & MPOL_F_NODE)) {
		*pval = (int)(pol.mode | mpol_mode_flags(&pol));
	} else if (flags & MPOL_F_ADDR) {
		int node = as_page_node(t->mm, addr);

		if (node < 0)
			return node;
		*pval = node;
	} else if (pol.mode == MM_MPOL_INTERLEAVE) {
		/* The next node of the thread's interleave: the first, as it allocates none itself. */
		*pval = __builtin_ctz(pol.nodes);
	} else {
		return -EINVAL;
	}
	*nodes = mpol_report_nodes(&pol);
	return 0;
}

static long sys_get_mempolicy(uint64_t upolicy, uint64_t umask, uint64_t maxnode, uint64_t addr,
			      uint64_t flags, uint64_t a5)
{
	unsigned nodes = 0;
	int pval = 0;
	long err;

	if (umask && maxnode < pmm_node_count())
		return -EINVAL;
	err = get_policy(addr, flags, &pval, &nodes);
	if (err)
		return err;
	if (upolicy && copy_to_user(upolicy, &pval, sizeof(pval)))
		return -EFAULT;
	return umask ? put_nodes(umask, maxnode, nodes) : 0;
}
SYSCALL_DEFINE(SYS_get_mempolicy, get_mempolicy, sys_get_mempolicy);
