/*
 * t_lfs: file offsets and sizes past 2 GiB and 4 GiB, the calls that carry
 * them in two registers on i386 (ftruncate64, _llseek, pread64/pwrite64,
 * mmap2's page offset, fallocate, fadvise64_64, fstat64/statx) and their
 * one-register x86_64 forms: a sparse file of 3 to 5 GiB is sized, sought,
 * written, read, mapped, allocated and punched beyond 2 GiB. The raw lseek
 * call returns a long: on i386 a position past 2 GiB is EOVERFLOW (after
 * the move), as Linux does. statx against stat, and its errors. The same
 * file opened through the raw open call without O_LARGEFILE: on i386 a
 * write stops at 2 GiB - 1 (short, then EFBIG) and ftruncate64 past it is
 * EINVAL, reads and seeks are not limited, and open itself is not refused
 * (Linux's RAM file systems do not check it); x86_64 always has large-file
 * support. Everything under /tmp (made if missing), removed at the end.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#define PATH	"/tmp/t_lfs"
#define GIB	(1LL << 30)
#define LEN	8192
#define ON_I386	(sizeof(long) == 4)

/* Linux's struct statx (musl 1.2.3 has no declaration), 256 bytes. */
struct stx_time {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};

struct stx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct stx_time atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

#define STATX_SIZE		0x200u
#define STATX_BASIC_STATS	0x7ffu
#define STATX__RESERVED		0x80000000u
#define AT_STATX_SYNC_TYPE	0x6000

static unsigned char buf[LEN], back[LEN];

static long long file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long long)st.st_size;
}

/* @len bytes at @off read back as fill(seed) wrote them: 1, else 0. */
static int reads_back(int fd, off_t off, size_t len, unsigned seed)
{
	memset(back, 0xee, len);
	return pread(fd, back, len, off) == (ssize_t)len && check(back, len, seed) < 0;
}

static int reads_zero(int fd, off_t off, size_t len)
{
	memset(back, 0xee, len);
	return pread(fd, back, len, off) == (ssize_t)len && nonzero_at(back, len) < 0;
}

/* The raw lseek call (19 on i386, 8 on x86_64): its result is a long. */
static long raw_lseek(int fd, long off, int whence)
{
	return syscall(SYS_lseek, fd, off, whence);
}

/*
 * The size as the raw stat calls give it: fstat64 and fstatat64 with
 * i386's struct stat64 (st_size at byte 44), fstat and newfstatat on x86_64.
 */
#define STAT64_SIZE_AT	44
static long long raw_size(int fd, int by_name)
{
	long long size = -1;
#ifdef SYS_fstat64
	unsigned char b[96];
	long r = by_name ? syscall(SYS_fstatat64, AT_FDCWD, PATH, b, 0) : syscall(SYS_fstat64, fd, b);

	if (!r)
		memcpy(&size, b + STAT64_SIZE_AT, sizeof(size));
#else
	struct stat st;
	long r = by_name ? syscall(SYS_newfstatat, AT_FDCWD, PATH, &st, 0) : syscall(SYS_fstat, fd, &st);

	if (!r)
		size = st.st_size;
#endif
	return size;
}

