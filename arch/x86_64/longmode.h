/* SPDX-License-Identifier: MIT */
/*
 * Entering long mode from 32-bit protected mode, shared by the boot CPU
 * (boot.S) and the application processors (ap_boot.S). Assembly only.
 */
#ifndef ARCH_X86_64_LONGMODE_H
#define ARCH_X86_64_LONGMODE_H

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xC0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)

/*
 * PAE, the top-level table @pml4, EFER.LME (and NXE if bit 20 of @features,
 * CPUID 0x80000001 EDX, says the CPU has NX), then paging on. Clobbers
 * EAX, ECX and EDX; a far jump to 64-bit code must follow.
 */
	.macro ENTER_LONG_MODE pml4, features
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $\pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	btl $20, \features
	jnc 1f
	orl $EFER_NXE, %eax
1:	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	.endm

/* In 64-bit code: data segment @sel, FS and GS null, then on to @target (higher half). */
	.macro ENTER_KERNEL_HALF sel, target
	movw $\sel, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $\target, %rax
	jmp *%rax
	.endm

#endif
