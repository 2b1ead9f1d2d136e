/* SPDX-License-Identifier: MIT */
/*
 * The DOS memory manager of a DOS box (seed 003's DosMemoryManager), as the
 * real interfaces DOS programs use: the MCB chain of INT 21h (mcb.c), the
 * upper memory blocks and the HMA, an XMS 3.0 driver (xms.c) and a LIM EMS
 * 4.0 manager (ems.c). dos_call.c dispatches registers to them.
 *
 * The engines are portable and freestanding: they hold no memory of their
 * own but reach the box's memory (DOS linear addresses) through struct
 * dos_ops, which the kernel implements on the process's address space and
 * the host tests on arrays. Mapping an EMS page is a callback that changes
 * page-table entries; no engine ever copies page contents to map.
 *
 * Locking: none inside; the owner serializes calls on one box (the kernel
 * holds the box's lock, taken before the address space's).
 */
#ifndef KERNEL_DOS_DOSMEM_H
#define KERNEL_DOS_DOSMEM_H

#include "mm/types.h"
#include "user/include/memcore/dos.h"

/* --- the layout of a box (DOS linear addresses) ------------------------------- */
#define DOS_FIRST_MCB		0x0100	/* segment of the first MCB (below: IVT, BDA, DOS data) */
#define DOS_PSP_PARAS		0x0fff	/* the calling program's block: 64 KiB with its MCB */
#define DOS_CONV_KB_MAX		640
#define DOS_CONV_KB_MIN		128
#define DOS_UMA_START		0xc800	/* upper memory holes: C800h .. DFFFh */
#define DOS_UMA_END		0xe000
#define DOS_UMB_KB_DEFAULT	64	/* linked into DOS's chain; the rest is XMS's (10h) */
#define DOS_EMS_FRAME		0xe000	/* the page frame: four 16 KiB windows */
#define DOS_EMS_WINDOWS		4
#define DOS_EMS_PAGE		0x4000
#define DOS_BIOS_SEG		0xf000
#define DOS_XMS_ENTRY_OFF	0x0010	/* the XMS entry, F000:0010 */
#define DOS_HMA_BASE		0x100000u
#define DOS_HMA_SIZE		0xfff0u
#define DOS_BOX_END		0x10fff0u	/* linear 0 .. 0x10FFEF */
#define DOS_BOX_MAP_SIZE	0x110000u	/* pages mapped for it */

#define DOS_XMS_KB_DEFAULT	16384
#define DOS_XMS_KB_MAX		(1u << 20)	/* 1 GiB */
#define DOS_XMS_HANDLES		64
#define DOS_XUMB_MAX		16
#define DOS_EMS_KB_DEFAULT	4096
#define DOS_EMS_KB_MAX		32768	/* LIM 4.0: 2048 pages */
#define DOS_EMS_MAX_PAGES	(DOS_EMS_KB_MAX / 16)
#define DOS_EMS_HANDLES		255	/* handle 0 is the operating system's */
#define DOS_EMS_NONE		0xffffu

/* MCB owners. */
#define DOS_OWNER_FREE		0x0000
#define DOS_OWNER_SYSTEM	0x0008

/* INT 21h errors (AX). */
#define DOS_E_FUNCTION		1
#define DOS_E_MCB_DESTROYED	7
#define DOS_E_NO_MEMORY		8
#define DOS_E_BAD_BLOCK		9

/* INT 21h 58h strategies. */
#define DOS_FIT_FIRST		0x00
#define DOS_FIT_BEST		0x01
#define DOS_FIT_LAST		0x02
#define DOS_HIGH_ONLY		0x40
#define DOS_HIGH_FIRST		0x80

/* XMS errors (BL). */
#define XMS_E_NOT_IMPL		0x80
#define XMS_E_VDISK		0x81
#define XMS_E_A20		0x82
#define XMS_E_GENERAL		0x8e
#define XMS_E_UNRECOVERABLE	0x8f
#define XMS_E_NO_HMA		0x90
#define XMS_E_HMA_IN_USE	0x91
#define XMS_E_HMA_MIN		0x92
#define XMS_E_HMA_NOT_ALLOC	0x93
#define XMS_E_A20_ON		0x94
#define XMS_E_NO_MEMORY		0xa0
#define XMS_E_NO_HANDLES	0xa1
#define XMS_E_HANDLE		0xa2
#define XMS_E_SRC_HANDLE	0xa3
#define XMS_E_SRC_OFFSET	0xa4
#define XMS_E_DST_HANDLE	0xa5
#define XMS_E_DST_OFFSET	0xa6
#define XMS_E_LENGTH		0xa7
#define XMS_E_OVERLAP		0xa8
#define XMS_E_PARITY		0xa9
#define XMS_E_NOT_LOCKED	0xaa
#define XMS_E_LOCKED		0xab
#define XMS_E_LOCK_OVERFLOW	0xac
#define XMS_E_LOCK_FAIL		0xad
#define XMS_E_UMB_SMALLER	0xb0
#define XMS_E_NO_UMB		0xb1
#define XMS_E_UMB_SEG		0xb2

