// SPDX-License-Identifier: MIT
/*
 * The Win32 region state machine (mm/as_win32.c) through the soft MMU:
 * reserve, commit, decommit, release, VirtualQuery's fields, protections,
 * guard pages, 64 KiB placement, commit accounting, Microsoft's error codes,
 * Linux's munmap/mprotect on Win32 pages, fork, and every frame back.
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
#include "mm/as_win32.h"
#include "mm/commit.h"
#include "mm/heap.h"
#include "mm/pcache.h"
#include "host/heap_pages_mmap.h"

#define U	SMMU_USER
#define G	((uintptr_t)MEMCORE_WIN32_GRANULARITY)

/* A heap for the core's own objects (a section's commit state). */
static int heap_group_setup(void **state)
{
	(void)state;
	heap_pages_mmap_set_arena((size_t)1 << (sizeof(size_t) == 8 ? 30 : 26));
	return heap_init(&heap_pages_mmap, 0);
}

static struct pt_space kspace;
static uint64_t free0, commit0;
static struct proc P, C;
/* The second run: every as_region_reserve() moves the region array (struct as). */
static bool moving;

static int before(void **state)
{
	struct as_params ap = { .kernel = &kspace, .move_regions = moving };

	(void)state;
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	assert_int_equal(pt_space_init(&kspace, VM_NATIVE_FORMAT), 0);
	assert_int_equal(as_init(&P.as, &ap), 0);
	as_destroy(&P.as);
	free0 = sim_free_frames();
	commit0 = vm_committed_pages();
	assert_int_equal(as_init(&P.as, &ap), 0);
	proc_cpu(&P);
	return 0;
}

static int after(void **state)
{
	(void)state;
	assert_int_equal(as_check(&P.as), 0);
	as_destroy(&P.as);
	assert_int_equal(sim_free_frames(), free0);
	assert_int_equal(vm_committed_pages(), commit0);
	pt_space_destroy(&kspace);
	return 0;
}

static uintptr_t walloc(uintptr_t a, uint64_t size, uint32_t type, uint32_t prot)
{
	long r = VirtualAllocProcessMemory(&P.as, a, size, type, prot);

	assert_true(r != 0 && !as_is_err(r));	/* above 2 GiB, a 32-bit long is negative */
	return (uintptr_t)r;
}

static struct memory_basic_information query(uintptr_t a)
{
	struct memory_basic_information m;

	assert_int_equal(VirtualQueryProcessMemory(&P.as, a, &m), sizeof(m));
	return m;
}

static void expect(uintptr_t a, uintptr_t base, uintptr_t abase, uint32_t aprot, uint64_t size,
		   uint32_t state, uint32_t prot, uint32_t type)
{
	struct memory_basic_information m = query(a);

	assert_int_equal(m.base_address, base);
	assert_int_equal(m.allocation_base, abase);
	assert_int_equal(m.allocation_protect, aprot);
	assert_int_equal(m.region_size, size);
	assert_int_equal(m.state, state);
	assert_int_equal(m.protect, prot);
	assert_int_equal(m.type, type);
}

static int uwrite(uintptr_t va, uint8_t v)
{
	return uwrite8(&P, va, v);
}

