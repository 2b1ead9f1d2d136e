/*
 * t_mprotect: mprotect changes exactly the pages it covers; PROT_NONE and
 * read-only violations kill a child with SIGSEGV; protection survives fork;
 * the kernel honours it when it copies to or from user memory (EFAULT);
 * changing it back restores access with the content intact.
 */
#include "util.h"

#include <fcntl.h>

#define N 6

static char *p;

/* Fork a child that probes one address; status for ok_*. */
static int probe(void (*fn)(void *), size_t off)
{
	return run_in_child(fn, p + off);
}

int main(int argc, char **argv)
{
	int st, fd;

	(void)argc;
	p = map_anon(N * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(p != MAP_FAILED, "mmap 6 pages read-write"))
		return done_testing();
	fill(p, N * PAGE, 3);

	/* Page 1 read-only, page 3 PROT_NONE. */
	ok_eq(mprotect(p + PAGE, PAGE, PROT_READ), 0, "mprotect page 1 read-only");
	ok_eq(mprotect(p + 3 * PAGE, PAGE, PROT_NONE), 0, "mprotect page 3 PROT_NONE");
	ok_eq(check_at(p, PAGE, PAGE, 3), -1, "the read-only page is readable with its content");

	ok_killed_by(probe(probe_write, PAGE), SIGSEGV, "writing the read-only page faults");
	ok_killed_by(probe(probe_write, 2 * PAGE - 1), SIGSEGV,
		     "writing the last byte of the read-only page faults");
	ok_exited_with(probe(probe_read, PAGE + 7), 0, "reading the read-only page works");
	ok_killed_by(probe(probe_read, 3 * PAGE), SIGSEGV, "reading the PROT_NONE page faults");
	ok_killed_by(probe(probe_write, 4 * PAGE - 1), SIGSEGV, "writing the PROT_NONE page faults");
	ok_exited_with(probe(probe_rw, PAGE - 1), 0, "the page below stays read-write");
	ok_exited_with(probe(probe_rw, 2 * PAGE), 0, "the page between stays read-write");
	ok_exited_with(probe(probe_rw, 4 * PAGE), 0, "the page above stays read-write");
	ok_exited_with(probe(probe_rw, N * PAGE - 1), 0, "the last page stays read-write");

	/* The kernel copying into a read-only page, or out of a PROT_NONE page. */
	fd = open(argv[0], O_RDONLY);
	ok(fd >= 0, "open the program's own file");
	ok_sys(read(fd, p + PAGE, 16), EFAULT, "read() into the read-only page: EFAULT");
	ok_eq(check_at(p, PAGE, PAGE, 3), -1, "and the read-only page is unchanged");
	ok_sys(read(fd, p + 3 * PAGE, 16), EFAULT, "read() into the PROT_NONE page: EFAULT");
	ok_sys(write(1, p + 3 * PAGE, 16), EFAULT, "write() from the PROT_NONE page: EFAULT");
	ok_eq(lseek(fd, 0, SEEK_SET), 0, "lseek back to the start");
	ok_eq(read(fd, p + 2 * PAGE, 4), 4, "read() into a read-write page works");
	ok(memcmp(p + 2 * PAGE, "\177ELF", 4) == 0, "and brings the ELF magic");
	for (size_t i = 2 * PAGE; i < 2 * PAGE + 4; i++)
		p[i] = (char)pat(3, i);
	close(fd);

	/* A range covering pages of different protections. */
	ok_eq(mprotect(p, N * PAGE, PROT_READ), 0, "mprotect all 6 pages read-only");
	ok_killed_by(probe(probe_write, 0), SIGSEGV, "now page 0 is read-only");
	ok_killed_by(probe(probe_write, 5 * PAGE), SIGSEGV, "and page 5 is read-only");
	ok_exited_with(probe(probe_read, 3 * PAGE), 0, "and the PROT_NONE page is readable");
	ok_eq(check_at(p, 3 * PAGE, PAGE, 3), -1, "with its content intact");

	/* Protection is inherited by fork. */
	ok_eq(mprotect(p + 4 * PAGE, 2 * PAGE, PROT_NONE), 0, "mprotect pages 4-5 PROT_NONE");
	st = probe(probe_read, 5 * PAGE);
	ok_killed_by(st, SIGSEGV, "a child inherits PROT_NONE");

	/* Back to read-write: everything usable, content intact. */
	ok_eq(mprotect(p, N * PAGE, PROT_READ | PROT_WRITE), 0, "mprotect all back to read-write");
	ok_eq(check(p, N * PAGE, 3), -1, "all 6 pages have their content");
	fill(p, N * PAGE, 4);
	ok_eq(check(p, N * PAGE, 4), -1, "all 6 pages are writable again");

	/* Read-only, then PROT_NONE, then read-only again: content survives. */
	ok_eq(mprotect(p + 2 * PAGE, 2 * PAGE, PROT_NONE), 0, "mprotect pages 2-3 PROT_NONE again");
	ok_eq(mprotect(p + 2 * PAGE, 2 * PAGE, PROT_READ), 0, "then read-only");
	ok_eq(check_at(p, 2 * PAGE, 2 * PAGE, 4), -1, "their content survived");

	/* A page never touched before it became PROT_NONE, then readable: zero. */
	{
		char *z = map_anon(2 * PAGE, PROT_NONE);

		ok(z != MAP_FAILED, "mmap 2 pages PROT_NONE");
		ok_killed_by(run_in_child(probe_read, z), SIGSEGV, "reading a PROT_NONE mapping faults");
		ok_eq(mprotect(z, 2 * PAGE, PROT_READ), 0, "mprotect it read-only");
		ok_eq(nonzero_at(z, 2 * PAGE), -1, "it reads as zero");
		ok_killed_by(run_in_child(probe_write, z + PAGE), SIGSEGV, "and cannot be written");
		ok_eq(mprotect(z, 2 * PAGE, PROT_READ | PROT_WRITE), 0, "mprotect it read-write");
		z[PAGE] = 9;
		ok(z[PAGE] == 9 && z[0] == 0, "it can be written");
		ok_eq(munmap(z, 2 * PAGE), 0, "munmap it");
	}

	/* Write-only: on x86 it implies read. */
	ok_eq(mprotect(p, PAGE, PROT_WRITE), 0, "mprotect PROT_WRITE alone succeeds");
	ok_exited_with(probe(probe_rw, 0), 0, "a PROT_WRITE page is readable and writable on x86");

	ok_eq(mprotect(p + PAGE, 0, PROT_NONE), 0, "mprotect of length 0 succeeds");
	ok_exited_with(probe(probe_rw, PAGE), 0, "and changes nothing");
	ok_eq(munmap(p, N * PAGE), 0, "munmap all");
	return done_testing();
}
