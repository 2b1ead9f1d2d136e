/*
 * t_lock_onfault: locking on fault (mlock2's MLOCK_ONFAULT, mlockall's
 * MCL_ONFAULT; Linux's VM_LOCKONFAULT) as Linux 6.1 has it, and what a
 * locked mapping populates:
 * - MLOCK_ONFAULT populates nothing, counts in VmLck, and a later plain
 *   mlock of the same pages populates them (VmLck unchanged);
 * - a mapping locked on fault never merges with one locked outright (two
 *   maps lines; mremap over both is EFAULT), and does once both are alike
 *   (pages written before, so that both share one anon_vma);
 * - mlockall(MCL_CURRENT | MCL_ONFAULT) populates nothing;
 *   MCL_FUTURE | MCL_ONFAULT: later mappings are locked but not populated,
 *   MAP_POPULATE's neither, nor shared memory mapped over written private
 *   pages after a fork (the guest fuzzer's seed 158); MCL_FUTURE alone
 *   populates them;
 * - brk grown under MCL_FUTURE is populated (not with MCL_ONFAULT);
 * - mremap growing a locked mapping populates the new pages (not one
 *   locked on fault); MREMAP_DONTUNMAP moves the lock with the pages (VmLck
 *   unchanged), leaving the old range mapped, empty and unlocked, what is
 *   around it locked;
 * - mprotect making a private file mapping locked on fault writable copies
 *   nothing (a later write to the file shows);
 * - a fork child does not inherit MCL_FUTURE.
 */
#define _GNU_SOURCE
#include "lock_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


static char text[16384];

/* /proc/self/@file into text: its length, or -1. */
static long slurp(const char *file)
{
	int fd = open(file, O_RDONLY);
	long n = 0, r;

	if (fd < 0)
		return -1;
	while (n < (long)sizeof(text) - 1 && (r = read(fd, text + n, sizeof(text) - 1 - n)) > 0)
		n += r;
	close(fd);
	text[n] = 0;
	return n;
}

/* VmLck of /proc/self/status in kB, or -1. */
static long vmlck(void)
{
	char *s;

	if (slurp("/proc/self/status") <= 0 || !(s = strstr(text, "VmLck:")))
		return -1;
	return strtol(s + 6, NULL, 10);
}