static void test_reserve_commit_release(void **state)
{
	uintptr_t a;
	uint64_t c0 = vm_committed_pages();

	(void)state;
	a = walloc(0, 1 << 20, MEM_RESERVE, PAGE_READWRITE);
	assert_int_equal(a % G, 0);
	assert_int_equal(vm_committed_pages(), c0);		/* reserving charges nothing */
	expect(a + 5, a, a, PAGE_READWRITE, 1 << 20, MEM_RESERVE, 0, MEM_PRIVATE);
	assert_int_not_equal(uwrite(a, 1), 0);			/* reserved: no access */
	assert_int_equal(upeek(&P, a), -1);
	/* Commit 2 pages from the middle of a page: both pages touched. */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 3 * PG + 100, PG, MEM_COMMIT,
						   PAGE_READWRITE), (long)(a + 3 * PG));
	assert_int_equal(vm_committed_pages(), c0 + 2);
	expect(a, a, a, PAGE_READWRITE, 3 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	expect(a + 3 * PG, a + 3 * PG, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	expect(a + 5 * PG, a + 5 * PG, a, PAGE_READWRITE, (1 << 20) - 5 * PG, MEM_RESERVE, 0,
	       MEM_PRIVATE);
	assert_int_equal(upeek(&P, a + 3 * PG), 0);		/* zero-filled */
	assert_int_equal(uwrite(a + 4 * PG + 9, 7), 0);
	assert_int_equal(upeek(&P, a + 4 * PG + 9), 7);
	/* Committing again keeps the data and takes the new protection. */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 3 * PG, 2 * PG, MEM_COMMIT,
						   PAGE_READONLY), (long)(a + 3 * PG));
	assert_int_equal(vm_committed_pages(), c0 + 2);
	assert_int_equal(upeek(&P, a + 4 * PG + 9), 7);
	assert_int_not_equal(uwrite(a + 4 * PG, 1), 0);
	/* Decommit frees the frames and the charge; the reservation stays. */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a + 4 * PG, PG, MEM_DECOMMIT), 0);
	assert_int_equal(vm_committed_pages(), c0 + 1);
	expect(a + 4 * PG, a + 4 * PG, a, PAGE_READWRITE, (1 << 20) - 4 * PG, MEM_RESERVE, 0,
	       MEM_PRIVATE);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 4 * PG, 1, MEM_COMMIT, PAGE_READWRITE),
			 (long)(a + 4 * PG));
	assert_int_equal(upeek(&P, a + 4 * PG + 9), 0);		/* recommitted: zero again */
	/* Release needs the base and size 0. */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, PG, MEM_RELEASE), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a + PG, 0, MEM_RELEASE), -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(vm_committed_pages(), c0);
	assert_int_equal(query(a).state, MEM_FREE);
	assert_int_equal(query(a).protect, PAGE_NOACCESS);
	assert_int_equal(query(a).allocation_base, 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), -ERROR_INVALID_ADDRESS);
}

static void test_placement_and_errors(void **state)
{
	uintptr_t a, b;

	(void)state;
	a = walloc(0, 5000, MEM_COMMIT, PAGE_READWRITE);	/* commit alone, no address: reserves */
	expect(a, a, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	/* The rest of its 64 KiB is free but cannot be an allocation base. */
	expect(a + 2 * PG, a + 2 * PG, 0, 0, query(a + 2 * PG).region_size, MEM_FREE, PAGE_NOACCESS, 0);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 4 * PG, PG, MEM_RESERVE, PAGE_READWRITE),
			 -ERROR_INVALID_ADDRESS);
	/* A fixed reservation is rounded down to 64 KiB. */
	b = a - 4 * G;
	assert_int_equal(VirtualAllocProcessMemory(&P.as, b + 5 * PG + 3, 3 * PG, MEM_RESERVE,
						   PAGE_NOACCESS), (long)b);
	expect(b, b, b, PAGE_NOACCESS, 9 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	/* Committing beyond the reservation, or across two, fails. */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, b + 8 * PG, 2 * PG, MEM_COMMIT, PAGE_READWRITE),
			 -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, b - G, PG, MEM_COMMIT, PAGE_READWRITE),
			 -ERROR_INVALID_ADDRESS);
	/* Arguments. */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, 0, MEM_COMMIT, PAGE_READWRITE),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, 0, PAGE_READWRITE),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT, 0),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT,
						   PAGE_READWRITE | PAGE_READONLY), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT,
						   PAGE_NOACCESS | PAGE_GUARD), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT,
						   PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT, PAGE_WRITECOPY),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT | MEM_DECOMMIT,
						   PAGE_READWRITE), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT | MEM_LARGE_PAGES,
						   PAGE_READWRITE), -ERROR_PRIVILEGE_NOT_HELD);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, AS_TASK_SIZE, PG, MEM_RESERVE,
						   PAGE_READWRITE), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, (uint64_t)-1 / 2, MEM_RESERVE,
						   PAGE_READWRITE), -ERROR_NOT_ENOUGH_MEMORY);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE | MEM_DECOMMIT),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, 0), -ERROR_INVALID_PARAMETER);
	/* MEM_RESET wants committed pages; it drops their contents, and the undo says so. */
	assert_int_equal(uwrite(a, 5), 0);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a, PG, MEM_RESET_UNDO, PAGE_NOACCESS), (long)a);
	assert_int_equal(upeek(&P, a), 5);			/* never reset: intact */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a, PG, MEM_RESET, PAGE_NOACCESS), (long)a);
	assert_int_equal(upeek(&P, a), 0);			/* discarded */
	assert_int_equal(query(a).state, MEM_COMMIT);		/* ... still committed */
	assert_int_equal(uwrite(a, 6), 0);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a, PG, MEM_RESET_UNDO, PAGE_NOACCESS),
			 -ERROR_BUSY);
	assert_int_equal(upeek(&P, a), 6);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a, PG, MEM_RESET_UNDO, PAGE_NOACCESS), (long)a);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, b, PG, MEM_RESET, PAGE_NOACCESS),
			 -ERROR_INVALID_ADDRESS);
	{
		struct memory_basic_information m;

		assert_int_equal(VirtualQueryProcessMemory(&P.as, AS_TASK_SIZE, &m),
				 -ERROR_INVALID_PARAMETER);
	}
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, b, 0, MEM_RELEASE), 0);
}

