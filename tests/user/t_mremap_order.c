/*
 * t_mremap_order: mremap validates before it destroys. A source that is not
 * mapped is EFAULT before MREMAP_FIXED touches the target; an old length
 * whose tail runs past the end of user space is EINVAL with the source (and
 * everything above it, the stack included) intact; a hole, or a kernel
 * address, is EFAULT even when nothing would change.
 */
#define _GNU_SOURCE
#include "util.h"

/* An old length that takes any source past the end of user space. */
#if ABI64
#define PAST_USER (1UL << 47)
#else
#define PAST_USER USER_TOP
#endif

static long sys_mremap(void *a, unsigned long ol, unsigned long nl, long fl, void *na)
{
	return syscall(SYS_mremap, a, ol, nl, fl, na);
}

int main(void)
{
	char *base = free_range(16), *tgt, *src, *hole;
	volatile char stack_byte = 's';

	/* Layout: target [0, 2), hole [2, 4), source [4, 6), hole [6, 16). */
	tgt = mmap(base, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	src = mmap(base + 4 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	hole = base + 2 * PAGE;
	if (!ok(tgt == base && src == base + 4 * PAGE, "set up a target and a source"))
		return done_testing();
	fill(tgt, 2 * PAGE, 1);
	fill(src, 2 * PAGE, 2);

	ok_sys(sys_mremap(hole, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, tgt), EFAULT,
	       "MREMAP_FIXED from an unmapped source: EFAULT");
	ok_eq(check(tgt, 2 * PAGE, 1), -1, "the target is still mapped, its content intact");

	ok_sys(sys_mremap(src, PAST_USER, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, tgt), EINVAL,
	       "MREMAP_FIXED with an old length past user space: EINVAL");
	ok_eq(check(src, 2 * PAGE, 2), -1, "the source is intact");
	ok_sys(sys_mremap(src, -PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, tgt), EINVAL,
	       "MREMAP_FIXED with an old length that wraps: EINVAL");
	ok_eq(check(src, 2 * PAGE, 2), -1, "the source is still intact");
	ok_sys(sys_mremap(src, PAST_USER, PAGE, 0, NULL), EINVAL,
	       "shrinking with an old length past user space: EINVAL");
	ok_eq(check(src, 2 * PAGE, 2), -1, "and the source is intact after that too");
	ok(stack_byte == 's', "the stack survived");

	ok_sys(sys_mremap(hole, PAGE, PAGE, 0, NULL), EFAULT, "mremap of a hole, same length: EFAULT");
	ok_sys(sys_mremap(hole, 2 * PAGE, PAGE, 0, NULL), EFAULT, "mremap of a hole, shrinking: EFAULT");
	ok_sys(sys_mremap(hole, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL), EFAULT,
	       "mremap of a hole, growing: EFAULT");
	ok_sys(sys_mremap((void *)KERNEL_HALF, PAGE, PAGE, 0, NULL), EFAULT,
	       "mremap of a kernel address: EFAULT");
	ok_sys(sys_mremap(src + 2 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE, NULL), EFAULT,
	       "mremap right after a mapping: EFAULT");
	ok_eq(sys_mremap(src, 2 * PAGE, 2 * PAGE, 0, NULL), (long)src, "same length on a mapping: no-op");
	ok_eq(sys_mremap(src, 3 * PAGE, PAGE, 0, NULL), (long)src,
	       "shrinking past the end of the mapping is fine");
	ok_eq(check(src, PAGE, 2), -1, "the kept page is intact");
	ok_killed_by(run_in_child(probe_read, src + PAGE), SIGSEGV, "the cut page is gone");
	return done_testing();
}
