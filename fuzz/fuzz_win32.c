/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the Win32 allocation state machine (mm/as_win32.c) against a model
 * of page states.
 *
 * One process, a 64-page window of user space at a 64 KiB boundary. The
 * input is a sequence of 4-byte operations:
 *
 *   b0  operation: VirtualAlloc reserve / reserve+commit (MEM_WRITE_WATCH or not)
 *       / commit, VirtualFree decommit / release, VirtualProtect, mprotect,
 *       munmap, a read or write, GetWriteWatch (with reset or not) or ResetWriteWatch
 *   b1  first page; b2 page count (1..8) or the byte written; b3 protection
 *
 * The model keeps per page: state (free, reserved, committed), allocation
 * base and protection, PAGE_* protection, the Linux protection the region
 * has, its byte, and whether it was written since its write watch was reset. After each operation the return value must be the
 * model's, and for the pages it could change (its range and the page before,
 * whose run may end in it; every page after a release) plus CHECK_SAMPLE
 * others the VirtualQuery fields (and run length, where it ends in the
 * window) must match and the page must read as the model says (or fault).
 * Every page, and as_check(), every CHECK_EVERY operations and at the end.
 * Then the space is destroyed and every frame and every committed page must
 * be back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/soft_mmu.h"
#include "mm/as_win32.h"
#include "mm/commit.h"
#include "tests/host/sim_setup.h"

#define NPAGES	64
#define WIN	0x10000000ull
#define GPAGES	16			/* pages per 64 KiB */
#define CHECK_SAMPLE	4
#define CHECK_EVERY	8

enum { FREE, RESERVED, COMMITTED };

struct mpage {
	uint8_t state, val;
	bool watch, written;		/* MEM_WRITE_WATCH allocation; written since the last reset */
	int16_t base;			/* allocation base page, -1: free */
	uint32_t aprot, prot;		/* PAGE_* */
	uint32_t mm;			/* the region's MM_PROT_* */
};

static struct as as;
static struct smmu mmu;
static struct mpage pg[NPAGES];
static uint64_t sample;			/* fuzz_sample() state */
static bool plant, planted;

/* Valid protections first, then invalid ones. */
static const uint32_t prots[] = {
	PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ,
	PAGE_EXECUTE_READWRITE, PAGE_READWRITE | PAGE_GUARD, PAGE_READONLY | PAGE_GUARD,
	PAGE_READWRITE | PAGE_NOCACHE,
	0, PAGE_READWRITE | PAGE_READONLY, PAGE_NOACCESS | PAGE_GUARD, PAGE_WRITECOPY,
	PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE,
};
#define NVALID	9

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_quiet();
	CHECK(sim_ram_pmm_flat(64 * MiB) == 0);
	plant = fuzz_plant_wanted();
	return 0;
}

static uint32_t mm_of(uint32_t prot)
{
	return (prot & PAGE_GUARD) ? MM_PROT_NONE : as_win32_mm_prot(prot);
}

/* Do pages [p, p + n) all belong to one allocation? */
static bool one_alloc(unsigned p, unsigned n)
{
	for (unsigned i = p; i < p + n; i++)
		if (pg[i].state == FREE || pg[i].base != pg[p].base)
			return false;
	return true;
}

static long m_reserve(unsigned p, unsigned n, uint32_t prot, bool commit, unsigned pi, bool watch)
{
	unsigned base = p & ~(GPAGES - 1u);

	if (pi >= NVALID)
		return -ERROR_INVALID_PARAMETER;
	for (unsigned i = base; i < p + n; i++)
		if (pg[i].state != FREE)
			return -ERROR_INVALID_ADDRESS;
	for (unsigned i = base; i < p + n; i++)
		pg[i] = (struct mpage){ commit ? COMMITTED : RESERVED, 0, watch, false, (int16_t)base, prot,
					commit ? prot : 0, commit ? mm_of(prot) : 0 };
	return (long)(WIN + base * PG);
}

