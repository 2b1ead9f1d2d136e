// SPDX-License-Identifier: MIT
/* Rebooting, powering off, and telling QEMU the test result. */
#include "arch.h"

#define QEMU_DEBUG_EXIT_PORT	0xf4

void qemu_debug_exit(uint8_t code)
{
	outb(QEMU_DEBUG_EXIT_PORT, code);
}

_Noreturn void cpu_halt_forever(void)
{
	for (;;) {
		cli();
		hlt();
	}
}

_Noreturn void machine_reboot(void)
{
	cli();
	for (unsigned i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);		/* keyboard controller: pulse reset */
	struct {
		uint16_t limit;
		uintptr_t base;
	} __attribute__((packed)) none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(none));	/* else triple fault */
	cpu_halt_forever();
}

_Noreturn void machine_poweroff(void)
{
	cli();
	outw(0x604, 0x2000);		/* QEMU's ACPI PM1a control (pc and q35) */
	outw(0xb004, 0x2000);		/* older QEMU and Bochs */
	cpu_halt_forever();
}
