// SPDX-License-Identifier: MIT
/*
 * Task objects: allocation from the "task" kmem_cache, thread ids from a
 * hashed pid table (lookup is O(1) on average, never a scan of every task),
 * the list of all tasks for ps, and deferred freeing of tasks that exited
 * on their own stack.
 *
 * Locking: task_lock around every change and lookup of the table and lists;
 * the order is in kernel/task.h. task_by_pid() returns a counted reference
 * (task_put() drops it): a task that exits meanwhile is taken out of the
 * table at once but its memory stays until the last reference goes, so a
 * caller on another CPU reads a zombie, never freed memory.
 */
#include "kernel/task.h"
#include "mm/heap.h"
#include "mm/vmalloc.h"

#define PID_HASH_BITS	10
#define PID_HASH_SIZE	(1u << PID_HASH_BITS)

struct list_node all_tasks = LIST_INIT(all_tasks);
static struct kmem_cache *task_cache;
static struct task *pid_hash[PID_HASH_SIZE];
static struct list_node dead_tasks = LIST_INIT(dead_tasks);
static spinlock_t task_lock = SPINLOCK_INIT;	/* the pid table, all_tasks, dead_tasks */
static int last_pid;
static unsigned ntasks;

static unsigned pid_slot(int pid)
{
	return ((unsigned)pid * 0x9e3779b1u) >> (32 - PID_HASH_BITS);
}

/**
 * task_by_pid() - the task with thread id @pid
 * @pid: a thread id
 *
 * Return: the task (any state but unused) with a reference the caller
 * drops with task_put(), or NULL.
 */
struct task *task_by_pid(int pid)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	struct task *t = pid_hash[pid_slot(pid)];

	while (t && t->pid != pid)
		t = t->pid_next;
	if (t)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&task_lock, flags);
	return t;
}

/**
 * task_next_leader() - walk the processes in pid order (kill(-1), kill(0))
 * @after: 0 to start, then the pid of the last one returned
 *
 * Return: the leader of a user process (zombies included) whose pid is the
 * lowest above @after, with a reference (task_put()), or NULL. Each call
 * takes the lock afresh, so a long walk never holds it for long.
 */
struct task *task_next_leader(int after)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);
	struct task *best = NULL;

	list_for_each(n, &all_tasks) {
		struct task *t = list_entry(n, struct task, all_node);

		if (t->group && task_is_leader(t) && t->pid > after && (!best || t->pid < best->pid))
			best = t;
	}
	if (best)
		__atomic_add_fetch(&best->refs, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&task_lock, flags);
	return best;
}

/**
 * task_put() - drop a reference from task_by_pid()
 * @t: the task, or NULL
 *
 * The last reference (the one task_free() drops, or a lookup's after it)
 * frees the task's stack and object.
 */
void task_put(struct task *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	vfree(t->kstack);
	fpu_state_free(t->fpu);
	kmem_cache_free(task_cache, t);
}

static void pid_insert(struct task *t)
{
	unsigned s = pid_slot(t->pid);

	t->pid_next = pid_hash[s];
	pid_hash[s] = t;
}

static void pid_remove(struct task *t)
{
	struct task **pp = &pid_hash[pid_slot(t->pid)];

	while (*pp && *pp != t)
		pp = &(*pp)->pid_next;
	if (*pp)
		*pp = t->pid_next;
}

/* The next free thread id after the last one given, wrapping at PID_MAX like Linux. */
static int pid_next_free(void)
{
	for (;;) {
		if (++last_pid >= PID_MAX)
			last_pid = 300;		/* Linux skips the daemons' range on wrap */
		struct task *t = pid_hash[pid_slot(last_pid)];
		while (t && t->pid != last_pid)
			t = t->pid_next;
		if (!t)
			return last_pid;
	}
}

static void task_init_links(struct task *t)
{
	list_init(&t->run_node);
	list_init(&t->wait_node);
	list_init(&t->sleep_node);
	list_init(&t->all_node);
	list_init(&t->children);
	list_init(&t->sibling_node);
	list_init(&t->thread_node);
	list_init(&t->dead_node);
}