/* How many /proc/self/maps lines start in [@p, @p + @len). */
static int maps_lines(const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	int n = 0;

	if (slurp("/proc/self/maps") <= 0)
		return -1;
	for (char *s = text; *s; ) {
		uintptr_t start = (uintptr_t)strtoull(s, NULL, 16);

		n += start >= lo && start < hi;
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return n;
}

/* Pages of [@p, @p + @n pages) mincore says are resident, or -1. */
static int resident(const void *p, int n)
{
	unsigned char v[64];
	int k = 0;

	if (n > 64 || mincore((void *)p, n * PAGE, v))
		return -1;
	for (int i = 0; i < n; i++)
		k += v[i] & 1;
	return k;
}

static void onfault_range(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	long lck = vmlck();

	ok_eq(syscall(SYS_mlock2, p, 4 * PAGE, MLOCK_ONFAULT), 0, "mlock2(MLOCK_ONFAULT) of 4 pages");
	ok_eq(resident(p, 4), 0, "nothing populated");
	ok_eq(vmlck() - lck, 16, "VmLck counts the 4 pages");
	p[PAGE] = 1;
	ok_eq(resident(p, 4), 1, "a written page is resident");
	ok_eq(mlock(p, 4 * PAGE), 0, "mlock the same pages outright");
	ok_eq(resident(p, 4), 4, "now all 4 are populated");
	ok_eq(vmlck() - lck, 16, "VmLck unchanged");
	ok_eq(munlock(p, 4 * PAGE), 0, "munlock");
	ok_eq(vmlck(), lck, "VmLck back");
	munmap(p, 4 * PAGE);
}

static void onfault_merging(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	void *r;

	/* Written first: every piece shares the mapping's anon_vma, so only the lock flags differ. */
	fill(p, 4 * PAGE, 3);
	ok_eq(mlock(p, 2 * PAGE), 0, "mlock the first 2 of 4 written pages");
	ok_eq(syscall(SYS_mlock2, p + 2 * PAGE, 2 * PAGE, MLOCK_ONFAULT), 0,
	      "mlock2(MLOCK_ONFAULT) the last 2");
	ok_eq(maps_lines(p, 4 * PAGE), 2, "two maps lines: locked and locked on fault do not merge");
	r = mremap(p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	ok(r == MAP_FAILED && errno == EFAULT, "mremap over both: EFAULT");
	ok_eq(syscall(SYS_mlock2, p, 2 * PAGE, MLOCK_ONFAULT), 0, "the first 2 locked on fault too");
	ok_eq(maps_lines(p, 4 * PAGE), 1, "one maps line: they merged");
	ok_eq(mlock(p + 2 * PAGE, PAGE), 0, "the third page locked outright");
	ok_eq(maps_lines(p, 4 * PAGE), 3, "three lines");
	ok_eq(munlock(p, 4 * PAGE), 0, "munlock all 4");
	ok_eq(maps_lines(p, 4 * PAGE), 1, "one line again");
	ok_eq(check(p, 4 * PAGE, 3), -1, "their contents kept");
	munmap(p, 4 * PAGE);
}

static void child_exit(void *arg)
{
	(void)arg;
}

static void lockall(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE), *q, *s;

	ok_eq(mlockall(MCL_CURRENT | MCL_ONFAULT), 0, "mlockall(MCL_CURRENT | MCL_ONFAULT)");
	ok_eq(resident(p, 4), 0, "an untouched mapping stays unpopulated");
	ok_eq(munlockall(), 0, "munlockall");
	ok_eq(mlockall(MCL_FUTURE | MCL_ONFAULT), 0, "mlockall(MCL_FUTURE | MCL_ONFAULT)");
	q = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	ok_eq(resident(q, 4), 0, "a later mapping is not populated");
	s = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok_eq(resident(s, 4), 0, "nor one with MAP_POPULATE");
	/* The guest fuzzer's seed 158: shared memory mapped over a written private page after a fork. */
	fill(p, PAGE, 1);
	if (run_in_child(child_exit, NULL) >= 0) {
		char *sh = mmap(p, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		ok_eq(resident(sh, 4), 0, "shared memory mapped over written private pages: not populated");
	}
	ok_eq(mlock(q, 4 * PAGE), 0, "mlock the first outright");
	ok_eq(resident(q, 4), 4, "that populates it");
	munmap(q, 4 * PAGE);
	munmap(s, 4 * PAGE);
	ok_eq(mlockall(MCL_FUTURE), 0, "mlockall(MCL_FUTURE)");
	q = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	ok_eq(resident(q, 4), 4, "a later mapping is populated");
	ok_eq(munlockall(), 0, "munlockall");
	munmap(p, 4 * PAGE);
	munmap(q, 4 * PAGE);
}

/* brk grown by 4 pages under mlockall(@flags): how many of them are resident. */
static int brk_grown(int flags)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t top = (cur + PAGE - 1) & ~(PAGE - 1);
	int n;

	if (mlockall(flags))
		return -2;
	if ((uintptr_t)syscall(SYS_brk, top + 4 * PAGE) != top + 4 * PAGE)
		n = -3;
	else
		n = resident((void *)top, 4);
	munlockall();
	syscall(SYS_brk, cur);
	return n;
}

static void lockall_brk(void)
{
	ok_eq(brk_grown(MCL_FUTURE), 4, "brk grown under MCL_FUTURE: populated");
	ok_eq(brk_grown(MCL_FUTURE | MCL_ONFAULT), 0, "under MCL_FUTURE | MCL_ONFAULT: not");
}

static void mremap_locked(void)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	char *q = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);

	ok_eq(mlock(p, 2 * PAGE), 0, "mlock 2 pages");
	p = mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	ok(p != MAP_FAILED, "mremap grows them to 4");
	ok_eq(resident(p, 4), 4, "the new pages are populated");
	ok_eq(syscall(SYS_mlock2, q, 2 * PAGE, MLOCK_ONFAULT), 0, "mlock2(MLOCK_ONFAULT) 2 others");
	q[0] = 1;
	q = mremap(q, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED, "mremap grows them to 4");
	ok_eq(resident(q, 4), 1, "only the written page is resident");
	munmap(p, 4 * PAGE);
	munmap(q, 4 * PAGE);
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/*
 * MREMAP_DONTUNMAP of locked pages: the lock moves with them (VmLck is what
 * it was), the range left behind stays mapped, empty and unlocked, what is
 * around it stays locked.
 */
