// SPDX-License-Identifier: MIT
/*
 * Pipes as Linux 6.1 has them: pipe(fds) and pipe2(fds, flags) give a read
 * end and a write end sharing a ring of page-sized buffers, 16 of them
 * (65536 bytes) unless fcntl(F_SETPIPE_SZ) changes it. Each buffer is a
 * kmalloc'd page, taken when a write needs one and freed when a read
 * empties it; the pipe goes with the last of its ends.
 *
 * What Linux's pipe_read()/pipe_write() do, and so this does: a read takes
 * what is there (blocking while the pipe is empty and a writer is left; no
 * writer: 0, end of file); a write fills free buffers, blocking while the
 * ring is full. A write's last partial page joins the newest buffer when it
 * fits there whole, and otherwise takes a fresh page, so a write of at most
 * PIPE_BUF (a page) is never split. No reader left: SIGPIPE to the writing
 * thread and EPIPE. O_DIRECT on the write end makes packets: a buffer per
 * write (per page of it), never joined, and a read takes at most one,
 * dropping what does not fit in the caller's buffer.
 *
 * Locking: pipe.mutex (a kmutex: transfers copy to and from user memory,
 * which may fault and sleep) guards the ring, its size and the counts of
 * ends; poll reads them without it, as Linux's pipe_poll() does. A task that
 * must wait takes wait_lock (a leaf spinlock, under the mutex), drops the
 * mutex and sleeps on one of the pipe's two channels (data, space) through
 * sleep_on_unlock_until(), queued before wait_lock is released. A waker
 * changes the ring under the mutex and then takes and drops wait_lock
 * before wakeup(), so a sleeper that looked before the change is queued by
 * then and cannot miss it. Sleepers hold a reference on their end's file,
 * so the pipe outlives them; the closer that leaves no end frees it.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/poll.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/cred.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

/* x86_64 numbers (i386's 42 and 331 reach them through compat32.c) */
#define NR_pipe		22
#define NR_pipe2	293

#define O_NOTIFICATION_PIPE	O_EXCL		/* watch queues, not built: ENOPKG */
#define PIPE_DEF_BUFFERS	16
#define PIPE_MAX_SIZE		1048576u	/* /proc/sys/fs/pipe-max-size's default */
#define PIPE_SIZE_LIMIT		(1ull << 31)	/* round_pipe_size(): beyond it, EINVAL */
#define PIPE_MODE		(S_IFIFO | 0600)

struct pipe_buf {
	uint8_t *page;			/* PAGE_SIZE bytes from kmalloc */
	uint32_t off, len;		/* the unread bytes */
	bool packet;			/* written in packet mode: read whole, never joined */
};

struct pipe {
	struct kmutex mutex;
	spinlock_t wait_lock;
	struct pipe_buf *ring;		/* nbufs slots, a power of two */
	unsigned nbufs;
	unsigned head, tail;		/* free-running: slots in use = head - tail */
	unsigned readers, writers;	/* open ends */
	char data_chan, space_chan;	/* wait channels: readers wait for data, writers for space */
};

/*
 * A buffer list being walked: the current segment and the bytes still to
 * go; user memory, or one kernel buffer (sendfile into a pipe).
 */
struct uiter {
	const struct user_vec *v;
	unsigned n, i;
	uint64_t off, left;
	bool kernel;			/* v[0].base is a kernel address */
};

static struct uiter uiter_init(const struct user_vec *v, unsigned n)
{
	struct uiter it = { .v = v, .n = n };

	for (unsigned i = 0; i < n; i++)
		it.left += v[i].len;
	return it;
}

/*
 * Moves up to @len bytes between @k and the user buffers (@to_user: into
 * them), a user page at a time so that a fault gives an exact short count.
 * Return: the bytes moved.
 */
static uint64_t uiter_copy(struct uiter *it, uint8_t *k, uint64_t len, bool to_user)
{
	uint64_t done = 0;

	while (done < len && it->left) {
		const struct user_vec *s = &it->v[it->i];
		uint64_t u = s->base + it->off;
		uint64_t c = MM_MIN(MM_MIN(len - done, s->len - it->off), PAGE_SIZE - (u & ~PAGE_MASK));

		if (it->kernel)
			memcpy(k + done, (const uint8_t *)(uintptr_t)u, c);	/* only written from */
		else if (c && (to_user ? copy_to_user(u, k + done, c) : copy_from_user(k + done, u, c)))
			break;
		done += c;
		it->off += c;
		it->left -= c;
		if (it->off == s->len) {
			it->i++;
			it->off = 0;
		}
	}
	return done;
}

