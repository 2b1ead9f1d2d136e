// SPDX-License-Identifier: MIT
/*
 * The kernel's own address space, built with the memory core's page-table
 * engine once the PMM is up, replacing boot.S's tables:
 *
 *  - the kernel image, section by section, with W^X: text read+execute,
 *    rodata read-only, data and bss read+write; all no-execute but text;
 *  - the guard page below each boot-time stack left unmapped;
 *  - a direct map of RAM up to 896 MiB (large pages, no-execute with PAE);
 *  - the kmap window for high memory (highmem.c);
 *  - nothing below 3 GiB: the null page and all of user space unmapped.
 *
 * Two-level paging (4 KiB and 4 MiB pages, no NX), or PAE with NX in the
 * I386_PAE build (the boot tables, boot.S, have the same format). Then
 * global pages, SMEP and SMAP as the CPU offers them.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/lib.h"
#include "kernel/perf.h"
#include "kernel/task.h"
#include "mm/as.h"
#include "mm/platform.h"
#include "mm/fault.h"
#include "mm/memmap.h"
#include "mm/vmalloc.h"


struct vm_space kernel_vm;
static struct pt_format kernel_format;

/* The boot-time stacks' guard pages, for the mapper and for fault reports. */
struct stack_guard {
	uintptr_t base;
	const char *stack;
};
static struct stack_guard guards[2];

void df_tss_set_cr3(uintptr_t cr3);

static void collect_guards(void)
{
	guards[0] = (struct stack_guard){ (uintptr_t)boot_stack_bottom - PAGE_SIZE, "boot" };
	guards[1] = (struct stack_guard){ df_stack_base() - PAGE_SIZE, "double-fault" };
}

static const struct stack_guard *guard_at(uintptr_t addr)
{
	for (unsigned i = 0; i < ARRAY_LEN(guards); i++)
		if (guards[i].base && addr - guards[i].base < PAGE_SIZE)
			return &guards[i];
	return NULL;
}

static void map_or_panic(uintptr_t va, phys_addr_t pa, uint64_t len, unsigned prot,
			 unsigned flags, const char *what)
{
	int err = pt_map(&kernel_vm.pt, va, pa, len, prot, flags);

	if (err)
		panic("kernel space: cannot map %s [%#" PRIxPTR ", +%#" PRIx64 "): error %d",
		      what, va, len, err);
}

static void map_image_range(uintptr_t start, uintptr_t end, unsigned prot, const char *what)
{
	if (end > start)
		map_or_panic(start, start - KERNEL_VMA, end - start, prot | PT_GLOBAL, 0, what);
}

/* Data and bss, skipping the guard pages that sit among them. */
static void map_data(void)
{
	uintptr_t from = (uintptr_t)_data, end = ALIGN_UP((uintptr_t)_end, PAGE_SIZE);

	for (uintptr_t va = from; va < end; va += PAGE_SIZE)
		if (guard_at(va)) {
			map_image_range(from, va, PT_WRITE, "kernel data");
			from = va + PAGE_SIZE;
		}
	map_image_range(from, end, PT_WRITE, "kernel data");
}

static bool is_ram(uint32_t type)
{
	return type == MEMMAP_USABLE || type == MEMMAP_KERNEL || type == MEMMAP_MODULE ||
	       type == MEMMAP_BOOTINFO || type == MEMMAP_FRAMEDB;
}

/*
 * Two-level paging would put 4 MiB pages in the root, whose kernel half
 * every process shares by pointing at the same page tables: so 4 KiB pages
 * there (224 tables for 896 MiB). PAE shares only its last PDPT entry, and
 * 2 MiB pages sit below it.
 */
static void map_direct(const struct memmap *map)
{
	unsigned large = kernel_format.levels > 2 ? PT_MAP_LARGE : 0;

	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		/* The image lies inside the direct map: it has its own W^X mappings. */
		if (is_ram(r->type) && r->type != MEMMAP_KERNEL && r->base < LOWMEM_SIZE)
			map_or_panic(DIRECT_MAP_BASE + r->base, r->base,
				     MM_MIN(r->end, (uint64_t)LOWMEM_SIZE) - r->base,
				     PT_WRITE | PT_GLOBAL, large, "direct map");
	}
	/* The legacy VGA window, for the text console: device memory, uncached. */
	map_or_panic(DIRECT_MAP_BASE + 0xa0000, 0xa0000, 0x20000,
		     PT_WRITE | PT_GLOBAL | PT_NOCACHE, PT_MAP_REPLACE, "VGA memory");
}

