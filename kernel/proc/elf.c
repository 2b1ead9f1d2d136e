// SPDX-License-Identifier: MIT
/*
 * Header checks for static executables (see elf.h): ELF64 for x86_64, ELF32
 * for i386. An ELF32 file's headers are widened to the ELF64 layout first,
 * so both kinds go through the same checks.
 */
#include "kernel/proc/elf.h"
#include "kernel/errno.h"
#include "mm/platform.h"

#define ET_EXEC		2
#define EM_386		3
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_INTERP	3
#define PT_PHDR		6
#define PF_X		1
#define PF_W		2
#define PF_R		4

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct ehdr32 {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr32 {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

/* What each kind looks like: ELF class, machine, program header size. */
static const struct {
	uint8_t cls;
	uint16_t machine;
	uint16_t ehsize, phentsize;
	const char *not_class, *not_machine;
} kinds[] = {
	[ELF_X86_64] = { 2, EM_X86_64, sizeof(struct ehdr), sizeof(struct phdr),
			 "not a 64-bit little-endian ELF file", "not an x86_64 program" },
	[ELF_I386] = { 1, EM_386, sizeof(struct ehdr32), sizeof(struct phdr32),
		       "not a 32-bit little-endian ELF file", "not an i386 program" },
};

/* The ELF header of a @kind file, in the ELF64 layout: false if the file is too short. */
static bool read_ehdr(const uint8_t *data, uint64_t avail, unsigned kind, struct ehdr *e)
{
	struct ehdr32 e32;

	if (avail < kinds[kind].ehsize)
		return false;
	if (kind == ELF_X86_64) {
		memcpy(e, data, sizeof(*e));
		return true;
	}
	memcpy(&e32, data, sizeof(e32));
	*e = (struct ehdr){ .type = e32.type, .machine = e32.machine, .version = e32.version,
			    .entry = e32.entry, .phoff = e32.phoff, .shoff = e32.shoff,
			    .flags = e32.flags, .ehsize = e32.ehsize, .phentsize = e32.phentsize,
			    .phnum = e32.phnum, .shentsize = e32.shentsize, .shnum = e32.shnum,
			    .shstrndx = e32.shstrndx };
	memcpy(e->ident, e32.ident, sizeof(e->ident));
	return true;
}

/* Program header @i (checked to lie in the file), in the ELF64 layout. */
static void read_phdr(const uint8_t *data, const struct ehdr *e, unsigned i, unsigned kind,
		      struct phdr *p)
{
	const uint8_t *at = data + e->phoff + (uint64_t)i * e->phentsize;
	struct phdr32 p32;

	if (kind == ELF_X86_64) {
		memcpy(p, at, sizeof(*p));
		return;
	}
	memcpy(&p32, at, sizeof(p32));
	*p = (struct phdr){ .type = p32.type, .flags = p32.flags, .offset = p32.offset,
			    .vaddr = p32.vaddr, .paddr = p32.paddr, .filesz = p32.filesz,
			    .memsz = p32.memsz, .align = p32.align };
}

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -ENOEXEC;
}

static const char *check_ehdr(const struct ehdr *e, uint64_t size, unsigned kind)
{
	if (memcmp(e->ident, "\177ELF", 4))
		return "not an ELF file";
	if (e->ident[4] != kinds[kind].cls || e->ident[5] != 1)
		return kinds[kind].not_class;
	if (e->machine != kinds[kind].machine)
		return kinds[kind].not_machine;
	if (e->type != ET_EXEC)
		return "not a static executable (ET_EXEC); position-independent programs are not supported";
	if (e->phentsize != kinds[kind].phentsize || e->phnum == 0 || e->phnum > 64)
		return "bad program header table size";
	if (e->phoff > size || (uint64_t)e->phnum * e->phentsize > size - e->phoff)
		return "program headers lie outside the file";
	return NULL;
}

static const char *check_load(const struct phdr *p, uint64_t size, uint64_t user_end)
{
	if (p->filesz > p->memsz)
		return "segment larger in the file than in memory";
	if (p->offset > size || p->filesz > size - p->offset)
		return "segment lies outside the file";
	if (p->memsz == 0 || p->vaddr >= user_end || p->memsz > user_end - p->vaddr)
		return "segment outside user space";
	if ((p->vaddr & (PAGE_SIZE - 1)) != (p->offset & (PAGE_SIZE - 1)))
		return "segment address and file offset disagree modulo the page size";
	if (p->vaddr < PAGE_SIZE)
		return "segment in the null page";
	return NULL;
}

static unsigned prot_of(uint32_t flags)
{
	return (flags & PF_R ? ELF_PROT_READ : 0) | (flags & PF_W ? ELF_PROT_WRITE : 0) |
	       (flags & PF_X ? ELF_PROT_EXEC : 0);
}

/* Loaded segments may not share a page: each page gets one protection. */
static bool overlaps(const struct elf_image *img, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		uint64_t s = ALIGN_DOWN(img->seg[i].vaddr, PAGE_SIZE);
		uint64_t e = ALIGN_UP(img->seg[i].vaddr + img->seg[i].memsz, PAGE_SIZE);
		if (start < e && s < end)
			return true;
	}
	return false;
}

