/* SPDX-License-Identifier: MIT */
/*
 * Tasks: kernel threads and the threads of user processes. Each has a
 * kernel stack in the vmalloc area (so a guard page lies below it) and
 * comes from the "task" kmem_cache; a pid table finds it by thread id. A
 * user thread also has a saved user state (the trap frame at the top of its
 * kernel stack), its x87/SSE state, and shares with the other threads of
 * its process (its thread group) the address space and descriptor table.
 *
 * Lock order: tasklist_lock (kernel/proc/exit.c: thread groups, parents
 * and children, task states at exit), then task_lock (kernel/task.c: the
 * pid table and the task lists), then the scheduler's locks (kernel/sched.c:
 * a wait-channel bucket's or the sleep queue's, then a task's pi_lock, then
 * run queue locks), the innermost. The signal lock, the futex buckets and
 * poll_lock (kernel/fs/poll.c, taken under tasklist_lock at a process's
 * end) also nest outside the scheduler's; the address space's lock is taken
 * apart from these. Nothing sleeps holding a lock: sleep_on_unlock() drops it.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include "arch.h"
#include "percpu.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"
#include "kernel/list.h"
#include "kernel/proc/cred.h"
#include "kernel/proc/rlimit.h"
#include "kernel/proc/signal.h"
#include "mm/mempolicy.h"
#include "mm/spinlock.h"

#define KSTACK_SIZE	(16 * 1024)
#define TASK_NAME_MAX	32
#define PID_MAX		(1 << 22)	/* Linux's pid_max on 64-bit */
#define TASK_FD_BORROW_MAX	4	/* descriptors one system call looks up */

enum task_state {
	TASK_UNUSED,
	TASK_RUNNABLE,
	TASK_BLOCKED,
	TASK_ZOMBIE,
};

struct file;
struct files;
struct as;
struct dos_kbox;

/*
 * A process: the threads sharing one thread-group id. It lives as long as
 * its leader (the first thread), which is reaped only after every thread
 * has exited.
 */
struct thread_group {
	struct task *leader;
	struct list_node threads;	/* of task.thread_node, leader included */
	int live;			/* threads that have not exited */
	bool exiting;			/* exit_group or a fatal signal: all threads go */
	bool reaped;			/* collected (or freed unwaited): leader is stale */
	int exit_code;			/* the status word once exiting */
	struct cred cred;		/* user and group ids (kernel/proc/cred.c) */
	struct rlimits rlim;		/* getrlimit/setrlimit (kernel/proc/rlimit.c) */
	int oom_score_adj;		/* -1000..1000 (kernel/proc/oom.c), inherited by fork */
	bool child_subreaper;		/* PR_SET_CHILD_SUBREAPER: adopts orphaned descendants */
	bool has_child_subreaper;	/* an ancestor is (or was) one: look for it at exit */
	bool nondumpable;		/* PR_SET_DUMPABLE 0, or ids changed since execve (cred.c) */
	int refs;			/* the leader's, and task_pin()s' */
	MM_ATOMIC64 uint64_t cpu_ns;	/* CPU time of all its threads, atomic (proc/cputime.h) */
};
MM_ATOMIC64_OK(struct thread_group, cpu_ns);

struct task {
	int pid;			/* thread id */
	int refs;			/* the pid table's, and task_by_pid() callers' */
	int tgid;			/* = the leader's pid */
	enum task_state state;
	char name[TASK_NAME_MAX];
	struct task *parent;		/* a leader; NULL for kernel threads and orphans */
	struct thread_group *group;	/* NULL for kernel threads */

	uintptr_t saved_sp;		/* while switched out */
	void *kstack;			/* KSTACK_SIZE bytes, vmalloc'd */
	struct trap_frame *frame;	/* user state (user tasks) */
	struct fpu_state *fpu;		/* user FPU state while switched out (arch), NULL for task 0 */
	uint64_t fs_base;		/* thread pointer state: arch_tls_save() */
	uint32_t pkru;			/* protection-key rights while switched out: arch_pkru_read() */

	struct as *mm;			/* NULL for kernel threads; changed under alloc_lock */
	spinlock_t alloc_lock;		/* mm changes (task_set_mm()) vs task_pin() */
	struct files *files;		/* descriptor table, NULL for kernel threads */
	struct file *fd_borrowed[TASK_FD_BORROW_MAX];	/* fd_file() in this system call */
	unsigned nborrowed;

	/* Scheduler state (kernel/sched.c). */
	struct list_node run_node;	/* on the run queue */
	struct list_node wait_node;	/* in a wait-channel bucket */
	struct list_node sleep_node;	/* on the sorted sleep queue */
	const void *wchan;		/* what a blocked task waits for */
	uint64_t wake_at_ns;		/* for sleeps with a deadline; 0: none */
	spinlock_t pi_lock;		/* wakes and affinity changes of this task */
	bool on_rq;			/* running, or queued on run queue rq_cpu */
	bool on_cpu;			/* a CPU is on its stack (not on the run queue) */
	bool timed_out;			/* the deadline woke it */
	unsigned last_cpu;		/* where it ran last (runs now, if on_cpu) */
	unsigned rq_cpu;		/* whose run queue it is on (runs on), if on_rq */
	uint64_t affinity;		/* CPUs it may run on, a bit each */
	struct mm_mempolicy mempolicy;	/* set_mempolicy(); changed by the task itself only */
	uint64_t runnable_ns;		/* KPERF: when it last became runnable */
	uintptr_t sched_site;		/* KPERF: where it last called into the scheduler */

