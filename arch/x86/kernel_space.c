// SPDX-License-Identifier: MIT
/*
 * The kernel's own address space, built with the memory core's page-table
 * engine once the PMM is up, replacing boot.S's tables:
 *
 *  - the kernel image, section by section, with W^X: text read+execute,
 *    rodata read-only, data and bss read+write; all no-execute but text;
 *  - the guard page below each boot-time stack left unmapped;
 *  - a direct map of the RAM below DIRECT_MAP_END (all of it on x86_64,
 *    896 MiB on i386), no-execute;
 *  - the arch's windows (i386: kmap for high memory, the local APIC);
 *  - vmalloc's window, and after it the heap's slab arena where the arch
 *    has one (arch/x86/heap_arena.c);
 *  - nothing in user space: the null page and all below USER_SPACE_END
 *    unmapped.
 *
 * Then NX, global pages, SMEP and SMAP as the CPU offers them. The format
 * and the stacks are the arch's (kernel_space_arch.h).
 */
#include "arch.h"
#include "memlayout.h"
#include "heap_arena.h"
#include "kernel_space_arch.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"
#include "mm/as.h"
#include "mm/fault.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/vmalloc.h"

struct vm_space kernel_vm;
static struct pt_format kernel_format;
static struct stack_guard guards[KERNEL_STACK_GUARDS];
static unsigned nguards;

static const struct stack_guard *guard_at(uintptr_t addr)
{
	for (unsigned i = 0; i < nguards; i++)
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
 * Large pages where the format has them below the root: two-level paging
 * would put 4 MiB pages in the root itself, whose kernel half every process
 * shares by pointing at the same page tables, so it takes 4 KiB pages (224
 * tables for 896 MiB). Where the image lies inside the direct map (i386),
 * its own W^X mappings stand instead.
 */
static void map_direct(const struct memmap *map)
{
	const uint64_t limit = (uint64_t)(DIRECT_MAP_END - DIRECT_MAP_BASE);
	const bool image_inside = KERNEL_VMA == DIRECT_MAP_BASE;
	unsigned large = kernel_format.levels > 2 ? PT_MAP_LARGE : 0;

	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		if (!is_ram(r->type) || r->base >= limit ||
		    (image_inside && r->type == MEMMAP_KERNEL))
			continue;
		map_or_panic(DIRECT_MAP_BASE + r->base, r->base, MM_MIN(r->end, limit) - r->base,
			     PT_WRITE | PT_GLOBAL, large, "direct map");
	}
	/* The legacy VGA window, for the text console: device memory, uncached. */
	map_or_panic(DIRECT_MAP_BASE + 0xa0000, 0xa0000, 0x20000,
		     PT_WRITE | PT_GLOBAL | PT_NOCACHE, PT_MAP_REPLACE, "VGA memory");
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
	if (cpu_features.pku)
		cr4 |= CR4_PKE;
	write_cr4(cr4);
}

/*
 * A kernel-mode fault on a user address (copying to or from a process)
 * is resolved in the process's space: demand paging, copy-on-write, a
 * swap-in. Where interrupts were on, the interrupted code held no spinlock
 * (all are taken with interrupts off), so the fault runs with them on, as
 * a user-mode fault does, and a page on a disk is waited for asleep
 * instead of polled: the copy may sleep. That needs the frame on the
 * task's own stack (x86_64 moves it there from the IST stack when it has
 * room; i386 takes it there); otherwise the fault polls as before.
 * Anything else the kernel's own space must already allow.
 */
