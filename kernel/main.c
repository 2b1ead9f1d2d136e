// SPDX-License-Identifier: MIT
/* The kernel's C entry point, called by boot.S in long mode. */
#include "arch.h"
#include "memlayout.h"
#include "smp.h"
#include "kernel/kasan.h"
#include "kernel/kernel.h"
#include "kernel/heap.h"
#include "kernel/ktest.h"
#include "kernel/drivers/drivers.h"
#include "kernel/swap/swap_dev.h"
#include "kernel/swap/swap_zram.h"
#include "mm/platform.h"
#include "mm/lru.h"
#include "mm/pmm.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

struct boot_info boot_info;

/* The identity map of low memory was only for the jump to the higher half. */
static void drop_identity_map(void)
{
	uint64_t *pml4 = plat_phys_to_virt(read_cr3() & ~0xfffull);

	pml4[0] = 0;
	plat_tlb_flush_all();
}

static void reserve_boot_ranges(struct boot_info *bi)
{
	struct memmap *map = &bi->map;

	memmap_carve(map, KERNEL_LMA, (uintptr_t)_end - KERNEL_VMA, MEMMAP_KERNEL);
	memmap_carve(map, bi->info_start, bi->info_end, MEMMAP_BOOTINFO);
	for (unsigned i = 0; i < bi->nmodules; i++)
		memmap_carve(map, bi->module[i].start, bi->module[i].end, MEMMAP_MODULE);
}

static void print_boot_info(const struct boot_info *bi)
{
	kprintf("boot: multiboot %u from \"%s\", command line \"%s\"\n",
		bi->protocol, bi->loader[0] ? bi->loader : "unknown", bi->cmdline);
	for (unsigned i = 0; i < bi->nmodules; i++)
		kprintf("boot: module %u: [%#" PRIx64 "-%#" PRIx64 ") \"%s\"\n", i,
			bi->module[i].start, bi->module[i].end, bi->module[i].cmdline);
	kprintf("kernel: image [%#" PRIxPTR "-%#" PRIxPTR "), text %pS..\n",
		(uintptr_t)KERNEL_LMA, (uintptr_t)_end - KERNEL_VMA, (void *)_text);
}

/* panic=exit: a panic ends the emulator with status 7 (tests watch for it). */
static void panic_exit_qemu(void)
{
	qemu_debug_exit(3);
}

/* Task 0 once process 1 runs: collect orphans, otherwise sleep. */
static _Noreturn void idle_forever(void)
{
	for (;;) {
		reap_dead();
		sleep_on(idle_forever);
	}
}

static _Noreturn void run_tests(void)
{
	char filter[128] = "";

	cmdline_value("test", filter, sizeof(filter));
	int failed = ktest_run(filter);
	kprintf("ktest: %s\n", failed ? "FAILED" : "all suites passed");
	qemu_debug_exit(failed ? 1 : 0);
	machine_poweroff();
}

/**
 * kmain() - the kernel's C entry point.
 * @magic: the bootloader's magic number (multiboot 1 or 2)
 * @info_pa: physical address of the bootloader's information
 */
void kmain(uint32_t magic, uint32_t info_pa)
{
	serial_init();
	vga_init();
	kprintf("\n" KERNEL_NAME ": %s memory-management kernel\n", ARCH_NAME);
	arch_init();
	drop_identity_map();

	if (multiboot_parse(magic, info_pa, boot_phys_read, NULL, &boot_info) < 0)
		panic("boot: cannot continue without a usable memory map "
		      "(magic %#x, information at %#x)", magic, info_pa);
	cmdline_set(boot_info.cmdline);
	print_boot_info(&boot_info);
	reserve_boot_ranges(&boot_info);
	smp_prepare(&boot_info.map);
	direct_map_extend(&boot_info.map);
	if (pmm_init_numa(&boot_info.map, smp_numa()) < 0)
		panic("pmm: no usable RAM, or no room for the frame database");
	memmap_print(&boot_info.map);
	pmm_print_summary();
	if (lru_init())
		kprintf("lru: no memory for the page lists: page-cache pages will not be reclaimed\n");
	kernel_space_init(&boot_info.map);
	kasan_init(&boot_info.map);
	heap_boot_init();
	commit_boot_init();
	sched_init();
	proc_caches_init();
	smp_boot();
	syscall_table_init();
	proc_faults_init();
	if (boot_info.nmodules)
		fs_init(plat_phys_to_virt(boot_info.module[0].start),
			boot_info.module[0].end - boot_info.module[0].start);
	else
		fs_init(NULL, 0);
	drivers_init();
	swap_dev_boot();
	swap_zram_boot();
	reclaimd_start();
	heap_reclaimd_start();

	serial_enable_rx_irq();
	sti();
	char kind[16];
	if (cmdline_has("panic=exit"))
		panic_exit_hook = panic_exit_qemu;
	if (cmdline_value("crash", kind, sizeof(kind)))
		crash(kind);
	if (cmdline_has("test") || cmdline_value("test", NULL, 0))
		run_tests();
	if (cmdline_has("usertest")) {
		int failed = run_user_tests();
		qemu_debug_exit(failed ? 1 : 0);
		machine_poweroff();
	}
	if (proc_start_init())
		idle_forever();
	shell_run();
}
