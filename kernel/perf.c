// SPDX-License-Identifier: MIT
/*
 * The `perf` shell command: where the kernel's time goes, per system call
 * and per page-fault kind, in calls and TSC cycles (under QEMU -icount the
 * TSC counts guest instructions). Fault counters exist in a KPERF build
 * (make KDEFS=-DKPERF): classifying a fault costs a region lookup. Each
 * row also gives the longest single call; a KPERF build adds the longest
 * interrupts-off stretch, the longest wait of a runnable task for a CPU and
 * the addresses the timer ticks caught most often (kernel/perf_sample.c).
 */
#include "irqoff.h"
#include "kernel/arch_hooks.h"
#include "kernel/perf.h"
#include "kernel/proc/syscall.h"
#include "kernel/shell.h"

struct perf_counter perf_faults[PERF_FAULT_KINDS];

void kernel_fault_account(uint64_t cycles)
{
	perf_fault_account(PERF_FAULT_KERNEL, cycles);
}

static const char *const fault_names[PERF_FAULT_KINDS] = {
	[PERF_FAULT_ZERO] = "demand-zero", [PERF_FAULT_COW] = "copy-on-write",
	[PERF_FAULT_SHARED] = "shared", [PERF_FAULT_FILE] = "file",
	[PERF_FAULT_STACK] = "stack-growth", [PERF_FAULT_SPURIOUS] = "spurious",
	[PERF_FAULT_KERNEL] = "kernel-mode", [PERF_FAULT_KILLED] = "killed",
};

static void row(const char *kind, const char *name, uint64_t calls, uint64_t cycles, uint64_t max)
{
	kprintf("perf: %-8s %-16s %12" PRIu64 " calls %16" PRIu64 " cycles %12" PRIu64 " per call %12" PRIu64
		" max\n", kind, name, calls, cycles, calls ? cycles / calls : 0, max);
}

void perf_print(void)
{
	uint64_t calls = 0, cycles = 0, max = 0;

	for (unsigned nr = 0; nr < NR_SYSCALLS; nr++) {
		const struct syscall_stats *s = &syscall_stats[nr];
		if (!s->calls)
			continue;
		row("syscall", syscall_name(nr), s->calls, s->cycles, s->max);
		calls += s->calls;
		cycles += s->cycles;
		max = s->max > max ? s->max : max;
	}
	row("syscall", "(all)", calls, cycles, max);
#ifdef KPERF
	calls = cycles = max = 0;
	for (unsigned k = 0; k < PERF_FAULT_KINDS; k++) {
		const struct perf_counter *c = &perf_faults[k];
		if (!c->calls)
			continue;
		row("fault", fault_names[k], c->calls, c->cycles, c->max);
		calls += c->calls;
		cycles += c->cycles;
		max = c->max > max ? c->max : max;
	}
	row("fault", "(all)", calls, cycles, max);
	struct sched_wait_record sw;
	sched_wait_get(&sw);
	kprintf("perf: sched wait max %lu ns pid %d (%s) after %s left the CPU at %pS\n", sw.ns, sw.pid,
		sw.name, sw.holder, (void *)sw.holder_site);
	struct irqoff_record io;
	irqoff_get(&io);
	kprintf("perf: irqoff max %lu cycles %lu ns at %pS until %pS\n", io.cycles, io.ns,
		(void *)io.site, (void *)io.end_site);
	perf_sample_print();
#else
	(void)fault_names;
	kprintf("perf: page faults are counted in a KPERF build (make KDEFS=-DKPERF)\n");
#endif
}

void perf_reset(void)
{
	for (unsigned nr = 0; nr < NR_SYSCALLS; nr++)
		syscall_stats[nr] = (struct syscall_stats){ 0 };
	for (unsigned k = 0; k < PERF_FAULT_KINDS; k++)
		perf_faults[k] = (struct perf_counter){ 0 };
#ifdef KPERF
	irqoff_reset();
	sched_wait_reset();
	perf_sample_reset();
#endif
}

static int cmd_perf(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "reset")) {
		perf_reset();
		return 0;
	}
	if (argc > 1) {
		kprintf("usage: perf [reset]\n");
		return 1;
	}
	perf_print();
	return 0;
}
SHELL_COMMAND(perf, "calls and TSC cycles per system call and fault kind: perf [reset]",
	      cmd_perf);
