/* SPDX-License-Identifier: MIT */
/*
 * PCI: the devices found by walking configuration space from bus 0 through
 * every PCI-to-PCI bridge, each with its identity, its interrupt line and
 * its base-address registers (sized at enumeration).
 *
 * Lock order: enumeration runs once at boot, before any driver; afterwards
 * the device list is read-only. Configuration accesses are serialised by
 * the architecture's hook.
 */
#ifndef KERNEL_DRIVERS_PCI_H
#define KERNEL_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Configuration-space header (type 0 and the common part of type 1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08
#define PCI_PROG_IF		0x09
#define PCI_SUBCLASS		0x0a
#define PCI_CLASS		0x0b
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SECONDARY_BUS	0x19	/* type 1 (bridge) */
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_CMD_IO		(1u << 0)
#define PCI_CMD_MEMORY		(1u << 1)
#define PCI_CMD_BUS_MASTER	(1u << 2)
#define PCI_CMD_INTX_DISABLE	(1u << 10)

#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_HEADER_MULTIFN	0x80
#define PCI_HEADER_BRIDGE	0x01
#define PCI_CLASS_BRIDGE	0x06
#define PCI_SUBCLASS_PCI_BRIDGE	0x04

#define PCI_NUM_BARS		6
#define PCI_NO_VENDOR		0xffff

struct pci_bar {
	uint64_t base;		/* bus address (port number for I/O BARs) */
	uint64_t size;		/* 0: not implemented */
	bool io;		/* I/O space, else memory space */
	bool is64;		/* takes this slot and the next */
	bool prefetch;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint8_t class, subclass, prog_if, revision;
	uint8_t irq_line;	/* legacy INTx line as the firmware routed it; 0xff none */
	uint8_t irq_pin;	/* 0 none, 1..4 INTA..INTD */
	struct pci_bar bar[PCI_NUM_BARS];
	bool claimed;		/* a driver owns it */
	struct pci_dev *next;
};

/* Walks the buses once (later calls do nothing); returns devices found. */
unsigned pci_init(void);

/**
 * pci_find() - the next device after @from with this vendor and device id
 * @vendor: vendor id
 * @device: device id, or 0xffff for any of the vendor's
 * @from: NULL to start at the first device
 *
 * Return: the device, or NULL.
 */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from);

/* The first device, for walking with ->next. */
struct pci_dev *pci_first(void);

uint8_t pci_read8(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);

/* Sets bits of the command register (PCI_CMD_*). */
void pci_enable(const struct pci_dev *d, uint16_t cmd_bits);

/* Offset of capability @id in the capability list, 0 if absent. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned start);

/* The shell's `lspci`: one line per device. */
void pci_print(void);

#endif
