// SPDX-License-Identifier: MIT
/*
 * The DOS box's engines on the host: the MCB chain (INT 21h), XMS 3.0 and
 * LIM EMS 4.0, function by function and error code by error code, as
 * tables of calls with the registers each must return, plus the data
 * paths: EMS windows showing logical pages without copies, the A20 wrap,
 * XMS moves, and a corrupted chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/dos_sim.h"

#define X	0xffffffffu	/* don't care */
enum { I21 = 0x21, I2F = 0x2f, I67 = 0x67, XMS = 0x100 };

struct step {
	int line;
	unsigned call;
	uint32_t ax, bx, cx, dx;
	uint16_t es;
	uint32_t oax, obx, ocx, odx;	/* 16-bit results expected, or X */
	int ocf;			/* carry expected, or -1 */
};

#define S(c, ax, bx, cx, dx, es, oax, obx, ocx, odx, ocf) \
	{ __LINE__, c, ax, bx, cx, dx, es, oax, obx, ocx, odx, ocf }

static struct dos_config small = { 640, 64, 1024, 256 };

static void call(struct dos_sim *s, unsigned c, struct dos_regs *r)
{
	if (c == XMS)
		dos_box_xms(&s->box, r);
	else
		assert_true(dos_box_int(&s->box, c, r) >= 0);
}

static void run(struct dos_sim *s, const struct step *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dos_regs r = { .eax = t[i].ax, .ebx = t[i].bx, .ecx = t[i].cx,
				      .edx = t[i].dx, .es = t[i].es, .eflags = 0x202 };
		bool bad = false;

		call(s, t[i].call, &r);
		bad |= t[i].oax != X && (r.eax & 0xffff) != t[i].oax;
		bad |= t[i].obx != X && (r.ebx & 0xffff) != t[i].obx;
		bad |= t[i].ocx != X && (r.ecx & 0xffff) != t[i].ocx;
		bad |= t[i].odx != X && (r.edx & 0xffff) != t[i].odx;
		bad |= t[i].ocf >= 0 && (int)(r.eflags & DOS_CF) != t[i].ocf;
		if (bad)
			fail_msg("line %d: got AX=%04x BX=%04x CX=%04x DX=%04x CF=%u", t[i].line,
				 r.eax & 0xffff, r.ebx & 0xffff, r.ecx & 0xffff, r.edx & 0xffff,
				 r.eflags & DOS_CF);
	}
}

#define RUN(s, t)	run(s, t, sizeof(t) / sizeof(t[0]))

/* --- INT 21h: the MCB chain --------------------------------------------------------- */

/*
 * After set-up: PSP 0101h (block 0101h..10FFh), free 1100h (8EFEh paragraphs)
 * up to the SC block at 9FFFh, DOS's UMBs C800h (0FFFh), XMS's D800h..DFFFh.
 */
static const struct step mcb_steps[] = {
	S(I21, 0x4800, 0xffff, 0, 0, 0, 0x0008, 0x8efe, X, X, 1),	/* largest */
	S(I21, 0x4800, 0x0100, 0, 0, 0, 0x1101, X, X, X, 0),		/* first fit */
	S(I21, 0x4800, 0x0100, 0, 0, 0, 0x1202, X, X, X, 0),
	S(I21, 0x4900, 0, 0, 0, 0x1101, X, X, X, X, 0),			/* free */
	S(I21, 0x4800, 0xffff, 0, 0, 0, 0x0008, 0x8cfc, X, X, 1),
	S(I21, 0x5801, 0x0001, 0, 0, 0, X, X, X, X, 0),			/* best fit */
	S(I21, 0x5800, 0, 0, 0, 0, 0x0001, X, X, X, 0),
	S(I21, 0x4800, 0x0080, 0, 0, 0, 0x1101, X, X, X, 0),		/* the small hole */
	S(I21, 0x5801, 0x0002, 0, 0, 0, X, X, X, X, 0),			/* last fit */
	S(I21, 0x4800, 0x0010, 0, 0, 0, 0x9fef, X, X, X, 0),		/* top of the last */
	S(I21, 0x4900, 0, 0, 0, 0x1234, 0x0009, X, X, X, 1),		/* not a block */
	S(I21, 0x4900, 0, 0, 0, 0x0000, 0x0009, X, X, X, 1),
	S(I21, 0x4a00, 0x0200, 0, 0, 0x1202, X, X, X, X, 0),		/* grow in place */
	S(I21, 0x4a00, 0xffff, 0, 0, 0x1202, 0x0008, 0x8dec, X, X, 1),	/* the most it can */
	S(I21, 0x4800, 0x0001, 0, 0, 0, 0x1200, X, X, X, 0),		/* last fit: top of 1181h's */
	S(I21, 0x4a00, 0x0100, 0, 0, 0x1202, X, X, X, X, 0),		/* shrink */
	S(I21, 0x4a00, 0x0100, 0, 0, 0x1235, 0x0009, X, X, X, 1),
	S(I21, 0x4a00, 0x0001, 0, 0, 0xa000, 0x0009, X, X, X, 1),	/* the SC block */
	S(I21, 0x4900, 0, 0, 0, 0xa000, 0x0009, X, X, X, 1),
	S(I21, 0x5801, 0x0003, 0, 0, 0, 0x0001, X, X, X, 1),		/* bad strategies */
	S(I21, 0x5801, 0x0043, 0, 0, 0, 0x0001, X, X, X, 1),
	S(I21, 0x5801, 0x00c0, 0, 0, 0, 0x0001, X, X, X, 1),
	S(I21, 0x5801, 0x0100, 0, 0, 0, 0x0001, X, X, X, 1),
	S(I21, 0x5804, 0, 0, 0, 0, 0x0001, X, X, X, 1),			/* bad subfunction */
	S(I21, 0x5802, 0, 0, 0, 0, 0x5800, X, X, X, 0),			/* not linked */
	S(I21, 0x5803, 0x0002, 0, 0, 0, 0x0001, X, X, X, 1),
	S(I21, 0x5801, 0x0041, 0, 0, 0, X, X, X, X, 0),			/* high only, best */
	S(I21, 0x4800, 0x0010, 0, 0, 0, 0x1182, X, X, X, 0),		/* unlinked: low */
	S(I21, 0x5803, 0x0001, 0, 0, 0, X, X, X, X, 0),			/* link */
	S(I21, 0x5802, 0, 0, 0, 0, 0x5801, X, X, X, 0),
	S(I21, 0x4800, 0x0010, 0, 0, 0, 0xc801, X, X, X, 0),		/* high */
	S(I21, 0x5801, 0x0080, 0, 0, 0, X, X, X, X, 0),			/* high first */
	S(I21, 0x4800, 0x0020, 0, 0, 0, 0xc812, X, X, X, 0),
	S(I21, 0x4800, 0x2000, 0, 0, 0, 0x1303, X, X, X, 0),		/* high too small: low */
	S(I21, 0x5801, 0x0040, 0, 0, 0, X, X, X, X, 0),			/* high only */
	S(I21, 0x4800, 0x2000, 0, 0, 0, 0x0008, 0x0fcd, X, X, 1),	/* largest high block */
	S(I21, 0x5803, 0x0000, 0, 0, 0, X, X, X, X, 0),			/* unlink */
	S(I21, 0x4800, 0x0010, 0, 0, 0, 0x1193, X, X, X, 0),		/* high strategy, low */
	S(I21, 0x5800, 0, 0, 0, 0, 0x0040, X, X, X, 0),
	S(I21, 0x5100, 0, 0, 0, 0, X, 0x0101, X, X, 0),			/* PSP */
	S(I21, 0x6200, 0, 0, 0, 0, X, 0x0101, X, X, 0),
	S(I21, 0x5000, 0x2345, 0, 0, 0, X, X, X, X, 0),
	S(I21, 0x6200, 0, 0, 0, 0, X, 0x2345, X, X, 0),
	S(I21, 0x5000, 0x0101, 0, 0, 0, X, X, X, X, 0),
	S(I21, 0x0100, 0, 0, 0, 0, 0x0001, X, X, X, 1),			/* not ours */
};