/* EMS statuses (AH). */
#define EMS_OK			0x00
#define EMS_E_SOFTWARE		0x80
#define EMS_E_HARDWARE		0x81
#define EMS_E_BUSY		0x82
#define EMS_E_HANDLE		0x83
#define EMS_E_FUNCTION		0x84
#define EMS_E_NO_HANDLES	0x85
#define EMS_E_SAVE_RESTORE	0x86
#define EMS_E_TOTAL_PAGES	0x87
#define EMS_E_FREE_PAGES	0x88
#define EMS_E_ZERO_PAGES	0x89
#define EMS_E_LOGICAL		0x8a
#define EMS_E_PHYSICAL		0x8b
#define EMS_E_SAVE_FULL		0x8c
#define EMS_E_SAVED		0x8d
#define EMS_E_NOT_SAVED		0x8e
#define EMS_E_SUBFUNCTION	0x8f
#define EMS_E_CORRUPT_MAP	0xa3

/* How an engine reaches the box's memory and paging. Each returns 0 or -1. */
struct dos_ops {
	int (*read)(void *ctx, uint32_t lin, void *buf, uint32_t n);
	int (*write)(void *ctx, uint32_t lin, const void *buf, uint32_t n);
	int (*move)(void *ctx, uint32_t dst, uint32_t src, uint32_t n);	/* memmove */
	/* Give EMS pool page @page fresh zeroed memory / take it back. */
	int (*ems_alloc)(void *ctx, uint32_t page);
	void (*ems_free)(void *ctx, uint32_t page);
	/* Show pool page @page (DOS_EMS_NONE: nothing) in window @w: page tables only. */
	int (*ems_map)(void *ctx, unsigned w, uint32_t page);
	/* Gate A20: off makes the HMA an alias of linear 0 .. 0xFFEF. */
	int (*set_a20)(void *ctx, bool on);
	/* The bytes of [lin, lin + n) are no longer needed (may be NULL). */
	void (*discard)(void *ctx, uint32_t lin, uint32_t n);
};

struct dos_xms_block {
	uint32_t base_kb, size_kb;	/* in the XMS pool */
	uint8_t used, locks;
};

struct dos_xumb {
	uint16_t seg, paras;		/* an upper memory block given by XMS 10h; paras 0: unused */
};

struct dos_ems_handle {
	uint16_t first, count;		/* its pages: slot[first .. first + count) */
	uint8_t used, saved;
	uint16_t save_h[DOS_EMS_WINDOWS], save_l[DOS_EMS_WINDOWS];	/* 47h's context */
};

/* A DOS box's memory manager. Embed or allocate it; dos_box_init() fills it. */
struct dos_box {
	const struct dos_ops *ops;
	void *ctx;
	/* conventional and upper memory: the MCB chain */
	uint16_t conv_top;		/* segment: end of conventional memory (PSP:0002h) */
	uint16_t sentinel;		/* MCB spanning conv_top-1 .. the UMBs; 0: no UMBs */
	uint16_t umb_start, umb_end;	/* DOS's UMBs: [start, end) segments */
	uint16_t psp;
	uint8_t strategy;
	bool umb_linked;
	/* HMA and A20 */
	bool hma_used, a20_global;
	uint32_t a20_local;
	uint16_t hma_min;		/* HIMEM's /HMAMIN= in KiB */
	/* XMS: the pool at linear xms_base, xms_kb KiB */
	uint32_t xms_base, xms_kb;
	struct dos_xms_block xms[DOS_XMS_HANDLES];
	uint16_t xumb_start, xumb_end;	/* XMS's UMB area, segments */
	struct dos_xumb xumb[DOS_XUMB_MAX];
	/* EMS: a pool of 16 KiB pages */
	uint16_t ems_total, ems_free;
	uint16_t slot_used;		/* slots in use: handles' pages, packed by handle */
	uint16_t slot[DOS_EMS_MAX_PAGES];	/* pool pages of the handles */
	uint16_t free_pages[DOS_EMS_MAX_PAGES];	/* stack of free pool pages */
	struct dos_ems_handle ems[DOS_EMS_HANDLES + 1];
	uint16_t win_h[DOS_EMS_WINDOWS], win_l[DOS_EMS_WINDOWS];	/* what each window shows */
	struct dos_info info;
};

