/* SPDX-License-Identifier: MIT */
/*
 * LZ4 block format: a fast compressor and a decompressor that is safe on
 * hostile input. Output of lz4_compress() is a plain LZ4 block (no frame
 * header, no checksum), so any LZ4 block decoder reads it; lz4_decompress()
 * reads any valid LZ4 block.
 *
 * A block is a run of sequences. Each sequence is a token byte (high nibble:
 * literal count, low nibble: match length - 4; 15 means "more length bytes
 * follow", each 255 meaning "and more"), the literals, a 16-bit little-endian
 * offset back into the output (1..65535) and the extra match-length bytes.
 * The last sequence stops after its literals. Encoders keep the last 5 bytes
 * literal and start no match within 12 bytes of the end, so fast decoders
 * may copy in wide words; ours does not rely on it.
 *
 * Nothing here allocates or keeps state: the compressor's hash table lives in
 * a work area the caller provides, so several CPUs may compress at once with
 * a work area each.
 */
#ifndef MM_LZ4_H
#define MM_LZ4_H

#include "types.h"

/* Largest input lz4_compress() takes, as the format's reference does. */
#define LZ4_MAX_INPUT	0x7E000000u

/*
 * The compressor's hash table, 16 KiB: 4096 32-bit positions, or for inputs
 * under 64 KiB 8192 16-bit ones, so more positions are remembered; for
 * inputs of at most LZ4_CHAIN_MAX bytes (pages), 4096 16-bit heads and the
 * hash chains: each position's previous one with the same hash, so that
 * several earlier candidates are tried and the longest match taken.
 */
#define LZ4_HASH_LOG	12
#define LZ4_CHAIN_MAX	4096
struct lz4_work {
	union {
		uint32_t pos32[1u << LZ4_HASH_LOG];
		uint16_t pos16[2u << LZ4_HASH_LOG];
		struct {
			uint16_t head[1u << LZ4_HASH_LOG];
			uint16_t chain[LZ4_CHAIN_MAX];
		};
	};
};

/* Worst-case compressed size of @n bytes (all literals, plus tokens). */
#define LZ4_BOUND(n)	((n) + (n) / 255 + 16)

/**
 * lz4_compress() - compress @n bytes into an LZ4 block
 * @src: the input
 * @n: its length, at most LZ4_MAX_INPUT
 * @dst: where the block goes
 * @cap: room at @dst; LZ4_BOUND(@n) always suffices
 * @work: a scratch area, overwritten
 *
 * A @cap below LZ4_BOUND(@n) asks "compress, but only if it fits": the
 * compressed page store uses that to give up early on incompressible pages.
 *
 * Return: the block's length, or 0 if it does not fit in @cap or @n is too
 * large (an empty input compresses to 1 byte, so 0 is never a length).
 */
size_t lz4_compress(const void *src, size_t n, void *dst, size_t cap, struct lz4_work *work);

/**
 * lz4_compress_chained() - lz4_compress() that searches harder on small inputs
 *
 * The same arguments, return and block format. Inputs of at most
 * LZ4_CHAIN_MAX bytes (a page) are searched through hash chains, up to 8
 * earlier candidates a position, the longest match taken: pages of text and
 * records come out 5-13% smaller for about 1.4-2x the compressor's time
 * (what a compressed swap store wants; lz4_compress() stays the fast one).
 * Larger inputs are compressed as lz4_compress() does.
 */
size_t lz4_compress_chained(const void *src, size_t n, void *dst, size_t cap,
			    struct lz4_work *work);

/**
 * lz4_decompress() - decode an LZ4 block
 * @src: the block
 * @n: its exact length
 * @dst: where the output goes
 * @cap: room at @dst
 * @out_len: set to the decoded length on success
 *
 * Never reads outside [@src, @src + @n) nor writes outside [@dst, @dst + @cap),
 * whatever @src holds. On error @dst may hold a partial output.
 *
 * Return: 0, -MM_EINVAL for a malformed block (truncated, zero offset or
 * offset before the start of the output, trailing bytes), -MM_ENOSPC if the
 * output would exceed @cap.
 */
int lz4_decompress(const void *src, size_t n, void *dst, size_t cap, size_t *out_len);

#endif
