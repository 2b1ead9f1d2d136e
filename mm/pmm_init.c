// SPDX-License-Identifier: MIT
/*
 * Building the frame database from the memory map.
 *
 * 1. Collect the RAM ranges of the map (usable, and RAM we occupy: kernel,
 *    modules, boot information, reclaimable ACPI tables) as frame numbers.
 * 2. Size the database: a section table covering RAM up to its highest frame,
 *    plus one descriptor per frame between the first and last RAM frame of
 *    each 128 MiB section that has RAM.
 * 3. Place it in usable RAM and carve it out of the map.
 * 4. Give each section its NUMA node (mm/pmm.h: whole sections per node).
 * 5. Mark everything that is not usable reserved, and free the usable frames
 *    into the buddy lists of their node's zones in maximal naturally aligned
 *    blocks.
 * 64 GiB of RAM costs one pass over 256 MiB of descriptors and ~16k blocks.
 */
#include "zone.h"
#include "lru.h"

struct frame_db frame_db;
struct pmm pmm;
pfn_t pmm_highmem_pfn = PFN_NIL;

struct ram_range {
	pfn_t b, e;		/* frames [b, e) */
	uint32_t type;
};

/* Scratch for pmm_init(), which runs once on one CPU before anything else. */
static struct ram_range ram[MEMMAP_MAX_RANGES];
static unsigned nram;

static bool is_ram(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
	case MEMMAP_KERNEL:
	case MEMMAP_MODULE:
	case MEMMAP_BOOTINFO:
	case MEMMAP_FRAMEDB:
	case MEMMAP_ACPI_RECLAIMABLE:
		return true;
	default:
		return false;
	}
}

/* Step 1: the RAM ranges of @map in whole frames below the 16 TiB limit. */
static uint64_t collect_ram(const struct memmap *map)
{
	uint64_t usable = 0;
	pfn_t prev = 0;

	nram = 0;
	for (unsigned i = 0; i < map->count && i < MEMMAP_MAX_RANGES; i++) {
		const struct memmap_range *r = &map->range[i];
		pfn_t b = ALIGN_UP(r->base, PAGE_SIZE) >> PAGE_SHIFT;
		pfn_t e = MM_MIN(ALIGN_DOWN(r->end, PAGE_SIZE) >> PAGE_SHIFT, PMM_PFN_LIMIT);

		if (r->end > ((phys_addr_t)PMM_PFN_LIMIT << PAGE_SHIFT) && r->type == MEMMAP_USABLE)
			mm_warn("pmm: ignoring RAM above 16 TiB");
		b = MM_MAX(b, prev);	/* the map is sorted; stay safe if it is not */
		if (!is_ram(r->type) || r->base >= r->end || b >= e)
			continue;
		ram[nram++] = (struct ram_range){ b, e, r->type };
		prev = e;
		if (r->type == MEMMAP_USABLE)
			usable += e - b;
	}
	return usable;
}

/*
 * Step 2: descriptors needed for ram[0..n), and the section count. With
 * @tab, also fill in each section's span and descriptor base, handing out
 * @descs in section order.
 */
static uint64_t layout(unsigned n, pfn_t *nsec, struct section *tab, struct frame *descs)
{
	uint64_t ndesc = 0;
	pfn_t cur = 0;
	uint32_t lo = 0, hi = 0;
	bool any = false;

	for (unsigned i = 0; i < n; i++) {
		for (pfn_t p = ram[i].b; p < ram[i].e;) {
			pfn_t sec = p >> SECTION_SHIFT;
			pfn_t end = MM_MIN(ram[i].e, (sec + 1) << SECTION_SHIFT);

			if (!any || sec != cur) {
				if (any && tab) {
					tab[cur] = (struct section){
						(uintptr_t)(descs + ndesc) - lo * sizeof(struct frame), lo, hi, 0 };
				}
				if (any)
					ndesc += hi - lo;
				any = true;
				cur = sec;
				lo = (uint32_t)(p & SECTION_MASK);
			}
			hi = (uint32_t)(((end - 1) & SECTION_MASK) + 1);
			p = end;
		}
	}
	if (any && tab)
		tab[cur] = (struct section){
			(uintptr_t)(descs + ndesc) - lo * sizeof(struct frame), lo, hi, 0 };
	if (any)
		ndesc += hi - lo;
	*nsec = any ? cur + 1 : 0;
	return ndesc;
}

