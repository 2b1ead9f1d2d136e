// SPDX-License-Identifier: MIT
/*
 * x86_64 signal frames, laid out as Linux lays them out, so that musl's
 * sigaction (its restorer calls rt_sigreturn) and hand-written handlers
 * reading ucontext_t work unchanged:
 *
 *   higher addresses
 *     [red zone: 128 bytes of the interrupted code, left alone]
 *     FXSAVE area (512 bytes, 64-byte aligned), uc_mcontext.fpstate points here
 *     struct siginfo (128 bytes)           <- %rsi of the handler
 *     struct ucontext                      <- %rdx of the handler
 *     return address: sa_restorer          <- %rsp of the handler (16n + 8)
 *
 * The handler starts with a clean FPU state; rt_sigreturn reloads
 * everything from the frame, which the handler may have changed.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"
#include "kernel/proc/signal.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"

#define RED_ZONE	128
#define FPSTATE_ALIGN	64
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4
#define RFLAGS_TF	(1ul << 8)
#define RFLAGS_DF	(1ul << 10)
/* What a handler may change in the flags it returns with (Linux's FIX_EFLAGS). */
#define RFLAGS_USER	(0x1ul | 0x4ul | 0x10ul | 0x40ul | 0x80ul | RFLAGS_TF | RFLAGS_DF | \
			 0x800ul | RFLAGS_AC | (1ul << 16))
#define FXSAVE_MXCSR	24	/* offsets in the FXSAVE area */
#define FXSAVE_SW_RESERVED 464

/* struct sigcontext of Linux's x86_64 ABI (uc_mcontext). */
struct user_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;		/* user pointer to the FXSAVE area */
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

uint64_t arch_frame_sp(const struct trap_frame *f)
{
	return f->rsp;
}

/* A system call's frame keeps its number in the error slot; ~0: finished. */
#define NOT_A_SYSCALL	(~0ull)

bool arch_syscall_result(const struct trap_frame *f, long *ret)
{
	*ret = (long)f->rax;
	return f->vector == SYSCALL_VECTOR && f->error != NOT_A_SYSCALL;
}

void arch_syscall_finish(struct trap_frame *f, long ret)
{
	f->rax = (uint64_t)ret;
	f->error = NOT_A_SYSCALL;
}

void arch_syscall_restart(struct trap_frame *f)
{
	f->rax = f->error;	/* the call's number, saved by syscall_dispatch */
	f->rip -= 2;		/* back onto the SYSCALL instruction */
	f->error = NOT_A_SYSCALL;
}

/* Into a zeroed frame. */
static void fill_siginfo(struct user_siginfo *si, const struct ksiginfo *k)
{
	si->si_signo = k->signo;
	si->si_code = k->code;
	switch (k->signo) {
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
		if (k->code > 0 && k->code != SI_KERNEL) {
			si->fault.addr = k->addr;
			break;
		}
		__attribute__((fallthrough));	/* sent by kill */
	default:
		si->kill.pid = k->pid;
		si->kill.uid = k->uid;
		if (k->signo == SIGCHLD && k->code > 0)
			si->chld.status = k->status;
		else if (k->code < 0)
			si->rt.value = k->value;	/* sigqueue and the like */
		break;
	}
}

int arch_copy_siginfo_to_user(uint64_t uinfo, const struct ksiginfo *info)
{
	struct user_siginfo si;

	memset(&si, 0, sizeof(si));
	fill_siginfo(&si, info);
	return copy_to_user(uinfo, &si, sizeof(si));
}

static void fill_sigcontext(struct user_sigcontext *sc, const struct trap_frame *f,
			    const struct ksiginfo *k, sigset_t oldmask, uint64_t fpstate)
{
	sc->r8 = f->r8; sc->r9 = f->r9; sc->r10 = f->r10; sc->r11 = f->r11;
	sc->r12 = f->r12; sc->r13 = f->r13; sc->r14 = f->r14; sc->r15 = f->r15;
	sc->rdi = f->rdi; sc->rsi = f->rsi; sc->rbp = f->rbp; sc->rbx = f->rbx;
	sc->rdx = f->rdx; sc->rax = f->rax; sc->rcx = f->rcx; sc->rsp = f->rsp;
	sc->rip = f->rip;
	sc->eflags = f->rflags;
	sc->cs = (uint16_t)f->cs;
	sc->ss = (uint16_t)f->ss;
	sc->err = k->error;
	sc->trapno = k->trapno;
	sc->cr2 = k->trapno == VEC_PF ? k->addr : 0;
	sc->oldmask = oldmask;
	sc->fpstate = fpstate;
}

