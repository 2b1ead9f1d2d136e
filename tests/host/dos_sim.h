/* SPDX-License-Identifier: MIT */
/*
 * A DOS box on the host for the engine tests and the fuzzer: the box's
 * memory is arrays, with the two things paging does in the kernel
 * simulated the same way, by indirection and never by copying: an EMS
 * window shows whichever pool page it points at, and with A20 off the HMA
 * shows linear 0.
 */
#ifndef TESTS_HOST_DOS_SIM_H
#define TESTS_HOST_DOS_SIM_H

#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "kernel/dos/dosmem.h"

#define SIM_XMS_BASE	0x01000000u

/*
 * The box's memory is the platform, not the code under test: in a fuzzer
 * its byte-by-byte address checks get no coverage instrumentation (their
 * comparison tracing was most of fuzz_dos's time), as host/soft_mmu.h's.
 */
#if defined(__clang__)
#define DOS_SIM_ORACLE	__attribute__((no_sanitize("coverage")))
#else
#define DOS_SIM_ORACLE
#endif

/*
 * Bytes per dirty mark: dos_sim_start() clears only the chunks of low and
 * XMS memory that dos_sim_byte() handed out since the last start, not the
 * two megabytes (most of a short fuzzer input's time). Writing into low or
 * xms other than through dos_sim_byte() must be followed by dos_sim_dirty().
 */
#define DOS_SIM_CHUNK	4096u

struct dos_sim {
	struct dos_box box;
	struct dos_box_params params;		/* what the box was made with */
	uint8_t *low;				/* linear 0 .. DOS_BOX_MAP_SIZE */
	uint8_t *xms;				/* the XMS pool */
	uint32_t xms_bytes;
	uint8_t low_dirty[DOS_BOX_MAP_SIZE / DOS_SIM_CHUNK];
	uint8_t *xms_dirty;			/* one per DOS_SIM_CHUNK of the pool */
	uint8_t *ems[DOS_EMS_MAX_PAGES];	/* NULL: not allocated */
	uint8_t *ems_mem[DOS_EMS_MAX_PAGES];	/* kept after a free, for the next box's page */
	uint32_t window[DOS_EMS_WINDOWS];	/* pool page shown, or DOS_EMS_NONE */
	bool a20;
	unsigned maps, allocs, frees, discards;
	int fail_ems_alloc;			/* fail after this many (-1: never) */
	bool fail_a20;
};

/* Low memory's byte @lin is (perhaps) no longer zero: the next start clears its chunk. */
DOS_SIM_ORACLE static inline uint8_t *dos_sim_low(struct dos_sim *s, uint32_t lin)
{
	s->low_dirty[lin / DOS_SIM_CHUNK] = 1;
	return s->low + lin;
}

/* The byte at DOS linear @lin, or NULL if nothing is there. */
DOS_SIM_ORACLE static inline uint8_t *dos_sim_byte(struct dos_sim *s, uint32_t lin)
{
	if (lin >= DOS_HMA_BASE && lin < DOS_BOX_MAP_SIZE && !s->a20)
		lin -= DOS_HMA_BASE;		/* the 1 MiB wrap */
	if (lin >= (uint32_t)DOS_EMS_FRAME << 4 &&
	    lin < ((uint32_t)DOS_EMS_FRAME << 4) + DOS_EMS_WINDOWS * DOS_EMS_PAGE) {
		uint32_t off = lin - ((uint32_t)DOS_EMS_FRAME << 4);
		uint32_t page = s->window[off / DOS_EMS_PAGE];

		return page == DOS_EMS_NONE ? dos_sim_low(s, lin) : s->ems[page] + off % DOS_EMS_PAGE;
	}
	if (lin < DOS_BOX_MAP_SIZE)
		return dos_sim_low(s, lin);
	if (lin >= SIM_XMS_BASE && lin - SIM_XMS_BASE < s->xms_bytes) {
		s->xms_dirty[(lin - SIM_XMS_BASE) / DOS_SIM_CHUNK] = 1;
		return s->xms + (lin - SIM_XMS_BASE);
	}
	return NULL;
}