/**
 * elf_parse() - check an executable and list what to load
 * @data: the file
 * @size: its size
 * @user_end: first address above user space
 * @img: filled in
 * @why: set to the reason on failure
 *
 * Return: 0, or -ENOEXEC.
 */
int elf_parse(const uint8_t *data, uint64_t size, uint64_t user_end,
	      struct elf_image *img, const char **why)
{
	return elf_parse_head(data, size, size, user_end, img, why);
}

/**
 * elf_parse_head() - elf_parse() from the start of the file alone
 * @data: the first @avail bytes of the file
 * @avail: how many there are
 * @size: the file's size
 * @user_end: first address above user space
 * @img: filled in
 * @why: set to the reason on failure
 *
 * The program header table must lie within the @avail bytes.
 *
 * Return: 0, or -ENOEXEC.
 */
int elf_parse_head(const uint8_t *data, uint64_t avail, uint64_t size, uint64_t user_end,
		   struct elf_image *img, const char **why)
{
	return elf_parse_kind(data, avail, size, user_end, ELF_X86_64, img, why);
}

/**
 * elf_parse_kind() - elf_parse_head() for x86_64 or i386 programs
 * @data: the first @avail bytes of the file
 * @avail: how many there are
 * @size: the file's size
 * @user_end: first address above user space
 * @kind: ELF_X86_64 or ELF_I386: the only kind accepted
 * @img: filled in (the same for both kinds)
 * @why: set to the reason on failure
 *
 * Return: 0, or -ENOEXEC.
 */
int elf_parse_kind(const uint8_t *data, uint64_t avail, uint64_t size, uint64_t user_end,
		   unsigned kind, struct elf_image *img, const char **why)
{
	struct ehdr e;
	const char *bad;

	if (kind != ELF_X86_64 && kind != ELF_I386)
		return fail(why, "unknown kind of executable");
	if (size < kinds[kind].ehsize || !read_ehdr(data, avail, kind, &e))
		return fail(why, "file too short for an ELF header");
	if ((bad = check_ehdr(&e, size, kind)))
		return fail(why, bad);
	if (e.phoff > avail || (uint64_t)e.phnum * e.phentsize > avail - e.phoff)
		return fail(why, "program headers beyond the part of the file read");
	memset(img, 0, sizeof(*img));
	img->entry = e.entry;
	img->phnum = e.phnum;
	img->phentsize = e.phentsize;
	for (unsigned i = 0; i < e.phnum; i++) {
		struct phdr p;
		read_phdr(data, &e, i, kind, &p);
		if (p.type == PT_INTERP)
			return fail(why, "dynamically linked (has an interpreter); build it static");
		if (p.type == PT_PHDR)
			img->phdr_vaddr = p.vaddr;
		if (p.type != PT_LOAD)
			continue;
		if ((bad = check_load(&p, size, user_end)))
			return fail(why, bad);
		if (img->nseg == ELF_MAX_SEGMENTS)
			return fail(why, "too many loadable segments");
		uint64_t start = ALIGN_DOWN(p.vaddr, PAGE_SIZE);
		uint64_t end = ALIGN_UP(p.vaddr + p.memsz, PAGE_SIZE);
		if (end < start || end > user_end)	/* rounding wrapped, or past the last page */
			return fail(why, "segment outside user space");
		if (overlaps(img, start, end))
			return fail(why, "loadable segments overlap");
		img->seg[img->nseg++] = (struct elf_segment){ p.vaddr, p.memsz, p.offset,
							      p.filesz, prot_of(p.flags) };
		if (!img->phdr_vaddr && p.offset == 0 && e.phoff + (uint64_t)e.phnum * e.phentsize <= p.filesz)
			img->phdr_vaddr = p.vaddr + e.phoff;
		img->end = MM_MAX(img->end, p.vaddr + p.memsz);
	}
	if (!img->nseg)
		return fail(why, "nothing to load");
	bool entry_ok = false;
	for (unsigned i = 0; i < img->nseg; i++)
		entry_ok |= (img->seg[i].prot & ELF_PROT_EXEC) && e.entry >= img->seg[i].vaddr &&
			    e.entry - img->seg[i].vaddr < img->seg[i].memsz;
	if (!entry_ok)
		return fail(why, "entry point not in an executable segment");
	return 0;
}
