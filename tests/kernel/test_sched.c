// SPDX-License-Identifier: MIT
/*
 * The process layer's scheduler structures: the sorted sleep queue wakes
 * sleepers in deadline order and never early, hashed wait channels wake
 * exactly the tasks of their channel, the pid table finds every live
 * task and forgets freed ones (a lookup's reference outlives the free);
 * on several CPUs, threads really run at once, affinity is obeyed and the
 * periodic balance spreads queued tasks evenly.
 */
#include "percpu.h"
#include "kernel/ktest.h"
#include "kernel/task.h"

#define MS	1000000ull

/* Waits until kernel thread @t has ended and left its CPU, then frees it. */
static void reap(struct task *t)
{
	while (t->state != TASK_ZOMBIE || t->on_cpu)
		yield();
	task_free(t);
}

/*
 * The first deadline is far enough ahead that every sleeper is normally in
 * the queue by then; one that starts after its deadline (a host too loaded
 * to run the guest) is noted, and the order is then not the queue's to keep.
 */
#define FIRST_DEADLINE_MS	200

static uint64_t base_ns;
static volatile unsigned woke_order[8], nwoke, started_late;
static volatile uint64_t woke_late[8];

static void sleeper(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	uint64_t deadline = base_ns + (uint64_t)(FIRST_DEADLINE_MS + 10 * i) * MS;

	if (time_ns() >= deadline)
		started_late = 1;
	sleep_until(deadline);
	woke_late[i] = time_ns() >= deadline;
	woke_order[__atomic_fetch_add(&nwoke, 1, __ATOMIC_SEQ_CST)] = i;
}

static void sleep_queue_in_deadline_order(struct ktest *t)
{
	static const unsigned order[] = { 3, 0, 4, 1, 2 };	/* created out of order */
	struct task *k[5];

	nwoke = started_late = 0;
	base_ns = time_ns();
	for (unsigned j = 0; j < 5; j++) {
		k[j] = kthread_create("sleeper", sleeper, (void *)(uintptr_t)order[j]);
		KEXPECT(t, k[j] != NULL);
		if (k[j])	/* one CPU's FIFO queue: they run in the order they wake */
			sched_set_affinity(k[j], 1);
	}
	sleep_until(base_ns + (FIRST_DEADLINE_MS + 90) * MS);
	for (unsigned j = 0; j < 5; j++)
		if (k[j])
			reap(k[j]);
	KEXPECT_EQ(t, nwoke, 5);
	for (unsigned j = 0; j < nwoke; j++) {
		if (!started_late)
			KEXPECT_EQ(t, woke_order[j], j);
		KEXPECT(t, woke_late[j]);
	}
	if (started_late)
		kprintf("        # a sleeper started after its deadline (host load): order not checked\n");
}

static char chan_a, chan_b;
static volatile unsigned woke_a, woke_b;

static void waiter(void *arg)
{
	unsigned long flags = plat_irq_save();

	sleep_on(arg);
	plat_irq_restore(flags);
	__atomic_fetch_add(arg == &chan_a ? &woke_a : &woke_b, 1, __ATOMIC_SEQ_CST);
}

static void wait_channels_wake_their_own(struct ktest *t)
{
	struct task *k[5];

	woke_a = woke_b = 0;
	for (unsigned j = 0; j < 5; j++)
		k[j] = kthread_create("waiter", waiter, j < 3 ? &chan_a : &chan_b);
	for (unsigned j = 0; j < 5; j++)	/* everyone reaches its sleep, on any CPU */
		while (k[j] && (k[j]->state != TASK_BLOCKED || k[j]->on_cpu))
			yield();
	KEXPECT_EQ(t, woke_a + woke_b, 0);
	wakeup(&chan_a);
	for (unsigned j = 0; j < 3; j++)
		while (k[j] && k[j]->state != TASK_ZOMBIE)
			yield();
	KEXPECT_EQ(t, woke_a, 3);
	KEXPECT_EQ(t, woke_b, 0);
	wakeup(&chan_b);
	for (unsigned j = 0; j < 5; j++)
		if (k[j])
			reap(k[j]);
	KEXPECT_EQ(t, woke_b, 2);
}

