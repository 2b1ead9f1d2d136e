/*
 * t_locks: advisory file locks as Linux has them. POSIX record locks
 * (fcntl F_GETLK/F_SETLK/F_SETLKW): owned by the process, seen and refused
 * by others (EAGAIN), read locks shared, ranges split and merged, SEEK_CUR
 * and SEEK_END and negative lengths, released by closing any descriptor of
 * the file and at exit, F_SETLKW waiting until the lock goes or a signal
 * (EINTR, or restarted with SA_RESTART), EDEADLK for a two-process cycle;
 * OFD locks (F_OFD_*: owned by the open file, l_pid -1, kept across close
 * of a duplicate and shared with a fork child); flock(2) (whole-file, apart
 * from record locks, a failed conversion loses the old lock); the errors of
 * each; on i386 the 32-bit struct flock of fcntl and fcntl64 against the
 * struct flock64. memcore's free frames are back at the end.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <memcore/syscall.h>

#define PATH "/tmp/t_locks"
#ifndef F_OFD_GETLK
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#endif

/* What a child saw, for the parent to check and print. */
struct shared {
	volatile int step, released, handled;
	int r, err;
	struct flock fl;
	int pid_is_parent;
};
static struct shared *sh;
static int fd;

static int set_lock(int f, int cmd, int type, int whence, off_t start, off_t len)
{
	struct flock fl = { .l_type = (short)type, .l_whence = (short)whence, .l_start = start,
			    .l_len = len };

	return fcntl(f, cmd, &fl);
}

/* Runs fn in a child and waits for it; its findings are in *sh. */
static int child(void (*fn)(void *), void *arg)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return tap_wait(pid);
}

struct probe {
	int cmd, type, whence;
	off_t start, len;
};

static void probe_fn(void *arg)
{
	struct probe *p = arg;

	sh->fl = (struct flock){ .l_type = (short)p->type, .l_whence = (short)p->whence,
				 .l_start = p->start, .l_len = p->len };
	errno = 0;
	sh->r = fcntl(fd, p->cmd, &sh->fl);
	sh->err = errno;
	sh->pid_is_parent = sh->fl.l_pid == getppid();
}

/* fcntl(cmd) on fd from a child (another lock owner); the result in *sh. */
static int from_child(int cmd, int type, off_t start, off_t len)
{
	struct probe p = { cmd, type, SEEK_SET, start, len };

	return child(probe_fn, &p);
}

/* What another process's F_GETLK of @type on [start, start + len) finds: F_UNLCK or the lock. */
static int seen(int type, off_t start, off_t len, off_t want_start, off_t want_len)
{
	from_child(F_GETLK, type, start, len);
	if (sh->r)
		return 0;
	if (want_len < 0)		/* nothing in the way */
		return sh->fl.l_type == F_UNLCK;
	return sh->fl.l_whence == SEEK_SET && sh->fl.l_start == want_start &&
	       sh->fl.l_len == want_len;
}

static void posix_basics(void)
{
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0, "F_SETLK: a write lock on [0, 10)");
	from_child(F_GETLK, F_WRLCK, 5, 1);
	ok(sh->r == 0 && sh->fl.l_type == F_WRLCK && sh->fl.l_start == 0 && sh->fl.l_len == 10 &&
	   sh->fl.l_whence == SEEK_SET, "another process's F_GETLK reports it");
	ok(sh->pid_is_parent, "with the owner's pid in l_pid");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	ok(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK, "the owner's own F_GETLK: F_UNLCK");
	from_child(F_SETLK, F_WRLCK, 9, 1);
	ok(sh->r == -1 && sh->err == EAGAIN, "another process's write lock on it: EAGAIN");
	from_child(F_SETLK, F_RDLCK, 0, 1);
	ok(sh->r == -1 && sh->err == EAGAIN, "and its read lock: EAGAIN");
	from_child(F_SETLK, F_WRLCK, 10, 5);
	ok_eq(sh->r, 0, "a child locks the range just after it");
	ok(seen(F_WRLCK, 10, 5, 0, -1), "the child's lock went when it exited");

	ok_eq(set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10), 0, "a read lock on [20, 30)");
	from_child(F_SETLK, F_RDLCK, 20, 10);
	ok_eq(sh->r, 0, "another process shares it");
	from_child(F_SETLK, F_WRLCK, 25, 1);
	ok(sh->r == -1 && sh->err == EAGAIN, "but cannot write-lock it");
	ok(seen(F_RDLCK, 20, 10, 0, -1), "a read lock's F_GETLK finds nothing in the way");
	ok_eq(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0, "F_UNLCK of the whole file");
	ok(seen(F_WRLCK, 0, 0, 0, -1), "nothing is locked after it");
}

