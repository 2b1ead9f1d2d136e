/* SPDX-License-Identifier: MIT */
/*
 * The Linux swap-area header parser: headers built byte by byte as the
 * format describes, one made by util-linux's mkswap when it is installed,
 * and every corruption refused with a reason.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/swap/swap_format.h"
#include "mm/errno.h"

static uint8_t hdr[SWAP_HDR_PAGE];

static void put32(unsigned off, uint32_t v, bool swapped)
{
	if (swapped)
		v = __builtin_bswap32(v);
	memcpy(hdr + off, &v, 4);
}

static const uint8_t test_uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				       0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

/* A good header: @last_page, @nbad bad pages from @bad. */
static void build(uint32_t last_page, uint32_t nbad, const uint32_t *bad, bool swapped)
{
	memset(hdr, 0, sizeof(hdr));
	memset(hdr, 0xeb, 1024);	/* boot bits are not ours to read */
	put32(SWAP_HDR_VERSION_OFF, 1, swapped);
	put32(SWAP_HDR_LAST_PAGE_OFF, last_page, swapped);
	put32(SWAP_HDR_NR_BAD_OFF, nbad, swapped);
	memcpy(hdr + SWAP_HDR_UUID_OFF, test_uuid, 16);
	memcpy(hdr + SWAP_HDR_LABEL_OFF, "swaplabel", 9);
	for (uint32_t i = 0; i < nbad; i++)
		put32(SWAP_HDR_BADPAGES_OFF + 4 * i, bad[i], swapped);
	memcpy(hdr + SWAP_HDR_MAGIC_OFF, "SWAPSPACE2", 10);
}

static int parse(uint64_t dev_pages, uint64_t max_pages, struct swap_format *f, const char **why)
{
	*why = NULL;
	int r = swap_format_parse(hdr, dev_pages, max_pages, f, why);
	if (r)
		assert_non_null(*why);
	return r;
}

static void parses_good_header(void **state)
{
	struct swap_format f;
	const char *why;
	char uuid[37];

	build(255, 0, NULL, false);
	assert_int_equal(parse(256, 0, &f, &why), 0);
	assert_int_equal(f.version, 1);
	assert_int_equal(f.last_page, 255);
	assert_int_equal(f.good_pages, 255);
	assert_false(f.byte_swapped);
	assert_string_equal(f.label, "swaplabel");
	swap_format_uuid_str(f.uuid, uuid);
	assert_string_equal(uuid, "12345678-9abc-def0-0123-456789abcdef");
	/* Unknown device size: not checked. */
	assert_int_equal(parse(0, 0, &f, &why), 0);
}

static void reads_bad_pages(void **state)
{
	static const uint32_t bad[] = { 3, 100, 255, 3 };	/* 3 twice counts once */
	struct swap_format f;
	const char *why;

	build(255, 4, bad, false);
	assert_int_equal(parse(256, 0, &f, &why), 0);
	assert_int_equal(f.nr_badpages, 4);
	assert_int_equal(f.badpages[1], 100);
	assert_int_equal(f.good_pages, 252);
}

static void reads_big_endian_header(void **state)
{
	static const uint32_t bad[] = { 7 };
	struct swap_format f;
	const char *why;

	build(1000, 1, bad, true);
	assert_int_equal(parse(0, 0, &f, &why), 0);
	assert_true(f.byte_swapped);
	assert_int_equal(f.last_page, 1000);
	assert_int_equal(f.badpages[0], 7);
	assert_int_equal(f.good_pages, 999);
}

static void truncates_to_what_fits(void **state)
{
	static const uint32_t bad[] = { 10, 5000 };	/* the second is cut off */
	struct swap_format f;
	const char *why;

	build(9999, 2, bad, false);
	assert_int_equal(parse(10000, 1024, &f, &why), 0);
	assert_int_equal(f.last_page, 1023);
	assert_int_equal(f.good_pages, 1022);
}

