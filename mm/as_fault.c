// SPDX-License-Identifier: MIT
/*
 * The fault routine of a process's space: faults are how its memory is
 * made. A page is filled when first touched (zeroes, or the frame of the
 * page-cache object behind a file or shared mapping), copied when written while shared
 * copy-on-write, and the stack region grows down to its limit when touched
 * below its bottom, but not into the guard gap above the region below.
 */
#include "as_internal.h"
#include "highmem.h"
#include "reclaim.h"

/* A fault short of memory reclaims this many frames at a time, this many times at most. */
#define AS_FAULT_RECLAIM_BATCH	32
#define AS_FAULT_RECLAIM_TRIES	8

/**
 * as_pte_prot() - page-table protections for a page of region @r
 * @r: the region
 * @write: may a private page be writable (it is not shared copy-on-write)?
 *
 * x86 cannot express write-only or execute-only, so any access right makes
 * the page readable. PROT_NONE pages stay mapped (they keep their frames)
 * but for the kernel only, so every user access faults and is refused.
 */
unsigned as_pte_prot(const struct as_region *r, bool write)
{
	unsigned p = PT_USER;

	if (r->prot == MM_PROT_NONE)
		return PT_READ;
	/* A clean page of a MEM_WRITE_WATCH allocation: its first write must fault (as_win32.c). */
	if ((r->prot & MM_PROT_WRITE) && !(r->flags & AS_R_WCLEAN) &&
	    (write || r->backing == AS_ANON_SHARED || r->backing == AS_FILE_SHARED))
		p |= PT_WRITE;
	if (r->prot & MM_PROT_EXEC)
		p |= PT_EXEC;
	return p | PT_PKEY(r->pkey);
}

/* Does region protection @prot allow the access? */
static bool access_ok(uint32_t prot, unsigned flags)
{
	if (prot == MM_PROT_NONE)
		return false;
	if ((flags & VM_FAULT_WRITE) && !(prot & MM_PROT_WRITE))
		return false;
	if ((flags & VM_FAULT_EXEC) && !(prot & MM_PROT_EXEC))
		return false;
	return true;
}

/*
 * Grow a stack region down to cover @addr (Linux's expand_downwards()):
 * within the size limit, above the null guard, and not within the guard
 * gap above an accessible region below.
 */
static struct as_region *grow_stack(struct as *as, uintptr_t addr)
{
	uint32_t i = as_region_lower(as, addr);
	uintptr_t start = addr & PAGE_MASK;
	struct as_region *r, *prev;

	if (i >= as->nr || !(as->reg[i].flags & AS_R_GROWSDOWN))
		return NULL;
	r = &as->reg[i];
	if (start < AS_MMAP_MIN_ADDR || r->end - start > as->stack_limit)
		return NULL;
	prev = i ? &as->reg[i - 1] : NULL;
	if (prev && !(prev->flags & AS_R_GROWSDOWN) && prev->prot != MM_PROT_NONE &&
	    start - prev->end < AS_STACK_GUARD_GAP)
		return NULL;
	/* acct_stack_growth(): RLIMIT_AS, RLIMIT_MEMLOCK, then the commit policy. */
	uint64_t grow = (r->start - start) >> PAGE_SHIFT;
	if (!as_may_expand(as, r->prot, r->backing, r->flags, grow))
		return NULL;
	if ((r->flags & AS_R_LOCKED) && !as_memlock_ok(as, grow))
		return NULL;
	if ((r->flags & AS_R_ACCOUNT) && as_charge(as, grow))
		return NULL;
	as_region_anon(as, r);	/* expand_downwards() prepares its anon_vma */
	as_vm_account(as, r, -1);
	r->pgoff -= grow;	/* its pages keep their index (as_anon.c) */
	r->start = start;
	as_vm_account(as, r, 1);
	as_gaps_dirty(as, i);
	return r;
}

