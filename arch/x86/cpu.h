/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers over the x86 instructions both kernels need; unsigned long
 * is the register width (64 bits on x86_64, 32 on i386). Also what the boot
 * CPU can do (cpu_features.c).
 */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/io.h"
#include "arch/x86/tsc.h"
#include "irqoff.h"

#define RFLAGS_IF	(1ul << 9)
#define RFLAGS_AC	(1ul << 18)

#define CR0_WP		(1ul << 16)
#define CR4_PSE		(1ul << 4)
#define CR4_PAE		(1ul << 5)
#define CR4_PGE		(1ul << 7)
#define CR4_OSFXSR	(1ul << 9)
#define CR4_SMEP	(1ul << 20)
#define CR4_SMAP	(1ul << 21)
#define CR4_PKE		(1ul << 22)

#define MSR_EFER	0xC0000080
#define EFER_NXE	(1ul << 11)
#define MSR_FS_BASE	0xC0000100
#define MSR_GS_BASE	0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n)							\
static inline unsigned long read_cr##n(void)				\
{									\
	unsigned long v;						\
	__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(unsigned long v)				\
{									\
	__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");	\
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline unsigned long read_rflags(void)
{
	unsigned long f;

	__asm__ volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static inline void cli(void)
{
#ifdef KPERF
	bool was_on = read_rflags() & RFLAGS_IF;
#endif
	__asm__ volatile("cli" ::: "memory");
#ifdef KPERF
	if (was_on)
		irqoff_begin(irqoff_here());
#endif
}

static inline void sti(void)
{
	irqoff_end();
	__asm__ volatile("sti" ::: "memory");
}

/* Enable interrupts and wait for one, with no window in between. */
static inline void sti_hlt(void)
{
	irqoff_end();
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* SMAP: let the kernel touch user pages between stac() and clac() (only with SMAP: #UD without). */
static inline void stac(void)
{
	__asm__ volatile("stac" ::: "memory", "cc");
}

static inline void clac(void)
{
	__asm__ volatile("clac" ::: "memory", "cc");
}

_Noreturn void cpu_halt_forever(void);

/* CPU features found by arch_init() (cpu_features_detect()). */
struct cpu_features {
	bool nx, smep, smap, pge, pdpe1gb, rdrand, invpcid, pae, pse, fxsr;
	bool xsave;		/* XSAVE/XRSTOR and XCR0 */
	bool pku;		/* protection keys for user pages (4-level paging, XSAVE) */
	unsigned phys_bits, virt_bits;
	char vendor[13];
};
extern struct cpu_features cpu_features;
/* Fills cpu_features from CPUID on the boot CPU. */
void cpu_features_detect(void);
void cpu_features_print(void);

#endif
