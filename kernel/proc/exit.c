// SPDX-License-Identifier: MIT
/*
 * The end of threads and processes: exit(2) ends one thread, exit_group(2)
 * and fatal signals every thread of the process; the last thread out makes
 * the process a zombie for its parent's wait4. Also thread groups, the
 * parent/children links. (kill, tkill and tgkill are in sys_signal.c.)
 *
 * A process is its leader's task plus its thread group. Non-leader threads
 * are freed as soon as they have left the CPU; the leader stays (a zombie
 * once it exits) until its parent collects the status after every thread
 * has exited. Locking: tasklist_lock around changes of the groups, the
 * children lists and task states at exit (kernel/task.h gives the order);
 * whoever sleeps on them queues itself before dropping it (sleep_on_unlock).
 */
#include "kernel/dos/box.h"
#include "kernel/fs/fdtable.h"
#include "kernel/fs/poll.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/kernel.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/heap.h"

#define WNOHANG		1
#define WUNTRACED	2
#define WCONTINUED	8
#define WEXITED		4
#define WNOWAIT		0x01000000
#define __WNOTHREAD	0x20000000
#define __WALL		0x40000000
#define __WCLONE	0x80000000

static struct kmem_cache *group_cache;
spinlock_t tasklist_lock = SPINLOCK_INIT;

/* Releases tasklist_lock, leaving interrupts off (for schedule() or a sleep). */
static void tasklist_unlock_irqoff(void)
{
	spin_unlock_irqrestore(&tasklist_lock, plat_irq_save());
}

struct kmem_cache *group_cache_init(void)
{
	return group_cache = kmem_cache_create("thread_group", sizeof(struct thread_group), 0, 0,
					       NULL);
}

/**
 * group_alloc() - a thread group (process) with @leader as its only thread
 * @leader: its first task; its tgid becomes its pid
 *
 * Return: the group, or NULL if out of memory.
 */
struct thread_group *group_alloc(struct task *leader)
{
	struct thread_group *g = kmem_cache_alloc(group_cache);

	if (!g)
		return NULL;
	memset(g, 0, sizeof(*g));
	g->leader = leader;
	list_init(&g->threads);
	list_add_tail(&g->threads, &leader->thread_node);
	g->live = 1;
	g->refs = 1;			/* the leader's, dropped when it is reaped */
	leader->tgid = leader->pid;
	return g;
}

