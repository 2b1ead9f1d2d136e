// SPDX-License-Identifier: MIT
/*
 * NUMA nodes in the PMM: the platform's description of the machine (struct
 * pmm_numa, from ACPI's SRAT and SLIT on a PC) checked and turned into what
 * the allocator uses - each CPU's node, each node's fallback order by
 * distance, each section's node - and the queries about nodes.
 *
 * Runs inside pmm_init_numa(), on one CPU, before anything allocates.
 */
#include "zone.h"

#define LOCAL_DISTANCE	10	/* SLIT's value for a node to itself */
#define REMOTE_DISTANCE	20	/* what an absent SLIT means for two nodes */

static void default_distances(void)
{
	for (unsigned a = 0; a < MM_MAX_NODES; a++)
		for (unsigned b = 0; b < MM_MAX_NODES; b++)
			pmm.distance[a][b] = a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

/* A SLIT that is all zero (none given) or valid: 10 on the diagonal, more elsewhere. */
static void take_distances(const struct pmm_numa *numa)
{
	unsigned n = pmm.nr_nodes;
	bool given = false, ok = true;

	for (unsigned a = 0; a < n; a++) {
		for (unsigned b = 0; b < n; b++) {
			unsigned d = numa->distance[a][b];

			given |= d != 0;
			ok &= a == b ? d == LOCAL_DISTANCE : d > LOCAL_DISTANCE;
		}
	}
	if (given && !ok)
		mm_err("pmm: NUMA distance table is not valid (10 to itself, more to others); "
		       "using 10 local, 20 remote");
	if (!given || !ok)
		return;
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = 0; b < n; b++)
			pmm.distance[a][b] = numa->distance[a][b];
}

/* fallback[a]: the nodes by distance from @a, @a first, ties by number. */
static void order_fallbacks(void)
{
	unsigned n = pmm.nr_nodes;

	for (unsigned a = 0; a < MM_MAX_NODES; a++) {
		uint8_t *f = pmm.fallback[a];

		for (unsigned b = 0; b < MM_MAX_NODES; b++)
			f[b] = (uint8_t)b;
		if (a >= n)
			continue;
		for (unsigned i = 0; i < n; i++) {	/* selection sort of <= 8 nodes */
			unsigned best = i;

			for (unsigned j = i + 1; j < n; j++) {
				unsigned dj = f[j] == a ? 0 : pmm.distance[a][f[j]];
				unsigned db = f[best] == a ? 0 : pmm.distance[a][f[best]];

				if (dj < db || (dj == db && f[j] < f[best]))
					best = j;
			}
			uint8_t t = f[i];

			f[i] = f[best];
			f[best] = t;
		}
	}
}

/* A range of the description that can be used as given. */
static bool range_ok(const struct pmm_node_range *r)
{
	return r->base < r->end && r->node < pmm.nr_nodes;
}

/**
 * numa_configure() - take the machine's NUMA description, or one node
 * @numa: the description, or NULL
 *
 * Return: @numa if its memory ranges are to be used, else NULL (one node).
 */
const struct pmm_numa *numa_configure(const struct pmm_numa *numa)
{
	pmm.nr_nodes = 1;
	memset(pmm.cpu_node, 0, sizeof(pmm.cpu_node));
	default_distances();
	if (numa && (numa->nr_nodes > MM_MAX_NODES || numa->nr_ranges > PMM_MAX_NODE_RANGES)) {
		mm_err("pmm: NUMA description with %u nodes and %u ranges (at most %u and %u); "
		       "using one node", numa->nr_nodes, numa->nr_ranges, MM_MAX_NODES,
		       PMM_MAX_NODE_RANGES);
		numa = NULL;
	}
	if (!numa || numa->nr_nodes < 2) {
		order_fallbacks();
		return NULL;
	}
	pmm.nr_nodes = numa->nr_nodes;
	take_distances(numa);
	order_fallbacks();
	for (unsigned i = 0; i < numa->nr_ranges; i++)
		if (!range_ok(&numa->range[i]))
			mm_err("pmm: NUMA memory range [%#llx-%#llx) of node %u is not valid; ignored",
			       (unsigned long long)numa->range[i].base,
			       (unsigned long long)numa->range[i].end, numa->range[i].node);
	for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
		if (numa->cpu_node[c] < pmm.nr_nodes) {
			pmm.cpu_node[c] = numa->cpu_node[c];
		} else {
			mm_err("pmm: CPU %u on node %u of %u; using node 0", c, numa->cpu_node[c],
			       pmm.nr_nodes);
		}
	}
	return numa;
}

