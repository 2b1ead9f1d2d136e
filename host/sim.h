/* SPDX-License-Identifier: MIT */
/*
 * The host platform: the portable core running as an ordinary Linux process.
 * Physical memory is simulated by one large lazily-backed mapping, so a test
 * can give the core 64 GiB of "RAM" and pay only for the pages it touches.
 */
#ifndef HOST_SIM_H
#define HOST_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/types.h"

/*
 * The most simulated RAM a test process can map in one piece: a 32-bit host
 * build (gcc -m32) has a 4 GiB address space, part of it ASan's shadow, so
 * larger machines (and RAM above 4 GiB) are out of its reach.
 */
#if UINTPTR_MAX > 0xffffffffu
#define SIM_RAM_MAX	(1ull << 46)
#else
#define SIM_RAM_MAX	(1536ull << 20)
#endif

/* Provide [0, bytes) of simulated physical memory. Returns 0 or -1 (also above SIM_RAM_MAX). */
int sim_ram_init(uint64_t bytes);
/*
 * Simulated RAM in two banks, [0, @low) and [@high_base, @high_base + @high),
 * nothing in between: a machine with memory above 4 GiB that a 32-bit build
 * can simulate too. 0 or -1.
 */
int sim_ram_init_split(uint64_t low, uint64_t high_base, uint64_t high);
/* Is [@pa, @pa + @len) simulated RAM? */
bool sim_ram_has(uint64_t pa, uint64_t len);
void sim_ram_fini(void);
uint64_t sim_ram_size(void);
/* The byte at physical @pa as the hardware sees it (the soft MMU, tests' checks). */
void *sim_phys(phys_addr_t pa);
/*
 * Play a 32-bit kernel with high memory: RAM from @base up is reported by
 * plat_highmem_base() and may be reached only through plat_kmap();
 * plat_phys_to_virt() of it panics, so a core path that forgets the
 * temporary mapping fails its test. Set before pmm_init(); sim_ram_fini()
 * ends it (PLAT_NO_HIGHMEM: all RAM mapped, the default).
 */
void sim_set_highmem(phys_addr_t base);

/*
 * The kernel heap's slab arena on the simulated RAM (host/heap_arena_sim.c):
 * given to heap_pages_kernel for the next heap_init() until
 * sim_heap_arena_fini() (which sim_ram_fini() does too). 0 or -1.
 */
int sim_heap_arena_init(void);
void sim_heap_arena_fini(void);
/* Is @va in the arena? Then *@pa is the frame behind it (PMM_NO_FRAME: given back). */
bool sim_heap_arena_phys(const void *va, phys_addr_t *pa);

/* The calling thread's memory policy, as plat_mempolicy() reports it; NULL: none. */
struct mm_mempolicy;
void sim_set_mempolicy(const struct mm_mempolicy *pol);
/*
 * Protection keys as plat_pkeys() reports them (default 1: none), and the
 * simulated thread's key register that plat_pkey_deny_access() changes
 * (x86's PKRU layout: bit 2k access disabled, bit 2k + 1 write disabled).
 */
void sim_set_pkeys(unsigned nkeys);
extern _Thread_local uint32_t sim_pkru;

/* Messages at or below this level are printed (default LOG_WARN). */
void sim_set_log_level(int level);

/* Would this thread run with interrupts off now (inside plat_irq_save()/restore())? */
bool sim_irqs_off(void);
/* Counters the tests read: log lines by level, TLB flushes (atomic: several threads zap at once). */
struct sim_counters {
	unsigned long log[4];
	unsigned long tlb_flush_page;
	unsigned long tlb_flush_all;
	unsigned long tlb_shootdown;	/* plat_tlb_shootdown() calls */
	unsigned long kmap_high;	/* plat_kmap() calls for frames in high memory */
	unsigned long preempt_points;	/* plat_preempt_point() calls (atomic: any thread) */
	unsigned long dozes;		/* plat_doze_finish() halts (atomic) */
	unsigned long doze_timeouts;	/* ... that no plat_doze_wake() ended (atomic) */
};
extern struct sim_counters sim_count;
/* Milliseconds a dozing simulated CPU waits at most; 0 (the default): it never dozes. */
extern unsigned sim_doze_ms;
/* plat_kmap() calls for high memory since the process started (never reset). */
extern unsigned long sim_kmap_high_total;
/* The last message logged, for tests that check a report was made. */
const char *sim_last_log(void);

/*
 * The soft MMU's accesses as a CPU's: between the walk that translates an
 * access and the copy it allows, the calling thread (a simulated CPU) is in
 * the space's CPU set and marked busy, so a TLB shootdown from another
 * thread (plat_tlb_shootdown()) waits for the copy to end, as an interrupt
 * waits for an instruction boundary, before the core frees what it
 * unmapped. begin returns what end needs (the CPU already held @s).
 */
struct pt_space;
bool sim_cpu_access_begin(struct pt_space *s);
void sim_cpu_access_end(struct pt_space *s, bool held);

/*
 * The address sanitizer's hooks (MM_KASAN, host/kasan.c): the direct map's
 * (simulated RAM's) poisoning goes to ASan's manual poisoning interface;
 * vmalloc's addresses are not host memory, so their hooks are only counted.
 * sim_kasan.fail_map makes plat_kasan_map() answer "no memory".
 */
struct sim_kasan {
	unsigned long poison[256];	/* plat_kasan_poison() calls by KASAN_* code */
	unsigned long unpoison;		/* plat_kasan_unpoison() calls */
	long mapped_pages;		/* plat_kasan_map() pages not yet plat_kasan_unmap()ped */
	bool fail_map;
};
extern struct sim_kasan sim_kasan;
/* Does [@p, @p + @len) lie in simulated RAM (host memory ASan can poison)? */
bool sim_ram_holds(const void *p, size_t len);

/*
 * plat_panic() calls this hook if set (a test can longjmp out of it to check
 * that a panic happened); otherwise it prints the message and aborts.
 */
extern void (*sim_panic_hook)(const char *msg);

/*
 * plat_kmap() calls this hook if set, with the frame it maps, before it
 * maps it: a test can hold a thread there (in the middle of zeroing a new
 * frame, say) while others run.
 */
extern void (*sim_kmap_hook)(phys_addr_t pa);

#endif
