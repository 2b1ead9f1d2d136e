// SPDX-License-Identifier: MIT
/*
 * The XMS 3.0 driver of a DOS box: functions 00h-12h and 88h-8Fh with the
 * specification's error codes (AX = 0, BL = the code).
 *
 * Extended memory is a pool of xms_kb KiB at linear address xms_base of the
 * process (below 4 GiB), handed out in KiB to at most DOS_XMS_HANDLES
 * handles (handle = index + 1, so 0 can mean conventional memory in a move).
 * A lock returns the block's linear address, through which the program
 * reaches it directly. The HMA is the box's 0x100000 .. 0x10FFEF; A20 off
 * makes it an alias of linear 0 (the kernel remaps its page-table entries).
 * XMS's UMBs are the upper memory holes DOS did not take into its chain.
 *
 * Codes that cannot happen here: 81h (VDISK), 82h (A20 line error: only if
 * the platform cannot remap), 90h (the HMA always exists), A9h (parity),
 * ADh (a lock cannot fail).
 */
#include "kernel/dos/dosmem.h"

/* The extended memory move structure of function 0Bh (at DS:SI). */
struct xms_move {
	uint32_t length;
	uint16_t src_handle;
	uint32_t src_offset;	/* handle 0: seg:off */
	uint16_t dst_handle;
	uint32_t dst_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct xms_move) == 16, "XMS 3.0 move structure");

#define XMS_VERSION	0x0300
#define XMS_REVISION	0x0301

static struct dos_xms_block *block(struct dos_box *b, uint16_t h)
{
	if (!h || h > DOS_XMS_HANDLES || !b->xms[h - 1].used)
		return NULL;
	return &b->xms[h - 1];
}

static uint32_t free_handles(const struct dos_box *b)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < DOS_XMS_HANDLES; i++)
		n += !b->xms[i].used;
	return n;
}

/* Is KiB @kb inside a block other than @skip? Returns the block's end, or 0. */
static uint32_t covered(const struct dos_box *b, uint32_t kb, const struct dos_xms_block *skip)
{
	for (unsigned i = 0; i < DOS_XMS_HANDLES; i++) {
		const struct dos_xms_block *x = &b->xms[i];

		if (x->used && x != skip && x->size_kb && x->base_kb <= kb &&
		    kb < x->base_kb + x->size_kb)
			return x->base_kb + x->size_kb;
	}
	return 0;
}

/* Length of the free gap starting at KiB @kb (not covered), blocks but @skip counted. */
static uint32_t gap_at(const struct dos_box *b, uint32_t kb, const struct dos_xms_block *skip)
{
	uint32_t end = b->xms_kb;

	for (unsigned i = 0; i < DOS_XMS_HANDLES; i++) {
		const struct dos_xms_block *x = &b->xms[i];

		if (x->used && x != skip && x->size_kb && x->base_kb >= kb && x->base_kb < end)
			end = x->base_kb;
	}
	return end - kb;
}

/*
 * Walk the free gaps in address order: the first that holds @want KiB (its
 * start in *at, true), tracking the largest and the total.
 */
static bool gaps(const struct dos_box *b, uint32_t want, const struct dos_xms_block *skip,
		 uint32_t *at, uint32_t *largest, uint32_t *total)
{
	bool found = false;
	uint32_t kb = 0;

	*largest = *total = 0;
	while (kb < b->xms_kb) {
		uint32_t e = covered(b, kb, skip);

		if (e) {
			kb = e;
			continue;
		}
		uint32_t g = gap_at(b, kb, skip);

		if (!found && g >= want) {
			*at = kb;
			found = true;
		}
		*largest = MM_MAX(*largest, g);
		*total += g;
		kb += g;
	}
	if (!found && !want) {		/* a zero-length block fits anywhere */
		*at = 0;
		found = true;
	}
	return found;
}

static uint32_t lin_of(const struct dos_box *b, const struct dos_xms_block *x)
{
	return b->xms_base + x->base_kb * 1024u;
}

static int fail(struct dos_regs *r, uint8_t code)
{
	dos_set16(&r->eax, 0);
	dos_set_lo8(&r->ebx, code);
	return -1;
}

static void ok(struct dos_regs *r)
{
	dos_set16(&r->eax, 1);
}

static bool a20_on(const struct dos_box *b)
{
	return b->a20_global || b->a20_local;
}

