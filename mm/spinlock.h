/* SPDX-License-Identifier: MIT */
/*
 * A ticket-free test-and-test-and-set spinlock that also masks interrupts,
 * so a lock taken in thread context cannot deadlock against the same CPU's
 * interrupt handler. Built on compiler atomics and the platform's IRQ hooks.
 *
 * rwlock_t: the same for many readers or one writer. Writers are preferred
 * (a waiting writer holds new readers back), so a stream of readers cannot
 * starve one, and a writer that waited long gets it next (RW_HANDOFF), so
 * neither can other writers; in turn a reader must never take the same lock
 * again while holding it (a writer waiting in between would deadlock both). Its holds
 * can be long (a whole address space's operation), so a waiter spins with
 * interrupts as they were before the call, turning them off only to try:
 * the wait is not an interrupts-off stretch unless the caller's was. A
 * waiter that has spun RW_DOZE_SPINS times with interrupts on dozes
 * (plat_doze_prepare()) until a release wakes it: its holder is then
 * likely a virtual CPU its host is not running, which a spinning waiter
 * would keep from running longer.
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

#define RW_WRITER	(1 << 30)	/* held by a writer */
#define RW_WAITING	(1 << 29)	/* a writer waits: new readers hold back */
#define RW_HANDOFF	(1 << 28)	/* a writer waited long: the lock is its next */
#define RW_DOZER	(1 << 27)	/* a waiter dozes: the next release wakes it */
#define RW_READERS	(RW_DOZER - 1)
/* Looks at a held lock after which a waiting writer claims the hand-off. */
#define RW_HANDOFF_SPINS 4096
/*
 * Looks after which a waiter with interrupts on dozes: a few tens of
 * microseconds under an emulator, past any fault a reader holds it for.
 */
#define RW_DOZE_SPINS	256

/*
 * A writer takes the lock whenever it finds it free, even past another
 * waiting writer: handing it over each time would make every acquisition
 * wait for the other CPU to run (under an emulator on a loaded host, the
 * host's scheduling delay, 100 ms and more), and a thread that writes again
 * and again goes on while it has the CPU. But a writer that has kept
 * looking for RW_HANDOFF_SPINS marks RW_HANDOFF (one at a time), and then
 * only it may take the lock next: without that, the thread writing again and
 * again took it back in the moment between its own release and the waiter's
 * next look, every time, and kept a thread on another CPU out for seconds
 * (Linux's rwsem hands off after a wait for the same reason).
 */
typedef struct {
	volatile int state;	/* RW_WRITER, RW_WAITING, RW_HANDOFF, RW_DOZER, the count of readers */
} rwlock_t;

#define RWLOCK_INIT	{ 0 }

/*
 * Wait a moment with interrupts as they were before the lock call (@flags);
 * after RW_DOZE_SPINS such moments (@spins counts them), doze until a
 * release, if @s, what the caller found, is still the lock's state once
 * RW_DOZER is in it. Interrupts off on entry and return. Out of line: the
 * lock calls inlined everywhere stay as short as before dozing.
 */
static __attribute__((noinline, cold, unused)) void rw_wait(rwlock_t *l, int s,
								    unsigned long flags, unsigned *spins)
{
	if (++*spins >= RW_DOZE_SPINS && plat_doze_prepare(l, flags)) {
		plat_doze_finish(__atomic_compare_exchange_n(&l->state, &s, s | RW_DOZER, false,
							     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
		return;
	}
	plat_irq_restore(flags);
	plat_cpu_relax();
	(void)plat_irq_save();
}

/* Wake the dozers (rw_wake()); out of line, off the releases' path. */
static __attribute__((noinline, cold, unused)) void rw_wake_dozers(rwlock_t *l)
{
	/* Cleared first: a waiter that dozes after this marks it again, and is woken below. */
	__atomic_fetch_and(&l->state, ~RW_DOZER, __ATOMIC_SEQ_CST);
	plat_doze_wake(l);
}

/* A release found RW_DOZER in the state it changed (@old): wake the dozers. */
static inline void rw_wake(rwlock_t *l, int old)
{
	if (__builtin_expect(old & RW_DOZER, 0))
		rw_wake_dozers(l);
}

static inline unsigned long read_lock_irqsave(rwlock_t *l)
{
	unsigned long flags = plat_irq_save();
	unsigned spins = 0;

	for (;;) {
		int s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
		if (!(s & (RW_WRITER | RW_WAITING)) &&
		    __atomic_compare_exchange_n(&l->state, &s, s + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return flags;
		rw_wait(l, s, flags, &spins);
	}
}

/* Only the last reader out can let a writer in: only it wakes dozers. */
static inline void read_unlock_irqrestore(rwlock_t *l, unsigned long flags)
{
	int old = __atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);

	if ((old & RW_READERS) == 1)
		rw_wake(l, old);
	plat_irq_restore(flags);
}

static inline unsigned long write_lock_irqsave(rwlock_t *l)
{
	unsigned long flags = plat_irq_save();
	bool handoff = false;	/* we marked RW_HANDOFF: the lock is ours next */
	unsigned spins = 0, doze_spins = 0;

	for (;;) {
		int s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
		if (!(s & (RW_WRITER | RW_READERS)) && (handoff || !(s & RW_HANDOFF))) {
			/* Taking it clears the marks (other waiters mark again) but RW_DOZER's. */
			if (__atomic_compare_exchange_n(&l->state, &s, RW_WRITER | (s & RW_DOZER), true,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return flags;
		} else if (!(s & RW_WAITING)) {
			__atomic_compare_exchange_n(&l->state, &s, s | RW_WAITING, true,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		} else if (!handoff && !(s & RW_HANDOFF) && ++spins >= RW_HANDOFF_SPINS) {
			handoff = __atomic_compare_exchange_n(&l->state, &s, s | RW_HANDOFF, false,
							      __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		}
		rw_wait(l, s, flags, &doze_spins);
	}
}

/* A waiting writer's marks stay. */
static inline void write_unlock_irqrestore(rwlock_t *l, unsigned long flags)
{
	/* Subtracted, not masked (a compare-exchange loop): RW_WRITER is set, readers wait. */
	rw_wake(l, __atomic_fetch_sub(&l->state, RW_WRITER, __ATOMIC_RELEASE));
	plat_irq_restore(flags);
}

/*
 * A writer becomes a reader without letting anyone in between (Linux's
 * mmap_write_downgrade()): other readers may join unless a writer waits.
 * Release it with read_unlock_irqrestore().
 */
static inline void write_downgrade(rwlock_t *l)
{
	rw_wake(l, __atomic_fetch_add(&l->state, 1 - RW_WRITER, __ATOMIC_RELEASE));
}

#endif
