// SPDX-License-Identifier: MIT
/*
 * System V shared memory on the page cache: each segment is a page-cache
 * object mapped MAP_SHARED by shmat. The seed's SharedMemoryManager names
 * are the kernel's entry points (CreateSharedMemory, MapSharedMemoryToProcess,
 * UnmapSharedMemoryFromProcess, DestroySharedMemory, GetSharedMemorySize);
 * shmget, shmat, shmdt and shmctl are Linux's ABI over them.
 *
 * A segment counts its attachments as Linux does, one per mapping region
 * (a fork or a split adds one), through the as_file hooks. Each shmat is a
 * file of its own (struct shm_attach, Linux's per-attach file), which is how
 * shmdt tells one attach of a segment from another (as_detach()). IPC_RMID of an
 * attached segment only marks it (SHM_DEST, key made private); it goes with
 * its last detach, and may still be attached by id until then, as on Linux.
 *
 * Locking: shm_lock guards the list and each segment's fields. It is taken
 * inside an address space's lock (the detach hook runs there), so nothing
 * here takes a space's lock while holding it.
 */
#include "kernel/errno.h"
#include "kernel/ipc/shm.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "kernel/shell.h"
#include "mm/commit.h"
#include "mm/heap.h"
#include "mm/pcache.h"
#include "mm/spinlock.h"

#define IPC_PRIVATE	0
#define IPC_CREAT	01000
#define IPC_EXCL	02000
#define IPC_RMID	0
#define IPC_SET		1
#define IPC_STAT	2
#define IPC_64		0x100
#define SHM_STAT	13
#define SHM_RDONLY	010000
#define SHM_RND		020000
#define SHM_REMAP	040000
#define SHM_EXEC	0100000
#define SHM_NORESERVE	010000
#define SHM_DEST	01000
#define SHMLBA		PAGE_SIZE
#define SHMMNI		4096
#define SHMMAX		((uint64_t)UINTPTR_MAX - (1u << 24))	/* ULONG_MAX - 2^24: the kernel's word */
#define IPCMNI_SHIFT	15

struct shm_seg {
	struct shm_seg *next;
	int id;
	int key;
	uint32_t mode;			/* permission bits | SHM_DEST */
	uint16_t seq;
	uint64_t size;
	uint32_t refs;			/* the id (until removed), attachments, callers */
	uint32_t nattch;
	int cpid, lpid;
	uint64_t atime, dtime, ctime;
	struct pcache *pc;
	char name[24];
};

/* One shmat: the file its regions (and a fork's copies of them) name. */
struct shm_attach {
	struct as_file af;
	struct shm_seg *seg;
	uint32_t refs;			/* its regions, and shmat's own while it maps */
};

static spinlock_t shm_lock;
static struct shm_seg *segs;
static unsigned nsegs;
static uint16_t next_seq;

static uint64_t now(void)
{
	return time_ns() / 1000000000ull;
}

static struct shm_attach *of_af(const struct as_file *f)
{
	return (struct shm_attach *)((const char *)f - __builtin_offsetof(struct shm_attach, af));
}

/* Drop a reference, lock held; returns the segment to free (outside the lock) or NULL. */
static struct shm_seg *unref_locked(struct shm_seg *s)
{
	struct shm_seg **pp;

	if (--s->refs)
		return NULL;
	for (pp = &segs; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = s->next;
		nsegs--;
	}
	return s;
}

static void seg_free(struct shm_seg *s)
{
	if (!s)
		return;
	pcache_put(s->pc);
	kfree(s);
}

static void seg_put(struct shm_seg *s)
{
	unsigned long fl = spin_lock_irqsave(&shm_lock);
	struct shm_seg *dead = unref_locked(s);

	spin_unlock_irqrestore(&shm_lock, fl);
	seg_free(dead);
}

/* A region attaches (shmat, fork, split) or detaches (shmdt, munmap, exit). */
static void af_get(const struct as_file *f)
{
	struct shm_attach *a = of_af(f);
	unsigned long fl = spin_lock_irqsave(&shm_lock);

	a->refs++;
	a->seg->nattch++;
	a->seg->refs++;
	spin_unlock_irqrestore(&shm_lock, fl);
}

/* Drop a reference to attach @a, lock held; true if it was the last (free it unlocked). */
static bool attach_unref_locked(struct shm_attach *a)
{
	return --a->refs == 0;
}

static void af_put(const struct as_file *f)
{
	struct shm_attach *a = of_af(f);
	struct shm_seg *s = a->seg;
	unsigned long fl = spin_lock_irqsave(&shm_lock);
	struct shm_seg *dead;
	bool gone;

	s->nattch--;
	s->dtime = now();
	s->lpid = current() ? current()->pid : 0;
	dead = unref_locked(s);
	gone = attach_unref_locked(a);
	spin_unlock_irqrestore(&shm_lock, fl);
	seg_free(dead);
	if (gone)
		kfree(a);
}