static void sizes_and_seeks(int fd)
{
	struct stat st;

	ok_eq(ftruncate(fd, 3 * GIB), 0, "ftruncate to 3 GiB");
	ok_eq(file_size(fd), 3 * GIB, "fstat sees 3 GiB");
	ok(stat(PATH, &st) == 0 && st.st_size == 3 * GIB, "stat by name sees 3 GiB");
	ok_eq(raw_size(fd, 0), 3 * GIB, "raw fstat64 (fstat on x86_64) sees 3 GiB");
	ok_eq(raw_size(fd, 1), 3 * GIB, "raw fstatat64 (newfstatat on x86_64) sees 3 GiB");
	ok_eq(lseek(fd, 0, SEEK_END), 3 * GIB, "lseek to the end gives 3 GiB");
	ok_eq(lseek(fd, -GIB, SEEK_CUR), 2 * GIB, "lseek back 1 GiB gives 2 GiB");
	ok_eq(lseek(fd, 0, SEEK_SET), 0, "lseek to 0");
	ok_sys(lseek(fd, -1, SEEK_SET), EINVAL, "lseek to a negative offset: EINVAL");
	ok_eq(lseek(fd, 0, SEEK_CUR), 0, "a failed lseek leaves the position");

	ok_eq(raw_lseek(fd, 0x7fffffffL, SEEK_SET), 0x7fffffffL, "raw lseek to 2 GiB - 1");
	if (ON_I386) {
		ok_sys(raw_lseek(fd, 1, SEEK_CUR), EOVERFLOW, "raw lseek to 2 GiB: EOVERFLOW on i386");
		ok_eq(lseek(fd, 0, SEEK_CUR), 2 * GIB, "the overflowing lseek moved all the same");
		ok_sys(raw_lseek(fd, 0, SEEK_END), EOVERFLOW, "raw lseek to the end: EOVERFLOW on i386");
	} else {
		ok_eq(raw_lseek(fd, 1, SEEK_CUR), 2 * GIB, "raw lseek to 2 GiB: EOVERFLOW on i386");
		ok_eq(lseek(fd, 0, SEEK_CUR), 2 * GIB, "the overflowing lseek moved all the same");
		ok_eq(raw_lseek(fd, 0, SEEK_END), 3 * GIB, "raw lseek to the end: EOVERFLOW on i386");
	}
	ok_eq(lseek(fd, 0, SEEK_CUR), 3 * GIB, "the position is the end");
	ok_eq(raw_lseek(fd, 5, SEEK_SET), 5, "raw lseek back below 2 GiB works");
	ok_sys(ftruncate(fd, -1), EINVAL, "ftruncate to -1: EINVAL");
	ok_eq(file_size(fd), 3 * GIB, "still 3 GiB");
}

#ifdef SYS__llseek
/* _llseek(fd, high, low, &result, whence) directly. */
static void llseek_edges(int fd)
{
	long long pos = -1;

	ok(syscall(SYS__llseek, fd, 1L, 0x100L, &pos, SEEK_SET) == 0 && pos == 4 * GIB + 0x100,
	   "_llseek with the high word: 4 GiB + 256");
	ok_sys(syscall(SYS__llseek, fd, -1L, -1L, &pos, SEEK_SET), EINVAL,
	       "_llseek to -1: EINVAL");
	ok_sys(syscall(SYS__llseek, fd, 0L, 0L, (void *)8, SEEK_SET), EFAULT,
	       "_llseek with a bad result pointer: EFAULT");
	ok(syscall(SYS__llseek, fd, 0L, 0L, &pos, SEEK_CUR) == 0 && pos == 0,
	   "the EFAULT _llseek moved all the same");
	ok_sys(syscall(SYS__llseek, fd, 0L, 0L, &pos, 7), EINVAL, "_llseek whence 7: EINVAL");
}
#else
static void llseek_edges(int fd)
{
	static const char *const names[] = {
		"_llseek with the high word: 4 GiB + 256", "_llseek to -1: EINVAL",
		"_llseek with a bad result pointer: EFAULT", "the EFAULT _llseek moved all the same",
		"_llseek whence 7: EINVAL",
	};

	(void)fd;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		tap_skip(names[i], "no _llseek on this ABI");
}
#endif

static void reads_and_writes(int fd)
{
	const off_t past2 = 2 * GIB + 100, past4 = 4 * GIB + 3 * 4096 + 7;

	fill(buf, LEN, 1);
	ok_eq(lseek(fd, past2, SEEK_SET), past2, "lseek to 2 GiB + 100");
	ok_eq(write(fd, buf, LEN), LEN, "write 8 KiB there");
	ok_eq(lseek(fd, 0, SEEK_CUR), past2 + LEN, "the position moved past it");
	ok(reads_back(fd, past2, LEN, 1), "pread at 2 GiB + 100 reads it back");
	ok(reads_zero(fd, 3 * GIB - LEN, LEN), "a hole past 2 GiB reads zero");

	fill(buf, LEN, 2);
	ok_eq(pwrite(fd, buf, LEN, past4), LEN, "pwrite 8 KiB past 4 GiB");
	ok_eq(file_size(fd), past4 + LEN, "the file grew past 4 GiB");
	ok(reads_back(fd, past4, LEN, 2), "pread past 4 GiB reads it back");
	ok(reads_back(fd, past2, LEN, 1), "the data at 2 GiB is unchanged");
	ok_eq(lseek(fd, 0, SEEK_CUR), past2 + LEN, "pwrite left the position");
	ok_sys(pread(fd, back, 16, -1), EINVAL, "pread at -1: EINVAL");
	ok_sys(pwrite(fd, buf, 16, -4096), EINVAL, "pwrite at -4096: EINVAL");
	ok_eq(pread(fd, back, LEN, past4 + LEN), 0, "pread at the end past 4 GiB: 0");
}

