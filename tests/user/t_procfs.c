/*
 * t_procfs: the /proc files programs read to see their memory, in Linux's
 * formats: /proc/self/maps follows mmap, mprotect and munmap region by
 * region (columns, offsets, names from column 73); status and statm count
 * VmSize, VmRSS, VmHWM, VmLck exactly; smaps gives a region's Rss and
 * Anonymous; meminfo sees a populated mapping leave MemFree; the vm
 * sysctls read and write and change the commit policy; oom_score_adj and
 * oom_score; bad paths are ENOENT.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "memcore/syscall.h"
#include "tap.h"

#define PAGE 4096ul
#define NAME_COL (25 + sizeof(void *) * 6)	/* show_map_vma()'s pad, then a space */

static char buf[256 * 1024];

/* The whole of @path in buf (NUL-terminated): its length, or -errno. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r;

	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return r < 0 ? -errno : n;
}

/* A "Key:   N kB" (or bare N) value of the last slurp; -1 if absent. */
static long field(const char *key)
{
	size_t k = strlen(key);

	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == ':')
			return strtol(l + k + 1, NULL, 10);
	return -1;
}

static long status(const char *key)
{
	return slurp("/proc/self/status") > 0 ? field(key) : -1;
}

struct map {
	unsigned long start, end, off;
	char perms[5];
	const char *name;	/* in buf; "" if none */
	bool pad_ok;		/* no name: ends in one space; a name: starts at NAME_COL */
};

/* The maps line of the region holding @addr, from a fresh read: true if found. */
static bool map_at(const void *addr, struct map *m)
{
	unsigned long a = (unsigned long)addr;
	unsigned maj, min;
	unsigned long ino;
	int n;

	if (slurp("/proc/self/maps") <= 0)
		return false;
	for (char *l = buf, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		if (!e)
			return false;
		*e = 0;
		if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, m->perms, &m->off,
			   &maj, &min, &ino, &n) < 7)
			return false;
		if (a < m->start || a >= m->end)
			continue;
		m->name = l + n;
		m->pad_ok = *m->name ? (size_t)n == NAME_COL : e[-1] == ' ' && e[-2] != ' ';
		return true;
	}
	return false;
}

static int regions_in(const char *p, size_t len)
{
	int n = 0;
	struct map m;

	for (size_t off = 0; off < len; off = m.end - (unsigned long)p) {
		if (!map_at(p + off, &m))
			return n;
		n++;
	}
	return n;
}

static void test_maps(const char *prog)
{
	struct map m;
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ok(map_at(p, &m) && m.start == (unsigned long)p && m.end == (unsigned long)p + 3 * PAGE &&
	   !strcmp(m.perms, "rw-p") && m.off == 0 && !*m.name && m.pad_ok,
	   "maps: a private anonymous mapping is one rw-p line, offset 0, no name");
	mprotect(p + PAGE, PAGE, PROT_READ);
	ok(regions_in(p, 3 * PAGE) == 3 && map_at(p + PAGE, &m) && !strcmp(m.perms, "r--p"),
	   "maps: mprotect of the middle page splits it in three");
	mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE);
	ok(regions_in(p, 3 * PAGE) == 1, "maps: mprotect back merges the three again");
	munmap(p + PAGE, PAGE);
	ok(regions_in(p, PAGE) == 1 && !map_at(p + PAGE, &m) && map_at(p + 2 * PAGE, &m),
	   "maps: munmap of the middle leaves two lines and a hole");
	munmap(p, 3 * PAGE);

	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ok(map_at(p, &m) && !strcmp(m.perms, "rw-s") && !strcmp(m.name, "/dev/zero (deleted)") &&
	   m.pad_ok, "maps: shared anonymous memory is rw-s '/dev/zero (deleted)' from column 73");
	munmap(p, 2 * PAGE);

	int fd = open(prog, O_RDONLY);
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	size_t bl = strlen(base);

	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	ok(p != MAP_FAILED && map_at(p, &m) && !strcmp(m.perms, "r--p") && m.off == PAGE &&
	   strlen(m.name) > bl && !strcmp(m.name + strlen(m.name) - bl, base) &&
	   m.name[strlen(m.name) - bl - 1] == '/' && m.pad_ok,
	   "maps: a file mapping shows its offset and the file's path");
	munmap(p, PAGE);
	close(fd);

	int x;
	ok(map_at(&x, &m) && !strcmp(m.name, "[stack]") && !strcmp(m.perms, "rw-p"),
	   "maps: the stack is [stack]");
	char *brk0 = (char *)syscall(SYS_brk, 0);
	syscall(SYS_brk, brk0 + 4 * PAGE);
	brk0[0] = 1;
	ok(map_at(brk0, &m) && !strcmp(m.name, "[heap]") && !strcmp(m.perms, "rw-p"),
	   "maps: the grown break is [heap]");
	syscall(SYS_brk, brk0);
	ok(map_at((void *)(uintptr_t)&test_maps, &m) && m.perms[2] == 'x' && strlen(m.name) >= bl &&
	   !strcmp(m.name + strlen(m.name) - bl, base), "maps: the program's code is r-x from its file");
}

