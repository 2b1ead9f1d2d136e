// SPDX-License-Identifier: MIT
/*
 * Time: the PIT interrupts TIMER_HZ times a second (scheduling), and the
 * TSC, calibrated against the PIT once at boot, gives nanoseconds. Under
 * QEMU's -icount both advance with the instruction count, so measurements
 * made with them are deterministic.
 */
#include "arch/x86/pc.h"
#include "arch/x86/tsc.h"
#include "kernel/lib.h"

#define PIT_HZ		1193182
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61
#define CALIBRATE_MS	10

static uint64_t tsc_boot, tsc_per_ms;
static uint64_t epoch_at_boot;
static void (*tick_fn)(void);

static void timer_irq(unsigned irq)
{
	(void)irq;
	if (tick_fn)
		tick_fn();
}

/* Counts TSC ticks over CALIBRATE_MS, timed by PIT channel 2 in one-shot mode. */
static uint64_t calibrate_tsc(void)
{
	unsigned count = PIT_HZ * CALIBRATE_MS / 1000;

	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);				/* channel 2, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	uint64_t start = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))
		;
	uint64_t ticks = rdtsc() - start;
	return ticks / CALIBRATE_MS ? ticks / CALIBRATE_MS : 1;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400, yoe = y - era * 400;
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

static uint64_t read_rtc(void)
{
	while (cmos(0x0a) & 0x80)	/* update in progress */
		;
	bool binary = cmos(0x0b) & 0x04;
	unsigned s = bcd(cmos(0x00), binary), mi = bcd(cmos(0x02), binary);
	unsigned h = bcd(cmos(0x04) & 0x7f, binary), d = bcd(cmos(0x07), binary);
	unsigned mo = bcd(cmos(0x08), binary), y = bcd(cmos(0x09), binary) + 2000;
	if (!(cmos(0x0b) & 0x02) && (cmos(0x04) & 0x80))
		h = (h % 12) + 12;	/* 12-hour clock, PM */
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/**
 * timer_init() - calibrate the TSC, start the periodic tick
 * @tick: called from the timer interrupt, TIMER_HZ times a second
 */
void timer_init(void (*tick)(void))
{
	unsigned divisor = PIT_HZ / TIMER_HZ;

	tsc_per_ms = calibrate_tsc();
	tsc_boot = rdtsc();
	epoch_at_boot = read_rtc();
	tick_fn = tick;
	outb(PIT_CMD, 0x34);			/* channel 0, rate generator */
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	irq_register(0, timer_irq);
	pic_unmask(0);
	kprintf("timer: TSC %" PRIu64 ".%03" PRIu64 " MHz, tick %u Hz\n", tsc_per_ms / 1000, tsc_per_ms % 1000,
		TIMER_HZ);
}

uint64_t time_ns(void)
{
	uint64_t t = rdtsc() - tsc_boot;

	return t / tsc_per_ms * 1000000 + t % tsc_per_ms * 1000000 / tsc_per_ms;
}

uint64_t tsc_cycles_to_ns(uint64_t cycles)
{
	return cycles / tsc_per_ms * 1000000 + cycles % tsc_per_ms * 1000000 / tsc_per_ms;
}

uint64_t boot_epoch_seconds(void)
{
	return epoch_at_boot;
}
