/*
 * t_pkeys: memory protection keys as Linux 6.1 gives them. On x86_64 with
 * PKU (QEMU's max CPU): pkey_alloc hands out 1, 2, ... up to 15 and sets
 * the caller's PKRU, then ENOSPC; bad flags and rights EINVAL; pkey_free
 * of a key not allocated EINVAL (key 0 may be freed); pkey_mprotect's
 * errors in Linux's order; a write or read a key forbids is SIGSEGV with
 * SEGV_PKUERR and si_pkey, a handler runs with the default PKRU and
 * rt_sigreturn gives the interrupted one back; WRPKRU takes effect with no
 * system call; mprotect and mremap keep a region's key; fork inherits PKRU
 * and the allocated keys, a thread has its own PKRU, execve resets both;
 * the kernel's own copies obey PKRU (EFAULT). On i386 the three calls are
 * ENOSYS, as Linux builds them only where the arch has keys. On x86_64
 * without PKU (QEMU's qemu64) they exist but no key is ever allocated, not
 * even 0: pkey_alloc checks its arguments, then ENOSPC; pkey_free EINVAL;
 * pkey_mprotect takes only -1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tap.h"
#include "pkru_util.h"

#ifndef SYS_pkey_mprotect
#if ABI64
#define SYS_pkey_mprotect 329
#define SYS_pkey_alloc 330
#define SYS_pkey_free 331
#else
#define SYS_pkey_mprotect 380
#define SYS_pkey_alloc 381
#define SYS_pkey_free 382
#endif
#endif
#define PKEY_DISABLE_ACCESS 0x1
#define PKEY_DISABLE_WRITE 0x2
#define SEGV_PKUERR_CODE 4
#define PKRU_DEFAULT 0x55555554u

static long pkey_alloc_(unsigned long flags, unsigned long rights)
{
	return syscall(SYS_pkey_alloc, flags, rights);
}

static long pkey_free_(long key)
{
	return syscall(SYS_pkey_free, key);
}

static long pkey_mprotect_(void *addr, size_t len, int prot, long key)
{
	return syscall(SYS_pkey_mprotect, addr, len, prot, key);
}

/* PKRU with @key's two bits set to @rights (PKEY_DISABLE_*). */
static unsigned with_rights(unsigned pkru, int key, unsigned rights)
{
	return (pkru & ~(3u << (2 * key))) | (rights << (2 * key));
}

static sigjmp_buf jb;
static volatile int got_code, hits;
static volatile unsigned got_pkey, handler_pkru;
static void *volatile got_addr;
static void *volatile fix_addr;

static void on_segv_jump(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	handler_pkru = rdpkru();
	hits++;
	got_code = si->si_code;
	got_pkey = si->si_pkey;	/* musl's: Linux's _addr_pkey */
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

/* Gives the page key 0 and returns: the access runs again, with the interrupted PKRU. */
static void on_segv_rekey(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	handler_pkru = rdpkru();
	hits++;
	got_code = si->si_code;
	got_pkey = si->si_pkey;	/* musl's: Linux's _addr_pkey */
	pkey_mprotect_(fix_addr, PAGE, PROT_READ | PROT_WRITE, 0);
}

static void reset(void)
{
	got_code = hits = 0;
	got_pkey = handler_pkru = 0;
	got_addr = NULL;
}

/* Runs a write (or read) of @p under on_segv_jump; true if it faulted. */
static int faults(volatile char *p, int write)
{
	reset();
	install_handler(SIGSEGV, (void *)on_segv_jump, SA_SIGINFO | SA_NODEFER);
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 7;
		else
			(void)*p;
	}
	signal(SIGSEGV, SIG_DFL);
	return hits;
}

