// SPDX-License-Identifier: MIT
/*
 * Segments on i386: flat code and data for ring 0 and ring 3, the TSS
 * (the kernel stack for entries from ring 3), a per-CPU data segment for
 * %fs in the kernel, the double-fault task, and three TLS descriptors that
 * user programs fill with set_thread_area() and load into %gs.
 *
 * Each CPU has its own set (struct cpu_tables): its TSS holds its kernel
 * stack, its TLS entries the thread pointer of the task it runs, its
 * SEL_PERCPU descriptor its own block. The boot CPU's are static; an AP's
 * come from the heap, with a vmalloc'd double-fault stack.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"
#include "mm/heap.h"
#include "mm/pt.h"
#include "mm/vmalloc.h"

struct tss {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap_base;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss tss, df_tss;
};

static struct cpu_tables boot_tables;

/* The boot CPU's double-fault task's stack, with an unmapped page below it. */
static struct {
	uint8_t guard[4096];
	uint8_t stack[DF_STACK_SIZE];
} df_stack __attribute__((aligned(4096)));

#define SEG_CODE_K	0x00cf9a000000ffffull
#define SEG_DATA_K	0x00cf92000000ffffull
#define SEG_CODE_U	0x00cffa000000ffffull
#define SEG_DATA_U	0x00cff2000000ffffull

/* A descriptor: @type holds P, DPL, S and type (bits 40-47), @flags G/DB (52-55). */
static uint64_t descriptor(uint32_t base, uint32_t limit, unsigned type, unsigned flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)type << 40) | ((uint64_t)(limit >> 16 & 0xf) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

uintptr_t df_stack_base(void)
{
	return (uintptr_t)df_stack.stack;
}

void tss_set_kernel_stack(uintptr_t esp0)
{
	this_cpu()->tables->tss.esp0 = esp0;
}

extern char isr_double_fault[];

/* A double fault switches to its own task: a fresh stack and known state. */
static void df_tss_init(struct tss *t, uintptr_t stack_top, uint32_t cr3)
{
	t->esp0 = t->esp = stack_top;
	t->ss0 = t->ss = t->ds = t->es = SEL_KDATA;
	t->fs = SEL_PERCPU;
	t->cs = SEL_KCODE;
	t->eip = (uintptr_t)isr_double_fault;
	t->eflags = 0x2;
	t->cr3 = cr3;
	t->iomap_base = sizeof(*t);
}

/**
 * gdt_init() - load the boot CPU's GDT and TSS, replacing the loader's GDT.
 */
void gdt_init(void)
{
	/* The boot tables, until kernel_space_init() */
	df_tss_init(&boot_tables.df_tss, df_stack_base() + DF_STACK_SIZE, read_cr3());
	cpu0.tables = &boot_tables;
	gdt_load(&cpu0);
}

/**
 * cpu_tables_alloc() - an application processor's GDT, TSS and double-fault task
 * @c: its per-CPU block (c->tables is set)
 * @cr3: the page tables its double-fault task runs on
 *
 * Return: 0, or -MM_ENOMEM.
 */
int cpu_tables_alloc(struct cpu_local *c, uint64_t cr3)
{
	struct cpu_tables *ct = kzalloc(sizeof(*ct));
	void *stack = vmalloc(DF_STACK_SIZE);

	if (!ct || !stack) {
		kfree(ct);
		if (stack)
			vfree(stack);
		return -MM_ENOMEM;
	}
	df_tss_init(&ct->df_tss, (uintptr_t)stack + DF_STACK_SIZE, (uint32_t)cr3);
	c->tables = ct;
	return 0;
}

/**
 * gdt_load() - fill in and load a CPU's GDT and TSS, and point %fs at its block
 * @c: the CPU's block (its tables must stay as long as it runs)
 */
void gdt_load(struct cpu_local *c)
{
	struct cpu_tables *ct = c->tables;
	uint64_t *gdt = ct->gdt;
	struct tss *tss = &ct->tss;

	gdt[0] = 0;
	gdt[SEL_KCODE >> 3] = SEG_CODE_K;
	gdt[SEL_KDATA >> 3] = SEG_DATA_K;
	gdt[SEL_UCODE >> 3] = SEG_CODE_U;
	gdt[SEL_UDATA >> 3] = SEG_DATA_U;
	gdt[SEL_PERCPU >> 3] = descriptor((uintptr_t)c, sizeof(*c) - 1, 0x92, 0x4);
	tss->ss0 = SEL_KDATA;
	tss->iomap_base = sizeof(*tss);	/* no I/O bitmap: ring 3 gets no ports */
	gdt[SEL_TSS >> 3] = descriptor((uintptr_t)tss, sizeof(*tss) - 1, 0x89, 0);
	gdt[SEL_DF_TSS >> 3] = descriptor((uintptr_t)&ct->df_tss, sizeof(ct->df_tss) - 1, 0x89, 0);

	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) ptr = { sizeof(ct->gdt) - 1, (uintptr_t)gdt };

	__asm__ volatile(
		"lgdt %0\n\t"
		"ljmp %1, $1f\n"
		"1:\n\t"
		"movw %w2, %%ds\n\t"
		"movw %w2, %%es\n\t"
		"movw %w2, %%ss\n\t"
		"movw %w3, %%fs\n\t"
		"movw %w4, %%gs\n\t"
		"ltr %w5\n\t"
		: : "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_PERCPU), "r"(0), "r"(SEL_TSS)
		: "memory");
}

