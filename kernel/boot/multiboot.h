/* SPDX-License-Identifier: MIT */
/*
 * What the kernel learns from its bootloader, whichever protocol it used.
 *
 * multiboot_parse() reads multiboot 1 or multiboot 2 information through a
 * bounds-checked accessor, so it never trusts a length or pointer it was
 * given; it runs on the host under unit tests and a fuzzer.
 */
#ifndef KERNEL_BOOT_MULTIBOOT_H
#define KERNEL_BOOT_MULTIBOOT_H

#include "../../mm/memmap.h"

#define MULTIBOOT1_BOOT_MAGIC	0x2BADB002u
#define MULTIBOOT2_BOOT_MAGIC	0x36D76289u

#define BOOT_CMDLINE_MAX	256
#define BOOT_NAME_MAX		64
#define BOOT_MODULES_MAX	8

struct boot_module {
	phys_addr_t start, end;		/* [start, end) */
	char cmdline[BOOT_NAME_MAX];
};

struct boot_info {
	unsigned protocol;			/* 1 or 2 */
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[BOOT_NAME_MAX];
	struct boot_module module[BOOT_MODULES_MAX];
	unsigned nmodules;
	phys_addr_t info_start, info_end;	/* the information structure itself */
	bool map_from_fallback;			/* no map: built from mem_lower/upper */
	struct memmap map;			/* normalized */
};

/*
 * Returns a pointer to @len readable bytes at physical address @pa, or NULL
 * if any of them is out of reach.
 */
typedef const void *(*phys_reader_fn)(uint64_t pa, uint64_t len, void *ctx);

int multiboot_parse(uint32_t magic, uint64_t info_pa, phys_reader_fn read,
		    void *ctx, struct boot_info *bi);

#endif
