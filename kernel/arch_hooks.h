/* SPDX-License-Identifier: MIT */
/*
 * The kernel as arch code sees it: the only kernel functions that
 * arch/x86, arch/x86_64 and arch/i386 call, besides kernel/lib.h (printing,
 * panic, strings) and the memory core's own headers. Arch code includes
 * this header, never the kernel's internals (task.h, perf.h, signals, DOS),
 * so a task's or a process's layout can change without touching it.
 * docs/arch.md lists them with the hooks the other way (what the kernel
 * asks of the arch).
 */
#ifndef KERNEL_ARCH_HOOKS_H
#define KERNEL_ARCH_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

struct dos_regs;
struct pt_space;
struct trap_frame;
struct vm_space;
struct task;

/* --- the kernel's entries from boot, trap and return paths ------------------------- */
/* The kernel's C entry (boot.S): the loader's magic and its information's address. */
void kmain(uint32_t magic, uint32_t info_pa);
/* A system call from user mode: number and arguments in @f, the result into it. */
void syscall_dispatch(struct trap_frame *f);
/* Before every return to user mode (isr.S): rescheduling, signals, pending kills. */
void user_return_work(struct trap_frame *f);
/* Kernel-mode faults nobody handled end here (kernel/panic.c). */
_Noreturn void panic_trap(const struct trap_frame *f, uint64_t cr2);

/* --- what the kernel keeps for the arch --------------------------------------------- */

/* The address space of the process running on this CPU; NULL in a kernel thread. */
struct vm_space *current_user_space(void);

/* A kernel access to a user page faulted and took @cycles (KPERF builds count it). */
void kernel_fault_account(uint64_t cycles);
/* A timer tick interrupted @ip (@user: in user mode); KPERF builds sample it (kernel/perf_sample.c). */
void perf_sample(uintptr_t ip, bool user);
/* The serial interrupt stored console input (interrupts off): pollers look again. */
void console_input_arrived(void);

/* CPU @cpu's idle task, runnable, with its kernel stack; NULL without memory. */
struct task *sched_idle_task(unsigned cpu);
/* The top of @t's kernel stack (where a trap from user mode lands). */
uintptr_t task_kstack_top(const struct task *t);
/* Is @sp on the running task's kernel stack, with at least @room bytes below it? */
bool task_stack_has_room(uintptr_t sp, uintptr_t room);
/* A new task's first words (switch.S's task_trampoline): completes the switch. */
void sched_finish_switch(void);
/* An AP, on its idle task's stack, joins the scheduler; never returns. */
_Noreturn void sched_cpu_start(void);

/*
 * The running process's memory, for arch code that reads or writes it (the
 * virtual-8086 monitor): checked and fault-recovered as every system
 * call's copies are (kernel/uaccess.h). 0, or -EFAULT.
 */
int user_read(void *dst, uint64_t usrc, uint64_t len);
int user_write(uint64_t udst, const void *src, uint64_t len);

/*
 * The DOS box, for the virtual-8086 monitor (arch/i386/v86.c); the
 * registers are the user ABI's struct dos_regs (memcore/dos.h).
 */
/* Where the monitor keeps the running task's state (kfree()d with the box), or NULL: no box. */
void **dos_v86_slot(void);
/*
 * A software interrupt @vector, or the XMS call (MEMCORE_DOS_XMS), of the
 * running task's real-mode program, on its registers @r (kernel/dos/v86_call.c).
 */
long dos_v86_call(unsigned vector, struct dos_regs *r, uint32_t scratch);
/* Is real-mode @cs:@ip the box's XMS entry (where a far call reaches the XMS driver)? */
bool dos_v86_is_xms_entry(uint32_t cs, uint32_t ip);

/*
 * The address sanitizer (the KASAN build, kernel/kasan.c; nothing in other
 * builds): the image's shadow must exist before the first C frame (boot.S
 * calls kasan_early_init() before kmain()) and in the kernel's own tables
 * before they are loaded; a jump up a stack skips epilogues that would
 * clear the red zones of the frames it leaves.
 */
#ifdef KASAN
/* The image's shadow in boot.S's tables, with .bss cleared, before any C function. */
void kasan_early_init(void);
/* The image's shadow in the kernel's own tables @pt, before they are loaded (kernel_space_init). */
void kasan_map_image(struct pt_space *pt);
/* A FAULT_TRY resumes with stack pointer @sp: the frames below it are gone, and their red zones. */
void kasan_unpoison_stack_below(uintptr_t sp);
#else
static inline void kasan_map_image(struct pt_space *pt)
{
	(void)pt;
}

static inline void kasan_unpoison_stack_below(uintptr_t sp)
{
	(void)sp;
}
#endif

#endif
