/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the page-table engine against a flat model: virtual page -> frame
 * and protection.
 *
 * Byte 0 picks the format (x86_64, i386 PAE, i386). The rest is a sequence
 * of 8-byte operations on two or three 2 GiB windows of address space
 * placed at the edges that matter (the canonical hole, the top of the
 * address space, the 4 GiB limit):
 *
 *   b0  bits 0-2: kind (map, map, unmap, protect, map large, memory, unmap
 *       large-aligned, invalid); bit 3: PT_MAP_REPLACE (protect: copy the
 *       range into a second space instead, with pt_copy_range(); bit 4:
 *       PT_COPY_COW; b6: which leaves the callback skips); bit 4:
 *       PT_MAP_LARGE; bits 5-7: length class
 *   b1  protection (memory: frames to leave free)
 *   b2  window (bits 0-3) and alignment class of the start (bits 4-5)
 *   b3-4 start, b5-6 length, b7 physical address
 *
 * A copy must put exactly the leaves the callback accepted, each page as
 * the model has it (read-only with copy-on-write), into the second space,
 * take write permission from the copied pages of the first with
 * copy-on-write and change nothing else; copying the same range again must
 * find everything in the way; the second space is then emptied and
 * destroyed, giving back every table (the first keeps any split tables).
 *
 * After each operation the result must be what the model predicts (-EEXIST,
 * -EINVAL, or success; -ENOMEM changing nothing), and the pages of the
 * range, plus its neighbours, must translate as the model says through
 * pt_translate() and through the soft MMU, whose permission checks must
 * agree with the model's protections: every page of a range of up to
 * CHECK_ALL pages; of a longer one its first and last CHECK_EDGE pages and
 * CHECK_SAMPLE pages drawn from it, plus CHECK_SAMPLE pages anywhere. Every
 * CHECK_EVERY operations and at the end of the input the whole space is
 * compared with the model, leaf by leaf (check_all()). At the end
 * everything is unmapped (the ranges operations touched: check_all() has
 * found every leaf in them), the released frames must match the model, and
 * every page-table page must be back in the PMM.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/soft_mmu.h"
#include "mm/pt.h"
#include "tests/host/sim_setup.h"

#define WIN_SIZE	(2 * GiB)
#define WIN_PAGES	(WIN_SIZE / PG)
#define MAX_WIN		3
#define CHUNK		512			/* model pages per dirty bit */
#define OP_SIZE		8
#define PROT_BITS	(PT_WRITE | PT_EXEC | PT_USER | PT_GLOBAL | PT_NOCACHE)
#define CHECK_ALL	64			/* ranges checked page by page */
#define CHECK_EDGE	8
#define CHECK_SAMPLE	8
#define CHECK_EVERY	32
/* A loop over the model: out of line, or the caller's coverage instrumentation would cover it. */
#define MODEL_LOOP	SMMU_ORACLE __attribute__((noinline))

struct world {
	const struct pt_format *fmt;
	unsigned nwin;
	uintptr_t win[MAX_WIN];
	uint64_t pa_span;		/* physical addresses used lie below this */
	unsigned large_pages;		/* 4 KiB pages in the smallest large page */
};

static struct world w;
static struct pt_space sp, sp2;
static struct smmu mmu;
/* The model: 0, or pfn << 12 | prot << 1 | 1. */
static uint64_t model[MAX_WIN][WIN_PAGES];
static uint8_t dirty[MAX_WIN][WIN_PAGES / CHUNK];
static phys_addr_t eaten_frames[1 << 16];
static struct sim_hoard eaten = { eaten_frames, 0, 1 << 16 };
static uint64_t sample;			/* fuzz_sample() state */
static bool plant, planted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	CHECK(sim_ram_pmm_flat(16 * MiB) == 0);	/* 4096 frames: tables for every test the windows need */
	plant = fuzz_plant_wanted();
	return 0;
}

