// SPDX-License-Identifier: MIT
/*
 * The Windows memory system calls (numbers in user/include/memcore/syscall.h,
 * documented in docs/syscalls.md): seed 003's SyscallVirtualAlloc and
 * SyscallVirtualFree and their siblings, argument plumbing to the kernel
 * functions of mm/as_win32.h. Results are >= 0 or a negated Windows error
 * code; a bad pointer is ERROR_NOACCESS, as Windows reports it.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/sys_fs.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"
#include "mm/pcache.h"
#include "mm/as_win32.h"

static struct as *cur_as(void)
{
	return current()->mm;
}

static long SyscallVirtualAlloc(uint64_t address, uint64_t size, uint64_t type, uint64_t protect,
				uint64_t a4, uint64_t a5)
{
	return VirtualAllocProcessMemory(cur_as(), address, size, (uint32_t)type,
					 (uint32_t)protect);
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualAlloc, VirtualAlloc, SyscallVirtualAlloc);

static long SyscallVirtualFree(uint64_t address, uint64_t size, uint64_t type, uint64_t a3,
			       uint64_t a4, uint64_t a5)
{
	return VirtualFreeProcessMemory(cur_as(), address, size, (uint32_t)type);
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualFree, VirtualFree, SyscallVirtualFree);

static long SyscallVirtualQuery(uint64_t address, uint64_t ubuf, uint64_t len, uint64_t a3,
				uint64_t a4, uint64_t a5)
{
	struct memory_basic_information info;
	long ret;

	if (len < sizeof(info))
		return -ERROR_BAD_LENGTH;
	ret = VirtualQueryProcessMemory(cur_as(), address, &info);
	if (ret < 0)
		return ret;
	return copy_to_user(ubuf, &info, sizeof(info)) ? -ERROR_NOACCESS : ret;
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualQuery, VirtualQuery, SyscallVirtualQuery);

static long SyscallVirtualProtect(uint64_t address, uint64_t size, uint64_t protect, uint64_t uold,
				  uint64_t a4, uint64_t a5)
{
	uint32_t old = 0;
	long ret;

	/* The result's place is checked first: a bad one changes nothing. */
	if (copy_to_user(uold, &old, sizeof(old)))
		return -ERROR_NOACCESS;
	ret = VirtualProtectProcessMemory(cur_as(), address, size, (uint32_t)protect, &old);
	if (ret < 0)
		return ret;
	return copy_to_user(uold, &old, sizeof(old)) ? -ERROR_NOACCESS : 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualProtect, VirtualProtect, SyscallVirtualProtect);

static long SyscallVirtualLock(uint64_t address, uint64_t size, uint64_t a2, uint64_t a3,
			       uint64_t a4, uint64_t a5)
{
	return VirtualLockProcessMemory(cur_as(), address, size, true);
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualLock, VirtualLock, SyscallVirtualLock);

static long SyscallVirtualUnlock(uint64_t address, uint64_t size, uint64_t a2, uint64_t a3,
				 uint64_t a4, uint64_t a5)
{
	return VirtualLockProcessMemory(cur_as(), address, size, false);
}
SYSCALL_DEFINE(MEMCORE_SYS_VirtualUnlock, VirtualUnlock, SyscallVirtualUnlock);

/* A thread stack growing by guard pages (the library's CreateThread): its allocation base. */
static long SyscallWin32Stack(uint64_t reserve, uint64_t commit, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	return as_win32_stack(cur_as(), reserve, commit);
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_stack, win32_stack, SyscallWin32Stack);

/* The main thread's stack (holding @sp) grows by guard pages from now on: its allocation base. */
static long SyscallWin32MainStack(uint64_t sp, uint64_t reserve, uint64_t a2, uint64_t a3,
				  uint64_t a4, uint64_t a5)
{
	return as_win32_main_stack(cur_as(), sp, reserve);
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_main_stack, win32_main_stack, SyscallWin32MainStack);

/* A view of a SEC_RESERVE section becomes reserved pages (the library's MapViewOfFile). */
static long SyscallWin32ViewReserve(uint64_t address, uint64_t size, uint64_t alloc_prot,
				    uint64_t a3, uint64_t a4, uint64_t a5)	/* a3: the view's PAGE_* */
{
	return as_win32_view_reserve(cur_as(), address, size, (uint32_t)alloc_prot, (uint32_t)a3);
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_view_reserve, win32_view_reserve, SyscallWin32ViewReserve);

