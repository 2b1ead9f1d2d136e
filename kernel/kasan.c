// SPDX-License-Identifier: MIT
/*
 * The kernel address sanitizer (the KASAN build, make kernel-kasan; x86_64).
 *
 * The compiler (-fsanitize=kernel-address, outline checks) calls
 * __asan_loadN/__asan_storeN before every load and store of instrumented
 * code (mm/ and kernel/ but the heap itself, arch/, tests/kernel/). Each
 * 8 bytes of the direct map have a shadow byte at KASAN_SHADOW_BASE: 0 if
 * all 8 may be accessed, 1-7 if only that many leading bytes may, or a
 * KASAN_* code (negative as a signed byte) if none may. The heap keeps the
 * shadow (mm/heap_debug.c): a live object's requested bytes are open, its
 * red zone and freed objects (held in a quarantine for a while) are not;
 * neither are the frames the PMM holds free (mm/pmm.c).
 *
 * A bad access is reported with its backtrace and the object's allocation
 * and free stacks, then the kernel carries on (kasan=panic: it panics);
 * each code address is reported once. Addresses outside the direct map
 * (the image, vmalloc, user space) are not checked.
 *
 * This file is not instrumented (mk/ksan.mk).
 */
#include "arch.h"
#include "arch_common.h"
#include "memlayout.h"
#include "kernel/kasan.h"
#include "kernel/lib.h"
#include "mm/fault.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/pt.h"

#ifdef KASAN

#define SHADOW_SCALE	3	/* one shadow byte per 8 bytes */
#define SEEN_MAX	64	/* code addresses reported already */

static bool ready;
static uintptr_t tracked_end;		/* the direct map's end as far as shadow exists */
static unsigned long reports;
static int reporting;
static const void *seen[SEEN_MAX];
static unsigned nseen;
static bool panic_mode;

static inline int8_t *shadow_of(uintptr_t addr)
{
	return (int8_t *)(KASAN_SHADOW_BASE + ((addr - DIRECT_MAP_BASE) >> SHADOW_SCALE));
}

static inline bool tracked(uintptr_t addr)
{
	return addr >= DIRECT_MAP_BASE && addr < tracked_end;
}

unsigned long kasan_reports(void)
{
	return reports;
}

/* --- shadow set-up ----------------------------------------------------------- */

static bool page_has_ram(const struct memmap *map, phys_addr_t lo, phys_addr_t hi)
{
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		if (r->type == MEMMAP_USABLE && r->base < hi && r->end > lo)
			return true;
	}
	return false;
}

/* pmm_walk(): the frames free at boot; from now on the PMM keeps their shadow. */
static void poison_free_run(phys_addr_t base, phys_addr_t end, unsigned node, enum pmm_zone zone,
			    enum pmm_frame_state state, void *ctx)
{
	(void)node, (void)zone, (void)ctx;
	if (state == PMM_FRAME_FREE && zone != PMM_ZONE_ID_HIGHMEM)
		plat_kasan_poison(plat_phys_to_virt(base), end - base, KASAN_PAGE_FREE);
}

/**
 * kasan_init() - map the shadow of the direct map's RAM and start checking
 * @map: the memory map (the direct map covers its RAM)
 *
 * Each shadow page covers 32 KiB of physical memory: one of its own (zeroed:
 * all accessible) where that holds usable RAM, one shared zero page mapped
 * read-only where it does not. Call after kernel_space_init(), before the
 * heap exists. Panics without memory for it: a KASAN kernel is useless
 * without its shadow.
 */
