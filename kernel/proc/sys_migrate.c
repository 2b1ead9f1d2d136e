// SPDX-License-Identifier: MIT
/*
 * move_pages(2) and migrate_pages(2), with Linux 6.1's rules and errors.
 * The moves themselves are the core's (mm/as_migrate.c); this file reads
 * the arrays and masks, checks the caller's rights and writes the statuses.
 *
 * Rights: pid 0 is the caller; another process needs ptrace's read check on
 * real ids (cred_may_access(): EPERM otherwise), MPOL_MF_MOVE_ALL needs
 * CAP_SYS_NICE (root here). Every node with memory is allowed (no cpusets).
 *
 * Like the other NUMA calls, the i386 table does not route these: Linux's
 * i386 kernels (686-pae) are built without NUMA and answer ENOSYS.
 */
#include "kernel/proc/cred.h"
#include "kernel/proc/mempolicy_nodes.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/pmm.h"

#define SYS_migrate_pages	256
#define SYS_move_pages		279

#define MPOL_MF_MOVE		(1u << 1)	/* mm/mempolicy.h's MM_MPOL_MF_* */
#define MPOL_MF_MOVE_ALL	(1u << 2)
#define STAT_CHUNK		16		/* Linux's DO_PAGES_STAT_CHUNK_NR */

/* The pinned space of process @pid (0: the caller's), if the caller may act on it. */
static long pin_target(int pid, struct task_pin *pin)
{
	struct task *t = task_by_pid(pid ? pid : current()->pid);
	long err = 0;

	if (!t)
		return -ESRCH;
	if (!task_pin(t, pin))
		err = -ESRCH;			/* a zombie, a kernel task, or reaped */
	else if (!cred_may_access(pin->group))
		err = -EPERM;
	task_put(t);
	if (err)
		task_unpin(pin);
	return err;
}

/* Linux's do_pages_stat(): each page's node or error, STAT_CHUNK at a time. */
static long pages_stat(struct as *as, uint64_t n, uint64_t upages, uint64_t ustatus)
{
	uint64_t pages[STAT_CHUNK];
	int status[STAT_CHUNK];

	while (n) {
		unsigned k = n < STAT_CHUNK ? (unsigned)n : STAT_CHUNK;

		if (copy_from_user(pages, upages, k * sizeof(pages[0])))
			return -EFAULT;
		for (unsigned i = 0; i < k; i++)
			status[i] = as_page_status(as, (uintptr_t)pages[i]);
		if (copy_to_user(ustatus, status, k * sizeof(status[0])))
			return -EFAULT;
		upages += k * sizeof(pages[0]);
		ustatus += k * sizeof(status[0]);
		n -= k;
	}
	return 0;
}

/*
 * Linux's do_pages_move(): page by page; a bad entry or node stops the
 * call with its error, the pages before it moved. Return: 0 or the number
 * of pages that could not be moved (busy or no memory, their statuses say
 * which), or a negated error.
 */
static long pages_move(struct as *as, uint64_t n, uint64_t upages, uint64_t unodes,
		       uint64_t ustatus, bool move_all)
{
	long busy = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t page;
		int node, status;

		if (copy_from_user(&page, upages + i * sizeof(page), sizeof(page)) ||
		    copy_from_user(&node, unodes + i * sizeof(node), sizeof(node)))
			return -EFAULT;
		if (node < 0 || (unsigned)node >= pmm_node_count())
			return -ENODEV;
		status = as_move_page(as, (uintptr_t)page, (unsigned)node, move_all);
		busy += status == -EBUSY || status == -ENOMEM;
		if (copy_to_user(ustatus + i * sizeof(status), &status, sizeof(status)))
			return -EFAULT;
	}
	return busy;
}

static long sys_move_pages(uint64_t pid, uint64_t n, uint64_t upages, uint64_t unodes,
			   uint64_t ustatus, uint64_t flags)
{
	struct task_pin pin = { 0 };
	long err;

	if (flags & ~(uint64_t)(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !cred_capable(current()))
		return -EPERM;
	err = pin_target((int)pid, &pin);
	if (err)
		return err;
	if (unodes)
		err = pages_move(pin.mm, n, upages, unodes, ustatus, flags & MPOL_MF_MOVE_ALL);
	else
		err = pages_stat(pin.mm, n, upages, ustatus);
	task_unpin(&pin);
	return err;
}
SYSCALL_DEFINE(SYS_move_pages, move_pages, sys_move_pages);

/* The nodes of a mask that exist here; *@others: it names some that do not. */
static unsigned existing_nodes(const uint64_t mask[MPOL_MASK_WORDS], bool *others)
{
	unsigned all = (1u << pmm_node_count()) - 1, nodes = (unsigned)mask[0] & all;

	*others = (mask[0] & ~(uint64_t)all) != 0;
	for (unsigned w = 1; w < MPOL_MASK_WORDS; w++)
		*others |= mask[w] != 0;
	return nodes;
}

static long sys_migrate_pages(uint64_t pid, uint64_t maxnode, uint64_t uold, uint64_t unew,
			      uint64_t a4, uint64_t a5)
{
	uint64_t mask[MPOL_MASK_WORDS];
	struct task_pin pin = { 0 };
	unsigned from, to;
	bool cap = cred_capable(current()), others;
	long err = mpol_get_nodes(mask, uold, maxnode);

	if (err)
		return err;
	from = existing_nodes(mask, &others);
	err = mpol_get_nodes(mask, unew, maxnode);
	if (err)
		return err;
	to = existing_nodes(mask, &others);
	err = pin_target((int)pid, &pin);
	if (err)
		return err;
	if (others && !cap)
		err = -EPERM;			/* nodes outside the target's cpuset */
	else if (!to)
		err = -EINVAL;			/* none left of the new nodes */
	else
		err = (long)as_migrate_nodes(pin.mm, from, to, cap);
	task_unpin(&pin);
	return err;
}
SYSCALL_DEFINE(SYS_migrate_pages, migrate_pages, sys_migrate_pages);
