/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the initrd's cpio "newc" parser and path lookup. Archives
 * are built here, byte by byte, then copied into a buffer of exactly their
 * size so that ASan sees any read past the end; one more comes from the
 * real cpio tool when it is installed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/sim.h"
#include "kernel/fs/initrd.h"
#include "mm/platform.h"

#define HDR		110
#define F_INO		0
#define F_MODE		1
#define F_MTIME		5
#define F_FILESIZE	6
#define F_NAMESIZE	11

#define REG		0100644u
#define EXE		0100755u
#define DIR		0040755u

/* The archive being built, and the exact-size copy handed to the parser. */
static uint8_t *arc;
static size_t arc_len, arc_cap;
static uint8_t *img;
static struct initrd rd;

static int setup(void **state)
{
	(void)state;
	arc_len = 0;
	memset(&rd, 0x5a, sizeof(rd));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(arc);
	free(img);
	arc = img = NULL;
	arc_len = arc_cap = 0;
	return 0;
}

static void put(const void *p, size_t n)
{
	if (!n)
		return;
	if (arc_len + n > arc_cap) {
		arc_cap = (arc_len + n) * 2 + 4096;
		arc = realloc(arc, arc_cap);
		assert_non_null(arc);
	}
	memcpy(arc + arc_len, p, n);
	arc_len += n;
}

static void pad4(void)
{
	static const uint8_t zero[4];

	put(zero, (4 - arc_len % 4) % 4);
}

/*
 * One entry: header, @namesize bytes of @name (its NUL included when
 * @namesize is strlen + 1), padding, @len bytes of @data, padding.
 * Returns the offset of the header, for tests that damage it afterwards.
 */
static size_t entry_raw(const char *name, uint32_t namesize, uint32_t mode,
			const void *data, uint32_t len)
{
	static uint32_t next_ino = 100;
	uint32_t ino = next_ino++;
	char h[HDR + 1];
	size_t at = arc_len;

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0u, 0u, 1u, 0x5f000000u + ino, len, 0u, 0u, 0u, 0u,
		 namesize, 0u);
	put(h, HDR);
	put(name, namesize);
	pad4();
	put(data, len);
	pad4();
	return at;
}

static size_t entry(const char *name, uint32_t mode, const void *data, uint32_t len)
{
	return entry_raw(name, (uint32_t)strlen(name) + 1, mode, data, len);
}

static size_t file(const char *name, const char *text)
{
	return entry(name, REG, text, (uint32_t)strlen(text));
}

static size_t trailer(void)
{
	return entry("TRAILER!!!", 0, NULL, 0);
}

/* Overwrite field @idx of the header at @at with @v in hex. */
static void set_field(size_t at, unsigned idx, uint32_t v)
{
	char s[9];

	snprintf(s, sizeof(s), "%08X", v);
	memcpy(arc + at + 6 + 8 * idx, s, 8);
}

/* Parse the first @len bytes of the archive from an exact-size copy. */
static int parse_len(size_t len)
{
	int err;

	assert_true(len <= arc_len);
	free(img);
	img = malloc(len ? len : 1);
	assert_non_null(img);
	if (len)
		memcpy(img, arc, len);
	err = initrd_parse(&rd, img, len);
	assert_true(rd.count <= INITRD_MAX_FILES);
	for (unsigned i = 0; i < rd.count; i++) {
		const struct initrd_file *f = &rd.file[i];
		assert_non_null(memchr(f->name, 0, sizeof(f->name)));
		assert_int_equal(f->name[0], '/');
		assert_true(f->data >= img && f->data <= img + len);
		assert_true(f->size <= (uint64_t)(img + len - f->data));
	}
	return err;
}

static int parse(void)
{
	return parse_len(arc_len);
}

#define assert_logged(substr) \
	assert_non_null(strstr(sim_last_log(), (substr)))

static const struct initrd_file *must_find(const char *path)
{
	const struct initrd_file *f = initrd_lookup(&rd, path);

	if (!f)
		fail_msg("\"%s\" not found", path);
	return f;
}

static void assert_file(const char *path, const char *text, uint32_t mode)
{
	const struct initrd_file *f = must_find(path);

	assert_int_equal(f->size, strlen(text));
	assert_memory_equal(f->data, text, strlen(text));
	assert_int_equal(f->mode, mode);
}

/* --- well-formed archives ------------------------------------------------ */

