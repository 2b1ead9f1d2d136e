/* SPDX-License-Identifier: MIT */
/*
 * Reading an executable, ELF64 for x86_64 or ELF32 for i386: checks every
 * header field the loader relies on, so a corrupt or hostile file gives a
 * clear error, never a bad mapping.
 * Pure data processing: it runs on the host under unit tests and a fuzzer.
 */
#ifndef KERNEL_PROC_ELF_H
#define KERNEL_PROC_ELF_H

#include "mm/types.h"

#define ELF_MAX_SEGMENTS	16

/* Segment protections, as the loader maps them. */
#define ELF_PROT_READ	1
#define ELF_PROT_WRITE	2
#define ELF_PROT_EXEC	4

struct elf_segment {
	uint64_t vaddr, memsz;		/* where it goes, how big in memory */
	uint64_t offset, filesz;	/* what of the file it holds */
	unsigned prot;			/* ELF_PROT_* */
};

struct elf_image {
	uint64_t entry;
	uint64_t phdr_vaddr;		/* for AT_PHDR; 0 if not loaded */
	uint16_t phnum, phentsize;
	uint64_t end;			/* end of the highest segment: the heap starts after */
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/* Which executables a kernel runs: its ELF class and machine. */
#define ELF_X86_64	2	/* ELFCLASS64, EM_X86_64 */
#define ELF_I386	1	/* ELFCLASS32, EM_386 */

/*
 * Returns 0, or a negative errno (-ENOEXEC for a malformed or unsupported
 * file) with *@why set to a one-line reason. elf_parse() and
 * elf_parse_head() take x86_64 programs; elf_parse_kind() either kind.
 */
int elf_parse(const uint8_t *data, uint64_t size, uint64_t user_end,
	      struct elf_image *img, const char **why);
int elf_parse_head(const uint8_t *data, uint64_t avail, uint64_t size, uint64_t user_end,
		   struct elf_image *img, const char **why);
int elf_parse_kind(const uint8_t *data, uint64_t avail, uint64_t size, uint64_t user_end,
		   unsigned kind, struct elf_image *img, const char **why);

#endif
