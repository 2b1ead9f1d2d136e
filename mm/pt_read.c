// SPDX-License-Identifier: MIT
/*
 * The read side of the page-table engine: translation, walks, and the
 * format's own checks. Nothing here takes a lock or writes an entry.
 */
#include "pt_impl.h"

/**
 * pt_va_canonical() - is @va a valid virtual address in format @fmt?
 * @fmt: the format
 * @va: the address
 */
bool pt_va_canonical(const struct pt_format *fmt, uintptr_t va)
{
	return va_canonical(fmt, va);
}

/**
 * pt_translate() - look up the mapping of one virtual address
 * @s: the space
 * @va: any address
 * @pa: if not NULL, the physical address of @va
 * @prot: if not NULL, the leaf's PT_* bits
 * @page_size: if not NULL, the leaf's size
 *
 * Return: true if @va is mapped.
 */
bool pt_translate(const struct pt_space *s, uintptr_t va, phys_addr_t *pa, unsigned *prot,
		  uint64_t *page_size)
{
	const struct pt_format *f = s->fmt;
	phys_addr_t tpa = s->root;
	unsigned level = pt_top(f);
	uint64_t e;

	if (unlikely(!va_canonical(f, va)))
		return false;
	for (;;) {
		e = pte_get(f, pt_table(tpa), lvl_index(f, level, va));
		if (!(e & f->present))
			return false;
		if (pte_is_leaf(f, level, e))
			break;
		tpa = e & f->addr_mask;
		level--;
	}
	if (pa)
		*pa = pte_leaf_pa(f, level, e) | (va & (lvl_size(f, level) - 1));
	if (prot)
		*prot = pt_entry_prot(f, e);
	if (page_size)
		*page_size = lvl_size(f, level);
	return true;
}

struct walk {
	const struct pt_format *f;
	pt_walk_fn fn;
	void *ctx;
	bool swp;	/* visit swap entries too */
};

/*
 * The last level on its own: one index per page and empty entries skipped
 * at once. Sparse tables are the common case (a small mapping beside a
 * populated one shares its table), and the general loop's per-entry span
 * arithmetic cost about 45 instructions per empty entry there.
 */
static int walk_ptes(const struct walk *w, phys_addr_t tpa, uintptr_t va, uintptr_t last)
{
	const struct pt_format *f = w->f;
	const void *t = pt_table(tpa);
	unsigned i = lvl_index(f, 0, va);
	unsigned end = i + (unsigned)((last >> PAGE_SHIFT) - (va >> PAGE_SHIFT));

	va &= ~(uintptr_t)(PAGE_SIZE - 1);
	for (; i <= end; i++, va += PAGE_SIZE) {
		uint64_t e = pte_get(f, t, i);
		int r;

		if (!e)
			continue;
		if (e & f->present)
			r = w->fn(va, pte_leaf_pa(f, 0, e), PAGE_SIZE, pt_entry_prot(f, e), w->ctx);
		else if (w->swp && pte_is_swp(f, e))
			r = w->fn(va, pte_swp_val(f, e), PT_SIZE_SWAP, 0, w->ctx);
		else
			continue;
		if (r)
			return r;
	}
	return 0;
}

static int walk_level(const struct walk *w, unsigned level, phys_addr_t tpa, uintptr_t va,
		      uintptr_t last)
{
	const struct pt_format *f = w->f;
	const void *t = pt_table(tpa);

	if (level == 0)
		return walk_ptes(w, tpa, va, last);
	for (;;) {
		uintptr_t end = MM_MIN(last, slot_last(f, level, va));
		uint64_t e = pte_get(f, t, lvl_index(f, level, va));
		int r = 0;

		if (!(e & f->present))
			r = w->swp && level == 0 && pte_is_swp(f, e) ?
			    w->fn(va, pte_swp_val(f, e), PT_SIZE_SWAP, 0, w->ctx) : 0;
		else if (pte_is_leaf(f, level, e))
			r = w->fn(va & ~(uintptr_t)(lvl_size(f, level) - 1),
				  pte_leaf_pa(f, level, e), lvl_size(f, level), pt_entry_prot(f, e),
				  w->ctx);
		else
			r = walk_level(w, level - 1, e & f->addr_mask, va, end);
		if (r || end == last)
			return r;
		va = end + 1;
	}
}

