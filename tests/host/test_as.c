// SPDX-License-Identifier: MIT
/*
 * Tests of process address spaces, driven through the soft MMU as a
 * user-mode CPU would drive them: demand-zero pages, region splitting and
 * merging, protections, copy-on-write fork in both directions, shared
 * anonymous memory across fork, brk, mremap, madvise, MAP_FIXED, file
 * mappings, stack growth, Linux's error numbers, memory exhaustion, ASLR,
 * and that destroying spaces gives back every frame and page-table page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"
#include "mm/commit.h"
#include "mm/pcache.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)
#define ANON	(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define SHARED	(MM_MAP_SHARED | MM_MAP_ANONYMOUS)
#define FIXED	(ANON | MM_MAP_FIXED)
#define U	SMMU_USER

static struct pt_space kspace;		/* the "kernel": its upper half is shared */
static phys_addr_t kframe;
static uint64_t free0;
static struct proc P, C;

/* More than the tests' RAM, and still room for it in user space. */
#define BIG	(VM_TEST_64BIT_VA ? 1ull << 40 : 1ull << 30)

/* Fresh RAM and a kernel space with one page in its upper half. */
static int before(void **state)
{
	(void)state;
	assert_int_equal(vm_ram_setup(128 * MiB), 0);
	assert_int_equal(pt_space_init(&kspace, VM_NATIVE_FORMAT), 0);
	kframe = pmm_alloc_pages(0, PMM_ZERO);
	assert_int_equal(pt_map(&kspace, AS_KERNEL_BASE, kframe, PG, PT_WRITE | PT_GLOBAL, 0), 0);
	/* The first sharing pins a table in each kernel slot for good: do it before counting. */
	assert_int_equal(as_init(&P.as, &(struct as_params){ .kernel = &kspace }), 0);
	as_destroy(&P.as);
	free0 = sim_free_frames();
	return 0;
}

/* Every frame the spaces took is back; the kernel's tables are intact. */
static int after(void **state)
{
	(void)state;
	assert_int_equal(sim_free_frames(), free0);
	assert_true(pt_translate(&kspace, AS_KERNEL_BASE, NULL, NULL, NULL));
	assert_int_equal(pt_check(&kspace), 0);
	pt_unmap(&kspace, AS_KERNEL_BASE, PG, NULL, NULL);
	pmm_free_pages(kframe, 0);
	pt_space_destroy(&kspace);
	return 0;
}

/* The second run: every as_region_reserve() moves the region array (struct as). */
static bool moving;

static struct as_params params(void)
{
	return (struct as_params){ .kernel = &kspace, .move_regions = moving };
}

static void start(struct proc *p)
{
	struct as_params ap = params();

	assert_int_equal(as_init(&p->as, &ap), 0);
	proc_cpu(p);
}

static void finish(struct proc *p)
{
	assert_int_equal(as_check(&p->as), 0);
	as_destroy(&p->as);
}

static void fork_into(struct proc *child, struct proc *parent)
{
	assert_int_equal(as_fork(&child->as, &parent->as), 0);
	proc_cpu(child);
	assert_int_equal(as_check(&child->as), 0);
	assert_int_equal(as_check(&parent->as), 0);
}

static uintptr_t map(struct proc *p, uintptr_t addr, uint64_t len, unsigned long prot,
		     unsigned long flags)
{
	long a = as_mmap(&p->as, addr, len, prot, flags, NULL, 0);

	assert_false(as_is_err(a));
	return (uintptr_t)a;
}

static uint32_t nregions(struct proc *p)
{
	return p->as.nr;
}

/* The protection key in @va's page-table entry (0 where the format has none). */
static unsigned pte_key(struct proc *p, uintptr_t va)
{
	unsigned prot = 0;

	assert_true(pt_translate(&p->as.vs.pt, va, NULL, &prot, NULL));
	return (prot & PT_PKEY_MASK) >> PT_PKEY_SHIFT;
}

/*
 * Protection keys (Linux's pkey_alloc/pkey_free/pkey_mprotect rules): the
 * bitmap, the errors, the region's key in every present entry through
 * faults, mprotect, copy-on-write, mremap and fork, and keys keeping
 * regions apart. The soft MMU does not check keys (the CPU's PKRU does).
 */
static void test_pkeys(void **state)
{
	unsigned keyed = P.as.vs.pt.fmt->pkey ? 5 : 0;	/* what an entry can hold */
	uintptr_t a, b;
	uint32_t n;

	(void)state;
	start(&P);
	/* One key (no PKU): nothing to hand out, only -1 taken. */
	assert_int_equal(as_pkey_alloc(&P.as, 1), -MM_ENOSPC);
	assert_int_equal(as_pkey_free(&P.as, 0, 1), -MM_EINVAL);
	/* 16 keys: 0 is taken from the start, then 1..15, lowest first. */
	for (int k = 1; k < 16; k++)
		assert_int_equal(as_pkey_alloc(&P.as, 16), k);
	assert_int_equal(as_pkey_alloc(&P.as, 16), -MM_ENOSPC);
	for (int k = 6; k < 16; k++)
		assert_int_equal(as_pkey_free(&P.as, k, 16), 0);
	assert_int_equal(as_pkey_free(&P.as, 6, 16), -MM_EINVAL);
	assert_int_equal(as_pkey_free(&P.as, 16, 16), -MM_EINVAL);
	assert_int_equal(as_pkey_free(&P.as, -1, 16), -MM_EINVAL);
	assert_int_equal(as_pkey_free(&P.as, 3, 16), 0);
	assert_int_equal(as_pkey_alloc(&P.as, 16), 3);
	assert_true(as_pkey_allocated(&P.as, 0, 16));
	assert_false(as_pkey_allocated(&P.as, 0, 1));
	assert_false(as_pkey_allocated(&P.as, 6, 16));

	a = map(&P, 0, 4 * PG, RW, ANON);
	n = nregions(&P);
	assert_int_equal(uwrite8(&P, a, 0x11), 0);
	assert_int_equal(pte_key(&P, a), 0);
	/* Errors in Linux's order: the arguments, the key, then the range. */
	assert_int_equal(as_mprotect_pkey(&P.as, a + 1, PG, RW, 6, 16), -MM_EINVAL);
	assert_int_equal(as_mprotect_pkey(&P.as, a, 0, RW, 6, 16), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RW, 6, 16), -MM_EINVAL);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RW, 0, 1), -MM_EINVAL);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RW, -1, 1), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a + 8 * PG, PG, RW, 6, 16), -MM_EINVAL);
	/* A key on the first two pages: the present one changes, a region of its own. */
	assert_int_equal(as_mprotect_pkey(&P.as, a, 2 * PG, RW, 5, 16), 0);
	assert_int_equal(nregions(&P), n + 1);
	assert_int_equal(pte_key(&P, a), keyed);
	assert_int_equal(upeek(&P, a), 0x11);
	/* A fault there fills the entry with the key; the neighbour has none. */
	assert_int_equal(uwrite8(&P, a + PG, 0x22), 0);
	assert_int_equal(pte_key(&P, a + PG), keyed);
	assert_int_equal(uwrite8(&P, a + 2 * PG, 0x33), 0);
	assert_int_equal(pte_key(&P, a + 2 * PG), 0);
	/* mprotect (-1) keeps it, and the regions stay apart on their keys alone. */
	assert_int_equal(as_mprotect(&P.as, a, 4 * PG, MM_PROT_READ), 0);
	assert_int_equal(nregions(&P), n + 1);
	assert_int_equal(pte_key(&P, a), keyed);
	assert_int_equal(as_mprotect(&P.as, a, 4 * PG, RW), 0);
	/* Fork: the bitmap, the keys and copy-on-write copies keep it. */
	fork_into(&C, &P);
	assert_true(as_pkey_allocated(&C.as, 5, 16));
	assert_int_equal(as_pkey_alloc(&C.as, 16), 6);
	assert_false(as_pkey_allocated(&P.as, 6, 16));
	assert_int_equal(uwrite8(&C, a, 0x44), 0);
	assert_int_equal(pte_key(&C, a), keyed);
	assert_int_equal(upeek(&P, a), 0x11);
	finish(&C);
	/* mremap moves the entries with their key. */
	b = (uintptr_t)as_mremap(&P.as, a, 2 * PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
				 a + 16 * PG);
	assert_int_equal(b, a + 16 * PG);
	assert_int_equal(pte_key(&P, b + PG), keyed);
	assert_int_equal(upeek(&P, b + PG), 0x22);
	/* Back to key 0: one region with its neighbours again (nothing else differs). */
	assert_int_equal(as_mremap(&P.as, b, 2 * PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a),
			 (long)a);
	assert_int_equal(as_mprotect_pkey(&P.as, a, 2 * PG, RW, 0, 16), 0);
	assert_int_equal(pte_key(&P, a), 0);
	assert_int_equal(nregions(&P), n);
	/* Key 0 itself may be freed (Linux): then it is not taken. */
	assert_int_equal(as_pkey_free(&P.as, 0, 16), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RW, 0, 16), -MM_EINVAL);
	assert_int_equal(as_pkey_alloc(&P.as, 16), 0);
	finish(&P);
}

