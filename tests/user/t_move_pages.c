/*
 * t_move_pages: move_pages(2) and migrate_pages(2) as Linux 6.1 answers
 * them. Queries (nodes NULL): a page's node, EFAULT for an address nothing
 * maps and for anonymous memory never written (no page, or the zero page),
 * ENOENT for a file page not yet read. Moves: each page to its node with
 * its content, EFAULT per page as above, EACCES for a page another process
 * maps too (copy-on-write after fork) without MPOL_MF_MOVE_ALL, and the
 * call's own errors: EINVAL (flags), ENODEV (a node without memory or out
 * of range), ESRCH, EPERM (another user's process; MOVE_ALL without
 * CAP_SYS_NICE), EFAULT (arrays). migrate_pages moves every page on the old
 * nodes to the new ones and returns the number it could not move. A thread
 * writing a page while another moves it back and forth never loses a write.
 *
 * The moves need two nodes (the diff suite runs this on a two-node machine,
 * both kernels alike); on one node they are skipped. Linux's i386 kernels
 * (686-pae) are built without NUMA: both calls ENOSYS there, and here.
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>

#define MPOL_F_NODE		(1 << 0)
#define MPOL_F_ADDR		(1 << 1)
#define MPOL_MF_MOVE		(1 << 1)
#define MPOL_MF_MOVE_ALL	(1 << 2)
#define NOBODY			65534
#define NPAGES			8

#ifndef __x86_64__
#define SYS_MOVE_PAGES_I386	317
#define SYS_MIGRATE_PAGES_I386	294

int main(void)
{
	ok_sys(syscall(SYS_MOVE_PAGES_I386, 0, 0, NULL, NULL, NULL, 0), ENOSYS,
	       "move_pages: ENOSYS on i386");
	ok_sys(syscall(SYS_MIGRATE_PAGES_I386, 0, 0, NULL, NULL), ENOSYS,
	       "migrate_pages: ENOSYS on i386");
	return done_testing();
}
#else

static long move_pages_(int pid, unsigned long n, void **pages, const int *nodes, int *status,
			int flags)
{
	return syscall(SYS_move_pages, pid, n, pages, nodes, status, flags);
}

static long migrate_(int pid, unsigned long from, unsigned long to)
{
	return syscall(SYS_migrate_pages, pid, 65, &from, &to);
}

/* The node of page @p by get_mempolicy(), or -1. */
static int policy_node(void *p)
{
	int node = -1;

	if (syscall(SYS_get_mempolicy, &node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

/* The node of page @p by a query, or the negated status. */
static int node_of(void *p)
{
	int status = 12345;
	long r = move_pages_(0, 1, &p, NULL, &status, 0);

	return r ? -1000 - errno : status;
}

/* Move page @p to @node: its status, or -1000 - errno if the call failed. */
static int move_one(void *p, int node, int flags)
{
	int status = 12345;
	long r = move_pages_(0, 1, &p, &node, &status, flags);

	if (r < 0)
		return -1000 - errno;
	return r ? 1000 + (int)r : status;
}

static void errors(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	void *pages[1] = { p };
	int node = 0, status;

	p[0] = 1;
	ok_eq(move_pages_(0, 0, NULL, NULL, NULL, 0), 0, "move_pages of no pages: 0");
	ok_sys(move_pages_(0, 1, pages, NULL, &status, 1), EINVAL, "MPOL_MF_STRICT: EINVAL");
	ok_sys(move_pages_(0, 1, pages, NULL, &status, 8), EINVAL, "unknown flag: EINVAL");
	ok_sys(move_pages_(0x3ffffff0, 1, pages, NULL, &status, 0), ESRCH, "no such pid: ESRCH");
	ok_sys(move_pages_(-1, 1, pages, NULL, &status, 0), ESRCH, "pid -1: ESRCH");
	ok_sys(move_pages_(0, 1, (void **)8, NULL, &status, 0), EFAULT, "query, bad pages array: EFAULT");
	ok_sys(move_pages_(0, 1, pages, NULL, (int *)8, 0), EFAULT, "query, bad status array: EFAULT");
	ok_sys(move_pages_(0, 1, pages, (int *)8, &status, 0), EFAULT, "move, bad nodes array: EFAULT");
	ok_sys(move_pages_(0, 1, (void **)8, &node, &status, 0), EFAULT, "move, bad pages array: EFAULT");
	node = 0;
	ok_sys(move_pages_(0, 1, pages, &node, (int *)8, 0), EFAULT, "move, bad status array: EFAULT");
	node = 64;
	ok_sys(move_pages_(0, 1, pages, &node, &status, 0), ENODEV, "node 64: ENODEV");
	node = -1;
	ok_sys(move_pages_(0, 1, pages, &node, &status, 0), ENODEV, "node -1: ENODEV");
	node = 5000;
	ok_sys(move_pages_(0, 1, pages, &node, &status, 0), ENODEV, "node 5000: ENODEV");
	node = 7;
	ok_sys(move_pages_(0, 1, pages, &node, &status, 0), ENODEV, "node 7 (none there): ENODEV");
	ok_eq(move_pages_(getpid(), 1, pages, NULL, &status, 0), 0, "query by own pid");
	ok_eq(status, policy_node(p), "... its node, as get_mempolicy says");

	unsigned long from = 1, to = 1, big = 1ul << 40;

	ok_eq(migrate_(0, from, to), 0, "migrate_pages {0} -> {0}: 0");
	ok_sys(migrate_(0x3ffffff0, from, to), ESRCH, "migrate_pages, no such pid: ESRCH");
	ok_sys(syscall(SYS_migrate_pages, 0, 65, (void *)8, &to), EFAULT,
	       "migrate_pages, bad old mask: EFAULT");
	ok_sys(syscall(SYS_migrate_pages, 0, 65, &from, (void *)8), EFAULT,
	       "migrate_pages, bad new mask: EFAULT");
	ok_sys(migrate_(0, from, big), EINVAL, "migrate_pages to a node without memory: EINVAL");
	ok_sys(syscall(SYS_migrate_pages, 0, 1ul << 20, &from, &to), EINVAL,
	       "migrate_pages, maxnode too large: EINVAL");
	munmap(p, PAGE);
}

static void queries(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	char *hole = free_range(1);
	void *pages[6] = { p, p + PAGE, p + 2 * PAGE, hole, p + 3 * PAGE, (void *)8 };
	int status[6];

	p[0] = 1;			/* page 0 written, page 1 read (the zero page) */
	(void)*(volatile char *)(p + PAGE);
	mprotect(p + 3 * PAGE, PAGE, PROT_NONE);
	memset(status, 0x55, sizeof(status));
	ok_eq(move_pages_(0, 6, pages, NULL, status, 0), 0, "query six pages: 0");
	ok_eq(status[0], policy_node(p), "a written page: its node");
	ok_eq(status[1], -EFAULT, "the zero page: EFAULT");
	ok_eq(status[2], -EFAULT, "anonymous memory never touched: EFAULT");
	ok_eq(status[3], -EFAULT, "an address nothing maps: EFAULT");
	ok_eq(status[4], -EFAULT, "PROT_NONE, never touched: EFAULT");
	ok_eq(status[5], -EFAULT, "address 8: EFAULT");

	int fd = memfd_create("t_move_pages", 0);
	char buf[PAGE] = { 1 };
	/* Page 1 a hole: no fault-around can map it. */
	int ok_file = fd >= 0 && ftruncate(fd, 2 * PAGE) == 0 && write(fd, buf, PAGE) == PAGE;
	char *f = ok_file ? mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;

	ok(f != MAP_FAILED, "map a two-page file");
	if (f != MAP_FAILED) {
		void *fp[2] = { f, f + PAGE };

		(void)*(volatile char *)f;
		ok_eq(move_pages_(0, 2, fp, NULL, status, 0), 0, "query a file mapping");
		ok_eq(status[0], policy_node(f), "a file page read: its node");
		ok_eq(status[1], -ENOENT, "a file page not read: ENOENT");
		munmap(f, 2 * PAGE);
	}
	if (fd >= 0)
		close(fd);
	munmap(p, 4 * PAGE);
}

static void as_nobody(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	int status, node = 0;

	p[0] = 1;
	ok_sys(move_pages_(getppid(), 1, (void **)&p, NULL, &status, 0), EPERM,
	       "nobody querying root's process: EPERM");
	ok_sys(move_pages_(0, 1, (void **)&p, &node, &status, MPOL_MF_MOVE_ALL), EPERM,
	       "MPOL_MF_MOVE_ALL without CAP_SYS_NICE: EPERM");
	ok_eq(move_pages_(0, 1, (void **)&p, &node, &status, MPOL_MF_MOVE), 0,
	      "nobody moving its own page: 0");
	unsigned long m = 1;

	ok_sys(syscall(SYS_migrate_pages, getppid(), 65, &m, &m), EPERM,
	       "nobody: migrate_pages of root's process: EPERM");
}

static void nobody_child(void)
{
	if (setuid(NOBODY))
		_exit(99);
	as_nobody();
}

/* Moves with two nodes. */
static void moves(void)
{
	char *p = map_anon(NPAGES * PAGE, PROT_READ | PROT_WRITE);
	void *pages[NPAGES];
	int nodes[NPAGES], status[NPAGES];

	fill(p, (NPAGES - 2) * PAGE, 3);	/* the last two pages never written */
	for (int i = 0; i < NPAGES; i++) {
		pages[i] = p + i * PAGE;
		nodes[i] = 1;
	}
	ok_eq(move_pages_(0, NPAGES, pages, nodes, status, 0), 0, "move eight pages to node 1");
	int moved = 0;

	for (int i = 0; i < NPAGES - 2; i++)
		moved += status[i] == 1;
	ok_eq(moved, NPAGES - 2, "... six written pages report node 1");
	ok_eq(status[NPAGES - 2], -EFAULT, "... an untouched page: EFAULT");
	ok_eq(status[NPAGES - 1], -EFAULT, "... and the other");
	moved = 0;
	for (int i = 0; i < NPAGES - 2; i++)
		moved += node_of(p + i * PAGE) == 1;
	ok_eq(moved, NPAGES - 2, "... a query finds them on node 1");
	ok_eq(check(p, (NPAGES - 2) * PAGE, 3), -1, "... with their content");
	ok_eq(move_one(p, 1, 0), 1, "moving a page to its own node: that node");
	ok_eq(move_one(p, 0, MPOL_MF_MOVE), 0, "back to node 0 with MPOL_MF_MOVE");
	ok_eq(node_of(p), 0, "... it is on node 0");
	p[1] = 42;
	ok_eq(p[1], 42, "... and writable");
	ok_eq(check_at(p, 2, PAGE - 2, 3), -1, "... the rest of it intact");
	ok_eq(move_one(free_range(1), 1, 0), -EFAULT, "moving an address nothing maps: EFAULT");

	/* A page shared copy-on-write with a child. */
	volatile int *go = map_shared(PAGE);

	fflush(stdout);
	pid_t pid = fork();

	if (pid == 0) {
		wait_flag(go, 1);
		_exit(p[PAGE] == (char)pat(3, PAGE) ? 0 : 1);
	}
	ok_eq(move_one(p + PAGE, 0, 0), -EACCES, "a page the child maps too: EACCES");
	ok_eq(node_of(p + PAGE), 1, "... it stays on node 1");
	*go = 1;
	ok_exited_with(tap_wait(pid), 0, "the child read its copy");
	munmap((void *)go, PAGE);

	/* migrate_pages: everything on node 1 (pages 1..5) to node 0, and back. */
	unsigned long from = 2, to = 1;

	ok_eq(migrate_(0, from, to), 0, "migrate_pages {1} -> {0}: 0 left");
	moved = 0;
	for (int i = 0; i < NPAGES - 2; i++)
		moved += node_of(p + i * PAGE) == 0;
	ok_eq(moved, NPAGES - 2, "... every page on node 0");
	ok_eq(migrate_(0, to, from), 0, "migrate_pages {0} -> {1}: 0 left");
	ok_eq(node_of(p + 3 * PAGE), 1, "... a page on node 1");
	ok_eq(check_at(p, PAGE, (NPAGES - 3) * PAGE, 3), -1, "... content intact");
	ok_eq(migrate_(0, from, to), 0, "and back to {0}");
	munmap(p, NPAGES * PAGE);
}

static volatile int stop;
static volatile unsigned long lost, writes;

static void *writer(void *arg)
{
	volatile unsigned long *w = arg;

	for (unsigned long i = 1; !stop; i++) {
		*w = i;
		if (*w != i)
			lost++;
		writes = i;
	}
	return NULL;
}

/* A thread writes a page while this one moves it between the nodes. */
static void race(void)
{
	unsigned long *w = map_anon(PAGE, PROT_READ | PROT_WRITE);
	pthread_t t;
	int fails = 0;

	*w = 0;
	ok_eq(pthread_create(&t, NULL, writer, w), 0, "start a writing thread");
	while (!writes)
		sched_yield();
	for (int i = 0; i < 200; i++) {
		int got = move_one(w, i & 1 ? 0 : 1, 0);

		if (got != (i & 1 ? 0 : 1) && fails++ < 4)
			diag("move %d: %d", i, got);	/* Linux: now and then busy */
	}
	stop = 1;
	pthread_join(t, NULL);
	ok(fails < 20, "of 200 moves of a page being written, at most 20 failed");
	ok_eq(lost, 0, "no write was lost");
	ok_eq(*w, writes, "the page holds the last write");
	munmap(w, PAGE);
}

int main(void)
{
	static const char *const move_names[] = {
		"move eight pages to node 1", "... six written pages report node 1",
		"... an untouched page: EFAULT", "... and the other",
		"... a query finds them on node 1", "... with their content",
		"moving a page to its own node: that node", "back to node 0 with MPOL_MF_MOVE",
		"... it is on node 0", "... and writable", "... the rest of it intact",
		"moving an address nothing maps: EFAULT", "a page the child maps too: EACCES",
		"... it stays on node 1", "the child read its copy",
		"migrate_pages {1} -> {0}: 0 left", "... every page on node 0",
		"migrate_pages {0} -> {1}: 0 left", "... a page on node 1", "... content intact",
		"and back to {0}", "start a writing thread",
		"of 200 moves of a page being written, at most 20 failed", "no write was lost",
		"the page holds the last write",
	};
	unsigned long two = 3;

	errors();
	queries();
	in_reporting_child(nobody_child, "as nobody");
	if (migrate_(0, 1, 2) >= 0 && migrate_(0, 2, 1) >= 0 && syscall(SYS_migrate_pages, 0, 65, &two, &two) >= 0) {
		moves();
		race();
	} else {
		for (size_t i = 0; i < sizeof(move_names) / sizeof(move_names[0]); i++)
			tap_skip(move_names[i], "needs two NUMA nodes");
	}
	return done_testing();
}
#endif
