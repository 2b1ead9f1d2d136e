// SPDX-License-Identifier: MIT
/*
 * A DOS box's memory manager as a whole: its sizes, its set-up, the
 * interrupt vectors it answers (21h, 2Fh, 67h) and the XMS far call, and
 * the totals MEM prints.
 */
#include "kernel/dos/dosmem.h"

/**
 * dos_box_params_check() - fill in defaults and check the sizes
 * @p: the parameters; zero sizes become the defaults
 *
 * Conventional memory 128..640 KiB; DOS's UMBs 1..96 KiB (C800h..DFFFh, the
 * rest goes to XMS's UMB functions); XMS 1 KiB..1 GiB; EMS a multiple of
 * 16 KiB up to 32 MiB.
 *
 * Return: 0, or -1 if a size is out of range.
 */
int dos_box_params_check(struct dos_box_params *p)
{
	struct dos_config *c = &p->cfg;

	if (!c->conventional_kb)
		c->conventional_kb = DOS_CONV_KB_MAX;
	if (!c->umb_kb)
		c->umb_kb = DOS_UMB_KB_DEFAULT;
	if (!c->xms_kb)
		c->xms_kb = DOS_XMS_KB_DEFAULT;
	if (!c->ems_kb)
		c->ems_kb = DOS_EMS_KB_DEFAULT;
	if (c->conventional_kb < DOS_CONV_KB_MIN || c->conventional_kb > DOS_CONV_KB_MAX ||
	    c->umb_kb > (DOS_UMA_END - DOS_UMA_START) / 64u || c->xms_kb > DOS_XMS_KB_MAX ||
	    c->ems_kb > DOS_EMS_KB_MAX || c->ems_kb % 16)
		return -1;
	if ((uint64_t)p->xms_base + (uint64_t)c->xms_kb * 1024 > 0xffffffffull ||
	    p->xms_base < DOS_BOX_MAP_SIZE)
		return -1;
	return 0;
}

/**
 * dos_box_init() - set up a box's managers on its (zeroed) memory
 * @b: the box
 * @p: checked parameters (dos_box_params_check())
 * @ops: how to reach the memory; @ctx is passed to each
 * @ctx: the owner's context
 *
 * Conventional memory gets its MCB chain (the program's PSP block, the rest
 * free), DOS's UMBs one free block (not linked), A20 starts off (the HMA is
 * an alias of linear 0 until a program enables it), the XMS entry is
 * F000:0010 and every pool is empty.
 *
 * Return: 0, or -1 if the memory could not be written.
 */
int dos_box_init(struct dos_box *b, const struct dos_box_params *p, const struct dos_ops *ops,
		 void *ctx)
{
	static const uint8_t entry[] = { 0x0f, 0x0b, 0xcb };	/* UD2 (the trap), RETF */

	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->ctx = ctx;
	b->conv_top = (uint16_t)(p->cfg.conventional_kb * 64);
	b->umb_start = DOS_UMA_START;
	b->umb_end = (uint16_t)(DOS_UMA_START + p->cfg.umb_kb * 64);
	b->sentinel = (uint16_t)(b->conv_top - 1);
	b->xumb_start = b->umb_end;
	b->xumb_end = DOS_UMA_END;
	b->hma_min = p->hma_min;
	b->xms_base = p->xms_base;
	b->xms_kb = p->cfg.xms_kb;
	b->ems_total = (uint16_t)(p->cfg.ems_kb / 16);
	if (dos_mcb_init(b, p->name) || dos_ems_init(b) || ops->set_a20(ctx, false) ||
	    ops->write(ctx, dos_lin(DOS_BIOS_SEG, DOS_XMS_ENTRY_OFF), entry, sizeof(entry)))
		return -1;
	return 0;
}

/* INT 2Fh: the XMS installation check and entry point; other functions pass. */
static void int2f(struct dos_box *b, struct dos_regs *r)
{
	if (dos_ax(r) == 0x4300) {
		dos_set_lo8(&r->eax, 0x80);
	} else if (dos_ax(r) == 0x4310) {
		r->es = DOS_BIOS_SEG;
		dos_set16(&r->ebx, DOS_XMS_ENTRY_OFF);
	}
}

/**
 * dos_box_int() - a software interrupt of the box's program
 * @b: the box
 * @vector: 0x21, 0x2f or 0x67
 * @r: registers in and out
 *
 * Return: 0, DOS_EXIT (4Ch ended the first program: exit with AL), or -1 for
 * a vector the box does not answer.
 */
int dos_box_int(struct dos_box *b, unsigned vector, struct dos_regs *r)
{
	bool exit = false;

	switch (vector) {
	case 0x21:
		dos_int21(b, r, &exit);
		return exit ? DOS_EXIT : 0;
	case 0x2f:
		int2f(b, r);
		return 0;
	case 0x67:
		dos_int67(b, r);
		return 0;
	}
	return -1;
}

/**
 * dos_box_xms() - a far call to the XMS entry (INT 2Fh 4310h's ES:BX)
 * @b: the box
 * @r: registers in and out
 */
void dos_box_xms(struct dos_box *b, struct dos_regs *r)
{
	dos_xms_call(b, r);
}

struct totals_walk {
	struct dos_box *b;
	struct dos_totals *t;
};

static int add_block(const struct dos_mcb_info *m, void *ctx)
{
	struct dos_totals *t = ((struct totals_walk *)ctx)->t;
	uint32_t bytes = m->paras * 16u;

	if (m->owner != DOS_OWNER_FREE)
		return 0;
	if (m->high) {
		t->umb_free += bytes;
		t->umb_largest = MM_MAX(t->umb_largest, bytes);
	} else {
		t->conv_free += bytes;
		t->conv_largest = MM_MAX(t->conv_largest, bytes);
	}
	return 0;
}

/**
 * dos_box_totals() - the figures of MEM: memory by type, total and free
 * @b: the box
 * @t: filled in; chain_ok is false (and the MCB figures zero) for a broken chain
 */
void dos_box_totals(struct dos_box *b, struct dos_totals *t)
{
	struct totals_walk w = { b, t };

	memset(t, 0, sizeof(*t));
	t->conv_total = b->conv_top * 16u;
	t->umb_total = (uint32_t)(b->umb_end - b->umb_start) * 16u;
	t->chain_ok = dos_mcb_walk(b, add_block, &w) == 0;
	t->hma_total = DOS_HMA_SIZE;
	t->hma_used = b->hma_used;
	t->a20 = b->a20_global || b->a20_local;
	t->xms_total_kb = b->xms_kb;
	for (unsigned i = 0; i < DOS_XMS_HANDLES; i++)
		if (b->xms[i].used) {
			t->xms_handles++;
			t->xms_free_kb += b->xms[i].size_kb;
		}
	t->xms_free_kb = b->xms_kb - t->xms_free_kb;
	t->ems_total_pages = b->ems_total;
	t->ems_free_pages = b->ems_free;
	for (unsigned h = 0; h <= DOS_EMS_HANDLES; h++)
		t->ems_handles += b->ems[h].used;
}
