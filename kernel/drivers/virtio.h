/* SPDX-License-Identifier: MIT */
/*
 * Virtio (OASIS virtio 1.x, section 4.1.4.8 "legacy interfaces"): devices
 * found on PCI and driven through the legacy I/O-port register block of
 * BAR0, which QEMU's transitional devices (its default) offer beside the
 * modern one, and split virtqueues in the legacy layout.
 *
 * Lock order: a driver's lock -> its virtqueue's (vq->lock). A driver
 * either polls the used ring or takes the device's interrupt
 * (virtio_irq_attach(); see virtqueue.c).
 */
#ifndef KERNEL_DRIVERS_VIRTIO_H
#define KERNEL_DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/drivers/pci.h"
#include "mm/spinlock.h"
#include "mm/types.h"

#define VIRTIO_PCI_VENDOR		0x1af4
/* PCI device ids of transitional devices (legacy ids: a list, not a formula). */
#define VIRTIO_PCI_ID_BLOCK		0x1001
#define VIRTIO_PCI_ID_BALLOON		0x1002

/* Legacy register block in I/O BAR0 (without MSI-X). */
#define VIRTIO_PCI_HOST_FEATURES	0x00
#define VIRTIO_PCI_GUEST_FEATURES	0x04
#define VIRTIO_PCI_QUEUE_PFN		0x08
#define VIRTIO_PCI_QUEUE_NUM		0x0c
#define VIRTIO_PCI_QUEUE_SEL		0x0e
#define VIRTIO_PCI_QUEUE_NOTIFY		0x10
#define VIRTIO_PCI_STATUS		0x12
#define VIRTIO_PCI_ISR			0x13
#define VIRTIO_PCI_CONFIG		0x14
#define VIRTIO_PCI_QUEUE_ADDR_SHIFT	12
#define VIRTIO_LEGACY_VRING_ALIGN	4096

#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FAILED		128

/* Split virtqueue structures (little endian, as x86 is). */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2	/* the device writes this buffer */
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/* A device on the legacy PCI transport. */
struct virtio_dev {
	struct pci_dev *pci;
	uint16_t iobase;
	uint32_t features;	/* accepted: offered & wanted */
};

/* One buffer of a request: physical address and length. */
struct vq_buf {
	phys_addr_t pa;
	uint32_t len;
	bool device_writes;
};

struct virtqueue {
	struct virtio_dev *vdev;
	uint16_t index, size;
	uint16_t free_head, num_free, last_used;
	struct vring_desc *desc;
	struct vring_avail *avail;
	volatile struct vring_used *used;
	void **cookie;		/* per head descriptor */
	phys_addr_t ring_pa;
	unsigned ring_order;
	spinlock_t lock;
};

/* Transport (virtio_pci.c). */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci, uint32_t wanted);
void virtio_driver_ok(struct virtio_dev *vd);
void virtio_fail(struct virtio_dev *vd);
uint8_t virtio_cfg_read8(struct virtio_dev *vd, unsigned off);
uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off);
uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off);
void virtio_cfg_write32(struct virtio_dev *vd, unsigned off, uint32_t v);
uint8_t virtio_isr_ack(struct virtio_dev *vd);
/* Call @fn (interrupt context, ISR bits acknowledged) when @vd interrupts: 0, -ENODEV, -ENOMEM. */
int virtio_irq_attach(struct virtio_dev *vd, void (*fn)(struct virtio_dev *vd, uint8_t isr, void *arg),
		      void *arg);
void virtio_notify(struct virtio_dev *vd, uint16_t queue);
/* Selects queue @index and returns its size (0: the device has no such queue). */
uint16_t virtio_queue_select(struct virtio_dev *vd, uint16_t index);
/* Gives the selected queue its ring at page frame @pfn (0 takes it away). */
void virtio_queue_set_pfn(struct virtio_dev *vd, uint32_t pfn);
/* Finds the next unclaimed transitional device with PCI id @id after @from. */
struct pci_dev *virtio_pci_find(uint16_t id, struct pci_dev *from);

/* Virtqueues (virtqueue.c). */
struct virtqueue *vq_setup(struct virtio_dev *vd, uint16_t index);
void vq_destroy(struct virtqueue *vq);
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *cookie);
void vq_kick(struct virtqueue *vq);
void *vq_get_used(struct virtqueue *vq, uint32_t *len);
/* Same, for a caller holding vq->lock. */
void *vq_get_used_locked(struct virtqueue *vq, uint32_t *len);
/* Caller holds vq->lock: make a chain available (vq_add() without the lock). */
int vq_add_locked(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *cookie);
/* Ask the device to interrupt when it uses a buffer (off after vq_setup()). */
void vq_enable_interrupts(struct virtqueue *vq);
/* Adds, kicks and spins until the device has used this very chain. */
int vq_run_sync(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, uint32_t *len);

#endif
