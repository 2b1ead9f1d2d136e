// SPDX-License-Identifier: MIT
/*
 * The kernel heap at boot and in the shell: memstat's heap lines, and the
 * commands memtest (allocation stress with verification patterns),
 * fragtest (the fragmentation figure after a mixed workload) and heapdump.
 */
#include "arch.h"
#include "kernel/heap.h"
#include "kernel/lib.h"
#include "kernel/shell.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"

/**
 * heap_boot_init() - set the heap up over the PMM and vmalloc
 *
 * Needs kernel_space_init() (vmalloc). The boot option heap=debug turns on
 * the debug checks when they are compiled in (MM_HEAP_DEBUG).
 */
void heap_boot_init(void)
{
	char opt[16] = "";
	unsigned flags = 0;

	if (cmdline_value("heap", opt, sizeof(opt)) && !strcmp(opt, "debug"))
		flags |= HEAP_DEBUG;
#ifdef KASAN
	flags |= HEAP_DEBUG;	/* red zones, sites and the shadow's hooks (mm/heap_debug.c) */
#endif
	heap_pages_kernel.seed = arch_random();
	if (heap_init(&heap_pages_kernel, flags))
		panic("heap: no memory to set up the heap");
	kprintf("heap: slabs of %lu KiB, kmalloc classes 8..%u bytes, larger from vmalloc; "
		"debug checks %s\n", (unsigned long)(HEAP_SLAB_SIZE >> 10), KMALLOC_MAX_SIZE,
		heap_debug_enabled() ? "on" :
#ifdef MM_HEAP_DEBUG
		"off (heap=debug)"
#else
		"not built"
#endif
		);
}

static void print_cache(struct kmem_cache *c, void *ctx)
{
	struct kmem_cache_stats st;
	bool *all = ctx;

	kmem_cache_get_stats(c, &st);
	if (!st.slabs && !*all)
		return;
	kprintf("  %-16s %6u %6" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6u %% %8" PRIu64 "\n", st.name, st.obj_size,
		st.slabs, st.objs_inuse, st.objs_total,
		st.objs_total ? (unsigned)(st.objs_inuse * 100 / st.objs_total) : 0, st.pages_purged);
}

/**
 * heap_print_stats() - the heap's figures and its caches that hold slabs
 */
void heap_print_stats(void)
{
	memory_stats_t st;
	bool all = false;

	heap_get_stats(&st);
	kprintf("heap: size %pB, used %pB, free %pB; %" PRIu64 " allocations, %" PRIu64 " frees\n",
		&st.heap_size, &st.heap_used, &st.heap_free, st.allocation_count, st.free_count);
	kprintf("  physical: total %pB, used %pB, free %pB; slabs %pB, large %pB in %" PRIu64 " areas\n",
		&st.total_physical, &st.used_physical, &st.free_physical, &st.slab_bytes,
		&st.large_bytes, st.large_count);
	kprintf("  given back: %" PRIu64 " slabs freed, %" PRIu64 " pages from inside slabs; "
		"reclaim: %" PRIu64 " shrinks gave %" PRIu64 " pages\n", st.slabs_freed, st.pages_purged,
		st.shrinks, st.shrunk_pages);
	if (heap_pages_kernel.pages_restore) {
		uint64_t purged, restored, failed;
		heap_arena_stats(&purged, &restored, &failed);
		kprintf("  slab arena: %" PRIu64 " pages given back to the PMM, %" PRIu64 " mapped back, "
			"%" PRIu64 " restores found no memory\n", purged, restored, failed);
	}
	kprintf("  %-16s %6s %6s %8s %8s %8s %8s\n", "cache", "size", "slabs", "inuse", "total", "use",
		"purged");
	kmem_cache_for_each(print_cache, &all);
}

/* xorshift: reproducible sizes and orders. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint8_t pattern(uintptr_t p, size_t i)
{
	return (uint8_t)((p >> 4) ^ (i * 31) ^ 0x5a);
}

#define MEMTEST_SLOTS	512

static int cmd_memtest(int argc, char **argv)
{
	static uint8_t *slot[MEMTEST_SLOTS];
	static size_t len[MEMTEST_SLOTS];
	uint64_t rounds = 20000, seed = 0x1234567, bad = 0, failed = 0;

	if (argc > 1 && !parse_u64(argv[1], &rounds)) {
		kprintf("usage: memtest [rounds]\n");
		return 1;
	}
	for (uint64_t r = 0; r < rounds; r++) {
		unsigned k = (unsigned)(next_rand(&seed) % MEMTEST_SLOTS);
		if (slot[k]) {
			for (size_t i = 0; i < len[k]; i++)
				bad += slot[k][i] != pattern((uintptr_t)slot[k], i);
			kfree(slot[k]);
			slot[k] = NULL;
			continue;
		}
		uint64_t x = next_rand(&seed);
		len[k] = x % 16 == 0 ? x % 65536 + 1 : x % 2048 + 1;	/* some large */
		slot[k] = kmalloc(len[k]);
		if (!slot[k]) {
			failed++;
			continue;
		}
		for (size_t i = 0; i < len[k]; i++)
			slot[k][i] = pattern((uintptr_t)slot[k], i);
	}
	for (unsigned k = 0; k < MEMTEST_SLOTS; k++) {
		if (!slot[k])
			continue;
		for (size_t i = 0; i < len[k]; i++)
			bad += slot[k][i] != pattern((uintptr_t)slot[k], i);
		kfree(slot[k]);
		slot[k] = NULL;
	}
	unsigned problems = heap_check();
	kprintf("memtest: %" PRIu64 " rounds, %" PRIu64 " bad bytes, %" PRIu64 " failed allocations, heap check %u "
		"problems: %s\n", rounds, bad, failed, problems,
		bad || problems ? "FAILED" : "passed");
	return bad || problems;
}
SHELL_COMMAND(memtest, "heap stress with verification patterns (memtest [rounds])", cmd_memtest);

