/* SPDX-License-Identifier: MIT */
/* Device drivers: found and bound once at boot, after the heap and the PMM. */
#ifndef KERNEL_DRIVERS_DRIVERS_H
#define KERNEL_DRIVERS_DRIVERS_H

/* Enumerates PCI and binds every driver to its devices. */
void drivers_init(void);

unsigned virtio_blk_probe_all(void);

#endif
