// SPDX-License-Identifier: MIT
/*
 * guestbench: memory-management costs measured inside the guest, with the
 * guest's own clock, so that the same static binary compares our kernel
 * and Linux on the same QEMU machine. Under QEMU's -icount shift=0 the
 * guest clock advances 1 ns per guest instruction, so the figures are
 * instruction counts.
 *
 * Time comes from rdtsc, calibrated against clock_gettime(CLOCK_MONOTONIC)
 * over 10 ms. Each figure is the median of several runs; a run times a
 * batch of operations and divides. One line per figure:
 *     guest.FIGURE VALUE ns
 *
 *   fault_zero  first write to each page of a fresh 64 MiB anonymous mapping, per page
 *   fault_cow   write to each page of 16 MiB touched before fork, in the child, per page
 *   mmap_4k     mmap + munmap of 4 KiB (untouched), per pair
 *   mmap_1m     mmap + munmap of 1 MiB (untouched), per pair
 *   brk_64k     raw brk grow by 64 KiB + shrink back, per pair
 *   mprotect    mprotect of one touched page inside a 16-page mapping, per call
 *               (alternately read-only and read-write: split and merge)
 *   fork_64m    fork + child _exit + wait4 of a process with 64 MiB touched
 *   munmap_64m  munmap of 64 MiB touched, per page
 *   execve      fork + execve of /guest_true (a tiny static binary) + exit + wait4
 *   file_read_4k       pread of one cached 4 KiB page of a file in /tmp, per call
 *   file_write_4k      pwrite of one cached 4 KiB page, per call
 *   fault_file_shared  first write to each page of a cached 16 MiB file mapped MAP_SHARED, per page
 *   fault_file_private first write to each page of it mapped MAP_PRIVATE (copy-on-write), per page
 *   msync_64m          msync(MS_SYNC) of a 64 MiB shared file mapping with every page dirty, per call
 *   shm_attach         shmat + a write to each page + shmdt of a 1 MiB System V segment, per cycle
 *   dos.ems_map (memcore only: a DOS box, memcore/dos.h) INT 67h 4400h mapping a
 *               logical EMS page into a window of the page frame, per call; with
 *               dos.ems_map_pte_writes and dos.ems_map_tlb_flushes per map
 *   win32.reserve_commit_64k  VirtualAlloc reserve 1 MiB, commit and touch 64 KiB, VirtualFree
 *               release, per cycle; on Linux (no Win32 calls) its nearest equivalent:
 *               mmap 1 MiB PROT_NONE, mprotect 64 KiB read-write, touch, munmap
 *   win32.heap_churn  HeapAlloc/HeapFree pairs of 16..512 bytes over 64 live blocks of the
 *               process heap, per pair; on Linux malloc/free (musl's)
 *   win32.view_map  MapViewOfFile + write to each page + UnmapViewOfFile of a 1 MiB anonymous
 *               section, per cycle; on Linux mmap MAP_SHARED of a 1 MiB shm_open object + the
 *               same writes + munmap
 *   signal_segv write to a read-only page, SIGSEGV handler mprotects it writable and
 *               returns, the write runs again (as a GC write barrier), per fault
 *
 * Usage: guestbench [ROUNDS [FIGURE]]   (ROUNDS runs per figure, default 5;
 *        FIGURE: only the figures starting with it, or with a word of a
 *        comma-separated list: "fault_zero,fork_64m,win32.")
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memcore/dos.h"
#include "memcore/win32.h"

#define PAGE 4096UL
#define MIB (1UL << 20)
#define MAXR 32

static double ns_per_tick;
static int rounds = 5;

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void calibrate(void)
{
	uint64_t t0 = mono_ns(), c0 = tsc(), t1, c1;

	do {
		t1 = mono_ns();
		c1 = tsc();
	} while (t1 - t0 < 10000000ull);
	ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

static double ns(uint64_t ticks)
{
	return (double)ticks * ns_per_tick;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	printf("guest.%s %.1f ns\n", name, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
	fflush(stdout);
}

static char *map(size_t len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED) {
		perror("guestbench: mmap");
		exit(1);
	}
	return p;
}

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PAGE)
		((volatile char *)p)[i] = 1;
}

static void fault_zero(void)
{
	double v[MAXR];
	size_t len = 64 * MIB;

	for (int r = 0; r < rounds; r++) {
		char *p = map(len, MAP_PRIVATE | MAP_ANONYMOUS);
		uint64_t t = tsc();
		touch(p, len);
		v[r] = ns(tsc() - t) / (double)(len / PAGE);
		munmap(p, len);
	}
	report("fault_zero", v, rounds);
}

static void fault_cow(void)
{
	double v[MAXR];
	size_t len = 16 * MIB;
	volatile double *out = (volatile double *)map(PAGE, MAP_SHARED | MAP_ANONYMOUS);

	for (int r = 0; r < rounds; r++) {
		char *p = map(len, MAP_PRIVATE | MAP_ANONYMOUS);
		touch(p, len);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			uint64_t t = tsc();
			for (size_t i = 0; i < len; i += PAGE)
				((volatile char *)p)[i] = 2;
			*out = ns(tsc() - t) / (double)(len / PAGE);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		v[r] = *out;
		munmap(p, len);
	}
	report("fault_cow", v, rounds);
}

static void mmap_pair(const char *name, size_t len)
{
	double v[MAXR];
	const int n = 200;

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				exit(1);
			munmap(p, len);
		}
		v[r] = ns(tsc() - t) / n;
	}
	report(name, v, rounds);
}

static void brk_64k(void)
{
	double v[MAXR];
	const int n = 200;
	long cur = syscall(SYS_brk, 0);

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			if (syscall(SYS_brk, cur + 65536) != cur + 65536) {
				fprintf(stderr, "guestbench: brk did not grow\n");
				exit(1);
			}
			syscall(SYS_brk, cur);
		}
		v[r] = ns(tsc() - t) / n;
	}
	report("brk_64k", v, rounds);
}

static void mprotect_page(void)
{
	double v[MAXR];
	const int n = 200;
	char *p = map(16 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS);

	touch(p, 16 * PAGE);
	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++)
			mprotect(p + 8 * PAGE, PAGE, i % 2 ? PROT_READ | PROT_WRITE : PROT_READ);
		v[r] = ns(tsc() - t) / n;
	}
	munmap(p, 16 * PAGE);
	report("mprotect", v, rounds);
}

static void fork_64m(void)
{
	double v[MAXR];
	size_t len = 64 * MIB;
	char *p = map(len, MAP_PRIVATE | MAP_ANONYMOUS);

	touch(p, len);
	fflush(stdout);
	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		v[r] = ns(tsc() - t);
	}
	munmap(p, len);
	report("fork_64m", v, rounds);
}

static void munmap_64m(void)
{
	double v[MAXR];
	size_t len = 64 * MIB;

	for (int r = 0; r < rounds; r++) {
		char *p = map(len, MAP_PRIVATE | MAP_ANONYMOUS);
		touch(p, len);
		uint64_t t = tsc();
		munmap(p, len);
		v[r] = ns(tsc() - t) / (double)(len / PAGE);
	}
	report("munmap_64m", v, rounds);
}

static void execve_true(void)
{
	double v[MAXR];
	const int n = 5;
	char *argv[] = { "/guest_true", NULL }, *envp[] = { NULL };

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			int st;
			pid_t pid = fork();
			if (pid == 0) {
				execve(argv[0], argv, envp);
				_exit(127);
			}
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "guestbench: /guest_true failed (status %#x)\n", st);
				exit(1);
			}
		}
		v[r] = ns(tsc() - t) / n;
	}
	report("execve", v, rounds);
}

/* In a child, which becomes a DOS box; nothing on Linux (ENOSYS). */
static void dos_ems_map(void)
{
	double v[MAXR];
	const int n = 256;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid) {
		waitpid(pid, NULL, 0);
		return;
	}
	struct dos_regs r = { .eax = 0x4300, .ebx = 8 };
	struct dos_info a, b;
	uint16_t h;

	if (dos_init(NULL) || dos_int(0x67, &r) || (r.eax & 0xff00))
		_exit(0);
	h = (uint16_t)r.edx;
	dos_info(&a);
	for (int k = 0; k < rounds; k++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			r = (struct dos_regs){ .eax = 0x4400 | (i & 3), .ebx = (uint32_t)(i & 7), .edx = h };
			dos_int(0x67, &r);
		}
		v[k] = ns(tsc() - t) / n;
	}
	dos_info(&b);
	report("dos.ems_map", v, rounds);
	printf("guest.dos.ems_map_pte_writes %.2f writes\n",
	       (double)(b.ems_pte_writes - a.ems_pte_writes) / (double)(b.ems_maps - a.ems_maps));
	printf("guest.dos.ems_map_tlb_flushes %.2f flushes\n",
	       (double)(b.ems_tlb_flushes - a.ems_tlb_flushes) / (double)(b.ems_maps - a.ems_maps));
	printf("guest.dos.ems_map_bytes_copied %llu bytes\n", (unsigned long long)b.ems_copies);
	fflush(stdout);
	_exit(0);
}

