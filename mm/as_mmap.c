// SPDX-License-Identifier: MIT
/*
 * mmap and munmap with Linux's argument rules and error numbers, in
 * Linux's order of checks (arch/x86/kernel/sys_x86_64.c, ksys_mmap_pgoff(),
 * do_mmap(), __get_unmapped_area(), mmap_region(), __vm_munmap()), so a
 * call that breaks several rules fails as it would on Linux.
 */
#include "as_internal.h"

/* Flags MAP_SHARED_VALIDATE knows; others give EOPNOTSUPP (LEGACY_MAP_MASK). */
#define LEGACY_MAP_MASK	(MM_MAP_SHARED | MM_MAP_PRIVATE | MM_MAP_FIXED | MM_MAP_ANONYMOUS | \
			 MM_MAP_DENYWRITE | MM_MAP_EXECUTABLE | MM_MAP_UNINITIALIZED | \
			 MM_MAP_GROWSDOWN | MM_MAP_LOCKED | MM_MAP_NORESERVE | MM_MAP_POPULATE | \
			 MM_MAP_NONBLOCK | MM_MAP_STACK | MM_MAP_HUGETLB | MM_MAP_32BIT | \
			 ((unsigned long)MM_MAP_HUGE_MASK << MM_MAP_HUGE_SHIFT))

/* The region an mmap call asks for, or a negated error (do_mmap()'s type switch). */
static int describe(struct as_region *r, unsigned long prot, unsigned long flags,
		    const struct as_file *file, uint64_t pgoff, unsigned fmode)
{
	r->prot = (uint32_t)(prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC));
	r->flags = (flags & MM_MAP_GROWSDOWN) ? AS_R_GROWSDOWN : 0;
	if (flags & MM_MAP_LOCKED)
		r->flags |= AS_R_LOCKED;
	if (file) {
		switch (flags & MM_MAP_TYPE) {
		case MM_MAP_SHARED:
			flags &= LEGACY_MAP_MASK;
			/* fall through */
		case MM_MAP_SHARED_VALIDATE:
			if (flags & ~LEGACY_MAP_MASK)
				return -MM_EOPNOTSUPP;
			/* A descriptor not open for writing: never writable, now or later. */
			if (!(fmode & AS_FMODE_WRITE)) {
				if (prot & MM_PROT_WRITE)
					return -MM_EACCES;
				r->flags |= AS_R_NOMAYWRITE;
			}
			if (!(fmode & AS_FMODE_READ))
				return -MM_EACCES;
			r->backing = AS_FILE_SHARED;
			break;
		case MM_MAP_PRIVATE:
			if (!(fmode & AS_FMODE_READ))
				return -MM_EACCES;
			r->backing = AS_FILE_PRIVATE;
			break;
		default:
			return -MM_EINVAL;
		}
		/* Only anonymous memory grows (do_mmap() refuses VM_GROWSDOWN on files). */
		if (flags & MM_MAP_GROWSDOWN)
			return -MM_EINVAL;
		r->file = file;
		r->pgoff = pgoff;
		return 0;
	}
	switch (flags & MM_MAP_TYPE) {
	case MM_MAP_SHARED:
		if (flags & MM_MAP_GROWSDOWN)
			return -MM_EINVAL;
		r->backing = AS_ANON_SHARED;
		break;
	case MM_MAP_PRIVATE:
		r->backing = AS_ANON_PRIVATE;
		break;
	default:
		return -MM_EINVAL;
	}
	return 0;
}

/*
 * The commit charge of a new mapping (mm/commit.h): private writable
 * memory is charged to the region, shared anonymous memory to its object
 * (MAP_NORESERVE exempts both unless the policy is strict).
 */
static int charge(struct as *as, struct as_region *r, unsigned long flags, uint64_t len)
{
	bool noreserve = flags & MM_MAP_NORESERVE;
	int err;

	/* do_mmap(): VM_NORESERVE, which also keeps it apart from other mappings. */
	if (noreserve && vm_commit_mode() != VM_OVERCOMMIT_NEVER)
		r->flags |= AS_R_NORESERVE;

	if (r->backing == AS_ANON_SHARED)
		return noreserve && vm_commit_mode() != VM_OVERCOMMIT_NEVER ? 0 :
		       as_charge(as, len >> PAGE_SHIFT);
	if (!as_accountable(r->backing, r->prot, noreserve))
		return 0;
	err = as_charge(as, len >> PAGE_SHIFT);
	if (!err)
		r->flags |= AS_R_ACCOUNT;
	return err;
}

