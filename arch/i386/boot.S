/* SPDX-License-Identifier: MIT */
/*
 * Entry from a multiboot 1 or multiboot 2 loader: 32-bit protected mode,
 * paging off, EAX = loader magic, EBX = physical address of its information.
 *
 * The boot page tables map the first 896 MiB of RAM twice: identity (for
 * the instruction that turns paging on) and at 0xc0000000, where the kernel
 * is linked. Two-level tables with 4 MiB pages, or PAE tables with 2 MiB
 * pages in the PAE build (I386_PAE). The kernel replaces them with its own
 * once it knows the memory map.
 */
#include "memlayout.h"

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_PS		0x080
#define CR0_PG		0x80000000
#define CR0_WP		0x00010000
#define CR4_PSE		0x10
#define CR4_PAE		0x20

#include "boot_common.inc"

	.section .boot.text, "ax"
	.globl _start32
_start32:
	cli
	cld
	movl %eax, %ebp			/* loader magic */
	movl %ebx, %esi			/* information address */
#ifdef I386_PAE
	movl $boot_pdpt, %ecx
	movl %ecx, %cr3
	movl %cr4, %ecx
	orl $CR4_PAE, %ecx
#else
	movl $boot_pd, %ecx
	movl %ecx, %cr3
	movl %cr4, %ecx
	orl $CR4_PSE, %ecx
#endif
	movl %ecx, %cr4
	movl %cr0, %ecx
	orl $(CR0_PG | CR0_WP), %ecx
	movl %ecx, %cr0
	movl $start_high, %ecx
	jmp *%ecx

	.section .boot.data, "aw"
	.balign 4096
	.globl boot_pd
#ifdef I386_PAE
boot_pd:				/* 512 large pages: the first 1 GiB */
	.set addr, 0
	.rept 512
	.quad addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x200000
	.endr
	.balign 32
	.globl boot_pdpt
boot_pdpt:
	.long boot_pd + PTE_P, 0	/* identity, for the jump */
	.quad 0
	.quad 0
	.long boot_pd + PTE_P, 0	/* 0xc0000000 */
#else
boot_pd:
	.set addr, 0
	.rept EARLY_DIRECT_MAP_SIZE >> 22	/* identity, for the jump */
	.long addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x400000
	.endr
	.fill (KERNEL_VMA >> 22) - (EARLY_DIRECT_MAP_SIZE >> 22), 4, 0
	.set addr, 0
	.rept EARLY_DIRECT_MAP_SIZE >> 22	/* the direct map */
	.long addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x400000
	.endr
	.fill 1024 - (KERNEL_VMA >> 22) - (EARLY_DIRECT_MAP_SIZE >> 22), 4, 0
#endif

	.text
start_high:
	movl $boot_stack_top, %esp
	/* Clear .bss (the stack lives there too, so nothing on it yet). */
	movl $__bss_start, %edi
	movl $_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	xorl %ebx, %ebx
	xchgl %ebx, %ebp		/* end of the frame-pointer chain; magic in ebx */
#ifdef KASAN
	call kasan_early_init		/* the image's shadow, before any C frame */
#endif
	pushl %esi			/* kmain(magic, info) */
	pushl %ebx
	call kmain
1:	cli
	hlt
	jmp 1b
