// SPDX-License-Identifier: MIT
/*
 * NUMA on a machine booted with two nodes (QEMU -numa, the kernel suites'
 * numa machine; skipped with one node): the nodes and distances from the
 * SRAT and SLIT reach the PMM, each CPU allocates from its own node, and a
 * CPU of node 1 gets node 1's frames until node 1 has none left, then node
 * 0's. Free memory is back where it was after every case.
 */
#include "acpi.h"
#include "percpu.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/task.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "tests/kernel/frames.h"

/* Frames a CPU may allocate from node 0 after node 1 ran dry, to see the fallback. */
#define SPILL		1024
/* Node-1 frames other CPUs may hold in their caches when node 1 looks empty. */
#define CACHED_SLACK	(MM_MAX_CPUS * 128)

/* The PMM's figures with the caches drained (the heap's too: a test thread's task comes from it). */
static void drained_stats(struct pmm_stats *st)
{
	free_frames_all_cpus();
	pmm_get_stats(st);
}

static bool skip_one_node(struct ktest *t)
{
	if (pmm_node_count() > 1)
		return false;
	ktest_skip(t, "one NUMA node (boot with two: qemu -numa)");
	return true;
}

/* The lowest online CPU of node @node, or -1. */
static int cpu_of_node(unsigned node)
{
	for_each_online_cpu(c)
		if (pmm_cpu_node(c) == node)
			return (int)c;
	return -1;
}

/* Waits until kernel thread @k has ended and left its CPU, then frees it. */
static void reap(struct task *k)
{
	while (k->state != TASK_ZOMBIE || k->on_cpu)
		yield();
	task_free(k);
}

/* Runs fn(arg) in a kernel thread pinned to @cpu; false if it could not. */
struct pinned {
	unsigned cpu;
	void (*fn)(struct pinned *p);
	volatile int go;
	bool wrong_cpu;
	/* results of the functions below */
	uint64_t local, remote, late_local, first_remote_at;
	unsigned bad_node;
};

static void pinned_main(void *arg)
{
	struct pinned *p = arg;

	while (!p->go)
		yield();
	yield();		/* the switch that moves it */
	p->wrong_cpu = this_cpu()->id != p->cpu;
	p->fn(p);
}

static bool run_on(struct ktest *t, struct pinned *p)
{
	struct task *k = kthread_create("numa-test", pinned_main, p);

	KEXPECT(t, k != NULL);
	if (!k)
		return false;
	sched_set_affinity(k, (mm_cpumask_t)1 << p->cpu);
	p->go = 1;
	reap(k);
	KEXPECT(t, !p->wrong_cpu);
	return !p->wrong_cpu;
}

static void nodes_from_firmware(struct ktest *t)
{
	struct pmm_stats st;

	if (skip_one_node(t))
		return;
	pmm_get_stats(&st);
	KEXPECT_EQ(t, st.nr_nodes, topology.nnodes);
	for (unsigned n = 0; n < st.nr_nodes; n++) {
		KEXPECT(t, st.node[n].total_frames > 0);	/* every node of the machine has RAM */
		KEXPECT_EQ(t, pmm_node_distance(n, n), 10);
		for (unsigned m = 0; m < st.nr_nodes; m++)
			KEXPECT(t, m == n || pmm_node_distance(n, m) > 10);
	}
	for (unsigned i = 0; i < topology.nmem; i++) {
		const struct mem_affinity *r = &topology.mem[i];

		phys_addr_t last = MM_MIN(r->end, st.node[r->node].end) - PAGE_SIZE;

		if (r->node >= st.nr_nodes || r->base >= last)
			continue;	/* a range without RAM the PMM manages */
		KEXPECT_EQ(t, pmm_frame_node(MM_MAX(r->base, PAGE_SIZE)), r->node);
		KEXPECT_EQ(t, pmm_frame_node(last), r->node);
	}
	for_each_online_cpu(c)
		KEXPECT_EQ(t, pmm_cpu_node(c), cpu_data[c]->node);
	kprintf("    # %u nodes, distance 0->1 %u\n", st.nr_nodes, pmm_node_distance(0, 1));
}