static void pick_world(uint8_t sel)
{
	memset(&w, 0, sizeof(w));
	switch (sel % 3) {
	case 0:
		w.fmt = &pt_format_x86_64;
		w.nwin = 3;
		w.win[0] = (1ull << 47) - WIN_SIZE;		/* below the canonical hole */
		w.win[1] = 0xffff800000000000ull;		/* above it */
		w.win[2] = (uintptr_t)0 - WIN_SIZE;		/* the very top */
		w.pa_span = 1ull << 40;
		break;
	case 1:
		w.fmt = &pt_format_i386_pae;
		w.nwin = 2;
		w.win[0] = 0;
		w.win[1] = WIN_SIZE;
		w.pa_span = 1ull << 40;
		break;
	default:
		w.fmt = &pt_format_i386;
		w.nwin = 2;
		w.win[0] = 0;
		w.win[1] = WIN_SIZE;
		w.pa_span = 1ull << 32;
		break;
	}
	w.large_pages = 1u << w.fmt->index_bits[0];
}

/* --- the model ------------------------------------------------------------------- */

SMMU_ORACLE static uint64_t *slot(unsigned win, uint64_t page)
{
	return &model[win][page];
}

/* Mapped pages of the model and a hash of their frames, kept as it changes. */
struct tally {
	uint64_t pages, hash;
};

static struct tally total;

SMMU_ORACLE static uint64_t mix(uint64_t pfn)
{
	pfn *= 0x9e3779b97f4a7c15ull;
	return pfn ^ (pfn >> 29);
}

SMMU_ORACLE static void set_slot(unsigned win, uint64_t page, uint64_t v)
{
	uint64_t *m = slot(win, page);

	if (*m & 1) {
		total.pages--;
		total.hash -= mix(*m >> 12);
	}
	if (v & 1) {
		total.pages++;
		total.hash += mix(v >> 12);
	}
	*m = v;
}

SMMU_ORACLE static void touch(unsigned win, uint64_t first, uint64_t n)
{
	for (uint64_t c = first / CHUNK; c <= (first + n - 1) / CHUNK; c++)
		dirty[win][c] = 1;
}

SMMU_ORACLE static unsigned model_prot(uint64_t m)
{
	unsigned prot = (unsigned)(m >> 1) & PROT_BITS;

	return w.fmt->nx ? prot : prot | PT_EXEC;
}

/* Does the soft MMU allow @acc in @mode to a page the model gives @prot? */
SMMU_ORACLE static bool allowed(unsigned prot, enum smmu_access acc, enum smmu_mode mode)
{
	bool user = prot & PT_USER;

	if (mode == SMMU_USER)
		return user && (acc != SMMU_WRITE || (prot & PT_WRITE)) &&
		       (acc != SMMU_FETCH || (prot & PT_EXEC));
	if (acc == SMMU_FETCH)
		return !user && (prot & PT_EXEC);	/* SMEP */
	return acc != SMMU_WRITE || (prot & PT_WRITE);	/* AC is set: no SMAP */
}

/* The soft MMU must agree with the model about @va, mapped by @m to @pa. */
SMMU_ORACLE static void check_mmu(uintptr_t va, uint64_t m, phys_addr_t pa, unsigned rot)
{
	/* A kernel read, and one other access that rotates. */
	static const enum smmu_access accs[] = { SMMU_WRITE, SMMU_FETCH, SMMU_READ, SMMU_WRITE,
						 SMMU_FETCH };
	static const enum smmu_mode modes[] = { SMMU_KERNEL, SMMU_KERNEL, SMMU_USER, SMMU_USER,
						SMMU_USER };
	unsigned k = rot % 5;
	phys_addr_t spa;

	CHECK(smmu_translate(&mmu, va, SMMU_READ, SMMU_KERNEL, &spa) == 0 && spa == pa);
	uint32_t r = smmu_translate(&mmu, va, accs[k], modes[k], &spa);

	CHECK(!r == allowed(model_prot(m), accs[k], modes[k]));
	CHECK(!r ? spa == pa : (r & PF_P) != 0);
}

