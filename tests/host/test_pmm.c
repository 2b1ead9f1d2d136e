// SPDX-License-Identifier: MIT
/*
 * Unit tests of the physical memory manager on simulated RAM: the frame
 * database and its placement, zones and fallback, merging, per-CPU caches,
 * reference counts, every kind of bad input, and concurrent use.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/sim_setup.h"

#define FRAME	PG

static struct memmap map;

/* A PC with @ram bytes below 3 GiB and the rest from 4 GiB: low memory, BIOS, kernel. */
static void boot_pc(uint64_t ram)
{
	uint64_t low = ram < 3 * GiB ? ram : 3 * GiB;

	sim_map_clear(&map);
	sim_map_add(&map, 0, 0x9f000, MEMMAP_USABLE);
	sim_map_add(&map, 0x9f000, 0x100000, MEMMAP_RESERVED);
	sim_map_add(&map, 0x100000, 0x400000, MEMMAP_KERNEL);
	sim_map_add(&map, 0x400000, low, MEMMAP_USABLE);
	if (ram > low) {
		sim_map_add(&map, 3 * GiB, 4 * GiB, MEMMAP_RESERVED);	/* the PCI hole */
		sim_map_add(&map, 4 * GiB, 4 * GiB + (ram - low), MEMMAP_USABLE);
	}
	sim_need_ram(ram);
	assert_int_equal(ram > low ? sim_ram_init_split(low, 4 * GiB, ram - low) : sim_ram_init(ram), 0);
	assert_int_equal(pmm_init(&map), 0);
}

/* --- the frame database ----------------------------------------------------- */

static void test_init_32m(void **state)
{
	struct pmm_stats st;

	(void)state;
	boot_pc(32 * MiB);
	pmm_get_stats(&st);
	sim_expect_clean();

	/* All RAM is counted, reserved or managed, and nothing is in use yet. */
	assert_int_equal(st.total_frames, (32 * MiB - 0x61000) / FRAME);
	assert_int_equal(st.used_frames, 0);
	assert_int_equal(st.free_frames + st.reserved_frames, st.total_frames);
	/* Kernel (3 MiB), frame 0 and the database are reserved. */
	assert_int_equal(st.reserved_frames, 768 + 1 + st.metadata_bytes / FRAME);
	assert_int_equal(st.frame_desc_bytes, 16);
	assert_true(st.metadata_bp <= 160);

	/* The database sits above ZONE_DMA and is carved into the map. */
	assert_true(st.metadata_base >= 16 * MiB);
	bool carved = false;

	for (unsigned i = 0; i < map.count; i++)
		if (map.range[i].type == MEMMAP_FRAMEDB) {
			assert_int_equal(map.range[i].base, st.metadata_base);
			assert_int_equal(map.range[i].end, st.metadata_base + st.metadata_bytes);
			carved = true;
		}
	assert_true(carved);

	assert_int_equal(pmm_frame_state(0), PMM_FRAME_RESERVED);
	assert_int_equal(pmm_frame_state(0x1000), PMM_FRAME_FREE);
	assert_int_equal(pmm_frame_state(0xa0000), PMM_FRAME_ABSENT);
	assert_int_equal(pmm_frame_state(0x200000), PMM_FRAME_RESERVED);
	assert_int_equal(pmm_frame_state(st.metadata_base), PMM_FRAME_RESERVED);
	assert_int_equal(pmm_frame_state(32 * MiB), PMM_FRAME_ABSENT);
	assert_int_equal(pmm_frame_state(1ull << 50), PMM_FRAME_ABSENT);
	assert_int_equal(st.zone[PMM_ZONE_ID_DMA].total_frames + st.zone[PMM_ZONE_ID_DMA32].total_frames,
			 st.total_frames);
	assert_int_equal(st.zone[PMM_ZONE_ID_NORMAL].total_frames, 0);
}

static void test_init_6g_pc(void **state)
{
	struct pmm_stats st;

	(void)state;
	boot_pc(6 * GiB);
	pmm_get_stats(&st);
	sim_expect_clean();
	assert_true(st.metadata_bp <= 160);
	/* Descriptors for RAM only: the PCI hole costs a table entry, not 1 MiB. */
	assert_true(st.metadata_bytes <= 6 * GiB / FRAME * 16 + 2 * FRAME);
	assert_int_equal(st.zone[PMM_ZONE_ID_NORMAL].total_frames, 3 * GiB / FRAME);
	assert_int_equal(st.zone[PMM_ZONE_ID_NORMAL].base, 4 * GiB);
	assert_int_equal(st.zone[PMM_ZONE_ID_DMA32].end, 3 * GiB);
	assert_int_equal(pmm_frame_state(3 * GiB + 5 * MiB), PMM_FRAME_ABSENT);
	assert_true(st.metadata_base >= 16 * MiB && st.metadata_base < 4 * GiB);
}

/* RAM at 0-2 GiB and 64-66 GiB: the 62 GiB hole costs no descriptors. */
static void test_init_sparse(void **state)
{
	struct pmm_stats st;

	(void)state;
	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, 2 * GiB, MEMMAP_USABLE);
	sim_map_add(&map, 64 * GiB, 66 * GiB, MEMMAP_USABLE);
	sim_need_ram(4 * GiB);
	assert_int_equal(sim_ram_init_split(2 * GiB, 64 * GiB, 2 * GiB), 0);
	assert_int_equal(pmm_init(&map), 0);
	pmm_get_stats(&st);
	sim_expect_clean();
	assert_true(st.metadata_bytes <= 4 * GiB / FRAME * 16 + 2 * FRAME);
	assert_true(st.metadata_bp <= 160);
	assert_int_equal(pmm_frame_state(32 * GiB), PMM_FRAME_ABSENT);

	phys_addr_t hi = pmm_alloc_pages(PMM_MAX_ORDER, 0);

	assert_true(hi >= 64 * GiB && hi < 66 * GiB);
	assert_int_equal(pmm_frame_state(hi + 5 * FRAME), PMM_FRAME_USED);
	pmm_free_pages(hi, PMM_MAX_ORDER);
	sim_expect_clean();
}