static void test_mcb_functions(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);

	(void)state;
	RUN(s, mcb_steps);
	assert_int_equal(dos_sim_free(s), 0);
}

/* The chain as MEM /C sees it: count blocks, check each header is where the last said. */
struct chain_walk {
	unsigned blocks, free_blocks;
	uint16_t next;
	bool gap;
};

static int count_block(const struct dos_mcb_info *m, void *ctx)
{
	struct chain_walk *w = ctx;

	if (w->next && m->seg != w->next && !(m->high && !w->gap && (w->gap = true)))
		fail_msg("block at %04x, expected %04x", m->seg, w->next);
	w->next = (uint16_t)(m->seg + 1 + m->paras);
	w->blocks++;
	w->free_blocks += m->owner == DOS_OWNER_FREE;
	return 0;
}

static void test_mcb_layout(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct chain_walk w = { 0 };
	struct dos_totals t;
	uint8_t *mcb = s->low + 0x1000;

	(void)state;
	/* The first MCB: 'M', owner = the PSP, 0FFFh paragraphs, the program's name. */
	assert_int_equal(mcb[0], 'M');
	assert_int_equal(mcb[1] | mcb[2] << 8, 0x0101);
	assert_int_equal(mcb[3] | mcb[4] << 8, 0x0fff);
	assert_memory_equal(mcb + 8, "TEST", 4);
	/* The PSP: INT 20h, the top of memory, its own parent. */
	assert_int_equal(s->low[0x1010], 0xcd);
	assert_int_equal(s->low[0x1012] | s->low[0x1013] << 8, 0xa000);
	assert_int_equal(dos_mcb_walk(&s->box, count_block, &w), 0);
	assert_int_equal(w.blocks, 4);		/* PSP, free, SC, UMB */
	assert_int_equal(w.free_blocks, 2);
	assert_int_equal(s->low[0x11000], 'Z');	/* unlinked: the low free block ends it */
	dos_box_totals(&s->box, &t);
	assert_true(t.chain_ok);
	assert_int_equal(t.conv_total, 640 * 1024);
	assert_int_equal(t.conv_free, 0x8efe * 16);
	assert_int_equal(t.umb_total, 64 * 1024);
	assert_int_equal(t.umb_free, 0xfff * 16);
	assert_int_equal(t.xms_total_kb, 1024);
	assert_int_equal(t.ems_total_pages, 16);
	assert_int_equal(t.ems_handles, 1);
	assert_int_equal(dos_sim_free(s), 0);
}

static void test_mcb_corrupt(void **state)
{
	static const struct step broken[] = {
		S(I21, 0x4800, 0x0010, 0, 0, 0, 0x0007, X, X, X, 1),
		S(I21, 0x4900, 0, 0, 0, 0x0101, 0x0007, X, X, X, 1),
		S(I21, 0x4a00, 0x0010, 0, 0, 0x0101, 0x0007, X, X, X, 1),
		S(I21, 0x5803, 0x0001, 0, 0, 0, 0x0007, X, X, X, 1),
		S(I21, 0x4c00, 0, 0, 0, 0, 0x0007, X, X, X, 1),
	};
	struct dos_sim *s;
	struct dos_totals t;
	struct chain_walk w = { 0 };

	(void)state;
	/* A bad type byte. */
	s = dos_sim_new(small, 0);
	s->low[0x11000] = 'X';
	RUN(s, broken);
	assert_int_equal(dos_mcb_walk(&s->box, count_block, &w), -DOS_E_MCB_DESTROYED);
	dos_box_totals(&s->box, &t);
	assert_false(t.chain_ok);
	dos_sim_free(s);
	/* A size running past the end of conventional memory. */
	s = dos_sim_new(small, 0);
	s->low[0x11003] = 0xff;
	s->low[0x11004] = 0xff;
	RUN(s, broken);
	dos_sim_free(s);
	/* An 'M' that should be the last ('Z'), and a broken SC block. */
	s = dos_sim_new(small, 0);
	s->low[0x11000] = 'M';
	RUN(s, broken);
	s->low[0x11000] = 'Z';
	s->low[0x9fff0] = 'Z';
	RUN(s, broken);
	dos_sim_free(s);
	/* Every size a program could write at the first MCB: never a crash. */
	s = dos_sim_new(small, 0);
	for (unsigned v = 0; v < 0x10000; v += 7) {
		struct dos_regs r = { .eax = 0x4800, .ebx = 0x10 };

		s->low[0x1003] = (uint8_t)v;
		s->low[0x1004] = (uint8_t)(v >> 8);
		dos_box_int(&s->box, 0x21, &r);
		assert_true(!(r.eflags & DOS_CF) || (r.eax & 0xffff) == 7 || (r.eax & 0xffff) == 8);
	}
	dos_sim_free(s);
}