/*
 * Execute-only memory (Linux's execute_only_pkey()): exactly PROT_EXEC from
 * mmap or a plain mprotect takes the space's execute-only key, allocated
 * once and denied to the calling thread (sim_pkru), refused to pkey_free
 * and pkey_mprotect, skipped by pkey_alloc; leaving PROT_EXEC goes back to
 * key 0; fork keeps it; with every key taken the mapping keeps its key.
 */
static void test_pkeys_exec_only(void **state)
{
	const unsigned long X = MM_PROT_EXEC, RX = MM_PROT_READ | MM_PROT_EXEC;
	uintptr_t a, b;

	(void)state;
	start(&P);
	/* Without keys nothing changes. */
	a = map(&P, 0, 2 * PG, X, ANON);
	assert_int_equal(as_pkey_at(&P.as, a), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, -1, 1), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 0);
	sim_set_pkeys(16);
	sim_pkru = 0;
	/* A failed mmap before the key (EEXIST) allocates nothing. */
	assert_true(as_is_err(as_mmap(&P.as, a, PG, X, ANON | MM_MAP_FIXED_NOREPLACE, NULL, 0)));
	assert_int_equal(P.as.xo_pkey, -1);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X | MM_PROT_SEM, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 0);	/* not exactly PROT_EXEC */
	/* The first one: key 1, access denied to the caller. */
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 1);
	assert_int_equal(as_pkey_at(&P.as, a + PG), 0);
	assert_int_equal(sim_pkru, 0x4);
	assert_int_equal(as_pkey_alloc(&P.as, 16), 2);
	assert_int_equal(as_pkey_free(&P.as, 1, 16), -MM_EINVAL);
	assert_false(as_pkey_allocated(&P.as, 1, 16));
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, 1, 16), -MM_EINVAL);
	/* Already denied (write-disable kept); allowed again: denied again, alone. */
	sim_pkru = 0xc;
	b = map(&P, 0, PG, X, ANON);
	assert_int_equal(as_pkey_at(&P.as, b), 1);
	assert_int_equal(sim_pkru, 0xc);
	sim_pkru = 0x8;
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, -1, 16), 0);
	assert_int_equal(sim_pkru, 0x4);
	/* An explicit key wins, and the key given stays until another is. */
	sim_pkru = 0;
	assert_int_equal(as_mprotect_pkey(&P.as, a + PG, PG, X, 2, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a + PG), 2);
	assert_int_equal(sim_pkru, 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a + PG, PG, X, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a + PG), 1);	/* a user key gives way too */
	/* Leaving execute-only: key 0, even for PROT_NONE; a user key stays. */
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RX, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a + PG, PG, MM_PROT_NONE, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a + PG), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, 2, 16), 0);
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, RX, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 2);
	/* Fork keeps the key and its reservation. */
	fork_into(&C, &P);
	assert_int_equal(C.as.xo_pkey, 1);
	assert_int_equal(as_pkey_alloc(&C.as, 16), 3);
	assert_int_equal(as_pkey_free(&C.as, 1, 16), -MM_EINVAL);
	finish(&C);
	finish(&P);
	/* Every key taken first: the mapping keeps key 0; a key freed later is taken. */
	start(&P);
	for (int k = 1; k < 16; k++)
		assert_int_equal(as_pkey_alloc(&P.as, 16), k);
	a = map(&P, 0, PG, X, ANON);
	assert_int_equal(as_pkey_at(&P.as, a), 0);
	assert_int_equal(P.as.xo_pkey, -1);
	assert_int_equal(as_pkey_free(&P.as, 7, 16), 0);
	sim_pkru = 0;
	assert_int_equal(as_mprotect_pkey(&P.as, a, PG, X, -1, 16), 0);
	assert_int_equal(as_pkey_at(&P.as, a), 7);
	assert_int_equal(sim_pkru, 0x4000);
	assert_int_equal(as_pkey_alloc(&P.as, 16), -MM_ENOSPC);
	finish(&P);
	sim_set_pkeys(1);
}

/* --- demand paging, splitting, protections ----------------------------------------- */

