/* SPDX-License-Identifier: MIT */
/*
 * The first steps of an application processor, shared by both kernels'
 * ap_boot.S (assembly only). A STARTUP IPI starts the AP in real mode at
 * AP_TRAMPOLINE, where smp.c copied the code from ap_tramp_start on; these
 * take it into 32-bit protected mode on flat segments (0x08 code, 0x10
 * data, as the kernel's SEL_KCODE and SEL_KDATA).
 */
#ifndef ARCH_X86_AP_TRAMP_H
#define ARCH_X86_AP_TRAMP_H

/* Where a label of the trampoline ends up once copied. */
#define T(x)		(AP_TRAMPOLINE + (x) - ap_tramp_start)

/* 16-bit code: load the GDT described at @gdt_ptr, protection on, jump to @pm32. */
	.macro AP_REAL_TO_PROTECTED gdt_ptr, pm32
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(\gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax			/* CR0.PE */
	movl %eax, %cr0
	ljmpl $0x08, $T(\pm32)
	.endm

/* 32-bit code: the flat data segment in DS, ES and SS. */
	.macro AP_FLAT_DATA
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	.endm

/* The trampoline GDT's first three entries (8-byte aligned): null, 32-bit code, data. */
	.macro AP_TRAMP_GDT
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.endm

/*
 * The trampoline's start: from ap_tramp_start (real mode) to tramp32, where
 * 32-bit code on flat data segments goes on with the arch's next step.
 */
	.macro AP_TRAMP_ENTER
	.section .rodata
	.balign 16
	.globl ap_tramp_start, ap_tramp_end
	.code16
ap_tramp_start:
	AP_REAL_TO_PROTECTED tramp_gdt_ptr, tramp32

	.code32
tramp32:
	AP_FLAT_DATA
	.endm

/*
 * The trampoline's end: its GDT (AP_TRAMP_GDT, then @extra, one more
 * descriptor at 0x18 if given) and the pointer lgdt loads; ap_tramp_end.
 */
	.macro AP_TRAMP_END extra
	.balign 8
tramp_gdt:
	AP_TRAMP_GDT
	.ifnb \extra
	.quad \extra
	.endif
tramp_gdt_end:
tramp_gdt_ptr:
	.short tramp_gdt_end - tramp_gdt - 1
	.long T(tramp_gdt)
ap_tramp_end:
	.endm

#endif
