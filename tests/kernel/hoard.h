/* SPDX-License-Identifier: MIT */
/*
 * Starving the kernel on purpose: take every free frame, largest blocks
 * first, chaining the blocks through their own first words (so holding
 * them costs no memory), and give them all back afterwards. High memory
 * too: the words are written through temporary mappings.
 */
#ifndef TESTS_KERNEL_HOARD_H
#define TESTS_KERNEL_HOARD_H

#include "mm/platform.h"
#include "mm/pmm.h"

/*
 * Takes every block of order @hi down to @lo the PMM gives for @flags,
 * largest first, onto *@chain (PMM_NO_FRAME: empty); returns how many frames.
 */
static inline uint64_t hoard_frames(unsigned flags, int hi, int lo, phys_addr_t *chain)
{
	uint64_t taken = 0;

	for (int order = hi; order >= lo; order--) {
		phys_addr_t f;

		while ((f = pmm_alloc_pages(order, flags)) != PMM_NO_FRAME) {
			uint64_t *p = plat_kmap(f);

			p[0] = *chain;
			p[1] = (uint64_t)order;
			plat_kunmap(p);
			*chain = f;
			taken += 1ull << order;
		}
	}
	return taken;
}

/* Takes every frame the PMM will give; returns how many, the chain in @chain. */
static inline uint64_t hoard_all_frames(phys_addr_t *chain)
{
	*chain = PMM_NO_FRAME;
	return hoard_frames(PMM_HIGHMEM, PMM_MAX_ORDER, 0, chain);
}

/* Gives back every block of a chain made by hoard_all_frames(). */
static inline void hoard_release(phys_addr_t chain)
{
	while (chain != PMM_NO_FRAME) {
		uint64_t *p = plat_kmap(chain);
		phys_addr_t next = p[0];
		unsigned order = (unsigned)p[1];

		plat_kunmap(p);
		pmm_free_pages(chain, order);
		chain = next;
	}
}

#endif