static void test_fresh_pages_are_zero(void **state)
{
	uintptr_t a;
	uint64_t v = 1;

	(void)state;
	start(&P);
	a = map(&P, 0, 16 * PG, RW, ANON);
	assert_true(a >= AS_MMAP_MIN_ADDR && a + 16 * PG <= P.as.mmap_base);
	assert_int_equal(as_rss(&P.as), 0);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(smmu_read64(&P.mmu, a + i * PG + 8, U, &v), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(as_rss(&P.as), 16);
	assert_int_equal(smmu_write64(&P.mmu, a + 40, U, 0x1234), 0);
	assert_int_equal(smmu_read64(&P.mmu, a + 40, U, &v), 0);
	assert_int_equal(v, 0x1234);
	/* The null guard and the kernel half are not user memory. */
	assert_int_equal(upeek(&P, 0), -1);
	assert_int_equal(upeek(&P, AS_KERNEL_BASE), -1);
	finish(&P);
}

static void test_munmap_middle_splits(void **state)
{
	uintptr_t a;

	(void)state;
	start(&P);
	a = map(&P, 0, 3 * PG, RW, ANON);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(uwrite8(&P, a + i * PG, (uint8_t)(0x10 + i)), 0);
	uint32_t n = nregions(&P);
	assert_int_equal(as_munmap(&P.as, a + PG, PG), 0);
	assert_int_equal(nregions(&P), n + 1);
	assert_int_equal(upeek(&P, a), 0x10);
	assert_int_equal(upeek(&P, a + PG), -1);
	assert_int_equal(P.mmu.error_code, PF_U);
	assert_int_equal(upeek(&P, a + 2 * PG), 0x12);
	assert_int_equal(as_rss(&P.as), 2);
	/* Unmapping holes is fine; unmapping everything removes both pieces. */
	assert_int_equal(as_munmap(&P.as, a + PG, PG), 0);
	assert_int_equal(as_munmap(&P.as, a, 3 * PG), 0);
	assert_int_equal(nregions(&P), n - 1);
	assert_int_equal(as_rss(&P.as), 0);
	finish(&P);
}

static void test_mprotect_partial(void **state)
{
	uintptr_t a;
	uint32_t n;

	(void)state;
	start(&P);
	a = map(&P, 0, 4 * PG, RW, ANON);
	n = nregions(&P);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(uwrite8(&P, a + i * PG, (uint8_t)(0x20 + i)), 0);
	assert_int_equal(as_mprotect(&P.as, a + PG, 2 * PG, MM_PROT_READ), 0);
	assert_int_equal(nregions(&P), n + 2);
	assert_int_equal(uwrite8(&P, a + PG, 1), -MM_EFAULT);
	assert_int_equal(P.mmu.error_code, PF_P | PF_W | PF_U);
	assert_int_equal(upeek(&P, a + PG), 0x21);
	assert_int_equal(uwrite8(&P, a + 2 * PG, 1), -MM_EFAULT);
	assert_int_equal(uwrite8(&P, a, 1), 0);
	assert_int_equal(uwrite8(&P, a + 3 * PG, 1), 0);
	/* Back to read-write: one region again, writes work, content kept. */
	assert_int_equal(as_mprotect(&P.as, a + PG, 2 * PG, RW), 0);
	assert_int_equal(nregions(&P), n);
	assert_int_equal(uwrite8(&P, a + 2 * PG + 5, 7), 0);
	assert_int_equal(upeek(&P, a + 2 * PG), 0x22);
	/* PROT_NONE keeps the frames but refuses every access. */
	assert_int_equal(as_mprotect(&P.as, a, PG, MM_PROT_NONE), 0);
	assert_int_equal(upeek(&P, a), -1);
	assert_int_equal(P.mmu.error_code, PF_P | PF_U);
	assert_int_equal(as_mprotect(&P.as, a, PG, MM_PROT_READ), 0);
	assert_int_equal(upeek(&P, a), 1);
	/* Execute needs PROT_EXEC. */
	assert_int_equal(ufetch8(&P, a + 3 * PG), -MM_EFAULT);
	assert_int_equal(as_mprotect(&P.as, a + 3 * PG, PG, MM_PROT_READ | MM_PROT_EXEC), 0);
	assert_int_equal(ufetch8(&P, a + 3 * PG), 0);
	/* A hole in the range: ENOMEM, the part before it changed (as Linux). */
	assert_int_equal(as_munmap(&P.as, a + 2 * PG, PG), 0);
	assert_int_equal(as_mprotect(&P.as, a + PG, 3 * PG, MM_PROT_NONE), -MM_ENOMEM);
	assert_int_equal(upeek(&P, a + PG), -1);
	assert_int_equal(as_mprotect(&P.as, a + 2 * PG, PG, MM_PROT_READ), -MM_ENOMEM);
	finish(&P);
}

static void test_prot_none_and_read_only(void **state)
{
	uintptr_t none, ro;
	struct vm_fault f;

	(void)state;
	start(&P);
	none = map(&P, 0, 2 * PG, MM_PROT_NONE, ANON);
	ro = map(&P, 0, 2 * PG, MM_PROT_READ, ANON);
	assert_int_equal(upeek(&P, none), -1);
	assert_int_equal(uwrite8(&P, none, 1), -MM_EFAULT);
	assert_int_equal(upeek(&P, ro), 0);
	assert_int_equal(uwrite8(&P, ro, 1), -MM_EFAULT);
	assert_int_equal(P.mmu.error_code, PF_P | PF_W | PF_U);
	f = (struct vm_fault){ .addr = none, .flags = VM_FAULT_USER };
	assert_int_equal(vm_handle_fault(&P.as.vs, &f), VM_FAULT_UNRESOLVED);
	f = (struct vm_fault){ .addr = ro + PG, .flags = VM_FAULT_USER | VM_FAULT_WRITE };
	assert_int_equal(vm_handle_fault(&P.as.vs, &f), VM_FAULT_UNRESOLVED);
	/* A kernel read of a user page with SMAP on is refused, not looped on. */
	assert_int_equal(smmu_read(&P.mmu, ro, SMMU_KERNEL, &(uint8_t){ 0 }, 1), -MM_EFAULT);
	finish(&P);
}

/* --- fork ---------------------------------------------------------------------------- */

static void test_fork_cow_both_ways(void **state)
{
	uintptr_t a;

	(void)state;
	start(&P);
	a = map(&P, 0, 4 * PG, RW, ANON);
	assert_int_equal(uwrite8(&P, a, 'A'), 0);
	assert_int_equal(uwrite8(&P, a + PG, 'a'), 0);
	fork_into(&C, &P);
	assert_int_equal(upeek(&C, a), 'A');
	/* Parent writes: the child keeps the old byte. */
	assert_int_equal(uwrite8(&P, a, 'B'), 0);
	assert_int_equal(upeek(&C, a), 'A');
	assert_int_equal(upeek(&P, a), 'B');
	/* Child writes: the parent keeps its byte. */
	assert_int_equal(uwrite8(&C, a + PG, 'c'), 0);
	assert_int_equal(upeek(&P, a + PG), 'a');
	assert_int_equal(upeek(&C, a + PG), 'c');
	/* The last user of a frame writes without copying. */
	uint64_t before = sim_free_frames();
	assert_int_equal(uwrite8(&C, a, 'C'), 0);	/* C alone has the 'A' frame now */
	assert_int_equal(uwrite8(&P, a + PG, 'b'), 0);	/* P alone has the 'a' frame */
	assert_int_equal(sim_free_frames(), before);
	/* Untouched pages stay unmapped in both; both fault them in separately. */
	assert_int_equal(uwrite8(&C, a + 3 * PG, 1), 0);
	assert_int_equal(upeek(&P, a + 3 * PG), 0);
	finish(&C);
	assert_int_equal(upeek(&P, a), 'B');
	assert_int_equal(upeek(&P, a + PG), 'b');
	finish(&P);
}

static void test_shared_survives_fork(void **state)
{
	uintptr_t a;

	(void)state;
	start(&P);
	a = map(&P, 0, 3 * PG, RW, SHARED);
	assert_int_equal(uwrite8(&P, a, 1), 0);
	fork_into(&C, &P);
	assert_int_equal(upeek(&C, a), 1);
	assert_int_equal(uwrite8(&C, a, 2), 0);
	assert_int_equal(upeek(&P, a), 2);
	/* A page first touched after the fork is shared too. */
	assert_int_equal(uwrite8(&P, a + 2 * PG, 3), 0);
	assert_int_equal(upeek(&C, a + 2 * PG), 3);
	/* A split keeps it shared; the parent's exit keeps the child's memory. */
	assert_int_equal(as_mprotect(&C.as, a + PG, PG, MM_PROT_READ), 0);
	finish(&P);
	assert_int_equal(upeek(&C, a), 2);
	assert_int_equal(upeek(&C, a + 2 * PG), 3);
	finish(&C);
}

/* A one-page shared object with data in it is freed whole (a radix tree of one level). */
static void test_shared_one_page(void **state)
{
	uintptr_t s;

	(void)state;
	start(&P);
	s = map(&P, 0, PG, RW, SHARED);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(uwrite8(&P, s + i * 64, 0x36), 0);
	finish(&P);
}

static void test_fork_200_children(void **state)
{
	static struct proc kids[200];
	uintptr_t a, s;

	(void)state;
	start(&P);
	a = map(&P, 0, 8 * PG, RW, ANON);
	s = map(&P, 0, 2 * PG, RW, SHARED);
	assert_int_equal(uwrite8(&P, a, 9), 0);
	assert_int_equal(as_brk(&P.as, P.as.start_brk + 3 * PG), P.as.start_brk + 3 * PG);
	assert_int_equal(uwrite8(&P, P.as.start_brk, 5), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(kids); i++) {
		struct proc *k = &kids[i];

		fork_into(k, i % 2 || !i ? &P : &kids[i / 2]);	/* children of children too */
		assert_int_equal(uwrite8(k, a + (i % 8) * PG, (uint8_t)i), 0);
		assert_int_equal(uwrite8(k, s + PG, (uint8_t)i), 0);
		assert_int_equal(uwrite8(k, k->as.start_brk + PG, (uint8_t)i), 0);
		assert_int_equal(uwrite8(k, k->as.stack_top - 1, (uint8_t)i), 0);
		assert_int_equal(upeek(k, P.as.start_brk), 5);
	}
	assert_int_equal(upeek(&P, s + PG), 199);
	assert_int_equal(upeek(&P, a), 9);
	for (unsigned i = 0; i < ARRAY_SIZE(kids); i++)
		finish(&kids[i]);
	finish(&P);
}

/* --- brk, mremap, madvise, MAP_FIXED --------------------------------------------------- */

static void test_brk(void **state)
{
	uintptr_t b, r;

	(void)state;
	start(&P);
	b = as_brk(&P.as, 0);
	assert_int_equal(b, P.as.start_brk);
	assert_int_equal(as_brk(&P.as, b + 3 * PG + 10), b + 3 * PG + 10);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(uwrite8(&P, b + i * PG, 0xaa), 0);
	assert_int_equal(uwrite8(&P, b + 4 * PG, 1), -MM_EFAULT);
	/* Shrink: the pages go; regrow: they come back zeroed. */
	assert_int_equal(as_brk(&P.as, b + PG), b + PG);
	assert_int_equal(upeek(&P, b + PG), -1);
	assert_int_equal(upeek(&P, b), 0xaa);
	assert_int_equal(as_brk(&P.as, b + 4 * PG), b + 4 * PG);
	assert_int_equal(upeek(&P, b + PG), 0);
	assert_int_equal(upeek(&P, b + 3 * PG), 0);
	/* Below the start: refused, the current break answered. */
	assert_int_equal(as_brk(&P.as, b - PG), b + 4 * PG);
	/* A mapping in the way (or its page of distance): refused. */
	r = map(&P, b + 8 * PG, PG, RW, FIXED);
	assert_int_equal(r, b + 8 * PG);
	assert_int_equal(as_brk(&P.as, b + 8 * PG), b + 4 * PG);
	assert_int_equal(as_brk(&P.as, b + 7 * PG + 1), b + 4 * PG);
	assert_int_equal(as_brk(&P.as, b + 7 * PG), b + 7 * PG);
	assert_int_equal(as_brk(&P.as, UINTPTR_MAX - 5), b + 7 * PG);
	assert_int_equal(as_brk(&P.as, b), b);
	assert_int_equal(as_rss(&P.as), 0);
	finish(&P);
}

static void test_mremap(void **state)
{
	uintptr_t a, b;
	long m;

	(void)state;
	start(&P);
	a = map(&P, 0x40000000, 2 * PG, RW, FIXED);
	assert_int_equal(uwrite8(&P, a, 1), 0);
	assert_int_equal(uwrite8(&P, a + PG, 2), 0);
	/* Grow in place. */
	assert_int_equal(as_mremap(&P.as, a, 2 * PG, 4 * PG, 0, 0), (long)a);
	assert_int_equal(upeek(&P, a + PG), 2);
	assert_int_equal(uwrite8(&P, a + 3 * PG, 4), 0);
	/* Blocked: ENOMEM without MAYMOVE, a move with it. */
	b = map(&P, a + 4 * PG, PG, RW, FIXED);
	assert_int_equal(as_mremap(&P.as, a, 4 * PG, 8 * PG, 0, 0), -MM_ENOMEM);
	uint64_t rss = as_rss(&P.as);
	m = as_mremap(&P.as, a, 4 * PG, 8 * PG, MM_MREMAP_MAYMOVE, 0);
	assert_true(!as_is_err(m) && (uintptr_t)m != a);
	assert_int_equal(as_rss(&P.as), rss);
	assert_int_equal(upeek(&P, (uintptr_t)m), 1);
	assert_int_equal(upeek(&P, (uintptr_t)m + PG), 2);
	assert_int_equal(upeek(&P, (uintptr_t)m + 3 * PG), 4);
	assert_int_equal(upeek(&P, (uintptr_t)m + 7 * PG), 0);
	assert_int_equal(upeek(&P, a), -1);
	assert_int_equal(upeek(&P, b), 0);
	/* MREMAP_FIXED onto the old place, replacing nothing; then shrink. */
	m = as_mremap(&P.as, (uintptr_t)m, 8 * PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a);
	assert_int_equal(m, (long)a);
	assert_int_equal(upeek(&P, a + PG), 2);
	assert_int_equal(as_mremap(&P.as, a, 2 * PG, PG, 0, 0), (long)a);
	assert_int_equal(upeek(&P, a + PG), -1);
	/* A shared mapping moved stays shared with a forked child. */
	uintptr_t s = map(&P, 0, PG, RW, SHARED);
	assert_int_equal(uwrite8(&P, s, 7), 0);
	fork_into(&C, &P);
	m = as_mremap(&P.as, s, PG, 3 * PG, MM_MREMAP_MAYMOVE, 0);
	assert_false(as_is_err(m));
	assert_int_equal(uwrite8(&C, s, 8), 0);
	assert_int_equal(upeek(&P, (uintptr_t)m), 8);
	/* old_len 0 duplicates a shared mapping; a private one refuses. */
	long d = as_mremap(&P.as, (uintptr_t)m, 0, PG, MM_MREMAP_MAYMOVE, 0);
	assert_false(as_is_err(d));
	assert_int_equal(upeek(&P, (uintptr_t)d), 8);
	assert_int_equal(as_mremap(&P.as, a, 0, PG, MM_MREMAP_MAYMOVE, 0), -MM_EINVAL);
	finish(&C);
	finish(&P);
}

static void test_madvise_dontneed(void **state)
{
	uintptr_t a, s;

	(void)state;
	start(&P);
	a = map(&P, 0, 4 * PG, RW, ANON);
	s = map(&P, 0, PG, RW, SHARED);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(uwrite8(&P, a + i * PG, 0x55), 0);
	assert_int_equal(uwrite8(&P, s, 0x66), 0);
	assert_int_equal(as_madvise(&P.as, a + PG, 2 * PG, MM_MADV_DONTNEED), 0);
	assert_int_equal(upeek(&P, a), 0x55);
	assert_int_equal(upeek(&P, a + PG), 0);
	assert_int_equal(upeek(&P, a + 2 * PG), 0);
	assert_int_equal(upeek(&P, a + 3 * PG), 0x55);
	/* Shared memory keeps its contents; MADV_REMOVE drops them. */
	assert_int_equal(as_madvise(&P.as, s, PG, MM_MADV_DONTNEED), 0);
	assert_int_equal(upeek(&P, s), 0x66);
	assert_int_equal(as_madvise(&P.as, s, PG, MM_MADV_REMOVE), 0);
	assert_int_equal(upeek(&P, s), 0);
	/* Holes: ENOMEM, but the mapped part is still done. */
	assert_int_equal(as_munmap(&P.as, a + 2 * PG, PG), 0);
	assert_int_equal(uwrite8(&P, a + 3 * PG, 1), 0);
	assert_int_equal(as_madvise(&P.as, a + 2 * PG, 2 * PG, MM_MADV_DONTNEED), -MM_ENOMEM);
	assert_int_equal(upeek(&P, a + 3 * PG), 0);
	assert_int_equal(as_madvise(&P.as, a, PG, 999), -MM_EINVAL);
	assert_int_equal(as_madvise(&P.as, a + 1, PG, MM_MADV_DONTNEED), -MM_EINVAL);
	assert_int_equal(as_madvise(&P.as, a, 0, MM_MADV_DONTNEED), 0);
	assert_int_equal(as_madvise(&P.as, a, UINT64_MAX - 100, MM_MADV_DONTNEED), -MM_EINVAL);
	assert_int_equal(as_madvise(&P.as, a, PG, MM_MADV_FREE), 0);
	assert_int_equal(as_madvise(&P.as, s, PG, MM_MADV_FREE), -MM_EINVAL);
	/* MADV_DONTFORK: the child does not get the region. */
	assert_int_equal(as_madvise(&P.as, a + 3 * PG, PG, MM_MADV_DONTFORK), 0);
	assert_int_equal(uwrite8(&P, a, 0x77), 0);
	fork_into(&C, &P);
	assert_int_equal(upeek(&C, a + 3 * PG), -1);
	assert_int_equal(upeek(&C, a), 0x77);
	assert_int_equal(as_madvise(&P.as, a, 4 * PG, MM_MADV_DOFORK), -MM_ENOMEM);	/* the hole */
	finish(&C);
	finish(&P);
}

static void test_map_fixed(void **state)
{
	uintptr_t a = 0x50000000;

	(void)state;
	start(&P);
	assert_int_equal(map(&P, a, 4 * PG, RW, FIXED), a);
	assert_int_equal(uwrite8(&P, a + PG, 3), 0);
	assert_int_equal(uwrite8(&P, a + 2 * PG, 3), 0);
	/* Replaces the middle: fresh zero pages, the rest kept. */
	assert_int_equal(map(&P, a + PG, PG, MM_PROT_READ, FIXED), a + PG);
	assert_int_equal(upeek(&P, a + PG), 0);
	assert_int_equal(uwrite8(&P, a + PG, 1), -MM_EFAULT);
	assert_int_equal(upeek(&P, a + 2 * PG), 3);
	assert_int_equal(as_rss(&P.as), 2);
	/* NOREPLACE: EEXIST over anything mapped, fine in a hole. */
	assert_int_equal(as_mmap(&P.as, a + 3 * PG, 2 * PG, RW, ANON | MM_MAP_FIXED_NOREPLACE, NULL, 0),
			 -MM_EEXIST);
	assert_int_equal(as_mmap(&P.as, a + 4 * PG, 2 * PG, RW, ANON | MM_MAP_FIXED_NOREPLACE, NULL, 0),
			 (long)(a + 4 * PG));
	/* A free hint is taken; a taken one is not. */
	assert_int_equal(as_mmap(&P.as, a + 16 * PG, PG, RW, ANON, NULL, 0), (long)(a + 16 * PG));
	long h = as_mmap(&P.as, a, PG, RW, ANON, NULL, 0);
	assert_true(!as_is_err(h) && (uintptr_t)h != a);
	/* MAP_POPULATE maps everything now. */
	uint64_t rss = as_rss(&P.as);
	map(&P, 0, 5 * PG, RW, ANON | MM_MAP_POPULATE);
	assert_int_equal(as_rss(&P.as), rss + 5);
	finish(&P);
}

/* --- files -------------------------------------------------------------------------------- */

static void test_file_private(void **state)
{
	static uint8_t data[2 * 4096 + 100];
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct as_file f = { "init", pc, NULL, NULL, NULL, false };
	long a;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(pcache_write(pc, 0, data, sizeof(data)), sizeof(data));
	start(&P);
	a = as_mmap(&P.as, 0, 4 * PG, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_PRIVATE, &f, PG);
	assert_false(as_is_err(a));
	assert_int_equal(upeek(&P, (uintptr_t)a + 5), data[PG + 5]);
	assert_int_equal(upeek(&P, (uintptr_t)a + PG + 99), data[2 * PG + 99]);
	assert_int_equal(upeek(&P, (uintptr_t)a + PG + 100), 0);	/* past EOF in the last page */
	assert_int_equal(upeek(&P, (uintptr_t)a + 2 * PG), -1);		/* a page wholly past EOF */
	assert_int_equal(uwrite8(&P, (uintptr_t)a, 0xee), 0);
	uint8_t b = 0;
	assert_int_equal(pcache_read(pc, PG, &b, 1), 1);
	assert_int_equal(b, (uint8_t)(PG * 7 + 1));			/* private: the file is untouched */
	assert_int_equal(as_madvise(&P.as, (uintptr_t)a, PG, MM_MADV_DONTNEED), 0);
	assert_int_equal(upeek(&P, (uintptr_t)a), data[PG]);
	/* Shared on a read-only descriptor: never writable, now or later. */
	a = as_mmap_file(&P.as, 0, PG, MM_PROT_READ, MM_MAP_SHARED, &f, 0, AS_FMODE_READ);
	assert_false(as_is_err(a));
	assert_int_equal(upeek(&P, (uintptr_t)a + 1), data[1]);
	assert_int_equal(as_mprotect(&P.as, (uintptr_t)a, PG, RW), -MM_EACCES);
	assert_int_equal(as_mmap_file(&P.as, 0, PG, RW, MM_MAP_SHARED, &f, 0, AS_FMODE_READ),
			 -MM_EACCES);
	assert_int_equal(as_mmap_file(&P.as, 0, PG, MM_PROT_READ, MM_MAP_PRIVATE, &f, 0,
				      AS_FMODE_WRITE), -MM_EACCES);
	assert_int_equal(as_mmap(&P.as, 0, PG, MM_PROT_READ, MM_MAP_SHARED_VALIDATE | 0x200000, &f, 0),
			 -MM_EOPNOTSUPP);
	assert_int_equal(as_mmap(&P.as, 0, PG, MM_PROT_READ, MM_MAP_PRIVATE, &f, 1), -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0, PG, MM_PROT_READ, MM_MAP_PRIVATE, NULL, 0), -MM_EBADF);
	assert_int_equal(as_mmap(&P.as, 0, PG, MM_PROT_READ, 0, &f, 0), -MM_EINVAL);
	finish(&P);
	pcache_put(pc);
}