static long m_commit(unsigned p, unsigned n, uint32_t prot, unsigned pi)
{
	if (pi >= NVALID)
		return -ERROR_INVALID_PARAMETER;
	if (!one_alloc(p, n))
		return -ERROR_INVALID_ADDRESS;
	for (unsigned i = p; i < p + n; i++) {
		if (pg[i].state == RESERVED)
			pg[i].val = 0;
		pg[i].state = COMMITTED;
		pg[i].prot = prot;
		pg[i].mm = mm_of(prot);
	}
	return (long)(WIN + p * PG);
}

static long m_decommit(unsigned p, unsigned n)
{
	if (!one_alloc(p, n))
		return -ERROR_INVALID_ADDRESS;
	for (unsigned i = p; i < p + n; i++) {
		pg[i].state = RESERVED;
		pg[i].prot = pg[i].mm = 0;
		pg[i].val = 0;
	}
	return 0;
}

static long m_release(unsigned p)
{
	int16_t b = pg[p].base;

	if (pg[p].state == FREE || b != (int16_t)p)
		return -ERROR_INVALID_ADDRESS;
	for (unsigned i = p; i < NPAGES && pg[i].state != FREE && pg[i].base == b; i++)
		pg[i] = (struct mpage){ FREE, 0, false, false, -1, 0, 0, 0 };
	return 0;
}

static long m_protect(unsigned p, unsigned n, uint32_t prot, unsigned pi, uint32_t *old)
{
	if (pi >= NVALID && prot != PAGE_WRITECOPY)
		return -ERROR_INVALID_PARAMETER;
	if (!one_alloc(p, n))
		return -ERROR_INVALID_ADDRESS;
	for (unsigned i = p; i < p + n; i++)
		if (pg[i].state != COMMITTED)
			return -ERROR_INVALID_ADDRESS;
	if (pi >= NVALID)
		return -ERROR_INVALID_PARAMETER;
	*old = pg[p].prot;
	for (unsigned i = p; i < p + n; i++) {
		pg[i].prot = prot;
		pg[i].mm = mm_of(prot);
	}
	return 0;
}

/* Linux's mprotect: page by page until a hole (ENOMEM), changing what came before. */
static long m_mprotect(unsigned p, unsigned n, uint32_t prot)
{
	for (unsigned i = p; i < p + n; i++) {
		if (pg[i].state == FREE)
			return -MM_ENOMEM;
		if (pg[i].mm == prot)
			continue;
		pg[i].mm = prot;
		if (pg[i].state == RESERVED && prot == MM_PROT_NONE)
			continue;
		if (pg[i].state == RESERVED)
			pg[i].val = 0;
		pg[i].state = COMMITTED;
		pg[i].prot = as_win32_protect(prot);
	}
	return 0;
}

/*
 * GetWriteWatch of [p, p + n) with room for @max (reset: WRITE_WATCH_FLAG_RESET), or
 * ResetWriteWatch (max -1): the pages the model expects in @out, and where to go on.
 */
static long m_watch(unsigned p, unsigned n, int max, bool reset, uintptr_t *out, uintptr_t *next)
{
	long k = 0;

	*next = WIN + (p + n) * PG;
	if (!one_alloc(p, n) || !pg[p].watch)
		return -ERROR_INVALID_PARAMETER;
	for (unsigned i = p; i < p + n; i++) {
		if (max < 0) {
			pg[i].written = false;
		} else if (pg[i].state == COMMITTED && pg[i].written) {
			if (k == max) {
				*next = WIN + i * PG;
				break;
			}
			out[k++] = WIN + i * PG;
			pg[i].written = !reset;
		}
	}
	return k;
}

/* Run length from page @p as VirtualQuery reports it, or 0 if it leaves the window. */
static unsigned m_run(unsigned p)
{
	unsigned i = p + 1;

	while (i < NPAGES && pg[i].state == pg[p].state && pg[i].base == pg[p].base &&
	       pg[i].prot == pg[p].prot)
		i++;
	return i < NPAGES || pg[p].state != FREE ? i - p : 0;
}

