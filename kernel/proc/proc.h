/* SPDX-License-Identifier: MIT */
/* User processes: creation from an executable, fork, exit, wait, kill. */
#ifndef KERNEL_PROC_PROC_H
#define KERNEL_PROC_PROC_H

#include "kernel/task.h"
#include "mm/as.h"

/* execve's argument limits, Linux's: strings and pointers within a quarter of the stack limit. */
#define ARG_MAX_BYTES	(128 * 1024)		/* ARG_MAX: the least it allows */
#define ARG_STACK_MAX	(6ull << 20)		/* _STK_LIM / 4 * 3: the most */
#define ARG_MAX_STRLEN	(128 * 1024)		/* MAX_ARG_STRLEN: one string, its NUL included */
#define ARG_SMALL_BYTES	(64 * 1024)		/* what fits without vmalloc() */

/* Signal numbers and the signal API: kernel/proc/signal.h (through task.h). */

/* The address space of @t, or NULL for a kernel thread. */
struct as *task_as(struct task *t);

/* Starts @path from the RAM disk as a new process; returns it or NULL (*err set). */
struct task *proc_spawn(const char *path, const char *const *argv, struct task *parent,
			long *err);
/* Replaces the current process's image; 0 or -errno (the old image stays). */
long proc_exec(const char *path, char *const *argv, char *const *envp);
_Noreturn void proc_exit(int status_word);
/* Waits for a child like wait4(); returns its pid, 0 (WNOHANG), or -errno. */
long proc_wait(int pid, int *status, int options);
/* What a wait found: the child's wait4 status word, pid and real uid. */
struct wait_result {
	int status, pid;
	uint32_t uid;
};
/* The wait behind wait4 and waitid (kernel/proc/exit.c): pid, 0 or -errno. */
long proc_wait_child(int pid, int options, struct wait_result *w);

/* Ends the calling thread only (exit(2)); the last thread ends the process. */
_Noreturn void thread_exit(int status_word);
/* Kills every thread of @t's process with @sig (SIGKILL or a fatal signal). */
void proc_kill(struct task *t, int sig);
void proc_faults_init(void);
bool proc_start_init(void);
void init_exited(int status_word);
void vfork_release(struct task *t);
extern struct task *init_task;

/* Address spaces from the "mm" cache, shared by CLONE_VM (proc.c). */
struct as *as_alloc(void);
void as_free(struct as *as);
struct as *mm_get(struct as *as);
/* A reference that is not a user task (a pin): the space is not marked shared. */
struct as *mm_pin(struct as *as);
void mm_put(struct as *as);

/* The process layer's kmem caches, at boot (proc.c); the thread-group cache (exit.c). */
void proc_caches_init(void);
struct kmem_cache *group_cache_init(void);

/* Thread groups, parents and children, task states at exit (exit.c; order in kernel/task.h). */
extern spinlock_t tasklist_lock;

/* Thread groups (exit.c). */
struct thread_group *group_alloc(struct task *leader);
struct thread_group *group_get(struct thread_group *g);
/* Drops a reference (the leader's, or a pin's); the last frees the group. NULL is fine. */
void group_put(struct thread_group *g);

/*
 * What a lookup by pid reads, kept alive (task_pin.c): the task (the
 * caller's reference), its address space and its thread group.
 */
struct task_pin {
	struct task *t;
	struct as *mm;
	struct thread_group *group;
};
bool task_pin(struct task *t, struct task_pin *p);
void task_unpin(struct task_pin *p);
/* Sets t->mm under its alloc_lock; returns the old one (the caller mm_put()s it). */
struct as *task_set_mm(struct task *t, struct as *mm);
/* Clears a failed clone's or spawn's own group under tasklist_lock and drops it. */
void group_detach(struct task *t);
struct files;
/* Sets @t's descriptor table under its alloc_lock; returns the old one (its reference). */
struct files *task_set_files(struct task *t, struct files *fs);
/* @t's descriptor table with a reference of the caller's, or NULL once it exited. */
struct files *task_files_get(struct task *t);
/* Makes @child a child process of @parent's process (NULL: none). */
void proc_set_parent(struct task *child, struct task *parent);
void proc_set_child_subreaper(bool on);
/* After exec by a thread of a threaded process: the others are gone. */
long proc_kill_other_threads(void);

struct trap_frame *frame_at_top(struct task *t);
void user_task_start(void *arg);
struct as_params proc_as_params(void);
long load_image(struct task *t, const char *path, char *const *argv, char *const *envp,
		bool from_user);
/* The shell's `run`: spawn, wait, report. Returns the wait status word. */
int proc_run_and_wait(const char *path, const char *const *argv);

#endif
