/*
 * t_sendfile: sendfile(2) between files under /tmp and to standard output.
 * Without an offset the source's position moves; with one it does not and
 * the offset does; the destination's position moves; short counts at the
 * end of the source; Linux's errors and their order (EBADF, EINVAL for
 * O_APPEND, a negative offset or count and a directory, EFAULT for the
 * offset pointer, even after the bytes went when it cannot be written
 * back); on i386 the 32-bit offset of sendfile (EOVERFLOW at 2 GiB - 1,
 * counts cut to it) and sendfile64. memcore's free frames are back at the end.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sys/sendfile.h>
#include <sys/stat.h>
#include <memcore/syscall.h>

#define SRC "/tmp/t_sendfile_src"
#define DST "/tmp/t_sendfile_dst"
#define TXT "/tmp/t_sendfile_txt"
#define BIG "/tmp/t_sendfile_big"
#define SIZE (3 * 4096 + 100)

static unsigned char data[SIZE], back[SIZE];

static long size_of(int f)
{
	struct stat st;

	return fstat(f, &st) ? -1 : (long)st.st_size;
}

/* Does @f hold data[from, from + len) at @at? */
static int holds(int f, off_t at, size_t from, size_t len)
{
	return pread(f, back, len, at) == (ssize_t)len && !memcmp(back, data + from, len);
}

