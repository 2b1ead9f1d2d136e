// SPDX-License-Identifier: MIT
/*
 * Tests of the heap's debug and hardened builds (MM_HEAP_DEBUG and
 * MM_HARDENED compiled in): red zones, sites, poison, double, invalid and
 * interior frees reported with both sites and ignored, the leak report, and
 * checked, obfuscated free-list pointers with zero on free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/heap_pages_mmap.h"
#include "host/sim.h"
#include "mm/heap.h"

static void panic_hook(const char *msg)
{
	fail_msg("unexpected panic: %s", msg);
}

static int setup(void **state)
{
	(void)state;
	sim_set_log_level(getenv("HLOG") ? 7 : -1);
	sim_panic_hook = panic_hook;
	heap_pages_mmap_set_arena((size_t)4 << 30);
	return 0;
}

static int debug_heap(void **state)
{
	(void)state;
	return heap_init(&heap_pages_mmap, HEAP_DEBUG);
}

static struct heap_debug_counts counts(void)
{
	struct heap_debug_counts c;

	heap_debug_get_counts(&c);
	return c;
}

static void double_free_reported_and_ignored(void **state)
{
	(void)state;
	assert_true(heap_debug_enabled());
	char *p = kmalloc(40);
	char *q = kmalloc(40);
	kfree(p);
	kfree(p);					/* line of the second free */
	assert_int_equal(counts().double_frees, 1);
	assert_non_null(strstr(sim_last_log(), "freed again at"));
	assert_non_null(strstr(sim_last_log(), "test_heap_debug.c"));
	/* Untouched: q still live and freeable, p handed out once more at most. */
	char *r = kmalloc(40), *s = kmalloc(40);
	assert_true(r != s);
	kfree(q);
	kfree(r);
	kfree(s);
	assert_int_equal(counts().double_frees, 1);
	assert_int_equal(heap_check(), 0);
}

