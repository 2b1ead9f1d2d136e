/* SPDX-License-Identifier: MIT */
/*
 * Per-process address spaces: a page-table root plus an address-ordered set
 * of regions, with the Linux semantics of mmap, munmap, mprotect, mremap,
 * madvise, brk and fork on top, and the fault routine that makes memory on
 * demand (zero pages, copy-on-write, shared anonymous pages, file pages,
 * stack growth).
 *
 * Ownership of frames: every present user page-table entry holds one PMM
 * reference to its frame; a shared anonymous object holds one more to each
 * of its frames. Copy-on-write is "the frame has more than one reference".
 * Destroying a space drops every reference and frees every page-table page
 * but the kernel's shared upper half.
 *
 * The system-call layer copies arguments from user space and passes them
 * here unchanged; results are Linux's: an address or 0 on success, a
 * negated MM_E* code of Linux's number on failure.
 *
 * Locking: each space has a reader-writer lock. Page faults (and futex
 * key lookups) take it for reading, so the threads of one space fault in
 * parallel; a fault also holds the hashed fault lock of its page
 * (as_fault.c), so two faults of the same page are one after the other.
 * Every other entry point takes it for writing; munmap, MADV_DONTNEED,
 * MAP_FIXED over a mapping and VirtualFree of a space shared by threads
 * then downgrade it to reading while they zap the pages, the regions
 * already changed and the range marked for faults where regions stay
 * (as_unmap.c). Page tables are freed only under the write lock, since
 * faults fill empty entries without the page-table lock (pt_map_one()).
 * Order: the space's lock, then a fault lock, then the shared objects'
 * own locks (page cache, PMM, page tables), taken inside them. The lock is
 * always held with interrupts off, except in those downgraded zaps, which
 * are no-reclaim scopes (mm/reclaim.h reclaim_forbid()): an allocation that
 * reclaimed there would wait for this space's write lock.
 */
#ifndef MM_AS_H
#define MM_AS_H

#include "fault.h"
#include "mempolicy.h"

/* mmap/mprotect protections: Linux's values. */
#define MM_PROT_NONE		0x0
#define MM_PROT_READ		0x1
#define MM_PROT_WRITE		0x2
#define MM_PROT_EXEC		0x4
#define MM_PROT_SEM		0x8
#define MM_PROT_GROWSDOWN	0x01000000
#define MM_PROT_GROWSUP		0x02000000

/* mmap flags: Linux's x86_64 values. */
#define MM_MAP_SHARED		0x01
#define MM_MAP_PRIVATE		0x02
#define MM_MAP_SHARED_VALIDATE	0x03
#define MM_MAP_TYPE		0x0f
#define MM_MAP_FIXED		0x10
#define MM_MAP_ANONYMOUS	0x20
#define MM_MAP_32BIT		0x40
#define MM_MAP_GROWSDOWN	0x0100
#define MM_MAP_DENYWRITE	0x0800
#define MM_MAP_EXECUTABLE	0x1000
#define MM_MAP_LOCKED		0x2000
#define MM_MAP_NORESERVE	0x4000
#define MM_MAP_POPULATE		0x8000
#define MM_MAP_NONBLOCK		0x10000
#define MM_MAP_STACK		0x20000
#define MM_MAP_HUGETLB		0x40000
#define MM_MAP_SYNC		0x80000
#define MM_MAP_FIXED_NOREPLACE	0x100000
#define MM_MAP_UNINITIALIZED	0x4000000
#define MM_MAP_HUGE_SHIFT	26
#define MM_MAP_HUGE_MASK	0x3f

/* mremap flags. */
#define MM_MREMAP_MAYMOVE	1
#define MM_MREMAP_FIXED		2
#define MM_MREMAP_DONTUNMAP	4

/* mlock2 and mlockall flags. */
#define MM_MLOCK_ONFAULT	1
#define MM_MCL_CURRENT		1
#define MM_MCL_FUTURE		2
#define MM_MCL_ONFAULT		4

