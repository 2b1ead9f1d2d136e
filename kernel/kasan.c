// SPDX-License-Identifier: MIT
/*
 * The kernel address sanitizer (the KASAN build: make kernel-kasan for
 * x86_64, make kernel32-kasan for i386, two-level and PAE).
 *
 * The compiler (-fsanitize=kernel-address, outline checks) calls
 * __asan_loadN/__asan_storeN before every load and store of instrumented
 * code (mm/ and kernel/ but the heap itself, arch/, tests/kernel/). Each
 * 8 bytes of the kernel half have a shadow byte at (addr >> 3) +
 * KASAN_SHADOW_OFFSET: 0 if all 8 may be accessed, 1-7 if only that many
 * leading bytes may, or a KASAN_* code (negative as a signed byte) if none
 * may. Three parts of the kernel half have shadow:
 *
 * - the direct map's RAM, mapped at boot (kasan_init()). The heap keeps it
 *   (mm/heap_debug.c): a live object's requested bytes are open, its red
 *   zone and freed objects (held in a quarantine for a while) are not;
 *   neither are the frames the PMM holds free (mm/pmm.c);
 * - vmalloc's areas, mapped with them (plat_kasan_map()): the bytes of an
 *   area's last page past its requested size are red zone, and so are those
 *   of a large kmalloc area around its object (mm/kmalloc.c). Unmapped
 *   pages may have no shadow: their checks read it through kasan_probe(),
 *   which gives "open" where it faults, and the access itself then faults;
 * - the image's first KASAN_IMAGE_SPAN bytes (on i386 the direct map's:
 *   the image is in it), in a static array mapped before the first C
 *   function runs (kasan_early_init()): the compiler's red zones around stack arrays
 *   (written by each function's prologue, cleared by its epilogue) and
 *   around globals (registered by the constructors kasan_init() calls);
 * - i386: the kmap window, mapped at boot (kasan_init()): a slot is open
 *   from plat_kmap() to plat_kunmap() (arch/i386/highmem.c), poisoned
 *   otherwise, so high memory is checked through the slots that reach it.
 *
 * Freed memory is held back before reuse, poisoned: heap objects in the
 * heap's quarantine (mm/heap_debug.c), vfree()d areas in vmalloc's
 * (mm/vmalloc.c, reported with their allocation and free stacks), and
 * freed frames in the PMM's (mm/pmm_quarantine.c).
 *
 * A bad access is reported with its backtrace and what the address is
 * (the heap object with its allocation and free stacks, the vmalloc area,
 * the global, the stack frame), then the kernel carries on (kasan=panic:
 * it panics); each code address is reported once. Tests announce the
 * reports they provoke (kasan_expect_begin()).
 *
 * Lock order: the shadow lock is taken last (nothing is taken under it
 * but the kernel space's page-table lock and the PMM's).
 *
 * This file is not instrumented (mk/ksan.mk).
 */
#include "arch.h"
#include "arch_common.h"
#include "memlayout.h"
#include "percpu.h"
#include "arch/x86/kasan_arch.h"
#include "kernel/arch_hooks.h"
#include "kernel/kasan.h"
#include "kernel/lib.h"
#include "kernel/task.h"
#include "mm/fault.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "mm/pt.h"
#include "mm/spinlock.h"
#include "mm/vmalloc.h"

#ifdef KASAN

#define SHADOW_SCALE	3	/* one shadow byte per 8 bytes */
#define SEEN_MAX	64	/* code addresses reported already */
#define IMAGE_SPAN	((uintptr_t)KASAN_IMAGE_SPAN)	/* from KERNEL_VMA, with static shadow */
#define GLOBAL_SETS	1024	/* registered arrays of globals kept for reports */

/* The compiler's shadow codes (GCC's asan.c) beside the heap's (mm/platform.h). */
#define KASAN_STACK_LEFT	0xf1
#define KASAN_STACK_MID		0xf2
#define KASAN_STACK_RIGHT	0xf3
#define KASAN_STACK_SCOPE	0xf8	/* a local out of scope */
#define KASAN_GLOBAL_REDZONE	0xf9

