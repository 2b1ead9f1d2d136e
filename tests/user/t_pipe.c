/*
 * t_pipe: pipe() and pipe2() as Linux 6.1 has them:
 * - errors: flags other than O_CLOEXEC, O_NONBLOCK, O_DIRECT EINVAL,
 *   O_NOTIFICATION_PIPE (O_EXCL) ENOPKG (no watch queues), an unwritable
 *   array EFAULT and RLIMIT_NOFILE's EMFILE with no descriptor left behind;
 * - the ends: F_GETFL O_RDONLY and O_WRONLY (O_NONBLOCK, and O_DIRECT on
 *   the write end, as asked), FD_CLOEXEC, fstat a FIFO (mode 010600, one
 *   inode for both ends), lseek/pread/pwrite ESPIPE, the wrong end EBADF;
 * - F_GETPIPE_SZ/F_SETPIPE_SZ: 65536 at first, rounded up to a power of
 *   two pages, EINVAL past 2 GiB, EBUSY below what it holds, EBADF on a file;
 * - FIONREAD, sendfile into a pipe; mmap, fallocate, ftruncate, fsync,
 *   getdents64, fadvise, sendfile from a pipe refused as Linux refuses them;
 * - O_NONBLOCK (pipe2 and F_SETFL): EAGAIN when empty or full, full at 16
 *   pages, a write that does not fit in a free page waits whole;
 * - poll: POLLIN with data, POLLOUT with a free page, POLLHUP on the read
 *   end with no writer, POLLERR on the write end with no reader;
 * - no reader: SIGPIPE kills the writer; ignored or blocked, EPIPE (and
 *   the blocked one stays pending); an empty write is 0;
 * - packet mode (O_DIRECT): a read takes one write, dropping the rest;
 * - readv/writev; 8 MiB between two processes in odd-sized pieces with a
 *   checksum; writes of PIPE_BUF and less from two writers never
 *   interleaved; end of file only when every write end (fork, dup, dup2) is
 *   closed; a blocked reader woken by its writer's exit, or its death by
 *   SIGKILL; a blocked writer woken by its reader's exit (EPIPE);
 *   a blocked read ended by a handler (EINTR) or restarted (SA_RESTART);
 *   close-on-exec across execve; every frame back at the end (memcore).
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "memcore/syscall.h"

#define PIPE_DEF_SIZE	65536
#define O_NOTIFY_PIPE	O_EXCL		/* Linux's O_NOTIFICATION_PIPE */
#define BIG		(8u << 20)
#define BAD_PTR		((void *)8)

static const char *self;

static long raw_pipe(void *fds)
{
#ifdef SYS_pipe
	return syscall(SYS_pipe, fds);
#else
	return syscall(SYS_pipe2, fds, 0);
#endif
}