/* madvise advice: Linux's values (the ones accepted). */
#define MM_MADV_NORMAL		0
#define MM_MADV_RANDOM		1
#define MM_MADV_SEQUENTIAL	2
#define MM_MADV_WILLNEED	3
#define MM_MADV_DONTNEED	4
#define MM_MADV_FREE		8
#define MM_MADV_REMOVE		9
#define MM_MADV_DONTFORK	10
#define MM_MADV_DOFORK		11
#define MM_MADV_MERGEABLE	12
#define MM_MADV_UNMERGEABLE	13
#define MM_MADV_HUGEPAGE	14
#define MM_MADV_NOHUGEPAGE	15
#define MM_MADV_DONTDUMP	16
#define MM_MADV_DODUMP		17
#define MM_MADV_WIPEONFORK	18
#define MM_MADV_KEEPONFORK	19
#define MM_MADV_COLD		20
#define MM_MADV_PAGEOUT		21
#define MM_MADV_POPULATE_READ	22
#define MM_MADV_POPULATE_WRITE	23

/*
 * The user layout follows Linux's for the width of a pointer.
 *
 * x86_64: user space ends one page below the non-canonical hole (TASK_SIZE:
 * a SYSRET to the last canonical page is unsafe); the kernel half starts at
 * the hole's top (root slots 256..511).
 *
 * i386 (32-bit pointers): user space is the low 3 GiB and the kernel lives
 * at 0xC0000000 (PAGE_OFFSET): page-directory slots 768..1023 in two-level
 * paging, page-directory-pointer slot 3 with PAE. ASLR ranges are Linux's
 * 32-bit ones (stack 8 MiB, mmap 1 MiB).
 */
#if UINTPTR_MAX > 0xffffffffu
#define AS_TASK_SIZE		0x00007ffffffff000ull
#define AS_USER_END		0x0000800000000000ull	/* the lower half, its last page too */
#define AS_KERNEL_BASE		0xffff800000000000ull
#define AS_STACK_RND_MASK	0x3fffffull		/* stack top randomization, in pages: 16 GiB */
#define AS_MMAP_RND_BITS	28			/* mmap base randomization, in pages: 1 TiB */
#else
#define AS_TASK_SIZE		0xc0000000u
#define AS_USER_END		0xc0000000u		/* the kernel starts right there */
#define AS_KERNEL_BASE		0xc0000000u
#define AS_STACK_RND_MASK	0x7ffull		/* in pages: 8 MiB */
#define AS_MMAP_RND_BITS	8			/* in pages: 1 MiB */
#endif
#define AS_MMAP_MIN_ADDR	0x10000ull		/* the null guard: vm.mmap_min_addr */
#define AS_STACK_LIMIT_DEFAULT	(8ull << 20)		/* RLIMIT_STACK */
#define AS_STACK_GUARD_GAP	(256ull << 12)		/* stack_guard_gap: 1 MiB */
#define AS_STACK_INITIAL	(128ull << 10)		/* first stack region (setup_arg_pages) */
#define AS_BRK_RND_RANGE	0x02000000ull		/* brk base randomization: 32 MiB */
#define AS_MMAP_GAP_MIN		(128ull << 20)		/* least room between mmap base and stack */
#define AS_BRK_DEFAULT		0x01000000ull		/* brk base before as_set_brk_base() */
#define AS_MAX_MAP_COUNT	65530			/* vm.max_map_count */

/* What is behind a region. */
enum as_backing {
	AS_ANON_PRIVATE,	/* zero-filled on demand, copy-on-write across fork */
	AS_ANON_SHARED,		/* zero-filled on demand, one set of frames for all sharers */
	AS_FILE_PRIVATE,	/* the file's cached pages, copied on the first write */
	AS_FILE_SHARED,		/* the file's cached pages themselves */
};

