/* SPDX-License-Identifier: MIT */
/*
 * The porting interface: everything the portable memory core needs from the
 * machine it runs on. A kernel that reuses the core implements these
 * functions and nothing else; docs/porting.md describes each one's contract.
 *
 * Implementations in this tree: arch/x86_64/platform.c (the kernel) and
 * host/platform.c (simulated physical memory on a Linux host).
 */
#ifndef MM_PLATFORM_H
#define MM_PLATFORM_H

#include "types.h"

/* --- Physical memory access ------------------------------------------- */

/* Kernel-virtual address through which physical address @pa is reachable. */
void *plat_phys_to_virt(phys_addr_t pa);
/* Inverse of plat_phys_to_virt() (and of plat_kmap() while the mapping lasts). */
phys_addr_t plat_virt_to_phys(const void *va);

/*
 * High memory: RAM the kernel cannot map permanently (a 32-bit kernel has
 * about 1 GiB of address space for itself). Frames at and above
 * plat_highmem_base() are never passed to plat_phys_to_virt(): the core
 * gives them out only to callers that asked for PMM_HIGHMEM (user pages,
 * page-cache data) and reaches their contents only between plat_kmap() and
 * plat_kunmap(). A platform that maps all RAM returns PLAT_NO_HIGHMEM and
 * implements the pair as plat_phys_to_virt() and nothing.
 */
#define PLAT_NO_HIGHMEM	(~(phys_addr_t)0)
phys_addr_t plat_highmem_base(void);
/*
 * A temporary mapping of the frame at @pa (page-aligned), valid on this CPU
 * until plat_kunmap(): mappings nest (at most PLAT_KMAP_DEPTH at once) and
 * are released in the reverse order. The caller must not sleep or yield
 * while it holds one; interrupts may come and use their own.
 */
#define PLAT_KMAP_DEPTH	4
void *plat_kmap(phys_addr_t pa);
void plat_kunmap(void *va);

/* --- Address translation hardware -------------------------------------- */

/* Forget any cached translation of virtual address @va on this CPU. */
void plat_tlb_flush_page(uintptr_t va);
/* Forget all cached translations on this CPU, global ones included. */
void plat_tlb_flush_all(void);
/* Make @root the active top-level page table; plat_pt_root() reads it. */
void plat_set_pt_root(phys_addr_t root);
phys_addr_t plat_pt_root(void);
/*
 * Around a walk of @s's page tables that holds none of its locks, on a CPU
 * that has @s loaded (the fault path's): no TLB shootdown of @s can complete
 * until plat_pt_walk_end(), so no table the walk may still be reading goes
 * back to the PMM meanwhile (mm/pt.h, "Freeing page tables"). The kernel
 * masks interrupts, so the shootdown's interrupt waits; the walk must take
 * no lock and not sleep. Returns what plat_pt_walk_end() needs.
 */
struct pt_space;
unsigned long plat_pt_walk_begin(struct pt_space *s);
void plat_pt_walk_end(struct pt_space *s, unsigned long cookie);

/* --- CPUs and interrupts ------------------------------------------------ */

/* Index of the executing CPU, 0 .. MM_MAX_CPUS-1. */
unsigned plat_cpu_id(void);
/* Disable interrupts, returning the previous state for plat_irq_restore(). */
unsigned long plat_irq_save(void);
void plat_irq_restore(unsigned long flags);
/* Hint to the CPU that we are spinning (PAUSE on x86). */
void plat_cpu_relax(void);
/*
 * Dozing instead of spinning, for a lock waiter whose holder may be kept
 * off its CPU for long (a virtual CPU its host does not run): a waiter that
 * spins then burns the host time the holder needs. With interrupts off,
 * plat_doze_prepare(@key, @flags) marks this CPU as dozing on @key and
 * returns true, or returns false if it cannot doze (interrupts were off at
 * @flags, the state plat_irq_save() returned; or the platform never
 * dozes). The caller then re-checks its condition atomically (publishing
 * that it dozes) and calls plat_doze_finish(true) to stop the CPU until
 * an interrupt or a plat_doze_wake(@key) from another CPU, or
 * plat_doze_finish(false) not to; either unmarks it, and returns with
 * interrupts off. A wake-up may be spurious. plat_doze_wake(@key) wakes
 * every CPU marked as dozing on @key.
 */
bool plat_doze_prepare(const void *key, unsigned long flags);
void plat_doze_finish(bool halt);
void plat_doze_wake(const void *key);
/*
 * A preemption point in a long operation, called with no lock held and
 * interrupts as the caller found them: let other tasks run if one is due.
 * Returns true if the calling task was killed meanwhile, so the operation
 * should stop early (with an error its caller tolerates).
 */
bool plat_preempt_point(void);
/*
 * The NUMA memory policy of the running thread (set_mempolicy(2)), which
 * places the pages its faults allocate unless their region has its own
 * (mm/mempolicy.h); NULL: none (MPOL_DEFAULT). Read by the thread's own
 * faults only, so it needs no lock if only the thread itself changes it.
 */
struct mm_mempolicy;
const struct mm_mempolicy *plat_mempolicy(void);

/*
 * Protection keys (mm/as_pkey.c): how many the CPU gives user pages (1:
 * none, only key 0). plat_pkey_deny_access() takes every access to @pkey
 * away from the calling thread (its key register, x86's PKRU), which is
 * Linux's step for its execute-only key: done when @fresh (the key was
 * just allocated), otherwise only if the thread may read @pkey now.
 */
unsigned plat_pkeys(void);
void plat_pkey_deny_access(int pkey, bool fresh);

