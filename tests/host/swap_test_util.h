/* SPDX-License-Identifier: MIT */
/*
 * A swap backend for host tests and fuzzers: pages kept in host memory,
 * one copy per slot, with faults to inject (a write refused after a number
 * of pages, reads or writes failing) and counters to check against. As a
 * backend that may sleep (a disk), it checks that it is called with no
 * lock held (the test's @unlocked hook) and can run a hook inside a write
 * or read, as another task would meanwhile.
 */
#ifndef TESTS_HOST_SWAP_TEST_UTIL_H
#define TESTS_HOST_SWAP_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "host/sim.h"
#include "mm/swap.h"
#include "mm/swap_internal.h"

struct test_swap {
	struct swap_backend b;
	uint8_t **page;		/* per slot: a copy, or NULL */
	uint8_t *pool;		/* or NULL: every slot's copy at its place in one buffer */
	uint64_t stored;
	uint64_t max_stored;	/* writes beyond this are refused (-MM_ENOMEM); 0: no limit */
	bool fail_reads, fail_writes;
	uint64_t writes, reads, discards, bad_calls;
	bool (*unlocked)(void);		/* may_sleep: are the test's spaces unlocked? */
	uint64_t locked_calls;		/* may_sleep: calls made with a lock held or interrupts off */
	void (*during_io)(struct test_swap *t, uint32_t slot, bool write);	/* once, then cleared */
	void (*on_store)(struct test_swap *t, uint32_t slot);	/* each write, just before its copy */
	int busy;		/* a sleeping backend is called with no lock held: its own lock */
};

static inline void ts_lock(struct test_swap *t)
{
	while (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQUIRE))
		;
}

static inline void ts_unlock(struct test_swap *t)
{
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}

/* A sleeping backend's checks and hook, at the start of an operation. */
static inline void ts_sleeping_call(struct test_swap *t, uint32_t slot, bool write)
{
	if (!t->b.may_sleep)
		return;
	if ((t->unlocked && !t->unlocked()) || sim_irqs_off())
		t->locked_calls++;
	if (t->during_io) {
		void (*fn)(struct test_swap *, uint32_t, bool) = t->during_io;

		t->during_io = NULL;
		fn(t, slot, write);
	}
}

/*
 * Room for a slot's copy: its own allocation, or its place in the pool,
 * which is poisoned while the slot is empty, so that under ASan a read of a
 * discarded copy is still caught.
 */
static inline uint8_t *ts_copy_alloc(struct test_swap *t, uint32_t slot)
{
	if (!t->pool)
		return malloc(PAGE_SIZE);
	ASAN_UNPOISON_MEMORY_REGION(t->pool + (size_t)slot * PAGE_SIZE, PAGE_SIZE);
	return t->pool + (size_t)slot * PAGE_SIZE;
}

static inline void ts_copy_free(struct test_swap *t, uint32_t slot)
{
	if (!t->pool)
		free(t->page[slot]);
	else
		ASAN_POISON_MEMORY_REGION(t->page[slot], PAGE_SIZE);
}

/* A write's work after the sleeping checks. */
static inline int ts_store_locked(struct test_swap *t, uint32_t slot, const void *page)
{
	struct swap_backend *b = &t->b;

	if (slot >= b->nslots || t->page[slot]) {
		t->bad_calls++;
		return -MM_EIO;
	}
	if (t->fail_writes)
		return -MM_EIO;
	if (t->max_stored && t->stored >= t->max_stored)
		return -MM_ENOMEM;
	t->page[slot] = ts_copy_alloc(t, slot);
	if (!t->page[slot])
		return -MM_ENOMEM;
	memcpy(t->page[slot], page, PAGE_SIZE);
	t->stored++;
	t->writes++;
	return 0;
}

static inline int ts_store(struct test_swap *t, uint32_t slot, const void *page)
{
	if (t->on_store)
		t->on_store(t, slot);
	ts_lock(t);
	int r = ts_store_locked(t, slot, page);

	ts_unlock(t);
	return r;
}

