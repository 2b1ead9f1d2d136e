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
 * Locking: the space's write lock throughout, so no other thread's mmap or
 * shmat changes the regions between the search and the removals.
 */
#include "as_internal.h"

/* Whether region @r is of an attach and lies as far above @addr as its offset. */
static bool fits(const struct as_region *r, uintptr_t addr, bool (*is_attach)(const struct as_file *))
{
	return r->file && is_attach(r->file) && r->start >= addr &&
	       ((r->start - addr) >> PAGE_SHIFT) == r->pgoff;
}

/**
 * as_detach() - shmdt: remove the attach found from @addr as Linux does
 * @as: the space
 * @addr: page-aligned
 * @is_attach: whether a region's file is an attach (one shmat)
 * @size_of: the bytes of an attach's segment
 *
 * Return: the number of regions removed (0: none found), or -MM_ENOMEM
 * (no room to split; the regions before stay removed).
 */
long as_detach(struct as *as, uintptr_t addr, bool (*is_attach)(const struct as_file *f),
	       uint64_t (*size_of)(const struct as_file *f))
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	const struct as_file *file = NULL;
	uint64_t size = 0;
	uintptr_t cur = addr;
	long n = 0;
	int err = 0;

	for (uint32_t i = as_region_lower(as, addr); i < as->nr && !file; i++)
		if (fits(&as->reg[i], addr, is_attach)) {
			file = as->reg[i].file;
			size = AS_PAGE_ALIGN(size_of(file));
			cur = as->reg[i].start;
		}
	while (file) {
		uint32_t i = as_region_lower(as, cur);
		uintptr_t s, e;
		bool go;

		if (i >= as->nr || as->reg[i].end - addr > size)
			break;
		s = as->reg[i].start;
		e = as->reg[i].end;
		go = as->reg[i].file == file && fits(&as->reg[i], addr, is_attach);
		cur = e;
		if (!go)
			continue;
		err = as_region_reserve(as, 2);
		if (err)
			break;
		as_unmap_range(as, s, e);
		n++;
	}
	write_unlock_irqrestore(&as->lock, fl);
	return err ? err : n;
}
