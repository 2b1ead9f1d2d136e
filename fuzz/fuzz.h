// SPDX-License-Identifier: MIT
/*
 * What every libFuzzer target here shares: the entry points, a check that
 * stops the run where an invariant broke, and a reader that turns the
 * fuzzer's bytes into small numbers (zeros once the input runs out, so a
 * short input is still a complete, valid sequence of operations).
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

#endif
