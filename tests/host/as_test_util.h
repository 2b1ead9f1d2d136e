/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the address-space tests: a process's space with a soft MMU
 * running on it as a user-mode CPU, byte access through that MMU, and a
 * deterministic random source for ASLR.
 */
#ifndef TESTS_HOST_AS_TEST_UTIL_H
#define TESTS_HOST_AS_TEST_UTIL_H

#include "host/soft_mmu.h"
#include "mm/as.h"
#include "tests/host/vm_test_util.h"

/* A process: its space and the CPU running it. */
struct proc {
	struct as as;
	struct smmu mmu;
};

/* splitmix64: the same sequence for the same seed. */
static inline uint64_t test_random(void *ctx)
{
	uint64_t *s = ctx, z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Point @p's CPU at its space (after as_init() or as_fork()). */
static inline void proc_cpu(struct proc *p)
{
	smmu_init(&p->mmu, &p->as.vs.pt);
	p->mmu.vs = &p->as.vs;
}

/* User-mode byte access: 0 or -MM_EFAULT (then mmu.error_code says why). */
static inline int uread8(struct proc *p, uintptr_t va, uint8_t *v)
{
	return smmu_read(&p->mmu, va, SMMU_USER, v, 1);
}

static inline int uwrite8(struct proc *p, uintptr_t va, uint8_t v)
{
	return smmu_write(&p->mmu, va, SMMU_USER, &v, 1);
}

static inline int ufetch8(struct proc *p, uintptr_t va)
{
	uint8_t v;

	return smmu_fetch(&p->mmu, va, SMMU_USER, &v, 1);
}

/* The byte at @va, or -1 if reading faults. */
static inline int upeek(struct proc *p, uintptr_t va)
{
	uint8_t v;

	return uread8(p, va, &v) ? -1 : v;
}

#endif