/* The zeroed frame fault_prepare() made for this fault (*@pre), if any: now the caller's. */
static phys_addr_t take_prepared(phys_addr_t *pre)
{
	phys_addr_t pa = pre ? *pre : PMM_NO_FRAME;

	if (pre)
		*pre = PMM_NO_FRAME;
	return pa;
}

/*
 * Count a page a fault mapped: in this CPU's slot in a space several
 * threads use (as_rss.c), where faults on other CPUs would write the same
 * line; a space of one thread adds to its own count, one instruction.
 */
static inline void count_page(struct as *as)
{
	if (__atomic_load_n(&as->shared, __ATOMIC_RELAXED))
		as_rss_add(as, 1);
	else
		__atomic_add_fetch(&as->rss, 1, __ATOMIC_RELAXED);
}

/*
 * Map page @va of @r for the first time. Anonymous private pages start
 * zeroed; shared ones (anonymous or file) map the object's frame itself; a
 * private file page maps the cached frame read-only, or a copy of it when
 * the first access is a write (a later write copies in cow()). An object's
 * page on a disk is left to @io as a swap-in's is (NULL: read here).
 */
static enum vm_fault_result fill(struct as *as, struct as_region *r, uintptr_t va, unsigned flags,
				 struct swap_io *io, phys_addr_t *pre)
{
	uint64_t idx = r->pgoff + ((va - r->start) >> PAGE_SHIFT);
	bool writable = true;
	phys_addr_t pa;

	if (r->backing == AS_ANON_PRIVATE && !(flags & VM_FAULT_WRITE)) {
		/* Reading private anonymous memory: the zero page, until written. */
		if (pt_map_one(&as->vs.pt, va, as_zero_page(), as_pte_prot(r, false)))
			return VM_FAULT_OOM;
		count_page(as);	/* faults run in parallel */
		return VM_FAULT_RESOLVED;
	} else if (r->backing == AS_ANON_PRIVATE) {
		as_region_anon(as, r);
		pa = take_prepared(pre);
		if (pa == PMM_NO_FRAME)
			pa = as_alloc_private_page(r, va, PMM_ZERO | PMM_HIGHMEM | PMM_USER);
	} else {
		int got = pcache_lookup_io(r->shm, idx, true, &pa, io);

		if (got == PCACHE_AGAIN)
			return VM_FAULT_RESOLVED;	/* io->need: read it unlocked, fault again */
		if (got == PCACHE_BEYOND || got == PCACHE_EIO || got == PCACHE_NOSPC)
			return VM_FAULT_SIGBUS;	/* NOSPC: a full RAM fs, as tmpfs */
		if (got != PCACHE_OK)
			return VM_FAULT_OOM;
		if (r->backing == AS_FILE_PRIVATE && (flags & VM_FAULT_WRITE)) {
			as_region_anon(as, r);
			phys_addr_t copy = as_alloc_private_page(r, va, PMM_HIGHMEM | PMM_USER);

			if (copy != PMM_NO_FRAME)
				frame_copy(copy, pa);
			pmm_put(pa);
			pa = copy;
		} else if (r->backing == AS_FILE_PRIVATE) {
			writable = false;
		}
	}
	if (pa == PMM_NO_FRAME)
		return VM_FAULT_OOM;
	if (pt_map_one(&as->vs.pt, va, pa, as_pte_prot(r, writable))) {
		pmm_put(pa);
		return VM_FAULT_OOM;
	}
	count_page(as);
	as_anon_add(as, r, va, pa);
	return VM_FAULT_RESOLVED;
}

/* A write to a present read-only page of writable region @r: break copy-on-write. */
static enum vm_fault_result cow(struct as *as, struct as_region *r, uintptr_t va, phys_addr_t old)
{
	phys_addr_t pa;
	bool zero = as_is_zero_page(old);

