// SPDX-License-Identifier: MIT
/*
 * The LZ4 codec beside Debian's liblz4 (LZ4_compress_default and
 * LZ4_decompress_safe), in one run on the same page-sized inputs: 256 pages
 * of the families in tests/host/lz4_inputs.h, weighted like an anonymous
 * memory image (mostly text-like and record-like data, some zero-filled,
 * some incompressible). Figures:
 *   lz4.compress_mbps.ours|liblz4|ratio     MB/s of input, ratio ours/liblz4
 *   lz4.decompress_mbps.ours|liblz4|ratio   MB/s of output
 *   lz4.ratio.ours|liblz4|ratio             input bytes over block bytes
 *   lz4.text_ratio.ours|liblz4              the same on text pages alone
 *   lz4.chained.ratio|compress_mbps.ours|liblz4hc
 *                                           lz4_compress_chained() (the swap
 *                                           store's) beside liblz4's
 *                                           LZ4_compress_HC at its lowest level
 */
#include <lz4.h>
#include <lz4hc.h>
#include <string.h>

#include "bench/bench.h"
#include "mm/lz4.h"
#include "tests/host/lz4_inputs.h"

#define PAGE	4096
#define NPAGES	256

static uint8_t pages[NPAGES][PAGE];
static uint8_t blocks[NPAGES][LZ4_BOUND(PAGE)];
static size_t blen[NPAGES];
static uint8_t out[PAGE];
static struct lz4_work work;

/* Family of page @i: 3/8 text, 2/8 records, 1/8 mixed, 1/16 zeros, 1/16 periodic, 1/8 random. */
static enum lz4_family family(unsigned i)
{
	static const enum lz4_family f[16] = {
		LZ4_IN_TEXT, LZ4_IN_TEXT, LZ4_IN_TEXT, LZ4_IN_TEXT, LZ4_IN_TEXT, LZ4_IN_TEXT,
		LZ4_IN_RECORDS, LZ4_IN_RECORDS, LZ4_IN_RECORDS, LZ4_IN_RECORDS,
		LZ4_IN_MIXED, LZ4_IN_MIXED, LZ4_IN_ZEROS, LZ4_IN_PERIODIC,
		LZ4_IN_RANDOM, LZ4_IN_RANDOM,
	};
	return f[i % 16];
}

static void comp_ours(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			blen[i] = lz4_compress(pages[i], PAGE, blocks[i], sizeof(blocks[i]), &work);
}

static void comp_chained(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			blen[i] = lz4_compress_chained(pages[i], PAGE, blocks[i], sizeof(blocks[i]), &work);
}

static void comp_hc(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			blen[i] = (size_t)LZ4_compress_HC((const char *)pages[i], (char *)blocks[i], PAGE,
							  (int)sizeof(blocks[i]), LZ4HC_CLEVEL_MIN);
}

static void comp_theirs(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			blen[i] = (size_t)LZ4_compress_default((const char *)pages[i], (char *)blocks[i],
							       PAGE, (int)sizeof(blocks[i]));
}

static void dec_ours(void *ctx, unsigned iters)
{
	size_t len;

	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			if (lz4_decompress(blocks[i], blen[i], out, PAGE, &len) || len != PAGE)
				abort();
}

static void dec_theirs(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--)
		for (unsigned i = 0; i < NPAGES; i++)
			if (LZ4_decompress_safe((const char *)blocks[i], (char *)out, (int)blen[i], PAGE) != PAGE)
				abort();
}

/* Input bytes over block bytes, over the pages of @only (or all, if LZ4_IN_FAMILIES). */
static double ratio(bench_fn compress, enum lz4_family only)
{
	uint64_t in = 0, comp = 0;

	compress(NULL, 1);
	for (unsigned i = 0; i < NPAGES; i++)
		if (only == LZ4_IN_FAMILIES || family(i) == only) {
			in += PAGE;
			comp += blen[i];
		}
	return (double)in / (double)comp;
}

static double mbps(bench_fn fn)
{
	return (double)NPAGES * PAGE / bench_low_median_ns(fn, NULL, 600000000ull) * 1e3;
}

int main(void)
{
	double c_ours, c_theirs, d_ours, d_theirs, r_ours, r_theirs;

	for (unsigned i = 0; i < NPAGES; i++)
		lz4_fill(pages[i], PAGE, family(i), i + 1);
	r_ours = ratio(comp_ours, LZ4_IN_FAMILIES);
	r_theirs = ratio(comp_theirs, LZ4_IN_FAMILIES);
	printf("lz4.text_ratio.ours %.3f x\n", ratio(comp_ours, LZ4_IN_TEXT));
	printf("lz4.text_ratio.liblz4 %.3f x\n", ratio(comp_theirs, LZ4_IN_TEXT));
	printf("lz4.ratio.ours %.3f x\n", r_ours);
	printf("lz4.ratio.liblz4 %.3f x\n", r_theirs);
	printf("lz4.ratio.ratio %.3f x >=0.98\n", r_ours / r_theirs);

	c_ours = mbps(comp_ours);
	c_theirs = mbps(comp_theirs);
	printf("lz4.compress_mbps.ours %.0f MB/s\n", c_ours);
	printf("lz4.compress_mbps.liblz4 %.0f MB/s\n", c_theirs);
	printf("lz4.compress_mbps.ratio %.3f x >=0.9\n", c_ours / c_theirs);

	printf("lz4.chained.ratio.ours %.3f x\n", ratio(comp_chained, LZ4_IN_FAMILIES));
	printf("lz4.chained.ratio.liblz4hc %.3f x\n", ratio(comp_hc, LZ4_IN_FAMILIES));
	printf("lz4.chained.compress_mbps.ours %.0f MB/s\n", mbps(comp_chained));
	printf("lz4.chained.compress_mbps.liblz4hc %.0f MB/s\n", mbps(comp_hc));

	comp_theirs(NULL, 1);	/* decode the reference's blocks with both */
	d_ours = mbps(dec_ours);
	d_theirs = mbps(dec_theirs);
	printf("lz4.decompress_mbps.ours %.0f MB/s\n", d_ours);
	printf("lz4.decompress_mbps.liblz4 %.0f MB/s\n", d_theirs);
	printf("lz4.decompress_mbps.ratio %.3f x >=0.9\n", d_ours / d_theirs);
	return 0;
}
