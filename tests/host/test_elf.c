/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the executable checks (ELF64 x86_64 and ELF32 i386): images are built in memory
 * (header, program headers, bytes) and copied into a buffer of exactly
 * their size so that ASan sees any read past the end. Real programs come
 * from the compilers when they are installed.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/sim.h"
#include "kernel/errno.h"
#include "kernel/proc/elf.h"
#include "mm/platform.h"

#define USER_END	0x0000800000000000ull
#define FILE_SIZE	0x2100

/*
 * The default image: the ELF and program headers, then
 *   [0] PT_PHDR                 at 0x400040
 *   [1] PT_LOAD R+X  offset 0       -> 0x400000, 0x1100 bytes (headers and code)
 *   [2] PT_LOAD RW   offset 0x2000  -> 0x402000, 0x100 in the file, 0x3000 in memory
 *   [3] PT_GNU_STACK
 * with the entry point in the code.
 */
#define TEXT_VA		0x400000ull
#define DATA_VA		0x402000ull
#define ENTRY		0x401010ull
#define NPH		4

static uint8_t file[0x20000];
static size_t file_size;
static Elf64_Ehdr *eh;
static uint8_t *img_copy;
static struct elf_image img;
static const char *why;

static Elf64_Phdr *ph(unsigned i)
{
	assert_true(eh->e_phoff + (i + 1) * sizeof(Elf64_Phdr) <= sizeof(file));
	return (Elf64_Phdr *)(file + eh->e_phoff + i * sizeof(Elf64_Phdr));
}

static void set_ph(unsigned i, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
		   uint64_t filesz, uint64_t memsz)
{
	*ph(i) = (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = offset,
			       .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
			       .p_memsz = memsz, .p_align = 0x1000 };
}

/* A static executable's ELF header (Elf32_Ehdr or Elf64_Ehdr) with NPH program headers after it. */
#define FILL_EHDR(e, cls, machine, phsize)					\
	do {									\
		memcpy((e)->e_ident, ELFMAG, SELFMAG);				\
		(e)->e_ident[EI_CLASS] = (cls);					\
		(e)->e_ident[EI_DATA] = ELFDATA2LSB;				\
		(e)->e_ident[EI_VERSION] = EV_CURRENT;				\
		(e)->e_type = ET_EXEC;						\
		(e)->e_machine = (machine);					\
		(e)->e_version = EV_CURRENT;					\
		(e)->e_entry = ENTRY;						\
		(e)->e_phoff = sizeof(*(e));					\
		(e)->e_ehsize = sizeof(*(e));					\
		(e)->e_phentsize = (phsize);					\
		(e)->e_phnum = NPH;						\
	} while (0)

static void build(void)
{
	memset(file, 0, sizeof(file));
	file_size = FILE_SIZE;
	eh = (Elf64_Ehdr *)file;
	FILL_EHDR(eh, ELFCLASS64, EM_X86_64, sizeof(Elf64_Phdr));
	set_ph(0, PT_PHDR, PF_R, 64, TEXT_VA + 64, NPH * 56, NPH * 56);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0, TEXT_VA, 0x1100, 0x1100);
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, DATA_VA, 0x100, 0x3000);
	set_ph(3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	memset(file + 0x1000, 0x90, 0x100);	/* code: nops */
	memset(file + 0x2000, 0xda, 0x100);	/* data */
}

static int setup(void **state)
{
	(void)state;
	build();
	memset(&img, 0x5a, sizeof(img));
	why = NULL;
	return 0;
}

static uint8_t *real_file;
static size_t real_size;

static int teardown(void **state)
{
	(void)state;
	free(img_copy);
	img_copy = NULL;
	free(real_file);
	real_file = NULL;
	return 0;
}

