/* SPDX-License-Identifier: MIT */
/* i386's interrupt and task gates, for arch/x86/idt.c. */
#ifndef ARCH_I386_IDT_GATE_H
#define ARCH_I386_IDT_GATE_H

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
#define IDT_GATE_PLAIN	SEL_KCODE	/* a handler in the kernel's code segment */

static inline struct idt_gate idt_gate(uintptr_t handler, uint16_t selector, uint8_t type)
{
	return (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = selector,
		.type = type,
		.offset_hi = handler >> 16,
	};
}

/*
 * A double fault (often a kernel stack overflow) switches to its own task
 * and stack; int $0x80 is reachable from ring 3.
 */
static inline void idt_arch_gates(struct idt_gate *idt, const uintptr_t *isr)
{
	idt[VEC_DF] = idt_gate(0, SEL_DF_TSS, GATE_TASK);
	idt[SYSCALL_VECTOR] = idt_gate(isr[SYSCALL_VECTOR], SEL_KCODE, GATE_INTERRUPT | GATE_USER);
}

#endif
