// SPDX-License-Identifier: MIT
/*
 * The scheduler, on every online CPU.
 *
 * Each CPU has its own FIFO run queue and an idle task that runs when the
 * queue is empty. A woken task goes to a CPU its affinity allows: an idle
 * one first (preferring where it ran last), else the shortest queue. A CPU
 * that reschedules with nothing waiting in its own queue (idle, or about to
 * run its current task again) takes a waiting task from the longest queue
 * of another (simple load balancing); an idle CPU is kicked with a
 * reschedule IPI when work is queued for it or left waiting elsewhere. Every CPU's timer tick (the PIT on CPU 0,
 * the local APIC timer on the others) asks for a switch at the next return
 * to user mode; the kernel does not preempt itself. Wait channels are
 * hashed into buckets (wakeup() looks at one bucket), and sleepers with a
 * deadline sit on one queue sorted by it (the ticks look at its head).
 *
 * A running task is on no queue (on_cpu is set from the moment a CPU picks
 * it until the CPU has switched away from its stack, so a reaper or a
 * waker on another CPU can tell); a runnable one is on one CPU's run
 * queue; a blocked one may be in a wait bucket and, with a deadline, on
 * the sleep queue. A wake of a task that is still on its CPU only marks it
 * runnable: its own schedule() queues it again.
 *
 * Lock order: sched_lock is the innermost lock of the kernel proper. It is
 * taken (interrupts off) under tasklist_lock, task_lock, the signal lock
 * and the futex buckets, never the other way round, and nothing but the
 * TLB mailboxes (lock-free) is used under it. It guards every run queue,
 * the wait buckets, the sleep queue and each task's state, on_cpu and
 * queue links. It is held across the context switch: the task switched to
 * releases it (sched_finish_switch()), so no other CPU can pick the task
 * being switched away from until its registers are saved.
 *
 * Why one lock for all the queues: it is taken only to block, wake and
 * switch, never on the memory paths (faults, mmap, the allocators), and its
 * hold times are a few hundred instructions; with the handover across the
 * switch it makes the migration rules above simple to prove. Per-queue
 * locks are the next step once a measurement shows this lock contended.
 */
#include "smp.h"
#include "kernel/task.h"
#include "mm/heap.h"
#include "mm/vmalloc.h"

#define WAIT_HASH_BITS	8
#define STEAL_LOOK	8	/* queued tasks an idle CPU looks at per victim */

struct run_queue {
	struct list_node tasks;		/* of task.run_node, FIFO */
	unsigned nr;
};

static spinlock_t sched_lock = SPINLOCK_INIT;
static struct run_queue rqs[MM_MAX_CPUS];
static struct list_node sleep_queue = LIST_INIT(sleep_queue);
static struct list_node wait_hash[1u << WAIT_HASH_BITS];
static volatile mm_cpumask_t sched_cpus = 1;	/* CPUs that run tasks; CPU 0 from boot */

static struct list_node *wait_bucket(const void *chan)
{
	uint64_t h = (uintptr_t)chan * 0x9e3779b97f4a7c15ull;

	return &wait_hash[h >> (64 - WAIT_HASH_BITS)];
}

static bool allowed_on(const struct task *t, unsigned cpu)
{
	return (t->affinity >> cpu) & 1;
}

/* Idle and nothing queued (sched_lock held). */
static bool cpu_is_idle(unsigned cpu)
{
	const struct cpu_local *c = cpu_data[cpu];

	return c->current == c->idle && !rqs[cpu].nr;
}

static unsigned cpu_load(unsigned cpu)
{
	const struct cpu_local *c = cpu_data[cpu];

	return rqs[cpu].nr + (c->current != c->idle);
}

/* Where a woken @t should run: idle first (its last CPU best), else the least loaded. */
static unsigned select_cpu(const struct task *t)
{
	mm_cpumask_t allowed = t->affinity & sched_cpus;
	unsigned best = t->last_cpu;

	if (!allowed)
		allowed = sched_cpus;	/* its CPUs went away: anywhere */
	if (!((allowed >> best) & 1))
		best = (unsigned)__builtin_ctzll(allowed);
	if (cpu_is_idle(best))
		return best;
	for (unsigned cpu = 0; cpu < MM_MAX_CPUS && (allowed >> cpu); cpu++) {
		if (!((allowed >> cpu) & 1))
			continue;
		if (cpu_is_idle(cpu))
			return cpu;
		if (cpu_load(cpu) < cpu_load(best))
			best = cpu;
	}
	return best;
}

