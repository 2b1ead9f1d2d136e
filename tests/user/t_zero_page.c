/*
 * t_zero_page: reading private anonymous memory costs no memory (Linux maps
 * its shared zero page), so a read-only MAP_POPULATE or a read of every
 * page of a mapping larger than RAM works; the first write gives the page a
 * frame of its own, private to the writer, and its neighbours still read
 * zero. A populated 1 TiB PROT_NONE mapping returns at once.
 */
#define _GNU_SOURCE
#include "util.h"

#define BIG	(3UL << 29)	/* 1.5 GiB: more than the test machine's RAM */
#define HALF	(640UL << 20)	/* two of them, read-write: more than RAM too */
#if ABI64
#define NONE_LEN (1UL << 40)
#define NONE_NAME "1 TiB"
#else
#define NONE_LEN BIG		/* i386: half the user space */
#define NONE_NAME "1.5 GiB"
#endif

static char *area;

static void child_writes(void *arg)
{
	(void)arg;
	area[5 * PAGE] = 'c';
	_exit(area[5 * PAGE] == 'c' && area[4 * PAGE] == 0 ? 0 : 1);
}

static long sum_pages(const char *p, size_t len)
{
	long s = 0;

	for (size_t i = 0; i < len; i += PAGE)
		s += ((const volatile char *)p)[i];
	return s;
}

int main(void)
{
	char *p;
	long long t0;

	p = mmap(NULL, BIG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok(p != MAP_FAILED, "MAP_POPULATE of a 1.5 GiB PROT_READ mapping");
	if (p != MAP_FAILED) {
		ok_eq(sum_pages(p, BIG), 0, "every page of it reads zero");
		ok_eq(munmap(p, BIG), 0, "munmap it");
	}

	p = map_anon(HALF, PROT_READ | PROT_WRITE);
	area = map_anon(HALF, PROT_READ | PROT_WRITE);
	if (!ok(p != MAP_FAILED && area != MAP_FAILED, "two 640 MiB read-write mappings"))
		return done_testing();
	ok_eq(sum_pages(area, HALF) + sum_pages(p, HALF), 0,
	      "reading every page of both works, all zero");
	munmap(area, HALF);
	area = p;
	p[3 * PAGE] = 'x';
	ok(p[3 * PAGE] == 'x', "a write to a page that was read sticks");
	ok_eq(nonzero_at(p + 2 * PAGE, PAGE), -1, "the page before still reads zero");
	ok_eq(nonzero_at(p + 4 * PAGE, PAGE), -1, "the page after still reads zero");
	ok_eq(nonzero_at(p + 3 * PAGE + 1, PAGE - 1), -1, "the rest of the written page is zero");
	ok_exited_with(run_in_child(child_writes, NULL), 0, "a child writes a zero page of its own");
	ok(p[5 * PAGE] == 0, "the parent's page is still zero");
	p[5 * PAGE] = 'p';
	ok(p[5 * PAGE] == 'p', "then the parent writes it");
	ok_eq(mprotect(p, 8 * PAGE, PROT_READ), 0, "mprotect read-only");
	ok(p[3 * PAGE] == 'x' && p[6 * PAGE] == 0, "both kinds of page still read right");
	ok_eq(mprotect(p, 8 * PAGE, PROT_READ | PROT_WRITE), 0, "and writable again");
	p[6 * PAGE] = 'y';
	ok(p[6 * PAGE] == 'y' && p[7 * PAGE] == 0, "a write after that works too");
	ok_eq(madvise(p, 8 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED");
	ok_eq(nonzero_at(p, 8 * PAGE), -1, "everything reads zero again");
	munmap(p, HALF);

	t0 = mono_ns();
	p = mmap(NULL, NONE_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok(p != MAP_FAILED, "MAP_POPULATE of a " NONE_NAME " PROT_NONE mapping");
	if (p != MAP_FAILED)
		munmap(p, NONE_LEN);
	ok(mono_ns() - t0 < 5000000000LL, "returns within 5 s");
	return done_testing();
}
