// SPDX-License-Identifier: MIT
/*
 * The life of a user process: spawned from the RAM disk or forked, it runs
 * until it exits or is killed; its parent collects the status with wait4.
 * Every frame and page-table page it had goes back when it exits. This file:
 * address-space objects, spawning, process 1, the return to user mode;
 * clone.c makes processes and threads, exit.c ends them.
 */
#include "kernel/fs/fdtable.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/perf.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#include "mm/heap.h"

/* An address space and the number of tasks using it (CLONE_VM shares it). */
struct proc_mm {
	struct as as;
	int users;
};

static struct kmem_cache *mm_cache;
struct task *init_task;

/**
 * proc_caches_init() - the kmem caches of the process layer, made at boot
 *
 * Tasks come from the "task" cache (sched_init); these hold what tasks
 * share: address spaces, thread groups, descriptor tables, open files,
 * signal handler tables.
 */
void proc_caches_init(void)
{
	mm_cache = kmem_cache_create("mm", sizeof(struct proc_mm), 64, 0, NULL);
	if (!mm_cache || !group_cache_init() || !files_cache_init() || !file_cache_init() ||
	    !file_lock_cache_init() ||
	    !sighand_cache_init())
		panic("proc: no memory for the process caches at boot");
}

/**
 * as_alloc() - a new, uninitialised address space with one user
 *
 * Return: the space (as_init() it), or NULL if out of memory.
 */
struct as *as_alloc(void)
{
	struct proc_mm *pm = kmem_cache_alloc(mm_cache);

	if (!pm)
		return NULL;
	memset(pm, 0, sizeof(*pm));
	pm->users = 1;
	return &pm->as;
}

/* Frees a space from as_alloc() that holds nothing (never initialised, or destroyed). */
void as_free(struct as *as)
{
	kmem_cache_free(mm_cache, container_of(as, struct proc_mm, as));
}

struct as *mm_pin(struct as *as)
{
	__atomic_add_fetch(&container_of(as, struct proc_mm, as)->users, 1, __ATOMIC_RELAXED);
	return as;
}

struct as *mm_get(struct as *as)
{
	__atomic_add_fetch(&container_of(as, struct proc_mm, as)->users, 1, __ATOMIC_RELAXED);
	as_set_shared(as);
	return as;
}

/**
 * mm_put() - drop a user of @as; the last one destroys and frees it
 * @as: a space no CPU has loaded once this is its last user
 */
void mm_put(struct as *as)
{
	struct proc_mm *pm = container_of(as, struct proc_mm, as);

	if (__atomic_sub_fetch(&pm->users, 1, __ATOMIC_ACQ_REL))
		return;
	as_destroy(as);
	as_free(as);
}

struct as *task_as(struct task *t)
{
	return t->mm;
}

/* The user half of the space the current task runs in, for kernel faults on it. */
struct vm_space *current_user_space(void)
{
	struct task *t = current();

	return t && t->mm ? &t->mm->vs : NULL;
}

bool user_access_ok(uint64_t uaddr, uint64_t len, bool write)
{
	struct task *t = current();

	return !t->mm || as_access_ok(t->mm, uaddr, len, write);
}

int user_read(void *dst, uint64_t usrc, uint64_t len)
{
	return copy_from_user(dst, usrc, len);
}

int user_write(uint64_t udst, const void *src, uint64_t len)
{
	return copy_to_user(udst, src, len);
}

void arch_switch_address_space(struct task *next)
{
	this_cpu()->lazy = !next->mm;
	if (next->mm)
		as_activate(next->mm);
	/* else lazy TLB: a kernel thread keeps the tables it found (tlb.c) */
}

struct trap_frame *frame_at_top(struct task *t)
{
	return (struct trap_frame *)((uintptr_t)t->kstack + KSTACK_SIZE) - 1;
}

void user_task_start(void *arg)
{
	(void)arg;	/* task_trampoline continues into ret_to_user */
}

static bool open_console_fds(struct task *t)
{
	struct file *con = file_open_console();

	t->files = files_alloc();
	if (!t->files) {
		file_put(con);
		return false;
	}
	for (unsigned fd = 0; fd < 3 && con; fd++)
		files_set(t->files, fd, fd ? file_get(con) : con, false);
	return true;
}

/**
 * proc_spawn() - start a program from the RAM disk as a new process
 * @path: the executable
 * @argv: NULL-terminated arguments (kernel pointers)
 * @parent: its parent (NULL: none, for process 1)
 * @err: set to -errno on failure
 *
 * Return: the new process, runnable, or NULL.
 */
