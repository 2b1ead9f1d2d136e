// SPDX-License-Identifier: MIT
/*
 * futex(2): threads sleep on a 32-bit user word and are woken by others.
 * Waiters queue in hash buckets by key (mm/as_futex.c: the space and the
 * address for private words, the shared object and offset for words in
 * shared mappings). A waiter checks the word under its bucket's lock, so a
 * waker that changes the word and then wakes (taking the same lock) cannot
 * slip between the check and the sleep.
 *
 * Operations: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET, WAKE_BITSET,
 * with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME; a signal ends a wait
 * as on Linux (restarted after an SA_RESTART handler). WAKE_OP and the
 * priority-inheritance operations are ENOSYS (musl uses them for
 * PTHREAD_PRIO_INHERIT mutexes only).
 *
 * The word is read under the bucket's lock without faulting (as_peek_u32());
 * a page that is not present is faulted in with the lock dropped, asleep
 * for a swap disk if it is on one, and the check starts again.
 *
 * Lock order: a futex bucket, then the address space's lock (reading the
 * word); two buckets in address order; the scheduler's queues last. A
 * waiter's entry lives on its kernel stack.
 */
#include "kernel/kernel.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/spinlock.h"

#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAKE_BITSET	10
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define FUTEX_CMD_MASK		(~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY	0xffffffffu

#define FUTEX_HASH_BITS		8
#define NSEC_PER_SEC		1000000000ull

struct futex_bucket {
	spinlock_t lock;
	struct list_node waiters;
};

struct futex_waiter {
	struct list_node node;
	struct as_futex_key key;
	struct futex_bucket *bucket;	/* where it is queued; changes on requeue */
	uint32_t bitset;
	struct task *task;
	bool woken;
};

static struct futex_bucket buckets[1u << FUTEX_HASH_BITS];

static struct futex_bucket *bucket_of(const struct as_futex_key *k)
{
	uint64_t h = ((uintptr_t)k->object ^ (k->offset * 0x9e3779b97f4a7c15ull)) *
		     0xff51afd7ed558ccdull;
	return &buckets[h >> (64 - FUTEX_HASH_BITS)];
}

void futex_init(void)
{
	for (unsigned i = 0; i < ARRAY_LEN(buckets); i++)
		list_init(&buckets[i].waiters);
}

static bool key_eq(const struct as_futex_key *a, const struct as_futex_key *b)
{
	return a->object == b->object && a->offset == b->offset;
}

static long get_key(struct as *as, uint64_t uaddr, bool private, struct as_futex_key *k)
{
	if (uaddr & 3)
		return -EINVAL;
	if (!user_range_ok(uaddr, 4))
		return -EFAULT;
	return as_futex_key(as, uaddr, !private, k) ? -EFAULT : 0;
}

/*
 * The futex word at @uaddr, read under a bucket's lock without faulting:
 * 0, or -EAGAIN if its page is not present. The caller then drops the
 * lock, faults the page in (fault_in_word()) and looks again, so a page on
 * a swap disk is read asleep, never polled with the bucket locked.
 */
static long peek_word(struct as *as, uint64_t uaddr, uint32_t *cur)
{
	return as_peek_u32(as, (uintptr_t)uaddr, cur) ? -EAGAIN : 0;
}

/* Fault in the page of @uaddr with no lock held (a read that may sleep): 0 or -EFAULT. */
static long fault_in_word(uint64_t uaddr)
{
	uint32_t cur;

	return copy_from_user(&cur, uaddr, 4) ? -EFAULT : 0;
}

/* Wakes @w: off its bucket (locked), then runnable. */
static void wake_waiter(struct futex_waiter *w)
{
	list_del(&w->node);
	w->woken = true;
	task_wake(w->task);
}

/* Two buckets locked in address order (one if they are the same); interrupts off. */
static void lock_two(struct futex_bucket *a, struct futex_bucket *b, unsigned long *fl)
{
	if (a > b) {
		struct futex_bucket *t = a;
		a = b;
		b = t;
	}
	*fl = spin_lock_irqsave(&a->lock);
	if (a != b)
		spin_lock_irqsave(&b->lock);
}

static void unlock_two(struct futex_bucket *a, struct futex_bucket *b, unsigned long fl)
{
	if (a != b)
		spin_unlock_irqrestore(&b->lock, plat_irq_save());
	spin_unlock_irqrestore(&a->lock, fl);
}

/*
 * Sleeps on @uaddr if it holds @val, until a wake matching @bitset, the
 * monotonic @deadline_ns (0: none), or a signal: then @interrupted, which
 * is Linux's restart rule (-ERESTARTSYS without a timeout: an SA_RESTART
 * handler waits again; -ERESTARTNOHAND for an absolute deadline; -EINTR
 * for a relative timeout, which cannot be restarted as it was).
 */
static long futex_wait(struct as *as, uint64_t uaddr, bool private, uint32_t val,
		       uint64_t deadline_ns, uint32_t bitset, long interrupted)
{
	struct futex_waiter w = { .bitset = bitset, .task = current() };
	long r = get_key(as, uaddr, private, &w.key);
	uint32_t cur;

	if (r)
		return r;
	w.bucket = bucket_of(&w.key);
	unsigned long irq, off;

	for (;;) {
		irq = plat_irq_save();	/* stays off until we are queued and asleep */
		off = spin_lock_irqsave(&w.bucket->lock);
		r = peek_word(as, uaddr, &cur);
		if (!r && cur == val)
			break;
		spin_unlock_irqrestore(&w.bucket->lock, off);
		plat_irq_restore(irq);
		if (!r)
			return -EAGAIN;
		if (fault_in_word(uaddr))	/* not present: in with no lock held, and again */
			return -EFAULT;
	}
	list_add_tail(&w.bucket->waiters, &w.node);
	w.task->state = TASK_BLOCKED;
	spin_unlock_irqrestore(&w.bucket->lock, off);
	bool timed_out = signal_pending(w.task) ? false : task_block(deadline_ns);
	w.task->state = TASK_RUNNABLE;		/* if a kill left it blocked */
	/* Off the queue unless a waker took it off; a requeue may have moved it. */
	for (;;) {
		struct futex_bucket *b = w.bucket;
		off = spin_lock_irqsave(&b->lock);
		if (b == w.bucket) {
			if (!w.woken)
				list_del(&w.node);
			spin_unlock_irqrestore(&b->lock, off);
			break;
		}
		spin_unlock_irqrestore(&b->lock, off);
	}
	plat_irq_restore(irq);
	if (w.woken)
		return 0;
	return timed_out ? -ETIMEDOUT : interrupted;
}

/* Wakes up to @nr waiters of @key whose bitset meets @bitset. */
static long wake_key(const struct as_futex_key *key, int nr, uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(key);
	unsigned long fl = spin_lock_irqsave(&b->lock);
	long woken = 0;

	list_for_each_safe(n, &b->waiters) {
		struct futex_waiter *w = list_entry(n, struct futex_waiter, node);
		if (woken >= nr)
			break;
		if (key_eq(&w->key, key) && (w->bitset & bitset)) {
			wake_waiter(w);
			woken++;
		}
	}
	spin_unlock_irqrestore(&b->lock, fl);
	return woken;
}

/**
 * futex_wake() - wake waiters on a user word
 * @as: the space @uaddr is in
 * @uaddr: the word
 * @nr: at most this many
 * @private: FUTEX_PRIVATE_FLAG: key by (space, address) even in a shared mapping
 *
 * Return: how many were woken, or -errno.
 */
long futex_wake(struct as *as, uint64_t uaddr, int nr, bool private)
{
	struct as_futex_key key;
	long r = get_key(as, uaddr, private, &key);

	return r ? r : wake_key(&key, nr, FUTEX_BITSET_MATCH_ANY);
}

/* Wakes @nr waiters on @uaddr and moves up to @nr2 more to @uaddr2 (if @cmp, only if *uaddr == @val3). */
static long futex_requeue(struct as *as, uint64_t uaddr, uint64_t uaddr2, bool private, int nr,
			  int nr2, bool cmp, uint32_t val3)
{
	struct as_futex_key k1, k2;
	long r;

	if (nr < 0 || nr2 < 0)
		return -EINVAL;
	if ((r = get_key(as, uaddr, private, &k1)) || (r = get_key(as, uaddr2, private, &k2)))
		return r;
	struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
	unsigned long fl;
	uint32_t cur;

	for (;;) {
		lock_two(b1, b2, &fl);
		r = cmp ? peek_word(as, uaddr, &cur) : 0;
		if (!r && (!cmp || cur == val3))
			break;
		unlock_two(b1, b2, fl);
		if (!r)
			return -EAGAIN;
		if (fault_in_word(uaddr))	/* not present: in with no lock held, and again */
			return -EFAULT;
	}
	long done = 0, moved = 0;
	list_for_each_safe(n, &b1->waiters) {
		struct futex_waiter *w = list_entry(n, struct futex_waiter, node);
		if (!key_eq(&w->key, &k1))
			continue;
		if (done < nr) {
			wake_waiter(w);
			done++;
		} else if (moved < nr2) {
			list_del(&w->node);
			w->key = k2;
			w->bucket = b2;
			list_add_tail(&b2->waiters, &w->node);
			moved++;
		} else {
			break;
		}
	}
	unlock_two(b1, b2, fl);
	return done + moved;		/* Linux counts both */
}

/* The monotonic deadline of a futex timeout; 0 for none, 1 if already past. */
static long deadline_of(uint64_t utime, bool absolute, bool realtime, uint64_t *deadline)
{
	int64_t ts[2];

	*deadline = 0;
	if (!utime)
		return 0;
	if (copy_from_user(ts, utime, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || (uint64_t)ts[1] >= NSEC_PER_SEC)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts[0] > UINT64_MAX / (2 * NSEC_PER_SEC) ? UINT64_MAX / 2 :
		      (uint64_t)ts[0] * NSEC_PER_SEC + (uint64_t)ts[1];
	uint64_t now = time_ns();
	if (!absolute) {
		*deadline = now + ns;
	} else {
		uint64_t epoch = realtime ? boot_epoch_seconds() * NSEC_PER_SEC : 0;
		*deadline = ns > epoch ? ns - epoch : 1;
	}
	if (*deadline <= now)
		*deadline = 1;		/* past: times out after the value check */
	return 0;
}

static long sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t utime,
		      uint64_t uaddr2, uint64_t val3)
{
	struct as *as = current()->mm;
	bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
	int cmd = (int)(op & FUTEX_CMD_MASK);
	uint64_t deadline;
	long r;

	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !(uint32_t)val3)
			return -EINVAL;
		if ((r = deadline_of(utime, cmd == FUTEX_WAIT_BITSET, realtime, &deadline)))
			return r;
		return futex_wait(as, uaddr, private, (uint32_t)val, deadline,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : (uint32_t)val3,
				  !utime ? -ERESTARTSYS :
				  cmd == FUTEX_WAIT_BITSET ? -ERESTARTNOHAND : -EINTR);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		struct as_futex_key key;
		if (cmd == FUTEX_WAKE_BITSET && !(uint32_t)val3)
			return -EINVAL;
		if ((r = get_key(as, uaddr, private, &key)))
			return r;
		return wake_key(&key, (int)val > 0 ? (int)val : 0,
				cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)val3);
	}
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(as, uaddr, uaddr2, private, (int)val, (int)utime,
				     cmd == FUTEX_CMP_REQUEUE, (uint32_t)val3);
	default:
		return -ENOSYS;
	}
}
SYSCALL_DEFINE(SYS_futex, futex, sys_futex);
