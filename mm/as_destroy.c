// SPDX-License-Identifier: MIT
/*
 * The end of an address space (exit, or execve replacing it): every page's
 * frame reference dropped, every region's object released, every page-table
 * page freed - except the kernel half, which is only borrowed.
 */
#include "as_internal.h"
#include "lru.h"

/**
 * as_destroy() - free everything a space holds
 * @as: the space; not the active one (switch to the kernel's tables first)
 *
 * Afterwards the PMM's free count is back to what it was before as_init()
 * (or as_fork()) made the space, less frames other spaces still share.
 */
void as_destroy(struct as *as)
{
	as_list_del(as);
	pt_space_retire(&as->vs.pt);	/* the zaps below need no atomics, flushes */
	as_lock(as);
	bool locked = as->locked_vm != 0;

	for (uint32_t i = 0; i < as->nr; i++)
		as_zap(as, as->reg[i].start, as->reg[i].end - as->reg[i].start);
	as_region_free_all(as);
	as_unlock(as);
	if (locked)
		lru_rescue_unevictable();	/* pages it shared (after fork) may be evictable now */
	as_anon_leave(as);	/* after its pages: reclaim may find them until then */
	as_rss_release(as);
	if (as->rss)
		mm_err("as: %llu pages left after destroy", (unsigned long long)as->rss);
	vm_space_destroy(&as->vs);
	as_zero_put();
}
