/* SPDX-License-Identifier: MIT */
/*
 * Copying to and from user memory. The caller has checked that the user
 * range lies below the end of user space; what it cannot check is that the
 * pages are mapped. A fault on an instruction listed in .ex_table resumes
 * at its fixup, which reports how much was left undone.
 */
#include "usercopy.inc"

	.text
	.code64

/*
 * uint64_t user_copy(void *dst, const void *src, uint64_t n): bytes NOT copied
 *
 * Eight bytes at a time, then the tail. A fault in the quadword loop goes
 * on byte by byte from the quadword that faulted, so the count left is
 * exact (a read() that faults part-way returns the bytes before the hole).
 */
	.globl user_copy
user_copy:
	movq %rdx, %rcx
	shrq $3, %rcx
	andl $7, %edx
	SMAP_SITE stac
1:	rep movsq
	movl %edx, %ecx
2:	rep movsb
	SMAP_SITE clac
	movq %rcx, %rax
	ret
3:	leaq (%rdx,%rcx,8), %rcx	/* quadwords left as bytes */
	jmp 2b
4:	SMAP_SITE clac
	movq %rcx, %rax
	ret

/* uint64_t user_zero(void *dst, uint64_t n): bytes NOT zeroed */
	.globl user_zero
user_zero:
	movq %rsi, %rcx
	shrq $3, %rcx
	andl $7, %esi
	xorl %eax, %eax
	SMAP_SITE stac
9:	rep stosq
	movl %esi, %ecx
10:	rep stosb
	SMAP_SITE clac
	movq %rcx, %rax
	ret
11:	leaq (%rsi,%rcx,8), %rcx
	jmp 10b
12:	SMAP_SITE clac
	movq %rcx, %rax
	ret

/*
 * int64_t user_strncpy(char *dst, const char *src, uint64_t n): copies up
 * to and including the NUL; returns the string's length, n if no NUL came
 * within n bytes, or -1 on a fault.
 */
	.globl user_strncpy
user_strncpy:
	UC_STRNCPY %rdi, %rsi, %rdx
	ret
8:	SMAP_SITE clac
	movq $-1, %rax
	ret

/*
 * int user_fxsave(void *dst), int user_fxrstor(const void *src): the x87/SSE
 * state to or from a 16-byte aligned user buffer (signal frames); 0, or -1
 * on a fault (and for fxrstor, on a #GP from reserved MXCSR bits).
 */
	UC_FXSAVE_FXRSTOR fxsave64, fxrstor64, %rdi

/*
 * int user_xsave(void *dst, uint64_t mask), int user_xrstor(const void *src,
 * uint64_t mask): the XSAVE state to or from a 64-byte aligned user area;
 * 0, or -1 on a fault (for xrstor also a #GP from a bad header).
 */
	UC_XSAVE_XRSTOR xsave64, xrstor64, %rdi, movl %esi, %eax; shrq $32, %rsi; movl %esi, %edx

	.section .ex_table, "a"
	.balign 8
	.quad 1b, 3b
	.quad 2b, 4b
	.quad 9b, 11b
	.quad 10b, 12b
	.quad 6b, 8b
	.quad 13b, 15b
	.quad 14b, 15b
	.quad 16b, 18b
	.quad 17b, 18b