/* i386: Linux builds the calls only where the arch has keys. */
static void test_no_calls(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);

	ok_sys(pkey_alloc_(0, 0), ENOSYS, "no keys: pkey_alloc is ENOSYS");
	ok_sys(pkey_alloc_(1, 0), ENOSYS, "no keys: pkey_alloc with flags is ENOSYS");
	ok_sys(pkey_free_(0), ENOSYS, "no keys: pkey_free(0) is ENOSYS");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, -1), ENOSYS, "no keys: pkey_mprotect with -1 is ENOSYS");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, 0), ENOSYS, "no keys: pkey_mprotect with 0 is ENOSYS");
	p[0] = 1;
	ok_eq(p[0], 1, "no keys: the page is still writable");
	munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(p != MAP_FAILED, "no keys: mmap(PROT_EXEC)");
	ok_eq(p[0], 0, "no keys: PROT_EXEC alone is readable (no execute-only key)");
	munmap(p, PAGE);
}

/* x86_64 without PKU: the calls exist, with a single key nobody may hold. */
static void test_no_pku(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);

	ok_sys(pkey_alloc_(0, 0), ENOSPC, "no PKU: pkey_alloc is ENOSPC");
	ok_sys(pkey_alloc_(1, 0), EINVAL, "no PKU: pkey_alloc with flags is EINVAL first");
	ok_sys(pkey_alloc_(0, 4), EINVAL, "no PKU: pkey_alloc with unknown rights is EINVAL first");
	ok_sys(pkey_free_(0), EINVAL, "no PKU: pkey_free(0) is EINVAL");
	ok_sys(pkey_free_(1), EINVAL, "no PKU: pkey_free(1) is EINVAL");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, 0), EINVAL, "no PKU: pkey_mprotect with key 0 is EINVAL");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, 1), EINVAL, "no PKU: pkey_mprotect with key 1 is EINVAL");
	ok_sys(pkey_mprotect_(p, PAGE, 0x10, -1), EINVAL, "no PKU: unknown protection bits are EINVAL");
	ok(pkey_mprotect_(p, PAGE, PROT_READ, -1) == 0, "no PKU: pkey_mprotect with -1 is mprotect");
	ok_sys(syscall(SYS_getrandom, p, 1, 0), EFAULT,
	       "no PKU: the page is read-only now (getrandom into it EFAULT)");
	munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(p != MAP_FAILED, "no PKU: mmap(PROT_EXEC)");
	ok_eq(p[0], 0, "no PKU: PROT_EXEC alone is readable (no execute-only key)");
	munmap(p, PAGE);
}

static void test_alloc_free(void)
{
	int keys[16], n = 0;
	long k;

	ok_eq(rdpkru(), PKRU_DEFAULT, "PKRU at start is the default (keys 1..15 access-disabled)");
	ok_sys(pkey_alloc_(1, 0), EINVAL, "pkey_alloc with flags is EINVAL");
	ok_sys(pkey_alloc_(0, 4), EINVAL, "pkey_alloc with unknown rights is EINVAL");
	k = pkey_alloc_(0, 0);
	ok_eq(k, 1, "the first key is 1");
	ok_eq(rdpkru(), with_rights(PKRU_DEFAULT, 1, 0), "pkey_alloc(0, 0) clears key 1's bits in PKRU");
	ok_eq(pkey_alloc_(0, PKEY_DISABLE_WRITE), 2, "the next key is 2");
	ok_eq((rdpkru() >> 4) & 3, PKEY_DISABLE_WRITE, "PKEY_DISABLE_WRITE sets key 2's write-disable bit");
	ok_eq(pkey_alloc_(0, PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE), 3, "the next key is 3");
	ok_eq((rdpkru() >> 6) & 3, 3, "both rights set both of key 3's bits");
	ok_eq(pkey_free_(2), 0, "pkey_free(2)");
	ok_sys(pkey_free_(2), EINVAL, "pkey_free(2) again is EINVAL");
	ok_eq(pkey_alloc_(0, 0), 2, "a freed key is handed out again, lowest first");
	for (k = 4; (k = pkey_alloc_(0, 0)) >= 0 && n < 16;)
		keys[n++] = (int)k;
	ok(k == -1 && errno == ENOSPC, "ENOSPC once every key is taken");
	ok_eq(n, 12, "keys 4..15 were left");
	ok_eq(n ? keys[n - 1] : 0, 15, "the last key is 15");
	for (int i = 0; i < n; i++)
		pkey_free_(keys[i]);
	ok_sys(pkey_free_(5), EINVAL, "pkey_free of a key not allocated is EINVAL");
	ok_sys(pkey_free_(16), EINVAL, "pkey_free(16) is EINVAL");
	ok_sys(pkey_free_(-1), EINVAL, "pkey_free(-1) is EINVAL");
	ok_eq(pkey_free_(0), 0, "pkey_free(0) succeeds, as on Linux");
	ok_eq(pkey_alloc_(0, 0), 0, "then pkey_alloc gives key 0");
	for (k = 1; k <= 3; k++)
		pkey_free_(k);
	wrpkru(PKRU_DEFAULT);
}