static void refuses_corrupt_headers(void **state)
{
	struct swap_format f;
	const char *why;
	uint32_t bad[SWAP_HDR_MAX_BADPAGES + 1];

	build(255, 0, NULL, false);
	hdr[SWAP_HDR_MAGIC_OFF + 9] = '1';		/* SWAPSPACE1 */
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "signature"));

	build(255, 0, NULL, false);
	memcpy(hdr + SWAP_HDR_MAGIC_OFF, "SWAP-SPACE", 10);
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "version 0"));

	build(255, 0, NULL, false);
	put32(SWAP_HDR_VERSION_OFF, 2, false);
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "version"));

	build(0, 0, NULL, false);
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "empty"));

	build(256, 0, NULL, false);			/* needs 257 pages */
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "longer than the device"));

	for (unsigned i = 0; i <= SWAP_HDR_MAX_BADPAGES; i++)
		bad[i] = i + 1;
	build(100000, SWAP_HDR_MAX_BADPAGES, bad, false);	/* the most that fits: fine */
	assert_int_equal(parse(0, 0, &f, &why), 0);
	put32(SWAP_HDR_NR_BAD_OFF, SWAP_HDR_MAX_BADPAGES + 1, false);
	assert_int_equal(parse(0, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "longer than the header"));

	bad[0] = 0;
	build(255, 1, bad, false);
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	bad[0] = 256;
	build(255, 1, bad, false);
	assert_int_equal(parse(256, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "past the end"));

	bad[0] = 1;
	build(1, 1, bad, false);
	assert_int_equal(parse(2, 0, &f, &why), -MM_EINVAL);
	assert_non_null(strstr(why, "no usable page"));
}

/* Any single corrupted byte: a clean answer, never a read out of bounds. */
static void survives_every_byte_flip(void **state)
{
	static const uint32_t bad[] = { 2, 9 };
	struct swap_format f;
	const char *why;

	for (unsigned off = 1024; off < SWAP_HDR_PAGE; off += 1) {
		build(4095, 2, bad, false);
		hdr[off] ^= 0xff;
		int r = parse(4096, 0, &f, &why);
		assert_true(r == 0 || r == -MM_EINVAL);
		if (r == 0)
			assert_true(f.good_pages >= 1 && f.good_pages <= f.last_page);
	}
}

/* A header written by util-linux's mkswap, when it is installed. */
static void reads_mkswap_output(void **state)
{
	static const char *const paths[] = { "/usr/sbin/mkswap", "/sbin/mkswap" };
	const char *mkswap = NULL;

	for (unsigned i = 0; i < 2 && !mkswap; i++)
		if (access(paths[i], X_OK) == 0)
			mkswap = paths[i];
	if (!mkswap) {
		skip();
		return;
	}
	char img[] = "/tmp/swapfmtXXXXXX";
	int fd = mkstemp(img);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s -L memcore -U 12345678-9abc-def0-0123-456789abcdef "
		 "%s >/dev/null 2>&1", mkswap, img);
	int st = system(cmd);
	FILE *fp = fopen(img, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	fclose(fp);
	unlink(img);
	assert_int_equal(st, 0);

	struct swap_format f;
	const char *why;
	char uuid[37];
	assert_int_equal(parse(256, 0, &f, &why), 0);
	assert_int_equal(f.last_page, 255);
	assert_int_equal(f.nr_badpages, 0);
	assert_int_equal(f.good_pages, 255);
	assert_string_equal(f.label, "memcore");
	swap_format_uuid_str(f.uuid, uuid);
	assert_string_equal(uuid, "12345678-9abc-def0-0123-456789abcdef");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_good_header),
		cmocka_unit_test(reads_bad_pages),
		cmocka_unit_test(reads_big_endian_header),
		cmocka_unit_test(truncates_to_what_fits),
		cmocka_unit_test(refuses_corrupt_headers),
		cmocka_unit_test(survives_every_byte_flip),
		cmocka_unit_test(reads_mkswap_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