static void split_merge(void)
{
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100);
	ok_eq(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20), 0, "unlocking the middle of [0, 100)");
	ok(seen(F_WRLCK, 0, 0, 0, 40), "the lock before the hole: [0, 40)");
	ok(seen(F_WRLCK, 40, 20, 0, -1), "the hole is free");
	ok(seen(F_WRLCK, 45, 0, 60, 40), "the lock after it: [60, 100)");
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20);
	ok(seen(F_WRLCK, 0, 0, 0, 100), "relocking the hole merges the three");
	ok_eq(set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10), 0, "a read lock inside the write lock");
	ok(seen(F_RDLCK, 10, 10, 0, -1), "it is a read lock now: others may read-lock it");
	ok(seen(F_RDLCK, 0, 0, 0, 10), "the write lock before it: [0, 10)");
	ok(seen(F_RDLCK, 15, 0, 20, 80), "and after it: [20, 100)");
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10);
	ok(seen(F_RDLCK, 0, 0, 0, 100), "writing it again makes one lock");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10);
	ok(seen(F_WRLCK, 0, 0, 0, 20), "adjacent locks of one type merge");
	set_lock(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10);
	ok(seen(F_WRLCK, 20, 0, 20, 10), "an adjacent one of the other type stays apart");
	ok(seen(F_WRLCK, 15, 0, 0, 20), "and the first is unchanged");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}

static void whence_len(void)
{
	lseek(fd, 30, SEEK_SET);
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0, 5), 0, "SEEK_CUR: from the position");
	ok(seen(F_WRLCK, 0, 0, 30, 5), "reported as SEEK_SET [30, 35)");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 10), 0, "SEEK_END -10: the last 10 bytes");
	ok(seen(F_WRLCK, 50, 0, 90, 10), "[90, 100)");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 70, -10), 0, "a negative length: before start");
	ok(seen(F_WRLCK, 50, 0, 60, 10), "[60, 70)");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 200, 0), 0, "length 0: to the end, past EOF");
	ok(seen(F_WRLCK, 150, 0, 200, 0), "[200, end) with l_len 0");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}

static void errors(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int ro = open(PATH, O_RDONLY), wo = open(PATH, O_WRONLY);

	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, 7, 0, 1), EINVAL, "an unknown l_whence: EINVAL");
	ok_sys(set_lock(fd, F_SETLK, 5, SEEK_SET, 0, 1), EINVAL, "an unknown l_type: EINVAL");
	ok_sys(set_lock(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL, "F_GETLK of F_UNLCK: EINVAL");
	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL, "a negative start: EINVAL");
	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -20), EINVAL,
	       "a negative length reaching below 0: EINVAL");
	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, INT64_MAX, 2), EOVERFLOW,
	       "a range past the largest offset: EOVERFLOW");
	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, SEEK_END, INT64_MAX, 1), EOVERFLOW,
	       "SEEK_END plus the largest offset: EOVERFLOW");
	ok_sys(set_lock(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF, "a write lock, read-only file: EBADF");
	ok_eq(set_lock(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), 0, "a read lock on it is fine");
	ok_sys(set_lock(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF, "a read lock, write-only file: EBADF");
	ok_eq(set_lock(wo, F_SETLK, F_UNLCK, SEEK_SET, 0, 1), 0, "F_UNLCK needs no access mode");
	ok_sys(fcntl(fd, F_SETLK, (void *)1), EFAULT, "struct flock at a bad address: EFAULT");
	ok_sys(fcntl(999, F_SETLK, &fl), EBADF, "a closed descriptor: EBADF");
	ok_eq(set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 500, 5), 0, "unlocking what is not locked: 0");
#if ABI64
	ok_sys(fcntl(fd, 12, &fl), EINVAL, "command 12 (i386's F_GETLK64) is EINVAL on x86_64");
#endif
	close(ro);
	close(wo);
}