static void test_protect_and_decommit_all(void **state)
{
	uintptr_t a;
	uint32_t old = 0;
	uint32_t n0 = P.as.nr;

	(void)state;
	a = walloc(0, 16 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	assert_int_equal(uwrite(a + 5 * PG, 3), 0);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 5 * PG, 2 * PG, PAGE_READONLY, &old), 0);
	assert_int_equal(old, PAGE_READWRITE);
	assert_int_not_equal(uwrite(a + 5 * PG, 1), 0);
	assert_int_equal(upeek(&P, a + 5 * PG), 3);
	expect(a, a, a, PAGE_READWRITE, 5 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	expect(a + 5 * PG, a + 5 * PG, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READONLY,
	       MEM_PRIVATE);
	assert_int_equal(P.as.nr, n0 + 3);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 5 * PG, 2 * PG, PAGE_READWRITE, &old), 0);
	assert_int_equal(old, PAGE_READONLY);
	assert_int_equal(P.as.nr, n0 + 1);			/* alike again: merged */
	/* Protection needs committed pages of one allocation. */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a + 8 * PG, 2 * PG, MEM_DECOMMIT), 0);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 7 * PG, 2 * PG, PAGE_READONLY, &old),
			 -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 14 * PG, 4 * PG, PAGE_READONLY, &old),
			 -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a, PG, PAGE_WRITECOPY, &old),
			 -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a, 0, PAGE_READONLY, &old),
			 -ERROR_INVALID_PARAMETER);
	/* Decommit with size 0 at the base: all of it. */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_DECOMMIT), 0);
	expect(a, a, a, PAGE_READWRITE, 16 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	assert_int_equal(upeek(&P, a + 5 * PG), -1);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_DECOMMIT), 0);	/* again: fine */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(P.as.nr, n0);
}

