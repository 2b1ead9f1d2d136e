// SPDX-License-Identifier: MIT
/*
 * process_vm_readv / process_vm_writev(pid, lvec, liovcnt, rvec, riovcnt,
 * flags): copy between the caller's memory (lvec) and another process's
 * (rvec), as Linux 6.1 answers. Checks in its order: flags (EINVAL); the
 * local vector (more than UIO_MAXIOV EINVAL, unreadable EFAULT, a length
 * negative as ssize_t EINVAL, a range outside user space EFAULT); nothing
 * more when it holds no bytes (0); the remote vector (the same, but its
 * ranges are not checked: they are the target's); nothing more when it
 * holds no bytes; the process (ESRCH: none, a zombie, a kernel task);
 * the rights (ptrace's attach check on real ids, cred_may_ptrace(): the
 * same process, root, or the caller's real uid and gid being all of the
 * target's and the target dumpable; else EPERM).
 *
 * The copy walks the remote ranges a page at a time: a remote page that
 * cannot be reached as a user access would (unmapped, PROT_NONE, read-only
 * for a write: no forcing) ends it, as does a caller's page that faults.
 * The result is the bytes copied before that, or EFAULT when none were.
 * Remote pages are faulted in (swapped in, copy-on-write broken for a
 * write) by as_copy_in()/as_copy_out().
 *
 * Locking: the target is pinned (task_pin()); each remote page takes and
 * drops the target space's lock inside as_copy_in()/as_copy_out(), which
 * copy through a kernel bounce page; the caller's memory is then reached
 * with copy_to_user()/copy_from_user() with no lock held. No two spaces'
 * locks are ever held at once, so two processes copying from each other
 * cannot deadlock (nor one copying from itself).
 */
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"
#include "mm/platform.h"

#define UIO_MAXIOV	1024
#define MAX_RW_COUNT	(0x7fffffffull & PAGE_MASK)	/* what one call may move: INT_MAX, pages */
#define PREEMPT_EVERY	64				/* remote pages between preemption points */

/*
 * The ABI's struct iovec: two words of the kernel's own width, so the
 * i386 kernel reads i386 vectors with this same code.
 */
struct uvec {
	uintptr_t base, len;
};

/* A position in a vector: element @i, @off bytes into it. */
struct cursor {
	const struct uvec *v;
	uint64_t n, i, off;
};

/*
 * iovec_from_user(): @n elements of @uvec into *@out (kfree() it), read
 * whole before any length is looked at (an unreadable element is EFAULT
 * even after a negative length). 0, -EINVAL, -EFAULT or -ENOMEM.
 */
static long read_vector(uint64_t uvec, uint64_t n, struct uvec **out)
{
	struct uvec *v;

	*out = NULL;
	if (n > UIO_MAXIOV)
		return -EINVAL;
	if (!n)
		return 0;
	v = kmalloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	if (copy_from_user(v, uvec, n * sizeof(*v)))
		return -EFAULT;
	for (uint64_t i = 0; i < n; i++)
		if ((intptr_t)v[i].len < 0)
			return -EINVAL;
	return 0;
}

/*
 * import_iovec()'s part for the caller's ranges: each within user space
 * (else -EFAULT), lengths cut so that the total stays within MAX_RW_COUNT;
 * the total in *@total.
 */
static long check_local(struct uvec *v, uint64_t n, uint64_t *total)
{
	*total = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (!user_range_ok(v[i].base, v[i].len))
			return -EFAULT;
		v[i].len = MM_MIN(v[i].len, MAX_RW_COUNT - *total);
		*total += v[i].len;
	}
	return 0;
}

static bool any_bytes(const struct uvec *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (v[i].len)
			return true;
	return false;
}

/* Bytes left in the cursor's element, empty elements skipped; 0 at the end. */
static uint64_t cursor_span(struct cursor *c)
{
	while (c->i < c->n && c->off == c->v[c->i].len) {
		c->i++;
		c->off = 0;
	}
	return c->i < c->n ? c->v[c->i].len - c->off : 0;
}

/* The user address under the cursor, and how far it may go in its page. */
static uint64_t cursor_piece(struct cursor *c, uint64_t max, uint64_t *addr)
{
	uint64_t span = cursor_span(c);

	*addr = c->v[c->i < c->n ? c->i : 0].base + c->off;
	return MM_MIN(MM_MIN(span, max), PAGE_SIZE - (*addr & ~PAGE_MASK));
}

/*
 * Copies @n bytes between @buf and the caller's ranges under @c, a page
 * piece at a time so that a fault stops at the first byte of the page that
 * faults: the bytes copied.
 */