/*
 * Large leaves whose every page check_leaf() has compared with the model
 * since the last operation: a 1 GiB leaf is 2^18 model pages, and the
 * samples of one check_op_range() often land in the same leaf.
 */
#define SEEN_MAX	4
static struct seen_leaf { unsigned win; uint64_t base, pages; } seen[SEEN_MAX];
static unsigned nseen, seen_next;	/* nseen = 0 forgets them all */

/* Was this leaf compared since the last operation? Remembers it if not. */
SMMU_ORACLE static bool leaf_seen(unsigned win, uint64_t base, uint64_t pages)
{
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].win == win && seen[i].base == base && seen[i].pages == pages)
			return true;
	seen[seen_next] = (struct seen_leaf){ win, base, pages };
	seen_next = (seen_next + 1) % SEEN_MAX;
	nseen = MM_MIN(nseen + 1, SEEN_MAX);
	return false;
}

/*
 * Pages [page, hi) of window @win must translate exactly as the model says.
 * Checks the leaf holding @page; returns the first page after what it checked.
 * Every page of a large leaf is checked against the model (once between two
 * operations), but the leaf is one entry: pt_translate() and the soft MMU
 * look at its first and last page in the range only.
 */
SMMU_ORACLE static uint64_t check_leaf(unsigned win, uint64_t page, uint64_t hi)
{
	uintptr_t va = w.win[win] + page * PG;
	uint64_t m = *slot(win, page), size;
	phys_addr_t pa, spa;
	unsigned prot;
	bool mapped = pt_translate(&sp, va, &pa, &prot, &size);

	CHECK(mapped == (m & 1));
	if (!mapped) {
		CHECK(smmu_translate(&mmu, va, SMMU_READ, SMMU_KERNEL, &spa) == SMMU_FAULT);
		return page + 1;
	}
	CHECK(pa == (m & PAGE_MASK));
	CHECK((prot & ~(unsigned)(PT_ACCESSED | PT_DIRTY)) == model_prot(m));
	CHECK(size % PG == 0 && size <= WIN_SIZE);
	check_mmu(va, m, pa, (unsigned)page);

	/* The rest of the leaf: one run of the model with one protection. */
	uint64_t base = page - (va & (size - 1)) / PG, end = MM_MIN(base + size / PG, hi), p;

	bool seen_before = size > PG && leaf_seen(win, base, size / PG);

	for (p = base; p < base + size / PG && !seen_before; p++) {
		uint64_t mp = *slot(win, p);

		CHECK((mp & 1) && (mp & PAGE_MASK) == pa + (p - page) * PG &&
		      model_prot(mp) == model_prot(m));
	}
	if (end - 1 > page) {
		phys_addr_t last_pa;

		CHECK(pt_translate(&sp, va + (end - 1 - page) * PG, &last_pa, NULL, NULL));
		CHECK(last_pa == pa + (end - 1 - page) * PG);
		check_mmu(va + (end - 1 - page) * PG, m, last_pa, (unsigned)end);
	}
	return end;
}

/* Check [first, first + n) of window @win and one page either side. */
SMMU_ORACLE static void check_range(unsigned win, uint64_t first, uint64_t n)
{
	uint64_t p = first ? first - 1 : 0, hi = MM_MIN(first + n + 1, WIN_PAGES);

	while (p < hi)
		p = check_leaf(win, p, hi);
}

/* An operation's range: all of a short one, the edges and a sample of a long one; a sample elsewhere. */
SMMU_ORACLE static void check_op_range(unsigned win, uint64_t first, uint64_t n)
{
	nseen = 0;
	if (n <= CHECK_ALL) {
		check_range(win, first, n);
	} else {
		check_range(win, first, CHECK_EDGE);
		check_range(win, first + n - CHECK_EDGE, CHECK_EDGE);
		for (unsigned i = 0; i < CHECK_SAMPLE; i++)
			check_range(win, first + fuzz_sample(&sample, (unsigned)n), 1);
	}
	for (unsigned i = 0; i < CHECK_SAMPLE; i++)
		check_range(fuzz_sample(&sample, w.nwin), fuzz_sample(&sample, WIN_PAGES), 1);
}

