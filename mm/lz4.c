// SPDX-License-Identifier: MIT
/*
 * LZ4 block compressor and safe decompressor (see lz4.h for the format).
 *
 * The compressor is the classic greedy LZ77 with a one-entry-per-bucket hash
 * table of earlier positions: hash the next 4 bytes, look at the last
 * position with the same hash, take the match if its 4 bytes agree, extend
 * it both ways, emit it. On misses it steps forward faster and faster, so
 * incompressible data is skipped almost at memcpy speed.
 * lz4_compress_chained(), for inputs of a page or less, also keeps hash chains (every probed position linked to the one
 * before it with the same hash) and try up to CHAIN_TRIES candidates,
 * taking the longest match: pages of text and records come out smaller, for
 * a few more instructions a page; the block format is the same.
 *
 * The decompressor checks every length against both ends before it copies;
 * it is written for clarity first and uses word copies only where they are
 * provably inside the buffers. No locks, no state: lock-free by construction.
 */
#include "lz4.h"
#include "errno.h"

#define MIN_MATCH	4
#define LAST_LITERALS	5	/* the block ends with at least this many literals */
#define MATCH_END_GAP	12	/* no match starts within this many bytes of the end */
#define MAX_OFFSET	65535
#define SKIP_SHIFT	6	/* after 2^6 misses in a row, step 2 bytes, and so on */
#define RUN_MASK	15	/* a nibble of 15: more length bytes follow */
#define CHAIN_TRIES	8	/* candidates a chained search looks at */
#define INSERT_STEP	4	/* positions inside a match linked: one in 4 (a quarter of the cost of all) */

typedef uintptr_t word_t;	/* match counting compares a machine word at a time */

