// SPDX-License-Identifier: MIT
/*
 * The PMM against the seeds' first-fit bitmap, on simulated RAM of 256 MiB,
 * 4 GiB and 64 GiB laid out like a PC (low memory, the kernel at 1-4 MiB,
 * and above 3 GiB a PCI hole up to 4 GiB), single-threaded.
 *
 * Figures: the median cost of an allocation and its free, for one frame
 * (order 0) and 512 contiguous frames (order 9), from two starting states:
 *   empty   nothing allocated;
 *   frag    half full and fragmented: the lowest third of the free frames is
 *           in use, as first-fit leaves memory, and above it every 4 MiB has
 *           every other frame of its first 2 MiB in use and the rest free -
 *           so single frames are scattered and 2 MiB runs still exist.
 * Both allocators start from exactly the same set of used frames. The PMM
 * gets there by allocating every frame and freeing the rest; the bitmap by
 * setting the same bits (first-fit allocation of 16 M frames one by one
 * would take hours).
 */
#include <string.h>

#include "bench/bench.h"
#include "bench/bitmap_alloc.h"
#include "host/sim.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/pmm.h"

#define MiB		(1ull << 20)
#define GiB		(1ull << 30)
#define FRAME		4096ull
#define BUDGET_NS	300000000ull	/* per figure */
#define BURST		256		/* frames per burst: more than a CPU cache holds */

static struct memmap map;
static struct bitmap_alloc bm;

/* Runs of managed frames (free right after init), in address order. */
static struct run {
	uint64_t b, e;	/* frame numbers */
} runs[64];
static unsigned nruns;
static uint64_t managed;

static void map_add(phys_addr_t base, phys_addr_t end, uint32_t type)
{
	map.range[map.count++] = (struct memmap_range){ base, end, type };
}

static void collect_run(phys_addr_t b, phys_addr_t e, unsigned node, enum pmm_zone z,
			enum pmm_frame_state st, void *ctx)
{
	(void)node;
	(void)z;
	(void)ctx;
	if (st != PMM_FRAME_FREE)
		return;
	if (nruns && runs[nruns - 1].e == b / FRAME)
		runs[nruns - 1].e = e / FRAME;
	else if (nruns < 64)
		runs[nruns++] = (struct run){ b / FRAME, e / FRAME };
	managed += (e - b) / FRAME;
}

/* A PC with @ram bytes of RAM; returns pmm_init()'s time in ms. */
static double boot(uint64_t ram)
{
	uint64_t low = ram < 3 * GiB ? ram : 3 * GiB, top = ram > low ? 4 * GiB + ram - low : ram;

	memset(&map, 0, sizeof(map));
	map_add(0, 0x9f000, MEMMAP_USABLE);
	map_add(0x9f000, 0x100000, MEMMAP_RESERVED);
	map_add(0x100000, 0x400000, MEMMAP_KERNEL);
	map_add(0x400000, low, MEMMAP_USABLE);
	if (ram > low) {
		map_add(3 * GiB, 4 * GiB, MEMMAP_RESERVED);
		map_add(4 * GiB, top, MEMMAP_USABLE);
	}
	if (sim_ram_init(top)) {
		fprintf(stderr, "pmm_bench: cannot map %llu MiB\n", (unsigned long long)(top >> 20));
		exit(1);
	}
	uint64_t t = bench_now_ns();

	if (pmm_init(&map)) {
		fprintf(stderr, "pmm_bench: pmm_init failed\n");
		exit(1);
	}
	t = bench_now_ns() - t;
	nruns = 0;
	managed = 0;
	pmm_walk(collect_run, NULL);
	/* The bitmap covers all of physical memory, in use except what the PMM manages. */
	bitmap_fini(&bm);
	if (bitmap_init(&bm, top / FRAME)) {
		fprintf(stderr, "pmm_bench: out of memory\n");
		exit(1);
	}
	for (unsigned r = 0; r < nruns; r++)
		bitmap_free(&bm, runs[r].b, runs[r].e - runs[r].b);
	return (double)t / 1e6;
}

/* In the fragmented state, is managed frame @pfn, the @k-th in address order, in use? */
static bool frag_used(uint64_t pfn, uint64_t k)
{
	if (k < managed / 3)
		return true;
	return pfn % 1024 < 512 && pfn % 2 == 0;
}

static void fragment(void)
{
	uint64_t k = 0;

	while (pmm_alloc_pages(0, 0) != PMM_NO_FRAME)
		;
	for (unsigned r = 0; r < nruns; r++) {
		for (uint64_t pfn = runs[r].b; pfn < runs[r].e; pfn++, k++) {
			if (!frag_used(pfn, k)) {
				pmm_free_pages(pfn * FRAME, 0);
				continue;
			}
			bm_set(&bm, pfn);
			bm.free_frames--;
		}
	}
	pmm_drain();
}

static void die_if(bool cond, const char *what)
{
	if (cond) {
		fprintf(stderr, "pmm_bench: %s\n", what);
		exit(1);
	}
}

static void pmm_pair0(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--) {
		phys_addr_t a = pmm_alloc_pages(0, 0);

		die_if(a == PMM_NO_FRAME, "pmm: no frame");
		pmm_free_pages(a, 0);
	}
}

