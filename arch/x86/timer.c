// SPDX-License-Identifier: MIT
/*
 * Time: the PIT interrupts TIMER_HZ times a second (scheduling), and the
 * TSC, calibrated against the PIT's channel 2 once at boot, gives
 * nanoseconds; the APs use the boot CPU's rate (QEMU's TSCs run together). Under
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
#define PIT_CH2_MODE0	0xb0	/* channel 2, low then high byte, mode 0, binary */
#define PIT_LATCH_CH2	0x80	/* counter latch command, channel 2 */
#define PIT_GATE	0x61	/* bit 0: channel 2's gate, 1: speaker, 5: its output */
#define PIT_GATE2	0x01
#define PIT_SPEAKER	0x02
#define PIT_OUT2	0x20

/*
 * The TSC's calibration. A try times CALIBRATE_MS of PIT channel 2 in
 * TSC cycles. A host may stop a virtual CPU for milliseconds anywhere:
 * between the two ends of a try that does no harm (both clocks run on),
 * inside the reading of an end it does, so each PIT reading sits between
 * two TSC reads and a try whose two readings together took more than
 * 1/CALIBRATE_WIDE of its span is thrown away. Of up to CALIBRATE_GOOD
 * good tries the one with the narrowest readings is kept; tries stop after
 * CALIBRATE_BUDGET_MS of PIT time. Should none be good by then, the rate
 * is an upper bound (see tsc_rate_measure()).
 */
#define CALIBRATE_MS		10
#define CALIBRATE_GOOD		8
#define CALIBRATE_WIDE		1000	/* good: readings under 0.1% of the span */
#define CALIBRATE_BUDGET_MS	2000
#define CALIBRATE_MAX_TRIES	512	/* and at most so many (each ends by 55 ms) */
#define CALIBRATE_FALLBACK	5000000	/* cycles per ms, 5 GHz: see tsc_rate_measure() */

static uint64_t tsc_boot, tsc_per_ms;
static struct tsc_rate boot_rate;
static uint64_t epoch_at_boot;
static void (*tick_fn)(void);

static void timer_irq(unsigned irq)
{
	(void)irq;
	if (tick_fn)
		tick_fn();
}

/* One reading of PIT channel 2's count, between two TSC reads. */
struct pit_reading {
	uint64_t before, after;
	uint16_t count;
};

static struct pit_reading pit_read(void)
{
	struct pit_reading r;

	r.before = rdtsc();
	outb(PIT_CMD, PIT_LATCH_CH2);
	unsigned lo = inb(PIT_CH2);
	unsigned hi = inb(PIT_CH2);
	r.after = rdtsc();
	r.count = (uint16_t)(lo | hi << 8);
	return r;
}

/* One try's result: the TSC cycles over @ticks PIT ticks, give or take @err. */
struct tsc_try {
	uint64_t cycles, err;
	unsigned ticks;
};

/*
 * One try: PIT channel 2 counts down from 0xffff (mode 0, its output goes
 * high at zero and stays so); read it, wait CALIBRATE_MS, read it again.
 * False if the count reached zero (a stop longer than the whole count, 55
 * ms: the difference may have wrapped). @pit_ticks gets the PIT time the
 * try took, at least.
 */
