/*
 * t_madvise: MADV_DONTNEED drops private anonymous pages (they read as zero
 * again, only the covered ones), keeps the content of shared anonymous
 * pages (as Linux does), brings a private file mapping back to the file's
 * bytes, and in a child after fork leaves the parent's copy alone.
 */
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

static char *p;

static void child_dontneed(void *arg)
{
	(void)arg;
	if (madvise(p, 4 * PAGE, MADV_DONTNEED) != 0)
		_exit(1);
	if (nonzero_at(p, 4 * PAGE) != -1)
		_exit(2);
	_exit(0);
}

static void child_shared_dontneed(void *arg)
{
	char *s = arg;

	if (madvise(s, 4 * PAGE, MADV_DONTNEED) != 0)
		_exit(1);
	if (check(s, 4 * PAGE, 3) != -1)
		_exit(2);
	_exit(0);
}

int main(int argc, char **argv)
{
	char *s, *f;
	int fd;
	struct stat stt;

	(void)argc;
	p = map_anon(8 * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(p != MAP_FAILED, "mmap 8 private pages"))
		return done_testing();
	fill(p, 8 * PAGE, 1);
	ok_eq(madvise(p + 2 * PAGE, 3 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on pages 2-4");
	ok_eq(nonzero_at(p + 2 * PAGE, 3 * PAGE), -1, "pages 2-4 read as zero");
	ok_eq(check_at(p, 0, 2 * PAGE, 1), -1, "pages 0-1 keep their content");
	ok_eq(check_at(p, 5 * PAGE, 3 * PAGE, 1), -1, "pages 5-7 keep their content");
	fill(p, 8 * PAGE, 2);
	ok_eq(check(p, 8 * PAGE, 2), -1, "all 8 pages are writable afterwards");
	ok_eq(madvise(p, 8 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on all 8");
	ok_eq(nonzero_at(p, 8 * PAGE), -1, "all 8 read as zero");
	ok_eq(madvise(p, 8 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on pages never touched since");
	ok_eq(nonzero_at(p, 8 * PAGE), -1, "still zero");

	/* In a child after fork: the child's copy goes, the parent's stays. */
	fill(p, 4 * PAGE, 9);
	ok_exited_with(run_in_child(child_dontneed, NULL), 0,
		       "a child's MADV_DONTNEED zeroes its copy");
	ok_eq(check(p, 4 * PAGE, 9), -1, "the parent's copy keeps its content");

	/* Read-only private pages: allowed, and they read as zero afterwards. */
	fill(p, 2 * PAGE, 4);
	ok_eq(mprotect(p, 2 * PAGE, PROT_READ), 0, "mprotect 2 written pages read-only");
	ok_eq(madvise(p, 2 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on them");
	ok_eq(nonzero_at(p, 2 * PAGE), -1, "they read as zero");
	ok_killed_by(run_in_child(probe_write, p), SIGSEGV, "and are still read-only");

	/* Shared anonymous: the content stays. */
	s = map_shared(4 * PAGE);
	ok(s != MAP_FAILED, "mmap 4 shared pages");
	fill(s, 4 * PAGE, 3);
	ok_eq(madvise(s, 4 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on shared pages");
	ok_eq(check(s, 4 * PAGE, 3), -1, "shared pages keep their content");
	ok_exited_with(run_in_child(child_shared_dontneed, s), 0,
		       "so do they in a child that drops them");
	ok_eq(check(s, 4 * PAGE, 3), -1, "and in the parent afterwards");

	/* A private mapping of the program's file goes back to the file's bytes. */
	fd = open(argv[0], O_RDONLY);
	ok(fd >= 0 && fstat(fd, &stt) == 0 && stt.st_size >= (off_t)PAGE,
	   "open and fstat the program's own file");
	f = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok(f != MAP_FAILED, "mmap its first 2 pages private read-write");
	if (f == MAP_FAILED)
		return done_testing();
	ok(memcmp(f, "\177ELF", 4) == 0, "the mapping starts with the ELF magic");
	memset(f, 'x', 8);
	ok(f[0] == 'x' && f[7] == 'x', "it can be written");
	ok_eq(madvise(f, 2 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED on it");
	ok(memcmp(f, "\177ELF", 4) == 0, "it reads the file's bytes again");
	close(fd);
	ok(memcmp(f, "\177ELF", 4) == 0, "and still does after close");
	ok_eq(munmap(f, 2 * PAGE), 0, "munmap it");
	return done_testing();
}