/* What the loader relies on when elf_parse() accepts a file. */
static void check_accepted(uint64_t size, uint64_t user_end)
{
	bool entry_ok = false;

	assert_true(img.nseg >= 1 && img.nseg <= ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		assert_true(s->filesz <= s->memsz);
		assert_true(s->offset <= size && s->filesz <= size - s->offset);
		assert_true(s->vaddr >= PAGE_SIZE);
		assert_true(s->vaddr < user_end && s->memsz <= user_end - s->vaddr);
		assert_int_equal(s->vaddr % PAGE_SIZE, s->offset % PAGE_SIZE);
		assert_true(s->vaddr + s->memsz <= img.end);
		for (unsigned j = 0; j < i; j++) {
			const struct elf_segment *t = &img.seg[j];
			assert_true(ALIGN_UP(t->vaddr + t->memsz, PAGE_SIZE) <= ALIGN_DOWN(s->vaddr, PAGE_SIZE) ||
				    ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE) <= ALIGN_DOWN(t->vaddr, PAGE_SIZE));
		}
		if ((s->prot & ELF_PROT_EXEC) && img.entry >= s->vaddr && img.entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	assert_true(entry_ok);
}

/* Parse the first @size bytes of the file from an exact-size copy. */
static int parse_at(size_t size, uint64_t user_end)
{
	int err;

	assert_true(size <= sizeof(file));
	free(img_copy);
	img_copy = malloc(size ? size : 1);
	assert_non_null(img_copy);
	memcpy(img_copy, file, size);
	why = NULL;
	err = elf_parse(img_copy, size, user_end, &img, &why);
	if (err == 0)
		check_accepted(size, user_end);
	else
		assert_non_null(why);
	return err;
}

static int parse(void)
{
	return parse_at(file_size, USER_END);
}

static void accept(void)
{
	int err = parse();

	if (err)
		fail_msg("rejected (%d): %s", err, why);
}

static void reject(const char *reason)
{
	assert_int_equal(parse(), -ENOEXEC);
	assert_int_equal(-ENOEXEC, -8);
	assert_string_equal(why, reason);
}

#define R_SHORT		"file too short for an ELF header"
#define R_MAGIC		"not an ELF file"
#define R_CLASS		"not a 64-bit little-endian ELF file"
#define R_MACHINE	"not an x86_64 program"
#define R_TYPE		"not a static executable (ET_EXEC); position-independent programs are not supported"
#define R_PHSIZE	"bad program header table size"
#define R_PHOUT		"program headers lie outside the file"
#define R_FILESZ	"segment larger in the file than in memory"
#define R_SEGOUT	"segment lies outside the file"
#define R_USER		"segment outside user space"
#define R_ALIGN		"segment address and file offset disagree modulo the page size"
#define R_NULL		"segment in the null page"
#define R_MANY		"too many loadable segments"
#define R_OVERLAP	"loadable segments overlap"
#define R_INTERP	"dynamically linked (has an interpreter); build it static"
#define R_NOLOAD	"nothing to load"
#define R_ENTRY		"entry point not in an executable segment"

/* --- accepted ------------------------------------------------------------ */

static void test_happy_path(void **state)
{
	(void)state;
	accept();
	assert_int_equal(img.entry, ENTRY);
	assert_int_equal(img.phnum, NPH);
	assert_int_equal(img.phentsize, sizeof(Elf64_Phdr));
	assert_int_equal(img.phdr_vaddr, TEXT_VA + 64);
	assert_int_equal(img.nseg, 2);

	assert_int_equal(img.seg[0].vaddr, TEXT_VA);
	assert_int_equal(img.seg[0].memsz, 0x1100);
	assert_int_equal(img.seg[0].offset, 0);
	assert_int_equal(img.seg[0].filesz, 0x1100);
	assert_int_equal(img.seg[0].prot, ELF_PROT_READ | ELF_PROT_EXEC);

	assert_int_equal(img.seg[1].vaddr, DATA_VA);
	assert_int_equal(img.seg[1].memsz, 0x3000);	/* bss beyond the file's part */
	assert_int_equal(img.seg[1].offset, 0x2000);
	assert_int_equal(img.seg[1].filesz, 0x100);
	assert_int_equal(img.seg[1].prot, ELF_PROT_READ | ELF_PROT_WRITE);

	assert_int_equal(img.end, DATA_VA + 0x3000);
}

static void test_phdr_vaddr(void **state)
{
	(void)state;
	/* From PT_PHDR, wherever it says. */
	ph(0)->p_vaddr = TEXT_VA + 0x777;
	accept();
	assert_int_equal(img.phdr_vaddr, TEXT_VA + 0x777);

	/* Without PT_PHDR: from the segment that maps the file's start. */
	ph(0)->p_type = PT_NULL;
	accept();
	assert_int_equal(img.phdr_vaddr, TEXT_VA + 64);
	eh->e_phoff = 0x200;
	memmove(file + 0x200, file + 64, NPH * sizeof(Elf64_Phdr));
	accept();
	assert_int_equal(img.phdr_vaddr, TEXT_VA + 0x200);

	/* ... only if that segment holds the whole table. */
	ph(1)->p_filesz = 0x200 + NPH * 56 - 1;
	ph(1)->p_memsz = 0x1100;
	eh->e_entry = TEXT_VA + 0x100;
	accept();
	assert_int_equal(img.phdr_vaddr, 0);
	ph(1)->p_filesz = 0x200 + NPH * 56;
	accept();
	assert_int_equal(img.phdr_vaddr, TEXT_VA + 0x200);

	/* Not loaded at all: the code segment starts past the headers. */
	build();
	ph(0)->p_type = PT_NULL;
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, TEXT_VA + 0x1000, 0x100, 0x100);
	accept();
	assert_int_equal(img.phdr_vaddr, 0);
	assert_int_equal(img.seg[0].vaddr, TEXT_VA + 0x1000);
}