/* After writing low or XMS memory directly: every chunk is cleared at the next start. */
static inline void dos_sim_dirty(struct dos_sim *s)
{
	memset(s->low_dirty, 1, sizeof(s->low_dirty));
	memset(s->xms_dirty, 1, s->xms_bytes / DOS_SIM_CHUNK + 1);
}

/* Zero the chunks of @mem marked in @dirty (@n bytes in all). */
static inline void dos_sim_clear(uint8_t *mem, uint8_t *dirty, uint32_t n)
{
	for (uint32_t c = 0; c * DOS_SIM_CHUNK < n; c++)
		if (dirty[c]) {
			memset(mem + c * DOS_SIM_CHUNK, 0, MM_MIN(DOS_SIM_CHUNK, n - c * DOS_SIM_CHUNK));
			dirty[c] = 0;
		}
}

DOS_SIM_ORACLE static inline int dos_sim_read(void *ctx, uint32_t lin, void *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = dos_sim_byte(ctx, lin + i);

		if (!p)
			return -1;
		((uint8_t *)buf)[i] = *p;
	}
	return 0;
}

DOS_SIM_ORACLE static inline int dos_sim_write(void *ctx, uint32_t lin, const void *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = dos_sim_byte(ctx, lin + i);

		if (!p)
			return -1;
		*p = ((const uint8_t *)buf)[i];
	}
	return 0;
}

DOS_SIM_ORACLE static inline int dos_sim_move(void *ctx, uint32_t dst, uint32_t src, uint32_t n)
{
	uint8_t *tmp = malloc(n ? n : 1);
	int r = dos_sim_read(ctx, src, tmp, n) || dos_sim_write(ctx, dst, tmp, n) ? -1 : 0;

	free(tmp);
	return r;
}

/*
 * A zeroed EMS page: its memory is kept from one allocation to the next
 * (a box of a fuzzer's input after another), as a calloc() per page was
 * most of a short input's time under ASan; while free it is poisoned, so
 * that a use after free is still caught.
 */
static inline uint8_t *dos_sim_ems_page(struct dos_sim *s, uint32_t page)
{
	uint8_t *m = s->ems_mem[page];

	if (!m)
		return s->ems_mem[page] = calloc(1, DOS_EMS_PAGE);
	ASAN_UNPOISON_MEMORY_REGION(m, DOS_EMS_PAGE);
	memset(m, 0, DOS_EMS_PAGE);
	return m;
}

static inline void dos_sim_ems_drop(struct dos_sim *s, uint32_t page)
{
	ASAN_POISON_MEMORY_REGION(s->ems[page], DOS_EMS_PAGE);
	s->ems[page] = NULL;
}

static inline int dos_sim_ems_alloc(void *ctx, uint32_t page)
{
	struct dos_sim *s = ctx;

	if (s->fail_ems_alloc == 0)
		return -1;
	if (s->fail_ems_alloc > 0)
		s->fail_ems_alloc--;
	if (page >= DOS_EMS_MAX_PAGES || s->ems[page])
		abort();			/* the engine gave out a page twice */
	s->ems[page] = dos_sim_ems_page(s, page);
	s->allocs++;
	return 0;
}

static inline void dos_sim_ems_free(void *ctx, uint32_t page)
{
	struct dos_sim *s = ctx;

	if (page >= DOS_EMS_MAX_PAGES || !s->ems[page])
		abort();			/* freed a page it did not have */
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++)
		if (s->window[w] == page)
			abort();		/* still shown in a window */
	dos_sim_ems_drop(s, page);
	s->frees++;
}

static inline int dos_sim_ems_map(void *ctx, unsigned w, uint32_t page)
{
	struct dos_sim *s = ctx;

	if (w >= DOS_EMS_WINDOWS || (page != DOS_EMS_NONE && !s->ems[page]))
		abort();
	s->window[w] = page;
	s->maps++;
	return 0;
}

static inline int dos_sim_set_a20(void *ctx, bool on)
{
	struct dos_sim *s = ctx;

	if (s->fail_a20)
		return -1;
	s->a20 = on;
	return 0;
}

