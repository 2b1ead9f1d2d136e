// SPDX-License-Identifier: MIT
/*
 * The LIM EMS 4.0 manager of a DOS box: INT 67h functions 40h-4Eh, 50h and
 * 51h, with the specification's statuses in AH (0 success, 80h-8Fh errors,
 * A3h for a corrupted page map given to 4Eh).
 *
 * Expanded memory is a pool of 16 KiB pages. A handle's logical pages are a
 * run slot[first .. first + count) of pool page numbers; the runs are kept
 * packed, so reallocation moves page numbers, never page contents. The page
 * frame is at E000h: four 16 KiB windows. Mapping a logical page is one
 * ops->ems_map() call, which in the kernel rewrites the window's four
 * page-table entries to the pool page's frames and flushes once: data
 * written through a window lives in the logical page and appears wherever
 * that page is mapped next.
 *
 * Codes that cannot happen here: 81h (hardware), 82h (busy), 8Ch (each
 * handle has its own save area).
 */
#include "kernel/dos/dosmem.h"

#define EMS_VERSION	0x40
#define EMS_MAP_BYTES	(DOS_EMS_WINDOWS * 4 + 2)	/* 4Eh's save array */

static struct dos_ems_handle *handle(struct dos_box *b, uint16_t h)
{
	if (h > DOS_EMS_HANDLES || !b->ems[h].used)
		return NULL;
	return &b->ems[h];
}

/* Show logical page @l of handle @h (DOS_EMS_NONE: nothing) in window @w. */
static uint8_t map_window(struct dos_box *b, unsigned w, uint16_t h, uint16_t l)
{
	uint32_t page = DOS_EMS_NONE;

	if (l != DOS_EMS_NONE)
		page = b->slot[b->ems[h].first + l];
	if (b->ops->ems_map(b->ctx, w, page))
		return EMS_E_SOFTWARE;
	b->win_h[w] = l == DOS_EMS_NONE ? DOS_EMS_NONE : h;
	b->win_l[w] = l;
	b->info.ems_maps++;
	return EMS_OK;
}

/* Unmap the windows showing pages of @h at or above logical page @from. */
static void unmap_handle(struct dos_box *b, uint16_t h, uint16_t from)
{
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++)
		if (b->win_h[w] == h && b->win_l[w] >= from)
			map_window(b, w, 0, DOS_EMS_NONE);
}

/* Open a gap of @n slots at @at: the runs from there on (but @h's) move up. */
static void open_gap(struct dos_box *b, uint16_t at, uint16_t n, uint16_t h)
{
	memmove(&b->slot[at + n], &b->slot[at], (size_t)(b->slot_used - at) * 2);
	for (unsigned i = 0; i <= DOS_EMS_HANDLES; i++)
		if (b->ems[i].used && i != h && b->ems[i].first >= at)
			b->ems[i].first = (uint16_t)(b->ems[i].first + n);
	b->slot_used = (uint16_t)(b->slot_used + n);
}

/* Close the @n slots at @at: the runs after them move down. */
static void close_gap(struct dos_box *b, uint16_t at, uint16_t n)
{
	memmove(&b->slot[at], &b->slot[at + n], (size_t)(b->slot_used - at - n) * 2);
	for (unsigned i = 0; i <= DOS_EMS_HANDLES; i++)
		if (b->ems[i].used && b->ems[i].first >= at + n)
			b->ems[i].first = (uint16_t)(b->ems[i].first - n);
	b->slot_used = (uint16_t)(b->slot_used - n);
}

/* Handle @h takes @n more pages (the caller checked there are): EMS_OK or 80h. */
static uint8_t add_pages(struct dos_box *b, uint16_t h, uint16_t n)
{
	struct dos_ems_handle *e = &b->ems[h];
	uint16_t end = (uint16_t)(e->first + e->count);

	open_gap(b, end, n, h);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t page = b->free_pages[b->ems_free - 1];

		if (b->ops->ems_alloc(b->ctx, page)) {
			for (uint16_t j = 0; j < i; j++)
				b->ops->ems_free(b->ctx, b->slot[end + j]);
			b->ems_free = (uint16_t)(b->ems_free + i);	/* still on the stack */
			close_gap(b, end, n);
			return EMS_E_SOFTWARE;
		}
		b->ems_free--;
		b->slot[end + i] = page;
	}
	e->count = (uint16_t)(e->count + n);
	return EMS_OK;
}

