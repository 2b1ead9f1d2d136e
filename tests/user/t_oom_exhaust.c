/*
 * t_oom_exhaust: memory exhausted from user space, in several ways, by a
 * child that has made itself the OOM killer's first choice (oom_score_adj
 * 1000). Each time the child must die of
 * SIGKILL, this program must carry on, and on memcore every frame the child
 * took must come back (MEMCORE_SYS_free_frames, caches drained).
 *
 *   anonymous memory   writing one byte per page of an 8 GiB MAP_NORESERVE map
 *                      (1.5 GiB on i386)
 *   page tables        reading one byte per 2 MiB of a 1 TiB map: each read
 *                      maps the shared zero page and costs a page-table page
 * (t_oom checks that a second exhaustion gets as far as the first.)
 *
 * Transparent huge pages are turned off for the maps (MADV_NOHUGEPAGE), so
 * Linux's faults cost what memcore's do.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <memcore/syscall.h>
#include "util.h"

#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#define GiB ((size_t)1 << 30)
#if ABI64
#define ANON_LEN (8 * GiB)
#else
#define ANON_LEN (3 * GiB / 2)	/* more than the test machine's RAM, under musl's PTRDIFF_MAX */
#endif

/* Free frames on memcore (caches drained); -1 on Linux. */
static long free_frames(void)
{
	return syscall(MEMCORE_SYS_free_frames);
}

static char *map_huge(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Writes a byte to every page until the kernel kills the child. */
static void eat_anon(void)
{
	char *p = map_huge(ANON_LEN, PROT_READ | PROT_WRITE);

	for (size_t off = 0; p && off < ANON_LEN; off += PAGE)
		p[off] = 1;
}

#if ABI64
/* Reads a byte every 2 MiB: zero-page mappings, one page-table page each. */
static void eat_tables(void)
{
	const size_t len = 1024 * GiB, step = 2UL << 20;
	volatile char *p = map_huge(len, PROT_READ);
	unsigned sum = 0;

	for (size_t off = 0; p && off < len; off += step)
		sum += p[off];
	(void)sum;
}
#endif

static void exhaust(const char *what, void (*eat)(void))
{
	long before = free_frames();
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (set_oom_score_adj(1000))
			_exit(3);
		eat();
		_exit(2);	/* survived: the map was too small for this machine */
	}
	st = tap_wait(pid);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: the child is killed (SIGKILL)", what);
	if (!WIFSIGNALED(st))
		diag("wait status %#x", st);
	if (before >= 0) {
		long after = free_frames();

		ok_eq(after, before, "%s: every frame it took is free again", what);
	} else {
		ok(1, "%s: every frame it took is free again", what);	/* Linux: no count */
	}
}

int main(void)
{
	exhaust("anonymous memory", eat_anon);
#if ABI64
	exhaust("page tables", eat_tables);
#else
	tap_skip("page tables", "3 GiB of address space needs too few tables");
#endif
	/* Still able to do ordinary work afterwards. */
	ok(fork_ordinary_work() == 0, "a process forked afterwards runs and exits");
	return done_testing();
}
