/* SPDX-License-Identifier: MIT */
/*
 * The page-table engine: one walker for every paging format.
 *
 * A format (struct pt_format) is data: how many levels, how many index bits
 * each level takes, the entry size, and which bits mean present, writable,
 * user, no-execute, global, large, accessed and dirty. x86_64 four-level,
 * i386 two-level and i386 PAE three-level are all descriptions walked by the
 * same code (mm/pt_formats.c). A kernel on a CPU without NX or 1 GiB pages
 * uses a copy of the format with .nx = 0 or that bit of .large_levels cleared.
 *
 * Callers speak in format-independent protections (PT_*). Page-table pages
 * come from the PMM and go back to it when they become empty. TLB
 * invalidations are batched per operation through the platform.
 *
 * Errors are negated codes of mm/errno.h. Every modifying call checks all
 * of its arguments first and either does all of its work or none of it.
 *
 * Concurrency: modifications take the space's lock (interrupts off).
 * pt_translate() and pt_walk() read without it; see there.
 *
 * The TLB rule (the one place it is written down): a change that removes or
 * narrows a translation (unmap, protect, copy-on-write, a table freed) is
 * flushed on every CPU that may cache it before the call that made it
 * returns. The CPUs that may cache a space are those in its @cpus set, which
 * the platform keeps while switching page tables (pt_space_cpu_enter() before
 * loading a root, pt_space_cpu_leave() after loading another; a CPU that
 * keeps a space loaded under a kernel thread, lazily, stays in the set);
 * kernel and shared spaces reach every online CPU. The flush is one batch
 * per operation (PT_TLB_BATCH pages, or everything), sent as one
 * plat_tlb_shootdown(). Frames and tables an operation frees while another
 * CPU may still hold the space go back only after that shootdown.
 *
 * Freeing page tables (the rule for every walker): a table leaves the space
 * only under the space's write lock (the owner's, mm/as.h) and the page-table
 * lock, and goes back to the PMM only after the shootdown of every CPU that
 * may hold the space has completed (pt_op_free_table()). So a walker reads
 * tables safely if it holds the space's lock (read or write), or if it runs
 * on a CPU that has the space loaded inside plat_pt_walk_begin() and
 * plat_pt_walk_end(), which that shootdown waits for (the lockless check in
 * vm_handle_fault()). A walk that does neither may read a table freed and
 * reused meanwhile. Faults fill empty entries without the page-table lock
 * (pt_map_one()) under the read lock, which is why no table is freed under
 * the read lock (pt_zap() keeps them).
 */
#ifndef MM_PT_H
#define MM_PT_H

#include "errno.h"
#include "spinlock.h"
#include "types.h"

#define PT_MAX_LEVELS	5

/* Protections and attributes of a mapping, independent of the format. */
#define PT_READ		0x00	/* every present mapping is readable */
#define PT_WRITE	0x01
#define PT_EXEC		0x02	/* without it: no-execute (if the format has NX) */
#define PT_USER		0x04
#define PT_GLOBAL	0x08	/* survives root switches (kernel mappings) */
#define PT_NOCACHE	0x10	/* uncached: device memory */
#define PT_ACCESSED	0x20	/* set by the MMU; may be preset by pt_map()/pt_protect() */
#define PT_DIRTY	0x40	/* set by the MMU; may be preset by pt_map()/pt_protect() */
/*
 * A user page's protection key (0..15), in formats that have them
 * (pt_format.pkey: x86_64's bits 62:59); 0 and ignored elsewhere.
 */
#define PT_PKEY_SHIFT	8
#define PT_PKEY_MASK	0xf00
#define PT_PKEY(k)	(((unsigned)(k) << PT_PKEY_SHIFT) & PT_PKEY_MASK)
#define PT_PROT_MASK	0xf7f

/* pt_map() flags. */
#define PT_MAP_LARGE	0x1	/* use large pages wherever va, pa and length allow */
#define PT_MAP_REPLACE	0x2	/* overwrite existing mappings instead of failing */

/* pt_copy_range() flags. */
#define PT_COPY_COW	0x1	/* copy-on-write: the copied leaves lose PT_WRITE on both sides */
#define PT_COPY_EMPTY	0x2	/* @dst maps nothing in the range (a new space): not checked */

