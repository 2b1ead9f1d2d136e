// SPDX-License-Identifier: MIT
/*
 * Operation sequences of swap and reclaim against a model: up to three
 * processes map private and shared anonymous pages in a window, write and
 * read them, fork, munmap, mremap (moving pages, so that a page's index
 * and address part) and exit, while pages are pushed out (MADV_PAGEOUT,
 * direct reclaim of both LRU kinds, the file and anonymous lists scanned
 * with and without force: private pages shared after fork leave every
 * space at once through the reverse map) and the PMM is starved so that
 * faults reclaim for themselves. Pages read back keep their slots as clean
 * copies (mm/swap.c): writes, mprotect round trips, a store that refuses
 * pages (kept copies freed first) and swapoff/swapon cycles test that a
 * copy never outlives a write. Every read must give the model's byte; at the end every
 * frame, swap slot and backend page is back, and the LRU lists are empty.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/heap_pages_mmap.h"
#include "mm/as_internal.h"
#include "mm/heap.h"
#include "mm/lru.h"
#include "mm/pcache.h"
#include "mm/reclaim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"
#include "tests/host/as_test_util.h"
#include "tests/host/swap_test_util.h"

#define NPAGES		32
#define WIN		0x10000000ull
#define MAX_PROC	3
#define MAX_OBJS	64
#define RW		(MM_PROT_READ | MM_PROT_WRITE)

struct mpage {
	bool mapped;
	int16_t obj;		/* shared: the mapping's object in shval, else -1 */
	uint8_t idx;		/* shared: page index in it */
	uint8_t val;		/* private: the byte at offset 0 */
};

struct mproc {
	bool live;
	struct proc p;
	struct mpage pg[NPAGES];
};

static struct mproc procs[MAX_PROC];
static uint8_t shval[MAX_OBJS][NPAGES];
static unsigned nobjs;
static struct test_swap ts;
static int ts_type;
static phys_addr_t hoard_frames[1 << 12];
static struct sim_hoard hoard = { hoard_frames, 0, 1 << 12 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	CHECK(vm_ram_setup(16 * MiB) == 0);
	heap_pages_mmap_set_arena((size_t)1 << 28);
	CHECK(heap_init(&heap_pages_mmap, 0) == 0);
	CHECK(lru_init() == 0);
	test_swap_init(&ts, "fuzz0", 1 << 12);
	test_swap_use_pool(&ts);	/* no malloc (and ASan's fill of it) per page swapped out */
	CHECK(ts.pool);
	ts_type = swap_area_add(&ts.b, 10, 1);
	CHECK(ts_type >= 0);
	return 0;
}

static uintptr_t va_of(unsigned i)
{
	return (uintptr_t)(WIN + (uint64_t)i * PAGE_SIZE);
}

/* The model's byte at page @i of @m. */
static uint8_t want(const struct mproc *m, unsigned i)
{
	const struct mpage *g = &m->pg[i];

	return g->obj >= 0 ? shval[g->obj][g->idx] : g->val;
}

/* A mapped page reads as the model says (out of memory while starved: once fed again). */
static void check_page(struct mproc *m, unsigned i)
{
	int v;

	if (!m->pg[i].mapped)
		return;
	v = upeek(&m->p, va_of(i));
	if (v < 0 && hoard.n) {
		sim_feed(&hoard);
		v = upeek(&m->p, va_of(i));
	}
	CHECK(v == want(m, i));
}

static void op_map(struct mproc *m, unsigned first, unsigned n, bool shared)
{
	long a;

	n = n % (NPAGES - first) + 1;
	if (shared && nobjs == MAX_OBJS)
		shared = false;
	a = as_mmap(&m->p.as, va_of(first), (uint64_t)n * PAGE_SIZE, RW,
		    MM_MAP_FIXED | MM_MAP_ANONYMOUS | (shared ? MM_MAP_SHARED : MM_MAP_PRIVATE),
		    NULL, 0);
	if (as_is_err(a))
		return;		/* out of memory for the region: nothing changed */
	CHECK((uintptr_t)a == va_of(first));
	for (unsigned k = 0; k < n; k++)
		m->pg[first + k] = (struct mpage){ true, (int16_t)(shared ? nobjs : -1),
						   (uint8_t)k, 0 };
	if (shared)
		memset(shval[nobjs++], 0, NPAGES);
}

static void op_write(struct mproc *m, unsigned i, uint8_t v)
{
	struct mpage *g = &m->pg[i];

	if (!g->mapped || uwrite8(&m->p, va_of(i), v))
		return;		/* unmapped; or no memory even after reclaim: unchanged */
	if (g->obj >= 0)
		shval[g->obj][g->idx] = v;
	else
		g->val = v;
}

static void op_fork(struct mproc *m)
{
	for (unsigned c = 0; c < MAX_PROC; c++) {
		struct mproc *k = &procs[c];

		if (k->live)
			continue;
		if (as_fork(&k->p.as, &m->p.as))
			return;
		proc_cpu(&k->p);
		k->live = true;
		memcpy(k->pg, m->pg, sizeof(k->pg));
		return;
	}
}

static void op_unmap(struct mproc *m, unsigned first, unsigned n)
{
	n = n % (NPAGES - first) + 1;
	if (as_munmap(&m->p.as, va_of(first), (uint64_t)n * PAGE_SIZE))
		return;
	for (unsigned k = 0; k < n; k++)
		m->pg[first + k].mapped = false;
}

