// SPDX-License-Identifier: MIT
/*
 * Timer-tick samples of where each CPU was (KPERF builds): every tick, the
 * interrupted instruction's address goes into a small open-addressed table
 * of counts; `perf` prints the most frequent ones with their symbols. The
 * ticks come from the guest's timers, which under plain TCG run on the
 * host's clock, so the samples weigh code by what it costs to run under
 * the emulator (zeroing, TLB flushes, page walks), which instruction
 * counts (-icount) do not. A tick arriving while interrupts are masked is
 * taken where they come back on, so such stretches show at their end.
 */
#include "kernel/arch_hooks.h"
#include "kernel/perf.h"
#include "kernel/lib.h"
#include "mm/spinlock.h"

#ifdef KPERF
#define SAMPLE_SLOTS	1024	/* a power of two */
#define SAMPLE_TOP	24	/* rows printed */

struct sample {
	uintptr_t ip;
	uint64_t count;
};

static struct sample samples[SAMPLE_SLOTS];
static spinlock_t sample_lock;
static uint64_t sampled_user, sampled_kernel, sampled_lost;

static uint32_t slot_of(uintptr_t ip)
{
	return (uint32_t)((ip * 0x9e3779b97f4a7c15ull) >> 40) & (SAMPLE_SLOTS - 1);
}

/*
 * perf_sample() - count one tick that interrupted @ip (@user: user mode)
 *
 * Called from the timer interrupt with interrupts off. Linear probing in a
 * table of fixed size: the distinct kernel addresses a workload is caught
 * at are far fewer than its slots; a tick that finds no room is only counted.
 */
void perf_sample(uintptr_t ip, bool user)
{
	unsigned long irq = spin_lock_irqsave(&sample_lock);

	if (user) {
		sampled_user++;
	} else {
		uint32_t i = slot_of(ip), n;

		sampled_kernel++;
		for (n = 0; n < SAMPLE_SLOTS / 4; n++, i = (i + 1) & (SAMPLE_SLOTS - 1))
			if (samples[i].ip == ip || !samples[i].ip)
				break;
		if (n == SAMPLE_SLOTS / 4) {
			sampled_lost++;
		} else {
			samples[i].ip = ip;
			samples[i].count++;
		}
	}
	spin_unlock_irqrestore(&sample_lock, irq);
}

/* The most frequent kernel addresses, highest first (printing only: a scan per row). */
void perf_sample_print(void)
{
	uint64_t total = sampled_user + sampled_kernel;
	uint64_t shown[SAMPLE_TOP] = { 0 };

	kprintf("perf: ticks %" PRIu64 ": user %" PRIu64 ", kernel %" PRIu64 " (%" PRIu64
		" not placed)\n", total, sampled_user, sampled_kernel, sampled_lost);
	for (unsigned row = 0; row < SAMPLE_TOP; row++) {
		int best = -1;

		for (unsigned i = 0; i < SAMPLE_SLOTS; i++) {
			bool taken = false;

			for (unsigned r = 0; r < row; r++)
				taken |= shown[r] == (uint64_t)i + 1;
			if (samples[i].count && !taken &&
			    (best < 0 || samples[i].count > samples[best].count))
				best = (int)i;
		}
		if (best < 0)
			break;
		shown[row] = (uint64_t)best + 1;
		kprintf("perf: tick %6" PRIu64 " %3" PRIu64 "%% %pS\n", samples[best].count,
			samples[best].count * 100 / (total ? total : 1), (void *)samples[best].ip);
	}
}

void perf_sample_reset(void)
{
	unsigned long irq = spin_lock_irqsave(&sample_lock);

	memset(samples, 0, sizeof(samples));
	sampled_user = sampled_kernel = sampled_lost = 0;
	spin_unlock_irqrestore(&sample_lock, irq);
}
#endif
