// SPDX-License-Identifier: MIT
/*
 * i386 signal frames, laid out as Linux lays out its rt_sigframe, so that
 * musl's sigaction (its restorer calls rt_sigreturn) and handlers reading
 * ucontext_t work unchanged:
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
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/proc/signal.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"

#define FPSTATE_ALIGN	64
#define FP_HEADER	112	/* struct _fpstate_32 before its FXSAVE part */
#define FP_SIZE		(FP_HEADER + sizeof(struct fpu_state))
#define EFLAGS_TF	(1ul << 8)
#define EFLAGS_DF	(1ul << 10)
/* What a handler may change in the flags it returns with (Linux's FIX_EFLAGS). */
#define EFLAGS_USER	(0x1ul | 0x4ul | 0x10ul | 0x40ul | 0x80ul | EFLAGS_TF | EFLAGS_DF | \
			 0x800ul | RFLAGS_AC | (1ul << 16))
#define FXSAVE_MXCSR	24	/* offsets in the FXSAVE area */
#define FXSAVE_SW_RESERVED 464

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

struct user_stack32 {
	uint32_t ss_sp;
	int32_t ss_flags;
	uint32_t ss_size;
};

struct user_ucontext {
	uint32_t uc_flags;
	uint32_t uc_link;
	struct user_stack32 uc_stack;
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

uint64_t arch_frame_sp(const struct trap_frame *f)
{
	return f->esp;
}

/* A system call's frame keeps its number in the error slot; ~0: finished. */
#define NOT_A_SYSCALL	(~0u)

bool arch_syscall_result(const struct trap_frame *f, long *ret)
{
	*ret = (int32_t)f->eax;
	return f->vector == SYSCALL_VECTOR && f->error != NOT_A_SYSCALL;
}

void arch_syscall_finish(struct trap_frame *f, long ret)
{
	f->eax = (uint32_t)ret;
	f->error = NOT_A_SYSCALL;
}

void arch_syscall_restart(struct trap_frame *f)
{
	f->eax = f->error;	/* the call's number, saved by syscall_dispatch */
	f->eip -= 2;		/* back onto the INT $0x80 instruction */
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
			si->fault.addr = (uint32_t)k->addr;
			break;
		}
		__attribute__((fallthrough));	/* sent by kill */
	default:
		si->kill.pid = k->pid;
		si->kill.uid = k->uid;
		if (k->signo == SIGCHLD && k->code > 0)
			si->chld.status = k->status;
		else if (k->code < 0)
			si->rt.value = (uint32_t)k->value;	/* sigqueue and the like */
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
			    const struct ksiginfo *k, sigset_t oldmask, uint32_t fpstate)
{
	sc->gs = (uint16_t)f->gs; sc->fs = (uint16_t)f->fs;
	sc->es = (uint16_t)f->es; sc->ds = (uint16_t)f->ds;
	sc->edi = f->edi; sc->esi = f->esi; sc->ebp = f->ebp; sc->esp = f->esp;
	sc->ebx = f->ebx; sc->edx = f->edx; sc->ecx = f->ecx; sc->eax = f->eax;
	sc->trapno = (uint32_t)k->trapno;
	sc->err = (uint32_t)k->error;
	sc->eip = f->eip;
	sc->cs = (uint16_t)f->cs;
	sc->eflags = f->eflags;
	sc->esp_at_signal = f->esp;
	sc->ss = (uint16_t)f->ss;
	sc->fpstate = fpstate;
	sc->oldmask = (uint32_t)oldmask;
	sc->cr2 = k->trapno == VEC_PF ? (uint32_t)k->addr : 0;
}