/**
 * task_cache_init() - create the task cache and make the boot context task 0
 *
 * Return: task 0, running on the boot stack.
 */
void task_cache_init(void)
{
	task_cache = kmem_cache_create("task", sizeof(struct task), 64, 0, NULL);
	fpu_cache_init();
	struct task *t0 = task_cache ? kmem_cache_alloc(task_cache) : NULL;

	if (!t0)
		panic("task: no memory for the task cache");
	memset(t0, 0, sizeof(*t0));
	task_init_links(t0);
	t0->state = TASK_RUNNABLE;
	t0->on_cpu = true;
	t0->on_rq = true;
	t0->refs = 1;
	t0->affinity = ~0ull;
	strlcpy(t0->name, "kernel", sizeof(t0->name));
	t0->kstack = boot_stack_bottom;
	pid_insert(t0);
	list_add_tail(&all_tasks, &t0->all_node);
	ntasks = 1;
	this_cpu()->current = t0;
}

/**
 * task_alloc() - a new task with a kernel stack and a thread id
 * @name: for ps and reports
 *
 * Return: the task, state TASK_BLOCKED until task_make_runnable(), or NULL.
 */
struct task *task_alloc(const char *name)
{
	reap_dead();
	struct task *t = kmem_cache_alloc(task_cache);
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->kstack = vmalloc(KSTACK_SIZE);
	t->fpu = fpu_state_alloc();
	if (!t->kstack || !t->fpu) {
		vfree(t->kstack);
		fpu_state_free(t->fpu);
		kmem_cache_free(task_cache, t);
		return NULL;
	}
	task_init_links(t);
	t->refs = 1;
	t->state = TASK_BLOCKED;
	t->affinity = ~0ull;
	strlcpy(t->name, name, sizeof(t->name));
	t->started_ns = time_ns();

	unsigned long flags = spin_lock_irqsave(&task_lock);
	t->pid = t->tgid = pid_next_free();
	pid_insert(t);
	list_add_tail(&all_tasks, &t->all_node);
	ntasks++;
	spin_unlock_irqrestore(&task_lock, flags);
	return t;
}

/**
 * task_free() - give back a task that no CPU runs on
 * @t: the task, off the run queue and every wait list
 *
 * Its thread id is free from now on; its memory once task_by_pid()'s
 * callers have let go too.
 */
void task_free(struct task *t)
{
	nproc_uncharge(t);
	unsigned long flags = spin_lock_irqsave(&task_lock);

	pid_remove(t);
	list_del(&t->all_node);
	list_del(&t->sibling_node);
	list_del(&t->thread_node);
	ntasks--;
	spin_unlock_irqrestore(&task_lock, flags);
	task_put(t);
}

/* An exiting task cannot free the stack it runs on: the next reap_dead() does. */
void task_free_later(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	list_add_tail(&dead_tasks, &t->dead_node);
	spin_unlock_irqrestore(&task_lock, flags);
}

/**
 * reap_dead() - free the tasks given to task_free_later() that have left their CPU
 */
void reap_dead(void)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&task_lock);
		struct task *t = NULL;
		list_for_each(n, &dead_tasks) {
			struct task *d = list_entry(n, struct task, dead_node);
			if (!d->on_cpu) {
				t = d;
				break;
			}
		}
		if (t)
			list_del(&t->dead_node);
		spin_unlock_irqrestore(&task_lock, flags);
		if (!t)
			return;
		task_free(t);
	}
}

/**
 * task_swap_pid() - exchange the thread ids of @a and @b (exec by a non-leader)
 * @a: a task
 * @b: another
 */
void task_swap_pid(struct task *a, struct task *b)
{
	unsigned long flags = spin_lock_irqsave(&task_lock);

	pid_remove(a);
	pid_remove(b);
	int pid = a->pid;
	a->pid = b->pid;
	b->pid = pid;
	a->tgid = a->pid;
	pid_insert(a);
	pid_insert(b);
	spin_unlock_irqrestore(&task_lock, flags);
}

unsigned task_count(void)
{
	return ntasks;
}