/* 64 GiB initializes, and its metadata stays small. */
static void test_init_64g(void **state)
{
	struct pmm_stats st;

	(void)state;
	boot_pc(64 * GiB);
	pmm_get_stats(&st);
	assert_true(st.metadata_bp <= 160);
	assert_int_equal(st.zone[PMM_ZONE_ID_NORMAL].free_blocks[PMM_MAX_ORDER],
			 61 * GiB / (FRAME << PMM_MAX_ORDER));
	sim_expect_clean();
}

static void test_init_failures(void **state)
{
	uint64_t e = sim_errors();

	(void)state;
	assert_int_equal(sim_ram_init(64 * MiB), 0);
	sim_map_clear(&map);
	assert_int_equal(pmm_init(&map), -1);			/* empty map */
	sim_map_add(&map, 0, 64 * MiB, MEMMAP_RESERVED);
	assert_int_equal(pmm_init(&map), -1);			/* nothing usable */
	sim_map_clear(&map);
	sim_map_add(&map, 0, 60 * MiB, MEMMAP_KERNEL);		/* no room for the database */
	sim_map_add(&map, 60 * MiB, 60 * MiB + FRAME, MEMMAP_USABLE);
	assert_int_equal(pmm_init(&map), -1);
	assert_int_equal(sim_errors(), e + 3);
	/* Nothing is handed out after a failed init. */
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);
}

/* A map built by the normalizer from messy entries, as the boot code does. */
static void test_init_normalized_map(void **state)
{
	struct pmm_stats st;

	(void)state;
	memmap_init(&map);
	memmap_add(&map, 0x100000, 127 * MiB, MEMMAP_USABLE);
	memmap_add(&map, 0, 0x9fc00, MEMMAP_USABLE);
	memmap_add(&map, 0x9fc00, 0x400, MEMMAP_RESERVED);
	memmap_add(&map, 0xf0000, 0x10000, MEMMAP_RESERVED);
	memmap_add(&map, 0x7fe0000, 0x20000, MEMMAP_ACPI_RECLAIMABLE);
	memmap_normalize(&map);
	assert_int_equal(memmap_carve(&map, 0x100000, 0x2a5123, MEMMAP_KERNEL), 0);
	assert_int_equal(sim_ram_init(128 * MiB), 0);
	assert_int_equal(pmm_init(&map), 0);
	pmm_get_stats(&st);
	sim_expect_clean();
	assert_int_equal(pmm_frame_state(0x2a5000), PMM_FRAME_RESERVED);
	assert_int_equal(pmm_frame_state(0x2a6000), PMM_FRAME_FREE);
	assert_int_equal(pmm_frame_state(0x7fe0000), PMM_FRAME_RESERVED);
	assert_int_equal(memmap_bytes(&map, MEMMAP_FRAMEDB), st.metadata_bytes);
}

/* When the map has no room to record the database, the PMM still keeps off it. */
static void test_init_carve_fails(void **state)
{
	struct pmm_stats st;

	(void)state;
	sim_map_clear(&map);
	for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)	/* a full map */
		sim_map_add(&map, i * 2 * MiB, (i * 2 + 1) * MiB,
			    i & 1 ? MEMMAP_RESERVED : MEMMAP_USABLE);
	assert_int_equal(sim_ram_init(MEMMAP_MAX_RANGES * 2 * MiB), 0);
	assert_int_equal(pmm_init(&map), 0);
	pmm_get_stats(&st);
	sim_expect_clean();
	assert_int_equal(pmm_frame_state(st.metadata_base), PMM_FRAME_RESERVED);
	for (phys_addr_t a; (a = pmm_alloc_pages(0, 0)) != PMM_NO_FRAME;)
		assert_true(a < st.metadata_base || a >= st.metadata_base + st.metadata_bytes);
}

static void test_reinit(void **state)
{
	(void)state;
	boot_pc(32 * MiB);
	assert_int_not_equal(pmm_alloc_pages(3, 0), PMM_NO_FRAME);
	boot_pc(64 * MiB);
	sim_expect_clean();

	struct pmm_stats st;

	pmm_get_stats(&st);
	assert_int_equal(st.used_frames, 0);
}

/* --- allocation ---------------------------------------------------------------- */

static void test_orders_aligned(void **state)
{
	phys_addr_t blk[PMM_MAX_ORDER + 1];
	struct pmm_stats before, after;

	(void)state;
	boot_pc(256 * MiB);
	sim_drained_stats(&before);
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		blk[o] = pmm_alloc_pages(o, 0);
		assert_int_not_equal(blk[o], PMM_NO_FRAME);
		assert_int_equal(blk[o] % (FRAME << o), 0);
		assert_int_equal(pmm_refcount(blk[o]), 1);
		assert_int_equal(pmm_frame_state(blk[o]), PMM_FRAME_USED);
		assert_int_equal(pmm_frame_state(blk[o] + (FRAME << o) - FRAME), PMM_FRAME_USED);
		memset(plat_phys_to_virt(blk[o]), 0xab, FRAME << o);	/* ours to write */
	}
	struct pmm_stats mid;

	pmm_get_stats(&mid);
	assert_int_equal(mid.used_frames, (1u << (PMM_MAX_ORDER + 1)) - 1);
	sim_expect_clean();
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		pmm_free_pages(blk[o], o);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
	sim_expect_clean();
}

