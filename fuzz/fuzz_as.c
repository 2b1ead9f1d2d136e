/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes process address spaces against a model of one byte per page.
 *
 * Up to three processes share a 64-page window of user space (page 48 on is
 * the heap). The input is a sequence of 4-byte operations:
 *
 *   b0  operation: mmap private / mmap shared / munmap / mprotect / mremap /
 *       write / read / fork or exit / brk / MADV_DONTNEED / memory pressure;
 *       high bits pick the process
 *   b1  first page; b2 page count or value; b3 protection, flags, target
 *
 * The model gives each page a cell: a private byte of its own, or for
 * shared anonymous memory the byte of (mapping, page index), which every
 * sharer sees and which outlives unmapping. Fork copies private cells and
 * keeps shared ones. After each operation the return value must be the
 * model's, and the pages it could change (its range, where it moved to, the
 * heap for brk) plus CHECK_SAMPLE others must read through the soft MMU as
 * a user would see it (or fault); every page of every process, and
 * as_check(), every CHECK_EVERY operations, after a fork, a change of
 * memory pressure, and at the end. With memory short, faults may
 * fail and calls may give ENOMEM, changing nothing. At the end every space
 * is destroyed and every frame must be back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/soft_mmu.h"
#include "mm/as.h"
#include "tests/host/sim_setup.h"

#define NPAGES		64
#define WIN		0x10000000ull
#define HEAP_PAGE	48
#define MAX_PROC	3
#define MAX_MAPS	256
#define MAX_IDX		256
#define MAX_CELLS	8192
#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define CHECK_SAMPLE	4
#define CHECK_EVERY	8

struct mpage {
	bool mapped, shared;
	uint8_t prot;
	uint16_t id;		/* the mmap call that made it (shared: the object) */
	uint16_t idx;		/* page index in that mapping */
	uint32_t cell;		/* private: its byte */
};

struct proc {
	bool live;
	struct as as;
	struct smmu mmu;
	struct mpage pg[NPAGES];
	uint64_t brk;		/* model break, in bytes from WIN */
};

static struct proc procs[MAX_PROC];
static uint8_t shval[MAX_MAPS][MAX_IDX];
static uint8_t cells[MAX_CELLS];
static uint32_t ncells;
static unsigned nmaps;
static phys_addr_t eaten_frames[1 << 15];
static struct sim_hoard eaten = { eaten_frames, 0, 1 << 15 };
static uint64_t sample;			/* fuzz_sample() state */
static bool plant, planted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	CHECK(sim_ram_pmm_flat(16 * MiB) == 0);	/* 4096 frames: the pressure step eats them one by one */
	plant = fuzz_plant_wanted();
	return 0;
}

/* --- the model -------------------------------------------------------------------- */

SMMU_ORACLE static uint32_t new_cell(uint8_t v)
{
	uint32_t c = ncells < MAX_CELLS ? ncells++ : MAX_CELLS - 1;

	cells[c] = v;
	return c;
}

SMMU_ORACLE static uint8_t *value(struct mpage *p)
{
	return p->shared ? &shval[p->id][p->idx] : &cells[p->cell];
}

SMMU_ORACLE static bool readable(const struct mpage *p)
{
	return p->mapped && p->prot != MM_PROT_NONE;
}

/* Could [first, first + n) be inside one region (same mapping, protection, contiguous)? */
SMMU_ORACLE static bool one_region(const struct proc *pr, unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n; i++) {
		const struct mpage *p = &pr->pg[i], *q = &pr->pg[first];

		if (!p->mapped || p->prot != q->prot || p->shared != q->shared || p->id != q->id ||
		    p->idx != q->idx + (i - first))
			return false;
	}
	return true;
}

/* --- checks ----------------------------------------------------------------------- */

/* Page @i of @pr reads as the model says; with @writes, writability too. */
SMMU_ORACLE static void verify_page(struct proc *pr, unsigned i, bool starved, bool writes)
{
	struct mpage *p = &pr->pg[i];
	uintptr_t va = WIN + i * PG;
	uint8_t v;
	int r = smmu_read(&pr->mmu, va, SMMU_USER, &v, 1);

	if (!readable(p)) {
		CHECK(r == -MM_EFAULT);
		return;
	}
	if (r && starved)
		return;
	CHECK(r == 0 && v == *value(p));
	if (!writes)
		return;
	r = smmu_write(&pr->mmu, va, SMMU_USER, &v, 1);
	CHECK((r == 0) == !!(p->prot & MM_PROT_WRITE) || (r && starved));
}

