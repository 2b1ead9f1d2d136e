// SPDX-License-Identifier: MIT
/*
 * The local APIC in xAPIC mode, through its MMIO page (mapped uncached in
 * the direct map). The boot CPU keeps the legacy PIC for device IRQs (its
 * LINT0 stays in virtual-wire mode, as the firmware left it) and the PIT
 * tick; every other CPU ticks with its own APIC timer, calibrated once
 * against the TSC.
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

/* Counts the timer's decrements over 10 ms of TSC time. */
static uint32_t calibrate(void)
{
	wr(LAPIC_TIMER_DIV, DIV_BY_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	wr(LAPIC_TIMER_INIT, 0xffffffff);
	udelay(10000);
	uint32_t done = 0xffffffff - rd(LAPIC_TIMER_CUR);
	wr(LAPIC_TIMER_INIT, 0);
	return done / 10 * 1000 / TIMER_HZ;
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