/* The lowest free descriptor now (found with dup, given back at once). */
static int lowest_free(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* In a child: with room for one more descriptor only, pipe is EMFILE and takes none. */
static void emfile_child(void *arg)
{
	struct rlimit rl;
	int p[2], low = lowest_free();

	(void)arg;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = (rlim_t)low + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		_exit(1);
	if (pipe(p) != -1 || errno != EMFILE)
		_exit(2);
	if (lowest_free() != low)
		_exit(3);
	rl.rlim_cur = (rlim_t)low + 2;
	setrlimit(RLIMIT_NOFILE, &rl);
	_exit(pipe(p) == 0 && p[0] == low ? 0 : 4);
}

static void check_errors(void)
{
	int p[2] = { -1, -1 }, low = lowest_free();

	ok_sys(pipe2(p, O_APPEND), EINVAL, "pipe2 with O_APPEND: EINVAL");
	ok_sys(pipe2(p, O_RDWR), EINVAL, "pipe2 with O_RDWR: EINVAL");
	ok_sys(pipe2(p, O_NOTIFY_PIPE), ENOPKG, "pipe2 with O_NOTIFICATION_PIPE: ENOPKG");
	ok_sys(raw_pipe(BAD_PTR), EFAULT, "pipe with an unwritable array: EFAULT");
	ok_eq(lowest_free(), low, "no descriptor left behind by the EFAULT");
	ok_sys(syscall(SYS_pipe2, BAD_PTR, 0), EFAULT, "pipe2 with an unwritable array: EFAULT");
	ok_sys(syscall(SYS_pipe2, BAD_PTR, O_APPEND), EINVAL, "pipe2: the flags before the array");
	ok_eq(lowest_free(), low, "still no descriptor left behind");
	ok_exited_with(run_in_child(emfile_child, NULL), 0,
		       "one descriptor below RLIMIT_NOFILE: EMFILE, none taken; two: a pipe");
}

static void check_ends(void)
{
	int p[2], q[2];
	struct stat a, b, c;
	char buf[8];

	ok_eq(pipe(p), 0, "pipe");
	ok_eq(p[1], p[0] + 1, "the two lowest free descriptors, read end first");
	ok_eq(fcntl(p[0], F_GETFL), O_RDONLY, "read end: O_RDONLY");
	ok_eq(fcntl(p[1], F_GETFL), O_WRONLY, "write end: O_WRONLY");
	ok_eq(fcntl(p[0], F_GETFD), 0, "no close-on-exec by default");
	ok(fstat(p[0], &a) == 0 && fstat(p[1], &b) == 0, "fstat both ends");
	ok_eq(a.st_mode, S_IFIFO | 0600, "a FIFO, rw-------");
	ok_eq(a.st_nlink, 1, "one link");
	ok_eq(a.st_size, 0, "size 0");
	ok_eq(a.st_blksize, 4096, "block size a page");
	ok(a.st_ino == b.st_ino, "one inode for both ends");
	ok_eq(pipe(q), 0, "another pipe");
	ok(fstat(q[0], &c) == 0 && c.st_ino != a.st_ino, "another inode");
	close_pair(q);
	ok_sys(lseek(p[0], 0, SEEK_CUR), ESPIPE, "lseek: ESPIPE");
	ok_sys(pread(p[0], buf, 1, 0), ESPIPE, "pread: ESPIPE");
	ok_sys(pwrite(p[1], buf, 1, 0), ESPIPE, "pwrite: ESPIPE");
	ok_sys(read(p[1], buf, 1), EBADF, "read of the write end: EBADF");
	ok_sys(write(p[0], buf, 1), EBADF, "write to the read end: EBADF");
	ok_eq(write(p[1], "hello", 5), 5, "write 5 bytes");
	ok_eq(read(p[0], buf, 0), 0, "a read of 0 bytes: 0");
	ok_eq(read(p[0], buf, 3), 3, "read 3");
	ok_eq(read(p[0], buf + 3, 8), 2, "read the other 2: what is there");
	ok(memcmp(buf, "hello", 5) == 0, "the bytes as written");
	close_pair(p);

	ok_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0, "pipe2(O_NONBLOCK | O_CLOEXEC)");
	ok_eq(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK, "read end: O_NONBLOCK");
	ok_eq(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK, "write end: O_NONBLOCK");
	ok(fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC,
	   "both close-on-exec");
	close_pair(p);
}

static void check_vectors(void)
{
	char a[3], b[5], out[8] = { 0 };
	struct iovec w[3] = { { "ab", 2 }, { "", 0 }, { "cdefg", 5 } };
	struct iovec r[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int p[2];

	ok_eq(pipe(p), 0, "pipe for readv/writev");
	ok_eq(writev(p[1], w, 3), 7, "writev of three buffers: 7 bytes");
	ok_eq(readv(p[0], r, 2), 7, "readv of 3 + 5 bytes: the 7 there, without waiting");
	memcpy(out, a, 3);
	memcpy(out + 3, b, 4);
	ok(memcmp(out, "abcdefg", 7) == 0, "readv scattered the bytes in order");
	close_pair(p);
}

static void check_size(void)
{
	char page[4096] = { 0 };
	int p[2], fd;

	ok_eq(pipe(p), 0, "pipe for the size commands");
	ok_eq(fcntl(p[0], F_GETPIPE_SZ), PIPE_DEF_SIZE, "F_GETPIPE_SZ: 65536");
	ok_eq(fcntl(p[0], F_SETPIPE_SZ, 0), 4096, "F_SETPIPE_SZ 0: a page");
	ok_eq(fcntl(p[1], F_GETPIPE_SZ), 4096, "the other end sees it");
	ok_eq(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192, "5000: rounded up to 8192");
	ok_eq(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096), 16384, "3 pages: 4");
	ok_eq(fcntl(p[1], F_SETPIPE_SZ, (1 << 20) + 1), 2 << 20, "1 MiB + 1: 2 MiB (as root)");
	ok_sys(fcntl(p[1], F_SETPIPE_SZ, (1u << 31) + 1), EINVAL, "past 2 GiB: EINVAL");
	ok_sys(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL, "-1: EINVAL");
	ok_eq(fcntl(p[1], F_SETPIPE_SZ, PIPE_DEF_SIZE), PIPE_DEF_SIZE, "back to 65536");
	for (int i = 0; i < 3; i++)
		write(p[1], page, sizeof(page));
	ok_sys(fcntl(p[1], F_SETPIPE_SZ, 8192), EBUSY, "2 pages while it holds 3: EBUSY");
	ok_eq(fcntl(p[1], F_SETPIPE_SZ, 16384), 16384, "4 pages while it holds 3");
	ok_eq(read(p[0], page, sizeof(page)), 4096, "its data kept across the change");
	close_pair(p);
	fd = open(self, O_RDONLY);
	ok_sys(fcntl(fd, F_GETPIPE_SZ), EBADF, "F_GETPIPE_SZ on a file: EBADF");
	ok_sys(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF, "F_SETPIPE_SZ on a file: EBADF");
	close(fd);
}

