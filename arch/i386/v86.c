// SPDX-License-Identifier: MIT
/*
 * The virtual-8086 monitor of the DOS box: dos_run (kernel/dos/sys_dos.c)
 * turns the caller's trap frame into a real-mode one (EFLAGS.VM, IOPL 0),
 * keeping the protected-mode frame; the program then runs at full speed
 * until it executes something IOPL 0 forbids. INT n, CLI/STI, PUSHF/POPF
 * and HLT raise #GP, the UD2 at the XMS entry (F000:0010) raises #UD, and
 * v86_trap() emulates them (and far calls and returns, where an emulator
 * faults on them: far_transfer()): the interrupts DOS answers and the XMS call go
 * to kernel/dos (dos_v86_call()), interrupts are a virtual flag. Whatever
 * else stops the program (another instruction, an exception) or a signal
 * brings back the saved frame: dos_run returns to its caller, with the
 * program's state written back to its struct dos_v86.
 */
#include "arch.h"
#include "percpu.h"
#include "kernel/arch_hooks.h"
#include "kernel/errno.h"
#include "mm/heap.h"
#include "user/include/memcore/dos.h"
#include "user/include/memcore/syscall.h"

#define ARITH_FLAGS	0x0cd5u		/* CF PF AF ZF SF DF OF: what a program may set */
#define EFLAGS_IF	0x0200u

struct v86_save {
	struct trap_frame pm;		/* the protected-mode frame of the dos_run call */
	uint64_t ustate;		/* its struct dos_v86 */
	bool vif;			/* the program's interrupt flag (CLI/STI) */
};

static struct v86_save *save_of(void)
{
	void **slot = dos_v86_slot();

	return slot ? *slot : NULL;
}

static uint32_t linear(uint32_t seg, uint32_t off)
{
	return ((seg & 0xffff) << 4) + (off & 0xffff);
}

static void regs_of(const struct trap_frame *f, struct dos_regs *r)
{
	*r = (struct dos_regs){ f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi, f->ebp,
				(uint16_t)f->v86_ds, (uint16_t)f->v86_es, f->eflags & ARITH_FLAGS };
}

static void regs_to(struct trap_frame *f, const struct dos_regs *r)
{
	f->eax = r->eax, f->ebx = r->ebx, f->ecx = r->ecx, f->edx = r->edx;
	f->esi = r->esi, f->edi = r->edi, f->ebp = r->ebp;
	f->v86_ds = r->ds, f->v86_es = r->es;
	f->eflags = (f->eflags & ~ARITH_FLAGS) | (r->eflags & ARITH_FLAGS);
}

/* Back to the dos_run caller with @code; the program's state to its struct if @report. */
static void leave(struct trap_frame *f, long code, uint32_t fault, bool report)
{
	struct v86_save *s = save_of();
	struct dos_v86 st = { .cs = (uint16_t)f->cs, .ip = (uint16_t)f->eip,
			      .ss = (uint16_t)f->ss, .sp = (uint16_t)f->esp, .fault = fault };

	regs_of(f, &st.r);
	if (report) {
		(void)user_read(st.code, linear(f->cs, f->eip), sizeof(st.code));
		(void)user_write(s->ustate, &st, sizeof(st));
	}
	*f = s->pm;
	f->eax = (uint32_t)code;
	cpu_set_kernel_stack(this_cpu()->kstack_top);
}

/**
 * arch_v86_enter() - run the box's memory as a real-mode machine (dos_run)
 * @f: the system call's trap frame: becomes the program's
 * @st: registers, cs:ip and ss:sp to start with
 * @ustate: the caller's struct dos_v86 (written back when it stops)
 *
 * Return: the program's eax (the dispatcher stores it in the frame), or
 * -EINVAL (not a box), -ENOMEM.
 */
long arch_v86_enter(struct trap_frame *f, const struct dos_v86 *st, uint64_t ustate)
{
	void **slot = dos_v86_slot();
	struct v86_save *s;

	if (!slot)
		return -EINVAL;
	if (!*slot)
		*slot = kmalloc(sizeof(struct v86_save));
	s = *slot;
	if (!s)
		return -ENOMEM;
	s->pm = *f;
	s->ustate = ustate;
	s->vif = true;
	regs_to(f, &st->r);
	f->eip = st->ip, f->cs = st->cs;
	f->esp = st->sp, f->ss = st->ss;
	f->v86_fs = f->v86_gs = 0;
	f->eflags = EFLAGS_VM | EFLAGS_IF | 0x2 | (st->r.eflags & ARITH_FLAGS);
	cpu_set_kernel_stack(this_cpu()->kstack_top);	/* the CPU now pushes the v86 segments */
	return (long)st->r.eax;
}

