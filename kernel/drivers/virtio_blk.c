// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.x section 5.2): each request is a chain of a header
 * (type, sector), the data, and a status byte the device writes. Header and
 * status live in a page of the PMM owned by the disk, so every buffer the
 * device touches has a physical address; the data is the caller's frames.
 *
 * Lock order: blk->lock -> the queue's lock. One request runs at a time
 * per disk (see virtqueue.c on polling).
 */
#include "kernel/drivers/blkdev.h"
#include "kernel/drivers/drivers.h"
#include "kernel/drivers/virtio.h"
#include "kernel/errno.h"
#include "kernel/lib.h"
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

/* Longest chain we build: header, data pieces, status. */
#define VBLK_MAX_SEGS		32
#define VBLK_DEFAULT_SEG	(1u << 20)

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct vblk {
	struct blkdev bd;
	struct virtio_dev vd;
	struct virtqueue *vq;
	phys_addr_t dma_pa;		/* one page: header, then status */
	struct virtio_blk_req_hdr *hdr;
	volatile uint8_t *status;
	uint32_t seg_bytes;		/* largest data piece */
	unsigned max_segs;		/* data pieces per request */
	spinlock_t lock;
};

static int vblk_submit(struct vblk *v, uint32_t type, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	struct vq_buf bufs[VBLK_MAX_SEGS + 2];
	unsigned nb = 0;

	v->hdr->type = type;
	v->hdr->reserved = 0;
	v->hdr->sector = sector;
	*v->status = 0xff;
	bufs[nb++] = (struct vq_buf){ v->dma_pa, sizeof(*v->hdr), false };
	for (uint32_t off = 0; off < n; off += v->seg_bytes) {
		uint32_t len = n - off < v->seg_bytes ? n - off : v->seg_bytes;
		bufs[nb++] = (struct vq_buf){ pa + off, len, type == VIRTIO_BLK_T_IN };
	}
	bufs[nb++] = (struct vq_buf){ v->dma_pa + sizeof(*v->hdr), 1, true };
	if (vq_run_sync(v->vq, bufs, nb, NULL))
		return -EIO;
	return *v->status == VIRTIO_BLK_S_OK ? 0 :
	       *v->status == VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP : -EIO;
}

static int vblk_rw(struct blkdev *bd, bool write, uint64_t sector, phys_addr_t pa, uint32_t n)
{
	struct vblk *v = bd->priv;
	uint32_t chunk = v->seg_bytes * v->max_segs;
	int r = 0;

	unsigned long flags = spin_lock_irqsave(&v->lock);
	for (uint32_t off = 0; off < n && !r; off += chunk) {
		uint32_t len = n - off < chunk ? n - off : chunk;
		r = vblk_submit(v, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				sector + off / SECTOR_SIZE, pa + off, len);
	}
	spin_unlock_irqrestore(&v->lock, flags);
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
	unsigned long flags = spin_lock_irqsave(&v->lock);
	int r = vblk_submit(v, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	spin_unlock_irqrestore(&v->lock, flags);
	return r;
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
	v->hdr = plat_phys_to_virt(v->dma_pa);
	v->status = (uint8_t *)v->hdr + sizeof(*v->hdr);
	v->lock = (spinlock_t)SPINLOCK_INIT;
	vblk_limits(v);
	v->bd.sectors = virtio_cfg_read64(&v->vd, VIRTIO_BLK_CFG_CAPACITY);
	v->bd.read_only = v->vd.features & VIRTIO_BLK_F_RO;
	v->bd.ops = &vblk_ops;
	v->bd.priv = v;
	virtio_driver_ok(&v->vd);
	blkdev_register(&v->bd, "vd");
	kprintf("%s: virtio-blk at pci %02x:%02x.%u, %lu sectors%s, queue of %u\n",
		v->bd.name, pci->bus, pci->dev, pci->fn, (unsigned long)v->bd.sectors,
		v->bd.read_only ? ", read-only" : "", v->vq->size);
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
