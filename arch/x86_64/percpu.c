// SPDX-License-Identifier: MIT
/* The boot CPU's per-CPU block, and the SYSCALL machinery that uses it. */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"
#include "kernel/lib.h"
#include "mm/fault.h"
#include "mm/heap.h"
#include "mm/vmalloc.h"

#define MSR_STAR		0xC0000081
#define MSR_LSTAR		0xC0000082
#define MSR_FMASK		0xC0000084
#define EFER_SCE		(1ul << 0)

struct cpu_local cpu0;
struct cpu_local *cpu_data[MM_MAX_CPUS] = { &cpu0 };
volatile uint64_t cpu_online_mask = 1;
volatile uint64_t cpu_possible_mask = 1;
unsigned ncpus_online = 1;

void percpu_init(void)
{
	cpu0.self = &cpu0;
	wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);	/* the user's, until a process sets one */
}

void cpu_set_kernel_stack(uintptr_t top)
{
	this_cpu()->kstack_top = top;
	tss_set_kernel_stack(top);
}

extern char syscall_entry[];

/**
 * syscall_init() - enable SYSCALL and point it at syscall_entry
 *
 * STAR gives the kernel selectors (CS at 0x08, SS at 0x10) and the base
 * from which SYSRET would compute the user ones (SS 0x1b, CS 0x23). FMASK
 * clears IF, DF, TF and AC on entry, so the entry code starts with
 * interrupts off, string operations forward and SMAP armed.
 */
void syscall_init(void)
{
	wrmsr(MSR_STAR, ((uint64_t)(SEL_UDATA - 8 - 3) << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | (1ul << 10) | (1ul << 8) | RFLAGS_AC);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* An AP's IST stacks, from arch_cpu_alloc() to its arch_ap_init(): one AP starts at a time. */
static uintptr_t ap_ist_top[IST_COUNT];

bool arch_cpu_alloc(struct cpu_local *c)
{
	c->tables = kzalloc(cpu_tables_size);
	if (!c->tables)
		return false;
	for (unsigned i = 0; i < IST_COUNT; i++) {
		void *st = vmalloc(IST_STACK_SIZE);
		if (!st)
			return false;
		ap_ist_top[i] = (uintptr_t)st + IST_STACK_SIZE;
	}
	return true;
}

void arch_ap_init(struct cpu_local *c)
{
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	pt_space_load(&kernel_vm.pt);
	enable_protections();
	gdt_load(c->tables, ap_ist_top);
	idt_load();
	syscall_init();
	fpu_init();
	cpu_set_kernel_stack(c->kstack_top);
}