/* A signal is due: the dos_run caller sees -EINTR (interrupts are off: no reporting). */
void arch_v86_interrupted(struct trap_frame *f)
{
	leave(f, -EINTR, 0, false);
}

static int push16(struct trap_frame *f, uint16_t v)
{
	uint16_t sp = (uint16_t)(f->esp - 2);

	if (user_write(linear(f->ss, sp), &v, 2))
		return -1;
	f->esp = (f->esp & ~0xffffu) | sp;
	return 0;
}

static int pop16(struct trap_frame *f, uint16_t *v)
{
	if (user_read(v, linear(f->ss, f->esp), 2))
		return -1;
	f->esp = (f->esp & ~0xffffu) | (uint16_t)(f->esp + 2);
	return 0;
}

/* A software interrupt or the XMS call; the instruction is @len bytes. */
static void call(struct trap_frame *f, unsigned vector, unsigned len)
{
	struct dos_regs r;
	long ret;

	regs_of(f, &r);
	ret = dos_v86_call(vector, &r, linear(f->ss, f->esp - 2));
	if (ret < 0) {
		leave(f, -ENOSYS, 0, true);	/* at the INT: a vector the box does not answer */
		return;
	}
	regs_to(f, &r);
	f->eip = (f->eip + len) & 0xffff;
	if (ret & DOS_RUN_EXIT)
		leave(f, ret, 0, true);
}

/* A far return: IP, then CS, from the stack, @extra more bytes dropped. */
static int far_return(struct trap_frame *f, uint16_t extra)
{
	uint16_t ip, cs;

	if (pop16(f, &ip) || pop16(f, &cs))
		return -1;
	f->esp = (f->esp & ~0xffffu) | (uint16_t)(f->esp + extra);
	f->eip = ip, f->cs = cs;
	return 0;
}

/*
 * The XMS entry's UD2: the call, then the RETF after it, done here (which
 * also spares the program the emulators' far-transfer fault below).
 */
static void xms_call(struct trap_frame *f)
{
	struct dos_regs r;

	regs_of(f, &r);
	dos_v86_call(MEMCORE_DOS_XMS, &r, 0);
	regs_to(f, &r);
	if (far_return(f, 0))
		leave(f, -EFAULT, VEC_SS, true);
}

/* The offset of a 16-bit ModRM memory operand; its default segment in *seg. */
static bool modrm16(const struct trap_frame *f, const uint8_t *p, unsigned *len, uint16_t *off,
		    uint32_t *seg)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7;
	static const uint8_t uses_bp[8] = { 0, 0, 1, 1, 0, 0, 1, 0 };
	uint16_t base[8] = { (uint16_t)(f->ebx + f->esi), (uint16_t)(f->ebx + f->edi),
			     (uint16_t)(f->ebp + f->esi), (uint16_t)(f->ebp + f->edi),
			     (uint16_t)f->esi, (uint16_t)f->edi, (uint16_t)f->ebp, (uint16_t)f->ebx };

	if (mod == 3)
		return false;
	*seg = uses_bp[rm] && !(mod == 0 && rm == 6) ? f->ss : f->v86_ds;
	if (mod == 0 && rm == 6) {
		*off = (uint16_t)(p[1] | p[2] << 8);
		*len = 3;
	} else if (mod == 0) {
		*off = base[rm];
		*len = 1;
	} else if (mod == 1) {
		*off = (uint16_t)(base[rm] + (int8_t)p[1]);
		*len = 2;
	} else {
		*off = (uint16_t)(base[rm] + (p[1] | p[2] << 8));
		*len = 3;
	}
	return true;
}

/*
 * A page fault in virtual-8086 mode flagged as a supervisor access: no CPU
 * makes one (v86 code runs at CPL 3), but emulators push and pop the frames
 * of far calls and returns with supervisor accesses, which SMAP refuses. The
 * instruction is done here instead: CALL ptr16:16, CALL m16:16, RETF [n].
 * Return: true if it was one of those (done, or the program stopped).
 */
