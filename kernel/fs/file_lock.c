// SPDX-License-Identifier: MIT
/*
 * Advisory file locks (file_lock.h): POSIX and OFD record locks, flock().
 *
 * Each owner's locks on an inode never overlap, and two of the same type
 * never touch: a new lock merges with the owner's locks of its type that
 * overlap or adjoin it and cuts the owner's others out of its range (an
 * unlock only cuts), as Linux's posix_lock_inode() does. A conflicting
 * request either fails (EAGAIN) or waits on the inode; every change to an
 * inode's locks wakes its waiters, who look again. A POSIX waiter records
 * whose lock it waits for, so a request that would close a cycle of
 * waiting owners fails with EDEADLK (Linux's posix_locks_deadlock()).
 *
 * Lock order: file_lock_lock is a leaf (see file_lock.h). Lock objects are
 * allocated before it is taken and freed after it is dropped.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/file_lock.h"
#include "kernel/proc/signal.h"
#include "kernel/task.h"
#include "mm/heap.h"

#define OFFSET_MAX	INT64_MAX	/* a lock "to the end of the file": any length */
#define MAX_DEADLK_STEPS 10		/* Linux's MAX_DEADLK_ITERATIONS */
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2

struct file_lock {
	struct list_node node;		/* on the inode's posix or flock list, by start */
	const void *owner;		/* POSIX: a struct files; OFD, flock: a struct file */
	int64_t start, end;		/* bytes [start, end]; end OFFSET_MAX: no end */
	int32_t pid;			/* reported by F_GETLK: the locker's tgid, -1 for OFD */
	int16_t type;			/* F_RDLCK or F_WRLCK */
};

/* A task in F_SETLKW or flock() waiting for a conflicting lock to go. */
struct lock_waiter {
	struct list_node inode_node;	/* on the inode's waiters */
	struct list_node blocked_node;	/* on blocked (POSIX waiters only) */
	const void *owner;		/* the waiter's lock owner */
	const void *waits_for;		/* the owner of the lock in its way */
};

static spinlock_t file_lock_lock = SPINLOCK_INIT;
static struct list_node blocked = LIST_INIT(blocked);
static struct kmem_cache *lock_cache;

struct kmem_cache *file_lock_cache_init(void)
{
	return lock_cache = kmem_cache_create("file_lock", sizeof(struct file_lock), 0, 0, NULL);
}

void file_lock_inode_init(struct inode_locks *il)
{
	list_init(&il->posix);
	list_init(&il->flock);
	list_init(&il->waiters);
}

/* Locks taken off lists under the lock, freed (or handed out) once it is dropped. */
struct lock_spares {
	struct list_node list;
};

static void spares_free(struct lock_spares *sp)
{
	list_for_each_safe(n, &sp->list) {
		list_del(n);
		kmem_cache_free(lock_cache, list_entry(n, struct file_lock, node));
	}
}

/* Fills @sp with @n fresh locks; false (none kept) if memory ran out. */
static bool spares_fill(struct lock_spares *sp, unsigned n)
{
	list_init(&sp->list);
	while (n--) {
		struct file_lock *l = kmem_cache_alloc(lock_cache);

		if (!l) {
			spares_free(sp);
			return false;
		}
		list_add_tail(&sp->list, &l->node);
	}
	return true;
}

static struct file_lock *spares_take(struct lock_spares *sp)
{
	struct list_node *n = sp->list.next;

	if (n == &sp->list)
		panic("file_lock: a lock change needed more than its spares");
	list_del(n);
	return list_entry(n, struct file_lock, node);
}

static void lock_drop(struct lock_spares *sp, struct file_lock *l)
{
	list_del(&l->node);
	list_add_tail(&sp->list, &l->node);
}

void file_lock_inode_free(struct inode_locks *il)
{
	struct lock_spares sp;

	if (list_empty(&il->posix) && list_empty(&il->flock))
		return;
	kprintf("file_lock: an inode freed with locks on it\n");
	list_init(&sp.list);
	list_for_each_safe(n, &il->posix)
		lock_drop(&sp, list_entry(n, struct file_lock, node));
	list_for_each_safe(n, &il->flock)
		lock_drop(&sp, list_entry(n, struct file_lock, node));
	spares_free(&sp);
}

