/* SPDX-License-Identifier: MIT */
/* Device drivers: found and bound once at boot, after the heap and the PMM. */
#ifndef KERNEL_DRIVERS_DRIVERS_H
#define KERNEL_DRIVERS_DRIVERS_H

#include <stdint.h>

/* Enumerates PCI and binds every driver to its devices. */
void drivers_init(void);

unsigned virtio_blk_probe_all(void);
/* Binds the first virtio balloon; its thread starts following the host's target. */
unsigned virtio_balloon_probe_all(void);
/* Frames the balloon holds for the host (0 without one). */
uint64_t balloon_pages(void);
/* Frames reported free to the host since boot (free-page reporting; a frame may count twice). */
uint64_t balloon_reported_pages(void);

#endif