static void pmm_pair9(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--) {
		phys_addr_t a = pmm_alloc_pages(9, 0);

		die_if(a == PMM_NO_FRAME, "pmm: no order-9 block");
		pmm_free_pages(a, 9);
	}
}

/* BURST allocations then BURST frees: the caches refill and drain. Per pair. */
static void pmm_burst0(void *ctx, unsigned iters)
{
	static phys_addr_t a[BURST];

	(void)ctx;
	while (iters--) {
		for (unsigned i = 0; i < BURST; i++)
			die_if((a[i] = pmm_alloc_pages(0, 0)) == PMM_NO_FRAME, "pmm: no frame");
		for (unsigned i = 0; i < BURST; i++)
			pmm_free_pages(a[i], 0);
	}
}

static void bm_pair0(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--) {
		uint64_t i = bitmap_alloc_frame(&bm);

		die_if(i == BM_NONE, "bitmap: no frame");
		bitmap_free(&bm, i, 1);
	}
}

static void bm_pair9(void *ctx, unsigned iters)
{
	(void)ctx;
	while (iters--) {
		uint64_t i = bitmap_alloc_run(&bm, 512);

		die_if(i == BM_NONE, "bitmap: no run of 512 frames");
		bitmap_free(&bm, i, 512);
	}
}

enum { P0, P9, B0, B9, NFIG };
static const char *const fig_name[NFIG] = {
	"pmm.order0.alloc_free_ns", "pmm.order9.alloc_free_ns",
	"bitmap.order0.alloc_free_ns", "bitmap.order9.alloc_free_ns",
};
static const char *const fig_target[NFIG] = { "<=25", "<=200", NULL, NULL };
static const bench_fn fig_fn[NFIG] = { pmm_pair0, pmm_pair9, bm_pair0, bm_pair9 };

static const struct {
	const char *tag;
	uint64_t ram;
} sizes[] = { { "256M", 256 * MiB }, { "4G", 4 * GiB }, { "64G", 64 * GiB } };
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

static double result[NSIZES][2][NFIG];	/* [size][frag][figure] */

/*
 * Each figure is the lowest of ROUNDS medians taken in turns, so that a
 * stretch of load from elsewhere on a shared machine spoils at most one.
 */
#define ROUNDS	3
static void measure_state(unsigned s, unsigned frag)
{
	char name[96];
	double best[NFIG];

	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned f = 0; f < NFIG; f++) {
			double ns = bench_median_ns(fig_fn[f], NULL, BUDGET_NS / ROUNDS);
			best[f] = r == 0 || ns < best[f] ? ns : best[f];
		}
	}
	for (unsigned f = 0; f < NFIG; f++) {
		result[s][frag][f] = best[f];
		snprintf(name, sizeof(name), "%s%s@%s", fig_name[f], frag ? ".frag" : "", sizes[s].tag);
		bench_emit(name, best[f], "ns", fig_target[f]);
	}
}

int main(void)
{
	char name[96];
	double worst_pct = 0;

	sim_set_log_level(LOG_WARN);
	for (unsigned s = 0; s < NSIZES; s++) {
		struct pmm_stats st;
		double init_ms = boot(sizes[s].ram);

		pmm_get_stats(&st);
		uint64_t managed_bytes = (st.free_frames + st.used_frames) * FRAME;
		double pct = 100.0 * (double)st.metadata_bytes / (double)managed_bytes;

		worst_pct = pct > worst_pct ? pct : worst_pct;
		snprintf(name, sizeof(name), "pmm.metadata_pct@%s", sizes[s].tag);
		bench_emit(name, pct, "%", "<=1.6");
		snprintf(name, sizeof(name), "pmm.init_ms@%s", sizes[s].tag);
		bench_emit(name, init_ms, "ms", "<=1000");
		measure_state(s, 0);
		snprintf(name, sizeof(name), "pmm.order0.burst%u_ns@%s", BURST, sizes[s].tag);
		bench_emit(name, bench_median_ns(pmm_burst0, NULL, BUDGET_NS) / BURST, "ns", NULL);
		fragment();
		pmm_get_stats(&st);
		fprintf(stderr, "pmm_bench: %s fragmented: %.1f%% of managed frames in use (bitmap %.1f%%)\n",
			sizes[s].tag, 100.0 * (double)st.used_frames / (double)(st.used_frames + st.free_frames),
			100.0 - 100.0 * (double)bm.free_frames / (double)managed);
		measure_state(s, 1);
	}
	bench_emit("pmm.metadata_pct", worst_pct, "%", "<=1.6");

	/* Flat cost: 64 GiB against 256 MiB. */
	for (unsigned frag = 0; frag < 2; frag++) {
		for (unsigned f = 0; f < NFIG; f++) {
			snprintf(name, sizeof(name), "%s%s.scale_64G_256M", fig_name[f], frag ? ".frag" : "");
			bench_emit(name, result[NSIZES - 1][frag][f] / result[0][frag][f], "x",
				   f == P0 || f == P9 ? "<=1.25" : NULL);
		}
	}
	bitmap_fini(&bm);
	sim_ram_fini();
	return 0;
}