/* Inserts @l into @head, kept in order of start. */
static void insert_sorted(struct list_node *head, struct file_lock *l)
{
	list_for_each(n, head) {
		if (list_entry(n, struct file_lock, node)->start > l->start) {
			list_insert_between(&l->node, n->prev, n);
			return;
		}
	}
	list_add_tail(head, &l->node);
}

static bool overlap(const struct file_lock *a, const struct file_lock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

static bool conflicts(const struct file_lock *a, const struct file_lock *b)
{
	return a->owner != b->owner && overlap(a, b) &&
	       (a->type == F_WRLCK || b->type == F_WRLCK);
}

/* The first lock on @head in the way of @req (a read or write lock), or NULL. */
static struct file_lock *find_conflict(struct list_node *head, const struct file_lock *req)
{
	list_for_each(n, head) {
		struct file_lock *l = list_entry(n, struct file_lock, node);

		if (conflicts(req, l))
			return l;
	}
	return NULL;
}

/* Every waiter of the inode looks again (it takes itself off the lists first). */
static void wake_waiters(struct inode_locks *il)
{
	list_for_each_safe(n, &il->waiters) {
		struct lock_waiter *w = list_entry(n, struct lock_waiter, inode_node);

		list_del(&w->inode_node);
		if (list_linked(&w->blocked_node))
			list_del(&w->blocked_node);
		wakeup(w);
	}
}

/*
 * Would @owner waiting for a lock of @holder close a cycle? Follows what
 * each owner in the chain waits for, as far as Linux looks.
 */
static bool would_deadlock(const void *owner, const void *holder)
{
	for (unsigned step = 0; step < MAX_DEADLK_STEPS; step++) {
		const struct lock_waiter *found = NULL;

		list_for_each(n, &blocked) {
			const struct lock_waiter *w = list_entry(n, struct lock_waiter, blocked_node);

			if (w->owner == holder) {
				found = w;
				break;
			}
		}
		if (!found)
			return false;
		holder = found->waits_for;
		if (holder == owner)
			return true;
	}
	return false;
}

/*
 * Sleeps until the inode's locks change (or a signal comes), on a waiter
 * recording whose lock is in the way; file_lock_lock is held on entry and
 * on return, dropped meanwhile. -ERESTARTSYS if a signal is already pending.
 */
static long wait_for_change(struct inode_locks *il, const void *owner, const void *holder,
			    bool posix)
{
	struct lock_waiter w = { .owner = owner, .waits_for = holder };

	if (signal_pending(current()))
		return -ERESTARTSYS;
	list_add_tail(&il->waiters, &w.inode_node);
	list_init(&w.blocked_node);
	if (posix)
		list_add_tail(&blocked, &w.blocked_node);
	sleep_on_unlock(&w, &file_lock_lock);
	spin_lock_irqsave(&file_lock_lock);
	if (list_linked(&w.inode_node))		/* woken by a signal, not by a change */
		list_del(&w.inode_node);
	if (list_linked(&w.blocked_node))
		list_del(&w.blocked_node);
	return 0;
}

/*
 * Cuts [@s, @e] out of @l (one of the owner's locks that overlaps it); the
 * part past @e, when both ends stay, becomes a second lock from @sp.
 */
static void cut_out(struct list_node *head, struct file_lock *l, int64_t s, int64_t e,
		    struct lock_spares *sp)
{
	if (l->start < s && l->end > e) {
		struct file_lock *right = spares_take(sp);

		*right = *l;
		right->start = e + 1;
		l->end = s - 1;
		insert_sorted(head, right);
	} else if (l->start < s) {
		l->end = s - 1;
	} else if (l->end > e) {
		list_del(&l->node);
		l->start = e + 1;
		insert_sorted(head, l);
	} else {
		lock_drop(sp, l);
	}
}

/*
 * Makes the owner's locks on @head what @req asks (F_UNLCK: none in its
 * range), with no conflict in the way; @req is copied into a spare.
 */
static void apply(struct list_node *head, const struct file_lock *req, int16_t type,
		  struct lock_spares *sp)
{
	int64_t s = req->start, e = req->end;

	list_for_each_safe(n, head) {
		struct file_lock *l = list_entry(n, struct file_lock, node);

		if (l->owner != req->owner)
			continue;
		if (l->type == type) {		/* merge what overlaps or adjoins */
			if (l->end < s - 1 || e < l->start - 1)
				continue;
			s = MM_MIN(s, l->start);
			e = MM_MAX(e, l->end);
			lock_drop(sp, l);
		} else if (l->start <= req->end && req->start <= l->end) {
			cut_out(head, l, req->start, req->end, sp);
		}
	}
	if (type == F_UNLCK)
		return;
	struct file_lock *nl = spares_take(sp);
	*nl = *req;
	nl->start = s;
	nl->end = e;
	nl->type = type;
	insert_sorted(head, nl);
}

/*
 * Sets @req (type F_RDLCK, F_WRLCK or F_UNLCK) on @head of @il, waiting
 * while another owner's lock is in the way if @wait; @posix: EDEADLK
 * detection applies (not for OFD or flock locks).
 */
static long set_lock(struct inode_locks *il, struct list_node *head, struct file_lock *req,
		     bool wait, bool posix)
{
	struct lock_spares sp;
	long r = 0;

	if (!spares_fill(&sp, 2))
		return -ENOLCK;
	unsigned long flags = spin_lock_irqsave(&file_lock_lock);
	for (;;) {
		struct file_lock *c = req->type == F_UNLCK ? NULL : find_conflict(head, req);

		if (!c) {
			apply(head, req, req->type, &sp);
			wake_waiters(il);
			break;
		}
		if (!wait) {
			r = -EAGAIN;
			break;
		}
		if (posix && would_deadlock(req->owner, c->owner)) {
			r = -EDEADLK;
			break;
		}
		if ((r = wait_for_change(il, req->owner, c->owner, posix)))
			break;
	}
	spin_unlock_irqrestore(&file_lock_lock, flags);
	spares_free(&sp);
	return r;
}

static struct inode_locks *locks_of(struct file *f)
{
	return &f->inode->locks;
}

/* struct flock's range at @f into [start, end] (Linux's flock64_to_posix_lock()). */
static long flock_range(struct file *f, const struct flock_args *a, struct file_lock *l)
{
	int64_t base;

	switch (a->whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->pos; break;
	case SEEK_END: base = f->inode->pc ? (int64_t)pcache_size(f->inode->pc) : 0; break;
	default: return -EINVAL;
	}
	if (a->start > OFFSET_MAX - base)
		return -EOVERFLOW;
	l->start = base + a->start;
	if (l->start < 0)
		return -EINVAL;
	if (a->len > 0) {
		if (a->len - 1 > OFFSET_MAX - l->start)
			return -EOVERFLOW;
		l->end = l->start + (a->len - 1);
	} else if (a->len < 0) {
		if (l->start + a->len < 0)
			return -EINVAL;
		l->end = l->start - 1;
		l->start += a->len;
	} else {
		l->end = OFFSET_MAX;
	}
	if (a->type != F_RDLCK && a->type != F_WRLCK && a->type != F_UNLCK)
		return -EINVAL;
	l->type = a->type;
	return 0;
}

/* F_GETLK and F_OFD_GETLK: the first lock in the way, or l_type F_UNLCK. */
static long get_lock(struct file *f, bool ofd, struct flock_args *a)
{
	struct file_lock req;
	long r;

	if (a->type != F_RDLCK && a->type != F_WRLCK)
		return -EINVAL;
	if ((r = flock_range(f, a, &req)))
		return r;
	if (ofd && a->pid != 0)
		return -EINVAL;
	req.owner = ofd ? (const void *)f : (const void *)current()->files;
	unsigned long flags = spin_lock_irqsave(&file_lock_lock);
	const struct file_lock *c = find_conflict(&locks_of(f)->posix, &req);
	if (c) {
		a->type = c->type;
		a->whence = SEEK_SET;
		a->start = c->start;
		a->len = c->end == OFFSET_MAX ? 0 : c->end - c->start + 1;
		a->pid = c->pid;
	} else {
		a->type = F_UNLCK;
	}
	spin_unlock_irqrestore(&file_lock_lock, flags);
	return 0;
}

/**
 * fcntl_lock() - fcntl's record-lock commands
 * @f: the open file
 * @cmd: F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK or F_OFD_SETLKW
 * @a: the caller's struct flock, widened; the GETLKs write the answer back
 *
 * Linux's order of checks: the range and type (EINVAL, EOVERFLOW), the
 * access mode against the type (EBADF), l_pid of an OFD request (EINVAL).
 * Return: 0, -EAGAIN (in the way), -EDEADLK, -ENOLCK, -ERESTARTSYS.
 */
long fcntl_lock(struct file *f, unsigned cmd, struct flock_args *a)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	struct file_lock req;
	long r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (f->is_console)
		return -ENOLCK;		/* no inode to hold them */
	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		return get_lock(f, ofd, a);
	if ((r = flock_range(f, a, &req)))
		return r;
	if ((req.type == F_RDLCK && !file_readable(f)) || (req.type == F_WRLCK && !file_writable(f)))
		return -EBADF;
	if (ofd && a->pid != 0)
		return -EINVAL;
	req.owner = ofd ? (const void *)f : (const void *)current()->files;
	req.pid = ofd ? -1 : current()->tgid;
	return set_lock(locks_of(f), &locks_of(f)->posix, &req,
			cmd == F_SETLKW || cmd == F_OFD_SETLKW, !ofd);
}