static void test_zero_flag(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	/* Dirty a block, free it, and ask for zeroed memory until it comes back. */
	phys_addr_t a = pmm_alloc_pages(2, 0);
	unsigned char *p = plat_phys_to_virt(a);

	memset(p, 0xa5, 4 * FRAME);
	pmm_free_pages(a, 2);
	phys_addr_t b = pmm_alloc_pages(2, PMM_ZERO);

	assert_int_equal(b, a);		/* LIFO: the same block */
	for (size_t i = 0; i < 4 * FRAME; i++)
		assert_int_equal(p[i], 0);
	pmm_free_pages(b, 2);

	/* pmm_alloc_page() clears, as the seeds' did. */
	phys_addr_t c = pmm_alloc_frame();
	unsigned char *q = plat_phys_to_virt(c);

	memset(q, 0x5a, FRAME);
	pmm_free_frame(c);
	assert_int_equal(pmm_alloc_page(), c);
	for (size_t i = 0; i < FRAME; i++)
		assert_int_equal(q[i], 0);
	pmm_free_page(c);
	sim_expect_clean();
}

static void test_hardened_scrub(void **state)
{
	(void)state;
	if (!pmm_hardened)
		skip();
	boot_pc(64 * MiB);
	for (unsigned o = 0; o <= 3; o += 3) {
		phys_addr_t a = pmm_alloc_pages(o, 0);
		unsigned char *p = plat_phys_to_virt(a);

		memset(p, 0xee, FRAME << o);
		pmm_free_pages(a, o);
		for (size_t i = 0; i < (FRAME << o); i++)
			assert_int_equal(p[i], 0);
	}
	/* Also when the last reference goes through pmm_put(). */
	phys_addr_t a = pmm_alloc_frame();
	unsigned char *p = plat_phys_to_virt(a);

	memset(p, 0xee, FRAME);
	pmm_get(a);
	pmm_put(a);
	assert_int_equal(p[0], 0xee);
	pmm_put(a);
	for (size_t i = 0; i < FRAME; i++)
		assert_int_equal(p[i], 0);
}

static void test_aliases(void **state)
{
	struct pmm_stats before, after;

	(void)state;
	boot_pc(64 * MiB);
	sim_drained_stats(&before);

	phys_addr_t a = pmm_alloc_frame(), b = pmm_alloc_page();
	void *v = allocate_page();

	assert_int_not_equal(a, PMM_NO_FRAME);
	assert_int_not_equal(b, PMM_NO_FRAME);
	assert_non_null(v);
	assert_int_equal(pmm_frame_state(a), PMM_FRAME_USED);
	memset(v, 1, FRAME);
	pmm_free_frame(a);
	pmm_free_page(b);
	free_page(v);
	free_page(NULL);		/* ignored, like free(NULL) */
	pmm_free_frame(PMM_NO_FRAME);	/* ignored too */
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
}

/* --- zones ------------------------------------------------------------------------ */

/* ZONE_DMA 1-16 MiB, DMA32 16-24 MiB, NORMAL 4 GiB-4 GiB+8 MiB. */
static void boot_three_zones(void)
{
	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, 24 * MiB, MEMMAP_USABLE);
	sim_map_add(&map, 4 * GiB, 4 * GiB + 8 * MiB, MEMMAP_USABLE);
	assert_int_equal(sim_ram_init_split(24 * MiB, 4 * GiB, 8 * MiB), 0);
	assert_int_equal(pmm_init(&map), 0);
}

static bool in_zone(phys_addr_t a, unsigned order, enum pmm_zone z)
{
	phys_addr_t end = a + (FRAME << order);

	switch (z) {
	case PMM_ZONE_ID_DMA:
		return end <= 16 * MiB;
	case PMM_ZONE_ID_DMA32:
		return a >= 16 * MiB && end <= 4 * GiB;
	default:
		return a >= 4 * GiB;
	}
}

static void test_zone_preference(void **state)
{
	(void)state;
	boot_three_zones();
	for (unsigned o = 0; o <= 5; o += 5) {
		phys_addr_t n = pmm_alloc_pages(o, 0);
		phys_addr_t d32 = pmm_alloc_pages(o, PMM_ZONE_DMA32);
		phys_addr_t d = pmm_alloc_pages(o, PMM_ZONE_DMA | PMM_ZERO);

		assert_true(in_zone(n, o, PMM_ZONE_ID_NORMAL));
		assert_true(in_zone(d32, o, PMM_ZONE_ID_DMA32));
		assert_true(in_zone(d, o, PMM_ZONE_ID_DMA));
		assert_int_equal(pmm_frame_zone(n), PMM_ZONE_ID_NORMAL);
		assert_int_equal(pmm_frame_zone(d32), PMM_ZONE_ID_DMA32);
		assert_int_equal(pmm_frame_zone(d), PMM_ZONE_ID_DMA);
		pmm_free_pages(n, o);
		pmm_free_pages(d32, o);
		pmm_free_pages(d, o);
	}
	assert_string_equal(pmm_zone_name(PMM_ZONE_ID_DMA), "DMA");
	assert_string_equal(pmm_zone_name(PMM_ZONE_ID_DMA32), "DMA32");
	assert_string_equal(pmm_zone_name(PMM_ZONE_ID_NORMAL), "Normal");
	sim_expect_clean();
}

/* Take everything a request with @flags can get at @order; returns the count. */
static unsigned grab_all(unsigned order, unsigned flags, phys_addr_t *out, unsigned max)
{
	unsigned n = 0;
	phys_addr_t a;

	while (n < max && (a = pmm_alloc_pages(order, flags)) != PMM_NO_FRAME)
		out[n++] = a;
	return n;
}