static void test_mprotect_errors(void)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	char *hole = free_range(1);
	long k = pkey_alloc_(0, 0);

	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ, -1), 0, "pkey_mprotect with key -1 is mprotect");
	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, 0), 0, "pkey_mprotect with key 0");
	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, k), 0, "pkey_mprotect with an allocated key");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, 5), EINVAL, "an unallocated key is EINVAL");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, 16), EINVAL, "key 16 is EINVAL");
	ok_sys(pkey_mprotect_(p, PAGE, PROT_READ, -2), EINVAL, "key -2 is EINVAL");
	ok_sys(pkey_mprotect_(p + 1, PAGE, PROT_READ, 5), EINVAL, "an unaligned address is EINVAL first");
	ok_eq(pkey_mprotect_(p, 0, PROT_READ, 5), 0, "length 0 succeeds before the key is looked at");
	ok_sys(pkey_mprotect_(hole, PAGE, PROT_READ, k), ENOMEM, "an unmapped range is ENOMEM");
	ok_sys(pkey_mprotect_(hole, PAGE, PROT_READ, 5), EINVAL, "the key is checked before the range");
	ok_sys(pkey_mprotect_(p, PAGE, 0x10, k), EINVAL, "unknown protection bits are EINVAL");
	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, 0xffffffffL), 0,
	      "the key is an int: 0xffffffff is -1");
	pkey_free_(k);
	munmap(p, 2 * PAGE);
}

