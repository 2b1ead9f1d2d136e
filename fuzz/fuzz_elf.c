/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the ELF64 executable checks.
 *
 * Input byte 0 chooses the mode; its bits 1-3 choose the top of user space
 * (mostly the real one; sometimes the top of the address space, a small
 * one, or one that is not page aligned).
 *
 * even: the rest is the file, as is (the input buffer itself, so ASan sees
 *   any read past its end).
 *
 * odd: the rest describes a file that is mostly well formed, so that the
 *   segment checks are reached: byte 1 gives the number of program
 *   headers, byte 2 the size of the file, bytes 3-4 the entry point (a
 *   header's address plus an offset), then 10-byte records, one per
 *   program header: type, flags, offset16, vaddr16, filesz16, memsz16,
 *   with the type byte's high bits choosing how addresses and sizes scale.
 *   If the file is accepted, the segments must be its PT_LOAD headers.
 *
 * On success, every segment must be loadable as is: within the file,
 * within user space without wrapping, above the null page, on pages of its
 * own, and the entry in an executable one. On failure, there is a reason.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "host/sim.h"
#include "kernel/errno.h"
#include "kernel/proc/elf.h"
#include "mm/types.h"

#define USER_END	0x0000800000000000ull
#define REC_SIZE	10
#define MAX_PH		24

static struct elf_image img;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sim_set_log_level(-1);
	return 0;
}

static uint64_t pick_user_end(uint8_t b)
{
	static const uint64_t ends[] = {
		USER_END, USER_END, USER_END, USER_END, UINT64_MAX, 0x1000000,
		USER_END - 0x800, UINT64_MAX & ~0xfffull,
	};

	return ends[(b >> 1) & 7];
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Check an accepted file; returns nothing, traps on a violation. */
static void check_ok(const uint8_t *data, uint64_t size, uint64_t user_end, unsigned kind)
{
	uint64_t end = 0;
	bool entry_ok = false;

	if (kind == ELF_I386) {
		Elf32_Ehdr e;

		CHECK(size >= sizeof(e));
		memcpy(&e, data, sizeof(e));
		CHECK(img.entry == e.e_entry);
		CHECK(img.phnum == e.e_phnum && img.phentsize == sizeof(Elf32_Phdr));
	} else {
		Elf64_Ehdr e;

		CHECK(size >= sizeof(e));
		memcpy(&e, data, sizeof(e));
		CHECK(img.entry == e.e_entry);
		CHECK(img.phnum == e.e_phnum && img.phentsize == sizeof(Elf64_Phdr));
	}
	CHECK(img.nseg >= 1 && img.nseg <= ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];
		uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
		uint64_t last = s->vaddr + (s->memsz - 1);	/* last byte, never wraps */

		CHECK(s->filesz <= s->memsz);
		CHECK(s->memsz > 0);
		CHECK(s->offset <= size && s->filesz <= size - s->offset);
		CHECK(s->vaddr < user_end && s->memsz <= user_end - s->vaddr);
		CHECK(last >= s->vaddr);
		CHECK(s->vaddr >= PAGE_SIZE);
		CHECK(s->vaddr % PAGE_SIZE == s->offset % PAGE_SIZE);
		CHECK((s->prot & ~(unsigned)(ELF_PROT_READ | ELF_PROT_WRITE | ELF_PROT_EXEC)) == 0);
		/* Pages of its own: no page holds bytes of two segments. */
		for (unsigned j = 0; j < i; j++) {
			const struct elf_segment *t = &img.seg[j];
			uint64_t tstart = ALIGN_DOWN(t->vaddr, PAGE_SIZE);
			uint64_t tlast = ALIGN_DOWN(t->vaddr + (t->memsz - 1), PAGE_SIZE);

			CHECK(tlast < start || ALIGN_DOWN(last, PAGE_SIZE) < tstart);
		}
		if ((s->prot & ELF_PROT_EXEC) && img.entry >= s->vaddr &&
		    img.entry - s->vaddr < s->memsz)
			entry_ok = true;
		if (s->vaddr + s->memsz > end)
			end = s->vaddr + s->memsz;
	}
	CHECK(entry_ok);
	CHECK(img.end == end);
}

static void run_kind(const uint8_t *data, uint64_t size, uint64_t user_end, unsigned kind)
{
	const char *why = NULL;
	int err = elf_parse_kind(data, size, size, user_end, kind, &img, &why);

	if (err == 0) {
		check_ok(data, size, user_end, kind);
	} else {
		CHECK(err == -ENOEXEC);
		CHECK(why != NULL && why[0] != 0);
	}
}

/* The bytes as an x86_64 program, and as an i386 one below 3 GiB. */
static void run(const uint8_t *data, uint64_t size, uint64_t user_end)
{
	run_kind(data, size, user_end, ELF_X86_64);
	run_kind(data, size, MM_MIN(user_end, 0xc0000000ull), ELF_I386);
}

