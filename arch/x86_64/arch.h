/* SPDX-License-Identifier: MIT */
/*
 * What the kernel proper uses of the x86_64 port. The memory core never
 * includes this: it reaches the machine only through mm/platform.h.
 */
#ifndef ARCH_X86_64_ARCH_H
#define ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "arch/x86_64/trap.h"

#define ARCH_NAME	"x86_64"
/* uname()'s machine, as Linux reports it for this kernel */
#define UTS_MACHINE	"x86_64"
/* How a kernel stack overflow arrives: a page fault, on its IST stack. */
#define VEC_STACK_OVERFLOW	VEC_PF
/* Programs are x86_64 ELF files. */
#define ARCH_ELF_KIND		ELF_X86_64

enum { IST_DOUBLE_FAULT = 1, IST_PAGE_FAULT, IST_NMI, IST_MACHINE_CHECK, IST_COUNT = 4 };

/* Bring up this CPU: descriptor tables, interrupt controller, features. */
void arch_init(void);
void gdt_init(void);
struct cpu_tables;
extern const unsigned cpu_tables_size;
void gdt_load(struct cpu_tables *ct, const uintptr_t *ist_top);
void idt_load(void);
void tss_set_kernel_stack(uint64_t rsp0);
uintptr_t ist_stack_base(unsigned ist);


/* Map RAM above 4 GiB into the direct map (boot.S mapped the first 4 GiB). */
struct memmap;
uint64_t direct_map_extend(struct memmap *map);
/* Firmware and loader memory before the kernel's tables: a pointer, or NULL (direct_map.c). */
const void *boot_phys_read(uint64_t pa, uint64_t len, void *ctx);

/* A non-local jump's saved registers (setjmp.S; arch_common.h has the calls). */
struct jmp_state {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

#include "arch/x86/arch_common.h"

#endif
