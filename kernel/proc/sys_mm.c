// SPDX-License-Identifier: MIT
/*
 * The memory system calls: argument plumbing from the ABI to the address
 * space layer (mm/as.h), which implements Linux's semantics and errors.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

/* Linux x86_64 numbers of the locking calls. */
#define SYS_mlock	149
#define SYS_munlock	150
#define SYS_mlockall	151
#define SYS_munlockall	152
#define SYS_mlock2	325

static struct as *cur_as(void)
{
	return current()->mm;
}

/*
 * mmap of a descriptor: its file's page cache, with the access the
 * descriptor was opened with (Linux's EACCES rules are the address space's).
 */
static long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, uint64_t fd,
		     uint64_t off)
{
	const struct as_file *file = NULL;
	unsigned fmode = 0;

	/* Linux's x86 sys_mmap checks the offset first, anonymous or not, then the descriptor. */
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MM_MAP_ANONYMOUS)) {
		/* Linux's fget() takes an unsigned int: fd_file() ignores the upper half. */
		struct file *f = fd_file(fd);
		if (!f)
			return -EBADF;
		if (f->is_console || !S_ISREG(f->inode->mode))
			return -ENODEV;
		file = &f->inode->af;
		fmode = (file_readable(f) ? AS_FMODE_READ : 0) |
			(file_writable(f) ? AS_FMODE_WRITE : 0);
	}
	return as_mmap_file(cur_as(), addr, len, prot, flags, file, off, fmode);
}
SYSCALL_DEFINE(SYS_mmap, mmap, sys_mmap);

static long sys_munmap(uint64_t addr, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return as_munmap(cur_as(), addr, len);
}
SYSCALL_DEFINE(SYS_munmap, munmap, sys_munmap);

static long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	return as_mprotect_pkey(cur_as(), addr, len, prot, -1, arch_pkeys());	/* execute-only too */
}
SYSCALL_DEFINE(SYS_mprotect, mprotect, sys_mprotect);

/* Linux x86_64 numbers of the protection-key calls. */
#define SYS_pkey_mprotect	329
#define SYS_pkey_alloc		330
#define SYS_pkey_free		331
#define PKEY_DISABLE_ACCESS	0x1
#define PKEY_ACCESS_MASK	0x3	/* PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE */

/* The key is an int in Linux's prototype: the upper half of the register is ignored. */
static long sys_pkey_mprotect(uint64_t addr, uint64_t len, uint64_t prot, uint64_t pkey,
			      uint64_t a4, uint64_t a5)
{
	return as_mprotect_pkey(cur_as(), addr, len, prot, (int)(uint32_t)pkey, arch_pkeys());
}
SYSCALL_DEFINE(SYS_pkey_mprotect, pkey_mprotect, sys_pkey_mprotect);

/*
 * pkey_alloc(flags, rights): flags must be 0 and rights within
 * PKEY_ACCESS_MASK; the lowest free key, whose rights are set in the
 * calling thread's PKRU only (other threads keep theirs, as on Linux).
 * Without keys the arguments are still checked, then no key is free:
 * ENOSPC, as Linux x86_64 gives on a CPU without PKU.
 */
static long sys_pkey_alloc(uint64_t flags, uint64_t rights, uint64_t a2, uint64_t a3,
			   uint64_t a4, uint64_t a5)
{
	if (flags || (rights & ~(uint64_t)PKEY_ACCESS_MASK))
		return -EINVAL;
	int key = as_pkey_alloc(cur_as(), arch_pkeys());
	if (key >= 0)
		arch_pkey_set_rights(key, rights);
	return key;
}
SYSCALL_DEFINE(SYS_pkey_alloc, pkey_alloc, sys_pkey_alloc);

static long sys_pkey_free(uint64_t pkey, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			  uint64_t a5)
{
	return as_pkey_free(cur_as(), (int)(uint32_t)pkey, arch_pkeys());
}
SYSCALL_DEFINE(SYS_pkey_free, pkey_free, sys_pkey_free);

unsigned plat_pkeys(void)
{
	return arch_pkeys();
}

/* Linux's __execute_only_pkey(): the calling thread's PKRU denies the execute-only key. */
void plat_pkey_deny_access(int pkey, bool fresh)
{
	if (fresh || !arch_pkru_denies(arch_pkru_read(), pkey, false))
		arch_pkey_set_rights(pkey, PKEY_DISABLE_ACCESS);
}

static long sys_mremap(uint64_t addr, uint64_t old_len, uint64_t new_len, uint64_t flags,
		       uint64_t new_addr, uint64_t a5)
{
	return as_mremap(cur_as(), addr, old_len, new_len, flags, new_addr);
}
SYSCALL_DEFINE(SYS_mremap, mremap, sys_mremap);

static long sys_madvise(uint64_t addr, uint64_t len, uint64_t advice, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	return as_madvise(cur_as(), addr, len, (int)advice);
}
SYSCALL_DEFINE(SYS_madvise, madvise, sys_madvise);

static long sys_msync(uint64_t addr, uint64_t len, uint64_t flags, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return as_msync(cur_as(), addr, len, (int)flags);
}
SYSCALL_DEFINE(SYS_msync, msync, sys_msync);

/* mincore, in chunks of a kernel buffer, with Linux's order of checks. */
static long sys_mincore(uint64_t addr, uint64_t len, uint64_t uvec, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	uint8_t vec[256];
	uint64_t pages;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (len > AS_TASK_SIZE || addr > AS_TASK_SIZE - len)
		return -ENOMEM;
	pages = (len >> PAGE_SHIFT) + ((len & (PAGE_SIZE - 1)) != 0);
	if (!user_range_ok(uvec, pages))
		return -EFAULT;
	while (pages) {
		long n = as_mincore(cur_as(), addr, MM_MIN(pages, sizeof(vec)), vec);

		if (n < 0)
			return n;
		if (copy_to_user(uvec, vec, n))
			return -EFAULT;
		uvec += n;
		addr += (uint64_t)n << PAGE_SHIFT;
		pages -= n;
	}
	return 0;
}
SYSCALL_DEFINE(SYS_mincore, mincore, sys_mincore);

static long sys_brk(uint64_t brk, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		    uint64_t a5)
{
	return as_brk(cur_as(), brk);
}
SYSCALL_DEFINE(SYS_brk, brk, sys_brk);

static long sys_mlock(uint64_t addr, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return as_mlock(cur_as(), addr, len, 0);
}
SYSCALL_DEFINE(SYS_mlock, mlock, sys_mlock);

static long sys_mlock2(uint64_t addr, uint64_t len, uint64_t flags, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	return as_mlock(cur_as(), addr, len, flags);
}
SYSCALL_DEFINE(SYS_mlock2, mlock2, sys_mlock2);

static long sys_munlock(uint64_t addr, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	return as_munlock(cur_as(), addr, len);
}
SYSCALL_DEFINE(SYS_munlock, munlock, sys_munlock);

static long sys_mlockall(uint64_t flags, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	return as_mlockall(cur_as(), flags);
}
SYSCALL_DEFINE(SYS_mlockall, mlockall, sys_mlockall);

static long sys_munlockall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
	return as_munlockall(cur_as());
}
SYSCALL_DEFINE(SYS_munlockall, munlockall, sys_munlockall);