static void test_status(void)
{
	const size_t len = 1 << 20;
	long size0 = status("VmSize"), rss0 = status("VmRSS");
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ok_eq(status("VmSize") - size0, 1024, "status: VmSize grows by the 1024 kB mapped");
	ok_eq(status("VmRSS") - rss0, 0, "status: VmRSS does not count untouched pages");
	memset(p, 1, len);
	long rss1 = status("VmRSS");
	/* Linux folds each thread's RSS events in every 64: within 256 kB. */
	ok(rss1 - rss0 >= 1024 - 256 && rss1 - rss0 <= 1024 + 256,
	   "status: VmRSS grows by about 1024 kB once they are written");
	if (rss1 - rss0 != 1024)
		diag("VmRSS grew by %ld kB", rss1 - rss0);
	ok(status("VmHWM") >= rss1, "status: VmHWM is at least VmRSS");
	ok_eq(status("VmLck"), 0, "status: VmLck 0 with nothing locked");
	ok_eq(mlock(p, 16 * PAGE), 0, "status: mlock of 16 pages");
	ok_eq(status("VmLck"), 64, "status: VmLck counts the 64 kB locked");
	munlock(p, 16 * PAGE);
	long peak = status("VmPeak");
	munmap(p, len);
	long fall = rss1 - status("VmRSS");
	ok(fall >= 1024 - 256 && fall <= 1024 + 256, "status: VmRSS falls back after munmap");
	ok(status("VmHWM") >= rss1, "status: VmHWM keeps the high-water mark");
	ok(status("VmPeak") >= peak && status("VmPeak") - status("VmSize") >= 1024,
	   "status: VmPeak keeps the largest size");
	ok_eq(status("VmSwap"), 0, "status: VmSwap 0 without swapping");
	ok_eq(status("Threads"), 1, "status: one thread");
	ok_eq(status("Pid"), getpid(), "status: Pid is getpid()");
	ok_eq(status("PPid"), getppid(), "status: PPid is getppid()");

	unsigned long sz, res;
	char path[64];
	long vmsize = status("VmSize"), vmrss = status("VmRSS");
	snprintf(path, sizeof(path), "/proc/%d/statm", getpid());
	ok(slurp(path) > 0 && sscanf(buf, "%lu %lu", &sz, &res) == 2 &&
	   (long)sz * 4 == vmsize && (long)res * 4 == vmrss,
	   "statm: /proc/PID/statm's size and resident agree with status");
}

static void test_smaps(void)
{
	char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char hdr[64];

	for (int i = 0; i < 4; i++)
		p[i * PAGE] = 1;
	ok(slurp("/proc/self/smaps") > 0, "smaps: readable");
	snprintf(hdr, sizeof(hdr), "%08lx-%08lx ", (unsigned long)p, (unsigned long)p + 8 * PAGE);
	char *r = strstr(buf, hdr);
	if (r)
		memmove(buf, r, strlen(r) + 1);
	ok(r && field("Size") == 32 && field("Rss") == 16 && field("Anonymous") == 16 &&
	   field("Swap") == 0 && field("KernelPageSize") == 4,
	   "smaps: Size 32 kB, Rss and Anonymous 16 kB after writing 4 of 8 pages");
	munmap(p, 8 * PAGE);
}

static void test_meminfo(void)
{
	const size_t len = 32 << 20;

	ok(slurp("/proc/meminfo") > 0, "meminfo: readable");
	long total = field("MemTotal"), free0 = field("MemFree"), avail = field("MemAvailable");
	ok(total > 0 && free0 > 0 && free0 <= total && avail > 0 && avail <= total,
	   "meminfo: 0 < MemFree, MemAvailable <= MemTotal");
	ok(field("SwapTotal") >= field("SwapFree") && field("SwapFree") >= 0 &&
	   field("CommitLimit") > 0 && field("Committed_AS") >= 0,
	   "meminfo: swap and commit lines");
	ok(strstr(buf, "MemTotal:       ") == buf, "meminfo: labels padded to 16 columns");
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	slurp("/proc/meminfo");
	long drop = free0 - field("MemFree");
	ok(drop >= 24 * 1024, "meminfo: MemFree falls by about the 32 MiB populated");
	if (drop < 24 * 1024)
		diag("MemFree fell by %ld kB", drop);
	munmap(p, len);
}

/* Write @s to @path: 0, or errno from open or write. */
static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = errno;
	close(fd);
	return err;
}

/* Can this process map @len bytes of private writable memory? */
static bool can_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, len);
	return true;
}

static void test_commit(void)
{
	slurp("/proc/meminfo");
	size_t huge = (size_t)(field("MemTotal") + field("SwapTotal")) * 1024 * 2;

	ok_eq(put("/proc/sys/vm/overcommit_memory", "2"), 0, "commit: vm.overcommit_memory=2");
	ok(!can_map(huge), "commit: strict mode refuses twice RAM + swap");
	ok_eq(put("/proc/sys/vm/overcommit_memory", "1"), 0, "commit: vm.overcommit_memory=1");
	ok(can_map(huge), "commit: always mode grants it");
	ok_eq(put("/proc/sys/vm/overcommit_memory", "0"), 0, "commit: vm.overcommit_memory=0");
	ok(can_map(64 << 20) && !can_map(huge), "commit: the heuristic grants 64 MiB, not twice RAM + swap");
}

