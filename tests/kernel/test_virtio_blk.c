// SPDX-License-Identifier: MIT
/*
 * The virtio disk against an image the host made (tools/run_tests.py's disk
 * suite, tools/mkdisk.py): sector 0 holds TESTDISK_MAGIC, every other
 * sector s holds its number in its first 8 bytes and then byte j = (s + j)
 * ^ 0x5a. The writes of write_back_pattern are checked by the host after
 * the run. Without such a disk every case is skipped. Requests of tasks
 * with interrupts on sleep until the disk's interrupt; with interrupts off
 * they are polled; both at once, from several tasks, all complete.
 */
#include "kernel/drivers/blkdev.h"
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "kernel/task.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "tests/kernel/frames.h"

#define TESTDISK_MAGIC	"memcore test disk v1"
#define WRITE_FIRST	4096	/* the host checks sectors 4096..4351 */
#define WRITE_SECTORS	256

static struct blkdev *test_disk(struct ktest *t)
{
	phys_addr_t f = pmm_alloc_pages(0, 0);
	struct blkdev *found = NULL;

	for (struct blkdev *d = blkdev_first(); d && f != PMM_NO_FRAME && !found; d = d->next)
		if (!blkdev_read(d, 0, f, SECTOR_SIZE) &&
		    !memcmp(plat_phys_to_virt(f), TESTDISK_MAGIC, sizeof(TESTDISK_MAGIC)))
			found = d;
	pmm_free_pages(f, 0);
	if (!found)
		ktest_skip(t, "no test disk attached");
	return found;
}

static uint8_t pattern(uint64_t s, unsigned j, uint8_t x)
{
	return (uint8_t)((s + j) ^ x);
}

/* Checks @n sectors from @first in the buffer at @p; returns the bad ones. */
static unsigned check_sectors(const uint8_t *p, uint64_t first, unsigned n, uint8_t x)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++, p += SECTOR_SIZE) {
		uint64_t s = first + i, got;
		memcpy(&got, p, 8);
		bool ok = got == s;
		for (unsigned j = 8; j < SECTOR_SIZE && ok; j++)
			ok = p[j] == pattern(s, j, x);
		bad += !ok;
	}
	return bad;
}

static void fill_sectors(uint8_t *p, uint64_t first, unsigned n, uint8_t x)
{
	for (unsigned i = 0; i < n; i++, p += SECTOR_SIZE) {
		uint64_t s = first + i;
		memcpy(p, &s, 8);
		for (unsigned j = 8; j < SECTOR_SIZE; j++)
			p[j] = pattern(s, j, x);
	}
}

static void reads_single_sectors(struct ktest *t)
{
	struct blkdev *d = test_disk(t);
	if (!d)
		return;
	uint64_t before = free_frames();
	phys_addr_t f = pmm_alloc_pages(0, 0);
	static const uint64_t where[] = { 1, 2, 7, 8, 1000, 4095 };

	for (unsigned i = 0; i < ARRAY_LEN(where); i++) {
		memset(plat_phys_to_virt(f), 0, PAGE_SIZE);
		KEXPECT_EQ(t, blkdev_read(d, where[i], f + SECTOR_SIZE, SECTOR_SIZE), 0);
		KEXPECT_EQ(t, check_sectors((uint8_t *)plat_phys_to_virt(f) + SECTOR_SIZE,
					    where[i], 1, 0x5a), 0);
	}
	pmm_free_pages(f, 0);
	KEXPECT_EQ(t, free_frames(), before);
}

/* 256 KiB at once: more than one piece per request, several requests. */
static void reads_large_runs(struct ktest *t)
{
	struct blkdev *d = test_disk(t);
	if (!d)
		return;
	phys_addr_t f = pmm_alloc_pages(6, 0);
	KEXPECT(t, f != PMM_NO_FRAME);
	if (f == PMM_NO_FRAME)
		return;
	KEXPECT_EQ(t, blkdev_read(d, 1, f, 64 * PAGE_SIZE), 0);
	KEXPECT_EQ(t, check_sectors(plat_phys_to_virt(f), 1, 512, 0x5a), 0);
	pmm_free_pages(f, 6);
}

static void refuses_bad_requests(struct ktest *t)
{
	struct blkdev *d = test_disk(t);
	if (!d)
		return;
	phys_addr_t f = pmm_alloc_pages(0, 0);
	uint64_t reads = d->reads;

	KEXPECT_EQ(t, blkdev_read(d, d->sectors, f, SECTOR_SIZE), -EINVAL);
	KEXPECT_EQ(t, blkdev_read(d, d->sectors - 1, f, 2 * SECTOR_SIZE), -EINVAL);
	KEXPECT_EQ(t, blkdev_read(d, ~0ull, f, SECTOR_SIZE), -EINVAL);
	KEXPECT_EQ(t, blkdev_read(d, 1, f, 100), -EINVAL);
	KEXPECT_EQ(t, blkdev_read(d, 1, f, 0), -EINVAL);
	KEXPECT_EQ(t, d->reads, reads);
	KEXPECT_EQ(t, blkdev_read(d, d->sectors - 1, f, SECTOR_SIZE), 0);
	pmm_free_pages(f, 0);
	KEXPECT(t, blkdev_find("/dev/nosuchdisk") == NULL);
	KEXPECT(t, blkdev_find(d->name) == d);
}

