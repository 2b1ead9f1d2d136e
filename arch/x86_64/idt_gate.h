/* SPDX-License-Identifier: MIT */
/* x86_64's interrupt gates, for arch/x86/idt.c. */
#ifndef ARCH_X86_64_IDT_GATE_H
#define ARCH_X86_64_IDT_GATE_H

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;		/* the IST stack it switches to; 0: none */
	uint8_t type;		/* P, DPL, gate type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define GATE_USER	0x60	/* DPL 3: reachable with INT n from ring 3 */
#define IDT_GATE_PLAIN	0	/* on the current (or TSS rsp0) stack */

static inline struct idt_gate idt_gate(uintptr_t handler, unsigned ist, uint8_t type)
{
	return (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = SEL_KCODE,
		.ist = ist,
		.type = type,
		.offset_mid = handler >> 16 & 0xffff,
		.offset_hi = handler >> 32,
	};
}

/*
 * Faults that usually mean the current stack is unusable run on their own
 * IST stack: double fault, page fault (a kernel stack overflow is one),
 * NMI and machine check. System calls come by SYSCALL, not a gate.
 */
static inline void idt_arch_gates(struct idt_gate *idt, const uintptr_t *isr)
{
	static const struct { unsigned vector, ist; } own_stack[] = {
		{ VEC_DF, IST_DOUBLE_FAULT }, { VEC_PF, IST_PAGE_FAULT },
		{ VEC_NMI, IST_NMI }, { VEC_MC, IST_MACHINE_CHECK },
	};

	for (unsigned i = 0; i < sizeof(own_stack) / sizeof(own_stack[0]); i++)
		idt[own_stack[i].vector] = idt_gate(isr[own_stack[i].vector], own_stack[i].ist,
						    GATE_INTERRUPT);
}

#endif
