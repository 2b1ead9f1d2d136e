// SPDX-License-Identifier: MIT
/* The console: output to the serial line and the screen, input from serial. */
#include "arch.h"
#include "kernel/fs/poll.h"
#include "kernel/lib.h"
#include "kernel/task.h"

void console_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	serial_putc(c);
	vga_putc(c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}

/* Waiting for a key lets other tasks run, or the CPU sleep until an interrupt. */
int console_getc(void)
{
	int c;

	while ((c = serial_getc()) < 0) {
		if (sched_others_runnable())
			yield();
		else
			sti_hlt();
	}
	return c;
}

bool console_input_ready(void)
{
	return serial_rx_ready();
}

/* The serial interrupt stored input: pollers of the console look again. */
void console_input_arrived(void)
{
	poll_wake();
}