/* Region flags. */
#define AS_R_GROWSDOWN	0x1	/* a stack: faults below it grow it */
#define AS_R_NOMAYWRITE	0x2	/* can never become writable (shared read-only file) */
#define AS_R_HEAP	0x4	/* the brk area */
#define AS_R_STACK	0x8	/* the main stack */
#define AS_R_DONTFORK	0x10	/* not inherited (MADV_DONTFORK) */
#define AS_R_WIPEONFORK	0x20	/* inherited empty (MADV_WIPEONFORK) */
#define AS_R_LOCKED	0x40	/* mlock()ed: populated, and MADV_DONTNEED refused */
#define AS_R_LOWMEM	0x80	/* below the null guard on request (a DOS box: as_map_low()) */
#define AS_R_ACCOUNT	0x100	/* its pages are committed (mm/commit.h) */
#define AS_R_RESERVED	0x200	/* Win32: reserved pages, not committed (mm/as_win32.h) */
#define AS_R_GUARD	0x400	/* Win32: PAGE_GUARD, the first access raises a guard-page fault */
#define AS_R_WSTACK	0x800	/* Win32: a thread stack, grown by moving its guard page down */
#define AS_R_WRESET	0x1000	/* Win32: MEM_RESET dropped its contents (MEM_RESET_UNDO fails) */
#define AS_R_WWATCH	0x2000	/* Win32: MEM_WRITE_WATCH allocation */
#define AS_R_WCLEAN	0x4000	/* Win32: ... its pages not written since the last reset (mapped read-only) */
#define AS_R_NORESERVE	0x8000	/* MAP_NORESERVE outside strict overcommit: never charged */
#define AS_R_LOCKONFAULT 0x10000	/* with AS_R_LOCKED: locked as faulted, never populated (MLOCK_ONFAULT) */

/*
 * A file as the address space sees it: a name and its page-cache object
 * (mm/pcache.h), whose size bounds the mapping (pages past it: SIGBUS).
 * @get/@put, if set, are called when a region starts and stops referring to
 * it (System V segments count attachments so); without them the as_file
 * must outlive every mapping (the page-cache object is counted by itself).
 */
struct as_section;

struct as_file {
	const char *name;
	struct pcache *pc;
	void (*get)(const struct as_file *f);
	void (*put)(const struct as_file *f);
	struct as_section *section;	/* Win32 SEC_RESERVE: its commit state (mm/as_win32.h); or NULL */
	bool nomerge;			/* its regions never merge, not even pieces of one mapping
					 * (Linux: a vma with vm_ops->close, as System V shm's) */
};

/* How the descriptor behind a file mapping was opened (as_mmap_file()). */
#define AS_FMODE_READ	0x1
#define AS_FMODE_WRITE	0x2

struct pcache;

/* One region: [start, end) with one protection and one backing. */
struct as_region {
	uintptr_t start, end;
	uint32_t flags;			/* AS_R_* */
	uint8_t prot;			/* MM_PROT_READ | _WRITE | _EXEC */
	struct mm_mempolicy pol;	/* mbind()'s policy; MPOL_DEFAULT: the thread's */
	struct pcache *shm;		/* shared or file: the page-cache object */
	const struct as_file *file;	/* file mappings: name and attach hooks */
	uint64_t pgoff;			/* page offset of start in the object */
	uintptr_t alloc_base;		/* Win32: VirtualAlloc's allocation base; 0: a Linux mapping */
	/* Bit-fields: 64 bytes hold 32-bit flags only so (all PAGE_* are below 0x800). */
	uint32_t alloc_prot : 12;	/* Win32: the PAGE_* it was allocated with */
	uint32_t wprot : 12;		/* Win32: PAGE_* of its committed pages (0: reserved) */
	uint32_t backing : 4;		/* enum as_backing */
	uint32_t pkey : 4;		/* protection key of its pages (as_pkey.c); 0: the default */
	uint32_t anon;			/* its private pages' identity (AS_ANON_*), as_region.c */
};
/*
 * A region's anonymous identity, Linux's vma->anon_vma as far as merging and
 * mremap can tell: 0 until a private page is first made in it (a write
 * fault, a copy-on-write, stack growth; not a read of the zero page), then
 * an id of its space that its splits and moves keep, or that a compatible
 * neighbour lends it; AS_ANON_FORKED marks one a fork child inherited (the
 * chain of a cloned anon_vma is not singular).
 */
#define AS_ANON_FORKED	0x80000000u

/* The region array holds vm.max_map_count (65530) of them in the PMM's largest block. */
_Static_assert(sizeof(struct as_region) <= 64, "struct as_region grew past 64 bytes");

