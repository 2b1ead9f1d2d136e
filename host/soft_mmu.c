// SPDX-License-Identifier: MIT
/*
 * The software MMU (see soft_mmu.h). The walk reads the engine's tables
 * through sim_phys() (the hardware's view of RAM), exactly as the engine
 * wrote them; the format tells it where the bits are and the control bits
 * which rules apply.
 */
#include <string.h>

#include "host/sim.h"
#include "host/soft_mmu.h"

#define LOW_PAGE_BITS	0xfffull
#define ADDR_TOP	52	/* entries hold at most 52 address bits */

/**
 * smmu_init() - a CPU running on @s's tables with every protection on
 * @m: the MMU
 * @s: the space
 */
void smmu_init(struct smmu *m, struct pt_space *s)
{
	memset(m, 0, sizeof(*m));
	m->space = s;
	m->fmt = s->fmt;
	m->root = s->root;
	m->wp = m->nxe = m->smep = m->smap = true;
	m->large_levels = s->fmt->large_levels;
	m->maxphyaddr = 52;
	m->max_retries = 4;
}

SMMU_ORACLE static uint64_t entry_load(const struct pt_format *f, phys_addr_t table, unsigned i)
{
	const void *t = sim_phys(table);

	if (f->entry_size == 8)
		return __atomic_load_n((const uint64_t *)t + i, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint32_t *)t + i, __ATOMIC_ACQUIRE);
}

/*
 * Set @bits in the entry at @i if it still holds @seen, as the hardware's
 * locked update does; false if the entry changed since the walk read it
 * (another CPU unmapped or swapped it: the access walks again).
 */
