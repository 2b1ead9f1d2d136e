/*
 * t_swap_fork: fork of a half-swapped process. Half of a private region's
 * pages are pushed out with MADV_PAGEOUT (every other page), then parent
 * and child both write while the other lives and check every byte:
 * copy-on-write holds for swapped and resident pages alike, in both
 * directions. Run in a child so that memcore's free frames and swap slots
 * can be checked to be exactly back afterwards. Without swap, MADV_PAGEOUT
 * does nothing and the same checks run on resident pages.
 */
#include "swap_util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGES	2048	/* 8 MiB */

static unsigned char *region;

/* Pages of [first, PAGES) stepping by @step not holding generation @gen. */
static unsigned long bad_pages(unsigned long first, unsigned long step, unsigned gen)
{
	unsigned long bad = 0;

	for (unsigned long i = first; i < PAGES; i += step)
		bad += !swap_page_ok(region + i * PAGE, i, gen);
	return bad;
}

static void rewrite(unsigned long first, unsigned long step, unsigned gen)
{
	for (unsigned long i = first; i < PAGES; i += step)
		swap_page_make(region + i * PAGE, i, gen);
}

/* Exit code bits. */
#define BAD_SETUP	1
#define BAD_CHILD	2	/* the child saw a wrong page */
#define BAD_PARENT	4	/* the parent did */

/* The worker, run by swap_run_worker() (its argument unused). */
static int work(unsigned long unused)
{
	volatile int *go = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fail = 0;

	(void)unused;
	region = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || go == MAP_FAILED)
		return BAD_SETUP;
	rewrite(0, 1, 1);
	for (unsigned long i = 0; i < PAGES; i += 2)
		madvise(region + i * PAGE, PAGE, MADV_PAGEOUT);
	diag("swap slots in use after MADV_PAGEOUT: %ld", swap_leak_now().slots);
	pid_t pid = tap_fork();

	if (pid == 0) {
		int bad = 0;

		/* Everything as before the fork; then wait for the parent's writes. */
		bad |= bad_pages(0, 1, 1) != 0;
		if (!wait_flag(go, 1))
			_exit(BAD_SETUP);
		bad |= bad_pages(0, 1, 1) != 0;		/* the parent's writes are not seen */
		rewrite(1, 4, 3);			/* resident pages ... */
		rewrite(2, 4, 3);			/* ... and swapped ones */
		bad |= bad_pages(1, 4, 3) || bad_pages(2, 4, 3) || bad_pages(0, 4, 1) ||
		       bad_pages(3, 4, 1);
		_exit(bad ? BAD_CHILD : 0);
	}
	rewrite(0, 4, 2);	/* swapped pages, written while the child lives */
	rewrite(3, 4, 2);	/* resident ones */
	*go = 1;
	int st = tap_wait(pid);

	if (st < 0 || (st & 0x7f))
		fail |= BAD_CHILD;
	else
		fail |= (st >> 8) & 0xff;
	/* The child's writes are not seen either. */
	if (bad_pages(0, 4, 2) || bad_pages(3, 4, 2) || bad_pages(1, 4, 1) || bad_pages(2, 4, 1))
		fail |= BAD_PARENT;
	return fail;
}

int main(int argc, char **argv)
{
	long swap = meminfo_kb("SwapFree");
	int st;

	(void)argc;
	diag("swap free %ld kB", swap);
	struct swap_leak before = swap_leak_begin(argv[0]);
	st = swap_run_worker(work, 0);
	ok(!(st & BAD_SETUP), "the region is mapped and the child heard from the parent");
	ok(!(st & BAD_CHILD), "the child sees the pages of before the fork, then its own writes");
	ok(!(st & BAD_PARENT), "the parent sees its own writes, never the child's");
	swap_leak_check(before, argv[0]);
	return done_testing();
}
