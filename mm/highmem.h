/* SPDX-License-Identifier: MIT */
/*
 * Touching the contents of a frame that may lie in high memory: through a
 * temporary mapping (plat_kmap(), mm/platform.h), one page at a time. On a
 * platform that maps all RAM these are a plain memset/memcpy.
 */
#ifndef MM_HIGHMEM_H
#define MM_HIGHMEM_H

#include "platform.h"

/* Zero @pages frames from @pa. */
static inline void frame_zero(phys_addr_t pa, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++, pa += PAGE_SIZE) {
		void *p = plat_kmap(pa);

		memset(p, 0, PAGE_SIZE);
		plat_kunmap(p);
	}
}

/* Copy frame @src to frame @dst. */
static inline void frame_copy(phys_addr_t dst, phys_addr_t src)
{
	void *d = plat_kmap(dst), *s = plat_kmap(src);

	memcpy(d, s, PAGE_SIZE);
	plat_kunmap(s);
	plat_kunmap(d);
}

/* Copy @n bytes at offset @off of frame @pa into @buf (@to_frame: the other way). */
static inline void frame_rw(phys_addr_t pa, uint64_t off, void *buf, uint64_t n, bool to_frame)
{
	uint8_t *p = plat_kmap(pa);

	if (to_frame)
		memcpy(p + off, buf, n);
	else
		memcpy(buf, p + off, n);
	plat_kunmap(p);
}

#endif
