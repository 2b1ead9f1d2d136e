/*
 * t_oldcalls: the older forms of calls that i386 keeps beside the ones musl
 * uses, made through syscall() and checked against musl's own: the stat
 * calls before stat64 (struct stat, 106-108, and __old_kernel_stat, 18,
 * 28, 84, with EOVERFLOW for what does not fit), clock_gettime and
 * clock_getres with a 32-bit timespec, gettimeofday, time, readahead and
 * sync_file_range with 64-bit values in two registers, and vm86 (not
 * provided: ENOSYS, as on Debian's 686-pae kernel). On x86_64 the same
 * checks use its numbers (stat, clock_getres, gettimeofday, time,
 * readahead, sync_file_range); the i386-only ones are skipped.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define PATH	"/tmp/t_oldcalls"
#define DIR	"/tmp"
#define GIB	(1LL << 30)
#define ON_I386	(sizeof(long) == 4)
#define NS	1000000000LL

/* Linux's numbers (musl names some of the i386 ones differently). */
#ifdef __i386__
#define NR_time			13
#define NR_oldstat		18
#define NR_oldfstat		28
#define NR_gettimeofday		78
#define NR_oldlstat		84
#define NR_stat			106
#define NR_lstat		107
#define NR_fstat		108
#define NR_vm86old		113
#define NR_vm86			166
#define NR_readahead		225
#define NR_clock_gettime32	265
#define NR_clock_getres32	266
#define NR_sync_file_range	314
#define NR_clock_getres		406	/* clock_getres_time64 */
#else
#define NR_gettimeofday		96
#define NR_readahead		187
#define NR_time			201
#define NR_clock_getres		229
#define NR_sync_file_range	277
#define NR_clock_gettime32	(-1)	/* none: the checks that use them are i386's */
#define NR_clock_getres32	(-1)
#endif

/* i386's struct stat (106-108) and struct __old_kernel_stat (18, 28, 84). */
struct stat32 {
	uint32_t dev, ino;
	uint16_t mode, nlink, uid, gid;
	uint32_t rdev, size, blksize, blocks;
	uint32_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	uint32_t unused[2];
};

struct old_stat32 {
	uint16_t dev, ino, mode, nlink, uid, gid, rdev, pad;
	uint32_t size, atime, mtime, ctime;
};

/* A struct stat call (stat, lstat by name; fstat) into @st: 0 or -1. */
static long stat32_call(int which, const char *path, int fd, struct stat32 *st)
{
#ifdef __i386__
	static const long nr[] = { NR_stat, NR_lstat, NR_fstat };
	return which == 2 ? syscall(nr[2], fd, st) : syscall(nr[which], path, st);
#else
	(void)which, (void)path, (void)fd, (void)st;
	errno = ENOSYS;
	return -1;
#endif
}

static long old_stat_call(int which, const char *path, int fd, struct old_stat32 *st)
{
#ifdef __i386__
	static const long nr[] = { NR_oldstat, NR_oldlstat, NR_oldfstat };
	return which == 2 ? syscall(nr[2], fd, st) : syscall(nr[which], path, st);
#else
	(void)which, (void)path, (void)fd, (void)st;
	errno = ENOSYS;
	return -1;
#endif
}

static const char *const stat_names[] = { "stat", "lstat", "fstat" };

/* Every field of @st against musl's stat64 of the same file. */
static int stat32_matches(const struct stat32 *st, const struct stat *sx)
{
	return st->dev == (uint32_t)sx->st_dev && st->ino == sx->st_ino &&
	       st->mode == sx->st_mode && st->nlink == sx->st_nlink && st->uid == sx->st_uid &&
	       st->gid == sx->st_gid && st->rdev == (uint32_t)sx->st_rdev &&
	       st->size == sx->st_size && st->blksize == (uint32_t)sx->st_blksize &&
	       st->blocks == (uint32_t)sx->st_blocks && st->mtime == (uint32_t)sx->st_mtime &&
	       st->mtime_ns == (uint32_t)sx->st_mtim.tv_nsec && st->ctime == (uint32_t)sx->st_ctime;
}

