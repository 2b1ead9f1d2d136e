// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.x section 5.2): each request is a chain of a header
 * (type, sector), the data, and a status byte the device writes. Headers
 * and status bytes live in a page of the PMM owned by the disk, one slot
 * per request in flight, so every buffer the device touches has a
 * physical address; the data is the caller's frames.
 *
 * Requests run concurrently: a caller takes a slot, queues its chain,
 * kicks the device and waits for its own request. A caller that may sleep
 * (a task with interrupts on, so holding no spinlock: swap I/O is done
 * outside the address space's locks) sleeps until the device's interrupt
 * reaps the used ring and wakes it; one with interrupts off (a kernel-mode
 * fault, boot before the scheduler, a disk without a usable interrupt line)
 * polls the used ring, completing everyone's requests it finds there.
 *
 * Lock order: the queue's lock (vq->lock: ring, slots, done flags) ->
 * the scheduler's (wakeups).
 */
#include "kernel/drivers/blkdev.h"
#include "kernel/drivers/drivers.h"
#include "kernel/drivers/virtio.h"
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/task.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

#define VIRTIO_BLK_F_SIZE_MAX	(1u << 1)
#define VIRTIO_BLK_F_SEG_MAX	(1u << 2)
#define VIRTIO_BLK_F_RO		(1u << 5)
#define VIRTIO_BLK_F_FLUSH	(1u << 9)

/* Device configuration (legacy layout). */
#define VIRTIO_BLK_CFG_CAPACITY	0
#define VIRTIO_BLK_CFG_SIZE_MAX	8
#define VIRTIO_BLK_CFG_SEG_MAX	12

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_ISR_QUEUE	1	/* the ISR's "a queue was used" bit */

/* Longest chain we build: header, data pieces, status. */
#define VBLK_MAX_SEGS		32
#define VBLK_DEFAULT_SEG	(1u << 20)

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* What the device reads and writes for one request: a slot of the DMA page. */
struct vblk_dma {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
	uint8_t pad[15];
};

#define VBLK_SLOTS	(PAGE_SIZE / sizeof(struct vblk_dma))	/* requests in flight at most */

struct vblk {
	struct blkdev bd;
	struct virtio_dev vd;
	struct virtqueue *vq;
	phys_addr_t dma_pa;		/* VBLK_SLOTS slots */
	volatile struct vblk_dma *dma;
	uint32_t seg_bytes;		/* largest data piece */
	unsigned max_segs;		/* data pieces per request */
	bool irq;			/* the device interrupts us: callers may sleep */
	/* Under vq->lock: */
	unsigned nfree, waiting;	/* free slots; tasks asleep for one */
	uint8_t free[VBLK_SLOTS];
	volatile bool done[VBLK_SLOTS];	/* a request's cookie points at its flag */
};

_Static_assert(sizeof(struct vblk_dma) == 32, "DMA slot layout");

/* Mark every request the device has finished done, and wake its task (vq->lock held). */
static void reap_locked(struct vblk *v)
{
	volatile bool *done;

	while ((done = vq_get_used_locked(v->vq, NULL)) != NULL) {
		*done = true;
		if (v->irq)
			wakeup((const void *)done);
	}
}

static void vblk_irq(struct virtio_dev *vd, uint8_t isr, void *arg)
{
	struct vblk *v = arg;

	(void)vd;
	if (!(isr & VIRTIO_ISR_QUEUE))
		return;
	unsigned long fl = spin_lock_irqsave(&v->vq->lock);
	v->bd.irqs++;
	reap_locked(v);
	spin_unlock_irqrestore(&v->vq->lock, fl);
}

/* Can the calling context sleep: a task with interrupts on (so no spinlock held)? */
static bool may_sleep(const struct vblk *v)
{
	return v->irq && current() && (read_rflags() & RFLAGS_IF);
}

/*
 * Wait for @chan's condition (vq->lock held, taken with saved flags @fl):
 * asleep until a wakeup, or by polling the ring. Returns with the lock held.
 */
static void wait_locked(struct vblk *v, const void *chan, bool sleep, unsigned long fl)
{
	if (sleep) {
		v->bd.slept++;
		sleep_on_unlock(chan, &v->vq->lock);
	} else {
		spin_unlock_irqrestore(&v->vq->lock, fl);
		plat_cpu_relax();
	}
	spin_lock_irqsave(&v->vq->lock);	/* interrupts as @fl says when released */
	reap_locked(v);
}

/* Run one request of @nb data pieces in @bufs[1..nb]; slots 0 and nb+1 are filled here. */
static int run_request(struct vblk *v, uint32_t type, uint64_t sector, struct vq_buf *bufs,
		       unsigned nb)
{
	bool sleep = may_sleep(v);
	unsigned long fl = spin_lock_irqsave(&v->vq->lock);

	reap_locked(v);
	while (!v->nfree || v->vq->num_free < nb + 2) {
		v->waiting += sleep;
		wait_locked(v, &v->waiting, sleep, fl);
		v->waiting -= sleep;
	}
	unsigned slot = v->free[--v->nfree];
	volatile struct vblk_dma *d = &v->dma[slot];
	phys_addr_t pa = v->dma_pa + slot * sizeof(*d);

	d->hdr.type = type;
	d->hdr.reserved = 0;
	d->hdr.sector = sector;
	d->status = 0xff;
	v->done[slot] = false;
	bufs[0] = (struct vq_buf){ pa, sizeof(d->hdr), false };
	bufs[nb + 1] = (struct vq_buf){ pa + offsetof(struct vblk_dma, status), 1, true };
	int r = vq_add_locked(v->vq, bufs, nb + 2, (void *)&v->done[slot]);

	if (r >= 0) {
		vq_kick(v->vq);
		while (!v->done[slot])
			wait_locked(v, (const void *)&v->done[slot], sleep, fl);
		r = d->status == VIRTIO_BLK_S_OK ? 0 :
		    d->status == VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP : -EIO;
	} else {
		r = -EIO;	/* cannot happen: room was checked */
	}
	v->free[v->nfree++] = (uint8_t)slot;
	bool wake = v->waiting != 0;
	spin_unlock_irqrestore(&v->vq->lock, fl);
	if (wake)
		wakeup(&v->waiting);
	return r;
}

static int vblk_submit(struct vblk *v, uint32_t type, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	struct vq_buf bufs[VBLK_MAX_SEGS + 2];
	unsigned nb = 0;

	for (uint32_t off = 0; off < n; off += v->seg_bytes) {
		uint32_t len = n - off < v->seg_bytes ? n - off : v->seg_bytes;
		bufs[1 + nb++] = (struct vq_buf){ pa + off, len, type == VIRTIO_BLK_T_IN };
	}
	return run_request(v, type, sector, bufs, nb);
}

static int vblk_rw(struct blkdev *bd, bool write, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	struct vblk *v = bd->priv;
	uint32_t chunk = v->seg_bytes * v->max_segs;
	int r = 0;

	for (uint32_t off = 0; off < n && !r; off += chunk) {
		uint32_t len = n - off < chunk ? n - off : chunk;
		r = vblk_submit(v, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				sector + off / SECTOR_SIZE, pa + off, len);
	}
	if (r)
		kprintf("%s: %s of %u bytes at sector %lu failed (%d)\n", bd->name,
			write ? "write" : "read", n, (unsigned long)sector, r);
	return r;
}

static int vblk_flush(struct blkdev *bd)
{
	struct vblk *v = bd->priv;

	if (!(v->vd.features & VIRTIO_BLK_F_FLUSH))
		return 0;
	return vblk_submit(v, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
}

static const struct blkdev_ops vblk_ops = { .rw = vblk_rw, .flush = vblk_flush };

/* Piece and chain sizes from the device's limits, within ours. */
static void vblk_limits(struct vblk *v)
{
	uint32_t size_max = v->vd.features & VIRTIO_BLK_F_SIZE_MAX ?
		virtio_cfg_read32(&v->vd, VIRTIO_BLK_CFG_SIZE_MAX) : 0;
	uint32_t seg_max = v->vd.features & VIRTIO_BLK_F_SEG_MAX ?
		virtio_cfg_read32(&v->vd, VIRTIO_BLK_CFG_SEG_MAX) : 0;

	v->seg_bytes = size_max >= SECTOR_SIZE && size_max < VBLK_DEFAULT_SEG ?
		size_max & ~(uint32_t)(SECTOR_SIZE - 1) : VBLK_DEFAULT_SEG;
	v->max_segs = VBLK_MAX_SEGS;
	if (seg_max && seg_max < v->max_segs)
		v->max_segs = seg_max;
	if (v->max_segs + 2 > v->vq->size)
		v->max_segs = v->vq->size - 2;
}

static void vblk_free(struct vblk *v)
{
	vq_destroy(v->vq);
	if (v->dma_pa != PMM_NO_FRAME)
		pmm_free_pages(v->dma_pa, 0);
	kfree(v);
}

static int vblk_probe(struct pci_dev *pci)
{
	struct vblk *v = kzalloc(sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->dma_pa = PMM_NO_FRAME;
	int r = virtio_pci_init(&v->vd, pci, VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX |
				VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH);
	if (r) {
		kfree(v);
		return r;
	}
	v->vq = vq_setup(&v->vd, 0);
	v->dma_pa = pmm_alloc_pages(0, PMM_ZERO | PMM_ZONE_DMA32);
	if (!v->vq || v->vq->size < 3 || v->dma_pa == PMM_NO_FRAME) {
		virtio_fail(&v->vd);
		vblk_free(v);
		return -ENOMEM;
	}
	v->dma = plat_phys_to_virt(v->dma_pa);
	v->nfree = VBLK_SLOTS < v->vq->size ? VBLK_SLOTS : v->vq->size;
	for (unsigned i = 0; i < v->nfree; i++)
		v->free[i] = (uint8_t)(v->nfree - 1 - i);
	vblk_limits(v);
	v->bd.sectors = virtio_cfg_read64(&v->vd, VIRTIO_BLK_CFG_CAPACITY);
	v->bd.read_only = v->vd.features & VIRTIO_BLK_F_RO;
	v->bd.ops = &vblk_ops;
	v->bd.priv = v;
	if (!virtio_irq_attach(&v->vd, vblk_irq, v)) {
		vq_enable_interrupts(v->vq);
		v->irq = true;
	}
	virtio_driver_ok(&v->vd);
	blkdev_register(&v->bd, "vd");
	kprintf("%s: virtio-blk at pci %02x:%02x.%u, %lu sectors%s, queue of %u, %s\n",
		v->bd.name, pci->bus, pci->dev, pci->fn, (unsigned long)v->bd.sectors,
		v->bd.read_only ? ", read-only" : "", v->vq->size,
		v->irq ? "interrupt-driven" : "polled");
	return 0;
}

/* Binds every virtio disk; returns how many. */
unsigned virtio_blk_probe_all(void)
{
	unsigned n = 0;

	for (struct pci_dev *d = NULL; (d = virtio_pci_find(VIRTIO_PCI_ID_BLOCK, d));)
		if (!vblk_probe(d))
			n++;
	return n;
}
