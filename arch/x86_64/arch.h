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

#include "arch/x86/arch_common.h"

/* A non-local jump, also taken from a trap handler by rewriting the frame. */
struct jmp_state {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int arch_setjmp(struct jmp_state *js) __attribute__((returns_twice));
_Noreturn void arch_longjmp(struct jmp_state *js, int val);
void trap_frame_longjmp(struct trap_frame *f, const struct jmp_state *js, int val);

/*
 * Catching an expected CPU exception (tests, probing): arm a catcher, run
 * code that may fault; if it does, the trap handler records what happened
 * and resumes after FAULT_TRY with a false result.
 *
 *	struct fault_catch fc;
 *	if (FAULT_TRY(&fc)) {
 *		*(volatile int *)addr = 1;
 *		fault_catch_disarm();
 *	}
 *	if (fc.caught) ... fc.vector, fc.error, fc.addr (CR2), fc.rip
 */
struct fault_catch {
	struct jmp_state js;
	bool caught;
	unsigned vector;
	uint64_t error, addr, rip;
};
void fault_catch_arm(struct fault_catch *fc);
void fault_catch_disarm(void);
#define FAULT_TRY(fc)	(fault_catch_arm(fc), arch_setjmp(&(fc)->js) == 0)

/* Exceptions from user mode (the process layer kills or resolves). */
extern void (*user_exception_hook)(struct trap_frame *f, uint64_t cr2);

/* User memory access with fault recovery (usercopy.S); SMAP-aware. */
uint64_t user_copy(void *dst, const void *src, uint64_t n);	/* bytes not copied */
uint64_t user_zero(void *dst, uint64_t n);			/* bytes not zeroed */
int64_t user_strncpy(char *dst, const char *src, uint64_t n);	/* len, n, or -1 */
int user_fxsave(void *dst);		/* 0, or -1 on a fault */
int user_fxrstor(const void *src);	/* 0, or -1 on a fault or bad MXCSR */

/* Kernel-mode faults nobody handled end here (kernel/panic.c). */
_Noreturn void panic_trap(const struct trap_frame *f, uint64_t cr2);
/* A page fault's one chance to be resolved before that (the VMM's hook). */
extern bool (*page_fault_hook)(struct trap_frame *f, uint64_t addr);

/* The kernel's image, from kernel.ld. */
extern char _boot_start[], _boot_end[], _text[], _etext[], _rodata[], _erodata[];
extern char _data[], _edata[], __bss_start[], _end[];
extern char boot_stack_bottom[], boot_stack_top[];

#endif
