// SPDX-License-Identifier: MIT
/*
 * virtio-balloon (virtio 1.x section 5.5): the host sets a target number of
 * 4 KiB pages the guest should give up (QEMU's monitor: `balloon SIZE` asks
 * for guest RAM of SIZE MiB); the guest takes that many frames from the
 * PMM, tells the host their frame numbers on the inflate queue (the host
 * may then drop them), and writes how many it holds to `actual`. Shrinking
 * the balloon sends frame numbers on the deflate queue first and only then
 * frees them (VIRTIO_BALLOON_F_MUST_TELL_HOST, which we always honour).
 *
 * A kernel thread follows the target, polling the configuration every
 * BALLOON_POLL_MS (a legacy config-change interrupt would only shorten
 * that wait; the work itself cannot run in an interrupt handler). It takes
 * frames without waiting for reclaim: when the PMM says no, it keeps what
 * it has and tries again at the next poll.
 *
 * The frames held are recorded in list pages (frames of their own, not in
 * the balloon), so a ballooned frame is never written after the host was
 * told about it.
 *
 * Lock order: the balloon thread is the only user of its state; the
 * figures are read without a lock (single words).
 */
#include "kernel/drivers/drivers.h"
#include "kernel/drivers/virtio.h"
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/task.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

#define VIRTIO_BALLOON_F_MUST_TELL_HOST	(1u << 0)
#define VIRTIO_BALLOON_F_STATS_VQ	(1u << 1)
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT	(1u << 3)
#define VIRTIO_BALLOON_F_REPORTING	(1u << 5)

#define BALLOON_CFG_NUM_PAGES	0	/* host's target */
#define BALLOON_CFG_ACTUAL	4	/* what the guest holds */
#define BALLOON_PFN_SHIFT	12	/* the protocol's pages are 4 KiB */
#define BALLOON_BATCH		256	/* frame numbers per request (Linux's too) */
#define BALLOON_POLL_MS		50
/* Free-page reporting: blocks of 2 MiB, a few per request, every second at most. */
#define REPORT_ORDER		9
#define REPORT_CHAIN		16
#define REPORT_ROUND		(PAGE_SIZE / sizeof(phys_addr_t))	/* 512 blocks: 1 GiB a round */
#define REPORT_EVERY_MS		1000

/* A page recording held frames: a stack of list pages. */
struct held_page {
	struct held_page *next;
	uint32_t n;
	uint32_t pfn[(PAGE_SIZE - 16) / 4];
};

struct balloon {
	struct virtio_dev vd;
	struct virtqueue *inflate, *deflate, *report;
	phys_addr_t batch_pa;		/* one page of frame numbers sent to the host */
	uint32_t *batch;
	struct held_page *held;
	uint32_t nheld;
	uint64_t reported_pages;	/* reported since boot (a block may count twice) */
	uint64_t last_report_ns, free_after_report;
};

static struct balloon *the_balloon;

/* Pages held by the balloon, for memstat; 0 without a device. */
uint64_t balloon_pages(void)
{
	return the_balloon ? the_balloon->nheld : 0;
}

/* Frames reported to the host since boot. */
uint64_t balloon_reported_pages(void)
{
	return the_balloon ? the_balloon->reported_pages : 0;
}

static uint64_t free_frames(uint64_t *total)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	*total = st.free_frames + st.used_frames;
	return st.free_frames;
}

/* One round of free-page reporting (see the top of the file). */
static void report_free(struct balloon *b)
{
	uint64_t total, free = free_frames(&total), now = time_ns();
	unsigned n = 0;

	if (now - b->last_report_ns < REPORT_EVERY_MS * 1000000ull ||
	    free < b->free_after_report + (1u << REPORT_ORDER))
		return;
	b->last_report_ns = now;
	phys_addr_t list = pmm_alloc_pages(0, 0);
	if (list == PMM_NO_FRAME)
		return;
	phys_addr_t *blocks = plat_phys_to_virt(list);
	while (n < REPORT_ROUND && free_frames(&total) > total / 8 + (1u << REPORT_ORDER)) {
		phys_addr_t f = pmm_alloc_pages(REPORT_ORDER, 0);
		if (f == PMM_NO_FRAME)
			break;
		blocks[n++] = f;
	}
	for (unsigned i = 0; i < n; i += REPORT_CHAIN) {
		struct vq_buf bufs[REPORT_CHAIN];
		unsigned k = 0;
		for (; k < REPORT_CHAIN && i + k < n; k++)
			bufs[k] = (struct vq_buf){ blocks[i + k], PAGE_SIZE << REPORT_ORDER, true };
		if (!vq_run_sync(b->report, bufs, k, NULL))
			b->reported_pages += (uint64_t)k << REPORT_ORDER;
	}
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(blocks[i], REPORT_ORDER);
	pmm_free_pages(list, 0);
	b->free_after_report = free_frames(&total);
}

