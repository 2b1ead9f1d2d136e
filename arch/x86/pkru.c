// SPDX-License-Identifier: MIT
/*
 * Protection keys for user pages (Intel SDM vol. 3, 4.6.2): with CR4.PKE
 * set in 4-level paging, every data access to a user page is checked
 * against the 2 bits of its key in the thread's PKRU register (bit 2k:
 * access disabled, bit 2k + 1: write disabled), the kernel's accesses to
 * user pages included; instruction fetches are not. The register is per
 * thread: saved and loaded at task switches (sched.c), inherited by fork
 * and clone, reset by execve and for a signal handler to Linux's
 * init_pkru value; signal frames carry it in their XSAVE image (fpu.c,
 * signal_frame.c). Without PKU (and on i386) there is one key, 0, and no
 * register: reads give 0 and writes do nothing.
 */
#include "arch.h"

#define PKRU_AD		0x1u	/* access disable, shifted by 2 * key */
#define PKRU_WD		0x2u	/* write disable */
#define PKEY_DISABLE_ACCESS	0x1	/* pkey_alloc()'s rights: Linux's ABI */
#define PKEY_DISABLE_WRITE	0x2

unsigned arch_pkeys(void)
{
	return cpu_features.pku ? ARCH_PKEYS_MAX : 1;
}

uint32_t arch_pkru_read(void)
{
	uint32_t eax, edx;

	if (!cpu_features.pku)
		return 0;
	/* RDPKRU (0f 01 ee): ECX must be 0; EDX is cleared. */
	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

void arch_pkru_write(uint32_t pkru)
{
	if (!cpu_features.pku)
		return;
	/* WRPKRU (0f 01 ef): ECX and EDX must be 0. */
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(pkru), "c"(0), "d"(0) : "memory");
}

bool arch_pkru_denies(uint32_t pkru, int pkey, bool write)
{
	uint32_t bits = pkru >> (2 * (unsigned)pkey);

	return (bits & PKRU_AD) || (write && (bits & PKRU_WD));
}

void arch_pkey_set_rights(int pkey, unsigned long rights)
{
	unsigned shift = 2 * (unsigned)pkey;
	uint32_t pkru = arch_pkru_read() & ~((PKRU_AD | PKRU_WD) << shift);

	if (rights & PKEY_DISABLE_ACCESS)
		pkru |= PKRU_AD << shift;
	if (rights & PKEY_DISABLE_WRITE)
		pkru |= PKRU_WD << shift;
	arch_pkru_write(pkru);
}
