// SPDX-License-Identifier: MIT
/*
 * PCI enumeration: a depth-first walk from bus 0 that follows bridges to
 * their secondary buses, so only buses that exist are scanned (a brute-force
 * walk of 256 buses costs 65536 configuration reads, each a VM exit).
 */
#include "kernel/drivers/bus_hooks.h"
#include "kernel/drivers/pci.h"
#include "kernel/lib.h"
#include "mm/heap.h"

static struct pci_dev *devices;
static struct pci_dev **devices_tail = &devices;
static bool enumerated;
static unsigned ndevices;

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	return arch_pci_cfg_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_read32(d, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return (uint8_t)(pci_read32(d, off & ~3u) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	arch_pci_cfg_write32(d->bus, d->dev, d->fn, off, v);
}

/* Read-modify-write of the dword; the status half (RW1C) is written as 0. */
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	unsigned shift = (off & 2) * 8;
	uint32_t old = pci_read32(d, off & ~3u);

	if ((off & ~3u) == PCI_COMMAND)
		old &= 0x0000ffffu;
	old &= ~(0xffffu << shift);
	pci_write32(d, off & ~3u, old | (uint32_t)v << shift);
}

void pci_enable(const struct pci_dev *d, uint16_t cmd_bits)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | cmd_bits);
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned start)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned off = start ? pci_read8(d, start + 1) : pci_read8(d, PCI_CAP_PTR);

	/* At most 48 capabilities fit in 192 bytes: a loop in the list ends there. */
	for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
		off &= ~3u;
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

/*
 * Sizes BAR @i by writing all ones and reading back which address bits
 * stick, with decoding off meanwhile so the probe address is never live.
 * Returns how many slots it used (2 for a 64-bit memory BAR).
 */
static unsigned size_bar(struct pci_dev *d, unsigned i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off);
	struct pci_bar *b = &d->bar[i];

	pci_write32(d, off, 0xffffffffu);
	uint32_t mask = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (lo & 1) {
		b->io = true;
		b->base = lo & ~3u;
		mask &= 0xfffcu;
		b->size = mask ? (uint16_t)(~mask + 1) : 0;
		return 1;
	}
	b->prefetch = lo & 8;
	b->base = lo & ~0xfu;
	uint64_t m = mask & ~0xfu;
	if (((lo >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS) {
		uint32_t hi = pci_read32(d, off + 4);

		pci_write32(d, off + 4, 0xffffffffu);
		uint32_t mhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
		b->is64 = true;
		b->base |= (uint64_t)hi << 32;
		m |= (uint64_t)mhi << 32;
		b->size = m ? ~m + 1 : 0;
		return 2;
	}
	b->size = m ? (uint32_t)(~(uint32_t)m + 1) : 0;
	return 1;
}

static void read_bars(struct pci_dev *d, unsigned nbars)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (unsigned i = 0; i < nbars;)
		i += size_bar(d, i);
	pci_write16(d, PCI_COMMAND, cmd);
}

static void scan_bus(unsigned bus, unsigned depth);

static void add_function(unsigned bus, unsigned dev, unsigned fn, unsigned depth)
{
	struct pci_dev probe = { .bus = bus, .dev = dev, .fn = fn };
	uint32_t id = pci_read32(&probe, PCI_VENDOR_ID);

	if ((id & 0xffff) == PCI_NO_VENDOR)
		return;
	struct pci_dev *d = kzalloc(sizeof(*d));
	if (!d) {
		kprintf("pci: out of memory at %02x:%02x.%u; later devices ignored\n",
			bus, dev, fn);
		return;
	}
	*d = probe;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	uint32_t class = pci_read32(d, PCI_REVISION);
	d->revision = class & 0xff;
	d->prog_if = class >> 8;
	d->subclass = class >> 16;
	d->class = class >> 24;
	uint8_t hdr = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	if (hdr == 0) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_id = pci_read16(d, PCI_SUBSYS_ID);
	}
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	read_bars(d, hdr == 0 ? 6 : hdr == PCI_HEADER_BRIDGE ? 2 : 0);
	*devices_tail = d;
	devices_tail = &d->next;
	ndevices++;
	/* A bridge's buses are numbered by the firmware; 8 levels is plenty. */
	if (hdr == PCI_HEADER_BRIDGE && d->class == PCI_CLASS_BRIDGE &&
	    d->subclass == PCI_SUBCLASS_PCI_BRIDGE && depth < 8) {
		unsigned sec = pci_read8(d, PCI_SECONDARY_BUS);
		if (sec > bus)
			scan_bus(sec, depth + 1);
	}
}

static void scan_bus(unsigned bus, unsigned depth)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		struct pci_dev probe = { .bus = bus, .dev = dev };

		if (pci_read16(&probe, PCI_VENDOR_ID) == PCI_NO_VENDOR)
			continue;
		unsigned nfn = pci_read8(&probe, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFN ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++)
			add_function(bus, dev, fn, depth);
	}
}

unsigned pci_init(void)
{
	if (enumerated)
		return ndevices;
	enumerated = true;
	scan_bus(0, 0);
	return ndevices;
}

struct pci_dev *pci_first(void)
{
	return devices;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from)
{
	for (struct pci_dev *d = from ? from->next : devices; d; d = d->next)
		if (d->vendor == vendor && (device == 0xffff || d->device == device))
			return d;
	return NULL;
}

void pci_print(void)
{
	for (struct pci_dev *d = devices; d; d = d->next) {
		kprintf("pci %02x:%02x.%u %04x:%04x class %02x.%02x.%02x irq %u",
			d->bus, d->dev, d->fn, d->vendor, d->device, d->class,
			d->subclass, d->prog_if, d->irq_line);
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].size)
				kprintf(" bar%u %s %#lx+%#lx", i, d->bar[i].io ? "io" : "mem",
					(unsigned long)d->bar[i].base,
					(unsigned long)d->bar[i].size);
		kprintf("\n");
	}
}
