// SPDX-License-Identifier: MIT
/*
 * The scheduler, on every online CPU.
 *
 * Each CPU has its own FIFO run queue, with its own lock, and an idle task
 * that runs when the queue is empty. A woken task goes to a CPU its
 * affinity allows: an idle one first (preferring where it ran last), else
 * the shortest queue; a remote idle CPU is kicked with a reschedule IPI.
 * Load balancing, both pulls by the CPU that would run the tasks:
 *  - idle pull: a CPU that reschedules with nothing waiting in its own
 *    queue (idle, or about to run its current task again) takes a waiting
 *    task from the longest queue of another;
 *  - periodic balance: every BALANCE_TICKS ticks a CPU compares its load
 *    (queued tasks plus the one it runs) with the busiest CPU's, and if
 *    that one has two or more more, takes half the difference from its
 *    queue. Only queued tasks move (never one running), only to a CPU
 *    their affinity allows; the lighter side pulls, so two CPUs never
 *    trade the same task back and forth.
 * Every CPU's timer tick (the PIT on CPU 0, the local APIC timer on the
 * others) asks for a switch at the next return to user mode; the kernel
 * does not preempt itself. Wait channels are hashed into buckets with a lock each
 * (wakeup() looks at one bucket), and sleepers with a deadline sit on one
 * queue sorted by it (the ticks look at its head).
 *
 * A task's scheduling state:
 *  - on_rq: it is running, or queued on run queue rq_cpu. Set by a wake
 *    (under the task's pi_lock and the queue's lock), cleared by its own
 *    schedule() when it blocks or ends (under its CPU's queue lock).
 *  - on_cpu: a CPU runs on its stack, from the moment the CPU picks it until
 *    that CPU has switched away (so a reaper or a waker can wait for it).
 *  - state: RUNNABLE, BLOCKED, ZOMBIE. A task sets BLOCKED on itself, under
 *    the lock its waker takes too, then calls schedule(). A wake of a task
 *    still on_rq (it has not got as far as its switch) only marks it
 *    runnable, under the queue lock its schedule() decides under, so it
 *    stays. A wake of a task that has left its queue waits for it to leave
 *    its CPU too, then queues it where select_cpu() says.
 *
 * Lock order, outermost first (all taken with interrupts off):
 *   a wait bucket's lock, or sleep_lock (the deadline queue)
 *   -> task.pi_lock (wakes and affinity changes of that task)
 *   -> run queue locks (two at once only in ascending CPU order: steal()
 *      and balance(), through lock_pair())
 * These are the innermost locks of the kernel proper: tasklist_lock,
 * task_lock, the signal lock and the futex buckets nest outside them,
 * and nothing but the TLB mailboxes (lock-free) is used under them. A
 * CPU's queue lock is held across its context switch and released by the
 * task switched to (finish_switch()), so no other CPU can take the task
 * being switched away from off that queue before its registers are saved.
 * A running task that loses the right to this CPU (affinity) is queued
 * elsewhere only after that switch.
 */
#include "smp.h"
#include "kernel/perf.h"
#include "kernel/task.h"
#include "kernel/proc/cputime.h"
#include "mm/heap.h"
#include "mm/vmalloc.h"

#define WAIT_HASH_BITS	8
#define STEAL_LOOK	8	/* queued tasks an idle CPU looks at per victim */
#define BALANCE_TICKS	4	/* ticks between a CPU's periodic balances */
#define BALANCE_LOOK	16	/* queued tasks a balance looks at per victim */

struct run_queue {
	spinlock_t lock;
	struct list_node tasks;		/* of task.run_node, FIFO */
	unsigned nr;			/* read without the lock as a hint */
	/* Only its own CPU, interrupts off: */
	unsigned ticks;			/* since its last periodic balance */
	bool balance_due;		/* set by the tick, done by the next schedule() */
	MM_ATOMIC64 uint64_t pulled;	/* tasks it took by periodic balance (read by others) */
	unsigned balances;		/* periodic balances done (read by others) */
} __attribute__((aligned(64)));
MM_ATOMIC64_OK(struct run_queue, pulled);

struct wait_bucket {
	spinlock_t lock;
	struct list_node tasks;		/* of task.wait_node */
};

