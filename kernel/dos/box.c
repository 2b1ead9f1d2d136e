// SPDX-License-Identifier: MIT
/*
 * DOS boxes in the kernel: a process asks (MEMCORE_SYS_dos_init) and its
 * linear 0 .. 0x10FFEF become a DOS machine's memory (as_map_low()), an XMS
 * pool is mapped below 4 GiB, and a struct dos_box, owned by the task, runs
 * the engines of kernel/dos on that memory through the ops below:
 *
 *   read, write, move   as_copy_in/as_copy_out on the process's space
 *   ems_map             as_swap_pages(): the window's 4 page-table entries
 *                       point at the EMS page's 4 frames, one TLB batch
 *   set_a20             as_swap_pages() of the HMA's 16 pages: its own frames
 *                       (A20 on) or those of linear 0..0xFFFF (off: the wrap)
 *   discard             MADV_DONTNEED on freed XMS memory
 *
 * The box holds one reference to each EMS frame and HMA frame; each mapping
 * holds its own, so the box and the address space can go in either order.
 *
 * Locking: a call copies through the address space (page faults, XMS moves
 * of megabytes), so it runs with interrupts on under the box's sleeping
 * lock (box_lock(): a busy flag; the spinlock k->lock only guards that flag,
 * held for a few instructions). Lock order: the box, then the address
 * space's lock (inside as_*).
 */
#include "kernel/dos/box.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/proc/proc.h"
#include "mm/heap.h"
#include "mm/pmm.h"

#define XMS_POOL_HINT	0x40000000ull	/* where the XMS pool is asked for: 1 GiB */
#define HMA_PAGES	((DOS_BOX_MAP_SIZE - DOS_HMA_BASE) >> PAGE_SHIFT)
#define EMS_FRAMES	(DOS_EMS_PAGE >> PAGE_SHIFT)

struct dos_kbox {
	struct dos_box box;
	spinlock_t lock;		/* guards @busy */
	bool busy;			/* a call is running on the box (box_lock()) */
	struct as *as;
	void *v86;			/* the virtual-8086 monitor's state (arch), or NULL */
	phys_addr_t hma[HMA_PAGES];	/* the HMA's own frames (shown while A20 is on) */
	phys_addr_t *ems;		/* EMS_FRAMES per pool page; PMM_NO_FRAME: none */
	uint32_t ems_pages;
};

static int k_read(void *ctx, uint32_t lin, void *buf, uint32_t n)
{
	return as_copy_in(((struct dos_kbox *)ctx)->as, buf, lin, n) ? -1 : 0;
}

static int k_write(void *ctx, uint32_t lin, const void *buf, uint32_t n)
{
	return as_copy_out(((struct dos_kbox *)ctx)->as, lin, buf, n) ? -1 : 0;
}

/* memmove through a bounce buffer, backwards when the destination overlaps above. */
static int k_move(void *ctx, uint32_t dst, uint32_t src, uint32_t n)
{
	struct as *as = ((struct dos_kbox *)ctx)->as;
	uint8_t buf[256];
	bool back = dst > src && dst - src < n;

	for (uint32_t done = 0; done < n;) {
		uint32_t c = MM_MIN((uint32_t)sizeof(buf), n - done);
		uint32_t off = back ? n - done - c : done;

		if (as_copy_in(as, buf, src + off, c) || as_copy_out(as, dst + off, buf, c))
			return -1;
		done += c;
		if (done % (64 * sizeof(buf)) == 0 && plat_preempt_point())
			return -1;	/* killed: the move is abandoned */
	}
	return 0;
}

static int k_ems_alloc(void *ctx, uint32_t page)
{
	struct dos_kbox *k = ctx;
	phys_addr_t *f = &k->ems[page * EMS_FRAMES];

	for (unsigned i = 0; i < EMS_FRAMES; i++) {
		f[i] = pmm_alloc_pages(0, PMM_ZERO);
		if (f[i] == PMM_NO_FRAME) {
			while (i--) {
				pmm_put(f[i]);
				f[i] = PMM_NO_FRAME;
			}
			return -1;
		}
	}
	return 0;
}

static void k_ems_free(void *ctx, uint32_t page)
{
	struct dos_kbox *k = ctx;
	phys_addr_t *f = &k->ems[page * EMS_FRAMES];

	for (unsigned i = 0; i < EMS_FRAMES; i++) {
		if (f[i] != PMM_NO_FRAME)
			pmm_put(f[i]);
		f[i] = PMM_NO_FRAME;
	}
}