/* A pt_copy_fn return value: leave this leaf out of the copy. */
#define PT_COPY_SKIP	1

/* Invalidate single pages up to this many changed leaves; flush everything above. */
#define PT_TLB_BATCH	32
/* Freed leaves an operation holds back for a shootdown before flushing early. */
#define PT_FREE_BATCH	64
/*
 * Past PT_FREE_BATCH, an operation tries to hold back this many (a block of
 * the PMM, as Linux's mmu_gather takes batch pages), so a large munmap in a
 * space other CPUs hold costs a few shootdowns, not one per 64 pages.
 */
#define PT_FREE_MORE_ORDER	3
/*
 * A zap of a long range, one table at a time (pt_zap_spans()), gathers up
 * to a block of this order first (8192 leaves, 32 MiB of 4 KiB pages, as
 * Linux's mmu_gather holds up to about 10000 pages before it flushes): a
 * munmap of 128 MiB in a space another CPU holds costs 4 shootdowns, not
 * 16. Without such a block it gathers PT_FREE_MORE_ORDER's.
 */
#define PT_GATHER_ORDER		5

/*
 * A paging format. Level 0 holds 4 KiB leaves; level L > 0 holds tables or,
 * if bit L of large_levels is set, large leaves of 2^shift[L] bytes.
 */
struct pt_format {
	const char *name;
	uint8_t levels;				/* 4 on x86_64 */
	uint8_t entry_size;			/* 4 or 8 bytes */
	uint8_t va_bits;			/* width of a virtual address */
	uint8_t va_sign_extend;			/* upper half by sign extension */
	uint8_t index_bits[PT_MAX_LEVELS];	/* per level, level 0 first */
	uint8_t shift[PT_MAX_LEVELS];		/* lowest va bit a level indexes */
	uint8_t large_levels;			/* bit L set: level L may hold a large leaf */
	uint64_t present, writable, user, accessed, dirty, large, global, nx, nocache;
	uint64_t large_pat;			/* the PAT bit of a large leaf (not address) */
	uint64_t pkey;				/* a leaf's protection-key field; 0: none */
	uint8_t pkey_shift;			/* its lowest bit */
	uint64_t addr_mask;			/* physical address bits of an entry */
	uint64_t table_bits;			/* set in entries that point to a table */
	uint64_t root_table_bits;		/* the same in the root (PAE: present only) */
	uint64_t rsvd_bits;			/* must-be-zero bits of every entry */
	uint64_t phys_limit;			/* mapped physical addresses lie below this */
	uint64_t table_limit;			/* page tables lie below this */
	uint64_t root_limit;			/* the root lies below this (CR3's reach) */
};

extern const struct pt_format pt_format_x86_64;		/* 4 levels, 48-bit, 2M + 1G pages */
extern const struct pt_format pt_format_i386;		/* 2 levels, 4-byte entries, 4M */
extern const struct pt_format pt_format_i386_pae;	/* 3 levels, 64-bit entries, 2 MiB pages */

/* Space flags. */
#define PT_SPACE_KERNEL	0x1	/* always active (kernel mappings): always flushed */
#define PT_SPACE_SHARED	0x2	/* set by pt_space_share_kernel() on the source */
#define PT_SPACE_RETIRED 0x4	/* set by pt_space_retire(): no CPU loads it again */

/* One address space's page tables. */
struct pt_space {
	const struct pt_format *fmt;
	phys_addr_t root;		/* physical address of the top-level table */
	uint64_t table_pages;		/* page-table pages held, the root included */
	unsigned flags;			/* PT_SPACE_* */
	/* Root slots [pin_first, pin_end) are shared with other spaces: their tables stay. */
	uint16_t pin_first, pin_end;
	/* Root slots [borrow_first, borrow_end) are another space's: read-only here. */
	uint16_t borrow_first, borrow_end;
	spinlock_t lock;
	/* CPUs whose MMU may hold this space's translations (see the TLB rule). */
	volatile MM_ATOMIC64 mm_cpumask_t cpus;
	/*
	 * Set by the space's owner around a call made under its own lock
	 * alone, a lock that keeps every other change of these tables out and
	 * that no interrupt handler takes: the call's TLB shootdown then waits
	 * after the page-table lock is dropped, with interrupts as they were
	 * before the owner's lock (@wait_fl), not for as long as the other
	 * CPUs take to answer with them off. See pt_unmap().
	 */
	bool wait_irqs;
	unsigned long wait_fl;
};
MM_ATOMIC64_OK(struct pt_space, cpus);