/* shmdt's questions about a region's file (as_detach()). */
static bool is_attach(const struct as_file *f)
{
	return f->get == af_get;
}

static uint64_t attach_size(const struct as_file *f)
{
	return of_af(f)->seg->size;
}

/* The segment with @id, referenced; NULL if none. */
static struct shm_seg *seg_by_id(int id)
{
	unsigned long fl = spin_lock_irqsave(&shm_lock);
	struct shm_seg *s;

	for (s = segs; s && s->id != id; s = s->next)
		;
	if (s)
		s->refs++;
	spin_unlock_irqrestore(&shm_lock, fl);
	return s;
}

/* A new segment, listed, with the id's reference and the caller's; lock held. */
static long seg_new(int key, uint64_t size, uint32_t mode, struct shm_seg **out)
{
	uint64_t pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	bool charge = !(mode & SHM_NORESERVE) || vm_commit_mode() == VM_OVERCOMMIT_NEVER;
	struct shm_seg *s;
	unsigned idx = 0;

	if (nsegs >= SHMMNI)
		return -ENOSPC;
	if (charge && vm_commit_charge(pages, 0))	/* committed as Linux's shmem_acct_size() */
		return -ENOMEM;
	s = kzalloc(sizeof(*s));
	if (s)
		s->pc = pcache_create(PCACHE_SIZED);
	if (!s || !s->pc) {
		kfree(s);
		if (charge)
			vm_commit_uncharge(pages);
		return -ENOMEM;
	}
	if (charge)
		s->pc->charged = pages;		/* returned when the segment's pages go */
	pcache_set_size(s->pc, (size + PAGE_SIZE - 1) & PAGE_MASK);
	/* The lowest free index, and a sequence number so a reused index is a new id. */
	for (bool taken = true; taken; idx++) {
		taken = false;
		for (struct shm_seg *o = segs; o; o = o->next)
			taken |= (unsigned)(o->id & ((1 << IPCMNI_SHIFT) - 1)) == idx;
		if (!taken)
			break;
	}
	s->seq = next_seq++;
	s->id = (int)(((unsigned)s->seq << IPCMNI_SHIFT) | idx) & 0x7fffffff;
	s->key = key;
	s->mode = mode & 0777;
	s->size = size;
	s->refs = 2;
	s->cpid = current() ? current()->pid : 0;
	s->ctime = now();
	ksnprintf(s->name, sizeof(s->name), "SYSV%08x", (unsigned)key);
	s->next = segs;
	segs = s;
	nsegs++;
	*out = s;
	return 0;
}

/**
 * shm_get() - shmget: the segment of @key, made if asked
 * @key: IPC_PRIVATE for a new one, or a key
 * @size: bytes (at most the existing segment's size)
 * @flags: IPC_CREAT, IPC_EXCL and the permission bits
 *
 * Return: the id, or -EINVAL, -EEXIST, -ENOENT, -ENOSPC, -ENOMEM.
 */
long shm_get(int key, uint64_t size, unsigned flags)
{
	unsigned long fl = spin_lock_irqsave(&shm_lock);
	struct shm_seg *s = NULL;
	long ret;

	if (key != IPC_PRIVATE)
		for (s = segs; s && (s->key != key || (s->mode & SHM_DEST)); s = s->next)
			;
	if (s) {
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			ret = -EEXIST;
		else if (size > s->size)
			ret = -EINVAL;
		else
			ret = s->id;
	} else if (key != IPC_PRIVATE && !(flags & IPC_CREAT)) {
		ret = -ENOENT;
	} else if (size < 1 || size > SHMMAX) {
		ret = -EINVAL;
	} else {
		ret = seg_new(key, size, flags, &s);
		if (!ret) {
			s->refs--;	/* the caller's: the id keeps it */
			ret = s->id;
		}
	}
	spin_unlock_irqrestore(&shm_lock, fl);
	return ret;
}

/**
 * CreateSharedMemory() - the seed's name: a new private segment
 * @size: bytes
 * @permissions: permission bits
 *
 * Return: its id, or a negated errno.
 */
long CreateSharedMemory(uint32_t size, uint32_t permissions)
{
	return shm_get(IPC_PRIVATE, size, IPC_CREAT | (permissions & 0777));
}

/**
 * MapSharedMemoryToProcess() - shmat: map segment @shm_id into @space
 * @space: the address space
 * @shm_id: the segment
 * @virtual_addr: where (0: anywhere), rounded down with SHM_RND
 * @flags: SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC
 *
 * Return: the address, or -EINVAL (no such segment, unaligned address,
 * overlap without SHM_REMAP) or an mmap error.
 */