/* The build's format as this CPU runs it (NX needs EFER.NXE). */
static void choose_format(void)
{
#ifdef I386_PAE
	kernel_format = pt_format_i386_pae;
	if (cpu_features.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	else
		kernel_format.nx = 0;
#else
	kernel_format = pt_format_i386;
	if (!cpu_features.pse)
		kernel_format.large_levels = 0;
#endif
	if (!cpu_features.pge)
		kernel_format.global = 0;
}

void enable_protections(void)
{
	unsigned long cr4 = read_cr4();

	if (cpu_features.pge)
		cr4 |= CR4_PGE;
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
}

/*
 * A kernel-mode fault on a user address (copying to or from a process)
 * is resolved in the process's space: demand paging, copy-on-write.
 * Anything else the kernel's own space must already allow.
 */
static bool kernel_page_fault(struct trap_frame *f, uint64_t addr)
{
	struct vm_fault vf = { .addr = addr, .flags = f->error & VM_FAULT_MASK, .ip = trap_ip(f) };
	struct vm_space *user = addr < USER_SPACE_END ? current_user_space() : NULL;

#ifdef KPERF
	uint64_t start = rdtsc();
	bool ok = vm_handle_fault(user ? user : &kernel_vm, &vf) == VM_FAULT_RESOLVED;
	if (user)
		perf_fault_account(PERF_FAULT_KERNEL, rdtsc() - start);
	return ok;
#else
	return vm_handle_fault(user ? user : &kernel_vm, &vf) == VM_FAULT_RESOLVED;
#endif
}

/*
 * Every process shares the kernel half by copying its root entries (256 in
 * two-level paging, one with PAE), so each must point to a table that
 * stays. Creating them now keeps them out of the first process's accounts.
 */
static void pin_kernel_half(void)
{
	struct pt_space probe;

	if (pt_space_init(&probe, &kernel_format) || as_share_kernel(&probe, &kernel_vm.pt))
		panic("kernel space: no memory for the shared kernel half");
	pt_space_destroy(&probe);
}

/**
 * kernel_space_init() - build the kernel's page tables and switch to them
 * @map: the memory map (the direct map covers its RAM)
 *
 * Needs the PMM. Panics if the tables cannot be built: the kernel cannot run
 * without them.
 */
void kernel_space_init(const struct memmap *map)
{
	choose_format();
	collect_guards();
	if (vm_space_init(&kernel_vm, &kernel_format, NULL, NULL))
		panic("kernel space: no memory for a root page table");
	kernel_vm.pt.flags |= PT_SPACE_KERNEL;

	map_image_range((uintptr_t)_text, (uintptr_t)_etext, PT_EXEC, "kernel text");
	map_image_range((uintptr_t)_rodata, (uintptr_t)_erodata, PT_READ, "kernel rodata");
	map_data();
	map_direct(map);

	pt_space_load(&kernel_vm.pt);
	df_tss_set_cr3(kernel_vm.pt.root);
	enable_protections();
	plat_tlb_flush_all();
	page_fault_hook = kernel_page_fault;

	if (vmalloc_init(&kernel_vm.pt, VMALLOC_BASE, VMALLOC_END))
		panic("kernel space: cannot set up the vmalloc area");
	kmap_init(&kernel_vm.pt, kernel_format.nx);
	pin_kernel_half();
	kprintf("vm: %s kernel page tables at %#" PRIx64 ", %" PRIu64 " table pages; W^X image%s%s%s%s\n",
		kernel_format.name, kernel_vm.pt.root, kernel_vm.pt.table_pages,
		kernel_format.nx ? ", NX" : "",
		read_cr4() & CR4_SMEP ? ", SMEP" : "", read_cr4() & CR4_SMAP ? ", SMAP" : "",
		read_cr4() & CR4_PGE ? ", global pages" : "");
}

/**
 * kernel_region_of() - name the part of the address space @addr falls in
 * @addr: a virtual address
 * @buf: room for the name
 * @len: its size
 *
 * For fault reports: null page, user space, a stack guard, kernel text,
 * rodata or data, the direct map, a vmalloc area or its guard gap, unmapped.
 */
const char *kernel_region_of(uintptr_t addr, char *buf, unsigned len)
{
	const struct stack_guard *g = guard_at(addr);
	struct vmalloc_area area;

	if (addr < PAGE_SIZE)
		return "null page";
	if (addr < USER_SPACE_END)
		return "user space";
	if (g) {
		ksnprintf(buf, len, "stack guard (%s stack)", g->stack);
		return buf;
	}
	if (addr >= (uintptr_t)_text && addr < (uintptr_t)_etext)
		return "kernel text";
	if (addr >= (uintptr_t)_rodata && addr < (uintptr_t)_erodata)
		return "kernel rodata";
	if (addr >= (uintptr_t)_data && addr < (uintptr_t)_end)
		return "kernel data";
	if (addr >= DIRECT_MAP_BASE && addr < DIRECT_MAP_END)
		return "direct map";
	if (addr >= KMAP_BASE && addr < KMAP_END)
		return "kmap window";
	if (addr >= LAPIC_WINDOW && addr < LAPIC_WINDOW + PAGE_SIZE)
		return "local APIC";
	if (addr >= VMALLOC_BASE && addr < VMALLOC_END) {
		if (vmalloc_area_of((const void *)addr, &area))
			return addr < area.base + area.size ? "vmalloc area" : "vmalloc guard gap";
		/* Just below an area: the guard of a stack that grows down into it. */
		if (vmalloc_area_of((const void *)(uintptr_t)(addr + PAGE_SIZE), &area) &&
		    addr + PAGE_SIZE >= area.base)
			return "vmalloc guard gap";
		return "vmalloc (unallocated)";
	}
	return "unmapped";
}

/**
 * kernel_mapped() - can the kernel read @addr without a fault?
 * @addr: a virtual address
 *
 * Before the kernel's tables exist, everything the boot tables map counts.
 */
bool kernel_mapped(uintptr_t addr)
{
	if (!kernel_vm.pt.root)
		return addr >= DIRECT_MAP_BASE;
	return pt_translate(&kernel_vm.pt, addr, NULL, NULL, NULL);
}