/*
 * Declare that no CPU will load @s again (the last user is gone), so that
 * tearing it down needs no atomic entry updates, TLB batch or CPU-set reads.
 */
void pt_space_retire(struct pt_space *s);

/* Load @s's root on this CPU, keeping the CPU sets (interrupts off). */
void pt_space_load(struct pt_space *s);
struct pt_space *pt_space_loaded(void);

/* The platform's switch code: @cpu is about to load @s's root. */
static inline void pt_space_cpu_enter(struct pt_space *s, unsigned cpu)
{
	__atomic_fetch_or(&s->cpus, (mm_cpumask_t)1 << cpu, __ATOMIC_SEQ_CST);
}

/* ... @cpu has loaded another root, and keeps nothing of @s. */
static inline void pt_space_cpu_leave(struct pt_space *s, unsigned cpu)
{
	__atomic_fetch_and(&s->cpus, ~((mm_cpumask_t)1 << cpu), __ATOMIC_SEQ_CST);
}

/*
 * @s's CPU set, read after the caller's page-table stores are visible to
 * all: the locked read-modify-write orders them before the read (x86 lets
 * a load pass an earlier store) and pairs with pt_space_cpu_enter() before
 * a CPU loads the root. So either that CPU is in the set returned, or its
 * table walks see the stores.
 */
static inline mm_cpumask_t pt_space_cpus_now(const struct pt_space *s)
{
#if UINTPTR_MAX == 0xffffffffu
	/*
	 * 32-bit: a 64-bit read-modify-write is a call and a cmpxchg8b loop,
	 * once per cleared leaf. A full fence orders the stores before the
	 * reads as well, and each CPU's bit lies in one half of the set, which
	 * one 32-bit read sees whole (x86 is little-endian: word 0 is bits 0-31).
	 */
	typedef uint32_t __attribute__((may_alias)) word_t;
	const volatile word_t *w = (const volatile word_t *)&s->cpus;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (mm_cpumask_t)__atomic_load_n(&w[1], __ATOMIC_RELAXED) << 32 |
	       __atomic_load_n(&w[0], __ATOMIC_RELAXED);
#else
	return __atomic_fetch_or((volatile mm_cpumask_t *)&s->cpus, 0, __ATOMIC_SEQ_CST);
#endif
}

/* A run of leaves contiguous in virtual and physical memory, with one protection. */
struct pt_range {
	uintptr_t va;
	phys_addr_t pa;
	uint64_t len;
	unsigned prot;		/* PT_* without PT_ACCESSED and PT_DIRTY */
};

typedef int (*pt_walk_fn)(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx);
typedef int (*pt_range_fn)(const struct pt_range *r, void *ctx);
/*
 * Release and copy callbacks see swap entries (not-present level-0 entries
 * holding a swap entry's value, mm/swap.h) too: with size 0 and the value in
 * @pa. Walks see them only through pt_walk_all().
 */
#define PT_SIZE_SWAP	0
typedef void (*pt_release_fn)(phys_addr_t pa, uint64_t size, void *ctx);
typedef int (*pt_copy_fn)(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned *prot, void *ctx);

/**
 * pt_space_init() - set up an empty address space
 * @s: the space
 * @fmt: its paging format (must outlive @s)
 *
 * Allocates a zeroed root table from the PMM (below fmt->root_limit). Set
 * PT_SPACE_KERNEL in @s->flags afterwards for the kernel's own space.
 *
 * Return: 0, -MM_EINVAL for an inconsistent format, -MM_ENOMEM.
 */
int pt_space_init(struct pt_space *s, const struct pt_format *fmt);

/**
 * pt_space_destroy() - free every page-table page of a space
 * @s: the space; must not be the active one
 *
 * The mapped frames are not touched (unmap them first with a release
 * callback if they need freeing); tables of borrowed root slots are left to
 * their owner. Refuses, with a report, to destroy the active space.
 */
void pt_space_destroy(struct pt_space *s);

