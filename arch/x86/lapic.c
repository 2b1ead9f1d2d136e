// SPDX-License-Identifier: MIT
/*
 * The local APIC in xAPIC mode, through its MMIO page (mapped uncached in
 * the direct map). The boot CPU keeps the legacy PIC for device IRQs (its
 * LINT0 stays in virtual-wire mode, as the firmware left it) and the PIT
 * tick; every other CPU ticks with its own APIC timer, calibrated once,
 * on the boot CPU, against the TSC.
 */
#include "arch.h"
#include "arch/x86/lapic.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/smp.h"
#include "kernel/lib.h"
#include "mm/fault.h"

#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERR	0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3e0

#define SVR_ENABLE	(1u << 8)
#define LVT_MASKED	(1u << 16)
#define TIMER_PERIODIC	(1u << 17)
#define ICR_PENDING	(1u << 12)
#define ICR_ASSERT	(1u << 14)
#define ICR_INIT	(5u << 8)
#define ICR_STARTUP	(6u << 8)
#define DIV_BY_16	0x3

bool lapic_enabled;
void (*lapic_tick_fn)(void);
static volatile uint32_t *regs;
static uint32_t ticks_per_period;

static uint32_t rd(unsigned reg)
{
	return regs[reg / 4];
}

static void wr(unsigned reg, uint32_t v)
{
	regs[reg / 4] = v;
}

unsigned lapic_id(void)
{
	return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

static void udelay(uint64_t us)
{
	uint64_t end = time_ns() + us * 1000;

	while (time_ns() < end)
		__asm__ volatile("pause");
}

static void icr_send(unsigned apic_id, uint32_t lo)
{
	unsigned long flags = read_rflags();

	cli();
	while (rd(LAPIC_ICR_LO) & ICR_PENDING)
		__asm__ volatile("pause");
	wr(LAPIC_ICR_HI, apic_id << 24);
	wr(LAPIC_ICR_LO, lo);
	if (flags & RFLAGS_IF)
		sti();
}

void lapic_send_ipi(unsigned apic_id, unsigned vector)
{
	icr_send(apic_id, vector);
}

/* The universal start-up algorithm (SDM vol. 3, 9.4.4.1). */
void lapic_start_ap(unsigned apic_id, unsigned page)
{
	wr(LAPIC_ESR, 0);
	icr_send(apic_id, ICR_INIT | ICR_ASSERT);
	udelay(10000);
	for (int i = 0; i < 2; i++) {
		icr_send(apic_id, ICR_STARTUP | page);
		udelay(200);
	}
}

/*
 * The timer's calibration against the (already calibrated) TSC: the
 * decrements over CALIBRATE_US, each end's register access between two
 * TSC reads. A host may stop the virtual CPU inside an access, which
 * shows as a wide bracket: a try whose two brackets together exceed
 * 1/CALIBRATE_WIDE of its span is thrown away; the narrowest of
 * CALIBRATE_GOOD good tries is kept, tries ending after CALIBRATE_TRIES.
 */
#define CALIBRATE_US	10000
#define CALIBRATE_GOOD	3
#define CALIBRATE_TRIES	20
#define CALIBRATE_WIDE	1000

/* One try: the timer's counts per tick; @err and @span in TSC cycles. */
static uint32_t calibrate_try(uint64_t *err, uint64_t *span)
{
	wr(LAPIC_TIMER_DIV, DIV_BY_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	uint64_t t0 = rdtsc();
	wr(LAPIC_TIMER_INIT, 0xffffffff);
	uint64_t t1 = rdtsc();
	udelay(CALIBRATE_US);
	uint64_t t2 = rdtsc();
	uint32_t done = 0xffffffff - rd(LAPIC_TIMER_CUR);
	uint64_t t3 = rdtsc();
	wr(LAPIC_TIMER_INIT, 0);
	*err = (t1 - t0 + 1) / 2 + (t3 - t2 + 1) / 2;
	*span = (t2 + t3) / 2 - (t0 + t1) / 2;
	uint64_t ns = tsc_cycles_to_ns(*span);
	return ns ? (uint32_t)((uint64_t)done * 1000000000ull / TIMER_HZ / ns) : 0;
}

/*
 * Timer counts per tick (the APs' timers run at the same rate: they use
 * this). If no try is good, the narrowest one, said on the console.
 */
static uint32_t calibrate(void)
{
	uint64_t best_err = UINT64_MAX, any_err = UINT64_MAX;
	uint32_t best = 0, any = 0;
	unsigned good = 0, tries;

	for (tries = 0; tries < CALIBRATE_TRIES && good < CALIBRATE_GOOD; tries++) {
		uint64_t err, span;
		uint32_t v = calibrate_try(&err, &span);

		if (!v)
			continue;
		if (err < any_err) {
			any = v;
			any_err = err;
		}
		if (err * CALIBRATE_WIDE > span)
			continue;	/* the CPU was stopped inside an access */
		good++;
		if (err < best_err) {
			best = v;
			best_err = err;
		}
	}
	if (!good) {
		kprintf("lapic: no good timer calibration in %u tries (the host kept stopping this "
			"CPU): the narrowest one's %u counts per tick\n", tries, any);
		best = any;
	}
	return best;
}

void lapic_init_cpu(bool ap)
{
	wr(LAPIC_TPR, 0);
	wr(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	if (ap) {
		wr(LAPIC_LVT_LINT0, LVT_MASKED);
		wr(LAPIC_LVT_LINT1, LVT_MASKED);
	}
	wr(LAPIC_LVT_ERR, LVT_MASKED);
	wr(LAPIC_ESR, 0);
	if (ap && ticks_per_period) {
		wr(LAPIC_TIMER_DIV, DIV_BY_16);
		wr(LAPIC_LVT_TIMER, TIMER_PERIODIC | VEC_LAPIC_TIMER);
		wr(LAPIC_TIMER_INIT, ticks_per_period);
	}
}

/**
 * lapic_init_boot() - map and enable the boot CPU's local APIC
 * @pa: the registers' physical address (from the MADT or MP table)
 *
 * Needs the kernel's page tables and the calibrated TSC.
 */
void lapic_init_boot(uint64_t pa)
{
	uintptr_t va = LAPIC_VA(pa);

	if (pt_map(&kernel_vm.pt, va, pa, PAGE_SIZE, PT_WRITE | PT_GLOBAL | PT_NOCACHE,
		   PT_MAP_REPLACE))
		panic("lapic: cannot map its registers at %#" PRIx64, pa);
	regs = (volatile uint32_t *)va;
	lapic_init_cpu(false);
	lapic_enabled = true;
	ticks_per_period = calibrate();
	kprintf("lapic: id %u, timer %u counts per %u Hz tick\n", lapic_id(), ticks_per_period,
		TIMER_HZ);
}

bool lapic_dispatch(unsigned vector)
{
	struct cpu_local *c = this_cpu();

	switch (vector) {
	case VEC_LAPIC_TIMER:
		c->ticks++;
		if (lapic_tick_fn)
			lapic_tick_fn();
		break;
	case VEC_IPI_CALL:
		c->ipis++;
		smp_call_handle();
		break;
	case VEC_IPI_RESCHED:
		c->ipis++;
		break;
	case VEC_IPI_TLB:
		c->tlb_ipis++;
		tlb_shootdown_handle();
		break;
	case VEC_SPURIOUS:
		return true;		/* no EOI for a spurious interrupt */
	default:
		return false;
	}
	lapic_eoi();
	return true;
}