static int k_ems_map(void *ctx, unsigned w, uint32_t page)
{
	struct dos_kbox *k = ctx;
	phys_addr_t none[EMS_FRAMES] = { PMM_NO_FRAME, PMM_NO_FRAME, PMM_NO_FRAME, PMM_NO_FRAME };
	const phys_addr_t *f = page == DOS_EMS_NONE ? none : &k->ems[page * EMS_FRAMES];
	unsigned writes = 0;
	uintptr_t va = ((uintptr_t)DOS_EMS_FRAME << 4) + w * DOS_EMS_PAGE;

	if (as_swap_pages(k->as, va, EMS_FRAMES, f, &writes))
		return -1;
	k->box.info.ems_pte_writes += writes;
	k->box.info.ems_tlb_flushes++;
	return 0;
}

static int k_set_a20(void *ctx, bool on)
{
	struct dos_kbox *k = ctx;
	phys_addr_t low[HMA_PAGES];

	if (!on)
		for (unsigned i = 0; i < HMA_PAGES; i++)
			if (as_page_frame(k->as, (uintptr_t)i << PAGE_SHIFT, &low[i]))
				return -1;
	return as_swap_pages(k->as, DOS_HMA_BASE, HMA_PAGES, on ? k->hma : low, NULL) ? -1 : 0;
}

static void k_discard(void *ctx, uint32_t lin, uint32_t n)
{
	uintptr_t start = ALIGN_UP((uintptr_t)lin, PAGE_SIZE);
	uintptr_t end = ALIGN_DOWN((uintptr_t)lin + n, PAGE_SIZE);

	if (end > start)
		as_madvise(((struct dos_kbox *)ctx)->as, start, end - start, MM_MADV_DONTNEED);
}

static const struct dos_ops kbox_ops = {
	.read = k_read, .write = k_write, .move = k_move,
	.ems_alloc = k_ems_alloc, .ems_free = k_ems_free, .ems_map = k_ems_map,
	.set_a20 = k_set_a20, .discard = k_discard,
};

/*
 * The box and its EMS frame table are tens of KiB: whole pages from the PMM,
 * so they go back exactly when the box ends (no cache keeps them).
 */
