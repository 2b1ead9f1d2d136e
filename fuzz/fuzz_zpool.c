// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the compressed-object pool: sequences of alloc
 * (sizes 1..PAGE_SIZE, biased to the boundaries of classes and frames),
 * write, read, free, bad frees and compaction, against a model of the live
 * objects and their bytes:
 *   - every read returns exactly what was written, before and after moves
 *     (each object is read before it is freed; after a compaction a sample
 *     of CHECK_SAMPLE objects, and every object at the end of the input);
 *   - statistics match the model (objects, bytes), zpool_check() passes;
 *   - bad handles are reported and change nothing;
 *   - after freeing everything no object frame is left, and after
 *     zpool_destroy() every frame is back in the PMM.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "mm/errno.h"
#include "mm/zpool.h"
#include "tests/host/sim_setup.h"

#define MAX_LIVE	256
#define CHECK_SAMPLE	8

static struct zpool pool;
static struct obj {
	zpool_handle_t h;
	uint16_t size;
	uint8_t seed;
} live[MAX_LIVE];
static unsigned nlive;
static uint64_t free0;
static uint64_t sample;			/* fuzz_sample() state */
static bool plant;

/*
 * An object's bytes: byte i is seed + 13 h + 7 i + i / 256 (mod 256), the
 * part that depends on i kept in ramp[] and the rest added to eight bytes at
 * a time, so writing and checking a page costs a few hundred steps, not
 * thousands.
 */
static uint64_t ramp[PAGE_SIZE / sizeof(uint64_t)];
/* Eight bytes of an object, wherever they lie. */
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;

FUZZ_ORACLE static void ramp_init(void)
{
	uint8_t *r = (uint8_t *)ramp;

	for (size_t i = 0; i < PAGE_SIZE; i++)
		r[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* Each byte of @x plus the byte @c, with no carry from one byte to the next. */
FUZZ_ORACLE static uint64_t add_bytes(uint64_t x, uint8_t c)
{
	const uint64_t hi = 0x8080808080808080ull;
	uint64_t c8 = c * 0x0101010101010101ull;

	return ((x & ~hi) + (c8 & ~hi)) ^ ((x ^ c8) & hi);
}

FUZZ_ORACLE static void pattern(uint8_t *b, size_t n, uint8_t seed, zpool_handle_t h)
{
	uint8_t c = (uint8_t)(seed + h * 13);
	size_t w = n / sizeof(uint64_t);

	for (size_t i = 0; i < w; i++)
		((word_t *)b)[i] = add_bytes(ramp[i], c);
	for (size_t i = w * sizeof(uint64_t); i < n; i++)
		b[i] = (uint8_t)(((const uint8_t *)ramp)[i] + c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	if (sim_ram_pmm_flat(64 * MiB))
		abort();
	free0 = sim_free_frames();
	ramp_init();
	plant = fuzz_plant_wanted();
	return 0;
}

FUZZ_ORACLE static void check_obj(const struct obj *o)
{
	uint8_t want[PAGE_SIZE], got[PAGE_SIZE];

	pattern(want, o->size, o->seed, o->h);
	CHECK(zpool_read(&pool, o->h, got, sizeof(got)) == o->size);
	CHECK(memcmp(got, want, o->size) == 0);
}

/* Is @h 0 or a live object's handle? */
static bool model_holds(zpool_handle_t h)
{
	bool held = h == 0;

	for (unsigned k = 0; k < nlive && !held; k++)
		held = live[k].h == h;
	return held;
}

static size_t pick_size(struct fuzz_input *in)
{
	unsigned w = fuzz_word(in);

	switch (w >> 14) {
	case 0:		/* around a class boundary */
		return MM_MAX(1u, MM_MIN((size_t)PAGE_SIZE, (size_t)((w & 0xff) * 16 + (w >> 8 & 7)) - 4 + 1));
	case 1:		/* near a page */
		return PAGE_SIZE - (w & 127);
	default:
		return 1 + w % PAGE_SIZE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint64_t bytes = 0;
	unsigned long bad = 0;
	struct zpool_stats st;

	CHECK(zpool_init(&pool) == 0);
	fuzz_sample_seed(&sample, data, size);
	nlive = 0;
	sim_reset_counts();
	while (in.n) {
		unsigned op = fuzz_byte(&in) % 8;

		if (op <= 3 && nlive < MAX_LIVE) {
			struct obj *o = &live[nlive];
			uint8_t b[PAGE_SIZE];

			o->size = (uint16_t)pick_size(&in);
			o->seed = (uint8_t)fuzz_byte(&in);
			CHECK(zpool_alloc(&pool, o->size, &o->h) == 0);
			pattern(b, o->size, o->seed, o->h);
			CHECK(zpool_write(&pool, o->h, b) == 0);
			bytes += o->size;
			nlive++;
		} else if (op <= 5 && nlive) {
			unsigned k = fuzz_byte(&in) % nlive;

			check_obj(&live[k]);
			zpool_free(&pool, live[k].h);
			bytes -= live[k].size;
			live[k] = live[--nlive];
		} else if (op == 6) {
			uint64_t before;
			unsigned long freed;

			zpool_get_stats(&pool, &st);
			before = st.pool_pages;
			freed = zpool_compact(&pool);
			zpool_get_stats(&pool, &st);
			CHECK(freed == before - st.pool_pages);
			for (unsigned k = 0; nlive && k < CHECK_SAMPLE; k++)
				check_obj(&live[fuzz_sample(&sample, nlive)]);
		} else {
			/* A handle no live object has: the next one the model does not hold. */
			zpool_handle_t h = (zpool_handle_t)fuzz_word(&in);
			if (!model_holds(h)) {
				zpool_free(&pool, h);
				bad++;
			}
		}
	}
	if (plant && nlive) {
		/*
		 * FUZZ_PLANT: an object's bytes change behind the model's back;
		 * the end-of-input reads must notice.
		 */
		struct obj o = live[nlive / 2];
		uint8_t b[PAGE_SIZE];

		o.seed++;
		pattern(b, o.size, o.seed, o.h);
		CHECK(zpool_write(&pool, o.h, b) == 0);
	}
	zpool_get_stats(&pool, &st);
	CHECK(st.objects == nlive && st.obj_bytes == bytes && st.bad_calls == bad);
	CHECK(sim_errors() == bad);
	CHECK(zpool_check(&pool) == 0);
	while (nlive) {
		check_obj(&live[nlive - 1]);
		zpool_free(&pool, live[--nlive].h);
	}
	zpool_get_stats(&pool, &st);
	CHECK(st.objects == 0 && st.obj_bytes == 0 && st.pool_pages == 0 && st.zspages == 0);
	zpool_destroy(&pool);
	CHECK(sim_free_frames() == free0);
	return 0;
}
