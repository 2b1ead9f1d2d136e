/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes file mappings on the page cache against a model of one byte per
 * page (the first byte of each page).
 *
 * One file (a sized page-cache object of up to 16 pages) and two processes
 * (the second made by fork) each with a 16-page window. The input is a
 * sequence of 3-byte operations:
 *
 *   b0  operation: map shared / map private / munmap / store / load /
 *       write() to the file / truncate / MADV_DONTNEED / MADV_REMOVE /
 *       fork or exit; bit 7 picks the process
 *   b1  window page (low 4 bits) and page count or file page (high 4 bits)
 *   b2  value
 *
 * The model: the file's byte per page and its size in pages; per window
 * page, whether mapped, shared or private, the file page, and a private
 * copy's byte if one was made. Truncation drops everything past the end
 * (copies too); MADV_REMOVE zeroes file pages but keeps private copies.
 * After each operation the pages it could change must read through the
 * soft MMU as the model says (or fault): its range and CHECK_SAMPLE other
 * pages of each process after an operation on one process's window; every
 * page after one on the file (write(), truncation, MADV_REMOVE, a shared
 * store), a fork or an exit. Every page, and as_check(), every CHECK_EVERY
 * operations and at the end. Then all is torn down and every frame must be
 * back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/soft_mmu.h"
#include "mm/as.h"
#include "mm/pcache.h"
#include "tests/host/sim_setup.h"

#define NP	16
#define WIN	0x20000000ull
#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define CHECK_SAMPLE	2
#define CHECK_EVERY	8

struct mpage {
	bool mapped, shared, copied;
	uint8_t fpage, copy;
};

struct proc {
	bool live;
	struct as as;
	struct smmu mmu;
	struct mpage pg[NP];
};

static struct proc procs[2];
static uint8_t fbyte[NP];
static unsigned fsize;		/* pages */
static struct pcache *pc;
static struct as_file file;
static uint64_t sample;			/* fuzz_sample() state */
static bool plant, planted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	CHECK(sim_ram_pmm_flat(64 * MiB) == 0);
	plant = fuzz_plant_wanted();
	return 0;
}

static void start_proc(struct proc *pr)
{
	smmu_init(&pr->mmu, &pr->as.vs.pt);
	pr->mmu.vs = &pr->as.vs;
	pr->live = true;
}

static uintptr_t va(unsigned i)
{
	return WIN + (uintptr_t)i * PG;
}

/* What a load of window page @i should give: the byte, or -1 for a fault. */
static int expect(const struct proc *pr, unsigned i)
{
	const struct mpage *p = &pr->pg[i];

	if (!p->mapped || p->fpage >= fsize)
		return -1;
	if (!p->shared && p->copied)
		return p->copy;
	return fbyte[p->fpage];
}

SMMU_ORACLE static void check_page(struct proc *pr, unsigned i)
{
	uint8_t v;
	int e = expect(pr, i);
	int r = smmu_read(&pr->mmu, va(i), SMMU_USER, &v, 1);

	CHECK(e < 0 ? r != 0 : (r == 0 && v == e));
}

/* Every page of @pr, and as_check(). */
SMMU_ORACLE static void check_proc(struct proc *pr)
{
	for (unsigned i = 0; i < NP; i++)
		check_page(pr, i);
	CHECK(as_check(&pr->as) == 0);
}

/* Pages [first, first + n) of @pr, and a sample of each live process's. */
SMMU_ORACLE static void check_range(struct proc *pr, unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n && i < NP; i++)
		check_page(pr, i);
	for (unsigned p = 0; p < 2; p++)
		for (unsigned k = 0; procs[p].live && k < CHECK_SAMPLE; k++)
			check_page(&procs[p], fuzz_sample(&sample, NP));
}

/*
 * FUZZ_PLANT: once per input, a private page's copy is dropped behind the
 * model's back (MADV_DONTNEED on a page away from the operation's range);
 * the sample or the full check must notice.
 */
static void plant_bug(struct proc *pr, unsigned lo)
{
	unsigned i = (lo + NP / 2) % NP;
	const struct mpage *p = &pr->pg[i];

	if (!plant || planted || !p->mapped || p->shared || !p->copied || p->fpage >= fsize ||
	    p->copy == fbyte[p->fpage])
		return;
	if (as_madvise(&pr->as, va(i), PG, MM_MADV_DONTNEED) == 0)
		planted = true;
}

static void op_map(struct proc *pr, unsigned first, unsigned n, unsigned fpage, bool shared)
{
	n = n % (NP - first) + 1;
	fpage %= NP;
	long a = as_mmap(&pr->as, va(first), n * PG, RW,
			 (shared ? MM_MAP_SHARED : MM_MAP_PRIVATE) | MM_MAP_FIXED, &file, fpage * PG);
	CHECK(a == (long)va(first));
	for (unsigned i = 0; i < n; i++)
		pr->pg[first + i] = (struct mpage){ .mapped = true, .shared = shared,
						    .fpage = (uint8_t)(fpage + i) };
}

