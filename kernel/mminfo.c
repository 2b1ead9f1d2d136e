// SPDX-License-Identifier: MIT
/* Memory reports shared by the boot log and the shell. */
#include "kernel/drivers/drivers.h"
#include "kernel/heap.h"
#include "kernel/kernel.h"
#include "kernel/lib.h"
#include "kernel/shell.h"
#include "mm/commit.h"
#include "mm/pcache.h"
#include "mm/pmm.h"

/**
 * memmap_print() - print a normalized memory map and its totals.
 * @map: the map to print
 */
void memmap_print(const struct memmap *map)
{
	kprintf("memory map (%u ranges, %u bootloader entries dropped):\n",
		map->count, map->dropped);
	for (unsigned i = 0; i < map->count; i++) {
		const struct memmap_range *r = &map->range[i];
		uint64_t size = r->end - r->base;
		kprintf("  [0x%012" PRIx64 "-0x%012" PRIx64 ") %10pB  %s\n", r->base, r->end, &size,
			memmap_type_name(r->type));
	}
	uint64_t usable = memmap_bytes(map, MEMMAP_USABLE);
	uint64_t kernel = memmap_bytes(map, MEMMAP_KERNEL) + memmap_bytes(map, MEMMAP_MODULE) +
			  memmap_bytes(map, MEMMAP_BOOTINFO) + memmap_bytes(map, MEMMAP_FRAMEDB);
	kprintf("memory: %" PRIu64 " KiB usable (%pB), %" PRIu64 " KiB kernel/boot/frame database, "
		"highest usable %#" PRIx64 "\n", usable >> 10, &usable, kernel >> 10,
		memmap_highest_usable(map));
}

/* The frame database's cost, as the boot log and memstat state it. */
static void print_metadata(const struct pmm_stats *st)
{
	kprintf("pmm: frame database %" PRIu64 " KiB at %#" PRIx64 ": %u bytes per 4 KiB frame, "
		"%u.%02u %% of managed memory\n", st->metadata_bytes >> 10, st->metadata_base,
		st->frame_desc_bytes, st->metadata_bp / 100, st->metadata_bp % 100);
}

void pmm_print_summary(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	print_metadata(&st);
	kprintf("pmm: %" PRIu64 " frames: %" PRIu64 " free, %" PRIu64 " used, %" PRIu64 " reserved\n", st.total_frames,
		st.free_frames, st.used_frames, st.reserved_frames);
}

/* --- memmap's per-zone view: regions of RAM with their usage ------------------- */

#define MAX_REGIONS	64
#define BAR_WIDTH	32

struct region {
	phys_addr_t base, end;
	unsigned node;
	enum pmm_zone zone;
	uint64_t frames[4];		/* by enum pmm_frame_state */
};

struct region_list {
	struct region r[MAX_REGIONS];
	unsigned n;
	bool truncated;
};

static void add_run(phys_addr_t base, phys_addr_t end, unsigned node, enum pmm_zone zone,
		    enum pmm_frame_state state, void *ctx)
{
	struct region_list *l = ctx;
	struct region *last = l->n ? &l->r[l->n - 1] : NULL;

	if (!last || last->end != base || last->zone != zone || last->node != node) {
		if (l->n == MAX_REGIONS) {
			l->truncated = true;
			return;
		}
		last = &l->r[l->n++];
		*last = (struct region){ .base = base, .node = node, .zone = zone };
	}
	last->end = end;
	last->frames[state] += (end - base) >> PAGE_SHIFT;
}

/* Reserved as 'r', used as '#', free as '.', in proportion. */
static void draw_bar(const struct region *r, char *bar)
{
	uint64_t total = (r->end - r->base) >> PAGE_SHIFT;
	uint64_t marks[3] = { r->frames[PMM_FRAME_RESERVED], r->frames[PMM_FRAME_USED],
			      r->frames[PMM_FRAME_FREE] };
	const char sym[3] = { 'r', '#', '.' };
	unsigned pos = 0;
	uint64_t acc = 0;

	for (unsigned k = 0; k < 3; k++) {
		acc += marks[k];
		unsigned upto = total ? (acc * BAR_WIDTH + total / 2) / total : 0;
		if (marks[k] && upto == pos && pos < BAR_WIDTH)
			upto = pos + 1;	/* anything present shows at least once */
		while (pos < upto && pos < BAR_WIDTH)
			bar[pos++] = sym[k];
	}
	while (pos < BAR_WIDTH)
		bar[pos++] = '.';
	bar[pos] = 0;
}

/**
 * pmm_print_zones() - each region of RAM, by zone, with its usage as a bar
 */
void pmm_print_zones(void)
{
	static struct region_list list;
	char bar[BAR_WIDTH + 1];

	list.n = 0;
	list.truncated = false;
	pmm_walk(add_run, &list);
	bool numa = pmm_node_count() > 1;

	kprintf("RAM by %szone ('r' reserved, '#' used, '.' free):\n", numa ? "node and " : "");
	for (unsigned i = 0; i < list.n; i++) {
		const struct region *r = &list.r[i];
		uint64_t size = r->end - r->base;
		draw_bar(r, bar);
		if (numa)
			kprintf("  node %u", r->node);
		kprintf("  %-6s [0x%012" PRIx64 "-0x%012" PRIx64 ") %10pB [%s] %" PRIu64 " free\n",
			pmm_zone_name(r->zone), r->base, r->end, &size, bar,
			r->frames[PMM_FRAME_FREE]);
	}
	if (list.truncated)
		kprintf("  (more regions than shown)\n");
}