static inline void dos_sim_discard(void *ctx, uint32_t lin, uint32_t n)
{
	struct dos_sim *s = ctx;

	if (lin < SIM_XMS_BASE || lin - SIM_XMS_BASE + (uint64_t)n > s->xms_bytes)
		abort();			/* only XMS memory is ever discarded */
	memset(s->xms + (lin - SIM_XMS_BASE), 0, n);
	s->discards++;
}

static const struct dos_ops dos_sim_ops = {
	.read = dos_sim_read, .write = dos_sim_write, .move = dos_sim_move,
	.ems_alloc = dos_sim_ems_alloc, .ems_free = dos_sim_ems_free, .ems_map = dos_sim_ems_map,
	.set_a20 = dos_sim_set_a20, .discard = dos_sim_discard,
};

/* Fresh state in @s's memory: everything zero, then a box as params say (0 or -1). */
static inline int dos_sim_start(struct dos_sim *s)
{
	dos_sim_clear(s->low, s->low_dirty, DOS_BOX_MAP_SIZE);
	dos_sim_clear(s->xms, s->xms_dirty, s->xms_bytes);
	s->a20 = false;
	s->maps = s->allocs = s->frees = s->discards = 0;
	s->fail_ems_alloc = -1;
	s->fail_a20 = false;
	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++)
		s->window[w] = DOS_EMS_NONE;
	return dos_box_init(&s->box, &s->params, &dos_sim_ops, s);
}

/* A box with @cfg (zeros: defaults) and HIMEM's /HMAMIN=@hma_min: NULL on bad sizes. */
static inline struct dos_sim *dos_sim_new(struct dos_config cfg, uint16_t hma_min)
{
	struct dos_box_params p = { .cfg = cfg, .xms_base = SIM_XMS_BASE, .hma_min = hma_min,
				    .name = "TEST" };
	struct dos_sim *s;

	if (dos_box_params_check(&p))
		return NULL;
	s = calloc(1, sizeof(*s));
	s->params = p;
	s->low = calloc(1, DOS_BOX_MAP_SIZE);		/* zero: nothing dirty yet */
	s->xms_bytes = p.cfg.xms_kb * 1024u;
	s->xms = calloc(1, s->xms_bytes ? s->xms_bytes : 1);
	s->xms_dirty = calloc(1, s->xms_bytes / DOS_SIM_CHUNK + 1);
	if (dos_sim_start(s))
		abort();
	return s;
}

/* Tear the box down, keeping the memory; returns the EMS pages still allocated. */
static inline unsigned dos_sim_stop(struct dos_sim *s)
{
	unsigned left = 0;

	for (unsigned w = 0; w < DOS_EMS_WINDOWS; w++)
		s->window[w] = DOS_EMS_NONE;
	dos_box_fini(&s->box);
	for (unsigned i = 0; i < DOS_EMS_MAX_PAGES; i++)
		if (s->ems[i]) {
			left++;
			dos_sim_ems_drop(s, i);
		}
	return left;
}

/*
 * A new box in the old one's memory, as dos_sim_new() with the same
 * arguments would give (the fuzzer's inputs, without a megabyte mapped and
 * unmapped each); returns the EMS pages the old box still had.
 */
static inline unsigned dos_sim_renew(struct dos_sim *s)
{
	unsigned left = dos_sim_stop(s);

	if (dos_sim_start(s))
		abort();
	return left;
}

/* Tear down; returns the EMS pages still allocated (0 if the engine gave all back). */
static inline unsigned dos_sim_free(struct dos_sim *s)
{
	unsigned left = dos_sim_stop(s);

	for (unsigned i = 0; i < DOS_EMS_MAX_PAGES; i++)
		if (s->ems_mem[i]) {
			ASAN_UNPOISON_MEMORY_REGION(s->ems_mem[i], DOS_EMS_PAGE);
			free(s->ems_mem[i]);
		}
	free(s->low);
	free(s->xms);
	free(s->xms_dirty);
	free(s);
	return left;
}

#endif