/* How a space is laid out and randomized. */
struct as_params {
	const struct pt_format *fmt;	/* NULL: x86_64 (i386 PAE with 32-bit pointers) */
	struct pt_space *kernel;	/* shares its root slots from AS_KERNEL_BASE up; NULL: none */
	uint64_t (*random)(void *ctx);	/* per-boot random source (RDRAND); NULL: no ASLR */
	void *random_ctx;
	bool no_aslr;			/* boot option: fixed layout for reproducible runs */
	uint64_t stack_limit;		/* RLIMIT_STACK; 0: AS_STACK_LIMIT_DEFAULT */
	/*
	 * Checking: every as_region_reserve() moves the region array and
	 * scribbles over the old one, so a region pointer kept across a
	 * reserve (see struct as) reads garbage at once. Fork keeps it.
	 */
	bool move_regions;
};

/*
 * The resource limits an address space checks itself, in bytes (Linux's
 * rlimits; AS_RLIM_INFINITY: none). The kernel sets them from its process's
 * limits with as_set_limits(): memlock is AS_RLIM_INFINITY for a process
 * with CAP_IPC_LOCK's rights. Linux's rules: mmap, brk, mremap and stack
 * growth fail with ENOMEM past as_cur (total_vm) or, for private writable
 * memory, past data_cur (data_vm; data_cur 0 under a larger data_max is
 * Valgrind's exception); mprotect to writable past data_cur; mlock past
 * memlock (ENOMEM; MAP_LOCKED: EAGAIN; limit 0: EPERM).
 */
#define AS_RLIM_INFINITY	(~0ull)
struct as_limits {
	uint64_t as_cur;
	uint64_t data_cur, data_max;
	uint64_t memlock;
	uint64_t data_seg;		/* bytes of the image's data segment (brk's check) */
};

/*
 * A process's address space. Embed it; as_init() sets it up.
 *
 * The region array (@reg) moves: as_region_reserve() may put it in a new
 * block and free the old one, and insertions, splits, merges and removals
 * shift its entries. So a pointer into it (as_region_find(), &as->reg[i])
 * is good only until the next call that may reserve or change the set:
 * as_region_reserve() and everything calling it (split_range(),
 * as_map_region(), as_region_set_flag(), ...), and the fault path
 * (as_fault_locked*(): a Win32 guard, write-watch or view fault splits).
 * Keep an index or an address across such a call and look the region up
 * again after it. as_params.move_regions makes every reserve move the
 * array, for tests that look for such pointers.
 */
/* Ranges a space may have zapped under its read lock at once (as_zap_unlock()). */
#define AS_ZAP_MARKS	4

/* A range being zapped under the read lock: [lo, hi), unused while hi is 0. */
struct as_zap_mark {
	uintptr_t lo, hi;
};

