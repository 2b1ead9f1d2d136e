/*
 * t_munmap_split: munmap of part of a mapping splits it; what is left keeps
 * its content and stays usable, what was unmapped faults (checked in a child,
 * which SIGSEGV kills) and is free again.
 */
#include "util.h"

#define N 8

int main(void)
{
	char *p = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
	char *q;
	int st, good;

	if (!ok(p != MAP_FAILED, "mmap 8 pages"))
		return done_testing();
	fill(p, N * PAGE, 1);

	/* The middle: pages 3 and 4. */
	ok_eq(munmap(p + 3 * PAGE, 2 * PAGE), 0, "munmap of the middle two pages");
	ok_eq(check_at(p, 0, 3 * PAGE, 1), -1, "the low part keeps its content");
	ok_eq(check_at(p, 5 * PAGE, 3 * PAGE, 1), -1, "the high part keeps its content");
	p[0] = 'a';
	p[3 * PAGE - 1] = 'b';
	p[5 * PAGE] = 'c';
	p[N * PAGE - 1] = 'd';
	ok(p[0] == 'a' && p[3 * PAGE - 1] == 'b' && p[5 * PAGE] == 'c' && p[N * PAGE - 1] == 'd',
	   "both parts are still writable");

	st = run_in_child(probe_read, p + 3 * PAGE);
	ok_killed_by(st, SIGSEGV, "reading the first byte of the hole faults");
	st = run_in_child(probe_write, p + 5 * PAGE - 1);
	ok_killed_by(st, SIGSEGV, "writing the last byte of the hole faults");
	st = run_in_child(probe_read, p + 4 * PAGE + 100);
	ok_killed_by(st, SIGSEGV, "reading inside the second page of the hole faults");
	st = run_in_child(probe_rw, p + 3 * PAGE - 1);
	ok_exited_with(st, 0, "the byte just below the hole is usable in a child");
	st = run_in_child(probe_rw, p + 5 * PAGE);
	ok_exited_with(st, 0, "the byte just above the hole is usable in a child");

	ok_sys(mprotect(p + 3 * PAGE, PAGE, PROT_READ), ENOMEM, "mprotect of the hole: ENOMEM");
	ok_sys(mprotect(p, N * PAGE, PROT_READ | PROT_WRITE), ENOMEM,
	       "mprotect across the hole: ENOMEM");
	ok(p[0] == 'a' && p[5 * PAGE] == 'c', "the failed mprotect left both parts usable");
	p[1] = 'x';
	p[5 * PAGE + 1] = 'y';
	ok(p[1] == 'x' && p[5 * PAGE + 1] == 'y', "both parts still writable after it");
	p[1] = (char)pat(1, 1);
	p[5 * PAGE + 1] = (char)pat(1, 5 * PAGE + 1);

	q = mmap(p + 3 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(q == p + 3 * PAGE, "the hole can be mapped again with MAP_FIXED_NOREPLACE");
	ok(q == p + 3 * PAGE && nonzero_at(q, 2 * PAGE) == -1, "and the new pages read as zero");
	ok_eq(check_at(p, 1, 3 * PAGE - 2, 1), -1, "refilling the hole left the low part alone");
	ok_eq(check_at(p, 5 * PAGE + 1, 3 * PAGE - 2, 1), -1,
	      "refilling the hole left the high part alone");

	/* Trim both ends. */
	ok_eq(munmap(p, PAGE), 0, "munmap of the first page");
	ok_eq(munmap(p + (N - 1) * PAGE, PAGE), 0, "munmap of the last page");
	st = run_in_child(probe_read, p);
	ok_killed_by(st, SIGSEGV, "the trimmed first page faults");
	st = run_in_child(probe_read, p + (N - 1) * PAGE);
	ok_killed_by(st, SIGSEGV, "the trimmed last page faults");
	ok_eq(check_at(p, PAGE, 2 * PAGE - 1, 1), -1, "pages 1-2 keep their content");
	ok_eq(check_at(p, 5 * PAGE + 1, 2 * PAGE - 1, 1), -1, "pages 5-6 keep their content");
	ok_eq(munmap(p, N * PAGE), 0, "munmap of the whole range, holes included");
	st = run_in_child(probe_read, p + PAGE);
	ok_killed_by(st, SIGSEGV, "after that the range faults");
	ok_eq(munmap(p, N * PAGE), 0, "munmap of a range with nothing mapped succeeds");

	/* Many splits: unmap every other page of 64. */
	{
		enum { M = 64 };
		char *m = map_anon(M * PAGE, PROT_READ | PROT_WRITE);
		int unm = 1;

		if (!ok(m != MAP_FAILED, "mmap 64 pages"))
			return done_testing();
		fill(m, M * PAGE, 7);
		for (int i = 1; i < M; i += 2)
			if (munmap(m + i * PAGE, PAGE) != 0)
				unm = 0;
		ok(unm, "munmap of every odd page");
		good = 1;
		for (int i = 0; i < M; i += 2)
			if (check_at(m, i * PAGE, PAGE, 7) != -1)
				good = 0;
		ok(good, "every even page keeps its content");
		st = run_in_child(probe_read, m + 33 * PAGE);
		ok_killed_by(st, SIGSEGV, "an odd page faults");
		for (int i = 0; i < M; i += 2)
			m[i * PAGE] = (char)i;
		good = 1;
		for (int i = 0; i < M; i += 2)
			if (m[i * PAGE] != (char)i)
				good = 0;
		ok(good, "every even page is writable");
		ok_eq(munmap(m, M * PAGE), 0, "munmap of the whole 64 pages");
		st = run_in_child(probe_read, m + 32 * PAGE);
		ok_killed_by(st, SIGSEGV, "after that an even page faults");
	}
	return done_testing();
}