static bool ready;
static uintptr_t tracked_end;		/* the direct map's end as far as shadow exists */
static unsigned long reports;
static int reporting;
static const void *seen[SEEN_MAX];
static unsigned nseen;
static bool panic_mode;
static spinlock_t shadow_lock = SPINLOCK_INIT;	/* vmalloc's shadow pages */

/* What a test said it provokes (kasan_expect_begin()). */
static struct {
	bool on;
	unsigned count;
	struct kasan_seen last;
} expect;

/* The globals' descriptors as GCC passes them to __asan_register_globals(). */
struct asan_global {
	const void *beg;
	size_t size;
	size_t size_with_redzone;
	const char *name;
	const char *module_name;
	size_t has_dynamic_init;
	const void *location;
	size_t odr_indicator;
};

static struct {
	const struct asan_global *g;
	size_t n;
} global_sets[GLOBAL_SETS];
static unsigned nglobal_sets;

/* The image's shadow (kasan_early_init()). */
static uint8_t image_shadow[IMAGE_SPAN >> SHADOW_SCALE] __attribute__((aligned(PAGE_SIZE)));

static inline int8_t *shadow_of(uintptr_t addr)
{
	return (int8_t *)((addr >> SHADOW_SCALE) + KASAN_SHADOW_OFFSET);
}

static inline bool in_vmalloc(uintptr_t addr)
{
	return addr >= VMALLOC_BASE && addr < VMALLOC_END;
}

static inline bool in_image(uintptr_t addr)
{
	return addr >= KERNEL_VMA && addr - KERNEL_VMA < IMAGE_SPAN;
}

#ifdef KMAP_BASE
static bool kmap_shadowed;	/* i386: the kmap window's shadow is mapped */

static inline bool in_kmap(uintptr_t addr)
{
	return addr >= KMAP_BASE && addr < KMAP_END && kmap_shadowed;
}
#else
static inline bool in_kmap(uintptr_t addr)
{
	(void)addr;
	return false;
}
#endif

static inline bool tracked(uintptr_t addr)
{
	return (addr >= DIRECT_MAP_BASE && addr < tracked_end) || in_vmalloc(addr) || in_image(addr) ||
	       in_kmap(addr);
}

/*
 * A shadow byte. The running task's stack (most vmalloc accesses) is mapped
 * whole, so its shadow exists: read directly; the rest of vmalloc through
 * kasan_probe().
 */
static inline int8_t shadow_get(uintptr_t addr)
{
	if (!in_vmalloc(addr))
		return *shadow_of(addr);
	uintptr_t top = this_cpu()->kstack_top;
	if (addr < top && addr >= top - KSTACK_SIZE)
		return *shadow_of(addr);
	return kasan_probe(shadow_of(addr));
}

unsigned long kasan_reports(void)
{
	return reports;
}

/* --- the image's shadow ------------------------------------------------------------ */

static inline uint64_t image_phys(const void *p)
{
	return (uint64_t)((uintptr_t)p - KERNEL_VMA);
}

/**
 * kasan_early_init() - map the image's shadow in the boot page tables
 *
 * Called by boot.S before kmain(), with .bss cleared: from the first C
 * function on, prologues write the shadow of their stack frames (the boot
 * stack is in the image).
 */
void kasan_early_init(void)
{
	arch_kasan_early_map((uintptr_t)shadow_of(KERNEL_VMA), image_phys(image_shadow),
			     sizeof(image_shadow));
}

/**
 * kasan_map_image() - map the image's shadow in the kernel's own page tables
 * @pt: the kernel space, before it is loaded
 */
void kasan_map_image(struct pt_space *pt)
{
	if ((uintptr_t)_end - KERNEL_VMA > IMAGE_SPAN)
		panic("kasan: the image ends past the %lu MiB its shadow covers",
		      (unsigned long)(IMAGE_SPAN >> 20));
	if (pt_map(pt, (uintptr_t)shadow_of(KERNEL_VMA), image_phys(image_shadow), sizeof(image_shadow),
		   PT_WRITE | PT_GLOBAL, 0))
		panic("kasan: cannot map the image's shadow");
}