static void test_oom(void)
{
	long score0;

	ok(slurp("/proc/self/oom_score_adj") > 0 && !strcmp(buf, "0\n"), "oom: oom_score_adj starts 0");
	ok(slurp("/proc/self/oom_score") > 0 && (score0 = strtol(buf, NULL, 10)) >= 0 &&
	   score0 <= 2000, "oom: oom_score in 0..2000");
	ok_eq(put("/proc/self/oom_score_adj", "1000\n"), 0, "oom: write 1000");
	ok(slurp("/proc/self/oom_score_adj") > 0 && !strcmp(buf, "1000\n"), "oom: it reads back");
	ok(slurp("/proc/self/oom_score") > 0 && strtol(buf, NULL, 10) >= 1300,
	   "oom: oom_score is about 1333 with adj 1000");
	ok_eq(put("/proc/self/oom_score_adj", "1001"), EINVAL, "oom: 1001 is EINVAL");
	ok_eq(put("/proc/self/oom_score_adj", "12x"), EINVAL, "oom: 12x is EINVAL");
	ok_eq(put("/proc/self/oom_score_adj", "-1000"), 0, "oom: write -1000");
	ok(slurp("/proc/self/oom_score") > 0 && !strcmp(buf, "0\n"), "oom: oom_score 0 when never chosen");
	pid_t pid = tap_fork();
	if (!pid) {
		slurp("/proc/self/oom_score_adj");
		_exit(strcmp(buf, "-1000\n") ? 1 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "oom: a child inherits it");
	ok_eq(put("/proc/self/oom_score_adj", "-5"), 0, "oom: write -5 over -1000");
	ok_eq(put("/proc/self/oom_score_adj", "0"), 0, "oom: write 0 over -5");
	ok(slurp("/proc/self/oom_score_adj") > 0 && !strcmp(buf, "0\n"), "oom: 0 reads back");
	/* memcore's call for the same value: ENOSYS on Linux, so both pass. */
	int v = -1000, old = 1;
	long r = syscall(MEMCORE_SYS_oom_score_adj, 0, &v, &old);
	ok((r == -1 && errno == ENOSYS) || (r == 0 && old == 0),
	   "oom: memcore call sets -1000, old value 0 (ENOSYS on Linux)");
	r = syscall(MEMCORE_SYS_oom_score_adj, 0, NULL, &old);
	ok((r == -1 && errno == ENOSYS) || (r == 0 && old == -1000),
	   "oom: memcore call reads -1000 back as a value, not an error (ENOSYS on Linux)");
	r = syscall(MEMCORE_SYS_oom_score_adj, 0, (int *)8, NULL);
	ok(r == -1 && (errno == EFAULT || errno == ENOSYS), "oom: memcore call bad pointer EFAULT");
	v = 1001;
	r = syscall(MEMCORE_SYS_oom_score_adj, 0, &v, NULL);
	ok(r == -1 && (errno == EINVAL || errno == ENOSYS), "oom: memcore call 1001 EINVAL");
	put("/proc/self/oom_score_adj", "0");
}

static void test_sysctl(void)
{
	ok(slurp("/proc/sys/vm/max_map_count") > 0 && !strcmp(buf, "65530\n"),
	   "sysctl: vm.max_map_count reads 65530");
	ok(slurp("/proc/sys/vm/overcommit_memory") > 0 && !strcmp(buf, "0\n"),
	   "sysctl: vm.overcommit_memory reads 0");
	int fd = open("/proc/sys/vm/overcommit_memory", O_WRONLY);
	ok(fd >= 0 && write(fd, "1\n", 2) == 2, "sysctl: root writes vm.overcommit_memory=1");
	close(fd);
	ok(slurp("/proc/sys/vm/overcommit_memory") > 0 && !strcmp(buf, "1\n"),
	   "sysctl: it reads back 1");
	fd = open("/proc/sys/vm/overcommit_memory", O_WRONLY);
	ok(write(fd, "7", 1) == -1 && errno == EINVAL, "sysctl: 7 is EINVAL");
	ok(write(fd, "0", 1) == 1, "sysctl: back to 0");
	close(fd);
}

static void test_errors(void)
{
	ok_eq(slurp("/proc/self/no_such_file"), -ENOENT, "errors: an unknown file is ENOENT");
	ok_eq(slurp("/proc/2147483/maps"), -ENOENT, "errors: a pid that does not exist is ENOENT");
	int fd = open("/proc/self/maps", O_WRONLY);
	ok(fd >= 0 && write(fd, "x", 1) == -1 && errno == EINVAL,
	   "errors: root may open maps for writing, but write() is EINVAL");
	close(fd);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_maps(argv[0]);
	test_status();
	test_smaps();
	test_meminfo();
	test_sysctl();
	test_commit();
	test_oom();
	test_errors();
	return done_testing();
}
