// SPDX-License-Identifier: MIT
/*
 * Where every interrupt and exception lands after isr.S saved the state,
 * on both kernels: exceptions go to the DOS box's monitor (i386's
 * virtual-8086 mode), the process layer (from user mode), a fault catcher,
 * the VMM's page-fault hook, the user-copy fixups, or panic; interrupts to
 * the PIC's handlers, the local APIC's, or the system call (i386's
 * int $0x80; x86_64's SYSCALL enters elsewhere). The frame's layout and
 * registers are each arch's traps.c.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/kasan_arch.h"
#include "arch/x86/lapic.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"

static irq_handler_fn irq_handlers[16];
bool (*page_fault_hook)(struct trap_frame *f, uint64_t addr);
void (*user_exception_hook)(struct trap_frame *f, uint64_t cr2);

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

static bool catch_exception(struct trap_frame *f, uint64_t cr2)
{
	struct fault_catch *fc = this_cpu()->catcher;

	if (!fc || f->vector == VEC_NMI || trap_from_user(f))
		return false;
	this_cpu()->catcher = NULL;
	fc->caught = true;
	fc->vector = (unsigned)f->vector;
	fc->error = f->error;
	fc->addr = cr2;
	fc->rip = trap_ip(f);
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
		if (e->insn == trap_ip(f)) {
			trap_set_ip(f, e->fixup);
			return true;
		}
	return false;
}

static void exception(struct trap_frame *f)
{
	uint64_t cr2 = f->vector == VEC_PF ? read_cr2() : 0;

#ifdef KASAN
	/* A check read the shadow of an unmapped vmalloc page: "open"; the access faults next. */
	if (f->vector == VEC_PF && trap_ip(f) == (uintptr_t)kasan_probe_insn) {
		trap_set_ip(f, (uintptr_t)kasan_probe_fixup);
		return;
	}
#endif
	if (trap_in_v86(f) && v86_trap(f))
		return;		/* the DOS box's monitor (arch/i386/v86.c) */
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
	unsigned n = (unsigned)f->vector - VEC_IRQ0;

	if (irq_handlers[n])
		irq_handlers[n](n);
	pic_eoi(n);
}

void trap_dispatch(struct trap_frame *f)
{
	/* Interrupts went off at entry if they were on before (an interrupt gate). */
	if (trap_flags(f) & RFLAGS_IF)
		irqoff_begin(irqoff_here());
	if (f->vector < 32) {
		if (trap_from_user(f))
			sti();		/* user faults may take time (copying pages) */
		exception(f);
	} else if (f->vector < VEC_IRQ0 + 16) {
#ifdef KPERF
		if (f->vector == VEC_IRQ0)	/* the PIT: CPU 0's tick */
			perf_sample(trap_ip(f), trap_from_user(f));
#endif
		irq(f);
	} else if (f->vector == SYSCALL_VECTOR && trap_from_user(f)) {
		sti();
		syscall_dispatch(f);
	} else if (f->vector >= VEC_LAPIC_TIMER && lapic_dispatch((unsigned)f->vector)) {
#ifdef KPERF
		if (f->vector == VEC_LAPIC_TIMER)	/* the other CPUs' ticks */
			perf_sample(trap_ip(f), trap_from_user(f));
#endif
		/* a local APIC interrupt: timer or IPI */
	} else
		kprintf("trap: unexpected interrupt %u\n", (unsigned)f->vector);
	if (trap_flags(f) & RFLAGS_IF)
		irqoff_end();		/* iret turns them back on */
}