/* pt_walk() of the whole space: every leaf as the model has it. */
struct full_check {
	uint64_t pages, leaves;
};

SMMU_ORACLE static int check_full_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot,
				       void *ctx)
{
	struct full_check *c = ctx;
	unsigned win = 0;

	while (win < w.nwin && va - w.win[win] >= WIN_SIZE)
		win++;
	CHECK(win < w.nwin);		/* nothing is mapped outside the windows */
	CHECK(size % PG == 0 && va % size == 0 && pa % size == 0);

	uint64_t first = (va - w.win[win]) / PG, m = *slot(win, first);

	CHECK(first + size / PG <= WIN_PAGES);
	for (uint64_t p = first; p < first + size / PG; p++) {
		uint64_t mp = *slot(win, p);

		CHECK((mp & 1) && (mp & PAGE_MASK) == pa + (p - first) * PG);
		CHECK((prot & ~(unsigned)(PT_ACCESSED | PT_DIRTY)) == model_prot(mp));
	}
	if (c->leaves++ % 64 == 0)		/* the soft MMU: a sample of the leaves */
		check_mmu(va, m, pa, (unsigned)first);
	c->pages += size / PG;
	return 0;
}

/* The whole space against the model: each leaf, and no page the model maps missing. */
SMMU_ORACLE static void check_all(void)
{
	struct full_check c = { 0, 0 };

	CHECK(pt_walk(&sp, 0, UINTPTR_MAX, check_full_leaf, &c) == 0);
	CHECK(c.pages == total.pages);
}

/* --- releases -------------------------------------------------------------------------- */

SMMU_ORACLE static void on_release(phys_addr_t pa, uint64_t size, void *ctx)
{
	struct tally *t = ctx;

	CHECK(size % PG == 0 && pa % PG == 0);
	for (uint64_t off = 0; off < size; off += PG) {
		t->pages++;
		t->hash += mix((pa + off) >> 12);
	}
}

MODEL_LOOP static struct tally model_tally(unsigned win, uint64_t first, uint64_t n)
{
	struct tally t = { 0, 0 };

	for (uint64_t p = first; p < first + n; p++)
		if (*slot(win, p) & 1) {
			t.pages++;
			t.hash += mix(*slot(win, p) >> 12);
		}
	return t;
}

/* The model after a successful map of n pages from pa. */
MODEL_LOOP static void model_map(unsigned win, uint64_t first, uint64_t n, phys_addr_t pa,
				  unsigned prot)
{
	for (uint64_t i = 0; i < n; i++)
		set_slot(win, first + i, (pa + i * PG) | (uint64_t)(prot & PROT_BITS) << 1 | 1);
}

/* The model after a successful unmap. */
MODEL_LOOP static void model_unmap(unsigned win, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++)
		set_slot(win, p, 0);
}

/* The model after a successful protect: mapped pages take the new protection. */
MODEL_LOOP static void model_protect(unsigned win, uint64_t first, uint64_t n, unsigned prot)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *m = slot(win, first + i);

		if (*m & 1)
			*m = (*m & PAGE_MASK) | (uint64_t)(prot & PROT_BITS) << 1 | 1;
	}
}

MODEL_LOOP static bool any_mapped(unsigned win, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++)
		if (*slot(win, p) & 1)
			return true;
	return false;
}

/* --- one operation ---------------------------------------------------------------------- */

struct op {
	unsigned kind, flags, prot, win;
	uint64_t first, n;
	phys_addr_t pa;
	const uint8_t *b;
};

