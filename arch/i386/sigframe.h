/* SPDX-License-Identifier: MIT */
/*
 * i386's signal frame, laid out as Linux lays out its rt_sigframe
 * (kernel/proc/signal_frame.c builds and restores it):
 *
 *   higher addresses
 *     FP state: a 112-byte i387 header, then the FXSAVE area (512 bytes),
 *       64-byte aligned; uc_mcontext.fpstate points at the header
 *     struct rt_sigframe: return address (sa_restorer), sig, &info, &uc,
 *       siginfo (128 bytes), ucontext        <- %esp of the handler (16n + 12)
 *
 * The handler gets (sig, &info, &uc) on the stack as a C function, and in
 * eax, edx, ecx too (Linux does this for regparm handlers). The i387 header
 * is left zero apart from its magic (0: an FXSAVE area follows); Linux
 * fills it from the FXSAVE area, which nothing we run reads.
 */
#ifndef ARCH_I386_SIGFRAME_H
#define ARCH_I386_SIGFRAME_H

#define SIGFRAME_RED_ZONE	0
#define ARCH_NR_restart_syscall	0	/* what a call restarted through its restart block issues */
#define SIGFRAME_FP_HEADER	112	/* struct _fpstate_32 before its FXSAVE part */

/* struct sigcontext of Linux's i386 ABI (uc_mcontext). */
struct user_sigcontext {
	uint16_t gs, gsh, fs, fsh, es, esh, ds, dsh;
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t trapno, err, eip;
	uint16_t cs, csh;
	uint32_t eflags, esp_at_signal;
	uint16_t ss, ssh;
	uint32_t fpstate;		/* user pointer to the FP state */
	uint32_t oldmask, cr2;
};

struct user_stack {
	uint32_t ss_sp;
	int32_t ss_flags;
	uint32_t ss_size;
};

struct user_ucontext {
	uint32_t uc_flags;
	uint32_t uc_link;
	struct user_stack uc_stack;
	struct user_sigcontext uc_mcontext;
	sigset_t uc_sigmask;
} __attribute__((packed, aligned(4)));

/* siginfo_t: three ints, then a union aligned to 4 (i386). */
struct user_siginfo {
	int32_t si_signo, si_errno, si_code;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { int32_t pid; uint32_t uid; uint32_t value; } rt;
		struct { int32_t pid; uint32_t uid; int32_t status; int32_t utime, stime; } chld;
		struct { uint32_t addr; } fault;
		/* SEGV_PKUERR: si_pkey after a pointer-sized pad (Linux's _addr_pkey) */
		struct { uint32_t addr, pad; uint32_t pkey; } pkfault;
		uint8_t bytes[116];
	};
};

struct rt_sigframe {
	uint32_t pretcode;
	int32_t sig;
	uint32_t pinfo, puc;
	struct user_siginfo info;
	struct user_ucontext uc;
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct user_sigcontext) == 88, "sigcontext is 88 bytes");
_Static_assert(sizeof(struct user_ucontext) == 116, "ucontext is 116 bytes");
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo is 128 bytes");
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc) == 144, "rt_sigframe layout");

/* The handler's %esp + 4 is 16-byte aligned, as after a call. */
static inline uint64_t sigframe_align(uint64_t below)
{
	return ((below + 4) & ~15ull) - 4;
}

static inline void sigframe_save_regs(struct user_sigcontext *sc, const struct trap_frame *f)
{
	sc->gs = (uint16_t)f->gs; sc->fs = (uint16_t)f->fs;
	sc->es = (uint16_t)f->es; sc->ds = (uint16_t)f->ds;
	sc->edi = f->edi; sc->esi = f->esi; sc->ebp = f->ebp; sc->esp = f->esp;
	sc->ebx = f->ebx; sc->edx = f->edx; sc->ecx = f->ecx; sc->eax = f->eax;
	sc->eip = f->eip;
	sc->esp_at_signal = f->esp;
}

/* The part of the frame below the siginfo: return address and the handler's arguments. */
static inline void sigframe_header(struct rt_sigframe *frame, uint64_t fp, uint64_t restorer,
				   int signo)
{
	frame->pretcode = (uint32_t)restorer;
	frame->sig = signo;
	frame->pinfo = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, info));
	frame->puc = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, uc));
}

/* Into the handler: handler(sig, &info, &uc) on the stack, and in eax, edx, ecx. */
static inline void sigframe_enter(struct trap_frame *f, uint64_t fp, uint64_t handler, int signo)
{
	f->eax = (uint32_t)signo;
	f->edx = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, info));
	f->ecx = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, uc));
	f->esp = (uint32_t)fp;
	f->eip = (uint32_t)handler;
	f->ds = f->es = SEL_UDATA;
}

/* Any eip and esp are safe to IRET to: a bad one faults in user mode. */
static inline bool sigframe_regs_ok(const struct user_sigcontext *sc)
{
	(void)sc;
	return true;
}

/* A data selector a frame may restore: null, user data or a TLS entry, at RPL 3. */
static inline uint32_t sigframe_user_selector(uint16_t sel, uint32_t fallback)
{
	unsigned index = sel >> 3;

	if (sel == 0 || sel == SEL_UDATA ||
	    ((sel & 7) == 3 && index >= GDT_TLS_FIRST && index < GDT_TLS_FIRST + GDT_TLS_COUNT))
		return sel;
	return fallback;
}

static inline void sigframe_load_regs(struct trap_frame *f, const struct user_sigcontext *sc)
{
	f->gs = sigframe_user_selector(sc->gs, 0);
	f->fs = sigframe_user_selector(sc->fs, 0);
	f->es = sigframe_user_selector(sc->es, SEL_UDATA);
	f->ds = sigframe_user_selector(sc->ds, SEL_UDATA);
	f->edi = sc->edi; f->esi = sc->esi; f->ebp = sc->ebp; f->esp = sc->esp;
	f->ebx = sc->ebx; f->edx = sc->edx; f->ecx = sc->ecx; f->eax = sc->eax;
	f->eip = sc->eip;
}

#endif