int arch_signal_setup_frame(struct trap_frame *f, const struct k_sigaction *ka,
			    const struct ksiginfo *info, sigset_t oldmask,
			    struct task_signals *s)
{
	uint64_t sp = f->rsp - RED_ZONE;
	bool nested_alt = on_sig_stack(s, f->rsp), entering_alt = false;
	struct rt_sigframe frame;

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;		/* x86_64 returns only through sa_restorer */
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(s, sp) == 0) {
		sp = s->ss_sp + s->ss_size;
		entering_alt = true;
	}
	uint64_t fpstate = (sp - sizeof(struct fpu_state)) & ~(uint64_t)(FPSTATE_ALIGN - 1);
	uint64_t fp = ((fpstate - sizeof(frame)) & ~15ull) - 8;
	/* Running off the alternate stack is a fault, not a silent overwrite. */
	if ((nested_alt || entering_alt) && !on_sig_stack_raw(s, fp))
		return -EFAULT;

	/* The live registers are the interrupted code's state: straight to the frame. */
	if (!user_range_ok(fpstate, sizeof(struct fpu_state)) ||
	    !user_access_ok(fpstate, sizeof(struct fpu_state), true) ||
	    user_fxsave((void *)fpstate) ||
	    clear_user(fpstate + FXSAVE_SW_RESERVED, sizeof(struct fpu_state) - FXSAVE_SW_RESERVED))
		return -EFAULT;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ka->restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_stack.ss_sp = s->ss_sp;
	frame.uc.uc_stack.ss_size = s->ss_size;
	frame.uc.uc_stack.ss_flags = s->ss_size ? (int32_t)s->ss_flags : SS_DISABLE;
	fill_sigcontext(&frame.uc.uc_mcontext, f, info, oldmask, fpstate);
	frame.uc.uc_sigmask = oldmask;
	fill_siginfo(&frame.info, info);
	if (copy_to_user(fp, &frame, sizeof(frame)))
		return -EFAULT;

	f->rdi = (uint64_t)info->signo;
	f->rsi = fp + __builtin_offsetof(struct rt_sigframe, info);
	f->rdx = fp + __builtin_offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rsp = fp;
	f->rip = ka->handler;
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	f->rflags &= ~(RFLAGS_DF | RFLAGS_TF);
	fpu_load_initial();
	return 0;
}

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/*
 * The FPU state a handler returns with, loaded straight from the frame; if
 * that faults (MXCSR bits the CPU lacks, a misaligned area) it goes through
 * a kernel copy with MXCSR cleaned, as Linux does.
 */
static int restore_fpu(uint64_t ufp)
{
	struct fpu_state fs;
	uint32_t mxcsr;

	if (!ufp) {
		fpu_load_initial();
		return 0;
	}
	if (!user_range_ok(ufp, sizeof(fs)) || !user_access_ok(ufp, sizeof(fs), false))
		return -EFAULT;
	if (!(ufp & 15) && !user_fxrstor((const void *)ufp))
		return 0;
	if (copy_from_user(&fs, ufp, sizeof(fs)))
		return -EFAULT;
	memcpy(&mxcsr, fs.area + FXSAVE_MXCSR, 4);
	mxcsr &= fpu_mxcsr_mask();
	memcpy(fs.area + FXSAVE_MXCSR, &mxcsr, 4);
	fpu_restore(&fs);
	return 0;
}

int arch_signal_restore_frame(struct trap_frame *f, sigset_t *mask, struct kstack *ss)
{
	uint64_t fp = f->rsp - 8;	/* the handler's ret popped pretcode */
	struct user_ucontext uc;

	if (copy_from_user(&uc, fp + __builtin_offsetof(struct rt_sigframe, uc), sizeof(uc)))
		return -EFAULT;
	const struct user_sigcontext *sc = &uc.uc_mcontext;
	if (!canonical(sc->rip) || !canonical(sc->rsp))
		return -EFAULT;		/* IRET would fault in the kernel */
	if (restore_fpu(sc->fpstate))
		return -EFAULT;
	f->r8 = sc->r8; f->r9 = sc->r9; f->r10 = sc->r10; f->r11 = sc->r11;
	f->r12 = sc->r12; f->r13 = sc->r13; f->r14 = sc->r14; f->r15 = sc->r15;
	f->rdi = sc->rdi; f->rsi = sc->rsi; f->rbp = sc->rbp; f->rbx = sc->rbx;
	f->rdx = sc->rdx; f->rax = sc->rax; f->rcx = sc->rcx; f->rsp = sc->rsp;
	f->rip = sc->rip;
	f->rflags = (f->rflags & ~RFLAGS_USER) | (sc->eflags & RFLAGS_USER);
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	*mask = uc.uc_sigmask;
	ss->sp = uc.uc_stack.ss_sp;
	ss->size = uc.uc_stack.ss_size;
	ss->flags = (uint32_t)uc.uc_stack.ss_flags;
	return 0;
}
