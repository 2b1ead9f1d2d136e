// SPDX-License-Identifier: MIT
/*
 * The porting interface for libkmalloc.so: just what the heap uses. Threads
 * are the heap's CPUs (thread-local lists), so interrupts are nothing to
 * mask; messages go to stderr with write(2), which never allocates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mm/platform.h"

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

void plat_cpu_relax(void)
{
	__builtin_ia32_pause();
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

void plat_log(enum plat_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > LOG_WARN)
		return;
	va_start(ap, fmt);
	vlog("kmalloc: ", fmt, ap);
	va_end(ap);
}

_Noreturn void plat_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("kmalloc: PANIC: ", fmt, ap);
	va_end(ap);
	abort();
}