	if (r->backing == AS_ANON_PRIVATE || r->backing == AS_FILE_PRIVATE)
		as_region_anon(as, r);
	/*
	 * The last user of the frame, or a shared page: just allow the write.
	 * A kept swap copy beside the only mapping is stale now: freed.
	 */
	if (!zero && (r->backing == AS_ANON_SHARED || r->backing == AS_FILE_SHARED ||
		      pmm_refcount(old) == 1 || (swap_kept_pages() && swap_unkeep(old, 2)))) {
		if (pt_protect(&as->vs.pt, va, PAGE_SIZE, as_pte_prot(r, true)))
			return VM_FAULT_OOM;
		return VM_FAULT_RESOLVED;
	}
	pa = as_alloc_private_page(r, va, PMM_HIGHMEM | PMM_USER | (zero ? PMM_ZERO : 0));
	if (pa == PMM_NO_FRAME)
		return VM_FAULT_OOM;
	if (!zero)
		frame_copy(pa, old);
	if (pt_map(&as->vs.pt, va, pa, PAGE_SIZE, as_pte_prot(r, true), PT_MAP_REPLACE)) {
		pmm_put(pa);
		return VM_FAULT_OOM;
	}
	as_anon_add(as, r, va, pa);
	if (!zero)
		pmm_put(old);
	return VM_FAULT_RESOLVED;
}

/* A reserved page of a SEC_RESERVE section's view: another view may have committed it. */
static bool as_fault_view_reserved(const struct as_region *r)
{
	return (r->flags & AS_R_RESERVED) && r->backing != AS_ANON_PRIVATE && r->file &&
	       r->file->section;
}

/*
 * The fault at @addr, with the space's lock held for writing (@pre NULL)
 * or for reading: then faults of other pages of the space run at the same
 * time and this page's fault lock is held. What changes a region (growing
 * the stack, a Win32 guard page) cannot be done under the read lock: that
 * sets *retry, to do it all again exclusively. A swap-in that must read
 * asleep sets @io->need (if @io): the caller reads with no lock held and
 * tries again. @r is the region at @addr (as_region_find(), NULL if
 * none), looked up under the same hold of the lock. A zeroed frame made
 * before the fault lock (*@pre, if @pre and not PMM_NO_FRAME) is used for a
 * new private anonymous page, and *@pre is then PMM_NO_FRAME; one left over
 * is the caller's to free.
 */
static enum vm_fault_result fault_at(struct as *as, struct as_region *r, uintptr_t addr,
				     unsigned flags, bool *retry, struct swap_io *io, phys_addr_t *pre)
{
	bool exclusive = !pre;
	uintptr_t va = addr & PAGE_MASK;
	phys_addr_t pa;
	unsigned prot, want;

	/* A page being zapped under the read lock by another thread (MADV_DONTNEED): after it. */
	if (!exclusive && (!r || (r->flags & AS_R_GUARD) || as_fault_view_reserved(r) ||
			   as_win32_watch_write(r, flags) || as_zap_marked(as, va))) {
		*retry = true;
		return VM_FAULT_UNRESOLVED;
	}
	if (!r)
		r = grow_stack(as, addr);
	if (r && (r->flags & AS_R_GUARD))
		return as_win32_guard_fault(as, va);
	if (r && as_win32_watch_write(r, flags))
		return as_win32_watch_fault(as, va);
	if (r && as_fault_view_reserved(r) && as_win32_view_fault(as, va))
		r = as_region_find(as, addr);	/* committed in the section by another view */
	if (!r || !access_ok(r->prot, flags))
		return VM_FAULT_UNRESOLVED;
	if (!pt_translate(&as->vs.pt, va, &pa, &prot, NULL)) {
		uint32_t swp;

		/*
		 * Swap entries are written under the write lock, counted as they
		 * are: a space with none counted (most) has none to look for.
		 */
		if (__atomic_load_n(&as->swapents, __ATOMIC_RELAXED) &&
		    pt_swp_lookup(&as->vs.pt, va, &swp))
			return as_swap_in(as, r, va, swp, flags & VM_FAULT_WRITE, io);
		return fill(as, r, va, flags, io, pre);
	}
	pa &= PAGE_MASK;
	if ((flags & VM_FAULT_WRITE) && !(prot & PT_WRITE))
		return cow(as, r, va, pa);
	/* Entries lagging behind the region (an exec right): bring them up to date. */
	want = as_pte_prot(r, prot & PT_WRITE);
	if ((prot & PT_PROT_MASK & ~(PT_ACCESSED | PT_DIRTY)) != want) {
		if (pt_protect(&as->vs.pt, va, PAGE_SIZE, want))
			return VM_FAULT_OOM;
		return VM_FAULT_RESOLVED;
	}
	/*
	 * The entry allows the access. Another thread's fault of this page
	 * got there first (the page was missing, or read-only for this user
	 * write, when we faulted): done. Else a kernel access to a user page
	 * (SMAP, SMEP), which no mapping change can allow. (A kernel write
	 * that lost such a race to a copy-on-write break looks the same: it
	 * fails, once, rather than loop on a real SMAP violation.)
	 */
	if (!(flags & VM_FAULT_PRESENT) ||
	    (flags & (VM_FAULT_WRITE | VM_FAULT_USER)) == (VM_FAULT_WRITE | VM_FAULT_USER))
		return VM_FAULT_RESOLVED;
	return VM_FAULT_UNRESOLVED;
}

