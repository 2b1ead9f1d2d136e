// SPDX-License-Identifier: MIT
/*
 * The kernel heap's page source (heap_pages_kernel) on 256 MiB of simulated
 * RAM, its slabs in the slab arena (host/heap_arena_sim.c: pages given back
 * go to the PMM) against the same heap through the direct map, in the same
 * run:
 *   kheap.fast.ns.X      a kmalloc(64) and its kfree (the per-CPU lists)
 *   kheap.churn.ns.X     per object: 4096 objects of 16 B..4 KiB allocated,
 *                        then all freed (refills, flushes, new and freed slabs)
 *   kheap.phase.frames_over_live.X   frames the heap holds over live bytes
 *                        after a phase-changing workload (8 phases, 90 % of
 *                        the held objects freed in each, then 4 MiB live of
 *                        one octave of 16 B..8 KiB) and heap_shrink()
 * X is arena or direct. On the host a page of the arena is this process's
 * anonymous memory, mapped (mmap) when the core maps a frame there and
 * faulted in when first touched: a new slab costs system calls and 16 page
 * faults that the kernel's arena (page-table entries written under a lock)
 * does not pay, so churn, which makes slabs, is not the kernel's figure.
 */
#include <string.h>

#include "bench/bench.h"
#include "host/sim.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/pt.h"
#include "mm/vmalloc.h"

#define MiB		(1ull << 20)
#define BUDGET_NS	300000000ull
#define CHURN_N		4096

static struct pt_space ks;
static struct memmap map;

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_drain();
	pmm_get_stats(&st);
	return st.free_frames;
}

static void setup(bool arena)
{
	memset(&map, 0, sizeof(map));
	map.range[map.count++] = (struct memmap_range){ 0x100000, 256 * MiB, MEMMAP_USABLE };
	if (sim_ram_init(256 * MiB) || pmm_init(&map))
		exit(1);
	pmm_set_reserve(0);
	plat_set_pt_root(0);
#if UINTPTR_MAX > 0xffffffffu
	const struct pt_format *f = &pt_format_x86_64;
	uintptr_t vb = 0xffffc90000000000ull;
#else
	const struct pt_format *f = &pt_format_i386_pae;
	uintptr_t vb = 0xf8800000u;
#endif
	if (pt_space_init(&ks, f) || (ks.flags |= PT_SPACE_KERNEL, vmalloc_init(&ks, vb, vb + (64 << 20))))
		exit(1);
	if (arena && sim_heap_arena_init())
		exit(1);
	heap_pages_kernel.arena_hi = 0;
	if (heap_init(&heap_pages_kernel, 0))
		exit(1);
}

static void teardown(void)
{
	heap_thread_exit();
	vmalloc_fini();
	sim_ram_fini();
}

static void fast(void *ctx, unsigned iters)
{
	(void)ctx;
	for (unsigned i = 0; i < iters; i++) {
		void *p = kmalloc(64);
		*(volatile char *)p = 1;
		kfree(p);
	}
}

static void churn(void *ctx, unsigned iters)
{
	static void *p[CHURN_N];

	(void)ctx;
	for (unsigned r = 0; r < iters; r++) {
		for (unsigned i = 0; i < CHURN_N; i++) {
			p[i] = kmalloc((size_t)16 << (i % 9));
			*(volatile char *)p[i] = 1;
		}
		for (unsigned i = 0; i < CHURN_N; i++)
			kfree(p[i]);
	}
}

struct blk {
	struct blk *next;
	size_t len;
};

static double phase(void)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull, base, live = 0;
	struct blk *held = NULL;
	unsigned octave = 4;

	heap_flush_lists();
	heap_shrink(&heap_global);	/* what the churn left: not the phase's */
	base = free_frames();
	for (int ph = 0; ph < 8; ph++) {
		for (struct blk **pp = &held; *pp;) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			struct blk *b = *pp;
			if (rng % 10) {
				*pp = b->next;
				live -= b->len;
				kfree(b);
			} else {
				pp = &b->next;
			}
		}
		octave = 4 + (octave - 4 + 1 + (unsigned)(rng % 8)) % 9;
		for (;;) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			size_t n = ((size_t)1 << octave) + rng % ((size_t)1 << octave);
			if (live + n > 4 * MiB)
				break;
			struct blk *b = kmalloc(n);
			if (!b)
				exit(1);
			memset(b, 0x5a, n);
			b->len = n;
			b->next = held;
			held = b;
			live += n;
		}
	}
	heap_flush_lists();
	heap_shrink(&heap_global);
	double r = (double)(base - free_frames()) * 4096 / (double)live;
	while (held) {
		struct blk *b = held;
		held = b->next;
		kfree(b);
	}
	return r;
}

int main(void)
{
	double f[2] = { 1e30, 1e30 }, c[2] = { 1e30, 1e30 }, ph[2] = { 0, 0 };

	sim_set_log_level(LOG_ERR);
	for (int round = 0; round < 2; round++)		/* alternated: load from elsewhere hits both */
		for (int a = 1; a >= 0; a--) {
			setup(a);
			double x = bench_median_ns(fast, NULL, BUDGET_NS / 2);
			double y = bench_median_ns(churn, NULL, BUDGET_NS / 2) / CHURN_N;
			f[a] = x < f[a] ? x : f[a];
			c[a] = y < c[a] ? y : c[a];
			ph[a] = phase();
			teardown();
		}
	printf("kheap.fast.ns.arena %.1f ns\n", f[1]);
	printf("kheap.fast.ns.direct %.1f ns\n", f[0]);
	printf("kheap.churn.ns.arena %.1f ns\n", c[1]);
	printf("kheap.churn.ns.direct %.1f ns\n", c[0]);
	printf("kheap.phase.frames_over_live.arena %.2f x\n", ph[1]);
	printf("kheap.phase.frames_over_live.direct %.2f x\n", ph[0]);
	return 0;
}