static struct pipe_buf *slot(struct pipe *p, unsigned i)
{
	return &p->ring[i & (p->nbufs - 1)];
}

static bool pipe_empty(const struct pipe *p)
{
	return p->head == p->tail;
}

static bool pipe_full(const struct pipe *p)
{
	return p->head - p->tail >= p->nbufs;
}

/* Wakes whoever sleeps on @chan, and every poller; see the locking rule above. */
static void pipe_wake(struct pipe *p, const void *chan)
{
	unsigned long flags = spin_lock_irqsave(&p->wait_lock);

	spin_unlock_irqrestore(&p->wait_lock, flags);
	wakeup(chan);
	poll_wake();
}

/* With the mutex held: sleeps on @chan until woken or signalled; the mutex is held again after. */
static void pipe_wait(struct pipe *p, const void *chan)
{
	unsigned long flags = spin_lock_irqsave(&p->wait_lock);

	kmutex_unlock(&p->mutex);
	sleep_on_unlock_until(chan, &p->wait_lock, 0);
	plat_irq_restore(flags);
	kmutex_lock(&p->mutex);
}

/* Why a transfer that found nothing to do must stop instead of waiting, or 0 to wait. */
static long wait_or_stop(const struct file *f)
{
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	if (signal_pending(current()))
		return -ERESTARTSYS;
	return 0;
}

/* Drops the oldest buffer. */
static void consume(struct pipe *p)
{
	struct pipe_buf *b = slot(p, p->tail);

	kfree(b->page);
	b->page = NULL;
	p->tail++;
}

/* Copies out of the oldest buffers into @it; bytes read or -EFAULT. Mutex held. */
static long drain(struct pipe *p, struct uiter *it)
{
	long done = 0;

	while (!pipe_empty(p) && it->left) {
		struct pipe_buf *b = slot(p, p->tail);
		uint64_t want = MM_MIN((uint64_t)b->len, it->left);

		if (uiter_copy(it, b->page + b->off, want, true) < want)
			return done ? done : -EFAULT;
		done += (long)want;
		b->off += (uint32_t)want;
		b->len -= (uint32_t)want;
		if (b->packet || !b->len) {
			bool packet = b->packet;

			consume(p);
			if (packet)
				break;		/* one packet per read; the rest of it is gone */
		}
	}
	return done;
}

static long pipe_read_vec(struct file *f, const struct user_vec *v, unsigned n)
{
	struct pipe *p = f->private;
	struct uiter it = uiter_init(v, n);
	long r;

	if (!it.left)
		return 0;
	kmutex_lock(&p->mutex);
	for (;;) {
		r = drain(p, &it);
		if (r || !p->writers)
			break;			/* data, a fault, or end of file */
		if ((r = wait_or_stop(f)))
			break;
		pipe_wait(p, &p->data_chan);
	}
	if (r > 0)
		pipe_wake(p, &p->space_chan);
	kmutex_unlock(&p->mutex);
	return r;
}

/* Linux's send_sig(SIGPIPE, current, 0): to the writing thread, from itself. */
static long broken_pipe(void)
{
	struct task *t = current();
	struct ksiginfo info = { .signo = SIGPIPE, .code = SI_USER, .pid = t->tgid,
				 .uid = t->group ? t->group->cred.uid : 0 };

	signal_send(t, &info);
	return -EPIPE;
}

/*
 * The write's last partial page (@total modulo a page) joins the newest
 * buffer if it fits there whole. 0 (done or not possible), or -EFAULT.
 */
static long join_tail(struct pipe *p, struct uiter *it, uint64_t total)
{
	uint64_t chars = total & ~PAGE_MASK;
	struct pipe_buf *b;

	if (!chars || pipe_empty(p))
		return 0;
	b = slot(p, p->head - 1);
	if (b->packet || b->off + b->len + chars > PAGE_SIZE)
		return 0;
	if (uiter_copy(it, b->page + b->off + b->len, chars, false) < chars)
		return -EFAULT;
	b->len += (uint32_t)chars;
	return (long)chars;
}

/* A new buffer at the head, filled from @it (a page at most): bytes, -ENOMEM or -EFAULT. */
static long fill_new(struct pipe *p, struct uiter *it, bool packet)
{
	uint8_t *page = kmalloc(PAGE_SIZE);
	uint64_t want = MM_MIN(it->left, PAGE_SIZE), got;

	if (!page)
		return -ENOMEM;
	got = uiter_copy(it, page, want, false);
	if (got < want) {
		kfree(page);		/* Linux drops the page's bytes too */
		return -EFAULT;
	}
	*slot(p, p->head) = (struct pipe_buf){ .page = page, .len = (uint32_t)got, .packet = packet };
	p->head++;
	return (long)got;
}

