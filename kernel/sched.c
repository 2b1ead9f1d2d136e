// SPDX-License-Identifier: MIT
/*
 * The scheduler: round robin over the task table. The kernel does not
 * preempt itself: a task switches only when it blocks or yields, or when
 * it returns to user mode after a timer tick asked for a switch. With one
 * CPU and interrupts off around every change of task state, that is all
 * the locking there is.
 */
#include "kernel/task.h"
#include "mm/vmalloc.h"

struct task tasks[TASK_MAX];
volatile bool need_resched;
static int next_pid;

static struct task *pick_next(struct task *prev)
{
	unsigned start = prev ? (unsigned)(prev - tasks) : 0;

	for (unsigned i = 1; i <= TASK_MAX; i++) {
		struct task *t = &tasks[(start + i) % TASK_MAX];
		if (t->state == TASK_BLOCKED && t->wake_at_ns && time_ns() >= t->wake_at_ns) {
			t->state = TASK_RUNNABLE;
			t->wake_at_ns = 0;
		}
		if (t->state == TASK_RUNNABLE)
			return t;
	}
	return NULL;
}

static void switch_to(struct task *prev, struct task *next)
{
	if (prev->mm)
		fpu_save(&prev->fpu);
	prev->fs_base = rdmsr(MSR_FS_BASE);
	this_cpu()->current = next;
	cpu_set_kernel_stack((uint64_t)next->kstack + KSTACK_SIZE);
	arch_switch_address_space(next);
	if (next->mm)
		fpu_restore(&next->fpu);
	wrmsr(MSR_FS_BASE, next->fs_base);
	switch_context(&prev->saved_rsp, next->saved_rsp);
}

/**
 * schedule() - run the next runnable task; idle while there is none
 *
 * Called with interrupts in any state; returns, with them as they were,
 * when this task is chosen again.
 */
void schedule(void)
{
	unsigned long flags = plat_irq_save();
	struct task *prev = current(), *next;

	need_resched = false;
	while (!(next = pick_next(prev))) {
		sti_hlt();		/* an interrupt may wake someone */
		cli();
	}
	if (next != prev)
		switch_to(prev, next);
	plat_irq_restore(flags);
}

void yield(void)
{
	schedule();
}

bool sched_others_runnable(void)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (&tasks[i] != current() && tasks[i].state == TASK_RUNNABLE)
			return true;
	return false;
}

void sleep_on(const void *chan)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	t->wchan = chan;
	t->state = TASK_BLOCKED;
	schedule();
	t->wchan = NULL;
	plat_irq_restore(flags);
}

void wakeup(const void *chan)
{
	unsigned long flags = plat_irq_save();

	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].state == TASK_BLOCKED && tasks[i].wchan == chan)
			tasks[i].state = TASK_RUNNABLE;
	plat_irq_restore(flags);
}

void sleep_until(uint64_t deadline_ns)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	while (time_ns() < deadline_ns && !signal_pending(t)) {
		t->wake_at_ns = deadline_ns;
		t->state = TASK_BLOCKED;
		t->wchan = &t->wake_at_ns;
		schedule();
	}
	t->wake_at_ns = 0;
	plat_irq_restore(flags);
}

void sched_tick(void)
{
	need_resched = true;
	itimer_tick();
}

struct task *task_by_pid(int pid)
{
	for (unsigned i = 0; i < TASK_MAX; i++)
		if (tasks[i].state != TASK_UNUSED && tasks[i].pid == pid)
			return &tasks[i];
	return NULL;
}

/**
 * task_alloc() - a free task slot with a kernel stack and a pid
 * @name: for ps and reports
 *
 * Return: the task, state TASK_BLOCKED until task_make_runnable(), or NULL.
 */
struct task *task_alloc(const char *name)
{
	unsigned long flags = plat_irq_save();
	struct task *t = NULL;

	for (unsigned i = 1; i < TASK_MAX && !t; i++)
		if (tasks[i].state == TASK_UNUSED)
			t = &tasks[i];
	if (t) {
		memset(t, 0, sizeof(*t));
		t->state = TASK_BLOCKED;
		t->pid = ++next_pid;
	}
	plat_irq_restore(flags);
	if (!t)
		return NULL;
	t->kstack = vmalloc(KSTACK_SIZE);
	if (!t->kstack) {
		t->state = TASK_UNUSED;
		return NULL;
	}
	strlcpy(t->name, name, sizeof(t->name));
	t->started_ns = time_ns();
	return t;
}

void task_free(struct task *t)
{
	vfree(t->kstack);
	t->kstack = NULL;
	t->state = TASK_UNUSED;
}

void task_make_runnable(struct task *t)
{
	t->state = TASK_RUNNABLE;
}

/*
 * Lays out a switch frame below @frame_top so that the first switch to the
 * task "returns" into task_trampoline, which calls fn(arg).
 */
void task_prepare_switch(struct task *t, uint64_t frame_top, void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)frame_top;

	*--sp = (uint64_t)task_trampoline;	/* return address of switch_context */
	*--sp = 0;				/* rbp */
	*--sp = 0;				/* rbx */
	*--sp = (uint64_t)fn;			/* r12 */
	*--sp = (uint64_t)arg;			/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	t->saved_rsp = (uint64_t)sp;
}

static void kthread_exit(void)
{
	cli();
	current()->state = TASK_ZOMBIE;
	schedule();
	panic("sched: a dead kernel thread was scheduled");
}

struct kthread_start {
	void (*fn)(void *);
	void *arg;
};

static void kthread_main(void *p)
{
	struct kthread_start *ks = p;

	sti();
	ks->fn(ks->arg);
	kthread_exit();
}

/**
 * kthread_create() - start a kernel thread
 * @name: its name
 * @fn: what it runs; returning ends the thread (it stays a zombie until reaped)
 * @arg: passed to @fn
 *
 * Return: the task, already runnable, or NULL.
 */
struct task *kthread_create(const char *name, void (*fn)(void *arg), void *arg)
{
	struct task *t = task_alloc(name);

	if (!t)
		return NULL;
	uint64_t top = (uint64_t)t->kstack + KSTACK_SIZE;
	struct kthread_start *ks = (struct kthread_start *)(top - 16);
	ks->fn = fn;
	ks->arg = arg;
	task_prepare_switch(t, top - 16, kthread_main, ks);
	t->fs_base = 0;
	task_make_runnable(t);
	return t;
}

/**
 * sched_init() - make the boot context task 0 and start the tick
 */
void sched_init(void)
{
	struct task *t0 = &tasks[0];

	t0->state = TASK_RUNNABLE;
	t0->pid = 0;
	strlcpy(t0->name, "kernel", sizeof(t0->name));
	t0->kstack = boot_stack_bottom;
	this_cpu()->current = t0;
	cpu_set_kernel_stack((uint64_t)boot_stack_top);
	timer_init(sched_tick);
}
