// SPDX-License-Identifier: MIT
/*
 * Segments still matter in long mode for three things: the privilege level
 * of code, the TSS (which holds the kernel stack for entries from ring 3
 * and the IST stacks), and the selector layout SYSCALL/SYSRET expect.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/percpu.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* Each CPU has its own TSS (its kernel and IST stacks), so its own GDT. */
struct cpu_tables {
	uint64_t gdt[7] __attribute__((aligned(16)));
	struct tss tss;
};

static struct cpu_tables boot_tables;

/*
 * IST stacks: a fault taken on a broken kernel stack still has one to run
 * on. Each has a page below it that the kernel leaves unmapped.
 */
static struct {
	uint8_t guard[4096];
	uint8_t stack[IST_STACK_SIZE];
} ist_stacks[IST_COUNT] __attribute__((aligned(4096)));

#define SEG_CODE64_K	0x00af9a000000ffffull
#define SEG_DATA_K	0x00cf92000000ffffull
#define SEG_DATA_U	0x00cff2000000ffffull
#define SEG_CODE64_U	0x00affa000000ffffull

static void set_tss_descriptor(uint64_t *gdt, unsigned slot, uint64_t base, uint32_t limit)
{
	gdt[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		    (0x89ull << 40) |			/* present, 64-bit TSS */
		    ((uint64_t)(limit >> 16 & 0xf) << 48) |
		    ((base >> 24 & 0xff) << 56);
	gdt[slot + 1] = base >> 32;
}

const unsigned cpu_tables_size = sizeof(struct cpu_tables);

uintptr_t ist_stack_base(unsigned n)
{
	return (uintptr_t)ist_stacks[n - 1].stack;
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	this_cpu()->tables->tss.rsp[0] = rsp0;
}

/**
 * gdt_init() - load the boot CPU's GDT and TSS, replacing the boot-time GDT.
 */
void gdt_init(void)
{
	uintptr_t ist_top[IST_COUNT];

	for (unsigned i = 1; i <= IST_COUNT; i++)
		ist_top[i - 1] = ist_stack_base(i) + IST_STACK_SIZE;
	this_cpu()->tables = &boot_tables;
	gdt_load(&boot_tables, ist_top);
}

/**
 * gdt_load() - fill in and load a CPU's GDT and TSS
 * @ct: the CPU's tables (they must stay as long as it runs)
 * @ist_top: the tops of its IST_COUNT interrupt stacks
 */
void gdt_load(struct cpu_tables *ct, const uintptr_t *ist_top)
{
	uint64_t *gdt = ct->gdt;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(ct->gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[SEL_KCODE >> 3] = SEG_CODE64_K;
	gdt[SEL_KDATA >> 3] = SEG_DATA_K;
	gdt[SEL_UDATA >> 3] = SEG_DATA_U;
	gdt[SEL_UCODE >> 3] = SEG_CODE64_U;
	for (unsigned i = 1; i <= IST_COUNT; i++)
		ct->tss.ist[i - 1] = ist_top[i - 1];
	ct->tss.iomap_base = sizeof(ct->tss);	/* no I/O bitmap: ring 3 gets no ports */
	set_tss_descriptor(gdt, SEL_TSS >> 3, (uint64_t)&ct->tss, sizeof(ct->tss) - 1);

	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"ltr %w3\n\t"
		: : "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
		: "rax", "memory");
}
