// SPDX-License-Identifier: MIT
/*
 * The scheduler: a FIFO run queue of runnable tasks, wait channels hashed
 * into buckets (wakeup() looks at one bucket, not every task), and a sleep
 * queue sorted by deadline (the tick and the scheduler look at its head
 * only). The kernel does not preempt itself: a task switches only when it
 * blocks or yields, or when it returns to user mode after a timer tick
 * asked for a switch.
 *
 * A running task is on no queue (on_cpu); a runnable one is on the run
 * queue; a blocked one may be in a wait bucket and, with a deadline, on the
 * sleep queue. Locking: interrupts off around every change (one CPU); see
 * kernel/task.h for the order against the other locks.
 */
#include "kernel/task.h"
#include "mm/vmalloc.h"

#define WAIT_HASH_BITS	8

volatile bool need_resched;
static struct list_node run_queue = LIST_INIT(run_queue);
static struct list_node sleep_queue = LIST_INIT(sleep_queue);
static struct list_node wait_hash[1u << WAIT_HASH_BITS];

static struct list_node *wait_bucket(const void *chan)
{
	uint64_t h = (uint64_t)chan * 0x9e3779b97f4a7c15ull;

	return &wait_hash[h >> (64 - WAIT_HASH_BITS)];
}

static void rq_enqueue(struct task *t)
{
	if (!list_linked(&t->run_node) && !t->on_cpu)
		list_add_tail(&run_queue, &t->run_node);
}

static struct task *rq_pick(void)
{
	if (list_empty(&run_queue))
		return NULL;
	struct task *t = list_first(&run_queue, struct task, run_node);
	list_del(&t->run_node);
	return t;
}

/* Wakes every sleeper whose deadline has passed (interrupts off). */
static void wake_expired(void)
{
	uint64_t now = 0;

	while (!list_empty(&sleep_queue)) {
		struct task *t = list_first(&sleep_queue, struct task, sleep_node);
		if (!now)
			now = time_ns();
		if (t->wake_at_ns > now)
			return;
		t->timed_out = true;
		task_wake(t);
	}
}

/* Inserts @t by deadline, after those with the same one (FIFO among equals). */
static void sleep_queue_insert(struct task *t)
{
	struct list_node *pos = sleep_queue.prev;

	while (pos != &sleep_queue &&
	       list_entry(pos, struct task, sleep_node)->wake_at_ns > t->wake_at_ns)
		pos = pos->prev;
	list_insert_between(&t->sleep_node, pos, pos->next);
}

/**
 * task_wake() - make a blocked task runnable
 * @t: the task; nothing happens unless it is blocked
 */
void task_wake(struct task *t)
{
	unsigned long flags = plat_irq_save();

	if (t->state == TASK_BLOCKED) {
		if (list_linked(&t->sleep_node))
			list_del(&t->sleep_node);
		t->state = TASK_RUNNABLE;
		rq_enqueue(t);
	}
	plat_irq_restore(flags);
}

void task_wake_interruptible(struct task *t)
{
	if (t->wchan != &t->vfork_done)
		task_wake(t);
}

void task_make_runnable(struct task *t)
{
	t->state = TASK_BLOCKED;
	task_wake(t);
}

static void switch_to(struct task *prev, struct task *next)
{
	if (prev->mm)
		fpu_save(&prev->fpu);
	prev->fs_base = rdmsr(MSR_FS_BASE);
	this_cpu()->current = next;
	next->last_cpu = this_cpu()->id;
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
 * when this task is chosen again. A runnable caller goes to the back of the
 * run queue.
 */
void schedule(void)
{
	unsigned long flags = plat_irq_save();
	struct task *prev = current(), *next;

	need_resched = false;
	wake_expired();
	/*
	 * Off the CPU from here on as far as wakers know, so a wake while we
	 * idle below queues it. (One CPU: nobody frees a dead prev before
	 * the switch, since nothing else runs until then.)
	 */
	prev->on_cpu = false;
	if (prev->state == TASK_RUNNABLE)
		rq_enqueue(prev);
	while (!(next = rq_pick())) {
		sti_hlt();		/* an interrupt may wake someone */
		cli();
		wake_expired();
	}
	next->on_cpu = true;
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
	unsigned long flags = plat_irq_save();

	wake_expired();
	bool r = !list_empty(&run_queue);
	plat_irq_restore(flags);
	return r;
}

/**
 * task_block() - sleep until task_wake() or a deadline
 * @deadline_ns: time_ns() at which the task wakes by itself; 0 for none
 *
 * Call with interrupts off, after setting the current task TASK_BLOCKED and
 * queueing it where its waker finds it; a wake in between makes this
 * return at once.
 * Return: true if the deadline passed before anyone woke it.
 */
bool task_block(uint64_t deadline_ns)
{
	struct task *t = current();

	t->timed_out = false;
	if (t->state != TASK_BLOCKED)
		return false;
	t->wake_at_ns = deadline_ns;
	if (deadline_ns)
		sleep_queue_insert(t);
	schedule();
	t->wake_at_ns = 0;
	return t->timed_out;
}

void sleep_on(const void *chan)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	t->wchan = chan;
	list_add_tail(wait_bucket(chan), &t->wait_node);
	t->state = TASK_BLOCKED;
	task_block(0);
	list_del(&t->wait_node);
	t->wchan = NULL;
	plat_irq_restore(flags);
}

/**
 * sleep_on_unlock() - sleep_on() for a caller that checked its condition under @lock
 * @chan: what to wait for
 * @lock: held, taken with spin_lock_irqsave()
 *
 * The task is queued on @chan before @lock is released, so a waker that
 * changes the condition under @lock and then calls wakeup(@chan) cannot be
 * missed. Returns with @lock released and interrupts still off.
 */
void sleep_on_unlock(const void *chan, spinlock_t *lock)
{
	struct task *t = current();

	t->wchan = chan;
	list_add_tail(wait_bucket(chan), &t->wait_node);
	t->state = TASK_BLOCKED;
	spin_unlock_irqrestore(lock, plat_irq_save());	/* interrupts stay off */
	task_block(0);
	list_del(&t->wait_node);
	t->wchan = NULL;
}

void wakeup(const void *chan)
{
	unsigned long flags = plat_irq_save();
	struct list_node *b = wait_bucket(chan);

	list_for_each(n, b) {
		struct task *t = list_entry(n, struct task, wait_node);
		if (t->wchan == chan)
			task_wake(t);
	}
	plat_irq_restore(flags);
}

void sleep_until(uint64_t deadline_ns)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	while (time_ns() < deadline_ns && !signal_pending(t)) {
		t->wchan = &t->wake_at_ns;
		t->state = TASK_BLOCKED;
		task_block(deadline_ns);
		t->wchan = NULL;
	}
	plat_irq_restore(flags);
}

void sched_tick(void)
{
	need_resched = true;
	wake_expired();
	itimer_tick();
}

uint64_t sched_online_mask(void)
{
	return 1;	/* CPU 0 */
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
	for (unsigned i = 0; i < ARRAY_LEN(wait_hash); i++)
		list_init(&wait_hash[i]);
	task_cache_init();
	cpu_set_kernel_stack((uint64_t)boot_stack_top);
	timer_init(sched_tick);
}
