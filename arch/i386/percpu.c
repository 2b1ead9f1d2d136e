// SPDX-License-Identifier: MIT
/*
 * Per-CPU blocks on i386: the boot CPU's, and what a new CPU needs before
 * it runs (arch/x86/smp.c starts it): its own GDT (whose SEL_PERCPU
 * descriptor points %fs at its block and whose TLS entries hold its task's
 * thread pointer), TSS and double-fault task with a stack of its own.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "mm/fault.h"

struct cpu_local cpu0;
struct cpu_local *cpu_data[MM_MAX_CPUS] = { &cpu0 };
volatile uint64_t cpu_online_mask = 1;
volatile uint64_t cpu_possible_mask = 1;
unsigned ncpus_online = 1;
/* ap_boot.S sets EFER.NXE before it loads the kernel's tables when this is set. */
uint32_t ap_boot_nxe;

/* Before gdt_init(), which points SEL_PERCPU at cpu0. */
void percpu_init(void)
{
	cpu0.self = &cpu0;
}

/* int $0x80 is a gate of the IDT (idt.c): nothing more to set up. */
void syscall_init(void)
{
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

bool arch_cpu_alloc(struct cpu_local *c)
{
	ap_boot_nxe = cpu_features.nx && (rdmsr(MSR_EFER) & EFER_NXE);
	return cpu_tables_alloc(c, kernel_vm.pt.root) == 0;
}

void arch_ap_init(struct cpu_local *c)
{
	gdt_load(c);		/* %fs: this_cpu() works from here on */
	pt_space_load(&kernel_vm.pt);
	enable_protections();
	idt_load();
	fpu_init();
	cpu_set_kernel_stack(c->kstack_top);
}
