// SPDX-License-Identifier: MIT
/*
 * The layout of a process's address space, as Linux lays out x86_64:
 *
 *   0 .. AS_MMAP_MIN_ADDR      never mapped (null-pointer guard)
 *   program image              where the ELF loader puts it (MAP_FIXED)
 *   heap                       from start_brk, grown by brk()
 *   ...                        mmap area, allocated top-down from mmap_base
 *   stack                      below stack_top, growing down to its limit,
 *                              with a guard gap below it nobody else gets
 *   AS_TASK_SIZE               end of user space
 *
 * With ASLR the stack top, the mmap base and the brk base move by random
 * page counts (Linux's ranges: 16 GiB, 1 TiB, 32 MiB) taken from the random
 * source the kernel passes (RDRAND) once per space.
 */
#include "as_internal.h"

#define AS_UNMAPPED_BASE	(AS_PAGE_ALIGN(AS_TASK_SIZE / 3))	/* bottom-up fallback */

#if UINTPTR_MAX > 0xffffffffu
#define AS_DEFAULT_FORMAT	(&pt_format_x86_64)
#else
#define AS_DEFAULT_FORMAT	(&pt_format_i386_pae)
#endif

/**
 * as_share_kernel() - give a new space the kernel half of @kernel
 * @pt: the new space's page tables
 * @kernel: the kernel's space (same format)
 *
 * The kernel half is every root slot from the one holding AS_KERNEL_BASE to
 * the last: 256..511 on x86_64, 768..1023 in i386 two-level paging, 3 with PAE.
 *
 * Return: as pt_space_share_kernel().
 */
int as_share_kernel(struct pt_space *pt, struct pt_space *kernel)
{
	const struct pt_format *f = pt->fmt;
	unsigned top = f->levels - 1u, slots = 1u << f->index_bits[top];
	unsigned first = (unsigned)(((uint64_t)AS_KERNEL_BASE >> f->shift[top]) & (slots - 1));

	return pt_space_share_kernel(pt, kernel, first, slots - first);
}

static bool aslr(const struct as *as)
{
	return as->params.random && !as->params.no_aslr;
}

static uint64_t rnd(struct as *as)
{
	return aslr(as) ? as->params.random(as->params.random_ctx) : 0;
}

/* Linux's mmap_base(): leave the stack its limit, the guard gap and its random pad. */
static uintptr_t pick_mmap_base(struct as *as)
{
	uint64_t gap = as->stack_limit;
	uint64_t pad = AS_STACK_GUARD_GAP + (aslr(as) ? AS_STACK_RND_MASK << PAGE_SHIFT : 0);
	uint64_t max = AS_TASK_SIZE / 6 * 5;
	uint64_t r = (rnd(as) & ((1ull << AS_MMAP_RND_BITS) - 1)) << PAGE_SHIFT;

	if (gap + pad > gap)
		gap += pad;
	gap = MM_MIN(MM_MAX(gap, AS_MMAP_GAP_MIN), max);
	return (AS_TASK_SIZE - gap - r) & PAGE_MASK;
}

/* The first stack region, [stack_top - AS_STACK_INITIAL, stack_top). */
static int make_stack(struct as *as)
{
	struct as_region r = {
		.start = as->stack_top - AS_STACK_INITIAL,
		.end = as->stack_top,
		.prot = MM_PROT_READ | MM_PROT_WRITE,
		.flags = AS_R_GROWSDOWN | AS_R_STACK | AS_R_ACCOUNT,
		.backing = AS_ANON_PRIVATE,
		.pgoff = (as->stack_top - AS_STACK_INITIAL) >> PAGE_SHIFT,	/* as_anon.c */
	};
	int err = as_region_reserve(as, 1);

	if (!err)
		err = as_charge(as, AS_STACK_INITIAL >> PAGE_SHIFT);
	if (!err)
		as_region_insert(as, &r);
	return err;
}

/**
 * as_init() - set up a fresh process address space (execve, the first process)
 * @as: the space to fill in
 * @p: layout and randomness; NULL: x86_64, no kernel half, no ASLR
 *
 * The space gets empty page tables sharing the kernel half of @p->kernel,
 * a randomized (or fixed) layout, and its initial stack region; brk starts
 * at AS_BRK_DEFAULT until as_set_brk_base() places it after the image.
 *
 * Return: 0, -MM_ENOMEM, or an error of pt_space_share_kernel().
 */
int as_init(struct as *as, const struct as_params *p)
{
	static const struct as_params none;
	struct pmm_stats st;
	int err;

	as_rss_forget(as);	/* a slot may name this memory's last space */
	memset(as, 0, sizeof(*as));
	as->params = p ? *p : none;
	if (!as->params.fmt)
		as->params.fmt = AS_DEFAULT_FORMAT;
	as->stack_limit = as->params.stack_limit ? as->params.stack_limit : AS_STACK_LIMIT_DEFAULT;
	as_limits_none(&as->lim);
	as->pkeys = 1;			/* key 0: every mapping's to begin with */
	as->xo_pkey = -1;		/* no execute-only key until PROT_EXEC alone asks */
	err = as_zero_get();
	if (err)
		return err;
	err = vm_space_init(&as->vs, as->params.fmt, as_fault, as);
	if (err) {
		as_zero_put();
		return err;
	}
	if (as->params.kernel) {
		err = as_share_kernel(&as->vs.pt, as->params.kernel);
		if (err)
			goto fail;
	}
	pmm_get_stats(&st);
	as->commit_limit = st.free_frames + st.used_frames;
	as->stack_top = (AS_TASK_SIZE - ((rnd(as) & AS_STACK_RND_MASK) << PAGE_SHIFT)) & PAGE_MASK;
	as->mmap_base = pick_mmap_base(as);
	err = as_set_brk_base(as, AS_BRK_DEFAULT);
	if (!err)
		err = make_stack(as);
	if (!err) {
		as_list_add(as);
		as_anon_new(as);
		return 0;
	}
fail:
	as_region_free_all(as);
	vm_space_destroy(&as->vs);
	as_zero_put();
	return err;
}

