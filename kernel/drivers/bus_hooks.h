/* SPDX-License-Identifier: MIT */
/*
 * What the device drivers need from the architecture: PCI configuration
 * space, I/O ports and a legacy interrupt line. Each architecture provides
 * these (the x86 kernels in arch/x86/bus_hooks.c: configuration mechanism #1
 * at ports 0xCF8/0xCFC, in/out instructions, the 8259 PICs); the drivers
 * never touch a port or a register of the platform themselves.
 */
#ifndef KERNEL_DRIVERS_BUS_HOOKS_H
#define KERNEL_DRIVERS_BUS_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

/* PCI configuration space: a 32-bit register at @off (4-aligned, < 256). */
uint32_t arch_pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void arch_pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);

/* The I/O-port space (PCI I/O BARs). */
uint8_t arch_port_in8(uint16_t port);
uint16_t arch_port_in16(uint16_t port);
uint32_t arch_port_in32(uint16_t port);
void arch_port_out8(uint16_t port, uint8_t v);
void arch_port_out16(uint16_t port, uint16_t v);
void arch_port_out32(uint16_t port, uint32_t v);

/*
 * Calls @fn (interrupts off) on legacy interrupt line @line (PCI's
 * interrupt-line register) and unmasks the line. One handler per line: the
 * caller dispatches among devices sharing it (virtio_pci.c does).
 */
void arch_irq_attach(unsigned line, void (*fn)(unsigned line));

#endif
