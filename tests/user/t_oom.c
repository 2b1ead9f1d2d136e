/*
 * t_oom: a child allocates and touches memory, 64 MiB at a time, until mmap
 * fails with ENOMEM or the kernel kills it (Linux's OOM killer sends
 * SIGKILL), or it has asked for 8 GiB (the bound, for machines with more).
 * The parent survives, and afterwards can allocate and use memory again. A
 * second child then gets as far as the first (up to 1 GiB), so the first
 * one's memory was given back.
 */
#include "util.h"

#define CHUNK (64UL << 20)
#if ABI64
#define LIMIT (8UL << 30)
#else
#define LIMIT (3UL << 30)	/* i386: all of user space */
#endif
#define SECOND_MAX 16 /* chunks: 1 GiB */

/* Shared with the children: how far each may go and how far it got. */
struct report {
	unsigned long max;              /* chunks to stop at */
	volatile unsigned long touched; /* chunks fully touched */
	volatile int enomem;            /* mmap failed with ENOMEM */
};

static void hog(void *arg)
{
	struct report *r = arg;

	r->touched = 0;
	r->enomem = 0;
	while (r->touched < r->max) {
		/* MAP_POPULATE is only quicker; every page is touched anyway. */
		char *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (c == MAP_FAILED) {
			if (errno == ENOMEM) {
				r->enomem = 1;
				_exit(0);
			}
			_exit(1);
		}
		for (unsigned long off = 0; off < CHUNK; off += PAGE)
			c[off] = 1;
		r->touched++;
	}
	_exit(2); /* reached the bound */
}

/* ENOMEM, SIGKILL, or the bound. */
static int ended_well(int st, const struct report *r)
{
	if (expect_exited_with(st, 0))
		return r->enomem;
	if (expect_exited_with(st, 2))
		return r->touched == r->max;
	return expect_killed_by(st, SIGKILL);
}

int main(void)
{
	struct report *r = map_shared(PAGE);
	unsigned long first, want;
	int st;
	char *p;

	if (!ok(r != MAP_FAILED, "mmap a shared page for the children's reports"))
		return done_testing();

	r->max = LIMIT / CHUNK;
	st = run_in_child(hog, r);
	if (!ok(ended_well(st, r), "a child touching memory without end: ENOMEM, SIGKILL or 8 GiB"))
		tap_diag_status(st);
	first = r->touched;
	ok(first >= 1, "the child touched at least 64 MiB first");

	p = map_anon(4 << 20, PROT_READ | PROT_WRITE);
	ok(p != MAP_FAILED, "the parent can mmap 4 MiB afterwards");
	if (p != MAP_FAILED) {
		fill(p, 4 << 20, 1);
		ok_eq(check(p, 4 << 20, 1), -1, "and use all of it");
		ok_eq(munmap(p, 4 << 20), 0, "and munmap it");
	} else {
		ok(0, "and use all of it");
		ok(0, "and munmap it");
	}

	/* The chunk the first child died in may have been half done: allow one less. */
	want = first < SECOND_MAX ? first : SECOND_MAX;
	r->max = want;
	st = run_in_child(hog, r);
	if (!ok(ended_well(st, r), "a second child, bounded by the first: ENOMEM, SIGKILL or its bound"))
		tap_diag_status(st);
	if (!ok(r->touched + 1 >= want, "it gets as far as the first (up to 1 GiB)"))
		diag("  first %lu chunks, second %lu", first, (unsigned long)r->touched);
	ok_exited_with(run_in_child(probe_rw, r), 0, "a child can still be started and use memory");
	return done_testing();
}