/* 4Ch: a child PSP's blocks go back, the parent is current again; the first program exits. */
static void test_mcb_terminate(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r = { .eax = 0x4800, .ebx = 0x10 };
	uint16_t child, a, parent = 0x0101;

	(void)state;
	dos_box_int(&s->box, 0x21, &r);
	child = (uint16_t)r.eax;
	memcpy(s->low + child * 16 + 0x16, &parent, 2);
	r = (struct dos_regs){ .eax = 0x5000, .ebx = child };
	dos_box_int(&s->box, 0x21, &r);
	/* The child's block still belongs to the parent; give it to the child as DOS's EXEC does. */
	s->low[(child - 1) * 16 + 1] = (uint8_t)child;
	s->low[(child - 1) * 16 + 2] = (uint8_t)(child >> 8);
	for (int i = 0; i < 3; i++) {
		r = (struct dos_regs){ .eax = 0x4800, .ebx = 0x100 };
		assert_int_equal(dos_box_int(&s->box, 0x21, &r), 0);
	}
	a = (uint16_t)r.eax;
	r = (struct dos_regs){ .eax = 0x4c05 };
	assert_int_equal(dos_box_int(&s->box, 0x21, &r), 0);	/* back to the parent */
	assert_false(r.eflags & DOS_CF);
	r = (struct dos_regs){ .eax = 0x6200 };
	dos_box_int(&s->box, 0x21, &r);
	assert_int_equal(r.ebx & 0xffff, 0x0101);
	/* Everything the child had is one free block again. */
	r = (struct dos_regs){ .eax = 0x4800, .ebx = 0xffff };
	dos_box_int(&s->box, 0x21, &r);
	assert_int_equal(r.ebx & 0xffff, 0x8efe);
	assert_true(a > child);
	r = (struct dos_regs){ .eax = 0x4c07 };
	assert_int_equal(dos_box_int(&s->box, 0x21, &r), DOS_EXIT);
	assert_int_equal(dos_sim_free(s), 0);
}

/* Without UMBs linked into DOS (umb_kb = 96: all of them DOS's) and the sizes checked. */
static void test_params(void **state)
{
	struct dos_config bad[] = {
		{ 64, 0, 0, 0 }, { 641, 0, 0, 0 }, { 0, 97, 0, 0 }, { 0, 0, DOS_XMS_KB_MAX + 1, 0 },
		{ 0, 0, 0, 8 }, { 0, 0, 0, DOS_EMS_KB_MAX + 16 },
	};
	struct dos_sim *s;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(dos_sim_new(bad[i], 0));
	s = dos_sim_new((struct dos_config){ 512, 96, 64, 16 }, 0);
	assert_non_null(s);
	static const struct step t[] = {
		S(I21, 0x4800, 0xffff, 0, 0, 0, 0x0008, 0x6efe, X, X, 1),
		S(XMS, 0x1000, 0, 0, 0x0001, 0, 0x0000, 0x00b1, X, 0x0000, -1),	/* no UMB left */
		S(I67, 0x4200, 0, 0, 0, 0, 0x0000, 0x0001, X, 0x0001, -1),
	};
	RUN(s, t);
	dos_sim_free(s);
}

/* --- XMS ------------------------------------------------------------------------------- */