long MapSharedMemoryToProcess(struct as *space, uint32_t shm_id, uintptr_t virtual_addr,
			      unsigned flags)
{
	struct shm_seg *s;
	struct shm_attach *a;
	unsigned long prot = MM_PROT_READ, mflags = MM_MAP_SHARED;
	unsigned long fl;
	uint64_t len;
	long ret;
	bool gone;

	if ((int)shm_id < 0)
		return -EINVAL;
	if (virtual_addr & (SHMLBA - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		virtual_addr &= ~(uintptr_t)(SHMLBA - 1);
	}
	/* do_shmat(): SHM_REMAP needs an address to replace at (also once rounded down). */
	if (!virtual_addr && (flags & SHM_REMAP))
		return -EINVAL;
	s = seg_by_id((int)shm_id);
	if (!s)
		return -EINVAL;
	a = kzalloc(sizeof(*a));
	if (!a) {
		seg_put(s);
		return -ENOMEM;
	}
	/* shm_vm_ops has a close: an attach's pieces never merge again on Linux. */
	a->af = (struct as_file){ .name = s->name, .pc = s->pc, .get = af_get, .put = af_put,
				  .nomerge = true };
	a->seg = s;
	a->refs = 1;		/* shmat's own, until as_mmap_file() returns */
	if (!(flags & SHM_RDONLY))
		prot |= MM_PROT_WRITE;
	if (flags & SHM_EXEC)
		prot |= MM_PROT_EXEC;
	len = (s->size + PAGE_SIZE - 1) & PAGE_MASK;
	if (virtual_addr)
		mflags |= (flags & SHM_REMAP) ? MM_MAP_FIXED : MM_MAP_FIXED_NOREPLACE;
	/* SHM_RDONLY opens the segment read-only (do_shmat()): mprotect cannot make it writable. */
	ret = as_mmap_file(space, virtual_addr, len, prot, mflags, &a->af, 0,
			   AS_FMODE_READ | ((flags & SHM_RDONLY) ? 0 : AS_FMODE_WRITE));
	fl = spin_lock_irqsave(&shm_lock);
	gone = attach_unref_locked(a);	/* its regions hold it now, if any */
	spin_unlock_irqrestore(&shm_lock, fl);
	if (gone)
		kfree(a);
	if (ret == -EEXIST)
		ret = -EINVAL;
	if (!as_is_err(ret)) {
		fl = spin_lock_irqsave(&shm_lock);
		s->atime = now();
		s->lpid = current() ? current()->pid : 0;
		spin_unlock_irqrestore(&shm_lock, fl);
	}
	seg_put(s);
	return ret;
}

/**
 * UnmapSharedMemoryFromProcess() - shmdt: detach the segment attached at @addr
 * @space: the address space
 * @addr: the address shmat returned
 *
 * As Linux's do_shmdt(): the first region of an attach at or above @addr
 * whose offset in its segment is its distance from @addr goes, with the
 * other regions of that attach so placed within the segment's size (a
 * first page unmapped still finds the rest; another attach of the same
 * segment in that range stays).
 *
 * Return: 0, or -EINVAL (unaligned, or no such attach).
 */
long UnmapSharedMemoryFromProcess(struct as *space, uintptr_t addr)
{
	long n;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	n = as_detach(space, addr, is_attach, attach_size);
	return n > 0 ? 0 : n < 0 ? n : -EINVAL;
}

/**
 * DestroySharedMemory() - IPC_RMID: remove segment @shm_id (when its last attachment goes)
 * @shm_id: the segment
 *
 * Return: 0 or -EINVAL.
 */
long DestroySharedMemory(uint32_t shm_id)
{
	unsigned long fl = spin_lock_irqsave(&shm_lock);
	struct shm_seg *s, *dead = NULL;

	for (s = segs; s && s->id != (int)shm_id; s = s->next)
		;
	if (s && !(s->mode & SHM_DEST)) {
		s->mode |= SHM_DEST;
		s->key = IPC_PRIVATE;
		s->ctime = now();
		dead = unref_locked(s);		/* the id's reference */
	}
	spin_unlock_irqrestore(&shm_lock, fl);
	seg_free(dead);
	return s ? 0 : -EINVAL;
}

/**
 * GetSharedMemorySize() - the size in bytes of segment @shm_id, 0 if none
 * @shm_id: the segment
 */
uint64_t GetSharedMemorySize(uint32_t shm_id)
{
	struct shm_seg *s = seg_by_id((int)shm_id);
	uint64_t size = s ? s->size : 0;

	if (s)
		seg_put(s);
	return size;
}

/*
 * struct shmid64_ds (with its struct ipc64_perm) of the kernel's ABI, as
 * shmctl copies it: x86_64's, or i386's (16-bit mode, 32-bit words, each
 * time with a high word for 2038).
 */
#ifdef __x86_64__
struct shmid_ds_abi {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;
	uint16_t seq, pad2;
	uint64_t unused1, unused2;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch;
	uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct shmid_ds_abi) == 112, "struct shmid64_ds is 112 bytes");