/* The calls a pipe has no use for, as Linux answers them; FIONREAD and sendfile into a pipe. */
static void check_other_calls(void)
{
	char buf[64], want[64];
	int p[2], q[2], n = -1, fd;

	ok_eq(pipe(p), 0, "pipe for the other calls");
	write(p[1], "hello", 5);
	ok(ioctl(p[0], FIONREAD, &n) == 0 && n == 5, "FIONREAD on the read end: 5");
	n = -1;
	ok(ioctl(p[1], FIONREAD, &n) == 0 && n == 5, "FIONREAD on the write end: 5");
	ok_sys(ioctl(p[0], TCGETS, buf), ENOTTY, "another ioctl: ENOTTY");
	ok_sys((long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, p[0], 0), ENODEV, "mmap: ENODEV");
	ok_sys(fallocate(p[1], 0, 0, 10), ESPIPE, "fallocate: ESPIPE");
	ok_sys(ftruncate(p[1], 0), EINVAL, "ftruncate: EINVAL");
	ok_sys(fsync(p[1]), EINVAL, "fsync: EINVAL");
	ok_sys(syscall(SYS_getdents64, p[0], buf, sizeof(buf)), ENOTDIR, "getdents64: ENOTDIR");
	ok_eq(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE, "fadvise: ESPIPE");
	ok_eq(read(p[0], buf, sizeof(buf)), 5, "the bytes are still there");
	fd = open(self, O_RDONLY);
	ok_eq(sendfile(p[1], fd, NULL, 40), 40, "sendfile from a file into the pipe");
	ok(read(p[0], buf, sizeof(buf)) == 40 && pread(fd, want, 40, 0) == 40 &&
	   memcmp(buf, want, 40) == 0, "the file's first 40 bytes came out");
	ok_eq(pipe(q), 0, "a second pipe");
	ok_sys(sendfile(q[1], p[0], NULL, 10), EINVAL, "sendfile from a pipe: EINVAL");
	close(fd);
	close_pair(q);
	close_pair(p);
}

static short revents(int fd, short events)
{
	struct pollfd pf = { fd, events, 0 };

	return poll(&pf, 1, 0) < 0 ? -1 : pf.revents;
}

static void check_nonblocking(void)
{
	static char buf[8192];
	int p[2], e[2];
	long total = 0, r;

	ok_eq(pipe(p), 0, "pipe for O_NONBLOCK");
	ok_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0, "F_SETFL O_NONBLOCK on the write end");
	memset(buf, 1, sizeof(buf));
	while ((r = write(p[1], buf, 4096)) > 0)
		total += r;
	ok(r == -1 && errno == EAGAIN, "full: EAGAIN");
	ok_eq(total, PIPE_DEF_SIZE, "full at 65536 bytes");
	ok_eq(revents(p[1], POLLIN | POLLOUT), 0, "full: not POLLOUT");
	ok_eq(read(p[0], buf, 100), 100, "read 100");
	ok_eq(revents(p[1], POLLOUT), 0, "100 bytes free: still not POLLOUT (no free page)");
	ok_sys(write(p[1], buf, 50), EAGAIN, "50 bytes: EAGAIN, no page has room at its end");
	ok_eq(read(p[0], buf, 5000), 5000, "read 5000 more");
	ok_eq(revents(p[1], POLLOUT), POLLOUT, "a free page: POLLOUT");
	ok_eq(write(p[1], buf, 8192), 4096, "8192 bytes: the page that is free");
	ok_eq(write(p[1], buf, 0), 0, "0 bytes to a full pipe: 0");
	close_pair(p);
	ok_eq(pipe2(e, O_NONBLOCK), 0, "pipe2(O_NONBLOCK)");
	ok_sys(read(e[0], buf, 10), EAGAIN, "empty: EAGAIN");
	ok_eq(read(e[0], buf, 0), 0, "empty, 0 bytes: 0");
	close(e[1]);
	ok_eq(read(e[0], buf, 10), 0, "empty with no writer: 0, not EAGAIN");
	close(e[0]);
}