static bool push_held(struct balloon *b, uint32_t pfn)
{
	if (!b->held || b->held->n == ARRAY_LEN(b->held->pfn)) {
		phys_addr_t f = pmm_alloc_pages(0, 0);
		if (f == PMM_NO_FRAME)
			return false;
		struct held_page *h = plat_phys_to_virt(f);
		h->next = b->held;
		h->n = 0;
		b->held = h;
	}
	b->held->pfn[b->held->n++] = pfn;
	b->nheld++;
	return true;
}

static uint32_t pop_held(struct balloon *b)
{
	struct held_page *h = b->held;
	uint32_t pfn = h->pfn[--h->n];

	b->nheld--;
	if (!h->n) {
		b->held = h->next;
		pmm_free_pages(plat_virt_to_phys(h), 0);
	}
	return pfn;
}

static void tell_host(struct balloon *b, struct virtqueue *vq, unsigned n)
{
	struct vq_buf buf = { b->batch_pa, n * 4u, false };

	vq_run_sync(vq, &buf, 1, NULL);
}

/* Takes up to @want frames into the balloon; returns how many it took. */
static unsigned inflate(struct balloon *b, unsigned want)
{
	unsigned n = 0;

	while (n < want && n < BALLOON_BATCH) {
		phys_addr_t f = pmm_alloc_pages(0, 0);
		if (f == PMM_NO_FRAME)
			break;
		if (!push_held(b, (uint32_t)(f >> BALLOON_PFN_SHIFT))) {
			pmm_free_pages(f, 0);
			break;
		}
		b->batch[n++] = (uint32_t)(f >> BALLOON_PFN_SHIFT);
	}
	if (n)
		tell_host(b, b->inflate, n);
	return n;
}

/* Gives up to @want frames back to the PMM, after the host knows. */
static unsigned deflate(struct balloon *b, unsigned want)
{
	unsigned n = 0;

	while (n < want && n < BALLOON_BATCH && b->nheld)
		b->batch[n++] = pop_held(b);
	if (n)
		tell_host(b, b->deflate, n);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages((phys_addr_t)b->batch[i] << BALLOON_PFN_SHIFT, 0);
	return n;
}

static _Noreturn void balloon_thread(void *arg)
{
	struct balloon *b = arg;

	for (;;) {
		uint32_t target = virtio_cfg_read32(&b->vd, BALLOON_CFG_NUM_PAGES);
		unsigned moved = 0;

		if (target > b->nheld)
			moved = inflate(b, target - b->nheld);
		else if (target < b->nheld)
			moved = deflate(b, b->nheld - target);
		virtio_cfg_write32(&b->vd, BALLOON_CFG_ACTUAL, b->nheld);
		if (b->report && b->nheld == target)
			report_free(b);
		/* Keep going while progress is made; otherwise wait for a new target. */
		if (!moved || b->nheld == target)
			sleep_until(time_ns() + BALLOON_POLL_MS * 1000000ull);
		else
			yield();
	}
}

static int balloon_probe(struct pci_dev *pci)
{
	struct balloon *b = kzalloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	int r = virtio_pci_init(&b->vd, pci, VIRTIO_BALLOON_F_MUST_TELL_HOST |
				VIRTIO_BALLOON_F_STATS_VQ | VIRTIO_BALLOON_F_REPORTING);
	if (r) {
		kfree(b);
		return r;
	}
	b->inflate = vq_setup(&b->vd, 0);
	b->deflate = vq_setup(&b->vd, 1);
	/* Queues are numbered in order among those the features make exist. */
	if (b->vd.features & VIRTIO_BALLOON_F_REPORTING) {
		uint16_t q = 2 + !!(b->vd.features & VIRTIO_BALLOON_F_STATS_VQ) +
			     !!(b->vd.features & VIRTIO_BALLOON_F_FREE_PAGE_HINT);
		b->report = vq_setup(&b->vd, q);
	}
	b->batch_pa = pmm_alloc_pages(0, PMM_ZONE_DMA32);
	if (!b->inflate || !b->deflate || b->batch_pa == PMM_NO_FRAME ||
	    !kthread_create("balloon", balloon_thread, b)) {
		virtio_fail(&b->vd);
		kprintf("balloon: cannot set the device up (out of memory)\n");
		return -ENOMEM;	/* the device stays failed; what was allocated stays with it */
	}
	b->batch = plat_phys_to_virt(b->batch_pa);
	virtio_driver_ok(&b->vd);
	the_balloon = b;
	kprintf("balloon: virtio-balloon at pci %02x:%02x.%u%s\n", pci->bus, pci->dev, pci->fn,
		b->report ? ", free-page reporting" : "");
	return 0;
}

unsigned virtio_balloon_probe_all(void)
{
	struct pci_dev *d = virtio_pci_find(VIRTIO_PCI_ID_BALLOON, NULL);

	return d && !balloon_probe(d);
}
