/* SPDX-License-Identifier: MIT */
/*
 * x86_64's signal frame, laid out as Linux lays it out (kernel/proc/signal_frame.c
 * builds and restores it):
 *
 *   higher addresses
 *     [red zone: 128 bytes of the interrupted code, left alone]
 *     FP state, 64-byte aligned, uc_mcontext.fpstate points here: Linux's
 *       XSAVE image and MAGIC2 (with XSAVE), else an FXSAVE area (512 bytes)
 *     struct siginfo (128 bytes)           <- %rsi of the handler
 *     struct ucontext                      <- %rdx of the handler
 *     return address: sa_restorer          <- %rsp of the handler (16n + 8)
 */
#ifndef ARCH_X86_64_SIGFRAME_H
#define ARCH_X86_64_SIGFRAME_H

#define SIGFRAME_RED_ZONE	128
#define ARCH_NR_restart_syscall	219	/* what a call restarted through its restart block issues */
#define SIGFRAME_FP_HEADER	0	/* the XSAVE or FXSAVE image is the whole FP state */
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4

/* struct sigcontext of Linux's x86_64 ABI (uc_mcontext). */
struct user_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;		/* user pointer to the FP state */
	uint64_t reserved1[8];
};

struct user_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct user_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct user_stack uc_stack;
	struct user_sigcontext uc_mcontext;
	sigset_t uc_sigmask;
};

/* siginfo_t: three ints, then a union aligned to 8 (x86_64). */
struct user_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { int32_t pid; uint32_t uid; uint64_t value; } rt;
		struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad;
			 int64_t utime, stime; } chld;
		struct { uint64_t addr; } fault;
		/* SEGV_PKUERR: si_pkey after a pointer-sized pad (Linux's _addr_pkey) */
		struct { uint64_t addr, pad; uint32_t pkey; } pkfault;
		uint8_t bytes[112];
	};
};

struct rt_sigframe {
	uint64_t pretcode;
	struct user_ucontext uc;
	struct user_siginfo info;
};

_Static_assert(sizeof(struct user_sigcontext) == 256, "sigcontext is 256 bytes");
_Static_assert(sizeof(struct user_ucontext) == 304, "kernel ucontext is 304 bytes");
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo is 128 bytes");
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

/* The handler's %rsp: 16n + 8, as after a call. */
static inline uint64_t sigframe_align(uint64_t below)
{
	return (below & ~15ull) - 8;
}

static inline void sigframe_save_regs(struct user_sigcontext *sc, const struct trap_frame *f)
{
	sc->r8 = f->r8; sc->r9 = f->r9; sc->r10 = f->r10; sc->r11 = f->r11;
	sc->r12 = f->r12; sc->r13 = f->r13; sc->r14 = f->r14; sc->r15 = f->r15;
	sc->rdi = f->rdi; sc->rsi = f->rsi; sc->rbp = f->rbp; sc->rbx = f->rbx;
	sc->rdx = f->rdx; sc->rax = f->rax; sc->rcx = f->rcx; sc->rsp = f->rsp;
	sc->rip = f->rip;
}

/* The part of the frame below the ucontext: the return address. */
static inline void sigframe_header(struct rt_sigframe *frame, uint64_t fp, uint64_t restorer,
				   int signo)
{
	(void)fp, (void)signo;
	frame->pretcode = restorer;
	frame->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
}

/* Into the handler: handler(sig, &info, &uc) in rdi, rsi, rdx. */
static inline void sigframe_enter(struct trap_frame *f, uint64_t fp, uint64_t handler, int signo)
{
	f->rdi = (uint64_t)signo;
	f->rsi = fp + __builtin_offsetof(struct rt_sigframe, info);
	f->rdx = fp + __builtin_offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rsp = fp;
	f->rip = handler;
}

static inline bool sigframe_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* What IRET would fault on in the kernel: a non-canonical rip or rsp. */
static inline bool sigframe_regs_ok(const struct user_sigcontext *sc)
{
	return sigframe_canonical(sc->rip) && sigframe_canonical(sc->rsp);
}

static inline void sigframe_load_regs(struct trap_frame *f, const struct user_sigcontext *sc)
{
	f->r8 = sc->r8; f->r9 = sc->r9; f->r10 = sc->r10; f->r11 = sc->r11;
	f->r12 = sc->r12; f->r13 = sc->r13; f->r14 = sc->r14; f->r15 = sc->r15;
	f->rdi = sc->rdi; f->rsi = sc->rsi; f->rbp = sc->rbp; f->rbx = sc->rbx;
	f->rdx = sc->rdx; f->rax = sc->rax; f->rcx = sc->rcx; f->rsp = sc->rsp;
	f->rip = sc->rip;
}

#endif