/* The fault at @addr (fault_at()) with the space's lock held for writing. */
static enum vm_fault_result fault_in(struct as *as, uintptr_t addr, unsigned flags, bool *retry,
				     struct swap_io *io)
{
	if (addr >= AS_TASK_SIZE || (flags & VM_FAULT_RSVD))
		return VM_FAULT_UNRESOLVED;
	return fault_at(as, as_region_find(as, addr), addr, flags, retry, io, NULL);
}

/**
 * as_fault_locked() - resolve a fault at @addr in @as, lock held for writing
 * @as: the space
 * @addr: the faulting address
 * @flags: VM_FAULT_*
 *
 * Return: VM_FAULT_RESOLVED, VM_FAULT_UNRESOLVED (no region, or the region
 * forbids the access), VM_FAULT_SIGBUS (a file page past the end of the
 * file) or VM_FAULT_OOM.
 */
enum vm_fault_result as_fault_locked(struct as *as, uintptr_t addr, unsigned flags)
{
	bool retry = false;

	return fault_in(as, addr, flags, &retry, NULL);
}

/**
 * as_fault_locked_io() - as_fault_locked(), but a page to read asleep is left to the caller
 * @as: the space, locked for writing
 * @addr: the faulting address
 * @flags: VM_FAULT_*
 * @io: the read a swapped page needs (@io->pa: PMM_NO_FRAME or what an
 *	earlier as_swap_io() left in it)
 *
 * A page on a disk is not read here, with the lock held and interrupts
 * off: @io->need is set instead, and the caller drops the lock, calls
 * as_swap_io(@io) and faults again (the page is then in the swap cache).
 * The caller ends with as_swap_io_done(@io).
 *
 * Return: as as_fault_locked(); VM_FAULT_RESOLVED with @io->need set
 * means "not yet".
 */
enum vm_fault_result as_fault_locked_io(struct as *as, uintptr_t addr, unsigned flags,
					struct swap_io *io)
{
	bool retry = false;

	io->need = false;
	return fault_in(as, addr, flags, &retry, io);
}

/*
 * Fault locks: two faults of one page must not both fill it or both copy
 * it, while faults of different pages go on at once. Hashed by space and
 * page table's span (FAULT_LOCK_SPAN, as Linux's split page-table locks),
 * not by page; taken under the space's read lock, before any object's
 * lock, never two at once. By page, a thread faulting through its own
 * memory touched a different lock every fault: when the host descheduled
 * the other CPU while it held one (under an emulator, for milliseconds),
 * this thread met that lock within the pause nearly every time (in a
 * page_fault1 run at two CPUs, each such wait took 10-20 ms). By table,
 * it meets a new lock once per 512 pages. 1024 of them (4 KiB): with 64,
 * threads faulting apart met on one lock too often.
 */
