// SPDX-License-Identifier: MIT
/* The interrupt descriptor table: every vector to its isr.S stub. */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;		/* P, DPL, gate type */
	uint16_t offset_hi;
} __attribute__((packed));

#define GATE_INTERRUPT	0x8e	/* present, DPL 0, 32-bit interrupt gate */
#define GATE_TASK	0x85	/* present, DPL 0, task gate */
#define GATE_USER	0x60	/* DPL 3: reachable with INT n from ring 3 */

static struct idt_gate idt[NVECTORS] __attribute__((aligned(16)));
extern const uint32_t isr_table[NVECTORS];

static void set_gate(unsigned v, uint32_t handler, uint16_t selector, uint8_t type)
{
	idt[v] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = selector,
		.type = type,
		.offset_hi = handler >> 16,
	};
}

/**
 * idt_init() - install all 256 vectors and load the IDT.
 *
 * A double fault (often a kernel stack overflow) switches to its own task
 * and stack; int $0x80 and int3 are reachable from ring 3.
 */
void idt_init(void)
{
	for (unsigned v = 0; v < NVECTORS; v++)
		set_gate(v, isr_table[v], SEL_KCODE, GATE_INTERRUPT);
	set_gate(VEC_DF, 0, SEL_DF_TSS, GATE_TASK);
	set_gate(VEC_BP, isr_table[VEC_BP], SEL_KCODE, GATE_INTERRUPT | GATE_USER);
	set_gate(SYSCALL_VECTOR, isr_table[SYSCALL_VECTOR], SEL_KCODE, GATE_INTERRUPT | GATE_USER);
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