static void check_poll(void)
{
	int p[2], q[2];
	char c;

	ok_eq(pipe(p), 0, "pipe for poll");
	ok_eq(revents(p[0], POLLIN | POLLOUT), 0, "empty read end: nothing");
	ok_eq(revents(p[1], POLLIN | POLLOUT), POLLOUT, "empty write end: POLLOUT");
	write(p[1], "x", 1);
	ok_eq(revents(p[0], POLLIN | POLLOUT), POLLIN, "data: POLLIN");
	ok_eq(revents(p[0], POLLRDNORM), POLLRDNORM, "data: POLLRDNORM when asked");
	close(p[1]);
	ok_eq(revents(p[0], POLLIN), POLLIN | POLLHUP, "data, no writer: POLLIN | POLLHUP");
	read(p[0], &c, 1);
	ok_eq(revents(p[0], POLLIN), POLLHUP, "no writer: POLLHUP");
	ok_eq(revents(p[0], 0), POLLHUP, "POLLHUP even when not asked");
	close(p[0]);
	ok_eq(pipe(q), 0, "another pipe");
	close(q[0]);
	ok_eq(revents(q[1], POLLIN | POLLOUT), POLLOUT | POLLERR, "no reader: POLLOUT | POLLERR");
	ok_eq(revents(q[1], 0), POLLERR, "POLLERR even when not asked");
	close(q[1]);
}

/* A child writing to a pipe with no reader: its wait status. */
static int write_unread(int how)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		int p[2];
		sigset_t set;

		pipe(p);
		close(p[0]);
		if (how == 1)
			signal(SIGPIPE, SIG_IGN);
		if (how == 2) {
			sigemptyset(&set);
			sigaddset(&set, SIGPIPE);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
		if (write(p[1], "", 0) != 0)
			_exit(10);
		if (write(p[1], "x", 1) != -1 || errno != EPIPE)
			_exit(11);
		if (how == 2 && (sigpending(&set) || !sigismember(&set, SIGPIPE)))
			_exit(12);
		_exit(0);
	}
	return tap_wait(pid);
}

static void check_epipe(void)
{
	ok_killed_by(write_unread(0), SIGPIPE, "no reader: SIGPIPE kills the writer");
	ok_exited_with(write_unread(1), 0, "SIGPIPE ignored: EPIPE; an empty write 0");
	ok_exited_with(write_unread(2), 0, "SIGPIPE blocked: EPIPE, and SIGPIPE pending");
}

static void check_packets(void)
{
	char buf[8192];
	int p[2];

	ok_eq(pipe2(p, O_DIRECT), 0, "pipe2(O_DIRECT): packet mode");
	ok_eq(fcntl(p[0], F_GETFL), O_RDONLY, "read end: no O_DIRECT");
	ok_eq(fcntl(p[1], F_GETFL), O_WRONLY | O_DIRECT, "write end: O_DIRECT");
	write(p[1], "abc", 3);
	write(p[1], "defg", 4);
	ok_eq(read(p[0], buf, 2), 2, "a read of 2 takes 2 of the first packet");
	ok_eq(read(p[0], buf, 100), 4, "the rest of it is gone: the next read gets the second");
	ok(memcmp(buf, "defg", 4) == 0, "the second packet's bytes");
	memset(buf, 'x', 6000);
	ok_eq(write(p[1], buf, 6000), 6000, "a write of 6000");
	ok_eq(read(p[0], buf, sizeof(buf)), 4096, "comes out as a page-sized packet");
	ok_eq(read(p[0], buf, sizeof(buf)), 1904, "and the rest");
	close_pair(p);
}

static uint32_t sum_step(uint32_t s, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

/* Writes BIG patterned bytes to @fd in pieces of odd sizes; exits 0 if all went. */
static void big_writer(int fd)
{
	static unsigned char buf[70000];
	size_t sent = 0, piece = 1;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + i / 251);
	while (sent < BIG) {
		size_t n = piece < BIG - sent ? piece : BIG - sent;
		ssize_t w = write(fd, buf + sent % 4096, n);

		if (w <= 0)
			_exit(1);
		sent += (size_t)w;
		piece = piece * 3 % 65521 + 1;
	}
	_exit(0);
}

