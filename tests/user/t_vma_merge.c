/*
 * t_vma_merge: which neighbouring mappings become one region, as
 * /proc/self/maps shows it, and so which ranges mremap takes as one mapping.
 * On Linux that depends on the anonymous identity of a mapping (its
 * anon_vma): none until its first private page is made (a write, not a read
 * of the zero page); a fork child's copy gets one of its own cloned from the
 * parent's, and never merges with a mapping that has none; mremap places a
 * mapping that never had a page as a new one. Linux 6.1 is the reference:
 * a region with pages that changes does not join a neighbour without.
 *
 * Every case works in a window of its own, between two pages of shared
 * memory that merge with nothing private.
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#endif

#define WPAGES	16
#define RW	(PROT_READ | PROT_WRITE)

static char maps[1 << 16];

/* Regions of /proc/self/maps that overlap [p, p + len); -1 if it cannot be read. */
static int regions_in(const char *p, size_t len)
{
	unsigned long lo = (unsigned long)p, hi = lo + len, s, e;
	int fd = open("/proc/self/maps", O_RDONLY), n = 0;
	ssize_t got = 0, r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, maps + got, sizeof(maps) - 1 - (size_t)got)) > 0)
		got += r;
	close(fd);
	if (r < 0)
		return -1;
	maps[got] = 0;
	for (char *l = maps; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (sscanf(l, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	return n;
}

/* A fresh window of WPAGES pages with a page of shared memory either side. */
static char *window(void)
{
	char *g = mmap(NULL, (WPAGES + 2) * PAGE, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (g == MAP_FAILED || munmap(g + PAGE, WPAGES * PAGE))
		return NULL;
	return g + PAGE;
}

static char *map_at(char *w, unsigned pg, unsigned n, int prot)
{
	return mmap(w + pg * PAGE, n * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

/* A read-only mapping that was writable (VM_ACCOUNT kept, as a written one made read-only). */
static void map_readonly(char *w, unsigned pg, unsigned n)
{
	mprotect(map_at(w, pg, n, RW), n * PAGE, PROT_READ);
}

static void touch(char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

static void read_pages(const char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)*(volatile const char *)(p + i * PAGE);
}

static long sys_mremap(void *a, unsigned long ol, unsigned long nl, long fl, void *na)
{
	return syscall(SYS_mremap, a, ol, nl, fl, na);
}

/* Run @fn(@w) in a child; its exit status (the region count it saw), or -1. */
static int in_child(int (*fn)(char *w), char *w)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(w) & 0x7f);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_new_mappings(void)
{
	char *w = window();

	map_at(w, 0, 2, RW);
	map_at(w, 2, 2, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "two new mappings side by side are one region");

	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	map_at(w, 2, 2, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "a new mapping joins a written one below it");

	w = window();
	touch(map_at(w, 2, 2, RW), 2);
	map_at(w, 0, 2, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "a new mapping joins a written one above it");

	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	touch(map_at(w, 3, 2, RW), 2);
	map_at(w, 2, 1, RW);
	ok_eq(regions_in(w, 5 * PAGE), 2, "a new mapping between two written ones does not join both");
	ok_eq(regions_in(w + 2 * PAGE, 3 * PAGE), 1, "... it joins the one above (mmap tries it first)");

	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	map_at(w, 3, 2, RW);
	map_at(w, 2, 1, RW);
	ok_eq(regions_in(w, 5 * PAGE), 1, "a new mapping between a written and an untouched one above joins both");

	w = window();
	map_at(w, 0, 2, RW);
	touch(map_at(w, 3, 2, RW), 2);
	map_at(w, 2, 1, RW);
	ok_eq(regions_in(w, 5 * PAGE), 2, "a new mapping between an untouched and a written one above joins only that");
}

static void test_mprotect(void)
{
	char *w = window();

	touch(map_at(w, 0, 2, RW), 2);
	map_at(w, 2, 2, PROT_READ);
	mprotect(w + 2 * PAGE, 2 * PAGE, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "an untouched mapping made alike joins a written one");

	w = window();
	map_readonly(w, 2, 2);
	touch(map_at(w, 0, 2, RW), 2);
	ok_eq(regions_in(w, 4 * PAGE), 2, "a written mapping beside a read-only one");
	mprotect(w, 2 * PAGE, PROT_READ);
	ok_eq(regions_in(w, 4 * PAGE), 2, "... made read-only too does not join it: that one has no pages");
	mprotect(w + 2 * PAGE, 2 * PAGE, RW);
	mprotect(w, 4 * PAGE, PROT_READ);
	ok_eq(regions_in(w, 4 * PAGE), 1, "once the other was made writable and joined, they are one");

	w = window();
	map_at(w, 0, 2, PROT_READ);
	read_pages(w, 2);
	touch(map_at(w, 2, 2, RW), 2);
	mprotect(w, 2 * PAGE, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "reads of the zero page give a mapping no pages of its own");

	w = window();
	touch(map_at(w, 0, 4, RW), 4);
	mprotect(w + PAGE, PAGE, PROT_READ);
	ok_eq(regions_in(w, 4 * PAGE), 3, "mprotect of a written page splits its mapping in three");
	mprotect(w + PAGE, PAGE, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "... and the pieces join again");

	/* A neighbour lends its identity only when alike but for the protection. */
	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	touch(map_at(w, 2, 2, RW | PROT_EXEC), 2);
	mprotect(w + 2 * PAGE, 2 * PAGE, RW);
	ok_eq(regions_in(w, 4 * PAGE), 1, "a mapping first written beside one that differs only in protection shares its identity");

	w = window();
	mmap(w, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	map_at(w, 2, 2, PROT_READ);
	ok_eq(regions_in(w, 4 * PAGE), 2, "a MAP_NORESERVE mapping does not join a plain one");
	mprotect(w, 4 * PAGE, RW);
	ok_eq(regions_in(w, 4 * PAGE), 2, "... nor once both are writable");

	w = window();
	map_at(w, 0, 2, RW);
	madvise(w + PAGE, PAGE, MADV_DONTFORK);
	touch(w, 2);
	madvise(w + PAGE, PAGE, MADV_DOFORK);
	ok_eq(regions_in(w, 2 * PAGE), 2, "pages written while the flags differed stay apart after madvise");

	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	madvise(w + PAGE, PAGE, MADV_DONTFORK);
	ok_eq(regions_in(w, 2 * PAGE), 2, "MADV_DONTFORK of a page splits its mapping");
	madvise(w + PAGE, PAGE, MADV_DOFORK);
	ok_eq(regions_in(w, 2 * PAGE), 1, "MADV_DOFORK joins the written pieces again");
	madvise(w + PAGE, PAGE, MADV_DOFORK);
	ok_eq(regions_in(w, 2 * PAGE), 1, "madvise that changes nothing splits nothing");

	/*
	 * mprotect_fixup() writes the pages of a locked private mapping made
	 * writable before it goes on to the next mapping, whose merge then sees
	 * the identity that gave (the guest fuzzer's seed 320).
	 */
	w = window();
	map_at(w, 0, 3, PROT_READ);
	mlock(w, 3 * PAGE);
	mprotect(w + 2 * PAGE, PAGE, RW);
	ok_eq(regions_in(w, 3 * PAGE), 2, "a locked read-only mapping: its last page made writable");
	mprotect(w, 3 * PAGE, RW | PROT_EXEC);
	ok_eq(regions_in(w, 3 * PAGE), 1, "both made executable in one call: one mapping");
	ok(sys_mremap(w, 3 * PAGE, 3 * PAGE + PAGE, MREMAP_MAYMOVE, NULL) != -1,
	   "mremap takes it as one");
	munlockall();
}

static void test_mremap(void)
{
	char *w = window();
	char *s;

	map_at(w, 0, 2, RW);
	s = map_at(w, 8, 2, RW);
	read_pages(s, 2);
	sys_mremap(s, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 2 * PAGE);
	ok_eq(regions_in(w, 4 * PAGE), 1, "a moved mapping that was only read is placed anew: it joins its new neighbour");

	w = window();
	map_at(w, 0, 2, RW);
	s = map_at(w, 8, 2, RW);
	touch(s, 1);
	sys_mremap(s, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 2 * PAGE);
	ok_eq(regions_in(w, 4 * PAGE), 2, "a moved mapping that was written keeps its offset: apart");

	w = window();
	map_at(w, 0, 2, RW);
	s = map_at(w, 8, 2, RW);
	touch(s, 1);
	madvise(s, 2 * PAGE, MADV_DONTNEED);
	sys_mremap(s, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 2 * PAGE);
	ok_eq(regions_in(w, 4 * PAGE), 2, "... even with its pages dropped by MADV_DONTNEED");

	w = window();
	touch(map_at(w, 0, 3, RW), 3);
	sys_mremap(w + 2 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 8 * PAGE);
	sys_mremap(w + 8 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 2 * PAGE);
	ok_eq(regions_in(w, 3 * PAGE), 1, "a written page moved away and back joins its old mapping");

	/* MREMAP_DONTUNMAP of a whole mapping leaves it without identity. */
	w = window();
	map_readonly(w, 2, 2);
	touch(map_at(w, 0, 2, RW), 2);
	sys_mremap(w, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   w + 8 * PAGE);
	mprotect(w, 2 * PAGE, PROT_READ);
	ok_eq(regions_in(w, 4 * PAGE), 1, "what MREMAP_DONTUNMAP leaves behind has no pages of its own");

	/* A MREMAP_DONTUNMAP copy beside the mapping it left joins no neighbour (guest fuzzer, seed 93). */
	w = window();
	map_at(w, 0, 8, PROT_NONE);
	sys_mremap(w + PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   w + 5 * PAGE);
	ok_eq(regions_in(w, 8 * PAGE), 3, "a MREMAP_DONTUNMAP copy into its own mapping stays apart");
	w = window();
	map_at(w, 0, 4, RW);
	sys_mremap(w + PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   w + 4 * PAGE);
	ok_eq(regions_in(w, 5 * PAGE), 2, "... right above the mapping it left");
	w = window();
	map_at(w, 0, 2, RW);
	map_at(w, 4, 4, RW);
	sys_mremap(w + 5 * PAGE, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   w + 2 * PAGE);
	ok_eq(regions_in(w, 8 * PAGE), 3, "... right below it, beside another alike mapping too");
	w = window();
	map_at(w, 0, 2, RW);
	map_at(w, 8, 4, RW);
	sys_mremap(w + 9 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   w + 2 * PAGE);
	ok_eq(regions_in(w, 3 * PAGE), 1, "a MREMAP_DONTUNMAP copy joins an alike mapping it did not leave");

	/* Growing in place joins the next mapping when they become adjacent. */
	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	map_at(w, 4, 2, RW);
	sys_mremap(w, 2 * PAGE, 4 * PAGE, 0, NULL);
	ok_eq(regions_in(w, 6 * PAGE), 2, "a written mapping grown up to an untouched one stays apart");

	w = window();
	map_at(w, 0, 2, RW);
	touch(map_at(w, 4, 2, RW), 2);
	sys_mremap(w, 2 * PAGE, 4 * PAGE, 0, NULL);
	ok_eq(regions_in(w, 6 * PAGE), 1, "an untouched mapping grown up to a written one joins it");
}

static int child_new_beside_inherited(char *w)
{
	map_at(w, 2, 2, RW);
	return regions_in(w, 4 * PAGE);
}

static int child_seed10(char *w)
{
	mprotect(w, PAGE, RW);
	return regions_in(w, 3 * PAGE);
}

static int child_split_join(char *w)
{
	mprotect(w + PAGE, PAGE, PROT_READ);
	if (regions_in(w, 4 * PAGE) != 3)
		return 99;
	mprotect(w + PAGE, PAGE, RW);
	return regions_in(w, 4 * PAGE);
}

static int child_lend(char *w)
{
	touch(w + 2 * PAGE, 2);
	mprotect(w + 2 * PAGE, 2 * PAGE, RW);
	return regions_in(w, 4 * PAGE);
}

static int child_mremap_back(char *w)
{
	sys_mremap(w + 2 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 8 * PAGE);
	sys_mremap(w + 8 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, w + 2 * PAGE);
	return regions_in(w, 3 * PAGE);
}

static int child_wiped(char *w)
{
	madvise(w, 2 * PAGE, MADV_KEEPONFORK);
	map_at(w, 2, 2, RW);
	return regions_in(w, 4 * PAGE);
}

static int child_brk(char *b)
{
	raw_brk((uintptr_t)b + 4 * PAGE);
	return regions_in(b, 4 * PAGE);
}

static void test_fork(void)
{
	char *w = window();

	touch(map_at(w, 0, 2, RW), 2);
	ok_eq(in_child(child_new_beside_inherited, w), 2,
	      "in a fork child, a new mapping does not join an inherited written one");
	ok_eq(child_new_beside_inherited(w), 1, "in the parent it does");

	w = window();
	read_pages(map_at(w, 0, 2, RW), 2);
	ok_eq(in_child(child_new_beside_inherited, w), 1,
	      "in a fork child, a new mapping joins an inherited one that was only read");

	w = window();
	map_at(w, 0, 1, PROT_NONE);
	touch(map_at(w, 1, 2, RW), 2);
	ok_eq(in_child(child_seed10, w), 2,
	      "in a fork child, an untouched mapping made alike does not join an inherited written one");
	ok_eq(child_seed10(w), 1, "in the parent it does");

	w = window();
	touch(map_at(w, 0, 4, RW), 4);
	ok_eq(in_child(child_split_join, w), 1, "in a fork child, pieces of one inherited mapping join again");

	w = window();
	touch(map_at(w, 0, 2, RW), 2);
	map_at(w, 2, 2, RW | PROT_EXEC);
	ok_eq(in_child(child_lend, w), 2,
	      "in a fork child, an inherited neighbour lends no identity");
	ok_eq(child_lend(w), 1, "in the parent it does");

	w = window();
	touch(map_at(w, 0, 3, RW), 3);
	ok_eq(in_child(child_mremap_back, w), 1,
	      "in a fork child, an inherited page moved away and back joins its mapping");

	w = window();
	map_at(w, 0, 2, RW);
	ok_eq(madvise(w, 2 * PAGE, MADV_WIPEONFORK), 0, "MADV_WIPEONFORK");
	touch(w, 2);
	ok_eq(in_child(child_wiped, w), 1, "in a fork child, a wiped mapping has no pages of its own");

	char *b = (char *)((raw_brk(0) + PAGE - 1) & ~(PAGE - 1));

	if (!ok(raw_brk((uintptr_t)b + 2 * PAGE) == (uintptr_t)b + 2 * PAGE, "brk grows by two pages"))
		return;
	touch(b, 2);
	ok_eq(in_child(child_brk, b), 2, "in a fork child, a grown break is a new region beside the inherited heap");
	ok_eq(child_brk(b), 1, "in the parent the heap grows in place");
}

/* Pieces of one System V shm attach never join again (Linux: shm_vm_ops has a close). */
static void test_shm(void)
{
	int id = shmget(IPC_PRIVATE, 4 * PAGE, IPC_CREAT | 0600);
	char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);

	if (!ok(p != (char *)-1, "shmat of a 4-page segment"))
		return;
	shmctl(id, IPC_RMID, NULL);
	ok_eq(regions_in(p, 4 * PAGE), 1, "one mapping");
	mprotect(p + 2 * PAGE, 2 * PAGE, PROT_READ);
	ok_eq(regions_in(p, 4 * PAGE), 2, "mprotect of its upper half splits it");
	mprotect(p + 2 * PAGE, 2 * PAGE, RW);
	ok_eq(regions_in(p, 4 * PAGE), 2, "made alike again, the pieces stay apart");
	shmdt(p);
}

int main(void)
{
	if (!ok(regions_in((char *)&maps, 1) == 1, "/proc/self/maps is readable"))
		return done_testing();
	test_new_mappings();
	test_mprotect();
	test_mremap();
	test_fork();
	test_shm();
	return done_testing();
}