static const struct step xms_steps[] = {
	S(I2F, 0x4300, 0, 0, 0, 0, 0x4380, X, X, X, -1),		/* installed */
	S(I2F, 0x4310, 0, 0, 0, 0, X, 0x0010, X, X, -1),		/* entry F000:0010 */
	S(XMS, 0x0000, 0, 0, 0, 0, 0x0300, 0x0301, X, 0x0001, -1),	/* version, HMA */
	S(XMS, 0x0800, 0, 0, 0, 0, 0x0400, 0x0000, X, 0x0400, -1),	/* free: 1 MiB */
	S(XMS, 0x0900, 0, 0, 0x0100, 0, 0x0001, X, X, 0x0001, -1),
	S(XMS, 0x0900, 0, 0, 0x0301, 0, 0x0000, 0x00a0, X, X, -1),	/* too big */
	S(XMS, 0x0900, 0, 0, 0x0300, 0, 0x0001, X, X, 0x0002, -1),
	S(XMS, 0x0800, 0, 0, 0, 0, 0x0000, 0x00a0, X, 0x0000, -1),	/* all allocated */
	S(XMS, 0x0a00, 0, 0, 0x0001, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0a00, 0, 0, 0x0001, 0, 0x0000, 0x00a2, X, X, -1),	/* freed already */
	S(XMS, 0x0a00, 0, 0, 0x0000, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0a00, 0, 0, 0x1234, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0c00, 0, 0, 0x0002, 0, 0x0001, 0x0000, X, 0x0104, -1),	/* lock: linear address */
	S(XMS, 0x0a00, 0, 0, 0x0002, 0, 0x0000, 0x00ab, X, X, -1),	/* locked */
	S(XMS, 0x0f00, 0x0010, 0, 0x0002, 0, 0x0000, 0x00ab, X, X, -1),
	S(XMS, 0x0e00, 0, 0, 0x0002, 0, 0x0001, 0x013f, X, 0x0300, -1),	/* 1 lock, 63 free */
	S(XMS, 0x0d00, 0, 0, 0x0002, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0d00, 0, 0, 0x0002, 0, 0x0000, 0x00aa, X, X, -1),	/* not locked */
	S(XMS, 0x0d00, 0, 0, 0x0009, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0c00, 0, 0, 0x0009, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0e00, 0, 0, 0x0009, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0f00, 0x0400, 0, 0x0002, 0, 0x0001, X, X, X, -1),	/* grows by moving */
	S(XMS, 0x0e00, 0, 0, 0x0002, 0, 0x0001, 0x003f, X, 0x0400, -1),
	S(XMS, 0x0c00, 0, 0, 0x0002, 0, 0x0001, 0x0000, X, 0x0100, -1),	/* moved to the start */
	S(XMS, 0x0d00, 0, 0, 0x0002, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0f00, 0x0401, 0, 0x0002, 0, 0x0000, 0x04a0, X, X, -1),	/* BL only */
	S(XMS, 0x0f00, 0x0001, 0, 0x0009, 0, 0x0000, 0x00a2, X, X, -1),
	S(XMS, 0x0f00, 0x0100, 0, 0x0002, 0, 0x0001, X, X, X, -1),	/* shrink */
	S(XMS, 0x0800, 0, 0, 0, 0, 0x0300, 0x0000, X, 0x0300, -1),
	/* HMA */
	S(XMS, 0x0100, 0, 0, 0xffff, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0100, 0, 0, 0xffff, 0, 0x0000, 0x0091, X, X, -1),	/* in use */
	S(XMS, 0x0200, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0200, 0, 0, 0, 0, 0x0000, 0x0093, X, X, -1),		/* not allocated */
	/* A20 */
	S(XMS, 0x0700, 0, 0, 0, 0, 0x0000, 0x0000, X, X, -1),		/* starts off */
	S(XMS, 0x0300, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0700, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0500, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0400, 0, 0, 0, 0, 0x0000, 0x0094, X, X, -1),		/* still on (local) */
	S(XMS, 0x0700, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0600, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0700, 0, 0, 0, 0, 0x0000, X, X, X, -1),
	S(XMS, 0x0500, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0500, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x0600, 0, 0, 0, 0, 0x0000, 0x0094, X, X, -1),		/* one local enable left */
	S(XMS, 0x0600, 0, 0, 0, 0, 0x0001, X, X, X, -1),
	/* UMBs: D800h..DFFFh are XMS's */
	S(XMS, 0x1000, 0, 0, 0x0100, 0, 0x0001, 0xd800, X, 0x0100, -1),
	S(XMS, 0x1000, 0, 0, 0x0800, 0, 0x0000, 0x00b0, X, 0x0700, -1),	/* smaller one */
	S(XMS, 0x1000, 0, 0, 0x0000, 0, 0x0000, 0x00b0, X, 0x0700, -1),
	S(XMS, 0x1200, 0x0200, 0, 0xd800, 0, 0x0001, X, X, X, -1),	/* grow in place */
	S(XMS, 0x1200, 0x0900, 0, 0xd800, 0, 0x0000, 0x09b0, X, 0x0800, -1),
	S(XMS, 0x1200, 0x0100, 0, 0x1234, 0, 0x0000, 0x01b2, X, X, -1),
	S(XMS, 0x1100, 0, 0, 0xd800, 0, 0x0001, X, X, X, -1),
	S(XMS, 0x1100, 0, 0, 0xd800, 0, 0x0000, 0x00b2, X, X, -1),
	S(XMS, 0x1000, 0, 0, 0x0800, 0, 0x0001, 0xd800, X, 0x0800, -1),	/* all of it */
	S(XMS, 0x1000, 0, 0, 0x0001, 0, 0x0000, 0x00b1, X, 0x0000, -1),	/* none left */
	/* not XMS 3.0 functions */
	S(XMS, 0x8a00, 0, 0, 0, 0, 0x0000, 0x0080, X, X, -1),
	S(XMS, 0x8d00, 0, 0, 0, 0, 0x0000, 0x0080, X, X, -1),
	S(XMS, 0x1300, 0, 0, 0, 0, 0x0000, 0x0080, X, X, -1),
	S(XMS, 0xff00, 0, 0, 0, 0, 0x0000, 0x0080, X, X, -1),
};

static void test_xms_functions(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);

	(void)state;
	RUN(s, xms_steps);
	assert_true(s->discards > 0);		/* freed and shrunk blocks gave their memory back */
	dos_sim_free(s);
}

static void test_xms_hma_a20(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 32);	/* /HMAMIN=32 */
	static const struct step t[] = {
		S(XMS, 0x0100, 0, 0, 0x1000, 0, 0x0000, 0x0092, X, X, -1),	/* under HMAMIN */
		S(XMS, 0x0100, 0, 0, 0x8000, 0, 0x0001, X, X, X, -1),
	};
	struct dos_regs r;

	(void)state;
	RUN(s, t);
	/* A20 off: the HMA is linear 0 again; on: its own memory. */
	s->low[0x10] = 0x5a;
	assert_int_equal(*dos_sim_byte(s, DOS_HMA_BASE + 0x10), 0x5a);
	r = (struct dos_regs){ .eax = 0x0300 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(*dos_sim_byte(s, DOS_HMA_BASE + 0x10), 0);
	/* A platform that cannot switch A20: 82h, and the state is unchanged. */
	r = (struct dos_regs){ .eax = 0x0400 };
	s->fail_a20 = true;
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 0);
	assert_int_equal(r.ebx & 0xff, 0x82);
	r = (struct dos_regs){ .eax = 0x0700 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	dos_sim_free(s);
}

