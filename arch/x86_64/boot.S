/* SPDX-License-Identifier: MIT */
/*
 * Entry from a multiboot 1 or multiboot 2 loader: 32-bit protected mode,
 * paging off, EAX = loader magic, EBX = physical address of its information.
 *
 * We build just enough page tables to enter long mode (the first 4 GiB
 * identity-mapped, at the direct map, and the first 1 GiB at the kernel's
 * link address), switch to 64-bit code and jump to the higher half. The
 * kernel replaces these tables with its own once it knows the memory map.
 */
#include "arch/x86_64/longmode.h"
#include "arch/x86_64/memlayout.h"

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_PS		0x080

#include "boot_common.inc"

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl %eax, %edi			/* loader magic: first argument of kmain */
	movl %ebx, %esi			/* information address: second */
	movl $boot32_stack_top, %esp

	/* Long mode? CPUID 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	movl %edx, %ebp			/* keep the feature bits: NX is bit 20 */
	ENTER_LONG_MODE boot_pml4, %ebp

	lgdt boot_gdt_ptr
	ljmp $SEL_KCODE, $start64_low

no_long_mode:
	movl $msg_no_lm, %ebx
	movl $0xb8000, %edi
1:	movb (%ebx), %al
	testb %al, %al
	jz 3f
	movb %al, (%edi)		/* to the VGA screen */
	movb $0x4f, 1(%edi)
	addl $2, %edi
	movw $0x3f8, %dx		/* and to COM1 */
	outb %al, %dx
	incl %ebx
	jmp 1b
3:	hlt
	jmp 3b

	.code64
start64_low:
	ENTER_KERNEL_HALF SEL_KDATA, start64

	.section .boot.data, "aw"
msg_no_lm:
	.asciz "memcore: this CPU has no long mode (x86_64); cannot boot."

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit kernel code */
	.quad 0x00cf92000000ffff	/* 0x10: kernel data */
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.balign 4096
	.globl boot_pml4, boot_pdpt_low, boot_pdpt_high
boot_pml4:
	.quad boot_pdpt_low + (PTE_P | PTE_W)	/* 0: identity, for the jump */
	.fill 255, 8, 0
	.quad boot_pdpt_low + (PTE_P | PTE_W)	/* 256: direct map */
	.fill 254, 8, 0
	.quad boot_pdpt_high + (PTE_P | PTE_W)	/* 511: kernel image */
boot_pdpt_low:
	.quad boot_pd + (PTE_P | PTE_W)
	.quad boot_pd + 0x1000 + (PTE_P | PTE_W)
	.quad boot_pd + 0x2000 + (PTE_P | PTE_W)
	.quad boot_pd + 0x3000 + (PTE_P | PTE_W)
	.fill 508, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad boot_pd + (PTE_P | PTE_W)		/* -2 GiB: first 1 GiB */
	.quad 0
boot_pd:				/* 2048 large pages: 4 GiB */
	.set addr, 0
	.rept 2048
	.quad addr + (PTE_P | PTE_W | PTE_PS)
	.set addr, addr + 0x200000
	.endr

	.balign 16
	.fill 1024, 1, 0
boot32_stack_top:

	.text
	.code64
	.globl start64
start64:
	movabsq $boot_stack_top, %rsp
	/* Clear .bss (the stack lives there too, so nothing on it yet). */
	movl %edi, %r12d
	movl %esi, %r13d
	movabsq $__bss_start, %rdi
	movabsq $_end, %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	xorl %ebp, %ebp			/* end of the frame-pointer chain */
#ifdef KASAN
	call kasan_early_init		/* the image's shadow, before any C frame */
#endif
	movl %r12d, %edi
	movl %r13d, %esi
	call kmain
1:	cli
	hlt
	jmp 1b
