// SPDX-License-Identifier: MIT
/*
 * Conventional and upper memory: the MCB chain and INT 21h's memory
 * functions (48h allocate, 49h free, 4Ah resize, 58h strategy and UMB link,
 * 50h/51h/62h PSP, 4Ch terminate), as MS-DOS 5+ behaves.
 *
 * The chain lives in the box's memory, where programs can read (and break)
 * it: a 16-byte arena header before each block, 'M' for every block but
 * the last, 'Z' for the last, the owner's PSP (0 free, 8 DOS), the size in
 * paragraphs and the program's name. It has two areas: conventional memory
 * from DOS_FIRST_MCB, ending with a DOS-owned "SC" block that spans the hole
 * between the top of conventional memory and the UMBs, and the UMBs. When
 * the UMBs are linked the low area's last block is 'M' and the walk goes on
 * through the SC block; unlinked, it is 'Z'. Every walk checks every header
 * it reads, so a broken chain gives error 7, never a stray access.
 *
 * Free neighbours are merged before each search, as DOS does while it walks.
 */
#include "kernel/dos/dosmem.h"

struct mcb {
	uint8_t type;		/* 'M' or 'Z' */
	uint16_t owner;		/* PSP segment; 0 free; 8 DOS */
	uint16_t size;		/* paragraphs, header excluded */
	uint8_t reserved[3];
	char name[8];		/* the owner's program name, in its PSP's block */
} __attribute__((packed));
_Static_assert(sizeof(struct mcb) == 16, "an MCB is one paragraph");

/* PSP fields used here. */
#define PSP_MEM_TOP	0x02	/* segment after the program's memory */
#define PSP_PARENT	0x16
#define PSP_ENV		0x2c

/* One area of the chain: [start, end) segments; the type its last block must have. */
struct area {
	uint16_t start, end;
	uint8_t last;
	bool high;
};

static int rd(struct dos_box *b, uint16_t seg, struct mcb *m)
{
	return b->ops->read(b->ctx, dos_lin(seg, 0), m, sizeof(*m));
}

static int wr(struct dos_box *b, uint16_t seg, const struct mcb *m)
{
	return b->ops->write(b->ctx, dos_lin(seg, 0), m, sizeof(*m));
}

/* The areas in address order: the low one, then the UMBs if there are any. */
static unsigned areas(const struct dos_box *b, struct area a[2])
{
	if (!b->sentinel) {
		a[0] = (struct area){ DOS_FIRST_MCB, b->conv_top, 'Z', false };
		return 1;
	}
	a[0] = (struct area){ DOS_FIRST_MCB, b->sentinel, b->umb_linked ? 'M' : 'Z', false };
	a[1] = (struct area){ b->umb_start, b->umb_end, 'Z', true };
	return 2;
}

/* Read and check the header at @seg of area @a: 0, or -1 if it is not a valid one. */
static int rd_check(struct dos_box *b, const struct area *a, uint16_t seg, struct mcb *m)
{
	uint32_t next;

	if (rd(b, seg, m))
		return -1;
	next = (uint32_t)seg + 1 + m->size;
	if (next > a->end)
		return -1;
	return m->type == (next == a->end ? a->last : 'M') ? 0 : -1;
}

/* Check the SC block joining the areas. */
static int sentinel_ok(struct dos_box *b)
{
	struct mcb m;

	if (!b->sentinel)
		return 0;
	if (rd(b, b->sentinel, &m) || m.type != 'M' || m.owner != DOS_OWNER_SYSTEM ||
	    (uint32_t)b->sentinel + 1 + m.size != b->umb_start)
		return -1;
	return 0;
}

/* Check every header of the chain; merge free neighbours if @merge. 0 or -1. */
static int chain_fix(struct dos_box *b, bool merge)
{
	struct area a[2];
	unsigned n = areas(b, a);

	if (sentinel_ok(b))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint16_t seg = a[i].start;
		struct mcb m, nx;

		for (;;) {
			if (rd_check(b, &a[i], seg, &m))
				return -1;
			uint32_t next = (uint32_t)seg + 1 + m.size;

			if (next == a[i].end)
				break;
			if (merge && m.owner == DOS_OWNER_FREE) {
				if (rd_check(b, &a[i], (uint16_t)next, &nx))
					return -1;
				if (nx.owner == DOS_OWNER_FREE) {
					m.size = (uint16_t)(m.size + nx.size + 1);
					m.type = nx.type;
					if (wr(b, seg, &m))
						return -1;
					continue;
				}
			}
			seg = (uint16_t)next;
		}
	}
	return 0;
}

/**
 * dos_mcb_walk() - call @fn for every block of the chain, in address order
 * @b: the box
 * @fn: called with each block; a nonzero return stops the walk
 * @ctx: for @fn
 *
 * Return: 0, @fn's nonzero value, or -DOS_E_MCB_DESTROYED.
 */