static uint64_t length(const uint8_t *b)
{
	uint64_t v = (uint64_t)b[5] | (uint64_t)b[6] << 8;
	uint64_t large = w.large_pages, huge = w.fmt->levels > 3 ? 1u << 18 : large;
	unsigned kind = b[0] & 7;
	bool map = kind <= 1 || kind == 4;
	bool large_ok = (kind == 4 || (b[0] & 16)) && !(b[7] & 0x80);	/* see decode() */
	bool small_map = map && !large_ok;	/* a map that must use 4 KiB leaves */

	switch (b[0] >> 5) {
	case 4:
		return 1 + v % 512;
	case 5:
		return 1 + v % 1024;
	case 6:
		return (1 + v % 2) * large + (v >> 12) % 3;
	case 7:
		/*
		 * Rarely up to two of the largest pages, but a map of small pages
		 * never: a gigabyte of 4 KiB leaves costs a thousand times an
		 * ordinary input and reaches nothing a large-page span does not.
		 */
		if ((v & 0x3f) == 0 && !small_map)
			return (1 + (v >> 6) % 2) * huge + (v >> 8) % 2;
		return (1 + (v >> 6) % 3) * large - (v >> 10) % 2;
	default:
		return 1 + v % 16;
	}
}

static void decode(struct op *o, const uint8_t *b)
{
	static const unsigned shifts[4] = { 0, 3, 9, 18 };
	unsigned align = (b[2] >> 4) & 3;
	unsigned shift = align == 2 ? w.fmt->index_bits[0] : shifts[align];
	uint64_t start = ((uint64_t)b[3] | (uint64_t)b[4] << 8) << shift;

	o->b = b;
	o->kind = b[0] & 7;
	o->flags = ((b[0] & 8) ? PT_MAP_REPLACE : 0) | ((b[0] & 16) ? PT_MAP_LARGE : 0);
	o->prot = b[1] & PT_PROT_MASK;
	o->win = (b[2] & 15) % w.nwin;
	o->first = start % WIN_PAGES;
	o->n = MM_MIN(length(b), WIN_PAGES - o->first);

	/* Physical: congruent with va modulo the largest page (large pages possible), or not. */
	uint64_t off = o->first * PG;

	if (b[7] & 0x80)
		o->pa = ((uint64_t)(b[7] & 0x7f) * 7919 * PG) % (w.pa_span / 4);
	else
		o->pa = off + ((uint64_t)(b[7] & 3) << (w.pa_span > (1ull << 32) ? 38 : 29));
	if (o->pa + o->n * PG > w.pa_span)
		o->pa = 0;
}

/*
 * FUZZ_PLANT: once per input, a mapped page in the middle of a long map (so
 * outside its edges) silently loses its write permission; the sample or
 * check_all() must notice.
 */
static void plant_bug(const struct op *o)
{
	uint64_t p = o->first + o->n / 2;
	uintptr_t va = w.win[o->win] + p * PG;
	unsigned prot = o->prot & PROT_BITS;

	if (!plant || planted || o->n <= 2 * CHECK_EDGE + 2 || !(prot & PT_WRITE))
		return;
	if (pt_protect(&sp, va, PG, prot & ~(unsigned)PT_WRITE) == 0)
		planted = true;
}

static void do_map(const struct op *o, unsigned flags)
{
	uintptr_t va = w.win[o->win] + o->first * PG;
	uint64_t tables = sp.table_pages, frames = sim_free_frames();
	bool conflict = !(flags & PT_MAP_REPLACE) && any_mapped(o->win, o->first, o->n);
	int r = pt_map(&sp, va, o->pa, o->n * PG, o->prot, flags);

	if (r) {
		CHECK(conflict ? r == -MM_EEXIST : r == -MM_ENOMEM);
		CHECK(sp.table_pages == tables && sim_free_frames() == frames);
		return;
	}
	CHECK(!conflict);
	model_map(o->win, o->first, o->n, o->pa, o->prot);
	plant_bug(o);
}

