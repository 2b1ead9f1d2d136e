// SPDX-License-Identifier: MIT
/* Small system calls: identity, time, randomness, and what musl expects. */
#include "kernel/kernel.h"
#include "kernel/proc/cputime.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/as.h"

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004
#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC	1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME	7
#define X86_64_gettimeofday	96
#define X86_64_time		201
#define X86_64_clock_getres	229
#define GRND_NONBLOCK	1
#define GRND_RANDOM	2
#define GRND_INSECURE	4
#define PR_GET_DUMPABLE	3
#define PR_SET_DUMPABLE	4
#define SUID_DUMP_DISABLE 0
#define SUID_DUMP_USER	1
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37

static long sys_getpid(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return current()->tgid;
}
SYSCALL_DEFINE(SYS_getpid, getpid, sys_getpid);

static long sys_gettid(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return current()->pid;
}
SYSCALL_DEFINE(SYS_gettid, gettid, sys_gettid);

static long sys_getppid(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	struct task *t = current();
	struct task *p = t->group ? t->group->leader->parent : t->parent;

	return p ? p->tgid : 0;
}
SYSCALL_DEFINE(SYS_getppid, getppid, sys_getppid);

static long sys_set_tid_address(uint64_t tidptr, uint64_t a1, uint64_t a2, uint64_t a3,
				uint64_t a4, uint64_t a5)
{
	current()->clear_child_tid = tidptr;
	return current()->pid;
}
SYSCALL_DEFINE(SYS_set_tid_address, set_tid_address, sys_set_tid_address);

static long sys_arch_prctl(uint64_t code, uint64_t addr, uint64_t a2, uint64_t a3,
			   uint64_t a4, uint64_t a5)
{
	switch (code) {
	case ARCH_SET_FS:
		if (addr >= AS_TASK_SIZE)	/* TASK_SIZE_MAX: the last page is not user space */
			return -EPERM;
		current()->fs_base = addr;
		arch_tls_load(addr);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &current()->fs_base, 8);
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -EINVAL;		/* nothing uses the user GS base here */
	default:
		return -EINVAL;
	}
}
SYSCALL_DEFINE(SYS_arch_prctl, arch_prctl, sys_arch_prctl);

/* prctl(2): the options memcore has; any other is EINVAL, as Linux's unknown ones. */
static long sys_prctl(uint64_t option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		      uint64_t a6)
{
	int v;

	switch ((int)option) {
	case PR_SET_CHILD_SUBREAPER:
		proc_set_child_subreaper(a2 != 0);
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		v = current()->group->child_subreaper;
		return copy_to_user(a2, &v, sizeof(v));
	case PR_SET_DUMPABLE:		/* SUID_DUMP_ROOT (2) is for the sysctl only */
		if (a2 != SUID_DUMP_DISABLE && a2 != SUID_DUMP_USER)
			return -EINVAL;
		current()->group->nondumpable = a2 == SUID_DUMP_DISABLE;
		return 0;
	case PR_GET_DUMPABLE:
		return current()->group->nondumpable ? SUID_DUMP_DISABLE : SUID_DUMP_USER;
	default:
		return -EINVAL;
	}
}
SYSCALL_DEFINE(SYS_prctl, prctl, sys_prctl);

static long sys_uname(uint64_t ubuf, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	char u[6][65];

	memset(u, 0, sizeof(u));
	strlcpy(u[0], "Linux", 65);		/* the ABI we speak */
	strlcpy(u[1], KERNEL_NAME, 65);
	strlcpy(u[2], "6.1.0-" KERNEL_NAME, 65);
	strlcpy(u[3], "#1 " KERNEL_NAME, 65);
	strlcpy(u[4], UTS_MACHINE, 65);
	strlcpy(u[5], "(none)", 65);
	return copy_to_user(ubuf, u, sizeof(u));
}
SYSCALL_DEFINE(SYS_uname, uname, sys_uname);

