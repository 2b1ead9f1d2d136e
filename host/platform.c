/* SPDX-License-Identifier: MIT */
/* The porting interface implemented for a Linux host process (see sim.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#ifdef MM_KASAN
#include <sanitizer/asan_interface.h>
#endif

#include "host/sim.h"
#include "mm/mempolicy.h"
#include "mm/platform.h"
#include "mm/pt.h"

static uint8_t *ram;
static uint64_t ram_size;
static uint8_t *high;		/* sim_ram_init_split(): the bank above the hole */
static uint64_t high_base, high_size;
static int log_level = LOG_WARN;
static phys_addr_t pt_root;
static char last_log[512];
static phys_addr_t highmem_base = PLAT_NO_HIGHMEM;
/* Each host thread plays one CPU: its stack of temporary mappings. */
static _Thread_local void *kmap_stack[PLAT_KMAP_DEPTH];
static _Thread_local unsigned kmap_depth;

struct sim_counters sim_count;
unsigned long sim_kmap_high_total;
void (*sim_panic_hook)(const char *msg);
void (*sim_kmap_hook)(phys_addr_t pa);

/*
 * A 32-bit build places its RAM low: a 32-bit process under a 64-bit kernel
 * or qemu-i386 may be given addresses above 3 GiB, which 32-bit ASan does
 * not count as program memory (its layout follows the i386 3/1 split).
 */
#if UINTPTR_MAX > 0xffffffffu
#define SIM_RAM_HINT	NULL
#else
#define SIM_RAM_HINT	((void *)0x50000000)
#endif

