// SPDX-License-Identifier: MIT
/* The interrupt descriptor table: every vector to its isr.S stub. */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/memlayout.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;		/* P, DPL, gate type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define GATE_USER	0x60	/* DPL 3: reachable with INT n from ring 3 */

static struct idt_gate idt[NVECTORS] __attribute__((aligned(16)));
extern const uint64_t isr_table[NVECTORS];

static void set_gate(unsigned v, uint64_t handler, unsigned ist, uint8_t type)
{
	idt[v] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = SEL_KCODE,
		.ist = ist,
		.type = type,
		.offset_mid = handler >> 16 & 0xffff,
		.offset_hi = handler >> 32,
	};
}

/**
 * idt_init() - install all 256 vectors and load the IDT.
 *
 * Faults that usually mean the current stack is unusable run on their own
 * IST stack: double fault, page fault (a kernel stack overflow is one),
 * NMI and machine check.
 */
void idt_init(void)
{
	for (unsigned v = 0; v < NVECTORS; v++)
		set_gate(v, isr_table[v], 0, GATE_INTERRUPT);
	set_gate(VEC_DF, isr_table[VEC_DF], IST_DOUBLE_FAULT, GATE_INTERRUPT);
	set_gate(VEC_PF, isr_table[VEC_PF], IST_PAGE_FAULT, GATE_INTERRUPT);
	set_gate(VEC_NMI, isr_table[VEC_NMI], IST_NMI, GATE_INTERRUPT);
	set_gate(VEC_MC, isr_table[VEC_MC], IST_MACHINE_CHECK, GATE_INTERRUPT);
	set_gate(VEC_BP, isr_table[VEC_BP], 0, GATE_INTERRUPT | GATE_USER);
	idt_load();
}

/* Every CPU uses the one table. */
void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