static struct run_queue rqs[MM_MAX_CPUS];
static spinlock_t sleep_lock = SPINLOCK_INIT;
static struct list_node sleep_queue = LIST_INIT(sleep_queue);
static struct wait_bucket wait_hash[1u << WAIT_HASH_BITS];
static volatile mm_cpumask_t sched_cpus = 1;	/* CPUs that run tasks; CPU 0 from boot */

/* Every lock here is taken with interrupts already off. */
static void lock(spinlock_t *l)
{
	(void)spin_lock_irqsave(l);
}

static void unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static struct wait_bucket *wait_bucket(const void *chan)
{
	uint64_t h = (uintptr_t)chan * 0x9e3779b97f4a7c15ull;

	return &wait_hash[h >> (64 - WAIT_HASH_BITS)];
}

#ifdef KPERF
/*
 * The profiling build's record of the longest wait of a runnable task for a
 * CPU: a woken task that cannot run is kept off by whatever holds the CPU
 * without entering the scheduler (the kernel does not preempt itself), and
 * the holder's way into the scheduler says which path that was.
 */
static spinlock_t wait_rec_lock = SPINLOCK_INIT;	/* innermost */
static struct sched_wait_record wait_worst;

/* @t is runnable from now on. */
static void wait_begin(struct task *t)
{
	t->runnable_ns = time_ns();
}

/* @next gets the CPU from @prev (interrupts off). */
static void wait_end(const struct task *prev, struct task *next)
{
	uint64_t d;

	if (!next->runnable_ns)
		return;
	d = time_ns() - next->runnable_ns;
	next->runnable_ns = 0;
	if (next == this_cpu()->idle)
		return;
	lock(&wait_rec_lock);
	if (d > wait_worst.ns) {
		wait_worst.ns = d;
		wait_worst.pid = next->pid;
		strlcpy(wait_worst.name, next->name, sizeof(wait_worst.name));
		strlcpy(wait_worst.holder, prev->name, sizeof(wait_worst.holder));
		wait_worst.holder_site = prev->sched_site;
	}
	unlock(&wait_rec_lock);
}

static void note_site(uintptr_t site)
{
	struct task *t = current();

	if (t)
		t->sched_site = site;
}

/**
 * sched_wait_get() - the longest wait of a runnable task for a CPU (KPERF)
 * @r: filled in
 */
void sched_wait_get(struct sched_wait_record *r)
{
	unsigned long flags = spin_lock_irqsave(&wait_rec_lock);

	*r = wait_worst;
	spin_unlock_irqrestore(&wait_rec_lock, flags);
}

void sched_wait_reset(void)
{
	unsigned long flags = spin_lock_irqsave(&wait_rec_lock);

	wait_worst = (struct sched_wait_record){ 0 };
	spin_unlock_irqrestore(&wait_rec_lock, flags);
}
#else
static inline void wait_begin(struct task *t)
{
	(void)t;
}

static inline void wait_end(const struct task *prev, struct task *next)
{
	(void)prev;
	(void)next;
}

static inline void note_site(uintptr_t site)
{
	(void)site;
}
#endif

/* Notes where the caller of a scheduler entry point is (KPERF: who gave up the CPU). */
#define NOTE_CALLER()	note_site((uintptr_t)__builtin_return_address(0))

static bool allowed_on(const struct task *t, unsigned cpu)
{
	return (t->affinity >> cpu) & 1;
}

static unsigned rq_nr(unsigned cpu)
{
	return __atomic_load_n(&rqs[cpu].nr, __ATOMIC_RELAXED);
}

static void rq_nr_add(unsigned cpu, int d)
{
	__atomic_store_n(&rqs[cpu].nr, rqs[cpu].nr + d, __ATOMIC_RELAXED);
}

static bool cpu_runs_idle(unsigned cpu)
{
	const struct cpu_local *c = cpu_data[cpu];

	return __atomic_load_n(&c->current, __ATOMIC_RELAXED) == c->idle;
}

/* Idle and nothing queued (a hint: read without the queue's lock). */
static bool cpu_is_idle(unsigned cpu)
{
	return cpu_runs_idle(cpu) && !rq_nr(cpu);
}

