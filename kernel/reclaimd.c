// SPDX-License-Identifier: MIT
/*
 * The background reclaim thread (Linux's kswapd): when some zone's free
 * frames fall below its low watermark it swaps pages out until every zone
 * is above high again (mm/reclaim.h), so that faults rarely have to reclaim
 * for themselves. It looks every few milliseconds; the allocator's path is
 * left untouched (no wakeup to take there).
 *
 * It also installs reclaim_for_alloc() as the PMM's reclaim hook, so a
 * kernel allocation (a page table, a heap slab, vmalloc) that finds no
 * frame reclaims too when its context allows.
 *
 * Locks: none of its own; reclaim takes the spaces' and swap's.
 */
#include "kernel/kernel.h"
#include "kernel/lib.h"
#include "kernel/task.h"
#include "mm/lru.h"
#include "mm/pcache.h"
#include "mm/reclaim.h"
#include "mm/swap.h"

#define RECLAIMD_POLL_MS	5

static void reclaimd(void *arg)
{
	(void)arg;
	for (;;) {
		if (reclaim_needed() && reclaim_background())
			yield();
		else
			sleep_until(time_ns() + RECLAIMD_POLL_MS * 1000000ull);
	}
}

/*
 * Start the thread, install the OOM killer, and let kernel allocations
 * that find no memory reclaim at reclaim points (mm/reclaim.h): from here
 * on (kmain, after the drivers) tasks run and may sleep.
 */
void reclaimd_start(void)
{
	oom_init();
	pmm_set_reclaim(reclaim_for_alloc);
	if (!kthread_create("kswapd", reclaimd, NULL))
		kprintf("reclaim: no background thread (out of memory); faults reclaim alone\n");
}

/* memstat's lines: swap areas, reclaim and swap figures (Linux's /proc/vmstat names). */
void reclaim_print_stats(void)
{
	struct reclaim_stats r;
	struct swap_counters c;

	reclaim_get_stats(&r);
	swap_get_counters(&c);
	kprintf("swap: %lu kB total, %lu kB used, %lu kB in the swap cache\n",
		(unsigned long)c.slots_total * 4, (unsigned long)c.slots_used * 4,
		(unsigned long)c.cache_pages * 4);
	for (int t = 0; t < (int)SWAP_MAX_AREAS; t++) {
		struct swap_area_info ai;

		if (swap_area_info(t, &ai))
			continue;
		kprintf("  area %d %s prio %d: %lu of %lu pages used; backend %lu pages in %lu kB\n",
			t, ai.name ? ai.name : "?", ai.prio, (unsigned long)ai.used,
			(unsigned long)ai.slots, (unsigned long)ai.backend.stored,
			(unsigned long)(ai.backend.mem_bytes >> 10));
	}
	kprintf("reclaim: pgscan %lu, pgsteal %lu (kswapd %lu, direct %lu of which %lu from the heap), "
		"allocstall %lu (%lu for kernel allocations), no progress %lu, refaults %lu, oom_kill %lu\n",
		(unsigned long)r.scanned, (unsigned long)r.reclaimed, (unsigned long)r.kswapd_reclaimed,
		(unsigned long)r.direct_reclaimed, (unsigned long)r.cache_reclaimed, (unsigned long)r.direct_runs,
		(unsigned long)r.alloc_stalls, (unsigned long)r.no_progress, (unsigned long)r.refaults, (unsigned long)r.oom_kills);
	kprintf("lru: active_file %lu, inactive_file %lu, unevictable %lu, page cache in swap %lu kB "
		"(table %lu kB)\n",
		(unsigned long)lru_count(LRU_ACTIVE_FILE), (unsigned long)lru_count(LRU_INACTIVE_FILE),
		(unsigned long)lru_count(LRU_UNEVICTABLE),
		(unsigned long)pcache_total_swapped() * 4, (unsigned long)lru_table_frames() * 4);
	kprintf("swap: pswpout %lu, pswpin %lu, swap cache hits %lu, write failures %lu, "
		"read errors %lu\n", (unsigned long)c.swpout, (unsigned long)c.swpin,
		(unsigned long)c.cache_hits, (unsigned long)c.write_fail,
		(unsigned long)c.read_errors);
	for (unsigned z = 0; z < PMM_NR_ZONES; z++) {
		struct reclaim_wmark w;

		reclaim_watermarks((enum pmm_zone)z, &w);
		if (w.managed)
			kprintf("  zone %s: free %lu, watermarks min %lu low %lu high %lu (pages)\n",
				pmm_zone_name((enum pmm_zone)z), (unsigned long)w.free,
				(unsigned long)w.min, (unsigned long)w.low, (unsigned long)w.high);
	}
}
