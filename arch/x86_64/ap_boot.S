/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way in. A STARTUP IPI starts an AP in real
 * mode at AP_TRAMPOLINE (a page below 1 MiB); smp.c copies the code between
 * ap_tramp_start and ap_tramp_end there once at boot. It climbs through
 * protected mode into long mode on ap_pml4 (boot.S's tables plus the low
 * identity map it needs for the jump), then continues in the higher half on
 * the kernel's own tables (ap_boot_cr3) and on the stack smp.c left in
 * ap_boot_rsp, in ap_entry().
 */
#include "arch/x86_64/longmode.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86/ap_tramp.h"

	AP_TRAMP_ENTER
	movl $0x80000001, %eax		/* the features: NX */
	cpuid
	movl %edx, %ebx
	ENTER_LONG_MODE ap_pml4, %ebx	/* ap_pml4 is in the image's low .boot part */
	ljmpl $0x18, $T(tramp64)

	.code64
tramp64:					/* to the higher half, which both tables map */
	ENTER_KERNEL_HALF 0x10, ap_start64

	AP_TRAMP_END 0x00af9a000000ffff	/* 0x18: 64-bit code */

	.text
ap_start64:
	movabsq $ap_boot_cr3, %rax	/* the kernel's tables: the stack is in vmalloc */
	movq (%rax), %rax
	movq %rax, %cr3
	movabsq $ap_boot_rsp, %rax
	movq (%rax), %rsp
	xorl %ebp, %ebp
	call ap_entry
1:	cli
	hlt
	jmp 1b

/*
 * boot.S's mappings with the identity map of the first 4 GiB kept: the
 * trampoline runs at a low address when paging comes on.
 */
	.section .boot.data, "aw"
	.balign 4096
	.globl ap_pml4
ap_pml4:
	.quad boot_pdpt_low + 3		/* 0: identity */
	.fill 255, 8, 0
	.quad boot_pdpt_low + 3		/* 256: direct map */
	.fill 254, 8, 0
	.quad boot_pdpt_high + 3	/* 511: kernel image */
