/*
 * t_swap_pressure: a working set of 1.5 times the machine's RAM when swap
 * can hold it (a third of it shared memory, the rest private), written,
 * read back at random with rewrites, then checked byte by byte; a child
 * sees the shared pages and its writes reach the parent. Without enough
 * swap the same steps run on a small working set. The work runs in a
 * child, so that afterwards memcore's free frames and swap slots can be
 * checked to be exactly back.
 */
#include "swap_util.h"

#include <stdint.h>

struct ws {
	unsigned char *priv, *shr;	/* private pages, then shared pages */
	unsigned long npriv, nshr;
	unsigned char *gen;		/* generation of each page (private first) */
};

static unsigned char *page_of(struct ws *w, unsigned long i)
{
	return i < w->npriv ? w->priv + i * PAGE : w->shr + (i - w->npriv) * PAGE;
}

/* Pages not holding what they should. */
static unsigned long check_all(struct ws *w)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < w->npriv + w->nshr; i++)
		bad += !swap_page_ok(page_of(w, i), i, w->gen[i]);
	return bad;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Exit code bits: which step failed. */
#define BAD_MAP		1
#define BAD_SEQ		2
#define BAD_RANDOM	4
#define BAD_SHARED	8

static int work(unsigned long pages)
{
	struct ws w = { .npriv = pages - pages / 3, .nshr = pages / 3 };
	unsigned long n = pages, bad;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int fail = 0;

	w.priv = mmap(NULL, w.npriv * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w.shr = mmap(NULL, w.nshr * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	w.gen = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w.priv == MAP_FAILED || w.shr == MAP_FAILED || w.gen == MAP_FAILED)
		return BAD_MAP;
	for (unsigned long i = 0; i < n; i++) {
		w.gen[i] = 1;
		swap_page_make(page_of(&w, i), i, 1);
	}
	bad = check_all(&w);
	if (bad) {
		diag("sequential: %lu bad pages", bad);
		fail |= BAD_SEQ;
	}
	for (unsigned long k = 0; k < n; k++) {
		unsigned long i = (unsigned long)(rnd(&seed) % n);

		if (!swap_page_ok(page_of(&w, i), i, w.gen[i]))
			fail |= BAD_RANDOM;
		if (k % 4 == 0) {
			w.gen[i] = (unsigned char)(w.gen[i] % 200 + 1);
			swap_page_make(page_of(&w, i), i, w.gen[i]);
		}
	}
	bad = check_all(&w);
	if (bad) {
		diag("after random access: %lu bad pages", bad);
		fail |= BAD_RANDOM;
	}
	/* A child checks the shared pages and rewrites every other one; the parent sees it. */
	pid_t pid = tap_fork();

	if (pid == 0) {
		unsigned long cbad = 0;

		for (unsigned long i = w.npriv; i < n; i++) {
			cbad += !swap_page_ok(page_of(&w, i), i, w.gen[i]);
			if (i % 2 == 0) {
				w.gen[i] = 201;
				swap_page_make(page_of(&w, i), i, 201);
			}
		}
		_exit(cbad != 0);
	}
	if (tap_wait(pid) != 0 || check_all(&w))
		fail |= BAD_SHARED;
	return fail;
}

int main(int argc, char **argv)
{
	(void)argc;
	unsigned long pages = swap_working_set(3, 2);	/* 1.5x RAM */
	struct swap_leak before = swap_leak_begin(argv[0]);
	int st = swap_run_worker(work, pages);

	ok(!(st & BAD_MAP), "the working set is mapped");
	ok(!(st & BAD_SEQ), "every page written reads back (sequential)");
	ok(!(st & BAD_RANDOM), "random reads and rewrites keep every page");
	ok(!(st & BAD_SHARED), "a child sees the shared pages and its writes reach the parent");
	swap_leak_check(before, argv[0]);
	return done_testing();
}