/* memstat's per-node lines, with the SLIT distances to every node. */
static void print_nodes(const struct pmm_stats *st)
{
	for (unsigned n = 0; n < st->nr_nodes; n++) {
		const struct pmm_node_stats *ns = &st->node[n];
		kprintf("  node %-2u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
			"  [%#" PRIx64 "-%#" PRIx64 ") distance", n, ns->total_frames, ns->free_frames,
			ns->used_frames, ns->reserved_frames, ns->cached_frames, ns->base, ns->end);
		for (unsigned m = 0; m < st->nr_nodes; m++)
			kprintf(" %u", pmm_node_distance(n, m));
		kprintf("\n");
	}
}

/**
 * pmm_print_stats() - the PMM's statistics, per zone and in total
 */
void pmm_print_stats(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	kprintf("physical memory (frames of 4 KiB):\n");
	kprintf("  %-7s %10s %10s %10s %10s %8s\n", "zone", "total", "free", "used",
		"reserved", "cached");
	for (unsigned z = 0; z < PMM_NR_ZONES; z++) {
		const struct pmm_zone_stats *zs = &st.zone[z];
		if (z == PMM_ZONE_ID_HIGHMEM && !zs->total_frames)
			continue;	/* a kernel with a direct map of all RAM has none */
		kprintf("  %-7s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", zs->name, zs->total_frames,
			zs->free_frames, zs->used_frames, zs->reserved_frames, zs->cached_frames);
	}
	kprintf("  %-7s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", "all", st.total_frames,
		st.free_frames, st.used_frames, st.reserved_frames, st.cached_frames);
	if (st.nr_nodes > 1)
		print_nodes(&st);
	uint64_t total = st.total_frames << PAGE_SHIFT, free = st.free_frames << PAGE_SHIFT;
	kprintf("  total %pB, free %pB; allocation failures %" PRIu64 ", bad calls reported %" PRIu64 "\n",
		&total, &free, st.alloc_failures, st.bad_calls);
	kprintf("  free blocks by order:");
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		uint64_t n = 0;
		for (unsigned z = 0; z < PMM_NR_ZONES; z++)
			n += st.zone[z].free_blocks[o];
		kprintf(" %" PRIu64, n);
	}
	kprintf("\n");
	print_metadata(&st);
}

/* A decimal boot option, or @def. */
static unsigned long option(const char *key, unsigned long def)
{
	char buf[16];
	unsigned long v = 0;

	if (!cmdline_value(key, buf, sizeof(buf)) || !buf[0])
		return def;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return def;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v;
}

/**
 * commit_boot_init() - the commit policy from the boot options
 *
 * vm.overcommit_memory=0|1|2 and vm.overcommit_ratio=N (percent, default
 * 50), as Linux's sysctls of those names; RAM is the PMM's managed frames.
 */
void commit_boot_init(void)
{
	struct pmm_stats st;
	unsigned long mode = option("vm.overcommit_memory", VM_OVERCOMMIT_GUESS);
	unsigned long ratio = option("vm.overcommit_ratio", 50);

	pmm_get_stats(&st);
	if (mode > VM_OVERCOMMIT_NEVER) {
		kprintf("commit: vm.overcommit_memory=%lu is not 0, 1 or 2; using 0\n", mode);
		mode = VM_OVERCOMMIT_GUESS;
	}
	vm_commit_configure((int)mode, (unsigned)ratio, st.free_frames + st.used_frames);
}

/* memstat's lines for the page cache and commit accounting, in /proc/meminfo's terms. */
static void vm_print_stats(void)
{
	uint64_t cached = pcache_total_pages() * 4, committed = vm_committed_pages() * 4;
	uint64_t limit = vm_commit_limit_pages(0) * 4;

	kprintf("page cache: %" PRIu64 " kB in %" PRIu64 " objects (files, shared memory)\n", cached,
		pcache_total_objects());
	kprintf("Committed_AS: %" PRIu64 " kB, CommitLimit: %" PRIu64 " kB (vm.overcommit_memory=%d, "
		"vm.overcommit_ratio=%u)\n", committed, limit, vm_commit_mode(), vm_commit_ratio());
}

static int cmd_memstat(int argc, char **argv)
{
	if (argc > 1) {
		memstat_process(argv[1]);
		return 0;
	}
	pmm_print_stats();
	if (balloon_pages())
		kprintf("balloon: %lu kB given back to the host\n", (unsigned long)balloon_pages() * 4);
	if (balloon_reported_pages())
		kprintf("balloon: %lu kB of free memory reported to the host\n",
			(unsigned long)balloon_reported_pages() * 4);
	vm_print_stats();
	reclaim_print_stats();
	heap_print_stats();
	return 0;
}
SHELL_COMMAND(memstat, "memory statistics (memstat PID: one process)", cmd_memstat);