static void rq_add(struct task *t, unsigned cpu)
{
	list_add_tail(&rqs[cpu].tasks, &t->run_node);
	rqs[cpu].nr++;
	t->rq_cpu = cpu;
	if (cpu != this_cpu()->id && cpu_data[cpu]->current == cpu_data[cpu]->idle)
		smp_send_resched(cpu);
}

static void rq_remove(struct task *t)
{
	list_del(&t->run_node);
	rqs[t->rq_cpu].nr--;
}

/* Queues a runnable @t that is on no CPU and no queue. */
static void rq_enqueue(struct task *t)
{
	if (!list_linked(&t->run_node) && !t->on_cpu)
		rq_add(t, select_cpu(t));
}

/* An idle @cpu takes the first task it may run from the longest other queue. */
static void steal(unsigned cpu)
{
	unsigned victim = cpu;

	for (unsigned o = 0; o < MM_MAX_CPUS && (sched_cpus >> o); o++)
		if (o != cpu && rqs[o].nr > rqs[victim].nr)
			victim = o;
	if (victim == cpu)
		return;
	unsigned looked = 0;
	list_for_each(n, &rqs[victim].tasks) {
		struct task *t = list_entry(n, struct task, run_node);
		if (allowed_on(t, cpu)) {
			rq_remove(t);
			rq_add(t, cpu);
			return;
		}
		if (++looked == STEAL_LOOK)
			return;
	}
}

static struct task *rq_pick(unsigned cpu)
{
	struct run_queue *rq = &rqs[cpu];

	if (!rq->nr)
		return NULL;
	struct task *t = list_first(&rq->tasks, struct task, run_node);
	rq_remove(t);
	return t;
}

/* Work is left queued here: wake an idle CPU that may take it. */
static void kick_idle(unsigned self)
{
	struct task *t = list_first(&rqs[self].tasks, struct task, run_node);

	for (unsigned cpu = 0; cpu < MM_MAX_CPUS && (sched_cpus >> cpu); cpu++)
		if (cpu != self && ((sched_cpus >> cpu) & 1) && allowed_on(t, cpu) &&
		    cpu_is_idle(cpu)) {
			smp_send_resched(cpu);
			return;
		}
}

/* Makes a blocked @t runnable (sched_lock held). */
static void wake_locked(struct task *t)
{
	if (t->state != TASK_BLOCKED)
		return;
	if (list_linked(&t->sleep_node))
		list_del(&t->sleep_node);
	t->state = TASK_RUNNABLE;
	rq_enqueue(t);
}

/* Wakes every sleeper whose deadline has passed (sched_lock held). */
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
		wake_locked(t);
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
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	wake_locked(t);
	spin_unlock_irqrestore(&sched_lock, flags);
}

void task_wake_interruptible(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	if (t->wchan != &t->vfork_done)
		wake_locked(t);
	spin_unlock_irqrestore(&sched_lock, flags);
}

void task_make_runnable(struct task *t)
{
	t->state = TASK_BLOCKED;
	task_wake(t);
}

static void switch_to(struct cpu_local *c, struct task *prev, struct task *next)
{
	if (prev->mm)
		fpu_save(&prev->fpu);
	prev->fs_base = arch_tls_save();
	c->current = next;
	c->switched_from = prev;
	next->last_cpu = c->id;
	next->on_cpu = true;
	cpu_set_kernel_stack((uintptr_t)next->kstack + KSTACK_SIZE);
	arch_switch_address_space(next);
	if (next->mm)
		fpu_restore(&next->fpu);
	arch_tls_load(next->fs_base);
	switch_context(&prev->saved_sp, next->saved_sp);
}

/*
 * After a switch, on the task switched to (on whichever CPU it now runs):
 * the task switched away from has left its stack, so others may take it.
 */
static void finish_switch(void)
{
	struct cpu_local *c = this_cpu();

	__atomic_store_n(&c->switched_from->on_cpu, false, __ATOMIC_RELEASE);
	c->switched_from = NULL;
}

/**
 * sched_finish_switch() - a new task's first words (task_trampoline)
 *
 * Completes the switch that started it and releases sched_lock; interrupts
 * stay off.
 */
void sched_finish_switch(void)
{
	finish_switch();
	spin_unlock_irqrestore(&sched_lock, plat_irq_save());
}