/* Move pages [first, first + n) to [dst, dst + n) (MREMAP_FIXED): all or nothing. */
static void op_mremap(struct mproc *m, unsigned first, unsigned n, unsigned dst)
{
	struct mpage tmp[NPAGES];

	n = n % (NPAGES - first) + 1;
	dst %= NPAGES - n + 1;
	if (dst < first + n && first < dst + n)
		return;		/* overlapping: EINVAL, not worth a call */
	if (as_is_err(as_mremap(&m->p.as, va_of(first), (uint64_t)n * PAGE_SIZE,
				(uint64_t)n * PAGE_SIZE, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				va_of(dst)))) {
		/* As on Linux, MREMAP_FIXED may have unmapped the target before failing. */
		for (unsigned k = 0; k < n; k++)
			if (!as_region_find(&m->p.as, va_of(dst + k)))
				m->pg[dst + k].mapped = false;
		return;
	}
	memcpy(tmp, &m->pg[first], n * sizeof(tmp[0]));
	for (unsigned k = 0; k < n; k++)
		m->pg[first + k].mapped = false;
	memcpy(&m->pg[dst], tmp, n * sizeof(tmp[0]));
}

/* Read-only and back: a kept page must stay read-only, so that its write frees the copy. */
static void op_mprotect(struct mproc *m, unsigned first, unsigned n)
{
	n = n % (NPAGES - first) + 1;
	as_mprotect(&m->p.as, va_of(first), (uint64_t)n * PAGE_SIZE, MM_PROT_READ);
	as_mprotect(&m->p.as, va_of(first), (uint64_t)n * PAGE_SIZE, RW);
}

/* swapoff (every page back, kept copies freed) and swapon again; swapoff may lack memory. */
static void op_swapoff(void)
{
	if (swap_area_remove(ts_type))
		return;		/* -MM_ENOMEM: the area stays, in use */
	CHECK(ts.stored == 0);
	ts_type = swap_area_add(&ts.b, 10, 1);
	CHECK(ts_type >= 0);
}

static void op_exit(struct mproc *m)
{
	as_destroy(&m->p.as);
	m->live = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct reclaim_figures fig = { 0 };
	struct swap_counters c;
	uint64_t free0;

	pmm_drain();
	free0 = sim_free_frames();
	nobjs = 0;
	CHECK(as_init(&procs[0].p.as, NULL) == 0);
	proc_cpu(&procs[0].p);
	procs[0].live = true;
	for (unsigned i = 0; i < NPAGES; i++)
		procs[0].pg[i] = (struct mpage){ false, -1, 0, 0 };
	for (unsigned steps = 0; in.n && steps < 400; steps++) {
		unsigned op = fuzz_byte(&in), a = fuzz_byte(&in), b = fuzz_byte(&in);
		struct mproc *m = &procs[(op >> 4) % MAX_PROC];
		unsigned i = a % NPAGES;

		if (!m->live)
			m = &procs[0];
		if (!m->live)
			break;
		switch (op & 15) {
		case 0:
		case 1:
			op_map(m, i, b, op & 1);
			break;
		case 2:
		case 3:
		case 4:
			op_write(m, i, (uint8_t)b);
			break;
		case 5:
		case 6:
			check_page(m, i);
			break;
		case 7:
			op_fork(m);
			break;
		case 8:
			as_madvise(&m->p.as, va_of(i), (uint64_t)(b % (NPAGES - i) + 1) * PAGE_SIZE,
				   MM_MADV_PAGEOUT);
			break;
		case 9:
			reclaim_direct(b % 64 + 1);
			break;
		case 10:
			if (a & 2)
				reclaim_anon_scan(b % 64 + 1, b % 64 + 1, a & 1, PMM_ZONE_ID_HIGHMEM, &fig);
			else
				reclaim_file_scan(b % 64 + 1, b % 64 + 1, a & 1, PMM_ZONE_ID_HIGHMEM, &fig);
			swap_writeback_run();
			break;
		case 11:
			if (b & 0x80)
				op_mremap(m, i, b & 7, fuzz_byte(&in));
			else
				op_unmap(m, i, b);
			break;
		case 12:
			if (m != &procs[0])
				op_exit(m);
			break;
		case 13:	/* starve the PMM: faults must reclaim for themselves */
			if (a & 0x80)	/* or the store: it refuses pages beyond a few */
				ts.max_stored = ts.stored + b % 8;
			else
				sim_starve(&hoard, b % 32);
			break;
		case 14:
			if (a & 0x80)
				op_mprotect(m, i, b);
			else if (a & 0x40)
				op_swapoff();
			else
				sim_feed(&hoard);
			ts.max_stored = a & 0x20 ? ts.max_stored : 0;
			break;
		default:
			for (unsigned k = 0; k < NPAGES; k++)
				check_page(m, k);
		}
	}
	sim_feed(&hoard);
	ts.max_stored = 0;
	swap_get_counters(&c);
	CHECK(swap_kept_pages() <= c.cache_pages);
	for (unsigned p = 0; p < MAX_PROC; p++) {
		if (!procs[p].live)
			continue;
		for (unsigned k = 0; k < NPAGES; k++)
			check_page(&procs[p], k);
		CHECK(as_check(&procs[p].p.as) == 0);
		op_exit(&procs[p]);
	}
	CHECK(lru_check() == 0);
	for (unsigned l = 0; l < LRU_NR_LISTS; l++)
		CHECK(lru_count((enum lru_list)l) == 0);
	CHECK(pcache_total_swapped() == 0);
	swap_get_counters(&c);
	CHECK(c.slots_used == 0);
	CHECK(c.cache_pages == 0);
	CHECK(swap_kept_pages() == 0);
	CHECK(ts.stored == 0);
	CHECK(ts.bad_calls == 0);
	pmm_drain();
	CHECK(sim_free_frames() == free0);
	return 0;
}
