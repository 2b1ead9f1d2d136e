// SPDX-License-Identifier: MIT
/*
 * The siginfo_t a sender hands rt_sigqueueinfo, as both x86 ABIs lay it
 * out: three ints, then the union at the alignment of a pointer, whose
 * _rt member is the sender's pid and uid and a pointer-sized si_value.
 */
#include "kernel/errno.h"
#include "kernel/lib.h"
#include "kernel/proc/signal.h"
#include "kernel/uaccess.h"

struct user_siginfo_rt {
	int32_t si_signo, si_errno, si_code;
	struct {
		int32_t pid;
		uint32_t uid;
		unsigned long value;
	} __attribute__((aligned(sizeof(long)))) rt;
};

/* Linux copies its kernel_siginfo: the header and a union of 32 bytes (x86_64) or 20 (i386). */
#define KERNEL_SIGINFO_SIZE	(sizeof(long) == 8 ? 48 : 32)

int arch_copy_siginfo_from_user(struct ksiginfo *info, uint64_t uinfo)
{
	unsigned char raw[48];
	struct user_siginfo_rt si;

	_Static_assert(sizeof(si) <= sizeof(raw), "the _rt fields lie in kernel_siginfo");
	if (copy_from_user(raw, uinfo, KERNEL_SIGINFO_SIZE))
		return -EFAULT;
	memcpy(&si, raw, sizeof(si));
	*info = (struct ksiginfo){ .signo = si.si_signo, .code = si.si_code, .pid = si.rt.pid,
				   .uid = si.rt.uid, .value = si.rt.value };
	return 0;
}
