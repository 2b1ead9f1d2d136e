// SPDX-License-Identifier: MIT
/*
 * What every libFuzzer target here shares: the entry points, a check that
 * stops the run where an invariant broke, and a reader that turns the
 * fuzzer's bytes into small numbers (zeros once the input runs out, so a
 * short input is still a complete, valid sequence of operations).
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Checking code: no coverage instrumentation, so the fuzzer is steered by
 * the code under test, and its comparisons cost no tracing calls.
 */
#if defined(__clang__)
#define FUZZ_ORACLE	__attribute__((no_sanitize("coverage")))
#else
#define FUZZ_ORACLE
#endif

/* A broken invariant: say where, then abort so libFuzzer keeps the input. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fuzz_byte(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned fuzz_word(struct fuzz_input *in)
{
	unsigned lo = fuzz_byte(in);

	return lo | fuzz_byte(in) << 8;
}

/*
 * The checks' self-test: with FUZZ_PLANT in the environment a target
 * plants one bug per input (a change the model does not know about, where
 * only a check that runs late or on a sample can see it), so a run that
 * does not report shows a check that never runs. The fuzz suite runs each
 * such target this way and expects a report.
 */
static inline bool fuzz_plant_wanted(void)
{
	const char *e = getenv("FUZZ_PLANT");
	bool on = e && *e && *e != '0';

	if (on)
		fprintf(stderr, "FUZZ_PLANT: planting a bug the checks must find\n");
	return on;
}

/*
 * Pages to check beyond an operation's own: a generator seeded from the
 * input (fuzz_sample_seed() at its start), so a crash replays exactly.
 */
FUZZ_ORACLE static inline void fuzz_sample_seed(uint64_t *state, const uint8_t *data, size_t size)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ size;

	for (size_t i = 0; i < size && i < 16; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	*state = h | 1;
}

FUZZ_ORACLE static inline unsigned fuzz_sample(uint64_t *state, unsigned n)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return n ? (unsigned)((x >> 11) % n) : 0;
}

#endif
