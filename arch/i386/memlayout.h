/* SPDX-License-Identifier: MIT */
/*
 * The i386 kernel's virtual memory layout (a 3 GiB / 1 GiB split, as Linux's):
 *
 *   00000000 - bfffffff  user space (3 GiB)
 *   c0000000 - f7ffffff  direct map of the first 896 MiB of RAM ("lowmem");
 *                        the kernel image is linked in it, at 0xc0100000
 *                        KASAN build: c0000000 - efffffff, 768 MiB of lowmem, and
 *   f0000000 - f7ffffff  KASAN build only: shadow of the kernel half (1 byte per 8
 *                        at (addr >> 3) + KASAN_SHADOW_OFFSET): the direct map's
 *                        RAM (the image's first 16 MiB from a static array), the
 *                        mapped vmalloc areas, the kmap window (f7e00000 - f7e3ffff)
 *   f8800000 - feffffff  vmalloc area: kernel stacks, large allocations
 *   ff000000 - ff1fffff  kmap window: KMAP_SLOTS temporary mappings per CPU
 *   ff400000 - ff400fff  the local APIC's registers (uncached)
 *   ff800000 - ffbfffff  never mapped (tests probe faults here)
 *
 * RAM above 896 MiB is high memory: user pages and page-cache data, reached
 * by the kernel through the kmap window (highmem.c).
 */
#ifndef ARCH_I386_MEMLAYOUT_H
#define ARCH_I386_MEMLAYOUT_H

#define KERNEL_LMA		0x100000
#define KERNEL_VMA		0xc0000000
#define KERNEL_SPACE_BASE	0xc0000000
#define DIRECT_MAP_BASE		0xc0000000
#ifdef KASAN
/* The shadow of the whole 1 GiB kernel half (128 MiB) is taken from lowmem. */
#define DIRECT_MAP_END		0xf0000000
#define KASAN_SHADOW_BASE	0xf0000000	/* the shadow of DIRECT_MAP_BASE */
#define KASAN_SHADOW_OFFSET	0xd8000000	/* mk/ksan.mk passes it to the compiler */
#define KASAN_IMAGE_SPAN	0x1000000	/* from KERNEL_VMA, with a static shadow in .bss */
#else
#define DIRECT_MAP_END		0xf8000000
#endif
#define LOWMEM_SIZE		(DIRECT_MAP_END - DIRECT_MAP_BASE)
#define VMALLOC_BASE		0xf8800000
#define VMALLOC_END		0xff000000
#define KMAP_BASE		0xff000000
#define KMAP_SLOTS		8	/* per CPU; the core nests at most PLAT_KMAP_DEPTH */
#define KMAP_END		(KMAP_BASE + MM_MAX_CPUS * KMAP_SLOTS * 4096)
#define LAPIC_WINDOW		0xff400000
/* Where the local APIC's registers are mapped: out of the direct map's reach. */
#define LAPIC_VA(pa)		LAPIC_WINDOW
#define KERNEL_NEVER_MAPPED	0xff800000
#define USER_SPACE_END		0xc0000000
/* What boot.S maps of the direct map before the kernel builds its own tables. */
#define EARLY_DIRECT_MAP_SIZE	LOWMEM_SIZE

/* The page below 1 MiB where application processors start (ap_boot.S). */
#define AP_TRAMPOLINE		0x8000

#define BOOT_STACK_SIZE		16384
#define DF_STACK_SIZE		8192

/* GDT selectors: Linux's i386 user selectors are not ABI, ours are simpler. */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UCODE	0x1b
#define SEL_UDATA	0x23
#define SEL_TSS		0x28
#define SEL_PERCPU	0x30	/* %fs in the kernel: this CPU's struct cpu_local */
#define SEL_DF_TSS	0x38	/* the double-fault task */
#define GDT_TLS_FIRST	8	/* set_thread_area's three entries: 8, 9, 10 */
#define GDT_TLS_COUNT	3
#define GDT_ENTRIES	11

#endif