/* Writes a pattern the host verifies in the image file after the run. */
static void write_back_pattern(struct ktest *t)
{
	struct blkdev *d = test_disk(t);
	if (!d)
		return;
	uint64_t before = free_frames();
	unsigned order = 5;	/* 128 KiB = 256 sectors */
	phys_addr_t f = pmm_alloc_pages(order, 0);

	fill_sectors(plat_phys_to_virt(f), WRITE_FIRST, WRITE_SECTORS, 0xa5);
	KEXPECT_EQ(t, blkdev_write(d, WRITE_FIRST, f, WRITE_SECTORS * SECTOR_SIZE), 0);
	memset(plat_phys_to_virt(f), 0, PAGE_SIZE << order);
	KEXPECT_EQ(t, blkdev_flush(d), 0);
	KEXPECT_EQ(t, blkdev_read(d, WRITE_FIRST, f, WRITE_SECTORS * SECTOR_SIZE), 0);
	KEXPECT_EQ(t, check_sectors(plat_phys_to_virt(f), WRITE_FIRST, WRITE_SECTORS, 0xa5), 0);
	/* Sectors around it are untouched. */
	KEXPECT_EQ(t, blkdev_read(d, WRITE_FIRST - 1, f, SECTOR_SIZE), 0);
	KEXPECT_EQ(t, check_sectors(plat_phys_to_virt(f), WRITE_FIRST - 1, 1, 0x5a), 0);
	KEXPECT_EQ(t, blkdev_read(d, WRITE_FIRST + WRITE_SECTORS, f, SECTOR_SIZE), 0);
	KEXPECT_EQ(t, check_sectors(plat_phys_to_virt(f), WRITE_FIRST + WRITE_SECTORS, 1, 0x5a), 0);
	pmm_free_pages(f, order);
	KEXPECT_EQ(t, free_frames(), before);
}

/* A task with interrupts on sleeps until the interrupt says its request is done. */
static void sleeps_until_the_interrupt(struct ktest *t)
{
	struct blkdev *d = test_disk(t);
	if (!d)
		return;
	phys_addr_t f = pmm_alloc_pages(0, 0);
	uint64_t slept = d->slept, irqs = d->irqs;

	KEXPECT(t, read_rflags() & RFLAGS_IF);
	for (unsigned i = 0; i < 8; i++) {
		KEXPECT_EQ(t, blkdev_read(d, 8 + 8 * i, f, PAGE_SIZE), 0);
		KEXPECT_EQ(t, check_sectors(plat_phys_to_virt(f), 8 + 8 * i, 8, 0x5a), 0);
	}
	KEXPECT(t, d->slept >= slept + 8);
	KEXPECT(t, d->irqs > irqs);
	pmm_free_pages(f, 0);
}

#define READERS		4
#define READER_ROUNDS	32

static struct blkdev *shared_disk;
static volatile unsigned reader_bad[READERS];

/* Reads and checks pages of the pattern: interrupts on, or off (polling) for odd readers. */
static void reader(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	phys_addr_t f = pmm_alloc_pages(0, 0);
	unsigned bad = f == PMM_NO_FRAME;

	for (unsigned r = 0; r < READER_ROUNDS && !bad; r++) {
		uint64_t s = 64 + 8 * (r * READERS + i);
		unsigned long fl = i & 1 ? plat_irq_save() : 0;

		bad += blkdev_read(shared_disk, s, f, PAGE_SIZE) != 0;
		if (i & 1)
			plat_irq_restore(fl);
		bad += check_sectors(plat_phys_to_virt(f), s, 8, 0x5a);
		yield();
	}
	if (f != PMM_NO_FRAME)
		pmm_free_pages(f, 0);
	reader_bad[i] = bad;
}

/* Tasks sleeping and tasks polling on one disk at once: every request completes, right. */
static void sleepers_and_pollers_at_once(struct ktest *t)
{
	struct task *k[READERS];

	shared_disk = test_disk(t);
	if (!shared_disk)
		return;
	for (unsigned i = 0; i < READERS; i++) {
		reader_bad[i] = 1;
		k[i] = kthread_create("blkreader", reader, (void *)(uintptr_t)i);
		KEXPECT(t, k[i] != NULL);
	}
	for (unsigned i = 0; i < READERS; i++) {
		if (!k[i])
			continue;
		while (k[i]->state != TASK_ZOMBIE || k[i]->on_cpu)
			yield();
		task_free(k[i]);
		KEXPECT_EQ(t, reader_bad[i], 0);
	}
}

KTEST_SUITE(virtio_blk,
	KTEST_CASE(reads_single_sectors),
	KTEST_CASE(reads_large_runs),
	KTEST_CASE(refuses_bad_requests),
	KTEST_CASE(write_back_pattern),
	KTEST_CASE(sleeps_until_the_interrupt),
	KTEST_CASE(sleepers_and_pollers_at_once));
