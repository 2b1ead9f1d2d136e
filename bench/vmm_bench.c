// SPDX-License-Identifier: MIT
/*
 * The page-table engine on simulated RAM (256 MiB), single-threaded, x86_64
 * format, the space active (so TLB invalidations are issued - on the host
 * they only count).
 *
 * Figures (median cost of one repetition):
 *   map_unmap_4k      map and unmap one 4 KiB page whose tables exist (a
 *                     neighbour keeps them), cycling over a page table
 *   map_unmap_4k_cold the same in an empty space: 3 tables allocated,
 *                     zeroed and freed each time
 *   map_unmap_2m      map and unmap one 2 MiB page (its page directory exists)
 *   translate         pt_translate() of random pages of 64 MiB mapped with
 *                     4 KiB pages (128 KiB of page tables: cache-resident)
 *   translate_2m      the same over 1 GiB mapped with 2 MiB pages
 *   protect_4k        toggle write permission of one 4 KiB page
 *   map_1g_4k         map 1 GiB with 4 KiB pages and unmap it (per 4 KiB page)
 *   vmalloc_vfree_16k vmalloc(16 KiB) and vfree() it (4 frames, 4 mappings)
 *   pagetable_bytes_per_gib_mapped  table memory for 1 GiB of 4 KiB pages
 *   i386_2level.map_unmap_4k, i386_pae.map_unmap_4k
 *                     map_unmap_4k in the i386 formats (4-byte entries, two
 *                     levels; 8-byte entries, three levels)
 */
#include <string.h>

#include "bench/bench.h"
#include "host/sim.h"
#include "mm/memmap.h"
#include "mm/platform.h"
#include "mm/pmm.h"
#include "mm/pt.h"
#include "mm/vmalloc.h"

#define MiB		(1ull << 20)
#define GiB		(1ull << 30)
#define PG		4096ull
#define BUDGET_NS	200000000ull	/* per figure */
#define BASE		0x0000100000000000ull	/* 16 TiB: any aligned address will do */

static struct memmap map;
static struct pt_space sp;
static const struct pt_format *fmt = &pt_format_x86_64;	/* of the next fresh_space() */
static uintptr_t base = BASE;				/* where map_unmap_4k works */

static void die(const char *what)
{
	fprintf(stderr, "vmm_bench: %s\n", what);
	exit(1);
}

static void must(int r, const char *what)
{
	if (r)
		die(what);
}

static void fresh_space(void)
{
	must(pt_space_init(&sp, fmt), "pt_space_init");
	plat_set_pt_root(sp.root);
}

static void drop_space(void)
{
	plat_set_pt_root(0);
	must(pt_unmap(&sp, 0, fmt->va_sign_extend ? 1ull << 47 : 1ull << fmt->va_bits, NULL, NULL),
	     "unmap all");
	pt_space_destroy(&sp);
}

/* --- the measured operations ------------------------------------------------------ */

static void map_unmap_4k(void *ctx, unsigned iters)
{
	static unsigned next;
	(void)ctx;
	for (unsigned i = 0; i < iters; i++) {
		uintptr_t va = base + (1 + next++ % 511) * PG;

		pt_map(&sp, va, 0x100000, PG, PT_WRITE, 0);
		pt_unmap(&sp, va, PG, NULL, NULL);
	}
}

static void map_unmap_2m(void *ctx, unsigned iters)
{
	static unsigned next;
	(void)ctx;
	for (unsigned i = 0; i < iters; i++) {
		uintptr_t va = BASE + (1 + next++ % 511) * 2 * MiB;

		pt_map(&sp, va, 2 * MiB, 2 * MiB, PT_WRITE, PT_MAP_LARGE);
		pt_unmap(&sp, va, 2 * MiB, NULL, NULL);
	}
}

struct lookup {
	uint64_t pages;		/* a power of two */
	uint64_t stride;
	uint64_t sink;
};

static void translate(void *ctx, unsigned iters)
{
	struct lookup *l = ctx;
	static uint64_t x = 1;
	phys_addr_t pa;

	for (unsigned i = 0; i < iters; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uintptr_t va = BASE + ((x >> 33) & (l->pages - 1)) * l->stride + 8;

		pt_translate(&sp, va, &pa, NULL, NULL);
		l->sink += pa;
	}
}

static void protect_4k(void *ctx, unsigned iters)
{
	static unsigned flip;
	(void)ctx;
	for (unsigned i = 0; i < iters; i++)
		pt_protect(&sp, BASE, PG, (flip++ & 1) ? PT_WRITE : 0);
}

static void map_1g_4k(void *ctx, unsigned iters)
{
	(void)ctx;
	for (unsigned i = 0; i < iters; i++) {
		must(pt_map(&sp, BASE + GiB, GiB, GiB, PT_WRITE, 0), "map 1 GiB");
		pt_unmap(&sp, BASE + GiB, GiB, NULL, NULL);
	}
}

static void vmalloc_vfree(void *ctx, unsigned iters)
{
	(void)ctx;
	for (unsigned i = 0; i < iters; i++) {
		void *p = vmalloc(16 * 1024);

		if (!p)
			die("vmalloc");
		vfree(p);
	}
}

