// SPDX-License-Identifier: MIT
/*
 * The life of a user process: spawned from the RAM disk or forked, it runs
 * until it exits or is killed; its parent collects the status with wait4.
 * Every frame and page-table page it had goes back when it exits.
 */
#include "kernel/dos/box.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/perf.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

#define WNOHANG		1
#define CLONE_VM	0x00000100
#define CLONE_VFORK	0x00004000
#define CLONE_SETTLS	0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_THREAD	0x00010000
#define CLONE_SIGHAND	0x00000800

static struct as as_pool[TASK_MAX];
static bool as_used[TASK_MAX];
static struct task *vfork_parent[TASK_MAX];
static struct task *init_task;

struct as *as_alloc(void)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (!as_used[i]) {
			as_used[i] = true;
			return &as_pool[i];
		}
	return NULL;
}

void as_free(struct as *as)
{
	as_used[as - as_pool] = false;
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

void arch_switch_address_space(struct task *next)
{
	this_cpu()->lazy = !next->mm;
	if (next->mm)
		as_activate(next->mm);
	/* else lazy TLB: a kernel thread keeps the tables it found (tlb.c) */
}

static struct trap_frame *frame_at_top(struct task *t)
{
	return (struct trap_frame *)((uint64_t)t->kstack + KSTACK_SIZE) - 1;
}

static void user_task_start(void *arg)
{
	(void)arg;	/* task_trampoline continues into ret_to_user */
}

static void open_console_fds(struct task *t)
{
	struct file *con = file_open_console();

	for (int fd = 0; fd < 3 && con; fd++)
		t->fd[fd] = fd ? file_get(con) : con;
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
	*err = load_image(t, path, (char *const *)argv, envp, false);
	if (*err) {
		task_free(t);
		return NULL;
	}
	if ((*err = signal_init_task(t))) {
		as_destroy(t->mm);
		as_free(t->mm);
		task_free(t);
		return NULL;
	}
	t->parent = parent;
	open_console_fds(t);
	task_prepare_switch(t, (uint64_t)t->frame, user_task_start, NULL);
	task_make_runnable(t);
	return t;
}

/* --- fork ------------------------------------------------------------------------ */

static long do_fork(uint64_t child_stack, bool vfork)
{
	struct task *parent, *child;
	long r;

	reap_orphans();		/* slots of orphans nobody waits for come back first */
	parent = current();
	child = task_alloc(parent->name);
	if (!child)
		return -EAGAIN;
	child->mm = as_alloc();
	if (!child->mm) {
		task_free(child);
		return -ENOMEM;
	}
	if ((r = as_fork(child->mm, parent->mm))) {
		as_free(child->mm);
		task_free(child);
		return r;
	}
	if ((r = signal_fork(child, parent))) {
		as_destroy(child->mm);
		as_free(child->mm);
		task_free(child);
		return r;
	}
	child->parent = parent;
	child->frame = frame_at_top(child);
	*child->frame = *parent->frame;
	child->frame->rax = 0;			/* fork returns 0 in the child */
	if (child_stack)
		child->frame->rsp = child_stack;
	fpu_save(&parent->fpu);
	child->fpu = parent->fpu;
	child->fs_base = rdmsr(MSR_FS_BASE);
	for (int fd = 0; fd < FD_MAX; fd++) {
		child->fd[fd] = parent->fd[fd] ? file_get(parent->fd[fd]) : NULL;
		child->fd_cloexec[fd] = parent->fd_cloexec[fd];
	}
	task_prepare_switch(child, (uint64_t)child->frame, user_task_start, NULL);
	int pid = child->pid;
	if (vfork)
		vfork_parent[child - tasks] = parent;
	task_make_runnable(child);
	/* Like vfork(2): the parent waits until the child execs or exits. */
	while (vfork && vfork_parent[child - tasks] == parent)
		sleep_on(&vfork_parent[child - tasks]);
	return pid;
}

void vfork_release(struct task *t)
{
	if (vfork_parent[t - tasks]) {
		vfork_parent[t - tasks] = NULL;
		wakeup(&vfork_parent[t - tasks]);
	}
}

static long sys_fork(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	return do_fork(0, false);
}
SYSCALL_DEFINE(SYS_fork, fork, sys_fork);

static long sys_vfork(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return do_fork(0, true);
}
SYSCALL_DEFINE(SYS_vfork, vfork, sys_vfork);

/* clone with fork-like flags: a new process, never a thread sharing memory. */
static long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		      uint64_t tls, uint64_t a5)
{
	if (flags & (CLONE_THREAD | CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -ENOSYS;		/* threads are not supported */
	if (flags & CLONE_VM)
		return -ENOSYS;		/* a vfork sharing memory cannot be emulated by copying */
	long pid = do_fork(stack, flags & CLONE_VFORK);
	if (pid > 0 && (flags & CLONE_PARENT_SETTID))
		copy_to_user(ptid, &pid, 4);
	return pid;
}
SYSCALL_DEFINE(SYS_clone, clone, sys_clone);

/* --- exit, wait, kill ------------------------------------------------------------ */

/*
 * Children of a dying process go to init; with no init (the shell's `run`,
 * usertest) nobody will wait for them: zombies among them are freed (later,
 * as free_later's list is reaped), the living free themselves at exit.
 */
static void reparent_children(struct task *dying)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].state != TASK_UNUSED && tasks[i].parent == dying) {
			tasks[i].parent = init_task && init_task != dying ? init_task : NULL;
			if (tasks[i].state != TASK_ZOMBIE)
				continue;
			if (tasks[i].parent)
				wakeup(tasks[i].parent);
			else
				task_free_later(&tasks[i]);
		}
}

