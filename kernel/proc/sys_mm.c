// SPDX-License-Identifier: MIT
/*
 * The memory system calls: argument plumbing from the ABI to the address
 * space layer (mm/as.h), which implements Linux's semantics and errors.
 */
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

static struct as *cur_as(void)
{
	return current()->mm;
}

/* The as_file of an open RAM-disk file, kept as long as the file system. */
static const struct as_file *file_of(struct file *f)
{
	static struct as_file files[INITRD_MAX_FILES];
	struct as_file *af = &files[f->node - root_fs->file];

	*af = (struct as_file){ .name = f->node->name, .data = f->node->data,
				.size = f->node->size };
	return af;
}

static long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, uint64_t fd,
		     uint64_t off)
{
	const struct as_file *file = NULL;

	if (!(flags & MM_MAP_ANONYMOUS)) {
		struct file *f = (int)fd >= 0 && fd < FD_MAX ? current()->fd[fd] : NULL;
		if (!f)
			return -EBADF;
		if (f->is_console)
			return -ENODEV;
		if ((flags & MM_MAP_TYPE) != MM_MAP_PRIVATE)
			return (prot & MM_PROT_WRITE) ? -EACCES : -ENODEV;
		file = file_of(f);
	}
	return as_mmap(cur_as(), addr, len, prot, flags, file, off);
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
	return as_mprotect(cur_as(), addr, len, prot);
}
SYSCALL_DEFINE(SYS_mprotect, mprotect, sys_mprotect);

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

static long sys_brk(uint64_t brk, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		    uint64_t a5)
{
	return as_brk(cur_as(), brk);
}
SYSCALL_DEFINE(SYS_brk, brk, sys_brk);