/* schedule() with sched_lock held and interrupts off. */
static void schedule_locked(void)
{
	struct cpu_local *c = this_cpu();
	struct task *prev = c->current, *next;

	c->need_resched = false;
	wake_expired();
	if (!rqs[c->id].nr)
		steal(c->id);	/* nothing else waits here: help a CPU where tasks do */
	if (prev != c->idle && prev->state == TASK_RUNNABLE)
		rq_add(prev, allowed_on(prev, c->id) ? c->id : select_cpu(prev));
	next = rq_pick(c->id);
	if (!next)
		next = c->idle;
	else if (rqs[c->id].nr)
		kick_idle(c->id);
	if (next == prev)
		return;
	switch_to(c, prev, next);
	finish_switch();
}

/**
 * schedule() - run the next runnable task; the idle task if there is none
 *
 * Called with interrupts in any state; returns, with them as they were,
 * when this task is chosen again (perhaps on another CPU). A runnable
 * caller goes to the back of its CPU's run queue.
 */
void schedule(void)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	schedule_locked();
	spin_unlock_irqrestore(&sched_lock, flags);
}

void yield(void)
{
	schedule();
}

/* Is there queued work this CPU would switch to? */
bool sched_others_runnable(void)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	wake_expired();
	bool r = rqs[this_cpu()->id].nr != 0;
	spin_unlock_irqrestore(&sched_lock, flags);
	return r;
}

/* Blocks the current task, already TASK_BLOCKED, until woken or @deadline_ns. */
static bool block_locked(struct task *t, uint64_t deadline_ns)
{
	t->timed_out = false;
	if (t->state != TASK_BLOCKED)
		return false;
	t->wake_at_ns = deadline_ns;
	if (deadline_ns)
		sleep_queue_insert(t);
	schedule_locked();
	t->wake_at_ns = 0;
	return t->timed_out;
}

/**
 * task_block() - sleep until task_wake() or a deadline
 * @deadline_ns: time_ns() at which the task wakes by itself; 0 for none
 *
 * Call with interrupts off, after setting the current task TASK_BLOCKED and
 * queueing it (under a lock its waker takes too) where its waker finds it;
 * a wake in between makes this return at once.
 * Return: true if the deadline passed before anyone woke it.
 */
bool task_block(uint64_t deadline_ns)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);
	bool r = block_locked(current(), deadline_ns);

	spin_unlock_irqrestore(&sched_lock, flags);
	return r;
}

/* Sleeps on @chan (sched_lock held). */
static void sleep_on_locked(struct task *t, const void *chan)
{
	t->wchan = chan;
	list_add_tail(wait_bucket(chan), &t->wait_node);
	t->state = TASK_BLOCKED;
}

static void sleep_on_done(struct task *t)
{
	list_del(&t->wait_node);
	t->wchan = NULL;
}

void sleep_on(const void *chan)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);
	struct task *t = current();

	sleep_on_locked(t, chan);
	block_locked(t, 0);
	sleep_on_done(t);
	spin_unlock_irqrestore(&sched_lock, flags);
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
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	sleep_on_locked(t, chan);
	spin_unlock_irqrestore(lock, plat_irq_save());	/* interrupts stay off */
	block_locked(t, 0);
	sleep_on_done(t);
	spin_unlock_irqrestore(&sched_lock, flags);
}

void wakeup(const void *chan)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);
	struct list_node *b = wait_bucket(chan);

	list_for_each(n, b) {
		struct task *t = list_entry(n, struct task, wait_node);
		if (t->wchan == chan)
			wake_locked(t);
	}
	spin_unlock_irqrestore(&sched_lock, flags);
}

void sleep_until(uint64_t deadline_ns)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);
	struct task *t = current();

	while (time_ns() < deadline_ns && !signal_pending(t)) {
		t->wchan = &t->wake_at_ns;
		t->state = TASK_BLOCKED;
		block_locked(t, deadline_ns);
		t->wchan = NULL;
	}
	spin_unlock_irqrestore(&sched_lock, flags);
}

/* Every CPU's tick: a switch at the next return to user mode; due sleepers wake. */
static void tick_this_cpu(void)
{
	this_cpu()->need_resched = true;
	if (!list_empty(&sleep_queue)) {
		unsigned long flags = spin_lock_irqsave(&sched_lock);
		wake_expired();
		spin_unlock_irqrestore(&sched_lock, flags);
	}
}