SMMU_ORACLE static void verify_page(unsigned i)
{
	{
		struct memory_basic_information m;
		const struct mpage *q = &pg[i];
		uintptr_t va = WIN + i * PG;
		unsigned run = m_run(i);
		uint8_t v;

		CHECK(VirtualQueryProcessMemory(&as, va + 7, &m) == sizeof(m));
		CHECK(m.base_address == va);
		CHECK(m.state == (q->state == FREE ? MEM_FREE : q->state == RESERVED ? MEM_RESERVE :
				  MEM_COMMIT));
		CHECK(m.allocation_base == (q->state == FREE ? 0 : WIN + (uintptr_t)q->base * PG));
		CHECK(m.allocation_protect == (q->state == FREE ? 0 : q->aprot));
		CHECK(m.protect == (q->state == FREE ? PAGE_NOACCESS : q->prot));
		CHECK(m.type == (q->state == FREE ? 0 : MEM_PRIVATE));
		if (run)
			CHECK(m.region_size == run * PG);
		/* Reading a guard page would clear its guard: only the others are probed. */
		if (q->state == COMMITTED && (q->prot & PAGE_GUARD))
			return;
		bool can = q->state == COMMITTED && q->mm != MM_PROT_NONE;
		int r = smmu_read(&mmu, va + 11, SMMU_USER, &v, 1);
		CHECK((r == 0) == can);
		if (can)
			CHECK(v == q->val);
	}
}

/* Every page, and as_check(). */
SMMU_ORACLE static void verify(void)
{
	for (unsigned i = 0; i < NPAGES; i++)
		verify_page(i);
	CHECK(as_check(&as) == 0);
}

/* Pages [p - 1, p + n) and a sample of the others. */
SMMU_ORACLE static void verify_range(unsigned p, unsigned n)
{
	for (unsigned i = p ? p - 1 : 0; i < p + n && i < NPAGES; i++)
		verify_page(i);
	for (unsigned k = 0; k < CHECK_SAMPLE; k++)
		verify_page(fuzz_sample(&sample, NPAGES));
}

/*
 * FUZZ_PLANT: once per input, a committed readable page away from the
 * operation's range silently loses its access (the region's protection
 * changes under the model); the sample or the full check must notice.
 */
static void plant_bug(unsigned p, unsigned n)
{
	unsigned i = (p + n + NPAGES / 2) % NPAGES;
	const struct mpage *q = &pg[i];

	if (!plant || planted || q->state != COMMITTED || q->mm == MM_PROT_NONE ||
	    (q->prot & PAGE_GUARD))
		return;
	if (as_mprotect(&as, WIN + i * PG, PG, MM_PROT_NONE) == 0)
		planted = true;
}