static unsigned cpu_load(unsigned cpu)
{
	return rq_nr(cpu) + !cpu_runs_idle(cpu);
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

/* Queues @t on @cpu (its queue lock held); a remote idle CPU gets an IPI. */
static void rq_add(struct task *t, unsigned cpu)
{
	list_add_tail(&rqs[cpu].tasks, &t->run_node);
	rq_nr_add(cpu, 1);
	t->rq_cpu = cpu;
	if (cpu != this_cpu()->id && cpu_runs_idle(cpu))
		smp_send_resched(cpu);
}

static void rq_remove(struct task *t)
{
	list_del(&t->run_node);
	rq_nr_add(t->rq_cpu, -1);
}

/* Puts a runnable @t, on no queue and no CPU, on @cpu's queue (t->pi_lock held). */
static void activate(struct task *t, unsigned cpu)
{
	lock(&rqs[cpu].lock);
	rq_add(t, cpu);
	t->on_rq = true;
	unlock(&rqs[cpu].lock);
}

/*
 * Locks the queue of an on_rq @t and returns its CPU; false if @t is not
 * on_rq (t->pi_lock held, so nothing queues it meanwhile).
 */
static bool lock_task_rq(struct task *t, unsigned *cpu)
{
	for (;;) {
		if (!__atomic_load_n(&t->on_rq, __ATOMIC_ACQUIRE))
			return false;
		unsigned c = __atomic_load_n(&t->rq_cpu, __ATOMIC_RELAXED);
		lock(&rqs[c].lock);
		if (t->on_rq && t->rq_cpu == c) {
			*cpu = c;
			return true;
		}
		unlock(&rqs[c].lock);	/* it moved (steal) or left: look again */
	}
}

/* Locks the queues of @a and @b (a != b) in ascending CPU order. */
static void lock_pair(unsigned a, unsigned b)
{
	lock(&rqs[a < b ? a : b].lock);
	lock(&rqs[a < b ? b : a].lock);
}

static void unlock_pair(unsigned a, unsigned b)
{
	unlock(&rqs[a].lock);
	unlock(&rqs[b].lock);
}

/*
 * Moves up to @n queued tasks that may run on @to from @from's queue to the
 * back of @to's, looking at no more than @look of them (both locks held).
 * A queued task is off its CPU: its registers were saved before its queue's
 * lock was released. Return: how many moved.
 */
static unsigned move_queued(unsigned to, unsigned from, unsigned n, unsigned look)
{
	unsigned moved = 0;
	struct list_node *pos = rqs[from].tasks.next;

	while (moved < n && look-- && pos != &rqs[from].tasks) {
		struct task *t = list_entry(pos, struct task, run_node);
		pos = pos->next;
		if (!allowed_on(t, to))
			continue;
		rq_remove(t);
		list_add_tail(&rqs[to].tasks, &t->run_node);
		rq_nr_add(to, 1);
		__atomic_store_n(&t->rq_cpu, to, __ATOMIC_RELAXED);
		moved++;
	}
	return moved;
}

/* An idle @cpu takes the first task it may run from the longest other queue. */
static void steal(unsigned cpu)
{
	unsigned victim = cpu;

	for (unsigned o = 0; o < MM_MAX_CPUS && (sched_cpus >> o); o++)
		if (o != cpu && ((sched_cpus >> o) & 1) && rq_nr(o) > rq_nr(victim))
			victim = o;
	if (victim == cpu)
		return;
	lock_pair(cpu, victim);
	if (!rqs[cpu].nr)
		move_queued(cpu, victim, 1, STEAL_LOOK);
	unlock_pair(cpu, victim);
}

/*
 * Takes half the load difference from @from's queue if @from has two or
 * more tasks more than @cpu (@running: @cpu's current task stays runnable).
 * The loads are compared under both queue locks: there a queue's count and
 * its CPU's current task agree (a CPU holds its own lock from queueing its
 * old task until it runs the new one). Return: how many moved.
 */
static unsigned balance_from(unsigned cpu, unsigned from, bool running)
{
	unsigned moved = 0;

	lock_pair(cpu, from);
	unsigned have = rqs[cpu].nr + running, load = rqs[from].nr + !cpu_runs_idle(from);
	if (load >= have + 2)
		moved = move_queued(cpu, from, (load - have) / 2, BALANCE_LOOK);
	unlock_pair(cpu, from);
	rqs[cpu].pulled += moved;
	return moved;
}

/*
 * @cpu's periodic balance, from its schedule(): the busiest CPU first; if
 * none of its queued tasks may run here (affinity), the others loaded
 * enough, in CPU order.
 */
static void balance(unsigned cpu, bool running)
{
	unsigned busiest = cpu, mine = rq_nr(cpu) + running, most = mine;

	__atomic_store_n(&rqs[cpu].balances, rqs[cpu].balances + 1, __ATOMIC_RELAXED);

	for (unsigned o = 0; o < MM_MAX_CPUS && (sched_cpus >> o); o++)
		if (o != cpu && ((sched_cpus >> o) & 1) && cpu_load(o) > most) {
			most = cpu_load(o);
			busiest = o;
		}
	if (most < mine + 2 || balance_from(cpu, busiest, running))
		return;
	for (unsigned o = 0; o < MM_MAX_CPUS && (sched_cpus >> o); o++)
		if (o != cpu && o != busiest && ((sched_cpus >> o) & 1) &&
		    cpu_load(o) >= mine + 2 && balance_from(cpu, o, running))
			return;
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

/*
 * Makes a blocked @t runnable; @timed_out tells it its deadline did.
 * Return: whether it was blocked (this call woke it).
 */
static bool try_wake(struct task *t, bool timed_out)
{
	unsigned long flags = spin_lock_irqsave(&t->pi_lock);
	bool woke = false;
	unsigned cpu;

	if (t->state != TASK_BLOCKED)
		goto out;
	if (lock_task_rq(t, &cpu)) {	/* not switched away yet: it stays */
		t->timed_out = timed_out;
		t->state = TASK_RUNNABLE;
		unlock(&rqs[cpu].lock);
		woke = true;
		goto out;
	}
	task_wait_off_cpu(t);		/* its registers are saved */
	t->timed_out = timed_out;
	t->state = TASK_RUNNABLE;
	wait_begin(t);
	activate(t, select_cpu(t));
	woke = true;
out:
	spin_unlock_irqrestore(&t->pi_lock, flags);
	return woke;
}

/* Wakes every sleeper whose deadline has passed. */
static void wake_expired(void)
{
	if (list_empty(&sleep_queue))	/* a hint; the tick looks again */
		return;
	unsigned long flags = spin_lock_irqsave(&sleep_lock);
	uint64_t now = time_ns();

	while (!list_empty(&sleep_queue)) {
		struct task *t = list_first(&sleep_queue, struct task, sleep_node);
		if (t->wake_at_ns > now)
			break;
		list_del(&t->sleep_node);
		try_wake(t, true);
	}
	spin_unlock_irqrestore(&sleep_lock, flags);
}

/* Inserts @t by deadline, after those with the same one (FIFO among equals). */
static void sleep_queue_insert(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&sleep_lock);
	struct list_node *pos = sleep_queue.prev;

	while (pos != &sleep_queue &&
	       list_entry(pos, struct task, sleep_node)->wake_at_ns > t->wake_at_ns)
		pos = pos->prev;
	list_insert_between(&t->sleep_node, pos, pos->next);
	spin_unlock_irqrestore(&sleep_lock, flags);
}

static void sleep_queue_remove(struct task *t)
{
	if (!list_linked(&t->sleep_node))	/* only wake_expired() unlinks it */
		return;
	unsigned long flags = spin_lock_irqsave(&sleep_lock);
	if (list_linked(&t->sleep_node))
		list_del(&t->sleep_node);
	spin_unlock_irqrestore(&sleep_lock, flags);
}

/**
 * task_wake() - make a blocked task runnable
 * @t: the task; nothing happens unless it is blocked
 */
void task_wake(struct task *t)
{
	try_wake(t, false);
}

void task_wake_interruptible(struct task *t)
{
	if (__atomic_load_n(&t->wchan, __ATOMIC_ACQUIRE) != &t->vfork_done)
		try_wake(t, false);
}

void task_make_runnable(struct task *t)
{
	t->state = TASK_BLOCKED;
	task_wake(t);
}

static void switch_to(struct cpu_local *c, struct task *prev, struct task *next)
{
	if (kmap_held())
		panic("sched: %s switches away holding %u temporary mapping(s) (plat_kmap)",
		      prev->name, kmap_held());
	if (prev->mm) {
		fpu_save(prev->fpu);
		prev->pkru = arch_pkru_read();
	}
	prev->fs_base = arch_tls_save();
	__atomic_store_n(&c->current, next, __ATOMIC_RELAXED);
	c->switched_from = prev;
	next->last_cpu = c->id;
	next->rq_cpu = c->id;
	next->on_cpu = true;
	cpu_set_kernel_stack((uintptr_t)next->kstack + KSTACK_SIZE);
	arch_switch_address_space(next);
	if (next->mm) {
		fpu_restore(next->fpu);
		arch_pkru_write(next->pkru);
	}
	arch_tls_load(next->fs_base);
	switch_context(&prev->saved_sp, next->saved_sp);
}

/*
 * After a switch, on the task switched to (on whichever CPU it now runs):
 * the task switched away from has left its stack, so others may take it;
 * this CPU's queue lock, held across the switch, is released; a task that
 * may no longer run here is queued where it may.
 */
static void finish_switch(void)
{
	struct cpu_local *c = this_cpu();
	struct task *moving = c->sched_moving;

	c->sched_moving = NULL;
	__atomic_store_n(&c->switched_from->on_cpu, false, __ATOMIC_RELEASE);
	c->switched_from = NULL;
	unlock(&rqs[c->id].lock);
	if (moving) {
		unsigned long flags = spin_lock_irqsave(&moving->pi_lock);
		if (!moving->on_rq && moving->state == TASK_RUNNABLE)
			activate(moving, select_cpu(moving));
		spin_unlock_irqrestore(&moving->pi_lock, flags);
	}
}

/**
 * sched_finish_switch() - a new task's first words (task_trampoline)
 *
 * Completes the switch that started it; interrupts stay off.
 */
void sched_finish_switch(void)
{
	finish_switch();
}

/* schedule() with interrupts off and no scheduler lock held. */
static void schedule_irqs_off(void)
{
	struct cpu_local *c = this_cpu();
	struct task *prev = c->current, *next;
	struct run_queue *rq = &rqs[c->id];

	wake_expired();
	if (rq->balance_due) {
		rq->balance_due = false;
		balance(c->id, prev != c->idle && prev->state == TASK_RUNNABLE &&
			       allowed_on(prev, c->id));
	}
	if (!rq_nr(c->id))
		steal(c->id);	/* nothing else waits here: help a CPU where tasks do */
	lock(&rq->lock);
	c->need_resched = false;
	if (prev != c->idle) {
		if (prev->state != TASK_RUNNABLE)
			__atomic_store_n(&prev->on_rq, false, __ATOMIC_RELAXED);
		else if (allowed_on(prev, c->id)) {
			wait_begin(prev);
			rq_add(prev, c->id);
		}
		else {			/* queued elsewhere once off this CPU */
			__atomic_store_n(&prev->on_rq, false, __ATOMIC_RELAXED);
			c->sched_moving = prev;
		}
	}
	next = rq_pick(c->id);
	if (!next)
		next = c->idle;
	else if (rq->nr)
		kick_idle(c->id);
	if (next == prev) {
		next->runnable_ns = 0;
		unlock(&rq->lock);
		return;
	}
	wait_end(prev, next);
	if (prev != c->idle) {		/* /proc/PID/status's context switches */
		if (prev->state == TASK_RUNNABLE)
			prev->nivcsw++;
		else
			prev->nvcsw++;
	}
	cputime_switch(prev);
	switch_to(c, prev, next);
	finish_switch();
}

/**
 * schedule() - run the next runnable task; the idle task if there is none
 *
 * Called with interrupts in any state and no scheduler lock held; returns,
 * with interrupts as they were, when this task is chosen again (perhaps on
 * another CPU). A runnable caller goes to the back of its CPU's run queue.
 */
void schedule(void)
{
	unsigned long flags = plat_irq_save();

	NOTE_CALLER();
	schedule_irqs_off();
	plat_irq_restore(flags);
}

void yield(void)
{
	unsigned long flags = plat_irq_save();

	NOTE_CALLER();
	schedule_irqs_off();
	plat_irq_restore(flags);
}

/* Is there queued work this CPU would switch to? */
bool sched_others_runnable(void)
{
	unsigned long flags = plat_irq_save();

	wake_expired();
	bool r = rq_nr(this_cpu()->id) != 0;
	plat_irq_restore(flags);
	return r;
}

/* Blocks the current task, already TASK_BLOCKED, until woken or @deadline_ns. */
static bool block_irqs_off(struct task *t, uint64_t deadline_ns)
{
	if (t->state != TASK_BLOCKED)
		return false;	/* woken already (timed_out is false then) */
	t->wake_at_ns = deadline_ns;
	if (deadline_ns)
		sleep_queue_insert(t);
	schedule_irqs_off();
	sleep_queue_remove(t);
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
	unsigned long flags = plat_irq_save();
	bool r;

	NOTE_CALLER();
	r = block_irqs_off(current(), deadline_ns);
	plat_irq_restore(flags);
	return r;
}

/* Queues @t on @chan, blocked (interrupts off). */
static void sleep_on_queue(struct task *t, const void *chan)
{
	struct wait_bucket *b = wait_bucket(chan);

	lock(&b->lock);
	__atomic_store_n(&t->wchan, chan, __ATOMIC_RELAXED);
	list_add_tail(&b->tasks, &t->wait_node);
	t->state = TASK_BLOCKED;
	unlock(&b->lock);
}

static void sleep_on_done(struct task *t, const void *chan)
{
	struct wait_bucket *b = wait_bucket(chan);

	lock(&b->lock);
	list_del(&t->wait_node);
	t->wchan = NULL;
	unlock(&b->lock);
}

void sleep_on(const void *chan)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	NOTE_CALLER();
	sleep_on_queue(t, chan);
	block_irqs_off(t, 0);
	sleep_on_done(t, chan);
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

	NOTE_CALLER();
	sleep_on_queue(t, chan);
	spin_unlock_irqrestore(lock, plat_irq_save());	/* interrupts stay off */
	block_irqs_off(t, 0);
	sleep_on_done(t, chan);
}