static void test_guard_pages(void **state)
{
	uintptr_t a;
	uint32_t old;

	(void)state;
	a = walloc(0, 4 * PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
	expect(a, a, a, PAGE_READWRITE | PAGE_GUARD, 4 * PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD,
	       MEM_PRIVATE);
	/* The first access fails, once, and only for its page. */
	struct vm_fault f = { .addr = a + PG + 8, .flags = VM_FAULT_USER | VM_FAULT_WRITE };
	assert_int_equal(vm_handle_fault(&P.as.vs, &f), VM_FAULT_GUARD);
	expect(a + PG, a + PG, a, PAGE_READWRITE | PAGE_GUARD, PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	assert_int_equal(uwrite(a + PG + 8, 4), 0);
	assert_int_equal(upeek(&P, a + PG + 8), 4);
	assert_int_not_equal(uwrite(a, 1), 0);			/* page 0: guard hit */
	assert_int_equal(uwrite(a, 1), 0);			/* ... then it works */
	expect(a, a, a, PAGE_READWRITE | PAGE_GUARD, 2 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	/* VirtualProtect sets a guard on data that stays. */
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a, PG, PAGE_READONLY | PAGE_GUARD, &old), 0);
	assert_int_equal(old, PAGE_READWRITE);
	assert_int_equal(upeek(&P, a), -1);
	assert_int_equal(upeek(&P, a), 1);
	assert_int_not_equal(uwrite(a, 2), 0);			/* read-only now */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
}

static void test_linux_calls(void **state)
{
	uintptr_t a;
	uint64_t c0 = vm_committed_pages();

	(void)state;
	a = walloc(0, 32 * PG, MEM_RESERVE, PAGE_READWRITE);
	/* mprotect of reserved pages to accessible commits them. */
	assert_int_equal(as_mprotect(&P.as, a + 2 * PG, 2 * PG, MM_PROT_READ | MM_PROT_WRITE), 0);
	assert_int_equal(vm_committed_pages(), c0 + 2);
	expect(a + 2 * PG, a + 2 * PG, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	assert_int_equal(uwrite(a + 2 * PG, 9), 0);
	/* ... of committed pages re-protects (a read-only page stays committed and charged). */
	assert_int_equal(as_mprotect(&P.as, a + 2 * PG, PG, MM_PROT_READ), 0);
	expect(a + 2 * PG, a + 2 * PG, a, PAGE_READWRITE, PG, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE);
	assert_int_equal(vm_committed_pages(), c0 + 2);
	assert_int_equal(as_mprotect(&P.as, a + 10 * PG, PG, MM_PROT_NONE), 0);	/* stays reserved */
	expect(a + 4 * PG, a + 4 * PG, a, PAGE_READWRITE, 28 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	/* munmap releases pages; the rest of the allocation stays. */
	assert_int_equal(as_munmap(&P.as, a + 3 * PG, 2 * PG), 0);
	assert_int_equal(vm_committed_pages(), c0 + 1);
	assert_int_equal(query(a + 3 * PG).state, MEM_FREE);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 2 * PG, 2 * PG, MEM_COMMIT,
						   PAGE_READWRITE), -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	expect(a + 5 * PG, a + 5 * PG, a, PAGE_READWRITE, 27 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	assert_int_equal(vm_committed_pages(), c0);
	/* An mmap region reads as a committed private allocation of its own. */
	long m = as_mmap(&P.as, 0, 3 * PG, MM_PROT_READ, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);
	assert_false(as_is_err(m));
	expect((uintptr_t)m + PG, (uintptr_t)m + PG, (uintptr_t)m, PAGE_READONLY, 2 * PG, MEM_COMMIT,
	       PAGE_READONLY, MEM_PRIVATE);
	uint32_t old;
	assert_int_equal(VirtualProtectProcessMemory(&P.as, (uintptr_t)m, PG, PAGE_READWRITE, &old), 0);
	assert_int_equal(old, PAGE_READONLY);
	assert_int_equal(uwrite((uintptr_t)m, 1), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, (uintptr_t)m, 0, MEM_RELEASE),
			 -ERROR_INVALID_ADDRESS);
	assert_int_equal(as_munmap(&P.as, (uintptr_t)m, 3 * PG), 0);
}

static void test_fork_and_lock(void **state)
{
	uintptr_t a;

	(void)state;
	a = walloc(0, 8 * PG, MEM_RESERVE, PAGE_READWRITE);
	walloc(a, 2 * PG, MEM_COMMIT, PAGE_READWRITE);
	assert_int_equal(uwrite(a, 6), 0);
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(upeek(&C, a), 6);
	assert_int_equal(uwrite8(&C, a, 7), 0);
	assert_int_equal(upeek(&P, a), 6);
	assert_int_not_equal(uwrite8(&C, a + 3 * PG, 1), 0);	/* still reserved in the child */
	struct memory_basic_information m;
	assert_int_equal(VirtualQueryProcessMemory(&C.as, a, &m), sizeof(m));
	assert_int_equal(m.allocation_base, a);
	assert_int_equal(VirtualFreeProcessMemory(&C.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	assert_int_equal(VirtualLockProcessMemory(&P.as, a, PG, false), -ERROR_NOT_LOCKED);
	assert_int_equal(VirtualLockProcessMemory(&P.as, a, 3 * PG, true), -ERROR_INVALID_ADDRESS);
	assert_int_equal(VirtualLockProcessMemory(&P.as, a, 2 * PG, true), 0);
	assert_int_equal(VirtualLockProcessMemory(&P.as, a, 2 * PG, false), 0);
	assert_int_equal(VirtualLockProcessMemory(&P.as, a, PG, false), -ERROR_NOT_LOCKED);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
}

static void test_commit_limit(void **state)
{
	uintptr_t a;
	uint64_t c0;

	(void)state;
	vm_commit_configure(VM_OVERCOMMIT_NEVER, 50, 2 * vm_committed_pages() + 2000);
	c0 = vm_committed_pages();
	a = walloc(0, 1ull << 30, MEM_RESERVE, PAGE_READWRITE);	/* address space is free */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a, 1ull << 30, MEM_COMMIT, PAGE_READONLY),
			 -ERROR_COMMITMENT_LIMIT);			/* read-only counts too */
	assert_int_equal(vm_committed_pages(), c0);
	walloc(a, 100 * PG, MEM_COMMIT, PAGE_NOACCESS);
	assert_int_equal(vm_committed_pages(), c0 + 100);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, 1ull << 30, MEM_COMMIT, PAGE_READWRITE),
			 -ERROR_COMMITMENT_LIMIT);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(vm_committed_pages(), c0);
	vm_commit_configure(VM_OVERCOMMIT_GUESS, 50, 0);
}

