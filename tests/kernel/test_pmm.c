// SPDX-License-Identifier: MIT
/*
 * The physical memory manager on real RAM: zones by address, frames above
 * 4 GiB reachable, exhaustion and recovery, bad input refused, and free
 * memory back to exactly where it was after every case.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/heap.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/heap.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "tests/kernel/hoard.h"
#include "tests/kernel/frames.h"

static void alloc_free_every_order(struct ktest *t)
{
	uint64_t before = free_frames();

	for (unsigned order = 0; order <= PMM_MAX_ORDER; order++) {
		phys_addr_t f = pmm_alloc_pages(order, 0);
		KEXPECT(t, f != PMM_NO_FRAME);
		if (f == PMM_NO_FRAME)
			continue;
		KEXPECT_EQ(t, f & ((PAGE_SIZE << order) - 1), 0);	/* naturally aligned */
		KEXPECT_EQ(t, pmm_frame_state(f), PMM_FRAME_USED);
		uint8_t *p = plat_phys_to_virt(f);
		memset(p, 0xa5, PAGE_SIZE << order);	/* the whole block is RAM we may use */
		KEXPECT_EQ(t, p[(PAGE_SIZE << order) - 1], 0xa5);
		pmm_free_pages(f, order);
		KEXPECT_EQ(t, pmm_frame_state(f), PMM_FRAME_FREE);
	}
	KEXPECT_EQ(t, free_frames(), before);
}

static void zones_by_address(struct ktest *t)
{
	phys_addr_t dma = pmm_alloc_pages(0, PMM_ZONE_DMA);
	phys_addr_t dma32 = pmm_alloc_pages(3, PMM_ZONE_DMA32);
	phys_addr_t normal = pmm_alloc_pages(0, 0);

	KEXPECT(t, dma != PMM_NO_FRAME && dma < PMM_DMA_LIMIT);
	KEXPECT(t, dma32 != PMM_NO_FRAME && dma32 + (8 << PAGE_SHIFT) <= PMM_DMA32_LIMIT);
	KEXPECT(t, normal != PMM_NO_FRAME);
	/* With RAM above 4 GiB in ZONE_NORMAL, the default zone is served from there. */
	struct pmm_stats st;

	pmm_get_stats(&st);
	if (st.zone[PMM_ZONE_ID_NORMAL].total_frames) {
		KEXPECT(t, normal >= PMM_DMA32_LIMIT);
		volatile uint64_t *p = plat_phys_to_virt(normal);
		*p = 0x1234567890abcdefull;
		KEXPECT_EQ(t, *p, 0x1234567890abcdefull);
	}
	pmm_free_pages(dma, 0);
	pmm_free_pages(dma32, 3);
	pmm_free_pages(normal, 0);
}

static void zeroed_on_request(struct ktest *t)
{
	phys_addr_t f = pmm_alloc_pages(2, 0);

	memset(plat_phys_to_virt(f), 0xff, 4 * PAGE_SIZE);
	pmm_free_pages(f, 2);
	f = pmm_alloc_pages(2, PMM_ZERO);
	const uint64_t *p = plat_phys_to_virt(f);
	uint64_t nonzero = 0;
	for (unsigned i = 0; i < 4 * PAGE_SIZE / 8; i++)
		nonzero |= p[i];
	KEXPECT_EQ(t, nonzero, 0);
	pmm_free_pages(f, 2);
}

/*
 * Takes every free frame, largest blocks first, chaining the blocks through
 * their own first words; then gives them all back.
 */
static void exhaustion_and_recovery(struct ktest *t)
{
	uint64_t before = free_frames();
	phys_addr_t chain;
	uint64_t taken = hoard_all_frames(&chain);

	KEXPECT_EQ(t, taken, before);
	KEXPECT_EQ(t, pmm_alloc_pages(0, 0), PMM_NO_FRAME);	/* empty, and no panic */
	KEXPECT_EQ(t, free_frames(), 0);
	hoard_release(chain);
	KEXPECT_EQ(t, free_frames(), before);
	KEXPECT_EQ(t, pmm_check(), 0);
	phys_addr_t again = pmm_alloc_pages(PMM_MAX_ORDER, 0);	/* merged back */
	KEXPECT(t, again != PMM_NO_FRAME);
	pmm_free_pages(again, PMM_MAX_ORDER);
}

/*
 * The OOM reserve: once user pages have taken all they may, the kernel's
 * own allocations (its heap, a page, a user space's page table) still
 * succeed, and everything comes back.
 */