/* --- stack --------------------------------------------------------------------------------- */

static void test_stack_growth(void **state)
{
	uintptr_t top, low;
	struct as_params ap = params();

	(void)state;
	ap.stack_limit = 1 * MiB;
	assert_int_equal(as_init(&P.as, &ap), 0);
	proc_cpu(&P);
	top = P.as.stack_top;
	assert_int_equal(top, AS_TASK_SIZE);
	assert_int_equal(uwrite8(&P, top - 1, 1), 0);
	/* Down to the limit, page by page or in a jump. */
	assert_int_equal(uwrite8(&P, top - 512 * KiB, 2), 0);
	assert_int_equal(uwrite8(&P, top - 1 * MiB, 3), 0);
	assert_int_equal(uwrite8(&P, top - 1 * MiB - 1, 4), -MM_EFAULT);
	assert_int_equal(upeek(&P, top - 1 * MiB), 3);
	finish(&P);

	/* A mapping below: the guard gap stops the growth before the limit. */
	assert_int_equal(as_init(&P.as, NULL), 0);
	proc_cpu(&P);
	top = P.as.stack_top;
	low = top - 4 * MiB;
	assert_int_equal(map(&P, low - PG, PG, RW, FIXED), low - PG);
	assert_int_equal(uwrite8(&P, low + AS_STACK_GUARD_GAP, 1), 0);
	assert_int_equal(uwrite8(&P, low + AS_STACK_GUARD_GAP - 1, 1), -MM_EFAULT);
	/* mmap does not place things in the gap either. */
	assert_int_equal(as_mmap(&P.as, low, PG, RW, ANON | MM_MAP_FIXED_NOREPLACE, NULL, 0), (long)low);
	finish(&P);

	/* Default limit: 8 MiB. */
	assert_int_equal(as_init(&P.as, NULL), 0);
	proc_cpu(&P);
	top = P.as.stack_top;
	assert_int_equal(uwrite8(&P, top - 8 * MiB, 1), 0);
	assert_int_equal(uwrite8(&P, top - 8 * MiB - 1, 1), -MM_EFAULT);
	finish(&P);
}