/* Does a lookup of @pid give @want (NULL: nothing)? Drops the reference. */
static bool pid_finds(int pid, struct task *want)
{
	struct task *got = task_by_pid(pid);

	task_put(got);
	return got == want;
}

static void pid_table_finds_and_forgets(struct ktest *t)
{
	static struct task *k[300];
	unsigned before = task_count(), found = 0, stale = 0;

	for (unsigned i = 0; i < ARRAY_LEN(k); i++) {
		k[i] = task_alloc("pidtest");
		KEXPECT(t, k[i] != NULL);
	}
	KEXPECT_EQ(t, task_count(), before + ARRAY_LEN(k));
	for (unsigned i = 0; i < ARRAY_LEN(k); i++)
		found += k[i] && pid_finds(k[i]->pid, k[i]);
	KEXPECT_EQ(t, found, ARRAY_LEN(k));
	int freed_pid[150];
	for (unsigned i = 0; i < ARRAY_LEN(k); i += 2) {
		freed_pid[i / 2] = k[i]->pid;
		task_free(k[i]);
	}
	for (unsigned i = 0; i < ARRAY_LEN(freed_pid); i++)
		stale += !pid_finds(freed_pid[i], NULL);
	KEXPECT_EQ(t, stale, 0);
	found = 0;
	for (unsigned i = 1; i < ARRAY_LEN(k); i += 2)
		found += pid_finds(k[i]->pid, k[i]);
	KEXPECT_EQ(t, found, ARRAY_LEN(k) / 2);
	/* A reference taken by a lookup outlives task_free(): the object stays. */
	struct task *held = task_by_pid(k[1]->pid);
	KEXPECT(t, held == k[1]);
	for (unsigned i = 1; i < ARRAY_LEN(k); i += 2)
		task_free(k[i]);
	KEXPECT_EQ(t, task_count(), before);
	KEXPECT(t, held && held->refs == 1 && !strcmp(held->name, "pidtest"));
	task_put(held);
	KEXPECT(t, pid_finds(0, current()) || current()->pid != 0);
}

/*
 * Two kernel threads meet: each announces itself, then spins (it is never
 * preempted: the kernel does not preempt itself) until it sees the other.
 * That can only happen if both run at the same time, on two CPUs; on one
 * CPU each gives up after its deadline. The wake placement has to put
 * them on different CPUs by itself (no affinity is set).
 */
static volatile unsigned met_here[2], met_cpu[2], met_seen[2];
static volatile uint64_t met_deadline;

static void meeter(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	met_cpu[i] = this_cpu()->id;
	__atomic_store_n(&met_here[i], 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&met_here[!i], __ATOMIC_SEQ_CST) && time_ns() < met_deadline)
		plat_cpu_relax();
	met_seen[i] = __atomic_load_n(&met_here[!i], __ATOMIC_SEQ_CST);
}

static void threads_run_on_two_cpus_at_once(struct ktest *t)
{
	mm_cpumask_t online = sched_online_mask();

	if (!(online & (online - 1))) {
		ktest_skip(t, "one CPU");
		return;
	}
	struct task *k[2];
	for (unsigned r = 0; r < 20; r++) {	/* again and again: placement, not luck */
		met_here[0] = met_here[1] = met_seen[0] = met_seen[1] = 0;
		met_deadline = time_ns() + 2000 * MS;
		for (unsigned i = 0; i < 2; i++)
			k[i] = kthread_create("meeter", meeter, (void *)(uintptr_t)i);
		for (unsigned i = 0; i < 2; i++)
			if (k[i])
				reap(k[i]);
		KEXPECT(t, k[0] && k[1]);
		KEXPECT(t, met_seen[0] && met_seen[1]);
		KEXPECT(t, met_cpu[0] != met_cpu[1]);
		if (t->failed)
			return;
	}
}

/* A thread restricted to one CPU runs only there, across sleeps and yields. */
static volatile unsigned pinned_go, pinned_bad;

static void pinned(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	while (!pinned_go)
		yield();
	yield();		/* the switch that moves it */
	for (unsigned j = 0; j < 20; j++) {
		pinned_bad += this_cpu()->id != cpu;
		if (j & 1)
			sleep_until(time_ns() + MS);
		else
			yield();
	}
}

