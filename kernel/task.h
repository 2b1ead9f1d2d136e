/* SPDX-License-Identifier: MIT */
/*
 * Tasks: kernel threads and user processes. Each has a kernel stack in the
 * vmalloc area (so a guard page lies below it); a user process also has an
 * address space, a saved user state (the trap frame at the top of its
 * kernel stack), its x87/SSE state and file descriptors.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include "arch/x86_64/arch.h"
#include "arch/x86_64/percpu.h"
#include "kernel/lib.h"
#include "kernel/proc/signal.h"

#define TASK_MAX	512
#define KSTACK_SIZE	(16 * 1024)
#define TASK_NAME_MAX	32
#define FD_MAX		64

enum task_state {
	TASK_UNUSED,
	TASK_RUNNABLE,
	TASK_BLOCKED,
	TASK_ZOMBIE,
};

struct file;
struct as;
struct dos_kbox;

struct task {
	int pid;
	enum task_state state;
	char name[TASK_NAME_MAX];
	struct task *parent;

	uint64_t saved_rsp;		/* while switched out */
	void *kstack;			/* KSTACK_SIZE bytes, vmalloc'd */
	struct trap_frame *frame;	/* user state (user tasks) */
	struct fpu_state fpu;
	uint64_t fs_base;

	struct as *mm;			/* NULL for kernel threads */
	struct file *fd[FD_MAX];
	bool fd_cloexec[FD_MAX];	/* closed by execve */

	const void *wchan;		/* what a blocked task waits for */
	uint64_t wake_at_ns;		/* for sleeps with a deadline; 0: none */
	bool killed;			/* exit at the next return to user mode */
	int kill_signal;		/* the wait status it dies with */
	struct task_signals sig;	/* handlers, masks, pending (proc/signal.h) */
	int exit_code;			/* wait4 status word, once a zombie */
	uint64_t clear_child_tid;	/* set_tid_address */
	uint64_t cpu_ns, started_ns;
	struct dos_kbox *dos;		/* its DOS box (kernel/dos), or NULL */
};

extern struct task tasks[TASK_MAX];

static inline struct task *current(void)
{
	return this_cpu_current();
}

void sched_init(void);
/* Creates a kernel thread running fn(arg); NULL if out of memory or slots. */
struct task *kthread_create(const char *name, void (*fn)(void *arg), void *arg);
/* A new task slot with a kernel stack, not yet runnable. */
struct task *task_alloc(const char *name);
void task_free(struct task *t);
void task_make_runnable(struct task *t);
struct task *task_by_pid(int pid);

/* Give up the CPU: to the next runnable task, or idle until one exists. */
void schedule(void);
void yield(void);
/* Block on @chan (with interrupts off) until wakeup(@chan). */
void sleep_on(const void *chan);
void wakeup(const void *chan);
/* A signal arrived: end @t's sleep unless it sleeps uninterruptibly. */
void task_wake_interruptible(struct task *t);
/* Sleep until time_ns() reaches @deadline_ns. */
void sleep_until(uint64_t deadline_ns);
bool sched_others_runnable(void);
void task_prepare_switch(struct task *t, uint64_t frame_top, void (*fn)(void *), void *arg);
/* Switches page tables for @next (process.c): its space, or the kernel's. */
void arch_switch_address_space(struct task *next);
struct vm_space *current_user_space(void);

/* Timer tick: ask for a reschedule at the next return to user mode. */
void sched_tick(void);
extern volatile bool need_resched;

#endif