static void reserve_for_the_kernel(struct ktest *t)
{
	struct pmm_stats st;
	phys_addr_t user, kern, table;

	heap_reclaim_all();	/* empty slabs back: the heap must ask the PMM */
	uint64_t before = free_frames(), res = pmm_reserve();

	KEXPECT(t, res >= 32 && res <= 8192);
	/*
	 * Large blocks, then single pages as user faults take them (from the
	 * smallest free blocks first), so what is left is whole blocks.
	 */
	user = PMM_NO_FRAME;
	uint64_t taken = hoard_frames(PMM_USER | PMM_HIGHMEM, PMM_MAX_ORDER, 6, &user);
	taken += hoard_frames(PMM_USER | PMM_HIGHMEM, 0, 0, &user);
	/* All but the reserve (of low memory); kheapd may free empty slabs meanwhile. */
	KEXPECT(t, taken + res >= before);
	KEXPECT_EQ(t, pmm_alloc_pages(0, PMM_USER | PMM_HIGHMEM), PMM_NO_FRAME);
	KEXPECT_EQ(t, free_frames(), res);
	table = pmm_alloc_pages(0, PMM_ZERO | PMM_USER_TABLE);	/* half the reserve */
	void *obj = kmalloc(3000);	/* a new slab */
	kern = pmm_alloc_pages(1, PMM_ZERO);
	KEXPECT(t, obj != NULL);
	KEXPECT(t, kern != PMM_NO_FRAME);
	KEXPECT(t, table != PMM_NO_FRAME);
	pmm_get_stats(&st);
	KEXPECT(t, st.reserve_refusals > 0);
	KEXPECT_EQ(t, st.reserve_frames, res);
	kfree(obj);
	pmm_free_pages(kern, 1);
	pmm_free_pages(table, 0);
	hoard_release(user);
	heap_reclaim_all();
	KEXPECT_EQ(t, free_frames(), before);
	KEXPECT_EQ(t, pmm_check(), 0);
}

static void bad_input_refused(struct ktest *t)
{
	struct pmm_stats st;
	uint64_t before = free_frames();

	pmm_get_stats(&st);
	uint64_t bad = st.bad_calls;
	phys_addr_t f = pmm_alloc_pages(1, 0);
	pmm_free_pages(f, 1);
	pmm_free_pages(f, 1);				/* double free */
	pmm_free_pages(KERNEL_LMA, 0);			/* the kernel image */
	pmm_free_pages(f + 8, 0);			/* unaligned */
	pmm_free_pages(1ull << 51, 0);			/* not RAM */
	f = pmm_alloc_pages(1, 0);
	pmm_free_pages(f, 0);				/* wrong order */
	pmm_free_pages(f, 1);
	KEXPECT_EQ(t, pmm_put(f), 0);			/* reference to a free frame */
	pmm_get_stats(&st);
	KEXPECT_EQ(t, st.bad_calls - bad, 6);
	KEXPECT_EQ(t, free_frames(), before);
	KEXPECT_EQ(t, pmm_check(), 0);
}

static void reference_counts(struct ktest *t)
{
	phys_addr_t f = pmm_alloc_pages(0, 0);

	KEXPECT_EQ(t, pmm_refcount(f), 1);
	KEXPECT_EQ(t, pmm_get(f), 2);
	KEXPECT_EQ(t, pmm_put(f), 1);
	KEXPECT_EQ(t, pmm_frame_state(f), PMM_FRAME_USED);
	KEXPECT_EQ(t, pmm_put(f), 0);
	KEXPECT_EQ(t, pmm_frame_state(f), PMM_FRAME_FREE);
}

static void boot_ranges_reserved(struct ktest *t)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	KEXPECT_EQ(t, pmm_frame_state(0), PMM_FRAME_RESERVED);
	KEXPECT_EQ(t, pmm_frame_state(KERNEL_LMA), PMM_FRAME_RESERVED);
	KEXPECT_EQ(t, pmm_frame_state((uintptr_t)_end - KERNEL_VMA - 1), PMM_FRAME_RESERVED);
	KEXPECT_EQ(t, pmm_frame_state(boot_info.info_start), PMM_FRAME_RESERVED);
	KEXPECT_EQ(t, pmm_frame_state(st.metadata_base), PMM_FRAME_RESERVED);
	for (unsigned i = 0; i < boot_info.nmodules; i++)
		KEXPECT_EQ(t, pmm_frame_state(boot_info.module[i].start), PMM_FRAME_RESERVED);
	KEXPECT(t, st.metadata_bp <= 160);	/* at most 1.6 % of RAM */
	KEXPECT_EQ(t, st.total_frames, st.free_frames + st.used_frames + st.reserved_frames);
}

KTEST_SUITE(pmm,
	    KTEST_CASE(alloc_free_every_order),
	    KTEST_CASE(zones_by_address),
	    KTEST_CASE(zeroed_on_request),
	    KTEST_CASE(exhaustion_and_recovery),
	    KTEST_CASE(reserve_for_the_kernel),
	    KTEST_CASE(bad_input_refused),
	    KTEST_CASE(reference_counts),
	    KTEST_CASE(boot_ranges_reserved));