void kasan_init(const struct memmap *map)
{
	phys_addr_t top = 0;
	uint64_t own = 0;

	for (unsigned i = 0; i < map->count; i++)
		if (map->range[i].type == MEMMAP_USABLE && map->range[i].end > top)
			top = map->range[i].end;
	phys_addr_t zero = pmm_alloc_pages(0, PMM_ZERO);
	if (zero == PMM_NO_FRAME)
		panic("kasan: no memory for the shadow");
	const phys_addr_t per_page = (phys_addr_t)PAGE_SIZE << SHADOW_SCALE;
	for (phys_addr_t pa = 0; pa < top; pa += per_page) {
		uintptr_t va = (uintptr_t)shadow_of(DIRECT_MAP_BASE + pa);
		bool ram = page_has_ram(map, pa, pa + per_page);
		phys_addr_t frame = ram ? pmm_alloc_pages(0, PMM_ZERO) : zero;
		if (frame == PMM_NO_FRAME)
			panic("kasan: no memory for the shadow of %#" PRIx64, (uint64_t)pa);
		if (pt_map(&kernel_vm.pt, va, frame, PAGE_SIZE,
			   PT_GLOBAL | (ram ? PT_WRITE : 0), 0))
			panic("kasan: cannot map the shadow at %#" PRIxPTR, va);
		own += ram;
	}
	tracked_end = DIRECT_MAP_BASE + (uintptr_t)top;
	pmm_walk(poison_free_run, NULL);
	char v[8];
	panic_mode = cmdline_value("kasan", v, sizeof(v)) && !strcmp(v, "panic");
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	kprintf("kasan: shadow of %" PRIu64 " MiB of direct map at %#lx: %" PRIu64
		" pages; heap red zones, quarantine of %u KiB\n", (uint64_t)(top >> 20),
		(unsigned long)KASAN_SHADOW_BASE, own, 4096u);
}

/* --- the heap's hooks (mm/platform.h) ---------------------------------------- */

void plat_kasan_poison(const void *p, size_t len, uint8_t why)
{
	uintptr_t a = (uintptr_t)p;

	if (!tracked(a) || !len)
		return;
	memset(shadow_of(a), why, len >> SHADOW_SCALE);
}

void plat_kasan_unpoison(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;

	if (!tracked(a))
		return;
	memset(shadow_of(a), 0, len >> SHADOW_SCALE);
	if (len & 7)
		*shadow_of(a + len) = (int8_t)(len & 7);
}

/* Frame records on this stack: each above the last, within a kernel stack's reach. */
unsigned plat_kasan_stack(const void **pcs, unsigned n)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), start = fp, page = 0;
	unsigned k = 0;

	while (k < n && fp >= KERNEL_SPACE_BASE && !(fp & 7) && fp - start < 32768) {
		if (fp >> PAGE_SHIFT != page) {
			if (!kernel_mapped(fp) || !kernel_mapped(fp + 15))
				break;
			page = fp >> PAGE_SHIFT;
		}
		const uintptr_t *frame = (const uintptr_t *)fp;
		if (!frame[1])
			break;
		pcs[k++] = (const void *)frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	for (unsigned i = k; i < n; i++)
		pcs[i] = NULL;
	return k;
}

/* --- checks and reports -------------------------------------------------------- */

/* The first shadow byte that forbids part of [addr, addr + size), or 0. */
static int8_t bad_shadow(uintptr_t addr, size_t size, uintptr_t *where)
{
	uintptr_t end = addr + size < tracked_end ? addr + size : tracked_end;

	for (uintptr_t g = addr & ~(uintptr_t)7; g < end; g += 8) {
		if (!(g & 63) && end - g >= 64 && !*(const uint64_t *)shadow_of(g)) {
			g += 56;	/* 64 bytes open: a whole shadow word at once */
			continue;
		}
		int8_t s = *shadow_of(g);
		if (!s)
			continue;
		uintptr_t last = (end < g + 8 ? end : g + 8) - 1;
		if (s < 0 || (int8_t)(last & 7) >= s) {
			*where = g > addr ? g : addr;
			return s;
		}
	}
	return 0;
}

static bool seen_before(const void *ip)
{
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i] == ip)
			return true;
	if (nseen < SEEN_MAX)
		seen[nseen++] = ip;
	return false;
}

static void print_stack(const char *what, const void *const *pcs)
{
	kprintf("%s:\n", what);
	for (unsigned i = 0; i < HEAP_STACK_DEPTH && pcs[i]; i++)
		kprintf("  [<%016lx>] %pS\n", (unsigned long)pcs[i], pcs[i]);
}

