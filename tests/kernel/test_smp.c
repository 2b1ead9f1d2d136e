// SPDX-License-Identifier: MIT
/*
 * Several CPUs: cross-CPU calls reach every CPU; a translation removed on
 * one CPU is gone on all before the call returns (kernel space through
 * vfree, a process-like space through its CPU set, a lazily kept space on
 * its destruction); and the PMM, heap, vmalloc and page tables hammered
 * from every CPU at once give every frame back. On one CPU the cases that
 * need others are skipped.
 */
#include "arch.h"
#include "percpu.h"
#include "smp.h"
#include "kernel/heap.h"
#include "kernel/ktest.h"
#include "kernel/task.h"
#include "mm/as.h"
#include "mm/fault.h"
#include "mm/heap.h"
#include "mm/heap_pages.h"
#include "mm/pmm.h"
#include "mm/vmalloc.h"
#include "tests/kernel/frames.h"

#define USER_VA		0x40000000ul
#define READER_NS	2000000000ull	/* a reader gives up after 2 s */

/* Several CPUs, and the test on CPU 0 (the remover of the shootdown cases). */
static bool need_others(struct ktest *t)
{
	if (ncpus_online < 2) {
		ktest_skip(t, "one CPU");
		return false;
	}
	sched_set_affinity(current(), 1);	/* the runner may have moved */
	while (this_cpu()->id != 0)
		yield();
	return true;
}

static mm_cpumask_t others(void)
{
	return cpu_online_mask & ~((mm_cpumask_t)1 << this_cpu()->id);
}

static unsigned count(mm_cpumask_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

static uint64_t hits[MM_MAX_CPUS];

static void count_hit(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&hits[this_cpu()->id], 1, __ATOMIC_RELAXED);
}

static void call_reaches_every_cpu(struct ktest *t)
{
	memset(hits, 0, sizeof(hits));
	for (int i = 0; i < 100; i++)
		smp_call(cpu_online_mask, count_hit, NULL);
	for_each_online_cpu(c)
		KEXPECT_EQ(t, hits[c], 100);
	smp_call(others(), count_hit, NULL);
	KEXPECT_EQ(t, hits[this_cpu()->id], 100);
}

/*
 * One CPU removes a mapping while the others keep reading it. Once the
 * removal has returned, no read that starts afterwards may succeed.
 */
struct shoot {
	volatile int *p;
	struct pt_space *space;		/* readers load it first; NULL: kernel space */
	bool stay_lazy;			/* readers keep it loaded afterwards */
	void (*remove)(struct shoot *s);
	unsigned ready, faulted, violations;
	MM_ATOMIC64 uint64_t reads;	/* readers add atomically */
	volatile int removed;
};

static void reader(struct shoot *s)
{
	uint64_t end = time_ns() + READER_NS;
	bool lazy = this_cpu()->lazy;	/* its idle task is a kernel thread */

	this_cpu()->lazy = false;	/* the reader uses the space, as a task would */
	if (s->space)
		pt_space_load(s->space);
	__atomic_fetch_add(&s->ready, 1, __ATOMIC_SEQ_CST);
	while (time_ns() < end) {
		struct fault_catch fc;
		int gone = __atomic_load_n(&s->removed, __ATOMIC_SEQ_CST);

		if (FAULT_TRY(&fc)) {
			(void)*s->p;
			fault_catch_disarm();
		}
		if (fc.caught) {
			__atomic_fetch_add(&s->faulted, 1, __ATOMIC_SEQ_CST);
			break;
		}
		if (gone) {
			__atomic_fetch_add(&s->violations, 1, __ATOMIC_SEQ_CST);
			break;
		}
		__atomic_fetch_add(&s->reads, 1, __ATOMIC_RELAXED);
		tlb_poll();	/* interrupts are off in a cross-CPU call */
	}
	if (s->space && !s->stay_lazy)
		pt_space_load(&kernel_vm.pt);
	if (!s->stay_lazy)
		this_cpu()->lazy = lazy;
}

