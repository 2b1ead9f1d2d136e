/*
 * t_mremap: growing in place when the pages above are free, moving with
 * MREMAP_MAYMOVE when they are not (content kept, old range unmapped),
 * refusing to move without it, shrinking (the tail is unmapped), moving to a
 * chosen address with MREMAP_FIXED, and a move in a child leaving the
 * parent's copy alone.
 */
#define _GNU_SOURCE
#include "util.h"

static char *cp;

static void child_moves(void *arg)
{
	char *blk, *q;

	(void)arg;
	/* Block growth in place so the mapping must move. */
	blk = mmap(cp + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (blk != cp + 4 * PAGE)
		_exit(1);
	q = mremap(cp, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED || q == cp)
		_exit(2);
	if (check(q, 4 * PAGE, 40) != -1)
		_exit(3);
	fill(q, 16 * PAGE, 41);
	_exit(0);
}

int main(void)
{
	char *p, *q, *blk, *dst;

	/*
	 * Layout: p[0, 4) data, [4, 8) free, [8] a blocking page, [9, 12) free.
	 */
	p = map_anon(12 * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(p != MAP_FAILED, "mmap 12 pages"))
		return done_testing();
	ok(munmap(p + 4 * PAGE, 4 * PAGE) == 0 && munmap(p + 9 * PAGE, 3 * PAGE) == 0,
	   "munmap pages 4-7 and 9-11, keeping page 8");
	blk = p + 8 * PAGE;
	blk[0] = 'b';
	fill(p, 4 * PAGE, 1);
	q = mremap(p, 4 * PAGE, 8 * PAGE, 0);
	ok(q == p, "mremap 4 -> 8 pages without MAYMOVE grows in place");
	ok_eq(check(p, 4 * PAGE, 1), -1, "the old 4 pages keep their content");
	ok_eq(nonzero_at(p + 4 * PAGE, 4 * PAGE), -1, "the 4 new pages read as zero");
	p[8 * PAGE - 1] = 'z';
	ok(p[8 * PAGE - 1] == 'z', "the new pages are writable");

	/* Blocked by page 8: without MAYMOVE fails, with MAYMOVE moves. */
	fill(p, 8 * PAGE, 2);
	ok_sys(mremap(p, 8 * PAGE, 16 * PAGE, 0), ENOMEM,
	       "growing over the next mapping without MAYMOVE: ENOMEM");
	ok_eq(check(p, 8 * PAGE, 2), -1, "the mapping is unchanged by the failure");
	q = mremap(p, 8 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED && q != p, "with MREMAP_MAYMOVE it moves");
	if (q == MAP_FAILED)
		return done_testing();
	ok_eq(check(q, 8 * PAGE, 2), -1, "the moved pages keep their content");
	ok_eq(nonzero_at(q + 8 * PAGE, 8 * PAGE), -1, "the added pages read as zero");
	fill(q, 16 * PAGE, 3);
	ok_eq(check(q, 16 * PAGE, 3), -1, "all 16 pages are writable");
	ok_killed_by(run_in_child(probe_read, p), SIGSEGV, "the old range's first page faults");
	ok_killed_by(run_in_child(probe_read, p + 8 * PAGE - 1), SIGSEGV,
		     "the old range's last page faults");
	ok(blk[0] == 'b', "the blocking page is intact");
	ok_sys(mprotect(p, 8 * PAGE, PROT_READ), ENOMEM, "mprotect of the old range: ENOMEM");

	/* Shrink. */
	fill(q, 16 * PAGE, 4);
	ok(mremap(q, 16 * PAGE, 6 * PAGE, 0) == q, "shrink 16 -> 6 pages in place");
	ok_eq(check(q, 6 * PAGE, 4), -1, "the 6 pages left keep their content");
	ok_killed_by(run_in_child(probe_read, q + 6 * PAGE), SIGSEGV, "the page above them faults");
	ok_killed_by(run_in_child(probe_write, q + 16 * PAGE - 1), SIGSEGV,
		     "the old last page faults");

	/* Same size: no change. */
	ok(mremap(q, 6 * PAGE, 6 * PAGE, 0) == q, "mremap to the same size returns the address");
	ok_eq(check(q, 6 * PAGE, 4), -1, "and keeps the content");

	/* MREMAP_FIXED: to a chosen address, replacing what was there. */
	dst = map_anon(6 * PAGE, PROT_READ | PROT_WRITE);
	ok(dst != MAP_FAILED, "mmap 6 destination pages");
	fill(dst, 6 * PAGE, 5);
	ok(mremap(q, 6 * PAGE, 6 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == dst,
	   "MREMAP_FIXED moves onto the destination");
	ok_eq(check(dst, 6 * PAGE, 4), -1, "the destination has the moved content");
	ok_killed_by(run_in_child(probe_read, q), SIGSEGV, "the source range faults");
	ok_sys(mremap(dst, 6 * PAGE, 6 * PAGE, MREMAP_FIXED, q), EINVAL,
	       "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");

	/* Moving in a child: the parent's pages stay. */
	cp = map_anon(8 * PAGE, PROT_READ | PROT_WRITE);
	ok(cp != MAP_FAILED, "mmap 8 pages");
	ok_eq(munmap(cp + 4 * PAGE, 4 * PAGE), 0, "munmap the top 4");
	fill(cp, 4 * PAGE, 40);
	ok_exited_with(run_in_child(child_moves, NULL), 0, "a child moves and rewrites its copy");
	ok_eq(check(cp, 4 * PAGE, 40), -1, "the parent's copy is unchanged");
	ok_killed_by(run_in_child(probe_read, cp + 4 * PAGE), SIGSEGV,
		     "the child's blocking page is not in the parent");

	/* Shrink to part of a mapping split by mprotect. */
	{
		char *m = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

		fill(m, 4 * PAGE, 6);
		ok_eq(mprotect(m + 2 * PAGE, 2 * PAGE, PROT_READ), 0, "mprotect the top half read-only");
		ok(mremap(m, 4 * PAGE, PAGE, 0) == m, "shrink across the protection change to 1 page");
		ok_eq(check(m, PAGE, 6), -1, "the page left keeps its content");
		ok_killed_by(run_in_child(probe_read, m + 2 * PAGE), SIGSEGV,
			     "the read-only part is gone");
		q = mremap(m, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
		ok(q != MAP_FAILED, "grow it to 3 pages");
		ok_exited_with(run_in_child(probe_rw, q + 2 * PAGE), 0,
			       "the grown pages are read-write like the first");
		ok_eq(check(q, PAGE, 6), -1, "the first page keeps its content");
	}
	return done_testing();
}