static uint64_t table_bytes(pfn_t nsec)
{
	return ALIGN_UP(nsec * sizeof(struct section), (uint64_t)64);
}

/*
 * Step 3: where @bytes of database go. Below 4 GiB first, because the early
 * direct map covers it; above 16 MiB first, so that ZONE_DMA stays for
 * devices; never frame 0, never in high memory.
 */
static phys_addr_t place(unsigned n, uint64_t bytes)
{
	static const struct { pfn_t lo, hi; } window[] = {
		{ PMM_DMA_LIMIT >> PAGE_SHIFT, PMM_DMA32_LIMIT >> PAGE_SHIFT },
		{ 1, PMM_DMA_LIMIT >> PAGE_SHIFT },
		{ PMM_DMA32_LIMIT >> PAGE_SHIFT, PMM_PFN_LIMIT },
		{ 1, PMM_PFN_LIMIT },
	};
	pfn_t need = bytes >> PAGE_SHIFT;

	for (unsigned w = 0; w < ARRAY_SIZE(window); w++) {
		for (unsigned i = 0; i < n; i++) {
			pfn_t b = MM_MAX(ram[i].b, window[w].lo);
			pfn_t e = MM_MIN(MM_MIN(ram[i].e, window[w].hi), pmm_highmem_pfn);

			if (ram[i].type == MEMMAP_USABLE && e > b && e - b >= need)
				return b << PAGE_SHIFT;
		}
	}
	return PMM_NO_FRAME;
}

/*
 * Mark frames [b, e) that have descriptors and are not reserved yet with
 * @flags (FRAME_RESERVED, maybe FRAME_HOLE); count reserved RAM per zone.
 */
static void mark_reserved(pfn_t b, pfn_t e, unsigned flags)
{
	e = MM_MIN(e, frame_db.nsections << SECTION_SHIFT);
	while (b < e) {
		pfn_t sec = b >> SECTION_SHIFT;
		pfn_t send = MM_MIN(e, (sec + 1) << SECTION_SHIFT);
		const struct section *s = &frame_db.sections[sec];
		pfn_t lo = MM_MAX(b, (sec << SECTION_SHIFT) + s->lo);
		pfn_t hi = MM_MIN(send, (sec << SECTION_SHIFT) + s->hi);

		for (pfn_t p = lo; p < hi; p++) {
			struct frame *f = pfn_frame(p);

			if (frame_flags(f) & FRAME_RESERVED)
				continue;
			frame_set_flags(f, flags);
			if (!(flags & FRAME_HOLE))
				pfn_zone_ptr(p)->reserved++;
		}
		b = send;
	}
}

/* Grow the zones' spans of node @node to cover RAM frames [b, e). */
static void extend_node_spans(unsigned node, pfn_t b, pfn_t e)
{
	for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
		static const pfn_t zlo[] = { 0, PMM_DMA_LIMIT >> PAGE_SHIFT, PMM_DMA32_LIMIT >> PAGE_SHIFT,
					     0 };
		static const pfn_t zhi[] = { PMM_DMA_LIMIT >> PAGE_SHIFT, PMM_DMA32_LIMIT >> PAGE_SHIFT,
					     PMM_PFN_LIMIT, PMM_PFN_LIMIT };
		struct zone *z = &pmm.zone[node][zi];
		pfn_t lo = MM_MAX(b, zlo[zi]), hi = MM_MIN(e, zhi[zi]);

		if (zi == PMM_ZONE_ID_HIGHMEM)
			lo = MM_MAX(lo, pmm_highmem_pfn);
		else
			hi = MM_MIN(hi, pmm_highmem_pfn);

		if (lo >= hi)
			continue;
		if (z->span_lo == z->span_hi)
			z->span_lo = lo;
		z->span_lo = MM_MIN(z->span_lo, lo);
		z->span_hi = MM_MAX(z->span_hi, hi);
	}
}

/* Grow the spans of the zones covering RAM frames [b, e), section by section. */
static void extend_spans(pfn_t b, pfn_t e)
{
	while (b < e) {
		pfn_t send = MM_MIN(e, ((b >> SECTION_SHIFT) + 1) << SECTION_SHIFT);

		extend_node_spans(pfn_node(b), b, send);
		b = send;
	}
}

