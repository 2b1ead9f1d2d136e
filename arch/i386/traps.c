// SPDX-License-Identifier: MIT
/* Where every interrupt and exception lands after isr.S saved the state. */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/lapic.h"
#include "kernel/lib.h"

/* isr.S finds eip and cs at these offsets. */
_Static_assert(__builtin_offsetof(struct trap_frame, eip) == 56, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == 60, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, eflags) == 64, "trap_frame layout");
_Static_assert(sizeof(struct trap_frame) - __builtin_offsetof(struct trap_frame, v86_es) ==
	       V86_FRAME_EXTRA, "trap_frame layout");

static irq_handler_fn irq_handlers[16];
bool (*page_fault_hook)(struct trap_frame *f, uint64_t addr);
void (*user_exception_hook)(struct trap_frame *f, uint64_t cr2);

void syscall_dispatch(struct trap_frame *f);

void irq_register(unsigned irq, irq_handler_fn fn)
{
	irq_handlers[irq] = fn;
}

void fault_catch_arm(struct fault_catch *fc)
{
	fc->caught = false;
	fc->vector = 0;
	fc->error = fc->addr = fc->rip = 0;
	this_cpu()->catcher = fc;
}

void fault_catch_disarm(void)
{
	this_cpu()->catcher = NULL;
}

extern char longjmp_regs[];

/*
 * Resume at the state @js saved, as if arch_setjmp() had returned @val. An
 * iret to ring 0 cannot load a stack pointer, so the frame resumes in
 * longjmp_regs (setjmp.S), which does the jump with js in edx, val in eax.
 */
void trap_frame_longjmp(struct trap_frame *f, const struct jmp_state *js, int val)
{
	f->eip = (uintptr_t)longjmp_regs;
	f->edx = (uintptr_t)js;
	f->eax = (uint32_t)val;
	f->eflags &= ~RFLAGS_AC;	/* leave no SMAP window open */
}

static bool catch_exception(struct trap_frame *f, uint64_t cr2)
{
	struct fault_catch *fc = this_cpu()->catcher;

	if (!fc || f->vector == VEC_NMI || trap_from_user(f))
		return false;
	this_cpu()->catcher = NULL;
	fc->caught = true;
	fc->vector = f->vector;
	fc->error = f->error;
	fc->addr = cr2;
	fc->rip = f->eip;
	trap_frame_longjmp(f, &fc->js, 1);
	return true;
}

/* Faulting instructions that have a recovery path (usercopy.S). */
struct extable_entry {
	uintptr_t insn, fixup;
};
extern const struct extable_entry _ex_table_start[], _ex_table_end[];

static bool extable_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = _ex_table_start; e < _ex_table_end; e++)
		if (e->insn == f->eip) {
			f->eip = e->fixup;
			return true;
		}
	return false;
}

static void exception(struct trap_frame *f)
{
	uint64_t cr2 = f->vector == VEC_PF ? read_cr2() : 0;

	if (trap_in_v86(f) && v86_trap(f))
		return;		/* the DOS box's monitor (v86.c) */
	if (trap_from_user(f) && user_exception_hook) {
		user_exception_hook(f, cr2);
		return;
	}
	if (catch_exception(f, cr2))
		return;
	if (f->vector == VEC_PF && page_fault_hook && page_fault_hook(f, cr2))
		return;
	if (extable_fixup(f))
		return;
	panic_trap(f, cr2);
}

static void irq(struct trap_frame *f)
{
	unsigned n = f->vector - VEC_IRQ0;

	if (irq_handlers[n])
		irq_handlers[n](n);
	pic_eoi(n);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32) {
		if (trap_from_user(f))
			sti();		/* user faults may take time (copying pages) */
		exception(f);
	} else if (f->vector < VEC_IRQ0 + 16) {
		irq(f);
	} else if (f->vector == SYSCALL_VECTOR && trap_from_user(f)) {
		sti();
		syscall_dispatch(f);
	} else if (f->vector >= VEC_LAPIC_TIMER && lapic_dispatch(f->vector)) {
		/* a local APIC interrupt: timer or IPI */
	} else
		kprintf("trap: unexpected interrupt %u\n", f->vector);
}

void trap_frame_init_user(struct trap_frame *f, uintptr_t ip, uintptr_t sp)
{
	memset(f, 0, sizeof(*f));
	f->eip = ip;
	f->esp = sp;
	f->cs = SEL_UCODE;
	f->ss = f->ds = f->es = f->fs = SEL_UDATA;
	f->eflags = RFLAGS_IF | 0x2;
	f->vector = SYSCALL_VECTOR;
}

void trap_frame_print(const struct trap_frame *f)
{
	kprintf("eip=%08x cs=%04x eflags=%08x esp=%08" PRIxPTR " ss=%04x\n",
		f->eip, f->cs, f->eflags, trap_sp(f), trap_from_user(f) ? f->ss : SEL_KDATA);
	kprintf("eax=%08x ebx=%08x ecx=%08x edx=%08x\n", f->eax, f->ebx, f->ecx, f->edx);
	kprintf("esi=%08x edi=%08x ebp=%08x ds=%04x es=%04x fs=%04x gs=%04x\n",
		f->esi, f->edi, f->ebp, f->ds, f->es, f->fs, f->gs);
	kprintf("cr0=%08lx cr2=%08lx cr3=%08lx cr4=%08lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
}
