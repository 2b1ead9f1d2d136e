/* SPDX-License-Identifier: MIT */
/*
 * What arch/x86/kernel_space.c (the kernel's address space, shared by both
 * kernels) asks of each arch's kernel_space.c: the paging format, the boot
 * stacks' guard pages and the arch's own windows. Internal to those files.
 */
#ifndef ARCH_X86_KERNEL_SPACE_ARCH_H
#define ARCH_X86_KERNEL_SPACE_ARCH_H

#include "mm/pt.h"

/* A boot-time stack's guard page, for the mapper and for fault reports. */
struct stack_guard {
	uintptr_t base;
	const char *stack;
};

/* Room for the boot stack's and the exception stacks' guards. */
#define KERNEL_STACK_GUARDS	8

/* The arch's paging format as this CPU runs it (NX, large and global pages). */
void arch_kernel_format(struct pt_format *f);
/* Fills @g with the boot-time stacks' guard pages; returns how many. */
unsigned arch_stack_guards(struct stack_guard *g);
/*
 * The kernel's tables are loaded and the vmalloc area is set up: the arch
 * maps its own windows (i386: kmap) before the kernel half is pinned.
 */
void arch_kernel_space_ready(struct pt_space *pt, const struct pt_format *f);
/* The name of the arch window holding @addr, or NULL. */
const char *arch_kernel_window(uintptr_t addr);

#endif