/* --- arguments ----------------------------------------------------------------------------- */

static void test_linux_errno(void **state)
{
	uintptr_t a;

	(void)state;
	start(&P);
	a = map(&P, 0x60000000, 2 * PG, RW, FIXED);
	/* mmap */
	assert_int_equal(as_mmap(&P.as, 0, 0, RW, ANON, NULL, 0), -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, MM_MAP_ANONYMOUS, NULL, 0), -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, MM_MAP_SHARED_VALIDATE | MM_MAP_ANONYMOUS, NULL, 0),
			 -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0x60000001, PG, RW, FIXED, NULL, 0), -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, ANON, NULL, 100), -MM_EINVAL);
	assert_int_equal(as_mmap(&P.as, 0, UINT64_MAX - 10, RW, ANON, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, 0, 1ull << 47, RW, ANON, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, AS_TASK_SIZE, PG, RW, FIXED, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, AS_TASK_SIZE - PG, 2 * PG, RW, FIXED, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, AS_TASK_SIZE - PG, PG, RW, FIXED, NULL, 0), (long)(AS_TASK_SIZE - PG));
	assert_int_equal(as_mmap(&P.as, 0x1000, PG, RW, FIXED, NULL, 0), -MM_EPERM);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, FIXED, NULL, 0), -MM_EPERM);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, ANON | MM_MAP_HUGETLB, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, 0, PG, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_GROWSDOWN,
				 NULL, 0), -MM_EINVAL);
	/* More than all RAM, private writable: the overcommit heuristic says no... */
	assert_int_equal(as_mmap(&P.as, 0, BIG, RW, ANON, NULL, 0), -MM_ENOMEM);
	/* ...unless MAP_NORESERVE or read-only. */
	long big = as_mmap(&P.as, 0, BIG, RW, ANON | MM_MAP_NORESERVE, NULL, 0);
	assert_false(as_is_err(big));
	assert_int_equal(as_munmap(&P.as, (uintptr_t)big, BIG), 0);
	/* A hint in the null guard moves up to it. */
	long h = as_mmap(&P.as, 0x2000, PG, RW, ANON, NULL, 0);
	assert_int_equal(h, (long)AS_MMAP_MIN_ADDR);
	/* munmap */
	assert_int_equal(as_munmap(&P.as, a + 1, PG), -MM_EINVAL);
	assert_int_equal(as_munmap(&P.as, a, 0), -MM_EINVAL);
	assert_int_equal(as_munmap(&P.as, AS_TASK_SIZE + PG, PG), -MM_EINVAL);
	assert_int_equal(as_munmap(&P.as, a, UINT64_MAX), -MM_EINVAL);
	assert_int_equal(as_munmap(&P.as, 0x70000000, PG), 0);
	/* mprotect */
	assert_int_equal(as_mprotect(&P.as, a + 1, PG, MM_PROT_READ), -MM_EINVAL);
	assert_int_equal(as_mprotect(&P.as, a, 0, MM_PROT_READ), 0);
	assert_int_equal(as_mprotect(&P.as, a, PG, 0x10), -MM_EINVAL);
	assert_int_equal(as_mprotect(&P.as, a, PG, MM_PROT_READ | MM_PROT_SEM), 0);
	assert_int_equal(as_mprotect(&P.as, a, PG, MM_PROT_GROWSDOWN | MM_PROT_GROWSUP), -MM_EINVAL);
	assert_int_equal(as_mprotect(&P.as, a, PG, MM_PROT_READ | MM_PROT_GROWSDOWN), -MM_EINVAL);
	assert_int_equal(as_mprotect(&P.as, a, UINT64_MAX - 100, MM_PROT_READ), -MM_ENOMEM);
	assert_int_equal(as_mprotect(&P.as, 0x70000000, PG, MM_PROT_READ), -MM_ENOMEM);
	assert_int_equal(as_mprotect(&P.as, a - PG, 2 * PG, MM_PROT_READ), -MM_ENOMEM);
	/* mremap */
	assert_int_equal(as_mremap(&P.as, a, PG, 2 * PG, 8, 0), -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, a, PG, 2 * PG, MM_MREMAP_FIXED, 0x70000000), -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, a, PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_DONTUNMAP, 0),
			 -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, a + 1, PG, 2 * PG, 0, 0), -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, a, PG, 0, 0, 0), -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, 0x70000000, PG, 2 * PG, 0, 0), -MM_EFAULT);
	assert_int_equal(as_mremap(&P.as, a, 3 * PG, 4 * PG, 0, 0), -MM_EFAULT);
	assert_int_equal(as_mremap(&P.as, a, PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a - PG),
			 -MM_EINVAL);	/* overlapping */
	assert_int_equal(as_mremap(&P.as, a, PG, 2 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a + 17),
			 -MM_EINVAL);
	assert_int_equal(as_mremap(&P.as, 0x70000000, PG, PG, 0, 0), -MM_EFAULT);	/* a hole, even unchanged */
	finish(&P);
}

