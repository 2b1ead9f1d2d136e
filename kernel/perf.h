/* SPDX-License-Identifier: MIT */
/*
 * Profiling counters: per system call (always on: kernel/proc/syscall.c)
 * and per page-fault kind (built with KDEFS=-DKPERF), calls and TSC cycles
 * spent in the kernel. Printed by the shell command `perf`, and when
 * process 1 exits if the command line has `perf`.
 */
#ifndef KERNEL_PERF_H
#define KERNEL_PERF_H

#include <stdint.h>

enum perf_fault_kind {
	PERF_FAULT_ZERO,	/* first touch of a private anonymous page */
	PERF_FAULT_COW,		/* write to a present read-only page (copy or reuse) */
	PERF_FAULT_SHARED,	/* first touch of a shared anonymous page */
	PERF_FAULT_FILE,	/* first touch of a private file page (copy from the RAM disk) */
	PERF_FAULT_STACK,	/* below the stack: the stack region grew */
	PERF_FAULT_SPURIOUS,	/* present, allowed: an entry lagging behind its region */
	PERF_FAULT_KERNEL,	/* a kernel access to a user page (copy to/from user) */
	PERF_FAULT_KILLED,	/* not resolved: the process was killed */
	PERF_FAULT_KINDS
};

struct perf_counter {
	uint64_t calls, cycles;
	uint64_t max;		/* the longest one */
};

extern struct perf_counter perf_faults[PERF_FAULT_KINDS];

static inline void perf_fault_account(enum perf_fault_kind k, uint64_t cycles)
{
	perf_faults[k].calls++;
	perf_faults[k].cycles += cycles;
	if (cycles > perf_faults[k].max)
		perf_faults[k].max = cycles;
}

/*
 * The longest a runnable task waited for a CPU (KPERF builds, kernel/sched.c):
 * from its wake-up (or preemption) to its switch-in, with the task that held
 * the CPU last and where that one entered the scheduler to give it up.
 */
struct sched_wait_record {
	uint64_t ns;			/* guest nanoseconds */
	int pid;
	char name[16];
	char holder[16];		/* the task switched away from */
	uintptr_t holder_site;		/* where it called into the scheduler */
};

void sched_wait_get(struct sched_wait_record *r);
void sched_wait_reset(void);

/* Timer-tick samples (KPERF builds, kernel/perf_sample.c): print the top addresses, reset. */
void perf_sample_print(void);
void perf_sample_reset(void);

/* Prints the system-call and fault tables (nonzero rows). */
void perf_print(void);
void perf_reset(void);

#endif
