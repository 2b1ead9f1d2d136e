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