static int old_stat_matches(const struct old_stat32 *st, const struct stat *sx)
{
	return st->ino == sx->st_ino && st->mode == sx->st_mode && st->nlink == sx->st_nlink &&
	       st->uid == sx->st_uid && st->gid == sx->st_gid && st->size == sx->st_size &&
	       st->mtime == (uint32_t)sx->st_mtime && st->ctime == (uint32_t)sx->st_ctime;
}

static void stat_calls(int fd)
{
	struct stat sx;
	struct stat32 st;
	struct old_stat32 ost;

	if (!ON_I386) {
		tap_skip("struct stat calls (106-108)", "i386 only");
		tap_skip("__old_kernel_stat calls (18, 28, 84)", "i386 only");
		return;
	}
	ok_eq(ftruncate(fd, 12345), 0, "the file is 12345 bytes");
	ok_eq(fstat(fd, &sx), 0, "musl's fstat");
	for (int w = 0; w < 3; w++) {
		memset(&st, 0xa5, sizeof(st));
		ok(stat32_call(w, PATH, fd, &st) == 0 && stat32_matches(&st, &sx),
		   "%s (struct stat) matches stat64", stat_names[w]);
		/* an inode number past 16 bits does not fit the old structure */
		memset(&ost, 0xa5, sizeof(ost));
		long r = old_stat_call(w, PATH, fd, &ost);
		ok(sx.st_ino > 0xffff ? r == -1 && errno == EOVERFLOW :
					r == 0 && old_stat_matches(&ost, &sx),
		   "old %s (__old_kernel_stat) matches stat64, or EOVERFLOW", stat_names[w]);
	}
	ok(stat32_call(0, DIR, -1, &st) == 0 && S_ISDIR(st.mode), "stat of a directory");
	ok_sys(stat32_call(0, "/tmp/none/such", -1, &st), ENOENT, "stat of a missing name: ENOENT");
	ok_sys(stat32_call(0, PATH, -1, NULL), EFAULT, "stat into NULL: EFAULT");
	ok_sys(stat32_call(2, NULL, 999, &st), EBADF, "fstat of a bad descriptor: EBADF");
	ok_sys(old_stat_call(0, PATH, -1, NULL), EFAULT, "old stat into NULL: EFAULT");
	ok_sys(old_stat_call(2, NULL, 999, &ost), EBADF, "old fstat of a bad descriptor: EBADF");

	ok_eq(ftruncate(fd, 0x7fffffffLL), 0, "the file at 2 GiB - 1");
	ok(stat32_call(2, NULL, fd, &st) == 0 && st.size == 0x7fffffffu, "fstat: 2 GiB - 1 fits");
	ok_eq(ftruncate(fd, 2 * GIB), 0, "the file at 2 GiB");
	for (int w = 0; w < 3; w++) {
		ok_sys(stat32_call(w, PATH, fd, &st), EOVERFLOW, "%s of a 2 GiB file: EOVERFLOW",
		       stat_names[w]);
		ok_sys(old_stat_call(w, PATH, fd, &ost), EOVERFLOW,
		       "old %s of a 2 GiB file: EOVERFLOW", stat_names[w]);
	}
	ok_eq(ftruncate(fd, 0), 0, "the file emptied");
}

/* Two 32-bit words (i386's timespec and timeval) as seconds and a fraction. */
static long long pair_ns(const int32_t t[2], long long unit)
{
	return (long long)t[0] * NS + (long long)t[1] * unit;
}

static long long now64(clockid_t c)
{
	struct timespec ts;

	return clock_gettime(c, &ts) ? -1 : ts.tv_sec * NS + ts.tv_nsec;
}

