/* SPDX-License-Identifier: MIT */
/*
 * Interrupt and exception entry on i386: the saved state, and what the
 * kernel proper reads and changes of it (the same accessors on x86_64).
 */
#ifndef ARCH_I386_TRAP_H
#define ARCH_I386_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/exceptions.h"

/*
 * What isr.S pushes, lowest address first: segment registers, PUSHA, the
 * vector and error code, then the CPU's part. esp and ss are pushed by the
 * CPU only on entry from ring 3; for a kernel-mode frame the interrupted
 * stack pointer is the address of the esp field (trap_sp()). From
 * virtual-8086 mode (EFLAGS.VM) the CPU also pushes the v86 data segments
 * above ss; the TSS's esp0 is 16 bytes lower for everything else, so the
 * frame sits at the same place either way (cpu_set_kernel_stack()).
 */
struct trap_frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;		/* from user mode only */
	uint32_t v86_es, v86_ds, v86_fs, v86_gs;	/* from virtual-8086 mode only */
};

#define TF_IP	eip	/* the names trap_common.h reads */
#define TF_SP	esp
#define TF_FLAGS	eflags
#define TF_FP	ebp
#define TF_RET	eax

#define EFLAGS_VM	(1u << 17)	/* virtual-8086 mode */
#define V86_FRAME_EXTRA	16		/* the four v86 segments */

static inline bool trap_in_v86(const struct trap_frame *f)
{
	return f->eflags & EFLAGS_VM;
}

/* From ring 3: protected mode or virtual-8086 mode (whose cs is a real-mode segment). */
static inline bool trap_from_user(const struct trap_frame *f)
{
	return (f->cs & 3) || trap_in_v86(f);
}

static inline uintptr_t trap_sp(const struct trap_frame *f)
{
	return trap_from_user(f) ? f->esp : (uintptr_t)&f->esp;
}

/*
 * A system call's number and arguments (Linux's i386 convention: int $0x80,
 * eax, then ebx, ecx, edx, esi, edi, ebp).
 */
static inline unsigned long trap_syscall_args(const struct trap_frame *f, uint64_t a[6])
{
	a[0] = f->ebx, a[1] = f->ecx, a[2] = f->edx, a[3] = f->esi, a[4] = f->edi, a[5] = f->ebp;
	return f->eax;
}

#include "arch/x86/trap_common.h"

#endif