static void dontunmap_locked(void)
{
	char *p = map_anon(6 * PAGE, PROT_READ | PROT_WRITE), *q, *o;
	long lck = vmlck(), bad;

	fill(p, 6 * PAGE, 2);
	ok_eq(mlock(p, 6 * PAGE), 0, "mlock 6 written pages");
	ok_eq(vmlck() - lck, 24, "VmLck counts them");
	q = mremap(p + 2 * PAGE, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	ok(q != MAP_FAILED, "mremap(MREMAP_DONTUNMAP) of the middle 2");
	if (q == MAP_FAILED)
		return;
	bad = 0;
	for (size_t i = 0; i < 2 * PAGE; i++)
		bad += (unsigned char)q[i] != pat(2, 2 * PAGE + i);
	ok_eq(bad, 0, "their content moved");
	ok_eq(vmlck() - lck, 24, "VmLck unchanged: the lock moved with the pages");
	ok_eq(resident(q, 2), 2, "the new pages are resident");
	ok_eq(resident(p + 2 * PAGE, 2), 0, "the range left behind is mapped and empty");
	ok_eq(madvise(q, 2 * PAGE, MADV_DONTNEED) == -1 && errno == EINVAL, 1,
	      "the new range is locked (MADV_DONTNEED: EINVAL)");
	ok_eq(madvise(p, PAGE, MADV_DONTNEED) == -1 && errno == EINVAL, 1,
	      "the range below the old one is still locked");
	ok_eq(madvise(p + 5 * PAGE, PAGE, MADV_DONTNEED) == -1 && errno == EINVAL, 1,
	      "the range above it too");
	o = p + 2 * PAGE;
	o[0] = 1;
	ok_eq(vmlck() - lck, 24, "a page written in the old range is not locked");
	ok_eq(madvise(o, 2 * PAGE, MADV_DONTNEED), 0, "the old range is unlocked (MADV_DONTNEED works)");
	ok_eq(o[0], 0, "and dropped its page");
	ok_eq(munlock(q, 2 * PAGE), 0, "munlock the new range");
	ok_eq(vmlck() - lck, 16, "VmLck falls by its 2 pages");
	munlock(p, 6 * PAGE);
	ok_eq(vmlck() - lck, 0, "and by the other 4 at munlock of the first range");
	munmap(q, 2 * PAGE);
	munmap(p, 6 * PAGE);

	p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	lck = vmlck();
	ok_eq(syscall(SYS_mlock2, p, 2 * PAGE, MLOCK_ONFAULT), 0, "mlock2(MLOCK_ONFAULT) of 2 pages");
	p[0] = 3;
	q = mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	ok(q != MAP_FAILED, "mremap(MREMAP_DONTUNMAP) of them");
	if (q == MAP_FAILED)
		return;
	ok_eq(vmlck() - lck, 8, "VmLck unchanged");
	ok_eq(resident(q, 2), 1, "only the written page is resident: still locked on fault");
	ok_eq(madvise(p, 2 * PAGE, MADV_DONTNEED), 0, "the old range is unlocked");
	ok_eq(munlock(q, 2 * PAGE), 0, "munlock the new one");
	ok_eq(vmlck() - lck, 0, "VmLck back");
	munmap(q, 2 * PAGE);
	munmap(p, 2 * PAGE);
}

static void onfault_made_writable(void)
{
	char *p, c = 9;
	int fd = one_page_file("a one-page file to map privately");

	if (fd < 0)
		return;
	p = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ok_eq(syscall(SYS_mlock2, p, PAGE, MLOCK_ONFAULT), 0, "mlock2(MLOCK_ONFAULT) a read-only private mapping of it");
	ok_eq(p[0], 5, "it reads the file");
	ok_eq(mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0, "made writable");
	ok_eq(pwrite(fd, &c, 1, 0), 1, "then the file changes");
	ok_eq(p[0], 9, "the mapping still shows the file: nothing was copied");
	munmap(p, PAGE);
	close(fd);
}

static void child_future(void *arg)
{
	char *q = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

	(void)arg;
	_exit(resident(q, 4) == 0 && vmlck() == 0 ? 0 : 1);
}

static void fork_future(void)
{
	int st;

	ok_eq(mlockall(MCL_FUTURE), 0, "mlockall(MCL_FUTURE)");
	st = run_in_child(child_future, NULL);
	ok_exited_with(st, 0, "a child's new mapping is neither locked nor populated");
	ok_eq(munlockall(), 0, "munlockall");
}

int main(void)
{
	onfault_range();
	onfault_merging();
	lockall();
	lockall_brk();
	mremap_locked();
	dontunmap_locked();
	onfault_made_writable();
	fork_future();
	return done_testing();
}
