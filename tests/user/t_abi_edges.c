/*
 * t_abi_edges: small corners of the memory ABI where Linux's answer is the
 * reference: write() from a write-only buffer, a read() that faults part-way
 * (a short count), MAP_GROWSDOWN on a file, descriptors truncated to int,
 * arch_prctl(ARCH_SET_FS) bounds, pread64/pwrite64, MADV_MERGEABLE,
 * MADV_WIPEONFORK (really wiped in the child), mlock/munlock/mlock2 and
 * mlockall/munlockall.
 */
#define _GNU_SOURCE
#include "lock_util.h"

#include <fcntl.h>

#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

#define L(x) ((long)(x))
/* An offset of -1 as pread64's raw arguments: one register, or i386's two. */
#if ABI64
#define OFFSET_MINUS_1 -1, 0
#else
#define OFFSET_MINUS_1 -1, -1
#endif

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	return syscall(nr, a, b, c, d, e, f);
}

static const char *self;

static void io_edges(void)
{
	const char msg[] = "# written from a PROT_WRITE-only page\n";
	char *w = map_anon(PAGE, PROT_READ | PROT_WRITE), *p;
	int fd = open(self, O_RDONLY);
	char buf[8];
	long n;

	memcpy(w, msg, sizeof(msg) - 1);
	ok(mprotect(w, PAGE, PROT_WRITE) == 0, "a page made write-only");
	ok_eq(write(1, w, sizeof(msg) - 1), (long)sizeof(msg) - 1,
	      "write() from a PROT_WRITE-only buffer succeeds");
	munmap(w, PAGE);

	if (!ok(fd >= 0, "open the program itself"))
		return;
	p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	munmap(p + PAGE, PAGE);
	ok_eq(read(fd, p, 2 * PAGE), (long)PAGE, "read() faulting on its second page: a short count");
	ok_eq(lseek(fd, 0, SEEK_CUR), (long)PAGE, "the file position moved by what was read");
	ok_sys(read(fd, p + PAGE, PAGE), EFAULT, "read() into an unmapped page: EFAULT");
	munmap(p, PAGE);

	/* Descriptors: unsigned int in the ABI, the register's upper half ignored. */
#if ABI64
	n = raw(SYS_pread64, (1L << 32) | fd, L(buf), 4, 0, 0, 0);
	ok(n == 4 && !memcmp(buf, "\177ELF", 4), "pread64 with fd | 1 << 32 reads the file");
	p = (char *)raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, (1L << 32) | fd, 0);
	ok(p != MAP_FAILED && !memcmp(p, "\177ELF", 4), "mmap with fd | 1 << 32 maps the file");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
#else
	(void)n;
	tap_skip("pread64 with fd | 1 << 32 reads the file", "i386: registers are 32 bits");
	tap_skip("mmap with fd | 1 << 32 maps the file", "i386: registers are 32 bits");
#endif
	ok_sys(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0), EINVAL,
	       "MAP_GROWSDOWN on a file mapping: EINVAL");

	/* pread64 / pwrite64 */
	lseek(fd, 0, SEEK_SET);
	ok(pread(fd, buf, 3, 1) == 3 && !memcmp(buf, "ELF", 3), "pread64 at offset 1");
	ok_eq(lseek(fd, 0, SEEK_CUR), 0, "pread64 leaves the file position alone");
	ok_eq(pread(fd, buf, 4, (off_t)1 << 40), 0, "pread64 past the end: 0");
	ok_sys(raw(SYS_pread64, fd, L(buf), 4, OFFSET_MINUS_1, 0), EINVAL,
	       "pread64 at a negative offset: EINVAL");
	ok_sys(raw(SYS_pread64, 999, L(buf), 4, OFFSET_MINUS_1, 0), EINVAL,
	       "pread64 checks the offset before the descriptor");
	ok_sys(pread(999, buf, 4, 0), EBADF, "pread64 of a bad descriptor: EBADF");
	ok_sys(pread(fd, (void *)8, 4, 0), EFAULT, "pread64 into a bad buffer: EFAULT");
	ok_sys(pread(1, buf, 1, 0), ESPIPE, "pread64 of the console: ESPIPE");
	ok_sys(pwrite(fd, buf, 1, 0), EBADF, "pwrite64 to a read-only descriptor: EBADF");
	ok_sys(pwrite(1, buf, 1, 0), ESPIPE, "pwrite64 to the console: ESPIPE");

	/* access_ok(): the buffer must end by TASK_SIZE_MAX, even when it is empty. */
