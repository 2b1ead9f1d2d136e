// SPDX-License-Identifier: MIT
/*
 * The boot-time compressed swap area (see swap_zram.h).
 */
#include "kernel/lib.h"
#include "kernel/swap/swap_zram.h"
#include "mm/errno.h"
#include "mm/heap.h"
#include "mm/zstore.h"

#define ZRAM_PRIO	100

int swap_zram_boot(void)
{
	char arg[32];
	uint64_t bytes;
	struct zstore *z;
	int ret;

	if (!cmdline_value("zram", arg, sizeof(arg)))
		return 0;
	if (!parse_u64(arg, &bytes) || bytes < PAGE_SIZE || bytes / PAGE_SIZE > SWAP_MAX_SLOTS) {
		kprintf("zram: bad size '%s' (1 page .. %u pages)\n", arg, (unsigned)SWAP_MAX_SLOTS);
		return -MM_EINVAL;
	}
	z = kmalloc(sizeof(*z));
	if (!z) {
		kprintf("zram: no memory\n");
		return -MM_ENOMEM;
	}
	ret = zstore_init(z, "zram0", (uint32_t)(bytes / PAGE_SIZE));
	if (ret == 0) {
		ret = swap_area_add(&z->b, ZRAM_PRIO, 0);
		if (ret < 0)
			zstore_destroy(z);
	}
	if (ret < 0) {
		kprintf("zram: cannot start: %s\n", mm_strerror(ret));
		kfree(z);
		return ret;
	}
	kprintf("zram: %llu KiB of compressed swap in RAM, area %d, priority %d\n",
		(unsigned long long)(bytes >> 10), ret, ZRAM_PRIO);
	return 0;
}
