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
 *
 * With XSAVE (x86_64 on CPUs that have it) the FP state is Linux's: an
 * XSAVE image of every enabled component, PKRU included, whose legacy
 * area's software bytes hold struct fpx_sw_bytes, followed by MAGIC2.
 * Without it, an FXSAVE image (and on i386 the i387 header before it).
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/proc/signal.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "sigframe.h"

#define FPSTATE_ALIGN	64
#define FLAGS_TF	(1ul << 8)
#define FLAGS_DF	(1ul << 10)
/* What a handler may change in the flags it returns with (Linux's FIX_EFLAGS). */
#define FLAGS_USER	(0x1ul | 0x4ul | 0x10ul | 0x40ul | 0x80ul | FLAGS_TF | FLAGS_DF | \
			 0x800ul | RFLAGS_AC | (1ul << 16))
#define FXSAVE_SIZE	512
#define FXSAVE_MXCSR	24	/* offsets in the FXSAVE area */
#define FXSAVE_SW_RESERVED 464
#define XSAVE_HEADER_SIZE 64	/* after the legacy area: xstate_bv first */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define MAGIC2_SIZE	4

/* Linux's struct _fpx_sw_bytes, in the legacy area's software bytes. */
struct fpx_sw_bytes {
	uint32_t magic1;	/* FP_XSTATE_MAGIC1: an XSAVE image */
	uint32_t extended_size;	/* xstate_size + MAGIC2_SIZE */
	uint64_t xfeatures;	/* the components the image may hold (XCR0) */
	uint32_t xstate_size;	/* the image's size; MAGIC2 right after it */
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == FXSAVE_SIZE - FXSAVE_SW_RESERVED,
	       "fpx_sw_bytes fills the software bytes");
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

void arch_syscall_restart_block(struct trap_frame *f)
{
	trap_set_return(f, ARCH_NR_restart_syscall);
	trap_set_ip(f, trap_ip(f) - SYSCALL_INSN_LEN);
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

/* The FP state's bytes in a frame: i386's header, the image, with XSAVE MAGIC2. */
static uint64_t fp_frame_size(void)
{
	if (fpu_xfeatures())
		return fpu_state_size() + MAGIC2_SIZE;
	return SIGFRAME_FP_HEADER + FXSAVE_SIZE;
}

/* The live XSAVE state into the frame at @buf, laid out as Linux's. */
static int save_xstate(uint64_t buf)
{
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = (uint32_t)(fpu_state_size() + MAGIC2_SIZE),
		.xfeatures = fpu_xfeatures(),
		.xstate_size = (uint32_t)fpu_state_size(),
	};
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	uint64_t bv;

	/* XSAVE writes only xstate_bv of the header; the rest must read zero. */
	if (clear_user(buf + FXSAVE_SIZE, XSAVE_HEADER_SIZE) ||
	    user_xsave((void *)(uintptr_t)buf, fpu_xfeatures()) ||
	    copy_from_user(&bv, buf + FXSAVE_SIZE, sizeof(bv)))
		return -EFAULT;
	bv |= XFEATURE_X87 | XFEATURE_SSE;	/* the legacy area is always filled in */
	if (copy_to_user(buf + FXSAVE_SIZE, &bv, sizeof(bv)) ||
	    copy_to_user(buf + FXSAVE_SW_RESERVED, &sw, sizeof(sw)) ||
	    copy_to_user(buf + sw.xstate_size, &magic2, sizeof(magic2)))
		return -EFAULT;
	return 0;
}

/* Without XSAVE: the FXSAVE image after i386's i387 header, its software bytes zero. */
static int save_fxstate(uint64_t fpstate)
{
	uint64_t fx = fpstate + SIGFRAME_FP_HEADER;

	if ((SIGFRAME_FP_HEADER && clear_user(fpstate, SIGFRAME_FP_HEADER)) ||
	    user_fxsave((void *)(uintptr_t)fx) ||
	    clear_user(fx + FXSAVE_SW_RESERVED, FXSAVE_SIZE - FXSAVE_SW_RESERVED))
		return -EFAULT;
	return 0;
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
	uint64_t fp_size = fp_frame_size();
	uint64_t fpstate = (sp - fp_size) & ~(uint64_t)(FPSTATE_ALIGN - 1);
	uint64_t fp = sigframe_align(fpstate - sizeof(frame));
	/* Running off the alternate stack is a fault, not a silent overwrite. */
	if ((nested_alt || entering_alt) && !on_sig_stack_raw(s, fp))
		return -EFAULT;
	if (!user_range_ok(fp, fpstate + fp_size - fp) ||
	    !user_access_ok(fp, fpstate + fp_size - fp, true))
		return -EFAULT;

	/* The live registers (PKRU too) are the interrupted code's: straight to the frame. */
	if (fpu_xfeatures() ? save_xstate(fpstate) : save_fxstate(fpstate))
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

/*
 * rt_sigreturn with XSAVE, as Linux's __fpu_restore_sig(): the software
 * bytes and MAGIC2 say whether the image is an XSAVE one and which
 * components to take from it; without them only the legacy area (x87,
 * SSE) is loaded. Components left out go to their init state (PKRU: 0,
 * as on Linux); a header XRSTOR refuses (xstate_bv bits outside XCR0,
 * reserved bytes) or a misaligned image is -EFAULT.
 */
static int restore_xstate(uint64_t buf)
{
	uint64_t size = fpu_state_size();
	uint64_t xrestore = XFEATURE_X87 | XFEATURE_SSE;
	struct fpx_sw_bytes sw;
	bool fx_only = true;
	uint32_t magic2;
	int r;

	if (!user_range_ok(buf, size + MAGIC2_SIZE) ||
	    copy_from_user(&sw, buf + FXSAVE_SW_RESERVED, sizeof(sw)))
		return -EFAULT;
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size >= FXSAVE_SIZE + XSAVE_HEADER_SIZE &&
	    sw.xstate_size <= size && sw.xstate_size <= sw.extended_size) {
		if (copy_from_user(&magic2, buf + sw.xstate_size, sizeof(magic2)))
			return -EFAULT;
		if (magic2 == FP_XSTATE_MAGIC2) {
			fx_only = false;
			xrestore = sw.xfeatures;
		}
	}
	if (fx_only)
		r = user_fxrstor((const void *)(uintptr_t)buf);
	else
		r = user_xrstor((const void *)(uintptr_t)buf, xrestore);
	if (r)
		return -EFAULT;
	fpu_load_initial_features(~xrestore);
	return 0;
}

/*
 * Without XSAVE: the FXSAVE image loaded straight from the frame; if that
 * faults (MXCSR bits the CPU lacks, a misaligned area) it goes through a
 * kernel copy with MXCSR cleaned, as Linux does for i386 frames.
 */
static int restore_fxstate(uint64_t ufp)
{
	struct { uint8_t area[FXSAVE_SIZE]; } __attribute__((aligned(64))) fs;
	uint32_t mxcsr;

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
	fpu_restore((const struct fpu_state *)&fs);	/* FXRSTOR, here */
	return 0;
}

/*
 * The FPU state (and PKRU) a handler returns with. No FP state in the
 * frame: the clean state and Linux's default PKRU.
 */
static int restore_fpu(uint64_t ufp)
{
	if (ufp)
		return fpu_xfeatures() ? restore_xstate(ufp) : restore_fxstate(ufp);
	fpu_load_initial();
	if (arch_pkeys() > 1)
		arch_pkru_write(ARCH_PKRU_INIT);
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
	if (!sigframe_regs_ok(sc) || restore_fpu(sc->fpstate))
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
