// SPDX-License-Identifier: MIT
/*
 * The process layer's scheduler structures: the sorted sleep queue wakes
 * sleepers in deadline order and never early, hashed wait channels wake
 * exactly the tasks of their channel, and the pid table finds every live
 * task and forgets freed ones.
 */
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

static uint64_t base_ns;
static volatile unsigned woke_order[8], nwoke;
static volatile uint64_t woke_late[8];

static void sleeper(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	uint64_t deadline = base_ns + (uint64_t)(10 + 10 * i) * MS;

	sleep_until(deadline);
	woke_late[i] = time_ns() >= deadline;
	woke_order[nwoke++] = i;
}

static void sleep_queue_in_deadline_order(struct ktest *t)
{
	static const unsigned order[] = { 3, 0, 4, 1, 2 };	/* created out of order */
	struct task *k[5];

	nwoke = 0;
	base_ns = time_ns();
	for (unsigned j = 0; j < 5; j++) {
		k[j] = kthread_create("sleeper", sleeper, (void *)(uintptr_t)order[j]);
		KEXPECT(t, k[j] != NULL);
	}
	sleep_until(base_ns + 100 * MS);
	for (unsigned j = 0; j < 5; j++)
		if (k[j])
			reap(k[j]);
	KEXPECT_EQ(t, nwoke, 5);
	for (unsigned j = 0; j < nwoke; j++) {
		KEXPECT_EQ(t, woke_order[j], j);
		KEXPECT(t, woke_late[j]);
	}
}

static char chan_a, chan_b;
static volatile unsigned woke_a, woke_b;

static void waiter(void *arg)
{
	unsigned long flags = plat_irq_save();

	sleep_on(arg);
	plat_irq_restore(flags);
	if (arg == &chan_a)
		woke_a++;
	else
		woke_b++;
}

static void wait_channels_wake_their_own(struct ktest *t)
{
	struct task *k[5];

	woke_a = woke_b = 0;
	for (unsigned j = 0; j < 5; j++)
		k[j] = kthread_create("waiter", waiter, j < 3 ? &chan_a : &chan_b);
	for (unsigned j = 0; j < 20; j++)
		yield();		/* everyone reaches its sleep */
	KEXPECT_EQ(t, woke_a + woke_b, 0);
	wakeup(&chan_a);
	for (unsigned j = 0; j < 20; j++)
		yield();
	KEXPECT_EQ(t, woke_a, 3);
	KEXPECT_EQ(t, woke_b, 0);
	wakeup(&chan_b);
	for (unsigned j = 0; j < 5; j++)
		if (k[j])
			reap(k[j]);
	KEXPECT_EQ(t, woke_b, 2);
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
		found += k[i] && task_by_pid(k[i]->pid) == k[i];
	KEXPECT_EQ(t, found, ARRAY_LEN(k));
	int freed_pid[150];
	for (unsigned i = 0; i < ARRAY_LEN(k); i += 2) {
		freed_pid[i / 2] = k[i]->pid;
		task_free(k[i]);
	}
	for (unsigned i = 0; i < ARRAY_LEN(freed_pid); i++)
		stale += task_by_pid(freed_pid[i]) != NULL;
	KEXPECT_EQ(t, stale, 0);
	found = 0;
	for (unsigned i = 1; i < ARRAY_LEN(k); i += 2)
		found += task_by_pid(k[i]->pid) == k[i];
	KEXPECT_EQ(t, found, ARRAY_LEN(k) / 2);
	for (unsigned i = 1; i < ARRAY_LEN(k); i += 2)
		task_free(k[i]);
	KEXPECT_EQ(t, task_count(), before);
	KEXPECT(t, task_by_pid(0) == current() || current()->pid != 0);
}

KTEST_SUITE(sched,
	    KTEST_CASE(sleep_queue_in_deadline_order),
	    KTEST_CASE(wait_channels_wake_their_own),
	    KTEST_CASE(pid_table_finds_and_forgets));