/**
 * as_map_region_later() - put region @r in the space, replacing whatever was there
 * @as: the space, locked by as_lock()
 * @r: the new region, its references taken; on failure the caller drops them
 * @z: where the old pages are left in a space shared by threads (MAP_FIXED
 *     over a mapping): the caller unlocks with as_zap_later_unlock(), which
 *     zaps them under the read lock, the new region already in place
 *     (as_unmap_range_defer()). NULL: they go now, under the write lock.
 *
 * Return: 0 or -MM_ENOMEM (nothing changed).
 */
int as_map_region_later(struct as *as, const struct as_region *r, struct as_zap_later *z)
{
	struct as_region n = *r;
	int err = as_region_reserve(as, 3);

	if (err)
		return err;
	/* A new anonymous region's pages are indexed by their address (as_anon.c). */
	if (n.backing == AS_ANON_PRIVATE)
		n.pgoff = n.start >> PAGE_SHIFT;
	if (!z || !as_unmap_range_defer(as, n.start, n.end, z))
		as_unmap_range(as, n.start, n.end);
	as_region_merge_new(as, as_region_insert(as, &n));
	return 0;
}

/**
 * as_map_region() - put region @r in the space, replacing whatever was there
 * @as: the space, locked
 * @r: the new region, its references taken; on failure the caller drops them
 *
 * The old pages go under the write lock, before the new region goes in.
 *
 * Return: 0 or -MM_ENOMEM (nothing changed).
 */
int as_map_region(struct as *as, const struct as_region *r)
{
	return as_map_region_later(as, r, NULL);
}

/* mmap with the space locked; what MAP_FIXED replaced may be left to @z. */
static long mmap_locked(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot,
			unsigned long flags, const struct as_file *file, uint64_t pgoff,
			unsigned fmode, struct as_zap_later *z)
{
	struct as_region r = { 0 };
	int pkey = 0;
	long a, err;

	if (as->nr > AS_MAX_MAP_COUNT)
		return -MM_ENOMEM;
	a = as_get_area(as, addr, len, flags);
	if (as_is_err(a))
		return a;
	if ((flags & MM_MAP_FIXED_NOREPLACE) && as_region_overlaps(as, (uintptr_t)a, a + len))
		return -MM_EEXIST;
	/* do_mmap(): exactly PROT_EXEC takes the execute-only key here, whatever fails later. */
	if (prot == MM_PROT_EXEC)
		pkey = MM_MAX(as_pkey_exec_only_locked(as, plat_pkeys()), 0);
	if (as->lim.memlock == 0 && (flags & MM_MAP_LOCKED))
		return -MM_EPERM;		/* can_do_mlock() */
	if ((flags & MM_MAP_LOCKED) && !as_memlock_ok(as, len >> PAGE_SHIFT))
		return -MM_EAGAIN;		/* mlock_future_check() */
	err = describe(&r, prot, flags, file, pgoff, fmode);
	if (err)
		return err;
	if (as->lock_future && as->lock_onfault)
		r.flags |= AS_R_LOCKONFAULT;	/* mm->def_flags: VM_LOCKED | VM_LOCKONFAULT */
	/* mmap_region(): RLIMIT_AS and RLIMIT_DATA, less what MAP_FIXED replaces. */
	if (!as_may_expand(as, r.prot, r.backing, r.flags, len >> PAGE_SHIFT) &&
	    !as_may_expand(as, r.prot, r.backing, r.flags, (len >> PAGE_SHIFT) -
			   as_pages_in(as, (uintptr_t)a, (uintptr_t)a + len, false)))
		return -MM_ENOMEM;
	err = charge(as, &r, flags, len);
	if (err)
		return err;
	r.start = (uintptr_t)a;
	r.end = (uintptr_t)a + len;
	r.pkey = (uint32_t)pkey;
	if (r.backing == AS_ANON_SHARED) {
		bool charged = !(flags & MM_MAP_NORESERVE) || vm_commit_mode() == VM_OVERCOMMIT_NEVER;

		r.shm = pcache_create(0);
		if (!r.shm) {
			if (charged)
				vm_commit_uncharge(len >> PAGE_SHIFT);
			return -MM_ENOMEM;
		}
		if (charged)
			r.shm->charged = len >> PAGE_SHIFT;	/* returned when it is freed */
		pcache_map_get(r.shm);		/* the region's reference ... */
		pcache_put(r.shm);		/* ... is the creator's */
	} else if (file) {
		r.shm = file->pc;
		as_region_ref(&r);
	}
	err = as_map_region_later(as, &r, z);
	if (err) {
		as_uncharge_region(&r);
		as_region_unref(&r);
		return err;
	}
	return a;
}