static void *map_bank(void *hint, uint64_t bytes)
{
	void *p = mmap(hint, (size_t)bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int sim_ram_init(uint64_t bytes)
{
	sim_ram_fini();
	if (bytes > SIM_RAM_MAX || !(ram = map_bank(SIM_RAM_HINT, bytes)))
		return -1;
	ram_size = bytes;
	return 0;
}

int sim_ram_init_split(uint64_t low, uint64_t hbase, uint64_t hsize)
{
	if (hbase < low || hsize > SIM_RAM_MAX - MM_MIN(low, SIM_RAM_MAX) || sim_ram_init(low))
		return -1;
	/* Right after the low bank where addresses are scarce (a 32-bit build). */
	high = map_bank(SIM_RAM_HINT ? ram + ALIGN_UP(low, 1u << 20) + (1u << 20) : NULL, hsize);
	if (!high) {
		sim_ram_fini();
		return -1;
	}
	high_base = hbase;
	high_size = hsize;
	return 0;
}

bool sim_ram_has(uint64_t pa, uint64_t len)
{
	if (pa <= ram_size && len <= ram_size - pa)
		return true;
	return pa >= high_base && pa - high_base <= high_size && len <= high_size - (pa - high_base);
}

bool sim_ram_holds(const void *p, size_t len)
{
	const uint8_t *b = p;

	return (ram && b >= ram && len <= ram_size && (uint64_t)(b - ram) <= ram_size - len) ||
	       (high && b >= high && len <= high_size && (uint64_t)(b - high) <= high_size - len);
}

void sim_ram_fini(void)
{
	sim_heap_arena_fini();
#ifdef MM_KASAN
	/* The next RAM may be mapped at the same host addresses: no poison left over. */
	if (ram)
		__asan_unpoison_memory_region(ram, (size_t)ram_size);
	if (high)
		__asan_unpoison_memory_region(high, (size_t)high_size);
#endif
	if (ram)
		munmap(ram, (size_t)ram_size);
	if (high)
		munmap(high, (size_t)high_size);
	ram = high = NULL;
	ram_size = high_base = high_size = 0;
	highmem_base = PLAT_NO_HIGHMEM;
}

void sim_set_highmem(phys_addr_t base)
{
	highmem_base = base;
}

uint64_t sim_ram_size(void)
{
	return ram_size;
}

void sim_set_log_level(int level)
{
	log_level = level;
}

const char *sim_last_log(void)
{
	return last_log;
}

void *plat_phys_to_virt(phys_addr_t pa)
{
	if (pa >= highmem_base)
		plat_panic("host: plat_phys_to_virt(%#llx): high memory (from %#llx) needs plat_kmap()",
			   (unsigned long long)pa, (unsigned long long)highmem_base);
	return sim_phys(pa);
}

void *sim_phys(phys_addr_t pa)
{
	if (pa >= ram_size) {
		if (pa >= high_base && pa - high_base < high_size)
			return high + (pa - high_base);
		plat_panic("host: physical address %#llx beyond simulated RAM (%#llx)",
			   (unsigned long long)pa, (unsigned long long)ram_size);
	}
	return ram + pa;
}

phys_addr_t plat_virt_to_phys(const void *va)
{
	const uint8_t *p = va;
	phys_addr_t pa;

	if (sim_heap_arena_phys(va, &pa))
		return pa;
	if (high && p >= high && p < high + high_size)
		return high_base + (phys_addr_t)(p - high);
	return (phys_addr_t)(p - ram);
}

phys_addr_t plat_highmem_base(void)
{
	return highmem_base;
}

/* All RAM is addressable here; what is checked is the contract of the pair. */
void *plat_kmap(phys_addr_t pa)
{
	void *p;

	if (pa & (PAGE_SIZE - 1))
		plat_panic("host: plat_kmap(%#llx): not page-aligned", (unsigned long long)pa);
	if (sim_kmap_hook)
		sim_kmap_hook(pa);
	if (kmap_depth == PLAT_KMAP_DEPTH)
		plat_panic("host: plat_kmap(%#llx): more than %u mappings at once",
			   (unsigned long long)pa, PLAT_KMAP_DEPTH);
	if (pa >= highmem_base) {
		sim_count.kmap_high++;
		__atomic_fetch_add(&sim_kmap_high_total, 1, __ATOMIC_RELAXED);
	}
	p = sim_phys(pa);
	kmap_stack[kmap_depth++] = p;
	return p;
}

void plat_kunmap(void *va)
{
	if (!kmap_depth || kmap_stack[kmap_depth - 1] != va)
		plat_panic("host: plat_kunmap(%p): not the last mapping made", va);
	kmap_depth--;
}

void plat_tlb_flush_page(uintptr_t va)
{
	(void)va;
	__atomic_add_fetch(&sim_count.tlb_flush_page, 1, __ATOMIC_RELAXED);
}

void plat_tlb_flush_all(void)
{
	__atomic_add_fetch(&sim_count.tlb_flush_all, 1, __ATOMIC_RELAXED);
}

void plat_set_pt_root(phys_addr_t root)
{
	pt_root = root;
}

phys_addr_t plat_pt_root(void)
{
	return pt_root;
}

/* Each host thread plays one CPU, numbered in order of first use. */
/* One simulated MMU per host thread: only the calling one to flush. */
mm_cpumask_t plat_cpus_online(void)
{
	return (mm_cpumask_t)1 << plat_cpu_id();
}

/* Per simulated CPU: odd while a soft-MMU access is between its walk and its copy. */
static unsigned long cpu_access_seq[MM_MAX_CPUS];

bool sim_cpu_access_begin(struct pt_space *s)
{
	unsigned cpu = plat_cpu_id();
	bool held = s && (pt_space_cpus_now(s) & ((mm_cpumask_t)1 << cpu));

	/* Locked updates, so the walk's loads come after them (flush_set() pairs with these). */
	__atomic_fetch_add(&cpu_access_seq[cpu], 1, __ATOMIC_SEQ_CST);
	if (s && !held)
		pt_space_cpu_enter(s, cpu);
	return held;
}

void sim_cpu_access_end(struct pt_space *s, bool held)
{
	unsigned cpu = plat_cpu_id();

	if (s && !held)
		pt_space_cpu_leave(s, cpu);
	__atomic_fetch_add(&cpu_access_seq[cpu], 1, __ATOMIC_RELEASE);
}

/*
 * A lockless walk is an access window too: a shootdown of @s waits for it
 * to end, as a real CPU's interrupts stay masked over the walk.
 */
unsigned long plat_pt_walk_begin(struct pt_space *s)
{
	return sim_cpu_access_begin(s);
}

void plat_pt_walk_end(struct pt_space *s, unsigned long cookie)
{
	sim_cpu_access_end(s, cookie != 0);
}

/*
 * The calling CPU's TLB is flushed (counted); every other CPU in @cpus has
 * no TLB but may be inside an access that walked the old entries: wait for
 * that access to end, as the interrupt of a real shootdown would.
 */
void plat_tlb_shootdown(mm_cpumask_t cpus, const uintptr_t *va, unsigned n, bool global)
{
	unsigned self = plat_cpu_id();

	(void)global;
	__atomic_add_fetch(&sim_count.tlb_shootdown, 1, __ATOMIC_RELAXED);	/* zaps run side by side */
	/* The caller's changes are ordered before this by pt_space_cpus_now(). */
	for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
		unsigned long seq;

		if (c == self || !(cpus & ((mm_cpumask_t)1 << c)))
			continue;
		seq = __atomic_load_n(&cpu_access_seq[c], __ATOMIC_SEQ_CST);
		while ((seq & 1) && __atomic_load_n(&cpu_access_seq[c], __ATOMIC_SEQ_CST) == seq)
			plat_cpu_relax();
	}
	if (!(cpus & plat_cpus_online()))
		return;
	if (!va)
		plat_tlb_flush_all();
	for (unsigned i = 0; va && i < n; i++)
		plat_tlb_flush_page(va[i]);
}

/* CPU ids handed out so far: the next thread to ask gets this one (mod MM_MAX_CPUS). */
static unsigned cpu_ids_given;

unsigned plat_cpu_id(void)
{
	static _Thread_local unsigned id = ~0u;

	if (id == ~0u)
		id = __atomic_fetch_add(&cpu_ids_given, 1, __ATOMIC_SEQ_CST) % MM_MAX_CPUS;
	return id;
}

/* Ids 0 .. n-1 once n threads asked, all of them from the 64th on: a thread's bit is set before it has its id. */
mm_cpumask_t plat_cpus_possible(void)
{
	unsigned n = __atomic_load_n(&cpu_ids_given, __ATOMIC_SEQ_CST);

	return n >= MM_MAX_CPUS ? ~(mm_cpumask_t)0 : ((mm_cpumask_t)1 << n) - 1;
}

/*
 * Interrupts are simulated per thread as a depth of saves, so that tests
 * can tell code that would run with interrupts off (a spinlock held):
 * a backend that may sleep must never be called there (sim_irqs_off()),
 * and an allocation there never reclaims (plat_reclaim_begin()).
 */
static _Thread_local unsigned long irq_depth;
static _Thread_local bool reclaiming;

unsigned long plat_irq_save(void)
{
	return irq_depth++;
}

void plat_irq_restore(unsigned long flags)
{
	irq_depth = flags;
}

bool sim_irqs_off(void)
{
	return irq_depth != 0;
}

/* A reclaim point: no simulated lock held (interrupts on) and not reclaiming already. */
bool plat_reclaim_begin(void)
{
	if (irq_depth || reclaiming)
		return false;
	reclaiming = true;
	return true;
}

void plat_reclaim_end(void)
{
	reclaiming = false;
}

void plat_cpu_relax(void)
{
	__builtin_ia32_pause();
}

/*
 * Dozing, off unless a test sets sim_doze_ms: a simulated CPU (a thread)
 * "halts" on a condition variable, and only a plat_doze_wake() for its key
 * ends that early; the wait's limit (sim_doze_ms) stands for the tick, and
 * reaching it is counted as a missed wake-up (sim_count.doze_timeouts).
 */
unsigned sim_doze_ms;

static struct {
	pthread_mutex_t m;
	pthread_cond_t c;
	const void *key;	/* atomic: read by wakers without @m */
	bool woken;
} dozers[MM_MAX_CPUS];
static pthread_once_t dozers_once = PTHREAD_ONCE_INIT;

static void dozers_init(void)
{
	for (unsigned i = 0; i < MM_MAX_CPUS; i++) {
		pthread_mutex_init(&dozers[i].m, NULL);
		pthread_cond_init(&dozers[i].c, NULL);
	}
}

bool plat_doze_prepare(const void *key, unsigned long flags)
{
	unsigned cpu = plat_cpu_id();

	if (!__atomic_load_n(&sim_doze_ms, __ATOMIC_RELAXED) || flags)
		return false;	/* flags: "interrupts" were off at the lock call */
	pthread_once(&dozers_once, dozers_init);
	pthread_mutex_lock(&dozers[cpu].m);
	dozers[cpu].woken = false;
	pthread_mutex_unlock(&dozers[cpu].m);
	__atomic_store_n(&dozers[cpu].key, key, __ATOMIC_SEQ_CST);
	return true;
}

void plat_doze_finish(bool halt)
{
	unsigned cpu = plat_cpu_id();

	if (halt) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sim_doze_ms / 1000;
		until.tv_nsec += (long)(sim_doze_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		__atomic_add_fetch(&sim_count.dozes, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&dozers[cpu].m);
		while (!dozers[cpu].woken)
			if (pthread_cond_timedwait(&dozers[cpu].c, &dozers[cpu].m, &until)) {
				__atomic_add_fetch(&sim_count.doze_timeouts, 1, __ATOMIC_RELAXED);
				break;
			}
		pthread_mutex_unlock(&dozers[cpu].m);
	}
	__atomic_store_n(&dozers[cpu].key, NULL, __ATOMIC_RELAXED);
}

void plat_doze_wake(const void *key)
{
	unsigned self = plat_cpu_id();

	for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
		if (c == self || __atomic_load_n(&dozers[c].key, __ATOMIC_SEQ_CST) != key)
			continue;
		pthread_mutex_lock(&dozers[c].m);
		dozers[c].woken = true;
		pthread_cond_signal(&dozers[c].c);
		pthread_mutex_unlock(&dozers[c].m);
	}
}