/* A file in /tmp of @len bytes, every page written (so every page is in the page cache). */
static int cached_file(const char *path, size_t len)
{
	static char buf[64 * 1024];
	int fd;

	mkdir("/tmp", 01777);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0) {
		perror("guestbench: open");
		exit(1);
	}
	memset(buf, 'f', sizeof(buf));
	for (size_t off = 0; off < len; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			exit(1);
	return fd;
}

static void file_rw_4k(const char *name, int writing)
{
	static char buf[PAGE];
	double v[MAXR];
	const int n = 2000;
	int fd = cached_file("/tmp/guestbench.rw", 16 * PAGE);

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			off_t off = (off_t)(i % 16) * PAGE;
			if ((writing ? pwrite(fd, buf, PAGE, off) : pread(fd, buf, PAGE, off)) != PAGE)
				exit(1);
		}
		v[r] = ns(tsc() - t) / n;
	}
	report(name, v, rounds);
	close(fd);
	unlink("/tmp/guestbench.rw");
}

static void fault_file(const char *name, int flags)
{
	double v[MAXR];
	size_t len = 16 * MIB;
	int fd = cached_file("/tmp/guestbench.map", len);

	for (int r = 0; r < rounds; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
		if (p == MAP_FAILED)
			exit(1);
		uint64_t t = tsc();
		for (size_t i = 0; i < len; i += PAGE)
			((volatile char *)p)[i] = 'g';
		v[r] = ns(tsc() - t) / (double)(len / PAGE);
		munmap(p, len);
	}
	report(name, v, rounds);
	close(fd);
	unlink("/tmp/guestbench.map");
}

