// SPDX-License-Identifier: MIT
/*
 * What a real-mode program in a DOS box calls (the virtual-8086 monitor of
 * arch/i386/v86.c traps the instruction and comes here): INT 21h, 2Fh and
 * 67h and the XMS far call go to the box's manager, as dos_call does; the
 * monitor's own part is DOS's console output (02h, 09h: to descriptor 1)
 * and ending the program (4Ch through the manager, INT 20h as 4C00h).
 */
#include "kernel/arch_hooks.h"
#include "kernel/dos/box.h"
#include "kernel/errno.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/proc.h"
#include "kernel/uaccess.h"

#define DOS_STRING_MAX	0x10000u	/* 09h: a string ends within its segment */

/* INT 21h 09h: the string at DS:DX up to its '$'. */
static void print_string(struct dos_regs *r)
{
	uint32_t lin = ((uint32_t)r->ds << 4) + (r->edx & 0xffff), len = 0;
	char buf[64];

	while (len < DOS_STRING_MAX) {
		uint32_t n = MM_MIN((uint32_t)sizeof(buf), DOS_STRING_MAX - len), i;

		if (copy_from_user(buf, lin + len, n))
			break;
		for (i = 0; i < n && buf[i] != '$'; i++)
			;
		len += i;
		if (i < n)
			break;
	}
	if (len)
		fd_write_user(1, lin, len);
	r->eax = (r->eax & ~0xffu) | '$';
}

/**
 * dos_v86_call() - a software interrupt or XMS call of a box's real-mode program
 * @vector: 0x20, 0x21, 0x2f, 0x67, or MEMCORE_DOS_XMS
 * @r: the program's registers, in and out
 * @scratch: a linear address the call may write a byte at (below the
 *	     program's stack pointer, where a real interrupt pushes its frame)
 *
 * Return: 0 (carry on), DOS_RUN_EXIT | exit code (the program ended), or
 * -ENOSYS (a vector the box does not answer).
 */
long dos_v86_call(unsigned vector, struct dos_regs *r, uint32_t scratch)
{
	struct task *t = current();
	uint8_t ah = (uint8_t)(r->eax >> 8);
	long ret;

	if (vector == 0x20)
		r->eax = 0x4c00;		/* INT 20h: terminate, code 0 */
	else if (vector == 0x21 && ah == 0x02) {
		uint8_t c = (uint8_t)r->edx;

		if (!copy_to_user(scratch, &c, 1))
			fd_write_user(1, scratch, 1);
		r->eax = (r->eax & ~0xffu) | c;
		return 0;
	} else if (vector == 0x21 && ah == 0x09) {
		print_string(r);
		return 0;
	}
	ret = dos_box_call(t, vector == 0x20 ? 0x21 : vector, r);
	if (ret == DOS_EXIT)
		return DOS_RUN_EXIT | (r->eax & 0xff);
	return ret;
}

void **dos_v86_slot(void)
{
	return dos_box_v86_slot(current());
}

bool dos_v86_is_xms_entry(uint32_t cs, uint32_t ip)
{
	return cs == DOS_BIOS_SEG && ip == DOS_XMS_ENTRY_OFF;
}