#if ABI64
	ok_sys(raw(SYS_write, 1, 0x800000000000L, 0, 0, 0, 0), EFAULT,
	       "write() of 0 bytes at 1 << 47: EFAULT");
	ok_sys(raw(SYS_read, fd, 0x7ffffffff000L, 1, 0, 0, 0), EFAULT,
	       "read() into the last page below 1 << 47: EFAULT");
	ok_eq(raw(SYS_write, 1, 0x7ffffffff000L, 0, 0, 0, 0), 0,
	      "write() of 0 bytes ending at TASK_SIZE_MAX: 0");
#else
	tap_skip("write() of 0 bytes at 1 << 47: EFAULT", "i386: no address above 4 GiB");
	tap_skip("read() into the last page below 1 << 47: EFAULT", "i386: no address above 4 GiB");
	tap_skip("write() of 0 bytes ending at TASK_SIZE_MAX: 0", "i386: no address above 4 GiB");
#endif
	close(fd);
}

static void fs_edges(void)
{
#if !ABI64
	tap_skip("arch_prctl(ARCH_GET_FS)", "i386: TLS is a segment descriptor (set_thread_area)");
	tap_skip("ARCH_SET_FS at the last page below the hole: EPERM", "i386: no arch_prctl FS");
	tap_skip("ARCH_SET_FS at a non-canonical address: EPERM", "i386: no arch_prctl FS");
	tap_skip("ARCH_SET_FS to a user address", "i386: no arch_prctl FS");
#else
	long fs = 0;

	ok(raw(SYS_arch_prctl, ARCH_GET_FS, L(&fs), 0, 0, 0, 0) == 0 && fs != 0,
	   "arch_prctl(ARCH_GET_FS)");
	ok_sys(raw(SYS_arch_prctl, ARCH_SET_FS, 0x7ffffffff000L, 0, 0, 0, 0), EPERM,
	       "ARCH_SET_FS at the last page below the hole: EPERM");
	ok_sys(raw(SYS_arch_prctl, ARCH_SET_FS, 0x800000000000L, 0, 0, 0, 0), EPERM,
	       "ARCH_SET_FS at a non-canonical address: EPERM");
	ok_eq(raw(SYS_arch_prctl, ARCH_SET_FS, fs, 0, 0, 0, 0), 0, "ARCH_SET_FS to a user address");
#endif
}

static char *wipe_area;

static void child_sees_wiped(void *arg)
{
	(void)arg;
	_exit(nonzero_at(wipe_area, 4 * PAGE) == -1 ? 0 : 1);
}

static void child_sees_data(void *arg)
{
	(void)arg;
	_exit(check(wipe_area, 4 * PAGE, 7) == -1 ? 0 : 1);
}

