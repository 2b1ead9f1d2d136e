// SPDX-License-Identifier: MIT
/*
 * Robust futexes: a thread registers a list of the locks it holds
 * (set_robust_list); when it exits or execs holding one, the kernel marks
 * the lock word FUTEX_OWNER_DIED and wakes one waiter, so a process-shared
 * robust mutex whose owner died gives EOWNERDEAD instead of a hang. The
 * list lives in user memory, in Linux's layout; it is walked with checked
 * copies through the address space (which need not be the loaded one: exec
 * walks the old image's list after the new one is in), at most
 * ROBUST_LIST_LIMIT entries (a corrupt or circular list cannot hold the
 * kernel).
 *
 * The word is read and rewritten with two checked copies: atomic as long as
 * the process's threads run on one CPU, as they do today (with threads on
 * several CPUs this needs a cmpxchg on user memory).
 */
#include "kernel/proc/futex.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define FUTEX_WAITERS		0x80000000u
#define FUTEX_OWNER_DIED	0x40000000u
#define FUTEX_TID_MASK		0x3fffffffu
#define ROBUST_LIST_LIMIT	2048

/* struct robust_list_head of the ABI: words of the kernel's width (x86_64 or i386). */
struct robust_list_head {
	unsigned long next;		/* struct robust_list *: the first entry, or the head */
	long futex_offset;		/* from an entry to its lock word */
	unsigned long list_op_pending;	/* an entry being added or removed */
};

static long sys_set_robust_list(uint64_t head, uint64_t len, uint64_t a2, uint64_t a3,
				uint64_t a4, uint64_t a5)
{
	if (len != sizeof(struct robust_list_head))
		return -EINVAL;
	current()->robust_list = head;
	return 0;
}
SYSCALL_DEFINE(SYS_set_robust_list, set_robust_list, sys_set_robust_list);

static long sys_get_robust_list(uint64_t pid, uint64_t uhead, uint64_t ulen, uint64_t a3,
				uint64_t a4, uint64_t a5)
{
	struct task *t = (int)pid ? task_by_pid((int)pid) : current();
	unsigned long len = sizeof(struct robust_list_head);

	if (!t)
		return -ESRCH;
	bool user = t->group != NULL;
	unsigned long head = (unsigned long)t->robust_list;
	if ((int)pid)
		task_put(t);
	if (!user)
		return -ESRCH;
	if (copy_to_user(ulen, &len, sizeof(len)) || copy_to_user(uhead, &head, sizeof(head)))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(SYS_get_robust_list, get_robust_list, sys_get_robust_list);

/* Reads @len bytes at user address @va of @as: 0 or nonzero. */
static int peek(struct as *as, void *buf, uint64_t va, size_t len)
{
	return !user_range_ok(va, len) || as_copy_in(as, buf, va, len);
}

/* The lock at @uaddr was held by thread @tid, which is gone: mark it and wake a waiter. */
static void owner_died(struct as *as, uint64_t uaddr, uint32_t tid)
{
	uint32_t v;

	if ((uaddr & 3) || peek(as, &v, uaddr, sizeof(v)) || (v & FUTEX_TID_MASK) != tid)
		return;
	uint32_t n = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (as_copy_out(as, uaddr, &n, sizeof(n)))
		return;
	if (v & FUTEX_WAITERS)
		futex_wake(as, uaddr, 1, false);	/* Linux wakes with a shared key */
}

/**
 * futex_release_robust() - release the robust locks @t still holds in @as
 * @t: a thread that exits, or execs (@as is then its old image)
 * @as: the address space its list and locks are in
 *
 * Forgets the list afterwards.
 */
void futex_release_robust(struct task *t, struct as *as)
{
	struct robust_list_head h;
	uint32_t tid = (uint32_t)t->pid;
	uint64_t head = t->robust_list;

	t->robust_list = 0;
	if (!head || !as || peek(as, &h, head, sizeof(h)))
		return;
	unsigned long entry = h.next;
	for (unsigned n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
		unsigned long next;
		if (peek(as, &next, entry & ~1ul, sizeof(next)))
			break;
		if (entry != h.list_op_pending)		/* that one is handled last */
			owner_died(as, (entry & ~1ul) + (unsigned long)h.futex_offset, tid);
		entry = next;
	}
	if (h.list_op_pending)
		owner_died(as, (h.list_op_pending & ~1ul) + (unsigned long)h.futex_offset, tid);
}