static uint64_t local_copy(struct cursor *c, uint8_t *buf, uint64_t n, bool to_user)
{
	uint64_t k = 0;

	while (k < n) {
		uint64_t a, m = cursor_piece(c, n - k, &a);
		int r;

		if (!m)
			break;
		r = to_user ? copy_to_user(a, buf + k, m) : copy_from_user(buf + k, a, m);
		if (r)
			break;
		c->off += m;
		k += m;
	}
	return k;
}

/*
 * One piece of one remote page at @ra (@n bytes) through @buf: the bytes
 * moved; *@err set when the remote page or the caller's memory failed.
 */
static uint64_t copy_piece(struct as *mm, struct cursor *l, uint64_t ra, uint64_t n, void *buf,
			   bool write, bool *err)
{
	uint64_t got;

	if (!write) {
		if (as_copy_in(mm, buf, ra, n)) {
			*err = true;
			return 0;
		}
		got = local_copy(l, buf, n, true);
	} else {
		got = local_copy(l, buf, n, false);
		if (got && as_copy_out(mm, ra, buf, got)) {
			*err = true;
			return 0;
		}
	}
	*err = got < n;
	return got;
}

/* The copy between the caller's @l and @mm's @r: bytes moved, or -EFAULT if none. */
static long transfer(struct as *mm, struct cursor *l, struct cursor *r, uint64_t left, bool write)
{
	void *buf = kmalloc(PAGE_SIZE);
	uint64_t done = 0;
	bool err = false;

	if (!buf)
		return -ENOMEM;
	for (unsigned pages = 0; left && !err; pages++) {
		uint64_t ra, n = cursor_piece(r, left, &ra);
		uint64_t got;

		if (!n)
			break;
		/* The kernel does not preempt itself: 2 GiB is half a million pages. */
		if (pages % PREEMPT_EVERY == PREEMPT_EVERY - 1 && plat_preempt_point())
			break;		/* killed: the result is never seen */
		got = copy_piece(mm, l, ra, n, buf, write, &err);
		r->off += got;
		done += got;
		left -= got;
	}
	kfree(buf);
	return done ? (long)done : -EFAULT;
}

/* Looks the process up, checks the rights and copies. */
static long rw_process(int pid, struct uvec *lv, uint64_t ln, struct uvec *rv, uint64_t rn,
		       uint64_t total, bool write)
{
	struct cursor l = { .v = lv, .n = ln }, r = { .v = rv, .n = rn };
	struct task_pin pin = { 0 };
	struct task *t = task_by_pid(pid);
	long ret;

	if (!t)
		return -ESRCH;
	if (!task_pin(t, &pin))
		ret = -ESRCH;		/* a zombie, a kernel task, or reaped */
	else if (!cred_may_ptrace(pin.group))
		ret = -EPERM;		/* mm_access(): Linux's EACCES becomes EPERM here */
	else
		ret = transfer(pin.mm, &l, &r, total, write);
	task_unpin(&pin);
	task_put(t);
	return ret;
}

static long process_vm_rw(uint64_t pid, uint64_t lvec, uint64_t liovcnt, uint64_t rvec,
			  uint64_t riovcnt, uint64_t flags, bool write)
{
	struct uvec *lv = NULL, *rv = NULL;
	uint64_t total = 0;
	long r;

	if (flags)
		return -EINVAL;
	/* import_iovec() takes the count as an unsigned int */
	liovcnt = (uint32_t)liovcnt;
	if ((r = read_vector(lvec, liovcnt, &lv)) || (r = check_local(lv, liovcnt, &total)) ||
	    !total)
		goto out;
	if ((r = read_vector(rvec, riovcnt, &rv)) || !any_bytes(rv, riovcnt))
		goto out;
	r = rw_process((int)pid, lv, liovcnt, rv, riovcnt, total, write);
out:
	kfree(lv);
	kfree(rv);
	return r;
}

static long sys_process_vm_readv(uint64_t pid, uint64_t lvec, uint64_t liovcnt, uint64_t rvec,
				 uint64_t riovcnt, uint64_t flags)
{
	return process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, false);
}
SYSCALL_DEFINE(SYS_process_vm_readv, process_vm_readv, sys_process_vm_readv);

static long sys_process_vm_writev(uint64_t pid, uint64_t lvec, uint64_t liovcnt, uint64_t rvec,
				  uint64_t riovcnt, uint64_t flags)
{
	return process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, true);
}
SYSCALL_DEFINE(SYS_process_vm_writev, process_vm_writev, sys_process_vm_writev);
