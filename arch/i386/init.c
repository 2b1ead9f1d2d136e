// SPDX-License-Identifier: MIT
/* Bringing up the boot CPU: what it can do, and its tables. */
#include "arch.h"
#include "percpu.h"
#include "kernel/lib.h"

struct cpu_features cpu_features;

static void detect_features(void)
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
	if (max_leaf >= 7) {
		cpuid(7, 0, r);
		f->smep = r[1] >> 7 & 1;
		f->smap = r[1] >> 20 & 1;
		f->invpcid = r[1] >> 10 & 1;
	}
	cpuid(0x80000000, 0, r);
	unsigned max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		f->nx = r[3] >> 20 & 1;
		f->pdpe1gb = r[3] >> 26 & 1;
	}
	f->phys_bits = f->pae ? 36 : 32;
	f->virt_bits = 32;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		f->phys_bits = r[0] & 0xff;
	}
}

/**
 * arch_init() - set up the boot CPU's descriptor tables and interrupts.
 *
 * Interrupts stay disabled; the caller enables them when it is ready.
 */
void arch_init(void)
{
	detect_features();
	percpu_init();
	gdt_init();
	idt_init();
	pic_init();
	fpu_init();
	kprintf("cpu: %s, %u-bit physical, %u-bit virtual addresses;%s%s%s%s%s\n",
		cpu_features.vendor, cpu_features.phys_bits, cpu_features.virt_bits,
		cpu_features.nx ? " NX" : "", cpu_features.smep ? " SMEP" : "",
		cpu_features.smap ? " SMAP" : "", cpu_features.pge ? " PGE" : "",
		cpu_features.pae ? " PAE" : "");
}