/* --- memory exhaustion ------------------------------------------------------------------------ */

static void test_out_of_memory(void **state)
{
	struct vm_eaten e = { 0 };
	struct vm_fault f;
	enum vm_fault_result r = VM_FAULT_RESOLVED;
	uintptr_t a;
	unsigned i;

	(void)state;
	start(&P);
	a = map(&P, 0, 256 * PG, RW, ANON);
	uintptr_t s = map(&P, 0, 64 * PG, RW, SHARED);
	vm_eat(&e, 40);
	for (i = 0; i < 256 && r == VM_FAULT_RESOLVED; i++) {
		f = (struct vm_fault){ .addr = a + i * PG, .flags = VM_FAULT_USER | VM_FAULT_WRITE };
		r = vm_handle_fault(&P.as.vs, &f);
	}
	assert_int_equal(r, VM_FAULT_OOM);
	assert_true(i > 1);
	f = (struct vm_fault){ .addr = s, .flags = VM_FAULT_USER | VM_FAULT_WRITE };
	assert_int_equal(vm_handle_fault(&P.as.vs, &f), VM_FAULT_OOM);
	/* Calls that need memory fail cleanly. */
	for (i = 0; i < 64; i++)
		if (as_mmap(&P.as, 0, PG, i % 2 ? RW : MM_PROT_READ, SHARED, NULL, 0) == -MM_ENOMEM)
			break;
	assert_true(i < 64);
	assert_int_equal(as_check(&P.as), 0);
	/* fork without memory fails and leaves nothing behind. */
	assert_int_equal(as_fork(&C.as, &P.as), -MM_ENOMEM);
	assert_int_equal(as_check(&P.as), 0);
	finish(&P);
	vm_uneat(&e);
	/* A fork failing half-way (tables for some pages but not all). */
	start(&P);
	a = map(&P, 0, 4096 * PG, RW, ANON);
	for (i = 0; i < 4096; i += 512)
		assert_int_equal(uwrite8(&P, a + i * PG, 1), 0);
	for (size_t leave = 0; leave < 12; leave++) {
		vm_eat(&e, leave);
		int err = as_fork(&C.as, &P.as);
		if (!err)
			finish(&C);
		else
			assert_int_equal(err, -MM_ENOMEM);
		vm_uneat(&e);
	}
	finish(&P);
}

/* --- layout, accounting ------------------------------------------------------------------------ */

static void test_aslr(void **state)
{
	uint64_t seed = 1;
	struct as_params ap = params();
	uintptr_t stack[2], base[2], brk[2];

	(void)state;
	/* Off: Linux's fixed layout. */
	start(&P);
	assert_int_equal(P.as.stack_top, AS_TASK_SIZE);
	assert_int_equal(P.as.mmap_base, AS_TASK_SIZE - AS_MMAP_GAP_MIN);
	assert_int_equal(P.as.start_brk, AS_BRK_DEFAULT);
	assert_int_equal(as_set_brk_base(&P.as, 0x601234), 0);
	assert_int_equal(P.as.start_brk, 0x602000);
	assert_int_equal(as_brk(&P.as, 0x604000), 0x604000);
	assert_int_equal(as_set_brk_base(&P.as, 0x700000), -MM_EBUSY);
	finish(&P);
	/* On: different per space, in Linux's ranges, the same for the same seed. */
	ap.random = test_random;
	ap.random_ctx = &seed;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(as_init(&P.as, &ap), 0);
		assert_int_equal(as_set_brk_base(&P.as, 0x601234), 0);
		stack[i] = P.as.stack_top;
		base[i] = P.as.mmap_base;
		brk[i] = P.as.start_brk;
		assert_true(stack[i] <= AS_TASK_SIZE && stack[i] >= AS_TASK_SIZE - ((AS_STACK_RND_MASK + 1) << PAGE_SHIFT));
		assert_true(base[i] < stack[i] - P.as.stack_limit - AS_STACK_GUARD_GAP);
		assert_true(brk[i] >= 0x602000 && brk[i] < 0x602000 + AS_BRK_RND_RANGE);
		assert_int_equal(stack[i] % PG + base[i] % PG + brk[i] % PG, 0);
		finish(&P);
	}
	assert_true(stack[0] != stack[1] && base[0] != base[1]);
	/* The boot option switches it off. */
	ap.no_aslr = true;
	assert_int_equal(as_init(&P.as, &ap), 0);
	assert_int_equal(P.as.stack_top, AS_TASK_SIZE);
	finish(&P);
}

struct listing {
	char names[16][16];
	uint64_t resident[16];
	uintptr_t start[16], end[16];
	unsigned n;
};

static int list_region(const struct as_region_info *ri, void *ctx)
{
	struct listing *l = ctx;

	if (l->n < 16) {
		l->resident[l->n] = ri->resident;
		l->start[l->n] = ri->start;
		l->end[l->n] = ri->end;
		snprintf(l->names[l->n++], 16, "%s", ri->name);
	}
	return 0;
}

static void test_accounting(void **state)
{
	static const uint8_t data[10] = "0123456789";
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct as_file f = { "/bin/sh", pc, NULL, NULL, NULL, false };
	struct listing l = { 0 };
	struct as_stats st;

	(void)state;
	assert_int_equal(pcache_write(pc, 0, data, sizeof(data)), sizeof(data));
	start(&P);
	assert_int_equal(as_mmap(&P.as, 0x400000, PG, MM_PROT_READ | MM_PROT_EXEC,
				 MM_MAP_PRIVATE | MM_MAP_FIXED, &f, 0), 0x400000);
	assert_int_equal(as_set_brk_base(&P.as, 0x401000), 0);
	assert_int_equal(as_brk(&P.as, 0x403000), 0x403000);
	map(&P, 0, 3 * PG, RW, ANON);
	map(&P, 0, PG, RW, SHARED);
	assert_int_equal(uwrite8(&P, 0x401000, 1), 0);
	assert_int_equal(ufetch8(&P, 0x400000), 0);
	as_get_stats(&P.as, &st);
	assert_int_equal(st.rss, 2);
	assert_int_equal(st.regions, 5);
	assert_int_equal(st.heap, 2 * PG);
	assert_int_equal(st.stack, AS_STACK_INITIAL);
	assert_int_equal(st.vsize, PG + 2 * PG + 3 * PG + PG + AS_STACK_INITIAL);
	assert_true(st.table_pages >= P.as.vs.pt.fmt->levels);
	as_for_each_region(&P.as, list_region, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.names[0], "/bin/sh");
	assert_string_equal(l.names[1], "[heap]");
	assert_string_equal(l.names[4], "[stack]");
	assert_int_equal(l.resident[0], 1);
	assert_int_equal(l.resident[1], 1);
	assert_int_equal(l.resident[2], 0);
	/* Kernel access to a space not running: copy out and back in. */
	char buf[64] = "hello, world", back[64] = { 0 };
	uintptr_t top = P.as.stack_top;
	assert_int_equal(as_copy_out(&P.as, top - 30, buf, sizeof(buf)), -MM_EFAULT);
	assert_int_equal(as_copy_out(&P.as, top - 64, buf, sizeof(buf)), 0);
	assert_int_equal(as_copy_in(&P.as, back, top - 64, sizeof(back)), 0);
	assert_string_equal(back, "hello, world");
	assert_int_equal(as_copy_out(&P.as, 0x400000, buf, 1), -MM_EFAULT);
	finish(&P);
	pcache_put(pc);
}

