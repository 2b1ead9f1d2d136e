// SPDX-License-Identifier: MIT
/*
 * The paging formats the engine knows, as data (Intel SDM vol. 3, ch. 4).
 * Bit positions are shared by all three: P 0, R/W 1, U/S 2, PWT 3, PCD 4,
 * A 5, D 6, PS 7 (PAT in a 4 KiB leaf), G 8, PAT 12 in a large leaf, and
 * XD 63 where entries are 64-bit.
 */
#include "pt.h"

#define P	0x001ull
#define W	0x002ull
#define U	0x004ull
#define PWT	0x008ull
#define PCD	0x010ull
#define A	0x020ull
#define D	0x040ull
#define PS	0x080ull
#define G	0x100ull
#define PAT_L	0x1000ull
#define XD	(1ull << 63)
#define PKEY_SHIFT 59			/* 4-level paging's protection key: bits 62:59 */

#define COMMON_BITS							\
	.present = P, .writable = W, .user = U, .accessed = A, .dirty = D,	\
	.large = PS, .global = G, .nocache = PWT | PCD, .large_pat = PAT_L

/* Long mode, 4-level paging: 48-bit canonical addresses, 2 MiB and 1 GiB pages. */
const struct pt_format pt_format_x86_64 = {
	.name = "x86_64",
	.levels = 4,
	.entry_size = 8,
	.va_bits = 48,
	.va_sign_extend = 1,
	.index_bits = { 9, 9, 9, 9 },
	.shift = { 12, 21, 30, 39 },
	.large_levels = 1u << 1 | 1u << 2,
	COMMON_BITS,
	.nx = XD,
	.pkey = 0xfull << PKEY_SHIFT,		/* ignored while CR4.PKE is clear */
	.pkey_shift = PKEY_SHIFT,
	.addr_mask = 0x000ffffffffff000ull,
	.table_bits = P | W | U,
	.root_table_bits = P | W | U,
	.rsvd_bits = 0,				/* 62:52 are ignored, not reserved */
	.phys_limit = 1ull << 52,
	.table_limit = 1ull << 52,
	.root_limit = 1ull << 52,
};

/*
 * 32-bit PAE paging: a 4-entry PDPT whose entries have no R/W, U/S or XD
 * (bits 1, 2, 5-8 and 63 are reserved there), 2 MiB pages, XD.
 */
const struct pt_format pt_format_i386_pae = {
	.name = "i386-pae",
	.levels = 3,
	.entry_size = 8,
	.va_bits = 32,
	.va_sign_extend = 0,
	.index_bits = { 9, 9, 2 },
	.shift = { 12, 21, 30 },
	.large_levels = 1u << 1,
	COMMON_BITS,
	.nx = XD,
	.addr_mask = 0x000ffffffffff000ull,
	.table_bits = P | W | U,
	.root_table_bits = P,
	.rsvd_bits = 0x7ff0000000000000ull,	/* 62:52 are reserved in PAE */
	.phys_limit = 1ull << 52,
	.table_limit = 1ull << 52,
	.root_limit = 1ull << 32,		/* CR3 is 32 bits wide */
};

/* 32-bit paging with PSE: 1024 4-byte entries per table, 4 MiB pages, no NX. */
const struct pt_format pt_format_i386 = {
	.name = "i386",
	.levels = 2,
	.entry_size = 4,
	.va_bits = 32,
	.va_sign_extend = 0,
	.index_bits = { 10, 10 },
	.shift = { 12, 22 },
	.large_levels = 1u << 1,
	COMMON_BITS,
	.nx = 0,
	.addr_mask = 0xfffff000ull,
	.table_bits = P | W | U,
	.root_table_bits = P | W | U,
	.rsvd_bits = 0,
	.phys_limit = 1ull << 32,		/* no PSE-36 */
	.table_limit = 1ull << 32,
	.root_limit = 1ull << 32,
};
