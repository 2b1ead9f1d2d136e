// SPDX-License-Identifier: MIT
/*
 * Lock waiters that halt (mm/platform.h plat_doze_prepare()): a virtual
 * CPU whose host stops running it while it holds a lock (an emulator on a
 * busy host, for milliseconds) keeps the others waiting that long; a
 * waiter that halts gives its host CPU back, which the holder may be
 * waiting for, where one that spins burns it. The waiter names the lock in
 * its per-CPU block before it publishes, in the lock's own word, that
 * someone dozes; the releaser clears that mark and wakes every CPU naming
 * the lock with a reschedule IPI (its handler does nothing else here: the
 * kernel does not preempt itself). Any other interrupt, the tick included,
 * wakes a dozer too, so a wake-up that is missed costs a tick, not a hang.
 */
#include "arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "percpu.h"
#include "arch/x86/smp.h"

bool plat_doze_prepare(const void *key, unsigned long flags)
{
	if (!(flags & RFLAGS_IF) || ncpus_online < 2)
		return false;
	/* Before the caller's publishing atomic: its waker's scan sees this. */
	__atomic_store_n(&this_cpu()->doze_key, key, __ATOMIC_SEQ_CST);
	return true;
}

void plat_doze_finish(bool halt)
{
	struct cpu_local *me = this_cpu();

	if (halt) {
		me->dozes++;
		sti_hlt();	/* a wake-up sent meanwhile is taken after the hlt: sti's shadow */
		cli();
	}
	__atomic_store_n(&me->doze_key, NULL, __ATOMIC_RELAXED);
}

void plat_doze_wake(const void *key)
{
	unsigned self = plat_cpu_id();

	for_each_online_cpu(c)
		if (c != self && __atomic_load_n(&cpu_data[c]->doze_key, __ATOMIC_SEQ_CST) == key)
			lapic_send_ipi(cpu_data[c]->apic_id, VEC_IPI_RESCHED);
}