struct as {
	struct vm_space vs;		/* ends with its fault counters */
	/*
	 * Written by every fault on every CPU, with vs's fault counters just
	 * before: one group of cache lines, kept off those of the fields
	 * below, which faults only read (region array, limits, flags).
	 */
	rwlock_t lock;			/* faults read, everything else writes */
	/*
	 * Pages mapped in the page tables, less those counted in CPUs' slots
	 * (as_rss.c): read it with as_rss(). Atomic: faults add in parallel.
	 */
	MM_ATOMIC64 uint64_t rss;
	MM_ATOMIC64 uint64_t hiwater_rss;	/* rss before its last fall */
	char hot_gap[VM_CACHE_LINE];
	volatile MM_ATOMIC64 mm_cpumask_t rss_cpus;	/* CPUs whose slot may count pages here */
	struct as_params params;
	struct as_region *reg;		/* sorted by address, disjoint; moves (above) */
	uint32_t nr, cap;		/* regions used and room for */
	unsigned reg_order;		/* PMM order of the array */
	uintptr_t mmap_base;		/* top-down allocations start below it */
	uintptr_t stack_top;
	uintptr_t start_brk, brk;	/* the heap is [start_brk, PAGE_ALIGN(brk)) */
	uint64_t stack_limit;
	uint64_t commit_limit;		/* pages of RAM, for the commit policy's checks */
	uint64_t hiwater_vm;		/* total_vm before its last fall */
	uint64_t total_vm, data_vm;	/* pages in regions; private writable non-stack ones */
	uint64_t locked_vm;		/* pages in AS_R_LOCKED regions */
	struct as_limits lim;		/* RLIMIT_AS, _DATA, _MEMLOCK (as_limits.c) */
	MM_ATOMIC64 uint64_t swapents;	/* swap entries in the page tables (pages swapped out) */
	uintptr_t scan_hand;		/* reclaim's clock hand (as_swap.c) */
	uint64_t *gap;			/* free-area index (as_gaps.c), PMM pages */
	uint32_t gap_leaves, gap_dirty;	/* leaves; first stale one (UINT32_MAX: none) */
	unsigned gap_order;
	struct as *all_prev, *all_next;	/* every space, for as_unmap_object() */
	uintptr_t anon_id;		/* its family (fork tree): owner of its anonymous LRU pages */
	struct as *anon_prev, *anon_next;	/* the family's spaces' hash chain (as_anon.c) */
	bool anon_moved;		/* mremap moved anonymous pages: their index != address */
	uint32_t anon_seq;		/* the last region identity it gave (as_region_anon()) */
	bool lock_future;		/* mlockall(MCL_FUTURE): new mappings are locked */
	bool lock_onfault;		/* ... with MCL_ONFAULT: as they fault, not populated */
	uint16_t pkeys;			/* protection keys allocated, bit n for key n (as_pkey.c) */
	int8_t xo_pkey;			/* the execute-only key (as_pkey.c), -1 until one is needed */
	uint16_t membarrier;		/* the kernel's membarrier() registrations; fork keeps them */
	bool breakable;			/* held through as_lock(): long work may break it */
	bool shared;			/* has had several users (threads, vfork): never broken */
	unsigned long lock_fl;		/* as_lock()'s saved interrupt state */
	/* Set under the write lock, cleared under the read lock: faults there wait (as_zap_marked()). */
	struct as_zap_mark zap_marks[AS_ZAP_MARKS];
	uint32_t zap_marked;		/* marks in use */
};
MM_ATOMIC64_OK(struct as, rss);
MM_ATOMIC64_OK(struct as, hiwater_rss);
MM_ATOMIC64_OK(struct as, rss_cpus);
MM_ATOMIC64_OK(struct as, swapents);

/**
 * as_set_shared() - the space gains a second user (a thread or a vfork child)
 * @as: the space
 *
 * From then on long operations keep its lock from start to end: another
 * thread must never see a half-done munmap, mprotect or fork, nor move the
 * region array under one. Sticky: it is never cleared.
 */
static inline void as_set_shared(struct as *as)
{
	__atomic_store_n(&as->shared, true, __ATOMIC_RELEASE);
}

/* Usage figures for ps and memstat. */
struct as_stats {
	uint64_t vsize;		/* bytes in regions */
	uint64_t rss;		/* resident pages */
	uint64_t regions;
	uint64_t table_pages;	/* page-table pages, root included */
	uint64_t heap;		/* bytes in the brk area */
	uint64_t stack;		/* bytes in the stack region */
	uint64_t swap;		/* pages swapped out */
	uint64_t peak_rss, peak_vm;	/* high-water marks, pages (VmHWM, VmPeak) */
	uint64_t locked, data;	/* pages in mlock()ed regions, in private writable ones */
};

/* A region as the iterator shows it. */
struct as_region_info {
	uintptr_t start, end;
	uint32_t prot;
	uint32_t flags;
	enum as_backing backing;
	uint64_t offset;	/* bytes into the file or shared object */
	uint64_t resident;	/* pages present */
	uint64_t swapped;	/* pages swapped out */
	const struct as_file *file;	/* file and shm mappings: the object; else NULL */
	const char *name;	/* "[heap]", "[stack]", "[anon]", "[shmem]" or the file's name */
	unsigned pkey;		/* its protection key */
};

typedef int (*as_region_fn)(const struct as_region_info *ri, void *ctx);

/* --- life cycle (as_layout.c, as_fork.c, as_destroy.c) ---------------------- */

int as_init(struct as *as, const struct as_params *p);
/*
 * Give new page tables the kernel half of @kernel (its root slots from
 * AS_KERNEL_BASE up, shared, not copied); 0 or -MM_ENOMEM. For spaces made
 * outside as_init(): the kernel's own set-up, tests.
 */
int as_share_kernel(struct pt_space *pt, struct pt_space *kernel);
int as_fork(struct as *child, struct as *parent);
void as_destroy(struct as *as);
void as_activate(struct as *as);
int as_set_brk_base(struct as *as, uintptr_t image_end);
void as_set_stack_limit(struct as *as, uint64_t limit);
void as_set_limits(struct as *as, const struct as_limits *lim);

