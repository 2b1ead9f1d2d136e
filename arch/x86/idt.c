// SPDX-License-Identifier: MIT
/*
 * The interrupt descriptor table, one for all CPUs: every vector to its
 * isr.S stub, int3 reachable from ring 3, and the arch's own gates
 * (idt_gate.h: its gate format, the stacks or tasks of the faults that
 * mean the current stack is unusable, the system-call gate).
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "idt_gate.h"

static struct idt_gate idt[NVECTORS] __attribute__((aligned(16)));
extern const uintptr_t isr_table[NVECTORS];

/**
 * idt_init() - install all 256 vectors and load the IDT.
 */
void idt_init(void)
{
	for (unsigned v = 0; v < NVECTORS; v++)
		idt[v] = idt_gate(isr_table[v], IDT_GATE_PLAIN, GATE_INTERRUPT);
	idt[VEC_BP] = idt_gate(isr_table[VEC_BP], IDT_GATE_PLAIN, GATE_INTERRUPT | GATE_USER);
	idt_arch_gates(idt, isr_table);
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uintptr_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