/* --- the direct map's shadow ----------------------------------------------------- */

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

#ifdef KMAP_BASE
/*
 * i386: pages of its own for the kmap window's shadow (the vmalloc area's
 * shadow ends below it, on a page boundary), every slot poisoned: none is
 * held at boot, and plat_kmap() opens one as it maps it. Returns the pages.
 */
static uint64_t map_kmap_shadow(void)
{
	uintptr_t lo = (uintptr_t)shadow_of(KMAP_BASE), hi = (uintptr_t)shadow_of(KMAP_END);
	uint64_t pages = 0;

	_Static_assert(!(KMAP_BASE & ((PAGE_SIZE << SHADOW_SCALE) - 1)) &&
		       !(KMAP_END & ((PAGE_SIZE << SHADOW_SCALE) - 1)),
		       "the kmap window's shadow shares no page with its neighbours'");
	for (uintptr_t va = lo; va < hi; va += PAGE_SIZE, pages++) {
		phys_addr_t frame = pmm_alloc_pages(0, 0);
		if (frame == PMM_NO_FRAME ||
		    pt_map(&kernel_vm.pt, va, frame, PAGE_SIZE, PT_WRITE | PT_GLOBAL, 0))
			panic("kasan: no memory for the kmap window's shadow");
	}
	memset((void *)lo, KASAN_KMAP_UNMAPPED, hi - lo);
	__atomic_store_n(&kmap_shadowed, true, __ATOMIC_RELEASE);
	return pages;
}
#else
static uint64_t map_kmap_shadow(void)
{
	return 0;
}
#endif

extern void (*const __init_array_start[])(void), (*const __init_array_end[])(void);

/**
 * kasan_init() - map the shadow of the direct map's RAM and start checking
 * @map: the memory map (the direct map covers its RAM)
 *
 * Each shadow page covers 32 KiB of physical memory: one of its own (zeroed:
 * all accessible) where that holds usable RAM, one shared zero page mapped
 * read-only where it does not. Then the constructors register the globals'
 * red zones. Call after kernel_space_init(), before the heap exists. Panics
 * without memory for it: a KASAN kernel is useless without its shadow.
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
	if (top > (phys_addr_t)(DIRECT_MAP_END - DIRECT_MAP_BASE))
		top = DIRECT_MAP_END - DIRECT_MAP_BASE;	/* i386: high memory has none */
	for (phys_addr_t pa = 0; pa < top; pa += per_page) {
		uintptr_t va = (uintptr_t)shadow_of(DIRECT_MAP_BASE + (uintptr_t)pa);
		if (pt_translate(&kernel_vm.pt, va, NULL, NULL, NULL))
			continue;	/* i386: the image's static shadow */
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
	uint64_t kmap = map_kmap_shadow();
	pmm_walk(poison_free_run, NULL);
	for (void (*const *ctor)(void) = __init_array_start; ctor < __init_array_end; ctor++)
		(*ctor)();
	char v[8];
	panic_mode = cmdline_value("kasan", v, sizeof(v)) && !strcmp(v, "panic");
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	size_t globals = 0;
	for (unsigned i = 0; i < nglobal_sets; i++)
		globals += global_sets[i].n;
	kprintf("kasan: shadow of %" PRIu64 " MiB of direct map at %#lx: %" PRIu64
		" pages; vmalloc's on demand; image's static; kmap window's %" PRIu64 " pages; "
		"heap red zones, quarantine of %u KiB; vmalloc quarantine of %u KiB; "
		"stack red zones; %zu globals in %u sets\n", (uint64_t)(top >> 20),
		(unsigned long)KASAN_SHADOW_BASE, own, kmap, 4096u,
		(unsigned)(VMALLOC_QUARANTINE_BYTES >> 10), globals, nglobal_sets);
}