static void mappings(int fd)
{
	const off_t past4 = 4 * GIB + 3 * 4096;
	unsigned char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 2 * GIB);
	unsigned char *q;

	ok(p != MAP_FAILED, "mmap at offset 2 GiB");
	if (p != MAP_FAILED) {
		ok(check(p + 100, LEN, 1) < 0, "the mapping at 2 GiB shows the written data");
		munmap(p, 3 * 4096);
	} else {
		ok(0, "the mapping at 2 GiB shows the written data");
	}
	q = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, past4);
	ok(q != MAP_FAILED, "mmap at offset 4 GiB + 3 pages");
	if (q == MAP_FAILED) {
		ok(0, "the mapping past 4 GiB shows the written data");
		ok(0, "a write through it reaches the file");
		return;
	}
	ok(check(q + 7, LEN, 2) < 0, "the mapping past 4 GiB shows the written data");
	fill(q + 4096, 4096, 3);
	ok(reads_back(fd, past4 + 4096, 4096, 3), "a write through it reaches the file");
	munmap(q, 4 * 4096);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 5 * GIB);
	ok(p != MAP_FAILED, "mmap past the end past 4 GiB succeeds");
	if (p != MAP_FAILED) {
		ok(expect_killed_by(run_in_child(probe_read, p), SIGBUS),
		   "touching it is SIGBUS");
		munmap(p, 4096);
	} else {
		ok(0, "touching it is SIGBUS");
	}
}

static void allocation(int fd)
{
	const off_t past2 = 2 * GIB + 100;

	ok_eq(fallocate(fd, 0, 5 * GIB, 4096), 0, "fallocate 4 KiB at 5 GiB");
	ok_eq(file_size(fd), 5 * GIB + 4096, "the file is 5 GiB + 4 KiB");
	ok_eq(fallocate(fd, FALLOC_FL_KEEP_SIZE, 6 * GIB, 4096), 0,
	      "fallocate with KEEP_SIZE at 6 GiB");
	ok_eq(file_size(fd), 5 * GIB + 4096, "its size is unchanged");
	ok_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, past2, LEN), 0,
	      "punch the 8 KiB at 2 GiB + 100");
	ok(reads_zero(fd, past2, LEN), "they read zero");
	ok_sys(fallocate(fd, 0, -4096, 4096), EINVAL, "fallocate at -4096: EINVAL");
	ok_sys(fallocate(fd, 0, 4096, -4096), EINVAL, "fallocate of -4096 bytes: EINVAL");

	ok_eq(posix_fadvise(fd, 4 * GIB, LEN, POSIX_FADV_DONTNEED), 0,
	      "fadvise DONTNEED past 4 GiB");
	ok(reads_back(fd, 4 * GIB + 4 * 4096, 4096, 3), "the data is still there");
	ok_eq(posix_fadvise(fd, 3 * GIB, 0, POSIX_FADV_WILLNEED), 0, "fadvise WILLNEED");
	ok_eq(posix_fadvise(fd, 0, 0, 99), EINVAL, "fadvise advice 99: EINVAL");
	ok_eq(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL), EINVAL, "fadvise length -1: EINVAL");
	ok_eq(posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL), EBADF, "fadvise on fd -1: EBADF");

	ok_eq(ftruncate(fd, 2 * GIB + 50), 0, "ftruncate to 2 GiB + 50");
	ok_eq(pread(fd, back, LEN, 2 * GIB + 40), 10, "pread across the end: 10 bytes");
	ok_eq(lseek(fd, 0, SEEK_END), 2 * GIB + 50, "the end is 2 GiB + 50");
}

static long sys_statx(int dirfd, const char *path, int flags, unsigned mask, struct stx *sx)
{
	return syscall(SYS_statx, dirfd, path, flags, mask, sx);
}

