/* SPDX-License-Identifier: MIT */
/* State the whole kernel shares, set up once at boot. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "kernel/boot/multiboot.h"

#define KERNEL_NAME	"memcore"

extern struct boot_info boot_info;

void memmap_print(const struct memmap *map);
void shell_run(void);
int crash(const char *kind);

#endif