static bool kernel_page_fault(struct trap_frame *f, uint64_t addr)
{
	struct vm_fault vf = { .addr = addr, .flags = f->error & VM_FAULT_MASK, .ip = trap_ip(f) };
	struct vm_space *user = addr < USER_SPACE_END ? current_user_space() : NULL;
	bool irqs = user && (trap_flags(f) & RFLAGS_IF) && task_stack_has_room((uintptr_t)f, 0);
	bool ok;

	if (f->error & PF_PK)
		return false;	/* the thread's PKRU forbids it: no mapping change helps (EFAULT) */

	if (irqs) {
		if (cpu_features.smap)
			__asm__ volatile("clac" ::: "memory");	/* the copy's stac: not across a switch */
		sti();
	}
#ifdef KPERF
	uint64_t start = rdtsc();
	ok = vm_handle_fault(user ? user : &kernel_vm, &vf) == VM_FAULT_RESOLVED;
	if (user)
		kernel_fault_account(rdtsc() - start);
#else
	ok = vm_handle_fault(user ? user : &kernel_vm, &vf) == VM_FAULT_RESOLVED;
#endif
	if (irqs)
		cli();		/* iret restores the interrupted flags, AC included */
	return ok;
}

/*
 * Every process shares the kernel half by copying its root entries (256 on
 * x86_64 and in two-level paging, one with PAE), so each must point to a
 * table that stays. Creating them now keeps them out of the first process's
 * accounts.
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
	arch_kernel_format(&kernel_format);
	nguards = arch_stack_guards(guards);
	if (vm_space_init(&kernel_vm, &kernel_format, NULL, NULL))
		panic("kernel space: no memory for a root page table");
	kernel_vm.pt.flags |= PT_SPACE_KERNEL;

	map_image_range((uintptr_t)_text, (uintptr_t)_etext, PT_EXEC, "kernel text");
	map_image_range((uintptr_t)_rodata, (uintptr_t)_erodata, PT_READ, "kernel rodata");
	map_data();
	map_direct(map);
	kasan_map_image(&kernel_vm.pt);	/* the boot stack's frames write its shadow */

	pt_space_load(&kernel_vm.pt);
	enable_protections();
	plat_tlb_flush_all();
	page_fault_hook = kernel_page_fault;

	if (vmalloc_init(&kernel_vm.pt, VMALLOC_BASE, arch_vmalloc_end()))
		panic("kernel space: cannot set up the vmalloc area");
	arch_heap_arena_init();
	arch_kernel_space_ready(&kernel_vm.pt, &kernel_format);
	pin_kernel_half();
	kprintf("vm: %s kernel page tables at %#" PRIx64 ", %" PRIu64 " table pages; W^X image%s%s%s%s\n",
		kernel_format.name, (uint64_t)kernel_vm.pt.root, (uint64_t)kernel_vm.pt.table_pages,
		kernel_format.nx ? ", NX" : "",
		read_cr4() & CR4_SMEP ? ", SMEP" : "", read_cr4() & CR4_SMAP ? ", SMAP" : "",
		read_cr4() & CR4_PGE ? ", global pages" : "");
}

/* The vmalloc area's part: an area, a guard gap, or unallocated. */
static const char *vmalloc_region_of(uintptr_t addr)
{
	struct vmalloc_area area;

	if (vmalloc_area_of((const void *)addr, &area))
		return addr < area.base + area.size ? "vmalloc area" : "vmalloc guard gap";
	/* Just below an area: the guard of a stack that grows down into it. */
	if (vmalloc_area_of((const void *)(uintptr_t)(addr + PAGE_SIZE), &area) &&
	    addr + PAGE_SIZE >= area.base)
		return "vmalloc guard gap";
	return "vmalloc (unallocated)";
}

/**
 * kernel_region_of() - name the part of the address space @addr falls in
 * @addr: a virtual address
 * @buf: room for the name
 * @len: its size
 *
 * For fault reports: null page, user space, a stack guard, kernel text,
 * rodata or data, the direct map, an arch window, a vmalloc area or its
 * guard gap, unmapped.
 */
const char *kernel_region_of(uintptr_t addr, char *buf, unsigned len)
{
	const struct stack_guard *g = guard_at(addr);
	const char *window = arch_kernel_window(addr);

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
	if (window)
		return window;
	if (addr >= arch_vmalloc_end() && addr < VMALLOC_END)
		return "heap slab arena";
	if (addr >= VMALLOC_BASE && addr < VMALLOC_END)
		return vmalloc_region_of(addr);
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
