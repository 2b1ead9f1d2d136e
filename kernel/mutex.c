// SPDX-License-Identifier: MIT
/* Sleeping mutexes (mutex.h). */
#include "kernel/mutex.h"
#include "kernel/task.h"

/**
 * kmutex_lock() - take @m, sleeping while another task holds it
 * @m: the mutex (zeroed memory is an unlocked one)
 */
void kmutex_lock(struct kmutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->lock);

	while (m->held) {
		m->waiters++;
		sleep_on_unlock(m, &m->lock);	/* returns with interrupts still off */
		(void)spin_lock_irqsave(&m->lock);
		m->waiters--;
	}
	m->held = true;
	spin_unlock_irqrestore(&m->lock, flags);
}

/**
 * kmutex_unlock() - release @m, waking its waiters
 * @m: a mutex the caller holds
 */
void kmutex_unlock(struct kmutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->lock);
	bool wake = m->waiters != 0;

	m->held = false;
	spin_unlock_irqrestore(&m->lock, flags);
	if (wake)
		wakeup(m);
}
