/*
 * t_fresh: memory a process gets is zero, whatever it held before: fresh
 * mmap pages, MAP_POPULATE pages, fresh brk pages, .bss, pages mapped again
 * after a munmap of dirty ones, memory a dead child dirtied, the tail of the
 * last page of a file mapping.
 */
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>

#define N 256 /* 1 MiB */

static char bss_big[64 * 1024];

static void child_dirties(void *arg)
{
	(void)arg;
	for (int i = 0; i < 8; i++) {
		char *d = map_anon(N * PAGE, PROT_READ | PROT_WRITE);

		if (d == MAP_FAILED)
			_exit(1);
		memset(d, 0xa5, N * PAGE);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	char *p, *q;
	uintptr_t base;
	int fd;
	struct stat st;

	(void)argc;
	ok_eq(nonzero_at(bss_big, sizeof(bss_big)), -1, ".bss reads as zero");

	p = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
	ok(p != MAP_FAILED, "mmap 1 MiB");
	if (p == MAP_FAILED)
		return done_testing();
	ok_eq(nonzero_at(p, N * PAGE), -1, "fresh mmap pages read as zero");
	memset(p, 0xff, N * PAGE);
	ok_eq(munmap(p, N * PAGE), 0, "dirty them all and munmap");
	for (int i = 0; i < 4; i++) {
		q = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
		if (q == MAP_FAILED || nonzero_at(q, N * PAGE) != -1)
			p = NULL;
		if (q != MAP_FAILED) {
			memset(q, 0xee, N * PAGE);
			munmap(q, N * PAGE);
		}
	}
	ok(p != NULL, "4 rounds of mmap, check zero, dirty, munmap: always zero");

	q = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok(q != MAP_FAILED, "mmap 1 MiB with MAP_POPULATE");
	if (q == MAP_FAILED)
		return done_testing();
	ok_eq(nonzero_at(q, N * PAGE), -1, "MAP_POPULATE pages read as zero");
	fill(q, N * PAGE, 1);
	ok_eq(check(q, N * PAGE, 1), -1, "MAP_POPULATE pages are writable");
	ok_eq(munmap(q, N * PAGE), 0, "munmap them");
	q = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok(q != MAP_FAILED && nonzero_at(q, 4 * PAGE) == -1,
	   "read-only MAP_POPULATE pages read as zero");
	ok_killed_by(run_in_child(probe_write, q), SIGSEGV, "and are not writable");
	munmap(q, 4 * PAGE);
	q = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok(q != MAP_FAILED && nonzero_at(q, 4 * PAGE) == -1, "shared MAP_POPULATE pages read as zero");
	munmap(q, 4 * PAGE);

	/* The heap. */
	base = (raw_brk(0) + PAGE - 1) & ~(PAGE - 1);
	ok_eq(raw_brk(base + 64 * PAGE), base + 64 * PAGE, "grow the break by 64 pages");
	ok_eq(nonzero_at((char *)base, 64 * PAGE), -1, "fresh brk pages read as zero");
	memset((char *)base, 0x77, 64 * PAGE);
	ok_eq(raw_brk(base), base, "dirty them and shrink the break");
	ok_eq(raw_brk(base + 64 * PAGE), base + 64 * PAGE, "grow it again");
	ok_eq(nonzero_at((char *)base, 64 * PAGE), -1, "the regrown brk pages read as zero");

	/* What a dead child dirtied. */
	ok_exited_with(run_in_child(child_dirties, NULL), 0, "a child dirties 8 MiB and exits");
	q = map_anon(8 * N * PAGE, PROT_READ | PROT_WRITE);
	ok(q != MAP_FAILED && nonzero_at(q, 8 * N * PAGE) == -1,
	   "then 8 MiB of fresh pages read as zero");
	if (q != MAP_FAILED)
		munmap(q, 8 * N * PAGE);

	/* The end of a file mapping. */
	fd = open(argv[0], O_RDONLY);
	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0, "open and fstat the program's own file");
	{
		size_t size = (size_t)st.st_size;
		size_t maplen = (size + PAGE - 1) & ~(PAGE - 1);
		char *f = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

		ok(f != MAP_FAILED, "mmap the whole file private");
		if (f == MAP_FAILED)
			return done_testing();
		ok(memcmp(f, "\177ELF", 4) == 0, "it starts with the ELF magic");
		ok_eq(nonzero_at(f + size, maplen - size), -1,
		      "the bytes after the end of the file in its last page read as zero");
		ok_eq(lseek(fd, -16, SEEK_END), (off_t)size - 16, "lseek to the file's last 16 bytes");
		{
			char tail[16];

			ok(read(fd, tail, 16) == 16 && memcmp(tail, f + size - 16, 16) == 0,
			   "the mapping's last file bytes equal what read() returns");
		}
		ok_eq(munmap(f, maplen), 0, "munmap it");
	}
	close(fd);
	return done_testing();
}