/* --- system calls (as_mmap.c, as_mprotect.c, as_mremap.c, as_madvise.c, as_brk.c, as_mlock.c) */

/*
 * as_mmap() and as_mremap() return an address or -MM_E*. With 32-bit longs an
 * address above 2 GiB is negative too, so tell them apart as Linux does
 * (IS_ERR_VALUE): errors are the last 4095 values.
 */
#define AS_MAX_ERRNO	4095
static inline bool as_is_err(long r)
{
	return (unsigned long)r >= (unsigned long)-AS_MAX_ERRNO;
}

long as_mmap(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot,
	     unsigned long flags, const struct as_file *file, uint64_t off);
long as_mmap_file(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot,
		  unsigned long flags, const struct as_file *file, uint64_t off, unsigned fmode);
int as_msync(struct as *as, uintptr_t addr, uint64_t len, int flags);
const struct as_file *as_file_at(struct as *as, uintptr_t addr, uint64_t *pgoff,
				 uintptr_t *end);
long as_unmap_file(struct as *as, uintptr_t addr, uint64_t len, const struct as_file *file);
/* shmdt's search (mm/as_shmdt.c): the attach found from @addr as Linux finds it, removed. */
long as_detach(struct as *as, uintptr_t addr, bool (*is_attach)(const struct as_file *f),
	       uint64_t (*size_of)(const struct as_file *f));
long as_mincore(struct as *as, uintptr_t addr, uint64_t npages, uint8_t *vec);
int as_munmap(struct as *as, uintptr_t addr, uint64_t len);
int as_mprotect(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot);
int as_mprotect_pkey(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot, int pkey,
		     unsigned nkeys);

/* --- protection keys (as_pkey.c) -------------------------------------------- */

/*
 * Linux's pkey_alloc/pkey_free bookkeeping, per space; @nkeys is how many
 * keys the CPU has (1: no keys; as_mprotect_pkey() then takes only -1).
 * The access rights of a key live in the thread's register (x86's PKRU),
 * which is the caller's. The execute-only key (PROT_EXEC alone, from mmap
 * or a plain mprotect) is allocated too but is none of these calls'
 * business: pkey_free() and pkey_mprotect() refuse it, as on Linux.
 */
#define AS_PKEY_MAX	16
int as_pkey_alloc(struct as *as, unsigned nkeys);
int as_pkey_free(struct as *as, int pkey, unsigned nkeys);
bool as_pkey_allocated(struct as *as, int pkey, unsigned nkeys);
/* The protection key of the region at @addr, or -1 if none is there. */
int as_pkey_at(struct as *as, uintptr_t addr);
long as_mremap(struct as *as, uintptr_t addr, uint64_t old_len, uint64_t new_len,
	       unsigned long flags, uintptr_t new_addr);
int as_madvise(struct as *as, uintptr_t addr, uint64_t len, int advice);
/*
 * NUMA memory policies (as_mempolicy.c, mm/mempolicy.h): mbind() with
 * Linux's rules and errors; the policy of the region at @addr (-MM_EFAULT:
 * none); the node of the page at @addr, faulted in for reading if absent.
 */
int as_mbind(struct as *as, uintptr_t start, uint64_t len, const struct mpol_request *req,
	     unsigned flags, bool may_move_all);
int as_get_policy(struct as *as, uintptr_t addr, struct mm_mempolicy *pol);
int as_page_node(struct as *as, uintptr_t addr);
/*
 * Page migration (as_migrate.c): move_pages(2)'s query of one page (its
 * node, or -MM_EFAULT/-MM_ENOENT) and move of one page to an existing node
 * (the node, or the page's negated status); migrate_pages(2) of every page
 * on nodes @from to nodes @to (bit n: node n), the pages not moved counted.
 */
int as_page_status(struct as *as, uintptr_t va);
int as_move_page(struct as *as, uintptr_t va, unsigned node, bool move_all);
unsigned long as_migrate_nodes(struct as *as, unsigned from, unsigned to, bool move_all);
uintptr_t as_brk(struct as *as, uintptr_t brk);
int as_mlock(struct as *as, uintptr_t addr, uint64_t len, unsigned long flags);
int as_munlock(struct as *as, uintptr_t addr, uint64_t len);
int as_mlockall(struct as *as, unsigned long flags);
int as_munlockall(struct as *as);