static void time_calls(void)
{
	int32_t t32[2];
	long t[2];		/* timeval: long words */
	int64_t t64[2];		/* struct __kernel_timespec, on both ABIs */
	long long a, b, got;

	/* The i386 form (32-bit timespec) between two readings of musl's. */
	if (ON_I386) {
		a = now64(CLOCK_MONOTONIC);
		long r = syscall(NR_clock_gettime32, CLOCK_MONOTONIC, t32);
		b = now64(CLOCK_MONOTONIC);
		got = pair_ns(t32, 1);
		ok(r == 0 && got >= a && got <= b && t32[1] >= 0 && t32[1] < NS,
		   "clock_gettime (32-bit) MONOTONIC between two of musl's");
		if (r || got < a || got > b)
			diag("%lld <= %lld <= %lld", a, got, b);
		a = now64(CLOCK_REALTIME);
		r = syscall(NR_clock_gettime32, CLOCK_REALTIME, t32);
		b = now64(CLOCK_REALTIME);
		got = pair_ns(t32, 1);
		ok(r == 0 && got >= a && got <= b, "clock_gettime (32-bit) REALTIME between two of musl's");
		ok_sys(syscall(NR_clock_gettime32, 99, t32), EINVAL, "clock_gettime (32-bit) of clock 99: EINVAL");
		ok_sys(syscall(NR_clock_gettime32, CLOCK_MONOTONIC, NULL), EFAULT,
		       "clock_gettime (32-bit) into NULL: EFAULT");
	} else {
		for (int i = 0; i < 4; i++)
			tap_skip("clock_gettime with a 32-bit timespec", "i386 only");
	}

	/* clock_getres: 1 ns for the precise clocks, a tick at most for the coarse ones. */
	static const clockid_t precise[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					     CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
	int all = 1;
	for (unsigned i = 0; i < sizeof(precise) / sizeof(precise[0]); i++) {
		memset(t32, 0xa5, sizeof(t32));
		long r = ON_I386 ? syscall(NR_clock_getres32, precise[i], t32) : 0;
		memset(t64, 0xa5, sizeof(t64));
		long r64 = syscall(NR_clock_getres, precise[i], t64);
		if (r || r64 || (ON_I386 && (t32[0] || t32[1] != 1)) || t64[0] || t64[1] != 1) {
			all = 0;
			diag("clock %d: %ld %ld %d %d, %lld %lld", precise[i], r, r64, t32[0], t32[1],
			     (long long)t64[0], (long long)t64[1]);
		}
	}
	ok(all, "clock_getres (32-bit and 64-bit): 1 ns for the precise clocks");
	memset(t64, 0xa5, sizeof(t64));
	ok(syscall(NR_clock_getres, CLOCK_MONOTONIC_COARSE, t64) == 0 && t64[0] == 0 &&
	   t64[1] >= 1 && t64[1] <= 10000000, "clock_getres of MONOTONIC_COARSE: at most 10 ms");
	ok_eq(syscall(NR_clock_getres, CLOCK_MONOTONIC, NULL), 0,
	      "clock_getres into NULL: 0 (the clock is checked only)");
	ok_sys(syscall(NR_clock_getres, 99, t64), EINVAL, "clock_getres of clock 99: EINVAL");
	if (ON_I386) {
		ok_sys(syscall(NR_clock_getres32, 99, t32), EINVAL, "clock_getres (32-bit) of clock 99: EINVAL");
		ok_sys(syscall(NR_clock_getres32, CLOCK_MONOTONIC, (void *)1), EFAULT,
		       "clock_getres (32-bit) to a bad address: EFAULT");
	} else {
		tap_skip("clock_getres (32-bit) of clock 99: EINVAL", "i386 only");
		tap_skip("clock_getres (32-bit) to a bad address: EFAULT", "i386 only");
	}

	/* gettimeofday: long words on both ABIs (32-bit on i386); the zone is zero. */
	int32_t tz[2] = { -1, -1 };
	a = now64(CLOCK_REALTIME) / 1000 * 1000;
	long r = syscall(NR_gettimeofday, t, tz);
	b = now64(CLOCK_REALTIME);
	got = (long long)t[0] * NS + (long long)t[1] * 1000;
	ok(r == 0 && got >= a && got <= b && t[1] >= 0 && t[1] < 1000000,
	   "gettimeofday between two realtime readings");
	ok(tz[0] == 0 && tz[1] == 0, "gettimeofday's time zone: UTC, no DST");
	ok_eq(syscall(NR_gettimeofday, NULL, NULL), 0, "gettimeofday with both NULL");
	ok_sys(syscall(NR_gettimeofday, (void *)1, NULL), EFAULT, "gettimeofday to a bad address: EFAULT");

	/* time: Linux reads the clock as of the last tick, which may still be in
	 * the previous second when the fine clock has crossed into the next. */
	long tl = -1;
	a = now64(CLOCK_REALTIME) / NS;
	long secs = syscall(NR_time, &tl);
	b = now64(CLOCK_REALTIME) / NS;
	ok(secs >= a - 1 && secs <= b && tl == secs, "time returns and stores the seconds");
	ok_sys(syscall(NR_time, (void *)1), EFAULT, "time to a bad address: EFAULT");
}

/* readahead(fd, off, count) and sync_file_range: 64-bit values in two registers on i386. */
static long raw_readahead(int fd, long long off, unsigned long count)
{
#ifdef __i386__
	return syscall(NR_readahead, fd, (long)off, (long)(off >> 32), count);
#else
	return syscall(NR_readahead, fd, off, count);
#endif
}

static long raw_sync_range(int fd, long long off, long long n, unsigned flags)
{
#ifdef __i386__
	return syscall(NR_sync_file_range, fd, (long)off, (long)(off >> 32), (long)n, (long)(n >> 32),
		       flags);
#else
	return syscall(NR_sync_file_range, fd, off, n, flags);
#endif
}

static void file_calls(int fd)
{
	int dir = open(DIR, O_RDONLY | O_DIRECTORY);
	int wr = open(PATH, O_WRONLY);

	ok_eq(raw_readahead(fd, 0, 4096), 0, "readahead of a regular file");
	ok_eq(raw_readahead(fd, 5 * GIB, 4096), 0, "readahead past 4 GiB");
	ok_eq(raw_readahead(fd, -1, 4096), 0, "readahead at a negative offset: 0 (nothing to do)");
	ok_sys(raw_readahead(999, 0, 4096), EBADF, "readahead of a bad descriptor: EBADF");
	ok_sys(raw_readahead(wr, 0, 4096), EBADF, "readahead of a write-only file: EBADF");
	ok_sys(raw_readahead(dir, 0, 4096), EINVAL, "readahead of a directory: EINVAL");
	ok_sys(raw_readahead(1, 0, 4096), EINVAL, "readahead of the console: EINVAL");

	ok_eq(raw_sync_range(fd, 0, 0, 0), 0, "sync_file_range of the whole file");
	ok_eq(raw_sync_range(fd, 5 * GIB, GIB, 7), 0, "sync_file_range past 4 GiB, every flag");
	ok_eq(raw_sync_range(wr, 0, 4096, 2), 0, "sync_file_range of a write-only file");
	ok_eq(raw_sync_range(dir, 0, 0, 0), 0, "sync_file_range of a directory");
	ok_sys(raw_sync_range(fd, 0, 0, 8), EINVAL, "sync_file_range with an unknown flag: EINVAL");
	ok_sys(raw_sync_range(fd, -1, 0, 0), EINVAL, "sync_file_range at a negative offset: EINVAL");
	ok_sys(raw_sync_range(fd, 0, -1, 0), EINVAL, "sync_file_range of a negative length: EINVAL");
	ok_sys(raw_sync_range(fd, 0x7fffffffffffffffLL, 1, 0), EINVAL,
	       "sync_file_range whose end overflows: EINVAL");
	ok_sys(raw_sync_range(999, 0, 0, 0), EBADF, "sync_file_range of a bad descriptor: EBADF");
	ok_sys(raw_sync_range(999, 0, 0, 8), EBADF, "the descriptor is checked before the flags");
	ok_sys(raw_sync_range(1, 0, 0, 0), ESPIPE, "sync_file_range of the console: ESPIPE");
	close(dir);
	close(wr);
}

static void not_provided(void)
{
#ifdef __i386__
	ok_sys(syscall(NR_vm86old, NULL), ENOSYS, "vm86old: ENOSYS");
	ok_sys(syscall(NR_vm86, 0, NULL), ENOSYS, "vm86: ENOSYS");
#else
	tap_skip("vm86old: ENOSYS", "i386 only");
	tap_skip("vm86: ENOSYS", "i386 only");
#endif
}

int main(void)
{
	mkdir(DIR, 01777);
	unlink(PATH);
	int fd = open(PATH, O_CREAT | O_EXCL | O_RDWR, 0644);

	if (!ok(fd >= 0, "create the file"))
		return done_testing();
	stat_calls(fd);
	time_calls();
	file_calls(fd);
	not_provided();
	close(fd);
	ok_eq(unlink(PATH), 0, "unlink it");
	return done_testing();
}
