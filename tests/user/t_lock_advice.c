/*
 * t_lock_advice: what the guest fuzzer's newer calls (mlock, msync,
 * madvise's other advice, mprotect's grow bits, System V shm) found to
 * differ from Linux 6.1, one check each:
 * - msync(MS_INVALIDATE) over a locked mapping is EBUSY (also after a hole
 *   in the range), without MS_INVALIDATE 0;
 * - MADV_COLD, MADV_PAGEOUT and MADV_REMOVE refuse a locked mapping
 *   (EINVAL); on a shared mapping read-only now (not for good) it punches;
 * - MADV_POPULATE_READ and _WRITE (22, 23): EINVAL on a mapping without
 *   that access (PROT_WRITE alone has no read access to Linux), ENOMEM for
 *   a hole; a read populate leaves a private file page shared with the
 *   file (a later write to the file shows), a write populate copies it;
 * - mprotect(PROT_GROWSUP) of a range starting in a hole is ENOMEM (the
 *   hole is checked first), of a mapping EINVAL;
 * - a SHM_RDONLY attach can never be made writable: mprotect is EACCES;
 *   SHM_REMAP without an address (or one SHM_RND rounds to 0) is EINVAL;
 *   a size past SHMMAX (ULONG_MAX - 2^24 of the kernel's word) EINVAL;
 * - shmdt finds the attach as Linux does: a first page unmapped still finds
 *   the rest by its offset; another attach of the segment stays;
 * - mprotect making a locked private file mapping writable copies its pages
 *   at once (a later write to the file no longer shows); unlocked, not.
 */
#define _GNU_SOURCE
#include "lock_util.h"

#include <sys/shm.h>
#include <sys/stat.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* How many of the @n pages at @p are mapped (mincore: ENOMEM for a hole, page by page). */
static int mincore_mapped(char *p, int n)
{
	unsigned char v;
	int k = 0;

	for (int i = 0; i < n; i++)
		k += mincore(p + i * PAGE, PAGE, &v) == 0;
	return k;
}

static void msync_locked(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

	ok_eq(mlock(p + PAGE, PAGE), 0, "mlock the second of 4 pages");
	ok_sys(msync(p, 4 * PAGE, MS_INVALIDATE), EBUSY, "msync(MS_INVALIDATE) over it: EBUSY");
	ok_sys(msync(p, 4 * PAGE, MS_SYNC | MS_INVALIDATE), EBUSY, "with MS_SYNC too: EBUSY");
	ok_eq(msync(p, 4 * PAGE, MS_SYNC), 0, "MS_SYNC alone: 0");
	ok_eq(msync(p, 4 * PAGE, MS_ASYNC), 0, "MS_ASYNC alone: 0");
	ok_eq(munmap(p, PAGE), 0, "a hole before it");
	ok_sys(msync(p, 4 * PAGE, MS_ASYNC | MS_INVALIDATE), EBUSY,
	       "the locked page after the hole wins over ENOMEM");
	ok_sys(msync(p, 4 * PAGE, MS_ASYNC), ENOMEM, "without MS_INVALIDATE the hole is ENOMEM");
	munmap(p, 4 * PAGE);
}

static void advice_locked(void)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	char *s = map_shared(2 * PAGE);

	ok_eq(mlock(p, 2 * PAGE), 0, "mlock 2 private pages");
	ok_sys(madvise(p, 2 * PAGE, MADV_COLD), EINVAL, "MADV_COLD on them: EINVAL");
	ok_sys(madvise(p, 2 * PAGE, MADV_PAGEOUT), EINVAL, "MADV_PAGEOUT on them: EINVAL");
	ok_eq(mlock(s, PAGE), 0, "mlock a shared page");
	ok_sys(madvise(s, PAGE, MADV_REMOVE), EINVAL, "MADV_REMOVE on it: EINVAL");
	ok_eq(munlock(s, PAGE), 0, "munlock it");
	s[0] = 9;
	ok_eq(mprotect(s, PAGE, PROT_READ), 0, "make it read-only");
	ok_eq(madvise(s, PAGE, MADV_REMOVE), 0,
	      "MADV_REMOVE of a shared page read-only now (but not for good) punches it");
	ok_eq(s[0], 0, "it reads zero");
	munmap(p, 2 * PAGE);
	munmap(s, 2 * PAGE);
}

static void populate(void)
{
	char *p = map_anon(3 * PAGE, PROT_WRITE);
	char c = 6;
	int fd;

	ok_sys(madvise(p, PAGE, MADV_POPULATE_READ), EINVAL,
	       "MADV_POPULATE_READ on PROT_WRITE alone: EINVAL");
	ok_eq(madvise(p, PAGE, MADV_POPULATE_WRITE), 0, "MADV_POPULATE_WRITE on it: 0");
	ok_eq(mprotect(p, PAGE, PROT_READ), 0, "make it read-only");
	ok_sys(madvise(p, PAGE, MADV_POPULATE_WRITE), EINVAL, "MADV_POPULATE_WRITE on it: EINVAL");
	ok_eq(madvise(p, PAGE, MADV_POPULATE_READ), 0, "MADV_POPULATE_READ on it: 0");
	ok_eq(mprotect(p, 3 * PAGE, PROT_READ), 0, "all 3 read-only");
	ok_eq(munmap(p + PAGE, PAGE), 0, "a hole after the first");
	ok_sys(madvise(p, 3 * PAGE, 22), ENOMEM, "over the hole: ENOMEM");
	munmap(p, 3 * PAGE);

	fd = one_page_file("a one-page file");
	if (fd < 0)
		return;
	p = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok_eq(madvise(p, PAGE, MADV_POPULATE_READ), 0, "MADV_POPULATE_READ of a private file mapping");
	ok_eq(pwrite(fd, &c, 1, 0), 1, "then the file changes");
	ok_eq(p[0], 6, "the mapping still shows the file (nothing was copied)");
	ok_eq(madvise(p, PAGE, MADV_POPULATE_WRITE), 0, "MADV_POPULATE_WRITE of it");
	c = 7;
	ok_eq(pwrite(fd, &c, 1, 0), 1, "the file changes again");
	ok_eq(p[0], 6, "the mapping keeps its copy");
	munmap(p, PAGE);
	close(fd);
}