static void test_zone_fallback(void **state)
{
	static phys_addr_t got[16384];
	struct pmm_stats st, before;

	(void)state;
	boot_three_zones();
	sim_drained_stats(&before);

	/* NORMAL first, then DMA32, then DMA: watch the zone change as each runs dry. */
	unsigned n = grab_all(0, 0, got, 16384);
	uint64_t normal = before.zone[PMM_ZONE_ID_NORMAL].free_frames;
	uint64_t dma32 = before.zone[PMM_ZONE_ID_DMA32].free_frames;

	assert_int_equal(n, before.free_frames);
	for (unsigned i = 0; i < n; i++) {
		enum pmm_zone z = i < normal ? PMM_ZONE_ID_NORMAL :
				  i < normal + dma32 ? PMM_ZONE_ID_DMA32 : PMM_ZONE_ID_DMA;

		assert_true(in_zone(got[i], 0, z));
	}
	pmm_get_stats(&st);
	assert_int_equal(st.free_frames, 0);
	assert_int_equal(st.alloc_failures, 1);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);

	/* A DMA request never takes from above; a DMA32 request falls back to DMA. */
	unsigned nd = grab_all(0, PMM_ZONE_DMA, got, 16384);

	assert_int_equal(nd, before.zone[PMM_ZONE_ID_DMA].free_frames);
	assert_int_equal(pmm_alloc_pages(0, PMM_ZONE_DMA), PMM_NO_FRAME);
	assert_int_not_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);	/* NORMAL still has memory */
	for (unsigned i = 0; i < nd; i++)
		pmm_free_pages(got[i], 0);

	unsigned n32 = grab_all(3, PMM_ZONE_DMA32, got, 16384);

	for (unsigned i = 0; i < n32; i++)
		assert_true(got[i] < 24 * MiB);
	assert_true(n32 > dma32 / 8);		/* DMA32 ran dry, DMA took over */
	assert_true(got[n32 - 1] < 16 * MiB);
	for (unsigned i = 0; i < n32; i++)
		pmm_free_pages(got[i], 3);
	sim_expect_clean();
	assert_int_equal(sim_errors(), 0);
}

/* --- exhaustion, merging, per-CPU caches ----------------------------------------------- */

static int cmp_addr(const void *a, const void *b)
{
	phys_addr_t x = *(const phys_addr_t *)a, y = *(const phys_addr_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The reserve: user pages leave pmm_reserve() frames, user page tables half
 * of it, the kernel takes the rest; all of it comes back.
 */
static void test_reserve(void **state)
{
	static phys_addr_t got[16384];
	struct pmm_stats before, st;
	unsigned n = 0, user, tables, kernel;

	(void)state;
	boot_pc(64 * MiB);
	sim_drained_stats(&before);
	uint64_t res = pmm_reserve();

	uint64_t managed = before.free_frames + before.used_frames;

	assert_int_equal(res, MM_MIN(MM_MAX(managed / 256, 32), 8192));
	assert_int_equal(before.reserve_frames, res);
	user = grab_all(0, PMM_USER, got, 16384);
	n += user;
	sim_drained_stats(&st);
	assert_int_equal(st.free_frames, res);
	assert_int_equal(user, before.free_frames - res);
	assert_int_equal(pmm_alloc_pages(0, PMM_USER | PMM_ZERO), PMM_NO_FRAME);
	tables = grab_all(0, PMM_USER_TABLE, got + n, 16384 - n);
	n += tables;
	assert_int_equal(tables, res - res / 2);
	kernel = grab_all(0, 0, got + n, 16384 - n);
	n += kernel;
	assert_int_equal(kernel, res / 2);
	pmm_get_stats(&st);
	assert_int_equal(st.free_frames, 0);
	assert_true(st.reserve_refusals >= 3);
	assert_int_equal(sim_errors(), 0);	/* refusals are not reported as errors */
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);

	/* Larger blocks: as many as fit above the reserve. */
	n = grab_all(3, PMM_USER, got, 16384);
	sim_drained_stats(&st);
	assert_true(st.free_frames >= res && st.free_frames < res + 8);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 3);

	/* A reserve of 0: user pages take everything. */
	pmm_set_reserve(0);
	n = grab_all(0, PMM_USER, got, 16384);
	assert_int_equal(n, before.free_frames);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);
	sim_drained_stats(&st);
	assert_int_equal(st.free_frames, before.free_frames);
	sim_expect_clean();
}

/*
 * With high memory the reserve is of low memory: user pages that high memory
 * serves are never refused, and once it is gone they stop at the reserve.
 */
static void test_reserve_highmem(void **state)
{
	static phys_addr_t got[16384];
	struct pmm_stats before, st;
	unsigned n;

	(void)state;
	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, 64 * MiB, MEMMAP_USABLE);
	assert_int_equal(sim_ram_init(64 * MiB), 0);
	sim_set_highmem(32 * MiB);
	assert_int_equal(pmm_init(&map), 0);
	sim_drained_stats(&before);
	uint64_t res = pmm_reserve(), high = before.zone[PMM_ZONE_ID_HIGHMEM].free_frames;
	uint64_t low = before.free_frames - high;

	assert_true(high > 0);
	assert_int_equal(res, MM_MAX(low / 256, 32));	/* managed low memory, within a few frames */
	/* The kernel takes low memory down to a few frames: high memory still serves users. */
	n = grab_all(0, 0, got, (unsigned)(low - res / 4));
	assert_int_equal(n, low - res / 4);
	got[n] = pmm_alloc_pages(0, PMM_HIGHMEM | PMM_USER);
	assert_int_not_equal(got[n++], PMM_NO_FRAME);
	n += grab_all(0, PMM_HIGHMEM | PMM_USER, got + n, 16384 - n);
	sim_drained_stats(&st);
	assert_int_equal(st.zone[PMM_ZONE_ID_HIGHMEM].free_frames, 0);
	assert_int_equal(st.free_frames, res / 4);	/* below the reserve: nothing taken from it */
	assert_int_equal(pmm_alloc_pages(0, PMM_USER), PMM_NO_FRAME);
	assert_int_equal(sim_errors(), 0);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);
	sim_drained_stats(&st);
	assert_int_equal(st.free_frames, before.free_frames);
	sim_expect_clean();
}

