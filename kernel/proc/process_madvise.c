// SPDX-License-Identifier: MIT
/*
 * process_madvise(pidfd, iovec, vlen, advice, flags): madvise on another
 * process's ranges, as Linux 6.1 answers it. Checks in Linux's order:
 * flags (EINVAL), the vector (more than UIO_MAXIOV EINVAL, unreadable
 * EFAULT, a negative length EINVAL), the descriptor (EBADF if it is not a
 * pidfd), the advice (only MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED and
 * MADV_COLLAPSE: EINVAL), the process (ESRCH once it has exited: no
 * space), then the rights: Linux wants ptrace read access (the caller's
 * filesystem ids those of the target, else EACCES) and CAP_SYS_NICE even to
 * advise itself (EPERM); with no capability sets here, root passes both and
 * anybody else fails one. Then each range in turn, as madvise() would: the
 * bytes of the ranges advised before the first that fails, or that error
 * if none was.
 *
 * Locking: the target's space is pinned (task_pin(): it cannot be freed
 * while advised) and each range takes and drops that space's own lock in
 * as_madvise(). The caller's space lock is never held meanwhile (the
 * vector is read from user memory between ranges, with no lock held), so
 * two processes advising each other cannot deadlock: no two address-space
 * locks are ever nested.
 */
#include "kernel/proc/pidfd.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "kernel/uaccess.h"

#define UIO_MAXIOV	1024
#define MAX_RW_COUNT	(0x7fffffffull & PAGE_MASK)	/* what one call may move: INT_MAX, pages */
#define IOV_CHUNK	32				/* iovecs read at a time */
#define MADV_COLLAPSE	25	/* valid advice; as_madvise() refuses it (no huge pages): EINVAL */

struct user_iovec {
	uint64_t base, len;
};

/*
 * Reads @n iovecs from @uvec at index @i into @v; false if they fault.
 * A user-visible struct iovec of this ABI (i386's are converted before).
 */
static bool read_iovecs(uint64_t uvec, uint64_t i, uint64_t n, struct user_iovec *v)
{
	return !copy_from_user(v, uvec + i * sizeof(*v), n * sizeof(*v));
}

/*
 * import_iovec()'s checks: 0, -EFAULT or -EINVAL (a length negative as
 * ssize_t); then a range not wholly below the end of user space is
 * -EFAULT (its access_ok()), even where a length later on is negative
 * only if none is. *@total is the sum of the lengths.
 */
static long check_iovecs(uint64_t uvec, uint64_t vlen, uint64_t *total)
{
	struct user_iovec v[IOV_CHUNK];
	bool outside = false;

	for (uint64_t i = 0; i < vlen; i += IOV_CHUNK) {
		uint64_t n = MM_MIN(vlen - i, IOV_CHUNK);

		if (!read_iovecs(uvec, i, n, v))
			return -EFAULT;
		for (uint64_t k = 0; k < n; k++) {
			if ((int64_t)v[k].len < 0)
				return -EINVAL;
			outside |= !user_range_ok(v[k].base, v[k].len);
			*total = MM_MIN(*total + v[k].len, MAX_RW_COUNT);
		}
	}
	return outside ? -EFAULT : 0;
}

static bool advice_valid(int advice)
{
	return advice == MM_MADV_COLD || advice == MM_MADV_PAGEOUT || advice == MM_MADV_WILLNEED ||
	       advice == MADV_COLLAPSE;
}

/* mm_access(PTRACE_MODE_READ_FSCREDS), then capable(CAP_SYS_NICE). */
static long may_advise(const struct thread_group *g)
{
	const struct cred *me = &current()->group->cred, *c = &g->cred;

	if (cred_capable(current()))
		return 0;
	if (g != current()->group &&
	    (me->fsuid != c->uid || me->fsuid != c->euid || me->fsuid != c->suid ||
	     me->fsgid != c->gid || me->fsgid != c->egid || me->fsgid != c->sgid))
		return -EACCES;
	return -EPERM;
}

/*
 * Advises the ranges of @uvec in @mm as the iov_iter walk does: the bytes
 * done (at most MAX_RW_COUNT in all), or the first range's error. Nothing
 * is looked at when @total is 0; a zero-length vector is, only when it
 * comes first (its address must still be page-aligned).
 */
static long advise_ranges(struct as *mm, uint64_t uvec, uint64_t vlen, uint64_t total,
			  int advice)
{
	struct user_iovec v[IOV_CHUNK];
	uint64_t left = MAX_RW_COUNT, done = 0;
	long r = 0;

	if (!total)
		return 0;
	for (uint64_t i = 0; i < vlen && left; i += IOV_CHUNK) {
		uint64_t n = MM_MIN(vlen - i, IOV_CHUNK);

		if (!read_iovecs(uvec, i, n, v))
			return done ? (long)done : -EFAULT;	/* unmapped by a thread since */
		for (uint64_t k = 0; k < n && left; k++) {
			uint64_t len = MM_MIN(v[k].len, left);

			if (!len && i + k)
				continue;
			r = as_madvise(mm, v[k].base, len, advice);
			if (r < 0)
				return done ? (long)done : r;
			done += len;
			left -= len;
		}
	}
	return (long)done;
}

static long sys_process_madvise(uint64_t pidfd, uint64_t uvec, uint64_t vlen, uint64_t advice,
				uint64_t flags, uint64_t a5)
{
	struct task_pin pin = { 0 };
	uint64_t total = 0;
	struct task *t;
	long r;

	if ((uint32_t)flags)
		return -EINVAL;
	if (vlen > UIO_MAXIOV)
		return -EINVAL;
	if ((r = check_iovecs(uvec, vlen, &total)))
		return r;
	t = pidfd_task(pidfd, &r);
	if (!t)
		return r;
	if (!advice_valid((int)advice))
		r = -EINVAL;
	else if (!task_pin(t, &pin))
		r = -ESRCH;		/* exited (no space) or reaped (no group) */
	else if (!(r = may_advise(pin.group)))
		r = advise_ranges(pin.mm, uvec, vlen, total, (int)advice);
	task_unpin(&pin);
	task_put(t);
	return r;
}
SYSCALL_DEFINE(SYS_process_madvise, process_madvise, sys_process_madvise);