/* msync flags. */
#define MM_MS_ASYNC		1
#define MM_MS_INVALIDATE	2
#define MM_MS_SYNC		4

/* --- every space (as_rmap.c) ------------------------------------------------ */

void as_unmap_object(struct pcache *pc, uint64_t first, uint64_t n, bool even_cows);
/* Reverse map of a page-cache page: clear and count accessed bits, or zap its entries. */
unsigned as_rmap_object(struct pcache *pc, uint64_t idx, phys_addr_t pa, bool unmap);
/* Set in as_rmap_object()'s result: an mlock()ed region maps the page (never zapped). */
#define AS_RMAP_LOCKED	0x80000000u

/* A walk of the entries mapping an anonymous page (as_anon.c). */
struct anon_walk {
	bool unmap;		/* in: swap the page out of each entry, else test-and-clear young */
	unsigned mapped;	/* entries found mapping the frame */
	unsigned young;		/* of those, accessed since the last look */
	unsigned locked;	/* of those, in mlocked (or DOS) regions: left alone */
	unsigned swapped;	/* turned into swap entries */
	bool queued;		/* a write was queued for swap_writeback_run() */
	int err;		/* the first swap-out error (-MM_ENOSPC: swap is full) */
};
/* Visit every entry mapping anonymous page (@id, @idx) at frame @pa; no space locked. */
void as_anon_rmap(uintptr_t id, uint64_t idx, phys_addr_t pa, struct anon_walk *w);

/* --- swap (as_swap.c; areas and figures in mm/swap.h) ------------------------ */

/* What a reclaim pass did. */
struct reclaim_figures {
	uint64_t scanned;	/* pages looked at */
	uint64_t swapped;	/* mappings turned into swap entries */
	uint64_t reclaimed;	/* frames freed */
	uint64_t queued;	/* pages left for swap_writeback_run() (an area that may sleep) */
};

unsigned long as_reclaim_scan(struct as *as, unsigned long nr, bool force,
			      struct reclaim_figures *st);
/* Visit every space with @fn until it returns false (the list's lock held, no space lock). */
void as_for_each(bool (*fn)(struct as *as, void *ctx), void *ctx);

/* --- faults and kernel access (as_fault.c, as_access.c) ---------------------- */

enum vm_fault_result as_fault(struct vm_space *vs, const struct vm_fault *f);
int as_copy_out(struct as *as, uintptr_t va, const void *buf, size_t len);
int as_copy_in(struct as *as, void *buf, uintptr_t va, size_t len);
/* The word at @va if its page is present, with no fault (as_access.c): 0 or -MM_EAGAIN. */
int as_peek_u32(struct as *as, uintptr_t va, uint32_t *val);

/* --- futex keys (as_futex.c) ------------------------------------------------ */

/* What a futex word is: equal keys are the same word. */
struct as_futex_key {
	const void *object;	/* the space, or a shared object */
	uint64_t offset;	/* the address, or the offset in the object */
};

int as_futex_key(struct as *as, uintptr_t addr, bool shared, struct as_futex_key *key);

/* --- resident pages, counted per CPU (as_rss.c) ------------------------------ */

void as_rss_add(struct as *as, long n);
uint64_t as_rss(struct as *as);
void as_rss_release(struct as *as);
void as_rss_forget(struct as *as);

/* --- accounting (as_info.c) ----------------------------------------------- */

void as_get_stats(struct as *as, struct as_stats *st);
int as_for_each_region(struct as *as, as_region_fn fn, void *ctx);
unsigned as_check(struct as *as);
bool as_access_ok(struct as *as, uintptr_t addr, uint64_t len, bool write);
bool as_region_at(struct as *as, uintptr_t addr, enum as_backing *backing);

/* --- low memory and page windows for a DOS box (as_lowmem.c) ----------------- */

int as_map_low(struct as *as, uint64_t len);
int as_page_frame(struct as *as, uintptr_t va, phys_addr_t *pa);
int as_swap_pages(struct as *as, uintptr_t va, unsigned n, const phys_addr_t *pa,
		  unsigned *writes);

#endif
