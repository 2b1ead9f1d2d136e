/* SPDX-License-Identifier: MIT */
/*
 * The Linux swap-area format ("SWAPSPACE2", header version 1), as
 * util-linux's mkswap writes it: the first page of the area is the header,
 * every later page is a slot. Layout of the header page (little endian):
 *
 *	0     boot bits (left alone: a partition table or boot loader may live there)
 *	1024  version (1)
 *	1028  last_page: number of the last usable page
 *	1032  nr_badpages
 *	1036  uuid (16 bytes)
 *	1052  volume label (16 bytes, NUL-padded)
 *	1068  padding (117 words)
 *	1536  bad-page list: nr_badpages page numbers
 *	4086  "SWAPSPACE2"
 *
 * A header written on a big-endian machine is read too, as Linux does.
 * Pure data processing: also built into the host tests.
 */
#ifndef KERNEL_SWAP_SWAP_FORMAT_H
#define KERNEL_SWAP_SWAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWAP_HDR_PAGE		4096
#define SWAP_HDR_VERSION_OFF	1024
#define SWAP_HDR_LAST_PAGE_OFF	1028
#define SWAP_HDR_NR_BAD_OFF	1032
#define SWAP_HDR_UUID_OFF	1036
#define SWAP_HDR_LABEL_OFF	1052
#define SWAP_HDR_BADPAGES_OFF	1536
#define SWAP_HDR_MAGIC		"SWAPSPACE2"
#define SWAP_HDR_MAGIC_OLD	"SWAP-SPACE"	/* version 0, gone from Linux since 2.5 */
#define SWAP_HDR_MAGIC_LEN	10
#define SWAP_HDR_MAGIC_OFF	(SWAP_HDR_PAGE - SWAP_HDR_MAGIC_LEN)
#define SWAP_HDR_UUID_LEN	16
#define SWAP_HDR_LABEL_LEN	16
/* The list fills the header up to the magic (Linux's MAX_SWAP_BADPAGES). */
#define SWAP_HDR_MAX_BADPAGES	((SWAP_HDR_MAGIC_OFF - SWAP_HDR_BADPAGES_OFF) / 4)

struct swap_format {
	uint32_t version;
	uint32_t last_page;		/* last slot the area may use */
	uint32_t nr_badpages;
	uint32_t good_pages;		/* usable slots: 1..last_page minus bad ones */
	bool byte_swapped;		/* written by a big-endian machine */
	uint8_t uuid[SWAP_HDR_UUID_LEN];
	char label[SWAP_HDR_LABEL_LEN + 1];
	uint32_t badpages[SWAP_HDR_MAX_BADPAGES];	/* sorted is not required */
};

/**
 * swap_format_parse() - check and read a swap-area header
 * @page: the area's first SWAP_HDR_PAGE bytes
 * @device_pages: pages the device holds (0: unknown, not checked)
 * @max_pages: most pages the caller can address (the last page is cut down to fit)
 * @out: filled in on success
 * @why: set to a sentence naming what is wrong, on failure
 *
 * Return: 0, or -EINVAL (no signature, old or unknown version, area longer
 * than the device, bad-page list too long or naming page 0 or a page past
 * the end, no usable page).
 */
int swap_format_parse(const void *page, uint64_t device_pages, uint64_t max_pages,
		      struct swap_format *out, const char **why);

/* Writes @uuid as the usual 36-character text into @buf (37 bytes). */
void swap_format_uuid_str(const uint8_t uuid[SWAP_HDR_UUID_LEN], char buf[37]);

#endif
