// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the PMM: a random memory map, then random
 * alloc/free/get/put sequences (and deliberate bad calls) checked against a
 * simple model of who holds what:
 *   - no frame is ever handed out twice; blocks are aligned and in their zone;
 *   - "no frame" is only answered when the allowed zones really have no block;
 *   - every bad call is reported once and changes nothing, good calls never report;
 *   - statistics match the model after every step, each block an operation
 *     touched is in the state the model says, and pmm_check() finds the whole
 *     database sound at the end of each input (it walks every frame: after
 *     every step it would be most of the run; pmm_init()'s database is
 *     checked there too);
 *   - after freeing everything, every frame is back, merged into the same
 *     maximal blocks as right after initialization.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/sim.h"
#include "mm/frame.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

#define FRAME		4096ull
#define MiB		(1ull << 20)
#define HIGH_BASE	(4096 * MiB)		/* a second bank, in ZONE_NORMAL */
#define BANK		(64 * MiB)
#define SIM_RAM		(HIGH_BASE + BANK)
#define MAX_LIVE	512

static struct memmap map;
static uint8_t owned[SIM_RAM / FRAME];	/* 1: inside a block the model holds */

static struct block {
	phys_addr_t a;
	unsigned order, refs;
} live[MAX_LIVE];
static unsigned nlive;
static uint64_t used_frames;
static unsigned long bad_calls;
static bool plant;

static void panic_hook(const char *msg)
{
	fprintf(stderr, "fuzz_pmm: panic: %s\n", msg);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_set_log_level(-1);
	sim_panic_hook = panic_hook;
	if (sim_ram_init(SIM_RAM))
		abort();
	plant = fuzz_plant_wanted();
	return 0;
}

/* Up to 8 ranges in two 64 MiB banks (at 0 and 4 GiB), through the real normalizer. */
static void make_map(struct fuzz_input *in)
{
	static const uint32_t types[] = {
		MEMMAP_USABLE, MEMMAP_USABLE, MEMMAP_USABLE, MEMMAP_USABLE, MEMMAP_RESERVED,
		MEMMAP_KERNEL, MEMMAP_ACPI_RECLAIMABLE, MEMMAP_BAD,
	};
	unsigned n = 1 + fuzz_byte(in) % 8;

	memmap_init(&map);
	for (unsigned i = 0; i < n; i++) {
		unsigned b = fuzz_byte(in);
		uint64_t base = (b & 0x80 ? HIGH_BASE : 0) + (uint64_t)fuzz_word(in) * 1024;
		uint64_t len = (uint64_t)fuzz_word(in) * 1024 + (b & 0x40 ? 32 * MiB : 0);

		base %= SIM_RAM;
		len = MM_MIN(len, SIM_RAM - base);
		memmap_add(&map, base, len, types[b % 8]);
	}
	memmap_normalize(&map);
}

static bool zone_allowed(phys_addr_t a, unsigned order, unsigned flags)
{
	phys_addr_t end = a + (FRAME << order);

	if (flags & PMM_ZONE_DMA)
		return end <= PMM_DMA_LIMIT;
	if (flags & PMM_ZONE_DMA32)
		return end <= PMM_DMA32_LIMIT;
	return true;
}

FUZZ_ORACLE static void mark(phys_addr_t a, unsigned order, uint8_t v)
{
	for (uint64_t i = 0; i < (1ull << order); i++) {
		CHECK(owned[a / FRAME + i] != v);	/* never handed out twice */
		owned[a / FRAME + i] = v;
	}
}

/* After "no frame", no allowed zone may have a block of @order or more. */
static void check_really_full(unsigned order, unsigned flags)
{
	struct pmm_stats st;
	unsigned top = flags & PMM_ZONE_DMA ? PMM_ZONE_ID_DMA :
		       flags & PMM_ZONE_DMA32 ? PMM_ZONE_ID_DMA32 : PMM_ZONE_ID_NORMAL;

	pmm_get_stats(&st);
	for (unsigned z = 0; z <= top; z++) {
		CHECK(st.zone[z].cached_frames == 0);	/* the caches were drained first */
		for (unsigned o = order; o <= PMM_MAX_ORDER; o++)
			CHECK(st.zone[z].free_blocks[o] == 0);
	}
}

static void op_alloc(struct fuzz_input *in)
{
	unsigned order = fuzz_byte(in) % (PMM_MAX_ORDER + 2);
	unsigned f = fuzz_byte(in);
	unsigned flags = (f & 1 ? PMM_ZERO : 0) | (f & 2 ? PMM_ZONE_DMA : 0) |
			 (f & 4 ? PMM_ZONE_DMA32 : 0) | (f == 0xff ? 1u << 7 : 0);
	bool bad = order > PMM_MAX_ORDER || (flags & 6) == 6 || (flags & (1u << 7));
	unsigned long err = sim_count.log[LOG_ERR];
	phys_addr_t a = pmm_alloc_pages(order, flags);

	if (bad) {
		CHECK(a == PMM_NO_FRAME && sim_count.log[LOG_ERR] == err + 1);
		bad_calls++;
		return;
	}
	CHECK(sim_count.log[LOG_ERR] == err);
	if (a == PMM_NO_FRAME) {
		check_really_full(order, flags);
		return;
	}
	CHECK(a % (FRAME << order) == 0 && a != 0 && a + (FRAME << order) <= SIM_RAM);
	CHECK(zone_allowed(a, order, flags));
	CHECK(pmm_refcount(a) == 1 && pmm_frame_state(a) == PMM_FRAME_USED);
	mark(a, order, 1);
	uint64_t *p = plat_phys_to_virt(a), words = (FRAME << order) / 8;

	if (flags & PMM_ZERO)
		CHECK(p[0] == 0 && p[words / 2] == 0 && p[words - 1] == 0);
	p[0] = p[words - 1] = 0xdeadbeefull;	/* dirty it, for the next PMM_ZERO */
	if (nlive == MAX_LIVE) {
		pmm_free_pages(a, order);
		mark(a, order, 0);
		return;
	}
	live[nlive++] = (struct block){ a, order, 1 };
	used_frames += 1ull << order;
}