/**
 * flock_file() - flock(2) on @f
 * @f: the open file (its locks are the open file description's)
 * @op: LOCK_SH, LOCK_EX or LOCK_UN, LOCK_NB for no waiting
 *
 * A change of type lets go of the old lock first, as Linux does, so a
 * conversion that cannot be had leaves none.
 * Return: 0, -EINVAL, -EBADF, -EAGAIN (LOCK_NB), -ENOLCK, -ERESTARTSYS.
 */
long flock_file(struct file *f, unsigned op)
{
	struct file_lock req = { .owner = f, .start = 0, .end = OFFSET_MAX, .pid = -1 };
	struct inode_locks *il;

	switch (op & ~(unsigned)LOCK_NB) {
	case LOCK_SH: req.type = F_RDLCK; break;
	case LOCK_EX: req.type = F_WRLCK; break;
	case LOCK_UN: req.type = F_UNLCK; break;
	default: return -EINVAL;
	}
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->is_console)
		return -ENOLCK;
	il = locks_of(f);
	unsigned long flags = spin_lock_irqsave(&file_lock_lock);
	list_for_each(n, &il->flock) {
		struct file_lock *l = list_entry(n, struct file_lock, node);

		if (l->owner == f && l->type == req.type) {
			spin_unlock_irqrestore(&file_lock_lock, flags);
			return 0;
		}
	}
	spin_unlock_irqrestore(&file_lock_lock, flags);
	if (req.type != F_UNLCK) {
		struct file_lock un = req;

		un.type = F_UNLCK;
		set_lock(il, &il->flock, &un, false, false);
	}
	return set_lock(il, &il->flock, &req, !(op & LOCK_NB), false);
}