#define FAULT_LOCK_BITS	10
#define FAULT_LOCK_SPAN	21	/* log2 of the bytes one lock covers */
static spinlock_t fault_locks[1u << FAULT_LOCK_BITS];

static spinlock_t *fault_lock(const struct as *as, uintptr_t addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)as ^ (addr >> FAULT_LOCK_SPAN)) * 0x9e3779b97f4a7c15ull;

	return &fault_locks[h >> (64 - FAULT_LOCK_BITS)];
}

/*
 * Before the fault lock, under the read lock: the zeroed frame a write to
 * a missing page of private anonymous region @r will need, as Linux
 * allocates and clears it before taking the page table's lock. Clearing is
 * most of such a fault's work; done here, with interrupts back as they
 * were before the lock (@irq), it holds up neither a fault of the same
 * page (or of one hashed to the same fault lock) on another CPU nor this
 * CPU's interrupts: the TLB shootdowns other CPUs wait for, the ticks. The
 * allocation itself stays with interrupts off, where it cannot reclaim
 * (reclaim write-locks the spaces mapping a page: this one is read-locked
 * here; mm/reclaim.h). The checks only avoid making a frame for nothing:
 * fault_at() looks again under the fault lock, and a frame it leaves
 * (another thread's fault filled the page first, or a swap entry is there)
 * is given back. Present pages (copy-on-write, the zero page) are left to
 * fault_at(): a walk here to tell them apart would cost every such fault.
 */
static phys_addr_t fault_prepare(struct as *as, const struct as_region *r, uintptr_t addr,
				 unsigned flags, unsigned long irq)
{
	phys_addr_t pa;

	if (!r || (flags & (VM_FAULT_PRESENT | VM_FAULT_WRITE)) != VM_FAULT_WRITE ||
	    r->backing != AS_ANON_PRIVATE || !access_ok(r->prot, flags) ||
	    (r->flags & AS_R_GUARD) || as_win32_watch_write(r, flags) ||
	    as_zap_marked(as, addr & PAGE_MASK))
		return PMM_NO_FRAME;
	pa = as_alloc_private_page(r, addr & PAGE_MASK, PMM_HIGHMEM | PMM_USER);
	if (pa != PMM_NO_FRAME) {
		plat_irq_restore(irq);
		frame_zero(pa, 1);
		(void)plat_irq_save();
	}
	return pa;
}

/*
 * One try under the space's lock: shared with its other faults, or
 * exclusively. Shared, interrupts are on only while a new frame is
 * cleared (fault_prepare()): no interrupt handler takes a space's lock or
 * a fault lock, so they could be on throughout, but the allocations under
 * the fault lock (page tables, a copy, a swap-in's frame) must not reclaim
 * here, and with interrupts on that would take a reclaim_forbid() window
 * around every fault, for what is left there: a short stretch.
 */
static enum vm_fault_result fault_locked(struct as *as, const struct vm_fault *f, bool exclusive,
					 bool *retry, struct swap_io *io)
{
	enum vm_fault_result r;

	if (exclusive) {
		unsigned long fl = write_lock_irqsave(&as->lock);

		r = fault_in(as, f->addr, f->flags, retry, io);
		write_unlock_irqrestore(&as->lock, fl);
		return r;
	}
	spinlock_t *pl = fault_lock(as, f->addr);
	unsigned long fl = read_lock_irqsave(&as->lock);
	/* Regions change only under the write lock: this one holds to the end. */
	struct as_region *reg = as_region_find(as, f->addr);
	phys_addr_t pre = fault_prepare(as, reg, f->addr, f->flags, fl);
	unsigned long pfl = spin_lock_irqsave(pl);

	r = fault_at(as, reg, f->addr, f->flags, retry, io, &pre);
	spin_unlock_irqrestore(pl, pfl);
	if (pre != PMM_NO_FRAME)
		pmm_put(pre);	/* not used: another thread's fault filled the page first */
	read_unlock_irqrestore(&as->lock, fl);
	return r;
}