/*
 * A zero-length block holds no KiB, so the next block may start where it
 * starts; growing it then must move it, not overlap that block (the DOS
 * fuzzer's find: free KiB went missing).
 */
static void test_xms_grow_empty_block(void **state)
{
	struct dos_sim *s = dos_sim_new((struct dos_config){ 0, 0, 1024, 16 }, 0);
	struct dos_regs r = { .eax = 0x0900, .edx = 32 };
	uint16_t first, empty, full;

	(void)state;
	dos_box_xms(&s->box, &r);		/* KiB 0..31 */
	assert_int_equal(r.eax & 0xffff, 1);
	first = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x0900, .edx = 0 };
	dos_box_xms(&s->box, &r);		/* starts at KiB 32 */
	assert_int_equal(r.eax & 0xffff, 1);
	empty = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x0a00, .edx = first };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	r = (struct dos_regs){ .eax = 0x0900, .edx = 64 };	/* KiB 0..63, over its start */
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	full = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x0f00, .ebx = 16, .edx = empty };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	r = (struct dos_regs){ .eax = 0x0800 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.edx & 0xffff, 1024 - 64 - 16);
	/* Locked, the two lie apart. */
	uint32_t lin[2];
	uint16_t h[2] = { empty, full };

	for (int i = 0; i < 2; i++) {
		r = (struct dos_regs){ .eax = 0x0c00, .edx = h[i] };
		dos_box_xms(&s->box, &r);
		assert_int_equal(r.eax & 0xffff, 1);
		lin[i] = (r.edx & 0xffff) << 16 | (r.ebx & 0xffff);
	}
	assert_true(lin[0] >= lin[1] + 64 * 1024 || lin[0] + 16 * 1024 <= lin[1]);
	dos_sim_free(s);
}

/* 88h, 89h, 8Eh, 8Fh: the 32-bit functions. */
static void test_xms_any(void **state)
{
	struct dos_sim *s = dos_sim_new((struct dos_config){ 0, 0, 128 * 1024, 16 }, 0);
	struct dos_regs r = { .eax = 0x8800 };
	uint16_t h;

	(void)state;
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax, 128 * 1024);
	assert_int_equal(r.edx, 128 * 1024);
	assert_int_equal(r.ecx, SIM_XMS_BASE + 128 * 1024 * 1024 - 1);
	assert_int_equal(r.ebx & 0xff, 0);
	r = (struct dos_regs){ .eax = 0x8900, .edx = 70000 };		/* > 64 MiB */
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	h = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x8e00, .edx = h };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	assert_int_equal(r.edx, 70000);
	assert_int_equal(r.ecx & 0xffff, DOS_XMS_HANDLES - 1);
	r = (struct dos_regs){ .eax = 0x0e00, .edx = h };		/* too big for 0Eh */
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 0);
	r = (struct dos_regs){ .eax = 0x8f00, .ebx = 131072, .edx = h };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);
	r = (struct dos_regs){ .eax = 0x8800 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx & 0xff, 0xa0);
	r = (struct dos_regs){ .eax = 0x8f00, .ebx = 131073, .edx = h };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0xa0);
	r = (struct dos_regs){ .eax = 0x8e00, .edx = 77 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0xa2);
	r = (struct dos_regs){ .eax = 0x8f00, .ebx = 1, .edx = 77 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0xa2);
	/* All handles in use (zero-length blocks take no memory but a handle). */
	r = (struct dos_regs){ .eax = 0x8f00, .ebx = 0, .edx = h };
	dos_box_xms(&s->box, &r);
	for (unsigned i = 1; i < DOS_XMS_HANDLES; i++) {
		r = (struct dos_regs){ .eax = 0x0900, .edx = 0 };
		dos_box_xms(&s->box, &r);
		assert_int_equal(r.eax & 0xffff, 1);
	}
	r = (struct dos_regs){ .eax = 0x8900, .edx = 1 };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0xa1);
	r = (struct dos_regs){ .eax = 0x0e00, .edx = h };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0);			/* no free handle */
	/* Lock count overflow. */
	for (int i = 0; i < 255; i++) {
		r = (struct dos_regs){ .eax = 0x0c00, .edx = h };
		dos_box_xms(&s->box, &r);
		assert_int_equal(r.eax & 0xffff, 1);
	}
	r = (struct dos_regs){ .eax = 0x0c00, .edx = h };
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.ebx & 0xff, 0xac);
	dos_sim_free(s);
}

/* 0Bh: the move structure at DS:SI, every error, data through both kinds of address. */
static void xmove(struct dos_sim *s, uint32_t len, uint16_t sh, uint32_t so, uint16_t dh,
		  uint32_t dof, uint32_t expect_ax, uint8_t expect_bl)
{
	uint8_t m[16];
	struct dos_regs r = { .eax = 0x0b00, .ds = 0x2000, .esi = 0x0010 };

	memcpy(m, &len, 4);
	memcpy(m + 4, &sh, 2);
	memcpy(m + 6, &so, 4);
	memcpy(m + 10, &dh, 2);
	memcpy(m + 12, &dof, 4);
	memcpy(s->low + 0x20010, m, 16);
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, expect_ax);
	if (!expect_ax)
		assert_int_equal(r.ebx & 0xff, expect_bl);
}

