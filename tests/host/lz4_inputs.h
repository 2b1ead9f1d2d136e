/* SPDX-License-Identifier: MIT */
/*
 * Inputs for the LZ4 tests, fuzzers and benchmark: deterministic families
 * of data shaped like the pages a compressed swap store sees.
 *   zeros    - one byte repeated (a freshly touched page)
 *   random   - incompressible
 *   text     - words from a small vocabulary with spaces and line breaks
 *   records  - fixed-size records with counters and pointers (program data)
 *   periodic - a short pattern repeated (overlapping matches of offset 1..8)
 *   mixed    - stretches of the others, switching every few hundred bytes
 * and lz4_has_zero_offset(), for comparing decoders on hostile blocks.
 */
#ifndef TESTS_HOST_LZ4_INPUTS_H
#define TESTS_HOST_LZ4_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum lz4_family { LZ4_IN_ZEROS, LZ4_IN_RANDOM, LZ4_IN_TEXT, LZ4_IN_RECORDS,
		  LZ4_IN_PERIODIC, LZ4_IN_MIXED, LZ4_IN_FAMILIES };

static const char *const lz4_family_name[LZ4_IN_FAMILIES] = {
	"zeros", "random", "text", "records", "periodic", "mixed"
};

/* xorshift64*: a fast, seedable generator (seed must not be 0). */
static inline uint64_t lz4_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static const char *const lz4_words[] = {
	"the", "memory", "page", "frame", "of", "and", "to", "kernel", "swap", "a",
	"compressed", "pool", "in", "is", "that", "for", "process", "it", "with",
	"address", "space", "on", "fault", "table", "map", "free", "list", "zone",
	"reclaim", "object", "handle", "size", "class", "byte", "word", "block",
};

static inline void lz4_fill(uint8_t *p, size_t n, enum lz4_family f, uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
	size_t i = 0;

	switch (f) {
	case LZ4_IN_ZEROS:
		memset(p, (int)(seed & 0xff), n);
		break;
	case LZ4_IN_RANDOM:
		for (; i < n; i++)
			p[i] = (uint8_t)(lz4_rand(&s) >> 32);
		break;
	case LZ4_IN_TEXT:
		while (i < n) {
			uint64_t r = lz4_rand(&s);
			const char *w = lz4_words[(r >> 8) % (sizeof(lz4_words) / sizeof(lz4_words[0]))];
			for (; *w && i < n; w++)
				p[i++] = (uint8_t)*w;
			if (i < n)
				p[i++] = (r & 15) == 0 ? '\n' : ' ';
		}
		break;
	case LZ4_IN_RECORDS: {
		uint32_t id = (uint32_t)seed;
		uint64_t ptr = 0xffff888000000000ull + (seed << 12);

		while (i < n) {
			uint8_t rec[32] = { 0 };
			size_t k = n - i < sizeof(rec) ? n - i : sizeof(rec);

			id++;
			ptr += 64 + (lz4_rand(&s) & 0x3c0);
			memcpy(rec, &id, 4);
			memcpy(rec + 8, &ptr, 8);
			rec[16] = (uint8_t)(lz4_rand(&s) & 3);
			memcpy(p + i, rec, k);
			i += k;
		}
		break;
	}
	case LZ4_IN_PERIODIC: {
		size_t period = 1 + (size_t)(seed % 8);
		uint8_t pat[8];

		for (size_t k = 0; k < period; k++)
			pat[k] = (uint8_t)(lz4_rand(&s) >> 40);
		for (; i < n; i++)
			p[i] = pat[i % period];
		break;
	}
	default:
		while (i < n) {
			size_t len = 64 + (size_t)(lz4_rand(&s) % 512);
			enum lz4_family g = (enum lz4_family)(lz4_rand(&s) % LZ4_IN_MIXED);

			if (len > n - i)
				len = n - i;
			lz4_fill(p + i, len, g, lz4_rand(&s) | 1);
			i += len;
		}
		break;
	}
}

/*
 * Whether walking the sequences of @p meets an offset of 0 before the block
 * ends: the format forbids it, and our decoder refuses it, but liblz4's fast
 * path lets it through (copying the output onto itself), so on such blocks
 * the two may disagree.
 */
static inline bool lz4_has_zero_offset(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	while (p < end) {
		size_t lit = *p >> 4, run = *p & 15;
		unsigned b;

		p++;
		if (lit == 15)
			do {
				if (p >= end)
					return false;
				lit += b = *p++;
			} while (b == 255);
		if (lit >= (size_t)(end - p) || end - p - lit < 2)
			return false;
		p += lit;
		if (p[0] == 0 && p[1] == 0)
			return true;
		p += 2;
		if (run == 15)
			do {
				if (p >= end)
					return false;
				b = *p++;
			} while (b == 255);
	}
	return false;
}

#endif