/*
 * A named section's file (open for writing on @fd, named @upath) loses its
 * name with its last handle and view (the library's CreateFileMappingA).
 */
static long SyscallWin32SectionName(uint64_t fd, uint64_t upath, uint64_t a2, uint64_t a3,
				    uint64_t a4, uint64_t a5)
{
	struct file *f = fd_file(fd);
	char path[256];
	int64_t len;
	long err;

	if (!f || !f->inode)
		return -ERROR_INVALID_HANDLE;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -ERROR_ACCESS_DENIED;
	len = strncpy_from_user(path, upath, sizeof(path));
	if (len == -EFAULT)
		return -ERROR_NOACCESS;
	if (len <= 0)
		return -ERROR_INVALID_PARAMETER;
	err = ramfs_make_transient(path, f->inode);
	return err == -ENOENT ? -ERROR_FILE_NOT_FOUND : err ? -ERROR_INVALID_PARAMETER : 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_section_name, win32_section_name, SyscallWin32SectionName);

/*
 * The SEC_RESERVE section on @fd (a RAM file: named or anonymous section of
 * the paging file): with @protect (its PAGE_* | SEC_RESERVE) it becomes one,
 * its pages reserved, unless it is one already; with 0 the call only asks.
 * Return: the section's protection as made, 0 if it is no such section.
 */
static long SyscallWin32SectionReserve(uint64_t fd, uint64_t protect, uint64_t a2, uint64_t a3,
				       uint64_t a4, uint64_t a5)
{
	struct file *f = fd_file(fd);
	struct inode *ino = f ? f->inode : NULL;
	struct as_section *s;

	if (!ino || !S_ISREG(ino->mode))
		return -ERROR_INVALID_HANDLE;
	s = __atomic_load_n(&ino->af.section, __ATOMIC_ACQUIRE);
	if (!s && protect) {
		struct as_section *n = as_section_new(ALIGN_UP(pcache_size(ino->pc), (uint64_t)PAGE_SIZE) >> PAGE_SHIFT,
						      (uint32_t)protect);

		if (!n)
			return -ERROR_NOT_ENOUGH_MEMORY;
		if (__atomic_compare_exchange_n(&ino->af.section, &s, n, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			s = n;
		else
			as_section_free(n);	/* another caller made it first */
	}
	return s ? (long)as_section_protect(s) : 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_section_reserve, win32_section_reserve, SyscallWin32SectionReserve);

/*
 * GetWriteWatch and ResetWriteWatch (as_win32_write_watch()): the pages of
 * [@base, @base + @size) written since their last reset. With @uaddrs, up
 * to *@ucount page addresses go there and their number to *@ucount
 * (WRITE_WATCH_FLAG_RESET in @flags: the pages reported are reset); with
 * @uaddrs 0 the whole range is reset. Addresses are copied with no lock
 * held, a batch at a time.
 */
static long SyscallWin32WriteWatch(uint64_t base, uint64_t size, uint64_t uaddrs, uint64_t ucount,
				   uint64_t flags, uint64_t a5)
{
	uintptr_t buf[64], pos, end, next, max = 0, n = 0;
	long got;

	if ((flags & ~(uint64_t)1) || !size || base >= AS_TASK_SIZE || size > AS_TASK_SIZE - base)
		return -ERROR_INVALID_PARAMETER;
	pos = (uintptr_t)base & PAGE_MASK;
	end = ALIGN_UP((uintptr_t)(base + size), (uintptr_t)PAGE_SIZE);
	if (!uaddrs)
		return as_win32_write_watch(cur_as(), pos, end, NULL, 0, false, &next);
	if (copy_from_user(&max, ucount, sizeof(max)))
		return -ERROR_NOACCESS;
	do {
		unsigned want = (unsigned)MM_MIN(max - n, (uintptr_t)ARRAY_SIZE(buf));

		got = as_win32_write_watch(cur_as(), pos, end, buf, want, flags & 1, &next);
		if (got < 0)
			return got;
		if (copy_to_user(uaddrs + n * sizeof(uintptr_t), buf, (uint64_t)got * sizeof(uintptr_t)))
			return -ERROR_NOACCESS;
		n += (uintptr_t)got;
		pos = next;
		if ((unsigned)got < want || !want)
			break;
	} while (pos < end && n < max);
	return copy_to_user(ucount, &n, sizeof(n)) ? -ERROR_NOACCESS : 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_win32_write_watch, win32_write_watch, SyscallWin32WriteWatch);