static int walk(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_walk_fn fn, void *ctx,
		bool swp)
{
	const struct pt_format *f = s->fmt;
	struct walk w = { f, fn, ctx, swp };
	unsigned bits = f->va_bits - (f->va_sign_extend ? 1 : 0);
	uintptr_t low_last = bits >= sizeof(uintptr_t) * 8 ? UINTPTR_MAX :
			     ((uintptr_t)1 << bits) - 1;
	uintptr_t last = end - 1;
	int r = 0;

	if (start >= end)
		return 0;
	if (start <= low_last)
		r = walk_level(&w, pt_top(f), s->root, start, MM_MIN(last, low_last));
	if (!r && f->va_sign_extend && last >= ~low_last)
		r = walk_level(&w, pt_top(f), s->root, MM_MAX(start, ~low_last), last);
	return r;
}

/**
 * pt_walk() - visit the leaves of [start, end) in address order
 * @s: the space
 * @start: first address
 * @end: exclusive end
 * @fn: called with each leaf overlapping the range
 * @ctx: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int pt_walk(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_walk_fn fn, void *ctx)
{
	return walk(s, start, end, fn, ctx, false);
}

/* pt_walk_all() - pt_walk() visiting swap entries too (size PT_SIZE_SWAP, value in @pa). */
int pt_walk_all(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_walk_fn fn,
		void *ctx)
{
	return walk(s, start, end, fn, ctx, true);
}

struct merge {
	pt_range_fn fn;
	void *ctx;
	struct pt_range cur;
	bool have;
};

static int merge_leaf(uintptr_t va, phys_addr_t pa, uint64_t size, unsigned prot, void *ctx)
{
	struct merge *m = ctx;
	struct pt_range *c = &m->cur;

	prot &= ~(unsigned)(PT_ACCESSED | PT_DIRTY);
	if (m->have && c->va + c->len == va && c->pa + c->len == pa && c->prot == prot) {
		c->len += size;
		return 0;
	}
	if (m->have) {
		int r = m->fn(c, m->ctx);

		if (r)
			return r;
	}
	*c = (struct pt_range){ va, pa, size, prot };
	m->have = true;
	return 0;
}

/**
 * pt_walk_ranges() - pt_walk() merging leaves into runs
 * @s: the space
 * @start: first address
 * @end: exclusive end
 * @fn: called with each run
 * @ctx: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int pt_walk_ranges(const struct pt_space *s, uintptr_t start, uintptr_t end, pt_range_fn fn,
		   void *ctx)
{
	struct merge m = { .fn = fn, .ctx = ctx };
	int r = pt_walk(s, start, end, merge_leaf, &m);

	if (!r && m.have)
		r = fn(&m.cur, ctx);
	return r;
}

struct check {
	const struct pt_space *s;
	uint64_t tables;
	unsigned bad;
};

static void check_report(struct check *c, phys_addr_t tpa, unsigned i, const char *what)
{
	c->bad++;
	mm_err("pt: table %#llx entry %u: %s", (unsigned long long)tpa, i, what);
}

static void check_table(struct check *c, unsigned level, phys_addr_t tpa)
{
	const struct pt_space *s = c->s;
	const struct pt_format *f = s->fmt;
	const void *t = pt_table(tpa);
	unsigned used = 0;

	c->tables++;
	for (unsigned i = 0; i < lvl_entries(f, level); i++) {
		uint64_t e = pte_get(f, t, i);

		if (!(e & f->present)) {
			if (e && level == 0 && pte_is_swp(f, e))
				used++;		/* a swap entry */
			else if (e)
				check_report(c, tpa, i, "not present but not empty");
			continue;
		}
		used++;
		if (pte_is_leaf(f, level, e)) {
			if (level && !(f->large_levels & (1u << level)))
				check_report(c, tpa, i, "large leaf at a level without them");
			else if (level &&
				 (e & f->addr_mask & (lvl_size(f, level) - 1) & ~f->large_pat))
				check_report(c, tpa, i, "misaligned large leaf");
			continue;
		}
		if (level == pt_top(f) && i >= s->borrow_first && i < s->borrow_end)
			continue;

		phys_addr_t child = e & f->addr_mask;

		check_table(c, level - 1, child);
		if (*pt_used(child) == 0 && !pt_pinned(s, level, i))
			check_report(c, tpa, i, "points to an empty table");
	}
	if (used != *pt_used(tpa))
		check_report(c, tpa, used, "entry count is wrong (index: the real count)");
}