static unsigned order_of(size_t bytes)
{
	unsigned o = 0;

	while ((PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

static void *pages_alloc(size_t bytes)
{
	phys_addr_t pa = pmm_alloc_pages(order_of(bytes), PMM_ZERO);

	return pa == PMM_NO_FRAME ? NULL : plat_phys_to_virt(pa);
}

static void pages_free(void *p, size_t bytes)
{
	if (p)
		pmm_free_pages(plat_virt_to_phys(p), order_of(bytes));
}

static size_t ems_table_bytes(const struct dos_kbox *k)
{
	return sizeof(phys_addr_t) * EMS_FRAMES * (k->ems_pages ? k->ems_pages : 1);
}

static void kbox_free(struct dos_kbox *k)
{
	if (k->v86)
		kfree(k->v86);
	dos_box_fini(&k->box);
	for (unsigned i = 0; i < HMA_PAGES; i++)
		if (k->hma[i] != PMM_NO_FRAME)
			pmm_put(k->hma[i]);
	pages_free(k->ems, ems_table_bytes(k));
	pages_free(k, sizeof(*k));
}

/**
 * dos_box_create() - make task @t (the current process) a DOS box
 * @t: the task
 * @cfg: sizes (zeros: defaults)
 *
 * Return: 0; -EINVAL (sizes), -EBUSY (already a box), -EEXIST (something is
 * mapped in its low megabyte), -ENOMEM.
 */
long dos_box_create(struct task *t, const struct dos_config *cfg)
{
	struct dos_box_params p = { .cfg = *cfg, .xms_base = (uint32_t)XMS_POOL_HINT,
				    .name = t->name };
	uint64_t xms_len = (uint64_t)cfg->xms_kb * 1024;
	struct dos_kbox *k;
	long addr;
	int err;

	if (t->dos)
		return -EBUSY;
	if (dos_box_params_check(&p))
		return -EINVAL;
	xms_len = (uint64_t)p.cfg.xms_kb * 1024;
	k = pages_alloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->as = t->mm;
	k->ems_pages = p.cfg.ems_kb / 16;
	k->ems = pages_alloc(ems_table_bytes(k));
	for (unsigned i = 0; i < HMA_PAGES; i++)
		k->hma[i] = pmm_alloc_pages(0, PMM_ZERO);
	err = !k->ems ? -ENOMEM : 0;
	for (unsigned i = 0; i < HMA_PAGES && !err; i++)
		if (k->hma[i] == PMM_NO_FRAME)
			err = -ENOMEM;
	for (unsigned i = 0; k->ems && i < k->ems_pages * EMS_FRAMES; i++)
		k->ems[i] = PMM_NO_FRAME;
	if (!err)
		err = as_map_low(k->as, DOS_BOX_MAP_SIZE);
	if (err) {
		kbox_free(k);
		return err;
	}
	/* The XMS pool: anywhere below 4 GiB, asked for at 1 GiB. */
	addr = as_mmap(k->as, XMS_POOL_HINT, xms_len, MM_PROT_READ | MM_PROT_WRITE,
		       MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, NULL, 0);
	if (!as_is_err(addr) && (uint64_t)addr + xms_len > 0xffffffffull) {
		as_munmap(k->as, (uintptr_t)addr, xms_len);
		addr = -ENOMEM;
	}
	if (!as_is_err(addr)) {
		as_madvise(k->as, (uintptr_t)addr, xms_len, MM_MADV_DONTFORK);
		p.xms_base = (uint32_t)addr;
		if (dos_box_init(&k->box, &p, &kbox_ops, k)) {
			as_munmap(k->as, (uintptr_t)addr, xms_len);
			addr = -ENOMEM;
		}
	}
	if (as_is_err(addr)) {
		as_munmap(k->as, 0, DOS_BOX_MAP_SIZE);
		kbox_free(k);
		return addr;
	}
	t->dos = k;
	return 0;
}

/**
 * dos_box_release() - end task @t's DOS box, if it has one (exit, execve)
 * @t: the task
 *
 * Its memory stays with the address space (unmapped with it); the EMS and
 * HMA frames the box held are given back.
 */
void dos_box_release(struct task *t)
{
	struct dos_kbox *k = t->dos;

	if (!k)
		return;
	t->dos = NULL;
	kbox_free(k);
}

/* Take the box for one call; sleeps while another call has it. Interrupts stay as they were. */
static void box_lock(struct dos_kbox *k)
{
	unsigned long fl = spin_lock_irqsave(&k->lock);

	while (k->busy) {
		sleep_on_unlock(&k->busy, &k->lock);	/* returns unlocked, interrupts off */
		(void)spin_lock_irqsave(&k->lock);
	}
	k->busy = true;
	spin_unlock_irqrestore(&k->lock, fl);
}

static void box_unlock(struct dos_kbox *k)
{
	unsigned long fl = spin_lock_irqsave(&k->lock);

	k->busy = false;
	spin_unlock_irqrestore(&k->lock, fl);
	wakeup(&k->busy);
}

/**
 * dos_box_call() - an interrupt (0x21, 0x2f, 0x67) or MEMCORE_DOS_XMS in @t's box
 * @t: the task (a box)
 * @vector: which
 * @r: registers in and out
 *
 * Return: 0, DOS_EXIT (4Ch ended the first program), -ENOSYS (another vector),
 * -EINVAL (not a box).
 */
long dos_box_call(struct task *t, unsigned vector, struct dos_regs *r)
{
	struct dos_kbox *k = t->dos;
	int ret = 0;

	if (!k)
		return -EINVAL;
	box_lock(k);
	if (vector == MEMCORE_DOS_XMS)
		dos_box_xms(&k->box, r);
	else
		ret = dos_box_int(&k->box, vector, r);
	box_unlock(k);
	return ret < 0 ? -ENOSYS : ret;
}

/**
 * dos_box_v86_slot() - where the virtual-8086 monitor keeps @t's state
 * @t: the task
 *
 * Return: the slot (freed with kfree() when the box goes), or NULL if @t is
 * not a box.
 */
void **dos_box_v86_slot(struct task *t)
{
	struct dos_kbox *k = t->dos;

	return k ? &k->v86 : NULL;
}

/**
 * dos_box_stats() - @t's box's figures and totals (for dos_info and MEM)
 * @t: the task
 * @info: if not NULL, the EMS mapping figures
 * @tot: if not NULL, the MEM totals
 *
 * Return: 0, or -EINVAL if @t is not a box.
 */
long dos_box_stats(struct task *t, struct dos_info *info, struct dos_totals *tot)
{
	struct dos_kbox *k = t->dos;

	if (!k)
		return -EINVAL;
	box_lock(k);
	if (info)
		*info = k->box.info;
	if (tot)
		dos_box_totals(&k->box, tot);
	box_unlock(k);
	return 0;
}

/**
 * dos_box_report() - print @t's box like MEM /C (the shell's `mem PID`)
 * @t: the task
 * @print: printf-like output
 * @ctx: for @print
 *
 * Return: 0, or -EINVAL if @t is not a box.
 */
long dos_box_report(struct task *t, dos_print_fn print, void *ctx)
{
	struct dos_kbox *k = t->dos;

	if (!k)
		return -EINVAL;
	box_lock(k);
	dos_mem_report(&k->box, print, ctx);
	box_unlock(k);
	return 0;
}

/**
 * dos_box_walk() - MEM /C's walk of @t's MCB chain
 * @t: the task
 * @fn: called per block
 * @ctx: for @fn
 *
 * Return: dos_mcb_walk()'s result, or -EINVAL if @t is not a box.
 */
long dos_box_walk(struct task *t, dos_mcb_fn fn, void *ctx)
{
	struct dos_kbox *k = t->dos;
	int r;

	if (!k)
		return -EINVAL;
	box_lock(k);
	r = dos_mcb_walk(&k->box, fn, ctx);
	box_unlock(k);
	return r;
}