static void msync_64m(void)
{
	double v[MAXR];
	size_t len = 64 * MIB;
	int fd = cached_file("/tmp/guestbench.sync", len);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		exit(1);
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < len; i += PAGE)
			((volatile char *)p)[i] = (char)r;
		uint64_t t = tsc();
		if (msync(p, len, MS_SYNC))
			exit(1);
		v[r] = ns(tsc() - t);
	}
	report("msync_64m", v, rounds);
	munmap(p, len);
	close(fd);
	unlink("/tmp/guestbench.sync");
}

static void shm_attach(void)
{
	double v[MAXR];
	const int n = 50;
	size_t len = MIB;
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);

	if (id < 0) {
		perror("guestbench: shmget");
		exit(1);
	}
	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			char *p = shmat(id, NULL, 0);
			if (p == (void *)-1)
				exit(1);
			touch(p, len);
			shmdt(p);
		}
		v[r] = ns(tsc() - t) / n;
	}
	report("shm_attach", v, rounds);
	shmctl(id, IPC_RMID, NULL);
}

static void segv_fix(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	mprotect((void *)((uintptr_t)si->si_addr & ~(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE);
}

static void signal_segv(void)
{
	double v[MAXR];
	const int n = 200;
	struct sigaction sa;
	char *p = map(PAGE, MAP_PRIVATE | MAP_ANONYMOUS);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_fix;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	touch(p, PAGE);
	for (int r = 0; r < rounds; r++) {
		uint64_t total = 0;
		for (int i = 0; i < n; i++) {
			mprotect(p, PAGE, PROT_READ);		/* not timed */
			uint64_t t = tsc();
			((volatile char *)p)[i] = 1;		/* fault, handler, return */
			total += tsc() - t;
		}
		v[r] = ns(total) / n;
	}
	signal(SIGSEGV, SIG_DFL);
	munmap(p, PAGE);
	report("signal_segv", v, rounds);
}

/* Does this kernel have the Win32 calls? (Linux: ENOSYS, ERROR_NOT_SUPPORTED) */
static int have_win32(void)
{
	void *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE, PAGE_NOACCESS);

	if (!p)
		return 0;
	VirtualFree(p, 0, MEM_RELEASE);
	return 1;
}

static void win32_reserve_commit(void)
{
	double v[MAXR];
	const int n = 100, win = have_win32();

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			char *p;

			if (win) {
				p = VirtualAlloc(NULL, MIB, MEM_RESERVE, PAGE_READWRITE);
				if (!p || !VirtualAlloc(p, 64 * 1024, MEM_COMMIT, PAGE_READWRITE))
					exit(1);
			} else {
				p = mmap(NULL, MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (p == MAP_FAILED || mprotect(p, 64 * 1024, PROT_READ | PROT_WRITE))
					exit(1);
			}
			touch(p, 64 * 1024);
			if (win)
				VirtualFree(p, 0, MEM_RELEASE);
			else
				munmap(p, MIB);
		}
		v[r] = ns(tsc() - t) / n;
	}
	report("win32.reserve_commit_64k", v, rounds);
}