static void a20_apply(struct dos_box *b, struct dos_regs *r, bool was)
{
	if (a20_on(b) != was && b->ops->set_a20(b->ctx, a20_on(b))) {
		b->a20_global = was;
		b->a20_local = 0;
		fail(r, XMS_E_A20);
		return;
	}
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

/* 08h and 88h. */
static void query_free(struct dos_box *b, struct dos_regs *r, bool any)
{
	uint32_t at, largest, total;

	gaps(b, UINT32_MAX, NULL, &at, &largest, &total);
	dos_set_lo8(&r->ebx, total ? 0 : XMS_E_NO_MEMORY);
	if (any) {
		r->eax = largest;
		r->edx = total;
		r->ecx = b->xms_kb ? b->xms_base + b->xms_kb * 1024u - 1 : 0;
	} else {
		dos_set16(&r->eax, (uint16_t)MM_MIN(largest, 0xffffu));
		dos_set16(&r->edx, (uint16_t)MM_MIN(total, 0xffffu));
	}
}

/* 09h and 89h. */
static void allocate(struct dos_box *b, struct dos_regs *r, uint32_t kb)
{
	uint32_t at, largest, total;
	unsigned i;

	for (i = 0; i < DOS_XMS_HANDLES && b->xms[i].used; i++)
		;
	if (i == DOS_XMS_HANDLES) {
		fail(r, XMS_E_NO_HANDLES);
		return;
	}
	if (!gaps(b, kb, NULL, &at, &largest, &total)) {
		fail(r, XMS_E_NO_MEMORY);
		return;
	}
	b->xms[i] = (struct dos_xms_block){ .base_kb = at, .size_kb = kb, .used = 1 };
	ok(r);
	dos_set16(&r->edx, (uint16_t)(i + 1));
}

static void release(struct dos_box *b, struct dos_regs *r)
{
	struct dos_xms_block *x = block(b, dos_dx(r));

	if (!x) {
		fail(r, XMS_E_HANDLE);
		return;
	}
	if (x->locks) {
		fail(r, XMS_E_LOCKED);
		return;
	}
	if (b->ops->discard && x->size_kb)
		b->ops->discard(b->ctx, lin_of(b, x), x->size_kb * 1024u);
	*x = (struct dos_xms_block){ 0 };
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

/* One side of a move: its linear address, or an error code. */
static uint8_t move_end(struct dos_box *b, uint16_t h, uint32_t off, uint32_t len,
			uint32_t *lin, bool src)
{
	if (!h) {
		uint32_t l = dos_lin((uint16_t)(off >> 16), (uint16_t)off);

		if (l > DOS_BOX_END)
			return src ? XMS_E_SRC_OFFSET : XMS_E_DST_OFFSET;
		if (len > DOS_BOX_END - l)
			return XMS_E_LENGTH;
		*lin = l;
		return 0;
	}
	const struct dos_xms_block *x = block(b, h);

	if (!x)
		return src ? XMS_E_SRC_HANDLE : XMS_E_DST_HANDLE;
	if (off > x->size_kb * 1024u)
		return src ? XMS_E_SRC_OFFSET : XMS_E_DST_OFFSET;
	if (len > x->size_kb * 1024u - off)
		return XMS_E_LENGTH;
	*lin = lin_of(b, x) + off;
	return 0;
}

/* 0Bh. */
static void move(struct dos_box *b, struct dos_regs *r)
{
	struct xms_move m;
	uint32_t src = 0, dst = 0;
	uint8_t e;

	if (b->ops->read(b->ctx, dos_lin(r->ds, (uint16_t)r->esi), &m, sizeof(m))) {
		fail(r, XMS_E_GENERAL);
		return;
	}
	if ((e = move_end(b, m.src_handle, m.src_offset, m.length, &src, true)) ||
	    (e = move_end(b, m.dst_handle, m.dst_offset, m.length, &dst, false))) {
		fail(r, e);
		return;
	}
	if (m.length & 1) {
		fail(r, XMS_E_LENGTH);
		return;
	}
	/* Overlap: only moves down (source above destination) are allowed. */
	if (src < dst && dst < src + m.length) {
		fail(r, XMS_E_OVERLAP);
		return;
	}
	if (m.length && b->ops->move(b->ctx, dst, src, m.length)) {
		fail(r, XMS_E_GENERAL);
		return;
	}
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

static void lock(struct dos_box *b, struct dos_regs *r)
{
	struct dos_xms_block *x = block(b, dos_dx(r));
	uint32_t lin;

	if (!x) {
		fail(r, XMS_E_HANDLE);
		return;
	}
	if (x->locks == 0xff) {
		fail(r, XMS_E_LOCK_OVERFLOW);
		return;
	}
	x->locks++;
	lin = lin_of(b, x);
	ok(r);
	dos_set16(&r->edx, (uint16_t)(lin >> 16));
	dos_set16(&r->ebx, (uint16_t)lin);
}

static void unlock(struct dos_box *b, struct dos_regs *r)
{
	struct dos_xms_block *x = block(b, dos_dx(r));

	if (!x) {
		fail(r, XMS_E_HANDLE);
		return;
	}
	if (!x->locks) {
		fail(r, XMS_E_NOT_LOCKED);
		return;
	}
	x->locks--;
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

/* 0Eh and 8Eh. */
static void info(struct dos_box *b, struct dos_regs *r, bool any)
{
	struct dos_xms_block *x = block(b, dos_dx(r));
	uint32_t n = free_handles(b);

	if (!x) {
		fail(r, XMS_E_HANDLE);
		return;
	}
	if (!any && x->size_kb > 0xffff) {
		fail(r, XMS_E_GENERAL);		/* use 8Eh for it */
		return;
	}
	ok(r);
	dos_set_hi8(&r->ebx, x->locks);
	if (any) {
		dos_set16(&r->ecx, (uint16_t)n);
		r->edx = x->size_kb;
	} else {
		dos_set_lo8(&r->ebx, (uint8_t)MM_MIN(n, 0xffu));
		dos_set16(&r->edx, (uint16_t)x->size_kb);
	}
}

/* 0Fh and 8Fh: grow in place if the space after is free, else move the block. */
static void reallocate(struct dos_box *b, struct dos_regs *r, uint32_t kb)
{
	struct dos_xms_block *x = block(b, dos_dx(r));
	uint32_t at, largest, total, keep;

	if (!x) {
		fail(r, XMS_E_HANDLE);
		return;
	}
	if (x->locks) {
		fail(r, XMS_E_LOCKED);
		return;
	}
	keep = MM_MIN(kb, x->size_kb);
	/*
	 * In place only from a free start: a zero-length block holds no KiB, so
	 * a later block may have been placed over its start (gap_at() would
	 * then measure past that block).
	 */
	if (kb > x->size_kb && (covered(b, x->base_kb, x) || gap_at(b, x->base_kb, x) < kb)) {
		if (!gaps(b, kb, x, &at, &largest, &total)) {
			fail(r, XMS_E_NO_MEMORY);
			return;
		}
		/* The new place may overlap the old one only below it: memmove. */
		if (keep && b->ops->move(b->ctx, b->xms_base + at * 1024u, lin_of(b, x),
					 keep * 1024u)) {
			fail(r, XMS_E_GENERAL);
			return;
		}
		if (b->ops->discard && at != x->base_kb) {
			uint32_t old = x->base_kb, end = old + x->size_kb;

			if (at > old && at < end)
				end = at;
			else if (at <= old && at + kb > old)
				old = MM_MIN(at + kb, end);
			if (end > old)
				b->ops->discard(b->ctx, b->xms_base + old * 1024u, (end - old) * 1024u);
		}
		x->base_kb = at;
	} else if (kb < x->size_kb && b->ops->discard) {
		b->ops->discard(b->ctx, lin_of(b, x) + kb * 1024u, (x->size_kb - kb) * 1024u);
	}
	x->size_kb = kb;
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

/* --- UMBs ----------------------------------------------------------------------- */

static struct dos_xumb *umb_find(struct dos_box *b, uint16_t seg)
{
	for (unsigned i = 0; i < DOS_XUMB_MAX; i++)
		if (b->xumb[i].paras && b->xumb[i].seg == seg)
			return &b->xumb[i];
	return NULL;
}

/* Free paragraphs from @seg up to the next UMB (other than @skip). */
static uint16_t umb_gap(const struct dos_box *b, uint16_t seg, const struct dos_xumb *skip)
{
	uint16_t end = b->xumb_end;

	for (unsigned i = 0; i < DOS_XUMB_MAX; i++) {
		const struct dos_xumb *u = &b->xumb[i];

		if (u->paras && u != skip) {
			if (u->seg <= seg && seg < u->seg + u->paras)
				return 0;
			if (u->seg > seg && u->seg < end)
				end = u->seg;
		}
	}
	return (uint16_t)(end - seg);
}

/* First free run of @want paragraphs; *largest is the largest run. */
static uint16_t umb_place(const struct dos_box *b, uint16_t want, uint16_t *largest)
{
	uint16_t pick = 0;

	*largest = 0;
	for (uint16_t s = b->xumb_start; s < b->xumb_end;) {
		uint16_t g = umb_gap(b, s, NULL);

		if (!g) {
			const struct dos_xumb *u = NULL;

			for (unsigned i = 0; i < DOS_XUMB_MAX && !u; i++)
				if (b->xumb[i].paras && b->xumb[i].seg <= s &&
				    s < b->xumb[i].seg + b->xumb[i].paras)
					u = &b->xumb[i];
			s = (uint16_t)(u->seg + u->paras);
			continue;
		}
		if (!pick && want && g >= want)
			pick = s;
		*largest = MM_MAX(*largest, g);
		s = (uint16_t)(s + g);
	}
	return pick;
}

static void umb_request(struct dos_box *b, struct dos_regs *r)
{
	uint16_t want = dos_dx(r), largest, seg = umb_place(b, want, &largest);
	unsigned i;

	for (i = 0; i < DOS_XUMB_MAX && b->xumb[i].paras; i++)
		;
	if (!largest || i == DOS_XUMB_MAX) {
		fail(r, XMS_E_NO_UMB);
		dos_set16(&r->edx, 0);
		return;
	}
	if (!seg) {
		fail(r, XMS_E_UMB_SMALLER);
		dos_set16(&r->edx, largest);
		return;
	}
	b->xumb[i] = (struct dos_xumb){ seg, want };
	ok(r);
	dos_set16(&r->ebx, seg);
	dos_set16(&r->edx, want);
}

static void umb_release(struct dos_box *b, struct dos_regs *r)
{
	struct dos_xumb *u = umb_find(b, dos_dx(r));

	if (!u) {
		fail(r, XMS_E_UMB_SEG);
		return;
	}
	*u = (struct dos_xumb){ 0 };
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

static void umb_reallocate(struct dos_box *b, struct dos_regs *r)
{
	struct dos_xumb *u = umb_find(b, dos_dx(r));
	uint16_t want = dos_bx(r), max;

	if (!u) {
		fail(r, XMS_E_UMB_SEG);
		return;
	}
	max = umb_gap(b, u->seg, u);
	if (!want || want > max) {
		fail(r, XMS_E_UMB_SMALLER);
		dos_set16(&r->edx, max);
		return;
	}
	u->paras = want;
	ok(r);
	dos_set_lo8(&r->ebx, 0);
}

/* --- the entry ------------------------------------------------------------------- */

/**
 * dos_xms_call() - a far call to the XMS driver entry
 * @b: the box
 * @r: AH = the function; results as XMS 3.0 defines (AX = 0, BL = error on failure)
 */
void dos_xms_call(struct dos_box *b, struct dos_regs *r)
{
	bool was = a20_on(b);

	switch (dos_ah(r)) {
	case 0x00:
		dos_set16(&r->eax, XMS_VERSION);
		dos_set16(&r->ebx, XMS_REVISION);
		dos_set16(&r->edx, 1);		/* the HMA exists */
		return;
	case 0x01:
		if (b->hma_used)
			fail(r, XMS_E_HMA_IN_USE);
		else if (dos_dx(r) != 0xffff && dos_dx(r) < b->hma_min * 1024u)
			fail(r, XMS_E_HMA_MIN);
		else {
			b->hma_used = true;
			ok(r);
			dos_set_lo8(&r->ebx, 0);
		}
		return;
	case 0x02:
		if (!b->hma_used) {
			fail(r, XMS_E_HMA_NOT_ALLOC);
		} else {
			b->hma_used = false;
			ok(r);
			dos_set_lo8(&r->ebx, 0);
		}
		return;
	case 0x03:
		b->a20_global = true;
		a20_apply(b, r, was);
		return;
	case 0x04:
		b->a20_global = false;
		if (b->a20_local)
			fail(r, XMS_E_A20_ON);
		else
			a20_apply(b, r, was);
		return;
	case 0x05:
		b->a20_local++;
		a20_apply(b, r, was);
		return;
	case 0x06:
		if (b->a20_local)
			b->a20_local--;
		if (a20_on(b))
			fail(r, XMS_E_A20_ON);
		else
			a20_apply(b, r, was);
		return;
	case 0x07:
		dos_set16(&r->eax, was);
		dos_set_lo8(&r->ebx, 0);
		return;
	case 0x08:
		query_free(b, r, false);
		return;
	case 0x09:
		allocate(b, r, dos_dx(r));
		return;
	case 0x0a:
		release(b, r);
		return;
	case 0x0b:
		move(b, r);
		return;
	case 0x0c:
		lock(b, r);
		return;
	case 0x0d:
		unlock(b, r);
		return;
	case 0x0e:
		info(b, r, false);
		return;
	case 0x0f:
		reallocate(b, r, dos_bx(r));
		return;
	case 0x10:
		umb_request(b, r);
		return;
	case 0x11:
		umb_release(b, r);
		return;
	case 0x12:
		umb_reallocate(b, r);
		return;
	case 0x88:
		query_free(b, r, true);
		return;
	case 0x89:
		allocate(b, r, r->edx);
		return;
	case 0x8e:
		info(b, r, true);
		return;
	case 0x8f:
		reallocate(b, r, r->ebx);
		return;
	}
	fail(r, XMS_E_NOT_IMPL);
}
