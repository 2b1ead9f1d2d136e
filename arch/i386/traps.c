// SPDX-License-Identifier: MIT
/* i386's trap frame (arch/x86/traps.c dispatches): its layout, new and resumed states, dump. */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"

/* isr.S finds eip and cs at these offsets. */
_Static_assert(__builtin_offsetof(struct trap_frame, eip) == 56, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == 60, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, eflags) == 64, "trap_frame layout");
_Static_assert(sizeof(struct trap_frame) - __builtin_offsetof(struct trap_frame, v86_es) ==
	       V86_FRAME_EXTRA, "trap_frame layout");

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
	kasan_unpoison_stack_below(js->esp);	/* the frames skipped keep no red zones */
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