#else
struct shmid_ds_abi {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint16_t mode, pad1;
	uint16_t seq, pad2;
	uint32_t unused1, unused2;
	uint32_t segsz;
	uint32_t atime, atime_high, dtime, dtime_high, ctime, ctime_high;
	int32_t cpid, lpid;
	uint32_t nattch;
	uint32_t unused4, unused5;
};
_Static_assert(sizeof(struct shmid_ds_abi) == 84, "i386 struct shmid64_ds is 84 bytes");
#endif

static void fill_ds(const struct shm_seg *s, struct shmid_ds_abi *d)
{
	memset(d, 0, sizeof(*d));
	d->key = s->key;
	d->mode = s->mode;
	d->seq = s->seq;
	d->segsz = s->size;
	d->atime = s->atime;
	d->dtime = s->dtime;
	d->ctime = s->ctime;
#ifndef __x86_64__
	d->atime_high = s->atime >> 32;
	d->dtime_high = s->dtime >> 32;
	d->ctime_high = s->ctime >> 32;
#endif
	d->cpid = s->cpid;
	d->lpid = s->lpid;
	d->nattch = s->nattch;
}

static long shm_ctl(int id, int cmd, uint64_t ubuf)
{
	struct shmid_ds_abi d;
	struct shm_seg *s;
	unsigned long fl;

	cmd &= ~IPC_64;
	if (cmd != IPC_STAT && cmd != SHM_STAT && cmd != IPC_SET && cmd != IPC_RMID)
		return -EINVAL;
	if (id < 0)
		return -EINVAL;
	if (cmd == IPC_RMID)
		return DestroySharedMemory((uint32_t)id);
	if (cmd == IPC_SET && copy_from_user(&d, ubuf, sizeof(d)))
		return -EFAULT;
	s = seg_by_id(id);
	if (!s)
		return -EINVAL;
	fl = spin_lock_irqsave(&shm_lock);
	if (cmd == IPC_SET) {
		s->mode = (s->mode & ~0777u) | (d.mode & 0777);
		s->ctime = now();
	} else {
		fill_ds(s, &d);
	}
	spin_unlock_irqrestore(&shm_lock, fl);
	seg_put(s);
	if (cmd != IPC_SET && copy_to_user(ubuf, &d, sizeof(d)))
		return -EFAULT;
	return cmd == SHM_STAT ? id : 0;
}

static long sys_shmget(uint64_t key, uint64_t size, uint64_t flags, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return shm_get((int)key, size, (unsigned)flags);
}
SYSCALL_DEFINE(SYS_shmget, shmget, sys_shmget);

static long sys_shmat(uint64_t id, uint64_t addr, uint64_t flags, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return MapSharedMemoryToProcess(current()->mm, (uint32_t)id, addr, (unsigned)flags);
}
SYSCALL_DEFINE(SYS_shmat, shmat, sys_shmat);

static long sys_shmdt(uint64_t addr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return UnmapSharedMemoryFromProcess(current()->mm, addr);
}
SYSCALL_DEFINE(SYS_shmdt, shmdt, sys_shmdt);

static long sys_shmctl(uint64_t id, uint64_t cmd, uint64_t buf, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return shm_ctl((int)id, (int)cmd, buf);
}
SYSCALL_DEFINE(SYS_shmctl, shmctl, sys_shmctl);

/* The shell's ipcs: one line per segment. */
static int cmd_ipcs(int argc, char **argv)
{
	unsigned long fl = spin_lock_irqsave(&shm_lock);

	kprintf("------ Shared Memory Segments --------\n");
	kprintf("%-10s %-10s %-10s %-6s %-12s %-8s %s\n", "key", "shmid", "owner", "perms",
		"bytes", "nattch", "status");
	for (struct shm_seg *s = segs; s; s = s->next)
		kprintf("0x%08x %-10d %-10s %-6o %-12" PRIu64 " %-8u %s\n", (unsigned)s->key, s->id, "root",
			s->mode & 0777, s->size, s->nattch, (s->mode & SHM_DEST) ? "dest" : "");
	kprintf("%u segments; %" PRIu64 " pages in the page cache (all files)\n", nsegs,
		pcache_total_pages());
	spin_unlock_irqrestore(&shm_lock, fl);
	return 0;
}
SHELL_COMMAND(ipcs, "list System V shared memory segments", cmd_ipcs);
