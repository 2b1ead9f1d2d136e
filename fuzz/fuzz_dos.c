// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the DOS box's engines: random sequences of INT 21h,
 * XMS and EMS calls (and the odd scribble over the MCB chain) on a box in
 * host memory, checked against a model of who holds what:
 *   - the chain, walked after every call, covers both areas exactly, and
 *     its non-free blocks are the ones the model allocated, at the same
 *     segments with the same sizes (until a scribble, after which only
 *     "no crash, error 7 or a sane answer" is required);
 *   - EMS: free pages = total - the pages of the model's handles; a window
 *     shows the tag last written into the logical page it maps, wherever
 *     that page was mapped when it was written; no page leaks or doubles
 *     (dos_sim aborts on those);
 *   - XMS: free KiB = total - the model's blocks; a locked block's bytes
 *     keep the tag written through its linear address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "tests/host/dos_sim.h"

#define MAX_BLOCKS	64

struct model {
	uint16_t seg[MAX_BLOCKS], size[MAX_BLOCKS];	/* DOS blocks (segment of the data) */
	unsigned nblocks;
	bool scribbled;
	uint16_t ems_pages[DOS_EMS_HANDLES + 1];	/* per handle; 0xffff: closed */
	uint8_t ems_tag[DOS_EMS_HANDLES + 1][DOS_EMS_MAX_PAGES / 16];
	uint32_t xms_kb[DOS_XMS_HANDLES + 1];		/* per handle; UINT32_MAX: closed */
};

static void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_dos: %s\n", what);
		abort();
	}
}

struct walk {
	struct model *m;
	unsigned owned;
	uint32_t paras;
};

static int visit(const struct dos_mcb_info *mi, void *ctx)
{
	struct walk *w = ctx;

	w->paras += mi->paras + 1u;
	if (mi->owner == DOS_OWNER_FREE || mi->owner == DOS_OWNER_SYSTEM || mi->seg == DOS_FIRST_MCB)
		return 0;
	for (unsigned i = 0; i < w->m->nblocks; i++)
		if (w->m->seg[i] == mi->seg + 1 && w->m->size[i] == mi->paras) {
			w->owned++;
			return 0;
		}
	check(false, "a block the model does not have");
	return 0;
}

static void check_chain(struct dos_sim *s, struct model *m)
{
	struct walk w = { m, 0, 0 };
	int r = dos_mcb_walk(&s->box, visit, &w);

	if (m->scribbled)
		return;
	check(r == 0, "the chain broke by itself");
	check(w.owned == m->nblocks, "a block the model has is missing");
	check(w.paras == (uint32_t)(s->box.umb_end - DOS_FIRST_MCB),
	      "the chain does not cover its areas");
}

static void dos_op(struct dos_sim *s, struct model *m, struct fuzz_input *in)
{
	struct dos_regs r = { 0 };
	unsigned op = fuzz_byte(in) % 6, i;

	switch (op) {
	case 0:		/* allocate */
		r.eax = 0x4800;
		r.ebx = fuzz_word(in) % 0x3000;
		dos_int21(&s->box, &r, &(bool){ false });
		if (!(r.eflags & DOS_CF) && m->nblocks < MAX_BLOCKS) {
			m->seg[m->nblocks] = (uint16_t)r.eax;
			m->size[m->nblocks++] = (uint16_t)r.ebx;
		} else if (!(r.eflags & DOS_CF)) {	/* the model is full: give it back */
			r.es = (uint16_t)r.eax;
			r.eax = 0x4900;
			dos_int21(&s->box, &r, &(bool){ false });
		}
		check(m->scribbled || !(r.eflags & DOS_CF) || (r.eax & 0xffff) == 8, "48h error");
		break;
	case 1:		/* free */
	case 2:		/* resize */
		if (!m->nblocks)
			return;
		i = fuzz_byte(in) % m->nblocks;
		r.es = m->seg[i];
		r.eax = op == 1 ? 0x4900 : 0x4a00;
		r.ebx = fuzz_word(in) % 0x3000;
		dos_int21(&s->box, &r, &(bool){ false });
		if (op == 1 && !(r.eflags & DOS_CF)) {
			m->seg[i] = m->seg[--m->nblocks];
			m->size[i] = m->size[m->nblocks];
		} else if (op == 2 && (!(r.eflags & DOS_CF) || (r.eax & 0xffff) == 8)) {
			m->size[i] = (uint16_t)r.ebx;
		}
		break;
	case 3:		/* strategy or link */
		r.eax = 0x5800 | (fuzz_byte(in) & 3);
		r.ebx = fuzz_byte(in) & 0x83;
		dos_int21(&s->box, &r, &(bool){ false });
		break;
	case 4:		/* scribble on a header */
		if (fuzz_byte(in) < 250)
			return;
		*dos_sim_low(s, 0x1000 + fuzz_word(in) % 0x9f000) = (uint8_t)fuzz_byte(in);
		m->scribbled = true;
		break;
	default:	/* largest free */
		r.eax = 0x4800;
		r.ebx = 0xffff;
		dos_int21(&s->box, &r, &(bool){ false });
		check(m->scribbled || (r.eflags & DOS_CF), "a 1 MiB block?");
	}
}

