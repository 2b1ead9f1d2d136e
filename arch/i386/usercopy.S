/* SPDX-License-Identifier: MIT */
/*
 * Copying to and from user memory. The caller has checked that the user
 * range lies below the end of user space; what it cannot check is that the
 * pages are mapped. A fault on an instruction listed in .ex_table resumes
 * at its fixup, which reports how much was left undone.
 */
#include "usercopy.inc"

	.text

/*
 * size_t user_copy(void *dst, const void *src, size_t n): bytes NOT copied
 *
 * Four bytes at a time, then the tail; a fault in the word loop goes on
 * byte by byte from the word that faulted, so the count left is exact.
 */
	.globl user_copy
user_copy:
	pushl %esi
	pushl %edi
	movl 12(%esp), %edi
	movl 16(%esp), %esi
	movl 20(%esp), %edx
	movl %edx, %ecx
	shrl $2, %ecx
	andl $3, %edx
	SMAP_SITE stac
1:	rep movsl
	movl %edx, %ecx
2:	rep movsb
	SMAP_SITE clac
	movl %ecx, %eax
	popl %edi
	popl %esi
	ret
3:	leal (%edx,%ecx,4), %ecx	/* words left as bytes */
	jmp 2b
4:	SMAP_SITE clac
	movl %ecx, %eax
	popl %edi
	popl %esi
	ret

/* size_t user_zero(void *dst, size_t n): bytes NOT zeroed */
	.globl user_zero
user_zero:
	pushl %edi
	movl 8(%esp), %edi
	movl 12(%esp), %edx
	movl %edx, %ecx
	shrl $2, %ecx
	andl $3, %edx
	xorl %eax, %eax
	SMAP_SITE stac
9:	rep stosl
	movl %edx, %ecx
10:	rep stosb
	SMAP_SITE clac
	movl %ecx, %eax
	popl %edi
	ret
11:	leal (%edx,%ecx,4), %ecx
	jmp 10b
12:	SMAP_SITE clac
	movl %ecx, %eax
	popl %edi
	ret

/*
 * long user_strncpy(char *dst, const char *src, size_t n): copies up to and
 * including the NUL; returns the string's length, n if no NUL came within
 * n bytes, or -1 on a fault.
 */
	.globl user_strncpy
user_strncpy:
	pushl %esi
	pushl %edi
	pushl %ebx
	movl 16(%esp), %edi
	movl 20(%esp), %esi
	movl 24(%esp), %edx
	UC_STRNCPY %edi, %esi, %edx
	popl %ebx
	popl %edi
	popl %esi
	ret
8:	SMAP_SITE clac
	movl $-1, %eax
	jmp 7b

/*
 * int user_fxsave(void *dst), int user_fxrstor(const void *src): the x87/SSE
 * state to or from a 16-byte aligned user buffer (signal frames); 0, or -1
 * on a fault (and for fxrstor, on a #GP from reserved MXCSR bits).
 */
	UC_FXSAVE_FXRSTOR fxsave, fxrstor, %edx, movl 4(%esp), %edx

/*
 * int user_xsave(void *dst, uint64_t mask), int user_xrstor(const void *src,
 * uint64_t mask): the XSAVE state to or from a 64-byte aligned user area
 * (unused while the i386 kernel keeps FXSAVE); 0, or -1 on a fault.
 */
	UC_XSAVE_XRSTOR xsave, xrstor, %ecx, movl 4(%esp), %ecx; movl 8(%esp), %eax; movl 12(%esp), %edx

	.section .ex_table, "a"
	.balign 4
	.long 1b, 3b
	.long 2b, 4b
	.long 9b, 11b
	.long 10b, 12b
	.long 6b, 8b
	.long 13b, 15b
	.long 14b, 15b
	.long 16b, 18b
	.long 17b, 18b