/* statx against fstat on @fd. */
static void statx_matches(int fd, const struct stx *sx, const char *what)
{
	struct stat st;

	if (!ok(fstat(fd, &st) == 0, "%s: fstat", what))
		return;
	ok((sx->mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, "%s: the basic fields", what);
	ok_eq(sx->size, st.st_size, "%s: the size", what);
	ok(sx->ino == st.st_ino && sx->mode == st.st_mode && sx->nlink == st.st_nlink &&
	   sx->uid == st.st_uid && sx->gid == st.st_gid, "%s: ino, mode, nlink, uid, gid", what);
	ok(sx->blocks == (uint64_t)st.st_blocks && sx->blksize == (uint32_t)st.st_blksize,
	   "%s: blocks and blksize", what);
	ok(sx->dev_major == major(st.st_dev) && sx->dev_minor == minor(st.st_dev) &&
	   sx->rdev_major == major(st.st_rdev) && sx->rdev_minor == minor(st.st_rdev),
	   "%s: device numbers", what);
	ok(sx->mtime.sec == st.st_mtim.tv_sec && (long)sx->mtime.nsec == st.st_mtim.tv_nsec &&
	   sx->ctime.sec == st.st_ctim.tv_sec, "%s: times", what);
}

static void statx_checks(int fd)
{
	struct stx sx;

	ok_eq(ftruncate(fd, 4 * GIB + 5), 0, "ftruncate to 4 GiB + 5");
	memset(&sx, 0xff, sizeof(sx));
	ok_eq(sys_statx(AT_FDCWD, PATH, 0, STATX_BASIC_STATS, &sx), 0, "statx by name");
	statx_matches(fd, &sx, "statx by name");
	ok_eq(sx.size, 4 * GIB + 5, "statx gives 4 GiB + 5");
	memset(&sx, 0xff, sizeof(sx));
	ok_eq(sys_statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), 0,
	      "statx of a descriptor (AT_EMPTY_PATH)");
	statx_matches(fd, &sx, "statx of the descriptor");
	memset(&sx, 0xff, sizeof(sx));
	ok_eq(sys_statx(1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), 0, "statx of stdout");
	statx_matches(1, &sx, "statx of stdout");

	ok_sys(sys_statx(AT_FDCWD, PATH, 0, STATX__RESERVED, &sx), EINVAL,
	       "statx with the reserved mask bit: EINVAL");
	ok_sys(sys_statx(AT_FDCWD, PATH, AT_STATX_SYNC_TYPE, STATX_BASIC_STATS, &sx), EINVAL,
	       "statx with both sync types: EINVAL");
	ok_sys(sys_statx(AT_FDCWD, PATH, 0x1, STATX_BASIC_STATS, &sx), EINVAL,
	       "statx with an unknown flag: EINVAL");
	ok_sys(sys_statx(AT_FDCWD, PATH, 0, STATX_BASIC_STATS, NULL), EFAULT,
	       "statx into NULL: EFAULT");
	ok_sys(sys_statx(AT_FDCWD, (const char *)8, 0, STATX_BASIC_STATS, &sx), EFAULT,
	       "statx of a bad path pointer: EFAULT");
	ok_sys(sys_statx(AT_FDCWD, PATH "-none", 0, STATX_BASIC_STATS, &sx), ENOENT,
	       "statx of a missing name: ENOENT");
	ok_sys(sys_statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &sx), ENOENT,
	       "statx of \"\" without AT_EMPTY_PATH: ENOENT");
	ok_sys(sys_statx(-1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), EBADF,
	       "statx of fd -1: EBADF");
}

#define RAW_O_LARGEFILE	0100000		/* x86's value; musl's O_LARGEFILE is 0 on x86_64 */
#define NON_LFS_MAX	0x7fffffffLL

/* The raw ftruncate64 (ftruncate on x86_64): the length in two registers on i386. */
static long raw_ftruncate64(int fd, long long len)
{
#ifdef SYS_ftruncate64
	return syscall(SYS_ftruncate64, fd, (long)len, (long)(len >> 32));
#else
	return syscall(SYS_ftruncate, fd, len);
#endif
}

/* An i386 outcome, or x86_64's (large-file support forced) in the same check. */
#define I386_OR(i386, x86_64)	(ON_I386 ? (i386) : (x86_64))

