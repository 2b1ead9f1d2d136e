/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 kernel's virtual memory layout.
 *
 *   0000000000000000 - 00007fffffffffff  user space (128 TiB)
 *   ffff800000000000 - ffffbfffffffffff  direct map of all physical memory (64 TiB)
 *   ffffc90000000000 - ffffd8ffffffffff  vmalloc area (16 TiB): kernel stacks, large allocations
 *   ffffd90000000000 - ffffe8ffffffffff  the heap's slab arena (16 TiB; not in the KASAN build): a slab
 *                                        of the PMM block at pa lives at base + pa, mapped frame by frame
 *                                        (mm/heap_arena.c); counted in the vmalloc range by KASAN's view
 *   ffffec0000000000 - fffffbffffffffff  KASAN build only: shadow of the kernel half (1 byte per 8 at
 *                                        (addr >> 3) + KASAN_SHADOW_OFFSET): the direct map's RAM,
 *                                        vmalloc's mapped areas, the image's first 32 MiB
 *   fffffd0000000000 - fffffdffffffffff  never mapped (tests probe faults here)
 *   ffffffff80000000 - ffffffffffffffff  kernel image (linked here, loaded at 1 MiB)
 */
#ifndef ARCH_X86_64_MEMLAYOUT_H
#define ARCH_X86_64_MEMLAYOUT_H

#define KERNEL_LMA		0x100000
#define KERNEL_VMA		0xffffffff80000000
#define KERNEL_SPACE_BASE	0xffff800000000000
#define DIRECT_MAP_BASE		0xffff800000000000
#define DIRECT_MAP_END		0xffffc00000000000
#define VMALLOC_BASE		0xffffc90000000000
#define VMALLOC_END		0xffffe90000000000	/* of the range; vmalloc's own window ends at the arena */
#ifndef KASAN
/* The sanitizer's shadow would need mapping with each slab page: its kernel keeps the direct map. */
#define HEAP_ARENA_BASE		0xffffd90000000000
#define HEAP_ARENA_END		0xffffe90000000000
#endif
#define KASAN_SHADOW_BASE	0xffffec0000000000	/* the shadow of DIRECT_MAP_BASE */
#define KASAN_SHADOW_OFFSET	0xdffffc0000000000	/* mk/ksan.mk passes it to the compiler */
#define KASAN_IMAGE_SPAN	0x2000000	/* from KERNEL_VMA, with a static shadow in .bss */
#define KERNEL_NEVER_MAPPED	0xfffffd0000000000
#define USER_SPACE_END		0x0000800000000000
/* What boot.S maps of the direct map before the kernel builds its own tables. */
#define EARLY_DIRECT_MAP_SIZE	0x100000000

/* The page below 1 MiB where application processors start (ap_boot.S). */
#define AP_TRAMPOLINE		0x8000
/* Where the local APIC's registers are mapped (uncached): in the direct map. */
#define LAPIC_VA(pa)		(DIRECT_MAP_BASE + (pa))

#define BOOT_STACK_SIZE		16384
#define IST_STACK_SIZE		8192

/* GDT selectors; the order is the one SYSCALL/SYSRET require. */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	0x1b
#define SEL_UCODE	0x23
#define SEL_TSS		0x28

#endif
