/* SPDX-License-Identifier: MIT */
/*
 * The baseline: a first-fit bitmap frame allocator as the seeds describe
 * it - one bit per frame of physical memory, set when in use, and a linear
 * scan from the first frame for every allocation. The only liberty taken is
 * to skip whole 64-bit words that are full (or, for runs, empty), which
 * keeps it linear but makes it a fair opponent.
 *
 * A request for n frames takes the first run of n free frames, at any
 * alignment (the seeds have no notion of alignment).
 */
#ifndef BENCH_BITMAP_ALLOC_H
#define BENCH_BITMAP_ALLOC_H

#include <stdint.h>
#include <stdlib.h>

struct bitmap_alloc {
	uint64_t *bits;		/* bit i set: frame i in use */
	uint64_t frames;	/* frames covered: all of physical memory */
	uint64_t free_frames;
};

#define BM_NONE	UINT64_MAX

static inline int bm_test(const struct bitmap_alloc *bm, uint64_t i)
{
	return (bm->bits[i / 64] >> (i % 64)) & 1;
}

static inline void bm_set(struct bitmap_alloc *bm, uint64_t i)
{
	bm->bits[i / 64] |= 1ull << (i % 64);
}

static inline void bm_clear(struct bitmap_alloc *bm, uint64_t i)
{
	bm->bits[i / 64] &= ~(1ull << (i % 64));
}

/* All frames start in use; the caller frees what is usable. */
static inline int bitmap_init(struct bitmap_alloc *bm, uint64_t frames)
{
	uint64_t words = (frames + 63) / 64;

	bm->bits = malloc(words * sizeof(uint64_t));
	if (!bm->bits)
		return -1;
	for (uint64_t w = 0; w < words; w++)
		bm->bits[w] = ~0ull;
	bm->frames = frames;
	bm->free_frames = 0;
	return 0;
}

static inline void bitmap_fini(struct bitmap_alloc *bm)
{
	free(bm->bits);
	bm->bits = NULL;
}

/* First free frame, scanning from frame 0. */
static inline uint64_t bitmap_alloc_frame(struct bitmap_alloc *bm)
{
	uint64_t words = (bm->frames + 63) / 64;

	for (uint64_t w = 0; w < words; w++) {
		if (bm->bits[w] == ~0ull)
			continue;
		uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(~bm->bits[w]);

		if (i >= bm->frames)
			break;
		bm_set(bm, i);
		bm->free_frames--;
		return i;
	}
	return BM_NONE;
}

/* First run of @n free frames, scanning from frame 0. */
static inline uint64_t bitmap_alloc_run(struct bitmap_alloc *bm, uint64_t n)
{
	uint64_t start = 0, len = 0;

	for (uint64_t i = 0; i < bm->frames;) {
		uint64_t word = bm->bits[i / 64];

		if (i % 64 == 0 && word == ~0ull) {	/* a full word ends any run */
			len = 0;
			i += 64;
			continue;
		}
		if (i % 64 == 0 && word == 0 && i + 64 <= bm->frames) {
			if (!len)
				start = i;
			len += 64;
			i += 64;
		} else if (bm_test(bm, i)) {
			len = 0;
			i++;
		} else {
			if (!len)
				start = i;
			len++;
			i++;
		}
		if (len >= n) {
			for (uint64_t j = start; j < start + n; j++)
				bm_set(bm, j);
			bm->free_frames -= n;
			return start;
		}
	}
	return BM_NONE;
}

static inline void bitmap_free(struct bitmap_alloc *bm, uint64_t first, uint64_t n)
{
	for (uint64_t j = first; j < first + n; j++)
		bm_clear(bm, j);
	bm->free_frames += n;
}

#endif
