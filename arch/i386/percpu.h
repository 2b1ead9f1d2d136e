/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data (arch/x86/cpu_local.h), reached through %fs in kernel mode:
 * the SEL_PERCPU descriptor's base is this CPU's struct cpu_local. Every
 * entry loads it; the user's %fs is saved in the trap frame.
 * cpu_set_kernel_stack() sets TSS esp0.
 */
#ifndef ARCH_I386_PERCPU_H
#define ARCH_I386_PERCPU_H

#define SYSCALL_VECTOR	0x80	/* int $0x80 */

#ifndef __ASSEMBLY__
#define PERCPU_SEG	"fs"
#define CPU_LOCAL_ARCH_FIELDS
#include "arch/x86/cpu_local.h"
#endif

#endif
