/* SPDX-License-Identifier: MIT */
/* The machine's processors and memory topology, as the shell shows them. */
#ifndef ARCH_I386_ACPI_H
#define ARCH_I386_ACPI_H

#include <stdint.h>

#include "mm/platform.h"

#define MAX_MEM_AFFINITY 1

struct mem_affinity {
	uint64_t base, end;
	unsigned node;
};

struct machine_topology {
	const char *source;		/* "boot CPU" until the firmware tables are read */
	unsigned ncpus;
	unsigned nnodes, nmem;
	struct mem_affinity mem[MAX_MEM_AFFINITY];
};

extern struct machine_topology topology;

#endif