/* Thread stacks: the guard page walks down a page at a time, the last page is never committed. */
static void test_stack_guard(void **state)
{
	uint64_t c0 = vm_committed_pages();
	long base = as_win32_stack(&P.as, 6 * PG, 2 * PG);
	uintptr_t a, top;

	(void)state;
	assert_false(as_is_err(base));
	a = (uintptr_t)base;
	top = a + G;						/* rounded up to 64 KiB */
	assert_int_equal(vm_committed_pages(), c0 + 3);		/* 2 pages + the guard */
	expect(top - 2 * PG, top - 2 * PG, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	expect(top - 3 * PG, top - 3 * PG, a, PAGE_READWRITE, PG, MEM_COMMIT,
	       PAGE_READWRITE | PAGE_GUARD, MEM_PRIVATE);
	expect(a, a, a, PAGE_READWRITE, G - 3 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
	/* Skipping the guard is an access violation, as on Windows. */
	assert_int_not_equal(uwrite(top - 5 * PG, 1), 0);
	/* Touching the guard works at once: the guard moves down. */
	assert_int_equal(uwrite(top - 3 * PG + 5, 1), 0);
	assert_int_equal(vm_committed_pages(), c0 + 4);
	expect(top - 3 * PG, top - 3 * PG, a, PAGE_READWRITE, 3 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	expect(top - 4 * PG, top - 4 * PG, a, PAGE_READWRITE, PG, MEM_COMMIT,
	       PAGE_READWRITE | PAGE_GUARD, MEM_PRIVATE);
	for (uintptr_t p = top - 4 * PG; p >= a + 2 * PG; p -= PG)
		assert_int_equal(uwrite(p, 2), 0);
	expect(a + 2 * PG, a + 2 * PG, a, PAGE_READWRITE, G - 2 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_PRIVATE);
	/* The guard at the second page: touching it overflows the stack, and commits it. */
	struct vm_fault f = { .addr = a + PG, .flags = VM_FAULT_USER | VM_FAULT_WRITE };
	assert_int_equal(vm_handle_fault(&P.as.vs, &f), VM_FAULT_STACK_OVERFLOW);
	assert_int_equal(uwrite(a + PG, 3), 0);
	expect(a, a, a, PAGE_READWRITE, PG, MEM_RESERVE, 0, MEM_PRIVATE);
	assert_int_not_equal(uwrite(a, 3), 0);			/* the last page: never */
	assert_int_equal(vm_committed_pages(), c0 + G / PG - 1);
	assert_int_equal(upeek(&P, top - 3 * PG + 5), 1);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(vm_committed_pages(), c0);
	assert_int_equal(as_win32_stack(&P.as, AS_TASK_SIZE + 1, PG), -ERROR_INVALID_PARAMETER);
}

/* mremap moves Win32 pages into an allocation of their own. */
static void test_mremap_base(void **state)
{
	uintptr_t a = walloc(0, 4 * PG, MEM_COMMIT, PAGE_READWRITE), dst;
	long m;

	(void)state;
	assert_int_equal(uwrite(a + 2 * PG, 9), 0);
	dst = walloc(0, G, MEM_RESERVE, PAGE_READWRITE);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, dst, 0, MEM_RELEASE), 0);
	m = as_mremap(&P.as, a + 2 * PG, 2 * PG, 3 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, dst);
	assert_int_equal(m, (long)dst);
	expect(dst, dst, dst, PAGE_READWRITE, 3 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	assert_int_equal(upeek(&P, dst), 9);
	expect(a, a, a, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, dst, 0, MEM_RELEASE), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
}

/* A view of a SEC_RESERVE section: reserved pages of a mapping, committed later, the data shared. */
static void test_view_reserve(void **state)
{
	uint64_t before_maps = vm_committed_pages();
	long m = as_mmap(&P.as, 0, 8 * PG, MM_PROT_NONE, MM_MAP_SHARED | MM_MAP_ANONYMOUS, NULL, 0);
	long m2 = as_mmap(&P.as, 0, 8 * PG, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_SHARED | MM_MAP_ANONYMOUS,
			  NULL, 0);
	uint64_t c0 = vm_committed_pages();
	uintptr_t v;

	(void)state;
	assert_false(as_is_err(m));
	assert_false(as_is_err(m2));
	v = (uintptr_t)m;
	assert_int_equal(as_win32_view_reserve(&P.as, v + PG, PG, PAGE_READWRITE, 0),
			 -ERROR_INVALID_ADDRESS);			/* not the view's start */
	assert_int_equal(as_win32_view_reserve(&P.as, (uintptr_t)m2, PG, PAGE_READWRITE, 0),
			 -ERROR_INVALID_ADDRESS);			/* accessible already */
	assert_int_equal(as_win32_view_reserve(&P.as, v, 8 * PG, PAGE_READWRITE, 0), 0);
	expect(v, v, v, PAGE_READWRITE, 8 * PG, MEM_RESERVE, 0, MEM_MAPPED);
	assert_int_not_equal(uwrite(v, 1), 0);			/* reserved: no access */
	assert_int_equal(VirtualAllocProcessMemory(&P.as, v + 2 * PG, 2 * PG, MEM_COMMIT,
						   PAGE_READWRITE), (long)(v + 2 * PG));
	assert_int_equal(vm_committed_pages(), c0);		/* the section's pages: not charged here */
	expect(v, v, v, PAGE_READWRITE, 2 * PG, MEM_RESERVE, 0, MEM_MAPPED);
	expect(v + 2 * PG, v + 2 * PG, v, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READWRITE,
	       MEM_MAPPED);
	assert_int_equal(uwrite(v + 3 * PG + 1, 9), 0);
	assert_int_equal(upeek(&P, v + 3 * PG + 1), 9);
	uint32_t old;
	assert_int_equal(VirtualProtectProcessMemory(&P.as, v + 2 * PG, PG, PAGE_READONLY, &old), 0);
	assert_int_equal(old, PAGE_READWRITE);
	assert_int_not_equal(uwrite(v + 2 * PG, 1), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, v + 2 * PG, PG, MEM_DECOMMIT),
			 -ERROR_INVALID_ADDRESS);			/* views are not decommitted */
	assert_int_equal(VirtualFreeProcessMemory(&P.as, v, 0, MEM_RELEASE), -ERROR_INVALID_ADDRESS);
	assert_int_equal(as_munmap(&P.as, v, 8 * PG), 0);
	assert_int_equal(as_munmap(&P.as, (uintptr_t)m2, 8 * PG), 0);
	assert_int_equal(vm_committed_pages(), before_maps);
}

/* A view of @f at page @off of @pages pages, reserved, with view protection @vprot. */
static uintptr_t section_view(struct proc *p, struct as_file *f, uint64_t off, uint64_t pages,
			      uint32_t vprot)
{
	long m = as_mmap_file(&p->as, 0, pages * PG, MM_PROT_NONE, MM_MAP_SHARED, f, off * PG,
			      AS_FMODE_READ | AS_FMODE_WRITE);

	assert_false(as_is_err(m));
	assert_int_equal(as_win32_view_reserve(&p->as, (uintptr_t)m, pages * PG, PAGE_READWRITE,
					       vprot), 0);
	return (uintptr_t)m;
}

/*
 * SEC_RESERVE commit state is the section's: a page committed through one
 * view is committed in every view (the view's protection), in any space,
 * seen by VirtualQuery, by a fault and by VirtualProtect.
 */
static void test_section_commit_state(void **state)
{
	static struct as_file f;	/* outlives a failed check: teardown unmaps the views */
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	uintptr_t a, b, c;
	uint32_t old;

	(void)state;
	assert_non_null(pc);
	f = (struct as_file){ "section", pc, NULL, NULL, NULL, false };
	pcache_set_size(pc, 8 * PG);
	f.section = as_section_new(8, PAGE_READWRITE | SEC_RESERVE);
	assert_non_null(f.section);
	assert_int_equal(as_section_protect(f.section), PAGE_READWRITE | SEC_RESERVE);
	a = section_view(&P, &f, 0, 8, PAGE_READWRITE);
	b = section_view(&P, &f, 0, 8, PAGE_READONLY);
	c = section_view(&P, &f, 4, 4, PAGE_READWRITE);	/* the second half only */
	expect(b, b, b, PAGE_READWRITE, 8 * PG, MEM_RESERVE, 0, MEM_MAPPED);
	assert_int_equal(VirtualAllocProcessMemory(&P.as, a + 4 * PG, 2 * PG, MEM_COMMIT,
						   PAGE_READWRITE), (long)(a + 4 * PG));
	assert_int_equal(uwrite(a + 5 * PG, 42), 0);
	/* VirtualQuery of another view: committed there too, with that view's protection. */
	expect(b, b, b, PAGE_READWRITE, 4 * PG, MEM_RESERVE, 0, MEM_MAPPED);
	expect(b + 4 * PG, b + 4 * PG, b, PAGE_READWRITE, 2 * PG, MEM_COMMIT, PAGE_READONLY,
	       MEM_MAPPED);
	assert_int_equal(upeek(&P, b + 5 * PG), 42);
	assert_int_not_equal(uwrite(b + 5 * PG, 1), 0);		/* the view is read-only */
	/* A fault on a page the section committed, with no query before it. */
	assert_int_equal(upeek(&P, c + PG), 42);
	assert_int_equal(uwrite(c + PG, 43), 0);
	assert_int_equal(upeek(&P, a + 5 * PG), 43);
	assert_int_equal(upeek(&P, c + 2 * PG), -1);		/* never committed: reserved */
	/* VirtualProtect of pages committed elsewhere: committed here first. */
	assert_int_equal(VirtualProtectProcessMemory(&P.as, c, PG, PAGE_READONLY, &old), 0);
	assert_int_equal(old, PAGE_READWRITE);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, c + 2 * PG, PG, PAGE_READONLY, &old),
			 -ERROR_INVALID_ADDRESS);
	/* Another space (a child) sees what the section committed after the fork. */
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(VirtualAllocProcessMemory(&C.as, c + 3 * PG, PG, MEM_COMMIT,
						   PAGE_READWRITE), (long)(c + 3 * PG));
	assert_int_equal(uwrite8(&C, c + 3 * PG, 7), 0);
	assert_int_equal(upeek(&P, a + 7 * PG), 7);			/* parent's first view */
	expect(b + 6 * PG, b + 6 * PG, b, PAGE_READWRITE, PG, MEM_RESERVE, 0, MEM_MAPPED);
	expect(b + 7 * PG, b + 7 * PG, b, PAGE_READWRITE, PG, MEM_COMMIT, PAGE_READONLY,
	       MEM_MAPPED);
	/* mprotect making reserved view pages accessible commits them in the section. */
	assert_int_equal(as_mprotect(&C.as, a, PG, MM_PROT_READ), 0);
	expect(b, b, b, PAGE_READWRITE, PG, MEM_COMMIT, PAGE_READONLY, MEM_MAPPED);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	assert_int_equal(as_munmap(&P.as, a, 8 * PG), 0);
	assert_int_equal(as_munmap(&P.as, b, 8 * PG), 0);
	assert_int_equal(as_munmap(&P.as, c, 4 * PG), 0);
	as_section_free(f.section);
	pcache_put(pc);
}

