/* SPDX-License-Identifier: MIT */
/*
 * The PC devices every x86 kernel here drives the same way, whatever its
 * mode (arch/x86/): the 8259 PICs, the COM1 UART, the VGA text screen, and
 * the timer (PIT tick, TSC clock calibrated against the PIT, CMOS real-time clock).
 * Each architecture provides irq_register() (its interrupt entry) and the
 * core's platform functions they use (plat_irq_save, plat_phys_to_virt).
 */
#ifndef ARCH_X86_PC_H
#define ARCH_X86_PC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/io.h"

/* The legacy PICs' IRQ 0..15 arrive at these vectors (above the exceptions). */
#define PIC_VECTOR_BASE	32

typedef void (*irq_handler_fn)(unsigned irq);
void irq_register(unsigned irq, irq_handler_fn fn);	/* per architecture */

void pic_init(void);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);

void serial_init(void);
void serial_putc(char c);
int serial_getc(void);		/* -1 if nothing has arrived */
bool serial_rx_ready(void);	/* has a byte arrived (serial_getc() would not be -1)? */
void serial_enable_rx_irq(void);	/* once interrupts can be taken */
bool serial_present(void);

void vga_init(void);
void vga_putc(char c);

/* The timer: PIT at TIMER_HZ; time since boot from the calibrated TSC. */
#define TIMER_HZ	100
void timer_init(void (*tick)(void));
uint64_t time_ns(void);		/* monotonic, since boot */
uint64_t tsc_cycles_to_ns(uint64_t cycles);	/* a TSC interval in nanoseconds */
uint64_t boot_epoch_seconds(void);	/* wall clock at boot, from the CMOS RTC */

/* The TSC's rate against the PIT: an estimate and bounds the rate lies within. */
struct tsc_rate {
	uint64_t per_ms;	/* TSC cycles per ms */
	uint64_t lo, hi;	/* per_ms's bounds (lo 0: unknown) */
	uint64_t err;		/* cycles the two PIT readings took between them */
	unsigned good, tries;	/* tries kept as good, tries made */
	bool fallback;		/* no try was good: per_ms is an upper bound */
};
bool tsc_rate_measure(struct tsc_rate *r);	/* uses PIT channel 2 */
const struct tsc_rate *tsc_rate_boot(void);	/* the rate the clock runs at */

#endif