/* end is the highest segment's end, whatever the order of the headers. */
static void test_end_and_order(void **state)
{
	(void)state;
	Elf64_Phdr text = *ph(1);
	*ph(1) = *ph(2);
	*ph(2) = text;
	accept();
	assert_int_equal(img.seg[0].vaddr, DATA_VA);
	assert_int_equal(img.seg[1].vaddr, TEXT_VA);
	assert_int_equal(img.end, DATA_VA + 0x3000);

	/* Bss crossing many pages, ending at an odd address. */
	ph(1)->p_memsz = 0x123457;
	accept();
	assert_int_equal(img.end, DATA_VA + 0x123457);
}

static void test_prot(void **state)
{
	static const struct { uint32_t flags; unsigned prot; } map[] = {
		{ PF_X, ELF_PROT_EXEC },
		{ PF_R | PF_X, ELF_PROT_READ | ELF_PROT_EXEC },
		{ PF_R | PF_W | PF_X, ELF_PROT_READ | ELF_PROT_WRITE | ELF_PROT_EXEC },
		{ PF_X | 0xf0000000, ELF_PROT_EXEC },	/* OS/processor bits ignored */
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
		ph(1)->p_flags = map[i].flags;
		accept();
		assert_int_equal(img.seg[0].prot, map[i].prot);
	}
	ph(2)->p_flags = 0;
	accept();
	assert_int_equal(img.seg[1].prot, 0);
	ph(2)->p_flags = PF_W;
	accept();
	assert_int_equal(img.seg[1].prot, ELF_PROT_WRITE);
}

/* Limits that are allowed exactly. */
static void test_edges_accepted(void **state)
{
	(void)state;
	/* The entry at the first and last byte of the code. */
	eh->e_entry = TEXT_VA;
	accept();
	eh->e_entry = TEXT_VA + 0x10ff;
	accept();

	/* A segment ending exactly at the end of user space. */
	eh->e_entry = ENTRY;
	ph(2)->p_vaddr = USER_END - 0x3000;
	accept();
	assert_int_equal(img.end, USER_END);

	/* One ending exactly at the end of the file; one in the first page above null. */
	build();
	ph(2)->p_filesz = FILE_SIZE - 0x2000;
	accept();
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, PAGE_SIZE, 0x100, 0x100);
	eh->e_entry = PAGE_SIZE;
	accept();
	assert_int_equal(img.seg[0].vaddr, PAGE_SIZE);

	/* Neighbouring pages: the code's last page is not the data's first. */
	build();
	ph(1)->p_filesz = ph(1)->p_memsz = DATA_VA - TEXT_VA;
	accept();

	/* Exactly ELF_MAX_SEGMENTS loadable segments, and 64 program headers. */
	build();
	eh->e_phnum = 64;
	for (unsigned i = 2; i < ELF_MAX_SEGMENTS + 1; i++)
		set_ph(i, PT_LOAD, PF_R, 0x2000, 0x600000 + 0x2000 * i, 0, 0x1000);
	accept();
	assert_int_equal(img.nseg, ELF_MAX_SEGMENTS);
	assert_int_equal(img.phnum, 64);

	/* Other program header types are not looked at, however odd. */
	build();
	set_ph(3, PT_NOTE, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX, 0);
	set_ph(0, PT_TLS, 0, 0x2000, 0, 0x10, 0x20);
	accept();
	assert_int_equal(img.nseg, 2);
	/* Nor the fields that do not matter: version, OS ABI, sections, paddr. */
	eh->e_ident[EI_VERSION] = 0;
	eh->e_ident[EI_OSABI] = ELFOSABI_LINUX;
	eh->e_version = 99;
	eh->e_shoff = UINT64_MAX;
	eh->e_shnum = 0xffff;
	ph(1)->p_paddr = 0;
	ph(1)->p_align = 3;
	accept();
}

/* --- rejected: the ELF header -------------------------------------------- */

static void test_too_short(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(Elf64_Ehdr); n++) {
		assert_int_equal(parse_at(n, USER_END), -ENOEXEC);
		assert_string_equal(why, R_SHORT);
	}
}

static void test_bad_magic(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		build();
		file[i] ^= 0x20;
		reject(R_MAGIC);
	}
	build();
	memcpy(file, "MZ\x90\0", 4);
	reject(R_MAGIC);
}

static void test_not_64_le(void **state)
{
	(void)state;
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	reject(R_CLASS);
	eh->e_ident[EI_CLASS] = ELFCLASSNONE;
	reject(R_CLASS);
	build();
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	reject(R_CLASS);
	eh->e_ident[EI_DATA] = 0;
	reject(R_CLASS);
}