static void test_xms_move(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r = { .eax = 0x0900, .edx = 8 };
	uint16_t a, b;

	(void)state;
	dos_box_xms(&s->box, &r);
	a = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x0900, .edx = 8 };
	dos_box_xms(&s->box, &r);
	b = (uint16_t)r.edx;
	for (int i = 0; i < 4096; i++)
		s->low[0x30000 + i] = (uint8_t)(i * 7);
	xmove(s, 4096, 0, 0x30000000, a, 100, 1, 0);			/* conventional -> a */
	assert_memory_equal(s->xms + 100, s->low + 0x30000, 4096);
	xmove(s, 4096, a, 100, b, 0, 1, 0);				/* a -> b */
	assert_memory_equal(s->xms + 8192, s->low + 0x30000, 4096);
	xmove(s, 4096, b, 0, 0, 0x40000000, 1, 0);			/* b -> conventional */
	assert_memory_equal(s->low + 0x40000, s->low + 0x30000, 4096);
	xmove(s, 0, a, 0, b, 0, 1, 0);					/* nothing */
	xmove(s, 4096, a, 0, a, 2, 0, 0xa8);				/* overlapping upward */
	xmove(s, 4096, a, 2, a, 0, 1, 0);				/* downward is allowed */
	xmove(s, 16, 9, 0, b, 0, 0, 0xa3);
	xmove(s, 16, a, 9000, b, 0, 0, 0xa4);
	xmove(s, 32, 0, 0xfffffff0, b, 0, 0, 0xa7);			/* past the HMA */
	xmove(s, 16, a, 0, 9, 0, 0, 0xa5);
	xmove(s, 16, a, 0, b, 9000, 0, 0xa6);
	xmove(s, 15, a, 0, b, 0, 0, 0xa7);				/* odd */
	xmove(s, 8192, a, 1000, b, 0, 0, 0xa7);				/* past the block */
	r = (struct dos_regs){ .eax = 0x0b00, .ds = 0xffff, .esi = 0xfff0 };	/* struct unreadable */
	s->a20 = true;
	dos_box_xms(&s->box, &r);
	assert_int_equal(r.eax & 0xffff, 1);	/* 0x10ffe0 is inside the box: reads zeros */
	dos_sim_free(s);
}

/* --- EMS --------------------------------------------------------------------------------- */

static const struct step ems_steps[] = {
	S(I67, 0x4000, 0, 0, 0, 0, 0x0000, X, X, X, -1),		/* status */
	S(I67, 0x4100, 0, 0, 0, 0, 0x0000, 0xe000, X, X, -1),		/* page frame */
	S(I67, 0x4200, 0, 0, 0, 0, 0x0000, 0x0010, X, 0x0010, -1),	/* 16 of 16 free */
	S(I67, 0x4600, 0, 0, 0, 0, 0x0040, X, X, X, -1),		/* version 4.0 */
	S(I67, 0x4b00, 0, 0, 0, 0, 0x0000, 0x0001, X, X, -1),		/* the OS handle */
	S(I67, 0x4300, 0x0000, 0, 0, 0, 0x8900, X, X, X, -1),		/* zero pages */
	S(I67, 0x4300, 0x0011, 0, 0, 0, 0x8700, X, X, X, -1),		/* more than there are */
	S(I67, 0x4300, 0x0004, 0, 0, 0, 0x0000, X, X, 0x0001, -1),
	S(I67, 0x4300, 0x000d, 0, 0, 0, 0x8800, X, X, X, -1),		/* more than are free */
	S(I67, 0x4300, 0x000c, 0, 0, 0, 0x0000, X, X, 0x0002, -1),
	S(I67, 0x4200, 0, 0, 0, 0, 0x0000, 0x0000, X, 0x0010, -1),
	S(I67, 0x4b00, 0, 0, 0, 0, 0x0000, 0x0003, X, X, -1),
	S(I67, 0x4500, 0, 0, 0x0002, 0, 0x0000, X, X, X, -1),
	S(I67, 0x4500, 0, 0, 0x0002, 0, 0x8300, X, X, X, -1),		/* gone */
	S(I67, 0x4c00, 0, 0, 0x0001, 0, 0x0000, 0x0004, X, X, -1),
	S(I67, 0x4c00, 0, 0, 0x0009, 0, 0x8300, X, X, X, -1),
	S(I67, 0x4400, 0x0000, 0, 0x0001, 0, 0x0000, X, X, X, -1),	/* map */
	S(I67, 0x4404, 0x0000, 0, 0x0001, 0, 0x8b04, X, X, X, -1),	/* no window 4 */
	S(I67, 0x4401, 0x0004, 0, 0x0001, 0, 0x8a01, X, X, X, -1),	/* no page 4 */
	S(I67, 0x4401, 0x0000, 0, 0x0007, 0, 0x8301, X, X, X, -1),
	S(I67, 0x4401, 0xffff, 0, 0x0001, 0, 0x0001, X, X, X, -1),	/* unmap */
	S(I67, 0x4700, 0, 0, 0x0001, 0, 0x0000, X, X, X, -1),		/* save */
	S(I67, 0x4700, 0, 0, 0x0001, 0, 0x8d00, X, X, X, -1),		/* saved already */
	S(I67, 0x4700, 0, 0, 0x0009, 0, 0x8300, X, X, X, -1),
	S(I67, 0x4500, 0, 0, 0x0001, 0, 0x8600, X, X, X, -1),		/* has a saved map */
	S(I67, 0x4800, 0, 0, 0x0001, 0, 0x0000, X, X, X, -1),		/* restore */
	S(I67, 0x4800, 0, 0, 0x0001, 0, 0x8e00, X, X, X, -1),		/* nothing saved */
	S(I67, 0x4800, 0, 0, 0x0009, 0, 0x8300, X, X, X, -1),
	S(I67, 0x4900, 0, 0, 0, 0, 0x8400, X, X, X, -1),		/* LIM 3 leftovers */
	S(I67, 0x4a00, 0, 0, 0, 0, 0x8400, X, X, X, -1),
	S(I67, 0x5200, 0, 0, 0, 0, 0x8400, X, X, X, -1),
	S(I67, 0x3f00, 0, 0, 0, 0, 0x8400, X, X, X, -1),
	S(I67, 0x4e03, 0, 0, 0, 0, 0x0012, X, X, X, -1),		/* map array: 18 bytes */
	S(I67, 0x4e04, 0, 0, 0, 0, 0x8f04, X, X, X, -1),
	S(I67, 0x5002, 0, 0, 0x0001, 0, 0x8f02, X, X, X, -1),
	S(I67, 0x5000, 0, 0, 0x0009, 0, 0x8300, X, X, X, -1),
	S(I67, 0x5100, 0x0011, 0, 0x0001, 0, 0x8700, X, X, X, -1),	/* reallocate */
	S(I67, 0x4300, 0x0002, 0, 0, 0, 0x0000, X, X, 0x0002, -1),
	S(I67, 0x5100, 0x000f, 0, 0x0001, 0, 0x8800, X, X, X, -1),
	S(I67, 0x5100, 0x0009, 0, 0x0009, 0, 0x8300, X, X, X, -1),
	S(I67, 0x5100, 0x000e, 0, 0x0001, 0, 0x0000, 0x000e, X, X, -1),
	S(I67, 0x4200, 0, 0, 0, 0, 0x0000, 0x0000, X, X, -1),
	S(I67, 0x5100, 0x0000, 0, 0x0001, 0, 0x0000, 0x0000, X, X, -1),	/* to nothing */
	S(I67, 0x4200, 0, 0, 0, 0, 0x0000, 0x000e, X, X, -1),
	S(I67, 0x4500, 0, 0, 0x0000, 0, 0x0000, X, X, X, -1),		/* OS handle stays */
	S(I67, 0x4c00, 0, 0, 0x0000, 0, 0x0000, 0x0000, X, X, -1),
};