/*
 * The fault, shared with the space's other faults, or exclusively if it
 * must; a swap-in's read is done between tries, with no lock held.
 */
static enum vm_fault_result fault_once(struct as *as, const struct vm_fault *f)
{
	struct swap_io io = { .pa = PMM_NO_FRAME };
	bool exclusive = false;
	enum vm_fault_result r;

	for (;;) {
		bool retry = false;

		io.need = false;
		r = fault_locked(as, f, exclusive, &retry, &io);
		if (io.need) {
			int err = as_swap_io(&io);

			if (!err)
				continue;
			r = err == -MM_ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
			break;
		}
		if (!retry || exclusive)
			break;
		exclusive = true;
	}
	as_swap_io_done(&io);
	return r;
}

/**
 * as_fault() - the vm_space fault routine of a process's address space
 * @vs: the space (embedded in a struct as)
 * @f: the fault
 *
 * Under the space's read lock and the page's fault lock, so the threads of
 * a space fault in parallel; a new private anonymous page's frame is made
 * before the fault lock and cleared with interrupts on (fault_prepare()).
 * A fault that must change a region (or finds none) is done again under
 * the write lock. Out of memory, the task
 * reclaims directly and retries; if that frees nothing, the OOM handler
 * (mm/reclaim.h) kills a victim and it retries.
 *
 * Return: VM_FAULT_RESOLVED, VM_FAULT_UNRESOLVED (SIGSEGV), VM_FAULT_SIGBUS or
 * VM_FAULT_OOM (nothing could be freed: the caller kills the process).
 */
enum vm_fault_result as_fault(struct vm_space *vs, const struct vm_fault *f)
{
	struct as *as = vs->priv;

	for (unsigned tries = 0;; tries++) {
		enum vm_fault_result r = fault_once(as, f);

		if (r != VM_FAULT_OOM || tries == AS_FAULT_RECLAIM_TRIES || !as_reclaim_for(as))
			return r;
	}
}

/**
 * as_reclaim_for() - out of memory in @as: reclaim some directly, else have a victim killed
 * @as: the space (not locked)
 *
 * For faults, MAP_POPULATE and mlock alike, before they retry.
 *
 * Return: true if the caller should retry; false if nothing could be freed
 * and nothing killed, or the caller itself was the victim.
 */
bool as_reclaim_for(struct as *as)
{
	(void)as;
	return reclaim_direct(AS_FAULT_RECLAIM_BATCH) || (reclaim_oom() && !plat_preempt_point());
}

/* Pages faulted in per hold of the lock: bounds the time with interrupts off. */
#define POPULATE_BATCH	16

/*
 * Populate the page at @va of region @r: 0, -MM_EFAULT (not allowed),
 * -MM_ENOMEM, -MM_EAGAIN (a swapped page to read with no lock held:
 * @io->need, as_swap_io(), then this page again).
 */
static int populate_page(struct as *as, const struct as_region *r, uintptr_t va, struct swap_io *io,
			 enum as_populate_how how)
{
	unsigned flags = VM_FAULT_USER;
	enum vm_fault_result res;
	unsigned prot;

	/* Writable private pages are written, to break copy-on-write now (not clean watched ones). */
	if (how == AS_POPULATE_LOCK && (r->prot & MM_PROT_WRITE) && r->backing != AS_ANON_SHARED &&
	    !(r->flags & AS_R_WCLEAN))
		flags |= VM_FAULT_WRITE;
	if (how == AS_POPULATE_WRITE)
		flags |= VM_FAULT_WRITE;
	if (pt_translate(&as->vs.pt, va, NULL, &prot, NULL) &&
	    (!(flags & VM_FAULT_WRITE) || (prot & PT_WRITE)))
		return 0;
	res = as_fault_locked_io(as, va, flags, io);
	if (io->need)
		return -MM_EAGAIN;
	if (res == VM_FAULT_OOM)
		return -MM_ENOMEM;
	return res == VM_FAULT_RESOLVED ? 0 : -MM_EFAULT;
}

