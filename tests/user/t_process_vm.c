/*
 * process_vm_readv and process_vm_writev: the order of their checks (flags,
 * the local vector, the remote vector, the process, the rights), bytes
 * really copied to and from a child (scatter and gather, odd offsets, 5 MiB
 * at once, 1024 vectors), the count before the first remote page that
 * cannot be reached (unmapped, PROT_NONE, read-only for a write) or local
 * page that faults, EFAULT when nothing moved, a write into a page the
 * child shares copy-on-write with its parent reaching the child alone,
 * pages pushed out with MADV_PAGEOUT, a process reading and writing itself,
 * and another user's process refused (EPERM) as nobody.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define NOBODY		65534
#define AREA_PAGES	8	/* 0-3 RW, 4 read-only, 5 PROT_NONE, 6-7 unmapped */
#define BIG		(5 * 1024 * 1024 + 3 * PAGE)
#define S_CHILD		11	/* the child's fill of its area */
#define S_COW		44	/* the parent's fill before fork, shared copy-on-write */

/* What parent and child share to run in step. */
struct ctl {
	volatile int ready, done;
	int out;	/* pages of the big region not resident after MADV_PAGEOUT */
};

static char *area, *cow, *big;
static struct ctl *ctl;

static long vm_rw(int write, long pid, const struct iovec *l, unsigned long ln,
		  const struct iovec *r, unsigned long rn, unsigned long flags)
{
	return syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, l, ln, r, rn,
		       flags);
}

/* One local and one remote range. */
static long vm_rw1(int write, long pid, void *l, size_t ll, void *r, size_t rl)
{
	struct iovec lv = { l, ll }, rv = { r, rl };

	return vm_rw(write, pid, &lv, 1, &rv, 1, 0);
}

/* The expected content of the child's area after the parent's writes (see writes()). */
static int child_area_ok(void)
{
	return check_at(area, 0, PAGE, S_CHILD) < 0 && check(area + PAGE, 2 * PAGE, 22) < 0 &&
	       check(area + 3 * PAGE, PAGE, 33) < 0 &&
	       check_at(area, 4 * PAGE, PAGE, S_CHILD) < 0;
}

/* Pages of [p, p + len) that mincore() says are not resident. */
static int pages_out(void *p, size_t len)
{
	static unsigned char vec[BIG / PAGE + 1];
	int n = 0;

	if (mincore(p, len, vec))
		return -1;
	for (size_t i = 0; i < (len + PAGE - 1) / PAGE; i++)
		n += !(vec[i] & 1);
	return n;
}

/* The target: fills its memory, says so, waits for the parent, checks what it wrote. */
static void target(void)
{
	int bad = 0;

	fill(area, 5 * PAGE, S_CHILD);
	mprotect(area + 4 * PAGE, PAGE, PROT_READ);
	mprotect(area + 5 * PAGE, PAGE, PROT_NONE);
	munmap(area + 6 * PAGE, 2 * PAGE);
	fill(big, BIG, 66);
	madvise(big, BIG, MADV_PAGEOUT);	/* no swap: nothing happens */
	ctl->out = pages_out(big, BIG);
	ctl->ready = 1;
	if (!wait_flag(&ctl->done, 1))
		_exit(9);
	bad |= !child_area_ok() << 0;
	bad |= (check(cow, PAGE, 55) >= 0) << 1;
	bad |= (check_at(cow, PAGE, PAGE, S_COW) >= 0) << 2;
	_exit(bad);
}