/* --- vmalloc's shadow (mm/platform.h) ----------------------------------------------- */
/*
 * A shadow page covers 32 KiB of vmalloc space. Its PMM reference count is
 * one per mapped page that needs it: each mapped page needs the shadow of
 * itself and of the pages either side (a stack's frames write the shadow of
 * the guard page below before they fault there; a check of the guard page
 * above reads it). The last reference unmaps it.
 */

static void shadow_free(phys_addr_t pa, uint64_t size, void *ctx)
{
	(void)size, (void)ctx;
	pmm_free_pages(pa, 0);
}

/* Frames for new shadow pages: a page may need two (its shadow and a neighbour's). */
struct shadow_spares {
	phys_addr_t frame[2];
};

/* One reference to the shadow page at @sva: 0, 1 if it needs a spare and none is left, -1. */
static int shadow_page_get(uintptr_t sva, struct shadow_spares *sp)
{
	phys_addr_t pa;

	if (pt_translate(&kernel_vm.pt, sva, &pa, NULL, NULL))
		return pmm_get(pa & ~(phys_addr_t)(PAGE_SIZE - 1)) ? 0 : -1;
	for (unsigned i = 0; i < 2; i++) {
		if (sp->frame[i] == PMM_NO_FRAME)
			continue;
		if (pt_map(&kernel_vm.pt, sva, sp->frame[i], PAGE_SIZE, PT_WRITE | PT_GLOBAL, 0))
			return -1;
		sp->frame[i] = PMM_NO_FRAME;
		return 0;
	}
	return 1;
}

static void shadow_page_put(uintptr_t sva)
{
	phys_addr_t pa;

	if (!pt_translate(&kernel_vm.pt, sva, &pa, NULL, NULL))
		panic("kasan: shadow page %#lx released but not mapped", (unsigned long)sva);
	pa &= ~(phys_addr_t)(PAGE_SIZE - 1);
	if (pmm_refcount(pa) > 1)
		pmm_put(pa);
	else
		pt_unmap(&kernel_vm.pt, sva, PAGE_SIZE, shadow_free, NULL);
}

/* The shadow pages mapped page @va needs: [0] for the page below, [1] for the one above (maybe the same). */
static void shadow_pages(uintptr_t va, uintptr_t sp[2])
{
	sp[0] = (uintptr_t)shadow_of(va - PAGE_SIZE) & ~(uintptr_t)(PAGE_SIZE - 1);
	sp[1] = (uintptr_t)shadow_of(va + PAGE_SIZE) & ~(uintptr_t)(PAGE_SIZE - 1);
}

/* 0, 1 (needs one more spare frame) or -1: the references of mapped page @va. */
static int shadow_ref(uintptr_t va, struct shadow_spares *spares)
{
	uintptr_t sp[2];

	shadow_pages(va, sp);
	unsigned long f = spin_lock_irqsave(&shadow_lock);
	int r = shadow_page_get(sp[0], spares);
	if (!r && sp[1] != sp[0] && (r = shadow_page_get(sp[1], spares)) != 0)
		shadow_page_put(sp[0]);
	spin_unlock_irqrestore(&shadow_lock, f);
	return r;
}

bool plat_kasan_map(const void *p, size_t len)
{
	uintptr_t va = (uintptr_t)p;
	struct shadow_spares spares = { { PMM_NO_FRAME, PMM_NO_FRAME } };
	size_t done = 0;
	int r = 0;

	while (done < len) {
		r = shadow_ref(va + done, &spares);
		if (r > 0) {		/* two spares always do: allocate them without the lock */
			for (unsigned i = 0; i < 2; i++)
				if (spares.frame[i] == PMM_NO_FRAME)
					spares.frame[i] = pmm_alloc_pages(0, PMM_ZERO);
			if (spares.frame[0] != PMM_NO_FRAME && spares.frame[1] != PMM_NO_FRAME)
				continue;
		}
		if (r)
			break;
		done += PAGE_SIZE;
	}
	for (unsigned i = 0; i < 2; i++)
		if (spares.frame[i] != PMM_NO_FRAME)
			pmm_free_pages(spares.frame[i], 0);
	if (r && done)
		plat_kasan_unmap(p, done);
	return !r;
}

