// SPDX-License-Identifier: MIT
/* What the boot CPU can do, from CPUID, for both kernels. */
#include "arch.h"
#include "kernel/lib.h"

struct cpu_features cpu_features;

/* Leaf 0x80000008's virtual width is long mode's: a 32-bit kernel has 32 bits. */
static const bool long_mode = sizeof(void *) == 8;

void cpu_features_detect(void)
{
	uint32_t r[4];
	struct cpu_features *f = &cpu_features;

	cpuid(0, 0, r);
	unsigned max_leaf = r[0];
	memcpy(f->vendor, &r[1], 4);
	memcpy(f->vendor + 4, &r[3], 4);
	memcpy(f->vendor + 8, &r[2], 4);
	f->vendor[12] = 0;

	cpuid(1, 0, r);
	f->fxsr = r[3] >> 24 & 1;
	f->pae = r[3] >> 6 & 1;
	f->pse = r[3] >> 3 & 1;
	f->pge = r[3] >> 13 & 1;
	f->rdrand = r[2] >> 30 & 1;
	f->xsave = r[2] >> 26 & 1;
	if (max_leaf >= 7) {
		cpuid(7, 0, r);
		f->smep = r[1] >> 7 & 1;
		f->smap = r[1] >> 20 & 1;
		f->invpcid = r[1] >> 10 & 1;
		/* 32-bit paging and PAE have no keys; PKRU lives in XSAVE state (Linux's cpuid deps) */
		f->pku = long_mode && f->xsave && (r[2] >> 3 & 1);
	}
	cpuid(0x80000000, 0, r);
	unsigned max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		f->nx = r[3] >> 20 & 1;
		f->pdpe1gb = r[3] >> 26 & 1;
	}
	f->phys_bits = f->pae ? 36 : 32;
	f->virt_bits = long_mode ? 48 : 32;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		f->phys_bits = r[0] & 0xff;
		if (long_mode)
			f->virt_bits = r[0] >> 8 & 0xff;
	}
}

/* The boot line (once the per-CPU block, which the console's lock needs, is set). */
void cpu_features_print(void)
{
	const struct cpu_features *f = &cpu_features;

	kprintf("cpu: %s, %u-bit physical, %u-bit virtual addresses;%s%s%s%s%s%s%s\n",
		f->vendor, f->phys_bits, f->virt_bits, f->nx ? " NX" : "",
		f->smep ? " SMEP" : "", f->smap ? " SMAP" : "", f->pge ? " PGE" : "",
		f->pku ? " PKU" : "", fpu_xfeatures() ? " XSAVE" : "",
		long_mode ? (f->pdpe1gb ? " 1G-pages" : "") : (f->pae ? " PAE" : ""));
}