/**
 * as_populate() - fault in [@start, @end) as MAP_POPULATE and mlock do
 * @as: the space, not locked
 * @start: page-aligned
 * @end: page-aligned
 * @ignore_errors: skip regions that cannot be populated (MAP_POPULATE);
 *		   else stop at the first (mlock)
 *
 * Writable private pages are written (copy-on-write broken up front),
 * readable ones map the zero page; holes are skipped. The lock is held for
 * a bounded batch of pages at a time, with a preemption point between
 * batches, so a huge range neither freezes the machine nor escapes a kill.
 * Out of memory, it reclaims directly (or has a victim killed) and goes on
 * with the page that failed, as a fault does.
 *
 * Return: 0, -MM_EFAULT (a PROT_NONE or unpopulatable region, unless
 * ignored), -MM_ENOMEM (out of memory, nothing to reclaim: always stops),
 * -MM_EINTR (killed).
 */
int as_populate(struct as *as, uintptr_t start, uintptr_t end, bool ignore_errors)
{
	return as_populate_how(as, start, end, ignore_errors, AS_POPULATE_LOCK);
}

/**
 * as_populate_how() - as_populate(), with the faults' kind chosen
 * @as: the space, not locked
 * @start: page-aligned
 * @end: page-aligned
 * @ignore_errors: as as_populate()'s
 * @how: AS_POPULATE_LOCK (as_populate()), AS_POPULATE_READ (read faults
 *	 only: copy-on-write stays, as MADV_POPULATE_READ), AS_POPULATE_WRITE
 *	 (write faults on every page, shared ones too: MADV_POPULATE_WRITE)
 *
 * Return: as as_populate()'s.
 */
int as_populate_how(struct as *as, uintptr_t start, uintptr_t end, bool ignore_errors,
		    enum as_populate_how how)
{
	struct swap_io io = { .pa = PMM_NO_FRAME };
	uintptr_t va = start;
	unsigned tries = 0;
	int err = 0;

	while (va < end && !err) {
		unsigned long fl = write_lock_irqsave(&as->lock);

		for (unsigned n = 0; va < end && n < POPULATE_BATCH && !err; n++) {
			uint32_t i = as_region_lower(as, va);
			const struct as_region *r = i < as->nr ? &as->reg[i] : NULL;

			if (!r || r->start >= end) {
				va = end;		/* nothing more mapped in the range */
				break;
			}
			if (r->start > va)
				va = r->start;		/* a hole: skipped */
			/* A fault may split regions, moving the array (struct as): no @r after it. */
			uintptr_t next = MM_MIN(r->end, end);

			if (r->prot == MM_PROT_NONE)
				err = -MM_EFAULT;
			else
				err = populate_page(as, r, va, &io, how);
			if (err == -MM_EFAULT && ignore_errors) {
				err = 0;
				va = next;		/* on with the next region */
				continue;
			}
			if (err == -MM_ENOMEM || err == -MM_EAGAIN)
				break;			/* this page again after reclaim, or its read */
			va += PAGE_SIZE;
			tries = 0;
		}
		write_unlock_irqrestore(&as->lock, fl);
		if (err == -MM_EAGAIN) {
			/* A swapped page on a disk: read with no lock held, as a fault does. */
			err = as_swap_io(&io);
			if (err == -MM_EIO && ignore_errors) {
				err = 0;		/* a read error: this page stays out */
				va += PAGE_SIZE;
			} else if (err == -MM_EIO) {
				err = -MM_EFAULT;
			}
		}
		if (err == -MM_ENOMEM && tries++ < AS_FAULT_RECLAIM_TRIES && as_reclaim_for(as))
			err = 0;
		if (!err && va < end && plat_preempt_point())
			err = -MM_EINTR;
	}
	as_swap_io_done(&io);
	return err;
}
