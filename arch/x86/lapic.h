/* SPDX-License-Identifier: MIT */
/* The local APIC: each CPU's interrupt controller, timer and IPI sender. */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Vectors above the legacy IRQs; higher is served first. */
#define VEC_LAPIC_TIMER	0xf0
#define VEC_IPI_CALL	0xf8	/* run a function on another CPU */
#define VEC_IPI_RESCHED	0xf9	/* look at the run queue */
#define VEC_IPI_TLB	0xfa	/* TLB shootdown */
#define VEC_SPURIOUS	0xff

extern bool lapic_enabled;

/* Boot CPU: map the registers, enable; calibrate the timer against the TSC. */
void lapic_init_boot(uint64_t pa);
/* Every CPU: enable its APIC; APs also start their periodic tick. */
void lapic_init_cpu(bool ap);
void lapic_eoi(void);
unsigned lapic_id(void);
/* Sends @vector to the CPU with APIC id @apic_id. */
void lapic_send_ipi(unsigned apic_id, unsigned vector);
/* INIT, then two STARTUP IPIs with the trampoline's page number. */
void lapic_start_ap(unsigned apic_id, unsigned page);
/* Handles vectors >= VEC_LAPIC_TIMER (traps.c); false if not ours. */
bool lapic_dispatch(unsigned vector);
/* What a CPU does on its own tick (the scheduler's hook). */
extern void (*lapic_tick_fn)(void);

#endif