/* 64 single frames and 8 blocks of 4, all from this CPU's node. */
static void alloc_here(struct pinned *p)
{
	unsigned node = pmm_cpu_node(p->cpu);
	phys_addr_t f[64], b[8];

	for (unsigned i = 0; i < 64; i++) {
		f[i] = pmm_alloc_frame();
		p->bad_node += f[i] == PMM_NO_FRAME || pmm_frame_node(f[i]) != node;
	}
	for (unsigned i = 0; i < 8; i++) {
		b[i] = pmm_alloc_pages(2, 0);
		p->bad_node += b[i] == PMM_NO_FRAME || pmm_frame_node(b[i]) != node;
	}
	for (unsigned i = 0; i < 64; i++)
		pmm_free_frame(f[i]);
	for (unsigned i = 0; i < 8; i++)
		pmm_free_pages(b[i], 2);
}

static void every_cpu_allocates_locally(struct ktest *t)
{
	struct pmm_stats before, after;

	if (skip_one_node(t))
		return;
	drained_stats(&before);
	for_each_online_cpu(c) {
		struct pinned p = { .cpu = c, .fn = alloc_here };

		if (run_on(t, &p))
			KEXPECT_EQ(t, p.bad_node, 0);
	}
	drained_stats(&after);
	KEXPECT_EQ(t, after.free_frames, before.free_frames);
}

/*
 * Take single frames until SPILL of them came from node 0, chaining them
 * through their own first word; count where each came from.
 */
static void exhaust_node(struct pinned *p)
{
	unsigned node = pmm_cpu_node(p->cpu);
	phys_addr_t chain = PMM_NO_FRAME, f;

	while (p->remote < SPILL && (f = pmm_alloc_frame()) != PMM_NO_FRAME) {
		*(phys_addr_t *)plat_phys_to_virt(f) = chain;
		chain = f;
		if (pmm_frame_node(f) == node) {
			p->local++;
			p->late_local += p->remote != 0;
		} else {
			if (!p->remote++)
				p->first_remote_at = p->local;
			p->bad_node += pmm_frame_node(f) != 0;
		}
	}
	while (chain != PMM_NO_FRAME) {
		phys_addr_t next = *(phys_addr_t *)plat_phys_to_virt(chain);

		pmm_free_frame(chain);
		chain = next;
	}
}

static void node1_then_node0(struct ktest *t)
{
	struct pmm_stats before, after;
	int cpu;

	if (skip_one_node(t))
		return;
	cpu = cpu_of_node(1);
	if (cpu < 0) {
		ktest_skip(t, "no CPU of node 1 online");
		return;
	}
	drained_stats(&before);

	struct pinned p = { .cpu = (unsigned)cpu, .fn = exhaust_node };

	if (!run_on(t, &p))
		return;
	kprintf("    # CPU %d: %llu frames of node 1 (%llu free before), then %llu of node 0\n",
		cpu, (unsigned long long)p.local,
		   (unsigned long long)before.node[1].free_frames, (unsigned long long)p.remote);
	KEXPECT_EQ(t, p.remote, SPILL);			/* it did go on to node 0 */
	KEXPECT_EQ(t, p.bad_node, 0);			/* and nowhere else */
	KEXPECT(t, p.first_remote_at + CACHED_SLACK >= before.node[1].free_frames);
	KEXPECT(t, p.local <= before.node[1].free_frames + CACHED_SLACK);
	KEXPECT(t, p.late_local <= CACHED_SLACK);	/* node 1 was really empty */
	drained_stats(&after);
	KEXPECT_EQ(t, after.node[1].free_frames, before.node[1].free_frames);
	KEXPECT_EQ(t, after.free_frames, before.free_frames);
}

KTEST_SUITE(numa,
	    KTEST_CASE(nodes_from_firmware),
	    KTEST_CASE(every_cpu_allocates_locally),
	    KTEST_CASE(node1_then_node0));