static void invalid_and_interior_frees(void **state)
{
	(void)state;
	char *p = kmalloc(100);
	int on_stack;
	kfree(p + 8);
	assert_int_equal(counts().invalid_frees, 1);
	assert_non_null(strstr(sim_last_log(), "freed at"));
	kfree(&on_stack);
	assert_int_equal(counts().invalid_frees, 2);
	assert_int_equal(ksize(p), 100);		/* still live, untouched */
	kfree(p);
	assert_int_equal(counts().double_frees, 0);
	struct kmem_cache *a = kmem_cache_create("a", 32, 8, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("b", 32, 8, 0, NULL);
	void *o = kmem_cache_alloc(a);
	kmem_cache_free(b, o);				/* wrong cache */
	assert_int_equal(counts().invalid_frees, 3);
	kmem_cache_free(a, o);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

static void red_zones(void **state)
{
	(void)state;
	char *p = kmalloc(10);
	memcpy(p, "0123456789", 10);
	assert_int_equal(heap_check(), 0);
	p[10] = 'x';					/* one byte too far */
	assert_int_equal(heap_check(), 1);		/* found on demand */
	kfree(p);					/* and on free */
	assert_int_equal(counts().redzone_hits, 2);
	assert_non_null(strstr(sim_last_log(), "detected on free"));
	/* Every size keeps at least 8 bytes of red zone. */
	for (size_t n = 1; n + 8 <= 8192; n += 13) {
		char *q = kmalloc(n);
		q[n + 7] = 1;
		kfree(q);
	}
	assert_true(counts().redzone_hits > 600);
}

static void use_after_free(void **state)
{
	(void)state;
	char *p = kmalloc(64);
	kfree(p);
	p[20] = 1;					/* after the free */
	assert_int_equal(heap_check(), 1);
	void *q[2000];
	int n;
	for (n = 0; n < 2000 && counts().use_after_free < 2; n++)
		q[n] = kmalloc(64);			/* until p is handed out again */
	assert_int_equal(counts().use_after_free, 2);
	assert_non_null(strstr(sim_last_log(), "freed at"));
	while (n--)
		kfree(q[n]);
}

static void sites_and_leaks(void **state)
{
	(void)state;
	void *old = kmalloc(8);
	heap_mark();
	void *a = kmalloc(1000);
	int line = __LINE__ + 1;
	void *b = kzalloc(3000);
	void *c = kmalloc(200000);			/* large areas too */
	kfree(a);
	assert_int_equal(heap_leak_report(), 2);
	assert_non_null(strstr(sim_last_log(), "allocated at"));
	kfree(b);
	kfree(c);
	assert_int_equal(heap_leak_report(), 0);
	kfree(old);
	(void)line;
}

static int find_line(const struct heap_live_obj *o, void *ctx)
{
	int *line = ctx;

	if (o->site.file && strstr(o->site.file, "test_heap_debug.c") && (int)o->site.line == *line)
		*line = -1;
	return 0;
}

static void allocation_site_kept(void **state)
{
	(void)state;
	int line = __LINE__ + 1;
	void *p = kmalloc(77);
	heap_for_each_live(find_line, &line);
	assert_int_equal(line, -1);
	assert_int_equal(ksize(p), 77);
	kfree(p);
}

static void hardened_freelist(void **state)
{
	(void)state;
	assert_int_equal(heap_init(&heap_pages_mmap, 0), 0);	/* fast path, hardened */
	uint64_t *p = kmalloc(64), *q = kmalloc(64);
	memset(q, 0xee, 64);
	kfree(p);
	kfree(q);
	/* q's first word encodes p, but is not p; the rest was zeroed. */
	assert_true(q[0] != (uintptr_t)p);
	for (int i = 1; i < 8; i++)
		assert_int_equal(q[i], 0);
	q[0] ^= 0x18;					/* corrupt the free pointer */
	void *a = kmalloc(64);				/* q */
	void *b = kmalloc(64);				/* the check fails: list dropped */
	assert_ptr_equal(a, q);
	assert_non_null(b);
	assert_true(b != p);
	assert_int_equal(counts().freelist_corrupt, 1);
	kfree(a);
	kfree(b);
}

/* A private heap with the checks on, beside a global heap without them. */
static void private_debug_heap(void **state)
{
	(void)state;
	assert_int_equal(heap_init(&heap_pages_mmap, 0), 0);
	struct heap *h = heap_create(&heap_pages_mmap, HEAP_DEBUG);
	assert_non_null(h);
	struct heap_debug_counts c;
	char *p = heap_alloc(h, 40), *q = heap_alloc(h, 100000);
	assert_int_equal(heap_usable(h, p), 40);	/* the requested size */
	assert_int_equal(heap_usable(h, q), 100000);
	p[40] = 1;					/* into the red zone */
	assert_int_equal(heap_validate(h), 1);
	heap_free(h, p);
	heap_free(h, p);
	heap_debug_counts(h, &c);
	assert_int_equal(c.redzone_hits, 2);		/* by heap_validate, then on free */
	assert_int_equal(c.double_frees, 1);
	assert_int_equal(counts().double_frees, 0);	/* the global heap's are its own */
	assert_int_equal(heap_walk(h, NULL, NULL), 1);	/* q */
	/* A hardened private heap checks its free-list pointers too. */
	uint64_t *a = heap_alloc(h, 64), *b = heap_alloc(h, 64);
	heap_free(h, a);
	assert_true(heap_contains(h, b) && !heap_contains(h, a));
	heap_free(h, b);
	heap_destroy(h);
}

/*
 * A lazy debug heap (HEAP_CHECK_LAZY, as Win32 heaps are) frees through its
 * front lists, with every check kept: red zone on free, double free, and the
 * poison of an object on the list checked by heap_validate(); heap_shrink()
 * gives the lists' objects back to the slabs.
 */
static void private_lazy_front_lists(void **state)
{
	(void)state;
	assert_int_equal(heap_init(&heap_pages_mmap, 0), 0);
	struct heap *h = heap_create(&heap_pages_mmap, HEAP_DEBUG | HEAP_CHECK_LAZY);
	assert_non_null(h);
	struct heap_debug_counts c;
	char *live[64] = { 0 };
	unsigned x = 1;
	for (int i = 0; i < 20000; i++) {
		unsigned k = (unsigned)i & 63;
		x = x * 1103515245u + 12345u;
		size_t n = 16 + (x >> 16) % 497;
		if (live[k])
			assert_true(heap_release(h, live[k]));
		live[k] = heap_alloc(h, n);
		assert_non_null(live[k]);
		assert_int_equal(heap_usable(h, live[k]), n);
		assert_int_equal((unsigned char)live[k][n], 0xcc);	/* red zone laid */
		memset(live[k], 0x5a, n);
	}
	assert_int_equal(heap_validate(h), 0);
	/* A pointer freed twice, or inside a block: false, nothing freed, not reported. */
	char *p = live[0];
	assert_true(heap_release(h, p));
	assert_false(heap_release(h, p));
	assert_false(heap_release(h, live[1] + 16));
	assert_false(heap_contains(h, p));
	heap_debug_counts(h, &c);
	assert_int_equal(c.double_frees + c.invalid_frees + c.redzone_hits + c.use_after_free, 0);
	/* heap_free() of a block on a front list is a double free, reported. */
	heap_free(h, p);
	heap_debug_counts(h, &c);
	assert_int_equal(c.double_frees, 1);
	/* Written after it was freed (it sits on a front list): heap_validate() sees it. */
	p[20] = 1;
	assert_int_equal(heap_validate(h), 1);
	p[20] = 0x6b;
	assert_int_equal(heap_validate(h), 0);
	/* An overrun is reported when the block is freed. */
	live[2][heap_usable(h, live[2])] = 0;
	assert_true(heap_release(h, live[2]));
	heap_debug_counts(h, &c);
	assert_int_equal(c.redzone_hits, 1);
	/* Everything freed: the heap holds nothing once shrunk, front lists included. */
	for (int k = 3; k < 64; k++)
		assert_true(heap_release(h, live[k]));
	heap_release(h, live[1]);
	memory_stats_t st;
	heap_stats(h, &st);
	assert_int_equal(st.heap_used, 0);
	assert_true(heap_shrink(h) > 0);
	heap_stats(h, &st);
	assert_int_equal(st.slab_bytes, 0);
	assert_int_equal(heap_validate(h), 0);
	heap_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(double_free_reported_and_ignored, debug_heap),
		cmocka_unit_test_setup(invalid_and_interior_frees, debug_heap),
		cmocka_unit_test_setup(red_zones, debug_heap),
		cmocka_unit_test_setup(use_after_free, debug_heap),
		cmocka_unit_test_setup(sites_and_leaks, debug_heap),
		cmocka_unit_test_setup(allocation_site_kept, debug_heap),
		cmocka_unit_test(hardened_freelist),
		cmocka_unit_test(private_debug_heap),
		cmocka_unit_test(private_lazy_front_lists),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
