// SPDX-License-Identifier: MIT
/*
 * CPU-time accounting (the design: cputime.h) and RLIMIT_CPU as Linux's
 * check_process_timers() enforces it: once a process's CPU time reaches the
 * soft limit it gets SIGXCPU and the soft limit is raised by one second
 * (getrlimit shows it), so SIGXCPU comes again every further second; at the
 * hard limit it gets SIGKILL. Checked at each tick, so a limit is seen at
 * most one tick late. Signals go to the running thread of the process.
 */
#include "kernel/kernel.h"
#include "kernel/proc/cputime.h"
#include "kernel/proc/proc.h"

#define NS_PER_SEC	1000000000ull

/* When this CPU's current task began its slice (or was last charged); 0: not yet. */
static uint64_t slice_start[MM_MAX_CPUS];

/* Charges the running slice to @t (this CPU's current task until now). */
static void charge(struct task *t, uint64_t now)
{
	uint64_t *start = &slice_start[this_cpu()->id];
	uint64_t d = *start && now > *start ? now - *start : 0;

	*start = now;
	if (!t->group || !d)
		return;		/* kernel threads and idle are not accounted */
	t->cpu_ns += d;
	__atomic_add_fetch(&t->group->cpu_ns, d, __ATOMIC_RELAXED);
}

void cputime_switch(struct task *prev)
{
	charge(prev, time_ns());
}

/* A limit in seconds as nanoseconds; RLIM_INFINITY for one too large to reach. */
static uint64_t limit_ns(uint64_t sec)
{
	return sec >= RLIM_INFINITY / NS_PER_SEC ? RLIM_INFINITY : sec * NS_PER_SEC;
}

static void send(struct task *t, int sig)
{
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };

	signal_send(t, &info);
}

static void check_rlimit(struct task *t)
{
	struct rlim *r = &t->group->rlim.r[RLIMIT_CPU];
	uint64_t soft = __atomic_load_n(&r->cur, __ATOMIC_RELAXED);
	uint64_t hard = __atomic_load_n(&r->max, __ATOMIC_RELAXED);
	uint64_t used = __atomic_load_n(&t->group->cpu_ns, __ATOMIC_RELAXED);

	if (soft == RLIM_INFINITY)
		return;		/* as Linux: the hard limit alone arms nothing */
	if (used >= limit_ns(hard)) {
		send(t, SIGKILL);
		return;
	}
	/* One SIGXCPU per second crossed, even with two CPUs charging at once. */
	if (used >= limit_ns(soft) &&
	    __atomic_compare_exchange_n(&r->cur, &soft, soft + 1, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		send(t, SIGXCPU);
}

void cputime_tick(void)
{
	struct task *t = current();

	charge(t, time_ns());
	if (t->group && !t->killed)
		check_rlimit(t);
}

/* @charged plus the current task's running slice not yet charged, read at one instant. */
static uint64_t with_slice(const uint64_t *charged)
{
	unsigned long flags = plat_irq_save();
	uint64_t start = slice_start[this_cpu()->id], now = time_ns();
	uint64_t ns = __atomic_load_n(charged, __ATOMIC_RELAXED);

	plat_irq_restore(flags);
	return ns + (start && now > start ? now - start : 0);
}

uint64_t cputime_thread_ns(void)
{
	return with_slice(&current()->cpu_ns);
}

uint64_t cputime_process_ns(void)
{
	struct task *t = current();

	return with_slice(t->group ? &t->group->cpu_ns : &t->cpu_ns);
}