/* Every page of @pr, and as_check(). */
SMMU_ORACLE static void verify(struct proc *pr, bool starved, bool writes)
{
	for (unsigned i = 0; i < NPAGES; i++)
		verify_page(pr, i, starved, writes);
	CHECK(as_check(&pr->as) == 0);
}

/* Pages [first, first + n) of @pr and a sample of the others. */
SMMU_ORACLE static void verify_range(struct proc *pr, unsigned first, unsigned n, bool starved,
				     bool writes)
{
	for (unsigned i = first; i < first + n && i < NPAGES; i++)
		verify_page(pr, i, starved, writes);
	for (unsigned k = 0; k < CHECK_SAMPLE; k++)
		verify_page(pr, fuzz_sample(&sample, NPAGES), starved, writes);
}

/*
 * FUZZ_PLANT: once per input, a private page away from the operation's range
 * silently loses its read permission; the sample or the full check must
 * notice.
 */
static void plant_bug(struct proc *pr, unsigned first, unsigned n)
{
	unsigned i = (first + n + NPAGES / 2) % NPAGES;
	struct mpage *p = &pr->pg[i];

	if (!plant || planted || !readable(p) || p->shared)
		return;
	if (as_mprotect(&pr->as, WIN + i * PG, PG, MM_PROT_NONE) == 0)
		planted = true;
}

/* --- operations --------------------------------------------------------------------- */

SMMU_ORACLE static void model_map(struct proc *pr, unsigned first, unsigned n, uint8_t prot,
				  bool shared, unsigned id)
{
	for (unsigned i = 0; i < n; i++)
		pr->pg[first + i] = (struct mpage){ true, shared, prot, (uint16_t)id, (uint16_t)i,
						    shared ? 0 : new_cell(0) };
}

static void op_mmap(struct proc *pr, unsigned first, unsigned n, uint8_t b3, bool shared,
		    bool starved)
{
	uint8_t prot = b3 & 7;
	unsigned long flags = (shared ? MM_MAP_SHARED : MM_MAP_PRIVATE) | MM_MAP_ANONYMOUS |
			      ((b3 & 8) ? MM_MAP_FIXED_NOREPLACE : MM_MAP_FIXED) |
			      ((b3 & 16) ? MM_MAP_POPULATE : 0);
	long r;
	bool busy = false;

	if (nmaps >= MAX_MAPS)
		return;
	for (unsigned i = first; i < first + n; i++)
		busy |= pr->pg[i].mapped;
	r = as_mmap(&pr->as, WIN + first * PG, n * PG, prot, flags, NULL, 0);
	if ((b3 & 8) && busy) {
		CHECK(r == -MM_EEXIST);
		return;
	}
	if (r == -MM_ENOMEM && starved)
		return;
	CHECK(r == (long)(WIN + first * PG));
	memset(shval[nmaps], 0, sizeof(shval[nmaps]));
	model_map(pr, first, n, prot, shared, nmaps++);
}

static void op_munmap(struct proc *pr, unsigned first, unsigned n, bool starved)
{
	int r = as_munmap(&pr->as, WIN + first * PG, n * PG);

	if (r == -MM_ENOMEM && starved)
		return;
	CHECK(r == 0);
	for (unsigned i = first; i < first + n; i++)
		pr->pg[i].mapped = false;
}

static void op_mprotect(struct proc *pr, unsigned first, unsigned n, uint8_t prot)
{
	int r = as_mprotect(&pr->as, WIN + first * PG, n * PG, prot);
	unsigned i;

	/* Linux's walk: pages up to the first hole change, then ENOMEM. */
	for (i = first; i < first + n && pr->pg[i].mapped; i++)
		pr->pg[i].prot = prot;
	CHECK(r == (i < first + n ? -MM_ENOMEM : 0));
}

