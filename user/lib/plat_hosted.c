// SPDX-License-Identifier: MIT
/*
 * The few plat_* functions (mm/platform.h) the heap core uses when it runs
 * inside a process: under the Win32 heaps of this library, and as malloc in
 * libkmalloc.so (mk/heap.mk builds this file into it). Threads are the heap's
 * CPUs (thread-local lists), so there are no interrupts to mask; messages go
 * to standard error with write(2), which never allocates.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mm/platform.h"

/* The name the heap's messages start with; libkmalloc.so says "kmalloc". */
#ifndef PLAT_HOSTED_NAME
#define PLAT_HOSTED_NAME "win32 heap"
#endif

unsigned plat_cpu_id(void)
{
	return 0;
}

unsigned long plat_irq_save(void)
{
	return 0;
}

void plat_irq_restore(unsigned long flags)
{
	(void)flags;
}

/* Waits a thread spins (pause) before it gives its CPU away once. */
#define HOSTED_SPINS_PER_YIELD	64

/*
 * A lock's holder here is a thread the system may have preempted: with more
 * runnable threads than CPUs, a waiter that only spins burns the time slice
 * the holder needs to finish. So every HOSTED_SPINS_PER_YIELD-th wait of a
 * thread yields its CPU (a few microseconds of spinning first, which covers
 * a holder that is running).
 */
void plat_cpu_relax(void)
{
	static __thread unsigned spins;

	if (++spins % HOSTED_SPINS_PER_YIELD == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

/* Threads here spin (and yield) rather than doze: nothing halts a host CPU for them. */
bool plat_doze_prepare(const void *key, unsigned long flags)
{
	(void)key;
	(void)flags;
	return false;
}

void plat_doze_finish(bool halt)
{
	(void)halt;
}

void plat_doze_wake(const void *key)
{
	(void)key;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);

	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0)
		return;
}

/* The heap's reports (a bad free, a broken red zone) go to standard error. */
void plat_log(enum plat_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > LOG_WARN)
		return;
	va_start(ap, fmt);
	vlog(PLAT_HOSTED_NAME ": ", fmt, ap);
	va_end(ap);
}

_Noreturn void plat_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PLAT_HOSTED_NAME ": PANIC: ", fmt, ap);
	va_end(ap);
	abort();
}