/* Handle @h gives back its pages from logical page @keep on. */
static void drop_pages(struct dos_box *b, uint16_t h, uint16_t keep)
{
	struct dos_ems_handle *e = &b->ems[h];
	uint16_t n = (uint16_t)(e->count - keep), at = (uint16_t)(e->first + keep);

	if (!n)
		return;
	unmap_handle(b, h, keep);
	for (uint16_t i = 0; i < n; i++) {
		b->ops->ems_free(b->ctx, b->slot[at + i]);
		b->free_pages[b->ems_free++] = b->slot[at + i];
	}
	e->count = keep;
	close_gap(b, at, n);
}

static uint8_t allocate(struct dos_box *b, struct dos_regs *r)
{
	uint16_t n = dos_bx(r), h;
	uint8_t st;

	if (!n)
		return EMS_E_ZERO_PAGES;
	if (n > b->ems_total)
		return EMS_E_TOTAL_PAGES;
	if (n > b->ems_free)
		return EMS_E_FREE_PAGES;
	for (h = 1; h <= DOS_EMS_HANDLES && b->ems[h].used; h++)
		;
	if (h > DOS_EMS_HANDLES)
		return EMS_E_NO_HANDLES;
	b->ems[h] = (struct dos_ems_handle){ .first = b->slot_used, .used = 1 };
	if ((st = add_pages(b, h, n))) {
		b->ems[h].used = 0;
		return st;
	}
	dos_set16(&r->edx, h);
	return EMS_OK;
}

static uint8_t map_one(struct dos_box *b, struct dos_regs *r)
{
	uint16_t h = dos_dx(r), l = dos_bx(r);
	struct dos_ems_handle *e = handle(b, h);

	if (!e)
		return EMS_E_HANDLE;
	if (dos_al(r) >= DOS_EMS_WINDOWS)
		return EMS_E_PHYSICAL;
	if (l != DOS_EMS_NONE && l >= e->count)
		return EMS_E_LOGICAL;
	return map_window(b, dos_al(r), h, l);
}

static uint8_t deallocate(struct dos_box *b, struct dos_regs *r)
{
	uint16_t h = dos_dx(r);
	struct dos_ems_handle *e = handle(b, h);

	if (!e)
		return EMS_E_HANDLE;
	if (e->saved)
		return EMS_E_SAVE_RESTORE;
	drop_pages(b, h, 0);
	if (h)
		*e = (struct dos_ems_handle){ 0 };
	return EMS_OK;
}

static uint8_t save_map(struct dos_box *b, struct dos_regs *r)
{
	struct dos_ems_handle *e = handle(b, dos_dx(r));

	if (!e)
		return EMS_E_HANDLE;
	if (e->saved)
		return EMS_E_SAVED;
	memcpy(e->save_h, b->win_h, sizeof(e->save_h));
	memcpy(e->save_l, b->win_l, sizeof(e->save_l));
	e->saved = 1;
	return EMS_OK;
}

/* Is (h, l) a page a window can show now? */
static bool valid_page(struct dos_box *b, uint16_t h, uint16_t l)
{
	if (l == DOS_EMS_NONE)
		return true;
	return handle(b, h) && l < b->ems[h].count;
}

static uint8_t apply_map(struct dos_box *b, const uint16_t *hs, const uint16_t *ls)
{
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++) {
		bool ok = valid_page(b, hs[w], ls[w]);
		uint8_t st = map_window(b, w, ok ? hs[w] : 0, ok ? ls[w] : DOS_EMS_NONE);

		if (st)
			return st;
	}
	return EMS_OK;
}

static uint8_t restore_map(struct dos_box *b, struct dos_regs *r)
{
	struct dos_ems_handle *e = handle(b, dos_dx(r));
	uint8_t st;

	if (!e)
		return EMS_E_HANDLE;
	if (!e->saved)
		return EMS_E_NOT_SAVED;
	st = apply_map(b, e->save_h, e->save_l);
	e->saved = 0;
	return st;
}