static void test_ems_functions(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);

	(void)state;
	RUN(s, ems_steps);
	assert_int_equal(dos_sim_free(s), 0);
}

static uint8_t *window(struct dos_sim *s, unsigned w)
{
	return dos_sim_byte(s, ((uint32_t)DOS_EMS_FRAME << 4) + w * DOS_EMS_PAGE);
}

static void ems(struct dos_sim *s, struct dos_regs *r, uint8_t status)
{
	dos_int67(&s->box, r);
	assert_int_equal(r->eax >> 8 & 0xff, status);
}

/* Data written through a window lives in the logical page: it shows wherever that page is mapped next. */
static void test_ems_windows(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r = { .eax = 0x4300, .ebx = 8 };
	uint16_t h;

	(void)state;
	ems(s, &r, 0);
	h = (uint16_t)r.edx;
	for (uint16_t l = 0; l < 8; l++) {
		r = (struct dos_regs){ .eax = 0x4400 | (l % 4), .ebx = l, .edx = h };
		ems(s, &r, 0);
		memset(window(s, l % 4), 0xa0 + l, DOS_EMS_PAGE);
	}
	for (uint16_t l = 0; l < 8; l++) {
		unsigned w = 3 - l % 4;

		r = (struct dos_regs){ .eax = 0x4400 | w, .ebx = l, .edx = h };
		ems(s, &r, 0);
		assert_int_equal(window(s, w)[0], 0xa0 + l);
		assert_int_equal(window(s, w)[DOS_EMS_PAGE - 1], 0xa0 + l);
	}
	/* The same page in two windows: one page, two views. */
	r = (struct dos_regs){ .eax = 0x4400, .ebx = 5, .edx = h };
	ems(s, &r, 0);
	r = (struct dos_regs){ .eax = 0x4401, .ebx = 5, .edx = h };
	ems(s, &r, 0);
	window(s, 0)[7] = 0x77;
	assert_int_equal(window(s, 1)[7], 0x77);
	assert_int_equal(s->box.info.ems_copies, 0);
	/* 50h by window number and by segment; a bad entry maps nothing. */
	uint16_t arr[] = { 2, 0, 3, 1, 0xffff, 2, 1, 3 };
	memcpy(s->low + 0x20000, arr, sizeof(arr));
	r = (struct dos_regs){ .eax = 0x5000, .ecx = 4, .edx = h, .ds = 0x2000 };
	ems(s, &r, 0);
	assert_int_equal(window(s, 0)[0], 0xa2);
	assert_int_equal(window(s, 1)[0], 0xa3);
	assert_int_equal(window(s, 3)[0], 0xa1);
	assert_int_equal(s->window[2], DOS_EMS_NONE);
	uint16_t by_seg[] = { 6, 0xe000, 7, 0xec00 };
	memcpy(s->low + 0x20000, by_seg, sizeof(by_seg));
	r = (struct dos_regs){ .eax = 0x5001, .ecx = 2, .edx = h, .ds = 0x2000 };
	ems(s, &r, 0);
	assert_int_equal(window(s, 0)[0], 0xa6);
	assert_int_equal(window(s, 3)[0], 0xa7);
	uint16_t bad_seg[] = { 1, 0xe000, 2, 0xe100 };
	memcpy(s->low + 0x20000, bad_seg, sizeof(bad_seg));
	r = (struct dos_regs){ .eax = 0x5001, .ecx = 2, .edx = h, .ds = 0x2000 };
	ems(s, &r, 0x8b);
	assert_int_equal(window(s, 0)[0], 0xa6);		/* checked before anything mapped */
	uint16_t bad_page[] = { 1, 0, 9, 1 };
	memcpy(s->low + 0x20000, bad_page, sizeof(bad_page));
	r = (struct dos_regs){ .eax = 0x5000, .ecx = 2, .edx = h, .ds = 0x2000 };
	ems(s, &r, 0x8a);
	/* Freeing pages that are mapped empties their windows. */
	r = (struct dos_regs){ .eax = 0x5100, .ebx = 6, .edx = h };
	ems(s, &r, 0);
	assert_int_equal(s->window[0], DOS_EMS_NONE);
	assert_int_equal(s->window[3], DOS_EMS_NONE);
	r = (struct dos_regs){ .eax = 0x4500, .edx = h };
	ems(s, &r, 0);
	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(s->window[w], DOS_EMS_NONE);
	assert_int_equal(s->allocs, s->frees);
	assert_int_equal(dos_sim_free(s), 0);
}

