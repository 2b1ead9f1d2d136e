/* SPDX-License-Identifier: MIT */
/*
 * A software MMU for the host tests: walks the page tables the engine built
 * in simulated physical memory with the rules of the x86 hardware for each
 * format (Intel SDM vol. 3, 4.6 and 4.7): present, R/W with CR0.WP, U/S, XD
 * with EFER.NXE, SMEP, SMAP with EFLAGS.AC, reserved bits, accessed and
 * dirty bits, and the page-fault error code. Faults go to the portable fault
 * path (vm_handle_fault()) and a resolved fault is retried, as a CPU would
 * return from the handler and re-execute the access.
 *
 * Simplifications: no TLB (every access walks; the walk's result lives only
 * until its copy is done, and a shootdown from another thread waits for
 * that: host/sim.h sim_cpu_access_begin()), accessed/dirty bits are set only by accesses that succeed, PAE
 * PDPTE reserved bits fault at use rather than at the CR3 load, i386 4 MiB
 * pages have no PSE-36 address bits, and a non-canonical address is
 * reported as SMMU_GP (a #GP, no page fault).
 */
#ifndef HOST_SOFT_MMU_H
#define HOST_SOFT_MMU_H

#include <stddef.h>

#include "mm/fault.h"

/* The x86 page-fault error code. */
#define PF_P		0x01	/* the page was present: protection violation */
#define PF_W		0x02	/* write access */
#define PF_U		0x04	/* user-mode access */
#define PF_RSVD		0x08	/* reserved bit set in a paging entry */
#define PF_I		0x10	/* instruction fetch (if NXE in PAE/long mode, or SMEP) */
#define SMMU_GP		0x40000000u	/* not a page fault: #GP (non-canonical) */
#define SMMU_FAULT	0x80000000u	/* smmu_translate(): the access faulted */

/*
 * The soft MMU is an oracle: a fuzzer should be steered by the code under
 * test, not by the oracle's branches (which are also most of its run time).
 */
#if defined(__clang__)
#define SMMU_ORACLE	__attribute__((no_sanitize("coverage")))
#else
#define SMMU_ORACLE
#endif

enum smmu_access { SMMU_READ, SMMU_WRITE, SMMU_FETCH };
enum smmu_mode { SMMU_KERNEL, SMMU_USER };

struct smmu {
	const struct pt_format *fmt;
	phys_addr_t root;		/* CR3 */
	struct pt_space *space;		/* whose root that is: its CPU set holds us during an access */
	struct vm_space *vs;		/* faults go to vm_handle_fault(vs); NULL: none */
	/* Control bits, all on after smmu_init() except ac. */
	bool wp;			/* CR0.WP: supervisor writes honour read-only */
	bool nxe;			/* EFER.NXE: XD honoured (else reserved) */
	bool smep;			/* CR4.SMEP */
	bool smap;			/* CR4.SMAP */
	bool ac;			/* EFLAGS.AC: SMAP suspended */
	uint8_t large_levels;		/* levels allowing PS (clear bit 2: no 1 GiB pages) */
	unsigned maxphyaddr;		/* physical address width (64-bit entries) */
	unsigned max_retries;		/* resolved faults per access before giving up */
	/* The last fault, as the CPU reports it. */
	uintptr_t cr2;
	uint32_t error_code;
	unsigned long faults;		/* page faults raised */
	unsigned long walks;		/* page walks done */
};

/**
 * smmu_init() - a CPU running on @s's tables with every protection on
 * @m: the MMU
 * @s: the space: its format and root
 *
 * WP, NXE, SMEP and SMAP on, AC off, MAXPHYADDR 52, 1 GiB pages allowed,
 * no fault routine (set m->vs).
 */
void smmu_init(struct smmu *m, struct pt_space *s);

/**
 * smmu_translate() - one page walk, as the hardware does it, without delivering the fault
 * @m: the MMU
 * @va: the address
 * @acc: read, write or fetch
 * @mode: kernel or user
 * @pa: the physical address, if the access is allowed
 *
 * Sets accessed bits along the walk and the dirty bit of the leaf on a write.
 *
 * Return: 0, or SMMU_FAULT | the page-fault error code (| SMMU_GP).
 */
uint32_t smmu_translate(struct smmu *m, uintptr_t va, enum smmu_access acc, enum smmu_mode mode,
			phys_addr_t *pa);

/**
 * smmu_access() - translate, delivering faults to the portable path and retrying
 * @m: the MMU
 * @va: the address
 * @acc: read, write or fetch
 * @mode: kernel or user
 * @pa: the physical address on success
 *
 * Return: 0, or -MM_EFAULT with m->cr2 and m->error_code describing the fault.
 */
int smmu_access(struct smmu *m, uintptr_t va, enum smmu_access acc, enum smmu_mode mode,
		phys_addr_t *pa);

/**
 * smmu_read() - read @len bytes at @va through the MMU
 * @m: the MMU
 * @va: the address; the bytes may span pages (all are translated first)
 * @mode: kernel or user
 * @buf: where to put them
 * @len: how many
 *
 * Return: 0, -MM_EFAULT (unresolved fault), -MM_EIO (beyond simulated RAM).
 */
int smmu_read(struct smmu *m, uintptr_t va, enum smmu_mode mode, void *buf, size_t len);

/**
 * smmu_write() - write @len bytes at @va through the MMU
 * @m: the MMU
 * @va: the address; every page is translated before any byte is written
 * @mode: kernel or user
 * @buf: the bytes
 * @len: how many
 *
 * Return: as smmu_read().
 */
int smmu_write(struct smmu *m, uintptr_t va, enum smmu_mode mode, const void *buf, size_t len);

/**
 * smmu_fetch() - fetch @len instruction bytes at @va through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @buf: where to put them
 * @len: how many
 *
 * Return: as smmu_read().
 */
int smmu_fetch(struct smmu *m, uintptr_t va, enum smmu_mode mode, void *buf, size_t len);

/**
 * smmu_read64() - read a 64-bit value through the MMU
 * @m: the MMU
 * @va: the address (may straddle two pages)
 * @mode: kernel or user
 * @val: the value read
 *
 * Return: as smmu_read().
 */
int smmu_read64(struct smmu *m, uintptr_t va, enum smmu_mode mode, uint64_t *val);

/**
 * smmu_write64() - write a 64-bit value through the MMU
 * @m: the MMU
 * @va: the address (may straddle two pages)
 * @mode: kernel or user
 * @val: the value
 *
 * Return: as smmu_read().
 */
int smmu_write64(struct smmu *m, uintptr_t va, enum smmu_mode mode, uint64_t val);

#endif
