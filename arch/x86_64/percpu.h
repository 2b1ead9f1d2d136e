/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data (arch/x86/cpu_local.h), reached through the GS base in
 * kernel mode. SWAPGS on every entry from and exit to user mode keeps the
 * user's GS base out of the way. The offsets are shared with the assembly
 * entry code; cpu_set_kernel_stack() sets TSS rsp0 and SYSCALL's stack.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#define CPU_SELF	0
#define CPU_KSTACK_TOP	8	/* top of the current task's kernel stack */
#define CPU_USER_RSP	16	/* the user's stack pointer, saved at SYSCALL */

#define SYSCALL_VECTOR	256	/* trap_frame.vector of a system call */

#ifndef __ASSEMBLY__
#define PERCPU_SEG	"gs"
#define CPU_LOCAL_ARCH_FIELDS	uint64_t user_rsp;
#include "arch/x86/cpu_local.h"
#endif

#endif
