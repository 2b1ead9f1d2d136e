// SPDX-License-Identifier: MIT
/* Where every interrupt and exception lands after isr.S saved the state. */
#include "arch/x86_64/arch.h"
#include "arch/x86/lapic.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"
#include "kernel/errno.h"
#include "kernel/lib.h"

/* isr.S finds cs and rip at these offsets. */
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 136, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == 144, "trap_frame layout");

static irq_handler_fn irq_handlers[16];
bool (*page_fault_hook)(struct trap_frame *f, uint64_t addr);

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

/* Resume at the state @js saved, as if arch_setjmp() had returned @val. */
void trap_frame_longjmp(struct trap_frame *f, const struct jmp_state *js, int val)
{
	f->rbx = js->rbx;
	f->rbp = js->rbp;
	f->r12 = js->r12;
	f->r13 = js->r13;
	f->r14 = js->r14;
	f->r15 = js->r15;
	f->rsp = js->rsp;
	f->rip = js->rip;
	f->rax = val;
	f->rflags &= ~RFLAGS_AC;	/* leave no SMAP window open */
}

static bool catch_exception(struct trap_frame *f, uint64_t cr2)
{
	struct fault_catch *fc = this_cpu()->catcher;

	if (!fc || f->vector == VEC_NMI || (f->cs & 3))
		return false;
	this_cpu()->catcher = NULL;
	fc->caught = true;
	fc->vector = f->vector;
	fc->error = f->error;
	fc->addr = cr2;
	fc->rip = f->rip;
	trap_frame_longjmp(f, &fc->js, 1);
	return true;
}

/* Faulting instructions that have a recovery path (usercopy.S). */
struct extable_entry {
	uint64_t insn, fixup;
};
extern const struct extable_entry _ex_table_start[], _ex_table_end[];

static bool extable_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = _ex_table_start; e < _ex_table_end; e++)
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			return true;
		}
	return false;
}

/*
 * A trap from user mode may arrive on an IST stack; the rest of its
 * handling (which may switch tasks) must run on the task's kernel stack.
 */
struct trap_frame *trap_frame_to_kstack(struct trap_frame *f);
struct trap_frame *trap_frame_to_kstack(struct trap_frame *f)
{
	struct trap_frame *k = (struct trap_frame *)(this_cpu()->kstack_top) - 1;

	if (k != f)
		memmove(k, f, sizeof(*k));
	return k;
}

void (*user_exception_hook)(struct trap_frame *f, uint64_t cr2);

static void exception(struct trap_frame *f)
{
	uint64_t cr2 = f->vector == VEC_PF ? read_cr2() : 0;

	if ((f->cs & 3) && user_exception_hook) {
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
	/* Interrupts went off at entry if they were on before (an interrupt gate). */
	if (f->rflags & RFLAGS_IF)
		irqoff_begin(irqoff_here());
	if (f->vector < 32) {
		if (f->cs & 3)
			sti();		/* user faults may take time (copying pages) */
		exception(f);
	} else if (f->vector < VEC_IRQ0 + 16) {
		irq(f);
	} else if (f->vector >= VEC_LAPIC_TIMER && lapic_dispatch((unsigned)f->vector)) {
		/* a local APIC interrupt: timer or IPI */
	} else
		kprintf("trap: unexpected interrupt %lu\n", f->vector);
	if (f->rflags & RFLAGS_IF)
		irqoff_end();		/* iretq turns them back on */
}

void trap_frame_init_user(struct trap_frame *f, uintptr_t ip, uintptr_t sp)
{
	memset(f, 0, sizeof(*f));
	f->rip = ip;
	f->rsp = sp;
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	f->rflags = RFLAGS_IF | 0x2;
	f->vector = SYSCALL_VECTOR;
}

void trap_frame_print(const struct trap_frame *f)
{
	kprintf("rip=%016lx cs=%04lx rflags=%016lx rsp=%016lx ss=%04lx\n",
		f->rip, f->cs, f->rflags, f->rsp, f->ss);
	kprintf("rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("r13=%016lx r14=%016lx r15=%016lx\n", f->r13, f->r14, f->r15);
	kprintf("cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

/* Long mode has no virtual-8086 mode: a DOS box runs real-mode code only on i386. */
long arch_v86_enter(struct trap_frame *f, const struct dos_v86 *st, uint64_t ustate)
{
	(void)f, (void)st, (void)ustate;
	return -ENOSYS;
}

void arch_v86_interrupted(struct trap_frame *f)
{
	(void)f;
}
