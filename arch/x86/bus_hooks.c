// SPDX-License-Identifier: MIT
/*
 * The device drivers' hooks (kernel/drivers/bus_hooks.h) on the PC: PCI
 * configuration mechanism #1 (address to 0xCF8, data at 0xCFC; Intel's
 * chipsets and QEMU's i440FX and Q35 have it), port I/O, the 8259 PICs.
 */
#include "arch/x86/io.h"
#include "arch/x86/pc.h"
#include "kernel/drivers/bus_hooks.h"
#include "mm/spinlock.h"

#define PCI_CONF_ADDR	0xcf8
#define PCI_CONF_DATA	0xcfc
#define PCI_CONF_ENABLE	0x80000000u

/* The address/data pair is one shared register: one access at a time. */
static spinlock_t pci_conf_lock = SPINLOCK_INIT;

static uint32_t conf_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return PCI_CONF_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

uint32_t arch_pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	unsigned long flags = spin_lock_irqsave(&pci_conf_lock);

	outl(PCI_CONF_ADDR, conf_addr(bus, dev, fn, off));
	uint32_t v = inl(PCI_CONF_DATA);
	spin_unlock_irqrestore(&pci_conf_lock, flags);
	return v;
}

void arch_pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	unsigned long flags = spin_lock_irqsave(&pci_conf_lock);

	outl(PCI_CONF_ADDR, conf_addr(bus, dev, fn, off));
	outl(PCI_CONF_DATA, v);
	spin_unlock_irqrestore(&pci_conf_lock, flags);
}

uint8_t arch_port_in8(uint16_t port) { return inb(port); }
uint16_t arch_port_in16(uint16_t port) { return inw(port); }
uint32_t arch_port_in32(uint16_t port) { return inl(port); }
void arch_port_out8(uint16_t port, uint8_t v) { outb(port, v); }
void arch_port_out16(uint16_t port, uint16_t v) { outw(port, v); }
void arch_port_out32(uint16_t port, uint32_t v) { outl(port, v); }

void arch_irq_attach(unsigned line, void (*fn)(unsigned line))
{
	irq_register(line, fn);
	pic_unmask(line);
}
