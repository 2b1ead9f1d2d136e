// SPDX-License-Identifier: MIT
/*
 * Signal frames on both x86 kernels, laid out as Linux lays them out, so
 * that musl's sigaction (its restorer calls rt_sigreturn) and handlers
 * reading ucontext_t work unchanged. The layout and the registers are each
 * arch's sigframe.h; what is done with them is here: the frame goes below
 * the red zone (or at the top of the alternate stack), the FP state above
 * it, 64-byte aligned; the handler starts with a clean FPU state, and
 * rt_sigreturn reloads everything from the frame, which the handler may
 * have changed.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/proc/signal.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "sigframe.h"

#define FPSTATE_ALIGN	64
#define FP_SIZE		(SIGFRAME_FP_HEADER + sizeof(struct fpu_state))
#define FLAGS_TF	(1ul << 8)
#define FLAGS_DF	(1ul << 10)
/* What a handler may change in the flags it returns with (Linux's FIX_EFLAGS). */
#define FLAGS_USER	(0x1ul | 0x4ul | 0x10ul | 0x40ul | 0x80ul | FLAGS_TF | FLAGS_DF | \
			 0x800ul | RFLAGS_AC | (1ul << 16))
#define FXSAVE_MXCSR	24	/* offsets in the FXSAVE area */
#define FXSAVE_SW_RESERVED 464
/*
 * Where the interrupted code's PKRU waits for rt_sigreturn: in the FXSAVE
 * area's bytes for software, inside what Linux calls the padding of its
 * _fpx_sw_bytes (magic1 stays 0, so nothing reads the area as XSAVE).
 * Linux keeps PKRU in the XSAVE state of the frame; this kernel saves no
 * XSAVE state, only the one register that means something here.
 */
#define FXSAVE_SW_PKRU	(FXSAVE_SW_RESERVED + 20)
#define SYSCALL_INSN_LEN 2	/* SYSCALL and INT $0x80 alike */

/* A system call's frame keeps its number in the error slot; ~0: finished. */
#define NOT_A_SYSCALL	((__typeof__(((struct trap_frame *)0)->error))~0ull)

uint64_t arch_frame_sp(const struct trap_frame *f)
{
	return trap_sp(f);
}

bool arch_syscall_result(const struct trap_frame *f, long *ret)
{
	*ret = (long)trap_return(f);
	return f->vector == SYSCALL_VECTOR && f->error != NOT_A_SYSCALL;
}

void arch_syscall_finish(struct trap_frame *f, long ret)
{
	trap_set_return(f, ret);
	f->error = NOT_A_SYSCALL;
}

void arch_syscall_restart(struct trap_frame *f)
{
	trap_set_return(f, (long)f->error);	/* the call's number, saved by syscall_dispatch */
	trap_set_ip(f, trap_ip(f) - SYSCALL_INSN_LEN);	/* back onto the instruction */
	f->error = NOT_A_SYSCALL;
}

#define SET(field, v)	((field) = (__typeof__(field))(v))