static void without_largefile(int big)
{
	struct iovec iov = { buf, 10 };
	int fd;

	ok_eq(ftruncate(big, 3 * GIB), 0, "the file at 3 GiB again");
	fd = syscall(SYS_open, PATH, O_RDWR);

	ok(fd >= 0, "raw open without O_LARGEFILE of a 3 GiB file succeeds (RAM file system)");
	if (fd < 0)
		return;
	ok_eq(fcntl(fd, F_GETFL) & RAW_O_LARGEFILE, I386_OR(0, RAW_O_LARGEFILE),
	      "F_GETFL: O_LARGEFILE only where it is forced (x86_64)");
	ok_eq(fcntl(big, F_GETFL) & RAW_O_LARGEFILE, RAW_O_LARGEFILE,
	      "F_GETFL of musl's open: O_LARGEFILE");
	fill(buf, 16, 41);
	ok_eq(pread(fd, back, 10, 2 * GIB + 5), 10, "pread past 2 GiB is not limited");
	ok_eq(lseek(fd, 2 * GIB + 5, SEEK_SET), 2 * GIB + 5, "_llseek past 2 GiB is not limited");
	ok_eq(read(fd, back, 10), 10, "read past 2 GiB is not limited");
	ok_eq(lseek(fd, NON_LFS_MAX - 4, SEEK_SET), NON_LFS_MAX - 4, "seek to 2 GiB - 5");
	ok_eq(write(fd, buf, 10), I386_OR(4, 10), "write across 2 GiB - 1 is cut short there (i386)");
	ok_eq(lseek(fd, 0, SEEK_CUR), I386_OR(NON_LFS_MAX, NON_LFS_MAX + 6),
	      "the position moved by what was written");
	lseek(fd, NON_LFS_MAX, SEEK_SET);
	if (ON_I386)
		ok_sys(write(fd, buf, 10), EFBIG, "write at 2 GiB - 1: EFBIG (i386)");
	else
		ok_eq(write(fd, buf, 10), 10, "write at 2 GiB - 1: EFBIG (i386)");
	if (ON_I386)
		ok_sys(pwrite(fd, buf, 10, 2 * GIB + 4), EFBIG, "pwrite past 2 GiB: EFBIG (i386)");
	else
		ok_eq(pwrite(fd, buf, 10, 2 * GIB + 4), 10, "pwrite past 2 GiB: EFBIG (i386)");
	ok_eq(pwrite(fd, buf, 10, NON_LFS_MAX - 3), I386_OR(3, 10), "pwrite across it is cut short");
	ok_eq(pwrite(fd, buf, 0, 2 * GIB + 4), 0, "an empty pwrite past 2 GiB gives 0");
	lseek(fd, NON_LFS_MAX - 2, SEEK_SET);
	ok_eq(writev(fd, &iov, 1), I386_OR(2, 10), "writev across 2 GiB - 1 is cut short");
	ok_eq(reads_back(big, NON_LFS_MAX - 2, 2, 41), 1, "what was written reads back");
	ok_eq(file_size(fd), 3 * GIB, "the size did not change");
	ok_eq(raw_ftruncate64(fd, GIB), 0, "ftruncate64 to 1 GiB");
	ok_eq(raw_ftruncate64(fd, NON_LFS_MAX), 0, "ftruncate64 to 2 GiB - 1");
	if (ON_I386)
		ok_sys(raw_ftruncate64(fd, 2 * GIB), EINVAL, "ftruncate64 to 2 GiB: EINVAL (i386)");
	else
		ok_eq(raw_ftruncate64(fd, 2 * GIB), 0, "ftruncate64 to 2 GiB: EINVAL (i386)");
	ok_eq(raw_ftruncate64(big, 3 * GIB), 0, "on a large-file descriptor it is allowed");
	close(fd);

	fd = syscall(SYS_open, PATH, O_WRONLY | O_APPEND);
	if (ON_I386)
		ok_sys(write(fd, buf, 10), EFBIG, "O_APPEND to a 3 GiB file: EFBIG (i386)");
	else
		ok_eq(write(fd, buf, 10), 10, "O_APPEND to a 3 GiB file: EFBIG (i386)");
	fcntl(fd, F_SETFL, O_APPEND | RAW_O_LARGEFILE);
	ok_eq(fcntl(fd, F_GETFL) & RAW_O_LARGEFILE, I386_OR(0, RAW_O_LARGEFILE),
	      "F_SETFL does not change O_LARGEFILE");
	close(fd);
	ok_eq(raw_ftruncate64(big, 3 * GIB), 0, "back to 3 GiB");
}

int main(void)
{
	mkdir("/tmp", 01777);
	unlink(PATH);
	int fd = open(PATH, O_CREAT | O_EXCL | O_RDWR, 0644);

	if (!ok(fd >= 0, "create the file"))
		return done_testing();
	sizes_and_seeks(fd);
	llseek_edges(fd);
	reads_and_writes(fd);
	mappings(fd);
	allocation(fd);
	statx_checks(fd);
	without_largefile(fd);
	close(fd);
	ok_eq(unlink(PATH), 0, "unlink it");
	return done_testing();
}