static void test_faults(void)
{
	char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
	long k = pkey_alloc_(0, PKEY_DISABLE_WRITE);
	unsigned before;

	p[0] = 1;
	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, k), 0, "a written page gets a write-disabled key");
	ok_eq(p[0], 1, "it is still readable");
	before = rdpkru();
	ok(faults(p, 1), "a write to it faults");
	ok_eq(got_code, SEGV_PKUERR_CODE, "SIGSEGV with SEGV_PKUERR");
	ok_eq(got_pkey, k, "si_pkey is the page's key");
	ok(got_addr == p, "si_addr is the address written");
	ok_eq(handler_pkru, PKRU_DEFAULT, "the handler runs with the default PKRU");
	ok_eq(rdpkru(), PKRU_DEFAULT, "a siglongjmp out of it keeps the handler's PKRU");
	wrpkru(before);
	ok_eq(p[0], 1, "the write did not happen");

	/* A page never touched: the key stops the first access, with no page made. */
	ok_eq(pkey_mprotect_(p + PAGE, PAGE, PROT_READ | PROT_WRITE, k), 0, "an untouched page gets the key");
	wrpkru(with_rights(before, (int)k, PKEY_DISABLE_ACCESS));
	ok(faults(p + PAGE, 0), "with access disabled, a read of the untouched page faults");
	wrpkru(with_rights(before, (int)k, PKEY_DISABLE_ACCESS));
	ok_eq(got_code, SEGV_PKUERR_CODE, "SEGV_PKUERR for the read");
	ok_eq(got_pkey, k, "and its key");
	ok(faults(p, 0), "a read of the touched page faults too");
	wrpkru(with_rights(before, (int)k, 0));
	ok(!faults(p, 1), "WRPKRU granting access: the write goes through, no system call made");
	ok_eq(p[0], 7, "it took");
	ok(!faults(p + PAGE, 0), "the untouched page reads");
	ok_eq(p[PAGE], 0, "as zero");
	wrpkru(with_rights(before, (int)k, PKEY_DISABLE_WRITE));
	ok(faults(p, 1), "WRPKRU taking write access away: the write faults again");
	wrpkru(with_rights(before, (int)k, PKEY_DISABLE_WRITE));

	/* The handler returns: rt_sigreturn gives back the PKRU it interrupted. */
	unsigned mine = rdpkru();
	reset();
	fix_addr = p;
	install_handler(SIGSEGV, (void *)on_segv_rekey, SA_SIGINFO);
	*(volatile char *)p = 9;
	signal(SIGSEGV, SIG_DFL);
	ok_eq(hits, 1, "a handler giving the page key 0 and returning: one fault");
	ok_eq(got_code, SEGV_PKUERR_CODE, "it was SEGV_PKUERR");
	ok_eq(handler_pkru, PKRU_DEFAULT, "the handler had the default PKRU");
	ok_eq(rdpkru(), mine, "after rt_sigreturn PKRU is the interrupted one again");
	ok_eq(p[0], 9, "and the write ran again");

	/* mprotect (key -1) and mremap keep the key. */
	ok_eq(pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, k), 0, "the key again");
	ok_eq(mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0, "plain mprotect");
	ok(faults(p, 1), "keeps the key: the write faults");
	wrpkru(mine);
	ok_eq(got_pkey, k, "with that key");
	char *q = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + 2 * PAGE);
	ok(q == p + 2 * PAGE, "mremap moves the page");
	ok(faults(q, 1), "the moved page keeps its key");
	wrpkru(mine);
	ok_eq(got_pkey, k, "si_pkey of the moved page");
	ok_eq(q[0], 9, "and its content");
	ok_eq(pkey_free_(k), 0, "the key freed");
	ok(faults(q, 1), "a freed key stays on its pages");
	wrpkru(PKRU_DEFAULT);
	ok_eq(pkey_mprotect_(q, PAGE, PROT_READ | PROT_WRITE, 0), 0, "key 0 back");
	ok(!faults(q, 1), "writable again");
	munmap(p, 3 * PAGE);
}

/* The kernel's copies obey the thread's PKRU. */
static void test_kernel_access(const char *self)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	long k = pkey_alloc_(0, PKEY_DISABLE_WRITE);
	int fd = open(self, O_RDONLY);

	p[0] = 1;
	pkey_mprotect_(p, PAGE, PROT_READ | PROT_WRITE, k);
	ok_sys(read(fd, p, 64), EFAULT, "read() into a write-disabled key's page is EFAULT");
	wrpkru(with_rights(rdpkru(), (int)k, 0));
	ok_eq(read(fd, p, 64), 64, "read() once PKRU allows the write");
	ok_eq(p[1], 'E', "the data arrived");
	close(fd);
	pkey_free_(k);
	wrpkru(PKRU_DEFAULT);
	munmap(p, PAGE);
}

static char *fork_page;
static long fork_key;

static void fork_child(void *arg)
{
	unsigned want = (unsigned)(uintptr_t)arg;

	if (rdpkru() != want)
		_exit(1);
	if (pkey_alloc_(0, 0) != fork_key + 1)
		_exit(2);		/* the allocated keys came along */
	if (pkey_mprotect_(fork_page, PAGE, PROT_READ | PROT_WRITE, fork_key))
		_exit(3);
	if (!faults(fork_page, 1) || got_code != SEGV_PKUERR_CODE || (long)got_pkey != fork_key)
		_exit(4);		/* the page and its key came along */
	wrpkru(with_rights(want, (int)fork_key, 0));
	fork_page[0] = 5;		/* copy-on-write keeps the key ... */
	wrpkru(with_rights(want, (int)fork_key, PKEY_DISABLE_WRITE));
	if (!faults(fork_page, 1) || (long)got_pkey != fork_key)
		_exit(5);		/* ... on the copy */
	wrpkru(want);			/* (the handler left the default PKRU) */
	_exit(fork_page[0] == 5 ? 0 : 6);
}