void plat_kasan_unmap(const void *p, size_t len)
{
	uintptr_t va = (uintptr_t)p;

	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		uintptr_t sp[2];
		shadow_pages(va + off, sp);
		unsigned long f = spin_lock_irqsave(&shadow_lock);
		shadow_page_put(sp[0]);
		if (sp[1] != sp[0])
			shadow_page_put(sp[1]);
		spin_unlock_irqrestore(&shadow_lock, f);
	}
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

	while (k < n && fp >= KERNEL_SPACE_BASE && !(fp & (sizeof(fp) - 1)) && fp - start < 32768) {
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

/* --- stacks and globals (the compiler's red zones) ---------------------------------- */

/**
 * kasan_unpoison_stack_below() - forget the red zones of frames left without returning
 * @sp: the stack pointer execution resumes with (a FAULT_TRY's longjmp)
 *
 * The frames below @sp on its stack never run their epilogues; what they
 * poisoned would hit the next frames there. The guard page below the stack
 * too (a stack overflow caught by FAULT_TRY), whose shadow exists: the
 * image's is static, and a vmalloc area's neighbours have theirs.
 */
void kasan_unpoison_stack_below(uintptr_t sp)
{
	struct vmalloc_area area;
	uintptr_t lo;

	if (in_vmalloc(sp - 1) && vmalloc_area_of((const void *)(sp - 1), &area))
		lo = area.base;
	else if (sp > (uintptr_t)boot_stack_bottom && sp <= (uintptr_t)boot_stack_top)
		lo = (uintptr_t)boot_stack_bottom;
	else
		return;
	lo = (lo - PAGE_SIZE) & ~(uintptr_t)7;
	memset(shadow_of(lo), 0, (sp - lo) >> SHADOW_SCALE);
}

void __asan_register_globals(const struct asan_global *g, size_t n);
void __asan_register_globals(const struct asan_global *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t beg = (uintptr_t)g[i].beg, used = ALIGN_UP(beg + g[i].size, (uintptr_t)8);
		plat_kasan_unpoison(g[i].beg, g[i].size);
		plat_kasan_poison((const void *)used, beg + g[i].size_with_redzone - used,
				  KASAN_GLOBAL_REDZONE);
	}
	if (nglobal_sets < GLOBAL_SETS)
		global_sets[nglobal_sets++] = (typeof(global_sets[0])){ g, n };
}

void __asan_unregister_globals(const struct asan_global *g, size_t n);
void __asan_unregister_globals(const struct asan_global *g, size_t n)
{
	(void)g, (void)n;	/* the image's globals live as long as the kernel */
}

/* Called before a noreturn call; the kernel has no fake stacks to unwind. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
}

/* --- checks and reports -------------------------------------------------------- */