/* The CR3 the double-fault task loads: the kernel's tables once they exist. */
void df_tss_set_cr3(uintptr_t cr3);
void df_tss_set_cr3(uintptr_t cr3)
{
	this_cpu()->tables->df_tss.cr3 = cr3;
}

/* Linux's struct user_desc (set_thread_area). */
struct user_desc {
	uint32_t entry_number, base_addr, limit;
	uint32_t seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1,
		 seg_not_present : 1, useable : 1;
};

/**
 * tls_desc_set() - fill TLS descriptor @entry from @d (already checked)
 * @entry: GDT_TLS_FIRST .. GDT_TLS_FIRST + GDT_TLS_COUNT - 1
 * @d: the user's description; a not-present one clears the entry
 *
 * Return: 0, or -1 if @entry is not a TLS slot.
 */
int tls_desc_set(unsigned entry, const struct user_desc *d)
{
	if (entry < GDT_TLS_FIRST || entry >= GDT_TLS_FIRST + GDT_TLS_COUNT)
		return -1;
	uint64_t *gdt = this_cpu()->tables->gdt;

	if (d->seg_not_present || (!d->base_addr && !d->limit && d->read_exec_only)) {
		gdt[entry] = 0;
		return 0;
	}
	/* present, DPL 3, code/data; data or expand-down or code; writable/readable */
	unsigned type = 0xf0 | (d->contents << 2) | (d->read_exec_only ? 0 : 2);
	gdt[entry] = descriptor(d->base_addr, d->limit, type,
				(d->seg_32bit ? 4 : 0) | (d->limit_in_pages ? 8 : 0) |
				(d->useable ? 1 : 0));
	return 0;
}

/* A task's thread pointer: the first TLS descriptor, saved and loaded whole. */
uint64_t arch_tls_save(void)
{
	return this_cpu()->tables->gdt[GDT_TLS_FIRST];
}

void arch_tls_load(uint64_t tls)
{
	this_cpu()->tables->gdt[GDT_TLS_FIRST] = tls;
}

extern char longjmp_regs[], longjmp_regs_sti[];

/*
 * The double-fault task: the CPU saved the state at the fault into the
 * interrupted task's TSS. With no IST on i386, a kernel stack overflow
 * arrives here (the page fault could not be delivered on the full stack).
 * A FAULT_TRY catcher on this CPU gets it, as vector VEC_DF, and the
 * interrupted task resumes in longjmp_regs; anything else is reported.
 */
void double_fault_report(void);
void double_fault_report(void)
{
	struct fault_catch *fc = this_cpu()->catcher;
	struct tss *tss = &this_cpu()->tables->tss;

	if (fc && !(tss->cs & 3)) {
		this_cpu()->catcher = NULL;
		fc->caught = true;
		fc->vector = VEC_DF;
		fc->error = 0;
		fc->addr = read_cr2();
		fc->rip = tss->eip;
		/* No interrupt may arrive before the jump leaves the full stack. */
		tss->eip = (uintptr_t)(tss->eflags & RFLAGS_IF ? longjmp_regs_sti : longjmp_regs);
		tss->edx = (uintptr_t)&fc->js;
		tss->eax = 1;
		tss->eflags &= ~(RFLAGS_AC | RFLAGS_IF);
		kasan_unpoison_stack_below(fc->js.esp);	/* the frames skipped keep no red zones */
		/* A task switch loads CR3 but never saves it: give back the tables in use. */
		tss->cr3 = pt_space_loaded()->root;
		return;
	}
	struct trap_frame f = {
		.gs = tss->gs, .fs = tss->fs, .es = tss->es, .ds = tss->ds,
		.edi = tss->edi, .esi = tss->esi, .ebp = tss->ebp, .esp_pusha = tss->esp,
		.ebx = tss->ebx, .edx = tss->edx, .ecx = tss->ecx, .eax = tss->eax,
		.vector = VEC_DF, .error = 0, .eip = tss->eip, .cs = tss->cs,
		.eflags = tss->eflags, .esp = tss->esp, .ss = tss->ss,
	};

	panic_trap(&f, read_cr2());
}