/**
 * as_set_stack_limit() - setrlimit(RLIMIT_STACK): how far the stack may grow from now on
 * @as: the space
 * @limit: bytes (RLIM_INFINITY: no limit); the stack already there stays
 */
void as_set_stack_limit(struct as *as, uint64_t limit)
{
	unsigned long fl = write_lock_irqsave(&as->lock);

	as->stack_limit = limit;
	write_unlock_irqrestore(&as->lock, fl);
}

/**
 * as_set_brk_base() - put the heap right after the program image
 * @as: the space, whose heap is still empty
 * @image_end: the end of the image's last segment (bss included)
 *
 * With ASLR the base moves up by up to 32 MiB, as Linux's randomize_brk.
 *
 * Return: 0, -MM_EINVAL for an end outside user space, -MM_EBUSY if the
 * heap is in use.
 */
int as_set_brk_base(struct as *as, uintptr_t image_end)
{
	uintptr_t base = AS_PAGE_ALIGN(image_end);

	if (!base || base >= AS_TASK_SIZE)
		return -MM_EINVAL;
	if (AS_PAGE_ALIGN(as->brk) != as->start_brk)
		return -MM_EBUSY;
	base += (rnd(as) % (AS_BRK_RND_RANGE >> PAGE_SHIFT)) << PAGE_SHIFT;
	as->start_brk = as->brk = base;
	return 0;
}

/**
 * as_activate() - make @as the page tables the CPU uses
 * @as: the space
 */
void as_activate(struct as *as)
{
	pt_space_load(&as->vs.pt);
}

/* Is [addr, addr + len) free, with the stack's guard gap respected? */
static bool fits(const struct as *as, uintptr_t addr, uint64_t len)
{
	uint32_t i = as_region_lower(as, addr);

	return i >= as->nr || addr + len <= as_region_start_gap(&as->reg[i]);
}

/* The gap below region @i: [lo, hi), clipped to [low, high). */
static void gap_below(const struct as *as, uint32_t i, uintptr_t low, uintptr_t high,
		      uintptr_t *lo, uintptr_t *hi)
{
	*lo = MM_MAX(i ? as->reg[i - 1].end : 0, low);
	*hi = MM_MIN(i < as->nr ? as_region_start_gap(&as->reg[i]) : AS_TASK_SIZE, high);
}

/* The highest free [a, a + len) in [low, high); 0 if none. */
static uintptr_t top_down(const struct as *as, uint64_t len, uintptr_t low, uintptr_t high)
{
	for (uint32_t i = as_region_lower(as, high);; i--) {
		uintptr_t lo, hi;

		gap_below(as, i, low, high, &lo, &hi);
		if (hi > lo && hi - lo >= len)
			return hi - len;
		if (!i || as->reg[i - 1].end <= low)
			return 0;
	}
}

/* The lowest free [a, a + len) in [low, high); 0 if none. */
static uintptr_t bottom_up(const struct as *as, uint64_t len, uintptr_t low, uintptr_t high)
{
	for (uint32_t i = as_region_lower(as, low); i <= as->nr; i++) {
		uintptr_t lo, hi;

		gap_below(as, i, low, high, &lo, &hi);
		if (hi > lo && hi - lo >= len)
			return lo;
		if (i < as->nr && as->reg[i].end >= high)
			break;
	}
	return 0;
}

/**
 * as_get_area() - Linux's get_unmapped_area(): where a mapping of @len goes
 * @as: the space, locked
 * @addr: MAP_FIXED: the address; otherwise a hint, used if free
 * @len: page-aligned, non-zero
 * @flags: MM_MAP_*
 *
 * Return: the address, or -MM_ENOMEM (too long, no room), -MM_EINVAL
 * (unaligned fixed address), -MM_EPERM (fixed address in the null guard).
 */
long as_get_area(struct as *as, uintptr_t addr, uint64_t len, unsigned long flags)
{
	uintptr_t a;

	if (len > AS_TASK_SIZE)
		return -MM_ENOMEM;
	if (flags & MM_MAP_FIXED) {
		if (addr > AS_TASK_SIZE - len)
			return -MM_ENOMEM;
		if (addr & ~PAGE_MASK)
			return -MM_EINVAL;
		if (addr < AS_MMAP_MIN_ADDR)
			return -MM_EPERM;
		return (long)addr;
	}
	if (addr) {
		addr = AS_PAGE_ALIGN(addr);
		if (addr && AS_TASK_SIZE - len >= addr && addr >= AS_MMAP_MIN_ADDR &&
		    fits(as, addr, len))
			return (long)addr;
	}
	if (!as_gaps_top_down(as, len, AS_MMAP_MIN_ADDR, as->mmap_base, &a))
		a = top_down(as, len, AS_MMAP_MIN_ADDR, as->mmap_base);
	if (!a && !as_gaps_bottom_up(as, len, AS_UNMAPPED_BASE, AS_TASK_SIZE, &a))
		a = bottom_up(as, len, AS_UNMAPPED_BASE, AS_TASK_SIZE);
	return a ? (long)a : -MM_ENOMEM;
}
