// SPDX-License-Identifier: MIT
/*
 * A space's resident-page count, split per CPU (as Linux splits RSS): a
 * fault in a space several threads share adds its page to its CPU's slot,
 * not to as->rss, so threads faulting on several CPUs do not all write one
 * cache line for every page (a space of one thread adds to as->rss itself:
 * as_fault.c's count_page()).
 * A slot counts for one space at a time; its count goes into as->rss when
 * it reaches AS_RSS_BATCH, when the slot passes to another space, and
 * whenever someone wants the figure exactly: as_rss() folds the space's
 * slots first, so a figure read while nothing maps or unmaps is exact.
 *
 * Only a slot's CPU, faulting, changes which space the slot counts for
 * (under the slot's lock), so the fault's fast path needs no lock: it runs
 * with interrupts off (under a fault lock or the space's lock), nothing
 * else on its CPU uses the slot meanwhile, and a fold on another CPU takes
 * the count with an atomic exchange. The space a slot names is alive while
 * it faults there; as_destroy() and as_init() make the slots let it go.
 *
 * as->rss_cpus: the CPUs whose slot may name the space (set when a slot
 * takes it, cleared when it lets it go), so a fold looks at those only.
 *
 * Lock order: a slot's lock is the innermost lock (it only guards the slot).
 */
#include "as_internal.h"
#include "spinlock.h"

/* Pages a slot counts before it adds them to the space. */
#define AS_RSS_BATCH	64

struct rss_slot {
	spinlock_t lock;	/* changing @as; folds */
	struct as *as;		/* the space @delta belongs to, or NULL */
	long delta;		/* its pages mapped (less unmapped) not yet in as->rss */
} __attribute__((aligned(VM_CACHE_LINE)));	/* one CPU's slot per cache line */

static struct rss_slot slots[MM_MAX_CPUS];
/* CPUs whose slot names a space (bits changed under the slot's lock): as_rss_forget() looks at these. */
static MM_ATOMIC64 mm_cpumask_t named;

/* Add slot @s's count to its space's; the slot's lock held, or its CPU's fault. */
static void slot_flush(struct rss_slot *s, struct as *as)
{
	long d = __atomic_exchange_n(&s->delta, 0, __ATOMIC_RELAXED);

	if (d)
		__atomic_add_fetch(&as->rss, (uint64_t)(int64_t)d, __ATOMIC_RELAXED);
}

/* Let slot @s of CPU @cpu go of its space, its count added; its lock held. */
static void slot_release(struct rss_slot *s, unsigned cpu)
{
	struct as *as = s->as;

	slot_flush(s, as);
	__atomic_and_fetch(&as->rss_cpus, ~((mm_cpumask_t)1 << cpu), __ATOMIC_RELAXED);
	__atomic_store_n(&s->as, NULL, __ATOMIC_RELAXED);
	__atomic_and_fetch(&named, ~((mm_cpumask_t)1 << cpu), __ATOMIC_RELAXED);
}

/* as_rss_add() when slot @s of CPU @cpu counts for another space: it passes to @as. */
static __attribute__((noinline)) void slot_take(struct as *as, struct rss_slot *s, unsigned cpu,
						long n)
{
	unsigned long fl = spin_lock_irqsave(&s->lock);

	if (s->as)
		slot_release(s, cpu);
	__atomic_or_fetch(&as->rss_cpus, (mm_cpumask_t)1 << cpu, __ATOMIC_RELAXED);
	__atomic_or_fetch(&named, (mm_cpumask_t)1 << cpu, __ATOMIC_RELAXED);
	__atomic_store_n(&s->as, as, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->delta, n, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&s->lock, fl);
}

/**
 * as_rss_add() - count @n pages mapped (negative: unmapped) in @as on this CPU
 * @as: the space, which this CPU is faulting in
 * @n: pages
 *
 * With interrupts off (a fault under its fault lock or the space's lock).
 */
void as_rss_add(struct as *as, long n)
{
	unsigned cpu = plat_cpu_id();
	struct rss_slot *s = &slots[cpu];

	if (unlikely(__atomic_load_n(&s->as, __ATOMIC_RELAXED) != as)) {
		slot_take(as, s, cpu, n);
		return;
	}
	long d = __atomic_add_fetch(&s->delta, n, __ATOMIC_RELAXED);

	if (unlikely(d >= AS_RSS_BATCH || d <= -AS_RSS_BATCH))
		slot_flush(s, as);
}

/* Fold the slots of CPUs @cpus that count for @as; with @release, they let it go. */
static void fold(struct as *as, mm_cpumask_t cpus, bool release)
{
	while (cpus) {
		unsigned cpu = (unsigned)__builtin_ctzll(cpus);
		struct rss_slot *s = &slots[cpu];
		unsigned long fl = spin_lock_irqsave(&s->lock);

		if (s->as == as) {
			if (release)
				slot_release(s, cpu);
			else
				slot_flush(s, as);
		}
		spin_unlock_irqrestore(&s->lock, fl);
		cpus &= cpus - 1;
	}
}

/**
 * as_rss() - the resident pages of @as, every CPU's count included
 * @as: the space
 *
 * Return: the count (exact if nothing maps or unmaps meanwhile). Any
 * context that may take a spinlock.
 */
uint64_t as_rss(struct as *as)
{
	fold(as, __atomic_load_n(&as->rss_cpus, __ATOMIC_ACQUIRE), false);
	return __atomic_load_n(&as->rss, __ATOMIC_RELAXED);
}

/**
 * as_rss_release() - fold every CPU's count of @as and make the slots let it go
 * @as: a space nothing faults in any more (as_destroy())
 */
void as_rss_release(struct as *as)
{
	fold(as, __atomic_load_n(&as->rss_cpus, __ATOMIC_ACQUIRE), true);
}

/**
 * as_rss_forget() - make sure no slot names @as, its count dropped
 * @as: memory about to become a space (as_init())
 *
 * The memory may have held a space that was never destroyed (a test's):
 * its mask cannot be trusted, so every slot naming a space is looked at.
 */
void as_rss_forget(struct as *as)
{
	for (mm_cpumask_t cpus = __atomic_load_n(&named, __ATOMIC_ACQUIRE); cpus; cpus &= cpus - 1) {
		unsigned cpu = (unsigned)__builtin_ctzll(cpus);
		struct rss_slot *s = &slots[cpu];
		unsigned long fl;

		if (__atomic_load_n(&s->as, __ATOMIC_RELAXED) != as)
			continue;
		fl = spin_lock_irqsave(&s->lock);
		if (s->as == as) {
			__atomic_store_n(&s->delta, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&s->as, NULL, __ATOMIC_RELAXED);
			__atomic_and_fetch(&named, ~((mm_cpumask_t)1 << cpu), __ATOMIC_RELAXED);
		}
		spin_unlock_irqrestore(&s->lock, fl);
	}
}