static void shoot_fn(void *arg)
{
	struct shoot *s = arg;
	unsigned n = count(others());

	if (this_cpu()->id != 0) {
		reader(s);
		return;
	}
	while (__atomic_load_n(&s->ready, __ATOMIC_SEQ_CST) < n ||
	       __atomic_load_n(&s->reads, __ATOMIC_RELAXED) < 100 * n)
		__asm__ volatile("pause");
	s->remove(s);
	__atomic_store_n(&s->removed, 1, __ATOMIC_SEQ_CST);
}

static void run_shoot(struct ktest *t, struct shoot *s)
{
	unsigned n = count(others());

	smp_call(cpu_online_mask, shoot_fn, s);
	KEXPECT_EQ(t, s->violations, 0);
	KEXPECT_EQ(t, s->faulted, n);
}

static void remove_vfree(struct shoot *s)
{
	vfree((void *)s->p);
}

static void vfree_reaches_every_cpu(struct ktest *t)
{
	if (!need_others(t))
		return;
	uint64_t before = free_frames_all_cpus();
	struct shoot s = { .remove = remove_vfree };

	s.p = vmalloc(PAGE_SIZE);
	*s.p = 42;
	run_shoot(t, &s);
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

static void remove_unmap(struct shoot *s)
{
	pt_unmap(s->space, USER_VA, PAGE_SIZE, NULL, NULL);
}

/* A space like a process's: the kernel half shared, a page in the lower half. */
static bool make_space(struct ktest *t, struct pt_space *ps, phys_addr_t *frame)
{
	*frame = pmm_alloc_page();
	if (*frame == PMM_NO_FRAME || pt_space_init(ps, kernel_vm.pt.fmt) ||
	    as_share_kernel(ps, &kernel_vm.pt) ||
	    pt_map(ps, USER_VA, *frame, PAGE_SIZE, PT_WRITE, 0)) {
		ktest_fail(t, __FILE__, __LINE__, "no memory for a test space");
		return false;
	}
	return true;
}

static void set_lazy(void *arg)
{
	this_cpu()->lazy = arg != NULL;
}

/*
 * Readers load a process-like space, the boot CPU unmaps its page. Then
 * either all readers have left it, or (@lazy) they keep it as a kernel
 * thread would, and destroying it must evict them.
 */
static void space_shootdown(struct ktest *t, bool lazy)
{
	if (!need_others(t))
		return;
	uint64_t before = free_frames_all_cpus();
	struct pt_space ps;
	phys_addr_t frame;

	if (!make_space(t, &ps, &frame))
		return;
	struct shoot s = { .p = (volatile int *)USER_VA, .space = &ps, .stay_lazy = lazy,
			   .remove = remove_unmap };
	run_shoot(t, &s);
	if (lazy) {
		smp_call(others(), set_lazy, &ps);
		KEXPECT_EQ(t, ps.cpus, others());	/* still loaded, lazily */
	}
	pt_space_destroy(&ps);			/* would panic if one kept it */
	KEXPECT_EQ(t, ps.cpus, 0);
	if (lazy)
		smp_call(others(), set_lazy, NULL);
	pmm_free_page(frame);
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

static void unmap_reaches_cpus_of_space(struct ktest *t)
{
	space_shootdown(t, false);
}

static void destroy_evicts_lazy_cpus(struct ktest *t)
{
	space_shootdown(t, true);
}

/*
 * A large unmap in a space other CPUs hold: the cleared leaves are held
 * back, past PT_FREE_BATCH, until one shootdown, not flushed 64 at a time;
 * none goes back before a shootdown has been sent.
 */
#define BIG_UNMAP_PAGES	600

static struct {
	uint64_t sent_at_start, shootdowns;
	unsigned released, early;
} big;

static void release_counted(phys_addr_t pa, uint64_t size, void *ctx)
{
	(void)ctx;
	big.early += this_cpu()->tlb_sent == big.sent_at_start;
	big.released += size == PAGE_SIZE;
	pmm_free_page(pa);
}

static void remove_big(struct shoot *s)
{
	big.sent_at_start = this_cpu()->tlb_sent;
	pt_unmap(s->space, USER_VA, BIG_UNMAP_PAGES * PAGE_SIZE, release_counted, NULL);
	big.shootdowns = this_cpu()->tlb_sent - big.sent_at_start;
}

static void big_unmap_few_shootdowns(struct ktest *t)
{
	if (!need_others(t))
		return;
	uint64_t before = free_frames_all_cpus();
	struct pt_space ps;
	phys_addr_t frame;

	if (!make_space(t, &ps, &frame))
		return;
	for (unsigned i = 1; i < BIG_UNMAP_PAGES; i++) {
		phys_addr_t f = pmm_alloc_page();

		KEXPECT(t, f != PMM_NO_FRAME);
		if (f == PMM_NO_FRAME || pt_map(&ps, USER_VA + i * PAGE_SIZE, f, PAGE_SIZE, PT_WRITE, 0))
			return;
	}
	big.released = big.early = 0;

	/* Readers read the last page, so they hold the space until the very end. */
	struct shoot s = { .p = (volatile int *)(USER_VA + (BIG_UNMAP_PAGES - 1) * PAGE_SIZE),
			   .space = &ps, .remove = remove_big };

	run_shoot(t, &s);
	KEXPECT_EQ(t, big.released, BIG_UNMAP_PAGES);
	KEXPECT_EQ(t, big.early, 0);
	KEXPECT(t, big.shootdowns >= 1 && big.shootdowns <= 2);
	pt_space_destroy(&ps);
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

/*
 * A target that answers late (interrupts off, no polling, for LATE_NS):
 * the sender, waiting with interrupts on, halts after its short spin
 * instead of spinning on, the target's answer wakes it, and the call
 * returns only after that answer, which the target's next read sees.
 */
#define LATE_NS		5000000ull

static struct {
	struct pt_space *space;
	volatile int go, loaded, wrong_cpu, faulted, saw_request;
	volatile uint64_t answered_at;
} late;

static void late_target(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	while (!late.go)
		yield();
	yield();		/* the switch that moves it */
	late.wrong_cpu = this_cpu()->id != cpu;

	unsigned long fl = plat_irq_save();
	bool lazy = this_cpu()->lazy;
	uint64_t deadline = time_ns() + READER_NS;

	this_cpu()->lazy = false;
	pt_space_load(late.space);
	(void)*(volatile int *)USER_VA;
	__atomic_store_n(&late.loaded, 1, __ATOMIC_SEQ_CST);
	/* CPU 0's request, not answered yet: interrupts are off and nothing polls. */
	while (!(__atomic_load_n(&this_cpu()->tlb_from, __ATOMIC_SEQ_CST) & 1) && time_ns() < deadline)
		__asm__ volatile("pause");
	late.saw_request = (__atomic_load_n(&this_cpu()->tlb_from, __ATOMIC_SEQ_CST) & 1) != 0;
	for (uint64_t end = time_ns() + LATE_NS; time_ns() < end;)
		__asm__ volatile("pause");
	late.answered_at = time_ns();
	plat_irq_restore(fl);	/* the shootdown's interrupt: flush, answer, wake the sender */

	struct fault_catch fc;

	if (FAULT_TRY(&fc)) {
		(void)*(volatile int *)USER_VA;
		fault_catch_disarm();
	}
	late.faulted = fc.caught;
	fl = plat_irq_save();
	pt_space_load(&kernel_vm.pt);
	this_cpu()->lazy = lazy;
	plat_irq_restore(fl);
}

static void late_answer_wakes_sender(struct ktest *t)
{
	if (!need_others(t))
		return;
	uint64_t before = free_frames_all_cpus();
	struct pt_space ps;
	phys_addr_t frame;

	if (!make_space(t, &ps, &frame))
		return;
	memset((void *)&late, 0, sizeof(late));
	late.space = &ps;

	struct task *k = kthread_create("late-answer", late_target, (void *)(uintptr_t)1);

	KEXPECT(t, k != NULL);
	if (!k)
		return;
	sched_set_affinity(k, (mm_cpumask_t)1 << 1);
	late.go = 1;
	while (!__atomic_load_n(&late.loaded, __ATOMIC_SEQ_CST))
		yield();

	uint64_t halts = this_cpu()->tlb_halts, wakes = cpu_data[1]->tlb_wakes;

	KEXPECT_EQ(t, pt_zap(&ps, USER_VA, PAGE_SIZE, NULL, NULL), 0);	/* interrupts on */
	uint64_t returned_at = time_ns();

	while (k->state != TASK_ZOMBIE || k->on_cpu)
		yield();
	task_free(k);
	KEXPECT(t, !late.wrong_cpu);
	KEXPECT(t, late.saw_request);
	KEXPECT(t, returned_at >= late.answered_at);
	KEXPECT(t, late.faulted);
	KEXPECT(t, this_cpu()->tlb_halts > halts);
	KEXPECT(t, cpu_data[1]->tlb_wakes > wakes);
	pt_space_destroy(&ps);
	pmm_free_page(frame);
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

/* --- Stress: every CPU at once ------------------------------------------------ */

#define STRESS_ROUNDS	300
#define STRESS_SLOTS	32

struct stress {
	unsigned errors;
	struct pt_space *shared;	/* one space every CPU maps into, each at its own range */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void stress_fn(void *arg)
{
	struct stress *st = arg;
	unsigned id = this_cpu()->id;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (id + 1);
	void *heap[STRESS_SLOTS] = { 0 }, *vm[STRESS_SLOTS / 4] = { 0 };
	phys_addr_t pages[STRESS_SLOTS];
	uintptr_t base = USER_VA + (uintptr_t)id * 0x1000000;
	unsigned errors = 0;

	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		pages[i] = PMM_NO_FRAME;
	for (unsigned r = 0; r < STRESS_ROUNDS; r++) {
		unsigned i = rnd(&seed) % STRESS_SLOTS, j = i % (STRESS_SLOTS / 4);

		if (heap[i]) {
			if (*(uint32_t *)heap[i] != (id << 16 | i))
				errors++;
			kfree(heap[i]);
			heap[i] = NULL;
		} else if ((heap[i] = kmalloc(rnd(&seed) % 3000 + 8))) {
			*(uint32_t *)heap[i] = id << 16 | i;
		}
		if (pages[i] != PMM_NO_FRAME) {
			pt_unmap(st->shared, base + i * PAGE_SIZE, PAGE_SIZE, NULL, NULL);
			pmm_free_pages(pages[i], i % 3);
			pages[i] = PMM_NO_FRAME;
		} else if ((pages[i] = pmm_alloc_pages(i % 3, 0)) != PMM_NO_FRAME &&
			   pt_map(st->shared, base + i * PAGE_SIZE, pages[i], PAGE_SIZE, PT_WRITE, 0)) {
			errors++;
		}
		if (r % 4 == 0) {
			if (vm[j]) {
				if (((volatile uint8_t *)vm[j])[PAGE_SIZE] != (uint8_t)(id + j))
					errors++;
				vfree(vm[j]);
				vm[j] = NULL;
			} else if ((vm[j] = vmalloc(PAGE_SIZE * (j + 2)))) {
				((volatile uint8_t *)vm[j])[PAGE_SIZE] = (uint8_t)(id + j);
			}
		}
		tlb_poll();
	}
	for (unsigned i = 0; i < STRESS_SLOTS; i++) {
		kfree(heap[i]);
		if (pages[i] != PMM_NO_FRAME) {
			pt_unmap(st->shared, base + i * PAGE_SIZE, PAGE_SIZE, NULL, NULL);
			pmm_free_pages(pages[i], i % 3);
		}
	}
	for (unsigned j = 0; j < STRESS_SLOTS / 4; j++)
		vfree(vm[j]);
	__atomic_fetch_add(&st->errors, errors, __ATOMIC_SEQ_CST);
}

static void stress_every_cpu(struct ktest *t)
{
	uint64_t before = free_frames_all_cpus();
	struct vmalloc_stats vs0, vs1;
	struct pt_space ps;
	struct stress st = { .shared = &ps };

	vmalloc_get_stats(&vs0);
	if (pt_space_init(&ps, kernel_vm.pt.fmt)) {
		ktest_fail(t, __FILE__, __LINE__, "no memory for a test space");
		return;
	}
	for (int round = 0; round < 3; round++)
		smp_call(cpu_online_mask, stress_fn, &st);
	KEXPECT_EQ(t, st.errors, 0);
	KEXPECT_EQ(t, ps.table_pages, 1);	/* every emptied table freed */
	pt_space_destroy(&ps);
	vmalloc_get_stats(&vs1);
	KEXPECT_EQ(t, vs1.areas, vs0.areas);
	KEXPECT_EQ(t, vs1.bytes, vs0.bytes);
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

/*
 * The heap's slab arena (mm/heap_arena.c) on every CPU at once: each CPU
 * goes through phases of its own sizes, frees 90 % of what it holds and
 * checks the rest, and gives the heap's free pages back (heap_shrink()) at
 * each phase's end, while the others revive pages of the same caches' slabs
 * (their objects come back, unmapped pages mapped again). A page given back
 * while an object on it was live, or touched before it was mapped again,
 * would show as a pattern lost or a fault. Frames exact at the end.
 */
#define PURGE_PHASES	8
#define PURGE_OBJS	300

struct purge_stress {
	unsigned errors, failed;
};

static void purge_fn(void *arg)
{
	struct purge_stress *st = arg;
	unsigned id = this_cpu()->id, errors = 0, failed = 0, n = 0;
	uint64_t seed = 0x2545f4914f6cdd1dull * (id + 1);
	static uint8_t *held[MM_MAX_CPUS][PURGE_PHASES * PURGE_OBJS];
	static uint32_t len[MM_MAX_CPUS][PURGE_PHASES * PURGE_OBJS];
	uint8_t **h = held[id];
	uint32_t *l = len[id];

	for (unsigned ph = 0; ph < PURGE_PHASES; ph++) {
		size_t sz = (size_t)16 << ((ph + id) % 9);
		for (unsigned i = 0; i < PURGE_OBJS; i++) {
			size_t want = sz + rnd(&seed) % sz;
			uint8_t *o = kmalloc(want);
			if (!o) {
				failed++;
				continue;
			}
			memset(o, (int)(id * 31 + n), want);
			tlb_poll();	/* interrupts are off here: answer the others' shootdowns */
			h[n] = o;
			l[n++] = (uint32_t)want;
		}
		unsigned keep = 0;
		for (unsigned i = 0; i < n; i++) {
			if (h[i][0] != (uint8_t)(id * 31 + i) || h[i][l[i] - 1] != (uint8_t)(id * 31 + i))
				errors++;
			tlb_poll();
			if (rnd(&seed) % 10) {
				kfree(h[i]);
				continue;
			}
			h[keep] = h[i];
			l[keep] = l[i];
			memset(h[keep], (int)(id * 31 + keep), l[keep]);
			keep++;
		}
		n = keep;
		heap_drain();
		heap_shrink(&heap_global);
	}
	for (unsigned i = 0; i < n; i++)
		kfree(h[i]);
	__atomic_fetch_add(&st->errors, errors, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&st->failed, failed, __ATOMIC_SEQ_CST);
}

static void heap_purge_every_cpu(struct ktest *t)
{
	uint64_t before = free_frames_all_cpus(), p0 = 0, r0 = 0, f0, p1 = 0, r1 = 0, f1;
	struct purge_stress st = { 0 };

	if (heap_pages_kernel.pages_restore)
		heap_arena_stats(&p0, &r0, &f0);
	smp_call(cpu_online_mask, purge_fn, &st);
	KEXPECT_EQ(t, st.errors, 0);
	KEXPECT_EQ(t, st.failed, 0);
	if (heap_pages_kernel.pages_restore) {
		heap_arena_stats(&p1, &r1, &f1);
		kprintf("        # %s: %u CPUs: %llu pages given back, %llu mapped back\n", t->name,
			ncpus_online, (unsigned long long)(p1 - p0), (unsigned long long)(r1 - r0));
		KEXPECT(t, p1 > p0 && r1 > r0);
	}
	KEXPECT_EQ(t, free_frames_all_cpus(), before);
}

KTEST_SUITE(smp,
	KTEST_CASE(call_reaches_every_cpu),
	KTEST_CASE(vfree_reaches_every_cpu),
	KTEST_CASE(unmap_reaches_cpus_of_space),
	KTEST_CASE(destroy_evicts_lazy_cpus),
	KTEST_CASE(big_unmap_few_shootdowns),
	KTEST_CASE(late_answer_wakes_sender),
	KTEST_CASE(stress_every_cpu),
	KTEST_CASE(heap_purge_every_cpu));