/**
 * as_mmap() - the mmap system call
 * @as: the calling process's space
 * @addr: MAP_FIXED: where; otherwise a hint
 * @len: bytes, rounded up to pages
 * @prot: MM_PROT_*; unknown bits are ignored, as Linux's mmap does
 * @flags: MM_MAP_*: exactly one of SHARED, PRIVATE, SHARED_VALIDATE, and
 *	   ANONYMOUS, FIXED, FIXED_NOREPLACE, POPULATE, NORESERVE, GROWSDOWN...
 * @file: the file, for a mapping without MAP_ANONYMOUS (NULL: a bad fd)
 * @off: byte offset into @file, page-aligned
 *
 * Errors: EINVAL (unaligned offset or fixed address, length 0, bad mapping
 * type), EBADF (no file), ENOMEM (length overflows or exceeds user space, no
 * room, too many regions, more than all RAM asked for, no memory),
 * EOVERFLOW (offset + length wraps), EPERM (fixed address below
 * AS_MMAP_MIN_ADDR), EEXIST (MAP_FIXED_NOREPLACE over a mapping), EOPNOTSUPP
 * (unknown flag with MAP_SHARED_VALIDATE).
 *
 * Return: the address of the mapping, or a negated error.
 */
long as_mmap(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot,
	     unsigned long flags, const struct as_file *file, uint64_t off)
{
	return as_mmap_file(as, addr, len, prot, flags, file, off,
			    AS_FMODE_READ | AS_FMODE_WRITE);
}

/**
 * as_mmap_file() - mmap with the access mode of the file's descriptor
 * @as: the space
 * @addr: as for as_mmap()
 * @len: as for as_mmap()
 * @prot: as for as_mmap()
 * @flags: as for as_mmap()
 * @file: the file, or NULL
 * @off: as for as_mmap()
 * @fmode: AS_FMODE_READ | AS_FMODE_WRITE as the descriptor allows
 *
 * Linux's rules: a file mapping needs a readable descriptor, a writable
 * shared one a writable descriptor (EACCES); a shared mapping of a
 * read-only descriptor can never be made writable by mprotect.
 *
 * Return: as for as_mmap().
 */
long as_mmap_file(struct as *as, uintptr_t addr, uint64_t len, unsigned long prot,
		  unsigned long flags, const struct as_file *file, uint64_t off, unsigned fmode)
{
	uint64_t pgoff = off >> PAGE_SHIFT;
	long ret;

	if (off & ~PAGE_MASK)
		return -MM_EINVAL;
	if (flags & MM_MAP_ANONYMOUS)
		file = NULL;
	else if (!file)
		return -MM_EBADF;
	if (flags & MM_MAP_HUGETLB)
		return file ? -MM_EINVAL : -MM_ENOMEM;	/* no huge page pool */
	if (!len)
		return -MM_EINVAL;
	if (flags & MM_MAP_FIXED_NOREPLACE)
		flags |= MM_MAP_FIXED;
	if (!(flags & MM_MAP_FIXED)) {
		addr &= PAGE_MASK;
		if (addr && addr < AS_MMAP_MIN_ADDR)
			addr = AS_MMAP_MIN_ADDR;
	}
	len = AS_PAGE_ALIGN(len);
	if (!len)
		return -MM_ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -MM_EOVERFLOW;
	/* Linux's file_mmap_ok(): offset + length must fit a file size (loff_t). */
	if (file && (len > (uint64_t)INT64_MAX || off > (uint64_t)INT64_MAX - len))
		return -MM_EOVERFLOW;
	struct as_zap_later z = { .armed = false };

	as_lock(as);
	if (as->lock_future)
		flags |= MM_MAP_LOCKED;
	/* A region locked on fault is never populated, MAP_POPULATE or not (populate_vma_page_range()). */
	bool onfault = as->lock_future && as->lock_onfault;

	ret = mmap_locked(as, addr, len, prot, flags, file, pgoff, fmode, &z);
	as_zap_later_unlock(as, &z);	/* MAP_FIXED's old pages, read-locked when shared */
	/* Populating is best effort, in batches, without the lock (Linux's mm_populate()). */
	if (!as_is_err(ret) && !onfault &&
	    ((flags & (MM_MAP_POPULATE | MM_MAP_NONBLOCK)) == MM_MAP_POPULATE || (flags & MM_MAP_LOCKED)))
		as_populate(as, (uintptr_t)ret, (uintptr_t)ret + len, true);
	return ret;
}

