// SPDX-License-Identifier: MIT
/*
 * Random numbers for ASLR and getrandom(): RDRAND where the CPU has it,
 * otherwise a xorshift generator seeded from the TSC and the RTC. Not
 * cryptographic without RDRAND; nothing here claims otherwise.
 */
#include "arch.h"

static uint64_t state;

static bool rdrand_long(unsigned long *v)
{
	for (int tries = 0; tries < 10; tries++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* RDRAND's operand is a register: two reads on a 32-bit CPU. */
static bool rdrand64(uint64_t *v)
{
	unsigned long a, b = 0;

	if (!rdrand_long(&a) || (sizeof(long) < 8 && !rdrand_long(&b)))
		return false;
	*v = sizeof(long) < 8 ? (uint64_t)b << 32 | a : a;
	return true;
}

uint64_t arch_random(void)
{
	uint64_t v;

	if (cpu_features.rdrand && rdrand64(&v))
		return v;
	if (!state)
		state = rdtsc() ^ (boot_epoch_seconds() << 32) ^ 0x9e3779b97f4a7c15ull;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}
