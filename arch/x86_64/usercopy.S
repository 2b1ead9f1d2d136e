/* SPDX-License-Identifier: MIT */
/*
 * Copying to and from user memory. The caller has checked that the user
 * range lies below the end of user space; what it cannot check is that the
 * pages are mapped. A fault on an instruction listed in .ex_table resumes
 * at its fixup, which reports how much was left undone.
 */
	.text
	.code64

/* uint64_t user_copy(void *dst, const void *src, uint64_t n): bytes NOT copied */
	.globl user_copy
user_copy:
	movq %rdx, %rcx
	stac
1:	rep movsb
	clac
	movq %rcx, %rax
	ret
2:	clac
	movq %rcx, %rax
	ret

/* uint64_t user_zero(void *dst, uint64_t n): bytes NOT zeroed */
	.globl user_zero
user_zero:
	movq %rsi, %rcx
	xorl %eax, %eax
	stac
3:	rep stosb
	clac
	movq %rcx, %rax
	ret
4:	clac
	movq %rcx, %rax
	ret

/*
 * int64_t user_strncpy(char *dst, const char *src, uint64_t n): copies up
 * to and including the NUL; returns the string's length, n if no NUL came
 * within n bytes, or -1 on a fault.
 */
	.globl user_strncpy
user_strncpy:
	xorl %eax, %eax
	stac
5:	cmpq %rdx, %rax
	je 7f
6:	movb (%rsi,%rax), %cl
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	jz 7f
	incq %rax
	jmp 5b
7:	clac
	ret
8:	clac
	movq $-1, %rax
	ret

	.section .ex_table, "a"
	.balign 8
	.quad 1b, 2b
	.quad 3b, 4b
	.quad 6b, 8b