SMMU_ORACLE static bool entry_set_bits(const struct pt_format *f, phys_addr_t table, unsigned i,
					uint64_t seen, uint64_t bits)
{
	void *t = sim_phys(table);

	if (f->entry_size == 8)
		return __atomic_compare_exchange_n((uint64_t *)t + i, &seen, seen | bits, false,
						   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	uint32_t seen32 = (uint32_t)seen;

	return __atomic_compare_exchange_n((uint32_t *)t + i, &seen32, seen32 | (uint32_t)bits, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* A PAE PDPTE: no R/W, U/S, A, D, PS, G or XD bits; they are reserved. */
SMMU_ORACLE static bool permless(const struct pt_format *f, unsigned level)
{
	return level == f->levels - 1u && !(f->root_table_bits & f->writable);
}

/* Bits of entry @e at @level that must be zero. */
SMMU_ORACLE static uint64_t reserved(const struct smmu *m, unsigned level, uint64_t e)
{
	const struct pt_format *f = m->fmt;
	uint64_t r = f->rsvd_bits;

	if (f->entry_size == 8 && m->maxphyaddr < ADDR_TOP)
		r |= ((1ull << ADDR_TOP) - 1) & ~((1ull << m->maxphyaddr) - 1);
	if (f->nx && !m->nxe)
		r |= f->nx;
	if (permless(f, level))
		return r | f->writable | f->user | f->accessed | f->dirty | f->large | f->global |
		       f->nx;
	if (level > 0 && (e & f->large)) {
		if (!(m->large_levels & (1u << level)))
			return r | f->large;
		r |= ((1ull << f->shift[level]) - 1) & ~(f->large_pat | LOW_PAGE_BITS);
	}
	return r;
}

struct walk_state {
	bool user, write, exec;		/* allowed by every level so far */
	unsigned level;
	phys_addr_t table[PT_MAX_LEVELS];	/* where each level's entry is */
	unsigned index[PT_MAX_LEVELS];
	uint64_t entry[PT_MAX_LEVELS];	/* what the walk read at each level */
	uint64_t leaf;
};

/* Walk to the leaf of @va. Return: 0, or the error-code bits of the fault. */
SMMU_ORACLE static uint32_t walk(struct smmu *m, uintptr_t va, struct walk_state *w)
{
	const struct pt_format *f = m->fmt;
	phys_addr_t tpa = m->root;

	w->user = w->write = w->exec = true;
	m->walks++;
	for (int level = f->levels - 1; level >= 0; level--) {
		unsigned i = (unsigned)(va >> f->shift[level]) & ((1u << f->index_bits[level]) - 1);
		uint64_t e = entry_load(f, tpa, i);

		w->table[level] = tpa;
		w->index[level] = i;
		w->entry[level] = e;
		if (!(e & f->present))
			return SMMU_FAULT;
		if (e & reserved(m, (unsigned)level, e))
			return SMMU_FAULT | PF_P | PF_RSVD;
		if (!permless(f, (unsigned)level)) {
			w->user &= !!(e & f->user);
			w->write &= !!(e & f->writable);
			if (f->nx && m->nxe)
				w->exec &= !(e & f->nx);
		}
		if (level == 0 || (e & f->large)) {
			w->level = (unsigned)level;
			w->leaf = e;
			return 0;
		}
		tpa = e & f->addr_mask;
	}
	return SMMU_FAULT;	/* not reached */
}

/* Does the access break a protection rule (SDM 4.6)? */
SMMU_ORACLE static bool violates(const struct smmu *m, const struct walk_state *w,
				  enum smmu_access acc, enum smmu_mode mode)
{
	if (mode == SMMU_USER)
		return !w->user || (acc == SMMU_WRITE && !w->write) ||
		       (acc == SMMU_FETCH && !w->exec);
	if (acc == SMMU_FETCH)
		return (w->user && m->smep) || !w->exec;
	if (w->user && m->smap && !m->ac)
		return true;
	return acc == SMMU_WRITE && m->wp && !w->write;
}

/*
 * Set accessed along the walk and dirty in the leaf, as the hardware does:
 * each entry only if it still holds what the walk read. Return: false if one
 * changed meanwhile (the walk is redone, as a CPU's locked update would).
 */
SMMU_ORACLE static bool mark_used(struct smmu *m, const struct walk_state *w, enum smmu_access acc)
{
	const struct pt_format *f = m->fmt;

	for (unsigned l = w->level; l < f->levels; l++) {
		uint64_t bits = f->accessed;

		if (permless(f, l))
			continue;
		if (l == w->level && acc == SMMU_WRITE)
			bits |= f->dirty;
		if ((w->entry[l] & bits) != bits &&
		    !entry_set_bits(f, w->table[l], w->index[l], w->entry[l], bits))
			return false;
	}
	return true;
}

/**
 * smmu_translate() - one page walk, as the hardware does it, without delivering the fault
 * @m: the MMU
 * @va: the address
 * @acc: read, write or fetch
 * @mode: kernel or user
 * @pa: the physical address, if the access is allowed
 *
 * Return: 0, or SMMU_FAULT | the page-fault error code (| SMMU_GP).
 */
SMMU_ORACLE uint32_t smmu_translate(struct smmu *m, uintptr_t va, enum smmu_access acc,
				    enum smmu_mode mode, phys_addr_t *pa)
{
	const struct pt_format *f = m->fmt;
	bool report_i = (f->entry_size == 8 && m->nxe) || m->smep;
	uint32_t ec = (acc == SMMU_WRITE ? PF_W : 0) | (mode == SMMU_USER ? PF_U : 0) |
		      (acc == SMMU_FETCH && report_i ? PF_I : 0);
	struct walk_state w;
	uint32_t r;

	if (!pt_va_canonical(f, va))
		return SMMU_FAULT | SMMU_GP;
	do {
		r = walk(m, va, &w);
		if (r)
			return r | ec;
		if (violates(m, &w, acc, mode))
			return SMMU_FAULT | PF_P | ec;
	} while (!mark_used(m, &w, acc));
	if (pa) {
		uint64_t size = 1ull << f->shift[w.level];

		*pa = (w.leaf & f->addr_mask & ~(size - 1)) | (va & (size - 1));
	}
	return 0;
}

/*
 * A fault @r (smmu_translate()'s) at @va: reported in @m and delivered to
 * the portable path. Return: true if resolved, so the access is retried.
 */
static bool deliver(struct smmu *m, uintptr_t va, uint32_t r, unsigned tries)
{
	m->error_code = r & ~SMMU_FAULT;
	if (r & SMMU_GP)
		return false;
	m->cr2 = va;
	m->faults++;

	struct vm_fault f = { .addr = va, .flags = m->error_code & VM_FAULT_MASK };

	return m->vs && tries < m->max_retries && vm_handle_fault(m->vs, &f) == VM_FAULT_RESOLVED;
}

/**
 * smmu_access() - translate, delivering faults to the portable path and retrying
 * @m: the MMU
 * @va: the address
 * @acc: read, write or fetch
 * @mode: kernel or user
 * @pa: the physical address on success
 *
 * Return: 0, or -MM_EFAULT.
 */
int smmu_access(struct smmu *m, uintptr_t va, enum smmu_access acc, enum smmu_mode mode,
		phys_addr_t *pa)
{
	for (unsigned tries = 0;; tries++) {
		uint32_t r = smmu_translate(m, va, acc, mode, pa);

		if (!r)
			return 0;
		if (!deliver(m, va, r, tries))
			return -MM_EFAULT;
	}
}

/*
 * Translate every page of [va, va + len) first, then copy: a faulting access
 * changes nothing. The walks and the copy are one window that another
 * thread's shootdown waits for (sim_cpu_access_begin()); a fault is
 * delivered outside it and the whole access walked again, as a CPU
 * re-executes the instruction after its fault handler.
 */
static int access(struct smmu *m, uintptr_t va, enum smmu_access acc, enum smmu_mode mode,
		  void *buf, size_t len)
{
	enum { MAX_PAGES = 16 };
	phys_addr_t pa[MAX_PAGES];
	unsigned tries[MAX_PAGES] = { 0 };

	if (len == 0 || len > (MAX_PAGES - 1) * PAGE_SIZE)
		return -MM_EINVAL;
	for (;;) {
		bool held = sim_cpu_access_begin(m->space);
		uintptr_t a = va;
		size_t n = 0, done = 0;
		uint32_t r = 0;

		for (; done < len; n++) {
			size_t chunk = MM_MIN(len - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));

			r = smmu_translate(m, a, acc, mode, &pa[n]);
			if (r)
				break;
			if (!sim_ram_has(pa[n], chunk)) {
				sim_cpu_access_end(m->space, held);
				return -MM_EIO;
			}
			done += chunk;
			a += chunk;
		}
		if (r) {
			sim_cpu_access_end(m->space, held);
			if (!deliver(m, a, r, tries[n]++))
				return -MM_EFAULT;
			continue;
		}
		done = 0;
		for (size_t i = 0; i < n; i++) {
			size_t chunk = MM_MIN(len - done, PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1)));
			uint8_t *ram = sim_phys(pa[i]);

			if (acc == SMMU_WRITE)
				memcpy(ram, (const uint8_t *)buf + done, chunk);
			else
				memcpy((uint8_t *)buf + done, ram, chunk);
			done += chunk;
		}
		sim_cpu_access_end(m->space, held);
		return 0;
	}
}