int dos_mcb_walk(struct dos_box *b, dos_mcb_fn fn, void *ctx)
{
	struct area a[2];
	unsigned n = areas(b, a);

	if (chain_fix(b, false))
		return -DOS_E_MCB_DESTROYED;
	for (unsigned i = 0; i < n; i++) {
		for (uint16_t seg = a[i].start; seg < a[i].end;) {
			struct dos_mcb_info mi = { .seg = seg, .high = a[i].high };
			struct mcb m, om;
			int r;

			if (rd(b, seg, &m))
				return -DOS_E_MCB_DESTROYED;
			mi.owner = m.owner;
			mi.paras = m.size;
			mi.type = (char)m.type;
			if (m.owner == DOS_OWNER_SYSTEM)
				memcpy(mi.name, m.name[0] ? m.name : "SC", m.name[0] ? 8 : 3);
			else if (m.owner > DOS_OWNER_SYSTEM && !rd(b, (uint16_t)(m.owner - 1), &om))
				memcpy(mi.name, om.name, 8);
			mi.name[8] = 0;
			if ((r = fn(&mi, ctx)))
				return r;
			seg = (uint16_t)(seg + 1 + m.size);
			if (i == 0 && b->sentinel && seg == b->sentinel && n == 2) {
				struct dos_mcb_info s = { .seg = seg, .owner = DOS_OWNER_SYSTEM,
							  .type = 'M', .name = "SC" };

				if (rd(b, seg, &m))
					return -DOS_E_MCB_DESTROYED;
				s.paras = m.size;
				if ((r = fn(&s, ctx)))
					return r;
				break;
			}
		}
	}
	return 0;
}

/* The areas strategy @s searches, in order; returns how many. */
static unsigned search_areas(const struct dos_box *b, uint8_t s, struct area out[2])
{
	struct area a[2];
	unsigned n = areas(b, a);

	if (n == 2 && b->umb_linked && (s & DOS_HIGH_ONLY)) {
		out[0] = a[1];
		return 1;
	}
	if (n == 2 && b->umb_linked && (s & DOS_HIGH_FIRST)) {
		out[0] = a[1];
		out[1] = a[0];
		return 2;
	}
	out[0] = a[0];
	return 1;
}

/* The free block of area @a that fit @fit chooses for @paras; 0 if none. Tracks the largest. */
static uint16_t choose(struct dos_box *b, const struct area *a, uint8_t fit, uint16_t paras,
		       uint16_t *largest)
{
	uint16_t pick = 0, pick_size = 0;

	for (uint16_t seg = a->start; seg < a->end;) {
		struct mcb m;

		if (rd(b, seg, &m))
			return 0;
		if (m.owner == DOS_OWNER_FREE) {
			if (m.size > *largest)
				*largest = m.size;
			if (m.size >= paras &&
			    (!pick || fit == DOS_FIT_LAST || (fit == DOS_FIT_BEST && m.size < pick_size))) {
				pick = seg;
				pick_size = m.size;
			}
		}
		seg = (uint16_t)(seg + 1 + m.size);
	}
	return pick;
}

/* Give @paras of the free block at @seg to the current PSP; returns the block's segment. */
static int take(struct dos_box *b, uint16_t seg, uint16_t paras, bool from_end, uint16_t *out)
{
	struct mcb m, rest;

	if (rd(b, seg, &m))
		return -1;
	if (m.size == paras) {
		m.owner = b->psp;
		*out = (uint16_t)(seg + 1);
		return wr(b, seg, &m);
	}
	memset(&rest, 0, sizeof(rest));
	if (from_end) {
		uint16_t at = (uint16_t)(seg + m.size - paras);

		rest = (struct mcb){ .type = m.type, .owner = b->psp, .size = paras };
		m.type = 'M';
		m.size = (uint16_t)(m.size - paras - 1);
		*out = (uint16_t)(at + 1);
		return wr(b, seg, &m) || wr(b, at, &rest) ? -1 : 0;
	}
	rest = (struct mcb){ .type = m.type, .owner = DOS_OWNER_FREE,
			     .size = (uint16_t)(m.size - paras - 1) };
	m.type = 'M';
	m.owner = b->psp;
	m.size = paras;
	memset(m.name, 0, sizeof(m.name));
	*out = (uint16_t)(seg + 1);
	return wr(b, (uint16_t)(seg + 1 + paras), &rest) || wr(b, seg, &m) ? -1 : 0;
}