static void check_transfer(void)
{
	static unsigned char buf[70000], ref[70000];
	uint32_t got = 0, want = 0;
	size_t total = 0, piece = 5;
	int p[2];
	pid_t pid;

	for (size_t i = 0; i < sizeof(ref); i++)
		ref[i] = (unsigned char)(i * 7 + i / 251);
	ok_eq(pipe(p), 0, "pipe for 8 MiB between processes");
	pid = tap_fork();
	if (pid == 0) {
		close(p[0]);
		big_writer(p[1]);
	}
	close(p[1]);
	for (size_t w = 0, s = 1; w < BIG; s = s * 3 % 65521 + 1) {	/* the writer's pieces */
		size_t n = s < BIG - w ? s : BIG - w;
		want = sum_step(want, ref + w % 4096, n);
		w += n;
	}
	for (;;) {
		ssize_t r = read(p[0], buf, piece);

		if (r <= 0)
			break;
		got = sum_step(got, buf, (size_t)r);
		total += (size_t)r;
		piece = piece * 5 % 69997 + 1;
	}
	ok_eq(total, BIG, "every byte arrived, then end of file");
	ok(got == want, "the checksum matches");
	ok_exited_with(tap_wait(pid), 0, "the writer wrote it all");
	close(p[0]);
}

/* Two writers of @rec-byte records (their own byte each): no record is split by the other's. */
static void check_atomic(size_t rec)
{
	static unsigned char buf[4096 * 3];
	size_t n = 0, bad = 0, count[2] = { 0, 0 };
	pid_t pid[2];
	int p[2];

	ok_eq(pipe(p), 0, "pipe for two writers of %zu-byte records", rec);
	for (int k = 0; k < 2; k++) {
		pid[k] = tap_fork();
		if (pid[k] == 0) {
			memset(buf, 'a' + k, rec);
			close(p[0]);
			for (int i = 0; i < 400; i++)
				if (write(p[1], buf, rec) != (ssize_t)rec)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], buf + n, sizeof(buf) - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		for (; n >= rec; n -= rec) {
			for (size_t i = 1; i < rec; i++)
				bad += buf[i] != buf[0];
			count[buf[0] == 'b']++;
			memmove(buf, buf + rec, n - rec);
		}
	}
	ok(bad == 0 && n == 0, "%zu-byte records arrive whole", rec);
	ok(count[0] == 400 && count[1] == 400, "400 records from each");
	ok_exited_with(tap_wait(pid[0]), 0, "writer 1 done");
	ok_exited_with(tap_wait(pid[1]), 0, "writer 2 done");
	close(p[0]);
}

/* A child that sleeps @ms, then exits (closing its ends). */
static pid_t sleeper(int ms)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		sleep_ms(ms);
		_exit(0);
	}
	return pid;
}

static void check_eof_and_sharing(void)
{
	int p[2], d;
	char c;
	pid_t pid;

	ok_eq(pipe(p), 0, "pipe for sharing");
	d = dup(p[1]);
	close(p[1]);
	write(d, "y", 1);
	ok_eq(read(p[0], &c, 1), 1, "a dup of the write end writes to the same pipe");
	ok_eq(dup2(d, 40), 40, "dup2 of the write end");
	close(40);
	ok_eq(revents(p[0], POLLIN), 0, "closing the dup2 copy leaves a writer: no POLLHUP");
	pid = sleeper(50);		/* holds the write end (d) until it exits */
	close(d);
	ok_eq(read(p[0], &c, 1), 0, "end of file once the forked child's write end went too");
	ok_exited_with(tap_wait(pid), 0, "the child ended");
	close(p[0]);
}