/* The sizes a box is made with (0: default) and the name of its first program. */
struct dos_box_params {
	struct dos_config cfg;
	uint32_t xms_base;		/* linear address of the XMS pool */
	uint16_t hma_min;
	const char *name;
};

/* Check @p and fill in defaults: 0, or -1 for sizes out of range. */
int dos_box_params_check(struct dos_box_params *p);
/* Lay out the box's memory and its managers (the memory reads zero): 0 or -1. */
int dos_box_init(struct dos_box *b, const struct dos_box_params *p, const struct dos_ops *ops,
		 void *ctx);
/* Give back every EMS page (the memory itself is the owner's). */
void dos_box_fini(struct dos_box *b);

/* dos_int()'s result when the program asked to end: exit with status (AL). */
#define DOS_EXIT		1
int dos_box_int(struct dos_box *b, unsigned vector, struct dos_regs *r);	/* 0, DOS_EXIT, -1 (ENOSYS) */
void dos_box_xms(struct dos_box *b, struct dos_regs *r);

/* The engines (mcb.c, xms.c, ems.c). */
void dos_int21(struct dos_box *b, struct dos_regs *r, bool *exit);
void dos_xms_call(struct dos_box *b, struct dos_regs *r);
void dos_int67(struct dos_box *b, struct dos_regs *r);
int dos_mcb_init(struct dos_box *b, const char *name);
int dos_ems_init(struct dos_box *b);

/* One block of the MCB chain, for MEM /C. */
struct dos_mcb_info {
	uint16_t seg;			/* of the MCB; the block starts at seg + 1 */
	uint16_t owner, paras;
	char type;
	char name[9];			/* the owner's name ("" if unknown) */
	bool high;			/* in the upper memory area */
};
typedef int (*dos_mcb_fn)(const struct dos_mcb_info *m, void *ctx);
/* Walk the whole chain (both areas); 0, the callback's nonzero, or -DOS_E_MCB_DESTROYED. */
int dos_mcb_walk(struct dos_box *b, dos_mcb_fn fn, void *ctx);

/* Totals for MEM. */
struct dos_totals {
	uint32_t conv_total, conv_free, conv_largest;	/* bytes */
	uint32_t umb_total, umb_free, umb_largest;
	uint32_t hma_total;
	bool hma_used, a20;
	uint32_t xms_total_kb, xms_free_kb, xms_handles;
	uint32_t ems_total_pages, ems_free_pages, ems_handles;
	bool chain_ok;
};
void dos_box_totals(struct dos_box *b, struct dos_totals *t);

/* MEM /C (mem_report.c), printed through @print. */
typedef void (*dos_print_fn)(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dos_mem_report(struct dos_box *b, dos_print_fn print, void *ctx);

/* Register helpers. */
static inline uint16_t dos_ax(const struct dos_regs *r) { return (uint16_t)r->eax; }
static inline uint16_t dos_bx(const struct dos_regs *r) { return (uint16_t)r->ebx; }
static inline uint16_t dos_cx(const struct dos_regs *r) { return (uint16_t)r->ecx; }
static inline uint16_t dos_dx(const struct dos_regs *r) { return (uint16_t)r->edx; }
static inline uint8_t dos_ah(const struct dos_regs *r) { return (uint8_t)(r->eax >> 8); }
static inline uint8_t dos_al(const struct dos_regs *r) { return (uint8_t)r->eax; }
static inline uint8_t dos_bl(const struct dos_regs *r) { return (uint8_t)r->ebx; }
static inline void dos_set16(uint32_t *reg, uint16_t v) { *reg = (*reg & 0xffff0000u) | v; }
static inline void dos_set_lo8(uint32_t *reg, uint8_t v) { *reg = (*reg & 0xffffff00u) | v; }
static inline void dos_set_hi8(uint32_t *reg, uint8_t v)
{
	*reg = (*reg & 0xffff00ffu) | ((uint32_t)v << 8);
}
static inline uint32_t dos_lin(uint16_t seg, uint16_t off) { return ((uint32_t)seg << 4) + off; }

#endif