static inline uint32_t read32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline word_t read_word(const uint8_t *p)
{
	word_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* Multiplicative (Fibonacci) hashing of 4 bytes into @log bits. */
static inline unsigned hash4(uint32_t seq, unsigned log)
{
	return (seq * 2654435761u) >> (32 - log);
}

/* Number of the lowest differing byte of two words (x86 is little-endian). */
static inline unsigned first_diff_byte(word_t x)
{
	if (sizeof(word_t) == 8)
		return (unsigned)__builtin_ctzll((unsigned long long)x) >> 3;
	return (unsigned)__builtin_ctz((unsigned)x) >> 3;
}

/* How many bytes at @a equal those at @b (@b < @a), not going past @limit. */
static inline size_t common_length(const uint8_t *a, const uint8_t *b, const uint8_t *limit)
{
	const uint8_t *start = a;

	while ((size_t)(limit - a) >= sizeof(word_t)) {
		word_t x = read_word(a) ^ read_word(b);

		if (x)
			return (size_t)(a - start) + first_diff_byte(x);
		a += sizeof(word_t);
		b += sizeof(word_t);
	}
	while (a < limit && *a == *b) {
		a++;
		b++;
	}
	return (size_t)(a - start);
}

/* Extra bytes a length of @len needs beyond its nibble. */
static inline size_t length_bytes(size_t len)
{
	return len >= RUN_MASK ? (len - RUN_MASK) / 255 + 1 : 0;
}

/* Write the extra bytes of a length @len >= RUN_MASK. */
static inline uint8_t *put_length(uint8_t *op, size_t len)
{
	for (len -= RUN_MASK; len >= 255; len -= 255)
		*op++ = 255;
	*op++ = (uint8_t)len;
	return op;
}

/* Token nibble for a length. */
static inline unsigned nibble(size_t len)
{
	return len >= RUN_MASK ? RUN_MASK : (unsigned)len;
}

/* Copy @lit literals; with @slack, in words, up to 7 bytes too many. */
static inline void copy_literals(uint8_t *op, const uint8_t *ip, size_t lit, bool slack)
{
	if (!slack) {
		__builtin_memcpy(op, ip, lit);
		return;
	}
	for (uint8_t *end = op + lit; op < end; op += 8, ip += 8)
		__builtin_memcpy(op, ip, 8);
}

/*
 * One sequence: the literals from @anchor to @ip, then a match of @mlen bytes
 * at @ip copying from @ref. Returns the new end of the output, or NULL if the
 * sequence does not fit before @oend.
 */
static inline __attribute__((always_inline)) uint8_t *
emit_sequence(uint8_t *op, uint8_t *oend, const uint8_t *anchor, const uint8_t *ip,
	      const uint8_t *ref, size_t mlen)
{
	size_t lit = (size_t)(ip - anchor), off;
	uint8_t *token;

	if (1 + length_bytes(lit) + lit + 2 + length_bytes(mlen - MIN_MATCH) > (size_t)(oend - op))
		return NULL;
	token = op++;
	if (lit >= RUN_MASK)
		op = put_length(op, lit);
	copy_literals(op, anchor, lit, (size_t)(oend - op) >= lit + 8);
	op += lit;
	off = (size_t)(ip - ref);
	*op++ = (uint8_t)off;
	*op++ = (uint8_t)(off >> 8);
	if (mlen - MIN_MATCH >= RUN_MASK)
		op = put_length(op, mlen - MIN_MATCH);
	*token = (uint8_t)(nibble(lit) << 4 | nibble(mlen - MIN_MATCH));
	return op;
}

/* The last sequence: the literals from @anchor to @end. Returns NULL if it does not fit. */
static uint8_t *put_last_literals(uint8_t *op, uint8_t *oend, const uint8_t *anchor,
				  const uint8_t *end)
{
	size_t lit = (size_t)(end - anchor);

	if (1 + length_bytes(lit) + lit > (size_t)(oend - op))
		return NULL;
	*op++ = (uint8_t)(nibble(lit) << 4);
	if (lit >= RUN_MASK)
		op = put_length(op, lit);
	__builtin_memcpy(op, anchor, lit);
	return op + lit;
}

/*
 * The compressor, specialised (by inlining with a constant @small) for inputs
 * under 64 KiB, whose positions fit the 16-bit table.
 */
static inline __attribute__((always_inline)) size_t
compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, struct lz4_work *w, bool small)
{
	const unsigned log = small ? LZ4_HASH_LOG + 1 : LZ4_HASH_LOG;
	const uint8_t *ip = src, *anchor = src, *const end = src + n;
	uint8_t *op = dst, *const oend = dst + cap;

#define TABLE_GET(h)	 (small ? w->pos16[h] : w->pos32[h])
#define TABLE_SET(h, p)	 (small ? (void)(w->pos16[h] = (uint16_t)((p) - src)) \
				: (void)(w->pos32[h] = (uint32_t)((p) - src)))

	if (n > MATCH_END_GAP) {
		const uint8_t *const last_start = end - MATCH_END_GAP;
		const uint8_t *const match_limit = end - LAST_LITERALS;

		__builtin_memset(w, 0, sizeof(*w));
		TABLE_SET(hash4(read32(ip), log), ip);
		ip++;
		for (;;) {
			const uint8_t *ref;
			unsigned misses = 1u << SKIP_SHIFT;
			size_t mlen;

			for (;;) {	/* find a match */
				uint32_t seq;
				unsigned h;

				if (ip > last_start)
					goto last;
				seq = read32(ip);
				h = hash4(seq, log);
				ref = src + TABLE_GET(h);
				TABLE_SET(h, ip);
				if (ref < ip && (small || ip - ref <= MAX_OFFSET) && read32(ref) == seq)
					break;
				ip += misses++ >> SKIP_SHIFT;
			}
			while (ip > anchor && ref > src && ip[-1] == ref[-1]) {
				ip--;
				ref--;
			}
			mlen = MIN_MATCH + common_length(ip + MIN_MATCH, ref + MIN_MATCH, match_limit);
			op = emit_sequence(op, oend, anchor, ip, ref, mlen);
			if (!op)
				return 0;
			ip += mlen;
			anchor = ip;
			if (ip > last_start)
				break;
			/* Remember a position inside the match: runs continue from there. */
			TABLE_SET(hash4(read32(ip - 2), log), ip - 2);
		}
	}
