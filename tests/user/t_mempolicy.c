/*
 * t_mempolicy: NUMA memory policies (set_mempolicy, get_mempolicy, mbind)
 * with Linux's errors, and where pages land: MPOL_BIND, MPOL_PREFERRED,
 * MPOL_INTERLEAVE (page n of an anonymous mapping on node (n mod 2), n its
 * virtual page number), a region's policy over the thread's, per-thread
 * policies, MPOL_MF_STRICT refusing misplaced pages and MPOL_MF_MOVE moving
 * them with their content. Each page's node is read with
 * get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR).
 *
 * The placement checks need two nodes (the diff suite runs this on a
 * two-node machine, both kernels alike); on one node they are skipped. On a
 * kernel without NUMA calls (Linux i386) the whole program is skipped.
 */
#include "util.h"

#include <pthread.h>

#ifndef __x86_64__
/* The masks below are 64-bit longs; the i386 kernels (ours and Linux
 * 686-pae, built without NUMA) have no policy calls to test. */
int main(void)
{
	printf("1..0 # SKIP no NUMA memory policy calls on i386\n");
	return 0;
}
#else

#define MPOL_DEFAULT		0
#define MPOL_PREFERRED		1
#define MPOL_BIND		2
#define MPOL_INTERLEAVE		3
#define MPOL_LOCAL		4
#define MPOL_F_STATIC_NODES	(1 << 15)
#define MPOL_F_RELATIVE_NODES	(1 << 14)
#define MPOL_F_NODE		(1 << 0)
#define MPOL_F_ADDR		(1 << 1)
#define MPOL_F_MEMS_ALLOWED	(1 << 2)
#define MPOL_MF_STRICT		(1 << 0)
#define MPOL_MF_MOVE		(1 << 1)
#define MPOL_MF_MOVE_ALL	(1 << 2)

#define MAXNODE	65		/* 64 bits of mask: Linux reads maxnode - 1 */
#define NPAGES	32

static long set_policy(int mode, unsigned long nodes)
{
	return syscall(SYS_set_mempolicy, mode, nodes ? &nodes : NULL, nodes ? MAXNODE : 0);
}

static long mbind_(void *p, size_t len, int mode, unsigned long nodes, unsigned flags)
{
	return syscall(SYS_mbind, p, len, mode, nodes ? &nodes : NULL, nodes ? MAXNODE : 0, flags);
}

static long get_policy(int *mode, unsigned long *nodes, void *addr, unsigned long flags)
{
	if (nodes)
		*nodes = ~0ul;
	return syscall(SYS_get_mempolicy, mode, nodes, nodes ? 64 : 0, addr, flags);
}