static void release_memory(struct task *t)
{
	struct as *as = t->mm;

	dos_box_release(t);
	if (!as)
		return;
	pt_space_load(&kernel_vm.pt);	/* off the tables we free */
	t->mm = NULL;
	as_destroy(as);
	as_free(as);
}

/* SIGCHLD ignored or SA_NOCLDWAIT: children leave no zombie (POSIX). */
static bool parent_reaps_nothing(struct task *p)
{
	const struct k_sigaction *ka = p->sig.hand ? &p->sig.hand->action[SIGCHLD - 1] : NULL;

	return ka && (ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT));
}

/**
 * proc_exit() - end the current process
 * @status_word: the wait4 status: (code << 8) for an exit, the signal for a kill
 */
_Noreturn void proc_exit(int status_word)
{
	struct task *t = current();

	for (int fd = 0; fd < FD_MAX; fd++) {
		file_put(t->fd[fd]);
		t->fd[fd] = NULL;
	}
	release_memory(t);
	vfork_release(t);
	cli();
	signal_exit(t);
	reparent_children(t);
	t->exit_code = status_word;
	t->state = TASK_ZOMBIE;
	if (t == init_task)
		init_exited(status_word);
	signal_notify_parent(t, status_word);
	if (t->parent && parent_reaps_nothing(t->parent)) {
		wakeup(t->parent);	/* a wait4 there may now find no child */
		t->parent = NULL;
	}
	if (t->parent)
		wakeup(t->parent);
	else
		task_free_later(t);
	schedule();
	panic("proc: exited task %d was scheduled again", t->pid);
}

static long sys_exit(uint64_t code, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	proc_exit((int)(code & 0xff) << 8);
}
SYSCALL_DEFINE(SYS_exit, exit, sys_exit);
SYSCALL_DEFINE(SYS_exit_group, exit_group, sys_exit);

static struct task *find_zombie(struct task *parent, int pid, bool *any)
{
	*any = false;
	for (unsigned i = 0; i < TASK_MAX; i++) {
		struct task *c = &tasks[i];
		if (c->state == TASK_UNUSED || c->parent != parent || (pid > 0 && c->pid != pid))
			continue;
		*any = true;
		if (c->state == TASK_ZOMBIE)
			return c;
	}
	return NULL;
}

long proc_wait(int pid, int *status, int options)
{
	struct task *self = current();
	bool any;

	if (pid < -1 || pid == 0)
		pid = -1;		/* process groups: every child is in ours */
	for (;;) {
		unsigned long flags = plat_irq_save();
		struct task *c = find_zombie(self, pid, &any);
		if (c) {
			int cpid = c->pid;
			*status = c->exit_code;
			c->parent = NULL;
			plat_irq_restore(flags);
			task_free(c);
			return cpid;
		}
		if (!any) {
			plat_irq_restore(flags);
			return -ECHILD;
		}
		if (options & WNOHANG) {
			plat_irq_restore(flags);
			return 0;
		}
		if (signal_pending(self)) {
			plat_irq_restore(flags);
			return -ERESTARTSYS;
		}
		sleep_on(self);
		plat_irq_restore(flags);
	}
}

static long sys_wait4(uint64_t pid, uint64_t ustatus, uint64_t options, uint64_t rusage,
		      uint64_t a4, uint64_t a5)
{
	int status = 0;

	if (options & ~(uint64_t)(WNOHANG | 2 | 8 | 0x01000000 | 0x40000000 | 0x80000000))
		return -EINVAL;
	long r = proc_wait((int)pid, &status, (int)options);
	if (r > 0 && ustatus && copy_to_user(ustatus, &status, 4))
		return -EFAULT;
	if (r >= 0 && rusage && clear_user(rusage, 144))
		return -EFAULT;
	return r;
}
SYSCALL_DEFINE(SYS_wait4, wait4, sys_wait4);

/**
 * proc_kill() - make @t die of @sig at its next return to user mode
 * @t: the victim
 * @sig: the signal, reported to its parent
 */
void proc_kill(struct task *t, int sig)
{
	unsigned long flags = plat_irq_save();

	if (!t->killed) {
		t->killed = true;
		t->kill_signal = sig;
	}
	task_wake_interruptible(t);
	plat_irq_restore(flags);
	if (t == current())
		proc_exit(sig);
}

/**
 * task_wake_interruptible() - a signal or a kill arrived for @t
 * @t: the task; if it sleeps, the call it sleeps in notices and returns
 *
 * Every sleep is interruptible except a vfork parent's wait for its child.
 */
void task_wake_interruptible(struct task *t)
{
	if (t->state == TASK_BLOCKED && t->wchan != &vfork_parent[t - tasks])
		t->state = TASK_RUNNABLE;
}

/* Called on the way back to user mode, interrupts off. */
void user_return_work(struct trap_frame *f);
void user_return_work(struct trap_frame *f)
{
	struct task *t = current();

	irqoff_begin(irqoff_here());	/* the entry code turned them off */
	for (;;) {
		if (t->sig.pending & ~t->sig.blocked)
			signal_deliver(f);
		if (t->killed) {
			sti();
			proc_exit(t->kill_signal);
		}
		if (!need_resched)
			break;
		schedule();
	}
	irqoff_end();			/* iretq or sysret turns them back on */
}

/* --- process 1 -------------------------------------------------------------------- */

static struct task *free_later[TASK_MAX];

/* A parentless task cannot free its own stack while running on it. */
void task_free_later(struct task *t)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (!free_later[i]) {
			free_later[i] = t;
			return;
		}
}

void reap_orphans(void)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (free_later[i] && free_later[i] != current()) {
			task_free(free_later[i]);
			free_later[i] = NULL;
		}
}

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
	reap_orphans();
	return status;
}