/**
 * as_munmap() - the munmap system call
 * @as: the space
 * @addr: page-aligned
 * @len: bytes, rounded up to pages; non-zero
 *
 * Unmapping holes is not an error; regions straddling the ends are split.
 *
 * Return: 0, -MM_EINVAL (unaligned, empty, beyond user space), -MM_ENOMEM
 * (a split needed memory it could not get, or too many regions).
 */
int as_munmap(struct as *as, uintptr_t addr, uint64_t len)
{
	uintptr_t end;
	int err;

	if ((addr & ~PAGE_MASK) || addr > AS_TASK_SIZE || len > AS_TASK_SIZE - addr)
		return -MM_EINVAL;
	end = addr + AS_PAGE_ALIGN(len);
	if (end == addr)
		return -MM_EINVAL;
	as_lock(as);
	err = as_region_reserve(as, 2);
	if (err) {
		as_unlock(as);
		return err;
	}
	as_unmap_range_unlock(as, addr, end);
	return 0;
}

/**
 * as_file_at() - the file mapping that starts at @addr (UnmapFileFromMemory()'s lookup)
 * @as: the space
 * @addr: an address
 * @pgoff: set to the region's page offset into the file
 * @end: set to the region's end (NULL: not wanted)
 *
 * Return: the region's as_file, or NULL if no file region starts at @addr.
 * The pointer is only compared or used while the caller keeps the mapping.
 */
const struct as_file *as_file_at(struct as *as, uintptr_t addr, uint64_t *pgoff,
				 uintptr_t *end)
{
	unsigned long fl = write_lock_irqsave(&as->lock);
	const struct as_region *r = as_region_find(as, addr);
	const struct as_file *f = r && r->start == addr ? r->file : NULL;

	if (f)
		*pgoff = r->pgoff;
	if (f && end)
		*end = r->end;
	write_unlock_irqrestore(&as->lock, fl);
	return f;
}

/**
 * as_unmap_file() - unmap the regions of @file within [@addr, @addr + @len)
 * @as: the space
 * @addr: page-aligned
 * @len: bytes, page multiple
 * @file: only regions mapping it go; others in the range stay
 *
 * Return: the number of regions removed, or -MM_ENOMEM.
 */
long as_unmap_file(struct as *as, uintptr_t addr, uint64_t len, const struct as_file *file)
{
	/*
	 * The region set changes under the write lock throughout: the file's
	 * regions are found again after each removal, and a break between them
	 * would let a shmat or mmap of another thread change which regions
	 * those are. Only the regions go here; their pages go after them,
	 * under the read lock with interrupts as the caller had them
	 * (as_zap_gaps_unlock()), a reference to the file kept until then, so
	 * a huge mapping never keeps interrupts off for its whole zap. (shmdt
	 * has its own search, Linux's, in as_detach().)
	 */
	unsigned long fl = write_lock_irqsave(&as->lock);
	struct as_region held = { .file = NULL };
	uintptr_t end = addr + len, lo = 0, hi = 0;
	long n = 0;
	int err = 0;

	for (uint32_t i = as_region_lower(as, addr); i < as->nr && as->reg[i].start < end;) {
		struct as_region *r = &as->reg[i];
		uintptr_t s = r->start, e = MM_MIN(r->end, end);

		if (r->file != file) {
			i++;
			continue;
		}
		err = as_region_reserve(as, 2);
		if (err)
			break;
		if (!n) {
			held = (struct as_region){ .shm = as->reg[i].shm, .file = file };
			as_region_ref(&held);
			lo = s;
		}
		as_region_split(as, e);
		as_uncharge_region(&as->reg[i]);
		as_region_remove_range(as, i, i + 1);
		hi = e;
		n++;
		i = as_region_lower(as, e);
	}
	if (!n) {
		write_unlock_irqrestore(&as->lock, fl);
		return err ? err : n;
	}
	as_zap_gaps_unlock(as, lo, hi, fl);
	as_region_unref(&held);
	return err ? err : n;
}