static void affinity_is_obeyed(struct ktest *t)
{
	mm_cpumask_t online = sched_online_mask();
	unsigned last = 63 - (unsigned)__builtin_clzll(online);

	pinned_go = pinned_bad = 0;
	struct task *k = kthread_create("pinned", pinned, (void *)(uintptr_t)last);
	KEXPECT(t, k != NULL);
	if (!k)
		return;
	sched_set_affinity(k, (mm_cpumask_t)1 << last);
	pinned_go = 1;
	reap(k);
	KEXPECT_EQ(t, pinned_bad, 0);
}

/*
 * Cross-CPU wakes under stress: RING threads pass a token round a ring
 * (each sleeps until the token is its own, passes it on and wakes the
 * next), while another thread keeps moving them between CPUs and a few
 * sleepers with short deadlines come and go. A lost wake-up stops the
 * ring; the test then sees the count stand still past its (generous)
 * deadline. With per-CPU run queues every pass is a wake to another
 * task's queue, often on another CPU, racing its own switch away.
 */
#define RING		4
#define RING_PASSES	3000
static spinlock_t ring_lock = SPINLOCK_INIT;
static volatile unsigned ring_turn, ring_passes, ring_done, ring_stop, ring_wrong;

static void ring_member(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&ring_lock);
		while (ring_turn != me && !ring_stop) {
			sleep_on_unlock((const void *)&ring_turn, &ring_lock);
			(void)spin_lock_irqsave(&ring_lock);	/* flags: the first call's */
		}
		if (ring_stop || ring_passes >= RING_PASSES) {
			ring_stop = 1;
			spin_unlock_irqrestore(&ring_lock, flags);
			wakeup((const void *)&ring_turn);
			break;
		}
		ring_wrong += this_cpu()->current != current();
		ring_passes++;
		ring_turn = (me + 1) % RING;
		spin_unlock_irqrestore(&ring_lock, flags);
		wakeup((const void *)&ring_turn);
	}
	__atomic_fetch_add(&ring_done, 1, __ATOMIC_SEQ_CST);
}

static void ring_napper(void *arg)
{
	(void)arg;
	while (!ring_stop)
		sleep_until(time_ns() + (1 + ring_passes % 3) * MS / 2);
	__atomic_fetch_add(&ring_done, 1, __ATOMIC_SEQ_CST);
}

static void cross_cpu_wakes_are_never_lost(struct ktest *t)
{
	mm_cpumask_t online = sched_online_mask();
	struct task *k[RING + 2];
	unsigned n = 0, seed = 12345;

	ring_turn = ring_passes = ring_done = ring_stop = ring_wrong = 0;
	for (unsigned i = 0; i < RING; i++)
		k[n++] = kthread_create("ring", ring_member, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < 2; i++)
		k[n++] = kthread_create("napper", ring_napper, NULL);
	for (unsigned i = 0; i < n; i++)
		KEXPECT(t, k[i] != NULL);
	if (t->failed)
		return;
	uint64_t deadline = time_ns() + 60000 * MS;
	unsigned last = 0, moves = 0;
	while (ring_done < n) {
		/* Move a ring member to a random non-empty set of CPUs. */
		seed = seed * 1103515245 + 12345;
		mm_cpumask_t m = (seed >> 8) & online;
		sched_set_affinity(k[(seed >> 4) % RING], m ? m : online);
		moves++;
		yield();
		if (ring_passes != last) {
			last = ring_passes;
			deadline = time_ns() + 60000 * MS;	/* progress: the clock restarts */
		} else if (time_ns() > deadline) {
			break;
		}
	}
	KEXPECT_EQ(t, ring_passes, RING_PASSES);
	kprintf("    # %u passes, %u affinity changes\n", ring_passes, moves);
	if (ring_done < n) {	/* a lost wake: free the rest so the suite goes on */
		ring_stop = 1;
		for (unsigned i = 0; i < n; i++)
			task_wake(k[i]);
		wakeup((const void *)&ring_turn);
		uint64_t give_up = time_ns() + 5000 * MS;
		while (ring_done < n && time_ns() < give_up)
			yield();
	}
	KEXPECT_EQ(t, ring_done, n);
	KEXPECT_EQ(t, ring_wrong, 0);
	if (ring_done == n)
		for (unsigned i = 0; i < n; i++)
			reap(k[i]);
}