static void test_wrong_machine(void **state)
{
	static const uint16_t machines[] = { EM_386, EM_AARCH64, EM_RISCV, EM_NONE, 0x3e00 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(machines); i++) {
		eh->e_machine = machines[i];
		reject(R_MACHINE);
	}
}

static void test_wrong_type(void **state)
{
	static const uint16_t types[] = { ET_DYN, ET_REL, ET_CORE, ET_NONE, 0xfe00 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
		eh->e_type = types[i];
		reject(R_TYPE);
	}
}

static void test_bad_phentsize_phnum(void **state)
{
	static const uint16_t sizes[] = { 0, 32, 55, 57, 64, 0xffff };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		eh->e_phentsize = sizes[i];
		reject(R_PHSIZE);
	}
	build();
	eh->e_phnum = 0;
	reject(R_PHSIZE);
	eh->e_phnum = 65;
	reject(R_PHSIZE);
	eh->e_phnum = 0xffff;		/* PN_XNUM: not supported */
	reject(R_PHSIZE);
}

static void test_phdrs_outside_file(void **state)
{
	(void)state;
	eh->e_phoff = FILE_SIZE - NPH * 56 + 1;
	reject(R_PHOUT);
	eh->e_phoff = FILE_SIZE;
	reject(R_PHOUT);
	eh->e_phoff = FILE_SIZE + 1;
	reject(R_PHOUT);
	eh->e_phoff = UINT64_MAX - 8;	/* offset + table size wraps */
	reject(R_PHOUT);
	eh->e_phoff = UINT64_MAX;
	reject(R_PHOUT);

	/* The table cut off by the end of the file. */
	build();
	file_size = 64 + NPH * 56 - 1;
	reject(R_PHOUT);
	eh->e_phnum = 64;
	file_size = 64 + 63 * 56;
	reject(R_PHOUT);
}

/* --- rejected: a loadable segment ------------------------------------------ */

static void test_filesz_over_memsz(void **state)
{
	(void)state;
	ph(2)->p_memsz = 0xff;
	reject(R_FILESZ);
	ph(2)->p_memsz = 0;
	reject(R_FILESZ);
	build();
	ph(1)->p_filesz = 0x1101;
	reject(R_FILESZ);
}

static void test_segment_outside_file(void **state)
{
	(void)state;
	ph(2)->p_filesz = FILE_SIZE - 0x2000 + 1;
	reject(R_SEGOUT);
	ph(2)->p_filesz = 0;
	ph(2)->p_offset = FILE_SIZE + 0x1000 - 0x100;	/* past the end, even when empty */
	reject(R_SEGOUT);
	ph(2)->p_offset = UINT64_MAX - 0xfff;
	reject(R_SEGOUT);
	/* Ending exactly at the end of the file with no bytes is fine. */
	build();
	ph(2)->p_offset = FILE_SIZE;
	ph(2)->p_vaddr = DATA_VA + (FILE_SIZE & 0xfff);
	ph(2)->p_filesz = 0;
	accept();
}

static void test_outside_user_space(void **state)
{
	static const uint64_t vaddrs[] = {
		USER_END, USER_END + 0x2000, 0xffff800000000000ull, 0xffffffff80000000ull,
		UINT64_MAX & ~0xfffull,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(vaddrs); i++) {
		ph(2)->p_vaddr = vaddrs[i];
		reject(R_USER);
	}
	/* Straddling the end of user space by one byte. */
	ph(2)->p_vaddr = USER_END - 0x3000;
	ph(2)->p_memsz = 0x3001;
	reject(R_USER);
	/* A zero-size loadable segment. */
	build();
	ph(2)->p_filesz = ph(2)->p_memsz = 0;
	reject(R_USER);
	/* A smaller user space. */
	build();
	assert_int_equal(parse_at(FILE_SIZE, DATA_VA + 0x2fff), -ENOEXEC);
	assert_string_equal(why, R_USER);
	assert_int_equal(parse_at(FILE_SIZE, DATA_VA + 0x3000), 0);
	assert_int_equal(parse_at(FILE_SIZE, 0), -ENOEXEC);
	assert_string_equal(why, R_USER);
}

static void test_misaligned(void **state)
{
	(void)state;
	ph(2)->p_vaddr = DATA_VA + 0x10;
	reject(R_ALIGN);
	ph(2)->p_vaddr = DATA_VA + 0x800;
	reject(R_ALIGN);
	build();
	ph(2)->p_offset = 0x2004;
	ph(2)->p_filesz = 0x10;
	reject(R_ALIGN);
	/* Aligned alike but not to a page: fine (the mapping rounds down). */
	build();
	ph(2)->p_offset = 0x2010;
	ph(2)->p_vaddr = DATA_VA + 0x10;
	ph(2)->p_filesz = 0x10;
	accept();
	assert_int_equal(img.seg[1].vaddr, DATA_VA + 0x10);
}