/* Move [first, first + n) to page @to with @m pages (MREMAP_FIXED), or shrink/grow in place. */
static void op_mremap(struct proc *pr, unsigned first, unsigned n, uint8_t b3)
{
	unsigned m = 1 + (b3 & 7), to = (b3 >> 3) % NPAGES;
	struct mpage old[NPAGES];
	long r;

	if (!one_region(pr, first, n) || pr->pg[first].idx + m > MAX_IDX)
		return;
	if (b3 & 0x80) {
		/* In place: shrink always works; growth needs the pages after to be free. */
		bool room = first + m <= NPAGES;

		for (unsigned i = first + n; room && i < first + m; i++)
			room = !pr->pg[i].mapped;
		if (first + m == NPAGES && m > n)
			room = false;	/* past the window: not modelled */
		if (!room)
			return;
		r = as_mremap(&pr->as, WIN + first * PG, n * PG, m * PG, 0, 0);
		CHECK(r == (long)(WIN + first * PG));
		to = first;
	} else {
		if (to + m > NPAGES || (to < first + n && first < to + m))
			return;
		r = as_mremap(&pr->as, WIN + first * PG, n * PG, m * PG,
			      MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, WIN + to * PG);
		CHECK(r == (long)(WIN + to * PG));
	}
	memcpy(old, pr->pg, sizeof(old));
	for (unsigned i = first; i < first + n; i++)
		pr->pg[i].mapped = false;
	for (unsigned i = 0; i < m; i++) {
		struct mpage *p = &pr->pg[to + i];

		if (i < n) {
			*p = old[first + i];
		} else {
			*p = old[first];
			p->idx = (uint16_t)(old[first].idx + i);
			if (!p->shared)
				p->cell = new_cell(0);
		}
	}
}

static void op_touch(struct proc *pr, unsigned page, uint8_t v, bool write, bool starved)
{
	struct mpage *p = &pr->pg[page];
	uintptr_t va = WIN + page * PG;
	int r;

	if (write) {
		r = smmu_write(&pr->mmu, va, SMMU_USER, &v, 1);
		if (r && starved && readable(p))
			return;
		CHECK((r == 0) == (p->mapped && (p->prot & MM_PROT_WRITE)));
		if (!r)
			*value(p) = v;
	} else {
		r = smmu_read(&pr->mmu, va, SMMU_USER, &v, 1);
		if (r && starved && readable(p))
			return;
		CHECK((r == 0) == readable(p));
		CHECK(r || v == *value(p));
	}
}

static void start_proc(struct proc *pr)
{
	smmu_init(&pr->mmu, &pr->as.vs.pt);
	pr->mmu.vs = &pr->as.vs;
	pr->live = true;
}

static void op_fork(struct proc *parent, bool starved)
{
	struct proc *c = NULL;

	for (unsigned i = 0; i < MAX_PROC && !c; i++)
		if (!procs[i].live)
			c = &procs[i];
	if (!c)
		return;
	if (as_fork(&c->as, &parent->as)) {
		CHECK(starved);
		return;
	}
	start_proc(c);
	memcpy(c->pg, parent->pg, sizeof(c->pg));
	c->brk = parent->brk;
	for (unsigned i = 0; i < NPAGES; i++)
		if (c->pg[i].mapped && !c->pg[i].shared)
			c->pg[i].cell = new_cell(cells[parent->pg[i].cell]);
}

static void op_brk(struct proc *pr, unsigned pages, uint8_t b3)
{
	uint64_t want = HEAP_PAGE * PG + pages * PG + (b3 & 0x7f);
	unsigned old = (unsigned)((pr->brk + PG - 1) / PG), new = (unsigned)((want + PG - 1) / PG);
	uintptr_t r = as_brk(&pr->as, WIN + want);
	bool ok = true;

	if (new > old) {
		for (unsigned i = old; i <= new; i++)
			if (i < NPAGES && pr->pg[i].mapped)
				ok = false;
		if (!ok) {
			CHECK(r == WIN + pr->brk);
			return;
		}
		if (r != WIN + want)	/* out of memory */
			return;
		for (unsigned i = old; i < new; i++)
			pr->pg[i] = (struct mpage){ true, false, RW, 0, 0, new_cell(0) };
	} else {
		for (unsigned i = new; i < old; i++)
			pr->pg[i].mapped = false;
	}
	CHECK(r == WIN + want);
	pr->brk = want;
}

