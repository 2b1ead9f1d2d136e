// SPDX-License-Identifier: MIT
/*
 * High memory: RAM above the 896 MiB the kernel maps permanently is used
 * for user pages and page-cache data, reached through temporary per-CPU
 * mappings (mm/platform.h's plat_kmap/plat_kunmap, Linux's kmap_local).
 *
 * Each CPU owns KMAP_SLOTS pages of the kmap window (memlayout.h), used as
 * a stack: plat_kmap() takes the next slot, rewrites its page-table entry
 * and flushes that page from this CPU's TLB; plat_kunmap() pops it. The
 * entries stay present (pointing at the last frame mapped), so the page
 * tables of the window, made once at boot, never change shape and need no
 * shootdown: only their owner CPU uses a slot, and it flushes before each
 * use. Holders must not sleep or yield, so a slot never moves to another
 * CPU; interrupts take slots above the interrupted code's and give them
 * back before returning. Lowmem frames are returned through the direct map.
 *
 * The KASAN build gives the window a shadow (kernel/kasan.c): a slot is
 * open while it is held and poisoned from its plat_kunmap() on, so a use
 * of a high frame's mapping after it is given back is reported.
 */
#include "arch.h"
#include "memlayout.h"
#include "percpu.h"
#include "kernel/lib.h"
#include "mm/platform.h"
#include "mm/pt.h"

#define PTE_P	0x1u
#define PTE_W	0x2u
#define PTE_A	0x20u
#define PTE_D	0x40u
#define PAE_ADDR	0x000ffffffffff000ull

static void *slot_pte[MM_MAX_CPUS * KMAP_SLOTS];	/* each slot's page-table entry */
static unsigned depth[MM_MAX_CPUS];			/* slots in use, per CPU */
static bool entry8;					/* PAE: 8-byte entries */
static uint64_t entry_nx;				/* PAE with NX: data only */

static uintptr_t slot_va(unsigned slot)
{
	return KMAP_BASE + (uintptr_t)slot * PAGE_SIZE;
}

/* MM_KASAN: open a slot's shadow while it is held, poison it after. */
static inline void kasan_slot(uintptr_t va, bool held)
{
#ifdef MM_KASAN
	if (held)
		plat_kasan_unpoison((const void *)va, PAGE_SIZE);
	else
		plat_kasan_poison((const void *)va, PAGE_SIZE, KASAN_KMAP_UNMAPPED);
#else
	(void)va, (void)held;
#endif
}

/* The last-level entry of @va in the tables of @pt (two-level or PAE). */
static void *find_pte(const struct pt_space *pt, uintptr_t va)
{
	if (entry8) {
		const uint64_t *pdpt = plat_phys_to_virt(pt->root);
		const uint64_t *pd = plat_phys_to_virt(pdpt[va >> 30] & PAE_ADDR);
		uint64_t *t = plat_phys_to_virt(pd[(va >> 21) & 511] & PAE_ADDR);

		return &t[(va >> 12) & 511];
	}
	const uint32_t *pd = plat_phys_to_virt(pt->root);
	uint32_t *t = plat_phys_to_virt(pd[va >> 22] & 0xfffff000u);

	return &t[(va >> 12) & 1023];
}

/**
 * kmap_init() - make the kmap window's page tables in the kernel's space
 * @pt: the kernel's page tables, before the kernel half is shared
 * @nx: the format has a no-execute bit (PAE on a CPU with NX)
 *
 * Every slot is mapped once (to frame 0) so that its table exists and
 * stays; plat_kmap() then only rewrites entries. Panics without memory.
 */
void kmap_init(struct pt_space *pt, bool nx)
{
	entry8 = pt->fmt->entry_size == 8;
	entry_nx = nx ? 1ull << 63 : 0;
	for (unsigned s = 0; s < ARRAY_LEN(slot_pte); s++) {
		if (pt_map(pt, slot_va(s), 0, PAGE_SIZE, PT_WRITE, 0))
			panic("kmap: no memory for the kmap window's page tables");
		slot_pte[s] = find_pte(pt, slot_va(s));
	}
}

/* First RAM the direct map does not reach: ZONE_HIGHMEM starts there. */
phys_addr_t plat_highmem_base(void)
{
	return LOWMEM_SIZE;
}

/* Every mapping is counted, lowmem or not: the rule is the holder's, not the frame's. */
void *plat_kmap(phys_addr_t pa)
{
	this_cpu_kmap_held_add(1);
	if (pa < LOWMEM_SIZE)
		return plat_phys_to_virt(pa);
	unsigned cpu = plat_cpu_id();
	/* Atomic against an interrupt on this CPU, which pushes and pops its own. */
	unsigned d = __atomic_fetch_add(&depth[cpu], 1, __ATOMIC_RELAXED);
	unsigned s = cpu * KMAP_SLOTS + d;

	if (d >= KMAP_SLOTS || !slot_pte[s])
		panic("kmap: mapping %#" PRIx64 " on CPU %u: %s (%u held, %u slots)", pa, cpu,
		      d >= KMAP_SLOTS ? "no slot left" : "no kmap window yet", d, KMAP_SLOTS);
	uint64_t e = (pa & ~(uint64_t)(PAGE_SIZE - 1)) | PTE_P | PTE_W | PTE_A | PTE_D;

	if (entry8)
		__atomic_store_n((uint64_t *)slot_pte[s], e | entry_nx, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint32_t *)slot_pte[s], (uint32_t)e, __ATOMIC_RELEASE);
	invlpg(slot_va(s));
	kasan_slot(slot_va(s), true);
	return (void *)slot_va(s);
}

void plat_kunmap(void *va)
{
	uintptr_t v = (uintptr_t)va;

	this_cpu_kmap_held_add(-1);
	if (v < KMAP_BASE || v >= KMAP_END)
		return;		/* a lowmem frame, through the direct map */
	unsigned cpu = plat_cpu_id();
	unsigned d = depth[cpu];

	if (!d || v != slot_va(cpu * KMAP_SLOTS + d - 1))
		panic("kmap: plat_kunmap(%p) on CPU %u is not its last mapping (%u held)", va, cpu, d);
	kasan_slot(v, false);	/* before the slot is free: an interrupt then takes the next */
	__atomic_store_n(&depth[cpu], d - 1, __ATOMIC_RELAXED);
}

/* The frame behind a kmap-window address (a driver given a mapped page). */
phys_addr_t kmap_virt_to_phys(uintptr_t va)
{
	unsigned s = (unsigned)((va - KMAP_BASE) >> PAGE_SHIFT);
	uint64_t e = entry8 ? __atomic_load_n((uint64_t *)slot_pte[s], __ATOMIC_ACQUIRE) :
			      __atomic_load_n((uint32_t *)slot_pte[s], __ATOMIC_ACQUIRE);

	return (e & PAE_ADDR) + (va & (PAGE_SIZE - 1));
}