static void test_fork(void)
{
	fork_page = map_anon(PAGE, PROT_READ | PROT_WRITE);
	fork_key = pkey_alloc_(0, PKEY_DISABLE_WRITE);
	fork_page[0] = 1;
	pkey_mprotect_(fork_page, PAGE, PROT_READ | PROT_WRITE, fork_key);
	unsigned mine = with_rights(rdpkru(), 15, 0);

	wrpkru(mine);
	int st = run_in_child(fork_child, (void *)(uintptr_t)mine);
	ok(expect_exited_with(st, 0), "fork: the child has the parent's PKRU, keys and keyed pages");
	if (!expect_exited_with(st, 0))
		tap_diag_status(st);
	ok_eq(fork_page[0], 1, "the parent's page is its own");
	ok_eq(pkey_alloc_(0, 0), fork_key + 1, "the child's pkey_alloc did not take the parent's key");
	pkey_free_(fork_key + 1);
	pkey_free_(fork_key);
	wrpkru(PKRU_DEFAULT);
	munmap(fork_page, PAGE);
}

static volatile unsigned thread_start_pkru, thread_end_pkru;
static volatile long thread_key;

static void *thread_fn(void *arg)
{
	(void)arg;
	thread_start_pkru = rdpkru();
	wrpkru(0);
	thread_key = pkey_alloc_(0, PKEY_DISABLE_WRITE);
	thread_end_pkru = rdpkru();
	return NULL;
}

static void test_threads(void)
{
	unsigned mine = with_rights(PKRU_DEFAULT, 3, PKEY_DISABLE_WRITE);
	pthread_t th;

	wrpkru(mine);
	ok_eq(pthread_create(&th, NULL, thread_fn, NULL), 0, "a thread");
	pthread_join(th, NULL);
	ok_eq(thread_start_pkru, mine, "starts with its creator's PKRU");
	ok_eq(thread_key, 1, "its pkey_alloc gives key 1");
	ok_eq(thread_end_pkru, with_rights(0, 1, PKEY_DISABLE_WRITE), "and sets its own PKRU");
	ok_eq(rdpkru(), mine, "the creator's PKRU did not change");
	ok_eq(pkey_free_(thread_key), 0, "the thread's key is the process's: its creator frees it");
	wrpkru(PKRU_DEFAULT);
}

static void test_exec(const char *self)
{
	pid_t pid;

	pkey_alloc_(0, 0);
	wrpkru(0x0000000cu);
	pid = tap_fork();
	if (pid == 0) {
		char *av[] = { (char *)self, "exec-child", NULL };
		char *ev[] = { NULL };

		execve(self, av, ev);
		_exit(99);
	}
	int st = tap_wait(pid);
	ok(expect_exited_with(st, 0), "execve resets PKRU to the default and frees every key");
	if (!expect_exited_with(st, 0))
		tap_diag_status(st);
	pkey_free_(1);
	wrpkru(PKRU_DEFAULT);
}

/*
 * The "ProtectionKey:" line of the /proc/self/smaps entry holding @addr:
 * its key, -1 if the entry has none, -2 if it is not Linux's
 * "ProtectionKey:  %8u" just before VmFlags.
 */
static long smaps_key(const void *addr)
{
	static char buf[1 << 16];
	char want[48];
	long n = 0, r, key = -1;
	int fd = open("/proc/self/smaps", O_RDONLY);

	if (fd < 0)
		return -3;
	while (n < (long)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	for (char *line = buf, *next; *line; line = next) {
		unsigned long lo, hi;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') - line < 40) {
			if (lo <= (uintptr_t)addr && (uintptr_t)addr < hi) {
				for (line = next; *line; line = next) {
					next = strchr(line, '\n');
					next = next ? next + 1 : line + strlen(line);
					if (!strncmp(line, "VmFlags:", 8))
						return key;
					if (!strncmp(line, "ProtectionKey:", 14)) {
						key = strtol(line + 14, NULL, 10);
						snprintf(want, sizeof(want), "ProtectionKey:  %8ld\n", key);
						if (strncmp(line, want, strlen(want)) || strncmp(next, "VmFlags:", 8))
							return -2;
					}
				}
				return -4;
			}
		}
	}
	return -5;
}