static void fuzz_structured(const uint8_t *in, size_t n, uint64_t user_end)
{
	static const uint32_t types[] = { PT_LOAD, PT_LOAD, PT_LOAD, PT_LOAD, PT_PHDR,
					  PT_INTERP, PT_NULL, PT_NOTE };
	Elf64_Phdr ph[MAX_PH];
	Elf64_Ehdr e;
	unsigned nph, i;
	uint64_t size;
	uint8_t *file;
	const char *why = NULL;

	if (n < 5)
		return;
	nph = in[0] % MAX_PH + 1;
	if ((n - 5) / REC_SIZE < nph)
		nph = (unsigned)((n - 5) / REC_SIZE);
	if (!nph)
		return;
	size = sizeof(e) + nph * sizeof(Elf64_Phdr) + ((uint64_t)in[1] << 8);

	memset(ph, 0, sizeof(ph));
	for (i = 0; i < nph; i++) {
		const uint8_t *r = in + 5 + i * REC_SIZE;
		uint8_t t = r[0];
		uint64_t off = le16(r + 2), va = le16(r + 4), fsz = le16(r + 6), msz = le16(r + 8);

		ph[i].p_type = types[t & 7];
		ph[i].p_flags = r[1];
		ph[i].p_offset = off;
		switch ((t >> 3) & 3) {
		case 0:		/* pages, offset and address alike */
			ph[i].p_vaddr = va << 12 | (off & 0xfff);
			break;
		case 1:		/* anywhere below 2^28 */
			ph[i].p_vaddr = va << 12 | (r[1] & 0xf) << 8 | (off & 0xff);
			break;
		case 2:		/* near the top of user space or above */
			ph[i].p_vaddr = (USER_END - (va << 12)) | (off & 0xfff);
			break;
		default:	/* near the top of the address space */
			ph[i].p_vaddr = (UINT64_MAX - (va << 12)) & ~0xfffull;
			ph[i].p_offset = off << 48 | off;
			break;
		}
		ph[i].p_filesz = fsz;
		switch (t >> 5) {
		case 0:
		case 1:
		case 2:
			ph[i].p_memsz = fsz + msz;
			break;
		case 3:
		case 4:
			ph[i].p_memsz = fsz + (msz << 12);
			break;
		case 5:
			ph[i].p_memsz = msz;	/* maybe less than filesz */
			break;
		case 6:
			ph[i].p_memsz = UINT64_MAX - msz;
			break;
		default:
			ph[i].p_filesz = UINT64_MAX - fsz;
			ph[i].p_memsz = UINT64_MAX - msz;
			break;
		}
		ph[i].p_align = PAGE_SIZE;
	}

	memset(&e, 0, sizeof(e));
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = ET_EXEC;
	e.e_machine = EM_X86_64;
	e.e_version = EV_CURRENT;
	e.e_entry = ph[in[2] % nph].p_vaddr + le16(in + 3) - 0x100;
	e.e_phoff = sizeof(e);
	e.e_ehsize = sizeof(e);
	e.e_phentsize = sizeof(Elf64_Phdr);
	e.e_phnum = (uint16_t)nph;

	file = calloc(1, size);
	CHECK(file != NULL);
	memcpy(file, &e, sizeof(e));
	memcpy(file + sizeof(e), ph, nph * sizeof(Elf64_Phdr));

	if (elf_parse(file, size, user_end, &img, &why) == 0) {
		unsigned k = 0;

		check_ok(file, size, user_end, ELF_X86_64);
		/* The segments are the PT_LOAD headers, in order, nothing else. */
		for (i = 0; i < nph; i++) {
			const struct elf_segment *s = &img.seg[k];

			CHECK(ph[i].p_type != PT_INTERP);
			if (ph[i].p_type != PT_LOAD)
				continue;
			CHECK(k < img.nseg);
			CHECK(s->vaddr == ph[i].p_vaddr && s->memsz == ph[i].p_memsz);
			CHECK(s->offset == ph[i].p_offset && s->filesz == ph[i].p_filesz);
			CHECK(!!(s->prot & ELF_PROT_READ) == !!(ph[i].p_flags & PF_R));
			CHECK(!!(s->prot & ELF_PROT_WRITE) == !!(ph[i].p_flags & PF_W));
			CHECK(!!(s->prot & ELF_PROT_EXEC) == !!(ph[i].p_flags & PF_X));
			k++;
		}
		CHECK(k == img.nseg);
	} else {
		CHECK(why != NULL && why[0] != 0);
	}
	free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t user_end;

	if (size < 1)
		return 0;
	user_end = pick_user_end(data[0]);
	if (data[0] & 1)
		fuzz_structured(data + 1, size - 1, user_end);
	else
		run(data + 1, size - 1, user_end);
	return 0;
}
