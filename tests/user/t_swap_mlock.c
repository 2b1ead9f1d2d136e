/*
 * t_swap_mlock: mlocked pages under memory pressure. A child locks 256
 * private and 64 shared pages and fills them, then writes and reads back a
 * working set of 1.25 times RAM beside them: the locked pages stay resident
 * (mincore, looked at all along) and intact, /proc/meminfo's Unevictable
 * counts them while they are locked, and they leave it on munlock. Frames
 * and swap slots are back after the child exits (memcore). Skips without
 * swap that holds the working set.
 */
#include "swap_util.h"

#include <stdint.h>
#include <sys/mman.h>

#define LPRIV	256
#define LSHR	64
#define LAG	32	/* pages Linux may still hold in a per-CPU batch after munlock */
#define PAGE_KB	((long)(PAGE / 1024))

/* Exit code bits: which step failed. */
#define BAD_MAP		1
#define BAD_LOCK	2
#define BAD_RESIDENT	4
#define BAD_LOCKED_DATA	8
#define BAD_WS		16
#define BAD_UNEVICT	32
#define BAD_MUNLOCK	64

/* Pages of [p, p + n pages) resident, by mincore; -1 if it fails. */
static long resident(unsigned char *p, long n)
{
	static unsigned char vec[LPRIV];
	long r = 0;

	if (n > LPRIV || mincore(p, n * PAGE, vec))
		return -1;
	for (long i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static int locked_resident(unsigned char *lp, unsigned char *ls)
{
	return resident(lp, LPRIV) == LPRIV && resident(ls, LSHR) == LSHR;
}

static unsigned long locked_bad(unsigned char *lp, unsigned char *ls)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < LPRIV; i++)
		bad += !swap_page_ok(lp + i * PAGE, i, 1);
	for (unsigned long i = 0; i < LSHR; i++)
		bad += !swap_page_ok(ls + i * PAGE, LPRIV + i, 1);
	return bad;
}

static int work(unsigned long pages)
{
	int fl = MAP_PRIVATE | MAP_ANONYMOUS, fail = 0;
	unsigned char *lp = mmap(NULL, LPRIV * PAGE, PROT_READ | PROT_WRITE, fl, -1, 0);
	unsigned char *ls = mmap(NULL, LSHR * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned char *ws = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, fl, -1, 0);
	unsigned long bad = 0, gone = 0;

	if (lp == MAP_FAILED || ls == MAP_FAILED || ws == MAP_FAILED)
		return BAD_MAP;
	long u0 = meminfo_kb("Unevictable");
	if (mlock(lp, LPRIV * PAGE) || mlock(ls, LSHR * PAGE))
		return BAD_LOCK;
	for (unsigned long i = 0; i < LPRIV; i++)
		swap_page_make(lp + i * PAGE, i, 1);
	for (unsigned long i = 0; i < LSHR; i++)
		swap_page_make(ls + i * PAGE, LPRIV + i, 1);
	/* The working set, written then read back, the locked pages looked at every 1024. */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned long i = 0; i < pages; i++) {
			if (pass == 0)
				swap_page_make(ws + i * PAGE, LPRIV + LSHR + i, 1);
			else
				bad += !swap_page_ok(ws + i * PAGE, LPRIV + LSHR + i, 1);
			if (i % 1024 == 0)
				gone += !locked_resident(lp, ls);
		}
	if (gone) {
		diag("locked pages found not resident %lu times", gone);
		fail |= BAD_RESIDENT;
	}
	if (bad) {
		diag("working set: %lu bad pages", bad);
		fail |= BAD_WS;
	}
	bad = locked_bad(lp, ls);
	if (bad || !locked_resident(lp, ls)) {
		diag("locked pages: %lu bad", bad);
		fail |= BAD_LOCKED_DATA;
	}
	long u1 = meminfo_kb("Unevictable");
	if (u0 < 0 || u1 - u0 < LPRIV * PAGE_KB)
		fail |= BAD_UNEVICT;
	munlock(lp, LPRIV * PAGE);
	munlock(ls, LSHR * PAGE);
	long u2 = meminfo_kb("Unevictable");
	if (u1 - u2 < (LPRIV - LAG) * PAGE_KB)
		fail |= BAD_MUNLOCK;
	diag("Unevictable: %ld kB before mlock, %ld kB after the pressure, %ld kB after munlock",
	     u0, u1, u2);
	return fail;
}

int main(int argc, char **argv)
{
	long mem = meminfo_kb("MemTotal"), swap = meminfo_kb("SwapFree");
	unsigned long pages;
	int st;

	(void)argc;
	if (mem <= 0 || swap < mem * 3 / 2) {
		printf("1..0 # SKIP needs swap holding 1.5x RAM\n");
		return 0;
	}
	pages = (unsigned long)(mem * 5 / 4 / PAGE_KB);
	diag("RAM %ld kB, swap free %ld kB: working set %lu pages beside %d locked", mem, swap,
	     pages, LPRIV + LSHR);
	struct swap_leak before = swap_leak_begin(argv[0]);
	st = swap_run_worker(work, pages);
	ok(!(st & (BAD_MAP | BAD_LOCK)), "the pages are mapped and locked");
	ok(!(st & BAD_RESIDENT), "locked pages stay resident under pressure");
	ok(!(st & BAD_LOCKED_DATA), "locked pages keep every byte");
	ok(!(st & BAD_WS), "the working set beside them keeps every page");
	ok(!(st & BAD_UNEVICT), "meminfo's Unevictable counts the locked pages");
	ok(!(st & BAD_MUNLOCK), "munlock takes them off it");
	swap_leak_check(before, argv[0]);
	return done_testing();
}