static void ems_op(struct dos_sim *s, struct model *m, struct fuzz_input *in)
{
	struct dos_regs r = { 0 };
	unsigned op = fuzz_byte(in) % 5, h = fuzz_byte(in) % 8, l = fuzz_byte(in) % 20, w = fuzz_byte(in) % 4;

	switch (op) {
	case 0:
		r.eax = 0x4300;
		r.ebx = l;
		dos_int67(&s->box, &r);
		if (!(r.eax & 0xff00)) {
			check(m->ems_pages[r.edx & 0xffff] == 0xffff, "an open handle given again");
			m->ems_pages[r.edx & 0xffff] = (uint16_t)l;
			memset(m->ems_tag[r.edx & 0xffff], 0, sizeof(m->ems_tag[0]));
		}
		break;
	case 1:
		r.eax = 0x4500;
		r.edx = h;
		dos_int67(&s->box, &r);
		if (!(r.eax & 0xff00))
			m->ems_pages[h] = h ? 0xffff : 0;
		break;
	case 2:
		r.eax = 0x5100;
		r.ebx = l;
		r.edx = h;
		dos_int67(&s->box, &r);
		if (!(r.eax & 0xff00)) {
			for (unsigned p = m->ems_pages[h]; p < l; p++)
				m->ems_tag[h][p] = 0;
			m->ems_pages[h] = (uint16_t)l;
		}
		break;
	default:	/* map, write a tag through the window, read others back */
		r.eax = 0x4400 | w;
		r.ebx = l;
		r.edx = h;
		dos_int67(&s->box, &r);
		check(!(r.eax & 0xff00) == (m->ems_pages[h] != 0xffff && l < m->ems_pages[h]),
		      "44h answered unlike the model");
		if (!(r.eax & 0xff00)) {
			uint8_t *p = dos_sim_byte(s, ((uint32_t)DOS_EMS_FRAME << 4) + w * DOS_EMS_PAGE);

			check(*p == m->ems_tag[h][l], "a window shows another page's data");
			*p = m->ems_tag[h][l] = (uint8_t)(fuzz_byte(in) | 1);
		}
	}
	unsigned used = 0;

	for (unsigned i = 0; i <= DOS_EMS_HANDLES; i++)
		used += m->ems_pages[i] == 0xffff ? 0 : m->ems_pages[i];
	check(s->box.ems_free == s->box.ems_total - used, "EMS pages lost");
}

static void xms_op(struct dos_sim *s, struct model *m, struct fuzz_input *in)
{
	struct dos_regs r = { 0 };
	unsigned op = fuzz_byte(in) % 4, h = fuzz_byte(in) % 9, kb = fuzz_word(in) % 300;

	switch (op) {
	case 0:
		r.eax = 0x0900;
		r.edx = kb;
		break;
	case 1:
		r.eax = 0x0a00;
		r.edx = h;
		break;
	case 2:
		r.eax = 0x0f00;
		r.ebx = kb;
		r.edx = h;
		break;
	default:
		r.eax = 0x0c00 | (fuzz_byte(in) & 1) << 8;	/* lock or unlock */
		r.edx = h;
	}
	dos_xms_call(&s->box, &r);
	if ((r.eax & 0xffff) == 1) {
		if (op == 0)
			m->xms_kb[r.edx & 0xffff] = kb;
		else if (op == 1)
			m->xms_kb[h] = UINT32_MAX;
		else if (op == 2)
			m->xms_kb[h] = kb;
	}
	uint32_t used = 0;

	for (unsigned i = 1; i <= DOS_XMS_HANDLES; i++)
		used += m->xms_kb[i] == UINT32_MAX ? 0 : m->xms_kb[i];
	r = (struct dos_regs){ .eax = 0x8800 };
	dos_xms_call(&s->box, &r);
	check(r.edx == s->box.xms_kb - used, "XMS KiB lost");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	static struct dos_sim *s;	/* one box, renewed after each input in the same memory */
	static struct model m;

	if (!s)
		s = dos_sim_new((struct dos_config){ 640, 64, 1024, 256 }, 0);
	memset(&m, 0, sizeof(m));
	memset(m.ems_pages, 0xff, sizeof(m.ems_pages));
	m.ems_pages[0] = 0;
	for (unsigned i = 0; i <= DOS_XMS_HANDLES; i++)
		m.xms_kb[i] = UINT32_MAX;
	while (in.n) {
		switch (fuzz_byte(&in) % 3) {
		case 0:
			dos_op(s, &m, &in);
			check_chain(s, &m);
			break;
		case 1:
			ems_op(s, &m, &in);
			break;
		default:
			xms_op(s, &m, &in);
		}
	}
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++)
		s->window[w] = DOS_EMS_NONE;
	check(dos_sim_renew(s) == 0, "EMS pages not given back");
	return 0;
}
