// SPDX-License-Identifier: MIT
/*
 * Starting the application processors, and calls across CPUs.
 *
 * Shared by the x86_64 and i386 kernels. Each AP gets a per-CPU block, its
 * own descriptor tables and fault stacks (arch_cpu_alloc(): x86_64's IST
 * stacks, i386's double-fault task) and an idle task whose stack it starts
 * on, all from the kernel's heap and vmalloc (so the stacks have guard
 * pages). The boot CPU starts one AP at a time: ap_boot.S reads the stack
 * from ap_boot_rsp, so the next may only start once this one is up.
 */
#include "arch/x86/acpi.h"
#include "arch.h"
#include "arch/x86/lapic.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/smp.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"
#include "mm/fault.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"

#define AP_START_TIMEOUT_NS	1000000000ull

extern const char ap_tramp_start[], ap_tramp_end[];
uintptr_t ap_boot_rsp, ap_boot_cr3;
static struct cpu_local *volatile ap_boot_cpu;

/**
 * smp_prepare() - find the CPUs and put the AP trampoline in place
 * @map: the memory map, from which the trampoline's page is carved
 *
 * Runs on the boot tables (their direct map covers the firmware's tables
 * and low memory) before the PMM takes the memory over.
 */
void smp_prepare(struct memmap *map)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	cpu0.apic_id = r[1] >> 24;
	topology_discover(boot_phys_read, NULL, cpu0.apic_id);
	if (topology.ncpus < 2)
		return;
	memmap_carve(map, AP_TRAMPOLINE, AP_TRAMPOLINE + PAGE_SIZE, MEMMAP_RESERVED);
	memcpy(plat_phys_to_virt(AP_TRAMPOLINE), ap_tramp_start,
	       (size_t)(ap_tramp_end - ap_tramp_start));
}

/**
 * smp_numa() - the NUMA nodes from the SRAT and SLIT, as the PMM takes them
 *
 * Return: the description, or NULL when the firmware gave one node or none.
 */
const struct pmm_numa *smp_numa(void)
{
	static struct pmm_numa numa;
	const struct machine_topology *t = &topology;

	if (t->nnodes < 2)
		return NULL;
	numa.nr_nodes = t->nnodes;
	numa.nr_ranges = MM_MIN(t->nmem, PMM_MAX_NODE_RANGES);
	for (unsigned i = 0; i < numa.nr_ranges; i++)
		numa.range[i] = (struct pmm_node_range){ t->mem[i].base, t->mem[i].end,
							  t->mem[i].node };
	for (unsigned a = 0; a < t->nnodes && a < MM_MAX_NODES; a++)
		for (unsigned b = 0; b < t->nnodes && b < MM_MAX_NODES; b++)
			numa.distance[a][b] = t->distance[a][b];
	for (unsigned c = 0; c < t->ncpus; c++)
		numa.cpu_node[c] = t->cpu_node[c];
	return &numa;
}

/* The AP's C entry, on its idle task's stack and the kernel's tables. */
void ap_entry(void);
void ap_entry(void)
{
	struct cpu_local *c = ap_boot_cpu;

	arch_ap_init(c);
	lapic_init_cpu(true);
	__atomic_fetch_add(&ncpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&cpu_online_mask, (mm_cpumask_t)1 << c->id, __ATOMIC_SEQ_CST);
	sched_cpu_start();	/* its idle task from now on */
}

static struct cpu_local *cpu_alloc(unsigned id)
{
	struct cpu_local *c = kzalloc(sizeof(*c));
	struct task *idle = sched_idle_task(id);

	if (!c || !idle)
		return NULL;
	c->self = c;
	c->id = id;
	c->apic_id = topology.apic_id[id];
	c->node = topology.cpu_node[id];
	if (!arch_cpu_alloc(c))
		return NULL;
	c->idle = c->current = idle;
	c->kstack_top = task_kstack_top(idle);
	return c;
}

static bool start_ap(unsigned id)
{
	struct cpu_local *c = cpu_alloc(id);

	if (!c) {
		kprintf("smp: no memory for CPU %u\n", id);
		return false;
	}
	cpu_data[id] = c;
	/* Before it runs: a CPU that did not answer in time may still come up and use the core. */
	__atomic_fetch_or(&cpu_possible_mask, (mm_cpumask_t)1 << id, __ATOMIC_SEQ_CST);
	ap_boot_cpu = c;
	ap_boot_rsp = c->kstack_top;
	ap_boot_cr3 = kernel_vm.pt.root;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_start_ap(c->apic_id, AP_TRAMPOLINE >> PAGE_SHIFT);
	for (uint64_t end = time_ns() + AP_START_TIMEOUT_NS; time_ns() < end;)
		if (cpu_online_mask & ((mm_cpumask_t)1 << id))
			return true;
	kprintf("smp: CPU %u (APIC id %u) did not start\n", id, c->apic_id);
	return false;
}

void smp_boot(void)
{
	char max[8];
	uint64_t limit = MM_MAX_CPUS;

	cpu0.node = topology.cpu_node[0];
	if (cmdline_value("maxcpus", max, sizeof(max)))
		parse_u64(max, &limit);
	if (cmdline_has("nosmp"))
		limit = 1;
	if (topology.ncpus < 2 || limit < 2)
		return;
	lapic_init_boot(topology.lapic_pa);
	for (unsigned id = 1; id < topology.ncpus && id < limit; id++)
		if (!start_ap(id))
			break;	/* a late starter would share the next one's stack */
	kprintf("smp: %u of %u CPUs online\n", ncpus_online, topology.ncpus);
}

/* --- Cross-CPU calls --------------------------------------------------------- */

/* Makes @cpu look at its run queue (an interrupt ends its idle halt). */
void smp_send_resched(unsigned cpu)
{
	lapic_send_ipi(cpu_data[cpu]->apic_id, VEC_IPI_RESCHED);
}

static struct {
	volatile int busy;
	void (*fn)(void *);
	void *arg;
	volatile MM_ATOMIC64 mm_cpumask_t pending;
} call;

void smp_call_handle(void)
{
	mm_cpumask_t bit = (mm_cpumask_t)1 << this_cpu()->id;

	if (!(__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE) & bit))
		return;
	call.fn(call.arg);
	__atomic_fetch_and(&call.pending, ~bit, __ATOMIC_SEQ_CST);
}

void smp_call(mm_cpumask_t cpus, void (*fn)(void *arg), void *arg)
{
	mm_cpumask_t self = (mm_cpumask_t)1 << this_cpu()->id;
	mm_cpumask_t others = cpus & ~self & cpu_online_mask;

	if (!(read_rflags() & RFLAGS_IF))
		panic("smp_call with interrupts off");
	if (others) {
		while (__atomic_exchange_n(&call.busy, 1, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
		call.fn = fn;
		call.arg = arg;
		__atomic_store_n(&call.pending, others, __ATOMIC_SEQ_CST);
		for_each_online_cpu(c)
			if (others & ((mm_cpumask_t)1 << c))
				lapic_send_ipi(cpu_data[c]->apic_id, VEC_IPI_CALL);
	}
	if (cpus & self)
		fn(arg);
	if (others) {
		while (__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
		__atomic_store_n(&call.busy, 0, __ATOMIC_RELEASE);
	}
}

void smp_tick_register(void (*fn)(void))
{
	lapic_tick_fn = fn;
}