	/* Task lists (kernel/task.c). */
	struct task *pid_next;		/* pid table chain */
	struct list_node all_node;	/* every task */
	struct list_node children;	/* a leader's child processes (their leaders) */
	struct list_node sibling_node;	/* in the parent's children */
	struct list_node thread_node;	/* in group->threads */
	struct list_node dead_node;	/* waiting for its stack to be freed */

	bool killed;			/* exit at the next return to user mode */
	bool reclaiming;		/* in reclaim: its allocations do not reclaim (plat_reclaim_begin) */
	bool exit_thread_only;		/* ...this thread only (another thread execs) */
	int kill_signal;		/* the wait status it dies with */
	struct task_signals sig;	/* handlers, masks, pending (proc/signal.h) */
	int exit_code;			/* wait4 status word, once a zombie */
	uint64_t clear_child_tid;	/* set_tid_address, CLONE_CHILD_CLEARTID */
	uint64_t robust_list;		/* set_robust_list: the user's list head */
	struct task *vfork_parent;	/* waiting until this task execs or exits */
	bool vfork_done;		/* (in that parent) the vfork child let go */
	uint64_t cpu_ns;		/* CPU time (proc/cputime.h), written by its CPU only */
	uint64_t started_ns;
	unsigned long nvcsw, nivcsw;	/* switches away blocked / still runnable (its CPU writes) */
	struct dos_kbox *dos;		/* its DOS box (kernel/dos), or NULL */
	struct user_count *nproc_user;	/* counted for RLIMIT_NPROC there (proc/cred.c) */
};

/* Every task, in creation order (ps, reparenting). */
extern struct list_node all_tasks;

static inline struct task *current(void)
{
	return this_cpu_current();
}

static inline bool task_is_leader(const struct task *t)
{
	return t->pid == t->tgid;
}

/* --- tasks (kernel/task.c) ----------------------------------------------------- */

void task_cache_init(void);
/* A new task with a kernel stack and a pid, blocked until task_make_runnable(). */
struct task *task_alloc(const char *name);
void task_free(struct task *t);
/* Frees @t once no CPU runs on its stack any more. */
void task_free_later(struct task *t);
/* Frees the tasks handed to task_free_later() that are off every CPU. */
void reap_dead(void);
/* The task with thread id @pid, referenced (task_put() when done), or NULL. */
struct task *task_by_pid(int pid);
void task_put(struct task *t);
/* The leader of a process with the lowest pid above @after, referenced, or NULL. */
struct task *task_next_leader(int after);
void task_swap_pid(struct task *a, struct task *b);
/* Counts of live task objects and thread groups, for memstat. */
unsigned task_count(void);

/* --- scheduling (kernel/sched.c) ------------------------------------------------ */

/*
 * Waits until @t, which has ended (a zombie), has left its CPU: it only has
 * to finish its last switch, which takes no lock the caller may hold.
 */
static inline void task_wait_off_cpu(const struct task *t)
{
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		plat_cpu_relax();
}

void sched_init(void);
/* Creates a kernel thread running fn(arg); NULL if out of memory. */
struct task *kthread_create(const char *name, void (*fn)(void *arg), void *arg);
void task_make_runnable(struct task *t);

/* Give up the CPU: to the next runnable task, or idle until one exists. */
void schedule(void);
void yield(void);
/* Block on @chan (with interrupts off) until wakeup(@chan). */
void sleep_on(const void *chan);
void wakeup(const void *chan);
/* Same, for a caller holding @lock (spin_lock_irqsave): queued first, then @lock released. */
void sleep_on_unlock(const void *chan, spinlock_t *lock);
/* The same, ended also by a signal or @deadline_ns (0: none); true if the deadline did. */
bool sleep_on_unlock_until(const void *chan, spinlock_t *lock, uint64_t deadline_ns);
/* Sleep until time_ns() reaches @deadline_ns (or the task is killed). */
void sleep_until(uint64_t deadline_ns);
/*
 * Block the current task (interrupts off, state already TASK_BLOCKED) until
 * task_wake() or @deadline_ns (0: none). Returns true if the deadline woke it.
 */
bool task_block(uint64_t deadline_ns);
/* Make a blocked @t runnable (interrupts off or not). */
void task_wake(struct task *t);
/* A signal arrived: end @t's sleep unless it sleeps uninterruptibly (a vfork parent). */
void task_wake_interruptible(struct task *t);
bool sched_others_runnable(void);
void task_prepare_switch(struct task *t, uintptr_t frame_top, void (*fn)(void *), void *arg);
/* Switches page tables for @next (process.c): its space, or the kernel's. */
void arch_switch_address_space(struct task *next);
/* Bit mask of the CPUs that run tasks. */
uint64_t sched_online_mask(void);
/* @cpu's queued tasks (*@queued) and the tasks its periodic balance took. */
uint64_t sched_cpu_queue(unsigned cpu, unsigned *queued);
/* The periodic balances @cpu has done so far. */
unsigned sched_cpu_balances(unsigned cpu);

/* Timer tick: ask for a reschedule at the next return to user mode. */
void sched_tick(void);
/* Restrict @t to the CPUs of @mask (a subset of sched_online_mask()). */
void sched_set_affinity(struct task *t, uint64_t mask);

/* Has this CPU's tick (or a reschedule IPI) asked for a switch? */
static inline bool need_resched(void)
{
	return this_cpu()->need_resched;
}

#endif