/**
 * sleep_on_unlock_until() - sleep_on_unlock() that a signal or a deadline ends too
 * @chan: what to wait for
 * @lock: held, taken with spin_lock_irqsave()
 * @deadline_ns: time_ns() at which the task wakes by itself; 0 for none
 *
 * Queued and blocked before @lock is released and before signal_pending()
 * is looked at, so neither a wakeup(@chan) nor a signal sent meanwhile is
 * missed (a pending one makes it return at once). Returns with @lock
 * released and interrupts still off.
 * Return: true if the deadline passed before anything woke the task.
 */
bool sleep_on_unlock_until(const void *chan, spinlock_t *lock, uint64_t deadline_ns)
{
	struct task *t = current();
	bool timed_out = false;

	NOTE_CALLER();
	sleep_on_queue(t, chan);
	spin_unlock_irqrestore(lock, plat_irq_save());	/* interrupts stay off */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (signal_pending(t))
		t->state = TASK_RUNNABLE;
	else
		timed_out = block_irqs_off(t, deadline_ns);
	sleep_on_done(t, chan);
	return timed_out;
}

void wakeup(const void *chan)
{
	struct wait_bucket *b = wait_bucket(chan);
	unsigned long flags = spin_lock_irqsave(&b->lock);

	list_for_each(n, &b->tasks) {
		struct task *t = list_entry(n, struct task, wait_node);
		if (t->wchan == chan)
			try_wake(t, false);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

void sleep_until(uint64_t deadline_ns)
{
	unsigned long flags = plat_irq_save();
	struct task *t = current();

	NOTE_CALLER();
	for (;;) {
		__atomic_store_n(&t->wchan, &t->wake_at_ns, __ATOMIC_RELAXED);
		t->state = TASK_BLOCKED;
		/* Blocked before the checks: a signal sent after them wakes it. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (time_ns() >= deadline_ns || signal_pending(t))
			break;
		block_irqs_off(t, deadline_ns);
	}
	t->state = TASK_RUNNABLE;
	t->wchan = NULL;
	plat_irq_restore(flags);
}

/*
 * Every CPU's tick: a switch at the next return to user mode; due sleepers
 * wake; every BALANCE_TICKS ticks that switch balances the load first.
 */
static void tick_this_cpu(void)
{
	struct cpu_local *c = this_cpu();
	struct run_queue *rq = &rqs[c->id];

	cputime_tick();
	if (++rq->ticks >= BALANCE_TICKS) {
		rq->ticks = 0;
		rq->balance_due = true;
	}
	c->need_resched = true;
	wake_expired();
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
 * sched_cpu_queue() - a CPU's run queue figures (hints: read without its lock)
 * @cpu: an online CPU
 * @queued: set to the tasks waiting in its queue
 * Return: the tasks it has taken from other CPUs by periodic balance.
 */
uint64_t sched_cpu_queue(unsigned cpu, unsigned *queued)
{
	*queued = rq_nr(cpu);
	return __atomic_load_n(&rqs[cpu].pulled, __ATOMIC_RELAXED);
}

/**
 * sched_cpu_balances() - how many periodic balances @cpu has done (a hint)
 * @cpu: an online CPU
 *
 * It counts the CPU's own progress: a CPU that does not run (a virtual
 * one its host has stopped) does not balance, however much time passes.
 */
unsigned sched_cpu_balances(unsigned cpu)
{
	return __atomic_load_n(&rqs[cpu].balances, __ATOMIC_RELAXED);
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
	unsigned long flags = spin_lock_irqsave(&t->pi_lock);
	unsigned cpu;
	bool requeue = false;

	t->affinity = mask;
	if (lock_task_rq(t, &cpu)) {
		if (list_linked(&t->run_node) && !allowed_on(t, cpu)) {
			rq_remove(t);
			requeue = true;
		} else if (t->on_cpu && !allowed_on(t, cpu) && t != current()) {
			cpu_data[cpu]->need_resched = true;
			smp_send_resched(cpu);
		}
		unlock(&rqs[cpu].lock);
	}
	if (requeue) {
		unsigned to = select_cpu(t);
		lock(&rqs[to].lock);
		rq_add(t, to);
		unlock(&rqs[to].lock);
	}
	spin_unlock_irqrestore(&t->pi_lock, flags);
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
		if (!rq_nr(c->id) && !c->need_resched)
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
	list_init(&rqs[c->id].tasks);
	__atomic_fetch_or(&sched_cpus, (mm_cpumask_t)1 << c->id, __ATOMIC_SEQ_CST);
	smp_tick_register(tick_this_cpu);
	idle_loop();
}

/**
 * sched_idle_task() - make CPU @cpu's idle task
 * @cpu: the CPU it idles on
 *
 * A stack of its own, outside the pid table; runnable, allowed on @cpu only.
 * Return: the task, or NULL without memory.
 */
struct task *sched_idle_task(unsigned cpu)
{
	struct task *idle = kzalloc(sizeof(*idle));

	if (!idle)
		return NULL;
	if (!(idle->kstack = vmalloc(KSTACK_SIZE))) {
		kfree(idle);
		return NULL;
	}
	list_init(&idle->run_node);
	list_init(&idle->wait_node);
	list_init(&idle->sleep_node);
	ksnprintf(idle->name, sizeof(idle->name), "idle/%u", cpu);
	idle->state = TASK_RUNNABLE;
	idle->affinity = (mm_cpumask_t)1 << cpu;
	idle->started_ns = time_ns();
	return idle;
}

uintptr_t task_kstack_top(const struct task *t)
{
	return (uintptr_t)t->kstack + KSTACK_SIZE;
}

/**
 * task_stack_has_room() - is @sp on the running task's kernel stack, @room bytes above its end?
 * @sp: a stack pointer (or a trap frame's address)
 * @room: bytes that must lie below it on that stack
 *
 * False with no task, or on any other stack (boot, IST).
 */
bool task_stack_has_room(uintptr_t sp, uintptr_t room)
{
	const struct task *t = current();
	uintptr_t base = t ? (uintptr_t)t->kstack : 0;

	return base && sp <= base + KSTACK_SIZE && sp >= base + room;
}

/* CPU 0's idle task starts in idle_main at its first switch. */
static void boot_idle_init(void)
{
	struct task *idle = sched_idle_task(0);

	if (!idle)
		panic("sched: no memory for the idle task");
	task_prepare_switch(idle, task_kstack_top(idle), idle_main, NULL);
	cpu0.idle = idle;
}

/**
 * sched_init() - make the boot context task 0 and start the tick
 */
void sched_init(void)
{
	for (unsigned i = 0; i < ARRAY_LEN(wait_hash); i++)
		list_init(&wait_hash[i].tasks);
	list_init(&rqs[0].tasks);
	task_cache_init();
	cpu_set_kernel_stack((uintptr_t)boot_stack_top);
	timer_init(sched_tick);
	boot_idle_init();	/* (its start time needs the clock) */
}