void sched_tick(void)
{
	tick_this_cpu();
	itimer_tick();
}

uint64_t sched_online_mask(void)
{
	return sched_cpus;
}

/**
 * sched_set_affinity() - restrict @t to the CPUs in @mask
 * @t: a task
 * @mask: a non-empty subset of sched_online_mask()
 *
 * A queued @t moves to an allowed CPU now; a running one at its CPU's next
 * switch (the caller yields if @t is itself).
 */
void sched_set_affinity(struct task *t, uint64_t mask)
{
	unsigned long flags = spin_lock_irqsave(&sched_lock);

	t->affinity = mask;
	if (list_linked(&t->run_node) && !allowed_on(t, t->rq_cpu)) {
		rq_remove(t);
		rq_add(t, select_cpu(t));
	} else if (t->on_cpu && !allowed_on(t, t->last_cpu) && t != current()) {
		cpu_data[t->last_cpu]->need_resched = true;
		smp_send_resched(t->last_cpu);
	}
	spin_unlock_irqrestore(&sched_lock, flags);
}

/*
 * Lays out a switch frame below @frame_top so that the first switch to the
 * task "returns" into task_trampoline, which calls fn(arg).
 */
void task_prepare_switch(struct task *t, uintptr_t frame_top, void (*fn)(void *), void *arg)
{
	t->saved_sp = switch_frame_init(frame_top, fn, arg);
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
	uintptr_t top = (uintptr_t)t->kstack + KSTACK_SIZE;
	struct kthread_start *ks = (struct kthread_start *)(top - 16);
	ks->fn = fn;
	ks->arg = arg;
	task_prepare_switch(t, top - 16, kthread_main, ks);
	t->fs_base = 0;
	task_make_runnable(t);
	return t;
}

/*
 * A CPU's idle task: look for work, halt until an interrupt when there is
 * none. A task queued here after the look sends a reschedule IPI, which
 * stays pending while interrupts are off and ends the halt.
 */
static _Noreturn void idle_loop(void)
{
	for (;;) {
		cli();
		schedule();
		struct cpu_local *c = this_cpu();
		if (!__atomic_load_n(&rqs[c->id].nr, __ATOMIC_RELAXED) && !c->need_resched)
			sti_hlt();
		else
			sti();
	}
}

static void idle_main(void *arg)
{
	(void)arg;
	idle_loop();
}

/**
 * sched_cpu_start() - an application processor joins the scheduler
 *
 * Called on the CPU's idle task (the stack it started on), interrupts
 * off, once its per-CPU block, tables and local APIC work.
 */
void sched_cpu_start(void)
{
	struct cpu_local *c = this_cpu();

	c->idle->on_cpu = true;
	c->idle->last_cpu = c->id;
	c->idle->affinity = (mm_cpumask_t)1 << c->id;
	unsigned long flags = spin_lock_irqsave(&sched_lock);
	list_init(&rqs[c->id].tasks);
	__atomic_fetch_or(&sched_cpus, (mm_cpumask_t)1 << c->id, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&sched_lock, flags);
	smp_tick_register(tick_this_cpu);
	idle_loop();
}

/* CPU 0's idle task: a stack of its own, outside the pid table like the APs'. */
static void boot_idle_init(void)
{
	struct task *idle = kzalloc(sizeof(*idle));

	if (!idle || !(idle->kstack = vmalloc(KSTACK_SIZE)))
		panic("sched: no memory for the idle task");
	list_init(&idle->run_node);
	list_init(&idle->wait_node);
	list_init(&idle->sleep_node);
	strlcpy(idle->name, "idle/0", sizeof(idle->name));
	idle->state = TASK_RUNNABLE;
	idle->affinity = 1;
	idle->started_ns = time_ns();
	task_prepare_switch(idle, (uintptr_t)idle->kstack + KSTACK_SIZE, idle_main, NULL);
	cpu0.idle = idle;
}

/**
 * sched_init() - make the boot context task 0 and start the tick
 */
void sched_init(void)
{
	for (unsigned i = 0; i < ARRAY_LEN(wait_hash); i++)
		list_init(&wait_hash[i]);
	list_init(&rqs[0].tasks);
	task_cache_init();
	cpu_set_kernel_stack((uintptr_t)boot_stack_top);
	timer_init(sched_tick);
	boot_idle_init();	/* (its start time needs the clock) */
}