/* Allocate every frame, check none twice and none at 0, free in random order: all merges back. */
static void test_exhaust_and_merge_back(void **state)
{
	static phys_addr_t got[8192];
	struct pmm_stats before, after;

	(void)state;
	boot_pc(32 * MiB);
	sim_drained_stats(&before);
	unsigned n = grab_all(0, 0, got, 8192);

	assert_int_equal(n, before.free_frames);
	assert_int_equal(pmm_alloc_pages(0, 0), PMM_NO_FRAME);	/* and no panic, no report */
	assert_int_equal(pmm_alloc_pages(PMM_MAX_ORDER, PMM_ZONE_DMA), PMM_NO_FRAME);
	assert_int_equal(sim_errors(), 0);
	qsort(got, n, sizeof(got[0]), cmp_addr);
	for (unsigned i = 0; i < n; i++) {
		assert_int_not_equal(got[i], 0);
		if (i)
			assert_int_not_equal(got[i], got[i - 1]);
	}
	sim_expect_clean();

	srand(7);
	for (unsigned i = n - 1; i > 0; i--) {	/* shuffle */
		unsigned j = (unsigned)rand() % (i + 1);
		phys_addr_t t = got[i];

		got[i] = got[j];
		got[j] = t;
	}
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);
	sim_drained_stats(&after);
	/* Same free blocks by order as right after init: merged back to maximal blocks. */
	sim_assert_same_stats(&before, &after);
	sim_expect_clean();
}

static void test_merge_buddies(void **state)
{
	struct pmm_stats before, mid, after;

	(void)state;
	sim_map_clear(&map);
	sim_map_add(&map, 1 * MiB, 2 * MiB, MEMMAP_USABLE);	/* the database goes here */
	sim_map_add(&map, 8 * MiB, 12 * MiB, MEMMAP_USABLE);	/* one maximal block */
	assert_int_equal(sim_ram_init(12 * MiB), 0);
	assert_int_equal(pmm_init(&map), 0);
	sim_drained_stats(&before);
	assert_int_equal(before.zone[PMM_ZONE_ID_DMA].free_blocks[PMM_MAX_ORDER], 1);
	phys_addr_t a = pmm_alloc_pages(PMM_MAX_ORDER - 1, 0);
	phys_addr_t b = pmm_alloc_pages(PMM_MAX_ORDER - 1, 0);

	assert_int_equal(a ^ b, FRAME << (PMM_MAX_ORDER - 1));	/* split from one block: buddies */
	pmm_free_pages(a, PMM_MAX_ORDER - 1);
	pmm_get_stats(&mid);
	assert_int_equal(mid.zone[PMM_ZONE_ID_DMA].free_blocks[PMM_MAX_ORDER - 1],
			 before.zone[PMM_ZONE_ID_DMA].free_blocks[PMM_MAX_ORDER - 1] + 1);
	assert_int_equal(mid.zone[PMM_ZONE_ID_DMA].free_blocks[PMM_MAX_ORDER], 0);
	pmm_free_pages(b, PMM_MAX_ORDER - 1);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
}

struct cache_job {
	phys_addr_t frame[32];
	unsigned n;
};

static void *fill_own_cache(void *arg)
{
	struct cache_job *job = arg;

	for (job->n = 0; job->n < 32; job->n++)
		job->frame[job->n] = pmm_alloc_frame();
	for (unsigned i = 0; i < job->n; i++)
		pmm_free_frame(job->frame[i]);
	return NULL;
}

/* Frames parked in another CPU's cache are drained before reporting out of memory. */
static void test_pcp_drained_under_pressure(void **state)
{
	static phys_addr_t got[8192];
	struct cache_job job;
	struct pmm_stats st, before;
	pthread_t t;

	(void)state;
	boot_pc(32 * MiB);
	sim_drained_stats(&before);
	assert_int_equal(pthread_create(&t, NULL, fill_own_cache, &job), 0);
	pthread_join(t, NULL);
	pmm_get_stats(&st);
	assert_true(st.cached_frames > 0);	/* another "CPU" holds some */
	assert_int_equal(st.free_frames, before.free_frames);

	unsigned n = grab_all(0, 0, got, 8192);

	assert_int_equal(n, before.free_frames);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);

	/* A cache past its limit gives a batch back by itself. */
	n = grab_all(0, 0, got, 1000);
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(got[i], 0);
	pmm_get_stats(&st);
	assert_true(st.zone[PMM_ZONE_ID_DMA32].cached_frames <= 128);
	sim_expect_clean();
}

/* --- reference counts ------------------------------------------------------------------ */

static void test_refcounts(void **state)
{
	struct pmm_stats before, after;

	(void)state;
	boot_pc(64 * MiB);
	sim_drained_stats(&before);
	phys_addr_t a = pmm_alloc_pages(0, 0), b = pmm_alloc_pages(4, 0);

	assert_int_equal(pmm_get(a), 2);
	assert_int_equal(pmm_get(a), 3);
	assert_int_equal(pmm_refcount(a), 3);
	assert_int_equal(pmm_put(a), 2);
	pmm_free_pages(a, 0);			/* free drops one reference too */
	assert_int_equal(pmm_refcount(a), 1);
	assert_int_equal(pmm_frame_state(a), PMM_FRAME_USED);
	assert_int_equal(pmm_put(a), 0);	/* the last one frees */
	assert_int_equal(pmm_frame_state(a), PMM_FRAME_FREE);
	assert_int_equal(pmm_refcount(a), 0);

	assert_int_equal(pmm_get(b), 2);
	assert_int_equal(pmm_put(b), 1);
	assert_int_equal(pmm_put(b), 0);	/* frees the whole order-4 block */
	assert_int_equal(pmm_frame_state(b + 15 * FRAME), PMM_FRAME_FREE);
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);
	sim_expect_clean();
}

/*
 * References of mapped frames in batches (fork, exit): the same counts as
 * one call a frame, the last reference frees the block, and a frame that
 * is not allocated any more is reported, not counted.
 */
