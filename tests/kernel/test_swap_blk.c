// SPDX-License-Identifier: MIT
/*
 * The block swap backend on a disk made by util-linux's mkswap on the host
 * (tools/run_tests.py attaches one labelled "memcore-test"): pages stored
 * in slots come back byte for byte, slot 0 (the header) and slots past the
 * end are refused, a disk without the signature is refused with a reason,
 * a disk is claimed once, and every frame is back at the end.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "kernel/swap/swap_blk.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "tests/kernel/frames.h"

#define TEST_LABEL	"memcore-test"

static struct swap_blk *open_test_area(struct ktest *t)
{
	for (struct blkdev *d = blkdev_first(); d; d = d->next) {
		struct swap_blk *sb;
		const char *why;

		if (d->in_use || swap_blk_open(d, &sb, &why))
			continue;
		if (!strcmp(sb->fmt.label, TEST_LABEL))
			return sb;
		swap_blk_close(sb);
	}
	ktest_skip(t, "no swap disk labelled " TEST_LABEL " attached");
	return NULL;
}

static bool contains(const char *s, const char *word)
{
	for (size_t n = strlen(word); s && *s; s++)
		if (!strncmp(s, word, n))
			return true;
	return false;
}

static void fill(uint8_t *p, uint32_t slot, uint8_t salt)
{
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		p[i] = (uint8_t)(slot * 31 + i * 7 + salt);
}

static void stores_and_reads_pages(struct ktest *t)
{
	struct swap_blk *sb = open_test_area(t);
	if (!sb)
		return;
	/* Measured after one open, so the heap's caches already hold their slabs. */
	swap_blk_close(sb);
	uint64_t before = free_frames();
	sb = open_test_area(t);
	struct swap_backend *b = &sb->b;
	phys_addr_t f = pmm_alloc_pages(1, 0);
	uint8_t *out = plat_phys_to_virt(f), *in = out + PAGE_SIZE;
	uint32_t slots[] = { 1, 2, 77, b->nslots - 1 };

	KEXPECT_EQ(t, b->nslots, sb->fmt.last_page + 1);
	for (unsigned i = 0; i < ARRAY_LEN(slots); i++) {
		fill(out, slots[i], 1);
		KEXPECT_EQ(t, b->ops->write(b, slots[i], out), 0);
	}
	struct swap_backend_stats st;
	b->ops->stats(b, &st);
	KEXPECT_EQ(t, st.stored, ARRAY_LEN(slots));
	KEXPECT_EQ(t, st.mem_bytes, 0);
	for (unsigned i = 0; i < ARRAY_LEN(slots); i++) {
		fill(out, slots[i], 1);
		memset(in, 0, PAGE_SIZE);
		KEXPECT_EQ(t, b->ops->read(b, slots[i], in), 0);
		KEXPECT(t, !memcmp(in, out, PAGE_SIZE));
	}
	for (unsigned i = 0; i < ARRAY_LEN(slots); i++)
		b->ops->discard(b, slots[i]);
	b->ops->discard(b, 5);		/* never written: no change */
	b->ops->stats(b, &st);
	KEXPECT_EQ(t, st.stored, 0);
	KEXPECT_EQ(t, st.writes, ARRAY_LEN(slots));
	KEXPECT_EQ(t, st.reads, ARRAY_LEN(slots));
	pmm_free_pages(f, 1);
	swap_blk_close(sb);
	KEXPECT_EQ(t, free_frames(), before);
}

static void refuses_header_and_past_end(struct ktest *t)
{
	struct swap_blk *sb = open_test_area(t);
	if (!sb)
		return;
	struct swap_backend *b = &sb->b;
	phys_addr_t f = pmm_alloc_pages(0, PMM_ZERO);
	void *p = plat_phys_to_virt(f);

	KEXPECT_EQ(t, b->ops->write(b, 0, p), -MM_EIO);
	KEXPECT_EQ(t, b->ops->write(b, b->nslots, p), -MM_EIO);
	KEXPECT_EQ(t, b->ops->read(b, b->nslots, p), -MM_EIO);
	struct swap_backend_stats st;
	b->ops->stats(b, &st);
	KEXPECT_EQ(t, st.writes, 0);
	/* The header is still mkswap's: a second look parses it again. */
	swap_blk_close(sb);
	sb = open_test_area(t);
	KEXPECT(t, sb != NULL);
	if (sb)
		swap_blk_close(sb);
	pmm_free_pages(f, 0);
}

static void claims_a_disk_once(struct ktest *t)
{
	struct swap_blk *sb = open_test_area(t), *again = NULL;
	const char *why = NULL;
	if (!sb)
		return;
	KEXPECT_EQ(t, swap_blk_open(sb->bd, &again, &why), -EBUSY);
	KEXPECT(t, contains(why, "in use"));
	swap_blk_close(sb);
}

/* Every disk without the signature is refused, with the parser's reason. */
static void refuses_disks_without_signature(struct ktest *t)
{
	unsigned refused = 0;

	for (struct blkdev *d = blkdev_first(); d; d = d->next) {
		struct swap_blk *sb;
		const char *why = NULL;

		if (d->in_use)
			continue;
		int r = swap_blk_open(d, &sb, &why);
		if (r == 0) {
			swap_blk_close(sb);
			continue;
		}
		KEXPECT_EQ(t, r, -EINVAL);
		KEXPECT(t, contains(why, "signature"));
		KEXPECT(t, !d->in_use);
		refused++;
	}
	if (!refused)
		ktest_skip(t, "no disk without a swap signature attached");
}

KTEST_SUITE(swap_blk,
	KTEST_CASE(stores_and_reads_pages),
	KTEST_CASE(refuses_header_and_past_end),
	KTEST_CASE(claims_a_disk_once),
	KTEST_CASE(refuses_disks_without_signature));
