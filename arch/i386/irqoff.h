/* SPDX-License-Identifier: MIT */
/* Interrupts-off timing (KPERF builds on x86_64 only; empty hooks here). */
#ifndef ARCH_I386_IRQOFF_H
#define ARCH_I386_IRQOFF_H

#include <stdint.h>

static inline void irqoff_begin(uintptr_t site)
{
	(void)site;
}
static inline void irqoff_end(void)
{
}
static inline uintptr_t irqoff_here(void)
{
	return (uintptr_t)__builtin_return_address(0);
}

#endif