static void do_unmap(const struct op *o, uint64_t first, uint64_t n)
{
	uintptr_t va = w.win[o->win] + first * PG;
	uint64_t tables = sp.table_pages, frames = sim_free_frames();
	struct tally got = { 0, 0 }, want = model_tally(o->win, first, n);
	int r = pt_unmap(&sp, va, n * PG, on_release, &got);

	if (r) {
		CHECK(r == -MM_ENOMEM && frames < 2 * PT_MAX_LEVELS);
		CHECK(sp.table_pages == tables && sim_free_frames() == frames && got.pages == 0);
		return;
	}
	CHECK(got.pages == want.pages && got.hash == want.hash);
	model_unmap(o->win, first, n);
}

static void do_protect(const struct op *o)
{
	uintptr_t va = w.win[o->win] + o->first * PG;
	uint64_t tables = sp.table_pages, frames = sim_free_frames();
	int r = pt_protect(&sp, va, o->n * PG, o->prot);

	if (r) {
		CHECK(r == -MM_ENOMEM && frames < 2 * PT_MAX_LEVELS);
		CHECK(sp.table_pages == tables && sim_free_frames() == frames);
		return;
	}
	model_protect(o->win, o->first, o->n, o->prot);
}

/* --- copies ---------------------------------------------------------------------------- */

struct copy_ctx {
	unsigned win, flags;
	uint8_t skip;			/* skip leaves whose page number hashes to this (0x80: none) */
	struct tally copied, skipped;
};

/* pt_copy_range() callback: checks the leaf against the model, decides, updates the model. */
SMMU_ORACLE static int on_copy(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned *prot,
			       void *ctx)
{
	struct copy_ctx *c = ctx;
	uint64_t first = (va - w.win[c->win]) / PG;
	bool skip = c->skip != 0x80 && (uint8_t)(mix(va >> 12) & 7) == (c->skip & 7);
	struct tally *t = skip ? &c->skipped : &c->copied;

	CHECK(va >= w.win[c->win] && size % PG == 0 && va % size == 0 && pa % size == 0);
	CHECK(first + size / PG <= WIN_PAGES);
	for (uint64_t p = first; p < first + size / PG; p++) {
		uint64_t m = *slot(c->win, p);

		CHECK((m & 1) && (m & PAGE_MASK) == pa + (p - first) * PG);
		CHECK((*prot & ~(unsigned)(PT_ACCESSED | PT_DIRTY)) == model_prot(m));
		t->pages++;
		t->hash += mix(m >> 12);
		if (!skip && (c->flags & PT_COPY_COW))
			set_slot(c->win, p, m & ~((uint64_t)PT_WRITE << 1));
	}
	if (skip)
		return PT_COPY_SKIP;
	*prot &= ~(unsigned)(PT_ACCESSED | PT_DIRTY);
	return 0;
}

/* pt_walk() of the copy: each leaf inside the range, each page as the model has it. */
struct copy_check {
	unsigned win, flags;
	uintptr_t lo, hi;
	struct tally seen;
};

SMMU_ORACLE static int check_copy_leaf(uintptr_t va, phys_addr_t pa, uint64_t size,
				       unsigned prot, void *ctx)
{
	struct copy_check *c = ctx;
	uint64_t first = (va - w.win[c->win]) / PG;

	CHECK(va >= c->lo && va + size - 1 <= c->hi - 1);
	CHECK(!(prot & (PT_ACCESSED | PT_DIRTY)));
	for (uint64_t p = first; p < first + size / PG; p++) {
		uint64_t m = *slot(c->win, p);
		unsigned want = model_prot(m);

		if (c->flags & PT_COPY_COW)
			want &= ~(unsigned)PT_WRITE;
		CHECK((m & 1) && (m & PAGE_MASK) == pa + (p - first) * PG && prot == want);
		c->seen.pages++;
		c->seen.hash += mix(m >> 12);
	}
	return 0;
}