/*
 * The listing counts pages a batch per hold of the lock: a region of many
 * batches, with holes and untouched tables, counts exactly, and a walk
 * stopped by its callback stops.
 */
static int stop_at_second(const struct as_region_info *ri, void *ctx)
{
	(void)ri;
	return ++*(unsigned *)ctx == 2 ? 7 : 0;
}

static void test_listing_batches(void **state)
{
	const uint64_t pages = 3 * 256 + 5;	/* 256 pages: AS_BATCH_BYTES, as_internal.h */
	struct listing l = { 0 };
	unsigned calls = 0;
	uintptr_t a, b;
	uint64_t touched = 0;

	(void)state;
	start(&P);
	a = map(&P, 0, (pages + 1024) * PG, RW, ANON);
	b = map(&P, 0, 2 * PG, MM_PROT_READ, ANON);
	for (uint64_t i = 0; i < pages; i += (i % 7) ? 1 : 3, touched++)
		assert_int_equal(uwrite8(&P, a + i * PG, 1), 0);
	assert_int_equal(uwrite8(&P, a + (pages + 1023) * PG, 1), 0);
	touched++;
	as_for_each_region(&P.as, list_region, &l);
	for (unsigned i = 0; i < l.n; i++) {
		if (l.start[i] == a) {
			assert_int_equal(l.end[i], a + (pages + 1024) * PG);
			assert_int_equal(l.resident[i], touched);
		}
		if (l.start[i] == b)
			assert_int_equal(l.resident[i], 0);
		if (i)
			assert_true(l.start[i] >= l.end[i - 1]);
	}
	assert_int_equal(as_for_each_region(&P.as, stop_at_second, &calls), 7);
	assert_int_equal(calls, 2);
	finish(&P);
}

/* --- resource limits (RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK) -------------------------------- */

static void test_limits(void **state)
{
	struct as_limits lim = { AS_RLIM_INFINITY, AS_RLIM_INFINITY, AS_RLIM_INFINITY,
				 AS_RLIM_INFINITY, 0 };
	uint64_t total;
	long a, ro;

	(void)state;
	start(&P);
	assert_int_equal(as_set_brk_base(&P.as, 0x1000000), 0);
	total = P.as.total_vm;
	lim.as_cur = (total + 64) * PG;
	as_set_limits(&P.as, &lim);
	/* RLIMIT_AS: 64 pages of room, whatever the kind. */
	assert_int_equal(as_mmap(&P.as, 0, 65 * PG, MM_PROT_NONE, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS,
				 NULL, 0), -MM_ENOMEM);
	a = as_mmap(&P.as, 0, 64 * PG, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);
	assert_false(as_is_err(a));
	assert_int_equal(as_mmap(&P.as, a, 64 * PG, RW, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED,
				 NULL, 0), a);		/* replacing pages costs nothing */
	assert_int_equal(as_brk(&P.as, 0x1000000 + PG), 0x1000000);
	assert_int_equal(as_mremap(&P.as, a, 32 * PG, 33 * PG, 0, 0), -MM_ENOMEM);
	assert_int_equal(as_munmap(&P.as, a, 64 * PG), 0);
	/* RLIMIT_DATA: only private writable memory counts. */
	lim.as_cur = AS_RLIM_INFINITY;
	lim.data_cur = lim.data_max = (P.as.data_vm + 16) * PG;
	as_set_limits(&P.as, &lim);
	assert_int_equal(as_mmap(&P.as, 0, 17 * PG, RW, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0),
			 -MM_ENOMEM);
	ro = as_mmap(&P.as, 0, 32 * PG, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);
	assert_false(as_is_err(ro));
	assert_int_equal(as_mprotect(&P.as, ro, 17 * PG, RW), -MM_ENOMEM);
	assert_int_equal(as_mprotect(&P.as, ro, 16 * PG, RW), 0);
	assert_false(as_is_err(as_mmap(&P.as, 0, 64 * PG, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS, NULL, 0)));
	/* RLIMIT_MEMLOCK: 8 pages; 0 forbids locking. */
	lim.data_cur = lim.data_max = AS_RLIM_INFINITY;
	lim.memlock = 8 * PG;
	as_set_limits(&P.as, &lim);
	assert_int_equal(as_mlock(&P.as, ro + 16 * PG, 4 * PG, 0), 0);
	assert_int_equal(as_mlock(&P.as, ro + 16 * PG, 8 * PG, 0), 0);
	assert_int_equal(as_mlock(&P.as, ro + 24 * PG, PG, 0), -MM_ENOMEM);
	assert_int_equal(as_munlock(&P.as, ro + 16 * PG, 8 * PG), 0);
	assert_int_equal(P.as.locked_vm, 0);
	lim.memlock = 0;
	as_set_limits(&P.as, &lim);
	assert_int_equal(as_mlock(&P.as, ro, PG, 0), -MM_EPERM);
	assert_int_equal(as_check(&P.as), 0);
	finish(&P);
}

/* Is every region of @p locked (@on) or none? */
static bool all_locked(struct proc *p, bool on)
{
	for (uint32_t i = 0; i < p->as.nr; i++)
		if (!(p->as.reg[i].flags & AS_R_LOCKED) != !on)
			return false;
	return true;
}

/*
 * mlockall and munlockall over a thousand regions change every one, and let
 * the lock go between batches (a preemption point each time) rather than
 * hold it, interrupts off, for the whole walk.
 */
static void test_mlockall_many_regions(void **state)
{
	const unsigned n = 1000;
	unsigned long points;
	uint32_t nr;
	uintptr_t a;

	(void)state;
	start(&P);
	a = map(&P, 0, n * PG, RW, ANON);
	for (unsigned i = 0; i < n; i += 2)
		assert_int_equal(as_mprotect(&P.as, a + i * PG, PG, MM_PROT_READ), 0);
	nr = nregions(&P);
	assert_true(nr >= n);
	/* MCL_ONFAULT: no populating, whose own preemption points would count too. */
	points = sim_count.preempt_points;
	assert_int_equal(as_mlockall(&P.as, MM_MCL_CURRENT | MM_MCL_ONFAULT), 0);
	assert_true(sim_count.preempt_points - points >= n / 64);
	assert_true(all_locked(&P, true));
	assert_int_equal(P.as.locked_vm, P.as.total_vm);
	assert_int_equal(as_check(&P.as), 0);
	points = sim_count.preempt_points;
	assert_int_equal(as_munlockall(&P.as), 0);
	assert_true(sim_count.preempt_points - points >= n / 64);
	assert_true(all_locked(&P, false));
	assert_int_equal(P.as.locked_vm, 0);
	/* Populating too: every page is there afterwards. */
	assert_int_equal(as_mlockall(&P.as, MM_MCL_CURRENT), 0);
	assert_true(all_locked(&P, true));
	for (unsigned i = 0; i < n; i++)
		assert_true(pt_translate(&P.as.vs.pt, a + i * PG, NULL, NULL, NULL));
	assert_int_equal(as_munlockall(&P.as), 0);
	assert_int_equal(nregions(&P), nr);	/* split by protection only, as before */
	finish(&P);
}

/* The flags of @p's region holding @va (0 in a hole). */
static uint32_t flags_at(struct proc *p, uintptr_t va)
{
	for (uint32_t i = 0; i < p->as.nr; i++)
		if (p->as.reg[i].start <= va && va < p->as.reg[i].end)
			return p->as.reg[i].flags;
	return 0;
}

/*
 * Locking on fault (MLOCK_ONFAULT, MCL_FUTURE | MCL_ONFAULT) populates
 * nothing, MAP_POPULATE included, and such a region stays apart from one
 * locked outright until both are alike again.
 */