static uint16_t open_handles(const struct dos_box *b)
{
	uint16_t n = 0;

	for (unsigned h = 0; h <= DOS_EMS_HANDLES; h++)
		n = (uint16_t)(n + b->ems[h].used);
	return n;
}

/* 4Dh: {handle, pages} of every open handle at ES:DI. */
static uint8_t all_handle_pages(struct dos_box *b, struct dos_regs *r)
{
	uint32_t at = dos_lin(r->es, (uint16_t)r->edi);

	for (unsigned h = 0; h <= DOS_EMS_HANDLES; h++) {
		uint16_t pair[2] = { (uint16_t)h, b->ems[h].count };

		if (!b->ems[h].used)
			continue;
		if (b->ops->write(b->ctx, at, pair, sizeof(pair)))
			return EMS_E_SOFTWARE;
		at += sizeof(pair);
	}
	dos_set16(&r->ebx, open_handles(b));
	return EMS_OK;
}

static uint16_t map_sum(const uint16_t *a)
{
	uint16_t s = 0xe3e3;

	for (unsigned i = 0; i < DOS_EMS_WINDOWS * 2; i++)
		s = (uint16_t)(s + a[i] * (i + 1));
	return s;
}

/* 4Eh: get/set the page map through an array of EMS_MAP_BYTES. */
static uint8_t page_map(struct dos_box *b, struct dos_regs *r)
{
	uint8_t sub = dos_al(r);
	uint16_t a[DOS_EMS_WINDOWS * 2 + 1];

	if (sub == 0x03) {
		dos_set_lo8(&r->eax, EMS_MAP_BYTES);
		return EMS_OK;
	}
	if (sub > 0x03)
		return EMS_E_SUBFUNCTION;
	if (sub == 0x00 || sub == 0x02) {
		for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++) {
			a[2 * w] = b->win_h[w];
			a[2 * w + 1] = b->win_l[w];
		}
		a[DOS_EMS_WINDOWS * 2] = map_sum(a);
		if (b->ops->write(b->ctx, dos_lin(r->es, (uint16_t)r->edi), a, EMS_MAP_BYTES))
			return EMS_E_SOFTWARE;
	}
	if (sub == 0x01 || sub == 0x02) {
		uint16_t hs[DOS_EMS_WINDOWS], ls[DOS_EMS_WINDOWS];

		if (b->ops->read(b->ctx, dos_lin(r->ds, (uint16_t)r->esi), a, EMS_MAP_BYTES))
			return EMS_E_SOFTWARE;
		if (a[DOS_EMS_WINDOWS * 2] != map_sum(a))
			return EMS_E_CORRUPT_MAP;
		for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++) {
			hs[w] = a[2 * w];
			ls[w] = a[2 * w + 1];
			if ((ls[w] == DOS_EMS_NONE) != (hs[w] == DOS_EMS_NONE) ||
			    !valid_page(b, hs[w], ls[w]))
				return EMS_E_CORRUPT_MAP;
		}
		return apply_map(b, hs, ls);
	}
	return EMS_OK;
}

/* 50h: map or unmap CX pages of handle DX from the array at DS:SI. */
static uint8_t map_multiple(struct dos_box *b, struct dos_regs *r)
{
	uint16_t h = dos_dx(r), n = dos_cx(r);
	uint8_t sub = dos_al(r);
	struct dos_ems_handle *e;
	uint32_t at = dos_lin(r->ds, (uint16_t)r->esi);
	uint16_t pair[2];

	if (sub > 0x01)
		return EMS_E_SUBFUNCTION;
	if (!(e = handle(b, h)))
		return EMS_E_HANDLE;
	if (n > DOS_EMS_WINDOWS * 16)
		return EMS_E_PHYSICAL;
	for (int pass = 0; pass < 2; pass++)	/* check everything, then map */
		for (uint16_t i = 0; i < n; i++) {
			unsigned w;

			if (b->ops->read(b->ctx, at + i * 4u, pair, sizeof(pair)))
				return EMS_E_SOFTWARE;
			w = sub ? (unsigned)(pair[1] - DOS_EMS_FRAME) / (DOS_EMS_PAGE >> 4) : pair[1];
			if (w >= DOS_EMS_WINDOWS ||
			    (sub && pair[1] != DOS_EMS_FRAME + w * (DOS_EMS_PAGE >> 4)))
				return EMS_E_PHYSICAL;
			if (pair[0] != DOS_EMS_NONE && pair[0] >= e->count)
				return EMS_E_LOGICAL;
			if (pass) {
				uint8_t st = map_window(b, w, h, pair[0]);

				if (st)
					return st;
			}
		}
	return EMS_OK;
}

