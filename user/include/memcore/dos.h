/* SPDX-License-Identifier: MIT */
/*
 * memcore's DOS box: a process whose linear addresses 0 .. 0x10FFEF are a DOS
 * machine's memory (conventional memory with its MCB chain, the upper memory
 * area, the HMA), with DOS's INT 21h memory functions, an XMS 3.0 driver and
 * a LIM EMS 4.0 manager whose page frame is at segment E000h.
 *
 * Registers go in and out exactly as the DOS, XMS and EMS references define
 * them; CF is bit 0 of eflags. A DOS linear address is a pointer in the
 * process: (void *)(uintptr_t)(segment * 16 + offset).
 */
#ifndef MEMCORE_DOS_H
#define MEMCORE_DOS_H

#include <stdbool.h>
#include <stdint.h>

struct dos_regs { uint32_t eax, ebx, ecx, edx, esi, edi, ebp; uint16_t ds, es; uint32_t eflags; };
struct dos_config { uint32_t conventional_kb, umb_kb, xms_kb, ems_kb; };  /* 0 = default */
int dos_init(const struct dos_config *cfg);  /* make this process a DOS box: 0 or -errno */
int dos_int(unsigned vector, struct dos_regs *r);  /* INT 21h, 2Fh, 67h: 0, or -ENOSYS for others */
int dos_xms(struct dos_regs *r);  /* a far call to the XMS driver entry */

/* Carry flag in dos_regs.eflags. */
#define DOS_CF	0x1u

/* Figures of the box (memcore extension): the cost of EMS mapping. */
struct dos_info {
	uint64_t ems_maps;		/* logical pages mapped or unmapped in a window */
	uint64_t ems_pte_writes;	/* page-table entries written for them */
	uint64_t ems_tlb_flushes;	/* TLB flush operations for them */
	uint64_t ems_copies;		/* bytes copied to map them: always 0 */
};
int dos_info(struct dos_info *info);	/* 0 or -errno (-ENOSYS: not a DOS box kernel) */

/*
 * Real-mode programs (memcore extension, the i386 kernel only): dos_run()
 * runs the box's memory as a real-mode machine in virtual-8086 mode from
 * cs:ip with the registers given. INT 21h (the memory functions, 02h/09h
 * console output to descriptor 1, 4Ch/INT 20h exit), INT 2Fh, INT 67h and
 * far calls to the XMS entry go to the same manager as dos_int()/dos_xms().
 * It returns when the program ends: DOS_RUN_EXIT | its exit code; or
 * -ENOSYS (an instruction or interrupt the monitor does not provide: the
 * state and the bytes at cs:ip are written back), -EFAULT (an exception in
 * the program: @fault is its vector), -EINTR (a signal), -EINVAL (not a
 * box), or -ENOSYS from a kernel without virtual-8086 mode (x86_64).
 */
struct dos_v86 {
	struct dos_regs r;		/* general registers, ds, es; eflags: the arithmetic flags */
	uint16_t cs, ip, ss, sp;
	uint32_t fault;			/* out: the exception vector, or 0 */
	uint8_t code[4];		/* out: the bytes at cs:ip where it stopped */
};
#define DOS_RUN_EXIT	0x100
int dos_run(struct dos_v86 *state);

/*
 * Seed 003's DosMemoryManager, as C functions over the same manager.
 * Failures return 0 (a segment, handle or size) or false.
 */
uint16_t AllocateDosMemory(uint16_t paragraphs);	/* INT 21h 48h: the segment */
bool FreeDosMemory(uint16_t segment);			/* INT 21h 49h */
uint32_t AllocateXmsMemory(uint32_t bytes);		/* XMS 89h (KiB rounded up): the handle */
bool FreeXmsMemory(uint32_t handle);			/* XMS 0Ah */
uint16_t AllocateEmsPages(uint16_t pages);		/* INT 67h 43h: the handle */
bool FreeEmsPages(uint16_t handle);			/* INT 67h 45h */
/* INT 67h 5001h: logical page @page_num of @handle at the window starting at @segment. */
bool MapEmsPageToPhysical(uint16_t handle, uint8_t page_num, uint16_t segment);
uint16_t GetDosMemorySize(void);			/* conventional memory in KiB (PSP:0002h) */
uint16_t GetDosLargestBlock(void);			/* largest free block, in paragraphs */

#endif