/* The node of the page at @p, or -1. */
static int node_of(void *p)
{
	int node = -1;

	if (get_policy(&node, NULL, p, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

/* Index of the first of @n pages at @p not on the node @want(page) says, or -1. */
static int first_off(char *p, int n, int (*want)(char *page, void *ctx), void *ctx)
{
	for (int i = 0; i < n; i++) {
		int got = node_of(p + i * PAGE);

		if (got != want(p + i * PAGE, ctx)) {
			diag("page %d: node %d, want %d", i, got, want(p + i * PAGE, ctx));
			return i;
		}
	}
	return -1;
}

static int fixed_node(char *page, void *ctx)
{
	(void)page;
	return *(int *)ctx;
}

static int interleaved(char *page, void *ctx)
{
	(void)ctx;
	return (int)(((uintptr_t)page / PAGE) % 2);
}

/* Lines of /proc/self/maps (regions), or -1. */
static int count_maps(void)
{
	static char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY), n = 0;
	ssize_t got, len = 0;

	if (fd < 0)
		return -1;
	while ((got = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += got;
	close(fd);
	for (ssize_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

static char *touched(int n)
{
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);

	if (p != MAP_FAILED)
		fill(p, n * PAGE, 5);
	return p;
}

static void errors(void)
{
	unsigned long big[40] = { 0 };
	int mode = -1;
	unsigned long nodes = 0;
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

	ok_sys(syscall(SYS_set_mempolicy, 6, NULL, 0), EINVAL, "set_mempolicy: unknown mode");
	ok_sys(syscall(SYS_set_mempolicy, -1, NULL, 0), EINVAL, "set_mempolicy: negative mode");
	ok_sys(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1), EINVAL,
	       "set_mempolicy: STATIC and RELATIVE together");
	ok_sys(set_policy(MPOL_DEFAULT, 1), EINVAL, "set_mempolicy: MPOL_DEFAULT with a node");
	ok_sys(set_policy(MPOL_BIND, 0), EINVAL, "set_mempolicy: MPOL_BIND with no node");
	ok_sys(set_policy(MPOL_INTERLEAVE, 0), EINVAL, "set_mempolicy: MPOL_INTERLEAVE with no node");
	ok_sys(set_policy(MPOL_LOCAL, 1), EINVAL, "set_mempolicy: MPOL_LOCAL with a node");
	ok_sys(set_policy(MPOL_BIND, 1ul << 40), EINVAL,
	       "set_mempolicy: MPOL_BIND to a node that does not exist");
	ok_sys(set_policy(MPOL_PREFERRED, 1ul << 40), EINVAL,
	       "set_mempolicy: MPOL_PREFERRED to a node that does not exist");
	ok_sys(set_policy(MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0), EINVAL,
	       "set_mempolicy: MPOL_PREFERRED with STATIC and no node");
	big[0] = 1;
	big[1030 / 64] = 1ul << (1030 % 64);
	ok_sys(syscall(SYS_set_mempolicy, MPOL_BIND, big, 40 * 64), EINVAL,
	       "set_mempolicy: a node beyond MAX_NUMNODES");
	big[1030 / 64] = 0;
	big[700 / 64] = 1ul << (700 % 64);
	ok_eq(syscall(SYS_set_mempolicy, MPOL_BIND, big, 40 * 64), 0,
	      "set_mempolicy: nodes that do not exist below MAX_NUMNODES are ignored");
	ok_sys(syscall(SYS_set_mempolicy, MPOL_BIND, (void *)8, MAXNODE), EFAULT,
	       "set_mempolicy: a bad mask pointer");
	ok_sys(syscall(SYS_set_mempolicy, MPOL_BIND, big, 1ul << 20), EINVAL,
	       "set_mempolicy: maxnode beyond a page of bits");
	ok_sys(syscall(SYS_set_mempolicy, MPOL_BIND, big, 0), EINVAL,
	       "set_mempolicy: maxnode 0 with a mask");
	ok_sys(syscall(SYS_set_mempolicy, MPOL_BIND, big, 1), EINVAL,
	       "set_mempolicy: maxnode 1 reads no node (MPOL_BIND: EINVAL)");

	ok_eq(set_policy(MPOL_BIND, 1), 0, "set_mempolicy: MPOL_BIND to node 0");
	ok(get_policy(&mode, &nodes, NULL, 0) == 0 && mode == MPOL_BIND && nodes == 1,
	   "get_mempolicy reads MPOL_BIND {0} back");
	ok_eq(set_policy(MPOL_PREFERRED, 0), 0, "set_mempolicy: MPOL_PREFERRED with no node");
	ok(get_policy(&mode, &nodes, NULL, 0) == 0 && mode == MPOL_LOCAL && nodes == 0,
	   "... reads back as MPOL_LOCAL with no node");
	ok_eq(set_policy(MPOL_BIND | MPOL_F_STATIC_NODES, 1), 0, "set_mempolicy: MPOL_F_STATIC_NODES");
	ok(get_policy(&mode, &nodes, NULL, 0) == 0 &&
	   mode == (MPOL_BIND | MPOL_F_STATIC_NODES) && nodes == 1, "... reads back with the flag");
	ok_eq(set_policy(MPOL_INTERLEAVE, 1), 0, "set_mempolicy: MPOL_INTERLEAVE {0}");
	ok(get_policy(&mode, NULL, NULL, MPOL_F_NODE) == 0 && mode == 0,
	   "get_mempolicy MPOL_F_NODE: the next interleave node");
	ok_eq(set_policy(MPOL_DEFAULT, 0), 0, "set_mempolicy: MPOL_DEFAULT");
	ok(get_policy(&mode, &nodes, NULL, 0) == 0 && mode == MPOL_DEFAULT && nodes == 0,
	   "get_mempolicy reads MPOL_DEFAULT back");

	ok_sys(get_policy(&mode, NULL, NULL, 8), EINVAL, "get_mempolicy: unknown flags");
	ok_sys(get_policy(&mode, NULL, p, 0), EINVAL, "get_mempolicy: an address without MPOL_F_ADDR");
	ok_sys(get_policy(&mode, NULL, NULL, MPOL_F_NODE), EINVAL,
	       "get_mempolicy: MPOL_F_NODE without MPOL_F_ADDR, not interleaving");
	ok_sys(get_policy(&mode, NULL, NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE), EINVAL,
	       "get_mempolicy: MPOL_F_MEMS_ALLOWED with MPOL_F_NODE");
	ok_sys(get_policy(&mode, NULL, (void *)PAGE, MPOL_F_ADDR), EFAULT,
	       "get_mempolicy: MPOL_F_ADDR of an unmapped address");
	ok_sys(syscall(SYS_get_mempolicy, &mode, &nodes, 0, NULL, 0), EINVAL,
	       "get_mempolicy: maxnode 0 with a mask");
	ok_sys(syscall(SYS_get_mempolicy, (void *)8, NULL, 0, NULL, 0), EFAULT,
	       "get_mempolicy: a bad policy pointer");
	ok_sys(syscall(SYS_get_mempolicy, &mode, (void *)8, 64, NULL, 0), EFAULT,
	       "get_mempolicy: a bad mask pointer");
	memset(big, 0xff, sizeof(big));
	ok(syscall(SYS_get_mempolicy, &mode, big, 40 * 64, NULL, 0) == 0 && big[0] == 0 &&
	   big[39] == 0, "get_mempolicy clears the whole mask it is given");
	ok_sys(syscall(SYS_get_mempolicy, &mode, big, 1ul << 20, NULL, 0), EINVAL,
	       "get_mempolicy: maxnode beyond a page of bits");

	if (!ok(p != MAP_FAILED, "mmap 4 pages"))
		return;
	ok_sys(mbind_(p + 1, PAGE, MPOL_BIND, 1, 0), EINVAL, "mbind: unaligned start");
	ok_sys(mbind_(p, PAGE, MPOL_BIND, 1, 8), EINVAL, "mbind: unknown flags");
	ok_sys(mbind_(p, PAGE, 7, 1, 0), EINVAL, "mbind: unknown mode");
	ok_eq(mbind_(p, 0, MPOL_BIND, 0, 0), 0, "mbind: length 0 checks no policy");
	ok_sys(mbind_(p, PAGE, MPOL_BIND, 0, 0), EINVAL, "mbind: MPOL_BIND with no node");
	ok_sys(mbind_(p, PAGE, MPOL_DEFAULT, 1, 0), EINVAL, "mbind: MPOL_DEFAULT with a node");
	ok_sys(mbind_(p, (size_t)-PAGE, MPOL_BIND, 1, 0), EINVAL, "mbind: a range that wraps");
	ok_sys(mbind_((void *)PAGE, PAGE, MPOL_BIND, 1, 0), EFAULT, "mbind: an unmapped range");
	munmap(p + 2 * PAGE, PAGE);
	ok_sys(mbind_(p, 4 * PAGE, MPOL_BIND, 1, 0), EFAULT, "mbind: a range with a hole");
	ok_eq(mbind_(p, 4 * PAGE, MPOL_DEFAULT, 0, 0), 0, "mbind: MPOL_DEFAULT over a hole");
	ok_sys(mbind_(p + 2 * PAGE, PAGE, MPOL_DEFAULT, 0, 0), EFAULT,
	       "mbind: MPOL_DEFAULT over nothing but a hole");
	ok_eq(mbind_(p, PAGE, MPOL_BIND, 1, MPOL_MF_MOVE_ALL), 0, "mbind: MPOL_MF_MOVE_ALL as root");
	munmap(p, 4 * PAGE);
}

/* A region's policy: split, read back per page, merged when alike, kept by fork. */
static void child_policy(void *arg)
{
	int mode = -1;
	unsigned long nodes = 0;

	get_policy(&mode, &nodes, (char *)arg + 3 * PAGE, MPOL_F_ADDR);
	if (mode != MPOL_BIND || nodes != 1)
		_exit(1);
	get_policy(&mode, &nodes, NULL, 0);
	_exit(mode == MPOL_PREFERRED && nodes == 1 ? 0 : 2);
}

static void regions(void)
{
	char *p;
	int mode = -1, before;
	unsigned long nodes = 0;

	/* On node 0 whatever CPU this runs on (its node is the default). */
	set_policy(MPOL_BIND, 1);
	p = touched(8);
	set_policy(MPOL_DEFAULT, 0);
	before = count_maps();

	if (!ok(p != MAP_FAILED, "mmap 8 pages"))
		return;
	ok_eq(mbind_(p + 2 * PAGE, 4 * PAGE, MPOL_BIND, 1, 0), 0, "mbind pages 2-5 to node 0");
	ok_eq(count_maps(), before + 2, "the mapping is split in three");
	ok(get_policy(&mode, &nodes, p + 3 * PAGE, MPOL_F_ADDR) == 0 && mode == MPOL_BIND &&
	   nodes == 1, "get_mempolicy MPOL_F_ADDR inside: MPOL_BIND {0}");
	ok(get_policy(&mode, &nodes, p, MPOL_F_ADDR) == 0 && mode == MPOL_DEFAULT && nodes == 0,
	   "get_mempolicy MPOL_F_ADDR outside: MPOL_DEFAULT");
	ok_eq(set_policy(MPOL_PREFERRED, 1), 0, "set_mempolicy MPOL_PREFERRED {0}");
	ok(get_policy(&mode, &nodes, p, MPOL_F_ADDR) == 0 && mode == MPOL_DEFAULT,
	   "MPOL_F_ADDR does not report the thread's policy");
	ok_exited_with(run_in_child(child_policy, p), 0, "fork keeps region and thread policies");
	ok_eq(node_of(p + 3 * PAGE), 0, "MPOL_F_NODE|MPOL_F_ADDR of a page on one node: 0");
	ok_eq(mbind_(p + 2 * PAGE, 4 * PAGE, MPOL_DEFAULT, 0, 0), 0, "mbind MPOL_DEFAULT again");
	ok_eq(count_maps(), before, "the mapping merges back into one");
	ok_eq(mbind_(p, 8 * PAGE, MPOL_BIND, 1, MPOL_MF_STRICT), 0,
	      "MPOL_MF_STRICT with every page on the nodes");
	ok_eq(check(p, 8 * PAGE, 5), -1, "the pages keep their content");
	set_policy(MPOL_DEFAULT, 0);
	munmap(p, 8 * PAGE);
}

/* --- placement: two nodes --------------------------------------------------- */

static int thread_node = -1;

static void *thread_main(void *arg)
{
	char *p;
	int zero = 0;

	(void)arg;
	if (set_policy(MPOL_BIND, 1) == 0 && (p = touched(NPAGES)) != MAP_FAILED) {
		thread_node = first_off(p, NPAGES, fixed_node, &zero) == -1 ? 0 : -2;
		munmap(p, NPAGES * PAGE);
	}
	return NULL;
}

static void placement(void)
{
	int zero = 0, one = 1;
	char *p;
	pthread_t th;

	ok_eq(set_policy(MPOL_BIND, 2), 0, "set_mempolicy MPOL_BIND {1}");
	p = touched(NPAGES);
	ok_eq(first_off(p, NPAGES, fixed_node, &one), -1, "MPOL_BIND {1}: every page on node 1");
	munmap(p, NPAGES * PAGE);
	ok_eq(set_policy(MPOL_BIND, 1), 0, "set_mempolicy MPOL_BIND {0}");
	p = touched(NPAGES);
	ok_eq(first_off(p, NPAGES, fixed_node, &zero), -1, "MPOL_BIND {0}: every page on node 0");
	munmap(p, NPAGES * PAGE);
	ok_eq(set_policy(MPOL_PREFERRED, 2), 0, "set_mempolicy MPOL_PREFERRED {1}");
	p = touched(NPAGES);
	ok_eq(first_off(p, NPAGES, fixed_node, &one), -1, "MPOL_PREFERRED {1}: pages on node 1");
	munmap(p, NPAGES * PAGE);
	ok_eq(set_policy(MPOL_INTERLEAVE, 3), 0, "set_mempolicy MPOL_INTERLEAVE {0,1}");
	p = touched(NPAGES);
	ok_eq(first_off(p, NPAGES, interleaved, NULL), -1,
	      "MPOL_INTERLEAVE: page n on node n mod 2");
	munmap(p, NPAGES * PAGE);

	/* A region's policy wins over the thread's. */
	ok_eq(set_policy(MPOL_BIND, 1), 0, "set_mempolicy MPOL_BIND {0} again");
	p = map_anon(3 * NPAGES * PAGE, PROT_READ | PROT_WRITE);
	ok_eq(mbind_(p + NPAGES * PAGE, NPAGES * PAGE, MPOL_BIND, 2, 0), 0,
	      "mbind the middle third to node 1");
	fill(p, 3 * NPAGES * PAGE, 6);
	ok(first_off(p, NPAGES, fixed_node, &zero) == -1 &&
	   first_off(p + 2 * NPAGES * PAGE, NPAGES, fixed_node, &zero) == -1,
	   "pages outside the region follow the thread: node 0");
	ok_eq(first_off(p + NPAGES * PAGE, NPAGES, fixed_node, &one), -1,
	      "pages of the region follow its policy: node 1");
	ok_eq(mbind_(p, NPAGES * PAGE, MPOL_INTERLEAVE, 3, 0), 0, "mbind MPOL_INTERLEAVE {0,1}");
	ok_eq(madvise(p, NPAGES * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED the first third");
	fill(p, NPAGES * PAGE, 7);
	ok_eq(first_off(p, NPAGES, interleaved, NULL), -1, "refaulted pages interleave");

	/* STRICT refuses misplaced pages; MOVE moves them, content and all. */
	ok_sys(mbind_(p + 2 * NPAGES * PAGE, NPAGES * PAGE, MPOL_BIND, 2, MPOL_MF_STRICT), EIO,
	       "MPOL_MF_STRICT with pages on node 0, binding to 1: EIO");
	int mode = -1;
	get_policy(&mode, NULL, p + 2 * NPAGES * PAGE, MPOL_F_ADDR);
	ok_eq(mode, MPOL_DEFAULT, "... and the policy did not change");
	ok_eq(mbind_(p + 2 * NPAGES * PAGE, NPAGES * PAGE, MPOL_BIND, 2,
		     MPOL_MF_STRICT | MPOL_MF_MOVE), 0, "MPOL_MF_MOVE | MPOL_MF_STRICT to node 1");
	ok_eq(first_off(p + 2 * NPAGES * PAGE, NPAGES, fixed_node, &one), -1,
	      "the pages moved to node 1");
	ok_eq(check_at(p, 2 * NPAGES * PAGE, NPAGES * PAGE, 6), -1, "moved pages keep their content");
	fill(p + 2 * NPAGES * PAGE, NPAGES * PAGE, 8);
	ok_eq(check(p + 2 * NPAGES * PAGE, NPAGES * PAGE, 8), -1, "moved pages are writable");
	ok_eq(mbind_(p + NPAGES * PAGE, NPAGES * PAGE, MPOL_BIND, 1, MPOL_MF_MOVE), 0,
	      "MPOL_MF_MOVE of the middle back to node 0");
	ok_eq(first_off(p + NPAGES * PAGE, NPAGES, fixed_node, &zero), -1, "... all on node 0");
	ok_eq(check_at(p, NPAGES * PAGE, NPAGES * PAGE, 6), -1, "... with their content");
	munmap(p, 3 * NPAGES * PAGE);

	/* Policies are per thread: another thread's does not change ours. */
	ok_eq(set_policy(MPOL_BIND, 2), 0, "set_mempolicy MPOL_BIND {1} before a thread");
	if (ok_eq(pthread_create(&th, NULL, thread_main, NULL), 0, "pthread_create"))
		pthread_join(th, NULL);
	ok_eq(thread_node, 0, "the thread binding itself to node 0 gets node 0 pages");
	p = touched(NPAGES);
	ok_eq(first_off(p, NPAGES, fixed_node, &one), -1, "this thread still gets node 1 pages");
	munmap(p, NPAGES * PAGE);
	set_policy(MPOL_DEFAULT, 0);
}

static const char *const placement_names[] = {
	"set_mempolicy MPOL_BIND {1}", "MPOL_BIND {1}: every page on node 1",
	"set_mempolicy MPOL_BIND {0}", "MPOL_BIND {0}: every page on node 0",
	"set_mempolicy MPOL_PREFERRED {1}", "MPOL_PREFERRED {1}: pages on node 1",
	"set_mempolicy MPOL_INTERLEAVE {0,1}", "MPOL_INTERLEAVE: page n on node n mod 2",
	"set_mempolicy MPOL_BIND {0} again", "mbind the middle third to node 1",
	"pages outside the region follow the thread: node 0",
	"pages of the region follow its policy: node 1", "mbind MPOL_INTERLEAVE {0,1}",
	"MADV_DONTNEED the first third", "refaulted pages interleave",
	"MPOL_MF_STRICT with pages on node 0, binding to 1: EIO",
	"... and the policy did not change", "MPOL_MF_MOVE | MPOL_MF_STRICT to node 1",
	"the pages moved to node 1", "moved pages keep their content", "moved pages are writable",
	"MPOL_MF_MOVE of the middle back to node 0", "... all on node 0", "... with their content",
	"set_mempolicy MPOL_BIND {1} before a thread", "pthread_create",
	"the thread binding itself to node 0 gets node 0 pages",
	"this thread still gets node 1 pages",
};

int main(void)
{
	unsigned long allowed = 0;
	int mode;

	if (syscall(SYS_get_mempolicy, &mode, &allowed, 64, NULL, MPOL_F_MEMS_ALLOWED) && errno == ENOSYS) {
		printf("1..0 # SKIP no NUMA memory policy calls (a kernel built without NUMA)\n");
		return 0;
	}
	diag("nodes allowed: %#lx", allowed);
	errors();
	regions();
	if (allowed == 3) {
		placement();
	} else {
		for (size_t i = 0; i < sizeof(placement_names) / sizeof(placement_names[0]); i++)
			tap_skip(placement_names[i], "needs exactly two NUMA nodes");
	}
	return done_testing();
}
#endif