/* Host programs are not preempted by us; nothing is ever killed. */
bool plat_preempt_point(void)
{
	__atomic_fetch_add(&sim_count.preempt_points, 1, __ATOMIC_RELAXED);
	return false;
}

/* Each host thread plays a kernel thread with its own memory policy. */
static _Thread_local struct mm_mempolicy thread_policy;

void sim_set_mempolicy(const struct mm_mempolicy *pol)
{
	thread_policy = pol ? *pol : (struct mm_mempolicy){ 0 };
}

const struct mm_mempolicy *plat_mempolicy(void)
{
	return thread_policy.mode == MM_MPOL_DEFAULT ? NULL : &thread_policy;
}

static unsigned sim_nkeys = 1;
_Thread_local uint32_t sim_pkru;

void sim_set_pkeys(unsigned nkeys)
{
	sim_nkeys = nkeys;
}

unsigned plat_pkeys(void)
{
	return sim_nkeys;
}

void plat_pkey_deny_access(int pkey, bool fresh)
{
	unsigned shift = 2 * (unsigned)pkey;

	if (fresh || !(sim_pkru & (1u << shift)))
		sim_pkru = (sim_pkru & ~(3u << shift)) | (1u << shift);
}

void plat_log(enum plat_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if ((unsigned)level < 4)
		sim_count.log[level]++;
	if ((int)level <= log_level)
		fprintf(stderr, "%s\n", last_log);
}

_Noreturn void plat_panic(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sim_panic_hook)
		sim_panic_hook(msg);
	fprintf(stderr, "PANIC: %s\n", msg);
	abort();
}