static void argument_checks(pid_t c)
{
	char buf[64];
	struct iovec lv = { buf, sizeof(buf) }, rv = { area, sizeof(buf) }, zero = { buf, 0 };
	struct iovec neg = { buf, (size_t)-1 }, kern = { (void *)KERNEL_HALF, 1 };
	struct iovec *edge;
	char *two = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);

	ok_sys(vm_rw(0, c, NULL, 1, NULL, 1, 1), EINVAL, "flags 1: EINVAL before the vectors");
	ok_sys(vm_rw(1, c, &lv, 1, &rv, 1, 1UL << 31), EINVAL, "writev: flags EINVAL");
	ok_sys(vm_rw(0, c, NULL, 1025, NULL, 1, 0), EINVAL, "liovcnt 1025: EINVAL");
	ok_sys(vm_rw(0, c, NULL, 1, &rv, 1, 0), EFAULT, "local vector unreadable: EFAULT");
	ok_sys(vm_rw(0, c, &neg, 1, NULL, 1, 0), EINVAL, "local length negative: EINVAL");
	ok_sys(vm_rw(0, c, &kern, 1, NULL, 1, 0), EFAULT,
	       "local range in the kernel's half: EFAULT before the remote vector");
	/* a vector whose second element is on an unmapped page, its first negative */
	edge = (struct iovec *)(two + PAGE - sizeof(struct iovec));
	*edge = neg;
	munmap(two + PAGE, PAGE);
	ok_sys(vm_rw(0, c, edge, 2, &rv, 1, 0), EFAULT,
	       "negative length before an unreadable element: EFAULT (read whole first)");
	ok_eq(vm_rw(0, -1, NULL, 0, NULL, 1, 0), 0, "liovcnt 0: 0, nothing else looked at");
	ok_eq(vm_rw(1, -1, &zero, 1, NULL, 1025, 0), 0, "local ranges empty: 0");
	ok_sys(vm_rw(0, c, &lv, 1, NULL, 1025, 0), EINVAL, "riovcnt 1025: EINVAL");
	ok_sys(vm_rw(0, c, &lv, 1, NULL, 1, 0), EFAULT, "remote vector unreadable: EFAULT");
	ok_sys(vm_rw(0, c, &lv, 1, &neg, 1, 0), EINVAL, "remote length negative: EINVAL");
	ok_eq(vm_rw(0, -1, &lv, 1, NULL, 0, 0), 0, "riovcnt 0: 0 before the pid");
	ok_eq(vm_rw(1, -1, &lv, 1, &zero, 1, 0), 0, "remote ranges empty: 0 before the pid");
	ok_sys(vm_rw(0, -1, &lv, 1, &rv, 1, 0), ESRCH, "pid -1: ESRCH");
	ok_sys(vm_rw(0, 0, &lv, 1, &rv, 1, 0), ESRCH, "pid 0: ESRCH");
	ok_sys(vm_rw(0, c, &lv, 1, &kern, 1, 0), EFAULT, "remote range in the kernel's half: EFAULT");
#if ABI64
	ok_eq(vm_rw(0, (1L << 32) | c, &lv, 1, &rv, 1, 0), (long)sizeof(buf),
	      "pid taken as an int");
	ok_eq(vm_rw(0, c, &lv, (1UL << 32) | 1, &rv, 1, 0), (long)sizeof(buf),
	      "liovcnt taken as an unsigned int");
#endif
	munmap(two, PAGE);
}