static void win32_heap_churn(void)
{
	double v[MAXR];
	const int n = 20000, win = have_win32();
	HANDLE h = win ? GetProcessHeap() : NULL;
	void *live[64] = { 0 };
	unsigned x = 12345;

	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			unsigned k = i & 63;
			size_t sz;

			x = x * 1103515245u + 12345u;
			sz = 16 + (x >> 16) % 497;
			if (win) {
				HeapFree(h, 0, live[k]);
				live[k] = HeapAlloc(h, 0, sz);
			} else {
				free(live[k]);
				live[k] = malloc(sz);
			}
			*(volatile char *)live[k] = 1;
		}
		v[r] = ns(tsc() - t) / n;
	}
	for (int k = 0; k < 64; k++) {
		if (win)
			HeapFree(h, 0, live[k]);
		else
			free(live[k]);
	}
	report("win32.heap_churn", v, rounds);
}

static void win32_view_map(void)
{
	double v[MAXR];
	const int n = 50, win = have_win32();
	HANDLE s = NULL;
	int fd = -1;

	if (win) {
		s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, MIB, NULL);
	} else {
		mkdir("/dev/shm", 01777);	/* a bare initramfs may not have it */
		fd = shm_open("/guestbench.view", O_RDWR | O_CREAT, 0600);
		if (fd < 0 || ftruncate(fd, MIB))
			exit(1);
	}
	for (int r = 0; r < rounds; r++) {
		uint64_t t = tsc();
		for (int i = 0; i < n; i++) {
			char *p = win ? MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, MIB) :
				  mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (!p || p == MAP_FAILED)
				exit(1);
			touch(p, MIB);
			if (win)
				UnmapViewOfFile(p);
			else
				munmap(p, MIB);
		}
		v[r] = ns(tsc() - t) / n;
	}
	if (win) {
		CloseHandle(s);
	} else {
		close(fd);
		shm_unlink("/guestbench.view");
	}
	report("win32.view_map", v, rounds);
}

static const char *only;

/* @figure is asked for: no list, or it starts with a word of the comma-separated list. */
static int want(const char *figure)
{
	if (!only)
		return 1;
	for (const char *w = only; *w; ) {
		size_t n = strcspn(w, ",");
		if (n && !strncmp(w, figure, n))	/* a prefix: "win32." */
			return 1;
		w += n + (w[n] == ',');
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = atoi(argv[1]);
	if (argc > 2)
		only = argv[2];
	if (rounds < 1 || rounds > MAXR)
		rounds = 5;
	calibrate();
	printf("# guestbench: %d runs per figure; %.4f ns per TSC tick\n", rounds, ns_per_tick);
	if (want("fault_zero"))
		fault_zero();
	if (want("fault_cow"))
		fault_cow();
	if (want("mmap_4k"))
		mmap_pair("mmap_4k", 4 * 1024);
	if (want("mmap_1m"))
		mmap_pair("mmap_1m", MIB);
	if (want("brk_64k"))
		brk_64k();
	if (want("mprotect"))
		mprotect_page();
	if (want("fork_64m"))
		fork_64m();
	if (want("munmap_64m"))
		munmap_64m();
	if (want("execve"))
		execve_true();
	if (want("file_read_4k"))
		file_rw_4k("file_read_4k", 0);
	if (want("file_write_4k"))
		file_rw_4k("file_write_4k", 1);
	if (want("fault_file_shared"))
		fault_file("fault_file_shared", MAP_SHARED);
	if (want("fault_file_private"))
		fault_file("fault_file_private", MAP_PRIVATE);
	if (want("msync_64m"))
		msync_64m();
	if (want("shm_attach"))
		shm_attach();
	if (want("signal_segv"))
		signal_segv();
	if (want("win32.reserve_commit_64k"))
		win32_reserve_commit();
	if (want("win32.heap_churn"))
		win32_heap_churn();
	if (want("win32.view_map"))
		win32_view_map();
	if (want("dos.ems_map"))
		dos_ems_map();
	return 0;
}
