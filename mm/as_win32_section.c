// SPDX-License-Identifier: MIT
/*
 * The commit state of a Win32 SEC_RESERVE section (mm/as_win32.h): one bit
 * per page of the section, set when a view commits the page. Bits are only
 * ever set, atomically, so readers need no lock.
 */
#include "as_internal.h"
#include "as_win32.h"
#include "heap.h"

struct as_section {
	uint64_t pages;
	uint32_t protect;
	uint64_t bits[];
};

/**
 * as_section_new() - the commit state of a new SEC_RESERVE section
 * @pages: its size in pages (pages past it are never committed)
 * @protect: its PAGE_* and SEC_* flags, as made (what views of it report)
 *
 * Return: the state, every page reserved, or NULL if out of memory.
 */
struct as_section *as_section_new(uint64_t pages, uint32_t protect)
{
	struct as_section *s;

	if (pages > (uint64_t)AS_TASK_SIZE >> PAGE_SHIFT)
		return NULL;
	s = kzalloc(sizeof(*s) + (size_t)((pages + 63) / 64) * sizeof(uint64_t));
	if (!s)
		return NULL;
	s->pages = pages;
	s->protect = protect;
	return s;
}

void as_section_free(struct as_section *s)
{
	kfree(s);
}

uint32_t as_section_protect(const struct as_section *s)
{
	return s->protect;
}

/**
 * as_section_commit() - pages committed through a view
 * @s: the section
 * @first: the first page's index in the section
 * @n: how many (those past the section's end are ignored)
 */
void as_section_commit(struct as_section *s, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n && p < s->pages; p++)
		__atomic_fetch_or(&s->bits[p / 64], 1ull << (p % 64), __ATOMIC_RELEASE);
}

bool as_section_committed(const struct as_section *s, uint64_t page)
{
	return page < s->pages &&
	       (__atomic_load_n(&s->bits[page / 64], __ATOMIC_ACQUIRE) >> (page % 64) & 1);
}