static void test_several_files(void **state)
{
	static const char big[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned long w0 = sim_count.log[LOG_WARN];
	size_t h;

	(void)state;
	h = file("hello.txt", "hello, world\n");
	entry("bin/prog", EXE, "\x7f" "ELF", 4);
	file("e", "");			/* name and data lengths that need each padding */
	file("ab", "1");
	file("abc", "12");
	file("abcd", "123");
	file("etc/long", big);
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 7);
	assert_int_equal(rd.skipped, 0);
	assert_file("/hello.txt", "hello, world\n", REG);
	assert_file("/bin/prog", "\x7f" "ELF", EXE);
	assert_file("/e", "", REG);
	assert_file("/ab", "1", REG);
	assert_file("/abc", "12", REG);
	assert_file("/abcd", "123", REG);
	assert_file("/etc/long", big, REG);

	/* In archive order, with the header's other fields. */
	assert_string_equal(rd.file[0].name, "/hello.txt");
	assert_string_equal(rd.file[6].name, "/etc/long");
	{
		char s[9] = { 0 };
		memcpy(s, arc + h + 6 + 8 * F_MTIME, 8);
		assert_int_equal(rd.file[0].mtime, strtoul(s, NULL, 16));
		memcpy(s, arc + h + 6 + 8 * F_INO, 8);
		assert_int_equal(rd.file[0].ino, strtoul(s, NULL, 16));
	}
	/* File data are where newc puts them: 4-byte aligned in the archive. */
	for (unsigned i = 0; i < rd.count; i++)
		assert_int_equal((rd.file[i].data - img) % 4, 0);
	/* Nothing was skipped, so nothing was logged. */
	assert_int_equal(sim_count.log[LOG_WARN], w0);
}

static void test_lookup_forms(void **state)
{
	const struct initrd_file *x;

	(void)state;
	file("x", "ex");
	file("./y", "why");		/* what `find . | cpio` writes */
	file("/z", "zed");
	file("d/", "");			/* a trailing slash in the archive */
	file("sub/dir/deep", "deep");
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 5);

	x = must_find("/x");
	assert_ptr_equal(initrd_lookup(&rd, "x"), x);
	assert_ptr_equal(initrd_lookup(&rd, "./x"), x);
	assert_ptr_equal(initrd_lookup(&rd, "x/"), x);
	assert_ptr_equal(initrd_lookup(&rd, "/x/"), x);
	assert_ptr_equal(initrd_lookup(&rd, "//x"), x);
	assert_ptr_equal(initrd_lookup(&rd, "././x"), x);
	assert_file("/y", "why", REG);
	assert_file("y", "why", REG);
	assert_file("./y", "why", REG);
	assert_file("z", "zed", REG);
	assert_string_equal(rd.file[1].name, "/y");
	assert_string_equal(rd.file[2].name, "/z");
	assert_string_equal(rd.file[3].name, "/d");
	must_find("/d");
	must_find("d/");
	must_find("sub/dir/deep");
	must_find("./sub/dir/deep");

	assert_null(initrd_lookup(&rd, "/missing"));
	assert_null(initrd_lookup(&rd, "xx"));
	assert_null(initrd_lookup(&rd, "/"));		/* no root entry in this archive */
	assert_null(initrd_lookup(&rd, ""));
	assert_null(initrd_lookup(&rd, "sub/dir"));	/* only implied, not an entry */
	assert_null(initrd_lookup(&rd, "deep"));
	assert_null(initrd_lookup(&rd, "/sub/dir/dee"));
	assert_null(initrd_lookup(&rd, "/sub/dir/deeper"));
	assert_null(initrd_lookup(&rd, "../x"));
	assert_null(initrd_lookup(&rd, ".x"));
}

static void test_directories(void **state)
{
	const struct initrd_file *f;

	(void)state;
	entry(".", DIR, NULL, 0);
	entry("bin", DIR, NULL, 0);
	entry("bin/sh", EXE, "#!", 2);
	entry("./etc", DIR, NULL, 0);
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 4);

	/* "." is the root itself. */
	f = must_find("/");
	assert_string_equal(f->name, "/");
	assert_int_equal(f->mode, DIR);
	assert_ptr_equal(initrd_lookup(&rd, "."), f);
	assert_ptr_equal(initrd_lookup(&rd, "./"), f);
	assert_ptr_equal(initrd_lookup(&rd, ""), f);

	f = must_find("/bin");
	assert_true(S_ISDIR(f->mode));
	assert_int_equal(f->size, 0);
	assert_ptr_equal(initrd_lookup(&rd, "bin/"), f);
	assert_true(S_ISREG(must_find("/bin/sh")->mode));
	assert_true(S_ISDIR(must_find("etc")->mode));
}