/**
 * pt_space_share_kernel() - make root slots of @src visible in @dst
 * @dst: a space with nothing mapped in those slots (typically a new user space)
 * @src: the kernel space
 * @first: first root slot (x86_64: 256 for the upper half)
 * @count: number of slots
 *
 * Copies the root entries, so all later changes below them in @src are seen
 * by @dst. To keep that true, @src gets a table in every such slot now, and
 * keeps it even when it becomes empty (the slots are "pinned"); @src is
 * marked PT_SPACE_SHARED (its changes are flushed whatever is active). In
 * @dst the slots become read-only: pt_map(), pt_unmap() and pt_protect()
 * refuse them and pt_space_destroy() leaves them alone. One range per @dst.
 *
 * Return: 0; -MM_EINVAL for bad slots, mismatched formats or a @dst that
 * already borrows; -MM_EEXIST if @dst has tables there; -MM_ENOMEM (nothing changed).
 */
int pt_space_share_kernel(struct pt_space *dst, struct pt_space *src, unsigned first,
			  unsigned count);

/**
 * pt_map() - map [va, va + len) to [pa, pa + len)
 * @s: the space
 * @va: page-aligned, canonical virtual address
 * @pa: page-aligned physical address; pa + len <= fmt->phys_limit
 * @len: bytes, a non-zero multiple of PAGE_SIZE; the range may not wrap
 *	 or cross the non-canonical hole
 * @prot: PT_* (formats without NX map everything executable)
 * @flags: PT_MAP_LARGE, PT_MAP_REPLACE
 *
 * With PT_MAP_LARGE, each piece whose va and pa are aligned to a large page
 * size of the format and which covers a whole large page becomes one large
 * leaf (largest first). Without PT_MAP_REPLACE the call fails if anything in
 * the range is mapped; with it, old mappings are overwritten (their frames
 * are the caller's business), their TLB entries flushed, and tables only
 * they used freed. The page tables needed are allocated before anything is
 * changed, so running out of memory changes nothing.
 *
 * Return: 0, -MM_EINVAL, -MM_EEXIST, -MM_ENOMEM.
 */
int pt_map(struct pt_space *s, uintptr_t va, phys_addr_t pa, uint64_t len, unsigned prot,
	   unsigned flags);

/* One 4 KiB page where nothing is mapped, without the lock if it can (mm/pt_map.c). */
int pt_map_one(struct pt_space *s, uintptr_t va, phys_addr_t pa, unsigned prot);

/*
 * pt_swap() - point the leaves of @n pages (in one existing table) at new
 * frames (PMM_NO_FRAME: clear), previous frames in @old; one TLB batch.
 * See mm/pt_swap.c. Return: 0, -MM_EINVAL, -MM_ENOENT (no table there).
 */
int pt_swap(struct pt_space *s, uintptr_t va, unsigned n, const phys_addr_t *pa, unsigned prot,
	    phys_addr_t *old);

/**
 * pt_unmap() - remove the mappings of [va, va + len)
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 * @release: called for each removed leaf with its physical address and size
 *	     (for a large leaf cut by the range: the part removed), in address
 *	     order, under the space's lock and before the TLB flush; may be NULL
 * @ctx: passed to @release
 *
 * Holes are skipped. A large leaf only partly inside the range is split
 * first; the tables that needs are allocated before anything changes, so
 * -MM_ENOMEM leaves the space as it was. Tables that become empty are freed.
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_unmap(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx);

/*
 * pt_zap() - pt_unmap() that frees no table, for a range beside pt_map_one()
 * users; pt_prune() frees the empty tables of a range afterwards, when no
 * such user can be there (mm/pt_change.c).
 */
int pt_zap(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx);
/* pt_zap() of a long range, a table at a time under the lock, as one TLB batch (mm/pt_change.c). */
int pt_zap_spans(struct pt_space *s, uintptr_t va, uint64_t len, pt_release_fn release, void *ctx);
void pt_prune(struct pt_space *s, uintptr_t va, uint64_t len);
/* Has pt_prune() work in a range pt_zap() left? A lockless hint (mm/pt_change.c). */
bool pt_zap_left_empty(const struct pt_space *s, uintptr_t va, uint64_t len);

