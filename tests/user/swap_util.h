/*
 * swap_util.h: what the swap test programs share: page contents they can
 * regenerate and check byte by byte (compressible, different per page and
 * generation), the machine's memory and swap from /proc/meminfo, and the
 * leak check around a child (memcore's exact free-frame count and swap
 * slots; Linux has no such call, so there it checks nothing).
 */
#ifndef TESTS_USER_SWAP_UTIL_H
#define TESTS_USER_SWAP_UTIL_H

#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <memcore/swap.h>
#include <memcore/syscall.h>

/* Page @i of generation @gen: a header naming both, then runs of letters (compress ~10x). */
static TAP_UNUSED void swap_page_make(unsigned char *p, unsigned long i, unsigned gen)
{
	for (unsigned long j = 0; j < PAGE; j++)
		p[j] = (unsigned char)('a' + (i * 7 + gen * 3 + j / 64) % 26);
	memcpy(p, &i, sizeof(i));
	p[sizeof(i)] = (unsigned char)gen;
}

/* Does @page hold page @i of generation @gen? */
static TAP_UNUSED int swap_page_ok(const unsigned char *page, unsigned long i, unsigned gen)
{
	static unsigned char want[PAGE];

	swap_page_make(want, i, gen);
	return memcmp(page, want, PAGE) == 0;
}

/* The number after "KEY:" in a /proc file of "Key: value" lines, or -1. */
static TAP_UNUSED long proc_field(const char *path, const char *key)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	size_t kl = strlen(key);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ':')
			return strtol(l + kl + 1, NULL, 10);
	return -1;
}

/* A /proc/meminfo figure in kB, or -1. */
static TAP_UNUSED long meminfo_kb(const char *key)
{
	return proc_field("/proc/meminfo", key);
}

/*
 * The pages of a working set of @num/@den of RAM if free swap is larger
 * than RAM, else 1024 (4 MiB: the same code paths without pressure, as the
 * user and diff suites run them without swap). Checks /proc/meminfo has
 * both figures and reports them.
 */
static TAP_UNUSED unsigned long swap_working_set(unsigned num, unsigned den)
{
	long mem = meminfo_kb("MemTotal"), swap = meminfo_kb("SwapFree");
	unsigned long pages = swap > mem ? (unsigned long)mem * num / den / (PAGE / 1024) : 1024;

	ok(mem > 0 && swap >= 0, "MemTotal and SwapFree in /proc/meminfo");
	diag("RAM %ld kB, swap free %ld kB: working set %lu pages", mem, swap, pages);
	return pages;
}

/* memcore's free frames (caches drained) and swap slots in use; -1 on Linux. */
struct swap_leak {
	long frames, slots, backend;	/* backend: bytes of RAM the swap backends use */
};

static TAP_UNUSED struct swap_leak swap_leak_now(void)
{
	struct memcore_swap_stats st;
	struct swap_leak l = { syscall(MEMCORE_SYS_free_frames), -1, -1 };

	if (l.frames >= 0 && syscall(MEMCORE_SYS_swap_stats, &st) == 0) {
		l.slots = (long)st.slots_used;
		l.backend = (long)st.ram_bytes;
	}
	return l;
}

/*
 * Read file @path whole: pages of RAM files pushed out to swap under
 * pressure (our own executable is one) come back, so that the figures
 * compare like with like.
 */
static TAP_UNUSED void swap_read_file(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
	if (fd >= 0)
		close(fd);
}

/*
 * The figures before a child works. This process's own pages are locked
 * first, so that what the child pushes out to swap is only the child's
 * (the child should munlockall()); @self (argv[0]) is read back whole
 * before each measurement.
 */
static TAP_UNUSED struct swap_leak swap_leak_begin(const char *self)
{
	mlockall(MCL_CURRENT | MCL_FUTURE);
	swap_read_file(self);
	return swap_leak_now();
}

/*
 * After a child is reaped: free frames and swap slots exactly as before
 * (memcore only), but for RAM the swap backend itself kept (its tables).
 */
static TAP_UNUSED void swap_leak_check(struct swap_leak before, const char *self)
{
	struct swap_leak after;

	swap_read_file(self);
	after = swap_leak_now();

	long grown = (after.backend - before.backend) / (long)PAGE;

	diag("free frames %ld -> %ld, swap slots used %ld -> %ld, swap backend RAM %ld -> %ld kB",
	     before.frames, after.frames, before.slots, after.slots, before.backend >> 10,
	     after.backend >> 10);
	/* The backend's own tables may stay grown (reported above); every other frame is back. */
	ok(before.frames < 0 || after.frames + grown == before.frames,
	   "every frame is back after the child exited");
	ok(before.slots < 0 || after.slots == before.slots,
	   "every swap slot is back after the child exited");
}

/*
 * The worker's exit code after @pid (forked by the caller, which ran
 * munlockall() and the work in it) is reaped: 0xff if it did not exit
 * (reported, with a failed check).
 */
static TAP_UNUSED int swap_worker_status(pid_t pid)
{
	int st = tap_wait(pid);

	ok(st >= 0 && !(st & 0x7f), "the worker was not killed");
	if (st & 0x7f)
		tap_diag_status(st);
	return st >= 0 && !(st & 0x7f) ? (st >> 8) & 0xff : 0xff;
}

/* @work(@arg) in a child whose pages are unlocked: its exit code, as swap_worker_status(). */
static TAP_UNUSED int swap_run_worker(int (*work)(unsigned long), unsigned long arg)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		munlockall();
		_exit(work(arg));
	}
	return swap_worker_status(pid);
}

#endif