/**
 * smmu_read() - read @len bytes at @va through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @buf: where to put them
 * @len: how many (at most 15 pages' worth)
 *
 * Return: 0, -MM_EFAULT, -MM_EIO.
 */
int smmu_read(struct smmu *m, uintptr_t va, enum smmu_mode mode, void *buf, size_t len)
{
	return access(m, va, SMMU_READ, mode, buf, len);
}

/**
 * smmu_write() - write @len bytes at @va through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @buf: the bytes
 * @len: how many
 *
 * Return: 0, -MM_EFAULT, -MM_EIO.
 */
int smmu_write(struct smmu *m, uintptr_t va, enum smmu_mode mode, const void *buf, size_t len)
{
	return access(m, va, SMMU_WRITE, mode, (void *)(uintptr_t)buf, len);
}

/**
 * smmu_fetch() - fetch @len instruction bytes at @va through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @buf: where to put them
 * @len: how many
 *
 * Return: 0, -MM_EFAULT, -MM_EIO.
 */
int smmu_fetch(struct smmu *m, uintptr_t va, enum smmu_mode mode, void *buf, size_t len)
{
	return access(m, va, SMMU_FETCH, mode, buf, len);
}

/**
 * smmu_read64() - read a 64-bit value through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @val: the value read
 *
 * Return: 0, -MM_EFAULT, -MM_EIO.
 */
int smmu_read64(struct smmu *m, uintptr_t va, enum smmu_mode mode, uint64_t *val)
{
	return access(m, va, SMMU_READ, mode, val, sizeof(*val));
}

/**
 * smmu_write64() - write a 64-bit value through the MMU
 * @m: the MMU
 * @va: the address
 * @mode: kernel or user
 * @val: the value
 *
 * Return: 0, -MM_EFAULT, -MM_EIO.
 */
int smmu_write64(struct smmu *m, uintptr_t va, enum smmu_mode mode, uint64_t val)
{
	return access(m, va, SMMU_WRITE, mode, &val, sizeof(val));
}