/* 4Dh, 4Eh: arrays in the box's memory; a corrupted one is refused (A3h). */
static void test_ems_arrays(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r = { .eax = 0x4300, .ebx = 3 };
	uint16_t h, pairs[8], map[9];

	(void)state;
	ems(s, &r, 0);
	h = (uint16_t)r.edx;
	r = (struct dos_regs){ .eax = 0x4d00, .es = 0x2000, .edi = 0 };
	ems(s, &r, 0);
	assert_int_equal(r.ebx & 0xffff, 2);
	memcpy(pairs, s->low + 0x20000, sizeof(pairs));
	assert_int_equal(pairs[0], 0);
	assert_int_equal(pairs[1], 0);
	assert_int_equal(pairs[2], h);
	assert_int_equal(pairs[3], 3);
	r = (struct dos_regs){ .eax = 0x4402, .ebx = 1, .edx = h };
	ems(s, &r, 0);
	r = (struct dos_regs){ .eax = 0x4e00, .es = 0x2000, .edi = 0x100 };	/* get */
	ems(s, &r, 0);
	r = (struct dos_regs){ .eax = 0x4402, .ebx = 2, .edx = h };
	ems(s, &r, 0);
	r = (struct dos_regs){ .eax = 0x4e01, .ds = 0x2000, .esi = 0x100 };	/* set */
	ems(s, &r, 0);
	r = (struct dos_regs){ .eax = 0x4c00, .edx = h };
	ems(s, &r, 0);
	memcpy(map, s->low + 0x20100, sizeof(map));
	assert_int_equal(map[4], h);
	assert_int_equal(map[5], 1);
	assert_int_equal(s->window[2], s->box.slot[s->box.ems[h].first + 1]);
	s->low[0x20100 + 10] ^= 1;						/* corrupt it */
	r = (struct dos_regs){ .eax = 0x4e02, .es = 0x2000, .edi = 0x200, .ds = 0x2000, .esi = 0x100 };
	ems(s, &r, 0xa3);
	dos_sim_free(s);
}

/* 85h (all 255 handles), 80h (no memory behind a page). */
static void test_ems_limits(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r;

	(void)state;
	for (unsigned i = 1; i <= DOS_EMS_HANDLES; i++) {
		r = (struct dos_regs){ .eax = 0x4300, .ebx = 1 };
		ems(s, &r, 0);
		r = (struct dos_regs){ .eax = 0x5100, .ebx = 0, .edx = r.edx & 0xffff };
		ems(s, &r, 0);
	}
	r = (struct dos_regs){ .eax = 0x4300, .ebx = 1 };
	ems(s, &r, 0x85);
	r = (struct dos_regs){ .eax = 0x4b00 };
	ems(s, &r, 0);
	assert_int_equal(r.ebx & 0xffff, 256);
	r = (struct dos_regs){ .eax = 0x4500, .edx = 7 };
	ems(s, &r, 0);
	s->fail_ems_alloc = 2;
	r = (struct dos_regs){ .eax = 0x4300, .ebx = 4 };
	ems(s, &r, 0x80);
	r = (struct dos_regs){ .eax = 0x4200 };
	ems(s, &r, 0);
	assert_int_equal(r.ebx & 0xffff, 16);			/* nothing lost */
	assert_int_equal(s->allocs, s->frees);
	s->fail_ems_alloc = -1;
	r = (struct dos_regs){ .eax = 0x4300, .ebx = 16 };
	ems(s, &r, 0);
	assert_int_equal(dos_sim_free(s), 0);
}

/* --- MEM /C --------------------------------------------------------------------------- */

static char report[8192];

static void __attribute__((format(printf, 2, 3))) to_buf(void *ctx, const char *fmt, ...)
{
	size_t n = strlen(report);
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(report + n, sizeof(report) - n, fmt, ap);
	va_end(ap);
}

static void test_mem_report(void **state)
{
	struct dos_sim *s = dos_sim_new(small, 0);
	struct dos_regs r = { .eax = 0x4300, .ebx = 2 };

	(void)state;
	dos_int67(&s->box, &r);
	r = (struct dos_regs){ .eax = 0x0900, .edx = 100 };
	dos_box_xms(&s->box, &r);
	report[0] = 0;
	dos_mem_report(&s->box, to_buf, NULL);
	assert_non_null(strstr(report, "Conventional        640K       68K      571K"));
	assert_non_null(strstr(report, "Upper                64K        0K       63K"));
	assert_non_null(strstr(report, "XMS                1024K      100K      924K"));
	assert_non_null(strstr(report, "EMS                 256K       32K      224K"));
	assert_non_null(strstr(report, "0100   M    0101      65520  TEST     program conventional"));
	assert_non_null(strstr(report, "1100   Z    0000     585696           free    conventional"));
	assert_non_null(strstr(report, "9fff   M    0008     163840  SC       system  conventional"));
	assert_non_null(strstr(report, "c800   Z    0000      65520           free    upper"));
	assert_non_null(strstr(report, "A20 off; 1 XMS handles, 2 EMS handles in use"));
	s->low[0x11000] = 'X';
	report[0] = 0;
	dos_mem_report(&s->box, to_buf, NULL);
	assert_non_null(strstr(report, "Memory control blocks destroyed"));
	dos_sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcb_functions),
		cmocka_unit_test(test_mcb_layout),
		cmocka_unit_test(test_mcb_corrupt),
		cmocka_unit_test(test_mcb_terminate),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_xms_functions),
		cmocka_unit_test(test_xms_hma_a20),
		cmocka_unit_test(test_xms_any),
		cmocka_unit_test(test_xms_grow_empty_block),
		cmocka_unit_test(test_xms_move),
		cmocka_unit_test(test_ems_functions),
		cmocka_unit_test(test_ems_windows),
		cmocka_unit_test(test_ems_arrays),
		cmocka_unit_test(test_ems_limits),
		cmocka_unit_test(test_mem_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
