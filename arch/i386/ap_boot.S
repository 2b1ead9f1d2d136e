/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way in on i386. A STARTUP IPI starts an AP
 * in real mode at AP_TRAMPOLINE (a page below 1 MiB); arch/x86/smp.c copies
 * the code between ap_tramp_start and ap_tramp_end there once at boot. It
 * enters protected mode, turns paging on with ap_tables (the first 16 MiB
 * both identity-mapped, for the instruction that turns paging on, and at
 * 0xc0000000, where the kernel text is), in the build's format (two-level
 * with 4 MiB pages, or PAE with 2 MiB pages: the mode cannot change while
 * paging is on), then continues in the higher half on the kernel's own
 * tables (ap_boot_cr3, after EFER.NXE when they use NX) and on the stack
 * smp.c left in ap_boot_rsp, in ap_entry().
 */
#include "memlayout.h"
#include "arch/x86/ap_tramp.h"

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_PS		0x080
#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PSE		0x10
#define CR4_PAE		0x20
#define MSR_EFER	0xc0000080
#define EFER_NXE	0x800

	AP_TRAMP_ENTER
	movl %cr4, %eax
#ifdef I386_PAE
	orl $CR4_PAE, %eax
#else
	orl $CR4_PSE, %eax
#endif
	movl %eax, %cr4
	movl $ap_tables, %eax		/* in the image's low .boot part */
	movl %eax, %cr3
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	movl $ap_start_high, %eax
	jmp *%eax

	AP_TRAMP_END

	.text
ap_start_high:
	cmpl $0, ap_boot_nxe		/* the kernel's tables have NX bits */
	je 1f
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_NXE, %eax
	wrmsr
1:	movl ap_boot_cr3, %eax		/* the kernel's tables: the stack is in vmalloc */
	movl %eax, %cr3
	movl ap_boot_rsp, %esp
	xorl %ebp, %ebp
	call ap_entry
2:	cli
	hlt
	jmp 2b

/* The boot tables' mappings, minus what the kernel dropped since. */
	.section .boot.data, "aw"
#ifdef I386_PAE
	.balign 4096
ap_pd:					/* 8 large pages: the first 16 MiB */
	.set addr, 0
	.rept 8
	.quad addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x200000
	.endr
	.fill 512 - 8, 8, 0
	.balign 32
ap_tables:
	.long ap_pd + PTE_P, 0		/* identity */
	.quad 0
	.quad 0
	.long ap_pd + PTE_P, 0		/* 0xc0000000 */
#else
	.balign 4096
ap_tables:
	.set addr, 0
	.rept 4				/* identity */
	.long addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x400000
	.endr
	.fill (KERNEL_VMA >> 22) - 4, 4, 0
	.set addr, 0
	.rept 4				/* 0xc0000000 */
	.long addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x400000
	.endr
	.fill 1024 - (KERNEL_VMA >> 22) - 4, 4, 0
#endif