/**
 * pt_protect() - change the protections of the mappings in [va, va + len)
 * @s: the space
 * @va: page-aligned, canonical
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 * @prot: the new PT_* protections. PT_ACCESSED and PT_DIRTY set those bits;
 *	  bits the MMU already set are kept either way.
 *
 * Unmapped holes in the range are skipped (it is not an error to protect a
 * sparse range). A large leaf partly inside the range is split unless it
 * already has @prot; as for pt_unmap(), -MM_ENOMEM changes nothing.
 *
 * Return: 0, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_protect(struct pt_space *s, uintptr_t va, uint64_t len, unsigned prot);

/**
 * pt_copy_range() - copy the leaves of [va, va + len) from @src into @dst
 * @dst: the space receiving the copies (same format as @src, not @src)
 * @src: the space copied from
 * @va: page-aligned, canonical; the same addresses in both spaces
 * @len: non-zero multiple of PAGE_SIZE, no wrap
 * @flags: PT_COPY_COW, PT_COPY_EMPTY
 * @fn: called for each leaf about to be copied, in address order, under
 *	both spaces' locks, with its address, physical address and size and
 *	in *prot its PT_* bits in @src (PT_ACCESSED and PT_DIRTY as the MMU
 *	left them), which it may change to become the copy's; it returns 0 to
 *	copy, PT_COPY_SKIP to leave the leaf alone in both spaces, or a
 *	negative error that stops the copy. It must not call into either
 *	space. NULL copies every leaf as it is.
 * @ctx: passed to @fn
 *
 * The page tables are walked table by table, both spaces side by side. A
 * leaf wholly inside the range is copied as one leaf of the same size; a
 * large leaf cut by an end of the range is copied as the smaller leaves it
 * would split into, and split in @src only if PT_COPY_COW must
 * write-protect part of it. With PT_COPY_COW every copied leaf is
 * read-only in @dst, and a writable one becomes read-only in @src too
 * (the invalidations are batched into one flush at the end), so that the
 * first write on either side faults. Holes are skipped. The copies must
 * land on holes of @dst; its tables are reused, the missing ones allocated
 * before anything changes, as are the tables splits in @src need. With
 * PT_COPY_EMPTY the caller vouches that @dst maps nothing in the range, and
 * the entries of @dst's existing page tables are not read to find out.
 *
 * Locks @src, then @dst.
 *
 * Return: 0; -MM_EINVAL; -MM_EEXIST if @dst maps something where a copy
 * goes; -MM_ENOMEM (in these three cases nothing changed); or the first
 * negative value @fn returned, with the leaves before it copied.
 */
int pt_copy_range(struct pt_space *dst, struct pt_space *src, uintptr_t va, uint64_t len,
		  unsigned flags, pt_copy_fn fn, void *ctx);

/**
 * pt_translate() - look up the mapping of one virtual address
 * @s: the space
 * @va: any address (non-canonical ones are simply not mapped)
 * @pa: if not NULL, the physical address of @va (page offset included)
 * @prot: if not NULL, the leaf's PT_* bits, with PT_ACCESSED and PT_DIRTY as
 *	  the MMU left them; formats without NX always report PT_EXEC
 * @page_size: if not NULL, the size of the leaf (4 KiB, 2 MiB, ...)
 *
 * Lockless: reads each entry once, atomically, like the MMU. The answer is
 * exact unless @va is being changed concurrently; a concurrent pt_unmap()
 * may free a table the walk is reading, so the caller holds the space's
 * lock or walks inside plat_pt_walk_begin() (see "Freeing page tables" above).
 *
 * Return: true if @va is mapped.
 */
bool pt_translate(const struct pt_space *s, uintptr_t va, phys_addr_t *pa, unsigned *prot,
		  uint64_t *page_size);

/**
 * pt_walk() - visit the leaves of [start, end) in address order
 * @s: the space
 * @start: first address (any; the non-canonical hole is skipped)
 * @end: exclusive end; pt_walk(s, 0, UINTPTR_MAX, ...) visits everything
 * @fn: called with each leaf overlapping the range, whole (not clipped)
 * @ctx: passed to @fn
 *
 * Lockless, with the same rules as pt_translate(); @fn must not modify @s.
 *
 * Return: the first non-zero value @fn returned (which stops the walk), or 0.
 */
int pt_walk(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_walk_fn fn, void *ctx);