/**
 * pt_check() - verify the invariants of a space's tables
 * @s: the space
 *
 * Return: the number of problems, 0 if all is well.
 */
unsigned pt_check(const struct pt_space *s)
{
	struct check c = { s, 0, 0 };

	if (!s->root)
		return 0;
	check_table(&c, pt_top(s->fmt), s->root);
	if (c.tables != s->table_pages) {
		c.bad++;
		mm_err("pt: %llu tables found, %llu counted", (unsigned long long)c.tables,
		       (unsigned long long)s->table_pages);
	}
	return c.bad;
}

/**
 * pt_format_check() - is the format's data self-consistent?
 * @fmt: the format
 *
 * Return: 0 or -MM_EINVAL (reported).
 */
int pt_format_check(const struct pt_format *fmt)
{
	const char *why = NULL;
	unsigned top = fmt->levels - 1u;

	if (fmt->levels < 2 || fmt->levels > PT_MAX_LEVELS)
		why = "bad number of levels";
	else if (fmt->entry_size != 4 && fmt->entry_size != 8)
		why = "entry size must be 4 or 8";
	else if (fmt->shift[0] != PAGE_SHIFT)
		why = "level 0 must map 4 KiB pages";
	else if (fmt->va_bits != fmt->shift[top] + fmt->index_bits[top] ||
		 fmt->va_bits > sizeof(uintptr_t) * 8)
		why = "va_bits does not match the levels";
	else if ((fmt->large_levels & 1u) || (fmt->large_levels >> top >> 1))
		why = "large leaves only at levels 1 to the root";
	else if (!fmt->present || (fmt->addr_mask & (PAGE_SIZE - 1)))
		why = "bad present bit or address mask";
	for (unsigned l = 1; !why && l <= top; l++)
		if (fmt->shift[l] != fmt->shift[l - 1] + fmt->index_bits[l - 1] ||
		    ((uint64_t)fmt->entry_size << fmt->index_bits[l - 1]) != PAGE_SIZE)
			why = "a table below the root must fill one page";
	if (why) {
		mm_err("pt: format %s: %s", fmt->name ? fmt->name : "?", why);
		return -MM_EINVAL;
	}
	return 0;
}

/**
 * pt_prot_string() - "rwxugc" rendering of PT_* bits
 * @prot: PT_* bits
 * @buf: at least 8 bytes
 *
 * Return: @buf.
 */
char *pt_prot_string(unsigned prot, char *buf)
{
	buf[0] = 'r';
	buf[1] = (prot & PT_WRITE) ? 'w' : '-';
	buf[2] = (prot & PT_EXEC) ? 'x' : '-';
	buf[3] = (prot & PT_USER) ? 'u' : '-';
	buf[4] = (prot & PT_GLOBAL) ? 'g' : '-';
	buf[5] = (prot & PT_NOCACHE) ? 'c' : '-';
	buf[6] = '\0';
	return buf;
}