/* Step 4: free frames [b, e) into the buddy lists as maximal aligned blocks. */
static void free_run(pfn_t b, pfn_t e)
{
	while (b < e) {
		unsigned o = b ? (unsigned)MM_MIN(__builtin_ctzll(b), PMM_MAX_ORDER) : PMM_MAX_ORDER;

		while (b + ((pfn_t)1 << o) > e)
			o--;
		struct zone *z = pfn_zone_ptr(b);	/* a block never crosses a section */

		z->managed += (pfn_t)1 << o;
		buddy_free(z, b, o);
		b += (pfn_t)1 << o;
	}
}

/*
 * The platform's high-memory line as a frame number, rounded down to a
 * whole largest block (a block never straddles two zones); PFN_NIL if it
 * maps all RAM. It takes precedence over the other zones' bounds.
 */
static pfn_t highmem_start(void)
{
	phys_addr_t base = plat_highmem_base();

	if (base == PLAT_NO_HIGHMEM || base >= ((phys_addr_t)PMM_PFN_LIMIT << PAGE_SHIFT))
		return PFN_NIL;
	return ALIGN_DOWN(base >> PAGE_SHIFT, (pfn_t)1 << PMM_MAX_ORDER);
}

/* See pmm_reserve(): 1/256 of the managed frames below high memory, 32 .. 8192. */
static void set_default_reserve(void)
{
	uint64_t managed = 0;

	for (unsigned nd = 0; nd < pmm.nr_nodes; nd++)
		for (unsigned zi = 0; zi < PMM_ZONE_ID_HIGHMEM; zi++)
			managed += pmm.zone[nd][zi].managed;
	pmm.reserve = MM_MIN(MM_MAX(managed / 256, (uint64_t)32), (uint64_t)8192);
}

uint64_t pmm_reserve(void)
{
	return pmm.reserve;
}

void pmm_set_reserve(uint64_t frames)
{
	pmm.reserve = frames;
}

static void reset(void)
{
	for (unsigned n = 0; n < MM_MAX_NODES; n++) {
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
			struct zone *z = &pmm.zone[n][zi];

			z->lock = (spinlock_t)SPINLOCK_INIT;
			buddy_reset(z);
			z->managed = z->reserved = 0;
			z->span_lo = z->span_hi = 0;
		}
	}
	frame_db = (struct frame_db){ NULL, 0, 0, 0 };
	pmm_highmem_pfn = highmem_start();
	pmm.alloc_failures = 0;
	pmm.bad_calls = 0;
	pmm.reserve = 0;
	pmm.reserve_refusals = 0;
}

/* Steps 2 and 3: size and place the database, dropping top RAM ranges if it cannot fit. */
static unsigned size_and_place(uint64_t *bytes, pfn_t *nsec, uint64_t *ndesc)
{
	unsigned n = nram;

	while (n) {
		*ndesc = layout(n, nsec, NULL, NULL);
		*bytes = ALIGN_UP(table_bytes(*nsec) + *ndesc * sizeof(struct frame), PAGE_SIZE);
		frame_db.base = place(n, *bytes);
		if (frame_db.base != PMM_NO_FRAME)
			return n;
		mm_warn("pmm: no room for a %llu KiB frame database; ignoring RAM at %#llx",
			(unsigned long long)(*bytes >> 10),
			(unsigned long long)(ram[n - 1].b << PAGE_SHIFT));
		n--;
	}
	return 0;
}

static void log_zone(unsigned node, enum pmm_zone zi, const struct zone *z)
{
	unsigned long long lo = z->span_lo << PAGE_SHIFT, hi = z->span_hi << PAGE_SHIFT;
	unsigned long long managed = z->managed << (PAGE_SHIFT - 10);
	unsigned long long reserved = z->reserved << (PAGE_SHIFT - 10);

	if (pmm.nr_nodes == 1)
		mm_info("pmm: zone %-6s [0x%012llx-0x%012llx) %8llu KiB managed, %llu KiB reserved",
			pmm_zone_name(zi), lo, hi, managed, reserved);
	else
		mm_info("pmm: node %u zone %-6s [0x%012llx-0x%012llx) %8llu KiB managed, "
			"%llu KiB reserved", node, pmm_zone_name(zi), lo, hi, managed, reserved);
}