static long pipe_write_iter(struct file *f, struct uiter it)
{
	struct pipe *p = f->private;
	long done = 0, r = 0;

	if (!it.left)
		return 0;
	kmutex_lock(&p->mutex);
	if (!p->readers)
		r = broken_pipe();
	else
		r = join_tail(p, &it, it.left);
	if (r > 0) {
		done = r;
		r = 0;
	}
	while (!r && it.left) {
		if (!p->readers) {
			r = broken_pipe();
		} else if (!pipe_full(p)) {
			r = fill_new(p, &it, f->flags & O_DIRECT);
			if (r > 0) {
				done += r;
				r = 0;
			}
		} else if (!(r = wait_or_stop(f))) {
			pipe_wake(p, &p->data_chan);	/* let readers make room */
			pipe_wait(p, &p->space_chan);
		}
	}
	if (done)
		pipe_wake(p, &p->data_chan);
	kmutex_unlock(&p->mutex);
	return done ? done : r;
}

static long pipe_write_vec(struct file *f, const struct user_vec *v, unsigned n)
{
	return pipe_write_iter(f, uiter_init(v, n));
}

static long pipe_write_kernel(struct file *f, const void *buf, uint64_t len)
{
	struct user_vec v = { (uint64_t)(uintptr_t)buf, len };
	struct uiter it = uiter_init(&v, 1);

	it.kernel = true;
	return pipe_write_iter(f, it);
}

static long pipe_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	struct user_vec v = { ubuf, len };

	return pipe_read_vec(f, &v, 1);
}

static long pipe_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	struct user_vec v = { ubuf, len };

	return pipe_write_vec(f, &v, 1);
}

/* Linux's pipe_poll(): read end POLLIN with data, POLLHUP with no writer; write end POLLOUT with a free buffer, POLLERR with no reader. */
static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->private;
	unsigned head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	unsigned tail = __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE);
	unsigned mask = 0;

	if (file_readable(f)) {
		if (head != tail)
			mask |= POLLIN | POLLRDNORM;
		if (!__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE))
			mask |= POLLHUP;
	}
	if (file_writable(f)) {
		if (head - tail < __atomic_load_n(&p->nbufs, __ATOMIC_ACQUIRE))
			mask |= POLLOUT | POLLWRNORM;
		if (!__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE))
			mask |= POLLERR;
	}
	return mask;
}

#define FIONREAD	0x541b

/* FIONREAD (either end): the bytes waiting, as an int. */
static long pipe_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->private;
	int count = 0;

	if (cmd != FIONREAD)
		return -ENOTTY;
	kmutex_lock(&p->mutex);
	for (unsigned i = p->tail; i != p->head; i++)
		count += (int)slot(p, i)->len;
	kmutex_unlock(&p->mutex);
	return copy_to_user(arg, &count, sizeof(count)) ? -EFAULT : 0;
}

static void pipe_free(struct pipe *p)
{
	while (!pipe_empty(p))
		consume(p);
	kfree(p->ring);
	kfree(p);
}

/* An end closes: the other side learns of it (EOF, EPIPE); the last end frees the pipe. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->private;
	bool last;

	kmutex_lock(&p->mutex);
	if (file_readable(f))
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	if (!last) {			/* under the mutex: the other end cannot free it meanwhile */
		pipe_wake(p, &p->data_chan);
		pipe_wake(p, &p->space_chan);
	}
	kmutex_unlock(&p->mutex);
	if (last)
		pipe_free(p);
}

static const struct file_ops pipe_ops = {
	.read = pipe_read, .write = pipe_write, .poll = pipe_poll,
	.read_vec = pipe_read_vec, .write_vec = pipe_write_vec, .ioctl = pipe_ioctl,
	.write_kernel = pipe_write_kernel,
};

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->ring = kzalloc(PIPE_DEF_BUFFERS * sizeof(*p->ring));
	if (!p->ring) {
		kfree(p);
		return NULL;
	}
	p->nbufs = PIPE_DEF_BUFFERS;
	p->readers = p->writers = 1;
	p->wait_lock = (spinlock_t)SPINLOCK_INIT;
	return p;
}

/*
 * Linux's create_pipe_files(): one inode (a FIFO) for both ends, the read
 * end O_RDONLY, the write end O_WRONLY with O_DIRECT if asked; both with
 * O_NONBLOCK if asked. 0 or -errno.
 */
