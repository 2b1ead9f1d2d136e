/* SPDX-License-Identifier: MIT */
/*
 * memcore's own system calls: numbers above Linux's range (Linux uses
 * 0..511 on x86_64, bit 30 for x32), so a program built for memcore gets
 * ENOSYS from Linux instead of a wrong call. Each family has a block of 16.
 * Arguments and results follow the Linux ABI (-errno on failure).
 */
#ifndef MEMCORE_SYSCALL_H
#define MEMCORE_SYSCALL_H

#define MEMCORE_SYS_BASE	1024
#define MEMCORE_SYS_COUNT	64

/* The DOS box (memcore/dos.h). */
#define MEMCORE_SYS_dos_init	(MEMCORE_SYS_BASE + 0)	/* (const struct dos_config *) */
#define MEMCORE_SYS_dos_call	(MEMCORE_SYS_BASE + 1)	/* (vector or MEMCORE_DOS_XMS, struct dos_regs *) */
#define MEMCORE_SYS_dos_info	(MEMCORE_SYS_BASE + 2)	/* (struct dos_info *) */
#define MEMCORE_DOS_XMS		0x100			/* dos_call: the XMS far call */
#define MEMCORE_SYS_dos_run	(MEMCORE_SYS_BASE + 3)	/* (struct dos_v86 *): virtual-8086 mode */

/* The Windows API (memcore/win32.h): MEMCORE_SYS_BASE + 16 .. + 31; results >= 0 or -ERROR_*. */
#define MEMCORE_SYS_VirtualAlloc	(MEMCORE_SYS_BASE + 16)	/* (addr, size, type, protect) */
#define MEMCORE_SYS_VirtualFree		(MEMCORE_SYS_BASE + 17)	/* (addr, size, type) */
#define MEMCORE_SYS_VirtualQuery	(MEMCORE_SYS_BASE + 18)	/* (addr, MEMORY_BASIC_INFORMATION *, len) */
#define MEMCORE_SYS_VirtualProtect	(MEMCORE_SYS_BASE + 19)	/* (addr, size, protect, DWORD *old) */
#define MEMCORE_SYS_VirtualLock		(MEMCORE_SYS_BASE + 20)	/* (addr, size) */
#define MEMCORE_SYS_VirtualUnlock	(MEMCORE_SYS_BASE + 21)	/* (addr, size) */
#define MEMCORE_SYS_win32_stack		(MEMCORE_SYS_BASE + 22)	/* (reserve, commit): a thread stack's base */
#define MEMCORE_SYS_win32_view_reserve	(MEMCORE_SYS_BASE + 23)	/* (view, size, PAGE_*): SEC_RESERVE view */
#define MEMCORE_SYS_win32_section_name	(MEMCORE_SYS_BASE + 24)	/* (fd, path): name goes with the last user */
#define MEMCORE_SYS_win32_section_reserve	(MEMCORE_SYS_BASE + 25)	/* (fd, PAGE_*|SEC_RESERVE or 0): commit state */
#define MEMCORE_SYS_win32_main_stack	(MEMCORE_SYS_BASE + 26)	/* (sp, reserve): main stack by guard pages */
#define MEMCORE_SYS_win32_write_watch	(MEMCORE_SYS_BASE + 28)	/* (addr, size, PVOID *, ULONG_PTR *count, flags) */
/* si_code of the SIGSEGV a PAGE_GUARD page raises (beside SEGV_MAPERR/SEGV_ACCERR). */
#define MEMCORE_SEGV_GUARD		0x4701
/* ... and of the one a thread stack raises when its reservation is used up. */
#define MEMCORE_SEGV_STACK		0x4702

/* Memory figures: MEMCORE_SYS_BASE + 32 .. + 47. */
#define MEMCORE_SYS_free_frames	(MEMCORE_SYS_BASE + 32)	/* (): free frames, caches drained */
#define MEMCORE_SYS_swap_stats	(MEMCORE_SYS_BASE + 33)	/* (struct memcore_swap_stats *), memcore/swap.h */
#define MEMCORE_SYS_oom_score_adj	(MEMCORE_SYS_BASE + 34)	/* (pid or 0, const int *new, int *old): 0 */

#endif