static bool calibrate_try(struct tsc_try *t, unsigned *pit_ticks)
{
	unsigned want = PIT_HZ * CALIBRATE_MS / 1000;

	outb(PIT_GATE, (inb(PIT_GATE) & ~PIT_SPEAKER) | PIT_GATE2);
	outb(PIT_CMD, PIT_CH2_MODE0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	struct pit_reading a = pit_read(), b;
	do
		b = pit_read();
	while ((uint16_t)(a.count - b.count) < want && !(inb(PIT_GATE) & PIT_OUT2));
	if (inb(PIT_GATE) & PIT_OUT2) {
		*pit_ticks = 0x10000;
		return false;
	}
	t->ticks = (uint16_t)(a.count - b.count);
	*pit_ticks = t->ticks;
	/* The readings happened somewhere in [before, after]: take the middles. */
	t->cycles = (b.before + b.after) / 2 - (a.before + a.after) / 2;
	t->err = (a.after - a.before + 1) / 2 + (b.after - b.before + 1) / 2;
	return t->ticks >= want;
}

/* Cycles per ms of @cycles over @ticks PIT ticks. */
static uint64_t per_ms(uint64_t cycles, uint64_t ticks)
{
	return ticks ? cycles * PIT_HZ / (ticks * 1000) : 0;
}

/*
 * The rate and its bounds from a try: the cycles are right within @err,
 * and each count was read to within a tick (it is truncated).
 */
static void rate_of_try(const struct tsc_try *t, struct tsc_rate *r)
{
	r->per_ms = per_ms(t->cycles, t->ticks);
	r->lo = per_ms(t->cycles > t->err ? t->cycles - t->err : 0, t->ticks + 1);
	r->hi = per_ms(t->cycles + t->err, t->ticks - 1) + 1;
	r->err = t->err;
}

/**
 * tsc_rate_measure() - measure the TSC's rate against PIT channel 2
 * @r: the rate, with bounds it lies within, and how it was found
 *
 * The best of up to CALIBRATE_GOOD good tries, made within a bounded time.
 * When none was good, the fallback is conservative: the least upper bound
 * of the rate any completed try gave (a rate too high makes the clock run
 * slow, so a sleep or timeout never ends early), or CALIBRATE_FALLBACK if
 * every try's count ran out; @r->fallback then says so, and @r->lo is 0.
 * PIT channel 2 is the caller's meanwhile. Return: whether a try was good.
 */
bool tsc_rate_measure(struct tsc_rate *r)
{
	struct tsc_rate best = { .err = UINT64_MAX }, least_hi = { .hi = UINT64_MAX };
	unsigned budget = PIT_HZ / 1000 * CALIBRATE_BUDGET_MS, spent = 0;

	r->tries = r->good = 0;
	while (r->good < CALIBRATE_GOOD && spent < budget && r->tries < CALIBRATE_MAX_TRIES) {
		struct tsc_try t;
		struct tsc_rate v = { 0 };
		unsigned took;
		bool done = calibrate_try(&t, &took);

		spent += took;
		r->tries++;
		if (!done)
			continue;
		rate_of_try(&t, &v);
		if (v.hi < least_hi.hi)
			least_hi = v;
		if (t.err * CALIBRATE_WIDE > t.cycles)
			continue;	/* too wide: the CPU was stopped in a reading */
		r->good++;
		if (t.err < best.err)
			best = v;
		/* Readings narrower than a quarter of a PIT tick: nothing to gain. */
		if (t.err * 4 * t.ticks < t.cycles)
			break;
	}
	unsigned tries = r->tries, good = r->good;

	if (good) {
		*r = best;
	} else if (least_hi.hi != UINT64_MAX) {
		*r = least_hi;
		r->per_ms = r->hi;
	} else {
		*r = (struct tsc_rate){ .per_ms = CALIBRATE_FALLBACK, .hi = CALIBRATE_FALLBACK };
	}
	if (!good)
		r->lo = 0;
	r->fallback = !good;
	r->tries = tries;
	r->good = good;
	return good;
}

/**
 * tsc_rate_boot() - the TSC rate measured at boot, which the clock uses
 */
const struct tsc_rate *tsc_rate_boot(void)
{
	return &boot_rate;
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

	tsc_rate_measure(&boot_rate);
	tsc_per_ms = boot_rate.per_ms;
	tsc_boot = rdtsc();
	epoch_at_boot = read_rtc();
	tick_fn = tick;
	outb(PIT_CMD, 0x34);			/* channel 0, rate generator */
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	irq_register(0, timer_irq);
	pic_unmask(0);
	kprintf("timer: TSC %" PRIu64 ".%03" PRIu64 " MHz (%" PRIu64 ".%03" PRIu64 "-%" PRIu64
		".%03" PRIu64 ", %u of %u tries good), tick %u Hz\n",
		tsc_per_ms / 1000, tsc_per_ms % 1000, boot_rate.lo / 1000, boot_rate.lo % 1000,
		boot_rate.hi / 1000, boot_rate.hi % 1000, boot_rate.good, boot_rate.tries, TIMER_HZ);
	if (boot_rate.fallback)
		kprintf("timer: no good TSC calibration in %u tries (the host kept stopping this CPU): "
			"using an upper bound, the clock may run slow\n", boot_rate.tries);
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