last:
	op = put_last_literals(op, oend, anchor, end);
	return op ? (size_t)(op - dst) : 0;
#undef TABLE_GET
#undef TABLE_SET
}

/* Link position @pos (hash @h) into its chain: the head becomes it (chained mode). */
static inline uint32_t chain_insert(struct lz4_work *w, unsigned h, uint32_t pos)
{
	uint32_t prev = w->head[h];

	w->chain[pos] = (uint16_t)prev;
	w->head[h] = (uint16_t)pos;
	return prev;
}

/*
 * The longest match for @ip among up to CHAIN_TRIES earlier positions of
 * its hash chain, starting at @cand: its length (0: none) and start (*@ref).
 * Every link points to an earlier position (the table starts zeroed:
 * position 0, whose own link is 0, ends every chain), so the walk ends.
 */
static inline size_t chain_search(const uint8_t *src, const uint8_t *ip, uint32_t seq,
				  uint32_t cand, const uint8_t *limit, const struct lz4_work *w,
				  const uint8_t **ref)
{
	size_t best = 0;
	uint32_t pos = (uint32_t)(ip - src);

	for (unsigned t = 0; t < CHAIN_TRIES && cand < pos; t++) {
		const uint8_t *c = src + cand;

		/* ip + best is at most @limit, inside the input: a cheap first reject. */
		if (c[best] == ip[best] && read32(c) == seq) {
			size_t len = MIN_MATCH + common_length(ip + MIN_MATCH, c + MIN_MATCH, limit);

			if (len > best) {
				best = len;
				*ref = c;
			}
		}
		uint32_t next = w->chain[cand];

		if (next >= cand)
			break;
		cand = next;
	}
	return best;
}

/*
 * The compressor for inputs of at most LZ4_CHAIN_MAX bytes: chained search,
 * greedy parse. Positions are linked in increasing order: each probe, and
 * one in INSERT_STEP positions a match covers after its probe (so that a link
 * always points back).
 */
static size_t compress_chained(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
			       struct lz4_work *w)
{
	const unsigned log = LZ4_HASH_LOG;	/* a smaller table to clear: chains resolve collisions */
	const uint8_t *ip = src, *anchor = src, *const end = src + n;
	uint8_t *op = dst, *const oend = dst + cap;

	if (n > MATCH_END_GAP) {
		const uint8_t *const last_start = end - MATCH_END_GAP;
		const uint8_t *const match_limit = end - LAST_LITERALS;

		__builtin_memset(w->head, 0, sizeof(w->head));
		chain_insert(w, hash4(read32(ip), log), 0);
		ip++;
		for (;;) {
			const uint8_t *ref = NULL, *next_ins;
			unsigned misses = 1u << SKIP_SHIFT;
			size_t mlen;

			for (;;) {	/* find a match */
				uint32_t seq, cand;

				if (ip > last_start)
					goto last;
				seq = read32(ip);
				cand = chain_insert(w, hash4(seq, log), (uint32_t)(ip - src));
				next_ins = ip + 1;
				mlen = chain_search(src, ip, seq, cand, match_limit, w, &ref);
				if (mlen)
					break;
				ip += misses++ >> SKIP_SHIFT;
			}
			while (ip > anchor && ref > src && ip[-1] == ref[-1]) {
				ip--;
				ref--;
				mlen++;
			}
			op = emit_sequence(op, oend, anchor, ip, ref, mlen);
			if (!op)
				return 0;
			ip += mlen;
			anchor = ip;
			if (ip > last_start)
				break;
			/* One in INSERT_STEP positions the match covered after the probe: later matches start there. */
			for (; next_ins < ip; next_ins += INSERT_STEP)
				chain_insert(w, hash4(read32(next_ins), log), (uint32_t)(next_ins - src));
		}
	}
last:
	op = put_last_literals(op, oend, anchor, end);
	return op ? (size_t)(op - dst) : 0;
}

size_t lz4_compress(const void *src, size_t n, void *dst, size_t cap, struct lz4_work *work)
{
	if (n > LZ4_MAX_INPUT)
		return 0;
	if (n < 65536)
		return compress(src, n, dst, cap, work, true);
	return compress(src, n, dst, cap, work, false);
}