static void check_wakeups(void)
{
	char buf[4096];
	int p[2], st;
	pid_t pid, killer;

	ok_eq(pipe(p), 0, "pipe for a writer that is killed");
	pid = tap_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	close(p[1]);
	killer = tap_fork();
	if (killer == 0) {
		sleep_ms(50);
		kill(pid, SIGKILL);
		_exit(0);
	}
	ok_eq(read(p[0], buf, 1), 0, "a blocked read wakes with end of file when the writer is killed");
	st = tap_wait(pid);
	ok_killed_by(st, SIGKILL, "the writer was killed");
	tap_wait(killer);
	close(p[0]);

	ok_eq(pipe(p), 0, "pipe for a reader that exits");
	pid = tap_fork();
	if (pid == 0) {
		close(p[1]);
		sleep_ms(50);
		_exit(0);
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	memset(buf, 0, sizeof(buf));
	long r = 0;
	for (int i = 0; i < 17 && r >= 0; i++)	/* the 17th page blocks until the reader is gone */
		r = write(p[1], buf, sizeof(buf));
	ok(r == -1 && errno == EPIPE, "a blocked write wakes with EPIPE when the reader exits");
	signal(SIGPIPE, SIG_DFL);
	tap_wait(pid);
	close(p[1]);
}

static volatile int handled;

static void on_alarm(int sig)
{
	(void)sig;
	handled++;
}

/* A read blocked until a handler runs after 20 ms and data comes after 100. */
static long interrupted_read(int flags, int *got)
{
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	int p[2];
	char c = 0;
	long r;
	pid_t pid;

	pipe(p);
	pid = tap_fork();
	if (pid == 0) {
		sleep_ms(100);
		write(p[1], "z", 1);
		_exit(0);
	}
	install_handler(SIGALRM, on_alarm, flags);
	handled = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	r = read(p[0], &c, 1);
	*got = c;
	tap_wait(pid);
	signal(SIGALRM, SIG_DFL);
	close_pair(p);
	return r;
}

static void check_signals(void)
{
	int c;

	ok_sys(interrupted_read(0, &c), EINTR, "a handler ends a blocked read: EINTR");
	ok_eq(handled, 1, "the handler ran");
	ok_eq(interrupted_read(SA_RESTART, &c), 1, "with SA_RESTART the read restarts and gets the data");
	ok(handled == 1 && c == 'z', "the handler ran, the byte came");
}

/* The exec'd program: @argv[2] closed on exec, @argv[3] the write end kept. */
static int exec_child(char **argv)
{
	int gone = atoi(argv[2]), kept = atoi(argv[3]);

	if (fcntl(gone, F_GETFD) != -1 || errno != EBADF)
		return 1;
	return write(kept, "e", 1) == 1 ? 0 : 2;
}

static void check_exec(void)
{
	int p[2], q[2];
	char a[16], b[16], c = 0;
	pid_t pid;

	ok_eq(pipe2(q, O_CLOEXEC), 0, "a close-on-exec pipe");
	ok_eq(pipe(p), 0, "and one kept across exec");
	snprintf(a, sizeof(a), "%d", q[1]);
	snprintf(b, sizeof(b), "%d", p[1]);
	pid = tap_fork();
	if (pid == 0) {
		char *av[] = { (char *)self, "exec", a, b, NULL };
		execv(self, av);
		_exit(3);
	}
	close(p[1]);
	close(q[1]);
	ok_eq(read(p[0], &c, 1), 1, "the exec'd program wrote to the kept end");
	ok_eq(read(q[0], &c, 1), 0, "the close-on-exec pipe has no writer left");
	ok_exited_with(tap_wait(pid), 0, "the close-on-exec end was closed by execve");
	close(p[0]);
	close(q[0]);
}

static void all_checks(void)
{
	check_errors();
	check_ends();
	check_vectors();
	check_size();
	check_other_calls();
	check_nonblocking();
	check_poll();
	check_epipe();
	check_packets();
	check_transfer();
	check_atomic(512);
	check_atomic(4096);
	check_eof_and_sharing();
	check_wakeups();
	check_signals();
	check_exec();
}

int main(int argc, char **argv)
{
	static struct { int count, failed; } *sh;
	long before;
	pid_t pid;

	self = argv[0];
	if (argc == 4 && strcmp(argv[1], "exec") == 0)
		return exec_child(argv);
	sh = map_shared(PAGE);
	sh->count = -1;			/* its frame and page tables, before the count */
	before = syscall(MEMCORE_SYS_free_frames);
	pid = tap_fork();
	if (pid == 0) {
		all_checks();
		fflush(stdout);
		sh->count = tap_count;
		sh->failed = tap_failed;
		_exit(0);
	}
	int st = tap_wait(pid);
	if (sh->count >= 0) {
		tap_count = sh->count;
		tap_failed = sh->failed;
	}
	ok_exited_with(st, 0, "the checking process ended");
	if (before >= 0)
		ok_eq(syscall(MEMCORE_SYS_free_frames), before, "every frame is free again (pipes freed)");
	else
		ok(1, "every frame is free again (pipes freed)");
	return done_testing();
}
