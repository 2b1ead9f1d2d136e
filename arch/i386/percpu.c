// SPDX-License-Identifier: MIT
/* The boot CPU's per-CPU block; the only CPU the i386 kernel runs on yet. */
#include "acpi.h"
#include "arch.h"
#include "percpu.h"
#include "smp.h"

struct cpu_local cpu0;
struct cpu_local *cpu_data[MM_MAX_CPUS] = { &cpu0 };
volatile uint64_t cpu_online_mask = 1;
unsigned ncpus_online = 1;
struct machine_topology topology = { .source = "boot CPU only", .ncpus = 1 };

/* Before gdt_init(), which points SEL_PERCPU at cpu0. */
void percpu_init(void)
{
	cpu0.self = &cpu0;
}

/*
 * Entries from ring 3 land at @top minus the room of the v86 segments, so
 * the trap frame is at the same place whether the task runs in protected
 * mode or in virtual-8086 mode (where the CPU pushes those segments).
 */
void cpu_set_kernel_stack(uintptr_t top)
{
	const struct trap_frame *user = (const struct trap_frame *)top - 1;

	this_cpu()->kstack_top = top;
	tss_set_kernel_stack(trap_in_v86(user) ? top : top - V86_FRAME_EXTRA);
}

void smp_prepare(struct memmap *map)
{
	(void)map;
}

void smp_boot(void)
{
}

const struct pmm_numa *smp_numa(void)
{
	return NULL;
}

void smp_call(mm_cpumask_t cpus, void (*fn)(void *arg), void *arg)
{
	if (cpus & 1) {
		unsigned long irq = plat_irq_save();
		fn(arg);
		plat_irq_restore(irq);
	}
}

/* One CPU: a shootdown is a local flush. */
void plat_tlb_shootdown(mm_cpumask_t cpus, const uintptr_t *va, unsigned n, bool global)
{
	if (!(cpus & 1))
		return;
	if (!va) {
		if (global)
			plat_tlb_flush_all();
		else
			write_cr3(read_cr3());
		return;
	}
	for (unsigned i = 0; i < n; i++)
		invlpg(va[i]);
}

mm_cpumask_t plat_cpus_online(void)
{
	return cpu_online_mask;
}