/* 48h: allocate BX paragraphs. */
static int alloc(struct dos_box *b, struct dos_regs *r)
{
	uint16_t paras = dos_bx(r), largest = 0, seg = 0;
	uint8_t fit = b->strategy & 0x3;
	struct area a[2];
	unsigned n;

	if (chain_fix(b, true))
		return DOS_E_MCB_DESTROYED;
	n = search_areas(b, b->strategy, a);
	for (unsigned i = 0; i < n && !seg; i++) {
		uint16_t pick = choose(b, &a[i], fit, paras, &largest);

		if (pick && take(b, pick, paras, fit == DOS_FIT_LAST, &seg))
			return DOS_E_MCB_DESTROYED;
	}
	if (!seg) {
		dos_set16(&r->ebx, largest);
		return DOS_E_NO_MEMORY;
	}
	dos_set16(&r->eax, seg);
	return 0;
}

/* Find the block whose header is at @seg in the chain: its area, or -1. */
static int find(struct dos_box *b, uint16_t seg, struct area *out)
{
	struct area a[2];
	unsigned n = areas(b, a);

	for (unsigned i = 0; i < n; i++)
		for (uint16_t s = a[i].start; s < a[i].end;) {
			struct mcb m;

			if (rd(b, s, &m))
				return -1;
			if (s == seg) {
				*out = a[i];
				return 0;
			}
			s = (uint16_t)(s + 1 + m.size);
		}
	return -1;
}

/* 49h: free the block at ES. */
static int release(struct dos_box *b, struct dos_regs *r)
{
	uint16_t seg = (uint16_t)(r->es - 1);
	struct area a;
	struct mcb m;

	if (chain_fix(b, false))
		return DOS_E_MCB_DESTROYED;
	if (!r->es || find(b, seg, &a) || rd(b, seg, &m) || m.owner == DOS_OWNER_SYSTEM)
		return DOS_E_BAD_BLOCK;
	m.owner = DOS_OWNER_FREE;
	return wr(b, seg, &m) ? DOS_E_MCB_DESTROYED : 0;
}

/* 4Ah: resize the block at ES to BX paragraphs, in place. */
static int resize(struct dos_box *b, struct dos_regs *r)
{
	uint16_t seg = (uint16_t)(r->es - 1), want = dos_bx(r);
	struct mcb m, nx = { 0 }, rest;
	uint32_t next, max;
	struct area a;

	if (chain_fix(b, true))
		return DOS_E_MCB_DESTROYED;
	if (!r->es || find(b, seg, &a) || rd(b, seg, &m) || m.owner == DOS_OWNER_SYSTEM)
		return DOS_E_BAD_BLOCK;
	next = (uint32_t)seg + 1 + m.size;
	max = m.size;
	if (next < a.end) {
		if (rd(b, (uint16_t)next, &nx))
			return DOS_E_MCB_DESTROYED;
		if (nx.owner == DOS_OWNER_FREE)
			max += 1u + nx.size;
	}
	if (want > max)
		want = (uint16_t)max;
	if (want > m.size) {		/* swallow the free neighbour, give back the rest */
		m.type = nx.type;
		m.size = (uint16_t)max;
	}
	if (want < m.size) {
		rest = (struct mcb){ .type = m.type, .owner = DOS_OWNER_FREE,
				     .size = (uint16_t)(m.size - want - 1) };
		m.type = 'M';
		m.size = want;
		if (wr(b, (uint16_t)(seg + 1 + want), &rest))
			return DOS_E_MCB_DESTROYED;
	}
	if (wr(b, seg, &m))
		return DOS_E_MCB_DESTROYED;
	if (want < dos_bx(r)) {
		dos_set16(&r->ebx, want);
		return DOS_E_NO_MEMORY;
	}
	return 0;
}

/* The low area's last header (the one before the SC block). */
static int low_last(struct dos_box *b, uint16_t *out)
{
	struct area a[2];
	struct mcb m;

	areas(b, a);
	for (uint16_t s = a[0].start;;) {
		if (rd(b, s, &m))
			return -1;
		if ((uint32_t)s + 1 + m.size == a[0].end) {
			*out = s;
			return 0;
		}
		s = (uint16_t)(s + 1 + m.size);
	}
}

/* 58h: allocation strategy and UMB link. */
static int strategy(struct dos_box *b, struct dos_regs *r)
{
	uint16_t bx = dos_bx(r), last;
	uint8_t fit = bx & 0xff;
	struct mcb m;

	switch (dos_al(r)) {
	case 0x00:
		dos_set16(&r->eax, b->strategy);
		return 0;
	case 0x01:
		if (bx & 0xff00 || (fit & 0x3f) > DOS_FIT_LAST || (fit & 0xc0) == 0xc0)
			return DOS_E_FUNCTION;
		b->strategy = fit;
		return 0;
	case 0x02:
		dos_set_lo8(&r->eax, b->umb_linked);
		return 0;
	case 0x03:
		if (bx > 1 || !b->sentinel)
			return DOS_E_FUNCTION;
		if (chain_fix(b, false) || low_last(b, &last) || rd(b, last, &m))
			return DOS_E_MCB_DESTROYED;
		m.type = bx ? 'M' : 'Z';
		if (wr(b, last, &m))
			return DOS_E_MCB_DESTROYED;
		b->umb_linked = bx;
		return 0;
	}
	return DOS_E_FUNCTION;
}

