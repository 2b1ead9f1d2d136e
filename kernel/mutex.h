/* SPDX-License-Identifier: MIT */
/*
 * A sleeping lock for kernel code that may block while holding it (copying
 * to or from user memory faults, and a fault may wait for swap I/O), where
 * a spinlock may not be held. Waiters sleep on the mutex's address; the
 * unlock wakes them all and one wins (kept simple: the users hold it for
 * one system call's transfer). Not recursive; taken in task context only.
 *
 * Lock order: a kmutex is taken before any spinlock; its own spinlock is
 * a leaf held only to test and set the flag (and across the queueing in
 * sleep_on_unlock()).
 */
#ifndef KERNEL_MUTEX_H
#define KERNEL_MUTEX_H

#include "mm/spinlock.h"

struct kmutex {
	spinlock_t lock;
	bool held;
	unsigned waiters;
};

void kmutex_lock(struct kmutex *m);
void kmutex_unlock(struct kmutex *m);

#endif