/**
 * pt_walk_ranges() - pt_walk() merging leaves into runs
 * @s: the space
 * @start: as for pt_walk()
 * @end: as for pt_walk()
 * @fn: called with each maximal run of leaves contiguous in virtual and
 *	physical memory with equal protections (accessed/dirty ignored)
 * @ctx: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int pt_walk_ranges(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_range_fn fn,
		   void *ctx);

/*
 * pt_walk_all() - pt_walk() that also visits swap entries, with size
 * PT_SIZE_SWAP, the entry's value as @pa and prot 0.
 */
int pt_walk_all(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_walk_fn fn,
		void *ctx);

/* --- swap entries in page tables (mm/pt_swpent.c) ---------------------------- */

/*
 * pt_swp_out() - replace the 4 KiB leaf at @va, which must map @pa, with
 * swap entry @val (30 bits); flushed. *@prot gets the leaf's PT_* bits
 * (accessed and dirty as the MMU left them). Return: 0; -MM_EAGAIN if the
 * leaf is gone or maps another frame; -MM_EINVAL.
 */
int pt_swp_out(struct pt_space *s, uintptr_t va, phys_addr_t pa, uint32_t val, unsigned *prot);

/*
 * pt_swp_in() - replace swap entry @val at @va with a 4 KiB leaf mapping @pa
 * with @prot. Return: 0; -MM_EAGAIN if @va no longer holds @val; -MM_EINVAL.
 */
int pt_swp_in(struct pt_space *s, uintptr_t va, uint32_t val, phys_addr_t pa, unsigned prot);

/*
 * pt_swp_set() - put swap entry @val at @va, where nothing is mapped
 * (mremap moving one). Return: 0, -MM_EEXIST, -MM_EINVAL, -MM_ENOMEM.
 */
int pt_swp_set(struct pt_space *s, uintptr_t va, uint32_t val);

/* pt_swp_lookup() - does @va hold a swap entry? Its value in *@val. Lockless, like pt_translate(). */
bool pt_swp_lookup(const struct pt_space *s, uintptr_t va, uint32_t *val);

/*
 * pt_clear_young() - clear the accessed bit of the 4 KiB leaf at @va, as
 * reclaim's clock does (no flush: a stale TLB entry only delays the next
 * setting, as on Linux/x86). Return: 1 if it was set, 0 if not, -MM_ENOENT
 * if no 4 KiB leaf is there.
 */
int pt_clear_young(struct pt_space *s, uintptr_t va);

/**
 * pt_check_range() - would @s accept [va, va + len) for pt_map/unmap/protect?
 * @s: the space
 * @va: start
 * @len: length
 *
 * Return: 0, or -MM_EINVAL if unaligned, empty, wrapping, non-canonical,
 * across the non-canonical hole, or touching root slots borrowed from another space.
 */
int pt_check_range(const struct pt_space *s, uintptr_t va, uint64_t len);

/**
 * pt_va_canonical() - is @va a valid virtual address in format @fmt?
 * @fmt: the format
 * @va: the address
 */
bool pt_va_canonical(const struct pt_format *fmt, uintptr_t va);

/**
 * pt_format_check() - is the format's data self-consistent?
 * @fmt: the format
 *
 * Checks levels, entry size, shifts against index bits, and the virtual
 * address width. pt_space_init() calls it.
 *
 * Return: 0 or -MM_EINVAL (reported).
 */
int pt_format_check(const struct pt_format *fmt);

/**
 * pt_check() - verify the invariants of a space's tables
 * @s: the space (not being modified meanwhile)
 *
 * Every table's entry count matches its present entries, no table but the
 * root and pinned slots is empty, leaves sit only at levels that allow them
 * and are aligned, and table_pages counts the tables. Each problem is
 * reported with mm_err(). Slow: for tests, fuzzers and a debugging shell.
 *
 * Return: the number of problems, 0 if all is well.
 */
unsigned pt_check(const struct pt_space *s);

/**
 * pt_prot_string() - "rwxug" style rendering of PT_* bits, for logs and the shell
 * @prot: PT_* bits
 * @buf: at least 8 bytes
 *
 * Return: @buf, e.g. "rw--g-" (r, w, x, u, g, c for uncached).
 */
char *pt_prot_string(unsigned prot, char *buf);

#endif