static void test_trailer_stops(void **state)
{
	(void)state;
	file("before", "1");
	trailer();
	file("after", "2");
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
	assert_int_equal(rd.skipped, 0);
	must_find("before");
	assert_null(initrd_lookup(&rd, "after"));

	/* Only a trailer: a valid, empty archive. */
	arc_len = 0;
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 0);

	/* What follows the trailer is never read, even garbage or zero blocks. */
	arc_len = 0;
	file("a", "x");
	trailer();
	put("garbage\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);

	/* A name that only starts like the trailer is a file. */
	arc_len = 0;
	file("TRAILER!!!x", "t");
	file("TRAILER!!", "u");
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 2);
}

/* No trailer at all: the end of the data ends the archive. */
static void test_no_trailer(void **state)
{
	(void)state;
	file("a", "1");
	file("b", "22");
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 2);
	assert_file("b", "22", REG);
}

static void test_crc_format(void **state)
{
	size_t h;

	(void)state;
	h = file("c", "crc");
	memcpy(arc + h, "070702", 6);
	trailer();
	assert_int_equal(parse(), 0);
	assert_file("/c", "crc", REG);
}

static void test_lowercase_hex(void **state)
{
	size_t h;

	(void)state;
	h = entry("m", 0x100abcu, "", 0);
	memcpy(arc + h + 6 + 8 * F_MODE, "00100abc", 8);
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(must_find("m")->mode, 0x100abcu);
}

/* --- malformed archives -------------------------------------------------- */

static void test_empty_and_garbage(void **state)
{
	static const uint8_t junk[200] = "this is not a cpio archive";

	(void)state;
	assert_int_equal(parse_len(0), -1);
	assert_int_equal(rd.count, 0);
	assert_int_equal(rd.skipped, 0);
	put(junk, sizeof(junk));
	assert_int_equal(parse(), -1);
	assert_int_equal(rd.count, 0);
}

static void test_truncated_header(void **state)
{
	size_t second;

	(void)state;
	file("one", "1");
	second = file("two", "2");
	trailer();
	for (size_t cut = second; cut < second + HDR; cut++) {
		assert_int_equal(parse_len(cut), 0);
		assert_int_equal(rd.count, 1);
		must_find("one");
	}
	/* The first header itself cut short: nothing. */
	for (size_t cut = 0; cut < HDR; cut += 7)
		assert_int_equal(parse_len(cut), -1);
	assert_int_equal(parse_len(HDR - 1), -1);
}

static void test_truncated_name(void **state)
{
	size_t second;

	(void)state;
	file("one", "1");
	second = file("a-longer-name", "2");
	trailer();
	/* Cut anywhere in the name (NUL included) or its padding. */
	for (size_t cut = second + HDR; cut < second + HDR + 14; cut++) {
		assert_int_equal(parse_len(cut), 0);
		assert_int_equal(rd.count, 1);
	}
	/* A name size beyond the archive, the data intact. */
	set_field(second, F_NAMESIZE, 0x10000);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
	set_field(second, F_NAMESIZE, 0xffffffff);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
}

static void test_truncated_data(void **state)
{
	size_t second, data;

	(void)state;
	file("one", "1");
	second = file("two", "0123456789");
	trailer();
	data = (second + HDR + 4 + 3) & ~(size_t)3;	/* after "two\0" and padding */
	assert_memory_equal(arc + data, "0123456789", 10);
	for (size_t cut = data - 2; cut < data + 10; cut++) {
		assert_int_equal(parse_len(cut), 0);
		assert_int_equal(rd.count, 1);
		assert_null(initrd_lookup(&rd, "two"));
	}
	/* Exactly the data, without the padding or a trailer: complete. */
	assert_int_equal(parse_len(data + 10), 0);
	assert_int_equal(rd.count, 2);
	assert_file("two", "0123456789", REG);
}

static void test_bad_magic(void **state)
{
	static const char *const magics[] = { "070707", "070700", "170701", "07070 ", "\0\0\0\0\0\0" };
	size_t second;

	(void)state;
	file("one", "1");
	second = file("two", "2");
	trailer();
	for (unsigned i = 0; i < ARRAY_SIZE(magics); i++) {
		memcpy(arc + second, magics[i], 6);
		assert_int_equal(parse(), 0);
		assert_int_equal(rd.count, 1);
		memcpy(arc, magics[i], 6);
		assert_int_equal(parse(), -1);
		assert_int_equal(rd.count, 0);
		memcpy(arc, "070701", 6);
	}
}