static void madvise_edges(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE), *s = map_shared(PAGE);
	int fd = open(self, O_RDONLY);
	char *f = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	fill(p, 4 * PAGE, 7);
	ok_eq(madvise(p, 4 * PAGE, MADV_MERGEABLE), 0, "MADV_MERGEABLE");
	ok_eq(madvise(p, 4 * PAGE, MADV_UNMERGEABLE), 0, "MADV_UNMERGEABLE");
	ok_eq(madvise(s, PAGE, MADV_MERGEABLE), 0, "MADV_MERGEABLE on shared memory: ignored");
	wipe_area = p;
	ok_eq(madvise(p, 4 * PAGE, MADV_WIPEONFORK), 0, "MADV_WIPEONFORK");
	ok_exited_with(run_in_child(child_sees_wiped, NULL), 0,
		       "after MADV_WIPEONFORK the child reads zeroes");
	ok_eq(check(p, 4 * PAGE, 7), -1, "the parent keeps its data");
	ok_eq(madvise(p, 4 * PAGE, MADV_KEEPONFORK), 0, "MADV_KEEPONFORK");
	ok_exited_with(run_in_child(child_sees_data, NULL), 0,
		       "after MADV_KEEPONFORK the child sees the data");
	ok_eq(madvise(p + PAGE, PAGE, MADV_WIPEONFORK), 0, "MADV_WIPEONFORK on one page in the middle");
	ok_sys(madvise(s, PAGE, MADV_WIPEONFORK), EINVAL, "MADV_WIPEONFORK on shared memory: EINVAL");
	ok_sys(madvise(f, PAGE, MADV_WIPEONFORK), EINVAL, "MADV_WIPEONFORK on a file: EINVAL");
	munmap(p + 2 * PAGE, PAGE);
	ok_sys(madvise(p, 4 * PAGE, MADV_WIPEONFORK), ENOMEM, "MADV_WIPEONFORK over a hole: ENOMEM");
	munmap(p, 4 * PAGE);
	munmap(s, PAGE);
	munmap(f, PAGE);
	close(fd);
}

static char *locked;

static void child_drops_locked(void *arg)
{
	(void)arg;
	_exit(madvise(locked, PAGE, MADV_DONTNEED) == 0 ? 0 : 1);
}

static void mlock_edges(void)
{
	char *p = map_anon(8 * PAGE, PROT_READ | PROT_WRITE);

	ok_eq(mlock(p, 3 * PAGE), 0, "mlock of 3 pages");
	ok_eq(nonzero_at(p, 3 * PAGE), -1, "locked pages read as zero");
	ok_eq(mlock(p + 100, PAGE), 0, "mlock at an unaligned address");
	ok_sys(madvise(p, PAGE, MADV_DONTNEED), EINVAL, "MADV_DONTNEED on locked memory: EINVAL");
	locked = p;
	ok_exited_with(run_in_child(child_drops_locked, NULL), 0,
		       "a forked child does not inherit the lock");
	ok_eq(munlock(p, 3 * PAGE), 0, "munlock");
	ok_eq(madvise(p, PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED after munlock");
	ok_eq(mlock(p, 0), 0, "mlock of 0 bytes");
	munmap(p + 4 * PAGE, PAGE);
	ok_sys(mlock(p, 8 * PAGE), ENOMEM, "mlock over a hole: ENOMEM");
	ok_sys(madvise(p, PAGE, MADV_DONTNEED), EINVAL, "the part before the hole was locked");
	ok_sys(munlock(p, 8 * PAGE), ENOMEM, "munlock over a hole: ENOMEM");
	ok_eq(madvise(p, PAGE, MADV_DONTNEED), 0, "the part before the hole was unlocked");
	ok_sys(mlock(p + 4 * PAGE, PAGE), ENOMEM, "mlock of a hole: ENOMEM");
	ok_sys(raw(SYS_mlock2, L(p), PAGE, 2, 0, 0, 0), EINVAL, "mlock2 with an unknown flag: EINVAL");
	ok_eq(raw(SYS_mlock2, L(p), PAGE, MLOCK_ONFAULT, 0, 0, 0), 0, "mlock2(MLOCK_ONFAULT)");
	ok_eq(munlock(p, PAGE), 0, "munlock after mlock2");
	ok_sys(mlockall(0), EINVAL, "mlockall(0): EINVAL");
	ok_sys(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT) alone: EINVAL");
	ok_sys(mlockall(8), EINVAL, "mlockall with an unknown flag: EINVAL");
	ok_eq(mlockall(MCL_CURRENT), 0, "mlockall(MCL_CURRENT)");
	ok_sys(madvise(p, PAGE, MADV_DONTNEED), EINVAL, "after mlockall memory is locked");
	ok_eq(munlockall(), 0, "munlockall");
	ok_eq(madvise(p, PAGE, MADV_DONTNEED), 0, "after munlockall it is not");
	munmap(p, 8 * PAGE);
}

int main(int argc, char **argv)
{
	(void)argc;
	self = argv[0];
	io_edges();
	fs_edges();
	madvise_edges();
	mlock_edges();
	return done_testing();
}
