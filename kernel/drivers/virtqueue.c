// SPDX-License-Identifier: MIT
/*
 * Split virtqueues in the legacy layout: descriptor table, then the
 * available ring, then (at the next 4 KiB boundary) the used ring, in one
 * physically contiguous block from the PMM, below 4 GiB << 12 as the 32-bit
 * page-frame register requires.
 *
 * Completion: a driver either polls the used ring (vq_run_sync(): the
 * balloon, whose requests are rare) or enables the queue's interrupt and
 * reaps the ring from its handler (virtio-blk, whose callers sleep until
 * their request is done). Queues start with the device told not to
 * interrupt (VRING_AVAIL_F_NO_INTERRUPT).
 */
#include "kernel/drivers/virtio.h"
#include "kernel/lib.h"
#include "kernel/errno.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

static size_t vring_bytes(uint16_t n)
{
	size_t first = sizeof(struct vring_desc) * n + sizeof(struct vring_avail) +
		       sizeof(uint16_t) * (n + 1u);
	first = (first + VIRTIO_LEGACY_VRING_ALIGN - 1) & ~(size_t)(VIRTIO_LEGACY_VRING_ALIGN - 1);
	return first + sizeof(struct vring_used) + sizeof(struct vring_used_elem) * n +
	       sizeof(uint16_t);
}

static unsigned order_for(size_t bytes)
{
	unsigned order = 0;

	while (((size_t)PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/**
 * vq_setup() - allocate queue @index's ring and hand it to the device
 * @vd: the device, after virtio_pci_init()
 * @index: queue number
 *
 * Return: the queue, or NULL (no such queue, or out of memory).
 */
struct virtqueue *vq_setup(struct virtio_dev *vd, uint16_t index)
{
	uint16_t n = virtio_queue_select(vd, index);

	if (!n || (n & (n - 1)))
		return NULL;
	struct virtqueue *vq = kzalloc(sizeof(*vq));
	if (!vq)
		return NULL;
	vq->cookie = kcalloc(n, sizeof(void *));
	vq->ring_order = order_for(vring_bytes(n));
	vq->ring_pa = vq->cookie && vq->ring_order <= PMM_MAX_ORDER ?
		pmm_alloc_pages(vq->ring_order, PMM_ZERO | PMM_ZONE_DMA32) : PMM_NO_FRAME;
	if (vq->ring_pa == PMM_NO_FRAME) {
		kfree(vq->cookie);
		kfree(vq);
		return NULL;
	}
	uint8_t *ring = plat_phys_to_virt(vq->ring_pa);
	size_t used_off = vring_bytes(n) - sizeof(struct vring_used) -
			  sizeof(struct vring_used_elem) * n - sizeof(uint16_t);
	vq->vdev = vd;
	vq->index = index;
	vq->size = vq->num_free = n;
	vq->desc = (struct vring_desc *)ring;
	vq->avail = (struct vring_avail *)(ring + sizeof(struct vring_desc) * n);
	vq->used = (struct vring_used *)(ring + used_off);
	vq->lock = (spinlock_t)SPINLOCK_INIT;
	for (uint16_t i = 0; i + 1 < n; i++)
		vq->desc[i].next = i + 1;
	vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	virtio_queue_set_pfn(vd, (uint32_t)(vq->ring_pa >> VIRTIO_PCI_QUEUE_ADDR_SHIFT));
	return vq;
}

/* Takes the ring back from the device (reset it first) and frees it. */
void vq_destroy(struct virtqueue *vq)
{
	if (!vq)
		return;
	virtio_queue_select(vq->vdev, vq->index);
	virtio_queue_set_pfn(vq->vdev, 0);
	pmm_free_pages(vq->ring_pa, vq->ring_order);
	kfree(vq->cookie);
	kfree(vq);
}

/* Caller holds vq->lock. */
int vq_add_locked(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *cookie)
{
	if (!n || n > vq->num_free)
		return -ENOSPC;
	uint16_t head = vq->free_head, i = head, last = head;

	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &vq->desc[i];

		d->addr = bufs[k].pa;
		d->len = bufs[k].len;
		d->flags = (bufs[k].device_writes ? VRING_DESC_F_WRITE : 0) |
			   (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		last = i;
		i = d->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free -= n;
	vq->cookie[head] = cookie;
	vq->avail->ring[vq->avail->idx & (vq->size - 1)] = head;
	/* The device must see the descriptors before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->avail->idx++;
	return head;
}

/**
 * vq_add() - make a chain of @n buffers available to the device
 * @vq: the queue
 * @bufs: device-readable buffers first, then device-writable ones
 * @n: how many
 * @cookie: returned by vq_get_used() when the device is done (not NULL)
 *
 * Return: the head descriptor's index, or -ENOSPC if the ring is full.
 */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *cookie)
{
	unsigned long flags = spin_lock_irqsave(&vq->lock);
	int r = vq_add_locked(vq, bufs, n, cookie);

	spin_unlock_irqrestore(&vq->lock, flags);
	return r;
}

void vq_enable_interrupts(struct virtqueue *vq)
{
	__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELEASE);
}

void vq_kick(struct virtqueue *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	virtio_notify(vq->vdev, vq->index);
}

/* Caller holds vq->lock. Frees the chain at @head. */
static void free_chain(struct virtqueue *vq, uint16_t head)
{
	uint16_t i = head;

	vq->num_free++;
	while (vq->desc[i].flags & VRING_DESC_F_NEXT) {
		i = vq->desc[i].next;
		vq->num_free++;
	}
	vq->desc[i].next = vq->free_head;
	vq->free_head = head;
	vq->cookie[head] = NULL;
}

void *vq_get_used_locked(struct virtqueue *vq, uint32_t *len)
{
	if (vq->last_used == __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE))
		return NULL;
	const volatile struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	uint32_t id = e->id;

	if (len)
		*len = e->len;
	vq->last_used++;
	if (id >= vq->size || !vq->cookie[id]) {
		kprintf("virtio: queue %u: device returned bad descriptor %u\n", vq->index, id);
		return NULL;
	}
	void *cookie = vq->cookie[id];
	free_chain(vq, (uint16_t)id);
	return cookie;
}

/**
 * vq_get_used() - the next chain the device has finished with
 * @vq: the queue
 * @len: set to the bytes the device wrote, if not NULL
 *
 * Return: the chain's cookie, or NULL if none is done yet.
 */
void *vq_get_used(struct virtqueue *vq, uint32_t *len)
{
	unsigned long flags = spin_lock_irqsave(&vq->lock);
	void *cookie = vq_get_used_locked(vq, len);

	spin_unlock_irqrestore(&vq->lock, flags);
	return cookie;
}

/**
 * vq_run_sync() - run one request to completion
 * @vq: a queue no one else completes asynchronously
 * @bufs: the chain
 * @n: its length
 * @len: bytes the device wrote, if not NULL
 *
 * The queue's lock is held throughout, so requests of several CPUs queue
 * behind each other; each spins only for its own.
 *
 * Return: 0, or -ENOSPC if the chain can never fit.
 */
int vq_run_sync(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, uint32_t *len)
{
	static char token;
	unsigned long flags = spin_lock_irqsave(&vq->lock);
	int r = vq_add_locked(vq, bufs, n, &token);

	if (r >= 0) {
		vq_kick(vq);
		while (!vq_get_used_locked(vq, len))
			plat_cpu_relax();
		r = 0;
	}
	spin_unlock_irqrestore(&vq->lock, flags);
	return r;
}