static void test_mapped_batches(void **state)
{
	struct pmm_stats before, after, now;

	(void)state;
	boot_pc(64 * MiB);
	sim_drained_stats(&before);
	phys_addr_t a = pmm_alloc_pages(0, 0), b = pmm_alloc_pages(0, PMM_HIGHMEM);
	phys_addr_t c = pmm_alloc_pages(2, 0);
	uint32_t got[] = { (uint32_t)(a / FRAME), (uint32_t)(b / FRAME), (uint32_t)(c / FRAME),
			   (uint32_t)(a / FRAME) };
	uint32_t put[] = { (uint32_t)(a / FRAME), (uint32_t)(a / FRAME), (uint32_t)(b / FRAME),
			   (uint32_t)(c / FRAME) };

	pmm_get_mapped_batch(got, 4);
	assert_int_equal(pmm_refcount(a), 3);
	assert_int_equal(pmm_refcount(b), 2);
	assert_int_equal(pmm_refcount(c), 2);
	pmm_put_mapped_batch(got, 3);
	assert_int_equal(pmm_refcount(a), 2);
	assert_int_equal(pmm_refcount(b), 1);
	assert_int_equal(pmm_refcount(c), 1);
	pmm_get_mapped_batch(got, 0);		/* nothing */
	pmm_put_mapped_batch(put, 4);		/* the last references: all three freed */
	assert_int_equal(pmm_frame_state(a), PMM_FRAME_FREE);
	assert_int_equal(pmm_frame_state(b), PMM_FRAME_FREE);
	assert_int_equal(pmm_frame_state(c + 3 * FRAME), PMM_FRAME_FREE);
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&after);
	sim_assert_same_stats(&before, &after);

	/* A frame no longer allocated: reported as pmm_put() reports it, nothing changed. */
	pmm_get_stats(&before);
	pmm_put_mapped_batch(put, 1);
	assert_int_equal(sim_errors(), 1);
	assert_non_null(strstr(sim_last_log(), "frame is free"));
	pmm_get_stats(&now);
	assert_int_equal(now.bad_calls, before.bad_calls + 1);
	sim_assert_same_stats(&before, &now);
	sim_expect_clean();
}

/* --- bad input: reported with the caller's address, nothing changed ---------------------- */

static uint64_t err_before;
static struct pmm_stats st_before;

static void bad_begin(void)
{
	pmm_get_stats(&st_before);
	err_before = sim_errors();
}

/* One report was made, it names a caller inside @fn (a small wrapper), and nothing changed. */
static void bad_end(const void *fn, const char *what)
{
	struct pmm_stats now;
	const char *msg = sim_last_log();
	const char *at = strstr(msg, "called from ");

	assert_int_equal(sim_errors(), err_before + 1);
	if (what && !strstr(msg, what))
		fail_msg("report \"%s\" does not say \"%s\"", msg, what);
	assert_non_null(at);
	uintptr_t caller = (uintptr_t)strtoull(at + 12, NULL, 16);

	if (caller < (uintptr_t)fn || caller >= (uintptr_t)fn + 512)
		fail_msg("report names %#lx, not the caller at %p: %s", (unsigned long)caller, fn, msg);
	pmm_get_stats(&now);
	assert_int_equal(now.bad_calls, st_before.bad_calls + 1);
	sim_assert_same_stats(&st_before, &now);
	sim_expect_clean();
}

/* Call sites of known address, for checking that reports name them. */
static __attribute__((noinline)) void do_free(phys_addr_t a, unsigned o)
{
	pmm_free_pages(a, o);
	__asm__ volatile("");
}

static __attribute__((noinline)) void do_free_frame(phys_addr_t a)
{
	pmm_free_frame(a);
	__asm__ volatile("");
}

static __attribute__((noinline)) void do_free_page(void *p)
{
	free_page(p);
	__asm__ volatile("");
}

static __attribute__((noinline)) uint32_t do_get(phys_addr_t a)
{
	uint32_t r = pmm_get(a);

	__asm__ volatile("");
	return r;
}

static __attribute__((noinline)) uint32_t do_put(phys_addr_t a)
{
	uint32_t r = pmm_put(a);

	__asm__ volatile("");
	return r;
}

static __attribute__((noinline)) phys_addr_t do_alloc(unsigned o, unsigned flags)
{
	phys_addr_t r = pmm_alloc_pages(o, flags);

	__asm__ volatile("");
	return r;
}

#define BAD(call, fn, what)	do { bad_begin(); call; bad_end((const void *)(fn), what); } while (0)

static void test_bad_double_free(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	phys_addr_t a = pmm_alloc_pages(0, 0), b = pmm_alloc_pages(3, 0);

	pmm_free_pages(a, 0);
	BAD(do_free(a, 0), do_free, "double free");		/* still in the CPU cache */
	pmm_drain();
	BAD(do_free(a, 0), do_free, "free");			/* merged into a larger block */
	pmm_free_pages(b, 3);
	BAD(do_free(b, 3), do_free, "free");
	BAD(do_free_frame(a), do_free_frame, "free");
	BAD(do_put(a), do_put, "free");
	BAD(do_get(b), do_get, "free");
}

static void test_bad_reserved(void **state)
{
	struct pmm_stats st;

	(void)state;
	boot_pc(64 * MiB);
	pmm_get_stats(&st);
	BAD(do_free(0, 0), do_free, "reserved");			/* frame 0 */
	BAD(do_free(0x200000, 0), do_free, "reserved");		/* the kernel */
	BAD(do_free(st.metadata_base, 0), do_free, "reserved");	/* the frame database */
	BAD(do_get(0x100000), do_get, "reserved");
	BAD(do_put(st.metadata_base + FRAME), do_put, "reserved");
	BAD(do_free(0xa0000, 0), do_free, "hole");			/* BIOS area: not RAM */
}

static void test_bad_never_allocated(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	BAD(do_free(32 * MiB, 0), do_free, "never allocated");	/* head of a free block */
	BAD(do_free(32 * MiB + 3 * FRAME, 0), do_free, "never allocated");	/* inside one */
	BAD(do_free_page(plat_phys_to_virt(40 * MiB)), do_free_page, "never allocated");
}

