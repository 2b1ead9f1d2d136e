/*
 * t_swap_kalloc: kernel work while memory is full. A working set of 1.25x
 * the machine's RAM when swap can hold it (else 4 MiB) is written; then,
 * while a thread keeps rewriting it, the main thread makes the kernel
 * allocate: threads, forked children, mappings split into hundreds of
 * regions, files under /tmp holding data.
 * Each of those either works (its data reads back) or is refused with a
 * clean error (ENOMEM, EAGAIN, ENOSPC, EMFILE, ENFILE), never anything else;
 * every page of the working set is intact at the end. The work runs in a
 * child, so that memcore's free frames and swap slots can be checked to be
 * exactly back afterwards.
 */
#include "swap_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NTHREADS	24
#define NCHILDREN	16
#define NSPLIT		512
#define NFILES		48
#define FILE_BYTES	(4 * PAGE)

static unsigned char *region;
static volatile unsigned char *gen;		/* per page: the generation it holds */
static unsigned long npages;
static volatile int stop;

static unsigned long bad_pages(void)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < npages; i++)
		bad += !swap_page_ok(region + i * PAGE, i, gen[i]);
	return bad;
}

/* Pages the rewriter leaves alone: what forked children check (never caught mid-write). */
#define STABLE(i)	((i) % 8 == 0)

/* Beside the kernel work: rewrite pages in a stride until told to stop. */
static void *rewriter(void *arg)
{
	unsigned long i = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned char g = (unsigned char)(gen[i] % 200 + 1);

		if (!STABLE(i)) {
			swap_page_make(region + i * PAGE, i, g);
			gen[i] = g;
		}
		i = (i + 97) % npages;
	}
	return NULL;
}

static int clean_error(int e)
{
	return e == ENOMEM || e == EAGAIN || e == ENOSPC || e == EMFILE || e == ENFILE;
}

/* Outcome of one kind of object: made and checked, refused cleanly, or wrong. */
struct tally {
	unsigned made, refused, wrong;
};

static void count(struct tally *t, int made, int e)
{
	if (made)
		t->made++;
	else if (clean_error(e))
		t->refused++;
	else {
		t->wrong++;
		diag("unexpected error %s", tap_errno_name(e));
	}
}

static void *short_thread(void *arg)
{
	volatile unsigned char stack[2 * PAGE];

	for (size_t i = 0; i < sizeof(stack); i += 512)
		stack[i] = (unsigned char)(uintptr_t)arg;
	return (void *)(uintptr_t)stack[PAGE];
}

static void threads(struct tally *t)
{
	pthread_t th[NTHREADS];
	int made[NTHREADS];

	for (int i = 0; i < NTHREADS; i++) {
		int e = pthread_create(&th[i], NULL, short_thread, (void *)(uintptr_t)(i + 1));

		made[i] = e == 0;
		if (e)
			count(t, 0, e);
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		if (made[i])
			count(t, pthread_join(th[i], &r) == 0 && (uintptr_t)r == (uintptr_t)(i + 1), EIO);
	}
}

/* Children: each a space, page tables and a kernel stack; each touches a page and exits. */
static void children(struct tally *t)
{
	pid_t pid[NCHILDREN];

	for (int i = 0; i < NCHILDREN; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			unsigned long k = (unsigned long)i * 31 % (npages / 8) * 8;	/* STABLE */

			_exit(swap_page_ok(region + k * PAGE, k, 1) ? 7 : 8);
		}
		if (pid[i] < 0)
			count(t, 0, errno);
	}
	for (int i = 0; i < NCHILDREN; i++) {
		int st;

		if (pid[i] > 0)
			count(t, waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
			      WEXITSTATUS(st) == 7, EIO);
	}
}

