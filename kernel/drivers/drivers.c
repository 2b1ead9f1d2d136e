// SPDX-License-Identifier: MIT
/* Boot-time binding of drivers to the devices PCI enumeration found. */
#include "kernel/drivers/drivers.h"
#include "kernel/drivers/pci.h"
#include "kernel/lib.h"

void drivers_init(void)
{
	unsigned n = pci_init();

	kprintf("pci: %u functions\n", n);
	virtio_blk_probe_all();
	virtio_balloon_probe_all();
}
