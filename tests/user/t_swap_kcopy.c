/*
 * t_swap_kcopy: system calls that copy to and from pages swapped out to a
 * disk. The kernel's copy faults on each such page, and the fault reads it
 * back from the disk. It must do that with interrupts on, asleep until the
 * disk's interrupt, as a fault from user mode does (other tasks run
 * meanwhile), not by polling the disk with interrupts off: the caller's
 * voluntary context switches (/proc/self/status) grow across the call.
 * The same for a signal handler's frame written to an alternate stack
 * whose pages are on the disk (the kernel writes it on the way back to
 * user mode), and for futex(FUTEX_WAIT) on a word in such a page (read
 * under the futex's lock: the page is brought in with the lock dropped).
 * Needs a swap disk (memcore's swap_stats: swap areas that keep no pages
 * in RAM); without one (Linux, zram, no swap) the program skips.
 */
#include "swap_util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGES	32

#define FUTEX_WAIT		0
#define FUTEX_PRIVATE_FLAG	128

static long switches(void)
{
	return proc_field("/proc/self/status", "voluntary_ctxt_switches");
}

static struct memcore_swap_stats stats(void)
{
	struct memcore_swap_stats st = { 0 };

	syscall(MEMCORE_SYS_swap_stats, &st);
	return st;
}

/* Pages of [p, p + n pages) resident, by mincore. */
static long resident(unsigned char *p, long n)
{
	unsigned char vec[PAGES];
	long r = 0;

	if (mincore(p, n * PAGE, vec))
		return -1;
	for (long i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

/*
 * MADV_PAGEOUT until mincore() sees none of the pages (a page still on its
 * way to the LRU lists may be passed over once; one the reclaim thread is
 * writing meanwhile stays in the swap cache until its write ends: a pause
 * lets it), at most 8 times; returns the pages still resident, or -1 if
 * madvise() failed.
 */
static long page_out(unsigned char *p, long n)
{
	long res = -1;

	for (int tries = 0; tries < 8 && res != 0; tries++) {
		if (tries)
			usleep(10000);
		if (madvise(p, n * PAGE, MADV_PAGEOUT))
			return -1;
		res = resident(p, n);
	}
	return res;
}

/* read() of the executable's first page into each of PAGES swapped-out pages. */
static void read_into_swapped(int fd)
{
	static unsigned char want[PAGE];
	unsigned char *buf = map_anon(PAGES * PAGE, PROT_READ | PROT_WRITE);
	long bad = 0, wrong = 0;

	if (!ok(buf != MAP_FAILED && pread(fd, want, PAGE, 0) == PAGE, "setup: a buffer, the file's page"))
		return;
	for (long i = 0; i < PAGES; i++)
		swap_page_make(buf + i * PAGE, i, 1);
	long res = page_out(buf, PAGES);
	ok(res >= 0 && res <= PAGES / 2, "MADV_PAGEOUT: most of the buffer is out");
	diag("resident after MADV_PAGEOUT: %ld of %d pages", res, PAGES);

	struct memcore_swap_stats s0 = stats();
	long v0 = switches();
	for (long i = 0; i < PAGES; i++)
		bad += pread(fd, buf + i * PAGE, PAGE, 0) != PAGE;
	long v1 = switches();
	struct memcore_swap_stats s1 = stats();

	for (long i = 0; i < PAGES; i++)
		wrong += memcmp(buf + i * PAGE, want, PAGE) != 0;
	ok(bad == 0 && wrong == 0, "read() into swapped-out pages copies every byte");
	diag("%ld reads failed, %ld pages wrong", bad, wrong);
	diag("swap-ins %llu; voluntary switches %ld", (unsigned long long)(s1.swpin - s0.swpin),
	     v1 - v0);
	ok(s1.swpin - s0.swpin >= PAGES / 2, "read(): the pages came back from swap");
	ok(v1 > v0, "read(): the task slept while the disk read them");
	munmap(buf, PAGES * PAGE);
}

/* rt_sigprocmask() with the new mask in a swapped-out page, MASKS times. */
#define MASKS	4

static void sigmask_from_swapped(void)
{
	unsigned char *page = map_anon(MASKS * PAGE, PROT_READ | PROT_WRITE);
	uint64_t set = 1ull << (SIGUSR1 - 1), got = 0;
	long r = 0;

	if (!ok(page != MAP_FAILED, "setup: the masks' pages"))
		return;
	for (long i = 0; i < MASKS; i++) {
		swap_page_make(page + i * PAGE, i, 2);
		memcpy(page + i * PAGE, &set, sizeof(set));
	}
	ok(page_out(page, MASKS) >= 0, "MADV_PAGEOUT of the masks' pages");

	struct memcore_swap_stats s0 = stats();
	long v0 = switches();
	for (long i = 0; i < MASKS; i++)
		r |= syscall(SYS_rt_sigprocmask, SIG_BLOCK, page + i * PAGE, NULL, 8);
	long v1 = switches();
	struct memcore_swap_stats s1 = stats();

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 8);
	ok(r == 0 && got == set, "rt_sigprocmask() reads its mask from a swapped-out page");
	diag("swap-ins %llu; voluntary switches %ld", (unsigned long long)(s1.swpin - s0.swpin),
	     v1 - v0);
	ok(s1.swpin - s0.swpin >= 1, "rt_sigprocmask(): the pages came back from swap");
	ok(v1 > v0, "rt_sigprocmask(): the task slept while the disk read them");
	got = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &got, NULL, 8);
	munmap(page, MASKS * PAGE);
}

