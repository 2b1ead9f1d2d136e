/* SPDX-License-Identifier: MIT */
/*
 * A ticket-free test-and-test-and-set spinlock that also masks interrupts,
 * so a lock taken in thread context cannot deadlock against the same CPU's
 * interrupt handler. Built on compiler atomics and the platform's IRQ hooks.
 */
#ifndef MM_SPINLOCK_H
#define MM_SPINLOCK_H

#include "platform.h"

typedef struct {
	volatile int locked;
} spinlock_t;

#define SPINLOCK_INIT	{ 0 }

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = plat_irq_save();

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			plat_cpu_relax();
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	plat_irq_restore(flags);
}

#endif
