// SPDX-License-Identifier: MIT
/* The shell's view of the CPUs: who is online, and what each has handled. */
#include "acpi.h"
#include "percpu.h"
#include "kernel/shell.h"
#include "kernel/task.h"

static int cmd_cpus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("%u of %u CPUs online (from %s)\n", ncpus_online, topology.ncpus, topology.source);
	kprintf("cpu apic node      ticks  call IPIs   TLB IPIs  lazy queued   pulled  running\n");
	for_each_online_cpu(c) {
		const struct cpu_local *cl = cpu_data[c];
		unsigned queued;
		uint64_t pulled = sched_cpu_queue(c, &queued);

		kprintf("%3u %4u %4u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "  %4s %6u %8" PRIu64 "  %s\n",
			c, cl->apic_id, cl->node, cl->ticks, cl->ipis, cl->tlb_ipis,
			cl->lazy ? "yes" : "no", queued, pulled, cl->current ? cl->current->name : "?");
	}
	if (topology.nnodes > 1)
		for (unsigned i = 0; i < topology.nmem; i++)
			kprintf("node %u: memory [%#" PRIx64 "-%#" PRIx64 ")\n", topology.mem[i].node,
				topology.mem[i].base, topology.mem[i].end);
	return 0;
}
SHELL_COMMAND(cpus, "the CPUs: APIC ids, NUMA nodes, ticks, IPIs taken, lazy TLB, run queue, running task",
	      cmd_cpus);
