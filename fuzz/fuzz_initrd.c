/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the initrd's cpio "newc" parser and its path lookup.
 *
 * Input byte 0 chooses the mode:
 *
 * even: the rest is the archive, as is (the input buffer itself, so ASan
 *   sees any read past its end).
 *
 * odd: the rest describes entries, written here as well-formed newc
 *   headers into a buffer of exactly the archive's size: records of
 *   (flags, name length, data length, name bytes, data bytes). Flag bit 0
 *   leaves the name's NUL out of namesize, bit 1 writes a lower-case
 *   header, bit 2 uses the 070702 magic; after the last record comes the
 *   trailer if byte 0 has bit 1 set. Every file parsed must then be one
 *   of the entries written, in order, with its data, size and mode.
 *
 * Either way: every file's data lies inside the archive, names are
 * NUL-terminated and absolute, the count is within bounds, and looking up
 * a file's name finds a file of that name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/sim.h"
#include "kernel/fs/initrd.h"

#define HDR		110
#define MAX_ENTRIES	(INITRD_MAX_FILES + 64)

struct written {
	size_t data_off;
	uint32_t size, mode;
	bool good;	/* a name the parser keeps */
};

static struct initrd rd;
static struct written wr[MAX_ENTRIES];
static uint8_t scratch[1 << 20];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_set_log_level(-1);
	return 0;
}

static void check(const uint8_t *data, size_t size, int err)
{
	char path[INITRD_NAME_MAX + 2];

	CHECK(err == 0 || err == -1);
	CHECK(rd.count <= INITRD_MAX_FILES);
	if (err)
		CHECK(rd.count == 0 && rd.skipped == 0);
	for (unsigned i = 0; i < rd.count; i++) {
		const struct initrd_file *f = &rd.file[i], *g;
		size_t len;

		CHECK(memchr(f->name, 0, sizeof(f->name)) != NULL);
		CHECK(f->name[0] == '/');
		len = strlen(f->name);
		CHECK(len == 1 || f->name[len - 1] != '/');
		CHECK(f->data >= data && f->data <= data + size);
		CHECK(f->size <= (uint64_t)(data + size - f->data));
		CHECK((f->data - data) % 4 == 0);

		/* The first file of that name: this one or an earlier twin. */
		g = initrd_lookup(&rd, f->name);
		CHECK(g != NULL && g <= f && strcmp(g->name, f->name) == 0);
		CHECK(initrd_lookup(&rd, f->name + 1) == g);
		if (len + 1 < INITRD_NAME_MAX) {
			path[0] = '.';
			memcpy(path + 1, f->name, len + 1);
			CHECK(initrd_lookup(&rd, path) == g);
			memcpy(path, f->name, len);
			path[len] = '/';
			path[len + 1] = 0;
			CHECK(initrd_lookup(&rd, path) == g);
		}
	}
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	int err = initrd_parse(&rd, data, size);

	check(data, size, err);
}

static size_t put_header(uint8_t *p, uint8_t flags, uint32_t mode, uint32_t filesize,
			 uint32_t namesize, uint32_t ino)
{
	char h[HDR + 1];

	snprintf(h, sizeof(h),
		 flags & 2 ? "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x"
			   : "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 flags & 4 ? "070702" : "070701", ino, mode, 0u, 0u, 1u, ino * 3, filesize,
		 0u, 0u, 0u, 0u, namesize, 0u);
	memcpy(p, h, HDR);
	return HDR;
}

static size_t pad4(uint8_t *p, size_t off)
{
	while (off % 4)
		p[off++] = 0;
	return off;
}

/* The trailer: namesize 11, the first ten bytes "TRAILER!!!". */
static bool is_trailer(const uint8_t *name, size_t namesize)
{
	return namesize == 11 && !memcmp(name, "TRAILER!!!", 10);
}

/*
 * Whether a name of @namesize bytes is kept: a NUL last and none before,
 * and short enough once its leading "/", "./" and a lone "." are dropped.
 */
static bool name_ok(const uint8_t *name, size_t namesize)
{
	size_t i = 0, len = namesize - 1;

	if (name[len] != 0 || memchr(name, 0, len))
		return false;
	while (i < len && (name[i] == '/' || (name[i] == '.' && (i + 1 == len || name[i + 1] == '/'))))
		i += name[i] == '/' ? 1 : 2;
	return i >= len || len - i <= INITRD_NAME_MAX - 2;
}

static void fuzz_structured(uint8_t mode_byte, const uint8_t *in, size_t size)
{
	size_t i = 0, off = 0;
	unsigned n = 0, expect = 0;
	bool stopped = false;
	uint8_t *arc;
	int err;

	while (i + 3 <= size && n < MAX_ENTRIES) {
		uint8_t flags = in[i];
		size_t nlen = in[i + 1] % 160, dlen = in[i + 2];
		const uint8_t *name = in + i + 3;
		const uint8_t *body;

		if (i + 3 + nlen + dlen > size)
			break;
		if (!nlen)
			flags &= (uint8_t)~1;	/* namesize 0 is no header: always the NUL */
		body = name + nlen;
		i += 3 + nlen + dlen;
		if (off + HDR + nlen + 1 + dlen + 8 > sizeof(scratch))
			break;
		size_t namesize = nlen + !(flags & 1);
		off += put_header(scratch + off, flags, 0100000u | flags, (uint32_t)dlen,
				  (uint32_t)namesize, n);
		const uint8_t *written_name = scratch + off;
		memcpy(scratch + off, name, nlen);
		off += nlen;
		if (!(flags & 1))
			scratch[off++] = 0;
		if (!stopped && is_trailer(written_name, namesize))
			stopped = true;
		if (!stopped)
			expect++;
		bool good = name_ok(written_name, namesize);
		off = pad4(scratch, off);
		wr[n++] = (struct written){ off, (uint32_t)dlen, 0100000u | flags, good };
		memcpy(scratch + off, body, dlen);
		off = pad4(scratch, off + dlen);
	}
	if (mode_byte & 2 && off + HDR + 12 <= sizeof(scratch)) {
		off += put_header(scratch + off, 0, 0, 0, 11, 0);
		memcpy(scratch + off, "TRAILER!!!", 11);
		off = pad4(scratch, off + 11);
	}

	arc = malloc(off ? off : 1);
	CHECK(arc != NULL);
	memcpy(arc, scratch, off);
	err = initrd_parse(&rd, arc, off);
	check(arc, off, err);

	/*
	 * Every header is well formed: each entry written before the first
	 * trailer is a file if its name is good and there is room, else it
	 * is counted as skipped; the files are those entries, in order.
	 */
	CHECK(rd.count + rd.skipped == expect);
	CHECK(err == ((n || (mode_byte & 2)) ? 0 : -1));
	unsigned k = 0;
	for (unsigned w = 0; w < expect; w++) {
		const struct initrd_file *f = &rd.file[k];

		if (!wr[w].good || k == INITRD_MAX_FILES)
			continue;
		CHECK(k < rd.count);
		CHECK(f->data == arc + wr[w].data_off);
		CHECK(f->size == wr[w].size && f->mode == wr[w].mode && f->ino == w);
		CHECK(memcmp(f->data, scratch + wr[w].data_off, f->size) == 0);
		k++;
	}
	CHECK(k == rd.count);
	free(arc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_structured(data[0], data + 1, size - 1);
	else
		fuzz_raw(data + 1, size - 1);
	return 0;
}
