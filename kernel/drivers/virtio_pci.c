// SPDX-License-Identifier: MIT
/*
 * The legacy virtio PCI transport: one I/O-port register block in BAR0.
 * Initialisation follows the spec's order: reset, ACKNOWLEDGE, DRIVER,
 * feature negotiation, queues, DRIVER_OK.
 */
#include "kernel/drivers/bus_hooks.h"
#include "kernel/drivers/virtio.h"
#include "kernel/lib.h"
#include "kernel/errno.h"
#include "mm/heap.h"

struct pci_dev *virtio_pci_find(uint16_t id, struct pci_dev *from)
{
	struct pci_dev *d = from;

	while ((d = pci_find(VIRTIO_PCI_VENDOR, id, d)))
		if (!d->claimed)
			return d;
	return NULL;
}

static void set_status(struct virtio_dev *vd, uint8_t bits)
{
	uint16_t reg = vd->iobase + VIRTIO_PCI_STATUS;

	arch_port_out8(reg, bits ? arch_port_in8(reg) | bits : 0);
}

/**
 * virtio_pci_init() - reset a transitional device and negotiate features
 * @vd: filled in
 * @pci: the device (a transitional id with an I/O BAR0)
 * @wanted: feature bits the driver understands
 *
 * Return: 0, or -ENODEV if the device has no legacy register block.
 */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint32_t wanted)
{
	if (!pci->bar[0].io || pci->bar[0].size < VIRTIO_PCI_CONFIG)
		return -ENODEV;
	vd->pci = pci;
	vd->iobase = (uint16_t)pci->bar[0].base;
	pci_enable(pci, PCI_CMD_IO | PCI_CMD_BUS_MASTER | PCI_CMD_INTX_DISABLE);
	set_status(vd, 0);
	set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(vd, VIRTIO_STATUS_DRIVER);
	vd->features = arch_port_in32(vd->iobase + VIRTIO_PCI_HOST_FEATURES) & wanted;
	arch_port_out32(vd->iobase + VIRTIO_PCI_GUEST_FEATURES, vd->features);
	pci->claimed = true;
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	set_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

/* Tells the device we gave up on it; it stays claimed and unused. */
void virtio_fail(struct virtio_dev *vd)
{
	set_status(vd, VIRTIO_STATUS_FAILED);
}

uint8_t virtio_cfg_read8(struct virtio_dev *vd, unsigned off)
{
	return arch_port_in8(vd->iobase + VIRTIO_PCI_CONFIG + off);
}

uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off)
{
	return arch_port_in32(vd->iobase + VIRTIO_PCI_CONFIG + off);
}

/* Two halves: read until the high half is stable, as it may change between. */
uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off)
{
	uint32_t hi, lo;

	do {
		hi = virtio_cfg_read32(vd, off + 4);
		lo = virtio_cfg_read32(vd, off);
	} while (hi != virtio_cfg_read32(vd, off + 4));
	return (uint64_t)hi << 32 | lo;
}

void virtio_cfg_write32(struct virtio_dev *vd, unsigned off, uint32_t v)
{
	arch_port_out32(vd->iobase + VIRTIO_PCI_CONFIG + off, v);
}

/* Reading the ISR acknowledges it (and lowers the INTx line). */
uint8_t virtio_isr_ack(struct virtio_dev *vd)
{
	return arch_port_in8(vd->iobase + VIRTIO_PCI_ISR);
}

void virtio_notify(struct virtio_dev *vd, uint16_t queue)
{
	arch_port_out16(vd->iobase + VIRTIO_PCI_QUEUE_NOTIFY, queue);
}

uint16_t virtio_queue_select(struct virtio_dev *vd, uint16_t index)
{
	arch_port_out16(vd->iobase + VIRTIO_PCI_QUEUE_SEL, index);
	return arch_port_in16(vd->iobase + VIRTIO_PCI_QUEUE_NUM);
}

void virtio_queue_set_pfn(struct virtio_dev *vd, uint32_t pfn)
{
	arch_port_out32(vd->iobase + VIRTIO_PCI_QUEUE_PFN, pfn);
}

/*
 * Interrupts. Devices on one legacy line share it (INTx is level-triggered
 * and wired-OR on PCI): the line's handler asks each of them, by reading its
 * ISR (which also lowers its line), whether it interrupted. The lists are
 * built while drivers probe and only read afterwards.
 */
#define VIRTIO_IRQ_LINES	16

struct virtio_irq {
	struct virtio_dev *vd;
	void (*fn)(struct virtio_dev *vd, uint8_t isr, void *arg);
	void *arg;
	struct virtio_irq *next;
};

static struct virtio_irq *irq_lines[VIRTIO_IRQ_LINES];

static void virtio_line_irq(unsigned line)
{
	for (struct virtio_irq *h = __atomic_load_n(&irq_lines[line], __ATOMIC_ACQUIRE); h;
	     h = h->next) {
		uint8_t isr = virtio_isr_ack(h->vd);

		if (isr)
			h->fn(h->vd, isr, h->arg);
	}
}

/**
 * virtio_irq_attach() - call @fn when @vd interrupts
 * @vd: the device, initialised
 * @fn: called in interrupt context with the ISR bits read (acknowledged)
 * @arg: passed to @fn
 *
 * Enables the device's INTx (virtio_pci_init() leaves it disabled).
 *
 * Return: 0; -ENODEV (no usable legacy line: the driver must poll); -ENOMEM.
 */
int virtio_irq_attach(struct virtio_dev *vd, void (*fn)(struct virtio_dev *, uint8_t, void *),
		      void *arg)
{
	unsigned line = vd->pci->irq_line;

	if (!vd->pci->irq_pin || line >= VIRTIO_IRQ_LINES)
		return -ENODEV;
	struct virtio_irq *h = kzalloc(sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->vd = vd;
	h->fn = fn;
	h->arg = arg;
	h->next = irq_lines[line];
	__atomic_store_n(&irq_lines[line], h, __ATOMIC_RELEASE);
	if (!h->next)
		arch_irq_attach(line, virtio_line_irq);
	pci_write16(vd->pci, PCI_COMMAND,
		    pci_read16(vd->pci, PCI_COMMAND) & ~PCI_CMD_INTX_DISABLE);
	return 0;
}