static void test_bad_wrong_order(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	phys_addr_t a = pmm_alloc_pages(2, 0), b = pmm_alloc_frame();

	BAD(do_free(a, 0), do_free, "allocated with order 2");
	BAD(do_free(a, 3), do_free, "allocated with order 2");
	BAD(do_free(b, 1), do_free, "allocated with order 0");
	BAD(do_free(a, PMM_MAX_ORDER + 1), do_free, "order out of range");
	BAD(do_free(a + FRAME, 0), do_free, "not its first frame");	/* a tail of a live block */
	BAD(do_get(a + 2 * FRAME), do_get, "not its first frame");
	pmm_free_pages(a, 2);
	pmm_free_frame(b);
	sim_expect_clean();
}

static void test_bad_address(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	phys_addr_t a = pmm_alloc_frame();

	BAD(do_free(a + 1, 0), do_free, "not page-aligned");
	BAD(do_free(a + 0x800, 0), do_free, "not page-aligned");
	BAD(do_get(a + 8), do_get, "not page-aligned");
	BAD(do_free(64 * MiB, 0), do_free, "not RAM");			/* just past RAM */
	BAD(do_free(5 * GiB, 0), do_free, "not RAM");
	BAD(do_free(1ull << 60, 0), do_free, "not RAM");
	BAD(do_free(PMM_NO_FRAME - FRAME + 1, 0), do_free, "not RAM");
	BAD(do_put(1ull << 45), do_put, "not RAM");
	assert_int_equal(pmm_refcount(a + 1), 0);
	assert_int_equal(pmm_refcount(1ull << 50), 0);
	pmm_free_frame(a);
}

static void test_bad_alloc_args(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	phys_addr_t r;

	BAD(r = do_alloc(PMM_MAX_ORDER + 1, 0), do_alloc, "bad order");
	assert_int_equal(r, PMM_NO_FRAME);
	BAD(r = do_alloc(0, PMM_ZONE_DMA | PMM_ZONE_DMA32), do_alloc, "flags");
	assert_int_equal(r, PMM_NO_FRAME);
	BAD(r = do_alloc(0, 1u << 20), do_alloc, "flags");
	assert_int_equal(r, PMM_NO_FRAME);
	BAD(r = do_alloc(0, PMM_USER | PMM_USER_TABLE), do_alloc, "flags");
	assert_int_equal(r, PMM_NO_FRAME);
}

static void test_bad_refcount_on_free(void **state)
{
	(void)state;
	boot_pc(64 * MiB);
	phys_addr_t a = pmm_alloc_frame();

	assert_int_equal(pmm_put(a), 0);
	BAD(do_put(a), do_put, "free");
	BAD(do_get(a), do_get, "free");
	assert_int_equal(pmm_refcount(a), 0);
}

/* --- views: stats and walks agree ------------------------------------------------------ */

struct walk_sum {
	uint64_t frames[4][PMM_NR_ZONES];
	phys_addr_t last_end;
	enum pmm_zone last_zone;
	unsigned runs;
	bool ordered;
};

static void walk_cb(phys_addr_t b, phys_addr_t e, unsigned node, enum pmm_zone z,
		    enum pmm_frame_state s, void *ctx)
{
	struct walk_sum *w = ctx;

	if (node != pmm_frame_node(b) || node != pmm_frame_node(e - 1))
		w->ordered = false;
	if (b >= e || (w->runs && z == w->last_zone && b < w->last_end) ||
	    s == PMM_FRAME_ABSENT || z != pmm_frame_zone(b) || z != pmm_frame_zone(e - 1))
		w->ordered = false;
	w->frames[s][z] += (e - b) / FRAME;
	w->last_end = e;
	w->last_zone = z;
	w->runs++;
}

static void test_walk_matches_stats(void **state)
{
	struct walk_sum w = { .ordered = true };
	struct pmm_stats st;

	(void)state;
	boot_pc(6 * GiB);
	phys_addr_t a = pmm_alloc_pages(5, PMM_ZONE_DMA), b = pmm_alloc_frame();

	pmm_walk(walk_cb, &w);
	pmm_get_stats(&st);
	assert_true(w.ordered);
	for (unsigned z = 0; z < PMM_NR_ZONES; z++) {
		assert_int_equal(w.frames[PMM_FRAME_FREE][z], st.zone[z].free_frames);
		assert_int_equal(w.frames[PMM_FRAME_USED][z], st.zone[z].used_frames);
		assert_int_equal(w.frames[PMM_FRAME_RESERVED][z], st.zone[z].reserved_frames);
	}
	assert_true(w.runs < 40);	/* runs, not frames */
	pmm_free_pages(a, 5);
	pmm_free_frame(b);
}

/* Random operations against a simple model; stats and the database agree throughout. */
static void test_random_against_model(void **state)
{
	enum { N = 4096 };
	static struct { phys_addr_t a; unsigned order, refs; } live[N];
	unsigned nlive = 0;
	uint64_t used = 0;
	struct pmm_stats before, st;

	(void)state;
	boot_three_zones();
	sim_drained_stats(&before);
	srand(12345);
	for (unsigned step = 0; step < 60000; step++) {
		unsigned r = (unsigned)rand() % 10;

		if (r < 5 && nlive < N) {
			unsigned o = (unsigned)rand() % 6;
			unsigned z = (unsigned)rand() % 3;
			unsigned flags = z == 1 ? PMM_ZONE_DMA : z == 2 ? PMM_ZONE_DMA32 : 0;
			phys_addr_t a = pmm_alloc_pages(o, flags);

			if (a == PMM_NO_FRAME)
				continue;
			assert_int_equal(a % (FRAME << o), 0);
			if (z == 1)
				assert_true(a + (FRAME << o) <= 16 * MiB);
			if (z == 2)
				assert_true(a + (FRAME << o) <= 4 * GiB);
			live[nlive++] = (typeof(live[0])){ a, o, 1 };
			used += 1ull << o;
		} else if (r < 8 && nlive) {
			unsigned i = (unsigned)rand() % nlive;

			if (live[i].refs > 1 || (rand() & 1)) {
				assert_int_equal(pmm_put(live[i].a), live[i].refs - 1);
			} else {
				pmm_free_pages(live[i].a, live[i].order);
			}
			if (--live[i].refs == 0) {
				used -= 1ull << live[i].order;
				live[i] = live[--nlive];
			}
		} else if (nlive) {
			unsigned i = (unsigned)rand() % nlive;

			assert_int_equal(pmm_get(live[i].a), ++live[i].refs);
		}
		if (step % 5000 == 0) {
			pmm_get_stats(&st);
			assert_int_equal(st.used_frames, used);
			assert_int_equal(st.free_frames + st.used_frames + st.reserved_frames, st.total_frames);
			sim_expect_clean();
		}
	}
	while (nlive) {
		while (live[nlive - 1].refs--)
			pmm_put(live[nlive - 1].a);
		nlive--;
	}
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&st);
	sim_assert_same_stats(&before, &st);
	sim_expect_clean();
}