static void op_dontneed(struct proc *pr, unsigned first, unsigned n)
{
	int r = as_madvise(&pr->as, WIN + first * PG, n * PG, MM_MADV_DONTNEED);
	bool hole = false;

	for (unsigned i = first; i < first + n; i++) {
		struct mpage *p = &pr->pg[i];

		hole |= !p->mapped;
		if (p->mapped && !p->shared)
			p->cell = new_cell(0);
	}
	CHECK(r == (hole ? -MM_ENOMEM : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t free0;
	bool starved = false;

	if (size > 4 * 400)
		return 0;
	free0 = sim_free_frames();
	memset(procs, 0, sizeof(procs));
	fuzz_sample_seed(&sample, data, size);
	planted = false;
	ncells = 0;
	nmaps = 1;	/* id 0: the heap */
	CHECK(as_init(&procs[0].as, NULL) == 0);
	start_proc(&procs[0]);
	CHECK(as_set_brk_base(&procs[0].as, WIN + HEAP_PAGE * PG) == 0);
	procs[0].brk = HEAP_PAGE * PG;

	for (size_t off = 0; off + 4 <= size; off += 4) {
		const uint8_t *b = data + off;
		struct proc *pr = &procs[(b[0] >> 4) % MAX_PROC];
		unsigned first = b[1] % NPAGES;
		unsigned n = 1 + b[2] % 8;
		/* What the operation could change beyond [first, first + n): all, or one more range. */
		bool all = off / 4 % CHECK_EVERY == CHECK_EVERY - 1;
		unsigned first2 = 0, n2 = 0;

		if (!pr->live)
			pr = &procs[0];
		if (!pr->live)
			break;
		if (first + n > NPAGES)
			n = NPAGES - first;
		switch (b[0] & 0xf) {
		case 0:
		case 1:
			op_mmap(pr, first, n, b[3], b[0] & 1, starved);
			break;
		case 2:
			op_munmap(pr, first, n, starved);
			break;
		case 3:
			if (!starved)
				op_mprotect(pr, first, n, b[3] & 7);
			break;
		case 4:
			if (!starved)
				op_mremap(pr, first, n, b[3]);
			first2 = (b[3] & 0x80) ? first : (b[3] >> 3) % NPAGES;
			n2 = 1 + (b[3] & 7);
			break;
		case 5:
		case 6:
			op_touch(pr, first, b[2], true, starved);
			break;
		case 7:
			op_touch(pr, first, 0, false, starved);
			break;
		case 8:
			all = true;	/* a fork's child is new everywhere */
			if (b[3] & 1) {
				op_fork(pr, starved);
			} else if (pr != &procs[0] || b[3] & 2) {
				as_destroy(&pr->as);
				pr->live = false;
			}
			break;
		case 9:
			if (!starved)
				op_brk(pr, b[2] % 16, b[3]);
			first2 = HEAP_PAGE;
			n2 = NPAGES - HEAP_PAGE;
			break;
		case 10:
			op_dontneed(pr, first, n);
			break;
		case 11:
			all = true;
			if (starved) {
				sim_feed(&eaten);
				starved = false;
			} else {
				sim_starve(&eaten, b[3]);
				starved = true;
			}
			break;
		default:
			break;
		}
		if (pr->live)
			plant_bug(pr, first, n);
		for (unsigned i = 0; all && i < MAX_PROC; i++)
			if (procs[i].live)
				verify(&procs[i], starved, (b[3] & 0x60) == 0x60);
		if (!all && pr->live) {
			verify_range(pr, first, n, starved, (b[3] & 0x60) == 0x60);
			verify_range(pr, first2, n2, starved, (b[3] & 0x60) == 0x60);
		}
	}
	sim_feed(&eaten);
	for (unsigned i = 0; i < MAX_PROC; i++)
		if (procs[i].live) {
			verify(&procs[i], false, true);
			as_destroy(&procs[i].as);
		}
	CHECK(sim_free_frames() == free0);
	return 0;
}