size_t lz4_compress_chained(const void *src, size_t n, void *dst, size_t cap,
			    struct lz4_work *work)
{
	if (n <= LZ4_CHAIN_MAX)
		return compress_chained(src, n, dst, cap, work);
	return lz4_compress(src, n, dst, cap, work);
}

/* Add the extra length bytes at *@ip to *@len. False if the block ends first. */
static inline bool get_length(const uint8_t **ip, const uint8_t *iend, size_t *len)
{
	unsigned b;

	do {
		if (*ip >= iend || *len > (size_t)-1 / 2)
			return false;
		b = *(*ip)++;
		*len += b;
	} while (b == 255);
	return true;
}

static inline void copy8(uint8_t *d, const uint8_t *s)
{
	__builtin_memcpy(d, s, 8);
}

/*
 * Copy @len bytes from @off back; they may overlap the bytes being written.
 * With @slack (at least 8 bytes of room past the end), whole words may be
 * written past @len: the bytes there are overwritten later or lie beyond
 * the output anyway.
 */
static inline void copy_match(uint8_t *op, size_t off, size_t len, bool slack)
{
	const uint8_t *m = op - off;
	uint8_t *const end = op + len;

	if (off == 1) {
		__builtin_memset(op, *m, len);
		return;
	}
	if (off < 8 && slack) {
		/*
		 * A short period: once one multiple of it that is >= 8 bytes
		 * is written byte by byte, copy from that far back in words.
		 */
		size_t far = off * ((8 + off - 1) / off);
		const uint8_t *head_end = op + (len < far ? len : far);

		while (op < head_end)
			*op++ = *m++;
		if (op == end)
			return;
		m = op - far;
		off = far;
	}
	if (off >= 8) {
		/* Each 8-byte read lies wholly before the write it feeds. */
		if (slack) {
			while (op < end) {
				copy8(op, m);
				op += 8;
				m += 8;
			}
			return;
		}
		for (; end - op >= 8; op += 8, m += 8)
			copy8(op, m);
	}
	while (op < end)
		*op++ = *m++;
}

int lz4_decompress(const void *src, size_t n, void *dst, size_t cap, size_t *out_len)
{
	const uint8_t *ip = src, *const iend = ip + n;
	uint8_t *op = dst, *const ostart = dst, *const oend = op + cap;

	for (;;) {
		unsigned token;
		size_t lit, mlen, off;

		if (ip >= iend)
			return -MM_EINVAL;
		token = *ip++;
		lit = token >> 4;
		if (lit < RUN_MASK && iend - ip >= 16 && oend - op >= 16) {
			/* Short literals far from both ends: copy 16, keep @lit. */
			copy8(op, ip);
			copy8(op + 8, ip + 8);
			ip += lit;
			op += lit;
			goto offset;
		}
		if (lit == RUN_MASK && !get_length(&ip, iend, &lit))
			return -MM_EINVAL;
		if (lit > (size_t)(iend - ip))
			return -MM_EINVAL;
		if (lit > (size_t)(oend - op))
			return -MM_ENOSPC;
		__builtin_memcpy(op, ip, lit);
		ip += lit;
		op += lit;
		if (ip == iend)
			break;		/* the last sequence has no match */
		if (iend - ip < 2)
			return -MM_EINVAL;
offset:
		off = (size_t)ip[0] | (size_t)ip[1] << 8;
		ip += 2;
		if (off == 0 || off > (size_t)(op - ostart))
			return -MM_EINVAL;
		mlen = token & RUN_MASK;
		if (mlen == RUN_MASK && !get_length(&ip, iend, &mlen))
			return -MM_EINVAL;
		mlen += MIN_MATCH;
		if (mlen > (size_t)(oend - op))
			return -MM_ENOSPC;
		copy_match(op, off, mlen, (size_t)(oend - op) - mlen >= 8);
		op += mlen;
	}
	*out_len = (size_t)(op - ostart);
	return 0;
}