/*
 * Periodic balance: 3 tasks per CPU and one more, all queued on CPU 0
 * (pinned there, then let go), each yielding in a loop (never leaving its
 * run queue). Idle pull takes a task only while the taking CPU's queue is
 * empty, so it leaves each other CPU with two (one running, one queued)
 * and CPU 0 with the rest; the balance must give every CPU its share
 * within one task (on two CPUs, 7 tasks: 4 and 3), counted from the run
 * queue each task is on, and keep it so. Task 0 stays pinned to CPU 0 the
 * whole time and must never run elsewhere; every task must keep running
 * (none starved). The deadlines are generous (guest time, host load):
 * placement, not speed.
 *
 * "Keep it so" is judged by the balancer's own pace, not by the clock:
 * other tasks wake now and then (this test, kswapd every 5 ms) and count
 * in the load the balance evens out, so the spreaders alone may be two
 * apart until the lighter CPU's next periodic balance, and a host that
 * stops a virtual CPU for 100 ms or more stretches that moment over many
 * 10 ms samples (and the CPU takes no tick meanwhile). An uneven sample
 * is looked at again after every CPU has done two more periodic balances,
 * up to SPREAD_RELOOKS times; only a placement uneven at every look
 * counts. A balance that fails to even the queues is still caught.
 */
#define SPREAD_PER	3	/* tasks per CPU, plus one in all */
#define SPREAD_CPUS	8
#define SPREAD_MAX	(SPREAD_CPUS * SPREAD_PER + 1)
#define SPREAD_RUNS	20	/* runs of every task after the spread */
#define SPREAD_SAMPLES	50	/* placements looked at afterwards, 10 ms apart */
#define SPREAD_RELOOKS	3	/* looks again at an uneven one, two balances apart */
static volatile unsigned spread_phase, spread_stop, spread_bad;
static volatile unsigned spread_cpu[SPREAD_MAX], spread_seen[SPREAD_MAX];
static volatile uint64_t spread_runs[SPREAD_MAX];
static struct task *spread_task[SPREAD_MAX];

static void spreader(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	while (!spread_stop) {
		unsigned cpu = this_cpu()->id;
		spread_cpu[i] = cpu;
		spread_seen[i] = spread_phase;
		spread_runs[i]++;
		/* From phase 2 on: a task may run once on another CPU before its pinning applies. */
		spread_bad += i == 0 && cpu != 0 && spread_seen[i] == 2;
		yield();
	}
}

/*
 * Has every task run in phase @phase, and are they all on CPU 0 (@spread
 * false) or spread so that each CPU's queue holds its share of them within
 * one task (n / ncpu rounded down or up)? A spreader never blocks: the run
 * queue it is on (rq_cpu) is where it runs.
 */
static bool spread_settled(unsigned n, unsigned ncpu, unsigned phase, bool spread)
{
	unsigned count[SPREAD_MAX] = { 0 };
	unsigned lo = n / ncpu, hi = (n + ncpu - 1) / ncpu;

	for (unsigned i = 0; i < n; i++) {
		if (spread_seen[i] != phase)
			return false;
		count[__atomic_load_n(&spread_task[i]->rq_cpu, __ATOMIC_RELAXED) % SPREAD_MAX]++;
	}
	if (!spread)
		return count[0] == n;
	for (unsigned c = 0; c < ncpu; c++)
		if (count[c] < lo || count[c] > hi)
			return false;
	return true;
}

/* Sleeps in 10 ms steps until the tasks settle as asked; false at @secs. */
static bool spread_wait(unsigned n, unsigned ncpu, unsigned phase, bool spread, unsigned secs)
{
	uint64_t deadline = time_ns() + secs * 1000 * MS;

	while (!spread_settled(n, ncpu, phase, spread))
		if (time_ns() > deadline)
			return false;
		else
			sleep_until(time_ns() + 10 * MS);
	return true;
}

/* Sleeps until each of @ncpu CPUs has done two periodic balances; false at @deadline. */
static bool spread_two_balances(unsigned ncpu, uint64_t deadline)
{
	unsigned since[SPREAD_CPUS];

	for (unsigned c = 0; c < ncpu; c++)
		since[c] = sched_cpu_balances(c);
	for (unsigned c = 0; c < ncpu; c++)
		while (sched_cpu_balances(c) - since[c] < 2)
			if (time_ns() > deadline)
				return false;
			else
				sleep_until(time_ns() + 10 * MS);
	return true;
}