struct task *proc_spawn(const char *path, const char *const *argv, struct task *parent,
			long *err)
{
	static char *const envp[] = { "PATH=/:/bin", "HOME=/", "TERM=dumb", NULL };
	struct task *t = task_alloc(path);

	*err = -EAGAIN;
	if (!t)
		return NULL;
	t->frame = frame_at_top(t);
	t->group = group_alloc(t);
	if (t->group)
		rlimits_init(&t->group->rlim);
	*err = t->group ? load_image(t, path, (char *const *)argv, envp, false) : -ENOMEM;
	if (*err || !open_console_fds(t)) {
		*err = *err ? *err : -ENOMEM;
		struct as *mm = task_set_mm(t, NULL);
		if (mm)
			mm_put(mm);
		group_detach(t);
		task_free(t);
		return NULL;
	}
	if ((*err = signal_init_task(t))) {
		files_put(t->files);
		mm_put(task_set_mm(t, NULL));
		group_detach(t);
		task_free(t);
		return NULL;
	}
	proc_set_parent(t, parent);
	task_prepare_switch(t, (uintptr_t)t->frame, user_task_start, NULL);
	task_make_runnable(t);
	return t;
}

/* Called on the way back to user mode, interrupts off. */
void user_return_work(struct trap_frame *f)
{
	struct task *t = current();

	irqoff_begin(irqoff_here());	/* the entry code turned them off */
	for (;;) {
		if ((t->sig.pending & ~t->sig.blocked) && trap_in_v86(f))
			arch_v86_interrupted(f);	/* a DOS box's real-mode code: leave it first */
		if (t->sig.pending & ~t->sig.blocked)
			signal_deliver(f);
		if (t->killed) {
			sti();
			if (t->exit_thread_only)
				thread_exit(0);
			proc_exit(t->kill_signal);
		}
		if (!need_resched())
			break;
		schedule();
	}
	irqoff_end();			/* iretq or sysret turns them back on */
}

/* --- process 1 -------------------------------------------------------------------- */

void init_exited(int status_word)
{
	int code = (status_word & 0x7f) ? 128 + (status_word & 0x7f) : (status_word >> 8) & 0xff;

	kprintf("init: process 1 (%s) %s %d; powering off\n", init_task->name,
		(status_word & 0x7f) ? "killed by signal" : "exited with status",
		(status_word & 0x7f) ? status_word & 0x7f : code);
	if (cmdline_has("perf")) {
		bool quiet = log_quiet;
		log_quiet = false;	/* asked for: printed even when quiet */
		perf_print();
		log_quiet = quiet;
	}
	qemu_debug_exit(code);
	machine_poweroff();
}

/**
 * proc_start_init() - run the program named by init= as process 1
 *
 * The words after init=PATH on the command line are its arguments.
 * Return: false if there is no init= option.
 */
bool proc_start_init(void)
{
	static char line[BOOT_CMDLINE_MAX];
	static const char *argv[32];
	unsigned argc = 0;
	long err;

	const char *p = cmdline_get(), *start = NULL;
	for (; *p; p++)
		if (!strncmp(p, "init=", 5) && (p == cmdline_get() || p[-1] == ' ')) {
			start = p + 5;
			break;
		}
	if (!start)
		return false;
	strlcpy(line, start, sizeof(line));
	for (char *q = line; *q && argc < ARRAY_LEN(argv) - 1;) {
		argv[argc++] = q;
		while (*q && *q != ' ')
			q++;
		while (*q == ' ')
			*q++ = 0;
	}
	argv[argc] = NULL;
	console_write("init: starting ", 15);	/* even when quiet: tools look for it */
	console_write(argv[0], strlen(argv[0]));
	console_write("\n", 1);
	init_task = proc_spawn(argv[0], argv, NULL, &err);
	if (!init_task) {
		log_quiet = false;
		kprintf("init: cannot start %s: error %ld\n", argv[0], -err);
		qemu_debug_exit(127);
		machine_poweroff();
	}
	return true;
}

/**
 * proc_run_and_wait() - the shell's `run`: start a program, wait for it
 * @path: on the RAM disk
 * @argv: its arguments
 *
 * Return: the wait status, or -1 if it could not start.
 */
int proc_run_and_wait(const char *path, const char *const *argv)
{
	long err;
	struct task *t = proc_spawn(path, argv, current(), &err);
	int status = -1;

	if (!t) {
		kprintf("run: cannot start %s: error %ld\n", path, -err);
		return -1;
	}
	proc_wait(t->pid, &status, 0);
	reap_dead();
	return status;
}
