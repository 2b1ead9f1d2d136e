// SPDX-License-Identifier: MIT
/*
 * The core built with MM_KASAN on the host (mk/kasan_host.mk): the heap and
 * the PMM poison and open simulated RAM through the porting interface's
 * hooks, which host/kasan.c hands to ASan's manual poisoning interface;
 * vmalloc's map and unmap hooks come in pairs, and an area whose shadow
 * cannot be had is not made. An instrumented access to what the core
 * poisoned is an ASan report (checked in a child process, which it ends).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>

#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/host/vm_test_util.h"

static struct pt_space ks;

/* Simulated RAM with the PMM and a vmalloc window; the debug heap over them, as in the KASAN kernel. */
static int setup(void **state)
{
	if (sim_group_setup(state) || vm_ram_setup(64 << 20) || vm_kernel_space(&ks))
		return -1;
	return heap_init(&heap_pages_kernel, HEAP_DEBUG);
}

static int teardown(void **state)
{
	(void)state;
	vmalloc_fini();
	sim_ram_fini();
	return 0;
}

static bool poisoned(const void *p)
{
	return __asan_address_is_poisoned(p) != 0;
}

static void slab_objects(void **state)
{
	(void)state;
	assert_true(heap_debug_enabled());
	unsigned long freed = sim_kasan.poison[KASAN_FREED];
	uint8_t *p = kmalloc(20);
	assert_non_null(p);
	assert_false(poisoned(p));
	assert_false(poisoned(p + 19));
	assert_true(poisoned(p + 20));		/* the rest of its slot is red zone */
	p[19] = 1;
	kfree(p);
	assert_true(poisoned(p));		/* in quarantine */
	assert_int_equal(sim_kasan.poison[KASAN_FREED], freed + 1);
	heap_drain();				/* out of quarantine, still not handed out */
	assert_true(poisoned(p));
	assert_int_equal(heap_check(), 0);
}

static void free_frames(void **state)
{
	(void)state;
	phys_addr_t pa = pmm_alloc_pages(0, PMM_ZERO);
	assert_true(pa != PMM_NO_FRAME);
	uint8_t *v = plat_phys_to_virt(pa);
	assert_false(poisoned(v));
	assert_false(poisoned(v + PAGE_SIZE - 1));
	pmm_free_pages(pa, 0);
	assert_true(poisoned(v));
	assert_true(poisoned(v + PAGE_SIZE - 1));
	/* Held in the PMM's quarantine: the next frame is another, and the freed one counts as free. */
	assert_true(pmm_quarantined(pa));
	struct pmm_stats st;
	pmm_get_stats(&st);
	assert_true(st.cached_frames >= 1);
	phys_addr_t next = pmm_alloc_pages(0, 0);
	assert_true(next != PMM_NO_FRAME && next != pa);
	pmm_free_pages(next, 0);
	assert_int_equal(pmm_check(), 0);
	pmm_drain();
	assert_false(pmm_quarantined(pa));
	assert_true(poisoned(v));		/* back on the free lists, still not handed out */
	assert_int_equal(pmm_check(), 0);
}

static void vmalloc_hooks_pair(void **state)
{
	(void)state;
	long before = sim_kasan.mapped_pages;
	uint8_t *p = vmalloc(3 * PAGE_SIZE + 5);
	assert_non_null(p);
	assert_int_equal(sim_kasan.mapped_pages, before + 4);
	p = vrealloc(p, 6 * PAGE_SIZE);
	assert_non_null(p);
	assert_int_equal(sim_kasan.mapped_pages, before + 6);
	p = vrealloc(p, PAGE_SIZE + 1);
	assert_non_null(p);
	assert_int_equal(sim_kasan.mapped_pages, before + 2);
	unsigned long freed = sim_kasan.poison[KASAN_VMALLOC_FREED];
	vfree(p);
	/* Held in the quarantine of freed areas, poisoned, shadow and all, until drained. */
	assert_int_equal(sim_kasan.poison[KASAN_VMALLOC_FREED], freed + 1);
	assert_int_equal(sim_kasan.mapped_pages, before + 2);
	struct vmalloc_freed f;
	assert_true(vmalloc_freed_of(p + 1, &f));
	assert_true(f.base == (uintptr_t)p && f.size == 2 * PAGE_SIZE);
	assert_true(vmalloc_drain());
	assert_false(vmalloc_freed_of(p + 1, &f));
	assert_int_equal(sim_kasan.mapped_pages, before);

	/* A large kmalloc: its tail past the object is red zone. */
	unsigned long large = sim_kasan.poison[KASAN_LARGE_REDZONE];
	void *q = kmalloc(5 * PAGE_SIZE + 100);
	assert_non_null(q);
	assert_int_equal(sim_kasan.poison[KASAN_LARGE_REDZONE], large + 1);
	assert_int_equal(sim_kasan.mapped_pages, before + 6);
	kfree(q);
	vmalloc_drain();
	assert_int_equal(sim_kasan.mapped_pages, before);
}

static void vmalloc_without_shadow(void **state)
{
	(void)state;
	uint64_t frames = sim_free_frames();
	long before = sim_kasan.mapped_pages;

	sim_kasan.fail_map = true;
	assert_null(vmalloc(2 * PAGE_SIZE));
	sim_kasan.fail_map = false;
	assert_int_equal(sim_free_frames(), frames);	/* the frames it mapped went back */
	assert_int_equal(sim_kasan.mapped_pages, before);
	void *p = vmalloc(2 * PAGE_SIZE);
	assert_non_null(p);
	vfree(p);
}

/* An instrumented read of a freed object: ASan reports it and ends the (child) process. */
static void bad_read_reported(void **state)
{
	(void)state;
	int fds[2];
	volatile uint8_t *p = kmalloc(48);
	assert_non_null(p);
	kfree((void *)p);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		(void)p[8];
		_exit(0);			/* not reached */
	}
	close(fds[1]);
	char out[8192];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(out) - 1 && (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(out, "use-after-poison"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(slab_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(free_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(vmalloc_hooks_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(vmalloc_without_shadow, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_read_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