static void do_copy(const struct op *o)
{
	uintptr_t va = w.win[o->win] + o->first * PG;
	struct tally want = model_tally(o->win, o->first, o->n);
	struct copy_ctx c = { o->win, (o->b[0] & 16) ? PT_COPY_COW : 0, o->b[6], { 0, 0 },
			      { 0, 0 } };
	struct copy_check cc = { o->win, c.flags, va, va + o->n * PG, { 0, 0 } };
	uint64_t frames = sim_free_frames(), tables = sp.table_pages;

	if (pt_space_init(&sp2, w.fmt))
		return;		/* no memory for a root */
	int r = pt_copy_range(&sp2, &sp, va, o->n * PG, c.flags, on_copy, &c);

	if (r) {
		CHECK(r == -MM_ENOMEM);
		CHECK(c.copied.pages == 0 && c.skipped.pages == 0);
		CHECK(sp2.table_pages == 1 && sp.table_pages == tables);
		pt_space_destroy(&sp2);
		CHECK(sim_free_frames() == frames);
		return;
	}
	CHECK(c.copied.pages + c.skipped.pages == want.pages);
	CHECK(c.copied.hash + c.skipped.hash == want.hash);
	CHECK(pt_walk(&sp2, 0, UINTPTR_MAX, check_copy_leaf, &cc) == 0);
	CHECK(cc.seen.pages == c.copied.pages && cc.seen.hash == c.copied.hash);
	CHECK(pt_check(&sp2) == 0);
	if (c.copied.pages)
		CHECK(pt_copy_range(&sp2, &sp, va, o->n * PG, 0, NULL, NULL) == -MM_EEXIST);
	for (unsigned win = 0; win < w.nwin; win++)
		CHECK(pt_unmap(&sp2, w.win[win], WIN_SIZE, NULL, NULL) == 0);
	CHECK(sp2.table_pages == 1);
	pt_space_destroy(&sp2);
	CHECK(sim_free_frames() == frames - (sp.table_pages - tables));
}

/* Arguments the engine must refuse, without allocating anything. */
static void do_invalid(const struct op *o)
{
	uintptr_t base = w.win[o->win], va;
	uint64_t len, tables = sp.table_pages, frames = sim_free_frames();
	unsigned k = o->b[5] % 6;

	switch (k) {
	case 0:		/* across the window's upper edge, where the address space ends */
		va = base + WIN_SIZE - (o->n % 8 + 1) * PG;
		len = (o->n % 8 + 2) * PG;
		if (w.fmt->va_sign_extend && o->win == 1)
			return;		/* continues into canonical space */
		if (!w.fmt->va_sign_extend && o->win == 0)
			return;
		break;
	case 1:		/* across the lower edge of the upper half */
		if (!w.fmt->va_sign_extend || o->win != 1)
			return;
		va = base - PG * (o->n % 4 + 1);
		len = PG * (o->n % 4 + 2);
		break;
	case 2:
		va = base + o->first * PG + 1 + o->b[6] % 4095;
		len = PG;
		break;
	case 3:
		va = base + o->first * PG;
		len = o->n * PG - 1 - o->b[6] % 4095;
		break;
	case 4:
		va = base + o->first * PG;
		len = 0;
		break;
	default:	/* frames beyond the physical limit */
		va = base + o->first * PG;
		len = o->n * PG;
		CHECK(pt_map(&sp, va, w.fmt->phys_limit - len + PG, len, o->prot, 0) == -MM_EINVAL);
		CHECK(pt_map(&sp, va, ~(phys_addr_t)0 & PAGE_MASK, len, o->prot, 0) == -MM_EINVAL);
		CHECK(sp.table_pages == tables && sim_free_frames() == frames);
		return;
	}
	CHECK(pt_map(&sp, va, 0, len, o->prot, 0) == -MM_EINVAL);
	CHECK(pt_unmap(&sp, va, len, on_release, NULL) == -MM_EINVAL);
	CHECK(pt_protect(&sp, va, len, o->prot) == -MM_EINVAL);
	CHECK(sp.table_pages == tables && sim_free_frames() == frames);
}

