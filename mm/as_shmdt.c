// SPDX-License-Identifier: MIT
/*
 * shmdt's search for what to detach, as Linux's (ipc/shm.c): from the first
 * region ending above the address, the first region of an attach whose page
 * offset in its segment is its distance from the address goes whole; then
 * every later region of that same attach (one shmat: a fork's copies and the
 * pieces mprotect or munmap left of it) at that same distance-to-offset,
 * for as long as regions end within the segment's size of the address. A
 * piece mremap moved where its offset does not fit stays, as on Linux; so
 * does another attach of the segment.
 *
 * Locking: the space's write lock for the search and the removals, so no
 * other thread's mmap or shmat changes the regions in between; the pages
 * then go under the read lock, table by table with interrupts off only
 * inside each (as_zap_gaps_unlock(), as UnmapFileFromMemory's), so a huge
 * segment's detach has no long stretch with interrupts off.
 */
#include "as_internal.h"

/* Whether region @r is of an attach and lies as far above @addr as its offset. */
static bool fits(const struct as_region *r, uintptr_t addr, bool (*is_attach)(const struct as_file *))
{
	return r->file && is_attach(r->file) && r->start >= addr &&
	       ((r->start - addr) >> PAGE_SHIFT) == r->pgoff;
}

/*
 * The first region from @addr's that is of an attach at its offset's
 * distance from @addr: its index, or as->nr if none.
 */
static uint32_t find_attach(const struct as *as, uintptr_t addr,
			    bool (*is_attach)(const struct as_file *))
{
	uint32_t i = as_region_lower(as, addr);

	while (i < as->nr && !fits(&as->reg[i], addr, is_attach))
		i++;
	return i;
}

/**
 * as_detach() - shmdt: remove the attach found from @addr as Linux does
 * @as: the space
 * @addr: page-aligned
 * @is_attach: whether a region's file is an attach (one shmat)
 * @size_of: the bytes of an attach's segment
 *
 * The attach's regions leave the set under the write lock; their pages,
 * in the gaps left between the first and the last, are zapped under the
 * read lock afterwards, a reference to the segment kept until then.
 *
 * Return: the number of regions removed (0: none found).
 */
long as_detach(struct as *as, uintptr_t addr, bool (*is_attach)(const struct as_file *f),
	       uint64_t (*size_of)(const struct as_file *f))
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	uint32_t i = find_attach(as, addr, is_attach);
	struct as_region held;
	const struct as_file *file;
	uint64_t size;
	uintptr_t lo, hi;
	long n = 0;

	if (i == as->nr) {
		write_unlock_irqrestore(&as->lock, fl);
		return 0;
	}
	file = as->reg[i].file;
	size = AS_PAGE_ALIGN(size_of(file));
	lo = hi = as->reg[i].start;
	held = (struct as_region){ .shm = as->reg[i].shm, .file = file };
	as_region_ref(&held);
	/* Whole regions go, so no split and no memory is needed. */
	while (i < as->nr && as->reg[i].end - addr <= size) {
		const struct as_region *r = &as->reg[i];

		if (r->file != file || !fits(r, addr, is_attach)) {
			i++;
			continue;
		}
		hi = r->end;
		as_uncharge_region(&as->reg[i]);
		as_region_remove_range(as, i, i + 1);
		n++;
	}
	if (n)
		as_zap_gaps_unlock(as, lo, hi, fl);
	else
		write_unlock_irqrestore(&as->lock, fl);
	as_region_unref(&held);
	return n;
}