static void test_non_hex_digits(void **state)
{
	static const char bad[] = { 'g', 'G', ' ', '-', 'x', '\0', ':', '@', '`', '/' };
	size_t second;

	(void)state;
	file("one", "1");
	second = file("two", "2");
	trailer();
	for (unsigned field = 0; field < 13; field++) {
		for (unsigned i = 0; i < sizeof(bad); i++) {
			uint8_t *p = arc + second + 6 + 8 * field + (i % 8);
			uint8_t keep = *p;
			*p = (uint8_t)bad[i];
			assert_int_equal(parse(), 0);
			assert_int_equal(rd.count, 1);
			*p = keep;
		}
	}
	/* "0x" prefixes are not newc. */
	memcpy(arc + second + 6 + 8 * F_FILESIZE, "0x000001", 8);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
}

static void test_namesize_zero(void **state)
{
	size_t h;

	(void)state;
	file("one", "1");
	h = file("two", "2");
	file("three", "3");
	trailer();
	set_field(h, F_NAMESIZE, 0);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
	set_field(0, F_NAMESIZE, 0);
	assert_int_equal(parse(), -1);
}

/* A name without its NUL is skipped; the entry's sizes still lead on. */
static void test_name_without_nul(void **state)
{
	unsigned long w0 = sim_count.log[LOG_WARN];

	(void)state;
	file("one", "1");
	entry_raw("twoX", 4, REG, "2", 1);		/* namesize covers no NUL */
	entry_raw("th\0ree", 7, REG, "3", 1);		/* a NUL inside the name */
	file("four", "4");
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 2);
	assert_int_equal(rd.skipped, 2);
	must_find("one");
	must_find("four");
	assert_null(initrd_lookup(&rd, "twoX"));
	assert_null(initrd_lookup(&rd, "two"));
	assert_null(initrd_lookup(&rd, "th"));
	assert_int_equal(sim_count.log[LOG_WARN], w0 + 1);
	assert_logged("2 entries skipped");
}

static void test_huge_filesize(void **state)
{
	static const uint32_t sizes[] = { 0xffffffff, 0x80000000, 0x7ffffffd, 0x10000 };
	size_t second;

	(void)state;
	file("one", "1");
	second = file("two", "2");
	file("three", "3");
	trailer();
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		set_field(second, F_FILESIZE, sizes[i]);
		assert_int_equal(parse(), 0);
		assert_int_equal(rd.count, 1);
	}
	/* Reaching exactly to the end of the archive is fine. */
	set_field(second, F_FILESIZE, (uint32_t)(arc_len - (second + HDR + 4 + 2)));
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 2);
	assert_int_equal(must_find("two")->data + must_find("two")->size, img + arc_len);
	set_field(second, F_FILESIZE, (uint32_t)(arc_len - (second + HDR + 4 + 2)) + 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
}

static void test_too_many_files(void **state)
{
	const unsigned n = INITRD_MAX_FILES + 44;
	char name[32];

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		file(name, name);
	}
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, INITRD_MAX_FILES);
	assert_int_equal(rd.skipped, 44);
	assert_logged("44 entries skipped");
	for (unsigned i = 0; i < INITRD_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		assert_file(name, name, REG);
	}
	snprintf(name, sizeof(name), "f%u", INITRD_MAX_FILES);
	assert_null(initrd_lookup(&rd, name));
}

static void test_name_limits(void **state)
{
	char name[INITRD_NAME_MAX + 16];
	char path[1000];
	const unsigned most = INITRD_NAME_MAX - 2;	/* "/" + most + NUL fills the field */

	(void)state;
	memset(name, 'n', sizeof(name));
	name[most] = 0;
	file(name, "fits");
	name[most] = 'n';
	name[most + 1] = 0;
	file(name, "too long");
	memcpy(name, "./", 2);				/* "./" + most: fits after stripping */
	name[most + 2] = 0;
	name[most + 1] = 'm';
	file(name, "prefixed");
	name[0] = '/';					/* "/" + most + 1: too long */
	name[1] = 'o';
	file(name, "also too long");
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 2);
	assert_int_equal(rd.skipped, 2);
	assert_int_equal(strlen(rd.file[0].name), INITRD_NAME_MAX - 1);
	assert_int_equal(strlen(rd.file[1].name), INITRD_NAME_MAX - 1);

	/* Looked up by its full path at the limit, with and without the slash. */
	path[0] = '/';
	memset(path + 1, 'n', most);
	path[most + 1] = 0;
	assert_file(path, "fits", REG);
	assert_file(path + 1, "fits", REG);
	path[most] = 'm';
	assert_file(path, "prefixed", REG);
	/* Longer paths are never found, and are not read past the limit. */
	path[most + 1] = 'n';
	path[most + 2] = 0;
	assert_null(initrd_lookup(&rd, path));
	assert_null(initrd_lookup(&rd, path + 1));
	memset(path, 'n', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	assert_null(initrd_lookup(&rd, path));
}