static void test_lock_onfault(void **state)
{
	const uint32_t onfault = AS_R_LOCKED | AS_R_LOCKONFAULT;
	uint32_t nr;
	uintptr_t a;
	long b;

	(void)state;
	start(&P);
	a = map(&P, 0, 4 * PG, RW, ANON);
	assert_int_equal(as_mlock(&P.as, a, 4 * PG, MM_MLOCK_ONFAULT), 0);
	assert_int_equal(flags_at(&P, a) & onfault, onfault);
	assert_int_equal(P.as.locked_vm, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_false(pt_translate(&P.as.vs.pt, a + i * PG, NULL, NULL, NULL));
	assert_int_equal(uwrite8(&P, a + 3 * PG, 1), 0);	/* one identity for every piece */
	nr = nregions(&P);
	assert_int_equal(as_mlock(&P.as, a, 2 * PG, 0), 0);		/* outright: populated */
	assert_int_equal(flags_at(&P, a) & onfault, AS_R_LOCKED);
	assert_true(pt_translate(&P.as.vs.pt, a + PG, NULL, NULL, NULL));
	assert_false(pt_translate(&P.as.vs.pt, a + 2 * PG, NULL, NULL, NULL));
	assert_int_equal(nregions(&P), nr + 1);			/* the two kinds do not merge */
	assert_int_equal(P.as.locked_vm, 4);
	assert_int_equal(as_mlock(&P.as, a, 2 * PG, MM_MLOCK_ONFAULT), 0);
	assert_int_equal(nregions(&P), nr);			/* alike again: merged */
	assert_int_equal(as_munlock(&P.as, a, 4 * PG), 0);
	assert_int_equal(flags_at(&P, a) & onfault, 0);
	assert_int_equal(P.as.locked_vm, 0);
	/* MCL_FUTURE | MCL_ONFAULT: a new mapping is locked on fault, MAP_POPULATE or not. */
	assert_int_equal(as_mlockall(&P.as, MM_MCL_FUTURE | MM_MCL_ONFAULT), 0);
	b = as_mmap(&P.as, 0, 4 * PG, RW, ANON | MM_MAP_POPULATE, NULL, 0);
	assert_false(as_is_err(b));
	assert_int_equal(flags_at(&P, (uintptr_t)b) & onfault, onfault);
	for (unsigned i = 0; i < 4; i++)
		assert_false(pt_translate(&P.as.vs.pt, (uintptr_t)b + i * PG, NULL, NULL, NULL));
	/* MCL_FUTURE alone: populated. */
	assert_int_equal(as_mlockall(&P.as, MM_MCL_FUTURE), 0);
	b = as_mmap(&P.as, 0, 4 * PG, RW, ANON, NULL, 0);
	assert_false(as_is_err(b));
	assert_int_equal(flags_at(&P, (uintptr_t)b) & onfault, AS_R_LOCKED);
	for (unsigned i = 0; i < 4; i++)
		assert_true(pt_translate(&P.as.vs.pt, (uintptr_t)b + i * PG, NULL, NULL, NULL));
	assert_int_equal(as_munlockall(&P.as), 0);
	assert_int_equal(P.as.locked_vm, 0);
	assert_int_equal(as_check(&P.as), 0);
	finish(&P);
}

/* --- commit accounting ---------------------------------------------------------------- */

static void test_commit_strict(void **state)
{
	uint64_t base;
	long a, b;

	(void)state;
	vm_commit_configure(VM_OVERCOMMIT_NEVER, 50, 2000);	/* CommitLimit: 1000 pages */
	start(&P);
	base = vm_committed_pages();
	assert_int_equal(base, AS_STACK_INITIAL / PG);		/* the stack is committed */
	a = as_mmap(&P.as, 0, 600 * PG, RW, ANON, NULL, 0);
	assert_false(as_is_err(a));
	assert_int_equal(vm_committed_pages(), base + 600);
	assert_int_equal(as_mmap(&P.as, 0, 400 * PG, RW, ANON, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mmap(&P.as, 0, 400 * PG, RW, ANON | MM_MAP_NORESERVE, NULL, 0),
			 -MM_ENOMEM);			/* NORESERVE counts in strict mode */
	b = as_mmap(&P.as, 0, 4000 * PG, MM_PROT_READ, ANON, NULL, 0);
	assert_false(as_is_err(b));				/* read-only is not committed */
	assert_int_equal(as_mprotect(&P.as, (uintptr_t)b, 400 * PG, RW), -MM_ENOMEM);
	assert_int_equal(as_mprotect(&P.as, (uintptr_t)b, 100 * PG, RW), 0);
	assert_int_equal(vm_committed_pages(), base + 700);
	assert_int_equal(as_mmap(&P.as, 0, 400 * PG, RW, SHARED, NULL, 0), -MM_ENOMEM);
	assert_int_equal(as_mremap(&P.as, (uintptr_t)a, 600 * PG, 1000 * PG, MM_MREMAP_MAYMOVE, 0),
			 -MM_ENOMEM);			/* growth is committed too */
	assert_int_equal(as_brk(&P.as, P.as.start_brk + 400 * PG), P.as.start_brk);
	assert_int_equal(as_fork(&C.as, &P.as), -MM_ENOMEM);	/* the child would need 732 more */
	assert_int_equal(vm_committed_pages(), base + 700);
	assert_int_equal(as_munmap(&P.as, (uintptr_t)a + 100 * PG, 300 * PG), 0);
	assert_int_equal(vm_committed_pages(), base + 400);
	a = as_mmap(&P.as, 0, 500 * PG, RW, SHARED, NULL, 0);
	assert_false(as_is_err(a));
	assert_int_equal(vm_committed_pages(), base + 900);
	assert_int_equal(as_munmap(&P.as, (uintptr_t)a, 500 * PG), 0);
	assert_int_equal(vm_committed_pages(), base + 400);
	fork_into(&C, &P);					/* 432 more now fit */
	assert_int_equal(vm_committed_pages(), 2 * (base + 400));
	finish(&C);
	finish(&P);
	assert_int_equal(vm_committed_pages(), 0);
	vm_commit_configure(VM_OVERCOMMIT_GUESS, 50, 0);
}

static void test_commit_modes(void **state)
{
	(void)state;
	start(&P);
	/* Heuristic: one request may not exceed all of RAM. */
	assert_int_equal(as_mmap(&P.as, 0, (P.as.commit_limit + 1) * PG, RW, ANON, NULL, 0),
			 -MM_ENOMEM);
	assert_false(as_is_err(as_mmap(&P.as, 0, (P.as.commit_limit + 1) * PG, RW,
				       ANON | MM_MAP_NORESERVE, NULL, 0)));
	/* Always: anything. */
	vm_commit_configure(VM_OVERCOMMIT_ALWAYS, 50, 0);
	assert_false(as_is_err(as_mmap(&P.as, 0, (P.as.commit_limit + 1) * PG, RW, ANON, NULL, 0)));
	vm_commit_configure(VM_OVERCOMMIT_GUESS, 50, 0);
	finish(&P);
	assert_int_equal(vm_committed_pages(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_pages_are_zero, before, after),
		cmocka_unit_test_setup_teardown(test_munmap_middle_splits, before, after),
		cmocka_unit_test_setup_teardown(test_mprotect_partial, before, after),
		cmocka_unit_test_setup_teardown(test_pkeys, before, after),
		cmocka_unit_test_setup_teardown(test_pkeys_exec_only, before, after),
		cmocka_unit_test_setup_teardown(test_prot_none_and_read_only, before, after),
		cmocka_unit_test_setup_teardown(test_fork_cow_both_ways, before, after),
		cmocka_unit_test_setup_teardown(test_shared_survives_fork, before, after),
		cmocka_unit_test_setup_teardown(test_shared_one_page, before, after),
		cmocka_unit_test_setup_teardown(test_fork_200_children, before, after),
		cmocka_unit_test_setup_teardown(test_brk, before, after),
		cmocka_unit_test_setup_teardown(test_mremap, before, after),
		cmocka_unit_test_setup_teardown(test_madvise_dontneed, before, after),
		cmocka_unit_test_setup_teardown(test_map_fixed, before, after),
		cmocka_unit_test_setup_teardown(test_file_private, before, after),
		cmocka_unit_test_setup_teardown(test_stack_growth, before, after),
		cmocka_unit_test_setup_teardown(test_linux_errno, before, after),
		cmocka_unit_test_setup_teardown(test_out_of_memory, before, after),
		cmocka_unit_test_setup_teardown(test_aslr, before, after),
		cmocka_unit_test_setup_teardown(test_accounting, before, after),
		cmocka_unit_test_setup_teardown(test_listing_batches, before, after),
		cmocka_unit_test_setup_teardown(test_commit_strict, before, after),
		cmocka_unit_test_setup_teardown(test_commit_modes, before, after),
		cmocka_unit_test_setup_teardown(test_limits, before, after),
		cmocka_unit_test_setup_teardown(test_mlockall_many_regions, before, after),
		cmocka_unit_test_setup_teardown(test_lock_onfault, before, after),
	};

	int failed = cmocka_run_group_tests_name("as", tests, sim_group_setup, sim_group_teardown);

	/* Again with the region array moving at every reserve: no region pointer may outlive one. */
	moving = true;
	return failed + cmocka_run_group_tests_name("as, region array moving", tests, sim_group_setup,
						    sim_group_teardown);
}
