// SPDX-License-Identifier: MIT
/*
 * Tests of the LZ4 block codec against Debian's liblz4 as the oracle: our
 * blocks decode with LZ4_decompress_safe byte for byte, liblz4's blocks
 * decode with ours, on every input family and many sizes (page-sized ones
 * above all); the compressor honours its output limit exactly; the decoder
 * rejects truncated, corrupt and oversized blocks and random bytes without
 * touching memory outside its buffers (ASan watches), agreeing with liblz4
 * whenever liblz4 accepts a block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lz4.h>

#include "mm/errno.h"
#include "mm/lz4.h"
#include "tests/host/lz4_inputs.h"

static struct lz4_work work;

/* A heap buffer of exactly @n bytes, so ASan catches any access past it. */
static uint8_t *exact(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

/* Both directions on one input; returns our compressed size. */
static size_t both_ways(const uint8_t *in, size_t n)
{
	size_t bound = LZ4_BOUND(n), len = 0;
	uint8_t *ours = exact(bound), *theirs = exact((size_t)LZ4_compressBound((int)n));
	uint8_t *out = exact(n);
	size_t clen;
	int tlen;

	assert_true(bound >= (size_t)LZ4_compressBound((int)n));
	clen = lz4_compress(in, n, ours, bound, &work);
	assert_true(clen > 0);
	assert_int_equal(LZ4_decompress_safe((const char *)ours, (char *)out, (int)clen, (int)n), (int)n);
	assert_memory_equal(out, in, n);
	memset(out, 0xa5, n);
	assert_int_equal(lz4_decompress(ours, clen, out, n, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);

	/* The chained compressor: a valid block both decoders accept. */
	memset(out, 0x3c, n);
	size_t chlen = lz4_compress_chained(in, n, ours, bound, &work);

	assert_true(chlen > 0);
	assert_int_equal(LZ4_decompress_safe((const char *)ours, (char *)out, (int)chlen, (int)n), (int)n);
	assert_memory_equal(out, in, n);
	memset(out, 0xc3, n);
	assert_int_equal(lz4_decompress(ours, chlen, out, n, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);

	tlen = LZ4_compress_default((const char *)in, (char *)theirs, (int)n, LZ4_compressBound((int)n));
	assert_true(tlen > 0);
	memset(out, 0x5a, n);
	len = 0;
	assert_int_equal(lz4_decompress(theirs, (size_t)tlen, out, n, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);
	free(ours);
	free(theirs);
	free(out);
	return clen;
}

static const size_t sizes[] = {
	0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 17, 19, 20, 31, 32, 64, 100, 255,
	256, 270, 512, 1000, 1024, 2048, 4000, 4095, 4096, 4097, 8192, 12288, 65535,
	65536, 65537, 140000,
};

static void test_families_and_sizes(void **state)
{
	(void)state;
	for (int f = 0; f < LZ4_IN_FAMILIES; f++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			for (uint64_t seed = 1; seed <= 2; seed++) {
				uint8_t *in = exact(sizes[i]);

				lz4_fill(in, sizes[i], (enum lz4_family)f, seed);
				both_ways(in, sizes[i]);
				free(in);
			}
}

/* Many page-sized inputs: the store's real workload. */
static void test_many_pages(void **state)
{
	uint8_t *in = exact(4096);

	(void)state;
	for (uint64_t seed = 1; seed <= 240; seed++) {
		lz4_fill(in, 4096, (enum lz4_family)(seed % LZ4_IN_FAMILIES), seed);
		both_ways(in, 4096);
	}
	free(in);
}

/* Random lengths of runs and literals, including the 15 and 255 boundaries of lengths. */
static void test_length_boundaries(void **state)
{
	uint8_t *in = exact(3000);

	(void)state;
	for (size_t lit = 0; lit < 600; lit += 1 + (lit > 20) * 7) {
		for (size_t run = 0; run < 600; run += 1 + (run > 20) * 11) {
			size_t n = 0;
			uint64_t s = lit * 1000 + run + 1;

			for (size_t k = 0; k < lit; k++)
				in[n++] = (uint8_t)(lz4_rand(&s) >> 33);
			memset(in + n, 'x', run);
			n += run;
			for (size_t k = 0; k < 20; k++)
				in[n++] = (uint8_t)(lz4_rand(&s) >> 33);
			both_ways(in, n);
		}
	}
	free(in);
}

/* Text compresses, zeros almost vanish, random data grows only by the bound. */
static void test_compresses(void **state)
{
	uint8_t *in = exact(4096);

	(void)state;
	lz4_fill(in, 4096, LZ4_IN_ZEROS, 0);
	assert_true(both_ways(in, 4096) < 40);
	lz4_fill(in, 4096, LZ4_IN_TEXT, 7);
	assert_true(both_ways(in, 4096) < 4096 * 6 / 10);
	lz4_fill(in, 4096, LZ4_IN_RANDOM, 7);
	assert_true(both_ways(in, 4096) <= LZ4_BOUND(4096));
	free(in);
}

/* A limit below the compressed size gives 0 and writes nothing past it; at the size, the same block. */
static void test_output_limit(void **state)
{
	uint8_t in[4096], full[LZ4_BOUND(4096)], lim[LZ4_BOUND(4096) + 16];

	(void)state;
	for (int f = 0; f < LZ4_IN_FAMILIES; f++) {
		size_t clen;

		lz4_fill(in, sizeof(in), (enum lz4_family)f, 11);
		clen = lz4_compress(in, sizeof(in), full, sizeof(full), &work);
		assert_true(clen > 0);
		for (size_t cap = 0; cap < clen; cap += 1 + cap / 16) {
			memset(lim, 0xee, sizeof(lim));
			assert_int_equal(lz4_compress(in, sizeof(in), lim, cap, &work), 0);
			for (size_t k = cap; k < sizeof(lim); k++)
				assert_int_equal(lim[k], 0xee);
		}
		memset(lim, 0xee, sizeof(lim));
		assert_int_equal(lz4_compress(in, sizeof(in), lim, clen, &work), clen);
		assert_memory_equal(lim, full, clen);
		assert_int_equal(lim[clen], 0xee);
	}
}

static int dec(const void *src, size_t n, size_t cap, size_t *len)
{
	uint8_t *s = exact(n), *d = exact(cap);
	int r;

	memcpy(s, src, n);
	r = lz4_decompress(s, n, d, cap, len);
	free(s);
	free(d);
	return r;
}

static void test_decoder_rejects(void **state)
{
	size_t len = 99;

	(void)state;
	assert_int_equal(dec("", 0, 16, &len), -MM_EINVAL);			/* empty */
	assert_int_equal(dec("\x00", 1, 0, &len), 0);				/* empty output */
	assert_int_equal(len, 0);
	assert_int_equal(dec("\x30" "abc", 4, 3, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(dec("\x30" "abc", 4, 2, &len), -MM_ENOSPC);		/* output too small */
	assert_int_equal(dec("\x30" "ab", 3, 16, &len), -MM_EINVAL);		/* literals cut short */
	assert_int_equal(dec("\x10" "a\x00\x00", 4, 16, &len), -MM_EINVAL);	/* offset 0 */
	assert_int_equal(dec("\x10" "a\x02\x00", 4, 16, &len), -MM_EINVAL);	/* before the start */
	assert_int_equal(dec("\x10" "a\x01", 3, 16, &len), -MM_EINVAL);		/* offset cut short */
	assert_int_equal(dec("\x1f" "a\x01\x00", 4, 64, &len), -MM_EINVAL);	/* length bytes missing */
	assert_int_equal(dec("\x10" "a\x01\x00", 4, 64, &len), -MM_EINVAL);	/* no last sequence */
	assert_int_equal(dec("\x10" "a\x01\x00\x00", 5, 5, &len), 0);		/* overlapping run */
	assert_int_equal(len, 5);
	assert_int_equal(dec("\x10" "a\x01\x00\x00", 5, 4, &len), -MM_ENOSPC);
	assert_int_equal(dec("\xf0\xff\xff\xff", 4, 1 << 16, &len), -MM_EINVAL);

	/* A huge run of 255s: lengths add up without overflow, then fail on the output limit. */
	{
		size_t n = 1 << 20;
		uint8_t *b = exact(n);

		memset(b, 0xff, n);
		b[0] = 0x1f;
		b[1] = 'z';
		b[2] = 1;
		b[3] = 0;
		b[n - 2] = 0;
		b[n - 1] = 0;
		assert_int_equal(dec(b, n, 4096, &len), -MM_ENOSPC);
		free(b);
	}
}

/* Every prefix and every single-byte corruption of real blocks: no access out of bounds, liblz4 agrees. */
static void check_against_liblz4(const uint8_t *blk, size_t n, size_t cap)
{
	uint8_t *s = exact(n), *a = exact(cap), *b = exact(cap);
	size_t len = 0;
	int r, t;

	memcpy(s, blk, n);
	r = lz4_decompress(s, n, a, cap, &len);
	t = LZ4_decompress_safe((const char *)s, (char *)b, (int)n, (int)cap);
	if (t >= 0 && !(r == -MM_EINVAL && lz4_has_zero_offset(s, n))) {
		assert_int_equal(r, 0);
		assert_int_equal(len, (size_t)t);
		assert_memory_equal(a, b, len);
	}
	if (r == 0)
		assert_true(len <= cap);
	else
		assert_true(r == -MM_EINVAL || r == -MM_ENOSPC);
	free(s);
	free(a);
	free(b);
}

static void test_corrupt_blocks(void **state)
{
	uint8_t in[4096], blk[LZ4_BOUND(4096)];
	uint64_t s = 42;

	(void)state;
	for (int f = 0; f < LZ4_IN_FAMILIES; f++) {
		size_t clen;

		lz4_fill(in, sizeof(in), (enum lz4_family)f, 5);
		clen = lz4_compress(in, sizeof(in), blk, sizeof(blk), &work);
		for (size_t k = 1; k < clen; k += 1 + clen / 64)
			check_against_liblz4(blk, k, sizeof(in));
		for (int i = 0; i < 120; i++) {
			uint8_t bad[LZ4_BOUND(4096)];
			size_t at = (size_t)(lz4_rand(&s) % clen);

			memcpy(bad, blk, clen);
			bad[at] ^= (uint8_t)(1 + lz4_rand(&s) % 255);
			check_against_liblz4(bad, clen, sizeof(in));
			check_against_liblz4(bad, clen, sizeof(in) / 2);
		}
	}
}

static void test_random_bytes(void **state)
{
	uint8_t b[256];
	uint64_t s = 7;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		size_t n = 1 + (size_t)(lz4_rand(&s) % sizeof(b));

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)(lz4_rand(&s) >> 24);
		/* Small literal counts and offsets make valid blocks likelier. */
		if (i & 1)
			b[0] &= 0x3f;
		check_against_liblz4(b, n, (size_t)(lz4_rand(&s) % 2048));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families_and_sizes),
		cmocka_unit_test(test_many_pages),
		cmocka_unit_test(test_length_boundaries),
		cmocka_unit_test(test_compresses),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_decoder_rejects),
		cmocka_unit_test(test_corrupt_blocks),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