/* MEM_WRITE_WATCH: writes mark pages until a reset; reads, commits and VirtualProtect do not. */
static void test_write_watch(void **state)
{
	uintptr_t a, b, out[8], next;
	uint32_t old;

	(void)state;
	assert_int_equal(VirtualAllocProcessMemory(&P.as, 0, PG, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE),
			 -ERROR_INVALID_PARAMETER);
	a = walloc(0, 8 * PG, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);
	walloc(a, 8 * PG, MEM_COMMIT, PAGE_READWRITE);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 0);
	assert_int_equal(upeek(&P, a + PG), 0);
	assert_int_equal(uwrite(a + 2 * PG, 5), 0);
	assert_int_equal(uwrite(a + 5 * PG, 6), 0);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 2);
	assert_int_equal(out[0], a + 2 * PG);
	assert_int_equal(out[1], a + 5 * PG);
	assert_int_equal(next, a + 8 * PG);
	/* VirtualQuery sees one run: the watch state is not a page attribute. */
	expect(a, a, a, PAGE_READWRITE, 8 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
	/* Room for one, with reset: that one is reset, and next is where to go on. */
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 1, true, &next), 1);
	assert_int_equal(next, a + 3 * PG);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 1);
	assert_int_equal(out[0], a + 5 * PG);
	/* A reset keeps the data and maps the page read-only: the next write marks it again. */
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, NULL, 0, false, &next), 0);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 0);
	assert_int_equal(upeek(&P, a + 5 * PG), 6);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 5 * PG, PG, PAGE_READONLY, &old), 0);
	assert_int_equal(VirtualProtectProcessMemory(&P.as, a + 5 * PG, PG, PAGE_READWRITE, &old), 0);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 0);
	assert_int_equal(uwrite(a + 5 * PG, 7), 0);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 1);
	/* A forked child's writes are its own (copy-on-write breaks through the watch). */
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(uwrite8(&C, a + 6 * PG, 1), 0);
	assert_int_equal(as_win32_write_watch(&C.as, a, a + 8 * PG, out, 8, false, &next), 2);
	assert_int_equal(out[1], a + 6 * PG);
	assert_int_equal(upeek(&P, a + 6 * PG), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	proc_cpu(&P);
	assert_int_equal(uwrite(a + 7 * PG, 2), 0);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 8 * PG, out, 8, false, &next), 2);
	assert_int_equal(out[1], a + 7 * PG);
	/* Only inside one MEM_WRITE_WATCH allocation. */
	b = walloc(0, PG, MEM_COMMIT, PAGE_READWRITE);
	assert_int_equal(as_win32_write_watch(&P.as, b, b + PG, out, 8, false, &next), -ERROR_INVALID_PARAMETER);
	assert_int_equal(as_win32_write_watch(&P.as, a, a + 9 * PG, out, 8, false, &next), -ERROR_INVALID_PARAMETER);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, a, 0, MEM_RELEASE), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, b, 0, MEM_RELEASE), 0);
}

