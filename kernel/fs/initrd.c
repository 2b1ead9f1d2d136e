// SPDX-License-Identifier: MIT
/* Parsing a cpio "newc" archive, in place and without trusting it. */
#include "kernel/fs/initrd.h"
#include "mm/platform.h"

#define NEWC_HEADER	110
#define NEWC_MAGIC	"070701"
#define NEWC_CRC_MAGIC	"070702"
#define TRAILER		"TRAILER!!!"

/* Eight hex digits; false if any is not one. */
static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~3ull;
}

/* Canonical form: one leading '/', no "./" prefix, no trailing '/'. */
static bool normalize(char *dst, const uint8_t *name, uint32_t len)
{
	uint32_t i = 0, n = 0;

	/* "/", "./" and a lone "." (the root, as `find .` names it) */
	while (i < len && (name[i] == '/' || (name[i] == '.' && (i + 1 == len || name[i + 1] == '/'))))
		i += name[i] == '/' ? 1 : 2;
	dst[n++] = '/';
	for (; i < len; i++) {
		if (!name[i] || n + 1 >= INITRD_NAME_MAX)
			return false;
		dst[n++] = (char)name[i];
	}
	while (n > 1 && dst[n - 1] == '/')
		n--;
	dst[n] = 0;
	return true;
}

/**
 * initrd_parse() - index the files of a cpio newc archive
 * @rd: filled in; file data points into @data, which must stay
 * @data: the archive
 * @size: its length in bytes
 *
 * Stops at the trailer, at the end of @data, or at the first header that
 * is not one (logged). Entries that do not fit are skipped and counted.
 *
 * Return: 0, or -1 if not even one header was valid.
 */
int initrd_parse(struct initrd *rd, const uint8_t *data, uint64_t size)
{
	uint64_t off = 0;
	unsigned headers = 0;

	rd->count = rd->skipped = 0;
	while (off <= size && size - off >= NEWC_HEADER) {
		const uint8_t *h = data + off;
		uint32_t f[13];
		if (memcmp(h, NEWC_MAGIC, 6) && memcmp(h, NEWC_CRC_MAGIC, 6))
			break;
		bool ok = true;
		for (int i = 0; i < 13 && ok; i++)
			ok = hex8(h + 6 + 8 * i, &f[i]);
		if (!ok)
			break;
		uint32_t ino = f[0], mode = f[1], mtime = f[5], filesize = f[6], namesize = f[11];
		uint64_t name_off = off + NEWC_HEADER;
		if (namesize == 0 || namesize > size - name_off)
			break;
		uint64_t data_off = align4(name_off + namesize);
		if (data_off > size || filesize > size - data_off)
			break;
		headers++;
		const uint8_t *name = data + name_off;
		uint32_t len = namesize - 1;	/* without the NUL */
		if (len == sizeof(TRAILER) - 1 && !memcmp(name, TRAILER, len))
			break;
		struct initrd_file *file = rd->count < INITRD_MAX_FILES ? &rd->file[rd->count] : NULL;
		if (file && name[len] == 0 && normalize(file->name, name, len)) {
			file->data = data + data_off;
			file->size = filesize;
			file->mode = mode;
			file->ino = ino;
			file->mtime = mtime;
			rd->count++;
		} else {
			rd->skipped++;
		}
		off = align4(data_off + filesize);
	}
	if (rd->skipped)
		mm_warn("initrd: %u entries skipped (malformed or over %u files)", rd->skipped,
			INITRD_MAX_FILES);
	return headers ? 0 : -1;
}

/**
 * initrd_lookup() - find a file by path
 * @rd: the parsed archive
 * @path: absolute or relative to the root
 *
 * Return: the file, or NULL.
 */
const struct initrd_file *initrd_lookup(const struct initrd *rd, const char *path)
{
	char want[INITRD_NAME_MAX];
	size_t len = 0;

	while (len < INITRD_NAME_MAX && path[len])
		len++;
	if (len == INITRD_NAME_MAX || !normalize(want, (const uint8_t *)path, (uint32_t)len))
		return NULL;
	for (unsigned i = 0; i < rd->count; i++) {
		const char *a = rd->file[i].name, *b = want;
		while (*a && *a == *b)
			a++, b++;
		if (*a == *b)
			return &rd->file[i];
	}
	return NULL;
}