/* Reads of the child's area: whole, across into unreachable pages, scattered. */
static void reads(pid_t c)
{
	char *l = map_anon(5 * PAGE, PROT_READ | PROT_WRITE), *ref = map_anon(5 * PAGE, PROT_READ | PROT_WRITE);
	char *lp = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	struct iovec lv[5], rv[4];

	fill(ref, 5 * PAGE, S_CHILD);
	ok_eq(vm_rw1(0, c, l, 4 * PAGE, area, 4 * PAGE), 4 * PAGE, "read 4 pages");
	ok(!memcmp(l, ref, 4 * PAGE), "they are the child's bytes");
	ok_eq(vm_rw1(0, c, l, 2 * PAGE, area + 3 * PAGE, 2 * PAGE), 2 * PAGE,
	      "read on into a read-only page");
	ok_eq(vm_rw1(0, c, l, 2 * PAGE, area + 4 * PAGE + 100, 2 * PAGE), PAGE - 100,
	      "read on into PROT_NONE: the bytes before it");
	ok_sys(vm_rw1(0, c, l, PAGE, area + 5 * PAGE, PAGE), EFAULT, "read of PROT_NONE: EFAULT");
	ok_sys(vm_rw1(0, c, l, PAGE, area + 6 * PAGE, PAGE), EFAULT, "read of a hole: EFAULT");
	rv[0] = (struct iovec){ area, 100 };
	rv[1] = (struct iovec){ area + 6 * PAGE, 100 };
	rv[2] = (struct iovec){ area, 100 };
	lv[0] = (struct iovec){ l, 300 };
	ok_eq(vm_rw(0, c, lv, 1, rv, 3, 0), 100, "second remote range a hole: the first's bytes");

	/* scatter and gather at odd offsets, with empty elements */
	memset(l, 0, 5 * PAGE);
	lv[0] = (struct iovec){ l, 1 };
	lv[1] = (struct iovec){ l + 1, 4095 };
	lv[2] = (struct iovec){ NULL, 0 };
	lv[3] = (struct iovec){ l + PAGE * 4, 10 };
	lv[4] = (struct iovec){ l + 4096, 3000 };
	rv[0] = (struct iovec){ area + 7, 5000 };
	rv[1] = (struct iovec){ (void *)1, 0 };
	rv[2] = (struct iovec){ area + 3 * PAGE + 5, 2106 };
	ok_eq(vm_rw(0, c, lv, 5, rv, 3, 0), 4096 + 10 + 3000, "scatter: all the local bytes");
	ok(!memcmp(l, ref + 7, 4096) && !memcmp(l + PAGE * 4, ref + 7 + 4096, 10) && !memcmp(l + 4096, ref + 7 + 4106, 894) &&
	   !memcmp(l + 4096 + 894, ref + 3 * PAGE + 5, 2106), "scatter: in order");

	/* the caller's side faulting */
	mprotect(lp + PAGE, PAGE, PROT_NONE);
	ok_eq(vm_rw1(0, c, lp, 2 * PAGE, area, 2 * PAGE), PAGE, "local page PROT_NONE: the bytes before");
	ok_sys(vm_rw1(0, c, lp + PAGE, PAGE, area, PAGE), EFAULT, "local PROT_NONE first: EFAULT");
	mprotect(lp, PAGE, PROT_READ);
	ok_sys(vm_rw1(0, c, lp, PAGE, area, PAGE), EFAULT, "local read-only for readv: EFAULT");
	ok_eq(vm_rw1(1, c, lp, 2 * PAGE, area + 2 * PAGE, 2 * PAGE), PAGE,
	      "writev from a read-only local page then PROT_NONE: the first page");

	/* a vector of 1024 one-byte ranges */
	struct iovec *many = calloc(1024, sizeof(*many));
	for (int i = 0; i < 1024; i++)
		many[i] = (struct iovec){ l + i * 3, 1 };
	rv[0] = (struct iovec){ area, 1024 };
	ok_eq(vm_rw(0, c, many, 1024, rv, 1, 0), 1024, "1024 local ranges");
	ok(l[0] == ref[0] && l[3 * 1023] == ref[1023], "each its byte");
	free(many);
	munmap(l, 5 * PAGE);
	munmap(ref, 5 * PAGE);
	munmap(lp, 2 * PAGE);
}

/* Writes into the child's area, its copy-on-write page, then its big region read back. */
static void writes(pid_t c)
{
	char *l = map_anon(2 * PAGE, PROT_READ | PROT_WRITE), *b = malloc(BIG);

	fill(l, 2 * PAGE, 22);
	ok_eq(vm_rw1(1, c, l, 2 * PAGE, area + PAGE, 2 * PAGE), 2 * PAGE, "write 2 pages");
	fill(l, 2 * PAGE, 33);
	ok_sys(vm_rw1(1, c, l, PAGE, area + 4 * PAGE, PAGE), EFAULT,
	       "write to a read-only page: EFAULT (not forced)");
	ok_eq(vm_rw1(1, c, l, 2 * PAGE, area + 3 * PAGE, 2 * PAGE), PAGE,
	      "write on into a read-only page: the page before it");
	ok_sys(vm_rw1(1, c, l, PAGE, area + 5 * PAGE, PAGE), EFAULT, "write to PROT_NONE: EFAULT");
	ok_sys(vm_rw1(1, c, l, PAGE, area + 7 * PAGE, PAGE), EFAULT, "write to a hole: EFAULT");
	ok_eq(vm_rw1(0, c, l, PAGE, cow, PAGE), PAGE, "read a page shared copy-on-write");
	ok(check(l, PAGE, S_COW) < 0, "it holds what the parent wrote before fork");
	fill(l, PAGE, 55);
	ok_eq(vm_rw1(1, c, l, PAGE, cow, PAGE), PAGE, "write that page in the child");
	ok(check(cow, 2 * PAGE, S_COW) < 0, "the parent's copy is unchanged");
	diag("%d pages of the child's 5 MiB were out (swap suite: most)", ctl->out);
	ok_eq(vm_rw1(0, c, b, BIG, big, BIG), BIG, "read 5 MiB at once (pushed out with MADV_PAGEOUT)");
	ok(check(b, BIG, 66) < 0, "every byte the child's");
	fill(b, BIG, 77);
	ok_eq(vm_rw1(1, c, b, BIG, big, BIG), BIG, "write 5 MiB back");
	memset(b, 0, BIG);
	ok_eq(vm_rw1(0, c, b, BIG, big, BIG), BIG, "read them again");
	ok(check(b, BIG, 77) < 0, "the written bytes");
	free(b);
	munmap(l, 2 * PAGE);
}

