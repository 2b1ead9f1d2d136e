/* SPDX-License-Identifier: MIT */
/*
 * What the kernel proper uses of the i386 port (the same interface as x86_64's). The memory core never
 * includes this: it reaches the machine only through mm/platform.h.
 */
#ifndef ARCH_I386_ARCH_H
#define ARCH_I386_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "trap.h"

#define ARCH_NAME	"i386"
/* uname()'s machine, as Linux reports it for this kernel */
#define UTS_MACHINE	"i686"
/*
 * How a kernel stack overflow arrives: no IST on i386, so the page fault
 * cannot be delivered on the full stack and becomes a double fault (its
 * own task, gdt.c), with the faulting address still in CR2.
 */
#define VEC_STACK_OVERFLOW	VEC_DF
/* Programs are i386 ELF files using Linux's i386 numbers (kernel/proc/compat32.c). */
#define ARCH_ELF_KIND		ELF_I386
#define ARCH_SYSCALL_NUMBERS	1


/* Bring up this CPU: descriptor tables, interrupt controller, features. */
void arch_init(void);
void gdt_init(void);
/* An AP's tables (percpu.c): made by the boot CPU, loaded by the AP itself. */
struct cpu_local;
int cpu_tables_alloc(struct cpu_local *c, uint64_t cr3);
void gdt_load(struct cpu_local *c);
void idt_load(void);
void tss_set_kernel_stack(uintptr_t esp0);
/* The boot CPU's double-fault task's stack (its guard page lies below). */
uintptr_t df_stack_base(void);
/* set_thread_area(): a user TLS descriptor (struct user_desc) in this CPU's GDT. */
struct user_desc;
int tls_desc_set(unsigned entry, const struct user_desc *d);


/*
 * The direct map reaches only the first 896 MiB; RAM above it is high
 * memory (highmem.c). Only RAM the paging format cannot address (above
 * 4 GiB without PAE) is taken out of the map. Returns those bytes.
 */
struct memmap;
uint64_t direct_map_extend(struct memmap *map);
/* Firmware and loader memory before the kernel's tables: a pointer, or NULL (direct_map.c). */
const void *boot_phys_read(uint64_t pa, uint64_t len, void *ctx);
/* highmem.c: the kmap window, made in the kernel's tables at boot. */
struct pt_space;
void kmap_init(struct pt_space *pt, bool nx);
uint64_t kmap_virt_to_phys(uintptr_t va);

/* A non-local jump's saved registers (setjmp.S; arch_common.h has the calls). */
struct jmp_state {
	uint32_t ebx, esi, edi, ebp, esp, eip;
};

#include "arch/x86/arch_common.h"

#endif
