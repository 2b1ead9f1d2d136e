/* SPDX-License-Identifier: MIT */
/*
 * What the firmware tells us about the machine's processors and memory
 * topology: the CPUs' local APIC ids (ACPI MADT, or the MP table when there
 * is no ACPI), and the NUMA nodes of memory and CPUs (ACPI SRAT, SLIT).
 */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/platform.h"

#define MAX_NODES	8
#define MAX_MEM_AFFINITY 32

struct mem_affinity {
	uint64_t base, end;
	unsigned node;
};

struct machine_topology {
	const char *source;		/* "ACPI", "MP table" or "none" */
	uint64_t lapic_pa;		/* the local APICs' MMIO base */
	unsigned ncpus;			/* usable CPUs, the boot CPU among them */
	uint8_t apic_id[MM_MAX_CPUS];	/* index: our CPU number */
	uint8_t cpu_node[MM_MAX_CPUS];
	/* NUMA (SRAT, SLIT): nnodes 0 means no SRAT, one node. */
	unsigned nnodes, nmem;
	struct mem_affinity mem[MAX_MEM_AFFINITY];
	uint8_t distance[MAX_NODES][MAX_NODES];
};

extern struct machine_topology topology;

/*
 * Reads the firmware tables through @read (physical address, length) while
 * the boot direct map still covers the first 4 GiB. The boot CPU, whose APIC
 * id is @boot_apic_id, becomes CPU 0.
 */
void topology_discover(const void *(*read)(uint64_t pa, uint64_t len, void *ctx), void *ctx,
		       unsigned boot_apic_id);

#endif
