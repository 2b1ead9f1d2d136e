// SPDX-License-Identifier: MIT
/*
 * The longest interrupts-off stretch (KPERF builds): one start time per
 * CPU, one maximum for the machine. Bounded latency is a target of the
 * memory core (issue: no unbounded work with interrupts off), and `make
 * bench` reports this figure while hostile programs run.
 */
#ifdef KPERF
#include "arch/x86_64/arch.h"
#include "arch/x86_64/irqoff.h"
#include "mm/platform.h"

/*
 * One CPU's open stretch, a cache line of its own: every cli and sti
 * writes it, and with the CPUs' starts side by side each would take the
 * line from the others.
 */
struct irqoff_cpu {
	uint64_t start;		/* rdtsc() when interrupts went off; 0: they are on */
	uintptr_t site;		/* where they went off */
} __attribute__((aligned(64)));

static struct irqoff_cpu per_cpu[MM_MAX_CPUS];
static struct irqoff_record worst;

void irqoff_begin(uintptr_t site)
{
	struct irqoff_cpu *c = &per_cpu[plat_cpu_id()];

	if (c->start)
		return;
	c->site = site;
	c->start = rdtsc();
}

void irqoff_end(void)
{
	struct irqoff_cpu *c = &per_cpu[plat_cpu_id()];
	uint64_t d;

	if (!c->start)
		return;
	d = rdtsc() - c->start;
	c->start = 0;
	if (d > worst.cycles) {
		worst.cycles = d;
		worst.site = c->site;
		/* Frame pointers are kept: one level up is who called sti()'s caller. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wframe-address"
		worst.end_site = (uintptr_t)__builtin_return_address(1);
#pragma GCC diagnostic pop
	}
}

/**
 * irqoff_get() - the longest interrupts-off stretch since boot (or reset)
 * @r: filled in: cycles, the site, and the length in guest nanoseconds
 */
void irqoff_get(struct irqoff_record *r)
{
	*r = worst;
	r->ns = tsc_cycles_to_ns(worst.cycles);
}

void irqoff_reset(void)
{
	worst = (struct irqoff_record){ 0 };
}
#endif