static inline int ts_write(struct swap_backend *b, uint32_t slot, const void *page)
{
	ts_sleeping_call((struct test_swap *)b, slot, true);
	return ts_store((struct test_swap *)b, slot, page);
}

/* A read's work after the sleeping checks. */
static inline int ts_load_locked(struct test_swap *t, uint32_t slot, void *page)
{
	struct swap_backend *b = &t->b;

	if (slot >= b->nslots || !t->page[slot]) {
		t->bad_calls++;
		return -MM_EIO;
	}
	if (t->fail_reads)
		return -MM_EIO;
	memcpy(page, t->page[slot], PAGE_SIZE);
	t->reads++;
	return 0;
}

static inline int ts_load(struct test_swap *t, uint32_t slot, void *page)
{
	ts_lock(t);
	int r = ts_load_locked(t, slot, page);

	ts_unlock(t);
	return r;
}

static inline int ts_read(struct swap_backend *b, uint32_t slot, void *page)
{
	ts_sleeping_call((struct test_swap *)b, slot, false);
	return ts_load((struct test_swap *)b, slot, page);
}

/*
 * By frame, as a device does it: the sleeping part (the hook) runs with no
 * temporary mapping held, and the copy, as a DMA would, maps the frame only
 * for itself.
 */
static inline int ts_write_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	ts_sleeping_call((struct test_swap *)b, slot, true);
	void *page = plat_kmap(pa);
	int r = ts_store((struct test_swap *)b, slot, page);

	plat_kunmap(page);
	return r;
}

static inline int ts_read_frame(struct swap_backend *b, uint32_t slot, phys_addr_t pa)
{
	ts_sleeping_call((struct test_swap *)b, slot, false);
	void *page = plat_kmap(pa);
	int r = ts_load((struct test_swap *)b, slot, page);

	plat_kunmap(page);
	return r;
}

/* Discarding a slot never written (a write that failed) is allowed. */
static inline void ts_discard(struct swap_backend *b, uint32_t slot)
{
	struct test_swap *t = (struct test_swap *)b;

	ts_lock(t);
	t->discards++;
	if (slot < b->nslots && t->page[slot]) {
		ts_copy_free(t, slot);
		t->page[slot] = NULL;
		t->stored--;
	}
	ts_unlock(t);
}

static inline void ts_stats(struct swap_backend *b, struct swap_backend_stats *st)
{
	struct test_swap *t = (struct test_swap *)b;

	memset(st, 0, sizeof(*st));
	st->stored = t->stored;
	st->orig_bytes = t->stored * PAGE_SIZE;
	st->reads = t->reads;
	st->writes = t->writes;
}

static const struct swap_backend_ops test_swap_ops = {
	.write = ts_write, .read = ts_read, .discard = ts_discard, .stats = ts_stats,
};

/* The same store as a device: the core hands it frames (ts_set_sleeping()). */
static const struct swap_backend_ops test_swap_dev_ops = {
	.write = ts_write, .read = ts_read, .discard = ts_discard, .stats = ts_stats,
	.write_frame = ts_write_frame, .read_frame = ts_read_frame,
};

/* Make @t a backend that may sleep, reached by frame as a disk is, or an in-RAM one again. */
static inline void ts_set_sleeping(struct test_swap *t, bool sleeping)
{
	t->b.may_sleep = sleeping;
	t->b.ops = sleeping ? &test_swap_dev_ops : &test_swap_ops;
}

static inline void test_swap_init(struct test_swap *t, const char *name, uint32_t nslots)
{
	memset(t, 0, sizeof(*t));
	t->b = (struct swap_backend){ &test_swap_ops, name, nslots, true, false };
	t->page = calloc(nslots, sizeof(*t->page));
}

/*
 * Keep every copy in one buffer made now, for a store that lives long and
 * turns over many pages (a fuzzer's): no allocation per write. Before any
 * write.
 */