static void describe(uintptr_t addr, int8_t why)
{
	struct heap_obj_info o;

	if ((uint8_t)why == KASAN_PAGE_FREE) {
		phys_addr_t pa = plat_virt_to_phys((void *)addr);
		kprintf("the address is %#lx bytes into frame %#" PRIx64 ", which the PMM holds free\n",
			(unsigned long)(pa & (PAGE_SIZE - 1)), (uint64_t)(pa & ~(phys_addr_t)(PAGE_SIZE - 1)));
		return;
	}
	if (!heap_object_info((const void *)addr, &o)) {
		kprintf("the address is not in a heap object\n");
		return;
	}
	uintptr_t start = (uintptr_t)o.obj;
	long off = (long)(addr - start);
	if ((size_t)off < o.req_size)
		kprintf("the address is %ld bytes inside a %zu-byte object [%#lx, %#lx) of cache %s, %s\n",
			off, o.req_size, (unsigned long)start, (unsigned long)(start + o.req_size),
			o.cache, o.live ? "live" : "freed");
	else
		kprintf("the address is %ld bytes to the right of a %zu-byte object [%#lx, %#lx) of "
			"cache %s (%zu-byte slots), %s\n", off - (long)o.req_size, o.req_size,
			(unsigned long)start, (unsigned long)(start + o.req_size), o.cache,
			o.obj_size, o.live ? "live" : "freed");
	kprintf("allocated at %s:%u\n", o.alloc.file ? o.alloc.file : "?", o.alloc.line);
	print_stack("allocation stack", o.alloc_stack);
	if (!o.live) {
		kprintf("freed at %s:%u\n", o.free.file ? o.free.file : "?", o.free.line);
		print_stack("free stack", o.free_stack);
	}
}

static void report(uintptr_t addr, size_t size, bool write, const void *ip)
{
	uintptr_t where = addr;
	int8_t s = bad_shadow(addr, size, &where);

	if (!s || seen_before(ip) || __atomic_exchange_n(&reporting, 1, __ATOMIC_ACQUIRE))
		return;
	reports++;
	const char *kind = (uint8_t)s == KASAN_FREED ? "use-after-free" :
			   (uint8_t)s == KASAN_PAGE_FREE ? "use-after-free-page" : "slab-out-of-bounds";
	kprintf("KASAN: %s: %s of size %zu at %#lx by %pS\n", kind, write ? "write" : "read", size,
		(unsigned long)addr, ip);
	backtrace();
	describe(where, s);
	kprintf("--- end of KASAN report ---\n");
	if (panic_mode)
		panic("kasan: bad access (kasan=panic)");
	__atomic_store_n(&reporting, 0, __ATOMIC_RELEASE);
}

static inline void check(uintptr_t addr, size_t size, bool write, const void *ip)
{
	if (!__atomic_load_n(&ready, __ATOMIC_RELAXED) || !tracked(addr) || reporting)
		return;
	int8_t s = *shadow_of(addr);
	if (__builtin_expect(!s && ((addr & 7) + size <= 8), 1))
		return;
	uintptr_t where;
	if (bad_shadow(addr, size, &where))
		report(addr, size, write, ip);
}

void kasan_check_range(const void *p, size_t n, bool write, const void *ip)
{
	if (n)
		check((uintptr_t)p, n, write, ip);
}

#define CHECKS(n)								\
	void __asan_load##n##_noabort(uintptr_t addr);				\
	void __asan_load##n##_noabort(uintptr_t addr)				\
	{									\
		check(addr, n, false, __builtin_return_address(0));		\
	}									\
	void __asan_store##n##_noabort(uintptr_t addr);			\
	void __asan_store##n##_noabort(uintptr_t addr)				\
	{									\
		check(addr, n, true, __builtin_return_address(0));		\
	}
CHECKS(1)
CHECKS(2)
CHECKS(4)
CHECKS(8)
CHECKS(16)

void __asan_loadN_noabort(uintptr_t addr, size_t size);
void __asan_loadN_noabort(uintptr_t addr, size_t size)
{
	check(addr, size, false, __builtin_return_address(0));
}

void __asan_storeN_noabort(uintptr_t addr, size_t size);
void __asan_storeN_noabort(uintptr_t addr, size_t size)
{
	check(addr, size, true, __builtin_return_address(0));
}

/* Called before a noreturn call; the kernel has no fake stacks to unwind. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
}

#endif
