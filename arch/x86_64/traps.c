// SPDX-License-Identifier: MIT
/* x86_64's trap frame (arch/x86/traps.c dispatches): its layout, new and resumed states, dump. */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/arch_hooks.h"
#include "kernel/errno.h"
#include "kernel/lib.h"

/* isr.S finds cs and rip at these offsets. */
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 136, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == 144, "trap_frame layout");
/* A frame moved by trap_frame_for_kernel() keeps the stack 16-byte aligned. */
_Static_assert(sizeof(struct trap_frame) % 16 == 0, "trap_frame layout");

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
	kasan_unpoison_stack_below(js->rsp);	/* the frames skipped keep no red zones */
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

/*
 * A kernel-mode page fault on a user address, where interrupts were on, is
 * resolved with them on (it may wait for a disk: arch/x86/kernel_space.c).
 * The CPU delivered it on this CPU's IST stack, which this CPU's next page
 * fault reuses, so its frame moves onto the interrupted task's own stack,
 * just below where that stopped, if that leaves the fault as much room as
 * the IST stack gives it. Any other kernel-mode trap stays where it came.
 */
struct trap_frame *trap_frame_for_kernel(struct trap_frame *f);
struct trap_frame *trap_frame_for_kernel(struct trap_frame *f)
{
	struct trap_frame *k = (struct trap_frame *)(f->rsp & ~(uint64_t)15) - 1;

	if (f->vector != VEC_PF || !(f->rflags & RFLAGS_IF) || read_cr2() >= USER_SPACE_END ||
	    !task_stack_has_room((uintptr_t)k, IST_STACK_SIZE))
		return f;
	memmove(k, f, sizeof(*k));
	return k;
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

bool v86_trap(struct trap_frame *f)
{
	(void)f;
	return false;
}