/* Is page @va mapped in P's page tables? */
static bool present(uintptr_t va)
{
	return pt_translate(&P.as.vs.pt, va, NULL, NULL, NULL);
}

/*
 * Region pointers and a moving region array (struct as): the main stack
 * becoming a Windows stack reserves room for two regions and then changed
 * the one it had looked up before. In the second run each reserve moves the
 * array, so a region pointer kept across one reads (and writes) the old
 * block, scribbled over. mlockall() then splits and merges every region.
 */
static void test_region_array_moves(void **state)
{
	uintptr_t sp = P.as.stack_top - 64, b = walloc(0, 2 * PG, MEM_COMMIT, PAGE_READWRITE);
	const struct as_region *reg = P.as.reg;
	long ret = as_win32_main_stack(&P.as, sp, 0);
	uintptr_t base = (uintptr_t)ret;	/* above 2 GiB, a 32-bit long is negative */

	(void)state;
	assert_false(as_is_err(ret));
	if (moving)
		assert_ptr_not_equal(P.as.reg, reg);
	struct memory_basic_information m = query(sp);
	assert_int_equal(m.allocation_base, base);
	assert_int_equal(m.state, MEM_COMMIT);
	assert_int_equal(m.protect, PAGE_READWRITE);
	assert_int_equal((uintptr_t)as_win32_main_stack(&P.as, sp, 0), base);	/* made already */
	assert_false(present(b));
	assert_int_equal(as_mlockall(&P.as, MM_MCL_CURRENT), 0);
	assert_true(present(b) && present(b + PG) && present(sp & PAGE_MASK));
	assert_int_equal(as_munlockall(&P.as), 0);
	assert_int_equal(VirtualFreeProcessMemory(&P.as, b, 0, MEM_RELEASE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_commit_release, before, after),
		cmocka_unit_test_setup_teardown(test_placement_and_errors, before, after),
		cmocka_unit_test_setup_teardown(test_protect_and_decommit_all, before, after),
		cmocka_unit_test_setup_teardown(test_guard_pages, before, after),
		cmocka_unit_test_setup_teardown(test_linux_calls, before, after),
		cmocka_unit_test_setup_teardown(test_fork_and_lock, before, after),
		cmocka_unit_test_setup_teardown(test_commit_limit, before, after),
		cmocka_unit_test_setup_teardown(test_stack_guard, before, after),
		cmocka_unit_test_setup_teardown(test_mremap_base, before, after),
		cmocka_unit_test_setup_teardown(test_view_reserve, before, after),
		cmocka_unit_test_setup_teardown(test_section_commit_state, before, after),
		cmocka_unit_test_setup_teardown(test_write_watch, before, after),
		cmocka_unit_test_setup_teardown(test_region_array_moves, before, after),
	};
	int failed = cmocka_run_group_tests_name("win32", tests, heap_group_setup, NULL);

	/* Again with the region array moving at every reserve: no region pointer may outlive one. */
	moving = true;
	return failed + cmocka_run_group_tests_name("win32, region array moving", tests, NULL, NULL);
}
