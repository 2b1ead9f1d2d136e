/* SPDX-License-Identifier: MIT */
/*
 * Compressed swap in RAM at boot: the option zram=SIZE (K/M/G suffix, as
 * Linux's zram disksize) makes a compressed page store (mm/zstore.h) of
 * SIZE worth of page slots and swaps to it at priority 100, so it fills
 * before any disk area. The store takes RAM only for the pages it holds.
 */
#ifndef KERNEL_SWAP_SWAP_ZRAM_H
#define KERNEL_SWAP_SWAP_ZRAM_H

/* Set up the zram= area if the command line asks for one: 0, or a negative error (reported). */
int swap_zram_boot(void);

#endif