/*
 * Is the spread uneven now and still after each of SPREAD_RELOOKS double
 * balances? @relooks counts the second looks.
 */
static bool spread_stays_uneven(unsigned n, unsigned ncpu, uint64_t deadline, unsigned *relooks)
{
	for (unsigned look = 0; !spread_settled(n, ncpu, 2, true); look++) {
		if (look == SPREAD_RELOOKS || !spread_two_balances(ncpu, deadline))
			return true;
		*relooks += !look;
	}
	return false;
}

static void load_spreads_to_every_cpu(struct ktest *t)
{
	mm_cpumask_t online = sched_online_mask();
	unsigned ncpu = 0;
	struct task **k = spread_task;

	for (mm_cpumask_t m = online; m; m &= m - 1)
		ncpu++;
	unsigned n = SPREAD_PER * ncpu + 1;

	if (ncpu < 2 || n > SPREAD_MAX || online != ((mm_cpumask_t)1 << ncpu) - 1) {
		ktest_skip(t, "needs 2 to 8 CPUs numbered from 0");
		return;
	}
	spread_phase = 1;
	spread_stop = spread_bad = 0;
	for (unsigned i = 0; i < n; i++) {
		spread_seen[i] = spread_runs[i] = 0;
		k[i] = kthread_create("spread", spreader, (void *)(uintptr_t)i);
		KEXPECT(t, k[i] != NULL);
		if (k[i])
			sched_set_affinity(k[i], 1);
	}
	if (t->failed)
		goto out;
	KEXPECT(t, spread_wait(n, ncpu, 1, false, 60));	/* all on CPU 0 */
	spread_phase = 2;
	for (unsigned i = 1; i < n; i++)
		sched_set_affinity(k[i], online);
	KEXPECT(t, spread_wait(n, ncpu, 2, true, 60));
	uint64_t before[SPREAD_MAX];
	for (unsigned i = 0; i < n; i++)
		before[i] = spread_runs[i];
	uint64_t deadline = time_ns() + 60000 * MS;
	unsigned slow = 0, uneven = 0, relooks = 0;
	for (unsigned i = 0; i < n; i++)
		while (spread_runs[i] < before[i] + SPREAD_RUNS && time_ns() < deadline)
			sleep_until(time_ns() + 10 * MS);
	for (unsigned i = 0; i < n; i++)
		slow += spread_runs[i] < before[i] + SPREAD_RUNS;
	KEXPECT_EQ(t, slow, 0);
	/* Spread it stays: no task leaves its queue, and no CPU is two tasks ahead. */
	deadline = time_ns() + 60000 * MS;
	for (unsigned s = 0; s < SPREAD_SAMPLES; s++) {
		uneven += spread_stays_uneven(n, ncpu, deadline, &relooks);
		sleep_until(time_ns() + 10 * MS);
	}
	KEXPECT_EQ(t, uneven, 0);
	KEXPECT_EQ(t, spread_bad, 0);
	unsigned queued;
	uint64_t pulled = 0;
	for (unsigned c = 1; c < ncpu; c++)
		pulled += sched_cpu_queue(c, &queued);
	kprintf("    # %u tasks on %u CPUs; the other CPUs pulled %" PRIu64 " by balance; "
		"%u of %u samples uneven at first look\n", n, ncpu, pulled, relooks, SPREAD_SAMPLES);
out:
	spread_stop = 1;
	for (unsigned i = 0; i < n; i++)
		if (k[i])
			reap(k[i]);
}

KTEST_SUITE(sched,
	    KTEST_CASE(sleep_queue_in_deadline_order),
	    KTEST_CASE(wait_channels_wake_their_own),
	    KTEST_CASE(pid_table_finds_and_forgets),
	    KTEST_CASE(threads_run_on_two_cpus_at_once),
	    KTEST_CASE(affinity_is_obeyed),
	    KTEST_CASE(load_spreads_to_every_cpu),
	    KTEST_CASE(cross_cpu_wakes_are_never_lost));
