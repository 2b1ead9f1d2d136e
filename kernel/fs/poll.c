// SPDX-License-Identifier: MIT
/*
 * poll(fds, nfds, timeout) and ppoll(fds, nfds, timespec, sigmask, size) as
 * Linux 6.1 answers them for the descriptors this kernel has: each file's
 * file_ops.poll says what it is ready for (a pidfd: readable once its
 * process has exited; the console: writable, readable when input has
 * arrived; a pipe: pipe.c's pipe_poll()); one without (RAM files,
 * directories) is always readable and writable (Linux's DEFAULT_POLLMASK).
 * A negative descriptor is skipped (revents 0), a closed one is POLLNVAL;
 * POLLERR and POLLHUP are reported whether asked for or not.
 *
 * Sleeping: there is one wait channel, poll_seq, a counter that every
 * event a poller may wait for bumps (poll_wake(): a process's end, console
 * input, a pipe's data, space or closed end). A poller reads the counter,
 * looks at its descriptors, and sleeps only if the counter has not moved
 * since, so no event between its look and its sleep is lost; every event
 * wakes every poller, which looks again (few pollers: a herd is cheaper
 * than per-file queues here; a pipe's transfers bump it often, which with
 * no poller asleep costs a counter and a look at one empty wait bucket).
 *
 * Locking: poll_lock guards poll_seq and is a leaf apart from the
 * scheduler's wait-bucket lock taken inside it (sleep_on_unlock_until());
 * poll_wake() may be called under tasklist_lock or from an interrupt.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/fs/poll.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define DEFAULT_POLLMASK	(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
#define NS_PER_SEC	1000000000ull
#define NS_PER_MS	1000000ull

struct user_pollfd {
	int32_t fd;
	int16_t events, revents;
};
_Static_assert(sizeof(struct user_pollfd) == 8, "Linux's struct pollfd");

static spinlock_t poll_lock = SPINLOCK_INIT;
static uint64_t poll_seq;

void poll_wake(void)
{
	unsigned long flags = spin_lock_irqsave(&poll_lock);

	poll_seq++;
	spin_unlock_irqrestore(&poll_lock, flags);
	wakeup(&poll_seq);
}

/* What @fd of the caller is ready for, among @events (POLLERR, POLLHUP always). */
static int16_t fd_revents(int32_t fd, int16_t events)
{
	struct file *f;
	unsigned mask;

	if (fd < 0)
		return 0;
	f = files_lookup(current()->files, (uint32_t)fd);
	if (!f)
		return POLLNVAL;
	mask = f->ops->poll ? f->ops->poll(f) : DEFAULT_POLLMASK;
	file_put(f);
	return (int16_t)(mask & ((uint16_t)events | POLLERR | POLLHUP));
}

/* One look at every entry: fills revents, returns how many are non-zero. */
static long poll_once(struct user_pollfd *p, uint32_t n)
{
	long ready = 0;

	for (uint32_t i = 0; i < n; i++) {
		p[i].revents = fd_revents(p[i].fd, p[i].events);
		ready += p[i].revents != 0;
	}
	return ready;
}

/*
 * Looks until something is ready, @deadline_ns passes (0: never; ~0: do
 * not wait at all) or a signal is pending (-ERESTARTNOHAND).
 */
static long poll_wait(struct user_pollfd *p, uint32_t n, uint64_t deadline_ns)
{
	struct task *t = current();

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&poll_lock);
		uint64_t seq = poll_seq;
		long ready;

		spin_unlock_irqrestore(&poll_lock, flags);
		ready = poll_once(p, n);
		if (ready || deadline_ns == UINT64_MAX)
			return ready;
		if (deadline_ns && time_ns() >= deadline_ns)
			return 0;
		if (signal_pending(t))
			return -ERESTARTNOHAND;
		flags = spin_lock_irqsave(&poll_lock);
		if (seq != poll_seq) {
			spin_unlock_irqrestore(&poll_lock, flags);
			continue;
		}
		sleep_on_unlock_until(&poll_seq, &poll_lock, deadline_ns);
		plat_irq_restore(flags);
	}
}

/*
 * do_sys_poll(): nfds above RLIMIT_NOFILE EINVAL, the array copied in
 * (EFAULT), looked at until ready or the deadline, revents copied out.
 */