static void test_null_page(void **state)
{
	(void)state;
	set_ph(1, PT_LOAD, PF_R | PF_X, 0, 0, 0x1100, 0x1100);
	eh->e_entry = 0x1010;
	reject(R_NULL);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1ff0, 0xff0, 0x10, 0x10);
	eh->e_entry = 0xff0;
	reject(R_NULL);
	build();
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x1fff, 0xfff, 0, 0x100000);	/* bss from the null page up */
	reject(R_NULL);
}

static void test_overlap(void **state)
{
	(void)state;
	/* Identical. */
	set_ph(2, PT_LOAD, PF_R | PF_W, 0, TEXT_VA, 0x100, 0x100);
	reject(R_OVERLAP);
	/* Data inside the code. */
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, TEXT_VA + 0x1000, 0x10, 0x10);
	reject(R_OVERLAP);
	/* Code ending in the data's first page, the bytes themselves disjoint. */
	build();
	ph(1)->p_filesz = ph(1)->p_memsz = DATA_VA - TEXT_VA + 0x10;
	ph(2)->p_offset = 0x2800;
	ph(2)->p_vaddr = DATA_VA + 0x800;
	file_size = 0x3000;
	reject(R_OVERLAP);
	/* Data's bss running into the code, listed after or before it. */
	build();
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, TEXT_VA - 0x2000, 0x100, 0x2001);
	reject(R_OVERLAP);
	Elf64_Phdr text = *ph(1);
	*ph(1) = *ph(2);
	*ph(2) = text;
	reject(R_OVERLAP);
	/* A segment containing another. */
	build();
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, TEXT_VA - 0x10000, 0x100, 0x100000);
	reject(R_OVERLAP);
	/* The third segment overlaps the first only. */
	build();
	set_ph(3, PT_LOAD, PF_R, 0x2000, TEXT_VA, 0x10, 0x10);
	reject(R_OVERLAP);
}

static void test_too_many_segments(void **state)
{
	(void)state;
	eh->e_phnum = ELF_MAX_SEGMENTS + 2;
	for (unsigned i = 2; i < ELF_MAX_SEGMENTS + 2; i++)
		set_ph(i, PT_LOAD, PF_R, 0x2000, 0x600000 + 0x2000 * i, 0, 0x1000);
	reject(R_MANY);
	eh->e_phnum = 64;
	reject(R_MANY);
}

static void test_interp(void **state)
{
	(void)state;
	set_ph(3, PT_INTERP, PF_R, 0x2000, 0, 0x1c, 0x1c);
	reject(R_INTERP);
	/* Wherever it is, and however broken. */
	build();
	set_ph(0, PT_INTERP, 0, UINT64_MAX, 0, UINT64_MAX, 0);
	reject(R_INTERP);
}

static void test_no_load(void **state)
{
	(void)state;
	ph(1)->p_type = PT_NULL;
	ph(2)->p_type = PT_NOTE;
	reject(R_NOLOAD);
	eh->e_phnum = 1;
	reject(R_NOLOAD);
}

static void test_entry_outside(void **state)
{
	static const uint64_t entries[] = {
		TEXT_VA + 0x1100, TEXT_VA - 1, DATA_VA, DATA_VA + 0x2fff, 0, UINT64_MAX,
		USER_END,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(entries); i++) {
		eh->e_entry = entries[i];
		reject(R_ENTRY);
	}
	/* In the code, but the code is not executable; in the writable data, which is. */
	eh->e_entry = ENTRY;
	ph(1)->p_flags = PF_R;
	reject(R_ENTRY);
	ph(2)->p_flags = PF_R | PF_W | PF_X;
	eh->e_entry = DATA_VA + 0x2fff;		/* in the bss */
	accept();
}

static void test_size_overflow(void **state)
{
	(void)state;
	/* offset + filesz wraps around to a small number. */
	ph(2)->p_offset = UINT64_MAX - 0xfff;	/* page offset 0, like vaddr's */
	ph(2)->p_filesz = 0x1100;
	ph(2)->p_memsz = 0x3000;
	reject(R_SEGOUT);
	ph(2)->p_offset = 0x2000;
	ph(2)->p_filesz = UINT64_MAX - 0x1fff;	/* 0x2000 + it = 0 */
	ph(2)->p_memsz = UINT64_MAX;
	reject(R_SEGOUT);

	/* vaddr + memsz wraps. */
	build();
	ph(2)->p_memsz = UINT64_MAX - DATA_VA + 1;	/* sum is exactly 0 */
	reject(R_USER);
	ph(2)->p_memsz = UINT64_MAX;
	reject(R_USER);
	ph(2)->p_vaddr = UINT64_MAX & ~0xfffull;
	ph(2)->p_memsz = 0x2000;
	reject(R_USER);

	/* e_phoff + the table wraps. */
	build();
	eh->e_phoff = UINT64_MAX - 0x10;
	reject(R_PHOUT);
}