/* --- figures ------------------------------------------------------------------------ */

int main(void)
{
	struct lookup l = { 0 };
	double ns;

	sim_set_log_level(LOG_WARN);
	map.range[0] = (struct memmap_range){ 0x100000, 256 * MiB, MEMMAP_USABLE };
	map.count = 1;
	if (sim_ram_init(256 * MiB) || pmm_init(&map))
		die("no simulated RAM");

	/* Tables resident: page 0 of the range stays mapped. */
	fresh_space();
	must(pt_map(&sp, BASE, 0x100000, PG, PT_WRITE, 0), "map");
	ns = bench_low_median_ns(map_unmap_4k, NULL, BUDGET_NS);
	bench_emit("vmm.map_unmap_4k_ns", ns, "ns", "<=100");
	ns = bench_low_median_ns(protect_4k, NULL, BUDGET_NS);
	bench_emit("vmm.protect_4k_ns", ns, "ns", NULL);
	ns = bench_low_median_ns(map_1g_4k, NULL, BUDGET_NS);
	bench_emit("vmm.map_1g_4k_per_page_ns", ns / (GiB / PG), "ns", NULL);
	drop_space();

	fresh_space();
	ns = bench_low_median_ns(map_unmap_4k, NULL, BUDGET_NS);
	bench_emit("vmm.map_unmap_4k_cold_ns", ns, "ns", NULL);
	drop_space();

	/* The same in the i386 formats, below a 32-bit kernel's 3 GiB line. */
	static const struct { const char *name; const struct pt_format *f; } i386[] = {
		{ "vmm.i386_2level.map_unmap_4k_ns", &pt_format_i386 },
		{ "vmm.i386_pae.map_unmap_4k_ns", &pt_format_i386_pae },
	};
	for (unsigned i = 0; i < 2; i++) {
		fmt = i386[i].f;
		base = 0x40000000;
		fresh_space();
		must(pt_map(&sp, base, 0x100000, PG, PT_WRITE, 0), "map");
		ns = bench_low_median_ns(map_unmap_4k, NULL, BUDGET_NS);
		bench_emit(i386[i].name, ns, "ns", NULL);
		drop_space();
	}
	fmt = &pt_format_x86_64;
	base = BASE;

	fresh_space();
	must(pt_map(&sp, BASE, 0, 2 * MiB, PT_WRITE, PT_MAP_LARGE), "map 2 MiB");
	ns = bench_low_median_ns(map_unmap_2m, NULL, BUDGET_NS);
	bench_emit("vmm.map_unmap_2m_ns", ns, "ns", NULL);
	drop_space();

	/* Lookups: 64 MiB of 4 KiB pages, then 1 GiB of 2 MiB pages. */
	fresh_space();
	must(pt_map(&sp, BASE, 0x10000000, 64 * MiB, PT_WRITE, 0), "map 64 MiB");
	l = (struct lookup){ 64 * MiB / PG, PG, 0 };
	ns = bench_low_median_ns(translate, &l, BUDGET_NS);
	bench_emit("vmm.translate_ns", ns, "ns", "<=20");
	drop_space();
	fresh_space();
	must(pt_map(&sp, BASE, 0, GiB, PT_WRITE, PT_MAP_LARGE), "map 1 GiB");
	must(pt_unmap(&sp, BASE, GiB, NULL, NULL), "unmap 1 GiB");	/* drop the 1 GiB leaf */
	for (uint64_t off = 0; off < GiB; off += 2 * MiB)
		must(pt_map(&sp, BASE + off, off, 2 * MiB, PT_WRITE, PT_MAP_LARGE), "map 2 MiB");
	l = (struct lookup){ GiB / (2 * MiB), 2 * MiB, 0 };
	ns = bench_low_median_ns(translate, &l, BUDGET_NS);
	bench_emit("vmm.translate_2m_ns", ns, "ns", NULL);
	drop_space();

	/* Table memory for 1 GiB of 4 KiB pages: 512 PTs, a PD, a PDPT and the root. */
	fresh_space();
	must(pt_map(&sp, BASE, GiB, GiB, PT_WRITE, 0), "map 1 GiB");
	bench_emit("vmm.pagetable_bytes_per_gib_mapped", (double)(sp.table_pages * PG), "B", NULL);
	drop_space();

	/* vmalloc in a kernel space. */
	fresh_space();
	sp.flags |= PT_SPACE_KERNEL;
	must(vmalloc_init(&sp, 0xffffc90000000000ull, 0xffffc90000000000ull + (32ull << 40)),
	     "vmalloc_init");
	ns = bench_low_median_ns(vmalloc_vfree, NULL, BUDGET_NS);
	bench_emit("vmm.vmalloc_vfree_16k_ns", ns, "ns", NULL);
	vmalloc_fini();
	plat_set_pt_root(0);
	pt_space_destroy(&sp);

	fprintf(stderr, "vmm_bench: %lu page and %lu full TLB flushes issued\n",
		sim_count.tlb_flush_page, sim_count.tlb_flush_all);
	return l.sink == 42;	/* keep the lookups */
}