/* 51h: the handle's page count becomes BX. */
static uint8_t reallocate(struct dos_box *b, struct dos_regs *r)
{
	uint16_t h = dos_dx(r), n = dos_bx(r);
	struct dos_ems_handle *e = handle(b, h);

	if (!e)
		return EMS_E_HANDLE;
	if (n > b->ems_total)
		return EMS_E_TOTAL_PAGES;
	if (n > e->count && n - e->count > b->ems_free)
		return EMS_E_FREE_PAGES;
	if (n > e->count) {
		uint8_t st = add_pages(b, h, (uint16_t)(n - e->count));

		if (st)
			return st;
	} else {
		drop_pages(b, h, n);
	}
	dos_set16(&r->ebx, e->count);
	return EMS_OK;
}

/**
 * dos_int67() - INT 67h: the EMS functions
 * @b: the box
 * @r: AH = the function in, the status out; other registers as LIM 4.0 defines
 */
void dos_int67(struct dos_box *b, struct dos_regs *r)
{
	uint8_t st = EMS_OK;
	struct dos_ems_handle *e;

	switch (dos_ah(r)) {
	case 0x40:
		break;
	case 0x41:
		dos_set16(&r->ebx, DOS_EMS_FRAME);
		break;
	case 0x42:
		dos_set16(&r->ebx, b->ems_free);
		dos_set16(&r->edx, b->ems_total);
		break;
	case 0x43:
		st = allocate(b, r);
		break;
	case 0x44:
		st = map_one(b, r);
		break;
	case 0x45:
		st = deallocate(b, r);
		break;
	case 0x46:
		dos_set_lo8(&r->eax, EMS_VERSION);
		break;
	case 0x47:
		st = save_map(b, r);
		break;
	case 0x48:
		st = restore_map(b, r);
		break;
	case 0x4b:
		dos_set16(&r->ebx, open_handles(b));
		break;
	case 0x4c:
		if ((e = handle(b, dos_dx(r))))
			dos_set16(&r->ebx, e->count);
		else
			st = EMS_E_HANDLE;
		break;
	case 0x4d:
		st = all_handle_pages(b, r);
		break;
	case 0x4e:
		st = page_map(b, r);
		break;
	case 0x50:
		st = map_multiple(b, r);
		break;
	case 0x51:
		st = reallocate(b, r);
		break;
	default:			/* 49h, 4Ah (LIM 3.x, reserved in 4.0) and the rest */
		st = EMS_E_FUNCTION;
	}
	dos_set_hi8(&r->eax, st);
}

/**
 * dos_ems_init() - an empty pool of ems_total pages, handle 0 open, windows empty
 * @b: the box, ems_total set
 *
 * Return: 0, or -1 if a window cannot be emptied.
 */
int dos_ems_init(struct dos_box *b)
{
	for (uint16_t i = 0; i < b->ems_total; i++)
		b->free_pages[i] = (uint16_t)(b->ems_total - 1 - i);	/* page 0 on top */
	b->ems_free = b->ems_total;
	b->slot_used = 0;
	b->ems[0] = (struct dos_ems_handle){ .used = 1 };
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++) {
		b->win_h[w] = b->win_l[w] = DOS_EMS_NONE;
	}
	return 0;
}

/**
 * dos_box_fini() - give back every EMS page still held by a handle
 * @b: the box
 */
void dos_box_fini(struct dos_box *b)
{
	for (unsigned i = 0; i < b->slot_used; i++)
		b->ops->ems_free(b->ctx, b->slot[i]);
	b->slot_used = 0;
}