/*
 * A caller's user space reaching the top of the address space: rounding a
 * segment's end up to a page must not wrap to 0, which would hide it from
 * the overlap check.
 */
static void test_user_end_at_top(void **state)
{
	const uint64_t top = UINT64_MAX & ~0xfffull;

	(void)state;
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, top, 0x100, 0xfff);
	assert_int_equal(parse_at(FILE_SIZE, UINT64_MAX), -ENOEXEC);
	assert_string_equal(why, R_USER);
	/* The same page twice: must not slip through as disjoint. */
	set_ph(3, PT_LOAD, PF_R, 0x2000, top + 0x800, 0, 0x10);
	ph(3)->p_offset = 0x2800;
	ph(3)->p_filesz = 0;
	assert_int_equal(parse_at(FILE_SIZE, UINT64_MAX), -ENOEXEC);
	/* Ending a page below the top is fine. */
	build();
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, top - 0x1000, 0x100, 0x1000);
	assert_int_equal(parse_at(FILE_SIZE, UINT64_MAX), 0);
	assert_int_equal(img.end, top);
	/* A user space ending inside a page: a segment's last page must fit. */
	build();
	assert_int_equal(parse_at(FILE_SIZE, DATA_VA + 0x2800), -ENOEXEC);
	assert_string_equal(why, R_USER);
	ph(2)->p_memsz = 0x2800;
	assert_int_equal(parse_at(FILE_SIZE, DATA_VA + 0x2800), -ENOEXEC);
	assert_string_equal(why, R_USER);
	assert_int_equal(parse_at(FILE_SIZE, DATA_VA + 0x3000), 0);
}

/* Whatever the failure, the caller's image is not half trusted: the same
 * file parses the same after a failure. */
static void test_reuse_after_failure(void **state)
{
	struct elf_image first;

	(void)state;
	accept();
	first = img;
	eh->e_entry = 0;
	reject(R_ENTRY);
	eh->e_entry = ENTRY;
	accept();
	assert_memory_equal(&first, &img, sizeof(img));
}

/* --- real programs --------------------------------------------------------- */

