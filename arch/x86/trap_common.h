/* SPDX-License-Identifier: MIT */
/*
 * The saved state's accessors that read the same on both x86 kernels (each
 * trap.h includes this after its struct trap_frame, having named the
 * registers: TF_IP, TF_SP, TF_FLAGS, TF_FP, TF_RET). What differs (the
 * frame, whether it came from user mode, a kernel frame's stack pointer,
 * the system-call convention) stays in trap.h.
 */
#ifndef ARCH_X86_TRAP_COMMON_H
#define ARCH_X86_TRAP_COMMON_H

static inline uintptr_t trap_ip(const struct trap_frame *f)
{
	return f->TF_IP;
}

/* The interrupted code's flags (IF: were interrupts on?). */
static inline unsigned long trap_flags(const struct trap_frame *f)
{
	return f->TF_FLAGS;
}

static inline uintptr_t trap_fp(const struct trap_frame *f)
{
	return f->TF_FP;
}

static inline void trap_set_ip(struct trap_frame *f, uintptr_t ip)
{
	f->TF_IP = ip;
}

/* Only for user frames. */
static inline void trap_set_sp(struct trap_frame *f, uintptr_t sp)
{
	f->TF_SP = sp;
}

/* The flags a return to the interrupted code loads. */
static inline void trap_set_flags(struct trap_frame *f, unsigned long flags)
{
	f->TF_FLAGS = flags;
}

/* The system-call return register (the result, or a restarted call's number). */
static inline unsigned long trap_return(const struct trap_frame *f)
{
	return f->TF_RET;
}

/* The value a system call or a new thread's clone() returns. */
static inline void trap_set_return(struct trap_frame *f, long v)
{
	f->TF_RET = (__typeof__(f->TF_RET))v;
}

/* A fresh user state: ring 3 at @ip with stack @sp, interrupts on. */
void trap_frame_init_user(struct trap_frame *f, uintptr_t ip, uintptr_t sp);
/* The registers, for a panic report. */
void trap_frame_print(const struct trap_frame *f);

void trap_dispatch(struct trap_frame *f);

void idt_init(void);

#endif
