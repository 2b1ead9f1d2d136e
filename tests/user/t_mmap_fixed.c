/*
 * t_mmap_fixed: MAP_FIXED replaces what was mapped (the new pages read as
 * zero, the rest is untouched, the new protection applies);
 * MAP_FIXED_NOREPLACE on an occupied range fails with EEXIST and changes
 * nothing, and on a free range maps exactly there; an address hint without
 * MAP_FIXED is honoured when the range is free and otherwise ignored.
 */
#include "util.h"

#include <fcntl.h>

int main(int argc, char **argv)
{
	char *p, *q, *h;
	int fd;

	(void)argc;
	p = map_anon(8 * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(p != MAP_FAILED, "mmap 8 pages"))
		return done_testing();
	fill(p, 8 * PAGE, 1);

	/* MAP_FIXED over the middle. */
	q = mmap(p + 2 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok(q == p + 2 * PAGE, "MAP_FIXED over pages 2-4 returns that address");
	ok_eq(nonzero_at(p + 2 * PAGE, 3 * PAGE), -1, "pages 2-4 read as zero");
	ok_eq(check_at(p, 0, 2 * PAGE, 1), -1, "pages 0-1 are untouched");
	ok_eq(check_at(p, 5 * PAGE, 3 * PAGE, 1), -1, "pages 5-7 are untouched");

	/* MAP_FIXED with another protection. */
	q = mmap(p + 6 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok(q == p + 6 * PAGE, "MAP_FIXED read-only over page 6");
	ok_eq(nonzero_at(q, PAGE), -1, "it reads as zero");
	ok_killed_by(run_in_child(probe_write, q), SIGSEGV, "and writing it faults");
	ok_exited_with(run_in_child(probe_rw, p + 7 * PAGE), 0, "page 7 is still read-write");

	/* MAP_FIXED spanning a mapped part and a hole. */
	ok_eq(munmap(p + 7 * PAGE, PAGE), 0, "munmap page 7");
	q = mmap(p + 5 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok(q == p + 5 * PAGE, "MAP_FIXED over pages 5-7, across the hole");
	ok_eq(nonzero_at(q, 3 * PAGE), -1, "pages 5-7 read as zero");
	ok_exited_with(run_in_child(probe_rw, p + 6 * PAGE), 0, "page 6 is read-write again");

	/* MAP_FIXED_NOREPLACE. */
	fill(p, 8 * PAGE, 2);
	errno = 0;
	ok_sys(mmap(p + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
	       EEXIST, "MAP_FIXED_NOREPLACE on a mapped page: EEXIST");
	ok_eq(munmap(p + 6 * PAGE, 2 * PAGE), 0, "munmap pages 6-7");
	ok_sys(mmap(p + 5 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
	       EEXIST, "MAP_FIXED_NOREPLACE partly over a mapped page: EEXIST");
	ok_eq(check(p, 6 * PAGE, 2), -1, "the failures changed nothing");
	ok_killed_by(run_in_child(probe_read, p + 6 * PAGE), SIGSEGV,
		     "and mapped nothing in the free part");
	q = mmap(p + 6 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(q == p + 6 * PAGE, "MAP_FIXED_NOREPLACE on the free pages maps exactly there");
	ok_eq(nonzero_at(q, 2 * PAGE), -1, "they read as zero");
	q[0] = 'n';
	ok(q[0] == 'n', "and are writable");

	/* Hints. */
	/* In the middle of a free range, not where a kernel would put it unasked. */
	h = free_range(8);
	ok(h != NULL, "find 8 free pages");
	h += 2 * PAGE;
	q = mmap(h, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(q == h, "a hint in the middle of a free range is honoured");
	ok_eq(nonzero_at(q, 4 * PAGE), -1, "the pages read as zero");
	fill(q, 4 * PAGE, 3);
	q = mmap(p, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(q != MAP_FAILED && q != p, "a hint on a mapped range gives another address");
	ok_eq(check(p, 6 * PAGE, 2), -1, "and leaves the mapping there alone");
	ok_eq(check(h, 4 * PAGE, 3), -1, "the hinted mapping keeps its content");
	ok_eq(munmap(q, 2 * PAGE), 0, "munmap the displaced mapping");
	q = mmap(h + 1, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(q != MAP_FAILED && ((uintptr_t)q & (PAGE - 1)) == 0,
	   "an unaligned hint without MAP_FIXED still gives an aligned mapping");
	ok_eq(munmap(q, PAGE), 0, "munmap it");

	/* MAP_FIXED of the program's file over anonymous memory. */
	fd = open(argv[0], O_RDONLY);
	ok(fd >= 0, "open the program's own file");
	q = mmap(h, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	ok(q == h, "MAP_FIXED private file mapping over an anonymous page");
	ok(q == h && memcmp(h, "\177ELF", 4) == 0, "it shows the file's bytes");
	ok_eq(check_at(h, PAGE, 3 * PAGE, 3), -1, "the other 3 anonymous pages are untouched");
	close(fd);
	q = mmap(h, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok(q == h && nonzero_at(h, PAGE) == -1, "MAP_FIXED anonymous back over it reads zero");
	ok(munmap(p, 8 * PAGE) == 0 && munmap(h, 4 * PAGE) == 0, "munmap everything");
	return done_testing();
}