/* The node whose range holds frame @pfn; 0 if none does. */
static unsigned node_of(const struct pmm_numa *numa, pfn_t pfn)
{
	phys_addr_t pa = (phys_addr_t)pfn << PAGE_SHIFT;

	for (unsigned i = 0; i < numa->nr_ranges; i++) {
		const struct pmm_node_range *r = &numa->range[i];

		if (range_ok(r) && pa >= r->base && pa < r->end)
			return r->node;
	}
	return 0;
}

/**
 * numa_assign_sections() - give each section of the frame database its node
 * @numa: the description numa_configure() accepted
 *
 * A section belongs to the node of its first RAM frame. Should another
 * node's range reach into the section's RAM, that is reported: those
 * frames are counted to the section's node.
 */
void numa_assign_sections(const struct pmm_numa *numa)
{
	for (pfn_t sec = 0; sec < frame_db.nsections; sec++) {
		struct section *s = &frame_db.sections[sec];
		pfn_t base = sec << SECTION_SHIFT;

		if (s->lo >= s->hi)
			continue;
		s->node = node_of(numa, base + s->lo);
		phys_addr_t lo = (phys_addr_t)(base + s->lo) << PAGE_SHIFT;
		phys_addr_t hi = (phys_addr_t)(base + s->hi) << PAGE_SHIFT;

		for (unsigned i = 0; i < numa->nr_ranges; i++) {
			const struct pmm_node_range *r = &numa->range[i];

			if (range_ok(r) && r->node != s->node && r->base < hi && r->end > lo) {
				mm_warn("pmm: NUMA node %u's memory [%#llx-%#llx) shares a 128 MiB "
					"section with node %u; counted to node %u",
					r->node, (unsigned long long)MM_MAX(r->base, lo),
					(unsigned long long)MM_MIN(r->end, hi), s->node, s->node);
			}
		}
	}
}

/**
 * pmm_node_count() - the number of NUMA nodes (1 without NUMA)
 */
unsigned pmm_node_count(void)
{
	return pmm.nr_nodes;
}

/**
 * pmm_frame_node() - the NUMA node of the RAM at physical address @addr
 * @addr: any physical address
 *
 * Return: its node; 0 for an address the PMM has no descriptor for.
 */
unsigned pmm_frame_node(phys_addr_t addr)
{
	pfn_t pfn = addr >> PAGE_SHIFT;

	return pfn_frame_checked(pfn) ? pfn_node(pfn) : 0;
}

/**
 * pmm_cpu_node() - the NUMA node CPU @cpu allocates from first
 * @cpu: 0 .. MM_MAX_CPUS-1 (others: node 0)
 */
unsigned pmm_cpu_node(unsigned cpu)
{
	return cpu < MM_MAX_CPUS ? pmm.cpu_node[cpu] : 0;
}

/**
 * pmm_node_distance() - the SLIT distance from node @a to node @b
 *
 * Return: 10 for a node to itself, more for others; 0 if either does not exist.
 */
unsigned pmm_node_distance(unsigned a, unsigned b)
{
	return a < pmm.nr_nodes && b < pmm.nr_nodes ? pmm.distance[a][b] : 0;
}
