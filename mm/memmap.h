/* SPDX-License-Identifier: MIT */
/*
 * The physical memory map: the bootloader's raw list of ranges, which may be
 * unsorted, overlapping, zero-length, wrapping or absurd, turned into a sorted
 * list of non-overlapping, page-aligned ranges that the PMM can trust.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include "types.h"

/* Range types. 1..5 are the multiboot/E820 codes; the rest are ours. */
enum memmap_type {
	MEMMAP_USABLE = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI_RECLAIMABLE = 3,
	MEMMAP_ACPI_NVS = 4,
	MEMMAP_BAD = 5,
	MEMMAP_KERNEL = 16,	/* the kernel image */
	MEMMAP_MODULE = 17,	/* a bootloader module (the initrd) */
	MEMMAP_BOOTINFO = 18,	/* the bootloader's information structure */
	MEMMAP_FRAMEDB = 19,	/* the PMM's frame database */
};

#define MEMMAP_MAX_RAW		128	/* raw entries kept; more are dropped, logged */
#define MEMMAP_MAX_RANGES	256	/* normalized ranges */

struct memmap_range {
	phys_addr_t base;	/* inclusive, page-aligned after normalization */
	phys_addr_t end;	/* exclusive, page-aligned after normalization */
	uint32_t type;		/* enum memmap_type, or an unknown bootloader code */
};

struct memmap {
	struct memmap_range raw[MEMMAP_MAX_RAW];	/* as given, after validation */
	unsigned nraw;
	struct memmap_range range[MEMMAP_MAX_RANGES];	/* normalized */
	unsigned count;
	unsigned dropped;	/* raw entries rejected as invalid or over capacity */
	/* Working space of normalization and carving, so none is on the stack. */
	struct memmap_range scratch[MEMMAP_MAX_RANGES];
};

void memmap_init(struct memmap *map);
int memmap_add(struct memmap *map, uint64_t base, uint64_t length, uint32_t type);
void memmap_normalize(struct memmap *map);
int memmap_carve(struct memmap *map, phys_addr_t base, phys_addr_t end, uint32_t type);
uint64_t memmap_bytes(const struct memmap *map, uint32_t type);
phys_addr_t memmap_highest_usable(const struct memmap *map);
const char *memmap_type_name(uint32_t type);

#endif
