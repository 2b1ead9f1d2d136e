// SPDX-License-Identifier: MIT
/*
 * TLB shootdown (the rule is in mm/pt.h). Each CPU has one outgoing request
 * in its per-CPU block and a mailbox word naming the CPUs with a request for
 * it. A sender fills its request, marks each target's mailbox, sends each
 * one IPI for the whole batch and waits until all have acknowledged; a
 * target reads every request it has, flushes, and clears its bit in the
 * request's pending set. No lock is taken, and a CPU waiting for a lock or
 * for its own acknowledgements answers requests meanwhile, so two CPUs
 * shooting at each other, or one holding a lock the other spins on, cannot
 * deadlock.
 *
 * The wait runs with interrupts as the caller had them: a caller outside
 * every spinlock (pt_zap()) does not keep them off for as long as the other
 * CPUs take to answer. An interrupt handler's own shootdown meanwhile first
 * waits until the interrupted request is answered (one request per CPU;
 * its targets answer it without this CPU's help).
 *
 * A sender whose wait runs with interrupts on spins only TLB_SPIN_NS, then
 * halts until an interrupt (hlt): the last target to flush sends it a wake-up
 * IPI if it sleeps. An answer that late comes from a CPU that had
 * interrupts off for long, or from a virtual CPU its host has not run
 * (under an emulator on a busy host, milliseconds): spinning for it would
 * burn the host CPU time that other virtual CPU needs to answer.
 *
 * Lazy TLB: a kernel thread runs on whatever user tables it found loaded
 * (switching costs a flush). The CPU stays in that space's set, so it still
 * gets the space's shootdowns; the first one makes it load the kernel's own
 * tables and leave the set, which is also how a space being destroyed gets
 * rid of its lazy users.
 */
#include "arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pc.h"
#include "percpu.h"
#include "arch/x86/smp.h"
#include "kernel/lib.h"
#include "mm/fault.h"

static void flush_local(const uintptr_t *va, unsigned n, bool global)
{
	if (va) {
		for (unsigned i = 0; i < n; i++)
			invlpg(va[i]);
	} else if (global) {
		plat_tlb_flush_all();
	} else {
		write_cr3(read_cr3());
	}
}

void tlb_shootdown_handle(void)
{
	struct cpu_local *me = this_cpu();
	mm_cpumask_t from = __atomic_exchange_n(&me->tlb_from, 0, __ATOMIC_SEQ_CST);
	mm_cpumask_t bit = (mm_cpumask_t)1 << me->id;

	if (!from)
		return;
	if (me->lazy && pt_space_loaded() != &kernel_vm.pt)
		pt_space_load(&kernel_vm.pt);	/* leave the lazily kept space */
	for (unsigned s = 0; s < MM_MAX_CPUS; s++) {
		if (!(from & ((mm_cpumask_t)1 << s)))
			continue;
		struct tlb_request *r = &cpu_data[s]->tlb_req;
		flush_local(r->va, r->n, r->global);
		/*
		 * After this the sender may return and send another request:
		 * only @r->sleeping is read again, and it is set only while
		 * the sender waits. Sequentially consistent with the sender's
		 * set-then-check (wait_answered()): either it sees the bit
		 * clear, or the last target here sees it sleeping.
		 */
		if (__atomic_fetch_and(&r->pending, ~bit, __ATOMIC_SEQ_CST) == bit &&
		    __atomic_load_n(&r->sleeping, __ATOMIC_SEQ_CST)) {
			me->tlb_wakes++;
			lapic_send_ipi(cpu_data[s]->apic_id, VEC_IPI_RESCHED);
		}
	}
}

void tlb_poll(void)
{
	if (__atomic_load_n(&this_cpu()->tlb_from, __ATOMIC_RELAXED))
		tlb_shootdown_handle();
}

/* How long a sender with interrupts on spins for its answers before it halts. */
#define TLB_SPIN_NS	20000

/*
 * Halt until an interrupt, unless @r is answered meanwhile; interrupts off
 * on entry, on afterwards.
 */
static void sleep_for_answers(struct tlb_request *r)
{
	__atomic_store_n(&r->sleeping, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->pending, __ATOMIC_SEQ_CST)) {
		this_cpu()->tlb_halts++;
		sti_hlt();	/* the last target's wake-up, a request or a tick */
	} else
		sti();
	__atomic_store_n(&r->sleeping, 0, __ATOMIC_RELAXED);
}

/*
 * Wait until every target of @r has flushed, answering requests to this
 * CPU meanwhile. @irq_on: interrupts are on here (may halt after a spin).
 */
static void wait_answered(struct tlb_request *r, bool irq_on)
{
	uint64_t until = 0;

	while (__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE)) {
		tlb_poll();
		if (irq_on) {
			uint64_t now = time_ns();

			if (!until) {
				until = now + TLB_SPIN_NS;
			} else if (now >= until) {
				cli();
				sleep_for_answers(r);
				continue;
			}
		}
		__asm__ volatile("pause");
	}
}

void plat_tlb_shootdown(mm_cpumask_t cpus, const uintptr_t *va, unsigned n, bool global)
{
	unsigned long irq = plat_irq_save();
	struct cpu_local *me = this_cpu();
	mm_cpumask_t self = (mm_cpumask_t)1 << me->id;
	mm_cpumask_t others = cpus & ~self & cpu_online_mask;

	if (cpus & self)
		flush_local(va, n, global);
	if (others) {
		struct tlb_request *r = &me->tlb_req;

		wait_answered(r, false);	/* an interrupted request of this CPU's */
		me->tlb_sent++;

		r->va = va;
		r->n = n;
		r->global = global;
		__atomic_store_n(&r->pending, others, __ATOMIC_SEQ_CST);
		for (unsigned c = 0; c < MM_MAX_CPUS; c++)
			if (others & ((mm_cpumask_t)1 << c)) {
				__atomic_fetch_or(&cpu_data[c]->tlb_from, self, __ATOMIC_SEQ_CST);
				lapic_send_ipi(cpu_data[c]->apic_id, VEC_IPI_TLB);
			}
		plat_irq_restore(irq);
		wait_answered(r, (irq & RFLAGS_IF) != 0);
		return;
	}
	plat_irq_restore(irq);
}

mm_cpumask_t plat_cpus_online(void)
{
	return cpu_online_mask;
}

mm_cpumask_t plat_cpus_possible(void)
{
	return cpu_possible_mask;
}