/* --- concurrency --------------------------------------------------------------------------- */

#define THREADS		4
#define THREAD_OPS	40000
#define OWN_FRAMES	(64 * MiB / FRAME)

static unsigned char owner[OWN_FRAMES];	/* which thread holds each frame, 0: none */
static unsigned long twice;		/* frames found handed out twice */

static void claim(phys_addr_t a, unsigned order, unsigned char who)
{
	for (pfn_t p = a / FRAME; p < a / FRAME + (1u << order); p++)
		if (__atomic_exchange_n(&owner[p], who, __ATOMIC_RELAXED) != 0)
			__atomic_fetch_add(&twice, 1, __ATOMIC_RELAXED);
}

static void unclaim(phys_addr_t a, unsigned order, unsigned char who)
{
	for (pfn_t p = a / FRAME; p < a / FRAME + (1u << order); p++)
		if (__atomic_exchange_n(&owner[p], 0, __ATOMIC_RELAXED) != who)
			__atomic_fetch_add(&twice, 1, __ATOMIC_RELAXED);
}

static void *hammer(void *arg)
{
	unsigned char who = (unsigned char)(uintptr_t)arg;
	unsigned seed = who * 7919u;
	struct { phys_addr_t a; unsigned o; } held[256];
	unsigned n = 0;

	for (unsigned i = 0; i < THREAD_OPS; i++) {
		if (n < 256 && (rand_r(&seed) % 3 || !n)) {
			unsigned r = (unsigned)rand_r(&seed);
			unsigned o = r % 8 == 0 ? r / 8 % 6 : 0;
			unsigned flags = r % 5 == 0 ? PMM_ZONE_DMA : 0;
			phys_addr_t a = pmm_alloc_pages(o, flags);

			if (a == PMM_NO_FRAME)
				continue;
			claim(a, o, who);
			held[n].a = a;
			held[n++].o = o;
		} else {
			unsigned k = (unsigned)rand_r(&seed) % n;

			unclaim(held[k].a, held[k].o, who);
			if (held[k].o == 0 && rand_r(&seed) % 4 == 0) {
				pmm_get(held[k].a);	/* shared, then both references dropped */
				pmm_put(held[k].a);
			}
			pmm_free_pages(held[k].a, held[k].o);
			held[k] = held[--n];
		}
	}
	while (n--) {
		unclaim(held[n].a, held[n].o, who);
		pmm_free_pages(held[n].a, held[n].o);
	}
	return NULL;
}

/* Threads as CPUs, allocating and freeing at once: no frame is ever held twice. */
static void run_threads(phys_addr_t ram_end, bool expect_shortage)
{
	pthread_t t[THREADS];
	struct pmm_stats before, after;

	sim_map_clear(&map);
	sim_map_add(&map, 0x100000, ram_end < 20 * MiB ? ram_end : 20 * MiB, MEMMAP_USABLE);
	if (ram_end > 32 * MiB)
		sim_map_add(&map, 32 * MiB, ram_end, MEMMAP_USABLE);
	sim_need_ram(ram_end);
	assert_int_equal(sim_ram_init(ram_end), 0);
	assert_int_equal(pmm_init(&map), 0);
	sim_drained_stats(&before);
	memset(owner, 0, sizeof(owner));
	twice = 0;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(i + 1)), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(twice, 0);
	assert_int_equal(sim_errors(), 0);
	sim_drained_stats(&after);
	if (expect_shortage)
		assert_true(after.alloc_failures > 0);	/* the drain-and-retry path ran */
	sim_assert_same_stats(&before, &after);
	sim_expect_clean();
}

static void test_threads(void **state)
{
	(void)state;
	run_threads(64 * MiB, false);
}

/*
 * So little memory (256 frames) that even one thread alone runs out, however
 * the threads happen to be scheduled, and they drain each other's caches.
 */
static void test_threads_short_of_memory(void **state)
{
	(void)state;
	run_threads(2 * MiB, true);
}

int main(void)
{
#define T(fn)	cmocka_unit_test_setup(fn, sim_test_reset_counts)
	const struct CMUnitTest tests[] = {
		T(test_init_32m),
		T(test_init_6g_pc),
		T(test_init_sparse),
		T(test_init_64g),
		T(test_init_failures),
		T(test_init_normalized_map),
		T(test_init_carve_fails),
		T(test_reinit),
		T(test_orders_aligned),
		T(test_zero_flag),
		T(test_hardened_scrub),
		T(test_aliases),
		T(test_zone_preference),
		T(test_zone_fallback),
		T(test_exhaust_and_merge_back),
		T(test_reserve),
		T(test_reserve_highmem),
		T(test_merge_buddies),
		T(test_pcp_drained_under_pressure),
		T(test_refcounts),
		T(test_mapped_batches),
		T(test_bad_double_free),
		T(test_bad_reserved),
		T(test_bad_never_allocated),
		T(test_bad_wrong_order),
		T(test_bad_address),
		T(test_bad_alloc_args),
		T(test_bad_refcount_on_free),
		T(test_walk_matches_stats),
		T(test_random_against_model),
		T(test_threads),
		T(test_threads_short_of_memory),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