/* Into a zeroed frame. */
static void fill_siginfo(struct user_siginfo *si, const struct ksiginfo *k)
{
	si->si_signo = k->signo;
	si->si_code = k->code;
	switch (k->signo) {
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
		if (k->code > 0 && k->code != SI_KERNEL) {
			SET(si->fault.addr, k->addr);
			if (k->signo == SIGSEGV && k->code == SEGV_PKUERR)
				si->pkfault.pkey = k->pkey;
			break;
		}
		__attribute__((fallthrough));	/* sent by kill */
	default:
		si->kill.pid = k->pid;
		si->kill.uid = k->uid;
		if (k->signo == SIGCHLD && k->code > 0)
			si->chld.status = k->status;
		else if (k->code < 0)
			SET(si->rt.value, k->value);	/* sigqueue and the like */
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
	sigframe_save_regs(sc, f);
	SET(sc->eflags, trap_flags(f));
	sc->cs = (uint16_t)f->cs;
	sc->ss = (uint16_t)f->ss;
	SET(sc->err, k->error);
	SET(sc->trapno, k->trapno);
	SET(sc->cr2, k->trapno == VEC_PF ? k->addr : 0);
	SET(sc->oldmask, oldmask);
	SET(sc->fpstate, fpstate);
}

int arch_signal_setup_frame(struct trap_frame *f, const struct k_sigaction *ka,
			    const struct ksiginfo *info, sigset_t oldmask,
			    struct task_signals *s)
{
	uint64_t sp = trap_sp(f) - SIGFRAME_RED_ZONE;
	bool nested_alt = on_sig_stack(s, trap_sp(f)), entering_alt = false;
	struct rt_sigframe frame;

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;		/* no vDSO: only sa_restorer can return */
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(s, sp) == 0) {
		sp = s->ss_sp + s->ss_size;
		entering_alt = true;
	}
	uint64_t fpstate = (sp - FP_SIZE) & ~(uint64_t)(FPSTATE_ALIGN - 1);
	uint64_t fp = sigframe_align(fpstate - sizeof(frame));
	/* Running off the alternate stack is a fault, not a silent overwrite. */
	if ((nested_alt || entering_alt) && !on_sig_stack_raw(s, fp))
		return -EFAULT;
	if (!user_range_ok(fp, fpstate + FP_SIZE - fp) ||
	    !user_access_ok(fp, fpstate + FP_SIZE - fp, true))
		return -EFAULT;

	/* The live registers are the interrupted code's state: straight to the frame. */
	uint64_t fx = fpstate + SIGFRAME_FP_HEADER;
	if ((SIGFRAME_FP_HEADER && clear_user(fpstate, SIGFRAME_FP_HEADER)) ||
	    user_fxsave((void *)(uintptr_t)fx) ||
	    clear_user(fx + FXSAVE_SW_RESERVED, sizeof(struct fpu_state) - FXSAVE_SW_RESERVED))
		return -EFAULT;
	uint32_t pkru = arch_pkru_read();
	if (arch_pkeys() > 1 && copy_to_user(fx + FXSAVE_SW_PKRU, &pkru, sizeof(pkru)))
		return -EFAULT;
	memset(&frame, 0, sizeof(frame));
	sigframe_header(&frame, fp, ka->restorer, info->signo);
	SET(frame.uc.uc_stack.ss_sp, s->ss_sp);
	SET(frame.uc.uc_stack.ss_size, s->ss_size);
	frame.uc.uc_stack.ss_flags = s->ss_size ? (int32_t)s->ss_flags : SS_DISABLE;
	fill_sigcontext(&frame.uc.uc_mcontext, f, info, oldmask, fpstate);
	frame.uc.uc_sigmask = oldmask;
	fill_siginfo(&frame.info, info);
	if (copy_to_user(fp, &frame, sizeof(frame)))
		return -EFAULT;

	sigframe_enter(f, fp, ka->handler, info->signo);
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	trap_set_flags(f, trap_flags(f) & ~(FLAGS_DF | FLAGS_TF));
	fpu_load_initial();
	if (arch_pkeys() > 1)
		arch_pkru_write(ARCH_PKRU_INIT);	/* the handler starts with Linux's default rights */
	return 0;
}

/* The PKRU a handler returns to: the frame's, or the default without FP state. */
static int restore_pkru(uint64_t ufp)
{
	uint32_t pkru = ARCH_PKRU_INIT;

	if (arch_pkeys() <= 1)
		return 0;
	if (ufp && copy_from_user(&pkru, ufp + SIGFRAME_FP_HEADER + FXSAVE_SW_PKRU, sizeof(pkru)))
		return -EFAULT;
	arch_pkru_write(pkru);
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
	ufp += SIGFRAME_FP_HEADER;
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

int arch_signal_restore_frame(struct trap_frame *f, sigset_t *mask, struct kstack *ss)
{
	/* The handler's ret popped pretcode. */
	uint64_t fp = trap_sp(f) - sizeof(((struct rt_sigframe *)0)->pretcode);
	struct user_ucontext uc;

	if (copy_from_user(&uc, fp + __builtin_offsetof(struct rt_sigframe, uc), sizeof(uc)))
		return -EFAULT;
	const struct user_sigcontext *sc = &uc.uc_mcontext;
	if (!sigframe_regs_ok(sc) || restore_fpu(sc->fpstate) || restore_pkru(sc->fpstate))
		return -EFAULT;
	sigframe_load_regs(f, sc);
	trap_set_flags(f, (trap_flags(f) & ~FLAGS_USER) | (sc->eflags & FLAGS_USER));
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	*mask = uc.uc_sigmask;
	ss->sp = uc.uc_stack.ss_sp;
	ss->size = uc.uc_stack.ss_size;
	ss->flags = (uint32_t)uc.uc_stack.ss_flags;
	return 0;
}