/* The reading of @clock in nanoseconds, or -EINVAL for a clock there is not. */
static int64_t clock_ns(uint64_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return (int64_t)(boot_epoch_seconds() * 1000000000ull + time_ns());
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return (int64_t)time_ns();
	case CLOCK_PROCESS_CPUTIME_ID:
		return (int64_t)cputime_process_ns();
	case CLOCK_THREAD_CPUTIME_ID:
		return (int64_t)cputime_thread_ns();
	default:
		return -EINVAL;
	}
}

static long sys_clock_gettime(uint64_t clock, uint64_t uts, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	int64_t ns = clock_ns(clock);

	if (ns < 0)
		return ns;
	uint64_t ts[2] = { (uint64_t)ns / 1000000000ull, (uint64_t)ns % 1000000000ull };
	return copy_to_user(uts, ts, sizeof(ts));
}
SYSCALL_DEFINE(SYS_clock_gettime, clock_gettime, sys_clock_gettime);

/*
 * clock_getres: every clock here reads the nanosecond clock (the coarse
 * ones too), so each has a resolution of 1 ns; a NULL @ures only checks
 * the clock, as on Linux.
 */
static long sys_clock_getres(uint64_t clock, uint64_t ures, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	int64_t ns = clock_ns(clock);
	uint64_t ts[2] = { 0, 1 };

	if (ns < 0)
		return ns;
	return ures ? copy_to_user(ures, ts, sizeof(ts)) : 0;
}
SYSCALL_DEFINE(X86_64_clock_getres, clock_getres, sys_clock_getres);

/* gettimeofday(tv, tz): either may be NULL; the time zone is UTC, no DST. */
static long sys_gettimeofday(uint64_t utv, uint64_t utz, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	uint64_t ns = (uint64_t)clock_ns(CLOCK_REALTIME);
	int64_t tv[2] = { (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
	int32_t tz[2] = { 0, 0 };

	if (utv && copy_to_user(utv, tv, sizeof(tv)))
		return -EFAULT;
	if (utz && copy_to_user(utz, tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}
SYSCALL_DEFINE(X86_64_gettimeofday, gettimeofday, sys_gettimeofday);

/* time(tloc): the seconds since the epoch, also stored at @tloc if given. */
static long sys_time(uint64_t tloc, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	int64_t t = clock_ns(CLOCK_REALTIME) / 1000000000;

	if (tloc && copy_to_user(tloc, &t, sizeof(t)))
		return -EFAULT;
	return (long)t;
}
SYSCALL_DEFINE(X86_64_time, time, sys_time);

static long sys_nanosleep(uint64_t ureq, uint64_t urem, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	int64_t req[2];

	if (copy_from_user(req, ureq, sizeof(req)))
		return -EFAULT;
	if (req[0] < 0 || req[1] < 0 || req[1] >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)req[0] * 1000000000ull + (uint64_t)req[1];
	if ((uint64_t)req[0] > UINT64_MAX / 2000000000ull)
		ns = UINT64_MAX / 2;
	uint64_t deadline = time_ns() + ns;
	sleep_until(deadline);
	uint64_t now = time_ns();
	if (now >= deadline)
		return 0;
	/* Interrupted: what was left, and EINTR (a handler ran, or we die anyway). */
	int64_t rem[2] = { (int64_t)((deadline - now) / 1000000000ull),
			   (int64_t)((deadline - now) % 1000000000ull) };
	if (urem && copy_to_user(urem, rem, sizeof(rem)))
		return -EFAULT;
	return -EINTR;
}
SYSCALL_DEFINE(SYS_nanosleep, nanosleep, sys_nanosleep);

static long sys_getrandom(uint64_t ubuf, uint64_t len, uint64_t flags, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	if (flags & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (len > 33554431)
		len = 33554431;		/* Linux's per-call limit */
	for (uint64_t done = 0; done < len; done += 8) {
		uint64_t r = arch_random();
		if (copy_to_user(ubuf + done, &r, MM_MIN(8, len - done)))
			return done ? (long)done : -EFAULT;
	}
	return len;
}
SYSCALL_DEFINE(SYS_getrandom, getrandom, sys_getrandom);

static long sys_sched_yield(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			    uint64_t a5)
{
	yield();
	return 0;
}
SYSCALL_DEFINE(SYS_sched_yield, sched_yield, sys_sched_yield);