static long pipe_files(struct file *res[2], unsigned flags)
{
	struct inode *ino = inode_new(PIPE_MODE, "pipe");
	struct pipe *p = ino ? pipe_alloc() : NULL;

	if (!p) {
		inode_put(ino);
		return -ENFILE;
	}
	ino->nlink = 1;
	res[1] = file_open_on(inode_get(ino), &pipe_ops, p, pipe_release,
			      O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)));
	res[0] = file_open_on(ino, &pipe_ops, p, pipe_release, O_RDONLY | (flags & O_NONBLOCK));
	if (res[0] && res[1])
		return 0;
	if (!res[0] && !res[1]) {
		pipe_free(p);
		return -ENFILE;
	}
	/* one end made: closing it closes the other side's count too */
	res[0] ? p->writers-- : p->readers--;
	file_put(res[0] ? res[0] : res[1]);
	return -ENFILE;
}

/*
 * do_pipe2(): the flags (EINVAL), the pipe, two descriptors (EMFILE), then
 * the array copied out; a fault there (EFAULT) takes both back, so no
 * descriptor is left behind.
 */
static long do_pipe2(uint64_t ufds, uint64_t flags)
{
	struct file *res[2];
	int fd[2];
	long r;

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & O_NOTIFICATION_PIPE)
		return -ENOPKG;
	if ((r = pipe_files(res, (unsigned)flags)))
		return r;
	fd[0] = fd_install(res[0], flags & O_CLOEXEC);
	if (fd[0] < 0) {
		file_put(res[1]);
		return fd[0];
	}
	fd[1] = fd_install(res[1], flags & O_CLOEXEC);
	if (fd[1] < 0) {
		fd_uninstall(fd[0], res[0]);
		return fd[1];
	}
	if (copy_to_user(ufds, fd, sizeof(fd))) {
		fd_uninstall(fd[0], res[0]);
		fd_uninstall(fd[1], res[1]);
		return -EFAULT;
	}
	return 0;
}

static long sys_pipe2(uint64_t ufds, uint64_t flags, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_pipe2(ufds, (uint32_t)flags);
}
SYSCALL_DEFINE(NR_pipe2, pipe2, sys_pipe2);

static long sys_pipe(uint64_t ufds, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return do_pipe2(ufds, 0);
}
SYSCALL_DEFINE(NR_pipe, pipe, sys_pipe);

/* round_pipe_size(): a page at least, a power of two; 0 past 2 GiB (EINVAL). */
static uint64_t round_pipe_size(uint64_t size)
{
	uint64_t r = PAGE_SIZE;

	if (size > PIPE_SIZE_LIMIT)
		return 0;
	while (r < size)
		r <<= 1;
	return r;
}

/* Moves the ring into @nbufs slots (mutex held): 0, -EBUSY (holds more) or -ENOMEM. */
static long pipe_resize(struct pipe *p, unsigned nbufs)
{
	unsigned used = p->head - p->tail;
	struct pipe_buf *ring;

	if (nbufs < used)
		return -EBUSY;
	ring = kzalloc((uint64_t)nbufs * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (unsigned i = 0; i < used; i++)
		ring[i] = *slot(p, p->tail + i);
	kfree(p->ring);
	p->ring = ring;
	p->tail = 0;
	p->head = used;
	__atomic_store_n(&p->nbufs, nbufs, __ATOMIC_RELEASE);
	return 0;
}

/*
 * pipe_set_size(): rounded up; growing past pipe-max-size needs root's
 * rights (EPERM). The per-user page limits are not kept.
 */
static long pipe_set_size(struct pipe *p, uint64_t arg)
{
	uint64_t size = round_pipe_size(arg);
	unsigned nbufs = (unsigned)(size >> PAGE_SHIFT);
	long r;

	if (!nbufs)
		return -EINVAL;
	kmutex_lock(&p->mutex);
	if (nbufs > p->nbufs && size > PIPE_MAX_SIZE && !cred_capable(current()))
		r = -EPERM;
	else
		r = pipe_resize(p, nbufs);
	if (!r)
		pipe_wake(p, &p->space_chan);
	kmutex_unlock(&p->mutex);
	return r ? r : (long)size;
}

long pipe_fcntl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->private;

	if (f->ops != &pipe_ops)
		return -EBADF;			/* get_pipe_info() finds none */
	if (cmd == F_SETPIPE_SZ)
		return pipe_set_size(p, arg);
	return (long)__atomic_load_n(&p->nbufs, __ATOMIC_ACQUIRE) * PAGE_SIZE;
}
