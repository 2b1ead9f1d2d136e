// SPDX-License-Identifier: MIT
/*
 * COM1 at 115200 8N1: the console for logs, the shell and the tests.
 * Output polls the transmitter; input arrives by interrupt into a small
 * ring so that the shell can sleep with HLT instead of spinning.
 */
#include "arch/x86/pc.h"
#include "kernel/arch_hooks.h"
#include "mm/platform.h"

#define COM1		0x3f8
#define REG_DATA	0
#define REG_IER		1
#define REG_FCR		2
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define REG_SCRATCH	7
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20
#define IRQ_COM1	4

static bool present;
static char rx_ring[256];
static volatile unsigned rx_head, rx_tail;

static void serial_irq(unsigned irq)
{
	unsigned before = rx_head;

	(void)irq;
	while (inb(COM1 + REG_LSR) & LSR_DATA_READY) {
		char c = inb(COM1 + REG_DATA);
		if (rx_head - rx_tail < sizeof(rx_ring))
			rx_ring[rx_head++ % sizeof(rx_ring)] = c;
	}
	if (rx_head != before)
		console_input_arrived();
}

void serial_init(void)
{
	outb(COM1 + REG_SCRATCH, 0x5a);		/* is there a UART at all? */
	if (inb(COM1 + REG_SCRATCH) != 0x5a)
		return;
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x80);		/* divisor latch */
	outb(COM1 + REG_DATA, 1);		/* 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03);		/* 8N1 */
	outb(COM1 + REG_FCR, 0xc7);		/* FIFOs on, cleared, 14-byte trigger */
	outb(COM1 + REG_MCR, 0x0b);		/* DTR, RTS, OUT2 (IRQs to the PIC) */
	present = true;
}

void serial_enable_rx_irq(void)
{
	if (!present)
		return;
	irq_register(IRQ_COM1, serial_irq);
	outb(COM1 + REG_IER, 0x01);		/* received-data interrupt */
	pic_unmask(IRQ_COM1);
}

bool serial_present(void)
{
	return present;
}

void serial_putc(char c)
{
	if (!present)
		return;
	for (unsigned spins = 0; !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY) && spins < 100000; spins++)
		__asm__ volatile("pause");
	outb(COM1 + REG_DATA, c);
}

bool serial_rx_ready(void)
{
	return rx_head != rx_tail || (present && (inb(COM1 + REG_LSR) & LSR_DATA_READY));
}

int serial_getc(void)
{
	unsigned long flags = plat_irq_save();
	int c = -1;

	if (rx_head == rx_tail && present && (inb(COM1 + REG_LSR) & LSR_DATA_READY))
		serial_irq(IRQ_COM1);		/* polled, before interrupts are on */
	if (rx_head != rx_tail)
		c = (unsigned char)rx_ring[rx_tail++ % sizeof(rx_ring)];
	plat_irq_restore(flags);
	return c;
}