struct thread_group *group_get(struct thread_group *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

void group_put(struct thread_group *g)
{
	if (g && !__atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		kmem_cache_free(group_cache, g);
}

/* The task whose children list holds @t's children: its leader, or a kernel task itself. */
static struct task *process_of(struct task *t)
{
	return t->group ? t->group->leader : t;
}

void proc_set_parent(struct task *child, struct task *parent)
{
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	list_del(&child->sibling_node);
	child->parent = parent ? process_of(parent) : NULL;
	if (child->parent)
		list_add_tail(&child->parent->children, &child->sibling_node);
	spin_unlock_irqrestore(&tasklist_lock, irq);
}

/* A child process whose threads have all exited: its parent may collect it. */
static bool reapable(const struct task *c)
{
	return c->state == TASK_ZOMBIE && c->group && c->group->live == 0;
}

/* Frees the thread group of an ended process; its leader task stays for the caller. */
static void release_group(struct task *leader)
{
	struct thread_group *g = leader->group;

	list_del(&leader->thread_node);		/* the last link into the group */
	leader->group = NULL;			/* (tasklist_lock held: task_pin() reads it) */
	g->reaped = true;			/* a pidfd's reference may keep @g */
	group_put(g);
}

/* Frees an ended process nobody will wait for (its leader may still be on its CPU). */
static void free_orphan(struct task *leader)
{
	release_group(leader);
	task_free_later(leader);
}

/* A process that can still adopt children: not ending, some thread not exited. */
static bool can_adopt(const struct task *p)
{
	return p->group && !p->group->exiting && p->group->live > 0;
}

/*
 * Linux's find_new_reaper(): the nearest live ancestor of @dying that is a
 * child subreaper, else process 1, else nobody (tasklist_lock held).
 */
static struct task *new_reaper(struct task *dying)
{
	if (dying->group && dying->group->has_child_subreaper)
		for (struct task *a = dying->parent; a && a != init_task; a = a->parent)
			if (a->group && a->group->child_subreaper && can_adopt(a))
				return a;
	return init_task && init_task != dying && can_adopt(init_task) ? init_task : NULL;
}

/* Hands @dying's children to their new reaper, or orphans them (interrupts off). */
static void reparent_children(struct task *dying)
{
	struct task *heir = new_reaper(dying);

	list_for_each_safe(n, &dying->children) {
		struct task *c = list_entry(n, struct task, sibling_node);
		list_del(&c->sibling_node);
		c->parent = heir;
		if (heir)
			list_add_tail(&heir->children, &c->sibling_node);
		if (reapable(c)) {
			if (heir)
				wakeup(heir);
			else
				free_orphan(c);
		}
	}
}

static struct task *first_child(struct task *p)
{
	return list_empty(&p->children) ? NULL :
	       list_entry(p->children.next, struct task, sibling_node);
}

static struct task *next_sibling(struct task *c)
{
	struct list_node *n = c->sibling_node.next;

	return n == &c->parent->children ? NULL : list_entry(n, struct task, sibling_node);
}

/**
 * proc_set_child_subreaper() - PR_SET_CHILD_SUBREAPER for the calling process
 * @on: adopt orphaned descendants from now on, or stop
 *
 * Every descendant that exists is told to look for it when it ends, as
 * Linux's propagate_has_child_subreaper() (a subtree already told is
 * skipped); those forked later inherit that from their parent. The walk
 * is iterative: a fork bomb's tree may be deep.
 */
void proc_set_child_subreaper(bool on)
{
	struct task *top = current()->group->leader;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	top->group->child_subreaper = on;
	for (struct task *t = on ? first_child(top) : NULL, *n; t; t = n) {
		bool told = !t->group || t->group->has_child_subreaper;

		if (t->group)
			t->group->has_child_subreaper = true;
		n = told ? NULL : first_child(t);
		while (!n && t != top && !(n = next_sibling(t)))
			t = t->parent;
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
}

/* SIGCHLD ignored or SA_NOCLDWAIT: children leave no zombie (POSIX). */
static bool parent_reaps_nothing(struct task *p)
{
	const struct k_sigaction *ka = p->sig.hand ? &p->sig.hand->action[SIGCHLD - 1] : NULL;

	return ka && (ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT));
}

/* The last thread of @g has exited: the process is a zombie (interrupts off). */
static void process_ended(struct thread_group *g)
{
	struct task *leader = g->leader;

	if (g->exiting)
		leader->exit_code = g->exit_code;
	reparent_children(leader);
	if (leader == init_task)
		init_exited(leader->exit_code);
	signal_notify_parent(leader, leader->exit_code);
	if (leader->parent && parent_reaps_nothing(leader->parent)) {
		wakeup(leader->parent);		/* a wait4 there may now find no child */
		list_del(&leader->sibling_node);
		leader->parent = NULL;
	}
	poll_wake();				/* its pidfds are readable now */
	if (leader->parent)
		wakeup(leader->parent);
	else
		free_orphan(leader);
}

/* Linux's mm_release(): clear the thread-id word and wake one joiner. */
static void clear_child_tid(struct task *t)
{
	uint32_t zero = 0;

	if (!t->clear_child_tid || !t->mm)
		return;
	if (!copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(t->mm, t->clear_child_tid, 1, false);
	t->clear_child_tid = 0;
}

/**
 * thread_exit() - end the calling thread
 * @status_word: its wait4 status (code << 8, or a signal number)
 *
 * Its descriptor table and address space lose a user (the last frees
 * them); the last thread of the process ends the process.
 */
_Noreturn void thread_exit(int status_word)
{
	struct task *t = current();
	struct thread_group *g = t->group;

	futex_release_robust(t, t->mm);
	clear_child_tid(t);
	fd_put_borrowed(t);			/* an exit from inside a system call */
	files_put(task_set_files(t, NULL));
	dos_box_release(t);
	if (t->mm) {
		pt_space_load(&kernel_vm.pt);		/* off the tables we may free */
		mm_put(task_set_mm(t, NULL));
	}
	vfork_release(t);
	spin_lock_irqsave(&tasklist_lock);	/* interrupts stay off until we are gone */
	signal_exit(t);
	t->exit_code = status_word;
	t->state = TASK_ZOMBIE;
	g->live--;
	wakeup(g);				/* an exec waiting for the others to go */
	if (!task_is_leader(t)) {
		list_del(&t->thread_node);
		task_free_later(t);
	}
	if (!g->live)
		process_ended(g);
	tasklist_unlock_irqoff();
	schedule();
	panic("proc: exited task %d was scheduled again", t->pid);
}

/* Marks every thread of @g but @self for death (interrupts off). */
static void kill_threads(struct thread_group *g, struct task *self, bool thread_only)
{
	list_for_each(n, &g->threads) {
		struct task *o = list_entry(n, struct task, thread_node);
		if (o == self || o->state == TASK_ZOMBIE)
			continue;
		o->killed = true;
		o->exit_thread_only = thread_only;
		o->kill_signal = g->exit_code;
		if (o->wchan != &o->vfork_done)
			task_wake(o);		/* blocked calls notice and return */
	}
}

/**
 * proc_exit() - end the current process: every thread (exit_group, fatal signal)
 * @status_word: the wait4 status: (code << 8) for an exit, the signal for a kill
 */
_Noreturn void proc_exit(int status_word)
{
	struct task *t = current();
	struct thread_group *g = t->group;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	if (!g->exiting) {
		g->exiting = true;
		g->exit_code = status_word;
		kill_threads(g, t, false);
	}
	int code = g->exit_code;
	spin_unlock_irqrestore(&tasklist_lock, irq);
	thread_exit(code);
}

/**
 * proc_kill() - make every thread of @t's process die of @sig
 * @t: a thread of the victim
 * @sig: the signal, reported to its parent
 *
 * Threads die at their next return to user mode; blocked calls return early.
 */
void proc_kill(struct task *t, int sig)
{
	struct thread_group *g = t->group;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	if (!g->exiting) {
		g->exiting = true;
		g->exit_code = sig;
		kill_threads(g, NULL, false);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
	if (t->group == current()->group)
		proc_exit(sig);
}

/*
 * execve in a threaded process: the other threads end, and the caller takes
 * over the leader's thread id (Linux's de_thread). 0, or -EINTR if the
 * process is being killed meanwhile.
 */
long proc_kill_other_threads(void)
{
	struct task *t = current();
	struct thread_group *g = t->group;
	unsigned long irq = spin_lock_irqsave(&tasklist_lock);

	if (g->live > 1 && !g->exiting)
		kill_threads(g, t, true);
	while (g->live > 1 && !t->killed) {
		sleep_on_unlock(g, &tasklist_lock);
		spin_lock_irqsave(&tasklist_lock);
	}
	if (!t->killed && g->leader != t)
		task_wait_off_cpu(g->leader);	/* an exited leader may still be switching away */
	if (t->killed) {
		spin_unlock_irqrestore(&tasklist_lock, irq);
		return -EINTR;
	}
	struct task *old = g->leader;
	if (old != t) {
		task_swap_pid(t, old);
		t->parent = old->parent;
		list_insert_between(&t->sibling_node, &old->sibling_node, old->sibling_node.next);
		list_del(&old->sibling_node);
		list_for_each_safe(n, &old->children) {
			list_del(n);
			list_add_tail(&t->children, n);
			list_entry(n, struct task, sibling_node)->parent = t;
		}
		list_del(&old->thread_node);
		g->leader = t;
		old->parent = NULL;
		old->group = NULL;
		task_free_later(old);
	}
	spin_unlock_irqrestore(&tasklist_lock, irq);
	return 0;
}

static long exit_code_word(uint64_t code)
{
	return (int)(code & 0xff) << 8;
}

static long sys_exit(uint64_t code, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		     uint64_t a5)
{
	thread_exit(exit_code_word(code));
}
SYSCALL_DEFINE(SYS_exit, exit, sys_exit);

static long sys_exit_group(uint64_t code, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
	proc_exit(exit_code_word(code));
}
SYSCALL_DEFINE(SYS_exit_group, exit_group, sys_exit_group);

/* --- wait ------------------------------------------------------------------------ */

/*
 * A child of @parent matching @pid (-1: any) with something to report:
 * reapable (with WEXITED), or *stopped set to the status of a stop or
 * continue (WUNTRACED, WCONTINUED); *any says if one matched at all.
 */
static struct task *find_zombie(struct task *parent, int pid, int options, bool *any,
				int *stopped)
{
	*any = false;
	*stopped = 0;
	list_for_each(n, &parent->children) {
		struct task *c = list_entry(n, struct task, sibling_node);
		if (pid > 0 && c->pid != pid)
			continue;
		*any = true;
		if ((options & WEXITED) && reapable(c)) {
			task_wait_off_cpu(c);	/* it may still be switching away */
			return c;
		}
		if (c->state != TASK_ZOMBIE && (*stopped = signal_take_stop_report(c, options)))
			return c;
	}
	return NULL;
}

/**
 * proc_wait_child() - wait4's and waitid's wait for a child process
 * @pid: the child's pid, or -1 for any (process groups: every child is in ours)
 * @options: WNOHANG, WEXITED (reap an ended child), WNOWAIT (leave it a
 *	zombie), WUNTRACED (WSTOPPED), WCONTINUED
 * @w: filled with the child's status word, pid and real uid when one is found
 *
 * Return: the child's pid, 0 (WNOHANG, nothing yet), -ECHILD (no such
 * child) or -ERESTARTSYS (a signal).
 */
long proc_wait_child(int pid, int options, struct wait_result *w)
{
	struct task *self = current(), *parent = process_of(self);
	bool any;
	int stopped;

	if (pid < -1 || pid == 0)
		pid = -1;		/* process groups: every child is in ours */
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for (;;) {
		struct task *c = find_zombie(parent, pid, options, &any, &stopped);
		if (c) {
			w->pid = c->pid;
			w->uid = c->group ? c->group->cred.uid : 0;
			w->status = stopped ? stopped : c->exit_code;
		}
		if (c && (stopped || (options & WNOWAIT))) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			return w->pid;
		}
		if (c) {
			list_del(&c->sibling_node);
			c->parent = NULL;
			release_group(c);
			spin_unlock_irqrestore(&tasklist_lock, flags);
			task_free(c);
			reap_dead();
			return w->pid;
		}
		if (!any) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			return -ECHILD;
		}
		if (options & WNOHANG) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			return 0;
		}
		if (signal_pending(self)) {
			spin_unlock_irqrestore(&tasklist_lock, flags);
			return -ERESTARTSYS;
		}
		sleep_on_unlock(parent, &tasklist_lock);
		spin_lock_irqsave(&tasklist_lock);
	}
}

long proc_wait(int pid, int *status, int options)
{
	struct wait_result w;
	long r = proc_wait_child(pid, (options & ~WNOWAIT) | WEXITED, &w);

	if (r > 0)
		*status = w.status;
	return r;
}

/* struct rusage: two timevals and 14 longs, 18 words of the ABI's width. */
#define RUSAGE_SIZE	(18 * sizeof(long))

static long sys_wait4(uint64_t pid, uint64_t ustatus, uint64_t options, uint64_t rusage,
		      uint64_t a4, uint64_t a5)
{
	int status = 0;

	if (options & ~(uint64_t)(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL |
				  __WCLONE))
		return -EINVAL;
	long r = proc_wait((int)pid, &status, (int)options);
	if (r > 0 && ustatus && copy_to_user(ustatus, &status, 4))
		return -EFAULT;
	if (r >= 0 && rusage && clear_user(rusage, RUSAGE_SIZE))
		return -EFAULT;
	return r;
}
SYSCALL_DEFINE(SYS_wait4, wait4, sys_wait4);