/* The first shadow byte that forbids part of [addr, addr + size), or 0. */
static int8_t bad_shadow(uintptr_t addr, size_t size, uintptr_t *where)
{
	uintptr_t end = addr + size;

	for (uintptr_t g = addr & ~(uintptr_t)7; g < end; g += 8) {
		if (!tracked(g))
			continue;
		if (!(g & 63) && end - g >= 64 && !in_vmalloc(g) && !*(const uint64_t *)shadow_of(g)) {
			g += 56;	/* 64 bytes open: a whole shadow word at once */
			continue;
		}
		int8_t s = shadow_get(g);
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

/* What the shadow code at @where says; a partial granule's is that of the next code after it. */
static const char *kind_of(uintptr_t where, int8_t s)
{
	for (unsigned i = 1; s > 0 && i <= 4; i++)
		s = shadow_get((where & ~(uintptr_t)7) + 8 * i);
	switch ((uint8_t)s) {
	case KASAN_FREED:		return "use-after-free";
	case KASAN_PAGE_FREE:		return "use-after-free-page";
	case KASAN_REDZONE:		return "slab-out-of-bounds";
	case KASAN_LARGE_REDZONE:	return "kmalloc-large-out-of-bounds";
	case KASAN_VMALLOC_REDZONE:	return "vmalloc-out-of-bounds";
	case KASAN_VMALLOC_FREED:	return "use-after-vfree";
	case KASAN_KMAP_UNMAPPED:	return "use-after-kunmap";
	case KASAN_GLOBAL_REDZONE:	return "global-out-of-bounds";
	case KASAN_STACK_LEFT:
	case KASAN_STACK_MID:
	case KASAN_STACK_RIGHT:		return "stack-out-of-bounds";
	case KASAN_STACK_SCOPE:		return "stack-use-after-scope";
	default:			return "out-of-bounds";
	}
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

static void describe_heap(uintptr_t addr)
{
	struct heap_obj_info o;

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

/* A vmalloc area: its open bytes are those the shadow opens (a large kmalloc's object among them). */
static void describe_vmalloc(uintptr_t addr)
{
	struct vmalloc_area a;

	if (!vmalloc_area_of((const void *)addr, &a)) {
		kprintf("the address is in no vmalloc area\n");
		return;
	}
	uintptr_t lo = a.base, end = a.base + a.size;
	while (lo < end && shadow_get(lo) < 0)
		lo += 8;
	uintptr_t hi = lo;
	while (hi < end && !shadow_get(hi))
		hi += 8;
	if (hi < end && shadow_get(hi) > 0)
		hi += (uintptr_t)shadow_get(hi);
	if (addr >= hi)
		kprintf("the address is %lu bytes to the right of the %lu open bytes [%#lx, %#lx) of "
			"vmalloc area [%#lx, %#lx)\n", (unsigned long)(addr - hi), (unsigned long)(hi - lo),
			(unsigned long)lo, (unsigned long)hi, (unsigned long)a.base, (unsigned long)end);
	else
		kprintf("the address is %lu bytes to the left of the %lu open bytes [%#lx, %#lx) of "
			"vmalloc area [%#lx, %#lx)\n", (unsigned long)(lo - addr), (unsigned long)(hi - lo),
			(unsigned long)lo, (unsigned long)hi, (unsigned long)a.base, (unsigned long)end);
}

/* A vfree()d area in vmalloc's quarantine: where it was allocated and freed. */
static void describe_vfreed(uintptr_t addr)
{
	struct vmalloc_freed f;

	_Static_assert(VMALLOC_STACK_DEPTH == HEAP_STACK_DEPTH, "print_stack() prints the heap's depth");
	if (!vmalloc_freed_of((const void *)addr, &f)) {
		kprintf("the address is in no freed vmalloc area\n");
		return;
	}
	kprintf("the address is %lu bytes inside the %lu-byte vmalloc area [%#lx, %#lx), freed "
		"(held in vmalloc's quarantine)\n", (unsigned long)(addr - f.base),
		(unsigned long)f.size, (unsigned long)f.base, (unsigned long)(f.base + f.size));
	print_stack("allocation stack", f.alloc_stack);
	print_stack("free stack", f.free_stack);
}

#ifdef KMAP_BASE
static void describe_kmap(uintptr_t addr)
{
	unsigned slot = (unsigned)((addr - KMAP_BASE) >> PAGE_SHIFT);

	kprintf("the address is %#lx bytes into kmap slot %u of CPU %u, which maps nothing since "
		"its plat_kunmap()\n", (unsigned long)(addr & (PAGE_SIZE - 1)), slot % KMAP_SLOTS,
		slot / KMAP_SLOTS);
}
#endif

static void describe_global(uintptr_t addr)
{
	for (unsigned i = 0; i < nglobal_sets; i++)
		for (size_t k = 0; k < global_sets[i].n; k++) {
			const struct asan_global *g = &global_sets[i].g[k];
			uintptr_t beg = (uintptr_t)g->beg;
			if (addr >= beg && addr < beg + g->size_with_redzone) {
				kprintf("the address is %lu bytes to the right of global '%s' (%zu bytes, "
					"[%#lx, %#lx)) of %s\n", (unsigned long)(addr - beg - g->size),
					g->name, g->size, (unsigned long)beg,
					(unsigned long)(beg + g->size), g->module_name);
				return;
			}
		}
	kprintf("the address is in a registered global's red zone\n");
}

static void describe(uintptr_t addr, int8_t why, const char *kind)
{
	if ((uint8_t)why == KASAN_PAGE_FREE) {
		phys_addr_t pa = plat_virt_to_phys((void *)addr);
		kprintf("the address is %#lx bytes into frame %#" PRIx64 ", which the PMM holds free%s\n",
			(unsigned long)(pa & (PAGE_SIZE - 1)), (uint64_t)(pa & ~(phys_addr_t)(PAGE_SIZE - 1)),
			pmm_quarantined(pa) ? " (in its quarantine of freed frames)" : "");
	} else if ((uint8_t)why == KASAN_VMALLOC_FREED) {
		describe_vfreed(addr);
#ifdef KMAP_BASE
	} else if (in_kmap(addr)) {
		describe_kmap(addr);
#endif
	} else if (!strncmp(kind, "stack-", 6)) {
		kprintf("the address is in a red zone of a stack frame (the function is in the "
			"backtrace above)\n");
	} else if (!strcmp(kind, "global-out-of-bounds")) {
		describe_global(addr);
	} else if (in_vmalloc(addr)) {
		describe_vmalloc(addr);
	} else if (addr >= DIRECT_MAP_BASE && addr < tracked_end) {
		describe_heap(addr);
	}
}

static void report(uintptr_t addr, size_t size, bool write, const void *ip)
{
	uintptr_t where = addr;
	int8_t s = bad_shadow(addr, size, &where);
	bool expected = __atomic_load_n(&expect.on, __ATOMIC_RELAXED);

	if (!s || (!expected && seen_before(ip)) ||
	    __atomic_exchange_n(&reporting, 1, __ATOMIC_ACQUIRE))
		return;
	const char *kind = kind_of(where, s);
	if (expected) {
		expect.count++;
		expect.last = (struct kasan_seen){ kind, addr, size, write };
	} else {
		reports++;
	}
	kprintf("KASAN%s: %s: %s of size %zu at %#lx by %pS\n", expected ? " (expected)" : "",
		kind, write ? "write" : "read", size, (unsigned long)addr, ip);
	backtrace();
	describe(where, s, kind);
	kprintf("--- end of KASAN report ---\n");
	if (panic_mode && !expected)
		panic("kasan: bad access (kasan=panic)");
	__atomic_store_n(&reporting, 0, __ATOMIC_RELEASE);
}

/**
 * kasan_expect_begin() - the next bad accesses are a test's, on purpose
 *
 * Until kasan_expect_end() they are reported as "KASAN (expected):" (the
 * test suites' checks look for "KASAN:"), every time, and counted for the
 * test; kasan=panic does not stop at them. One test at a time.
 */
void kasan_expect_begin(void)
{
	expect.count = 0;
	expect.last = (struct kasan_seen){ 0 };
	__atomic_store_n(&expect.on, true, __ATOMIC_RELEASE);
}

/**
 * kasan_expect_end() - stop expecting reports
 * @last: filled with the last expected report (kind NULL if none)
 *
 * Return: how many were reported since kasan_expect_begin().
 */
unsigned kasan_expect_end(struct kasan_seen *last)
{
	__atomic_store_n(&expect.on, false, __ATOMIC_RELEASE);
	*last = expect.last;
	return expect.count;
}

static inline void check(uintptr_t addr, size_t size, bool write, const void *ip)
{
	if (!__atomic_load_n(&ready, __ATOMIC_RELAXED) || !tracked(addr) || reporting)
		return;
	int8_t s = shadow_get(addr);
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

#endif