static void grows(void)
{
	char *p = map_anon(3 * PAGE, PROT_READ);

	ok_eq(munmap(p, PAGE), 0, "a hole");
	ok_sys(mprotect(p, 2 * PAGE, PROT_READ | PROT_GROWSUP), ENOMEM,
	       "mprotect(PROT_GROWSUP) from the hole: ENOMEM");
	ok_sys(mprotect(p + PAGE, PAGE, PROT_READ | PROT_GROWSUP), EINVAL,
	       "mprotect(PROT_GROWSUP) of a mapping: EINVAL");
	ok_sys(mprotect(p + PAGE, PAGE, PROT_READ | PROT_GROWSUP | PROT_GROWSDOWN), EINVAL,
	       "both grow bits: EINVAL");
	munmap(p, 3 * PAGE);
}

static void shm_rdonly(void)
{
	int id = shmget(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600);
	char *p;

	ok_sys(shmget(IPC_PRIVATE, (size_t)-PAGE, IPC_CREAT | 0600), EINVAL,
	       "shmget of the word's largest pages: past SHMMAX (ULONG_MAX - 2^24), EINVAL");
	if (!ok(id >= 0, "shmget 2 pages"))
		return;
	p = shmat(id, 0, SHM_RDONLY);
	if (ok(p != (void *)-1, "attach it read-only")) {
		ok_sys(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES,
		       "mprotect(PROT_WRITE) of a SHM_RDONLY attach: EACCES");
		ok_eq(mprotect(p, PAGE, PROT_NONE), 0, "PROT_NONE is allowed");
		ok_eq(shmdt(p), 0, "shmdt");
	}
	ok(shmat(id, 0, SHM_REMAP) == (void *)-1 && errno == EINVAL,
	   "SHM_REMAP with no address: EINVAL");
	ok(shmat(id, (void *)100, SHM_RND | SHM_REMAP) == (void *)-1 && errno == EINVAL,
	   "SHM_REMAP with an address SHM_RND rounds to 0: EINVAL");
	shmctl(id, IPC_RMID, 0);
}

/* shmdt finds an attach as Linux's do_shmdt(): by offset from the address, one attach only. */
static void shm_detach(void)
{
	int id = shmget(IPC_PRIVATE, 4 * PAGE, IPC_CREAT | 0600);
	char *w = free_range(12), *p;

	if (!ok(id >= 0 && w, "shmget 4 pages, 12 free pages"))
		return;
	p = shmat(id, w, 0);
	ok(p == w, "attach it at a chosen address");
	ok_eq(munmap(w, PAGE), 0, "unmap its first page");
	ok_eq(shmdt(w), 0, "shmdt at the attach's address finds the rest (offset 1 at distance 1)");
	ok(mincore_mapped(w + PAGE, 3) == 0, "all of it is gone");
	ok(shmat(id, w, 0) == w && shmat(id, w + 2 * PAGE, SHM_REMAP) == w + 2 * PAGE,
	   "attach it twice, the second over the first's upper half");
	ok_eq(shmdt(w), 0, "shmdt of the first");
	ok(mincore_mapped(w, 2) == 0, "the first attach's pages are gone");
	ok(mincore_mapped(w + 2 * PAGE, 4) == 4, "the second attach stays whole");
	ok_eq(mprotect(w + 3 * PAGE, PAGE, PROT_READ), 0, "split the second");
	ok_sys(shmdt(w + 3 * PAGE), EINVAL, "shmdt inside it: EINVAL (its offset there is 1)");
	ok_eq(shmdt(w + 2 * PAGE), 0, "shmdt of the second: both pieces go");
	ok(mincore_mapped(w + 2 * PAGE, 4) == 0, "nothing of it stays");
	ok_sys(shmdt(w + 2 * PAGE), EINVAL, "shmdt again: EINVAL");
	shmctl(id, IPC_RMID, 0);
	munmap(w, 12 * PAGE);
}

/* mprotect to writable of a locked private file page copies it then (mprotect_fixup()). */
static void locked_made_writable(void)
{
	char *locked, *plain, c = 9;
	int fd = one_page_file("a one-page file to map privately");

	if (fd < 0)
		return;
	locked = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	plain = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ok_eq(mlock(locked, PAGE), 0, "mlock one read-only private mapping of it");
	ok_eq(plain[0], 5, "the other one reads the file");
	ok_eq(mprotect(locked, PAGE, PROT_READ | PROT_WRITE), 0, "the locked one made writable");
	ok_eq(mprotect(plain, PAGE, PROT_READ | PROT_WRITE), 0, "the unlocked one made writable");
	ok_eq(pwrite(fd, &c, 1, 0), 1, "then the file changes");
	ok_eq(locked[0], 5, "the locked mapping was copied when made writable");
	ok_eq(plain[0], 9, "the unlocked one still shows the file");
	munmap(locked, PAGE);
	munmap(plain, PAGE);
	close(fd);
}

int main(void)
{
	msync_locked();
	advice_locked();
	populate();
	grows();
	shm_rdonly();
	shm_detach();
	locked_made_writable();
	return done_testing();
}