static void close_releases(void)
{
	int dup_fd, other;

	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	dup_fd = dup(fd);
	close(dup_fd);
	ok(seen(F_WRLCK, 0, 0, 0, -1), "closing a duplicate descriptor releases the process's locks");
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	other = open(PATH, O_RDONLY);
	close(other);
	ok(seen(F_WRLCK, 0, 0, 0, -1), "and so does closing another open file of it");
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	ok(seen(F_WRLCK, 0, 0, 0, 10), "a child closing its inherited descriptor leaves them");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}

static void on_alarm(int sig)
{
	(void)sig;
	sh->handled = 1;
}

static void arm_timer(long ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void wait_fn(void *arg)
{
	int restart = arg != NULL;

	if (restart)
		install_handler(SIGALRM, on_alarm, SA_RESTART);
	sh->step = 1;
	if (restart)
		arm_timer(20);
	errno = 0;
	sh->r = set_lock(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
	sh->err = errno;
	sh->pid_is_parent = sh->released;
}

static void intr_fn(void *arg)
{
	int cmd = arg ? F_OFD_SETLKW : F_SETLKW;
	int f = arg ? *(int *)arg : fd;

	install_handler(SIGALRM, on_alarm, 0);
	arm_timer(50);
	errno = 0;
	sh->r = set_lock(f, cmd, F_WRLCK, SEEK_SET, 0, 10);
	sh->err = errno;
}

static void deadlock_fn(void *arg)
{
	(void)arg;
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
	sh->step = 1;
	errno = 0;
	sh->r = set_lock(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
	sh->err = errno;
}

static void waiting(void)
{
	pid_t pid;
	int st;

	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	sh->step = sh->released = 0;
	pid = tap_fork();
	if (pid == 0) {
		wait_fn(NULL);
		_exit(0);
	}
	wait_flag(&sh->step, 1);
	sleep_ms(50);
	sh->released = 1;
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10);
	tap_wait(pid);
	ok(sh->r == 0 && sh->pid_is_parent, "F_SETLKW waits until the lock is released, then has it");

	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	st = child(intr_fn, NULL);
	ok(sh->r == -1 && sh->err == EINTR && st == 0, "a handled signal ends F_SETLKW: EINTR");

	sh->step = sh->released = sh->handled = 0;
	pid = tap_fork();
	if (pid == 0) {
		wait_fn(&pid);
		_exit(sh->handled ? 0 : 1);
	}
	wait_flag(&sh->handled, 1);
	sh->released = 1;
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10);
	ok_exited_with(tap_wait(pid), 0, "an SA_RESTART handler ran during F_SETLKW");
	ok(sh->r == 0 && sh->pid_is_parent, "and the wait went on until the lock was free");

	/* A cycle: whichever of the two waits second is refused. */
	set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	sh->step = 0;
	pid = tap_fork();
	if (pid == 0) {
		deadlock_fn(NULL);
		_exit(0);
	}
	wait_flag(&sh->step, 1);
	sleep_ms(100);
	errno = 0;
	int r = set_lock(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1), err = errno;
	if (r == -1 && err == EDEADLK)
		set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	tap_wait(pid);
	ok((r == -1 && err == EDEADLK && sh->r == 0) ||
	   (r == 0 && sh->r == -1 && sh->err == EDEADLK),
	   "two processes waiting for each other's lock: EDEADLK for one, the lock for the other");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}

static void ofd(void)
{
	int a = open(PATH, O_RDWR), b = open(PATH, O_RDWR), d;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	ok_eq(set_lock(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0, "F_OFD_SETLK on one open file");
	ok_sys(set_lock(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1), EAGAIN,
	       "another open file of the same process: EAGAIN");
	ok(fcntl(b, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_start == 0 &&
	   fl.l_len == 10 && fl.l_pid == -1, "F_OFD_GETLK reports it with l_pid -1");
	ok_sys(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN, "a POSIX lock of the process: EAGAIN");
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET };
	ok(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == -1,
	   "F_GETLK sees the OFD lock");
	d = dup(a);
	close(d);
	ok(set_lock(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1) == -1 && errno == EAGAIN,
	   "closing a duplicate keeps it (the open file lives)");
	struct probe p = { F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 20 };
	int fd_saved = fd;
	fd = a;
	child(probe_fn, &p);
	fd = fd_saved;
	ok_eq(sh->r, 0, "a fork child shares the open file and its lock: extends it");
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
	ok(fcntl(b, F_OFD_GETLK, &fl) == 0 && fl.l_start == 0 && fl.l_len == 20,
	   "the lock outlives the child: [0, 20)");
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1 };
	ok_sys(fcntl(b, F_OFD_SETLK, &fl), EINVAL, "F_OFD_SETLK with l_pid set: EINVAL");
	ok_sys(fcntl(b, F_OFD_GETLK, &fl), EINVAL, "F_OFD_GETLK with l_pid set: EINVAL");
	int st = child(intr_fn, &b);
	ok(sh->r == -1 && sh->err == EINTR && st == 0, "F_OFD_SETLKW ended by a handled signal: EINTR");
	close(a);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
	ok(fcntl(b, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_UNLCK, "closing its open file releases it");
	close(b);
}

static void flock_fn(void *arg)
{
	(void)arg;
	sh->r = flock(fd, LOCK_UN);
}

static void flock_holder(void *arg)
{
	int c = open(PATH, O_RDONLY);

	(void)arg;
	flock(c, LOCK_EX);
	sh->step = 1;
	sleep_ms(50);
	sh->released = 1;
	close(c);
}

static void flocks(void)
{
	int a = open(PATH, O_RDWR), b = open(PATH, O_RDONLY), saved;
	pid_t pid;

	ok_eq(flock(a, LOCK_EX), 0, "flock LOCK_EX");
	ok_sys(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, "another open file's LOCK_EX|LOCK_NB: EWOULDBLOCK");
	ok_sys(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK, "and its LOCK_SH|LOCK_NB");
	ok_eq(flock(a, LOCK_SH), 0, "converted to LOCK_SH");
	ok_eq(flock(b, LOCK_SH | LOCK_NB), 0, "two shared locks");
	ok_sys(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK, "converting one to LOCK_EX: EWOULDBLOCK");
	ok_eq(flock(b, LOCK_EX | LOCK_NB), 0, "the failed conversion left no lock");
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0, "record locks do not meet flock locks");
	ok(seen(F_RDLCK, 0, 0, 0, 0), "the record lock is there beside the flock lock");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ok_sys(flock(a, 0), EINVAL, "flock(0): EINVAL");
	ok_sys(flock(a, LOCK_SH | LOCK_EX), EINVAL, "LOCK_SH|LOCK_EX: EINVAL");
	ok_sys(flock(999, LOCK_SH), EBADF, "a closed descriptor: EBADF");
	ok_eq(flock(b, LOCK_UN), 0, "LOCK_UN");
	ok_eq(flock(a, LOCK_EX), 0, "LOCK_EX again");
	saved = fd;
	fd = a;
	child(flock_fn, NULL);
	fd = saved;
	ok(sh->r == 0 && flock(b, LOCK_EX | LOCK_NB) == 0,
	   "a fork child's LOCK_UN releases the shared open file's lock");
	close(b);
	ok_eq(flock(a, LOCK_EX | LOCK_NB), 0, "closing the last descriptor of an open file releases its lock");
	b = open(PATH, O_RDONLY);
	install_handler(SIGALRM, on_alarm, 0);
	arm_timer(50);
	ok_sys(flock(b, LOCK_SH), EINTR, "a waiting flock ended by a handled signal: EINTR");
	flock(a, LOCK_UN);
	sh->step = sh->released = 0;
	pid = tap_fork();
	if (pid == 0) {
		flock_holder(NULL);
		_exit(0);
	}
	wait_flag(&sh->step, 1);
	ok(flock(b, LOCK_SH) == 0 && sh->released, "a waiting flock gets the lock once it is free");
	tap_wait(pid);
	close(a);
	close(b);
}

#if !ABI64
/* i386's struct flock of fcntl (55) and fcntl64's 32-bit commands. */
struct flock32 {
	short l_type, l_whence;
	int32_t l_start, l_len, l_pid;
};
#define NR_fcntl	55
#define NR_fcntl64	221
#define F_GETLK32	5
#define F_SETLK32	6
#define F_GETLK64_	12

static void flock32_fn(void *arg)
{
	struct flock32 *l = arg;

	errno = 0;
	sh->r = (int)syscall(NR_fcntl, fd, F_GETLK32, l);
	sh->err = errno;
	sh->fl.l_type = l->l_type;
	sh->fl.l_start = l->l_start;
	sh->fl.l_len = l->l_len;
}

static void layouts(void)
{
	struct flock32 l = { F_WRLCK, SEEK_SET, 0, 10, 0 };

	ok_eq(syscall(NR_fcntl, fd, F_SETLK32, &l), 0, "fcntl F_SETLK with the 32-bit struct flock");
	l = (struct flock32){ F_WRLCK, SEEK_SET, 0, 0, 0 };
	child(flock32_fn, &l);
	ok(sh->r == 0 && sh->fl.l_type == F_WRLCK && sh->fl.l_start == 0 && sh->fl.l_len == 10,
	   "fcntl F_GETLK reports it in the 32-bit struct flock");
	ok(seen(F_WRLCK, 0, 0, 0, 10), "fcntl64 F_GETLK64 sees it in struct flock64");
	l = (struct flock32){ F_WRLCK, SEEK_SET, 0, 0, 0 };
	ok_sys(syscall(NR_fcntl, fd, F_GETLK64_, &l), EINVAL, "fcntl (not fcntl64) with F_GETLK64: EINVAL");
	ok_sys(syscall(NR_fcntl, fd, F_OFD_SETLK, &l), EINVAL, "fcntl with F_OFD_SETLK: EINVAL");
	l = (struct flock32){ F_WRLCK, SEEK_SET, 0, 0, 0 };
	ok_sys(syscall(NR_fcntl, fd, F_OFD_GETLK, &l), EINVAL, "fcntl with F_OFD_GETLK: EINVAL");
	l = (struct flock32){ F_WRLCK, SEEK_SET, 0, 0, 0 };
	ok(syscall(NR_fcntl64, fd, F_GETLK32, &l) == 0 && l.l_type == F_UNLCK,
	   "fcntl64 F_GETLK takes the 32-bit struct flock too");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ok_eq(set_lock(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x80000000ll, 10), 0,
	      "fcntl64 F_SETLK64: a lock past 2 GiB");
	l = (struct flock32){ F_WRLCK, SEEK_SET, 0, 0, 0 };
	child(flock32_fn, &l);
	ok(sh->r == -1 && sh->err == EOVERFLOW, "reported in the 32-bit struct flock: EOVERFLOW");
	ok(seen(F_WRLCK, 0, 0, 0x80000000ll, 10), "in struct flock64 it fits");
	set_lock(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}
#endif

/* The checks, in a child of main() (see there); its TAP counts go back through *sh. */
static void all_checks(void)
{
	char data[100];

	mkdir("/tmp", 01777);		/* if missing */
	fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(data, 'x', sizeof(data));
	if (!ok(fd >= 0 && write(fd, data, sizeof(data)) == sizeof(data), "a 100-byte file under /tmp"))
		return;
	posix_basics();
	split_merge();
	whence_len();
	errors();
	close_releases();
	waiting();
	ofd();
	flocks();
#if !ABI64
	layouts();
#endif
	close(fd);
	unlink(PATH);
}

/*
 * The checks run in a child, so that what a process keeps once it has it
 * (its stack, page tables) goes too: memcore's free frames are exactly
 * back after it is reaped, every lock object and the file freed.
 */
int main(void)
{
	long before;
	pid_t pid;
	int st;

	sh = map_shared(sizeof(*sh));
	memset(sh, 0, sizeof(*sh));
	before = syscall(MEMCORE_SYS_free_frames);
	pid = tap_fork();
	if (pid == 0) {
		all_checks();
		sh->r = tap_count;
		sh->err = tap_failed;
		_exit(0);
	}
	st = tap_wait(pid);
	tap_count = sh->r;
	tap_failed = sh->err;
	ok_exited_with(st, 0, "the checking process ended");
	if (before >= 0)
		ok_eq(syscall(MEMCORE_SYS_free_frames), before, "every frame is free again (locks freed)");
	else
		ok(1, "every frame is free again (locks freed)");
	return done_testing();
}