int arch_signal_setup_frame(struct trap_frame *f, const struct k_sigaction *ka,
			    const struct ksiginfo *info, sigset_t oldmask,
			    struct task_signals *s)
{
	uint64_t sp = f->esp;
	bool nested_alt = on_sig_stack(s, f->esp), entering_alt = false;
	struct rt_sigframe frame;

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;		/* no vDSO: only sa_restorer can return */
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(s, sp) == 0) {
		sp = s->ss_sp + s->ss_size;
		entering_alt = true;
	}
	uint64_t fpstate = (sp - FP_SIZE) & ~(uint64_t)(FPSTATE_ALIGN - 1);
	/* The handler's %esp + 4 is 16-byte aligned, as after a call. */
	uint64_t fp = ((fpstate - sizeof(frame) + 4) & ~15ull) - 4;
	if ((nested_alt || entering_alt) && !on_sig_stack_raw(s, fp))
		return -EFAULT;
	if (!user_range_ok(fp, fpstate + FP_SIZE - fp) ||
	    !user_access_ok(fp, fpstate + FP_SIZE - fp, true))
		return -EFAULT;

	/* The live registers are the interrupted code's state: straight to the frame. */
	uint64_t fx = fpstate + FP_HEADER;
	if (clear_user(fpstate, FP_HEADER) || user_fxsave((void *)(uintptr_t)fx) ||
	    clear_user(fx + FXSAVE_SW_RESERVED, sizeof(struct fpu_state) - FXSAVE_SW_RESERVED))
		return -EFAULT;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = (uint32_t)ka->restorer;
	frame.sig = info->signo;
	frame.pinfo = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, info));
	frame.puc = (uint32_t)(fp + __builtin_offsetof(struct rt_sigframe, uc));
	frame.uc.uc_stack.ss_sp = (uint32_t)s->ss_sp;
	frame.uc.uc_stack.ss_size = (uint32_t)s->ss_size;
	frame.uc.uc_stack.ss_flags = s->ss_size ? (int32_t)s->ss_flags : SS_DISABLE;
	fill_sigcontext(&frame.uc.uc_mcontext, f, info, oldmask, (uint32_t)fpstate);
	frame.uc.uc_sigmask = oldmask;
	fill_siginfo(&frame.info, info);
	if (copy_to_user(fp, &frame, sizeof(frame)))
		return -EFAULT;

	f->eax = (uint32_t)info->signo;
	f->edx = frame.pinfo;
	f->ecx = frame.puc;
	f->esp = (uint32_t)fp;
	f->eip = (uint32_t)ka->handler;
	f->cs = SEL_UCODE;
	f->ss = f->ds = f->es = SEL_UDATA;
	f->eflags &= ~(EFLAGS_DF | EFLAGS_TF);
	fpu_load_initial();
	return 0;
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
	ufp += FP_HEADER;
	if (!user_range_ok(ufp, sizeof(fs)) || !user_access_ok(ufp, sizeof(fs), false))
		return -EFAULT;
	if (!(ufp & 15) && !user_fxrstor((const void *)(uintptr_t)ufp))
		return 0;
	if (copy_from_user(&fs, ufp, sizeof(fs)))
		return -EFAULT;
	memcpy(&mxcsr, fs.area + FXSAVE_MXCSR, 4);
	mxcsr &= fpu_mxcsr_mask();
	memcpy(fs.area + FXSAVE_MXCSR, &mxcsr, 4);
	fpu_restore(&fs);
	return 0;
}

/* A data selector a frame may restore: null, user data or a TLS entry, at RPL 3. */
static uint32_t user_selector(uint16_t sel, uint32_t fallback)
{
	unsigned index = sel >> 3;

	if (sel == 0 || sel == SEL_UDATA ||
	    ((sel & 7) == 3 && index >= GDT_TLS_FIRST && index < GDT_TLS_FIRST + GDT_TLS_COUNT))
		return sel;
	return fallback;
}

int arch_signal_restore_frame(struct trap_frame *f, sigset_t *mask, struct kstack *ss)
{
	uint64_t fp = (uint64_t)f->esp - 4;	/* the handler's ret popped pretcode */
	struct user_ucontext uc;

	if (copy_from_user(&uc, fp + __builtin_offsetof(struct rt_sigframe, uc), sizeof(uc)))
		return -EFAULT;
	const struct user_sigcontext *sc = &uc.uc_mcontext;
	if (restore_fpu(sc->fpstate))
		return -EFAULT;
	f->gs = user_selector(sc->gs, 0);
	f->fs = user_selector(sc->fs, 0);
	f->es = user_selector(sc->es, SEL_UDATA);
	f->ds = user_selector(sc->ds, SEL_UDATA);
	f->edi = sc->edi; f->esi = sc->esi; f->ebp = sc->ebp; f->esp = sc->esp;
	f->ebx = sc->ebx; f->edx = sc->edx; f->ecx = sc->ecx; f->eax = sc->eax;
	f->eip = sc->eip;
	f->eflags = (f->eflags & ~EFLAGS_USER) | (sc->eflags & EFLAGS_USER);
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	*mask = uc.uc_sigmask;
	ss->sp = uc.uc_stack.ss_sp;
	ss->size = uc.uc_stack.ss_size;
	ss->flags = (uint32_t)uc.uc_stack.ss_flags;
	return 0;
}
