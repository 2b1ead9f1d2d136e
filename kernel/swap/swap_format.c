// SPDX-License-Identifier: MIT
/* Parsing the Linux swap-area header (see swap_format.h for the layout). */
#include "kernel/swap/swap_format.h"
#include "mm/errno.h"

static uint32_t get32(const uint8_t *p, unsigned off, bool swapped)
{
	uint32_t v = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
		     (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;

	return swapped ? __builtin_bswap32(v) : v;
}

static bool same(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -MM_EINVAL;
}

/* Version, with the byte order it was written in. */
static int read_version(const uint8_t *p, struct swap_format *f, const char **why)
{
	const uint8_t *magic = p + SWAP_HDR_MAGIC_OFF;

	if (same(magic, SWAP_HDR_MAGIC_OLD, SWAP_HDR_MAGIC_LEN))
		return fail(why, "old (version 0) swap area: recreate it with mkswap");
	if (!same(magic, SWAP_HDR_MAGIC, SWAP_HDR_MAGIC_LEN))
		return fail(why, "no swap-area signature (SWAPSPACE2): not made by mkswap");
	f->version = get32(p, SWAP_HDR_VERSION_OFF, false);
	if (f->version != 1 && __builtin_bswap32(f->version) == 1) {
		f->byte_swapped = true;
		f->version = 1;
	}
	if (f->version != 1)
		return fail(why, "unknown swap header version (only version 1 is defined)");
	return 0;
}

static int read_badpages(const uint8_t *p, struct swap_format *f, const char **why)
{
	if (f->nr_badpages > SWAP_HDR_MAX_BADPAGES)
		return fail(why, "bad-page list longer than the header can hold");
	for (uint32_t i = 0; i < f->nr_badpages; i++) {
		uint32_t b = get32(p, SWAP_HDR_BADPAGES_OFF + 4 * i, f->byte_swapped);

		if (b == 0 || b > f->last_page)
			return fail(why, "bad-page list names the header or a page past the end");
		f->badpages[i] = b;
	}
	return 0;
}

/* Usable slots: 1..last_page minus the bad ones inside (a page listed twice counts once). */
static uint32_t count_good(const struct swap_format *f)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < f->nr_badpages; i++) {
		bool dup = false;
		for (uint32_t j = 0; j < i && !dup; j++)
			dup = f->badpages[j] == f->badpages[i];
		bad += !dup && f->badpages[i] <= f->last_page;
	}
	return f->last_page - bad;
}

int swap_format_parse(const void *page, uint64_t device_pages, uint64_t max_pages,
		      struct swap_format *out, const char **why)
{
	const uint8_t *p = page;
	struct swap_format f = { 0 };
	int r = read_version(p, &f, why);

	if (r)
		return r;
	f.last_page = get32(p, SWAP_HDR_LAST_PAGE_OFF, f.byte_swapped);
	f.nr_badpages = get32(p, SWAP_HDR_NR_BAD_OFF, f.byte_swapped);
	if (f.last_page == 0)
		return fail(why, "empty swap area (last page 0)");
	/* An area larger than we can address is cut down, as Linux does. */
	uint32_t usable_last = max_pages && f.last_page >= max_pages ?
		(uint32_t)(max_pages - 1) : f.last_page;
	if (device_pages && usable_last >= device_pages)
		return fail(why, "swap area longer than the device holding it");
	r = read_badpages(p, &f, why);
	if (r)
		return r;
	f.last_page = usable_last;
	for (unsigned i = 0; i < SWAP_HDR_UUID_LEN; i++)
		f.uuid[i] = p[SWAP_HDR_UUID_OFF + i];
	for (unsigned i = 0; i < SWAP_HDR_LABEL_LEN; i++)
		f.label[i] = (char)p[SWAP_HDR_LABEL_OFF + i];
	f.label[SWAP_HDR_LABEL_LEN] = 0;
	f.good_pages = count_good(&f);
	if (!f.good_pages)
		return fail(why, "no usable page: every page is in the bad-page list");
	*out = f;
	return 0;
}

void swap_format_uuid_str(const uint8_t uuid[SWAP_HDR_UUID_LEN], char buf[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = buf;

	for (unsigned i = 0; i < SWAP_HDR_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[uuid[i] >> 4];
		*o++ = hex[uuid[i] & 15];
	}
	*o = 0;
}
