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

#include <stdint.h>

struct vm_space;
struct task;

/* The address space of the process running on this CPU; NULL in a kernel thread. */
struct vm_space *current_user_space(void);

/* A kernel access to a user page faulted and took @cycles (KPERF builds count it). */
void kernel_fault_account(uint64_t cycles);

/* CPU @cpu's idle task, runnable, with its kernel stack; NULL without memory. */
struct task *sched_idle_task(unsigned cpu);
/* The top of @t's kernel stack (where a trap from user mode lands). */
uintptr_t task_kstack_top(const struct task *t);
/* A new task's first words (switch.S's task_trampoline): completes the switch. */
void sched_finish_switch(void);
/* An AP, on its idle task's stack, joins the scheduler; never returns. */
_Noreturn void sched_cpu_start(void);

#endif
