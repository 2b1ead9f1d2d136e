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
 * ENOSYS, as Linux builds them only where the arch has keys.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "tap.h"
#include "util.h"

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

#if ABI64
static unsigned rdpkru(void)
{
	unsigned eax, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static void wrpkru(unsigned v)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}
#else
static unsigned rdpkru(void) { return 0; }
static void wrpkru(unsigned v) { (void)v; }
#endif

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
	long k = pkey_alloc_(0, 0);

	if (k < 0) {
		ok(errno == ENOSYS, "pkey_alloc without protection keys: ENOSYS");
		test_no_calls();
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
	return done_testing();
}