static inline void test_swap_use_pool(struct test_swap *t)
{
	t->pool = malloc((size_t)t->b.nslots * PAGE_SIZE);
	if (t->pool)
		ASAN_POISON_MEMORY_REGION(t->pool, (size_t)t->b.nslots * PAGE_SIZE);
}

static inline void test_swap_fini(struct test_swap *t)
{
	for (uint32_t s = 0; s < t->b.nslots; s++)
		if (t->page[s])
			ts_copy_free(t, s);
	free(t->page);
	free(t->pool);
}

#ifdef CMOCKA_H_
#include "host/heap_pages_mmap.h"
#include "tests/host/sim_setup.h"
#include "mm/heap.h"

/* Group setup of tests that run processes with swap: quiet logs, and a heap for the core's objects. */
static inline int swap_test_group_setup(void **state)
{
	int r = sim_group_setup(state);

	heap_pages_mmap_set_arena((size_t)1 << (sizeof(size_t) == 8 ? 32 : 28));
	if (!r)
		r = heap_init(&heap_pages_mmap, 0);
	return r;
}

#ifdef TESTS_HOST_AS_TEST_UTIL_H
/* Processes with swap: a byte pattern per page and generation, written and checked at both ends. */
static inline uint8_t swt_pattern(uintptr_t va, unsigned gen)
{
	return (uint8_t)((va >> PAGE_SHIFT) * 31 + gen * 7 + 1);
}

static inline void swt_fill(struct proc *p, uintptr_t a, unsigned pages, unsigned gen)
{
	for (unsigned i = 0; i < pages; i++) {
		uintptr_t va = a + i * PG;

		assert_int_equal(uwrite8(p, va, swt_pattern(va, gen)), 0);
		assert_int_equal(uwrite8(p, va + PG - 1, swt_pattern(va, gen) ^ 0xff), 0);
	}
}

static inline void swt_check(struct proc *p, uintptr_t a, unsigned pages, unsigned gen)
{
	for (unsigned i = 0; i < pages; i++) {
		uintptr_t va = a + i * PG;

		assert_int_equal(upeek(p, va), swt_pattern(va, gen));
		assert_int_equal(upeek(p, va + PG - 1), swt_pattern(va, gen) ^ 0xff);
	}
}

static inline void swt_new_proc(struct proc *p)
{
	assert_int_equal(as_init(&p->as, NULL), 0);
	proc_cpu(p);
}

static inline uintptr_t swt_map(struct proc *p, uint64_t len, unsigned flags)
{
	long a = as_mmap(&p->as, 0, len, MM_PROT_READ | MM_PROT_WRITE, flags, NULL, 0);

	assert_false(as_is_err(a));
	return (uintptr_t)a;
}

/* Fresh simulated RAM of @ram bytes and area @t of @slots at priority 10: its type. */
static inline int swt_setup(uint64_t ram, struct test_swap *t, uint32_t slots)
{
	int type;

	assert_int_equal(vm_ram_setup(ram), 0);
	test_swap_init(t, "test0", slots);
	type = swap_area_add(&t->b, 10, 1);
	assert_true(type >= 0);
	return type;
}

/* The end of a test: no slot or swap-cache page left, area @type (backend @t) removed, @free0 frames free. */
static inline void swt_teardown(struct test_swap *t, int type, uint64_t free0)
{
	struct swap_counters c;

	swap_writeback_run();	/* the reclaim thread's part: writes direct reclaim left queued */
	swap_get_counters(&c);
	assert_int_equal(c.slots_used, 0);
	assert_int_equal(c.cache_pages, 0);
	assert_int_equal(t->stored, 0);
	assert_int_equal(t->bad_calls, 0);
	assert_int_equal(swap_area_remove(type), 0);
	assert_false(swap_enabled());
	test_swap_fini(t);
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
}
#endif
#endif

#endif