/* 4Ch: free everything the current PSP owns and return to its parent. */
static int terminate(struct dos_box *b, bool *exit)
{
	struct area a[2];
	unsigned n = areas(b, a);
	uint16_t parent;

	if (chain_fix(b, false))
		return DOS_E_MCB_DESTROYED;
	if (b->ops->read(b->ctx, dos_lin(b->psp, PSP_PARENT), &parent, 2))
		return DOS_E_MCB_DESTROYED;
	for (unsigned i = 0; i < n; i++)
		for (uint16_t s = a[i].start; s < a[i].end;) {
			struct mcb m;

			if (rd(b, s, &m))
				return DOS_E_MCB_DESTROYED;
			if (m.owner == b->psp) {
				m.owner = DOS_OWNER_FREE;
				if (wr(b, s, &m))
					return DOS_E_MCB_DESTROYED;
			}
			s = (uint16_t)(s + 1 + m.size);
		}
	if (!parent || parent == b->psp)
		*exit = true;
	else
		b->psp = parent;
	return chain_fix(b, true) ? DOS_E_MCB_DESTROYED : 0;
}

/**
 * dos_int21() - INT 21h: the memory and process functions
 * @b: the box
 * @r: registers in and out; CF (eflags bit 0) set with AX = the error on failure
 * @exit: set when 4Ch ended the box's first program (the process should exit with AL)
 */
void dos_int21(struct dos_box *b, struct dos_regs *r, bool *exit)
{
	int err = 0;

	switch (dos_ah(r)) {
	case 0x48:
		err = alloc(b, r);
		break;
	case 0x49:
		err = release(b, r);
		break;
	case 0x4a:
		err = resize(b, r);
		break;
	case 0x58:
		err = strategy(b, r);
		break;
	case 0x50:
		b->psp = dos_bx(r);
		break;
	case 0x51:
	case 0x62:
		dos_set16(&r->ebx, b->psp);
		break;
	case 0x4c:
		err = terminate(b, exit);
		break;
	default:
		err = DOS_E_FUNCTION;
	}
	if (err) {
		dos_set16(&r->eax, (uint16_t)err);
		r->eflags |= DOS_CF;
	} else {
		r->eflags &= ~DOS_CF;
	}
}

/**
 * dos_mcb_init() - lay out conventional memory and DOS's UMBs
 * @b: the box, with conv_top, sentinel, umb_start and umb_end set
 * @name: the first program's name (its block's MCB name)
 *
 * The program owns one PSP block at DOS_FIRST_MCB; the rest of conventional
 * memory is one free block; the UMBs one free block, not linked.
 *
 * Return: 0, or -1 if the memory cannot be written.
 */
int dos_mcb_init(struct dos_box *b, const char *name)
{
	uint16_t psp = DOS_FIRST_MCB + 1, free_seg = DOS_FIRST_MCB + 1 + DOS_PSP_PARAS;
	uint16_t low_end = b->sentinel ? b->sentinel : b->conv_top;
	struct mcb m = { .type = 'M', .owner = psp, .size = DOS_PSP_PARAS };
	uint8_t pspb[0x30] = { 0xcd, 0x20 };	/* INT 20h at PSP:0000 */

	for (unsigned i = 0; i < 8 && name && name[i]; i++)
		m.name[i] = name[i];
	if (wr(b, DOS_FIRST_MCB, &m))
		return -1;
	m = (struct mcb){ .type = 'Z', .size = (uint16_t)(low_end - free_seg - 1) };
	if (wr(b, free_seg, &m))
		return -1;
	if (b->sentinel) {
		m = (struct mcb){ .type = 'M', .owner = DOS_OWNER_SYSTEM,
				  .size = (uint16_t)(b->umb_start - b->sentinel - 1),
				  .name = "SC" };
		if (wr(b, b->sentinel, &m))
			return -1;
		m = (struct mcb){ .type = 'Z', .size = (uint16_t)(b->umb_end - b->umb_start - 1) };
		if (wr(b, b->umb_start, &m))
			return -1;
	}
	memcpy(pspb + PSP_MEM_TOP, &b->conv_top, 2);
	memcpy(pspb + PSP_PARENT, &psp, 2);
	b->psp = psp;
	b->strategy = DOS_FIT_FIRST;
	b->umb_linked = false;
	return b->ops->write(b->ctx, dos_lin(psp, 0), pspb, sizeof(pspb));
}