static long do_poll(uint64_t ufds, uint64_t nfds, uint64_t deadline_ns)
{
	uint32_t n = (uint32_t)nfds;
	uint64_t bytes = (uint64_t)n * sizeof(struct user_pollfd);
	struct user_pollfd *p;
	long r;

	if (n > task_rlimit(current(), RLIMIT_NOFILE))
		return -EINVAL;
	p = kmalloc(bytes ? bytes : 1);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, ufds, bytes)) {
		kfree(p);
		return -EFAULT;
	}
	r = poll_wait(p, n, deadline_ns);
	for (uint32_t i = 0; i < n && r >= 0; i++)	/* only revents, as Linux writes */
		if (copy_to_user(ufds + i * sizeof(*p) + 6, &p[i].revents, 2))
			r = -EFAULT;
	kfree(p);
	return r;
}

/* A timeout of @ns from now as a deadline: ~0 for none at all (do not wait). */
static uint64_t deadline_after(uint64_t ns)
{
	uint64_t now = time_ns();

	if (!ns)
		return UINT64_MAX;
	return ns > UINT64_MAX / 4 ? 0 : now + ns;	/* centuries: forever */
}

static long poll_restart(const struct restart_block *rb);

/*
 * poll interrupted: when no handler runs it goes on through restart_syscall
 * with the same deadline, so a stop (SIGSTOP, then SIGCONT) or an ignored
 * signal costs no more than the time left (Linux's do_restart_poll()).
 */
static long poll_until(uint64_t ufds, uint64_t nfds, uint64_t deadline_ns)
{
	long r = do_poll(ufds, nfds, deadline_ns);

	if (r == -ERESTARTNOHAND) {
		current()->sig.restart = (struct restart_block){
			.fn = poll_restart, .arg = { ufds, nfds, deadline_ns } };
		r = -ERESTART_RESTARTBLOCK;
	}
	return r;
}

static long poll_restart(const struct restart_block *rb)
{
	return poll_until(rb->arg[0], rb->arg[1], rb->arg[2]);
}

static long sys_poll(uint64_t ufds, uint64_t nfds, uint64_t timeout, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	int ms = (int)timeout;

	return poll_until(ufds, nfds, ms < 0 ? 0 : deadline_after((uint64_t)ms * NS_PER_MS));
}
SYSCALL_DEFINE(SYS_poll, poll, sys_poll);

/*
 * The time left until @deadline_ns into the timespec at @uts, as
 * poll_select_finish() writes it back (a zero timeout is left alone).
 */
static long write_left(uint64_t uts, uint64_t deadline_ns)
{
	uint64_t now = time_ns(), left = deadline_ns > now ? deadline_ns - now : 0;
	int64_t ts[2] = { (int64_t)(left / NS_PER_SEC), (int64_t)(left % NS_PER_SEC) };

	if (deadline_ns == UINT64_MAX || !deadline_ns)
		return 0;
	return copy_to_user(uts, ts, sizeof(ts)) ? -EFAULT : 0;
}

/*
 * ppoll: Linux's order: the timespec (EFAULT, then EINVAL out of range),
 * then the mask (a size other than 8 EINVAL, EFAULT), then poll. The mask
 * is in force while it waits; interrupted, it stays until the handler
 * has run (restore_mask), else the old one is back at once.
 */
static long sys_ppoll(uint64_t ufds, uint64_t nfds, uint64_t uts, uint64_t umask,
		      uint64_t size, uint64_t a5)
{
	struct task *t = current();
	uint64_t deadline = 0;
	sigset_t set, old;
	unsigned long flags;
	int64_t ts[2];
	long r;

	if (uts) {
		if (copy_from_user(ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || (uint64_t)ts[1] >= NS_PER_SEC)
			return -EINVAL;
		deadline = (uint64_t)ts[0] > UINT64_MAX / (4 * NS_PER_SEC) ? 0 :
			   deadline_after((uint64_t)ts[0] * NS_PER_SEC + (uint64_t)ts[1]);
	}
	if (umask) {
		if (size != sizeof(sigset_t))
			return -EINVAL;
		if (copy_from_user(&set, umask, sizeof(set)))
			return -EFAULT;
		flags = signal_lock();
		old = t->sig.blocked;
		t->sig.blocked = set & ~SIG_UNBLOCKABLE;
		signal_unlock(flags);
	}
	r = do_poll(ufds, nfds, deadline);
	if (umask) {
		flags = signal_lock();
		if (r == -ERESTARTNOHAND) {
			t->sig.saved_mask = old;
			t->sig.restore_mask = true;	/* signal_deliver puts it back */
		} else {
			t->sig.blocked = old;
		}
		signal_unlock(flags);
	}
	if (uts && write_left(uts, deadline))
		return r == -ERESTARTNOHAND ? -EINTR : r;	/* cannot restart without it */
	return r;
}
SYSCALL_DEFINE(SYS_ppoll, ppoll, sys_ppoll);