/* futex(FUTEX_WAIT) on a word in a swapped-out page that holds another value: EAGAIN. */
static void futex_on_swapped(void)
{
	unsigned char *page = map_anon(PAGE, PROT_READ | PROT_WRITE);

	if (!ok(page != MAP_FAILED, "setup: the futex word's page"))
		return;
	swap_page_make(page, 0, 4);
	uint32_t *word = (uint32_t *)(page + 64);
	*word = 7;
	ok(page_out(page, 1) == 0, "MADV_PAGEOUT of the futex word's page");

	struct memcore_swap_stats s0 = stats();
	long v0 = switches();
	long r = syscall(SYS_futex, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 8, NULL, NULL, 0);
	int err = errno;
	long v1 = switches();
	struct memcore_swap_stats s1 = stats();

	ok(r == -1 && err == EAGAIN, "futex wait on a swapped-out word holding another value: EAGAIN");
	diag("swap-ins %llu; voluntary switches %ld", (unsigned long long)(s1.swpin - s0.swpin),
	     v1 - v0);
	ok(s1.swpin - s0.swpin >= 1, "futex: the word's page came back from swap");
	ok(v1 > v0, "futex: the task slept while the disk read it");
	munmap(page, PAGE);
}

/* A handler's frame on an alternate stack of ALT_PAGES swapped-out pages. */
#define ALT_PAGES	4

static unsigned char *alt;
static volatile int handled, on_alt;

static void on_usr2(int sig)
{
	unsigned char here;

	handled = sig;
	on_alt = &here >= alt && &here < alt + ALT_PAGES * PAGE;
}

static void frame_on_swapped_stack(void)
{
	alt = map_anon(ALT_PAGES * PAGE, PROT_READ | PROT_WRITE);
	if (!ok(alt != MAP_FAILED, "setup: the alternate stack's pages"))
		return;
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_PAGES * PAGE };
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_ONSTACK };

	for (long i = 0; i < ALT_PAGES; i++)
		swap_page_make(alt + i * PAGE, i, 3);
	if (!ok(sigaltstack(&ss, NULL) == 0 && sigaction(SIGUSR2, &sa, NULL) == 0,
		"setup: sigaltstack, a SIGUSR2 handler on it"))
		return;
	ok(page_out(alt, ALT_PAGES) == 0, "MADV_PAGEOUT of the alternate stack");

	struct memcore_swap_stats s0 = stats();
	long v0 = switches();
	raise(SIGUSR2);
	long v1 = switches();
	struct memcore_swap_stats s1 = stats();

	ok(handled == SIGUSR2 && on_alt, "the handler ran on the swapped-out alternate stack");
	diag("swap-ins %llu; voluntary switches %ld", (unsigned long long)(s1.swpin - s0.swpin),
	     v1 - v0);
	ok(s1.swpin - s0.swpin >= 1, "signal frame: the stack's pages came back from swap");
	ok(v1 > v0, "signal frame: the task slept while the disk read them");
	ss = (stack_t){ .ss_flags = SS_DISABLE };
	sigaltstack(&ss, NULL);
	munmap(alt, ALT_PAGES * PAGE);
}

int main(int argc, char **argv)
{
	struct memcore_swap_stats st;
	int fd;

	(void)argc;
	if (syscall(MEMCORE_SYS_swap_stats, &st) != 0 || !st.areas || st.ram_bytes) {
		printf("1..0 # SKIP needs a swap disk (and no swap in RAM)\n");
		return 0;
	}
	if (switches() < 0) {
		printf("1..0 # SKIP no voluntary_ctxt_switches in /proc/self/status\n");
		return 0;
	}
	fd = open(argv[0], O_RDONLY);
	if (!ok(fd >= 0, "open the executable"))
		return done_testing();
	read_into_swapped(fd);
	sigmask_from_swapped();
	frame_on_swapped_stack();
	futex_on_swapped();
	close(fd);
	return done_testing();
}
