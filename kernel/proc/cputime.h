/* SPDX-License-Identifier: MIT */
/*
 * CPU time of threads and processes, and RLIMIT_CPU (kernel/proc/cputime.c).
 *
 * Each CPU stamps the moment its current task started running; the time
 * since the stamp is charged to that task, and to its process, when it is
 * switched out and at every timer tick (user and kernel time alike: what
 * Linux's RLIMIT_CPU and CLOCK_PROCESS_CPUTIME_ID count). Only the CPU
 * running a task writes its figures; a process's total is an atomic sum.
 */
#ifndef KERNEL_PROC_CPUTIME_H
#define KERNEL_PROC_CPUTIME_H

#include <stdint.h>

struct task;

/* The scheduler, interrupts off: @prev leaves this CPU now. */
void cputime_switch(struct task *prev);
/* The timer tick, interrupts off: charge the running task, enforce RLIMIT_CPU. */
void cputime_tick(void);
/* CPU time of the current thread / its process, including the running slice. */
uint64_t cputime_thread_ns(void);
uint64_t cputime_process_ns(void);

#endif
