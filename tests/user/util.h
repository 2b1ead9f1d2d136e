/*
 * util.h: helpers shared by the user-space test programs (memory patterns,
 * anonymous mappings, probing an address from a child, waiting on a flag in
 * shared memory). Only the system calls the test programs are allowed.
 */
#ifndef TESTS_USER_UTIL_H
#define TESTS_USER_UTIL_H

#include "tap.h"

#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#define PAGE 4096UL

/*
 * The ABI the program is built for: x86_64 (musl-gcc) or i386
 * (tools/cc-i386, 3 GiB of user space below the kernel's 1 GiB).
 */
#if UINTPTR_MAX > 0xffffffffu
#define ABI64 1
#define USER_TOP 0x800000000000UL		/* the end of user space */
#define KERNEL_HALF 0xffff800000000000UL	/* the start of the kernel's half */
#else
#define ABI64 0
#define USER_TOP 0xc0000000UL
#define KERNEL_HALF 0xc0000000UL
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

/* The byte at offset i of a region filled with seed. */
static TAP_UNUSED inline unsigned char pat(unsigned seed, size_t i)
{
	size_t pg = i / PAGE;
	return (unsigned char)(seed * 31u + i * 7u + pg * 13u + (i >> 8));
}

static TAP_UNUSED void fill(void *p, size_t len, unsigned seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

/*
 * Checks base[off, off + len) against what fill(base, ..., seed) wrote
 * there: the offset of the first byte that differs, or -1.
 */
static TAP_UNUSED long check_at(const void *base, size_t off, size_t len, unsigned seed)
{
	const volatile unsigned char *b = base;

	for (size_t i = off; i < off + len; i++)
		if (b[i] != pat(seed, i))
			return (long)i;
	return -1;
}

static TAP_UNUSED long check(const void *p, size_t len, unsigned seed)
{
	return check_at(p, 0, len, seed);
}

/* Offset of the first nonzero byte, or -1. */
static TAP_UNUSED long nonzero_at(const void *p, size_t len)
{
	const volatile unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

static TAP_UNUSED void *map_anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static TAP_UNUSED void *map_shared(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

/* An address where npages are free right now (mapped, then unmapped). */
static TAP_UNUSED char *free_range(size_t npages)
{
	void *p = map_anon(npages * PAGE, PROT_NONE);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, npages * PAGE);
	return p;
}

/* Probes for run_in_child(): each faults (or not) on the address given. */
static TAP_UNUSED void probe_read(void *a)
{
	(void)*(volatile unsigned char *)a;
}

static TAP_UNUSED void probe_write(void *a)
{
	*(volatile unsigned char *)a = 0x5a;
}

/* Writes a byte and reads it back: exits 0 only if the write took. */
static TAP_UNUSED void probe_rw(void *a)
{
	volatile unsigned char *b = a;
	unsigned char old = *b;

	*b = (unsigned char)(old + 1);
	_exit(*b == (unsigned char)(old + 1) ? 0 : 1);
}

/* Nanoseconds on CLOCK_MONOTONIC. */
static TAP_UNUSED long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static TAP_UNUSED void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Waits until *flag == want (another process sets it through shared memory),
 * yielding the CPU; gives up after about 30 s. Returns 1 if it was seen.
 */
static TAP_UNUSED int wait_flag(volatile int *flag, int want)
{
	long long deadline = mono_ns() + 30LL * 1000000000LL;

	for (unsigned n = 0; *flag != want; n++) {
		if (mono_ns() > deadline)
			return 0;
		if (n < 1000)
			sched_yield();
		else
			sleep_ms(1);
	}
	return 1;
}

/* The raw brk system call: returns the new break, or the old one on failure. */
static TAP_UNUSED uintptr_t raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

/*
 * Installs @fn for @sig with sigaction(): a plain handler, or with
 * SA_SIGINFO in @flags a three-argument one; nothing extra is blocked.
 */
/* Set this process's oom_score_adj through /proc, on both kernels (Linux's init mounts /proc): 0 or -1. */
static TAP_UNUSED int set_oom_score_adj(int v)
{
	char buf[16];
	int fd, n, r;

	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d", v);
	r = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return r;
}

/*
 * Runs @fn in a child that reports with ok() itself (a different user, say):
 * its TAP counts continue the parent's, then ok() that it finished.
 */
static TAP_UNUSED void in_reporting_child(void (*fn)(void), const char *what)
{
	static struct { int count, failed; } *shared;

	if (!shared)
		shared = map_shared(PAGE);
	pid_t pid = tap_fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		shared->count = tap_count;
		shared->failed = tap_failed;
		_exit(0);
	}
	shared->count = -1;
	int st = tap_wait(pid);
	if (shared->count >= 0) {
		tap_count = shared->count;
		tap_failed = shared->failed;
	}
	ok_exited_with(st, 0, "%s: the child finished", what);
}

/* Forks a child that maps, writes and checks 16 pages: its wait status (0: it worked). */
static TAP_UNUSED int fork_ordinary_work(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *p = map_anon(16 * PAGE, PROT_READ | PROT_WRITE);
		fill(p, 16 * PAGE, 5);
		_exit(check(p, 16 * PAGE, 5) == -1 ? 0 : 1);
	}
	return tap_wait(pid);
}

static TAP_UNUSED int install_handler(int sig, void *fn, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))fn;
	else
		sa.sa_handler = (void (*)(int))fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

#endif