#define FRAG_OBJS	16384

/* Slab bytes over live bytes in them, in hundredths (the kernel's RSS/live). */
static unsigned slab_over_live(void)
{
	memory_stats_t st;

	heap_drain();
	heap_get_stats(&st);
	uint64_t live = st.heap_used > st.large_bytes ? st.heap_used - st.large_bytes : 0;
	return live ? (unsigned)(st.slab_bytes * 100 / live) : 0;
}

/*
 * The seeds' figure (000: "heap fragmentation < 25 % after stress testing"),
 * read as free memory that cannot serve a request of the workload's mix,
 * over free memory (heap_fragmentation_for()), beside slab bytes over live
 * bytes; after filling, after freeing every other object (the worst case:
 * no slab empties) and after regrowing into the holes.
 */
static int cmd_fragtest(int argc, char **argv)
{
	static void *obj[FRAG_OBJS];
	static const size_t sizes[] = { 24, 40, 72, 136, 200, 392, 520, 1000, 1800, 3000 };
	uint64_t seed = 42;
	unsigned got = 0, frag[3], ratio[3];

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < FRAG_OBJS; i++) {
		obj[i] = kmalloc(sizes[next_rand(&seed) % ARRAY_LEN(sizes)]);
		got += obj[i] != NULL;
	}
	ratio[0] = slab_over_live();
	frag[0] = heap_fragmentation_for(sizes, ARRAY_LEN(sizes));
	for (unsigned i = 0; i < FRAG_OBJS; i += 2) {	/* every other: the worst case */
		kfree(obj[i]);
		obj[i] = NULL;
	}
	ratio[1] = slab_over_live();
	frag[1] = heap_fragmentation_for(sizes, ARRAY_LEN(sizes));
	for (unsigned i = 0; i < FRAG_OBJS; i += 2)	/* regrow into the holes */
		obj[i] = kmalloc(sizes[next_rand(&seed) % ARRAY_LEN(sizes)]);
	ratio[2] = slab_over_live();
	frag[2] = heap_fragmentation_for(sizes, ARRAY_LEN(sizes));
	for (unsigned i = 0; i < FRAG_OBJS; i++)
		kfree(obj[i]);
	heap_drain();
	kprintf("fragtest: %u objects of 10 sizes, 24..3000 bytes. Fragmentation (free memory no "
		"request of the mix can use, over free memory; target < 25 %%): %u %% full, %u %% after "
		"freeing every other object, %u %% regrown. Slab bytes over live bytes: %u.%02u, %u.%02u, "
		"%u.%02u\n", got, frag[0], frag[1], frag[2], ratio[0] / 100, ratio[0] % 100,
		ratio[1] / 100, ratio[1] % 100, ratio[2] / 100, ratio[2] % 100);
	return 0;
}
SHELL_COMMAND(fragtest, "fragmentation figure after a mixed workload", cmd_fragtest);

static int dump_obj(const struct heap_live_obj *o, void *ctx)
{
	unsigned *n = ctx;

	if (++*n > 64)
		return 1;
	if (o->site.file)
		kprintf("  %p %8zu %-14s %s:%u\n", o->ptr, o->size, o->cache, o->site.file,
			o->site.line);
	else
		kprintf("  %p %8zu %-14s %pS\n", o->ptr, o->size, o->cache, o->site.ret);
	return 0;
}

static int cmd_heapdump(int argc, char **argv)
{
	bool all = argc > 1 && !strcmp(argv[1], "all");
	unsigned n = 0;

	heap_print_stats();
	if (all)
		kmem_cache_for_each(print_cache, &all);
	kprintf("live objects%s (first 64):\n",
		heap_debug_enabled() ? " with their allocation sites" : ": large areas only (heap=debug for all)");
	heap_for_each_live(dump_obj, &n);
	struct heap_debug_counts c;
	heap_debug_get_counts(&c);
	kprintf("reported: %" PRIu64 " double frees, %" PRIu64 " invalid frees, %" PRIu64 " red-zone hits, "
		"%" PRIu64 " use-after-free, %" PRIu64 " corrupt free lists; heap check: %u problems\n",
		c.double_frees, c.invalid_frees, c.redzone_hits, c.use_after_free,
		c.freelist_corrupt, heap_check());
	return 0;
}
SHELL_COMMAND(heapdump, "heap caches, live objects and their sites (heapdump [all])", cmd_heapdump);
