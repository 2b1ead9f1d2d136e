// SPDX-License-Identifier: MIT
/* Shell commands: disks (lspci and block devices), swaps, swapon, swapoff. */
#include "kernel/drivers/blkdev.h"
#include "kernel/drivers/pci.h"
#include "kernel/lib.h"
#include "kernel/shell.h"
#include "kernel/swap/swap_dev.h"
#include "mm/errno.h"

static int cmd_disks(int argc, char **argv)
{
	pci_print();
	blkdev_print();
	return 0;
}
SHELL_COMMAND(disks, "PCI devices and disks with their I/O counts", cmd_disks);

static int cmd_swaps(int argc, char **argv)
{
	swap_dev_print();
	return 0;
}
SHELL_COMMAND(swaps, "swap areas on disks (like /proc/swaps)", cmd_swaps);

static int swap_cmd(int argc, char **argv, bool on)
{
	if (argc != 2) {
		kprintf("usage: %s DISK\n", argv[0]);
		return 1;
	}
	long r = on ? swap_dev_on(argv[1], 0) : swap_dev_off(argv[1]);
	if (r)
		kprintf("%s %s: %s\n", argv[0], argv[1], mm_strerror((int)r));
	return r != 0;
}

static int cmd_swapon(int argc, char **argv)
{
	return swap_cmd(argc, argv, true);
}
SHELL_COMMAND(swapon, "start swapping to a disk with a swap header (swapon vda)", cmd_swapon);

static int cmd_swapoff(int argc, char **argv)
{
	return swap_cmd(argc, argv, false);
}
SHELL_COMMAND(swapoff, "bring a disk's pages back and stop swapping to it", cmd_swapoff);
