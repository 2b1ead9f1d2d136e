/*
 * t_filemap: mappings of files. MAP_SHARED stores are the file's bytes at
 * once (read() sees them, another mapping sees them, a forked child's
 * stores too) and write() shows in the mapping; MAP_PRIVATE is
 * copy-on-write over the file (untouched pages follow the file, written
 * ones do not); MADV_DONTNEED per mapping type; truncation shrinks live
 * mappings (SIGBUS past the end); EACCES rules of the descriptor's mode;
 * msync and mincore arguments and results; mremap of a file mapping;
 * memfd_create; MADV_REMOVE on a shared file mapping.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#define F "/tmp/t_filemap"

static int make_file(const char *path, size_t len, unsigned seed)
{
	static unsigned char b[8 * 4096];
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);

	fill(b, len, seed);
	if (fd >= 0 && write(fd, b, len) != (ssize_t)len)
		return -1;
	return fd;
}

static char *probe_at;
static void touch_read(void *arg)
{
	(void)arg;
	probe_read(probe_at);
}

static void shared_child(void *arg)
{
	memcpy(arg, "child", 5);
	_exit(0);
}

static void shared_maps(void)
{
	int fd = make_file(F, 4 * PAGE, 1);
	char *a = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	char r[8];

	ok(a != MAP_FAILED && b != MAP_FAILED, "two shared mappings of a file");
	ok_eq(check(a, 4 * PAGE, 1), -1, "the mapping shows the file");
	memcpy(a + PAGE + 10, "hello", 5);
	ok_eq(pread(fd, r, 5, PAGE + 10), 5, "read() after a store");
	ok(!memcmp(r, "hello", 5), "read() sees the store at once");
	ok(!memcmp(b + PAGE + 10, "hello", 5), "the other mapping sees it");
	ok_eq(pwrite(fd, "world", 5, 3 * PAGE), 5, "write() to the file");
	ok(!memcmp(a + 3 * PAGE, "world", 5), "the mapping sees write()");
	ok_exited_with(run_in_child(shared_child, a + 2 * PAGE), 0, "a child stores into it");
	ok(!memcmp(b + 2 * PAGE, "child", 5), "the parent sees the child's store");
	ok_eq(msync(a, 4 * PAGE, MS_SYNC), 0, "msync MS_SYNC");
	ok_eq(msync(a, 4 * PAGE, MS_ASYNC | MS_INVALIDATE), 0, "msync MS_ASYNC|MS_INVALIDATE");
	ok_sys(msync(a, PAGE, MS_SYNC | MS_ASYNC), EINVAL, "msync with SYNC and ASYNC");
	ok_sys(msync(a + 1, PAGE, MS_SYNC), EINVAL, "msync unaligned");
	ok_sys(msync(a, PAGE, 8), EINVAL, "msync with an unknown flag");
	munmap(b, 4 * PAGE);
	char *h = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	munmap(h + PAGE, PAGE);
	ok_sys(msync(h, 3 * PAGE, MS_SYNC), ENOMEM, "msync over an unmapped page");
	munmap(h, 3 * PAGE);

	/* Truncation shrinks the mapping: past the end is SIGBUS, the tail of the last page zero. */
	ok_eq(ftruncate(fd, PAGE + 100), 0, "truncate the mapped file to a page and 100 bytes");
	probe_at = a + 2 * PAGE;
	ok_killed_by(run_in_child(touch_read, NULL), SIGBUS, "reading a page past the end: SIGBUS");
	ok_eq(nonzero_at(a + PAGE + 100, PAGE - 100), -1, "the last page's tail reads zero");
	ok_eq(ftruncate(fd, 4 * PAGE), 0, "extend it again");
	ok_eq(nonzero_at(a + 2 * PAGE, 2 * PAGE), -1, "the pages are back, zero");
	a[3 * PAGE] = 'z';
	ok_eq(pread(fd, r, 1, 3 * PAGE), 1, "read the new page");
	ok_eq(r[0], 'z', "stores reach the extended file");

	/* MADV_DONTNEED keeps shared data; MADV_REMOVE punches the file. */
	ok_eq(madvise(a, 4 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on the shared mapping");
	ok_eq(a[3 * PAGE], 'z', "shared data stays");
	char *cw = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	cw[3 * PAGE + 1] = 'c';					/* a private copy of page 3 */
	ok_eq(cw[2 * PAGE], 0, "a private mapping of the file");
	ok_eq(madvise(a + 3 * PAGE, PAGE, MADV_REMOVE), 0, "MADV_REMOVE of the last page");
	ok(cw[3 * PAGE] == 'z' && cw[3 * PAGE + 1] == 'c', "a private copy of the page is kept");
	munmap(cw, 4 * PAGE);
	ok_eq(pread(fd, r, 1, 3 * PAGE), 1, "read it");
	ok_eq(r[0], 0, "the hole reads zero through read()");
	ok_eq(a[3 * PAGE], 0, "and through the mapping");
	struct stat st;
	fstat(fd, &st);
	ok_eq(st.st_size, 4 * PAGE, "MADV_REMOVE keeps the size");

	/* mremap: grow the shared mapping over the file, and move it. */
	ok_eq(ftruncate(fd, 6 * PAGE), 0, "grow the file to 6 pages");
	pwrite(fd, "five", 4, 5 * PAGE);
	char *m = mremap(a, 4 * PAGE, 6 * PAGE, MREMAP_MAYMOVE);
	ok(m != MAP_FAILED, "mremap the shared mapping to 6 pages");
	ok(!memcmp(m + 5 * PAGE, "five", 4), "the new pages map the file");
	ok(!memcmp(m + PAGE + 10, "hello", 5), "the old pages kept");
	munmap(m, 6 * PAGE);
	close(fd);
	unlink(F);
}

static void private_maps(void)
{
	int fd = make_file(F, 4 * PAGE, 2);
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *s = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char r[4];

	ok(p != MAP_FAILED && s != MAP_FAILED, "a private and a shared mapping of a file");
	ok_eq(check(p, 4 * PAGE, 2), -1, "the private mapping shows the file");
	p[0] = 'P';
	ok_eq(pread(fd, r, 1, 0), 1, "read the file");
	ok(r[0] != 'P', "a private store stays private");
	ok(s[0] != 'P', "the shared mapping does not see it");
	s[PAGE] = 'S';
	ok_eq(p[PAGE], 'S', "an untouched private page follows the file");
	s[0] = 'Q';
	ok_eq(p[0], 'P', "a written private page does not");
	ok_eq(madvise(p, 4 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on the private mapping");
	ok_eq(p[0], 'Q', "the private page reverts to the file");
	ok_sys(madvise(p, PAGE, MADV_REMOVE), EACCES, "MADV_REMOVE on a private file mapping");
	munmap(p, 4 * PAGE);
	munmap(s, 4 * PAGE);

	/* A mapping longer than the file: the last page's tail is zero, beyond is SIGBUS. */
	ftruncate(fd, PAGE + 1);
	p = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ok_eq(nonzero_at(p + PAGE + 1, PAGE - 1), -1, "past the end in the last page: zero");
	probe_at = p + 2 * PAGE;
	ok_killed_by(run_in_child(touch_read, NULL), SIGBUS, "a page wholly past the end: SIGBUS");
	munmap(p, 4 * PAGE);
	close(fd);
}

static void access_rules(void)
{
	int ro = open(F, O_RDONLY), wo = open(F, O_WRONLY);
	char *p;

	ok_sys(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES,
	       "MAP_SHARED|PROT_WRITE on a read-only descriptor");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ok(p != MAP_FAILED, "MAP_SHARED|PROT_READ on it");
	ok_sys(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES, "which mprotect cannot make writable");
	munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	ok(p != MAP_FAILED, "MAP_PRIVATE|PROT_WRITE on a read-only descriptor");
	munmap(p, PAGE);
	ok_sys(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES, "a write-only descriptor");
	ok_sys(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, 1000, 0), EBADF, "a bad descriptor");
	close(ro);
	close(wo);
	unlink(F);
}

static void residency(void)
{
	unsigned char v[8];
	char *a = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = make_file(F, 2 * PAGE, 5);

	a[PAGE] = 1;
	ok_eq(mincore(a, 4 * PAGE, v), 0, "mincore of anonymous memory");
	ok(v[0] == 0 && v[1] == 1 && v[2] == 0 && v[3] == 0, "only the touched page is resident");
	ok_sys(mincore(a + 1, PAGE, v), EINVAL, "mincore unaligned");
	munmap(a + 2 * PAGE, PAGE);
	ok_sys(mincore(a, 4 * PAGE, v), ENOMEM, "mincore over a hole");
	ok_eq(mincore(a, 3000, v), 0, "a length rounded up");
	munmap(a, 4 * PAGE);
	ftruncate(fd, 4 * PAGE);
	char *f = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ok_eq(mincore(f, 4 * PAGE, v), 0, "mincore of a file mapping never touched");
	ok(v[0] == 1 && v[1] == 1 && v[2] == 0 && v[3] == 0,
	   "the written pages are in the page cache, the hole is not");
	munmap(f, 4 * PAGE);
	close(fd);
	unlink(F);
}

static void memfd(void)
{
	int fd = memfd_create("t_filemap", 0);
	struct stat st;
	char *a, *b;

	ok(fd >= 0, "memfd_create");
	ok_eq(ftruncate(fd, 3 * PAGE), 0, "size it");
	a = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	fill(a, 3 * PAGE, 8);
	ok_eq(check(b, 3 * PAGE, 8), -1, "two mappings share its pages");
	ok_eq(fstat(fd, &st), 0, "fstat");
	ok_eq(st.st_size, 3 * PAGE, "its size");
	ok(S_ISREG(st.st_mode), "a regular file");
	ok_sys(memfd_create("x", 0x100), EINVAL, "an unknown flag");
	munmap(a, 3 * PAGE);
	munmap(b, 3 * PAGE);
	close(fd);
}

int main(void)
{
	mkdir("/tmp", 01777);
	shared_maps();
	private_maps();
	access_rules();
	residency();
	memfd();
	return done_testing();
}
