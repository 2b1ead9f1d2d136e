/* SPDX-License-Identifier: MIT */
/*
 * x86 exception and interrupt vectors and the page-fault error code, the
 * same in 32-bit and 64-bit mode (SDM vol. 3, 6.3 and 4.7), and their
 * names for reports (arch/x86/exceptions.c).
 */
#ifndef ARCH_X86_EXCEPTIONS_H
#define ARCH_X86_EXCEPTIONS_H

#include <stdint.h>

#include "arch/x86/pc.h"

enum {
	VEC_DE = 0, VEC_DB, VEC_NMI, VEC_BP, VEC_OF, VEC_BR, VEC_UD, VEC_NM,
	VEC_DF, VEC_CSO, VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF, VEC_RES15,
	VEC_MF, VEC_AC, VEC_MC, VEC_XM, VEC_VE, VEC_CP,
	VEC_IRQ0 = PIC_VECTOR_BASE,	/* the legacy PICs are remapped here */
	NVECTORS = 256,
};

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_P	(1u << 0)	/* protection violation (else: not present) */
#define PF_W	(1u << 1)	/* write access */
#define PF_U	(1u << 2)	/* from user mode */
#define PF_RSVD	(1u << 3)	/* reserved bit set in a paging entry */
#define PF_I	(1u << 4)	/* instruction fetch */
#define PF_PK	(1u << 5)	/* protection key */
#define PF_SS	(1u << 6)	/* shadow stack */

/* "page fault", "IRQ", ...: what a vector is. */
const char *trap_name(unsigned vector);
/* Writes a page-fault error code as words, e.g. "write, user, not-present". */
void pf_decode(uint64_t error, char *buf, unsigned len);

#endif
