// SPDX-License-Identifier: MIT
/*
 * The DOS box from C (memcore/dos.h): the system calls, and seed 003's
 * DosMemoryManager functions on top of the same INT 21h, XMS and EMS calls
 * a DOS program makes.
 */
#include <errno.h>
#include <unistd.h>

#include "memcore/dos.h"
#include "memcore/syscall.h"

/* A DOS linear address as a pointer (hidden from the compiler's null-page checks). */
static void *lin(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return (void *)a;
}

static int sys(long nr, long a, long b)
{
	long r = syscall(nr, a, b);

	return r < 0 ? -errno : (int)r;
}

int dos_init(const struct dos_config *cfg)
{
	return sys(MEMCORE_SYS_dos_init, (long)cfg, 0);
}

int dos_int(unsigned vector, struct dos_regs *r)
{
	return sys(MEMCORE_SYS_dos_call, (long)vector, (long)r);
}

int dos_xms(struct dos_regs *r)
{
	return sys(MEMCORE_SYS_dos_call, MEMCORE_DOS_XMS, (long)r);
}

int dos_run(struct dos_v86 *state)
{
	return sys(MEMCORE_SYS_dos_run, (long)state, 0);
}

int dos_info(struct dos_info *info)
{
	return sys(MEMCORE_SYS_dos_info, (long)info, 0);
}

/* --- seed 003's DosMemoryManager --------------------------------------------- */

static bool int21(struct dos_regs *r)
{
	return dos_int(0x21, r) == 0 && !(r->eflags & DOS_CF);
}

uint16_t AllocateDosMemory(uint16_t paragraphs)
{
	struct dos_regs r = { .eax = 0x4800, .ebx = paragraphs };

	return int21(&r) ? (uint16_t)r.eax : 0;
}

bool FreeDosMemory(uint16_t segment)
{
	struct dos_regs r = { .eax = 0x4900, .es = segment };

	return int21(&r);
}

uint32_t AllocateXmsMemory(uint32_t bytes)
{
	struct dos_regs r = { .eax = 0x8900, .edx = bytes / 1024 + (bytes % 1024 != 0) };

	return dos_xms(&r) == 0 && (uint16_t)r.eax == 1 ? (uint16_t)r.edx : 0;
}

bool FreeXmsMemory(uint32_t handle)
{
	struct dos_regs r = { .eax = 0x0a00, .edx = handle };

	return handle <= 0xffff && dos_xms(&r) == 0 && (uint16_t)r.eax == 1;
}

uint16_t AllocateEmsPages(uint16_t pages)
{
	struct dos_regs r = { .eax = 0x4300, .ebx = pages };

	return dos_int(0x67, &r) == 0 && !(r.eax & 0xff00) ? (uint16_t)r.edx : 0;
}

bool FreeEmsPages(uint16_t handle)
{
	struct dos_regs r = { .eax = 0x4500, .edx = handle };

	return dos_int(0x67, &r) == 0 && !(r.eax & 0xff00);
}

bool MapEmsPageToPhysical(uint16_t handle, uint8_t page_num, uint16_t segment)
{
	/* 5001h reads {logical page, segment} pairs from DS:SI: put one on the stack of the box. */
	struct dos_regs r = { .eax = 0x5001, .ecx = 1, .edx = handle };
	uint16_t pair[2] = { page_num, segment };
	uint16_t *scratch = lin(0x600);	/* DOS's data area, free in a box */
	struct dos_info info;
	uint16_t keep[2];
	bool ok;

	if (dos_info(&info))		/* not a DOS box: there is no scratch memory */
		return false;
	keep[0] = scratch[0];
	keep[1] = scratch[1];

	scratch[0] = pair[0];
	scratch[1] = pair[1];
	r.ds = 0x0060;
	r.esi = 0;
	ok = dos_int(0x67, &r) == 0 && !(r.eax & 0xff00);
	scratch[0] = keep[0];
	scratch[1] = keep[1];
	return ok;
}

uint16_t GetDosMemorySize(void)
{
	struct dos_regs r = { .eax = 0x6200 };
	const uint16_t *psp;

	if (!int21(&r))
		return 0;
	psp = lin((r.ebx & 0xffff) * 16u);
	return (uint16_t)(psp[1] / 64);		/* PSP:0002h, the top of memory, in KiB */
}

uint16_t GetDosLargestBlock(void)
{
	struct dos_regs r = { .eax = 0x4800, .ebx = 0xffff };

	if (int21(&r))			/* cannot happen: 1 MiB of paragraphs never fits */
		return 0xffff;
	return (r.eax & 0xffff) == 8 ? (uint16_t)r.ebx : 0;
}