static void log_summary(void)
{
	uint64_t managed = 0, total = 0;

	for (unsigned n = 0; n < pmm.nr_nodes; n++) {
		for (unsigned zi = 0; zi < PMM_NR_ZONES; zi++) {
			const struct zone *z = &pmm.zone[n][zi];

			managed += z->managed;
			total += z->managed + z->reserved;
			if (pmm.nr_nodes > 1 && !(z->managed + z->reserved))
				continue;
			if (zi == PMM_ZONE_ID_HIGHMEM && z->span_lo == z->span_hi)
				continue;	/* only platforms with high memory have it */
			log_zone(n, (enum pmm_zone)zi, z);
		}
	}
	uint64_t bp = managed ? frame_db.bytes * 10000 / (managed << PAGE_SHIFT) : 0;

	mm_info("pmm: frame database %llu KiB at %#llx: %zu-byte descriptors, %llu.%02llu%% of "
		"%llu MiB managed (%llu MiB of RAM)",
		(unsigned long long)(frame_db.bytes >> 10), (unsigned long long)frame_db.base,
		sizeof(struct frame), (unsigned long long)(bp / 100), (unsigned long long)(bp % 100),
		(unsigned long long)(managed >> (20 - PAGE_SHIFT)),
		(unsigned long long)(total >> (20 - PAGE_SHIFT)));
	if (bp > 160)
		mm_warn("pmm: frame database above 1.6%% of managed memory (sparse memory map?)");
}

/**
 * pmm_init() - build the frame database and hand all usable RAM to the buddy lists
 * @map: normalized memory map; the database's range is carved into it
 *
 * See mm/pmm.h. Return: 0, or -1 if there is no usable RAM or no room for
 * the database.
 */
int pmm_init(struct memmap *map)
{
	return pmm_init_numa(map, NULL);
}

/**
 * pmm_init_numa() - pmm_init() for a machine with NUMA nodes
 * @map: normalized memory map
 * @numa: the nodes, their memory, distances and CPUs; NULL: one node
 *
 * Return: as pmm_init().
 */
int pmm_init_numa(struct memmap *map, const struct pmm_numa *numa)
{
	uint64_t bytes, ndesc;
	pfn_t nsec;

	reset();
	lru_reset();	/* its table described the old database */
	numa = numa_configure(numa);
	if (!collect_ram(map)) {
		mm_err("pmm: no usable RAM in the memory map");
		return -1;
	}
	unsigned n = size_and_place(&bytes, &nsec, &ndesc);

	if (!n) {
		frame_db.base = 0;
		mm_err("pmm: no room for the frame database");
		return -1;
	}

	pfn_t db_b = frame_db.base >> PAGE_SHIFT, db_e = db_b + (bytes >> PAGE_SHIFT);
	uint8_t *db = plat_phys_to_virt(frame_db.base);

	memset(db, 0, bytes);	/* every descriptor starts as a tail, refcount 0 */
	frame_db.bytes = bytes;
	frame_db.sections = (struct section *)db;
	frame_db.nsections = nsec;
	layout(n, &nsec, frame_db.sections, (struct frame *)(db + table_bytes(nsec)));
	if (numa)
		numa_assign_sections(numa);
	if (memmap_carve(map, frame_db.base, frame_db.base + bytes, MEMMAP_FRAMEDB) < 0)
		mm_warn("pmm: could not mark the frame database in the memory map");

	pfn_t prev = 0;

	for (unsigned i = 0; i < n; i++) {
		mark_reserved(prev, ram[i].b, FRAME_RESERVED | FRAME_HOLE);
		if (ram[i].type != MEMMAP_USABLE)
			mark_reserved(ram[i].b, ram[i].e, FRAME_RESERVED);
		extend_spans(ram[i].b, ram[i].e);
		prev = ram[i].e;
	}
	mark_reserved(db_b, db_e, FRAME_RESERVED);
	mark_reserved(0, 1, FRAME_RESERVED);	/* physical 0 is never handed out */

	for (unsigned i = 0; i < n; i++) {
		if (ram[i].type != MEMMAP_USABLE)
			continue;
		pfn_t b = MM_MAX(ram[i].b, (pfn_t)1), e = ram[i].e;

		free_run(b, MM_MIN(e, db_b));
		free_run(MM_MAX(b, db_e), e);
	}
	pcp_setup();
	pmm_quarantine_setup();
	set_default_reserve();
	log_summary();
	return 0;
}