static void op_store(struct proc *pr, unsigned i, uint8_t v)
{
	struct mpage *p = &pr->pg[i];
	int r = smmu_write(&pr->mmu, va(i), SMMU_USER, &v, 1);

	if (!p->mapped || p->fpage >= fsize) {
		CHECK(r != 0);
		return;
	}
	CHECK(r == 0);
	if (p->shared) {
		fbyte[p->fpage] = v;
	} else {
		p->copied = true;
		p->copy = v;
	}
}

static void op_fwrite(unsigned fpage, uint8_t v)
{
	fpage %= NP;
	CHECK(pcache_write(pc, (uint64_t)fpage * PG, &v, 1) == 1);
	for (unsigned i = fsize; i < fpage; i++)
		fbyte[i] = 0;
	fbyte[fpage] = v;
	if (fpage >= fsize)
		fsize = fpage + 1;
	pcache_set_size(pc, (uint64_t)fsize * PG);	/* whole pages: the model counts pages */
}

static void op_truncate(unsigned n)
{
	n %= NP + 1;
	pcache_set_size(pc, (uint64_t)n * PG);
	if (n < fsize)
		as_unmap_object(pc, n, UINT64_MAX - n, true);
	for (unsigned i = n; i < NP; i++)
		fbyte[i] = 0;
	for (unsigned p = 0; p < 2; p++)
		for (unsigned i = 0; i < NP; i++)
			if (procs[p].pg[i].fpage >= n)
				procs[p].pg[i].copied = false;
	fsize = n;
}

static void op_dontneed(struct proc *pr, unsigned first, unsigned n)
{
	n = n % (NP - first) + 1;
	int r = as_madvise(&pr->as, va(first), n * PG, MM_MADV_DONTNEED);
	bool hole = false;

	for (unsigned i = first; i < first + n; i++) {
		hole |= !pr->pg[i].mapped;
		pr->pg[i].copied = false;
	}
	CHECK(hole ? r == -MM_ENOMEM : r == 0);
}

static void op_remove(struct proc *pr, unsigned i)
{
	struct mpage *p = &pr->pg[i];
	int r = as_madvise(&pr->as, va(i), PG, MM_MADV_REMOVE);

	if (!p->mapped) {
		CHECK(r == -MM_ENOMEM);
		return;
	}
	if (!p->shared) {
		CHECK(r == -MM_EACCES);
		return;
	}
	CHECK(r == 0);
	if (p->fpage < NP)
		fbyte[p->fpage] = 0;	/* private copies of it stay */
}

static void op_fork_or_exit(void)
{
	if (procs[1].live) {
		as_destroy(&procs[1].as);
		procs[1].live = false;
		return;
	}
	CHECK(as_fork(&procs[1].as, &procs[0].as) == 0);
	start_proc(&procs[1]);
	memcpy(procs[1].pg, procs[0].pg, sizeof(procs[0].pg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t free0;

	if (size > 3 * 300)
		return 0;
	free0 = sim_free_frames();
	memset(procs, 0, sizeof(procs));
	memset(fbyte, 0, sizeof(fbyte));
	fuzz_sample_seed(&sample, data, size);
	planted = false;
	fsize = 0;
	pc = pcache_create(PCACHE_SIZED);
	CHECK(pc);
	file = (struct as_file){ "f", pc, NULL, NULL, NULL, false };
	CHECK(as_init(&procs[0].as, NULL) == 0);
	start_proc(&procs[0]);

	for (size_t off = 0; off + 3 <= size; off += 3) {
		const uint8_t *b = data + off;
		struct proc *pr = &procs[(b[0] >> 7) & procs[1].live];
		unsigned lo = b[1] & 15, hi = b[1] >> 4, op = (b[0] & 0x7f) % 10;
		/* Changes the file or a process: every page of every process to check. */
		bool all = op == 5 || op == 6 || op == 8 || op == 9 ||
			   (op == 3 && pr->pg[lo].shared) || off / 3 % CHECK_EVERY == CHECK_EVERY - 1;

		switch (op) {
		case 0: op_map(pr, lo, hi, b[2], true); break;
		case 1: op_map(pr, lo, hi, b[2], false); break;
		case 2:
			CHECK(as_munmap(&pr->as, va(lo), (hi % (NP - lo) + 1) * PG) == 0);
			for (unsigned i = lo; i < lo + hi % (NP - lo) + 1; i++)
				pr->pg[i] = (struct mpage){ 0 };
			break;
		case 3: op_store(pr, lo, b[2]); break;
		case 4: break;		/* a load: the check below reads the range */
		case 5: op_fwrite(hi, b[2]); break;
		case 6: op_truncate(b[2]); break;
		case 7: op_dontneed(pr, lo, hi); break;
		case 8: op_remove(pr, lo); break;
		default: op_fork_or_exit(); break;
		}
		if (pr->live)
			plant_bug(pr, lo);
		for (unsigned p = 0; all && p < 2; p++)
			if (procs[p].live)
				check_proc(&procs[p]);
		if (!all && pr->live)
			check_range(pr, lo, op <= 2 || op == 7 ? hi % (NP - lo) + 1 : 1);
	}
	for (unsigned p = 0; p < 2; p++)
		if (procs[p].live) {
			check_proc(&procs[p]);
			as_destroy(&procs[p].as);
		}
	pcache_put(pc);
	pmm_drain();
	CHECK(sim_free_frames() == free0);
	return 0;
}