/* Drop one reference to live[i], through free or put. */
static void drop(unsigned i, bool use_put)
{
	struct block *b = &live[i];

	if (use_put)
		CHECK(pmm_put(b->a) == b->refs - 1);
	else
		pmm_free_pages(b->a, b->order);
	if (--b->refs) {
		CHECK(pmm_refcount(b->a) == b->refs);
		return;
	}
	CHECK(pmm_frame_state(b->a) == PMM_FRAME_FREE);
	CHECK(pmm_frame_state(b->a + (FRAME << b->order) - 1) == PMM_FRAME_FREE);
	mark(b->a, b->order, 0);
	used_frames -= 1ull << b->order;
	*b = live[--nlive];
}

static bool is_live_head(phys_addr_t a)
{
	for (unsigned i = 0; i < nlive; i++)
		if (live[i].a == a)
			return true;
	return false;
}

/* A call that must be reported and change nothing. */
static void op_bad(struct fuzz_input *in)
{
	struct pmm_stats before, after;
	unsigned kind = fuzz_byte(in) % 6, i = nlive ? fuzz_word(in) % nlive : 0;
	phys_addr_t a = ((phys_addr_t)fuzz_word(in) << 12) | (fuzz_byte(in) & 0x80 ? HIGH_BASE : 0);

	if (kind < 2 && !nlive)
		return;
	if (kind >= 3 && is_live_head(a))
		return;
	pmm_get_stats(&before);
	unsigned long err = sim_count.log[LOG_ERR];

	switch (kind) {
	case 0:	/* wrong order */
		pmm_free_pages(live[i].a, (live[i].order + 1 + fuzz_byte(in) % PMM_MAX_ORDER) %
					  (PMM_MAX_ORDER + 2));
		break;
	case 1:	/* not page-aligned */
		pmm_free_pages(live[i].a + 1 + fuzz_byte(in) % (FRAME - 1), live[i].order);
		break;
	case 2:	/* absurd address */
		pmm_put(((phys_addr_t)fuzz_word(in) << 40) | PMM_DMA32_LIMIT * 8);
		break;
	case 3:	/* not a live block: free, reserved, a hole, or inside a block */
		pmm_free_pages(a, fuzz_byte(in) % (PMM_MAX_ORDER + 1));
		break;
	case 4:
		pmm_get(a);
		break;
	default:
		pmm_put(a);
		break;
	}
	pmm_get_stats(&after);
	CHECK(sim_count.log[LOG_ERR] == err + 1);
	after.bad_calls = before.bad_calls;
	CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	bad_calls++;
}

/* After every step: the statistics agree with the model (the blocks touched were checked by the step). */
FUZZ_ORACLE static void check_stats(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	CHECK(st.used_frames == used_frames);
	CHECK(st.free_frames + st.used_frames + st.reserved_frames == st.total_frames);
}

/* The whole database: at the end of each input. */
static void check_model(void)
{
	check_stats();
	CHECK(pmm_check() == 0);
}

/*
 * FUZZ_PLANT: a free frame's descriptor gets a reference count, which no
 * statistic shows; only the end-of-input pmm_check() can find it.
 */
static void plant_bug(void)
{
	phys_addr_t a = pmm_alloc_pages(0, 0);

	if (a == PMM_NO_FRAME)
		return;
	pmm_free_pages(a, 0);
	pfn_frame((pfn_t)(a / FRAME))->refcount = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct pmm_stats initial, final;

	make_map(&in);
	memset(&sim_count, 0, sizeof(sim_count));
	nlive = 0;
	used_frames = 0;
	bad_calls = 0;
	if (pmm_init(&map) < 0)
		return 0;
	pmm_drain();
	pmm_get_stats(&initial);
	CHECK(initial.used_frames == 0);	/* pmm_init()'s database: pmm_check() at the end */

	while (in.n) {
		unsigned op = fuzz_byte(&in) % 10;
		unsigned i = nlive ? fuzz_word(&in) % nlive : 0;

		if (op < 4)
			op_alloc(&in);
		else if (op < 6 && nlive)
			drop(i, op == 5);
		else if (op == 6 && nlive && live[i].refs < 1000)
			CHECK(pmm_get(live[i].a) == ++live[i].refs);
		else if (op == 7)
			op_bad(&in);
		else if (op == 8)
			pmm_drain();
		check_stats();
	}
	if (plant)
		plant_bug();
	check_model();
	while (nlive)
		drop(nlive - 1, live[nlive - 1].refs > 1);
	pmm_drain();
	pmm_get_stats(&final);
	CHECK(sim_count.log[LOG_ERR] == bad_calls);
	final.bad_calls = initial.bad_calls;
	final.alloc_failures = initial.alloc_failures;
	CHECK(memcmp(&initial, &final, sizeof(initial)) == 0);	/* all back, all merged */
	CHECK(pmm_check() == 0);
	return 0;
}
