// SPDX-License-Identifier: MIT
/*
 * The page cache (mm/pcache.c) and file mappings on it: pages by index,
 * sizes and truncation, holes, reads and writes, frames all given back;
 * shared and private mappings in two processes, truncation and
 * MADV_REMOVE reaching every mapping (as_unmap_object()), and many threads
 * on one object at once (run under TSan too).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/host/as_test_util.h"
#include "mm/commit.h"
#include "mm/pcache.h"

#define RW	(MM_PROT_READ | MM_PROT_WRITE)

static uint64_t free0;
static struct proc P, C;

static int before(void **state)
{
	(void)state;
	assert_int_equal(vm_ram_setup(64 * MiB), 0);
	free0 = sim_free_frames();
	return 0;
}

static int after(void **state)
{
	(void)state;
	pmm_drain();
	assert_int_equal(sim_free_frames(), free0);
	assert_int_equal(pcache_total_pages(), 0);
	assert_int_equal(pcache_total_objects(), 0);
	assert_int_equal(vm_committed_pages(), 0);
	return 0;
}

static void test_pages(void **state)
{
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	phys_addr_t pa, pb;
	uint8_t buf[3 * 4096], back[sizeof(buf)];

	(void)state;
	assert_non_null(pc);
	assert_int_equal(pcache_lookup(pc, 0, true, &pa), PCACHE_BEYOND);	/* size 0 */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(pcache_write(pc, 100, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(pcache_size(pc), 100 + sizeof(buf));
	assert_int_equal(pc->nrpages, 4);
	assert_int_equal(pcache_read(pc, 100, back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(pcache_read(pc, 100 + sizeof(buf) - 10, back, 100), 10);	/* at the end */
	/* The same frame for every lookup; the caller's reference on top of the cache's. */
	assert_int_equal(pcache_lookup(pc, 1, false, &pa), PCACHE_OK);
	assert_int_equal(pcache_lookup(pc, 1, false, &pb), PCACHE_OK);
	assert_int_equal(pa, pb);
	assert_int_equal(pmm_refcount(pa), 3);
	pmm_put(pa);
	pmm_put(pb);
	assert_int_equal(pcache_find(pc, 1), pa);
	/* Shrinking zeroes the rest of the last page and drops the pages past it. */
	pcache_set_size(pc, 4096 + 10);
	assert_int_equal(pc->nrpages, 2);
	pcache_set_size(pc, 3 * 4096);
	assert_int_equal(pcache_read(pc, 4096, back, 4096), 4096);
	assert_memory_equal(back, buf + 4096 - 100, 10);
	for (int i = 10; i < 4096; i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(pcache_read(pc, 2 * 4096, back, 4096), 4096);	/* a hole: zeroes */
	assert_int_equal(back[0], 0);
	assert_int_equal(pc->nrpages, 2);				/* reading a hole fills nothing */
	pcache_punch(pc, 0, 1);
	assert_int_equal(pcache_find(pc, 0), 0);
	assert_int_equal(pc->nrpages, 1);
	pcache_put(pc);
}

static void test_sparse(void **state)
{
	struct pcache *pc = pcache_create(0);
	phys_addr_t pa;

	(void)state;
	/* An unsized object (shared anonymous memory): any index, the tree grows to it. */
	assert_int_equal(pcache_lookup(pc, 5, true, &pa), PCACHE_OK);
	pmm_put(pa);
	assert_int_equal(pcache_lookup(pc, 1ull << 34, true, &pa), PCACHE_OK);
	pmm_put(pa);
	assert_int_equal(pcache_lookup(pc, 3, false, &pa), PCACHE_OK);
	assert_int_equal(pa, PMM_NO_FRAME);
	assert_int_equal(pc->nrpages, 2);
	pcache_punch(pc, 0, UINT64_MAX);
	assert_int_equal(pc->nrpages, 0);
	pcache_put(pc);
}

static void test_out_of_memory(void **state)
{
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	static uint8_t page[4096];
	uint64_t n = 0;

	(void)state;
	while (pcache_write(pc, n * 4096, page, 4096) == 4096)
		n++;
	assert_true(n > 1000);
	assert_int_equal(pcache_size(pc), n * 4096);	/* a failed write does not grow it */
	pcache_put(pc);					/* and every frame comes back (after()) */
}

/* A quota (tmpfs's size=) caps the pages of the objects counted in it. */
static void test_quota(void **state)
{
	struct pcache_quota q = { .max = 5 };
	struct pcache *a = pcache_create(PCACHE_SIZED), *b = pcache_create(0);
	static uint8_t page[4 * 4096];
	phys_addr_t pa;

	(void)state;
	pcache_set_quota(a, &q);
	pcache_set_quota(b, &q);
	assert_int_equal(pcache_write(a, 0, page, 3 * 4096), 3 * 4096);
	assert_int_equal(pcache_lookup(b, 7, true, &pa), PCACHE_OK);
	pmm_put(pa);
	assert_int_equal(pcache_lookup(b, 1ull << 30, true, &pa), PCACHE_OK);
	pmm_put(pa);
	assert_int_equal(q.used, 5);
	/* Full: no new page in either object; the pages they have are still there. */
	assert_int_equal(pcache_lookup(b, 8, true, &pa), PCACHE_NOSPC);
	assert_int_equal(pcache_write(a, 3 * 4096, page, 4096), -MM_ENOMEM);
	assert_int_equal(pcache_size(a), 3 * 4096);
	assert_int_equal(pcache_write(a, 4096, page, 4096), 4096);
	assert_int_equal(pcache_lookup(b, 7, true, &pa), PCACHE_OK);
	pmm_put(pa);
	assert_int_equal(q.used, 5);
	/* What leaves an object leaves the count. */
	pcache_punch(b, 0, UINT64_MAX);
	assert_int_equal(q.used, 3);
	pcache_set_size(a, 4096);
	assert_int_equal(q.used, 1);
	assert_int_equal(pcache_write(a, 4096, page, 4 * 4096), 4 * 4096);
	assert_int_equal(q.used, 5);
	pcache_put(a);
	pcache_put(b);
	assert_int_equal(q.used, 0);
}

/* Two processes share a file; truncation and MADV_REMOVE reach both. */
static void test_mappings_follow_the_object(void **state)
{
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct as_file f = { "f", pc, NULL, NULL, NULL, false };
	static uint8_t data[4 * 4096];
	long s, p;

	(void)state;
	memset(data, 'd', sizeof(data));
	pcache_write(pc, 0, data, sizeof(data));
	assert_int_equal(as_init(&P.as, NULL), 0);
	proc_cpu(&P);
	s = as_mmap(&P.as, 0, 4 * PG, RW, MM_MAP_SHARED, &f, 0);
	p = as_mmap(&P.as, 0, 4 * PG, RW, MM_MAP_PRIVATE, &f, 0);
	assert_false(as_is_err(s) || as_is_err(p));
	assert_int_equal(uwrite8(&P, (uintptr_t)s + 2 * PG, 'S'), 0);
	assert_int_equal(upeek(&P, (uintptr_t)p + 2 * PG), 'S');	/* private, untouched: the file */
	assert_int_equal(uwrite8(&P, (uintptr_t)p + 3 * PG, 'P'), 0);	/* a private copy */
	assert_int_equal(as_fork(&C.as, &P.as), 0);
	proc_cpu(&C);
	assert_int_equal(upeek(&C, (uintptr_t)p + 3 * PG), 'P');
	assert_int_equal(uwrite8(&C, (uintptr_t)s + PG, 'C'), 0);
	assert_int_equal(upeek(&P, (uintptr_t)s + PG), 'C');		/* shared across fork */
	/* Truncate to one page: pages 1-3 go from every mapping, copies too. */
	pcache_set_size(pc, PG);
	as_unmap_object(pc, 1, UINT64_MAX - 1, true);
	struct vm_fault vf = { .addr = (uintptr_t)s + 2 * PG, .flags = VM_FAULT_USER };
	assert_int_equal(vm_handle_fault(&P.as.vs, &vf), VM_FAULT_SIGBUS);
	vf.addr = (uintptr_t)p + 3 * PG;
	assert_int_equal(vm_handle_fault(&C.as.vs, &vf), VM_FAULT_SIGBUS);
	assert_int_equal(upeek(&C, (uintptr_t)s), 'd');		/* page 0 stays */
	/* Grow again and punch page 0 through the child: the parent sees the hole. */
	pcache_set_size(pc, 4 * PG);
	assert_int_equal(upeek(&P, (uintptr_t)s + 3 * PG), 0);
	assert_int_equal(as_madvise(&C.as, (uintptr_t)s, PG, MM_MADV_REMOVE), 0);
	assert_int_equal(upeek(&P, (uintptr_t)s), 0);
	assert_int_equal(as_madvise(&C.as, (uintptr_t)p, PG, MM_MADV_REMOVE), -MM_EACCES);
	assert_int_equal(as_check(&P.as), 0);
	assert_int_equal(as_check(&C.as), 0);
	as_destroy(&C.as);
	as_destroy(&P.as);
	assert_int_equal(pc->mapcount, 0);
	pcache_put(pc);
}

/* msync and mincore over file, shared and anonymous regions. */
static void test_msync_mincore(void **state)
{
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct as_file f = { "f", pc, NULL, NULL, NULL, false };
	static uint8_t page[4096];
	uint8_t vec[4];
	long s, a;

	(void)state;
	pcache_write(pc, 0, page, sizeof(page));
	pcache_set_size(pc, 4 * PG);
	assert_int_equal(as_init(&P.as, NULL), 0);
	proc_cpu(&P);
	s = as_mmap(&P.as, 0, 4 * PG, RW, MM_MAP_SHARED, &f, 0);
	a = as_mmap(&P.as, 0, 4 * PG, RW, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);
	assert_int_equal(as_mincore(&P.as, (uintptr_t)s, 4, vec), 4);
	assert_memory_equal(vec, ((uint8_t[]){ 1, 0, 0, 0 }), 4);	/* the cache's page 0 */
	assert_int_equal(uwrite8(&P, (uintptr_t)a + PG, 1), 0);
	assert_int_equal(as_mincore(&P.as, (uintptr_t)a, 4, vec), 4);
	assert_memory_equal(vec, ((uint8_t[]){ 0, 1, 0, 0 }), 4);
	assert_int_equal(as_mincore(&P.as, (uintptr_t)a - 100 * PG, 1, vec), -MM_ENOMEM);
	assert_int_equal(as_msync(&P.as, (uintptr_t)s, 4 * PG, MM_MS_SYNC), 0);
	assert_int_equal(as_msync(&P.as, (uintptr_t)s, 4 * PG, MM_MS_SYNC | MM_MS_ASYNC), -MM_EINVAL);
	assert_int_equal(as_msync(&P.as, (uintptr_t)s + 1, PG, MM_MS_SYNC), -MM_EINVAL);
	assert_int_equal(as_msync(&P.as, (uintptr_t)s - 100 * PG, PG, MM_MS_ASYNC), -MM_ENOMEM);
	as_destroy(&P.as);
	pcache_put(pc);
}

/* Threads writing, reading, punching and resizing one object at once. */
struct worker {
	struct pcache *pc;
	unsigned seed;
	uint64_t base;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[512];
	unsigned s = w->seed;

	/* Data goes to the thread's own 16 pages; punching and resizing hit anyone's. */
	for (int i = 0; i < 3000; i++) {
		s = s * 1103515245 + 12345;
		uint64_t any = (s >> 8) % (64 * 4096);
		uint64_t off = w->base + any % (16 * 4096 - sizeof(buf));
		switch ((s >> 4) % 4) {
		case 0:
			memset(buf, (int)s, sizeof(buf));
			pcache_write(w->pc, off, buf, sizeof(buf));
			break;
		case 1:
			pcache_read(w->pc, off, buf, sizeof(buf));
			break;
		case 2:
			pcache_punch(w->pc, any >> 12, 2);
			break;
		default:
			if (!(s & 0x300))	/* page-aligned: no zeroing inside a page */
				pcache_set_size(w->pc, any & ~4095ull);
			break;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct pcache *pc = pcache_create(PCACHE_SIZED);
	struct worker w[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ pc, (unsigned)i * 7919 + 1, (uint64_t)i * 16 * 4096 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_true(pc->nrpages <= 64 + 1);
	assert_int_equal(pcache_total_pages(), pc->nrpages);
	pcache_put(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pages, before, after),
		cmocka_unit_test_setup_teardown(test_sparse, before, after),
		cmocka_unit_test_setup_teardown(test_out_of_memory, before, after),
		cmocka_unit_test_setup_teardown(test_quota, before, after),
		cmocka_unit_test_setup_teardown(test_mappings_follow_the_object, before, after),
		cmocka_unit_test_setup_teardown(test_msync_mincore, before, after),
		cmocka_unit_test_setup_teardown(test_threads, before, after),
	};

	return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