/* Reading and writing the caller's own memory. */
static void itself(void)
{
	char *a = map_anon(3 * PAGE, PROT_READ | PROT_WRITE), *b = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);

	fill(a, 3 * PAGE, 88);
	ok_eq(vm_rw1(0, getpid(), b, 3 * PAGE, a, 3 * PAGE), 3 * PAGE, "read itself");
	ok(check(b, 3 * PAGE, 88) < 0, "copied");
	fill(a, 3 * PAGE, 99);
	ok_eq(vm_rw1(1, getpid(), a, 3 * PAGE - 1, b + 1, 3 * PAGE - 1), 3 * PAGE - 1, "write itself");
	ok(!memcmp(a, b + 1, 3 * PAGE - 1), "copied");
	ok_eq(vm_rw1(0, getpid(), b, PAGE, b + 1, PAGE), PAGE, "overlapping ranges of itself");
	munmap(a, 3 * PAGE);
	munmap(b, 3 * PAGE);
}

/* Dead processes: a zombie and a reaped one are ESRCH. */
static void dead(void)
{
	char buf[8];
	long r = 0;
	pid_t z;

	fflush(stdout);
	z = fork();
	if (!z)
		_exit(0);
	/* not reaped, so once it has exited it is a zombie (no waitid(WNOWAIT) here) */
	for (int i = 0; i < 5000 && (r = vm_rw1(0, z, buf, 8, buf, 8)) == 8; i++)
		sleep_ms(1);
	ok(r == -1 && errno == ESRCH, "a zombie: ESRCH");
	waitpid(z, NULL, 0);
	ok_sys(vm_rw1(1, z, buf, 8, buf, 8), ESRCH, "reaped: ESRCH");
}

/* As nobody: root's process EPERM (after EFAULT for a bad vector), itself fine. */
static void as_nobody(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	pid_t c;
	int st;

	fflush(stdout);
	c = fork();
	if (!c) {
		char buf[16];
		struct iovec lv = { buf, 16 };
		int bad = 0;

		if (setuid(NOBODY))
			_exit(99);
		bad |= !(vm_rw1(0, getppid(), buf, 16, p, 16) == -1 && errno == EPERM) << 0;
		bad |= !(vm_rw1(1, getppid(), buf, 16, p, 16) == -1 && errno == EPERM) << 1;
		bad |= !(vm_rw(0, getppid(), &lv, 1, NULL, 1, 0) == -1 && errno == EFAULT) << 2;
		bad |= !(vm_rw1(0, getpid(), buf, 16, p, 16) == 16) << 3;
		bad |= !(vm_rw1(0, 0x3ffffff0, buf, 16, p, 16) == -1 && errno == ESRCH) << 4;
		_exit(bad);
	}
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "as nobody: root's process EPERM both ways (EFAULT first for a bad "
		       "vector), itself readable, no such pid ESRCH");
	munmap(p, PAGE);
}

int main(void)
{
	pid_t c;
	int st;

	area = map_anon(AREA_PAGES * PAGE, PROT_READ | PROT_WRITE);
	cow = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
	big = map_anon(BIG, PROT_READ | PROT_WRITE);
	ctl = map_shared(PAGE);
	if (!ok(area != MAP_FAILED && cow != MAP_FAILED && big != MAP_FAILED && ctl != MAP_FAILED,
		"setup"))
		return done_testing();
	fill(cow, 2 * PAGE, S_COW);
	fflush(stdout);
	c = fork();
	if (!c)
		target();
	ok(wait_flag(&ctl->ready, 1), "the child is ready");
	argument_checks(c);
	reads(c);
	writes(c);
	ctl->done = 1;
	waitpid(c, &st, 0);
	ok_exited_with(st, 0, "the child saw the parent's writes, its other pages intact");
	itself();
	dead();
	as_nobody();
	return done_testing();
}