/* Mappings split page by page (a region each), then joined again and unmapped. */
static void regions(struct tally *t)
{
	unsigned char *m = mmap(NULL, NSPLIT * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok_all = 1;

	if (m == MAP_FAILED) {
		count(t, 0, errno);
		return;
	}
	for (int i = 0; i < NSPLIT; i += 2) {
		if (mprotect(m + i * PAGE, PAGE, PROT_READ)) {
			count(t, 0, errno);
			ok_all = 0;
			break;
		}
	}
	for (int i = 1; ok_all && i < NSPLIT; i += 2)
		m[i * PAGE] = (unsigned char)i;
	for (int i = 1; ok_all && i < NSPLIT; i += 2)
		ok_all = m[i * PAGE] == (unsigned char)i;
	if (ok_all)
		count(t, 1, 0);
	if (munmap(m, NSPLIT * PAGE))
		count(t, 0, EIO);
}

/* Write @len bytes, short writes continued: 0, or -1 with errno (EIO if nothing was written). */
static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void files(struct tally *t)
{
	static unsigned char buf[FILE_BYTES], back[FILE_BYTES];
	int fd[NFILES];
	char name[64];

	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "/tmp/t_swap_kalloc.%d.%d", (int)getpid(), i);
		fd[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd[i] < 0) {
			count(t, 0, errno);
			continue;
		}
		unlink(name);		/* gone with its last descriptor */
		fill(buf, sizeof(buf), (unsigned)i);
		if (write_all(fd[i], buf, sizeof(buf))) {
			count(t, 0, errno);
			close(fd[i]);
			fd[i] = -1;
		}
	}
	for (int i = 0; i < NFILES; i++) {
		if (fd[i] < 0)
			continue;
		fill(buf, sizeof(buf), (unsigned)i);
		count(t, pread(fd[i], back, sizeof(back), 0) == (ssize_t)sizeof(back) &&
		      !memcmp(buf, back, sizeof(buf)), EIO);
		close(fd[i]);
	}
}

/* Exit code bits. */
#define BAD_MAP		1
#define BAD_PAGES	2
#define BAD_THREADS	4
#define BAD_CHILDREN	8
#define BAD_FILES	16
#define BAD_REWRITER	32
#define BAD_REGIONS	64

/* The worker (a child) with a working set of @pages (npages, which its threads read). */
static int work(unsigned long pages)
{
	struct tally th = { 0 }, ch = { 0 }, rg = { 0 }, fi = { 0 };
	pthread_t rw;
	int fail = 0;

	npages = pages;
	region = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = mmap(NULL, npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || gen == MAP_FAILED)
		return BAD_MAP;
	for (unsigned long i = 0; i < npages; i++) {
		gen[i] = 1;
		swap_page_make(region + i * PAGE, i, 1);
	}
	if (pthread_create(&rw, NULL, rewriter, NULL))
		return BAD_REWRITER;
	for (int round = 0; round < 3; round++) {
		threads(&th);
		children(&ch);
		regions(&rg);
		files(&fi);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	if (pthread_join(rw, NULL))
		fail |= BAD_REWRITER;
	diag("made/refused: threads %u/%u, children %u/%u, split mappings %u/%u, files %u/%u",
	     th.made, th.refused, ch.made, ch.refused, rg.made, rg.refused, fi.made, fi.refused);
	if (th.wrong)
		fail |= BAD_THREADS;
	if (ch.wrong)
		fail |= BAD_CHILDREN;
	if (rg.wrong)
		fail |= BAD_REGIONS;
	if (fi.wrong)
		fail |= BAD_FILES;
	unsigned long bad = bad_pages();

	if (bad) {
		diag("%lu bad pages", bad);
		fail |= BAD_PAGES;
	}
	return fail;
}

int main(int argc, char **argv)
{
	(void)argc;
	unsigned long pages = swap_working_set(5, 4);	/* 1.25x RAM */

	mkdir("/tmp", 01777);		/* Linux's initramfs has none */
	struct swap_leak before = swap_leak_begin(argv[0]);
	int st = swap_run_worker(work, pages);

	ok(!(st & BAD_MAP), "the working set is mapped");
	ok(!(st & BAD_REWRITER), "a thread rewrites the working set beside the kernel work");
	ok(!(st & BAD_THREADS), "threads are made and joined, or refused cleanly");
	ok(!(st & BAD_CHILDREN), "children are forked, see the working set and exit, or refused cleanly");
	ok(!(st & BAD_REGIONS), "mappings split page by page work, or are refused cleanly");
	ok(!(st & BAD_FILES), "files are made and hold their data, or refused cleanly");
	ok(!(st & BAD_PAGES), "every page of the working set is intact");
	swap_leak_check(before, argv[0]);
	return done_testing();
}