/*
 * Execute-only memory as Linux has it with keys: exactly PROT_EXEC from
 * mmap or mprotect gives the process's execute-only key (the lowest free
 * one, taken once, skipped by pkey_alloc, refused by pkey_free and
 * pkey_mprotect), and denies it in the caller's PKRU unless PKRU already
 * denies reads of it; reads fault with SEGV_PKUERR, execution works;
 * leaving PROT_EXEC gives key 0 back. Called with key 1 free.
 */
static void test_exec_only(void)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	void *q;

	p[0] = (char)0xc3;		/* ret */
	wrpkru(0);
	ok_eq(mprotect(p, PAGE, PROT_EXEC), 0, "execute-only: mprotect(PROT_EXEC)");
	ok_eq(rdpkru(), with_rights(0, 1, PKEY_DISABLE_ACCESS), "it took key 1 and denied it in PKRU");
	ok_eq(smaps_key(p), 1, "smaps: ProtectionKey 1, Linux's format, before VmFlags");
	ok_eq(smaps_key(p + PAGE), 0, "smaps: the rest of the mapping has key 0");
	wrpkru(PKRU_DEFAULT);
	ok_eq(faults(p, 0), 1, "a read faults");
	ok_eq(got_code, SEGV_PKUERR_CODE, "with SEGV_PKUERR");
	ok_eq(got_pkey, 1, "si_pkey is the execute-only key");
	((void (*)(void))(uintptr_t)p)();
	ok(1, "executing it works");
	ok_eq(pkey_alloc_(0, 0), 2, "pkey_alloc skips the execute-only key");
	ok_sys(pkey_free_(1), EINVAL, "pkey_free of the execute-only key is EINVAL");
	ok_sys(pkey_mprotect_(p + PAGE, PAGE, PROT_READ, 1), EINVAL, "pkey_mprotect with it is EINVAL");
	ok_eq(pkey_free_(2), 0, "pkey_free of the other key");
	ok_eq(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0, "mprotect(PROT_READ|PROT_EXEC)");
	ok_eq(smaps_key(p), 0, "gives key 0 back");
	ok_eq(faults(p, 0), 0, "and reads work");
	wrpkru(with_rights(0, 1, PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE));
	mprotect(p, PAGE, PROT_EXEC);
	ok_eq(rdpkru(), with_rights(0, 1, PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE),
	      "PKRU already denying reads of the key is left alone");
	wrpkru(with_rights(0, 1, PKEY_DISABLE_WRITE));
	mprotect(p, PAGE, PROT_EXEC);
	ok_eq(rdpkru(), with_rights(0, 1, PKEY_DISABLE_ACCESS), "PKRU allowing reads: access disabled again");
	wrpkru(0);
	mprotect(p, PAGE, PROT_EXEC | 0x8);
	ok_eq(smaps_key(p), 0, "PROT_EXEC|PROT_SEM is not execute-only: key 0 again");
	ok_eq(rdpkru(), 0u, "and PKRU is left alone");
	ok_eq(mprotect(p + PAGE, PAGE, PROT_NONE), 0, "PROT_NONE beside it");
	ok_eq(pkey_mprotect_(p + PAGE, PAGE, PROT_EXEC, 0), 0, "pkey_mprotect(PROT_EXEC, key 0)");
	ok_eq(smaps_key(p + PAGE), 0, "keeps the key it names");
	ok_eq(rdpkru(), 0u, "and leaves PKRU alone");
	ok_eq(pkey_mprotect_(p + PAGE, PAGE, PROT_EXEC, -1), 0, "pkey_mprotect(PROT_EXEC, -1)");
	ok_eq(smaps_key(p + PAGE), 1, "is mprotect: the execute-only key");
	ok_eq(rdpkru(), with_rights(0, 1, PKEY_DISABLE_ACCESS), "denied again");
	ok_eq(mprotect(p, 2 * PAGE, PROT_NONE), 0, "PROT_NONE over both");
	ok_eq(smaps_key(p + PAGE), 0, "leaving execute-only for PROT_NONE gives key 0");
	wrpkru(0);
	ok(mmap(p, PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED,
	   "mmap(PROT_EXEC) over a mapping with MAP_FIXED_NOREPLACE fails");
	ok_eq(rdpkru(), 0u, "before taking the key: PKRU unchanged");
	ok(mmap(NULL, PAGE, PROT_EXEC, MAP_ANONYMOUS, -1, 0) == MAP_FAILED, "mmap(PROT_EXEC) without a type fails");
	ok_eq(rdpkru(), with_rights(0, 1, PKEY_DISABLE_ACCESS), "after taking the key: access disabled");
	wrpkru(PKRU_DEFAULT);
	q = mmap(NULL, PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(q != MAP_FAILED, "mmap(PROT_EXEC)");
	ok_eq(smaps_key(q), 1, "has the execute-only key");
	ok_eq(faults(q, 0), 1, "its reads fault too");
	ok_eq(got_pkey, 1, "with si_pkey 1");
	munmap(q, PAGE);
	q = mmap(NULL, PAGE, PROT_EXEC | 0x8, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok_eq(smaps_key(q), 0, "mmap(PROT_EXEC|PROT_SEM) has key 0");
	munmap(q, PAGE);
	munmap(p, 2 * PAGE);
}

/* Execute-only after fork (kept) and execve (a new one, on first use). */
static void test_exec_only_fork_exec(const char *self)
{
	pid_t pid = tap_fork();

	if (pid == 0) {
		void *q = mmap(NULL, PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (smaps_key(q) != 1 || pkey_free_(1) != -1 || pkey_alloc_(0, 0) != 2)
			_exit(1);
		char *av[] = { (char *)self, "exec-xo-child", NULL };
		char *ev[] = { NULL };

		execve(self, av, ev);
		_exit(99);
	}
	int st = tap_wait(pid);
	ok(expect_exited_with(st, 0), "execute-only key kept by fork; after execve taken afresh, "
	   "and with every key taken PROT_EXEC stays readable until one is free");
	if (!expect_exited_with(st, 0))
		tap_diag_status(st);
}

static int exec_xo_child(void)
{
	long k, n = 0;

	if (pkey_alloc_(0, 0) != 1 || pkey_free_(1))
		return 2;		/* no execute-only key came along */
	while ((k = pkey_alloc_(0, 0)) > 0)
		n++;
	if (n != 15 || errno != ENOSPC)
		return 3;
	char *q = mmap(NULL, 2 * PAGE, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (q == MAP_FAILED || smaps_key(q) != 0 || faults(q, 0))
		return 4;		/* no key to have: an ordinary readable mapping */
	if (pkey_free_(7))
		return 5;
	wrpkru(0);
	if (mprotect(q, PAGE, PROT_EXEC) || smaps_key(q) != 7 || rdpkru() != with_rights(0, 7, 1))
		return 6;		/* the freed key is the execute-only one now */
	if (pkey_alloc_(0, 0) != -1 || pkey_free_(7) != -1)
		return 7;
	if (!faults(q, 0) || got_pkey != 7 || faults(q + PAGE, 0))
		return 8;
	return 0;
}

static int exec_child(void)
{
	if (rdpkru() != PKRU_DEFAULT)
		return 1;
	return pkey_alloc_(0, 0) == 1 ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	if (argc > 1 && !strcmp(argv[1], "exec-xo-child"))
		return exec_xo_child();
	long k = pkey_alloc_(0, 0);

	if (k < 0 && sizeof(long) == 4) {
		ok(errno == ENOSYS, "pkey_alloc without protection keys: ENOSYS");
		test_no_calls();
		return done_testing();
	}
	if (k < 0) {
		test_no_pku();
		return done_testing();
	}
	ok_eq(k, 1, "keys: the first pkey_alloc gives 1");
	pkey_free_(k);
	wrpkru(PKRU_DEFAULT);
	test_alloc_free();
	test_mprotect_errors();
	test_faults();
	test_kernel_access(argv[0]);
	test_fork();
	test_threads();
	test_exec(argv[0]);
	test_exec_only();
	test_exec_only_fork_exec(argv[0]);
	return done_testing();
}