/* A second parse forgets the first. */
static void test_reparse(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		file("a", "1");
	entry_raw("bad", 3, REG, "", 0);
	trailer();
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 3);
	assert_int_equal(rd.skipped, 1);
	arc_len = 0;
	file("b", "2");
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, 1);
	assert_int_equal(rd.skipped, 0);
	assert_null(initrd_lookup(&rd, "a"));
}

/* --- the real cpio tool -------------------------------------------------- */

struct want {
	const char *path;
	uint32_t type;
	size_t size;
};

static void write_file(const char *dir, const char *name, size_t size)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)((i * 7 + strlen(name)) & 0xff), f);
	assert_int_equal(fclose(f), 0);
}

static void test_real_cpio(void **state)
{
	static const struct want want[] = {
		{ "/", S_IFDIR, 0 },
		{ "/bin", S_IFDIR, 0 },
		{ "/bin/hello", S_IFREG, 12345 },
		{ "/etc", S_IFDIR, 0 },
		{ "/etc/empty", S_IFREG, 0 },
		{ "/etc/motd", S_IFREG, 3 },
		{ "/etc/page", S_IFREG, 4096 },
		{ "/etc/odd-name.with.dots", S_IFREG, 1 },
	};
	char dir[] = "/tmp/initrd-test-XXXXXX";
	char cmd[1024], path[512];
	FILE *f;
	long len;

	(void)state;
	if (system("cpio --version >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/root", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/root/bin %s/root/etc", dir, dir);
	assert_int_equal(system(cmd), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
		if (want[i].type == S_IFREG)
			write_file(path, want[i].path + 1, want[i].size);
	snprintf(cmd, sizeof(cmd),
		 "cd %s/root && find . | LC_ALL=C sort | cpio -o -H newc --quiet > %s/out.cpio",
		 dir, dir);
	assert_int_equal(system(cmd), 0);

	snprintf(path, sizeof(path), "%s/out.cpio", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	arc_len = 0;
	put("", 0);
	if (arc_cap < (size_t)len) {
		arc = realloc(arc, (size_t)len);
		assert_non_null(arc);
		arc_cap = (size_t)len;
	}
	assert_int_equal(fread(arc, 1, (size_t)len, f), (size_t)len);
	arc_len = (size_t)len;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(arc_len % 512, 0);		/* cpio pads to its block size */
	assert_int_equal(parse(), 0);
	assert_int_equal(rd.count, ARRAY_SIZE(want));
	assert_int_equal(rd.skipped, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		const struct initrd_file *e = must_find(want[i].path);
		assert_int_equal(e->mode & S_IFMT, want[i].type);
		assert_int_equal(e->size, want[i].size);
		for (size_t j = 0; j < e->size; j++)
			if (e->data[j] != (uint8_t)((j * 7 + strlen(want[i].path) - 1) & 0xff))
				fail_msg("%s: byte %zu differs", want[i].path, j);
	}
	/* Same archive, sorted input: the entries come in that order. */
	assert_string_equal(rd.file[0].name, "/");
	assert_string_equal(rd.file[2].name, "/bin/hello");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_several_files),
		T(test_lookup_forms),
		T(test_directories),
		T(test_trailer_stops),
		T(test_no_trailer),
		T(test_crc_format),
		T(test_lowercase_hex),
		T(test_empty_and_garbage),
		T(test_truncated_header),
		T(test_truncated_name),
		T(test_truncated_data),
		T(test_bad_magic),
		T(test_non_hex_digits),
		T(test_namesize_zero),
		T(test_name_without_nul),
		T(test_huge_filesize),
		T(test_too_many_files),
		T(test_name_limits),
		T(test_reparse),
		T(test_real_cpio),
	};

	sim_set_log_level(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
