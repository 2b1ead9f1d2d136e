/*
 * t_brk: the raw brk system call. brk(0) returns the current break; growing
 * gives zeroed, writable memory; shrinking takes the pages away (they fault);
 * regrowing gives zeroed pages again; a break below the start, into the
 * kernel's half, or over another mapping fails by returning the old break;
 * a child has its own break.
 */
#include "util.h"

static uintptr_t start;

static void child_brk(void *arg)
{
	uintptr_t base = (uintptr_t)arg;
	char *h = (char *)base;

	if (raw_brk(0) != base + 8 * PAGE)
		_exit(1);
	if (check(h, 8 * PAGE, 5) != -1)
		_exit(2);
	if (raw_brk(base + 16 * PAGE) != base + 16 * PAGE)
		_exit(3);
	fill(h, 16 * PAGE, 6);
	_exit(0);
}

int main(void)
{
	uintptr_t cur, base;
	char *h;
	int st;

	/* Before anything in the program could have moved the break. */
	start = raw_brk(0);
	ok(start != 0 && start != (uintptr_t)-1, "brk(0) returns the break");
	ok_eq(raw_brk(0), start, "brk(0) again returns the same break");

	base = (start + PAGE - 1) & ~(PAGE - 1);
	h = (char *)base;
	ok_eq(raw_brk(base + 16 * PAGE), base + 16 * PAGE, "grow by 16 pages");
	ok_eq(raw_brk(0), base + 16 * PAGE, "brk(0) returns the new break");
	ok_eq(nonzero_at(h, 16 * PAGE), -1, "the new pages read as zero");
	fill(h, 16 * PAGE, 1);
	ok_eq(check(h, 16 * PAGE, 1), -1, "the new pages are writable");

	ok_eq(raw_brk(base + 4 * PAGE), base + 4 * PAGE, "shrink to 4 pages");
	ok_eq(raw_brk(0), base + 4 * PAGE, "brk(0) returns the lower break");
	ok_eq(check(h, 4 * PAGE, 1), -1, "the 4 pages kept keep their content");
	ok_killed_by(run_in_child(probe_read, h + 4 * PAGE), SIGSEGV,
		     "the first page above the break faults");
	ok_killed_by(run_in_child(probe_write, h + 16 * PAGE - 1), SIGSEGV,
		     "the last page of the old heap faults");

	ok_eq(raw_brk(base + 16 * PAGE), base + 16 * PAGE, "grow back to 16 pages");
	ok_eq(check(h, 4 * PAGE, 1), -1, "the 4 kept pages still have their content");
	ok_eq(nonzero_at(h + 4 * PAGE, 12 * PAGE), -1, "the regrown 12 pages read as zero");

	/* Failures return the old break and change nothing. */
	cur = raw_brk(0);
	ok_eq(raw_brk(start - 64 * PAGE), cur, "a break below the start fails: the old break");
	ok_eq(raw_brk(1), cur, "a break of 1 fails: the old break");
	ok_eq(raw_brk(KERNEL_HALF), cur, "a break in the kernel's half fails");
	ok_eq(raw_brk((uintptr_t)-PAGE), cur, "a break at the top of the address space fails");
	ok_eq(raw_brk(0), cur, "the break did not move");
	ok_eq(check(h, 4 * PAGE, 1), -1, "and the heap is intact");

	/* A mapping just above the heap blocks it. */
	{
		char *blk = mmap(h + 64 * PAGE, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		ok(blk == h + 64 * PAGE, "mmap a page 64 pages above the heap's start");
		blk[0] = 'm';
		ok_eq(raw_brk(base + 128 * PAGE), cur, "growing the break over it fails");
		ok(blk[0] == 'm', "the mapping is intact");
		ok_eq(raw_brk(base + 32 * PAGE), base + 32 * PAGE, "growing up to below it works");
		ok_eq(munmap(blk, PAGE), 0, "munmap the blocking page");
		ok_eq(raw_brk(base + 128 * PAGE), base + 128 * PAGE, "then growing past it works");
		ok_eq(nonzero_at(h + 32 * PAGE, 96 * PAGE), -1, "and the pages read as zero");
	}

	/* Unaligned breaks. */
	ok_eq(raw_brk(base + 8 * PAGE + 100), base + 8 * PAGE + 100, "an unaligned break is returned as asked");
	h[8 * PAGE + 99] = 'u';
	ok(h[8 * PAGE + 99] == 'u', "the bytes below it are usable");
	ok_eq(raw_brk(base + 8 * PAGE), base + 8 * PAGE, "back to an aligned break");
	ok_killed_by(run_in_child(probe_read, h + 8 * PAGE), SIGSEGV,
		     "the page above the break faults again");

	/* fork: the child has the parent's heap and its own break. */
	fill(h, 8 * PAGE, 5);
	st = run_in_child(child_brk, (void *)base);
	ok_exited_with(st, 0, "the child sees the heap, the break, and grows its own");
	ok_eq(raw_brk(0), base + 8 * PAGE, "the parent's break did not move");
	ok_eq(check(h, 8 * PAGE, 5), -1, "the parent's heap is unchanged");

	/* Shrinking to the start. */
	ok_eq(raw_brk(start), start, "shrink back to the start");
	ok_eq(raw_brk(base + PAGE), base + PAGE, "and grow one page");
	ok_eq(nonzero_at(h, PAGE), -1, "that page reads as zero");
	return done_testing();
}
