// SPDX-License-Identifier: MIT
/*
 * STAC and CLAC are invalid instructions (#UD) on a CPU without SMAP (before
 * Broadwell; QEMU's qemu64 and qemu32). The user-copy routines mark each of
 * theirs with SMAP_SITE (usercopy.inc), which lists its address in
 * .smap_sites; on such a CPU the boot processor overwrites each with a
 * 3-byte NOP before the first copy, as Linux's alternatives do. Text is
 * read-only by then, so CR0.WP is cleared around the writes: one CPU runs,
 * and the CR0 write that sets WP again serializes, so the new bytes are
 * what gets fetched.
 */
#include "arch.h"
#include "kernel/lib.h"

extern const uintptr_t _smap_sites_start[], _smap_sites_end[];

static const uint8_t insn_stac[3] = { 0x0f, 0x01, 0xcb };
static const uint8_t insn_clac[3] = { 0x0f, 0x01, 0xca };
static const uint8_t insn_nop3[3] = { 0x0f, 0x1f, 0x00 };	/* nopl (%eax) */

/**
 * smap_patch_sites() - turn the copy routines' STAC/CLAC into NOPs without SMAP
 *
 * Called once on the boot processor after cpu_features is known, before any
 * user copy or other CPU runs. Panics if a listed site is not STAC or CLAC:
 * the list and the text disagree, a broken build.
 */
void smap_patch_sites(void)
{
	if (cpu_features.smap)
		return;
	unsigned long cr0 = read_cr0();

	write_cr0(cr0 & ~CR0_WP);
	for (const uintptr_t *p = _smap_sites_start; p < _smap_sites_end; p++) {
		uint8_t *ip = (uint8_t *)*p;

		if (memcmp(ip, insn_stac, 3) && memcmp(ip, insn_clac, 3))
			panic("smap: site %p is not stac or clac", (void *)ip);
		memcpy(ip, insn_nop3, 3);
	}
	write_cr0(cr0);
}