static void run_op(const uint8_t *b, unsigned step)
{
	struct op o;

	decode(&o, b);
	touch(o.win, o.first, o.n);
	switch (o.kind) {
	case 0:
	case 1:
		do_map(&o, o.flags);
		break;
	case 2:
		do_unmap(&o, o.first, o.n);
		break;
	case 3:
		if (b[0] & 8)
			do_copy(&o);
		else
			do_protect(&o);
		break;
	case 4:
		do_map(&o, o.flags | PT_MAP_LARGE);
		break;
	case 5:
		if (b[0] & 8)
			sim_feed(&eaten);
		else
			sim_starve(&eaten, b[1]);
		return;
	case 6: {	/* the large pages around the range, whole */
		uint64_t first = o.first - o.first % w.large_pages;
		uint64_t end = MM_MIN(ALIGN_UP(o.first + o.n, (uint64_t)w.large_pages), WIN_PAGES);

		do_unmap(&o, first, end - first);
		check_op_range(o.win, first, end - first);
		break;
	}
	default:
		do_invalid(&o);
		break;
	}
	if (o.kind != 6)
		check_op_range(o.win, o.first, o.n);
	if (step % CHECK_EVERY == CHECK_EVERY - 1)
		check_all();
	if (sp.table_pages < 64 || step % 16 == 0)
		CHECK(pt_check(&sp) == 0);
}

/* pt_unmap() each run of touched chunks of window @win, releasing into @got. */
MODEL_LOOP static void unmap_touched(unsigned win, struct tally *got)
{
	for (uint64_t c = 0; c < WIN_PAGES / CHUNK; c++) {
		uint64_t end = c;

		while (end < WIN_PAGES / CHUNK && dirty[win][end])
			end++;
		if (end > c)
			CHECK(pt_unmap(&sp, w.win[win] + c * CHUNK * PG, (end - c) * CHUNK * PG,
				       on_release, got) == 0);
		c = end;
	}
}

/* The model of window @win empty again, clearing only what was touched. */
MODEL_LOOP static void clear_touched(unsigned win)
{
	for (uint64_t c = 0; c < WIN_PAGES / CHUNK; c++)
		if (dirty[win][c]) {
			memset(slot(win, c * CHUNK), 0, CHUNK * sizeof(uint64_t));
			dirty[win][c] = 0;
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	pick_world(data[0]);

	uint64_t free0 = sim_free_frames();

	CHECK(pt_space_init(&sp, w.fmt) == 0);
	fuzz_sample_seed(&sample, data, size);
	planted = false;
	smmu_init(&mmu, &sp);
	mmu.ac = true;
	data++;
	size--;
	for (unsigned step = 0; size >= OP_SIZE; step++, data += OP_SIZE, size -= OP_SIZE)
		run_op(data, step);
	sim_feed(&eaten);
	check_all();

	/*
	 * Unmap everything: the frames released are the model's, every table
	 * comes back. check_all() found no leaf the model lacks, and tables
	 * are only made for the ranges operations touched: unmapping those
	 * (not the 2 GiB windows, 1024 empty slots of i386's root) must leave
	 * the root alone.
	 */
	struct tally got = { 0, 0 };

	for (unsigned win = 0; win < w.nwin; win++)
		unmap_touched(win, &got);
	CHECK(got.pages == total.pages && got.hash == total.hash);
	total = (struct tally){ 0, 0 };
	for (unsigned win = 0; win < w.nwin; win++)
		clear_touched(win);
	CHECK(sp.table_pages == 1 && pt_check(&sp) == 0);
	pt_space_destroy(&sp);
	CHECK(sim_free_frames() == free0);
	return 0;
}