/* Compile a tiny program with @cc_flags; false if that compiler cannot. */
static bool compile(const char *cc_flags)
{
	static const char prog[] =
		"#include <stdio.h>\n"
		"int counter = 42;\n"
		"char zeroes[100000];\n"
		"int main(void) { printf(\"hello %d\\n\", counter + zeroes[7]); return 0; }\n";
	char dir[] = "/tmp/elf-test-XXXXXX";
	char cmd[1024], path[256];
	FILE *f;
	long len;
	bool ok;

	if (!mkdtemp(dir))
		return false;
	snprintf(path, sizeof(path), "%s/prog.c", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(prog, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -o %s/prog %s/prog.c >/dev/null 2>&1", cc_flags, dir, dir);
	ok = system(cmd) == 0;
	if (ok) {
		snprintf(path, sizeof(path), "%s/prog", dir);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		assert_true(len > 0);
		rewind(f);
		free(real_file);
		real_size = (size_t)len;
		real_file = malloc(real_size);
		assert_non_null(real_file);
		assert_int_equal(fread(real_file, 1, real_size, f), real_size);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", dir);
	return ok;
}

static void check_real_static(void)
{
	Elf64_Ehdr e;
	unsigned exec = 0, writable = 0;
	int err;

	memcpy(&e, real_file, sizeof(e));
	err = elf_parse(real_file, real_size, USER_END, &img, &why);
	if (err)
		fail_msg("a static program rejected: %s", why);
	check_accepted(real_size, USER_END);
	assert_int_equal(img.entry, e.e_entry);
	assert_int_equal(img.phnum, e.e_phnum);
	assert_int_equal(img.phentsize, sizeof(Elf64_Phdr));
	assert_true(img.nseg >= 2);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		exec += !!(s->prot & ELF_PROT_EXEC);
		writable += !!(s->prot & ELF_PROT_WRITE);
		assert_true(s->prot & ELF_PROT_READ);
		assert_false((s->prot & ELF_PROT_WRITE) && (s->prot & ELF_PROT_EXEC));
		assert_true(s->vaddr >= 0x10000);
		if (s->prot & ELF_PROT_WRITE)
			assert_true(s->memsz >= s->filesz + 100000);	/* zeroes[] in bss */
	}
	assert_true(exec >= 1);
	assert_true(writable >= 1);
	assert_true(img.end > img.entry);
	assert_true(img.end < 0x100000000ull);
	/* The program headers are loaded: AT_PHDR points at them. */
	assert_int_not_equal(img.phdr_vaddr, 0);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		if (img.phdr_vaddr >= s->vaddr && img.phdr_vaddr - s->vaddr < s->filesz) {
			assert_int_equal(s->offset + (img.phdr_vaddr - s->vaddr), e.e_phoff);
			return;
		}
	}
	fail_msg("phdr_vaddr 0x%llx is in no segment", (unsigned long long)img.phdr_vaddr);
}

static void test_real_musl_static(void **state)
{
	(void)state;
	if (!compile("musl-gcc -static -O2"))
		skip();
	check_real_static();

	/* Cut short anywhere in its loaded part: rejected, never read past. */
	for (size_t cut = 0; cut < real_size; cut += real_size / 37 + 1) {
		uint8_t *p = malloc(cut ? cut : 1);
		assert_non_null(p);
		memcpy(p, real_file, cut);
		why = NULL;
		if (elf_parse(p, cut, USER_END, &img, &why) == 0)
			check_accepted(cut, USER_END);
		else
			assert_non_null(why);
		free(p);
	}
}

static void test_real_glibc_static(void **state)
{
	(void)state;
	if (!compile("gcc -static -no-pie -O2"))
		skip();
	check_real_static();
}

/* What a default build gives: position-independent, or dynamically linked. */
static void test_real_dynamic(void **state)
{
	(void)state;
	if (!compile("gcc -no-pie -O2"))
		skip();
	assert_int_equal(elf_parse(real_file, real_size, USER_END, &img, &why), -ENOEXEC);
	assert_string_equal(why, R_INTERP);
	if (!compile("gcc -pie -fPIE -O2"))
		skip();
	assert_int_equal(elf_parse(real_file, real_size, USER_END, &img, &why), -ENOEXEC);
	assert_string_equal(why, R_TYPE);
}

/* --- i386 programs (ELF32) --------------------------------------------------- */

#define USER_END_I386	0xc0000000ull

/* The default image's layout as ELF32: PT_PHDR, text R+X, data RW, PT_GNU_STACK. */
static size_t build32(uint8_t *f, uint16_t phentsize)
{
	Elf32_Ehdr *e = (Elf32_Ehdr *)f;
	Elf32_Phdr *p = (Elf32_Phdr *)(f + sizeof(*e));

	memset(f, 0, FILE_SIZE);
	FILL_EHDR(e, ELFCLASS32, EM_386, phentsize);
	p[0] = (Elf32_Phdr){ PT_PHDR, sizeof(*e), TEXT_VA + sizeof(*e), TEXT_VA + sizeof(*e),
			     NPH * sizeof(*p), NPH * sizeof(*p), PF_R, 4 };
	p[1] = (Elf32_Phdr){ PT_LOAD, 0, TEXT_VA, TEXT_VA, 0x1100, 0x1100, PF_R | PF_X, 0x1000 };
	p[2] = (Elf32_Phdr){ PT_LOAD, 0x2000, DATA_VA, DATA_VA, 0x100, 0x3000, PF_R | PF_W, 0x1000 };
	p[3] = (Elf32_Phdr){ PT_GNU_STACK, 0, 0, 0, 0, 0, PF_R | PF_W, 16 };
	return FILE_SIZE;
}

/* Parse @n bytes of @f as an i386 program from a copy of exactly that size (ASan sees overreads). */
static int parse32(const uint8_t *f, size_t n, unsigned kind)
{
	uint8_t *c = malloc(n ? n : 1);
	int err;

	assert_non_null(c);
	memcpy(c, f, n);
	why = NULL;
	err = elf_parse_kind(c, n, n, USER_END_I386, kind, &img, &why);
	free(c);
	return err;
}

static void test_i386_program(void **state)
{
	static uint8_t f[FILE_SIZE];
	size_t n = build32(f, sizeof(Elf32_Phdr));

	(void)state;
	assert_int_equal(parse32(f, n, ELF_I386), 0);
	assert_int_equal(img.entry, ENTRY);
	assert_int_equal(img.phnum, NPH);
	assert_int_equal(img.phentsize, sizeof(Elf32_Phdr));
	assert_int_equal(img.phdr_vaddr, TEXT_VA + sizeof(Elf32_Ehdr));
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.seg[0].vaddr, TEXT_VA);
	assert_int_equal(img.seg[0].filesz, 0x1100);
	assert_int_equal(img.seg[0].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	assert_int_equal(img.seg[1].offset, 0x2000);
	assert_int_equal(img.seg[1].memsz, 0x3000);
	assert_int_equal(img.seg[1].prot, ELF_PROT_READ | ELF_PROT_WRITE);
	assert_int_equal(img.end, DATA_VA + 0x3000);
	/* Cut anywhere: rejected or accepted, never read past the end. */
	for (size_t cut = 0; cut < n; cut += 7)
		if (parse32(f, cut, ELF_I386))
			assert_non_null(why);
}

static void test_i386_kinds(void **state)
{
	static uint8_t f[FILE_SIZE];
	size_t n = build32(f, sizeof(Elf32_Phdr));
	Elf32_Ehdr *e = (Elf32_Ehdr *)f;
	Elf32_Phdr *p = (Elf32_Phdr *)(f + sizeof(*e));

	(void)state;
	/* Each kernel takes its own kind only. */
	assert_int_equal(parse32(f, n, ELF_X86_64), -ENOEXEC);
	assert_string_equal(why, "not a 64-bit little-endian ELF file");
	assert_int_equal(elf_parse_kind(file, file_size, file_size, USER_END, ELF_I386, &img, &why),
			 -ENOEXEC);
	assert_string_equal(why, "not a 32-bit little-endian ELF file");
	assert_int_equal(parse32(f, n, 7), -ENOEXEC);
	e->e_machine = EM_X86_64;
	assert_int_equal(parse32(f, n, ELF_I386), -ENOEXEC);
	assert_string_equal(why, "not an i386 program");
	/* ELF64-sized program headers in an ELF32 file. */
	n = build32(f, sizeof(Elf64_Phdr));
	assert_int_equal(parse32(f, n, ELF_I386), -ENOEXEC);
	assert_string_equal(why, "bad program header table size");
	/* Too short for even the 52-byte header. */
	n = build32(f, sizeof(Elf32_Phdr));
	assert_int_equal(parse32(f, sizeof(Elf32_Ehdr) - 1, ELF_I386), -ENOEXEC);
	assert_string_equal(why, "file too short for an ELF header");
	/* A segment reaching the kernel at 3 GiB, and one wrapping 32 bits. */
	p[2].p_vaddr = 0xbfffe000;
	assert_int_equal(parse32(f, n, ELF_I386), -ENOEXEC);
	assert_string_equal(why, "segment outside user space");
	p[2].p_vaddr = 0xbfffd000;
	assert_int_equal(parse32(f, n, ELF_I386), 0);
	assert_int_equal(img.end, USER_END_I386);
	p[2].p_vaddr = 0xfffff000;
	assert_int_equal(parse32(f, n, ELF_I386), -ENOEXEC);
	/* Program headers beyond the file. */
	n = build32(f, sizeof(Elf32_Phdr));
	e->e_phoff = FILE_SIZE - 8;
	assert_int_equal(parse32(f, n, ELF_I386), -ENOEXEC);
	assert_string_equal(why, "program headers lie outside the file");
}

/* A real static i386 program, where gcc -m32 can build one. */
static void test_real_i386_static(void **state)
{
	Elf32_Ehdr e;

	(void)state;
	if (!compile("gcc -m32 -static -no-pie -O2"))
		skip();
	memcpy(&e, real_file, sizeof(e));
	if (elf_parse_kind(real_file, real_size, real_size, USER_END_I386, ELF_I386, &img, &why))
		fail_msg("a static i386 program rejected: %s", why);
	assert_int_equal(img.entry, e.e_entry);
	assert_int_equal(img.phentsize, sizeof(Elf32_Phdr));
	assert_true(img.nseg >= 2);
	assert_int_not_equal(img.phdr_vaddr, 0);
	for (unsigned i = 0; i < img.nseg; i++) {
		assert_false((img.seg[i].prot & ELF_PROT_WRITE) && (img.seg[i].prot & ELF_PROT_EXEC));
		assert_true(img.seg[i].vaddr + img.seg[i].memsz <= USER_END_I386);
	}
	assert_int_equal(elf_parse(real_file, real_size, USER_END, &img, &why), -ENOEXEC);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_happy_path),
		T(test_phdr_vaddr),
		T(test_end_and_order),
		T(test_prot),
		T(test_edges_accepted),
		T(test_too_short),
		T(test_bad_magic),
		T(test_not_64_le),
		T(test_wrong_machine),
		T(test_wrong_type),
		T(test_bad_phentsize_phnum),
		T(test_phdrs_outside_file),
		T(test_filesz_over_memsz),
		T(test_segment_outside_file),
		T(test_outside_user_space),
		T(test_misaligned),
		T(test_null_page),
		T(test_overlap),
		T(test_too_many_segments),
		T(test_interp),
		T(test_no_load),
		T(test_entry_outside),
		T(test_size_overflow),
		T(test_user_end_at_top),
		T(test_reuse_after_failure),
		T(test_real_musl_static),
		T(test_real_glibc_static),
		T(test_real_dynamic),
		T(test_i386_program),
		T(test_i386_kinds),
		T(test_real_i386_static),
	};

	sim_set_log_level(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