/*
 * Reclaim points (mm/reclaim.h): may an allocation that found no memory
 * reclaim here, which can sleep and take the spaces' locks? Yes only in a
 * task that may sleep, with interrupts on (every spinlock of the core masks
 * them, so none is held), that is not reclaiming already (reclaim's own
 * allocations never reclaim again). plat_reclaim_begin() answers and, on
 * true, marks the task reclaiming until plat_reclaim_end(). The core also
 * uses the mark for a window where it holds a space's lock with interrupts
 * on (mm/reclaim.h reclaim_forbid()), so the answer there is no as well.
 */
bool plat_reclaim_begin(void);
void plat_reclaim_end(void);

#define MM_MAX_CPUS	64

/* A set of CPUs: bit n for CPU n. */
typedef uint64_t mm_cpumask_t;

/* The CPUs running now: a change to kernel mappings must reach them all. */
mm_cpumask_t plat_cpus_online(void);
/*
 * Every CPU that may have run the core since it started, so may hold
 * per-CPU state (a frame cache, an LRU batch, heap lists): each id
 * plat_cpu_id() has returned, and its bit is set before that CPU's first
 * call into the core. Never shrinks. Loops over per-CPU state visit this
 * set, not all MM_MAX_CPUS slots; state for a CPU outside it is empty.
 */
mm_cpumask_t plat_cpus_possible(void);

/* The lowest CPU of @mask at or above @cpu; MM_MAX_CPUS if none. */
static inline unsigned mm_cpumask_next(mm_cpumask_t mask, unsigned cpu)
{
	if (cpu >= MM_MAX_CPUS || !(mask >> cpu))
		return MM_MAX_CPUS;
	return cpu + (unsigned)__builtin_ctzll(mask >> cpu);
}

/*
 * Visit each CPU of @mask, lowest first; @mask is read once. (The outer
 * loop only holds the copy: it runs once, and break leaves both.)
 */
#define for_each_cpu(cpu, mask)						\
	for (mm_cpumask_t cpu##_set = (mask), *cpu##_once = &cpu##_set;	\
	     cpu##_once; cpu##_once = NULL)					\
		for (unsigned cpu = mm_cpumask_next(cpu##_set, 0); cpu < MM_MAX_CPUS; \
		     cpu = mm_cpumask_next(cpu##_set, cpu + 1))
/* Visit each CPU that may hold per-CPU state (plat_cpus_possible()). */
#define for_each_possible_cpu(cpu)	for_each_cpu(cpu, plat_cpus_possible())
/*
 * TLB shootdown: forget the translations of the @n pages at @va (all
 * non-global ones if @va is NULL; with @global, global ones too) on every
 * CPU in @cpus, this one included if it is in the set, and return only when
 * all have. One interrupt per target CPU for the whole batch. Called with
 * interrupts in any state; a CPU waiting for a lock must still answer.
 */
void plat_tlb_shootdown(mm_cpumask_t cpus, const uintptr_t *va, unsigned n, bool global);

/* --- Diagnostics ---------------------------------------------------------- */

enum plat_log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* printf-style message; supports %d %i %u %x %X %p %s %c %zu %llx and friends. */
void plat_log(enum plat_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The core found one of its own invariants broken: report and stop. */
_Noreturn void plat_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#define mm_err(...)	plat_log(LOG_ERR, __VA_ARGS__)
#define mm_warn(...)	plat_log(LOG_WARN, __VA_ARGS__)
#define mm_info(...)	plat_log(LOG_INFO, __VA_ARGS__)
#define mm_debug(...)	plat_log(LOG_DEBUG, __VA_ARGS__)

/* --- Address sanitizer (only in a build with MM_KASAN) -------------------- */

#ifdef MM_KASAN
/*
 * The heap tells the platform's shadow memory which bytes may be accessed:
 * a live object's requested bytes, nothing of its red zone, nothing of a
 * freed object until it is handed out again. @p and @len are multiples of 8
 * except the end of an unpoisoned range. @why is one of KASAN_* below.
 */
#define KASAN_REDZONE	0xfc	/* between objects, after a request, never handed out */
#define KASAN_FREED	0xfb	/* freed, in quarantine or on a free list */
#define KASAN_PAGE_FREE	0xff	/* a frame the PMM holds free */
#define KASAN_LARGE_REDZONE	0xfe	/* a large kmalloc area's pages around its object */
#define KASAN_VMALLOC_REDZONE	0xf7	/* a vmalloc area's last page past its requested size */
#define KASAN_VMALLOC_FREED	0xfd	/* a vfree()d area in vmalloc's quarantine */
#define KASAN_KMAP_UNMAPPED	0xfa	/* a kmap slot after plat_kunmap() */
void plat_kasan_poison(const void *p, size_t len, uint8_t why);
void plat_kasan_unpoison(const void *p, size_t len);
/*
 * vmalloc maps kernel pages outside the platform's direct map: the shadow of
 * [@p, @p + @len) (whole pages) must exist from plat_kasan_map() (false: no
 * memory for it, and the mapping fails) until the matching plat_kasan_unmap().
 * Calls nest per page: a page mapped, unmapped and mapped again is fine, as
 * are ranges that share shadow pages. New shadow is all accessible.
 */
bool plat_kasan_map(const void *p, size_t len);
void plat_kasan_unmap(const void *p, size_t len);
/* The current call chain's return addresses, innermost first; fills at most @n, returns how many. */
unsigned plat_kasan_stack(const void **pcs, unsigned n);
#endif

#endif