/* Takes the locks of @owner off @head; true if there were any. */
static bool drop_owner(struct list_node *head, const void *owner, struct lock_spares *sp)
{
	bool any = false;

	list_for_each_safe(n, head) {
		struct file_lock *l = list_entry(n, struct file_lock, node);

		if (l->owner == owner) {
			lock_drop(sp, l);
			any = true;
		}
	}
	return any;
}

static void drop_locks(struct inode_locks *il, const void *owner, bool flocks)
{
	struct lock_spares sp;

	list_init(&sp.list);
	unsigned long flags = spin_lock_irqsave(&file_lock_lock);
	bool any = drop_owner(&il->posix, owner, &sp);
	if (flocks)
		any |= drop_owner(&il->flock, owner, &sp);
	if (any)
		wake_waiters(il);
	spin_unlock_irqrestore(&file_lock_lock, flags);
	spares_free(&sp);
}

static bool no_locks(const struct inode_locks *il, bool flocks)
{
	return __atomic_load_n(&il->posix.next, __ATOMIC_RELAXED) == &il->posix &&
	       (!flocks || __atomic_load_n(&il->flock.next, __ATOMIC_RELAXED) == &il->flock);
}

/**
 * file_lock_close() - a descriptor of @f closes: @owner's POSIX locks on it go
 * @f: the open file
 * @owner: the closing process's descriptor table
 *
 * Any descriptor: POSIX locks belong to the process, not to the descriptor.
 */
void file_lock_close(struct file *f, struct files *owner)
{
	if (f && f->inode && !no_locks(locks_of(f), false))
		drop_locks(locks_of(f), owner, false);
}

/**
 * file_lock_release() - the last reference to @f goes, and its OFD and flock() locks
 * @f: the open file
 */
void file_lock_release(struct file *f)
{
	if (f->inode && !no_locks(locks_of(f), true))
		drop_locks(locks_of(f), f, true);
}