static bool far_transfer(struct trap_frame *f)
{
	uint8_t p[8] = { 0 };
	uint32_t seg = 0, override = 0;
	bool overridden = false;
	unsigned i = 0, len;
	uint16_t off, target[2];

	if (user_read(p, linear(f->cs, f->eip), sizeof(p)))
		return false;
	for (; i < 4; i++) {
		if (p[i] != 0x26 && p[i] != 0x2e && p[i] != 0x36 && p[i] != 0x3e)
			break;
		overridden = true;
		override = p[i] == 0x26 ? f->v86_es : p[i] == 0x2e ? f->cs :
			   p[i] == 0x36 ? f->ss : f->v86_ds;
	}
	if (p[i] == 0xcb || p[i] == 0xca) {		/* RETF, RETF n */
		if (far_return(f, p[i] == 0xca ? (uint16_t)(p[i + 1] | p[i + 2] << 8) : 0))
			leave(f, -EFAULT, VEC_SS, true);
		return true;
	}
	if (p[i] == 0x9a) {				/* CALL ptr16:16 */
		target[0] = (uint16_t)(p[i + 1] | p[i + 2] << 8);
		target[1] = (uint16_t)(p[i + 3] | p[i + 4] << 8);
		len = i + 5;
	} else if (p[i] == 0xff && ((p[i + 1] >> 3) & 7) == 3 &&
		   modrm16(f, &p[i + 1], &len, &off, &seg)) {	/* CALL m16:16 */
		if (user_read(target, linear(overridden ? override : seg, off), 4))
			return false;
		len += i + 1;
	} else {
		return false;
	}
	if (push16(f, (uint16_t)f->cs) || push16(f, (uint16_t)(f->eip + len))) {
		leave(f, -EFAULT, VEC_SS, true);
		return true;
	}
	f->eip = target[0], f->cs = target[1];
	return true;
}

/* #GP: an instruction IOPL 0 keeps from the program. */
static void sensitive(struct trap_frame *f, const uint8_t *op)
{
	struct v86_save *s = save_of();
	uint16_t fl;

	switch (op[0]) {
	case 0xcd:			/* INT n */
		call(f, op[1], 2);
		return;
	case 0xfa:			/* CLI */
	case 0xfb:			/* STI */
		s->vif = op[0] == 0xfb;
		break;
	case 0x9c:			/* PUSHF */
		if (push16(f, (uint16_t)((f->eflags & ARITH_FLAGS) | (s->vif ? EFLAGS_IF : 0) | 0x2))) {
			leave(f, -EFAULT, VEC_SS, true);
			return;
		}
		break;
	case 0x9d:			/* POPF */
		if (pop16(f, &fl)) {
			leave(f, -EFAULT, VEC_SS, true);
			return;
		}
		f->eflags = (f->eflags & ~ARITH_FLAGS) | (fl & ARITH_FLAGS);
		s->vif = fl & EFLAGS_IF;
		break;
	default:			/* HLT, IRET, I/O, prefixes: not provided */
		leave(f, -ENOSYS, 0, true);
		return;
	}
	f->eip = (f->eip + 1) & 0xffff;
}

/**
 * v86_trap() - an exception in virtual-8086 mode
 * @f: its frame (EFLAGS.VM)
 *
 * Return: true if handled here (emulated, or back to the dos_run caller);
 * false for a page fault, which the ordinary fault path resolves.
 */
bool v86_trap(struct trap_frame *f)
{
	uint8_t op[2] = { 0, 0 };

	if (f->vector == VEC_PF)
		return !(f->error & PF_U) && far_transfer(f);
	if (!save_of()) {		/* cannot happen: only dos_run enters */
		f->eflags &= ~EFLAGS_VM;
		return false;
	}
	if ((f->vector == VEC_GP || f->vector == VEC_UD) &&
	    user_read(op, linear(f->cs, f->eip), sizeof(op))) {
		leave(f, -EFAULT, f->vector, true);
		return true;
	}
	if (f->vector == VEC_GP)
		sensitive(f, op);
	else if (f->vector == VEC_UD && dos_v86_is_xms_entry(f->cs, f->eip))
		xms_call(f);
	else
		leave(f, -EFAULT, f->vector, true);
	return true;
}