/* A write or read at page @p: a guard page faults once and loses its guard. */
static void op_access(unsigned p, uint8_t val, bool write)
{
	struct mpage *q = &pg[p];
	uintptr_t va = WIN + p * PG + 11;
	uint8_t v = val;
	int r = write ? smmu_write(&mmu, va, SMMU_USER, &v, 1) : smmu_read(&mmu, va, SMMU_USER, &v, 1);

	if (q->state == COMMITTED && (q->prot & PAGE_GUARD)) {
		CHECK(r != 0);
		q->prot &= ~PAGE_GUARD;
		q->mm = as_win32_mm_prot(q->prot);
		return;
	}
	bool ok = q->state == COMMITTED && q->mm != MM_PROT_NONE &&
		  (!write || (q->mm & MM_PROT_WRITE));
	CHECK((r == 0) == ok);
	if (ok && write) {
		q->val = val;
		q->written = q->watch;
	}
	if (ok && !write)
		CHECK(v == q->val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lprots[] = { MM_PROT_NONE, MM_PROT_READ, MM_PROT_READ | MM_PROT_WRITE,
					   MM_PROT_WRITE, MM_PROT_READ | MM_PROT_EXEC,
					   MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC };
	uint64_t free0, commit0;

	if (size > 4 * 400)
		return 0;
	free0 = sim_free_frames();
	commit0 = vm_committed_pages();
	CHECK(as_init(&as, NULL) == 0);
	smmu_init(&mmu, &as.vs.pt);
	mmu.vs = &as.vs;
	for (unsigned i = 0; i < NPAGES; i++)
		pg[i] = (struct mpage){ FREE, 0, false, false, -1, 0, 0, 0 };
	fuzz_sample_seed(&sample, data, size);
	planted = false;
	for (size_t off = 0; off + 4 <= size; off += 4) {
		const uint8_t *b = data + off;
		unsigned p = b[1] % NPAGES, n = 1 + b[2] % 8, pi = b[3] % ARRAY_SIZE(prots);
		uint32_t prot = prots[pi], old = 0, mold = 0;
		uintptr_t va = WIN + p * PG;
		long want, got;

		if (p + n > NPAGES)
			n = NPAGES - p;
		switch (b[0] % 11) {
		case 0:
		case 1: {
			bool watch = (b[0] / 11) & 1;

			want = m_reserve(p, n, prot, b[0] % 11 == 1, pi, watch);
			got = VirtualAllocProcessMemory(&as, va, n * PG,
							(b[0] % 11 ? MEM_RESERVE | MEM_COMMIT : MEM_RESERVE) |
							(watch ? MEM_WRITE_WATCH : 0), prot);
			break;
		}
		case 10: {
			/* GetWriteWatch (room b[3] % 9, reset on bit 0 of b[0] / 11), or ResetWriteWatch (room 8). */
			int max = b[3] % 9 == 8 ? -1 : b[3] % 9;
			bool reset = (b[0] / 11) & 1;
			uintptr_t out[8], mout[8], next, mnext;

			want = m_watch(p, n, max, reset, mout, &mnext);
			got = as_win32_write_watch(&as, va, va + n * PG, max < 0 ? NULL : out,
						   max < 0 ? 0 : (unsigned)max, reset, &next);
			if (got > 0 && got == want) {
				/*
				 * With the room filled, the call may stop at once: the
				 * next call goes on after the last page reported and
				 * must not skip a written one (the model's @mnext).
				 * Otherwise the range is done.
				 */
				bool full = got == max;
				bool ok = full ? next > out[got - 1] && next <= mnext : next == mnext;

				CHECK(!memcmp(out, mout, (size_t)got * sizeof(out[0])));
				if (!ok)
					fprintf(stderr, "write watch page %u n %u max %d: next %#lx, want %s%#lx\n",
						p, n, max, (unsigned long)next, full ? "at most " : "",
						(unsigned long)mnext);
				CHECK(ok);
			}
			break;
		}
		case 2:
			want = m_commit(p, n, prot, pi);
			got = VirtualAllocProcessMemory(&as, va, n * PG, MEM_COMMIT, prot);
			break;
		case 3:
			want = m_decommit(p, n);
			got = VirtualFreeProcessMemory(&as, va, n * PG, MEM_DECOMMIT);
			break;
		case 4:
			want = m_release(p);
			got = VirtualFreeProcessMemory(&as, va, 0, MEM_RELEASE);
			break;
		case 5:
			want = m_protect(p, n, prot, pi, &mold);
			got = VirtualProtectProcessMemory(&as, va, n * PG, prot, &old);
			if (!got)
				CHECK(old == mold);
			break;
		case 6: {
			uint32_t lp = lprots[b[3] % ARRAY_SIZE(lprots)];

			want = m_mprotect(p, n, lp);
			got = as_mprotect(&as, va, n * PG, lp);
			break;
		}
		case 7:
			for (unsigned i = p; i < p + n; i++)
				pg[i] = (struct mpage){ FREE, 0, false, false, -1, 0, 0, 0 };
			want = 0;
			got = as_munmap(&as, va, n * PG);
			break;
		default:
			op_access(p, b[2], b[0] % 11 == 8);
			want = got = 0;
			break;
		}
		if (got != want)
			fprintf(stderr, "op %u page %u n %u prot %#x: got %ld, want %ld\n",
				b[0] % 11, p, n, prot, got, want);
		CHECK(got == want);
		plant_bug(p, n);
		/* A release frees its whole allocation, wherever it starts. */
		if (b[0] % 11 == 4 || off / 4 % CHECK_EVERY == CHECK_EVERY - 1)
			verify();
		else
			verify_range(p, n);
	}
	verify();
	as_destroy(&as);
	CHECK(sim_free_frames() == free0);
	CHECK(vm_committed_pages() == commit0);
	return 0;
}
