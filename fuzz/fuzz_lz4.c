// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the LZ4 block codec, with Debian's liblz4 as oracle.
 * The first byte chooses what the rest is:
 *   even: data to compress - our block decodes with LZ4_decompress_safe to
 *         the data, liblz4's block decodes with ours to the data, and a
 *         smaller output limit gives either 0 or the same block;
 *   odd:  a hostile block for our decoder, with an output limit from the
 *         next two bytes - it stays inside its buffers (ASan) and, whenever
 *         liblz4 accepts the block and it has no zero offset (which liblz4's
 *         fast path lets through), decodes the same bytes.
 */
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "mm/errno.h"
#include "mm/lz4.h"
#include "tests/host/lz4_inputs.h"

static struct lz4_work work;

static void round_trip(const uint8_t *in, size_t n, unsigned limit_byte)
{
	size_t bound = LZ4_BOUND(n), clen, len = 0, cap;
	uint8_t *blk = malloc(bound), *lim, *out = malloc(n + 1);
	int tbound = LZ4_compressBound((int)n), t;
	char *theirs = malloc((size_t)tbound);

	clen = lz4_compress(in, n, blk, bound, &work);
	CHECK(clen > 0 && clen <= bound);
	CHECK(LZ4_decompress_safe((const char *)blk, (char *)out, (int)clen, (int)n) == (int)n);
	CHECK(memcmp(out, in, n) == 0);
	CHECK(lz4_decompress(blk, clen, out, n, &len) == 0 && len == n);
	CHECK(memcmp(out, in, n) == 0);

	t = LZ4_compress_default((const char *)in, theirs, (int)n, tbound);
	CHECK(t > 0);
	CHECK(lz4_decompress(theirs, (size_t)t, out, n, &len) == 0 && len == n);
	CHECK(memcmp(out, in, n) == 0);

	cap = clen * limit_byte / 256;
	lim = malloc(cap ? cap : 1);
	len = lz4_compress(in, n, lim, cap, &work);
	CHECK(len == 0 || (len == clen && memcmp(lim, blk, clen) == 0));
	free(lim);

	/* The chained compressor: decodable both ways, and the same output limit rule. */
	clen = lz4_compress_chained(in, n, blk, bound, &work);
	CHECK(clen > 0 && clen <= bound);
	CHECK(LZ4_decompress_safe((const char *)blk, (char *)out, (int)clen, (int)n) == (int)n);
	CHECK(memcmp(out, in, n) == 0);
	CHECK(lz4_decompress(blk, clen, out, n, &len) == 0 && len == n);
	CHECK(memcmp(out, in, n) == 0);
	cap = clen * limit_byte / 256;
	lim = malloc(cap ? cap : 1);
	len = lz4_compress_chained(in, n, lim, cap, &work);
	CHECK(len == 0 || (len == clen && memcmp(lim, blk, clen) == 0));
	free(lim);
	free(theirs);
	free(out);
	free(blk);
}

static void hostile(const uint8_t *blk, size_t n, size_t cap)
{
	uint8_t *copy = malloc(n ? n : 1), *a = malloc(cap ? cap : 1), *b = malloc(cap ? cap : 1);
	size_t len = 0;
	int r, t;

	memcpy(copy, blk, n);	/* exactly @n bytes, so ASan sees any overread */
	r = lz4_decompress(copy, n, a, cap, &len);
	CHECK(r == 0 || r == -MM_EINVAL || r == -MM_ENOSPC);
	CHECK(r != 0 || len <= cap);
	t = LZ4_decompress_safe((const char *)copy, (char *)b, (int)n, (int)cap);
	if (t >= 0 && !(r == -MM_EINVAL && lz4_has_zero_offset(copy, n))) {
		CHECK(r == 0 && len == (size_t)t);
		CHECK(memcmp(a, b, len) == 0);
	}
	free(copy);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > (1 << 20))
		return 0;
	if (!(data[0] & 1))
		round_trip(data + 2, size - 2, data[1]);
	else
		hostile(data + 3, size - 3, (size_t)data[1] | (size_t)data[2] << 8);
	return 0;
}