static void basics(int src)
{
	int dst = open(DST, O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off;

	ok_eq(sendfile(dst, src, NULL, SIZE), SIZE, "the whole file, no offset");
	ok_eq(lseek(src, 0, SEEK_CUR), SIZE, "the source's position moved to its end");
	ok_eq(lseek(dst, 0, SEEK_CUR), SIZE, "the destination's position too");
	ok(holds(dst, 0, 0, SIZE), "the bytes arrived");
	ok_eq(sendfile(dst, src, NULL, 100), 0, "at the end of the source: 0");

	lseek(src, 5, SEEK_SET);
	lseek(dst, 0, SEEK_SET);
	ftruncate(dst, 0);
	off = 100;
	ok_eq(sendfile(dst, src, &off, 5000), 5000, "5000 bytes from offset 100");
	ok_eq(off, 5100, "the offset moved past them");
	ok_eq(lseek(src, 0, SEEK_CUR), 5, "the source's position did not");
	ok(holds(dst, 0, 100, 5000), "the bytes arrived");
	off = SIZE - 10;
	ok_eq(sendfile(dst, src, &off, 100), 10, "a count past the end: a short count");
	ok_eq(off, SIZE, "the offset stops at the end");
	off = SIZE + 10;
	ok_eq(sendfile(dst, src, &off, 100), 0, "an offset past the end: 0");
	ok_eq(off, SIZE + 10, "and it stays");
	off = 0;
	ok_eq(sendfile(dst, src, &off, 0), 0, "count 0: 0");
	lseek(dst, 8000, SEEK_SET);
	off = 0;
	ok_eq(sendfile(dst, src, &off, 300), 300, "to a destination positioned at 8000");
	ok(holds(dst, 8000, 0, 300) && lseek(dst, 0, SEEK_CUR) == 8300,
	   "written there, its position moved");
	close(dst);
}

static void errors(int src)
{
	int dst = open(DST, O_RDWR | O_TRUNC), ro = open(DST, O_RDONLY);
	int wo = open(SRC, O_WRONLY), app = open(DST, O_WRONLY | O_APPEND);
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	off_t off = 0, neg = -1;

	ok_sys(sendfile(dst, 999, &off, 10), EBADF, "a closed source: EBADF");
	ok_sys(sendfile(999, src, &off, 10), EBADF, "a closed destination: EBADF");
	ok_sys(sendfile(dst, wo, &off, 10), EBADF, "a source open for writing only: EBADF");
	ok_sys(sendfile(ro, src, &off, 10), EBADF, "a destination open for reading only: EBADF");
	ok_sys(sendfile(app, src, &off, 10), EINVAL, "an O_APPEND destination: EINVAL");
	ok_sys(sendfile(dst, src, &neg, 10), EINVAL, "a negative offset: EINVAL");
	ok_sys(sendfile(ro, src, &neg, 10), EINVAL, "the offset is checked before the destination");
	ok_sys(sendfile(dst, src, &off, (size_t)-1), EINVAL, "a count negative as ssize_t: EINVAL");
	ok_sys(sendfile(dst, src, (off_t *)1, 10), EFAULT, "an offset at a bad address: EFAULT");
	ok_sys(sendfile(dst, 999, (off_t *)1, 10), EFAULT, "the offset is read before the source is looked at");
	ok_sys(sendfile(dst, dir, &off, 10), EINVAL, "a directory as the source: EINVAL");
	ok_eq(size_of(dst), 0, "nothing was written by any of them");

	off_t *ro_off = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro_off = 0;
	mprotect(ro_off, PAGE, PROT_READ);
	ok_sys(sendfile(dst, src, ro_off, 10), EFAULT,
	       "an offset that cannot be written back: EFAULT");
	ok_eq(size_of(dst), 10, "after the bytes went");
	munmap(ro_off, PAGE);
	close(dst);
	close(ro);
	close(wo);
	close(app);
	close(dir);
}

static void to_stdout(void)
{
	static const char line[] = "# sendfile to standard output\n";
	int t = open(TXT, O_RDWR | O_CREAT | O_TRUNC, 0644);

	write(t, line, sizeof(line) - 1);
	lseek(t, 0, SEEK_SET);
	fflush(stdout);
	ok_eq(sendfile(1, t, NULL, 1000), sizeof(line) - 1, "a file to standard output (the line above)");
	close(t);
	unlink(TXT);
}

/* A sparse file of 2 GiB + 16 with its last 32 bytes written. */
static void large(void)
{
	int big = open(BIG, O_RDWR | O_CREAT | O_TRUNC, 0644), dst = open(DST, O_RDWR | O_TRUNC);
	long long end = 0x80000010ll;

	ftruncate(big, end);
	pwrite(big, data, 32, end - 32);
	off_t off = 0x7ffffff0;
	ok_eq(sendfile(dst, big, &off, 100), 32, "sendfile: an offset just below 2 GiB, to the end");
	ok(holds(dst, 0, 0, 32) && off == end, "the bytes and the offset");
#if !ABI64
	int32_t off32 = 0x7ffffff0;
	ftruncate(dst, 0);
	lseek(dst, 0, SEEK_SET);
	ok_eq(syscall(SYS_sendfile, dst, big, &off32, 100), 15,
	      "i386 sendfile (32-bit offset): cut at 2 GiB - 1");
	ok_eq(off32, 0x7fffffff, "its offset moved to 2 GiB - 1");
	ok_sys(syscall(SYS_sendfile, dst, big, &off32, 100), EOVERFLOW, "from there: EOVERFLOW");
	off32 = 0;
	ok_eq(syscall(SYS_sendfile, dst, big, &off32, 10), 10, "from offset 0 it works");
	long long off64 = 0x7ffffff0;
	ok_eq(syscall(SYS_sendfile64, dst, big, &off64, 100), 32, "i386 sendfile64 goes past 2 GiB");
	ok_eq(off64, end, "its 64-bit offset moved");
#endif
	close(big);
	close(dst);
	unlink(BIG);
}

static void all_checks(void)
{
	int src;

	fill(data, SIZE, 7);
	mkdir("/tmp", 01777);		/* if missing */
	src = open(SRC, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!ok(src >= 0 && write(src, data, SIZE) == SIZE, "a source file under /tmp"))
		return;
	lseek(src, 0, SEEK_SET);
	basics(src);
	errors(src);
	to_stdout();
	large();
	close(src);
	unlink(SRC);
	unlink(DST);
}

/*
 * The checks run in a child, so that what a process keeps once it has it
 * (stack, page tables) goes too: memcore's free frames are exactly back
 * after it is reaped (the files removed, every buffer freed).
 */
int main(void)
{
	int *counts = map_shared(PAGE), st;
	long before;
	pid_t pid;

	counts[0] = counts[1] = 0;	/* its frame, before they are counted */
	before = syscall(MEMCORE_SYS_free_frames);
	pid = tap_fork();
	if (pid == 0) {
		all_checks();
		counts[0] = tap_count;
		counts[1] = tap_failed;
		_exit(0);
	}
	st = tap_wait(pid);
	tap_count = counts[0];
	tap_failed = counts[1];
	ok_exited_with(st, 0, "the checking process ended");
	if (before >= 0)
		ok_eq(syscall(MEMCORE_SYS_free_frames), before, "every frame is free again");
	else
		ok(1, "every frame is free again");
	return done_testing();
}
